//! Encrypted-at-rest key files.
//!
//! A key file is JSON:
//!
//! ```json
//! {
//!   "version": 1,
//!   "algorithm": "ed25519",
//!   "did": "did:key:z6Mk...",
//!   "publicKeyMultibase": "z6Mk...",
//!   "kdf": { "name": "argon2id", "version": 19, "memoryKib": 65536, "iterations": 3,
//!            "parallelism": 1, "salt": "<base64url, 16 bytes>" },
//!   "cipher": { "name": "xchacha20poly1305", "nonce": "<base64url, 24 bytes>" },
//!   "ciphertext": "<base64url: 32 secret bytes + 16-byte tag>"
//! }
//! ```
//!
//! The passphrase goes through argon2id with the stored parameters to a 32-byte key; the
//! secret key bytes are sealed with XChaCha20-Poly1305 under that key, with the header
//! (version, algorithm, DID, public key, KDF parameters) as associated data, so a header edit
//! is detected. The DID and public key are readable without the passphrase. After decryption
//! the secret's public key must equal the one in the file.

use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{KeyAlgorithm, KeyError, SecretKey};
use crate::did::DidKey;
use crate::multicodec;

/// The key-file format version this code writes and reads.
pub const KEY_FILE_VERSION: u32 = 1;
/// The KDF name stored in key files.
pub const KDF_NAME: &str = "argon2id";
/// The cipher name stored in key files.
pub const CIPHER_NAME: &str = "xchacha20poly1305";

pub(super) const SALT_LEN: usize = 16;
pub(super) const NONCE_LEN: usize = 24;
pub(super) const ARGON2_VERSION: u32 = 0x13;
/// Upper bounds on the KDF parameters accepted when opening a file (a hostile file must not
/// make `open` allocate or compute without limit).
const MAX_MEMORY_KIB: u32 = 4 * 1024 * 1024;
const MAX_ITERATIONS: u32 = 64;
const MAX_PARALLELISM: u32 = 16;
/// Largest key file accepted by [`KeyFile::read`].
pub(super) const MAX_FILE_LEN: u64 = 64 * 1024;

/// Errors of sealing, opening, reading and writing key files.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The passphrase is wrong (or the encrypted part or the header was modified: the
    /// authenticated encryption cannot tell these apart).
    #[error("wrong passphrase (or the key file was modified)")]
    WrongPassphrase,
    /// The file is not a well-formed key file.
    #[error("malformed key file: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// The file names a key algorithm this version does not support.
    #[error("unsupported key algorithm {name:?} in key file")]
    UnsupportedAlgorithm {
        /// The algorithm name in the file.
        name: String,
    },
    /// The file has a format version this code does not read.
    #[error("unsupported key file version {version} (this build reads version {KEY_FILE_VERSION})")]
    UnsupportedVersion {
        /// The version in the file.
        version: u64,
    },
    /// The KDF or cipher named in the file is not argon2id / xchacha20poly1305, or its
    /// parameters are out of the accepted range.
    #[error("unsupported key file encryption: {reason}")]
    UnsupportedEncryption {
        /// What is not supported.
        reason: String,
    },
    /// The decrypted secret does not belong to the public key in the file.
    #[error("key file secret does not match its public key")]
    PublicKeyMismatch,
    /// The decrypted secret is not a valid key.
    #[error("invalid key in key file: {0}")]
    Key(KeyError),
    /// Reading or writing the file failed.
    #[error("key file {path}: {error}")]
    Io {
        /// The file path.
        path: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The operating system's random number generator failed.
    #[error("random number generator failure")]
    Randomness,
    /// [`KeyFile::open_with_key`] was given a sealing key of another salt or parameter set
    /// than the file names (a caller error: derive one for the file with
    /// [`SealingKey::for_file`]).
    #[error("the key file is sealed under another salt or argon2id parameters")]
    OtherSealingKey,
}

/// argon2id parameters (memory in KiB, iterations, lanes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Degree of parallelism (lanes).
    pub parallelism: u32,
}

impl KdfParams {
    /// The default for new key files: 64 MiB, 3 passes, 1 lane (the RFC 9106 second
    /// recommended option).
    pub const DEFAULT: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };

    /// Cheap parameters for tests only (8 MiB, 1 pass): not for real key files.
    pub const INSECURE_FOR_TESTS: KdfParams = KdfParams {
        memory_kib: 8 * 1024,
        iterations: 1,
        parallelism: 1,
    };
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams::DEFAULT
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct KdfSection {
    pub(super) name: String,
    pub(super) version: u32,
    pub(super) memory_kib: u32,
    pub(super) iterations: u32,
    pub(super) parallelism: u32,
    pub(super) salt: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct CipherSection {
    pub(super) name: String,
    pub(super) nonce: String,
}

/// An encrypted key file. The DID and public key are readable without the passphrase;
/// [`KeyFile::open`] decrypts the secret key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyFile {
    version: u64,
    algorithm: String,
    did: String,
    public_key_multibase: String,
    kdf: KdfSection,
    cipher: CipherSection,
    ciphertext: String,
}

impl From<KeyError> for KeyFileError {
    fn from(err: KeyError) -> Self {
        KeyFileError::Key(err)
    }
}

pub(super) fn malformed(reason: impl Into<String>) -> KeyFileError {
    KeyFileError::Malformed {
        reason: reason.into(),
    }
}

fn argon2_for(params: KdfParams) -> Result<Argon2<'static>, KeyFileError> {
    if params.memory_kib > MAX_MEMORY_KIB
        || params.iterations > MAX_ITERATIONS
        || params.parallelism > MAX_PARALLELISM
    {
        return Err(KeyFileError::UnsupportedEncryption {
            reason: format!(
                "argon2id parameters out of range (memory <= {MAX_MEMORY_KIB} KiB, iterations <= {MAX_ITERATIONS}, parallelism <= {MAX_PARALLELISM})"
            ),
        });
    }
    let params = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(32),
    )
    .map_err(|err| KeyFileError::UnsupportedEncryption {
        reason: format!("argon2id parameters: {err}"),
    })?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub(super) fn derive_key(
    params: KdfParams,
    passphrase: &[u8],
    salt: &[u8],
) -> Result<Zeroizing<[u8; 32]>, KeyFileError> {
    let argon2 = argon2_for(params)?;
    let mut key = Zeroizing::new([0u8; 32]);
    argon2
        .hash_password_into(passphrase, salt, key.as_mut())
        .map_err(|err| KeyFileError::UnsupportedEncryption {
            reason: format!("argon2id: {err}"),
        })?;
    Ok(key)
}

impl KdfSection {
    /// The argon2id parameters of the section.
    pub(super) fn params(&self) -> KdfParams {
        KdfParams {
            memory_kib: self.memory_kib,
            iterations: self.iterations,
            parallelism: self.parallelism,
        }
    }
}

/// The KDF and cipher sections of a new sealing under `params`: a fresh random salt and nonce.
pub(super) fn new_sections(params: KdfParams) -> Result<(KdfSection, CipherSection), KeyFileError> {
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    OsRng
        .try_fill_bytes(&mut salt)
        .map_err(|_| KeyFileError::Randomness)?;
    OsRng
        .try_fill_bytes(&mut nonce)
        .map_err(|_| KeyFileError::Randomness)?;
    let kdf = KdfSection {
        name: KDF_NAME.to_owned(),
        version: ARGON2_VERSION,
        memory_kib: params.memory_kib,
        iterations: params.iterations,
        parallelism: params.parallelism,
        salt: URL_SAFE_NO_PAD.encode(salt),
    };
    let cipher = CipherSection {
        name: CIPHER_NAME.to_owned(),
        nonce: URL_SAFE_NO_PAD.encode(nonce),
    };
    Ok((kdf, cipher))
}

/// The checked salt and nonce of the sections (argon2id v0x13 and XChaCha20-Poly1305 only).
fn salt_and_nonce(
    kdf: &KdfSection,
    cipher: &CipherSection,
) -> Result<(Vec<u8>, Vec<u8>), KeyFileError> {
    if kdf.name != KDF_NAME || kdf.version != ARGON2_VERSION {
        return Err(KeyFileError::UnsupportedEncryption {
            reason: format!("kdf {:?} version {}", kdf.name, kdf.version),
        });
    }
    if cipher.name != CIPHER_NAME {
        return Err(KeyFileError::UnsupportedEncryption {
            reason: format!("cipher {:?}", cipher.name),
        });
    }
    let salt = decode_field(&kdf.salt, "kdf.salt")?;
    if salt.len() < 8 || salt.len() > 64 {
        return Err(malformed("kdf.salt must be 8 to 64 bytes"));
    }
    let nonce = decode_field(&cipher.nonce, "cipher.nonce")?;
    if nonce.len() != NONCE_LEN {
        return Err(malformed("cipher.nonce must be 24 bytes"));
    }
    Ok((salt, nonce))
}

/// Seals `secret` under `passphrase` with the sections' parameters, salt and nonce, bound to
/// `aad`; the ciphertext (with its tag) in base64url.
pub(super) fn encrypt(
    kdf: &KdfSection,
    cipher: &CipherSection,
    passphrase: &[u8],
    secret: &[u8],
    aad: &[u8],
) -> Result<String, KeyFileError> {
    let (salt, nonce) = salt_and_nonce(kdf, cipher)?;
    let key = derive_key(kdf.params(), passphrase, &salt)?;
    seal_secret(&key, &nonce, secret, aad)
}

/// Seals `secret` under the derived `key` with `nonce`, bound to `aad`; base64url.
fn seal_secret(
    key: &[u8; 32],
    nonce: &[u8],
    secret: &[u8],
    aad: &[u8],
) -> Result<String, KeyFileError> {
    let ciphertext = XChaCha20Poly1305::new(key.into())
        .encrypt(XNonce::from_slice(nonce), Payload { msg: secret, aad })
        .map_err(|_| malformed("encryption failed"))?;
    Ok(URL_SAFE_NO_PAD.encode(ciphertext))
}

/// Opens what [`encrypt`] sealed (`ciphertext` in base64url, at most `max_len` bytes).
pub(super) fn decrypt(
    kdf: &KdfSection,
    cipher: &CipherSection,
    passphrase: &[u8],
    ciphertext: &str,
    aad: &[u8],
    max_len: usize,
) -> Result<Zeroizing<Vec<u8>>, KeyFileError> {
    let (salt, nonce) = salt_and_nonce(kdf, cipher)?;
    let ciphertext = ciphertext_bytes(ciphertext, max_len)?;
    let key = derive_key(kdf.params(), passphrase, &salt)?;
    open_secret(&key, &nonce, &ciphertext, aad)
}

/// The longest ciphertext a key file may hold (a secret key and its tag are far shorter).
const MAX_CIPHERTEXT_LEN: usize = 1024;

/// The decoded `ciphertext` (base64url), at most `max_len` bytes.
fn ciphertext_bytes(ciphertext: &str, max_len: usize) -> Result<Vec<u8>, KeyFileError> {
    let ciphertext = decode_field(ciphertext, "ciphertext")?;
    if ciphertext.len() > max_len {
        return Err(malformed("ciphertext too long"));
    }
    Ok(ciphertext)
}

/// Opens what [`seal_secret`] sealed under `key` (decoded `ciphertext`).
fn open_secret(
    key: &[u8; 32],
    nonce: &[u8],
    ciphertext: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KeyFileError> {
    XChaCha20Poly1305::new(key.into())
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| KeyFileError::WrongPassphrase)
}

/// A passphrase's argon2id key for one salt and parameter set, derived once. A keystore that
/// seals many key files with it writes the same salt into each (with a fresh nonce each), so
/// only the first costs an argon2id run; a file sealed with it opens with the passphrase
/// alone like any other ([`KeyFile::open`]).
pub struct SealingKey {
    params: KdfParams,
    salt: Vec<u8>,
    key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealingKey")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl SealingKey {
    /// Derives the key of `passphrase` under `params` with a fresh random salt.
    pub fn derive(passphrase: &[u8], params: KdfParams) -> Result<SealingKey, KeyFileError> {
        let mut salt = vec![0u8; SALT_LEN];
        OsRng
            .try_fill_bytes(&mut salt)
            .map_err(|_| KeyFileError::Randomness)?;
        let key = derive_key(params, passphrase, &salt)?;
        Ok(SealingKey { params, salt, key })
    }

    /// Derives the key of `passphrase` under the parameters and salt `file` names (to open it
    /// and every other file sealed with the same salt).
    pub fn for_file(file: &KeyFile, passphrase: &[u8]) -> Result<SealingKey, KeyFileError> {
        let (salt, _) = salt_and_nonce(&file.kdf, &file.cipher)?;
        let params = file.kdf.params();
        let key = derive_key(params, passphrase, &salt)?;
        Ok(SealingKey { params, salt, key })
    }

    /// Whether `file` names this key's parameters and salt (so [`KeyFile::open_with_key`]
    /// applies).
    pub fn fits(&self, file: &KeyFile) -> bool {
        file.kdf.params() == self.params
            && decode_field(&file.kdf.salt, "kdf.salt").is_ok_and(|salt| salt == self.salt)
    }
}

impl KeyFile {
    /// Encrypts `secret_key` under `passphrase` with the default argon2id parameters
    /// ([`KdfParams::DEFAULT`]).
    pub fn seal(secret_key: &SecretKey, passphrase: &[u8]) -> Result<KeyFile, KeyFileError> {
        KeyFile::seal_with_params(secret_key, passphrase, KdfParams::DEFAULT)
    }

    /// Encrypts `secret_key` under `passphrase` with explicit argon2id parameters.
    pub fn seal_with_params(
        secret_key: &SecretKey,
        passphrase: &[u8],
        params: KdfParams,
    ) -> Result<KeyFile, KeyFileError> {
        let (kdf, cipher) = new_sections(params)?;
        let mut file = KeyFile::unsealed(secret_key, kdf, cipher);
        let secret = secret_key.to_bytes();
        file.ciphertext = encrypt(
            &file.kdf,
            &file.cipher,
            passphrase,
            secret.as_slice(),
            &file.associated_data(),
        )?;
        Ok(file)
    }

    /// Encrypts `secret_key` under `sealing`, a key derived once for many files (the file
    /// names its salt and parameters; see [`SealingKey`]).
    pub fn seal_with_key(
        secret_key: &SecretKey,
        sealing: &SealingKey,
    ) -> Result<KeyFile, KeyFileError> {
        let (mut kdf, cipher) = new_sections(sealing.params)?;
        kdf.salt = URL_SAFE_NO_PAD.encode(&sealing.salt);
        let (_, nonce) = salt_and_nonce(&kdf, &cipher)?;
        let mut file = KeyFile::unsealed(secret_key, kdf, cipher);
        let secret = secret_key.to_bytes();
        file.ciphertext = seal_secret(
            &sealing.key,
            &nonce,
            secret.as_slice(),
            &file.associated_data(),
        )?;
        Ok(file)
    }

    /// The file of `secret_key`'s public part with these sections, its ciphertext empty.
    fn unsealed(secret_key: &SecretKey, kdf: KdfSection, cipher: CipherSection) -> KeyFile {
        let public_key = secret_key.public_key();
        let did_key = DidKey::from_public_key(&public_key);
        KeyFile {
            version: u64::from(KEY_FILE_VERSION),
            algorithm: secret_key.algorithm().to_string(),
            did: did_key.did().to_string(),
            public_key_multibase: multicodec::encode_multikey(&public_key),
            kdf,
            cipher,
            ciphertext: String::new(),
        }
    }

    /// Decrypts the secret key with `sealing`, which must fit the file
    /// ([`SealingKey::fits`]; else [`KeyFileError::OtherSealingKey`]).
    pub fn open_with_key(&self, sealing: &SealingKey) -> Result<SecretKey, KeyFileError> {
        let algorithm = self.check_header()?;
        let (_, nonce) = salt_and_nonce(&self.kdf, &self.cipher)?;
        if !sealing.fits(self) {
            return Err(KeyFileError::OtherSealingKey);
        }
        let ciphertext = ciphertext_bytes(&self.ciphertext, MAX_CIPHERTEXT_LEN)?;
        let secret = open_secret(&sealing.key, &nonce, &ciphertext, &self.associated_data())?;
        self.checked_secret(algorithm, &secret)
    }

    /// Decrypts the secret key with `passphrase`.
    pub fn open(&self, passphrase: &[u8]) -> Result<SecretKey, KeyFileError> {
        let algorithm = self.check_header()?;
        let secret = decrypt(
            &self.kdf,
            &self.cipher,
            passphrase,
            &self.ciphertext,
            &self.associated_data(),
            MAX_CIPHERTEXT_LEN,
        )?;
        self.checked_secret(algorithm, &secret)
    }

    /// The secret key of `secret`'s bytes, whose public key must be the file's.
    fn checked_secret(
        &self,
        algorithm: KeyAlgorithm,
        secret: &[u8],
    ) -> Result<SecretKey, KeyFileError> {
        let secret_key = SecretKey::from_bytes(algorithm, secret)?;
        if multicodec::encode_multikey(&secret_key.public_key()) != self.public_key_multibase {
            return Err(KeyFileError::PublicKeyMismatch);
        }
        Ok(secret_key)
    }

    /// Checks version, algorithm, DID and public key (without the passphrase); returns the
    /// algorithm.
    fn check_header(&self) -> Result<KeyAlgorithm, KeyFileError> {
        if self.version != u64::from(KEY_FILE_VERSION) {
            return Err(KeyFileError::UnsupportedVersion {
                version: self.version,
            });
        }
        let algorithm: KeyAlgorithm =
            self.algorithm
                .parse()
                .map_err(|_| KeyFileError::UnsupportedAlgorithm {
                    name: self.algorithm.chars().take(64).collect(),
                })?;
        let did_key =
            DidKey::parse_str(&self.did).map_err(|err| malformed(format!("did: {err}")))?;
        if did_key.public_key().algorithm() != algorithm {
            return Err(malformed("did key type differs from algorithm"));
        }
        if did_key.multibase() != self.public_key_multibase {
            return Err(malformed("did and publicKeyMultibase differ"));
        }
        Ok(algorithm)
    }

    /// The associated data bound to the ciphertext: every header field, length-prefixed.
    fn associated_data(&self) -> Vec<u8> {
        let mut out = b"crosscode-keyfile".to_vec();
        let fields: [&[u8]; 9] = [
            &self.version.to_be_bytes(),
            self.algorithm.as_bytes(),
            self.did.as_bytes(),
            self.public_key_multibase.as_bytes(),
            self.kdf.name.as_bytes(),
            &self.kdf.memory_kib.to_be_bytes(),
            &self.kdf.iterations.to_be_bytes(),
            &self.kdf.parallelism.to_be_bytes(),
            self.cipher.name.as_bytes(),
        ];
        for field in fields {
            out.extend_from_slice(&(field.len() as u64).to_be_bytes());
            out.extend_from_slice(field);
        }
        out.extend_from_slice(&self.kdf.version.to_be_bytes());
        out
    }

    /// The key algorithm named in the file.
    pub fn algorithm(&self) -> Result<KeyAlgorithm, KeyFileError> {
        self.check_header()
    }

    /// The `did:key` of the key, readable without the passphrase (validated).
    pub fn did_key(&self) -> Result<DidKey, KeyFileError> {
        self.check_header()?;
        DidKey::parse_str(&self.did).map_err(|err| malformed(format!("did: {err}")))
    }

    /// The DID string as stored in the file (not validated; see [`KeyFile::did_key`]).
    pub fn did(&self) -> &str {
        &self.did
    }

    /// The `publicKeyMultibase` string as stored in the file.
    pub fn public_key_multibase(&self) -> &str {
        &self.public_key_multibase
    }

    /// The argon2id parameters stored in the file.
    pub fn kdf(&self) -> KdfParams {
        self.kdf.params()
    }

    /// Parses a key file from JSON text and checks its header (version, algorithm, DID,
    /// public key). The passphrase is needed only by [`KeyFile::open`].
    pub fn from_json(text: &str) -> Result<KeyFile, KeyFileError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|err| malformed(format!("not JSON: {err}")))?;
        // Report version and algorithm problems as such, before the strict field check.
        if let Some(version) = value.get("version").and_then(serde_json::Value::as_u64)
            && version != u64::from(KEY_FILE_VERSION)
        {
            return Err(KeyFileError::UnsupportedVersion { version });
        }
        if let Some(name) = value.get("algorithm").and_then(serde_json::Value::as_str)
            && name.parse::<KeyAlgorithm>().is_err()
        {
            return Err(KeyFileError::UnsupportedAlgorithm {
                name: name.chars().take(64).collect(),
            });
        }
        let file: KeyFile =
            serde_json::from_value(value).map_err(|err| malformed(err.to_string()))?;
        file.check_header()?;
        Ok(file)
    }

    /// The file as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Serializing plain strings and integers cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads and parses a key file.
    pub fn read(path: impl AsRef<Path>) -> Result<KeyFile, KeyFileError> {
        let path = path.as_ref();
        let io = |error| KeyFileError::Io {
            path: path.display().to_string(),
            error,
        };
        let len = std::fs::metadata(path).map_err(io)?.len();
        if len > MAX_FILE_LEN {
            return Err(malformed(format!("file too large ({len} bytes)")));
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        KeyFile::from_json(&text)
    }

    /// Writes the key file; refuses to overwrite an existing file. On Unix the file is
    /// created with mode 0600.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), KeyFileError> {
        use std::io::Write as _;
        let path = path.as_ref();
        let io = |error| KeyFileError::Io {
            path: path.display().to_string(),
            error,
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(io)?;
        file.write_all(self.to_json().as_bytes()).map_err(io)?;
        file.write_all(b"\n").map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(())
    }
}

pub(super) fn decode_field(text: &str, name: &str) -> Result<Vec<u8>, KeyFileError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| malformed(format!("{name} is not base64url")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASS: &[u8] = b"pass";

    /// Re-encrypts `secret` under `file`'s header, salt and nonce (what only someone who
    /// knows the passphrase could do).
    fn reseal_with(file: &mut KeyFile, secret: &[u8]) {
        let salt = decode_field(&file.kdf.salt, "salt").unwrap();
        let nonce = decode_field(&file.cipher.nonce, "nonce").unwrap();
        let key = derive_key(file.kdf.params(), PASS, &salt).unwrap();
        let cipher = XChaCha20Poly1305::new(key.as_ref().into());
        let aad = file.associated_data();
        let ciphertext = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: &aad,
                },
            )
            .unwrap();
        file.ciphertext = URL_SAFE_NO_PAD.encode(ciphertext);
    }

    #[test]
    fn secret_of_another_key_is_a_public_key_mismatch() {
        let a = SecretKey::generate(KeyAlgorithm::Ed25519);
        let b = SecretKey::generate(KeyAlgorithm::Ed25519);
        let mut file = KeyFile::seal_with_params(&a, PASS, KdfParams::INSECURE_FOR_TESTS).unwrap();
        reseal_with(&mut file, &b.to_bytes());
        assert!(matches!(
            file.open(PASS),
            Err(KeyFileError::PublicKeyMismatch)
        ));
    }

    #[test]
    fn invalid_secret_is_a_key_error() {
        let a = SecretKey::generate(KeyAlgorithm::Sm2);
        let mut file = KeyFile::seal_with_params(&a, PASS, KdfParams::INSECURE_FOR_TESTS).unwrap();
        reseal_with(&mut file, &[0u8; 32]);
        assert!(matches!(
            file.open(PASS),
            Err(KeyFileError::Key(KeyError::InvalidSecretKey {
                algorithm: KeyAlgorithm::Sm2
            }))
        ));
    }

    #[test]
    fn files_sealed_with_one_sealing_key_share_its_salt_and_open_with_the_passphrase_alone() {
        let sealing = SealingKey::derive(PASS, KdfParams::INSECURE_FOR_TESTS).unwrap();
        let (a, b) = (
            SecretKey::generate(KeyAlgorithm::Ed25519),
            SecretKey::generate(KeyAlgorithm::P256),
        );
        let file_a = KeyFile::seal_with_key(&a, &sealing).unwrap();
        let file_b = KeyFile::seal_with_key(&b, &sealing).unwrap();
        assert_eq!(file_a.kdf.salt, file_b.kdf.salt);
        assert_ne!(file_a.cipher.nonce, file_b.cipher.nonce);
        // The passphrase alone opens them, and a key derived for one file opens the other.
        let reread = KeyFile::from_json(&file_a.to_json()).unwrap();
        assert_eq!(reread.open(PASS).unwrap().to_bytes(), a.to_bytes());
        let for_a = SealingKey::for_file(&reread, PASS).unwrap();
        assert!(for_a.fits(&file_b));
        assert_eq!(
            file_b.open_with_key(&for_a).unwrap().to_bytes(),
            b.to_bytes()
        );
    }

    #[test]
    fn a_sealing_key_of_another_passphrase_or_salt_does_not_open_a_file() {
        let file = KeyFile::seal_with_params(
            &SecretKey::generate(KeyAlgorithm::Ed25519),
            PASS,
            KdfParams::INSECURE_FOR_TESTS,
        )
        .unwrap();
        let wrong = SealingKey::for_file(&file, b"wrong").unwrap();
        assert!(matches!(
            file.open_with_key(&wrong),
            Err(KeyFileError::WrongPassphrase)
        ));
        let other_salt = SealingKey::derive(PASS, KdfParams::INSECURE_FOR_TESTS).unwrap();
        assert!(!other_salt.fits(&file));
        assert!(matches!(
            file.open_with_key(&other_salt),
            Err(KeyFileError::OtherSealingKey)
        ));
    }
}
