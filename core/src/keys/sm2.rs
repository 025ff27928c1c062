//! SM2 (GB/T 32918 / GM/T 0003) signatures with SM3 on the curve sm2p256v1.
//!
//! Verification uses RustCrypto `sm2` (`VerifyingKey::verify` for the default distinguishing
//! ID, `verify_prehash` for a custom one). Signing is written here on top of the `sm2` crate's
//! constant-time field and group arithmetic, because `sm2::dsa::SigningKey` does not zeroize
//! its secret scalar on drop; every secret value this module touches (`d`, `k`) is zeroized.
//! The signing equation (GB/T 32918.2 §6.1, steps A1–A7):
//!
//! ```text
//! e = SM3(Z_A || M); k in [1, n-1]; (x1, y1) = [k]G; r = (e + x1) mod n, retry if r = 0 or r + k = n;
//! s = (1 + d)^-1 (k - r d) mod n, retry if s = 0; signature = r || s (32 + 32 bytes, big-endian)
//! ```

use rand_core::{OsRng, RngCore};
use sm2::elliptic_curve::{
    Group, PrimeField,
    ops::Reduce,
    point::AffineCoordinates,
    sec1::{Coordinates, ToSec1Point},
    subtle::ConstantTimeEq,
};
use sm2::{FieldBytes, NonZeroScalar, ProjectivePoint, Scalar};
use sm3::{Digest, Sm3};
use zeroize::Zeroize;

use super::SignatureError;

/// The default SM2 distinguishing ID of GM/T 0009-2012: the ASCII string `1234567812345678`.
pub const DEFAULT_SM2_ID: &[u8] = b"1234567812345678";

/// Longest distinguishing ID: its bit length must fit the 16-bit `ENTL` field.
pub const MAX_SM2_ID_LEN: usize = 8191;

/// Curve coefficient `a` of sm2p256v1 (GB/T 32918.5-2017).
pub const SM2P256V1_A: [u8; 32] =
    hex_literal("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC");
/// Curve coefficient `b` of sm2p256v1 (GB/T 32918.5-2017).
pub const SM2P256V1_B: [u8; 32] =
    hex_literal("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93");
/// Base point x coordinate of sm2p256v1.
pub const SM2P256V1_GX: [u8; 32] =
    hex_literal("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7");
/// Base point y coordinate of sm2p256v1.
pub const SM2P256V1_GY: [u8; 32] =
    hex_literal("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0");

/// Parses a 64-digit hex literal at compile time.
const fn hex_literal(text: &str) -> [u8; 32] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => 0,
        }
    }
    let bytes = text.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 && 2 * i + 1 < bytes.len() {
        out[i] = (nibble(bytes[2 * i]) << 4) | nibble(bytes[2 * i + 1]);
        i += 1;
    }
    out
}

/// The user-information hash `Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A)`
/// (GB/T 32918.2 §5.5) of `public_key` under the distinguishing ID `id`.
pub fn identity_hash(id: &[u8], public_key: &sm2::PublicKey) -> Result<[u8; 32], SignatureError> {
    if id.len() > MAX_SM2_ID_LEN {
        return Err(SignatureError::DistinguishingIdTooLong { len: id.len() });
    }
    let entl = u16::try_from(id.len() * 8)
        .map_err(|_| SignatureError::DistinguishingIdTooLong { len: id.len() })?;
    let point = public_key.as_affine().to_sec1_point(false);
    let (x, y) = match point.coordinates() {
        Coordinates::Uncompressed { x, y } => (x.to_vec(), y.to_vec()),
        _ => return Err(SignatureError::Invalid),
    };
    let mut hasher = Sm3::new();
    hasher.update(entl.to_be_bytes());
    hasher.update(id);
    hasher.update(SM2P256V1_A);
    hasher.update(SM2P256V1_B);
    hasher.update(SM2P256V1_GX);
    hasher.update(SM2P256V1_GY);
    hasher.update(&x);
    hasher.update(&y);
    Ok(hasher.finalize().into())
}

/// The message digest `e = SM3(Z_A || M)` that SM2 signs (GB/T 32918.2 §6.1, A1–A2).
pub fn message_digest(identity_hash: &[u8; 32], message: &[u8]) -> [u8; 32] {
    let mut hasher = Sm3::new();
    hasher.update(identity_hash);
    hasher.update(message);
    hasher.finalize().into()
}

/// Draws a uniformly random non-zero scalar from the operating system.
fn random_nonce() -> Result<NonZeroScalar, SignatureError> {
    let mut bytes = [0u8; 32];
    // Rejection sampling: the chance that 32 random bytes are >= n or 0 is about 2^-32.
    for _ in 0..64 {
        OsRng
            .try_fill_bytes(&mut bytes)
            .map_err(|_| SignatureError::Randomness)?;
        let candidate = NonZeroScalar::try_from(&bytes[..]);
        bytes.zeroize();
        if let Ok(k) = candidate {
            return Ok(k);
        }
    }
    Err(SignatureError::Randomness)
}

/// Signs the digest `e` with secret `d` and nonce `k`; `None` when `k` must be redrawn.
fn sign_digest_with_nonce(d: &NonZeroScalar, e: &[u8; 32], k: &NonZeroScalar) -> Option<[u8; 64]> {
    let e_scalar = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(*e));
    let point = (ProjectivePoint::generator() * k.as_ref()).to_affine();
    let x1 = <Scalar as Reduce<FieldBytes>>::reduce(&point.x());
    let r = e_scalar + x1;
    if bool::from(r.is_zero() | (r + k.as_ref()).ct_eq(&Scalar::ZERO)) {
        return None;
    }
    let mut d_plus_one = *d.as_ref() + Scalar::ONE;
    let inverse = Option::<Scalar>::from(d_plus_one.invert());
    d_plus_one.zeroize();
    let mut inverse = inverse?;
    let mut rd = r * d.as_ref();
    let mut k_minus_rd = *k.as_ref() - rd;
    let s = inverse * k_minus_rd;
    inverse.zeroize();
    rd.zeroize();
    k_minus_rd.zeroize();
    if bool::from(s.is_zero()) {
        return None;
    }
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&r.to_repr());
    out[32..].copy_from_slice(&s.to_repr());
    Some(out)
}

/// Signs the SM2 digest `e` (already `SM3(Z_A || M)`) with a fresh random nonce.
pub(crate) fn sign_digest(d: &NonZeroScalar, e: &[u8; 32]) -> Result<[u8; 64], SignatureError> {
    for _ in 0..16 {
        let mut k = random_nonce()?;
        let signature = sign_digest_with_nonce(d, e, &k);
        k.zeroize();
        if let Some(signature) = signature {
            return Ok(signature);
        }
    }
    Err(SignatureError::Randomness)
}

/// Deterministic signing with a caller-chosen nonce `k`, for known-answer tests only (a
/// repeated or predictable `k` reveals the secret key).
#[cfg(feature = "test-vectors")]
pub(crate) fn sign_digest_with_fixed_nonce(
    d: &NonZeroScalar,
    e: &[u8; 32],
    k: &[u8; 32],
) -> Result<[u8; 64], SignatureError> {
    let mut k = NonZeroScalar::try_from(&k[..]).map_err(|_| SignatureError::Invalid)?;
    let signature = sign_digest_with_nonce(d, e, &k);
    k.zeroize();
    signature.ok_or(SignatureError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sm2::elliptic_curve::sec1::ToSec1Point;

    #[test]
    fn generator_constants_match_the_sm2_crate() {
        let g = ProjectivePoint::generator()
            .to_affine()
            .to_sec1_point(false);
        match g.coordinates() {
            Coordinates::Uncompressed { x, y } => {
                assert_eq!(x.as_slice(), &SM2P256V1_GX[..]);
                assert_eq!(y.as_slice(), &SM2P256V1_GY[..]);
            }
            _ => panic!("uncompressed expected"),
        }
    }

    #[test]
    fn long_ids_are_refused() {
        let d = NonZeroScalar::try_from(&[7u8; 32][..]).unwrap();
        let pk = sm2::PublicKey::from_secret_scalar(&d);
        assert!(identity_hash(&[b'a'; MAX_SM2_ID_LEN], &pk).is_ok());
        assert_eq!(
            identity_hash(&[b'a'; MAX_SM2_ID_LEN + 1], &pk),
            Err(SignatureError::DistinguishingIdTooLong {
                len: MAX_SM2_ID_LEN + 1
            })
        );
    }
}
