//! Holder keys: the [`Keystore`] port, the [`SoftwareKeystore`] and the [`KeystoreSigner`]
//! adapter that makes a keystore key a core [`Signer`].
//!
//! A keystore creates keys and signs with them **by handle**; the private key never leaves it
//! (a platform keystore — Android StrongBox, the iOS Secure Enclave — implements the trait
//! through FFI). The wallet makes one key per credential, so each credential has its own holder
//! `did:key` and two verifiers cannot link two presentations by the holder DID.
//!
//! What a signature is: the algorithm's plain signature over the message (Ed25519: RFC 8032,
//! 64 bytes `R ‖ S`; P-256: ECDSA with SHA-256, 64 bytes `r ‖ s` — a keystore that produces DER
//! converts with core's `keys::p256::signature_from_der`).
//!
//! The software keystore keeps each key in `DIR/<handle>.key`, a core [`KeyFile`] (argon2id +
//! XChaCha20-Poly1305 under the wallet passphrase, mode 0600); a handle is 32 lowercase hex
//! digits. Keys opened once stay in memory (zeroized on drop) until deleted. The argon2id key is
//! derived once per keystore instance and salt, not once per file: the files one instance
//! writes share its salt (each with its own nonce), so a new holder key costs an encryption,
//! not an argon2id run (core's [`SealingKey`]); each file still opens with the passphrase
//! alone.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use crosscode_core::did::DidKey;
use crosscode_core::keys::{
    KdfParams, KeyAlgorithm, KeyFile, KeyFileError, PublicKey, SealingKey, SecretKey,
    SignatureError, Signer,
};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The algorithms of holder keys (a `did:key` the OpenID4VCI proof and the CC1 COSE signature
/// accept): Ed25519, and P-256 (what the iOS Secure Enclave and Android StrongBox hold).
pub const HOLDER_ALGORITHMS: [KeyAlgorithm; 2] = [KeyAlgorithm::Ed25519, KeyAlgorithm::P256];

/// The name of a key inside its keystore (opaque to the wallet; plain text for FFI).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyHandle(pub String);

impl KeyHandle {
    /// The handle's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a keystore operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeystoreError {
    /// The keystore does not make keys of this algorithm.
    #[error("the keystore does not make {0} keys")]
    UnsupportedAlgorithm(KeyAlgorithm),
    /// No key has this handle.
    #[error("no key has handle {0:?}")]
    UnknownKey(String),
    /// The passphrase does not open the key.
    #[error("wrong passphrase (or the key file was modified)")]
    WrongPassphrase,
    /// The stored key is unreadable.
    #[error("key {handle:?} is corrupted: {reason}")]
    Corrupted {
        /// The key's handle.
        handle: String,
        /// What is wrong.
        reason: String,
    },
    /// Reading or writing the keystore failed.
    #[error("keystore I/O: {0}")]
    Io(String),
    /// The platform keystore failed (what it reported: a cancelled biometric prompt, a
    /// hardware error, an exception of the foreign implementation).
    #[error("the platform keystore failed: {0}")]
    Platform(String),
}

/// Creates holder keys and signs with them by handle; the private keys never leave it.
pub trait Keystore: Send + Sync {
    /// Creates a key of `algorithm` and answers its handle.
    fn generate(&self, algorithm: KeyAlgorithm) -> Result<KeyHandle, KeystoreError>;

    /// The public key of `handle`.
    fn public_key(&self, handle: &KeyHandle) -> Result<PublicKey, KeystoreError>;

    /// Signs `message` with `handle` (see the module documentation for the signature format).
    fn sign(&self, handle: &KeyHandle, message: &[u8]) -> Result<Vec<u8>, KeystoreError>;

    /// Deletes the key of `handle`.
    fn delete(&self, handle: &KeyHandle) -> Result<(), KeystoreError>;
}

/// The default keystore: key files encrypted under the wallet passphrase in one directory.
pub struct SoftwareKeystore {
    dir: PathBuf,
    passphrase: Zeroizing<Vec<u8>>,
    kdf: KdfParams,
    opened: Mutex<HashMap<String, Arc<SecretKey>>>,
    /// The key new key files are sealed with, derived at the first `generate`.
    sealing: Mutex<Option<Arc<SealingKey>>>,
    /// Keys derived to open key files, one per salt met.
    derived: Mutex<Vec<Arc<SealingKey>>>,
}

impl std::fmt::Debug for SoftwareKeystore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareKeystore")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl SoftwareKeystore {
    /// The keystore in `dir` (created if missing), new keys sealed with the default argon2id
    /// parameters.
    pub fn open(dir: &Path, passphrase: &[u8]) -> Result<SoftwareKeystore, KeystoreError> {
        SoftwareKeystore::open_with_kdf(dir, passphrase, KdfParams::DEFAULT)
    }

    /// [`SoftwareKeystore::open`] with explicit argon2id parameters for new keys (tests use
    /// [`KdfParams::INSECURE_FOR_TESTS`]).
    pub fn open_with_kdf(
        dir: &Path,
        passphrase: &[u8],
        kdf: KdfParams,
    ) -> Result<SoftwareKeystore, KeystoreError> {
        std::fs::create_dir_all(dir).map_err(|err| KeystoreError::Io(err.to_string()))?;
        Ok(SoftwareKeystore {
            dir: dir.to_owned(),
            passphrase: Zeroizing::new(passphrase.to_vec()),
            kdf,
            opened: Mutex::new(HashMap::new()),
            sealing: Mutex::new(None),
            derived: Mutex::new(Vec::new()),
        })
    }

    fn path(&self, handle: &KeyHandle) -> Result<PathBuf, KeystoreError> {
        let valid = handle.0.len() == 32
            && handle
                .0
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !valid {
            return Err(KeystoreError::UnknownKey(
                handle.0.chars().take(64).collect(),
            ));
        }
        Ok(self.dir.join(format!("{}.key", handle.0)))
    }

    fn read(&self, handle: &KeyHandle) -> Result<KeyFile, KeystoreError> {
        let path = self.path(handle)?;
        if !path.exists() {
            return Err(KeystoreError::UnknownKey(handle.0.clone()));
        }
        KeyFile::read(&path).map_err(|err| key_file_error(handle, err))
    }

    fn secret(&self, handle: &KeyHandle) -> Result<Arc<SecretKey>, KeystoreError> {
        if let Some(key) = self.cache().get(&handle.0) {
            return Ok(key.clone());
        }
        let file = self.read(handle)?;
        let sealing = self
            .opening_key(&file)
            .map_err(|err| key_file_error(handle, err))?;
        let key = Arc::new(
            file.open_with_key(&sealing)
                .map_err(|err| key_file_error(handle, err))?,
        );
        self.cache().insert(handle.0.clone(), key.clone());
        Ok(key)
    }

    /// The key that opens `file`: one derived before for its salt, or derived now (one
    /// argon2id run per salt: the files this keystore writes share one).
    /// No lock is held while argon2id runs (two first uses of one salt may both derive it).
    fn opening_key(&self, file: &KeyFile) -> Result<Arc<SealingKey>, KeyFileError> {
        if let Some(key) = self.derived().iter().find(|key| key.fits(file)) {
            return Ok(key.clone());
        }
        let key = Arc::new(SealingKey::for_file(file, &self.passphrase)?);
        self.derived().push(key.clone());
        Ok(key)
    }

    /// The key new key files are sealed with (derived at the first use; no lock is held while
    /// argon2id runs, and the first key stored wins).
    fn sealing_key(&self) -> Result<Arc<SealingKey>, KeyFileError> {
        let current = self
            .sealing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(key) = current {
            return Ok(key);
        }
        let derived = Arc::new(SealingKey::derive(&self.passphrase, self.kdf)?);
        let mut sealing = self.sealing.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(key) = sealing.as_ref() {
            return Ok(key.clone());
        }
        *sealing = Some(derived.clone());
        drop(sealing);
        self.derived().push(derived.clone());
        Ok(derived)
    }

    fn derived(&self) -> std::sync::MutexGuard<'_, Vec<Arc<SealingKey>>> {
        self.derived.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<SecretKey>>> {
        self.opened.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn key_file_error(handle: &KeyHandle, err: KeyFileError) -> KeystoreError {
    match err {
        KeyFileError::WrongPassphrase => KeystoreError::WrongPassphrase,
        KeyFileError::Io { error, .. } => KeystoreError::Io(error.to_string()),
        other => KeystoreError::Corrupted {
            handle: handle.0.clone(),
            reason: other.to_string(),
        },
    }
}

impl Keystore for SoftwareKeystore {
    fn generate(&self, algorithm: KeyAlgorithm) -> Result<KeyHandle, KeystoreError> {
        if !HOLDER_ALGORITHMS.contains(&algorithm) {
            return Err(KeystoreError::UnsupportedAlgorithm(algorithm));
        }
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng
            .try_fill_bytes(&mut bytes)
            .map_err(|err| KeystoreError::Platform(err.to_string()))?;
        let handle = KeyHandle(hex::encode(bytes));
        let key = SecretKey::generate(algorithm);
        let file = self
            .sealing_key()
            .and_then(|sealing| KeyFile::seal_with_key(&key, &sealing))
            .map_err(|err| key_file_error(&handle, err))?;
        file.write(self.path(&handle)?)
            .map_err(|err| key_file_error(&handle, err))?;
        self.cache().insert(handle.0.clone(), Arc::new(key));
        Ok(handle)
    }

    fn public_key(&self, handle: &KeyHandle) -> Result<PublicKey, KeystoreError> {
        if let Some(key) = self.cache().get(&handle.0) {
            return Ok(key.public_key());
        }
        let did = self
            .read(handle)?
            .did_key()
            .map_err(|err| key_file_error(handle, err))?;
        Ok(did.public_key().clone())
    }

    fn sign(&self, handle: &KeyHandle, message: &[u8]) -> Result<Vec<u8>, KeystoreError> {
        self.secret(handle)?
            .sign(message)
            .map_err(|err| KeystoreError::Platform(err.to_string()))
    }

    fn delete(&self, handle: &KeyHandle) -> Result<(), KeystoreError> {
        let path = self.path(handle)?;
        self.cache().remove(&handle.0);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                Err(KeystoreError::UnknownKey(handle.0.clone()))
            }
            Err(err) => Err(KeystoreError::Io(err.to_string())),
        }
    }
}

/// A keystore key as a core [`Signer`], so core's builders (proof JWT, COSE envelope) sign
/// through the keystore. A keystore failure reaches core as
/// [`SignatureError::SignerFailed`]; [`KeystoreSigner::take_error`] gives the typed
/// [`KeystoreError`] back.
pub struct KeystoreSigner<'a> {
    keystore: &'a dyn Keystore,
    handle: KeyHandle,
    public_key: PublicKey,
    last_error: Mutex<Option<KeystoreError>>,
}

impl<'a> KeystoreSigner<'a> {
    /// The signer of `handle` in `keystore` (its public key is read once).
    pub fn new(
        keystore: &'a dyn Keystore,
        handle: KeyHandle,
    ) -> Result<KeystoreSigner<'a>, KeystoreError> {
        let public_key = keystore.public_key(&handle)?;
        Ok(KeystoreSigner {
            keystore,
            handle,
            public_key,
            last_error: Mutex::new(None),
        })
    }

    /// The key's `did:key`.
    pub fn did_key(&self) -> DidKey {
        DidKey::from_public_key(&self.public_key)
    }

    /// The keystore error of the last failed signature, if any (taken).
    pub fn take_error(&self) -> Option<KeystoreError> {
        self.last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

impl Signer for KeystoreSigner<'_> {
    fn public_key(&self) -> PublicKey {
        self.public_key.clone()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        self.keystore.sign(&self.handle, message).map_err(|err| {
            let reason = err.to_string();
            *self
                .last_error
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(err);
            SignatureError::SignerFailed { reason }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keystore(label: &str) -> (crosscode_testing::TempDir, SoftwareKeystore) {
        let dir = crosscode_testing::temp_dir(label);
        let keystore =
            SoftwareKeystore::open_with_kdf(&dir, b"pass", KdfParams::INSECURE_FOR_TESTS).unwrap();
        (dir, keystore)
    }

    #[test]
    fn a_generated_key_signs_after_a_reopen_and_is_gone_after_delete() {
        let (dir, keystore) = keystore("keystore-reopen");
        let handle = keystore.generate(KeyAlgorithm::Ed25519).unwrap();
        let public = keystore.public_key(&handle).unwrap();
        let reopened =
            SoftwareKeystore::open_with_kdf(&dir, b"pass", KdfParams::INSECURE_FOR_TESTS).unwrap();
        assert_eq!(reopened.public_key(&handle).unwrap(), public);
        let signature = reopened.sign(&handle, b"slot 60000000").unwrap();
        public.verify(b"slot 60000000", &signature).unwrap();
        reopened.delete(&handle).unwrap();
        assert_eq!(
            reopened.sign(&handle, b"m"),
            Err(KeystoreError::UnknownKey(handle.0.clone()))
        );
        assert_eq!(
            reopened.delete(&handle),
            Err(KeystoreError::UnknownKey(handle.0.clone()))
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_keys_of_one_keystore_share_one_salt_and_a_reopened_keystore_signs_with_each() {
        let (dir, keystore) = keystore("keystore-one-salt");
        let handles: Vec<KeyHandle> = [KeyAlgorithm::Ed25519, KeyAlgorithm::P256]
            .into_iter()
            .map(|algorithm| keystore.generate(algorithm).unwrap())
            .collect();
        let salts: Vec<String> = handles
            .iter()
            .map(|handle| {
                let file: serde_json::Value =
                    serde_json::from_str(&keystore.read(handle).unwrap().to_json()).unwrap();
                file["kdf"]["salt"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(salts[0], salts[1]);
        let reopened =
            SoftwareKeystore::open_with_kdf(&dir, b"pass", KdfParams::INSECURE_FOR_TESTS).unwrap();
        for handle in &handles {
            let signature = reopened.sign(handle, b"m").unwrap();
            let public = reopened.public_key(handle).unwrap();
            public.verify(b"m", &signature).unwrap();
        }
        // The reopened keystore derived one key for that salt, and seals new keys under its own.
        assert_eq!(reopened.derived.lock().unwrap().len(), 1);
        reopened.generate(KeyAlgorithm::Ed25519).unwrap();
        assert_eq!(reopened.derived.lock().unwrap().len(), 2);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_key_file_sealed_on_its_own_salt_still_opens_and_signs() {
        let (dir, keystore) = keystore("keystore-own-salt");
        let key = SecretKey::generate(KeyAlgorithm::Ed25519);
        let handle = KeyHandle("0123456789abcdef0123456789abcdef".into());
        KeyFile::seal_with_params(&key, b"pass", KdfParams::INSECURE_FOR_TESTS)
            .unwrap()
            .write(dir.join(format!("{}.key", handle.0)))
            .unwrap();
        let signature = keystore.sign(&handle, b"m").unwrap();
        key.public_key().verify(b"m", &signature).unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_wrong_passphrase_an_odd_handle_and_an_unsupported_algorithm_are_typed() {
        let (dir, keystore) = keystore("keystore-errors");
        let handle = keystore.generate(KeyAlgorithm::Ed25519).unwrap();
        let wrong =
            SoftwareKeystore::open_with_kdf(&dir, b"wrong", KdfParams::INSECURE_FOR_TESTS).unwrap();
        assert_eq!(
            wrong.sign(&handle, b"m"),
            Err(KeystoreError::WrongPassphrase)
        );
        assert!(matches!(
            keystore.sign(&KeyHandle("../../etc/passwd".into()), b"m"),
            Err(KeystoreError::UnknownKey(_))
        ));
        assert_eq!(
            keystore.generate(KeyAlgorithm::Bls12381G2),
            Err(KeystoreError::UnsupportedAlgorithm(
                KeyAlgorithm::Bls12381G2
            ))
        );
        std::fs::write(dir.join(format!("{}.key", handle.0)), b"{not json").unwrap();
        assert!(matches!(
            wrong.public_key(&handle),
            Err(KeystoreError::Corrupted { .. })
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_keystore_key_signs_as_a_core_signer() {
        let (dir, keystore) = keystore("keystore-signer");
        let handle = keystore.generate(KeyAlgorithm::Ed25519).unwrap();
        let signer = KeystoreSigner::new(&keystore, handle.clone()).unwrap();
        let signature = Signer::sign(&signer, b"m").unwrap();
        signer.public_key().verify(b"m", &signature).unwrap();
        keystore.delete(&handle).unwrap();
        assert!(matches!(
            Signer::sign(&signer, b"m"),
            Err(SignatureError::SignerFailed { .. })
        ));
        assert_eq!(
            signer.take_error(),
            Some(KeystoreError::UnknownKey(handle.0))
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
