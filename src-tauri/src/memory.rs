//! Giving memory back to the OS once start-up is over.
//!
//! Start-up allocates and frees a lot on several threads: the trust store parsed on a thread of its own,
//! the saved catalogue read and decoded, the silent sign-in's D-Bus and key exchange. glibc keeps what
//! was freed in each thread's arena for later use, so the idle app would go on holding it. One trim
//! after start-up hands it back (about 1 MiB of the app process, measured in docs/benchmarks.md).

/// Returns the heap memory that is free at the top and in the middle of every arena to the OS.
/// Elsewhere than glibc this does nothing.
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes the arenas' locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
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
