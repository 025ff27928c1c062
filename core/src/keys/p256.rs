//! ECDSA on NIST P-256 (secp256r1) with SHA-256: the holder keys a phone's secure hardware
//! (iOS Secure Enclave, Android StrongBox / Keystore) can hold.
//!
//! - Public key: the SEC1 point, canonically compressed (33 bytes, `02`/`03 ‖ x`); the
//!   uncompressed form (65 bytes, `04 ‖ x ‖ y`, what keystores export) is accepted as input.
//! - Secret key: the scalar `d`, 32 bytes big-endian, in `[1, n-1]`.
//! - Signature: ECDSA with SHA-256 over the message (FIPS 186-5), encoded as 64 bytes
//!   `r ‖ s` (32 bytes each, big-endian). In-memory keys sign deterministically (RFC 6979)
//!   and normalise `s` to the lower half (`s <= n/2`). Verification accepts both halves, as
//!   the W3C ECDSA cryptosuites do (Web Crypto signers produce high `s` half of the time);
//!   `r` and `s` must be in `[1, n-1]`.
//!
//! A keystore that answers ASN.1 DER signatures (`SEQUENCE { r INTEGER, s INTEGER }`, as
//! Apple's `SecKeyCreateSignature` and Android's `Signature.sign` do) converts them with
//! [`signature_from_der`] before handing them back through the [`super::Signer`] port.

use ::p256::ecdsa::signature::Signer as _;
use ::p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use rand_core::{OsRng, RngCore};
use zeroize::{Zeroize, Zeroizing};

use super::{KeyAlgorithm, KeyError, PublicKey, SIGNATURE_LEN, SignatureError};

/// Length of a P-256 public key in its canonical (SEC1 compressed) form.
pub const P256_PUBLIC_KEY_LEN: usize = 33;
/// Length of a P-256 public key in SEC1 uncompressed form (accepted by
/// [`PublicKey::from_bytes`]).
pub const P256_UNCOMPRESSED_PUBLIC_KEY_LEN: usize = 65;
/// Longest ASN.1 DER encoding of a P-256 ECDSA signature [`signature_from_der`] reads.
pub const MAX_DER_SIGNATURE_LEN: usize = 72;

/// Parses and validates a P-256 public key (SEC1 compressed `02`/`03 ‖ x` or uncompressed
/// `04 ‖ x ‖ y`, on the curve, not the identity).
pub(super) fn public_key_from_bytes(bytes: &[u8]) -> Result<VerifyingKey, KeyError> {
    let algorithm = KeyAlgorithm::P256;
    if bytes.len() != P256_PUBLIC_KEY_LEN && bytes.len() != P256_UNCOMPRESSED_PUBLIC_KEY_LEN {
        return Err(KeyError::InvalidLength {
            algorithm,
            expected: P256_PUBLIC_KEY_LEN,
            actual: bytes.len(),
        });
    }
    // Only the SEC1 tags of the two forms: the `p256` crate would also read a "compact" point
    // (tag 05), which no standard Crosscode follows defines.
    let tag_fits = match bytes.first() {
        Some(0x02 | 0x03) => bytes.len() == P256_PUBLIC_KEY_LEN,
        Some(0x04) => bytes.len() == P256_UNCOMPRESSED_PUBLIC_KEY_LEN,
        _ => false,
    };
    if !tag_fits {
        return Err(KeyError::InvalidPublicKey { algorithm });
    }
    VerifyingKey::from_sec1_bytes(bytes).map_err(|_| KeyError::InvalidPublicKey { algorithm })
}

/// The 33-byte SEC1 compressed encoding of a P-256 public key.
pub(super) fn compressed(key: &VerifyingKey) -> Vec<u8> {
    key.to_encoded_point(true).as_bytes().to_vec()
}

/// The 64-byte `r ‖ s` signature, refusing another length ([`SignatureError::InvalidLength`])
/// and `r` or `s` outside `[1, n-1]` ([`SignatureError::Malformed`]).
fn signature_from_bytes(signature: &[u8]) -> Result<Signature, SignatureError> {
    if signature.len() != SIGNATURE_LEN {
        return Err(SignatureError::InvalidLength {
            expected: SIGNATURE_LEN,
            actual: signature.len(),
        });
    }
    Signature::from_slice(signature).map_err(|_| SignatureError::Malformed)
}

/// Verifies an ECDSA P-256 / SHA-256 signature (64 bytes `r ‖ s`, either half of `s`).
pub(super) fn verify(
    key: &VerifyingKey,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    use ::p256::ecdsa::signature::Verifier as _;
    let signature = signature_from_bytes(signature)?;
    key.verify(message, &signature)
        .map_err(|_| SignatureError::Invalid)
}

/// The low-`s` form of a signature (`s` replaced by `n - s` when `s > n/2`).
fn low_s(signature: Signature) -> Signature {
    signature.normalize_s().unwrap_or(signature)
}

/// Converts an ASN.1 DER ECDSA P-256 signature (what platform keystores answer) to the
/// 64-byte `r ‖ s` form Crosscode signs and verifies with, normalised to low `s`. Input longer
/// than [`MAX_DER_SIGNATURE_LEN`], not strict DER, or with `r` / `s` outside `[1, n-1]` gives
/// [`SignatureError::Malformed`].
pub fn signature_from_der(der: &[u8]) -> Result<Vec<u8>, SignatureError> {
    if der.len() > MAX_DER_SIGNATURE_LEN {
        return Err(SignatureError::Malformed);
    }
    let signature = Signature::from_der(der).map_err(|_| SignatureError::Malformed)?;
    Ok(low_s(signature).to_bytes().to_vec())
}

/// Normalises a 64-byte `r ‖ s` P-256 signature to low `s` (a keystore whose raw signatures
/// may have high `s` hands them through this). Wrong lengths and out-of-range scalars give
/// the errors of verification.
pub fn normalize_signature(signature: &[u8]) -> Result<Vec<u8>, SignatureError> {
    Ok(low_s(signature_from_bytes(signature)?).to_bytes().to_vec())
}

/// A P-256 secret key (the `p256` crate's signing key zeroizes its scalar on drop) and its
/// public key.
pub(super) struct P256SecretKey {
    key: SigningKey,
    public: PublicKey,
}

impl P256SecretKey {
    /// A fresh key from the operating system's random number generator (rejection sampling;
    /// 32 random bytes are out of range with probability about 2^-32).
    pub(super) fn generate() -> P256SecretKey {
        let mut bytes = Zeroizing::new([0u8; 32]);
        loop {
            OsRng.fill_bytes(bytes.as_mut());
            if let Ok(key) = P256SecretKey::from_bytes(bytes.as_ref()) {
                return key;
            }
        }
    }

    /// The key of the 32-byte big-endian scalar `d` in `[1, n-1]`.
    pub(super) fn from_bytes(bytes: &[u8]) -> Result<P256SecretKey, KeyError> {
        let key = SigningKey::from_slice(bytes).map_err(|_| KeyError::InvalidSecretKey {
            algorithm: KeyAlgorithm::P256,
        })?;
        let public = PublicKey::P256(*key.verifying_key());
        Ok(P256SecretKey { key, public })
    }

    /// The 32 secret bytes, in a buffer zeroized on drop.
    pub(super) fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut bytes = self.key.to_bytes();
        let out = Zeroizing::new(bytes.to_vec());
        bytes.zeroize();
        out
    }

    /// The public key.
    pub(super) fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// ECDSA P-256 / SHA-256 over `message`: RFC 6979 nonce, low `s`, 64 bytes `r ‖ s`.
    pub(super) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        let signature: Signature = self
            .key
            .try_sign(message)
            .map_err(|_| SignatureError::Invalid)?;
        Ok(low_s(signature).to_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::p256::elliptic_curve::scalar::IsHigh as _;

    #[test]
    fn a_der_signature_converts_to_the_low_s_fixed_form_that_verifies() {
        let secret = P256SecretKey::generate();
        let PublicKey::P256(public) = secret.public_key().clone() else {
            panic!("P-256 expected")
        };
        let fixed = secret.sign(b"slot 42").unwrap();
        let signature = Signature::from_slice(&fixed).unwrap();
        assert!(!bool::from(signature.s().is_high()));
        // A keystore's DER signature, with s in the high half.
        let high = Signature::from_scalars(signature.r(), -*signature.s()).unwrap();
        assert!(bool::from(high.s().is_high()));
        verify(&public, b"slot 42", &high.to_bytes()).unwrap();
        let der = high.to_der();
        assert_eq!(signature_from_der(der.as_bytes()).unwrap(), fixed);
        assert_eq!(normalize_signature(&high.to_bytes()).unwrap(), fixed);
        assert_eq!(
            signature_from_der(&fixed),
            Err(SignatureError::Malformed),
            "64 raw bytes are not DER"
        );
        assert_eq!(
            signature_from_der(&[0x30; MAX_DER_SIGNATURE_LEN + 1]),
            Err(SignatureError::Malformed)
        );
    }
}
