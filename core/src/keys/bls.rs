//! BLS12-381 G2 public keys (the BBS public keys) and BLS12-381 secret keys.
//!
//! Interim version: until `crosscode-bbs` provides key generation and full point validation,
//! a G2 public key is checked for length and for the compressed-encoding flag bits only.

use zeroize::Zeroizing;

use super::{BLS12381_G2_PUBLIC_KEY_LEN, KeyAlgorithm, KeyError, SECRET_KEY_LEN};

/// A BLS12-381 G2 public key: a 96-byte compressed G2 point (the BBS draft `PK` encoding).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Bls12381G2PublicKey([u8; BLS12381_G2_PUBLIC_KEY_LEN]);

impl Bls12381G2PublicKey {
    /// Parses a 96-byte compressed G2 point.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let array: [u8; BLS12381_G2_PUBLIC_KEY_LEN] =
            bytes.try_into().map_err(|_| KeyError::InvalidLength {
                algorithm: KeyAlgorithm::Bls12381G2,
                expected: BLS12381_G2_PUBLIC_KEY_LEN,
                actual: bytes.len(),
            })?;
        // Compressed flag set, infinity flag clear (the identity is never a valid public key).
        if array[0] & 0x80 == 0 || array[0] & 0x40 != 0 {
            return Err(KeyError::InvalidPublicKey {
                algorithm: KeyAlgorithm::Bls12381G2,
            });
        }
        Ok(Self(array))
    }

    /// The 96-byte compressed encoding.
    pub fn to_bytes(&self) -> [u8; BLS12381_G2_PUBLIC_KEY_LEN] {
        self.0
    }
}

/// A BLS12-381 secret key (interim: not available until `crosscode-bbs` is wired in).
pub(crate) enum Bls12381SecretKey {}

impl Bls12381SecretKey {
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let _ = bytes.len() == SECRET_KEY_LEN;
        Err(KeyError::UnsupportedAlgorithm {
            algorithm: KeyAlgorithm::Bls12381G2,
        })
    }

    pub(crate) fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        match *self {}
    }

    pub(crate) fn public_key(&self) -> Bls12381G2PublicKey {
        match *self {}
    }
}
