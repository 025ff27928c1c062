//! Encryption at rest of records (an issuer's subject records, a wallet's credentials): the
//! [`RecordKey`].
//!
//! A record key is 32 random bytes created once and kept in a file, sealed under the owner's
//! passphrase with [`SealedSecret`] (argon2id, XChaCha20-Poly1305) for a named purpose (checked
//! when opening it), mode 0600, written atomically. It never leaves memory otherwise and is
//! zeroized when dropped.
//!
//! A sealed record is `0x01 ‖ nonce (24 random bytes) ‖ XChaCha20-Poly1305 ciphertext and
//! tag`, with associated data `"crosscode-record-v1" ‖ the record's store key`: a blob copied
//! under another key does not open, nor does a modified one. Errors say what failed, never a
//! value.

use std::path::Path;

use super::{KdfParams, KeyFileError, SealedSecret};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore as _;
use rand::rngs::OsRng;
use zeroize::Zeroizing;

/// The version byte of a sealed record.
const SEALED_RECORD_VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const KEY_LEN: usize = 32;
const AAD_LABEL: &[u8] = b"crosscode-record-v1";

/// Why the record key or a sealed record could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SealingError {
    /// The key file could not be read, written or opened (wrong passphrase, modified file).
    #[error("record key file: {0}")]
    KeyFile(#[from] KeyFileError),
    /// The key file opened but holds no 32-byte key.
    #[error("the record key file holds no 32-byte key")]
    BadKeyLength,
    /// A sealed record is too short or of an unknown version.
    #[error("malformed sealed record")]
    Malformed,
    /// A sealed record does not open under this key and store key (another key, moved to
    /// another store key, or modified).
    #[error("sealed record does not authenticate (wrong key, moved or modified)")]
    Unauthentic,
    /// The operating system's random number generator failed.
    #[error("random number generator failure")]
    Randomness,
}

/// The key sealing subject records (zeroized on drop; `Debug` shows nothing of it).
pub struct RecordKey {
    key: Zeroizing<[u8; KEY_LEN]>,
}

impl std::fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordKey(..)")
    }
}

impl RecordKey {
    /// A new random key (not stored anywhere).
    pub fn generate() -> Result<RecordKey, SealingError> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        OsRng
            .try_fill_bytes(key.as_mut())
            .map_err(|_| SealingError::Randomness)?;
        Ok(RecordKey { key })
    }

    /// Opens the key sealed for `purpose` in the file `path` with `passphrase`, or, when the
    /// file does not exist (first start), creates a key and stores it there sealed with the
    /// argon2id parameters `params` ([`KdfParams::DEFAULT`] for real files; an existing file
    /// keeps its own). Of two processes creating the file at once, both end with the key of the
    /// one that wrote it first.
    pub fn open_or_create(
        path: &Path,
        purpose: &str,
        passphrase: &[u8],
        params: KdfParams,
    ) -> Result<RecordKey, SealingError> {
        if !path.exists() {
            let key = RecordKey::generate()?;
            let sealed = SealedSecret::seal(key.key.as_slice(), purpose, passphrase, params)?;
            match sealed.write_new(path) {
                Ok(()) => return Ok(key),
                // Another process created it first: use that one.
                Err(KeyFileError::Io { error, .. })
                    if error.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(err) => return Err(err.into()),
            }
        }
        RecordKey::open_file(path, purpose, passphrase)
    }

    /// Opens the key sealed for `purpose` in the existing file `path` with `passphrase`.
    pub fn open_file(
        path: &Path,
        purpose: &str,
        passphrase: &[u8],
    ) -> Result<RecordKey, SealingError> {
        let secret = SealedSecret::read(path)?.open(purpose, passphrase)?;
        let bytes: [u8; KEY_LEN] = secret
            .as_slice()
            .try_into()
            .map_err(|_| SealingError::BadKeyLength)?;
        Ok(RecordKey {
            key: Zeroizing::new(bytes),
        })
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.key.as_ref().into())
    }

    fn associated_data(table_key: &[u8]) -> Vec<u8> {
        let mut aad = Vec::with_capacity(AAD_LABEL.len() + table_key.len());
        aad.extend_from_slice(AAD_LABEL);
        aad.extend_from_slice(table_key);
        aad
    }

    /// Seals `plaintext` to be stored under `table_key`.
    pub fn seal(&self, table_key: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SealingError> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng
            .try_fill_bytes(&mut nonce)
            .map_err(|_| SealingError::Randomness)?;
        let aad = RecordKey::associated_data(table_key);
        let ciphertext = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            // Only a message beyond the cipher's limit (256 GiB) fails.
            .map_err(|_| SealingError::Malformed)?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        sealed.push(SEALED_RECORD_VERSION);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Opens what [`RecordKey::seal`] sealed under the same `table_key`.
    pub fn open(
        &self,
        table_key: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SealingError> {
        let Some((&SEALED_RECORD_VERSION, rest)) = sealed.split_first() else {
            return Err(SealingError::Malformed);
        };
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(SealingError::Malformed);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let aad = RecordKey::associated_data(table_key);
        self.cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| SealingError::Unauthentic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASS: &[u8] = b"operator passphrase";

    const PURPOSE: &str = "crosscode-test-records";

    fn key_file() -> (crosscode_testing::TempDir, std::path::PathBuf) {
        let dir = crosscode_testing::temp_dir("record-key");
        let file = dir.join("records.key");
        (dir, file)
    }

    #[test]
    fn a_sealed_record_opens_under_its_key_only() {
        let key = RecordKey::generate().unwrap();
        let sealed = key.seal(b"rec_a", b"Alice Example").unwrap();
        assert_eq!(
            key.open(b"rec_a", &sealed).unwrap().as_slice(),
            b"Alice Example"
        );
        assert!(
            !sealed
                .windows(b"Alice".len())
                .any(|window| window == b"Alice")
        );
        assert!(matches!(
            key.open(b"rec_b", &sealed),
            Err(SealingError::Unauthentic)
        ));
        let other = RecordKey::generate().unwrap();
        assert!(matches!(
            other.open(b"rec_a", &sealed),
            Err(SealingError::Unauthentic)
        ));
    }

    #[test]
    fn sealing_twice_gives_different_blobs() {
        let key = RecordKey::generate().unwrap();
        assert_ne!(
            key.seal(b"k", b"same").unwrap(),
            key.seal(b"k", b"same").unwrap()
        );
    }

    #[test]
    fn a_modified_truncated_or_unknown_version_blob_is_refused() {
        let key = RecordKey::generate().unwrap();
        let sealed = key.seal(b"k", b"value").unwrap();
        let mut modified = sealed.clone();
        *modified.last_mut().unwrap() ^= 1;
        assert!(matches!(
            key.open(b"k", &modified),
            Err(SealingError::Unauthentic)
        ));
        assert!(matches!(
            key.open(b"k", &sealed[..20]),
            Err(SealingError::Malformed)
        ));
        assert!(matches!(key.open(b"k", &[]), Err(SealingError::Malformed)));
        let mut version = sealed;
        version[0] = 2;
        assert!(matches!(
            key.open(b"k", &version),
            Err(SealingError::Malformed)
        ));
    }

    #[test]
    fn the_key_created_at_first_start_is_the_one_opened_at_the_next() {
        let (dir, file) = key_file();
        let first =
            RecordKey::open_or_create(&file, PURPOSE, PASS, KdfParams::INSECURE_FOR_TESTS).unwrap();
        let sealed = first.seal(b"k", b"value").unwrap();
        let again =
            RecordKey::open_or_create(&file, PURPOSE, PASS, KdfParams::INSECURE_FOR_TESTS).unwrap();
        assert_eq!(again.open(b"k", &sealed).unwrap().as_slice(), b"value");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let meta = std::fs::metadata(&file).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_wrong_passphrase_does_not_open_the_key_file() {
        let (dir, file) = key_file();
        RecordKey::open_or_create(&file, PURPOSE, PASS, KdfParams::INSECURE_FOR_TESTS).unwrap();
        let err = RecordKey::open_file(&file, PURPOSE, b"wrong").unwrap_err();
        assert!(matches!(
            err,
            SealingError::KeyFile(KeyFileError::WrongPassphrase)
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_key_sealed_for_another_purpose_does_not_open() {
        let (dir, file) = key_file();
        RecordKey::open_or_create(&file, PURPOSE, PASS, KdfParams::INSECURE_FOR_TESTS).unwrap();
        assert!(matches!(
            RecordKey::open_file(&file, "another-purpose", PASS),
            Err(SealingError::KeyFile(KeyFileError::Malformed { .. }))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_key_shows_nothing_in_debug() {
        let key = RecordKey::generate().unwrap();
        assert_eq!(format!("{key:?}"), "RecordKey(..)");
    }
}
