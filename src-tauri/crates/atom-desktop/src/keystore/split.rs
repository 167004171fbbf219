//! Secrets longer than one keystore entry holds, kept across several entries.
//!
//! Windows' Credential Manager keeps at most 2,560 bytes in a credential, 1,280 characters as keyring
//! writes them (UTF-16). Refresh tokens of some servers (Entra ID, Keycloak with many roles) are
//! longer, and an API key may grow too. Such a secret is cut into parts, each its own entry, and the
//! entry under the secret's own name holds a reference to them:
//!
//! ```text
//! refresh_token                 atom-split-v1:<generation>:<parts>:<sha-256 of the secret, 32 hex>
//! refresh_token#<generation>.1  the first 1,280 characters
//! refresh_token#<generation>.2  the next ones …
//! ```
//!
//! A secret that fits is written as before, in the entry under its own name, so entries written by
//! earlier versions read as they are, and an earlier version reads what this one writes unless the
//! secret is too long for it anyway. Every write goes parts first, reference last, old parts removed
//! afterwards: a reader (another instance of the app) sees the old secret or the new one, never a mix;
//! the digest catches a reference whose parts were replaced under it, and the read is then tried once
//! more. The secret stays in the OS keystore, encrypted by it; no file holds it (DPAPI in a file of
//! our own was the alternative: see docs/architecture.md, "The keystore").

use atom_core::{Secret, StoreError};
use sha2::{Digest, Sha256};

/// What a reference entry starts with. A secret that starts with it is always split, so that a
/// secret is never taken for a reference.
const MARKER: &str = "atom-split-v1:";
/// More parts than this is no credential a server would issue: refused rather than written.
pub const MAX_PARTS: usize = 16;

/// Entries of one namespace of a keystore whose entries hold a limited number of characters.
pub trait Entries {
    /// The most UTF-16 code units one entry holds.
    fn capacity(&self) -> usize;
    fn read(&self, name: &str) -> Result<Option<String>, StoreError>;
    fn write(&self, name: &str, value: &str) -> Result<(), StoreError>;
    /// Removing an entry that does not exist is not an error.
    fn remove(&self, name: &str) -> Result<(), StoreError>;
    /// The names of every part of `name` the keystore holds, of any generation: what a write cut off
    /// before its reference, or a delete cut off after it, left behind too.
    fn parts(&self, name: &str) -> Result<Vec<String>, StoreError>;
}

struct Reference {
    generation: String,
    parts: usize,
    digest: String,
}

impl Reference {
    fn parse(value: &str) -> Option<Reference> {
        let mut fields = value.strip_prefix(MARKER)?.split(':');
        let generation = fields.next()?.to_string();
        let parts = fields.next()?.parse().ok().filter(|n| (1..=MAX_PARTS).contains(n))?;
        let digest = fields.next()?.to_string();
        let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
        (fields.next().is_none() && plain(&generation) && plain(&digest)).then_some(Reference {
            generation,
            parts,
            digest,
        })
    }

    fn text(&self) -> String {
        format!("{MARKER}{}:{}:{}", self.generation, self.parts, self.digest)
    }

    fn part_name(&self, name: &str, index: usize) -> String {
        format!("{name}#{}.{index}", self.generation)
    }
}

fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// A generation no earlier write of this name used: the time in nanoseconds, and the process.
fn new_generation() -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{:x}{:x}", nanos as u64, std::process::id())
}

/// `text` in pieces of at most `capacity` UTF-16 code units, never inside a character.
fn pieces(text: &str, capacity: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut units) = (0, 0);
    for (at, c) in text.char_indices() {
        if units + c.len_utf16() > capacity {
            out.push(&text[start..at]);
            (start, units) = (at, 0);
        }
        units += c.len_utf16();
    }
    if start < text.len() || out.is_empty() {
        out.push(&text[start..]);
    }
    out
}

/// Reads the secret `name`, whole, or `None` when there is none.
pub fn get(entries: &impl Entries, name: &str) -> Result<Option<Secret>, StoreError> {
    // A second try: a writer may have replaced the parts between our reading the reference and them.
    for _ in 0..2 {
        let Some(head) = entries.read(name)? else { return Ok(None) };
        let Some(reference) = Reference::parse(&head) else { return Ok(Some(Secret::new(head))) };
        let mut whole = String::new();
        let mut complete = true;
        for index in 1..=reference.parts {
            match entries.read(&reference.part_name(name, index))? {
                Some(part) => whole.push_str(&part),
                None => {
                    complete = false;
                    break;
                }
            }
        }
        if complete && digest(&whole) == reference.digest {
            return Ok(Some(Secret::new(whole)));
        }
    }
    Err(StoreError::Failed("the keystore's entry is incomplete (parts of it are missing)".into()))
}

/// Writes the secret `name`, replacing what was there.
pub fn set(entries: &impl Entries, name: &str, secret: &Secret) -> Result<(), StoreError> {
    let text = secret.expose();
    let fits = text.encode_utf16().count() <= entries.capacity() && !text.starts_with(MARKER);
    // The generation whose parts the new secret is (none when it fits in one entry).
    let mut keep = String::new();
    if fits {
        entries.write(name, text)?;
    } else {
        let parts = pieces(text, entries.capacity());
        if parts.len() > MAX_PARTS {
            return Err(StoreError::Refused(format!(
                "{} characters, more than the {} this app keeps in the system's keystore",
                text.chars().count(),
                MAX_PARTS * entries.capacity()
            )));
        }
        let reference = Reference { generation: new_generation(), parts: parts.len(), digest: digest(text) };
        if reference.text().len() > entries.capacity() {
            return Err(StoreError::Refused("the keystore's entries are too small to refer to parts".into()));
        }
        for (index, part) in parts.iter().enumerate() {
            if let Err(e) = entries.write(&reference.part_name(name, index + 1), part) {
                remove_parts(entries, name, &reference, index);
                return Err(e);
            }
        }
        if let Err(e) = entries.write(name, &reference.text()) {
            remove_parts(entries, name, &reference, parts.len());
            return Err(e);
        }
        keep = reference.generation;
    }
    // Every part that is not the new secret's goes: the old reference's, and any a write cut off
    // before its reference left (no reference names their generation).
    remove_parts_but(entries, name, &keep);
    Ok(())
}

/// Deletes the secret `name` and every part of it the keystore holds, whatever the reference says (a
/// write cut off between its parts and its reference left parts no reference names).
pub fn delete(entries: &impl Entries, name: &str) -> Result<(), StoreError> {
    // The reference goes first: no reader is left with a reference to missing parts.
    entries.remove(name)?;
    for part in entries.parts(name)? {
        entries.remove(&part)?;
    }
    Ok(())
}

/// Best effort: removes the parts of `name` of every generation but `keep` (none: all of them).
fn remove_parts_but(entries: &impl Entries, name: &str, keep: &str) {
    let prefix = format!("{name}#{keep}.");
    match entries.parts(name) {
        Ok(parts) => {
            for part in parts.iter().filter(|p| keep.is_empty() || !p.starts_with(&prefix)) {
                if let Err(e) = entries.remove(part) {
                    tracing::warn!("could not remove a part of an old keystore entry: {e}");
                }
            }
        }
        Err(e) => tracing::warn!("could not list the parts of a keystore entry: {e}"),
    }
}

/// Best effort: a part left behind holds a piece of a secret nothing refers to any more.
fn remove_parts(entries: &impl Entries, name: &str, reference: &Reference, count: usize) {
    for index in 1..=count {
        if let Err(e) = entries.remove(&reference.part_name(name, index)) {
            tracing::warn!("could not remove a part of an old keystore entry: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    /// Entries in memory that hold `capacity` UTF-16 units each, as Credential Manager does, and can
    /// fail the n-th write from now.
    struct Limited {
        capacity: usize,
        entries: Mutex<BTreeMap<String, String>>,
        fail_write_in: Mutex<Option<usize>>,
    }

    impl Limited {
        fn new(capacity: usize) -> Limited {
            Limited { capacity, entries: Mutex::default(), fail_write_in: Mutex::new(None) }
        }
        fn names(&self) -> Vec<String> {
            self.entries.lock().unwrap().keys().cloned().collect()
        }
    }

    impl Entries for Limited {
        fn capacity(&self) -> usize {
            self.capacity
        }
        fn read(&self, name: &str) -> Result<Option<String>, StoreError> {
            Ok(self.entries.lock().unwrap().get(name).cloned())
        }
        fn write(&self, name: &str, value: &str) -> Result<(), StoreError> {
            let mut fail = self.fail_write_in.lock().unwrap();
            match *fail {
                Some(0) => return Err(StoreError::Locked),
                Some(n) => *fail = Some(n - 1),
                None => {}
            }
            assert!(value.encode_utf16().count() <= self.capacity, "{name} written too long");
            self.entries.lock().unwrap().insert(name.into(), value.into());
            Ok(())
        }
        fn remove(&self, name: &str) -> Result<(), StoreError> {
            self.entries.lock().unwrap().remove(name);
            Ok(())
        }
        fn parts(&self, name: &str) -> Result<Vec<String>, StoreError> {
            let prefix = format!("{name}#");
            Ok(self.names().into_iter().filter(|n| n.starts_with(&prefix)).collect())
        }
    }

    fn token(chars: usize) -> String {
        (0..chars).map(|i| char::from(b'a' + (i % 26) as u8)).collect()
    }

    #[test]
    fn a_secret_that_fits_is_one_entry_as_before() {
        let store = Limited::new(1280);
        set(&store, "refresh_token", &Secret::new(token(1280))).unwrap();
        assert_eq!(store.names(), ["refresh_token"]);
        assert_eq!(store.read("refresh_token").unwrap().unwrap(), token(1280));
        assert_eq!(get(&store, "refresh_token").unwrap().unwrap().expose(), token(1280));
    }

    #[test]
    fn a_long_secret_is_split_and_read_back_whole() {
        let store = Limited::new(1280);
        set(&store, "refresh_token", &Secret::new(token(4000))).unwrap();
        assert_eq!(store.names().len(), 1 + 4, "a reference and four parts: {:?}", store.names());
        assert!(store.read("refresh_token").unwrap().unwrap().starts_with(MARKER));
        assert_eq!(get(&store, "refresh_token").unwrap().unwrap().expose(), token(4000));
    }

    #[test]
    fn characters_outside_the_basic_plane_are_never_cut_in_half() {
        // Each key is two UTF-16 units: a capacity of 3 holds one of them and an "a".
        let text = "🔑a🔑🔑é".repeat(20);
        let store = Limited::new(3);
        let parts = pieces(&text, 3);
        assert!(parts.iter().all(|p| p.encode_utf16().count() <= 3 && !p.is_empty()));
        assert_eq!(parts.concat(), text);
        let roomier = Limited::new(100);
        set(&roomier, "k", &Secret::new(text.clone())).unwrap();
        assert_eq!(get(&roomier, "k").unwrap().unwrap().expose(), text);
        assert!(
            matches!(set(&store, "k", &Secret::new(text)), Err(StoreError::Refused(_))),
            "too many parts"
        );
    }

    #[test]
    fn replacing_leaves_no_old_parts_either_way() {
        let store = Limited::new(100);
        set(&store, "rt", &Secret::new(token(450))).unwrap();
        set(&store, "rt", &Secret::new(token(250))).unwrap();
        assert_eq!(store.names().len(), 1 + 3, "{:?}", store.names());
        assert_eq!(get(&store, "rt").unwrap().unwrap().expose(), token(250));
        set(&store, "rt", &Secret::new("short")).unwrap();
        assert_eq!(store.names(), ["rt"]);
        assert_eq!(get(&store, "rt").unwrap().unwrap().expose(), "short");
        set(&store, "rt", &Secret::new(token(150))).unwrap();
        delete(&store, "rt").unwrap();
        assert!(store.names().is_empty());
        assert!(get(&store, "rt").unwrap().is_none());
        delete(&store, "rt").expect("deleting what is not there is fine");
    }

    /// A write cut off (the app killed) between its parts and its reference leaves parts that no
    /// reference names: a sign-out's delete removes them all the same, and so does the next write.
    #[test]
    fn parts_a_cut_off_write_left_behind_go_with_the_next_delete_or_write() {
        let store = Limited::new(100);
        set(&store, "rt", &Secret::new(token(250))).unwrap();
        for orphan in ["rt#dead1.1", "rt#dead1.2", "rt#dead1.3"] {
            store.write(orphan, &token(100)).unwrap();
        }
        delete(&store, "rt").unwrap();
        assert!(store.names().is_empty(), "{:?}", store.names());
        for orphan in ["rt#dead2.1", "rt#dead2.2"] {
            store.write(orphan, &token(100)).unwrap();
        }
        set(&store, "rt", &Secret::new(token(150))).unwrap();
        assert_eq!(store.names().len(), 1 + 2, "only the new secret's parts: {:?}", store.names());
        set(&store, "rt", &Secret::new("short")).unwrap();
        assert_eq!(store.names(), ["rt"]);
        // Another entry's parts are not this one's.
        store.write("rtx#other.1", "x").unwrap();
        delete(&store, "rt").unwrap();
        assert_eq!(store.names(), ["rtx#other.1"]);
    }

    #[test]
    fn a_failed_write_keeps_the_secret_that_was_there() {
        let store = Limited::new(100);
        set(&store, "rt", &Secret::new(token(250))).unwrap();
        let before = store.names();
        // The second part of the new secret cannot be written (the keystore locked meanwhile).
        *store.fail_write_in.lock().unwrap() = Some(1);
        assert_eq!(set(&store, "rt", &Secret::new(token(299))), Err(StoreError::Locked));
        *store.fail_write_in.lock().unwrap() = None;
        assert_eq!(store.names(), before, "the new parts were taken back");
        assert_eq!(get(&store, "rt").unwrap().unwrap().expose(), token(250));
    }

    #[test]
    fn parts_replaced_under_a_reference_are_not_read_as_the_secret() {
        let store = Limited::new(100);
        set(&store, "rt", &Secret::new(token(250))).unwrap();
        let part = store.names().into_iter().find(|n| n.ends_with(".2")).unwrap();
        store.write(&part, &"x".repeat(100)).unwrap();
        assert!(matches!(get(&store, "rt"), Err(StoreError::Failed(_))));
        store.remove(&part).unwrap();
        assert!(matches!(get(&store, "rt"), Err(StoreError::Failed(_))), "a missing part too");
    }

    #[test]
    fn a_secret_that_looks_like_a_reference_is_kept_as_itself() {
        let store = Limited::new(1280);
        for text in [format!("{MARKER}abc:1:def"), MARKER.to_string()] {
            set(&store, "k", &Secret::new(text.clone())).unwrap();
            assert_eq!(get(&store, "k").unwrap().unwrap().expose(), text);
        }
    }
}
