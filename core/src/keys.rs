//! Key types, signing and verification: Ed25519, SM2 with SM3, ECDSA P-256 with SHA-256, and
//! BLS12-381 G2 public keys.
//!
//! - [`KeyAlgorithm`] names the four algorithms (`ed25519`, `sm2`, `p256`, `bls12381g2`).
//! - [`PublicKey`] is a validated public key: Ed25519 (32-byte compressed Edwards point),
//!   SM2 on sm2p256v1 (33-byte SEC1 compressed point), P-256 (33-byte SEC1 compressed point),
//!   BLS12-381 G2 (96-byte compressed point, as the BBS draft encodes `PK`).
//!   [`PublicKey::verify`] does strict RFC 8032 verification for Ed25519 (`verify_strict`),
//!   SM2/SM3 verification with the default distinguishing ID `1234567812345678`, and ECDSA
//!   P-256 / SHA-256 verification ([`p256`]); SM2 and P-256 signatures are 64 bytes `r || s`.
//! - [`SecretKey`] holds a secret key; it is zeroized on drop and its `Debug` output shows
//!   only the algorithm and the public key.
//! - [`Signer`] is the signing port: in-memory keys implement it, and so can a platform
//!   keystore or an HSM whose keys never leave it.
//! - [`KeyFile`] is the encrypted-at-rest JSON key file (argon2id + XChaCha20-Poly1305);
//!   [`SealedSecret`] seals other secret bytes (e.g. a data-encryption key) the same way;
//! - [`RecordKey`] is such a data-encryption key in a file, sealing records (an issuer's subject
//!   records, a wallet's credentials) with their store key as associated data.
//!
//! BLS12-381 keys sign with BBS (multi-message), which lives in `crosscode-bbs`;
//! [`SecretKey::sign`] and [`PublicKey::verify`] refuse them with
//! [`SignatureError::UnsupportedAlgorithm`].

mod bls;
mod key_file;
pub mod p256;
mod record_key;
mod sealed_secret;
mod signer;
pub mod sm2;

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::Signer as _;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

pub use self::bls::Bls12381G2PublicKey;
pub use self::key_file::{
    CIPHER_NAME, KDF_NAME, KEY_FILE_VERSION, KdfParams, KeyFile, KeyFileError, SealingKey,
};
pub use self::p256::{P256_PUBLIC_KEY_LEN, P256_UNCOMPRESSED_PUBLIC_KEY_LEN};
pub use self::record_key::{RecordKey, SealingError};
pub use self::sealed_secret::{SEALED_SECRET_VERSION, SealedSecret};
pub use self::signer::Signer;
pub use self::sm2::{DEFAULT_SM2_ID, MAX_SM2_ID_LEN};

/// Length of an Ed25519 public key.
pub const ED25519_PUBLIC_KEY_LEN: usize = 32;
/// Length of an SM2 public key in its canonical (SEC1 compressed) form.
pub const SM2_PUBLIC_KEY_LEN: usize = 33;
/// Length of an SM2 public key in SEC1 uncompressed form (accepted by
/// [`PublicKey::from_bytes`]).
pub const SM2_UNCOMPRESSED_PUBLIC_KEY_LEN: usize = 65;
/// Length of a BLS12-381 G2 public key (compressed G2 point).
pub const BLS12381_G2_PUBLIC_KEY_LEN: usize = 96;
/// Length of an Ed25519, SM2 or P-256 signature (`R || S` or `r || s`).
pub const SIGNATURE_LEN: usize = 64;
/// Length of a secret key in its byte form (Ed25519 seed, SM2 or P-256 scalar, BLS12-381
/// scalar).
pub const SECRET_KEY_LEN: usize = 32;

/// The key algorithms Crosscode supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum KeyAlgorithm {
    /// Ed25519 (RFC 8032), strict verification.
    #[serde(rename = "ed25519")]
    Ed25519,
    /// SM2 (GB/T 32918, curve sm2p256v1) with SM3 and a GM/T 0003 distinguishing ID.
    #[serde(rename = "sm2")]
    Sm2,
    /// ECDSA on NIST P-256 (secp256r1) with SHA-256 (FIPS 186-5): the keys a phone's secure
    /// hardware holds.
    #[serde(rename = "p256")]
    P256,
    /// BLS12-381 with public keys in G2 (the BBS signature keys).
    #[serde(rename = "bls12381g2")]
    Bls12381G2,
}

impl KeyAlgorithm {
    /// All supported algorithms.
    pub const ALL: [KeyAlgorithm; 4] = [
        KeyAlgorithm::Ed25519,
        KeyAlgorithm::Sm2,
        KeyAlgorithm::P256,
        KeyAlgorithm::Bls12381G2,
    ];

    /// The lowercase name: `ed25519`, `sm2`, `p256` or `bls12381g2`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::Ed25519 => "ed25519",
            KeyAlgorithm::Sm2 => "sm2",
            KeyAlgorithm::P256 => "p256",
            KeyAlgorithm::Bls12381G2 => "bls12381g2",
        }
    }

    /// Length of the canonical public-key encoding ([`PublicKey::to_bytes`]).
    pub fn public_key_len(self) -> usize {
        match self {
            KeyAlgorithm::Ed25519 => ED25519_PUBLIC_KEY_LEN,
            KeyAlgorithm::Sm2 => SM2_PUBLIC_KEY_LEN,
            KeyAlgorithm::P256 => P256_PUBLIC_KEY_LEN,
            KeyAlgorithm::Bls12381G2 => BLS12381_G2_PUBLIC_KEY_LEN,
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyAlgorithm {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ed25519" => Ok(KeyAlgorithm::Ed25519),
            "sm2" => Ok(KeyAlgorithm::Sm2),
            "p256" => Ok(KeyAlgorithm::P256),
            "bls12381g2" => Ok(KeyAlgorithm::Bls12381G2),
            other => Err(KeyError::UnknownAlgorithm {
                name: other.chars().take(64).collect(),
            }),
        }
    }
}

/// Errors about keys (parsing, validation).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The algorithm name is not one of `ed25519`, `sm2`, `p256`, `bls12381g2`.
    #[error("unknown key algorithm {name:?} (expected ed25519, sm2, p256 or bls12381g2)")]
    UnknownAlgorithm {
        /// The name given (at most 64 characters of it).
        name: String,
    },
    /// The key bytes have the wrong length.
    #[error("invalid {algorithm} key length: {actual} bytes, expected {expected}")]
    InvalidLength {
        /// The key algorithm.
        algorithm: KeyAlgorithm,
        /// The expected length.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// The public-key bytes are not a valid point (not on the curve, not in the subgroup, the
    /// identity, or not decompressible).
    #[error("invalid {algorithm} public key: not a valid curve point")]
    InvalidPublicKey {
        /// The key algorithm.
        algorithm: KeyAlgorithm,
    },
    /// The secret-key bytes are not a valid secret (for example zero or not below the group
    /// order).
    #[error("invalid {algorithm} secret key")]
    InvalidSecretKey {
        /// The key algorithm.
        algorithm: KeyAlgorithm,
    },
}

/// Errors of signing and signature verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The signature does not have the length the algorithm uses.
    #[error("invalid signature length: {actual} bytes, expected {expected}")]
    InvalidLength {
        /// The expected length.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// The signature is malformed (a scalar out of range, e.g. SM2 or P-256 `r = 0` or
    /// `s >= n`; a P-256 DER signature that is not strict DER).
    #[error("malformed signature")]
    Malformed,
    /// The signature does not verify.
    #[error("signature verification failed")]
    Invalid,
    /// The algorithm has no single-message signature here (BLS12-381 keys sign with BBS in
    /// `crosscode-bbs`).
    #[error("{algorithm} keys do not make single-message signatures (use BBS)")]
    UnsupportedAlgorithm {
        /// The key algorithm.
        algorithm: KeyAlgorithm,
    },
    /// The SM2 distinguishing ID is longer than [`MAX_SM2_ID_LEN`] bytes.
    #[error("SM2 distinguishing ID too long: {len} bytes (at most {MAX_SM2_ID_LEN})")]
    DistinguishingIdTooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// An operation that needs an SM2 key was given another key type.
    #[error("operation needs an SM2 key, got {algorithm}")]
    NotSm2 {
        /// The key algorithm given.
        algorithm: KeyAlgorithm,
    },
    /// The operating system's random number generator failed.
    #[error("random number generator failure")]
    Randomness,
    /// BBS signing failed (the messages or header could not be hashed to scalars).
    #[error("BBS signing failed")]
    BbsSigning,
    /// A [`Signer`] outside this process (a platform keystore, an HSM) failed to sign.
    #[error("the signer failed: {reason}")]
    SignerFailed {
        /// What the signer reported.
        reason: String,
    },
}

/// An SM2 public key on sm2p256v1, with the default-ID verifier precomputed.
#[derive(Clone)]
pub struct Sm2PublicKey {
    point: ::sm2::PublicKey,
    default_verifier: ::sm2::dsa::VerifyingKey,
    /// `Z_A` under the default distinguishing ID (precomputed for signing).
    default_identity_hash: [u8; 32],
}

impl Sm2PublicKey {
    fn new(point: ::sm2::PublicKey) -> Result<Self, KeyError> {
        let default_verifier = std::str::from_utf8(DEFAULT_SM2_ID)
            .ok()
            .and_then(|id| ::sm2::dsa::VerifyingKey::new(id, point).ok())
            .ok_or(KeyError::InvalidPublicKey {
                algorithm: KeyAlgorithm::Sm2,
            })?;
        let default_identity_hash =
            self::sm2::identity_hash(DEFAULT_SM2_ID, &point).map_err(|_| {
                KeyError::InvalidPublicKey {
                    algorithm: KeyAlgorithm::Sm2,
                }
            })?;
        Ok(Self {
            point,
            default_verifier,
            default_identity_hash,
        })
    }

    /// The point as the `sm2` crate's public key.
    pub fn as_point(&self) -> &::sm2::PublicKey {
        &self.point
    }

    /// The 65-byte SEC1 uncompressed encoding (`04 || x || y`).
    pub fn to_uncompressed(&self) -> Vec<u8> {
        use ::sm2::elliptic_curve::sec1::ToSec1Point;
        self.point.to_sec1_point(false).as_bytes().to_vec()
    }

    /// The 33-byte SEC1 compressed encoding.
    pub fn to_compressed(&self) -> Vec<u8> {
        use ::sm2::elliptic_curve::sec1::ToSec1Point;
        self.point.to_sec1_point(true).as_bytes().to_vec()
    }
}

impl PartialEq for Sm2PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.point == other.point
    }
}

impl Eq for Sm2PublicKey {}

/// A validated public key.
#[derive(Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// An Ed25519 public key.
    Ed25519(ed25519_dalek::VerifyingKey),
    /// An SM2 public key on sm2p256v1.
    Sm2(Sm2PublicKey),
    /// A P-256 (secp256r1) ECDSA public key.
    P256(::p256::ecdsa::VerifyingKey),
    /// A BLS12-381 G2 public key (a BBS public key).
    Bls12381G2(Bls12381G2PublicKey),
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PublicKey({}, {})",
            self.algorithm(),
            hex::encode(self.to_bytes())
        )
    }
}

impl PublicKey {
    /// The key algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        match self {
            PublicKey::Ed25519(_) => KeyAlgorithm::Ed25519,
            PublicKey::Sm2(_) => KeyAlgorithm::Sm2,
            PublicKey::P256(_) => KeyAlgorithm::P256,
            PublicKey::Bls12381G2(_) => KeyAlgorithm::Bls12381G2,
        }
    }

    /// The canonical encoding: 32 bytes (Ed25519), 33 bytes SEC1 compressed (SM2, P-256), 96
    /// bytes compressed G2 (BLS12-381).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            PublicKey::Ed25519(key) => key.to_bytes().to_vec(),
            PublicKey::Sm2(key) => key.to_compressed(),
            PublicKey::P256(key) => self::p256::compressed(key),
            PublicKey::Bls12381G2(key) => key.to_bytes().to_vec(),
        }
    }

    /// Parses and validates a public key. SM2 and P-256 accept SEC1 compressed (33 bytes,
    /// canonical) or uncompressed (65 bytes) points on their curve (not the identity); Ed25519
    /// needs a decompressible 32-byte point; BLS12-381 needs a 96-byte compressed G2 point.
    pub fn from_bytes(algorithm: KeyAlgorithm, bytes: &[u8]) -> Result<PublicKey, KeyError> {
        match algorithm {
            KeyAlgorithm::Ed25519 => {
                let array: &[u8; ED25519_PUBLIC_KEY_LEN] =
                    bytes.try_into().map_err(|_| KeyError::InvalidLength {
                        algorithm,
                        expected: ED25519_PUBLIC_KEY_LEN,
                        actual: bytes.len(),
                    })?;
                ed25519_dalek::VerifyingKey::from_bytes(array)
                    .map(PublicKey::Ed25519)
                    .map_err(|_| KeyError::InvalidPublicKey { algorithm })
            }
            KeyAlgorithm::Sm2 => {
                if bytes.len() != SM2_PUBLIC_KEY_LEN
                    && bytes.len() != SM2_UNCOMPRESSED_PUBLIC_KEY_LEN
                {
                    return Err(KeyError::InvalidLength {
                        algorithm,
                        expected: SM2_PUBLIC_KEY_LEN,
                        actual: bytes.len(),
                    });
                }
                let point = ::sm2::PublicKey::from_sec1_bytes(bytes)
                    .map_err(|_| KeyError::InvalidPublicKey { algorithm })?;
                Sm2PublicKey::new(point).map(PublicKey::Sm2)
            }
            KeyAlgorithm::P256 => self::p256::public_key_from_bytes(bytes).map(PublicKey::P256),
            KeyAlgorithm::Bls12381G2 => {
                Bls12381G2PublicKey::from_bytes(bytes).map(PublicKey::Bls12381G2)
            }
        }
    }

    /// Verifies `signature` over `message`: strict RFC 8032 Ed25519 (`verify_strict`: rejects
    /// non-canonical `S`, small-order `A` or `R`), SM2 with SM3 and the default
    /// distinguishing ID `1234567812345678` (64-byte `r || s`), or ECDSA P-256 with SHA-256
    /// (64-byte `r || s`, low or high `s`). BLS12-381 G2 keys give
    /// [`SignatureError::UnsupportedAlgorithm`].
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        match self {
            PublicKey::Ed25519(key) => {
                let signature = ed25519_signature(signature)?;
                key.verify_strict(message, &signature)
                    .map_err(|_| SignatureError::Invalid)
            }
            PublicKey::Sm2(key) => {
                use ::sm2::dsa::signature::Verifier as _;
                let signature = sm2_signature(signature)?;
                key.default_verifier
                    .verify(message, &signature)
                    .map_err(|_| SignatureError::Invalid)
            }
            PublicKey::P256(key) => self::p256::verify(key, message, signature),
            PublicKey::Bls12381G2(_) => Err(SignatureError::UnsupportedAlgorithm {
                algorithm: KeyAlgorithm::Bls12381G2,
            }),
        }
    }

    /// Verifies an SM2 signature made with a custom distinguishing ID `id` (GM/T 0003). Other
    /// key types give [`SignatureError::NotSm2`].
    pub fn verify_sm2_with_id(
        &self,
        id: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureError> {
        let key = self.as_sm2()?;
        let za = self::sm2::identity_hash(id, &key.point)?;
        let e = self::sm2::message_digest(&za, message);
        self.verify_sm2_digest(&e, signature)
    }

    /// Verifies an SM2 signature over an already computed digest `e = SM3(Z_A || M)`
    /// (`verify_prehash`; the distinguishing ID is then already inside `e`).
    pub fn verify_sm2_digest(&self, digest: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        use ::sm2::dsa::signature::hazmat::PrehashVerifier as _;
        let key = self.as_sm2()?;
        let signature = sm2_signature(signature)?;
        key.default_verifier
            .verify_prehash(digest, &signature)
            .map_err(|_| SignatureError::Invalid)
    }

    /// The SM2 user-information hash `Z_A` of this key under `id` (GM/T 0003.2 §5.5).
    pub fn sm2_identity_hash(&self, id: &[u8]) -> Result<[u8; 32], SignatureError> {
        self::sm2::identity_hash(id, &self.as_sm2()?.point)
    }

    /// The BBS public key, for a BLS12-381 G2 key (`None` for other algorithms).
    pub fn as_bbs(&self) -> Option<&crosscode_bbs::PublicKey> {
        match self {
            PublicKey::Bls12381G2(key) => Some(key.as_bbs()),
            _ => None,
        }
    }

    /// The SM2 key, or [`SignatureError::NotSm2`].
    pub fn as_sm2(&self) -> Result<&Sm2PublicKey, SignatureError> {
        match self {
            PublicKey::Sm2(key) => Ok(key),
            other => Err(SignatureError::NotSm2 {
                algorithm: other.algorithm(),
            }),
        }
    }
}

fn ed25519_signature(signature: &[u8]) -> Result<ed25519_dalek::Signature, SignatureError> {
    ed25519_dalek::Signature::from_slice(signature).map_err(|_| SignatureError::InvalidLength {
        expected: SIGNATURE_LEN,
        actual: signature.len(),
    })
}

fn sm2_signature(signature: &[u8]) -> Result<::sm2::dsa::Signature, SignatureError> {
    if signature.len() != SIGNATURE_LEN {
        return Err(SignatureError::InvalidLength {
            expected: SIGNATURE_LEN,
            actual: signature.len(),
        });
    }
    ::sm2::dsa::Signature::from_slice(signature).map_err(|_| SignatureError::Malformed)
}

/// SM2 secret: the scalar `d` (zeroized on drop) and its public key.
struct Sm2SecretKey {
    d: ::sm2::NonZeroScalar,
    public: PublicKey,
}

impl Drop for Sm2SecretKey {
    fn drop(&mut self) {
        self.d.zeroize();
    }
}

enum SecretKeyInner {
    Ed25519(ed25519_dalek::SigningKey),
    Sm2(Sm2SecretKey),
    P256(self::p256::P256SecretKey),
    Bls12381G2(bls::Bls12381SecretKey),
}

/// A secret key. Zeroized on drop; `Debug` prints only the algorithm and the public key.
pub struct SecretKey {
    inner: SecretKeyInner,
}

impl From<crosscode_bbs::SecretKey> for SecretKey {
    fn from(key: crosscode_bbs::SecretKey) -> Self {
        SecretKey {
            inner: SecretKeyInner::Bls12381G2(bls::Bls12381SecretKey::from_bbs(key)),
        }
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKey")
            .field("algorithm", &self.algorithm())
            .field("public_key", &self.public_key())
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl SecretKey {
    /// Generates a fresh secret key from the operating system's random number generator.
    pub fn generate(algorithm: KeyAlgorithm) -> SecretKey {
        let inner = match algorithm {
            KeyAlgorithm::Ed25519 => {
                SecretKeyInner::Ed25519(ed25519_dalek::SigningKey::generate(&mut OsRng))
            }
            KeyAlgorithm::Sm2 => loop {
                // Rejection sampling; a 32-byte draw is out of range with probability ~2^-32.
                let mut bytes = Zeroizing::new([0u8; SECRET_KEY_LEN]);
                OsRng.fill_bytes(bytes.as_mut());
                if let Ok(d) = ::sm2::NonZeroScalar::try_from(&bytes[..])
                    && let Ok(secret) = sm2_secret(d)
                {
                    break SecretKeyInner::Sm2(secret);
                }
            },
            KeyAlgorithm::P256 => SecretKeyInner::P256(self::p256::P256SecretKey::generate()),
            KeyAlgorithm::Bls12381G2 => {
                SecretKeyInner::Bls12381G2(bls::Bls12381SecretKey::generate())
            }
        };
        SecretKey { inner }
    }

    /// Rebuilds a secret key from its 32 secret bytes: the Ed25519 seed (RFC 8032 private
    /// key), the SM2 scalar `d` (big-endian, in `[1, n-2]`), the P-256 scalar `d`
    /// (big-endian, in `[1, n-1]`), or the BLS12-381 scalar
    /// (big-endian, as the BBS draft serializes `SK`).
    pub fn from_bytes(algorithm: KeyAlgorithm, bytes: &[u8]) -> Result<SecretKey, KeyError> {
        if bytes.len() != SECRET_KEY_LEN {
            return Err(KeyError::InvalidLength {
                algorithm,
                expected: SECRET_KEY_LEN,
                actual: bytes.len(),
            });
        }
        let inner = match algorithm {
            KeyAlgorithm::Ed25519 => {
                let mut seed = Zeroizing::new([0u8; SECRET_KEY_LEN]);
                seed.copy_from_slice(bytes);
                SecretKeyInner::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed))
            }
            KeyAlgorithm::Sm2 => {
                let d = ::sm2::NonZeroScalar::try_from(bytes)
                    .map_err(|_| KeyError::InvalidSecretKey { algorithm })?;
                SecretKeyInner::Sm2(sm2_secret(d)?)
            }
            KeyAlgorithm::P256 => {
                SecretKeyInner::P256(self::p256::P256SecretKey::from_bytes(bytes)?)
            }
            KeyAlgorithm::Bls12381G2 => {
                SecretKeyInner::Bls12381G2(bls::Bls12381SecretKey::from_bytes(bytes)?)
            }
        };
        Ok(SecretKey { inner })
    }

    /// The 32 secret bytes (see [`SecretKey::from_bytes`]), in a buffer zeroized on drop.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        match &self.inner {
            SecretKeyInner::Ed25519(key) => Zeroizing::new(key.to_bytes().to_vec()),
            SecretKeyInner::Sm2(key) => {
                use ::sm2::elliptic_curve::PrimeField as _;
                let mut repr = key.d.as_ref().to_repr();
                let out = Zeroizing::new(repr.to_vec());
                repr.zeroize();
                out
            }
            SecretKeyInner::P256(key) => key.to_bytes(),
            SecretKeyInner::Bls12381G2(key) => key.to_bytes(),
        }
    }

    /// The key algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        match &self.inner {
            SecretKeyInner::Ed25519(_) => KeyAlgorithm::Ed25519,
            SecretKeyInner::Sm2(_) => KeyAlgorithm::Sm2,
            SecretKeyInner::P256(_) => KeyAlgorithm::P256,
            SecretKeyInner::Bls12381G2(_) => KeyAlgorithm::Bls12381G2,
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        match &self.inner {
            SecretKeyInner::Ed25519(key) => PublicKey::Ed25519(key.verifying_key()),
            SecretKeyInner::Sm2(key) => key.public.clone(),
            SecretKeyInner::P256(key) => key.public_key().clone(),
            SecretKeyInner::Bls12381G2(key) => PublicKey::Bls12381G2(key.public_key()),
        }
    }

    /// Signs `message`: Ed25519 (64 bytes, deterministic), SM2 with SM3 and the default
    /// distinguishing ID (64 bytes `r || s`, random nonce), or ECDSA P-256 with SHA-256 (64
    /// bytes `r || s`, RFC 6979 nonce, low `s`). BLS12-381 keys give
    /// [`SignatureError::UnsupportedAlgorithm`] (they sign with BBS in `crosscode-bbs`).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        match &self.inner {
            SecretKeyInner::Ed25519(key) => Ok(key.sign(message).to_bytes().to_vec()),
            SecretKeyInner::Sm2(_) => self.sign_sm2_with_id(DEFAULT_SM2_ID, message),
            SecretKeyInner::P256(key) => key.sign(message),
            SecretKeyInner::Bls12381G2(_) => Err(SignatureError::UnsupportedAlgorithm {
                algorithm: KeyAlgorithm::Bls12381G2,
            }),
        }
    }

    /// Signs `message` with SM2/SM3 under a custom distinguishing ID `id`. Other key types
    /// give [`SignatureError::NotSm2`].
    pub fn sign_sm2_with_id(&self, id: &[u8], message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        let key = self.as_sm2()?;
        let za = match &key.public {
            PublicKey::Sm2(public) if id == DEFAULT_SM2_ID => public.default_identity_hash,
            public => public.sm2_identity_hash(id)?,
        };
        let e = self::sm2::message_digest(&za, message);
        self::sm2::sign_digest(&key.d, &e).map(|sig| sig.to_vec())
    }

    /// SM2 signing of the digest `e` with a caller-chosen nonce `k`. Only for known-answer
    /// tests (feature `test-vectors`, never enabled by a production build): a predictable or
    /// repeated `k` reveals the secret key.
    #[cfg(feature = "test-vectors")]
    pub fn sign_sm2_digest_with_fixed_nonce_for_tests(
        &self,
        digest: &[u8; 32],
        nonce: &[u8; 32],
    ) -> Result<Vec<u8>, SignatureError> {
        let key = self.as_sm2()?;
        self::sm2::sign_digest_with_fixed_nonce(&key.d, digest, nonce).map(|sig| sig.to_vec())
    }

    /// The BBS secret key, for a BLS12-381 key (`None` for other algorithms).
    pub fn as_bbs(&self) -> Option<&crosscode_bbs::SecretKey> {
        match &self.inner {
            SecretKeyInner::Bls12381G2(key) => Some(key.as_bbs()),
            _ => None,
        }
    }

    /// The BBS secret key and its public key (kept with it), for a BLS12-381 key.
    pub(crate) fn as_bbs_pair(
        &self,
    ) -> Option<(&crosscode_bbs::SecretKey, &crosscode_bbs::PublicKey)> {
        match &self.inner {
            SecretKeyInner::Bls12381G2(key) => Some((key.as_bbs(), key.bbs_public_key())),
            _ => None,
        }
    }

    fn as_sm2(&self) -> Result<&Sm2SecretKey, SignatureError> {
        match &self.inner {
            SecretKeyInner::Sm2(key) => Ok(key),
            _ => Err(SignatureError::NotSm2 {
                algorithm: self.algorithm(),
            }),
        }
    }
}

fn sm2_secret(d: ::sm2::NonZeroScalar) -> Result<Sm2SecretKey, KeyError> {
    // d = n - 1 makes (1 + d) non-invertible: such a key cannot sign.
    let plus_one = *d.as_ref() + ::sm2::Scalar::ONE;
    if bool::from(::sm2::elliptic_curve::Field::is_zero(&plus_one)) {
        return Err(KeyError::InvalidSecretKey {
            algorithm: KeyAlgorithm::Sm2,
        });
    }
    let point = ::sm2::PublicKey::from_secret_scalar(&d);
    let public = PublicKey::Sm2(Sm2PublicKey::new(point)?);
    Ok(Sm2SecretKey { d, public })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_round_trip() {
        for algorithm in [KeyAlgorithm::Ed25519, KeyAlgorithm::Sm2, KeyAlgorithm::P256] {
            let sk = SecretKey::generate(algorithm);
            let pk = sk.public_key();
            assert_eq!(pk.algorithm(), algorithm);
            assert_eq!(pk.to_bytes().len(), algorithm.public_key_len());
            let sig = sk.sign(b"hello").unwrap();
            assert_eq!(sig.len(), SIGNATURE_LEN);
            pk.verify(b"hello", &sig).unwrap();
            assert_eq!(pk.verify(b"hellO", &sig), Err(SignatureError::Invalid));
            let again = PublicKey::from_bytes(algorithm, &pk.to_bytes()).unwrap();
            assert_eq!(again, pk);
            let restored = SecretKey::from_bytes(algorithm, &sk.to_bytes()).unwrap();
            assert_eq!(restored.public_key(), pk);
        }
    }

    #[test]
    fn algorithm_names() {
        for algorithm in KeyAlgorithm::ALL {
            assert_eq!(algorithm.to_string().parse::<KeyAlgorithm>(), Ok(algorithm));
            assert_eq!(
                serde_json::to_string(&algorithm).unwrap(),
                format!("\"{algorithm}\"")
            );
        }
        assert_eq!(
            "Ed25519".parse::<KeyAlgorithm>(),
            Err(KeyError::UnknownAlgorithm {
                name: "Ed25519".into()
            })
        );
        assert!(matches!(
            "x".repeat(1000).parse::<KeyAlgorithm>(),
            Err(KeyError::UnknownAlgorithm { name }) if name.len() == 64
        ));
    }

    #[test]
    fn debug_is_redacted() {
        for algorithm in KeyAlgorithm::ALL {
            let sk = SecretKey::generate(algorithm);
            let secret_hex = hex::encode(sk.to_bytes().as_slice());
            let debug = format!("{sk:?} {sk:#?}");
            assert!(!debug.to_lowercase().contains(&secret_hex));
            assert!(debug.contains("redacted"));
        }
    }
}
