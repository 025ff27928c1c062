//! Compressed encodings of G1 (48 bytes) and G2 (96 bytes) points with full validation:
//! flag bits, coordinate range, on-curve, subgroup membership and identity, each a typed error.

use blstrs::{G1Affine, G2Affine};
use group::prime::PrimeCurveAffine;

use crate::error::BbsError;

/// Length of a compressed G1 point (`octet_point_length`).
pub const G1_LENGTH: usize = 48;
/// Length of a compressed G2 point (a public key).
pub const G2_LENGTH: usize = 96;

/// The base field modulus p, big-endian.
const FIELD_MODULUS: [u8; 48] = [
    0x1a, 0x01, 0x11, 0xea, 0x39, 0x7f, 0xe6, 0x9a, 0x4b, 0x1b, 0xa7, 0xb6, 0x43, 0x4b, 0xac, 0xd7,
    0x64, 0x77, 0x4b, 0x84, 0xf3, 0x85, 0x12, 0xbf, 0x67, 0x30, 0xd2, 0xa0, 0xf6, 0xb0, 0xf6, 0x24,
    0x1e, 0xab, 0xff, 0xfe, 0xb1, 0x53, 0xff, 0xff, 0xb9, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xaa, 0xab,
];

const COMPRESSION_FLAG: u8 = 0x80;
const INFINITY_FLAG: u8 = 0x40;
const FLAG_MASK: u8 = 0xe0;

/// Checks the flag bits and that every 48-byte coordinate is below p. Returns `Ok(true)` for
/// a well-formed encoding of the identity.
fn check_flags_and_range(bytes: &[u8], what: &'static str) -> Result<bool, BbsError> {
    let first = bytes.first().copied().unwrap_or(0);
    if first & COMPRESSION_FLAG == 0 {
        return Err(BbsError::InvalidPointEncoding { what });
    }
    if first & INFINITY_FLAG != 0 {
        let rest_zero = bytes.iter().skip(1).all(|b| *b == 0);
        if first & !(COMPRESSION_FLAG | INFINITY_FLAG) != 0 || !rest_zero {
            return Err(BbsError::InvalidPointEncoding { what });
        }
        return Ok(true);
    }
    for (i, coordinate) in bytes.chunks(48).enumerate() {
        let mut value = [0u8; 48];
        value.copy_from_slice(coordinate);
        if i == 0 {
            value[0] &= !FLAG_MASK;
        }
        if value >= FIELD_MODULUS {
            return Err(BbsError::InvalidPointEncoding { what });
        }
    }
    Ok(false)
}

/// Decodes a compressed G1 point that must be valid, in the subgroup and not the identity.
pub fn g1_from_bytes(bytes: &[u8], what: &'static str) -> Result<G1Affine, BbsError> {
    let array: [u8; G1_LENGTH] = bytes.try_into().map_err(|_| BbsError::InvalidLength {
        what,
        expected: G1_LENGTH,
        actual: bytes.len(),
    })?;
    if check_flags_and_range(&array, what)? {
        return Err(BbsError::IdentityPoint { what });
    }
    let point: G1Affine = Option::from(G1Affine::from_compressed_unchecked(&array))
        .ok_or(BbsError::PointNotOnCurve { what })?;
    if !bool::from(point.is_on_curve()) {
        return Err(BbsError::PointNotOnCurve { what });
    }
    if !bool::from(point.is_torsion_free()) {
        return Err(BbsError::PointNotInSubgroup { what });
    }
    if bool::from(point.is_identity()) {
        return Err(BbsError::IdentityPoint { what });
    }
    Ok(point)
}

/// Decodes a compressed G2 point that must be valid, in the subgroup and not the identity.
pub fn g2_from_bytes(bytes: &[u8], what: &'static str) -> Result<G2Affine, BbsError> {
    let array: [u8; G2_LENGTH] = bytes.try_into().map_err(|_| BbsError::InvalidLength {
        what,
        expected: G2_LENGTH,
        actual: bytes.len(),
    })?;
    if check_flags_and_range(&array, what)? {
        return Err(BbsError::IdentityPoint { what });
    }
    let point: G2Affine = Option::from(G2Affine::from_compressed_unchecked(&array))
        .ok_or(BbsError::PointNotOnCurve { what })?;
    if !bool::from(point.is_on_curve()) {
        return Err(BbsError::PointNotOnCurve { what });
    }
    if !bool::from(point.is_torsion_free()) {
        return Err(BbsError::PointNotInSubgroup { what });
    }
    if bool::from(point.is_identity()) {
        return Err(BbsError::IdentityPoint { what });
    }
    Ok(point)
}
