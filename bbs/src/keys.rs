//! BBS key pairs: [`SecretKey`] (a scalar in `1..r`) and [`PublicKey`] (a G2 point), KeyGen and
//! SkToPk of the draft, with their octet encodings.

use std::sync::OnceLock;

use blstrs::{G2Affine, G2Prepared, G2Projective, Scalar};
use ff::Field;
use group::{Curve, Group};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use crate::ciphersuite::{Bls12381Sha256, Ciphersuite};
use crate::error::BbsError;
use crate::hash_to_scalar::hash_parts_to_scalar;
use crate::point::{G2_LENGTH, g2_from_bytes};
use crate::scalar::{SCALAR_LENGTH, SecretScalar};

/// Minimum length of KeyGen's key material.
pub const MIN_KEY_MATERIAL_LENGTH: usize = 32;

/// A BBS secret key: a scalar in `1..r`. It is wiped when dropped and its `Debug` output is
/// redacted.
#[derive(Clone)]
pub struct SecretKey(SecretScalar);

impl SecretKey {
    /// A fresh random key: KeyGen (BLS12-381-SHA-256 DST) over 32 bytes from the OS RNG.
    pub fn random() -> Self {
        let mut key_material = Zeroizing::new([0u8; MIN_KEY_MATERIAL_LENGTH]);
        loop {
            OsRng.fill_bytes(key_material.as_mut());
            // KeyGen fails only for a zero scalar (probability ~2^-255) — draw again then.
            if let Ok(key) = Self::key_gen::<Bls12381Sha256>(key_material.as_ref(), &[], None) {
                return key;
            }
        }
    }

    /// KeyGen of the draft: `SK = hash_to_scalar(key_material || I2OSP(len(key_info), 2) ||
    /// key_info, key_dst)`; `key_dst` defaults to `api_id || "KEYGEN_DST_"` of ciphersuite `C`.
    pub fn key_gen<C: Ciphersuite>(
        key_material: &[u8],
        key_info: &[u8],
        key_dst: Option<&[u8]>,
    ) -> Result<Self, BbsError> {
        if key_material.len() < MIN_KEY_MATERIAL_LENGTH {
            return Err(BbsError::KeyMaterialTooShort {
                length: key_material.len(),
            });
        }
        let info_length = u16::try_from(key_info.len()).map_err(|_| BbsError::KeyInfoTooLong {
            length: key_info.len(),
        })?;
        let default_dst;
        let dst = match key_dst {
            Some(dst) => dst,
            None => {
                default_dst = C::dst(b"KEYGEN_DST_");
                &default_dst
            }
        };
        let scalar = SecretScalar::new(hash_parts_to_scalar::<C>(
            &[key_material, &info_length.to_be_bytes(), key_info],
            dst,
        )?);
        if bool::from(scalar.expose().is_zero()) {
            return Err(BbsError::ZeroScalar { what: "secret key" });
        }
        Ok(Self(scalar))
    }

    /// Decodes a 32-byte big-endian secret key; it must be in `1..r`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BbsError> {
        let what = "secret key";
        let array: Zeroizing<[u8; SCALAR_LENGTH]> =
            Zeroizing::new(bytes.try_into().map_err(|_| BbsError::InvalidLength {
                what,
                expected: SCALAR_LENGTH,
                actual: bytes.len(),
            })?);
        let scalar: Scalar = Option::from(Scalar::from_bytes_be(&array))
            .ok_or(BbsError::ScalarOutOfRange { what })?;
        let scalar = SecretScalar::new(scalar);
        if bool::from(scalar.expose().is_zero()) {
            return Err(BbsError::ZeroScalar { what });
        }
        Ok(Self(scalar))
    }

    /// The 32-byte big-endian encoding (`I2OSP(SK, 32)`). Wipe the copy when done with it.
    pub fn to_bytes(&self) -> [u8; SCALAR_LENGTH] {
        self.0.expose().to_bytes_be()
    }

    /// SkToPk: `W = SK * BP2`.
    pub fn public_key(&self) -> PublicKey {
        let point = (G2Projective::generator() * self.0.expose()).to_affine();
        PublicKey::from_point(point)
    }

    /// The secret scalar (crate-internal).
    pub(crate) fn scalar(&self) -> &Scalar {
        self.0.expose()
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// A BBS public key: a point of G2 (not the identity), encoded as 96 compressed bytes. The
/// point prepared for Miller loops is computed on first use and kept.
#[derive(Clone)]
pub struct PublicKey {
    point: G2Affine,
    bytes: [u8; G2_LENGTH],
    prepared: OnceLock<G2Prepared>,
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for PublicKey {}

impl PublicKey {
    fn from_point(point: G2Affine) -> Self {
        Self {
            bytes: point.to_compressed(),
            point,
            prepared: OnceLock::new(),
        }
    }

    /// The point prepared for Miller loops (cached).
    pub(crate) fn prepared(&self) -> &G2Prepared {
        self.prepared.get_or_init(|| G2Prepared::from(self.point))
    }

    /// Decodes a 96-byte compressed G2 point, checking length, encoding, that it is on the
    /// curve, in the prime-order subgroup and not the identity (`octets_to_pubkey`).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BbsError> {
        let point = g2_from_bytes(bytes, "public key")?;
        Ok(Self::from_point(point))
    }

    /// The 96-byte compressed encoding.
    pub fn to_bytes(&self) -> [u8; G2_LENGTH] {
        self.bytes
    }

    /// The compressed encoding, borrowed.
    pub fn as_bytes(&self) -> &[u8; G2_LENGTH] {
        &self.bytes
    }

    /// The G2 point.
    pub fn point(&self) -> &G2Affine {
        &self.point
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey(")?;
        for byte in &self.bytes {
            write!(f, "{byte:02x}")?;
        }
        write!(f, ")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_keys_round_trip() {
        let sk = SecretKey::random();
        let bytes = sk.to_bytes();
        let again = SecretKey::from_bytes(&bytes).unwrap();
        assert_eq!(again.to_bytes(), bytes);
        let pk = sk.public_key();
        assert_eq!(PublicKey::from_bytes(&pk.to_bytes()).unwrap(), pk);
        assert_ne!(SecretKey::random().to_bytes(), bytes);
    }

    #[test]
    fn keys_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<SecretKey>();
        check::<PublicKey>();
    }

    #[test]
    fn debug_is_redacted() {
        let sk = SecretKey::from_bytes(&[0x11; 32]).unwrap();
        let text = format!("{sk:?}");
        assert!(!text.contains("11"));
        assert!(text.contains("redacted"));
    }

    #[test]
    fn key_gen_rejects_short_material_and_long_info() {
        assert!(matches!(
            SecretKey::key_gen::<Bls12381Sha256>(&[0; 31], b"", None),
            Err(BbsError::KeyMaterialTooShort { length: 31 })
        ));
        assert!(matches!(
            SecretKey::key_gen::<Bls12381Sha256>(&[0; 32], &vec![0; 65536], None),
            Err(BbsError::KeyInfoTooLong { length: 65536 })
        ));
        assert!(matches!(
            SecretKey::key_gen::<Bls12381Sha256>(&[0; 32], b"", Some(&[0; 256])),
            Err(BbsError::DstTooLong { length: 256 })
        ));
    }
}
