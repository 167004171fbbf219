//! A hook for the desktop tests, in development builds only: `ATOM_TEST_HOLD=rate_skill=1500` holds
//! each call of that command for 1.5 s before it names its account, so that a test can switch accounts
//! in between and see that a write goes as the account the window showed. A release build ignores it.

use std::time::Duration;

/// Waits as `ATOM_TEST_HOLD` asks for `command` (development builds only).
pub async fn hold(command: &str) {
    if !cfg!(debug_assertions) {
        return;
    }
    let Some(ms) = std::env::var("ATOM_TEST_HOLD").ok().and_then(|v| held_for(&v, command)) else { return };
    tracing::info!("holding {command} for {ms} ms (ATOM_TEST_HOLD)");
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// `name=ms[,name=ms…]`: the milliseconds for `command`.
fn held_for(setting: &str, command: &str) -> Option<u64> {
    setting.split(',').find_map(|pair| {
        let (name, ms) = pair.split_once('=')?;
        (name.trim() == command).then(|| ms.trim().parse().ok()).flatten()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_commands_to_hold() {
        assert_eq!(super::held_for("rate_skill=1500", "rate_skill"), Some(1500));
        assert_eq!(super::held_for("post_review=5, rate_skill = 20", "rate_skill"), Some(20));
        assert_eq!(super::held_for("rate_skill=soon", "rate_skill"), None);
        assert_eq!(super::held_for("submit_skill=5", "rate_skill"), None);
    }
}
