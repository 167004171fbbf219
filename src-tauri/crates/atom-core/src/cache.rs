//! The catalogue cache: every successful GET reply, kept in memory and (when its catalogue has a folder
//! for it) on disk, so that the app paints the last catalogue at once, revalidates it cheaply, and
//! keeps browsing offline.
//!
//! - **Keyed by URL** (relative to the API base), never by credential: the marketplace's reads are
//!   public, and a key that held a credential (even hashed) would put something derived from a secret
//!   on disk. Entries hold the URL
//!   (its path and query: a search term, a page), the server's `ETag`, when the server last confirmed
//!   the reply, and the reply's JSON. Nothing else.
//! - **Fresh** for [`limits::CACHE_TTL`] after the server confirmed it (in this run): served without
//!   asking. After that it is revalidated (`If-None-Match`, a 304 costs no body), or refetched when
//!   the server sends no `ETag` (the TTL is then the only rule). A write makes every entry stale.
//! - **On disk**, one file per URL, written to a temporary file and renamed over the old one, so that
//!   a crash mid-write leaves the old entry or the new one, never half of one; unreadable files are
//!   skipped and removed. The folder is bounded ([`MAX_DISK_BYTES`]): the least recently confirmed
//!   entries go first.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::contract::limits;

/// The cache folder's size bound.
pub const MAX_DISK_BYTES: u64 = 16 * 1024 * 1024;
/// The replies kept in memory, in bytes (their text and address): the least recently used go first.
pub const MAX_MEMORY_BYTES: usize = 8 * 1024 * 1024;
/// The format of the files; another version is ignored (and replaced when fetched again).
const FORMAT: u32 = 1;

/// One cached reply.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    #[serde(rename = "v")]
    format: u32,
    pub url: String,
    pub etag: Option<String>,
    /// When the server last sent or confirmed it (Unix seconds).
    pub confirmed_at: u64,
    /// The reply's JSON text.
    pub body: String,
}

impl Entry {
    /// Seconds since the server last confirmed it.
    pub fn age_secs(&self) -> u64 {
        unix_now().saturating_sub(self.confirmed_at)
    }
}

struct Slot {
    entry: Arc<Entry>,
    /// When the server confirmed it in this run; `None`: from disk, or made stale by a write.
    checked: Option<Instant>,
    used: Instant,
}

/// A lookup's result.
pub struct Hit {
    pub entry: Arc<Entry>,
    /// Confirmed by the server less than [`limits::CACHE_TTL`] ago.
    pub fresh: bool,
}

pub struct Cache {
    dir: Option<PathBuf>,
    memory: Mutex<Memory>,
    /// The folder's size, learnt on the first write (and the leftovers of a crash removed then).
    disk_bytes: Mutex<Option<u64>>,
}

#[derive(Default)]
struct Memory {
    slots: HashMap<String, Slot>,
    bytes: usize,
}

fn slot_bytes(entry: &Entry) -> usize {
    entry.body.len() + entry.url.len() + entry.etag.as_ref().map_or(0, String::len)
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn file_name(url: &str) -> String {
    let digest = Sha256::digest(url.as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}.json")
}

impl Cache {
    /// Memory only (tests, and a catalogue given no folder).
    pub fn in_memory() -> Cache {
        Cache { dir: None, memory: Mutex::new(Memory::default()), disk_bytes: Mutex::new(None) }
    }

    /// Memory, and files under `dir` (created when first needed).
    pub fn on_disk(dir: PathBuf) -> Cache {
        Cache { dir: Some(dir), ..Cache::in_memory() }
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    pub fn lookup(&self, url: &str) -> Option<Hit> {
        if let Some(hit) = self.lookup_in_memory(url) {
            return Some(hit);
        }
        let entry = Arc::new(self.read_file(url)?);
        self.remember(entry.clone(), None);
        Some(Hit { entry, fresh: false })
    }

    /// [`Cache::lookup`] without the folder: never touches the disk.
    pub fn lookup_in_memory(&self, url: &str) -> Option<Hit> {
        let mut memory = self.memory.lock();
        let slot = memory.slots.get_mut(url)?;
        slot.used = Instant::now();
        let fresh = slot.checked.is_some_and(|at| at.elapsed() < limits::CACHE_TTL);
        Some(Hit { entry: slot.entry.clone(), fresh })
    }

    /// Whether the cache keeps a folder (its calls may then read or write the disk).
    pub fn has_folder(&self) -> bool {
        self.dir.is_some()
    }

    /// A reply the server just sent.
    pub fn store(&self, url: &str, etag: Option<String>, body: &[u8]) {
        let Ok(body) = std::str::from_utf8(body) else { return };
        let entry = Arc::new(Entry {
            format: FORMAT,
            url: url.to_string(),
            etag,
            confirmed_at: unix_now(),
            body: body.to_string(),
        });
        self.remember(entry.clone(), Some(Instant::now()));
        self.write_file(&entry);
    }

    /// The server said the cached reply is still current (304).
    pub fn confirm(&self, url: &str) {
        let entry = {
            let mut memory = self.memory.lock();
            let Some(slot) = memory.slots.get_mut(url) else { return };
            let mut entry = (*slot.entry).clone();
            entry.confirmed_at = unix_now();
            slot.entry = Arc::new(entry);
            slot.checked = Some(Instant::now());
            slot.entry.clone()
        };
        self.write_file(&entry);
    }

    /// Forgets an entry that turned out to be unreadable.
    pub fn remove(&self, url: &str) {
        let mut memory = self.memory.lock();
        if let Some(slot) = memory.slots.remove(url) {
            memory.bytes -= slot_bytes(&slot.entry);
        }
        drop(memory);
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_file(dir.join(file_name(url)));
        }
    }

    /// Every entry must be revalidated before it is served as current (after a write, or a change of
    /// who is signed in). Entries stay for offline use.
    pub fn invalidate(&self) {
        for slot in self.memory.lock().slots.values_mut() {
            slot.checked = None;
        }
    }

    /// The entries `stale` names must be revalidated before they are served as current (after a write
    /// that changed them); the others stay as fresh as they were.
    pub fn invalidate_where(&self, stale: impl Fn(&str) -> bool) {
        for (url, slot) in self.memory.lock().slots.iter_mut() {
            if stale(url) {
                slot.checked = None;
            }
        }
    }

    /// Calls `f` with each entry in memory (key, body); never touches the disk.
    pub fn each_in_memory(&self, mut f: impl FnMut(&str, &str)) {
        for (url, slot) in self.memory.lock().slots.iter() {
            f(url, &slot.entry.body);
        }
    }

    /// Every entry whose URL starts with `prefix`, from memory and disk, newest first.
    pub fn entries_under(&self, prefix: &str) -> Vec<Arc<Entry>> {
        let mut found: HashMap<String, Arc<Entry>> = HashMap::new();
        if let Some(dir) = &self.dir {
            for path in json_files(dir) {
                if let Some(entry) = read_entry(&path).filter(|e| e.url.starts_with(prefix)) {
                    found.insert(entry.url.clone(), Arc::new(entry));
                }
            }
        }
        for (url, slot) in self.memory.lock().slots.iter() {
            if url.starts_with(prefix) {
                found.insert(url.clone(), slot.entry.clone());
            }
        }
        let mut list: Vec<Arc<Entry>> = found.into_values().collect();
        list.sort_by(|a, b| b.confirmed_at.cmp(&a.confirmed_at).then_with(|| a.url.cmp(&b.url)));
        list
    }

    fn remember(&self, entry: Arc<Entry>, checked: Option<Instant>) {
        let size = slot_bytes(&entry);
        let mut memory = self.memory.lock();
        if let Some(old) = memory.slots.remove(&entry.url) {
            memory.bytes -= slot_bytes(&old.entry);
        }
        if size > MAX_MEMORY_BYTES {
            return;
        }
        while memory.bytes + size > MAX_MEMORY_BYTES {
            let Some(oldest) = memory.slots.iter().min_by_key(|(_, s)| s.used).map(|(k, _)| k.clone()) else {
                break;
            };
            if let Some(slot) = memory.slots.remove(&oldest) {
                memory.bytes -= slot_bytes(&slot.entry);
            }
        }
        memory.bytes += size;
        memory.slots.insert(entry.url.clone(), Slot { entry, checked, used: Instant::now() });
    }

    /// The bytes the replies in memory take.
    pub fn memory_bytes(&self) -> usize {
        self.memory.lock().bytes
    }

    fn read_file(&self, url: &str) -> Option<Entry> {
        let path = self.dir.as_ref()?.join(file_name(url));
        if !path.exists() {
            return None;
        }
        match read_entry(&path) {
            Some(entry) if entry.url == url => Some(entry),
            // Corrupt, another format, or (never in practice) a hash collision: drop it.
            _ => {
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    fn write_file(&self, entry: &Entry) {
        let Some(dir) = &self.dir else { return };
        if let Err(e) = self.try_write(dir, entry) {
            // A full disk or a read-only folder costs the cache, nothing else.
            tracing::debug!("cache write failed: {e}");
        }
    }

    fn try_write(&self, dir: &Path, entry: &Entry) -> std::io::Result<()> {
        private_dir(dir)?;
        let mut bytes_now = self.disk_bytes.lock();
        let total = match *bytes_now {
            Some(total) => total,
            None => scan(dir),
        };
        let path = dir.join(file_name(&entry.url));
        let old = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let text = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        let tmp = dir.join(format!(".{}.{}.tmp", file_name(&entry.url), std::process::id()));
        write_private(&tmp, &text)?;
        std::fs::rename(&tmp, &path)?;
        let mut total = total.saturating_sub(old) + text.len() as u64;
        if total > MAX_DISK_BYTES {
            total = trim(dir, MAX_DISK_BYTES * 3 / 4);
        }
        *bytes_now = Some(total);
        Ok(())
    }
}

/// Makes `dir` (and its parents) if needed, and on Unix leaves it to its user alone (0700), also when
/// it existed with wider permissions.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        let mode = std::fs::metadata(dir)?.permissions().mode() & 0o777;
        if mode != 0o700 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}

/// Writes a new file that only its user can read (0600 on Unix; elsewhere the folder's ACL, which is
/// the user's own profile, applies).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(dir) else { return Vec::new() };
    read.flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect()
}

fn read_entry(path: &Path) -> Option<Entry> {
    let text = std::fs::read(path).ok()?;
    serde_json::from_slice::<Entry>(&text).ok().filter(|e| e.format == FORMAT)
}

/// The folder's size; removes what a crash left behind (temporary files).
fn scan(dir: &Path) -> u64 {
    let Ok(read) = std::fs::read_dir(dir) else { return 0 };
    let mut total = 0;
    for entry in read.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "tmp") {
            let _ = std::fs::remove_file(&path);
        } else if let Ok(meta) = entry.metadata() {
            total += meta.len();
        }
    }
    total
}

/// Removes the least recently written files until the folder holds at most `target` bytes; returns
/// its size.
fn trim(dir: &Path, target: u64) -> u64 {
    let mut files: Vec<(SystemTime, u64, PathBuf)> = json_files(dir)
        .into_iter()
        .filter_map(|p| {
            let meta = std::fs::metadata(&p).ok()?;
            Some((meta.modified().unwrap_or(UNIX_EPOCH), meta.len(), p))
        })
        .collect();
    files.sort();
    let mut total: u64 = files.iter().map(|f| f.1).sum();
    for (_, len, path) in files {
        if total <= target {
            break;
        }
        if std::fs::remove_file(&path).is_ok() {
            total -= len;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("atom-cache-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn an_entry_survives_a_restart_but_must_be_revalidated() {
        let dir = temp_dir("restart");
        let url = "http://127.0.0.1:1/api/public/v1/marketplace/skills";
        Cache::on_disk(dir.clone()).store(url, Some("\"t1\"".into()), br#"{"skills":[]}"#);
        let again = Cache::on_disk(dir.clone());
        let hit = again.lookup(url).expect("read back from disk");
        assert!(!hit.fresh, "a new run asks the server before calling it current");
        assert_eq!(hit.entry.etag.as_deref(), Some("\"t1\""));
        assert_eq!(hit.entry.body, r#"{"skills":[]}"#);
        again.confirm(url);
        assert!(again.lookup(url).unwrap().fresh);
        again.invalidate();
        assert!(!again.lookup(url).unwrap().fresh, "a write makes it stale");
        let _ = std::fs::remove_dir_all(dir);
    }

    /// The folder and its files are the user's alone (what they browsed and searched is nobody
    /// else's business on a shared computer), also when the folder existed with wider permissions.
    #[cfg(unix)]
    #[test]
    fn the_cache_is_readable_by_its_user_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("modes");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let url = "http://127.0.0.1:1/api/public/v1/marketplace/skills?q=private";
        Cache::on_disk(dir.clone()).store(url, None, br#"{"skills":[]}"#);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        let files = json_files(&dir);
        assert_eq!(files.len(), 1);
        assert_eq!(mode(&files[0]), 0o600);
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Memory is bounded by bytes, not by a count of entries (512 replies of 2 MiB would be 1 GiB): the
    /// least recently used go first.
    #[test]
    fn memory_is_bounded_by_bytes() {
        let cache = Cache::in_memory();
        let big = format!("{{\"skills\":\"{}\"}}", "x".repeat(1024 * 1024));
        for i in 0..40 {
            cache.store(&format!("http://h/skills?offset={i}"), None, big.as_bytes());
        }
        assert!(cache.memory_bytes() <= MAX_MEMORY_BYTES, "{} bytes", cache.memory_bytes());
        assert!(cache.lookup("http://h/skills?offset=39").is_some(), "the newest is kept");
        assert!(cache.lookup("http://h/skills?offset=0").is_none(), "the oldest went");
        // Small replies fill the same budget, far more of them.
        for i in 0..600 {
            cache.store(&format!("http://h/skills/{i}"), None, br#"{"id":"x"}"#);
        }
        assert!(cache.memory_bytes() <= MAX_MEMORY_BYTES);
        assert!(cache.lookup("http://h/skills/0").is_some(), "600 small replies fit");
    }

    #[test]
    fn a_crash_mid_write_and_a_corrupt_file_cost_only_those_entries() {
        let dir = temp_dir("crash");
        let (good, bad) = ("http://h/skills?offset=0", "http://h/skills?offset=50");
        let cache = Cache::on_disk(dir.clone());
        cache.store(good, None, b"{}");
        cache.store(bad, None, b"{}");
        // A write cut off before its rename, and a file cut off in the middle.
        std::fs::write(dir.join(".leftover.json.1.tmp"), b"{\"v\":1,\"url\":").unwrap();
        std::fs::write(dir.join(file_name(bad)), b"{\"v\":1,\"url\":\"http://h/sk").unwrap();
        let after = Cache::on_disk(dir.clone());
        assert!(after.lookup(good).is_some());
        assert!(after.lookup(bad).is_none(), "the torn entry reads as missing");
        assert!(!dir.join(file_name(bad)).exists(), "and is removed");
        after.store(bad, None, b"{}");
        assert!(!dir.join(".leftover.json.1.tmp").exists(), "leftovers are swept on the first write");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_folder_stays_within_its_bound() {
        let dir = temp_dir("bound");
        let cache = Cache::on_disk(dir.clone());
        let body = "x".repeat(512 * 1024);
        for page in 0..48 {
            cache.store(&format!("http://h/skills?offset={page}"), None, body.as_bytes());
        }
        let size: u64 = json_files(&dir).iter().map(|p| std::fs::metadata(p).unwrap().len()).sum();
        assert!(size <= MAX_DISK_BYTES, "{size} bytes on disk");
        assert!(dir.join(file_name("http://h/skills?offset=47")).exists(), "the newest stays");
        assert!(!dir.join(file_name("http://h/skills?offset=0")).exists(), "the oldest went first");
        let _ = std::fs::remove_dir_all(dir);
    }
}
