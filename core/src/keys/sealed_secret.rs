//! Passphrase-sealed secret bytes: the key file's scheme ([`super::KeyFile`]: argon2id, then
//! XChaCha20-Poly1305) for a secret that is not a signing key — e.g. the issuer's record
//! encryption key.
//!
//! A sealed secret is JSON:
//!
//! ```json
//! {
//!   "version": 1,
//!   "purpose": "crosscode-issuer-records",
//!   "kdf": { "name": "argon2id", "version": 19, "memoryKib": 65536, "iterations": 3,
//!            "parallelism": 1, "salt": "<base64url, 16 bytes>" },
//!   "cipher": { "name": "xchacha20poly1305", "nonce": "<base64url, 24 bytes>" },
//!   "ciphertext": "<base64url: the secret + 16-byte tag>"
//! }
//! ```
//!
//! The header (version, purpose, KDF parameters, cipher) is the associated data, so a header
//! edit is detected; the purpose names what the secret is for, and opening checks it, so a
//! secret sealed for one use is not taken for another.

use std::path::Path;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::key_file::{
    CipherSection, KdfSection, MAX_FILE_LEN, decrypt, encrypt, malformed, new_sections,
};
use super::{KdfParams, KeyFileError};

/// The sealed-secret format version this code writes and reads.
pub const SEALED_SECRET_VERSION: u32 = 1;
/// Largest secret [`SealedSecret::open`] accepts (ciphertext bytes, tag included).
const MAX_CIPHERTEXT_LEN: usize = 4096;

/// Secret bytes sealed under a passphrase (see the module documentation for the format).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SealedSecret {
    version: u64,
    purpose: String,
    kdf: KdfSection,
    cipher: CipherSection,
    ciphertext: String,
}

impl SealedSecret {
    /// Seals `secret` for `purpose` under `passphrase` with argon2id parameters `params`
    /// ([`KdfParams::DEFAULT`] for real files).
    pub fn seal(
        secret: &[u8],
        purpose: &str,
        passphrase: &[u8],
        params: KdfParams,
    ) -> Result<SealedSecret, KeyFileError> {
        let (kdf, cipher) = new_sections(params)?;
        let mut sealed = SealedSecret {
            version: u64::from(SEALED_SECRET_VERSION),
            purpose: purpose.to_owned(),
            kdf,
            cipher,
            ciphertext: String::new(),
        };
        sealed.ciphertext = encrypt(
            &sealed.kdf,
            &sealed.cipher,
            passphrase,
            secret,
            &sealed.associated_data(),
        )?;
        Ok(sealed)
    }

    /// Opens the secret with `passphrase`; `purpose` must be the one it was sealed for.
    pub fn open(
        &self,
        purpose: &str,
        passphrase: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, KeyFileError> {
        if self.version != u64::from(SEALED_SECRET_VERSION) {
            return Err(KeyFileError::UnsupportedVersion {
                version: self.version,
            });
        }
        if self.purpose != purpose {
            return Err(malformed(format!(
                "sealed for {:?}, not {purpose:?}",
                self.purpose.chars().take(64).collect::<String>()
            )));
        }
        decrypt(
            &self.kdf,
            &self.cipher,
            passphrase,
            &self.ciphertext,
            &self.associated_data(),
            MAX_CIPHERTEXT_LEN,
        )
    }

    /// What the secret is for (as stored; [`SealedSecret::open`] checks it).
    pub fn purpose(&self) -> &str {
        &self.purpose
    }

    /// The argon2id parameters stored in the file.
    pub fn kdf(&self) -> KdfParams {
        self.kdf.params()
    }

    /// The associated data bound to the ciphertext: every header field, length-prefixed.
    fn associated_data(&self) -> Vec<u8> {
        let mut out = b"crosscode-sealed-secret".to_vec();
        let fields: [&[u8]; 8] = [
            &self.version.to_be_bytes(),
            self.purpose.as_bytes(),
            self.kdf.name.as_bytes(),
            &self.kdf.version.to_be_bytes(),
            &self.kdf.memory_kib.to_be_bytes(),
            &self.kdf.iterations.to_be_bytes(),
            &self.kdf.parallelism.to_be_bytes(),
            self.cipher.name.as_bytes(),
        ];
        for field in fields {
            out.extend_from_slice(&(field.len() as u64).to_be_bytes());
            out.extend_from_slice(field);
        }
        out
    }

    /// Parses a sealed secret from JSON text.
    pub fn from_json(text: &str) -> Result<SealedSecret, KeyFileError> {
        serde_json::from_str(text).map_err(|err| malformed(err.to_string()))
    }

    /// The sealed secret as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Serializing plain strings and integers cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads and parses a sealed secret file.
    pub fn read(path: impl AsRef<Path>) -> Result<SealedSecret, KeyFileError> {
        let path = path.as_ref();
        let io = |error| KeyFileError::Io {
            path: path.display().to_string(),
            error,
        };
        let len = std::fs::metadata(path).map_err(io)?.len();
        if len > MAX_FILE_LEN {
            return Err(malformed(format!("file too large ({len} bytes)")));
        }
        SealedSecret::from_json(&std::fs::read_to_string(path).map_err(io)?)
    }

    /// Writes the sealed secret to `path` atomically, refusing to replace an existing file
    /// (an `Io` error of kind `AlreadyExists`): the JSON goes to a temporary file beside it
    /// (mode 0600 on Unix), is synced, and is then linked to `path` in one step, so a crash
    /// leaves either no file or the whole file, and of two processes creating it at once one
    /// fails instead of overwriting the other's secret.
    pub fn write_new(&self, path: impl AsRef<Path>) -> Result<(), KeyFileError> {
        use std::io::Write as _;
        let path = path.as_ref();
        let io = |error| KeyFileError::Io {
            path: path.display().to_string(),
            error,
        };
        let mut temp_name = path.as_os_str().to_owned();
        temp_name.push(format!(".tmp-{}", std::process::id()));
        let temp = Path::new(&temp_name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let written = (|| {
            let mut file = options.open(temp)?;
            file.write_all(self.to_json().as_bytes())?;
            file.write_all(b"\n")?;
            file.sync_all()?;
            std::fs::hard_link(temp, path)
        })();
        let _ = std::fs::remove_file(temp);
        written.map_err(io)?;
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::File::open(dir)
                .and_then(|dir| dir.sync_all())
                .map_err(io)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PURPOSE: &str = "crosscode-test";

    fn sealed() -> SealedSecret {
        SealedSecret::seal(
            b"secret bytes",
            PURPOSE,
            b"pass",
            KdfParams::INSECURE_FOR_TESTS,
        )
        .unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_with_its_passphrase_and_purpose() {
        let text = sealed().to_json();
        let parsed = SealedSecret::from_json(&text).unwrap();
        assert_eq!(parsed.purpose(), PURPOSE);
        assert_eq!(parsed.kdf(), KdfParams::INSECURE_FOR_TESTS);
        assert_eq!(
            parsed.open(PURPOSE, b"pass").unwrap().as_slice(),
            b"secret bytes"
        );
        assert!(!text.contains("secret bytes"));
    }

    #[test]
    fn a_wrong_passphrase_is_refused() {
        assert!(matches!(
            sealed().open(PURPOSE, b"other"),
            Err(KeyFileError::WrongPassphrase)
        ));
    }

    #[test]
    fn a_secret_sealed_for_another_purpose_is_refused() {
        assert!(matches!(
            sealed().open("crosscode-other", b"pass"),
            Err(KeyFileError::Malformed { .. })
        ));
    }

    #[test]
    fn an_edited_header_is_detected() {
        let mut edited = sealed();
        edited.kdf.iterations += 1;
        assert!(matches!(
            edited.open(PURPOSE, b"pass"),
            Err(KeyFileError::WrongPassphrase)
        ));
        let mut edited = sealed();
        edited.version = 2;
        assert!(matches!(
            edited.open(PURPOSE, b"pass"),
            Err(KeyFileError::UnsupportedVersion { version: 2 })
        ));
    }

    #[test]
    fn write_new_creates_a_private_file_once_and_never_replaces_it() {
        let dir = crosscode_testing::temp_dir("sealed-secret");
        let path = dir.join("records.key");
        let first = sealed();
        first.write_new(&path).unwrap();
        let err = sealed().write_new(&path).unwrap_err();
        assert!(matches!(
            err,
            KeyFileError::Io { ref error, .. } if error.kind() == std::io::ErrorKind::AlreadyExists
        ));
        assert_eq!(SealedSecret::read(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
