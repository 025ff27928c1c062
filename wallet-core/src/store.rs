//! The credential store: every credential the wallet holds, encrypted at rest, one file each,
//! written atomically.
//!
//! Layout of the wallet directory:
//!
//! ```text
//! DIR/wallet.key                 the record key, sealed under the passphrase (core SealedSecret,
//!                                purpose "crosscode-wallet-credentials", mode 0600)
//! DIR/credentials/<id>.cred      one credential: core RecordKey::seal(store key, JSON)
//! DIR/credentials/<id>.cred.tmp  a write in progress (ignored and removed when opening)
//! ```
//!
//! `<id>` is the wallet's id of the credential, 32 lowercase hex digits; the store key (the
//! associated data of the sealing) is `wallet-credential/<id>`, so a file renamed to another id
//! does not open. A sealed file is `0x01 ‖ nonce ‖ XChaCha20-Poly1305(JSON of
//! [`StoredCredential`])`.
//!
//! **Atomic writes**: the new content goes to `<id>.cred.tmp`, is synced, renamed over
//! `<id>.cred`, and the directory is synced; a process killed at any point leaves either the
//! previous file or the new one, never a mix, and never touches another credential.

use std::path::{Path, PathBuf};

use crosscode_core::anchor::AnchorReceipt;
use crosscode_core::keys::{KdfParams, KeyFileError, RecordKey, SealingError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::keystore::KeyHandle;

/// The record key's file in the wallet directory.
pub const WALLET_KEY_FILE: &str = "wallet.key";
/// The purpose the record key is sealed for.
pub const WALLET_KEY_PURPOSE: &str = "crosscode-wallet-credentials";
/// The directory of the credential files.
pub const CREDENTIALS_DIR: &str = "credentials";
const EXTENSION: &str = "cred";
const TEMP_SUFFIX: &str = ".cred.tmp";

/// What the wallet keeps about one credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredCredential {
    /// The wallet's id of the credential (32 lowercase hex digits).
    pub id: String,
    /// The credential as issued (W3C VC JSON with its proofs).
    pub credential: Value,
    /// The holder key the credential is bound to.
    pub key_handle: KeyHandle,
    /// The holder's `did:key` (the credential subject's `id`).
    pub holder_did: String,
    /// The issuer's DID.
    pub issuer: String,
    /// The credential's types (`VerifiableCredential`, `HealthCode`, …).
    pub types: Vec<String>,
    /// When the wallet received it (Unix seconds).
    pub received_at: i64,
    /// The issuer's verification methods the proofs name, as a trust-cache JSON object (what a
    /// presentation derives against, offline).
    pub issuer_keys: Value,
    /// The status check on arrival.
    pub status: StatusCheck,
    /// The credential's anchor receipt, when the issuer gave one (what a conversion request
    /// shows to prove the credential anchored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<AnchorReceipt>,
}

/// The outcome of the status check on arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StatusCheck {
    /// Every status list was fetched, verified, and had the credential's bit clear.
    Good,
    /// A status list could not be fetched (offline): not checked.
    Unreachable,
    /// The credential has no status entries.
    NoStatus,
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The passphrase does not open the wallet (or its key file was modified).
    #[error("wrong passphrase (or the wallet key file was modified)")]
    WrongPassphrase,
    /// The wallet key file is unreadable.
    #[error("the wallet key file is corrupted: {0}")]
    CorruptedKeyFile(String),
    /// No credential has this id.
    #[error("no credential has id {0:?}")]
    NotFound(String),
    /// A credential file does not open (modified, truncated, or from another wallet).
    #[error("credential {id} is corrupted: {reason}")]
    Corrupted {
        /// The credential's id.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// Reading or writing the store failed.
    #[error("wallet store I/O: {0}")]
    Io(String),
}

fn io(err: std::io::Error) -> StoreError {
    StoreError::Io(err.to_string())
}

/// The encrypted credential store of one wallet directory.
#[derive(Debug)]
pub struct CredentialStore {
    dir: PathBuf,
    key: RecordKey,
}

impl CredentialStore {
    /// Opens the store in `dir` with `passphrase`, creating it (and its record key, sealed
    /// with `kdf`) on first use; removes writes a crash left unfinished.
    pub fn open(
        dir: &Path,
        passphrase: &[u8],
        kdf: KdfParams,
    ) -> Result<CredentialStore, StoreError> {
        let credentials = dir.join(CREDENTIALS_DIR);
        std::fs::create_dir_all(&credentials).map_err(io)?;
        let key = RecordKey::open_or_create(
            &dir.join(WALLET_KEY_FILE),
            WALLET_KEY_PURPOSE,
            passphrase,
            kdf,
        )
        .map_err(|err| match err {
            SealingError::KeyFile(KeyFileError::WrongPassphrase) => StoreError::WrongPassphrase,
            SealingError::KeyFile(KeyFileError::Io { error, .. }) => io(error),
            other => StoreError::CorruptedKeyFile(other.to_string()),
        })?;
        for entry in std::fs::read_dir(&credentials).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.to_string_lossy().ends_with(TEMP_SUFFIX) {
                std::fs::remove_file(&path).map_err(io)?;
            }
        }
        Ok(CredentialStore {
            dir: credentials,
            key,
        })
    }

    /// A fresh credential id.
    pub fn new_id() -> String {
        use rand::RngCore as _;
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        hex::encode(bytes)
    }

    fn path(&self, id: &str) -> Result<PathBuf, StoreError> {
        let valid = id.len() == 32
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !valid {
            return Err(StoreError::NotFound(id.chars().take(64).collect()));
        }
        Ok(self.dir.join(format!("{id}.{EXTENSION}")))
    }

    fn store_key(id: &str) -> Vec<u8> {
        format!("wallet-credential/{id}").into_bytes()
    }

    /// Writes `credential` (a new one, or a new version of one) atomically.
    pub fn put(&self, credential: &StoredCredential) -> Result<(), StoreError> {
        use std::io::Write as _;
        let path = self.path(&credential.id)?;
        let json = serde_json::to_vec(credential).map_err(|err| StoreError::Io(err.to_string()))?;
        let sealed = self
            .key
            .seal(&Self::store_key(&credential.id), &json)
            .map_err(|err| StoreError::Io(err.to_string()))?;
        let temp = self.dir.join(format!("{}{TEMP_SUFFIX}", credential.id));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(&temp).map_err(io)?;
        file.write_all(&sealed).map_err(io)?;
        file.sync_all().map_err(io)?;
        drop(file);
        std::fs::rename(&temp, &path).map_err(io)?;
        std::fs::File::open(&self.dir)
            .and_then(|dir| dir.sync_all())
            .map_err(io)
    }

    /// The credential `id`.
    pub fn get(&self, id: &str) -> Result<StoredCredential, StoreError> {
        let path = self.path(id)?;
        let sealed = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotFound(id.to_owned()));
            }
            Err(err) => return Err(io(err)),
        };
        let corrupted = |reason: String| StoreError::Corrupted {
            id: id.to_owned(),
            reason,
        };
        let json = self
            .key
            .open(&Self::store_key(id), &sealed)
            .map_err(|err| corrupted(err.to_string()))?;
        let credential: StoredCredential =
            serde_json::from_slice(&json).map_err(|err| corrupted(err.to_string()))?;
        if credential.id != id {
            return Err(corrupted("the file holds another credential".to_owned()));
        }
        Ok(credential)
    }

    /// The ids of the stored credentials, sorted.
    pub fn ids(&self) -> Result<Vec<String>, StoreError> {
        let mut ids = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.extension().and_then(|ext| ext.to_str()) != Some(EXTENSION) {
                continue;
            }
            if let Some(id) = path.file_stem().and_then(|stem| stem.to_str())
                && self.path(id).is_ok()
            {
                ids.push(id.to_owned());
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Every stored credential (oldest first); a corrupted file is an error naming it.
    pub fn list(&self) -> Result<Vec<StoredCredential>, StoreError> {
        let mut credentials = self
            .ids()?
            .iter()
            .map(|id| self.get(id))
            .collect::<Result<Vec<_>, _>>()?;
        credentials.sort_by(|a, b| a.received_at.cmp(&b.received_at).then(a.id.cmp(&b.id)));
        Ok(credentials)
    }

    /// Deletes the credential `id` (also a corrupted one).
    pub fn delete(&self, id: &str) -> Result<(), StoreError> {
        let path = self.path(id)?;
        match std::fs::remove_file(&path) {
            Ok(()) => std::fs::File::open(&self.dir)
                .and_then(|dir| dir.sync_all())
                .map_err(io),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                Err(StoreError::NotFound(id.to_owned()))
            }
            Err(err) => Err(io(err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PASS: &[u8] = b"wallet passphrase";

    fn open(dir: &Path) -> CredentialStore {
        CredentialStore::open(dir, PASS, KdfParams::INSECURE_FOR_TESTS).unwrap()
    }

    fn credential(name: &str, at: i64) -> StoredCredential {
        StoredCredential {
            id: CredentialStore::new_id(),
            credential: json!({"credentialSubject": {"name": name}}),
            key_handle: KeyHandle("00".repeat(16)),
            holder_did: "did:key:z6Mk".into(),
            issuer: "did:crosscode:dev:x".into(),
            types: vec!["VerifiableCredential".into(), "HealthCode".into()],
            received_at: at,
            issuer_keys: json!({"verificationMethods": {}}),
            status: StatusCheck::Good,
            anchor: None,
        }
    }

    #[test]
    fn credentials_are_listed_read_and_deleted_and_never_stored_in_clear() {
        let dir = crosscode_testing::temp_dir("wallet-store");
        let store = open(&dir);
        let a = credential("Chan Tai Man", 1);
        let b = credential("Ho Siu Ling", 2);
        store.put(&b).unwrap();
        store.put(&a).unwrap();
        assert_eq!(store.list().unwrap(), vec![a.clone(), b.clone()]);
        assert_eq!(store.get(&a.id).unwrap(), a);
        for entry in std::fs::read_dir(dir.join(CREDENTIALS_DIR)).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(!bytes.windows(4).any(|w| w == b"Chan"));
        }
        store.delete(&a.id).unwrap();
        assert!(matches!(store.get(&a.id), Err(StoreError::NotFound(_))));
        assert!(matches!(store.delete(&a.id), Err(StoreError::NotFound(_))));
        assert!(matches!(
            store.get("../wallet"),
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(open(&dir).list().unwrap(), vec![b]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_wrong_passphrase_and_a_corrupted_file_are_typed_errors() {
        let dir = crosscode_testing::temp_dir("wallet-store-errors");
        let store = open(&dir);
        let a = credential("Chan Tai Man", 1);
        store.put(&a).unwrap();
        assert!(matches!(
            CredentialStore::open(&dir, b"wrong", KdfParams::INSECURE_FOR_TESTS),
            Err(StoreError::WrongPassphrase)
        ));
        let path = dir.join(CREDENTIALS_DIR).join(format!("{}.cred", a.id));
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(
            store.get(&a.id),
            Err(StoreError::Corrupted { .. })
        ));
        assert!(matches!(store.list(), Err(StoreError::Corrupted { .. })));
        // A file copied under another id does not open either.
        let b = credential("Ho Siu Ling", 2);
        store.put(&b).unwrap();
        let other = CredentialStore::new_id();
        std::fs::copy(
            dir.join(CREDENTIALS_DIR).join(format!("{}.cred", b.id)),
            dir.join(CREDENTIALS_DIR).join(format!("{other}.cred")),
        )
        .unwrap();
        assert!(matches!(
            store.get(&other),
            Err(StoreError::Corrupted { .. })
        ));
        // A corrupted credential can still be deleted.
        store.delete(&a.id).unwrap();
        std::fs::write(dir.join(WALLET_KEY_FILE), b"{").unwrap();
        assert!(matches!(
            CredentialStore::open(&dir, PASS, KdfParams::INSECURE_FOR_TESTS),
            Err(StoreError::CorruptedKeyFile(_))
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_crash_mid_write_loses_nothing_stored_before() {
        let dir = crosscode_testing::temp_dir("wallet-store-crash");
        let store = open(&dir);
        let a = credential("Chan Tai Man", 1);
        let b = credential("Ho Siu Ling", 2);
        store.put(&a).unwrap();
        store.put(&b).unwrap();
        // The process died while writing a new credential (a truncated temp file) and while
        // rewriting `a` (half of its new sealed bytes in the temp file, never renamed).
        let credentials = dir.join(CREDENTIALS_DIR);
        let c = credential("Lei Ka Wai", 3);
        std::fs::write(credentials.join(format!("{}.cred.tmp", c.id)), b"\x01\x02").unwrap();
        let a_file = std::fs::read(credentials.join(format!("{}.cred", a.id))).unwrap();
        std::fs::write(
            credentials.join(format!("{}.cred.tmp", a.id)),
            &a_file[..a_file.len() / 2],
        )
        .unwrap();
        drop(store);
        let store = open(&dir);
        assert_eq!(store.list().unwrap(), vec![a.clone(), b]);
        assert!(matches!(store.get(&c.id), Err(StoreError::NotFound(_))));
        // The leftovers are gone and the next write of `a` works.
        assert_eq!(std::fs::read_dir(&credentials).unwrap().count(), 2);
        let mut newer = a.clone();
        newer.status = StatusCheck::Unreachable;
        store.put(&newer).unwrap();
        assert_eq!(store.get(&a.id).unwrap(), newer);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
