//! Start-up's sign-ins: the active account's, once the window is up, and then every other saved
//! account's, side by side.

use atom_core::{Account, AuthState};
use tauri::Manager;

use super::{EnvChoice, KeystoreStatus, Shell, RELEASE_AFTER_START, SIGN_IN_WAITS_FOR_WINDOW};

impl Shell {
    /// Signs the active account in from the keystore once the window is up, and says whether the
    /// keystore could be used.
    pub(super) fn restore_in_background(&self, account: Account) {
        let handle = self.handle.clone();
        tauri::async_runtime::spawn(async move {
            // The keystore (its D-Bus calls, and the key exchange that protects the secret on the
            // way) would compete with the window's first paint for the CPU: it starts once the page
            // is up. Reads go out anonymously until it is done.
            let shell = handle.state::<Shell>();
            let _ = tokio::time::timeout(SIGN_IN_WAITS_FOR_WINDOW, shell.window_is_up()).await;
            let status = match account.restore().await {
                Err(atom_core::Error::Keystore(e)) => {
                    tracing::warn!("silent sign-in did not complete: {e}");
                    // A keystore that answers late (the user unlocked it) signs in then: the warning
                    // goes with it.
                    let mut states = account.state();
                    let later = handle.clone();
                    tauri::async_runtime::spawn(async move {
                        let kept = |s: &AuthState| matches!(s, AuthState::SignedIn(me) if me.persisted);
                        if states.wait_for(kept).await.is_ok() {
                            let available = KeystoreStatus { available: true, detail: None };
                            later.state::<Shell>().sign_in.set_keystore_status(available);
                        }
                    });
                    KeystoreStatus { available: false, detail: Some(e.to_string()) }
                }
                Err(e) => {
                    tracing::warn!("silent sign-in did not complete: {e}");
                    KeystoreStatus { available: true, detail: None }
                }
                Ok(_) => KeystoreStatus { available: true, detail: None },
            };
            shell.sign_in.set_keystore_status(status);
            // The last of start-up (or of the switch): what it freed goes back to the OS once the
            // first page's requests are done too.
            tokio::time::sleep(RELEASE_AFTER_START).await;
            let _ = tauri::async_runtime::spawn_blocking(crate::platform::release_memory).await;
        });
    }

    /// Start-up: every other saved account signs in from the keystore too, all at once and after the
    /// window is up, none waiting for another (an account of the sandbox waits until the sandbox
    /// runs). One whose refresh token died shows "sign in again" on its row; the others are untouched.
    pub(super) fn restore_others(&self) {
        let handle = self.handle.clone();
        tauri::async_runtime::spawn(async move {
            let shell = handle.state::<Shell>();
            let _ = tokio::time::timeout(SIGN_IN_WAITS_FOR_WINDOW, shell.window_is_up()).await;
            let sandbox_runs = shell.servers.sandbox_runs().await;
            let mut accounts = Vec::new();
            for saved in shell.accounts.others() {
                if saved.environment == EnvChoice::Sandbox && !sandbox_runs {
                    continue;
                }
                match shell.open_account(&saved).await {
                    Ok(account) if shell.accounts.start_restore(&saved.id) => accounts.push(account),
                    Ok(_) => {}
                    Err(e) => tracing::warn!("could not open an account: {e}"),
                }
            }
            for result in atom_core::restore_all(&accounts).await {
                if let Err(e) = result {
                    tracing::info!("an account did not sign in at start-up: {e}");
                }
            }
        });
    }
}
