//! Linux: the Secret Service (GNOME Keyring, KWallet, KeePassXC), through our client (`secret_service.rs`).

use atom_core::{Secret, SecretStore, StoreError};

use super::{secret_service, service, OsKeystore};

fn key<'a>(namespace: &str, account: &'a str) -> secret_service::Key<'a> {
    secret_service::Key { service: service(namespace), username: account }
}

impl SecretStore for OsKeystore {
    fn get(&self, namespace: &str, account: &str) -> Result<Option<Secret>, StoreError> {
        secret_service::get(&key(namespace, account))
    }

    fn set(&self, namespace: &str, account: &str, secret: &Secret) -> Result<(), StoreError> {
        let label = format!("ATOM Marketplace: {account} ({namespace})");
        secret_service::set(&key(namespace, account), &label, secret)
    }

    fn delete(&self, namespace: &str, account: &str) -> Result<(), StoreError> {
        secret_service::delete(&key(namespace, account))
    }

    fn kind(&self) -> &'static str {
        "Secret Service"
    }
}
