//! Where long-lived secrets live: the refresh token and the API key. The OS keystore implementation
//! lives in the app shell; this module has the trait, an in-memory store for tests, and the bounded
//! async wrapper an account uses.

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
    /// account keeps it in memory and does not ask again until it has another secret to keep.
    #[error("the keystore refused the secret ({0})")]
    Refused(String),
}

/// A keystore. Calls may block (an OS keystore may wait on an unlock prompt); an account always
/// calls through [`StoreHandle`], on a blocking thread with a timeout.
pub trait SecretStore: Send + Sync + 'static {
    fn get(&self, namespace: &str, account: &str) -> Result<Option<Secret>, StoreError>;
    fn set(&self, namespace: &str, account: &str, secret: &Secret) -> Result<(), StoreError>;
    /// Deleting an entry that does not exist is not an error.
    fn delete(&self, namespace: &str, account: &str) -> Result<(), StoreError>;
    /// A name for logs and the UI ("Secret Service", "memory").
    fn kind(&self) -> &'static str;
}

/// Secrets in process memory: for tests, and the memory-only mode when no keystore can be used.
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

/// A store bound to one environment's namespace. Its calls run one at a time, in the order they were
/// made, on a thread of its own (a keystore waiting on its unlock prompt must not freeze the caller, nor
/// hold up the app's exit), and the caller waits for each at most a timeout. A call the caller gave up
/// on still runs in its turn: a sign-out's delete made after a write that waits on the prompt runs
/// after that write, never before it, and a write made for a session that has ended since
/// ([`StoreHandle::set_while`]) is dropped just before it would create the item.
#[derive(Clone)]
pub struct StoreHandle {
    store: Arc<dyn SecretStore>,
    namespace: String,
    timeout: Duration,
    worker: Arc<Worker>,
}

type Job = Box<dyn FnOnce(&dyn SecretStore, &str) + Send>;

/// What [`StoreHandle::patiently`] got.
pub enum Patient<T> {
    /// The call's result, within the wait.
    Now(Result<T, StoreError>),
    /// The call outlived the wait; it will still answer.
    Later(Late<T>),
}

/// A keystore call that outlived its caller's wait, still in its turn.
pub struct Late<T>(tokio::sync::oneshot::Receiver<Result<T, StoreError>>);

impl<T> Late<T> {
    /// Its result, waiting at most `limit` more (a user at an unlock prompt).
    pub async fn wait(self, limit: Duration) -> Result<T, StoreError> {
        match tokio::time::timeout(limit, self.0).await {
            Ok(answer) => answered(answer),
            Err(_) => Err(StoreError::Timeout(limit)),
        }
    }
}

/// A call's answer from the keystore's thread: its result, or "crashed" if the call panicked.
fn answered<T>(
    answer: Result<Result<T, StoreError>, tokio::sync::oneshot::error::RecvError>,
) -> Result<T, StoreError> {
    answer.unwrap_or_else(|_| Err(StoreError::Failed("the keystore call crashed".into())))
}

/// The thread that runs a namespace's calls in order, started at the first call; it ends when the last
/// handle is dropped (and its current call returns).
#[derive(Default)]
struct Worker {
    jobs: Mutex<Option<std::sync::mpsc::Sender<Job>>>,
    /// Calls queued or running.
    waiting: Arc<std::sync::atomic::AtomicUsize>,
}

impl Worker {
    fn submit(&self, store: &Arc<dyn SecretStore>, namespace: &str, job: Job) -> Result<(), StoreError> {
        use std::sync::atomic::Ordering;
        let mut jobs = self.jobs.lock();
        if jobs.is_none() {
            let (tx, rx) = std::sync::mpsc::channel::<Job>();
            let (store, namespace, waiting) = (store.clone(), namespace.to_string(), self.waiting.clone());
            std::thread::Builder::new()
                .name("keystore".into())
                .spawn(move || {
                    for job in rx {
                        // A call that panics fails alone (its caller hears "crashed"); the next runs.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            job(store.as_ref(), &namespace)
                        }));
                        waiting.fetch_sub(1, Ordering::SeqCst);
                    }
                })
                .map_err(|e| StoreError::Failed(format!("cannot start a keystore thread: {e}")))?;
            *jobs = Some(tx);
        }
        self.waiting.fetch_add(1, Ordering::SeqCst);
        if jobs.as_ref().is_some_and(|tx| tx.send(job).is_ok()) {
            return Ok(());
        }
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        *jobs = None;
        Err(StoreError::Failed("the keystore thread ended".into()))
    }
}

impl StoreHandle {
    pub fn new(store: Arc<dyn SecretStore>, namespace: impl Into<String>) -> StoreHandle {
        StoreHandle {
            store,
            namespace: namespace.into(),
            timeout: limits::STORE_TIMEOUT,
            worker: Arc::new(Worker::default()),
        }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> StoreHandle {
        self.timeout = timeout;
        self
    }

    /// The entry's name in the keystore (`store_namespace`).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    pub fn kind(&self) -> &'static str {
        self.store.kind()
    }

    /// How long a caller waits for a call.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether a call is still queued or running (a write waiting on an unlock prompt, say): a retry
    /// would only queue behind it, and ask the user again.
    pub fn busy(&self) -> bool {
        self.worker.waiting.load(std::sync::atomic::Ordering::SeqCst) > 0
    }

    /// Queues a call; its result comes through the receiver whenever it runs.
    fn submit<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn SecretStore, &str) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<tokio::sync::oneshot::Receiver<Result<T, StoreError>>, StoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |store, namespace| {
            let _ = tx.send(f(store, namespace));
        });
        self.worker.submit(&self.store, &self.namespace, job)?;
        Ok(rx)
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn SecretStore, &str) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        match self.patiently(f).await {
            Patient::Now(result) => result,
            // The call keeps its place in the queue; its result is dropped when it returns.
            Patient::Later(_) => Err(StoreError::Timeout(self.timeout)),
        }
    }

    /// A call whose result is still wanted after the caller's wait: within the timeout, its result;
    /// past it, the call itself, still in its turn (a keystore at its unlock prompt answers when the
    /// user does), to be awaited by whoever can wait longer.
    pub async fn patiently<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn SecretStore, &str) -> Result<T, StoreError> + Send + 'static,
    ) -> Patient<T> {
        let mut rx = match self.submit(f) {
            Ok(rx) => rx,
            Err(e) => return Patient::Now(Err(e)),
        };
        match tokio::time::timeout(self.timeout, &mut rx).await {
            Ok(answer) => Patient::Now(answered(answer)),
            Err(_) => Patient::Later(Late(rx)),
        }
    }

    pub async fn get(&self, account: &'static str) -> Result<Option<Secret>, StoreError> {
        self.run(move |s, ns| s.get(ns, account)).await
    }

    pub async fn set(&self, account: &'static str, secret: &Secret) -> Result<(), StoreError> {
        self.set_while(account, secret, || true).await
    }

    /// Writes `secret` if `still_wanted` says so when the write's turn comes (checked just before the
    /// item is created): a write queued behind a locked keystore for a session that ended meanwhile is
    /// dropped, and does not bring the session back.
    pub async fn set_while(
        &self,
        account: &'static str,
        secret: &Secret,
        still_wanted: impl Fn() -> bool + Send + 'static,
    ) -> Result<(), StoreError> {
        let secret = secret.clone();
        self.run(move |s, ns| {
            if !still_wanted() {
                tracing::info!("dropped a keystore write for a session that has ended");
                return Ok(());
            }
            s.set(ns, account, &secret)
        })
        .await
    }

    pub async fn delete(&self, account: &'static str) -> Result<(), StoreError> {
        self.run(move |s, ns| s.delete(ns, account)).await
    }

    /// Reads `account` and deletes it and `also`, in one turn: what a sign-out needs, with one wait.
    pub async fn take_and_clear(
        &self,
        account: &'static str,
        also: &'static [&'static str],
    ) -> Result<Option<Secret>, StoreError> {
        self.run(move |s, ns| {
            let taken = s.get(ns, account);
            let mut outcome = s.delete(ns, account);
            for other in also {
                outcome = outcome.and(s.delete(ns, other));
            }
            outcome.and(taken)
        })
        .await
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
