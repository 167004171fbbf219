//! Where long-lived secrets live: the refresh token and the API key. The OS keystore implementation
//! lives in the app shell; this module has the trait, an in-memory store for tests, and the bounded
//! async wrapper the session uses.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::contract::limits;
use crate::secret::Secret;

/// Entry names inside an environment's namespace.
pub mod accounts {
    pub const REFRESH_TOKEN: &str = "refresh_token";
    pub const API_KEY: &str = "api_key";
    /// `read` or `read_write`: not a secret, but kept beside the key it describes.
    pub const API_KEY_SCOPE: &str = "api_key_scope";
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("no keystore is available ({0})")]
    Unavailable(String),
    #[error("the keystore is locked")]
    Locked,
    #[error("the keystore did not answer within {} s", .0.as_secs())]
    Timeout(Duration),
    #[error("the keystore failed ({0})")]
    Failed(String),
    /// The store will not keep this secret however often it is asked (too long for it, say): the
    /// session keeps it in memory and does not ask again until it has another secret to keep.
    #[error("the keystore refused the secret ({0})")]
    Refused(String),
}

/// A keystore. Calls may block (an OS keystore may wait on an unlock prompt); the session always
/// calls through [`StoreHandle`], on a blocking thread with a timeout.
pub trait SecretStore: Send + Sync + 'static {
    fn get(&self, namespace: &str, account: &str) -> Result<Option<Secret>, StoreError>;
    fn set(&self, namespace: &str, account: &str, secret: &Secret) -> Result<(), StoreError>;
    /// Deleting an entry that does not exist is not an error.
    fn delete(&self, namespace: &str, account: &str) -> Result<(), StoreError>;
    /// A name for logs and the UI ("Secret Service", "memory").
    fn kind(&self) -> &'static str;
}

/// Secrets in process memory: for tests, and the session-only mode when no keystore can be used.
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<(String, String), Secret>>,
}

impl SecretStore for MemoryStore {
    fn get(&self, namespace: &str, account: &str) -> Result<Option<Secret>, StoreError> {
        Ok(self.entries.lock().get(&(namespace.to_string(), account.to_string())).cloned())
    }

    fn set(&self, namespace: &str, account: &str, secret: &Secret) -> Result<(), StoreError> {
        self.entries.lock().insert((namespace.to_string(), account.to_string()), secret.clone());
        Ok(())
    }

    fn delete(&self, namespace: &str, account: &str) -> Result<(), StoreError> {
        self.entries.lock().remove(&(namespace.to_string(), account.to_string()));
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}

/// A store bound to one environment's namespace, with every call on a blocking thread and bounded
/// by a timeout, so that a locked keystore can never freeze the caller.
#[derive(Clone)]
pub struct StoreHandle {
    store: Arc<dyn SecretStore>,
    namespace: String,
    timeout: Duration,
}

impl StoreHandle {
    pub fn new(store: Arc<dyn SecretStore>, namespace: impl Into<String>) -> StoreHandle {
        StoreHandle { store, namespace: namespace.into(), timeout: limits::STORE_TIMEOUT }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> StoreHandle {
        self.timeout = timeout;
        self
    }

    pub fn kind(&self) -> &'static str {
        self.store.kind()
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn SecretStore, &str) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.store.clone();
        let namespace = self.namespace.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        // A detached thread, not the runtime's blocking pool: a keystore stuck on an unlock prompt
        // must not hold up the runtime's shutdown (and so the app's exit).
        let spawned = std::thread::Builder::new().name("keystore".into()).spawn(move || {
            let _ = tx.send(f(store.as_ref(), &namespace));
        });
        if let Err(e) = spawned {
            return Err(StoreError::Failed(format!("cannot start a keystore thread: {e}")));
        }
        match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(StoreError::Failed("the keystore call crashed".into())),
            // The call goes on in its thread; its result is dropped when it returns.
            Err(_) => Err(StoreError::Timeout(self.timeout)),
        }
    }

    pub async fn get(&self, account: &'static str) -> Result<Option<Secret>, StoreError> {
        self.run(move |s, ns| s.get(ns, account)).await
    }

    pub async fn set(&self, account: &'static str, secret: &Secret) -> Result<(), StoreError> {
        let secret = secret.clone();
        self.run(move |s, ns| s.set(ns, account, &secret)).await
    }

    pub async fn delete(&self, account: &'static str) -> Result<(), StoreError> {
        self.run(move |s, ns| s.delete(ns, account)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Frozen;

    impl SecretStore for Frozen {
        fn get(&self, _: &str, _: &str) -> Result<Option<Secret>, StoreError> {
            std::thread::sleep(Duration::from_secs(1));
            Ok(None)
        }
        fn set(&self, _: &str, _: &str, _: &Secret) -> Result<(), StoreError> {
            std::thread::sleep(Duration::from_secs(1));
            Ok(())
        }
        fn delete(&self, _: &str, _: &str) -> Result<(), StoreError> {
            Ok(())
        }
        fn kind(&self) -> &'static str {
            "frozen"
        }
    }

    #[tokio::test]
    async fn a_frozen_keystore_times_out_instead_of_blocking() {
        let h = StoreHandle::new(Arc::new(Frozen), "ns").with_timeout(Duration::from_millis(200));
        let started = std::time::Instant::now();
        assert_eq!(
            h.get(accounts::REFRESH_TOKEN).await,
            Err(StoreError::Timeout(Duration::from_millis(200)))
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn namespaces_keep_environments_apart() {
        let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
        let prod = StoreHandle::new(store.clone(), "production");
        let sandbox = StoreHandle::new(store, "sandbox");
        sandbox.set(accounts::REFRESH_TOKEN, &Secret::new("sandbox-token")).await.unwrap();
        assert_eq!(prod.get(accounts::REFRESH_TOKEN).await.unwrap(), None);
        assert_eq!(sandbox.get(accounts::REFRESH_TOKEN).await.unwrap().unwrap().expose(), "sandbox-token");
    }
}
