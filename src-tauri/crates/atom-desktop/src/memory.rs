//! Memory at rest on Linux (WebKitGTK's engine, glibc's heap): the web engine's optimising compilers
//! kept for code that stays hot, and memory given back to the OS once start-up is over.
//!
//! Start-up allocates and frees a lot on several threads: the trust store parsed on a thread of its own,
//! the saved catalogue read and decoded, the silent sign-in's D-Bus and key exchange. glibc keeps what
//! was freed in each thread's arena for later use, so the idle app would go on holding it. One trim
//! after start-up hands it back (about 1 MiB of the app process, measured in docs/benchmarks.md).

/// JavaScriptCore (WebKitGTK's engine) compiles a function once it has run a few hundred times (its
/// baseline JIT), and with its optimising tiers after about a thousand (the DFG) and a hundred thousand
/// (the FTL). Mounting the window crosses those marks for much of the UI framework's code, which then
/// hardly runs while the window rests; each compilation leaves code and compiler memory behind. With the
/// marks raised (the baseline tenfold, the optimising tiers a hundredfold), start-up's code stays in the
/// interpreter and the baseline tier, and what runs hot later is still compiled. Measured in
/// docs/benchmarks.md: 6 to 7 MiB less at rest, scrolling as smooth. Read by the web process, which
/// inherits the app's environment; a value the user set is kept.
pub const ENGINE_TUNING: &[(&str, &str)] = &[
    ("JSC_thresholdForJITAfterWarmUp", "5000"),
    ("JSC_thresholdForJITSoon", "1000"),
    ("JSC_thresholdForOptimizeAfterWarmUp", "100000"),
    ("JSC_thresholdForOptimizeAfterLongWarmUp", "100000"),
    ("JSC_thresholdForOptimizeSoon", "100000"),
    ("JSC_thresholdForFTLOptimizeAfterWarmUp", "10000000"),
    ("JSC_thresholdForFTLOptimizeSoon", "100000"),
];

/// The settings of [`ENGINE_TUNING`] that `is_set` says the environment does not have yet.
pub fn engine_tuning_to_apply(is_set: impl Fn(&str) -> bool) -> Vec<(&'static str, &'static str)> {
    ENGINE_TUNING.iter().copied().filter(|(name, _)| !is_set(name)).collect()
}

/// What [`tune_web_engine`] put in the environment (not what the user had set).
static APPLIED: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();

/// Puts [`ENGINE_TUNING`] in this process's environment, for the web processes it will start (the
/// webview is WebKitGTK's); to be called first thing, before any thread is started.
pub fn tune_web_engine() {
    let apply = engine_tuning_to_apply(|name| std::env::var_os(name).is_some());
    for (name, value) in &apply {
        // Called from `run()` before it starts any thread: nothing else reads the environment yet.
        std::env::set_var(name, value);
    }
    let _ = APPLIED.set(apply.into_iter().map(|(name, _)| name).collect());
}

/// The names [`tune_web_engine`] set: the app's own, which programs it starts for the user (the
/// browser) must not inherit.
pub fn applied_engine_tuning() -> Vec<&'static str> {
    APPLIED.get().cloned().unwrap_or_default()
}

/// Returns the heap memory that is free at the top and in the middle of every arena to the OS.
#[cfg(target_env = "gnu")]
pub fn release_freed() {
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes the arenas' locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Elsewhere than glibc (musl) there is no trim: nothing to do.
#[cfg(not(target_env = "gnu"))]
pub fn release_freed() {}

#[cfg(test)]
mod engine_tests {
    use super::*;

    #[test]
    fn every_setting_is_applied_when_the_user_set_none() {
        assert_eq!(engine_tuning_to_apply(|_| false), ENGINE_TUNING);
        assert!(ENGINE_TUNING
            .iter()
            .all(|(name, value)| name.starts_with("JSC_") && value.parse::<u32>().is_ok()));
    }

    #[test]
    fn a_value_the_user_set_is_kept() {
        let left = engine_tuning_to_apply(|name| name == "JSC_thresholdForOptimizeSoon");
        assert_eq!(left.len(), ENGINE_TUNING.len() - 1);
        assert!(left.iter().all(|(name, _)| *name != "JSC_thresholdForOptimizeSoon"));
    }
}

#[cfg(all(test, target_env = "gnu"))]
mod tests {
    use super::*;

    /// Resident memory of this process, in bytes.
    fn resident_bytes() -> Option<u64> {
        let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
        let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
        // The page size of every Linux platform we ship for.
        Some(pages * 4096)
    }

    #[test]
    fn memory_freed_by_another_thread_goes_back_to_the_os() {
        // Many small blocks on a thread of their own (its own arena), then all freed but the last,
        // which keeps the arena's top from shrinking by itself.
        let keep = std::thread::spawn(|| {
            let blocks: Vec<Vec<u8>> = (0..60_000).map(|i| vec![(i % 251) as u8; 700]).collect();
            let last = vec![1u8; 700];
            drop(blocks);
            last
        })
        .join()
        .unwrap();
        let before = resident_bytes().unwrap();
        release_freed();
        let after = resident_bytes().unwrap();
        assert!(
            before.saturating_sub(after) > 20 << 20,
            "freed memory was not returned: {before} bytes resident before the trim, {after} after"
        );
        assert_eq!(keep.len(), 700);
    }
}
