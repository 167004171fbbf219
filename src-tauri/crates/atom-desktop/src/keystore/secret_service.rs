//! A Secret Service client (the freedesktop.org protocol that gnome-keyring, KWallet and KeePassXC
//! serve) over the zbus connection code the app already carries for Tauri's plugins.
//!
//! Why our own: keyring's client brought libdbus bindings, a big-integer library and a second set of
//! ciphers, about 300 KiB of code, for six method calls. Secrets travel in an encrypted session
//! (`dh-ietf1024-sha256-aes128-cbc-pkcs7`, done with the OpenSSL the TLS stack already loads). If
//! the service does not offer it, the plain session is used, as libsecret does.
//!
//! Items carry the attributes `service` and `username`, so entries written by earlier versions of the
//! app (through keyring, which added `target` and `application`) are found and replaced.

use std::collections::HashMap;
use std::time::Duration;

use atom_core::{Secret, StoreError};
use openssl::bn::{BigNum, BigNumContext};
use openssl::symm::{self, Cipher};
use zbus::blocking::Connection;
use zbus::zvariant::{ObjectPath, OwnedObjectPath, OwnedValue, Value};
use zbus::MatchRule;

const DEST: &str = "org.freedesktop.secrets";
fn service_path() -> ObjectPath<'static> {
    ObjectPath::from_static_str_unchecked("/org/freedesktop/secrets")
}
const SERVICE: &str = "org.freedesktop.Secret.Service";
const COLLECTION: &str = "org.freedesktop.Secret.Collection";
const ITEM: &str = "org.freedesktop.Secret.Item";
const PROMPT: &str = "org.freedesktop.Secret.Prompt";
const DH: &str = "dh-ietf1024-sha256-aes128-cbc-pkcs7";

/// A call the service does not answer fails after this; the session's own timeout is shorter, so this
/// only frees the blocking thread.
const CALL_TIMEOUT: Duration = Duration::from_secs(25);
/// How long an unlock prompt may stay open (the user typing the keyring's password).
const PROMPT_TIMEOUT: Duration = Duration::from_secs(120);

/// The secret as the protocol sends it: session, parameters (the IV), value, content type.
type WireSecret = (OwnedObjectPath, Vec<u8>, Vec<u8>, String);

/// Whose entry: the `service` and `username` attributes.
pub struct Key<'a> {
    pub service: String,
    pub username: &'a str,
}

impl Key<'_> {
    fn attributes(&self) -> HashMap<&str, &str> {
        HashMap::from([("service", self.service.as_str()), ("username", self.username)])
    }
}

pub fn get(key: &Key) -> Result<Option<Secret>, StoreError> {
    let client = Client::connect()?;
    let (unlocked, locked) = client.search(key)?;
    let items = if unlocked.is_empty() { client.unlock(locked)? } else { unlocked };
    let Some(item) = client.newest(items)? else {
        return Ok(None);
    };
    let session = client.open_session()?;
    let reply: WireSecret = client.call(&item, ITEM, "GetSecret", &(session.path.as_ref(),))?;
    let value = session.decrypt(reply)?;
    session.close(&client);
    let text = String::from_utf8(value).map_err(|_| StoreError::Failed("the entry is not text".into()))?;
    Ok(Some(Secret::new(text)))
}

pub fn set(key: &Key, label: &str, secret: &Secret) -> Result<(), StoreError> {
    let client = Client::connect()?;
    let collection: OwnedObjectPath = client.call(service_path(), SERVICE, "ReadAlias", &("default",))?;
    if collection.as_str() == "/" {
        return Err(StoreError::Unavailable("the Secret Service has no default keyring".into()));
    }
    client.unlock(vec![collection.clone()])?;
    // Entries of earlier versions with other attributes; removed once the new one is in place, so a
    // failure in between leaves a readable entry.
    let (unlocked, locked) = client.search(key)?;
    let session = client.open_session()?;
    let wire = session.encrypt(secret.expose().as_bytes())?;
    let properties = HashMap::from([
        ("org.freedesktop.Secret.Item.Label", Value::from(label)),
        ("org.freedesktop.Secret.Item.Attributes", Value::from(key.attributes())),
    ]);
    let (item, prompt): (OwnedObjectPath, OwnedObjectPath) =
        client.call(&collection, COLLECTION, "CreateItem", &(properties, wire, true))?;
    session.close(&client);
    let item = if item.as_str() == "/" {
        // The service asked to confirm; the created item comes with the prompt's result.
        let result = client.prompt(&prompt)?;
        OwnedObjectPath::try_from(result).map_err(|e| StoreError::Failed(e.to_string()))?
    } else {
        item
    };
    for old in unlocked.into_iter().chain(locked).filter(|old| *old != item) {
        client.delete(&old)?;
    }
    Ok(())
}

pub fn delete(key: &Key) -> Result<(), StoreError> {
    let client = Client::connect()?;
    let (unlocked, locked) = client.search(key)?;
    let mut items = unlocked;
    if !locked.is_empty() {
        items.extend(client.unlock(locked)?);
    }
    for item in items {
        client.delete(&item)?;
    }
    Ok(())
}

struct Client {
    conn: Connection,
}

impl Client {
    fn connect() -> Result<Client, StoreError> {
        let conn = zbus::blocking::connection::Builder::session()
            .and_then(|b| b.method_timeout(CALL_TIMEOUT).build())
            .map_err(|e| StoreError::Unavailable(format!("no D-Bus session: {e}")))?;
        Ok(Client { conn })
    }

    fn call<'p, B, R>(
        &self,
        path: impl Into<ObjectPath<'p>>,
        interface: &str,
        method: &str,
        body: &B,
    ) -> Result<R, StoreError>
    where
        B: serde::Serialize + zbus::zvariant::DynamicType,
        R: for<'d> zbus::zvariant::DynamicDeserialize<'d>,
    {
        let reply = self.raw_call(path.into(), interface, method, body).map_err(map_error)?;
        reply
            .body()
            .deserialize()
            .map_err(|e| StoreError::Failed(format!("a malformed reply to {method}: {e}")))
    }

    fn raw_call<B>(
        &self,
        path: ObjectPath<'_>,
        interface: &str,
        method: &str,
        body: &B,
    ) -> zbus::Result<zbus::Message>
    where
        B: serde::Serialize + zbus::zvariant::DynamicType,
    {
        self.conn.call_method(Some(DEST), path, Some(interface), method, body)
    }

    /// Items matching the key: (unlocked, locked).
    fn search(&self, key: &Key) -> Result<(Vec<OwnedObjectPath>, Vec<OwnedObjectPath>), StoreError> {
        self.call(service_path(), SERVICE, "SearchItems", &(key.attributes(),))
    }

    /// Unlocks the objects, through the system's prompt if the service shows one; the unlocked ones.
    fn unlock(&self, objects: Vec<OwnedObjectPath>) -> Result<Vec<OwnedObjectPath>, StoreError> {
        if objects.is_empty() {
            return Ok(objects);
        }
        let (unlocked, prompt): (Vec<OwnedObjectPath>, OwnedObjectPath) =
            self.call(service_path(), SERVICE, "Unlock", &(objects,))?;
        if prompt.as_str() == "/" {
            return Ok(unlocked);
        }
        let result = self.prompt(&prompt)?;
        Vec::<OwnedObjectPath>::try_from(result).map_err(|e| StoreError::Failed(e.to_string()))
    }

    /// Of the items for one key, the one written last (there are several when replacing an earlier
    /// version's entry was cut short, or an older version of the app signed in since). On a tie (the
    /// times are in seconds), ours: the one with no attributes but the key's. A lone item is taken
    /// without asking for its properties.
    fn newest(&self, mut items: Vec<OwnedObjectPath>) -> Result<Option<OwnedObjectPath>, StoreError> {
        if items.len() < 2 {
            return Ok(items.pop());
        }
        let mut best: Option<((u64, bool), OwnedObjectPath)> = None;
        for item in items {
            let modified: u64 = self.property(&item, "Modified")?;
            let attributes: HashMap<String, String> = self.property(&item, "Attributes")?;
            let rank = (modified, attributes.len() == 2);
            if best.as_ref().is_none_or(|(b, _)| rank > *b) {
                best = Some((rank, item));
            }
        }
        Ok(best.map(|(_, item)| item))
    }

    fn property<T: TryFrom<OwnedValue>>(&self, item: &OwnedObjectPath, name: &str) -> Result<T, StoreError> {
        let value: OwnedValue = self.call(item, "org.freedesktop.DBus.Properties", "Get", &(ITEM, name))?;
        T::try_from(value).map_err(|_| StoreError::Failed(format!("a malformed {name} of a keystore item")))
    }

    fn delete(&self, item: &OwnedObjectPath) -> Result<(), StoreError> {
        let prompt: OwnedObjectPath = self.call(item, ITEM, "Delete", &())?;
        if prompt.as_str() != "/" {
            self.prompt(&prompt)?;
        }
        Ok(())
    }

    /// Shows a prompt and waits for its answer: its result, or `Locked` if the user dismissed it or
    /// left it unanswered.
    fn prompt(&self, prompt: &OwnedObjectPath) -> Result<OwnedValue, StoreError> {
        use futures_lite::StreamExt;
        let rule = MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .interface(PROMPT)
            .and_then(|r| r.member("Completed"))
            .and_then(|r| r.path(prompt.as_ref()))
            .map(|r| r.build())
            .map_err(|e| StoreError::Failed(e.to_string()))?;
        let conn = self.conn.inner();
        let completed = zbus::block_on(async {
            // Subscribed before the prompt shows, so a quick answer is not missed.
            let mut signals = zbus::MessageStream::for_match_rule(rule, conn, Some(1)).await?;
            conn.call_method(Some(DEST), prompt, Some(PROMPT), "Prompt", &("",)).await?;
            let timeout = async {
                async_io::Timer::after(PROMPT_TIMEOUT).await;
                None
            };
            futures_lite::future::or(signals.next(), timeout).await.transpose()
        })
        .map_err(map_error)?;
        let Some(completed) = completed else {
            // Nobody answered: take the prompt away.
            let _: Result<(), _> = self.call(prompt, PROMPT, "Dismiss", &());
            return Err(StoreError::Locked);
        };
        let (dismissed, result): (bool, OwnedValue) =
            completed.body().deserialize().map_err(|e| StoreError::Failed(e.to_string()))?;
        if dismissed {
            Err(StoreError::Locked)
        } else {
            Ok(result)
        }
    }

    /// An encrypted session if the service offers one, else a plain one.
    fn open_session(&self) -> Result<Session, StoreError> {
        let keys = DhKeys::generate()?;
        fn malformed<E>(_: E) -> StoreError {
            StoreError::Failed("a malformed reply to OpenSession".into())
        }
        let body = (DH, Value::from(keys.public.clone()));
        match self.raw_call(service_path(), SERVICE, "OpenSession", &body) {
            Ok(reply) => {
                let (theirs, path): (OwnedValue, OwnedObjectPath) =
                    reply.body().deserialize().map_err(malformed)?;
                let theirs = Vec::<u8>::try_from(theirs).map_err(malformed)?;
                Ok(Session { path, key: Some(keys.shared_key(&theirs)?) })
            }
            Err(zbus::Error::MethodError(name, _, _)) if name.as_str().ends_with(".NotSupported") => {
                let (_, path): (OwnedValue, OwnedObjectPath) =
                    self.call(service_path(), SERVICE, "OpenSession", &("plain", Value::from("")))?;
                Ok(Session { path, key: None })
            }
            Err(e) => Err(map_error(e)),
        }
    }
}

fn map_error(e: zbus::Error) -> StoreError {
    match &e {
        zbus::Error::MethodError(name, _, _) => {
            let name = name.as_str();
            if name.ends_with(".IsLocked") {
                StoreError::Locked
            } else if name.ends_with(".ServiceUnknown") || name.ends_with(".NameHasNoOwner") {
                StoreError::Unavailable("no Secret Service is running (gnome-keyring, KWallet…)".into())
            } else {
                StoreError::Failed(e.to_string())
            }
        }
        zbus::Error::InputOutput(_) | zbus::Error::Address(_) | zbus::Error::Handshake(_) => {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Failed(e.to_string()),
    }
}

/// An open session: the path the secrets name, and the AES key when it is encrypted.
struct Session {
    path: OwnedObjectPath,
    key: Option<[u8; 16]>,
}

impl Session {
    fn encrypt(&self, plain: &[u8]) -> Result<WireSecret, StoreError> {
        let content_type = "text/plain; charset=utf8".to_string();
        let Some(key) = &self.key else {
            return Ok((self.path.clone(), Vec::new(), plain.to_vec(), content_type));
        };
        let mut iv = [0u8; 16];
        openssl::rand::rand_bytes(&mut iv).map_err(crypto_error)?;
        let value = symm::encrypt(Cipher::aes_128_cbc(), key, Some(&iv), plain).map_err(crypto_error)?;
        Ok((self.path.clone(), iv.to_vec(), value, content_type))
    }

    fn decrypt(&self, (_, iv, value, _): WireSecret) -> Result<Vec<u8>, StoreError> {
        match &self.key {
            None => Ok(value),
            Some(key) => symm::decrypt(Cipher::aes_128_cbc(), key, Some(&iv), &value).map_err(crypto_error),
        }
    }

    fn close(self, client: &Client) {
        let _: Result<(), _> = client.call(&self.path, "org.freedesktop.Secret.Session", "Close", &());
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(key) = &mut self.key {
            key.fill(0);
        }
    }
}

fn crypto_error(e: openssl::error::ErrorStack) -> StoreError {
    StoreError::Failed(format!("the keystore session's encryption failed: {e}"))
}

/// Our half of the session's Diffie-Hellman exchange (the 1024-bit MODP group of RFC 2409, generator 2).
struct DhKeys {
    private: BigNum,
    public: Vec<u8>,
}

impl DhKeys {
    fn generate() -> Result<DhKeys, StoreError> {
        let mut bytes = [0u8; 128];
        openssl::rand::rand_bytes(&mut bytes).map_err(crypto_error)?;
        let keys = DhKeys::from_private(&bytes);
        bytes.fill(0);
        keys
    }

    /// The keys for a given private exponent (random in use; fixed in the tests' vectors). The
    /// exponent is flagged constant-time, so that OpenSSL's exponentiations with it do not leak it
    /// through their timing.
    fn from_private(bytes: &[u8]) -> Result<DhKeys, StoreError> {
        let prime = BigNum::get_rfc2409_prime_1024().map_err(crypto_error)?;
        let mut private = BigNum::from_slice(bytes).map_err(crypto_error)?;
        private.set_const_time();
        let generator = BigNum::from_u32(2).map_err(crypto_error)?;
        let mut public = BigNum::new().map_err(crypto_error)?;
        let mut ctx = BigNumContext::new().map_err(crypto_error)?;
        public.mod_exp(&generator, &private, &prime, &mut ctx).map_err(crypto_error)?;
        Ok(DhKeys { private, public: public.to_vec() })
    }

    /// The AES key both sides derive: HKDF-SHA256 (no salt, no info) of the shared secret, padded to
    /// the prime's 128 bytes.
    fn shared_key(&self, theirs: &[u8]) -> Result<[u8; 16], StoreError> {
        let prime = BigNum::get_rfc2409_prime_1024().map_err(crypto_error)?;
        let theirs = BigNum::from_slice(theirs).map_err(crypto_error)?;
        // 0, 1 and p-1 would make the shared secret guessable.
        let mut highest = prime.to_owned().map_err(crypto_error)?;
        highest.sub_word(1).map_err(crypto_error)?;
        if theirs.num_bits() <= 1 || theirs >= highest {
            return Err(StoreError::Failed("the keystore offered an unsafe session key".into()));
        }
        let mut shared = BigNum::new().map_err(crypto_error)?;
        let mut ctx = BigNumContext::new().map_err(crypto_error)?;
        shared.mod_exp(&theirs, &self.private, &prime, &mut ctx).map_err(crypto_error)?;
        let mut input = shared.to_vec_padded(128).map_err(crypto_error)?;
        shared.clear();
        let mut key = [0u8; 16];
        let derived = hkdf_sha256(&input, &mut key);
        input.fill(0);
        derived.map(|()| key)
    }
}

impl Drop for DhKeys {
    fn drop(&mut self) {
        self.private.clear();
    }
}

fn hkdf_sha256(input: &[u8], out: &mut [u8]) -> Result<(), StoreError> {
    use openssl::md::Md;
    use openssl::pkey::Id;
    use openssl::pkey_ctx::PkeyCtx;
    let mut ctx = PkeyCtx::new_id(Id::HKDF).map_err(crypto_error)?;
    ctx.derive_init().map_err(crypto_error)?;
    ctx.set_hkdf_md(Md::sha256()).map_err(crypto_error)?;
    ctx.set_hkdf_key(input).map_err(crypto_error)?;
    ctx.add_hkdf_info(&[]).map_err(crypto_error)?;
    ctx.derive(Some(out)).map_err(crypto_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_of_the_exchange_derive_the_same_key() {
        let (ours, theirs) = (DhKeys::generate().unwrap(), DhKeys::generate().unwrap());
        let key = ours.shared_key(&theirs.public).unwrap();
        assert_eq!(key, theirs.shared_key(&ours.public).unwrap());
        let session = Session { path: OwnedObjectPath::try_from("/s").unwrap(), key: Some(key) };
        let wire = session.encrypt("a secret of more than one block".as_bytes()).unwrap();
        assert_ne!(wire.2, b"a secret of more than one block");
        assert_eq!(session.decrypt(wire).unwrap(), b"a secret of more than one block");
    }

    /// A fixed vector whose shared secret begins with a zero byte: it is padded to the prime's 128
    /// bytes before the key is derived (as the Secret Service spec and gnome-keyring do), or the two
    /// sides would derive different keys one exchange in 256.
    #[test]
    fn a_shared_secret_with_a_leading_zero_is_padded_before_the_key_is_derived() {
        let ours = DhKeys::from_private(&[0x5a; 128]).unwrap();
        // The first of the service's exponents 2, 3, … whose shared secret with ours starts with 0.
        let prime = BigNum::get_rfc2409_prime_1024().unwrap();
        let mut ctx = BigNumContext::new().unwrap();
        let (theirs, shared) = (2u32..5000)
            .find_map(|b| {
                let service = DhKeys::from_private(&b.to_be_bytes()).unwrap();
                let mut shared = BigNum::new().unwrap();
                let theirs = BigNum::from_slice(&service.public).unwrap();
                shared.mod_exp(&theirs, &ours.private, &prime, &mut ctx).unwrap();
                (shared.num_bytes() < 128).then(|| (service.public.clone(), shared.to_vec()))
            })
            .expect("one in 256 exponents gives such a secret");
        assert!(shared.len() < 128);
        let key = ours.shared_key(&theirs).unwrap();
        let mut padded = vec![0u8; 128 - shared.len()];
        padded.extend_from_slice(&shared);
        let (mut from_padded, mut from_bare) = ([0u8; 16], [0u8; 16]);
        hkdf_sha256(&padded, &mut from_padded).unwrap();
        hkdf_sha256(&shared, &mut from_bare).unwrap();
        assert_eq!(key, from_padded);
        assert_ne!(key, from_bare, "the padding matters");
        assert_eq!(hex(&key), FIXED_KEY, "the key computed apart from OpenSSL");
    }

    /// The key of the vector above (the service's exponent is 234), computed apart from OpenSSL: with
    /// Python's integers (`pow`) and its `hmac` module's HKDF-SHA256 over the 128 padded bytes.
    const FIXED_KEY: &str = "7d23e006aee6cf6477f912e8638091a3";

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn a_degenerate_public_key_from_the_service_is_refused() {
        let ours = DhKeys::generate().unwrap();
        let mut p_minus_1 = BigNum::get_rfc2409_prime_1024().unwrap();
        p_minus_1.sub_word(1).unwrap();
        for theirs in
            [vec![0u8], vec![1u8], p_minus_1.to_vec(), BigNum::get_rfc2409_prime_1024().unwrap().to_vec()]
        {
            assert!(matches!(ours.shared_key(&theirs), Err(StoreError::Failed(_))));
        }
    }
}
