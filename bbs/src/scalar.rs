//! Scalars of the BLS12-381 prime-order group: encoding, reduction of wide byte strings, and a
//! wrapper that wipes secret scalars when dropped.

use blstrs::Scalar;
use ff::Field;

use crate::error::BbsError;

/// Length of an encoded scalar (`octet_scalar_length`).
pub const SCALAR_LENGTH: usize = 32;

/// `OS2IP(bytes) mod r` for a big-endian byte string of at most 48 bytes (`expand_len`).
pub(crate) fn scalar_from_wide_be(bytes: &[u8]) -> Scalar {
    // x = sum of 16-byte chunks * 2^(128 k); each chunk < 2^128 < r, so it converts exactly.
    // (Through the 32-byte little-endian form: `PrimeField::from_u128` doubles 64 times.)
    let shift = small_scalar(0, 1); // 2^128
    let mut acc = Scalar::ZERO;
    let head = bytes.len() % 16;
    let (first, rest) = bytes.split_at(head);
    if !first.is_empty() {
        let mut chunk = [0u8; 16];
        chunk[16 - head..].copy_from_slice(first);
        acc = small_scalar(u128::from_be_bytes(chunk), 0);
    }
    for chunk in rest.chunks_exact(16) {
        let mut word = [0u8; 16];
        word.copy_from_slice(chunk);
        acc = acc * shift + small_scalar(u128::from_be_bytes(word), 0);
    }
    acc
}

/// `low + high * 2^128` for `high < 2^64`: below r, so the little-endian decoding always succeeds.
fn small_scalar(low: u128, high: u64) -> Scalar {
    let mut repr = [0u8; SCALAR_LENGTH];
    repr[..16].copy_from_slice(&low.to_le_bytes());
    repr[16..24].copy_from_slice(&high.to_le_bytes());
    Option::from(Scalar::from_bytes_le(&repr)).unwrap_or(Scalar::ZERO)
}

/// Decodes a 32-byte big-endian scalar, rejecting values `>= r` (not reduced).
pub fn scalar_from_bytes(bytes: &[u8], what: &'static str) -> Result<Scalar, BbsError> {
    let array: [u8; SCALAR_LENGTH] = bytes.try_into().map_err(|_| BbsError::InvalidLength {
        what,
        expected: SCALAR_LENGTH,
        actual: bytes.len(),
    })?;
    Option::from(Scalar::from_bytes_be(&array)).ok_or(BbsError::ScalarOutOfRange { what })
}

/// Decodes a 32-byte big-endian scalar that must be in `1..r`.
pub fn nonzero_scalar_from_bytes(bytes: &[u8], what: &'static str) -> Result<Scalar, BbsError> {
    let scalar = scalar_from_bytes(bytes, what)?;
    if bool::from(scalar.is_zero()) {
        return Err(BbsError::ZeroScalar { what });
    }
    Ok(scalar)
}

/// A secret scalar (secret key, blinding factor, ...). Its value is overwritten with zero when
/// it is dropped. `Debug` does not print it.
///
/// `blstrs::Scalar` is `Copy` and offers no `Zeroize`; the wipe assigns zero and passes the
/// location through [`std::hint::black_box`] so the store is not optimised away. Copies that
/// the arithmetic makes on the stack are short-lived and not covered (best effort without
/// `unsafe`).
#[derive(Clone)]
pub struct SecretScalar(Scalar);

impl SecretScalar {
    /// Wraps a scalar.
    pub fn new(scalar: Scalar) -> Self {
        Self(scalar)
    }

    /// The wrapped scalar.
    pub fn expose(&self) -> &Scalar {
        &self.0
    }
}

impl Drop for SecretScalar {
    fn drop(&mut self) {
        self.0 = Scalar::ZERO;
        std::hint::black_box(&mut self.0);
    }
}

impl std::fmt::Debug for SecretScalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretScalar(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ff::PrimeField;

    #[test]
    fn wide_reduction_matches_small_values() {
        let mut bytes = [0u8; 48];
        bytes[47] = 7;
        bytes[31] = 1; // 2^128
        let expected = Scalar::from(7u64) + Scalar::from_u128(u128::MAX) + Scalar::ONE;
        assert_eq!(scalar_from_wide_be(&bytes), expected);
    }

    #[test]
    fn wide_reduction_of_modulus_is_zero() {
        // r = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001
        let hex = "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001";
        let r_be: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        assert_eq!(scalar_from_wide_be(&r_be), Scalar::ZERO);
        let mut padded = vec![0u8; 16];
        padded.extend_from_slice(&r_be);
        assert_eq!(scalar_from_wide_be(&padded), Scalar::ZERO);
    }

    #[test]
    fn decoding_rejects_out_of_range_and_zero() {
        assert!(matches!(
            scalar_from_bytes(&[0xff; 32], "s"),
            Err(BbsError::ScalarOutOfRange { what: "s" })
        ));
        assert!(matches!(
            scalar_from_bytes(&[0; 31], "s"),
            Err(BbsError::InvalidLength {
                expected: 32,
                actual: 31,
                ..
            })
        ));
        assert!(matches!(
            nonzero_scalar_from_bytes(&[0; 32], "s"),
            Err(BbsError::ZeroScalar { what: "s" })
        ));
    }
}
