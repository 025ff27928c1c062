//! BLS12-381 G2 public keys (the BBS public keys) and BLS12-381 secret keys, both from
//! `crosscode-bbs` (which validates points fully: length, encoding flags, on-curve,
//! prime-order subgroup, not the identity).

use zeroize::{Zeroize, Zeroizing};

use super::{KeyAlgorithm, KeyError, SECRET_KEY_LEN};

/// A BLS12-381 G2 public key: a 96-byte compressed G2 point (the BBS draft `PK` encoding).
#[derive(Clone, PartialEq, Eq)]
pub struct Bls12381G2PublicKey(crosscode_bbs::PublicKey);

impl Bls12381G2PublicKey {
    /// Parses and validates a 96-byte compressed G2 point.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() != super::BLS12381_G2_PUBLIC_KEY_LEN {
            return Err(KeyError::InvalidLength {
                algorithm: KeyAlgorithm::Bls12381G2,
                expected: super::BLS12381_G2_PUBLIC_KEY_LEN,
                actual: bytes.len(),
            });
        }
        crosscode_bbs::PublicKey::from_bytes(bytes)
            .map(Self)
            .map_err(|_| KeyError::InvalidPublicKey {
                algorithm: KeyAlgorithm::Bls12381G2,
            })
    }

    /// The 96-byte compressed encoding.
    pub fn to_bytes(&self) -> [u8; super::BLS12381_G2_PUBLIC_KEY_LEN] {
        self.0.to_bytes()
    }

    /// The BBS public key.
    pub fn as_bbs(&self) -> &crosscode_bbs::PublicKey {
        &self.0
    }
}

impl From<crosscode_bbs::PublicKey> for Bls12381G2PublicKey {
    fn from(key: crosscode_bbs::PublicKey) -> Self {
        Self(key)
    }
}

/// A BLS12-381 secret key (a BBS secret key; zeroized on drop by `crosscode-bbs`) and its
/// public key, computed once when the key is made: it is a G2 scalar multiplication (about a
/// third of a BBS signature's cost), and every BBS signature needs it (the domain hashes it).
pub(crate) struct Bls12381SecretKey {
    secret: crosscode_bbs::SecretKey,
    public: Bls12381G2PublicKey,
}

impl Bls12381SecretKey {
    pub(crate) fn from_bbs(secret: crosscode_bbs::SecretKey) -> Self {
        let public = Bls12381G2PublicKey(secret.public_key());
        Self { secret, public }
    }

    pub(crate) fn generate() -> Self {
        Self::from_bbs(crosscode_bbs::SecretKey::random())
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() != SECRET_KEY_LEN {
            return Err(KeyError::InvalidLength {
                algorithm: KeyAlgorithm::Bls12381G2,
                expected: SECRET_KEY_LEN,
                actual: bytes.len(),
            });
        }
        crosscode_bbs::SecretKey::from_bytes(bytes)
            .map(Self::from_bbs)
            .map_err(|_| KeyError::InvalidSecretKey {
                algorithm: KeyAlgorithm::Bls12381G2,
            })
    }

    pub(crate) fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut bytes = self.secret.to_bytes();
        let out = Zeroizing::new(bytes.to_vec());
        bytes.zeroize();
        out
    }

    pub(crate) fn public_key(&self) -> Bls12381G2PublicKey {
        self.public.clone()
    }

    pub(crate) fn as_bbs(&self) -> &crosscode_bbs::SecretKey {
        &self.secret
    }

    /// The BBS public key (computed when the key was made).
    pub(crate) fn bbs_public_key(&self) -> &crosscode_bbs::PublicKey {
        &self.public.0
    }
}
