//! Public keys of issuers and signature verification (RustCrypto; no hand-written crypto).
//!
//! ES256 = ECDSA P-256 with SHA-256 and a raw 64-byte `r‖s` signature (COSE and JWS both use the
//! raw form). PS256 = RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt.

use p256::ecdsa::signature::Verifier as _;
use sha2::Sha256;

/// Signature algorithms accepted on credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum SignatureAlgorithm {
    /// ECDSA P-256 / SHA-256 (COSE alg -7, JWS "ES256").
    #[serde(rename = "ES256")]
    Es256,
    /// RSASSA-PSS / SHA-256, salt 32 (COSE alg -37, JWS "PS256").
    #[serde(rename = "PS256")]
    Ps256,
}

impl SignatureAlgorithm {
    /// Map a COSE algorithm identifier.
    pub fn from_cose(alg: i64) -> Option<Self> {
        match alg {
            -7 => Some(Self::Es256),
            -37 => Some(Self::Ps256),
            _ => None,
        }
    }
}

impl std::fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Es256 => "ES256",
            Self::Ps256 => "PS256",
        })
    }
}

/// A public key that can verify credential signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerificationKey {
    /// A P-256 ECDSA key (ES256).
    P256(p256::ecdsa::VerifyingKey),
    /// An RSA key (PS256).
    Rsa(rsa::RsaPublicKey),
}

/// Why a key could not be used or a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The signature algorithm does not fit the key type (e.g. PS256 header, EC key).
    #[error("algorithm {alg} does not match the {key} key")]
    AlgorithmKeyMismatch {
        /// The algorithm the envelope names.
        alg: SignatureAlgorithm,
        /// The key type.
        key: &'static str,
    },
    /// The signature bytes are malformed (e.g. not 64 bytes for ES256).
    #[error("malformed {alg} signature ({len} bytes)")]
    MalformedSignature {
        /// The algorithm.
        alg: SignatureAlgorithm,
        /// The signature length.
        len: usize,
    },
    /// The signature does not verify under the key.
    #[error("signature does not verify")]
    Invalid,
}

/// Why a public key could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// An unsupported key algorithm or curve.
    #[error("unsupported public key algorithm {0}")]
    Unsupported(String),
    /// The key bytes are malformed.
    #[error("malformed public key: {0}")]
    Malformed(String),
}

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_PRIME256V1: &str = "1.2.840.10045.3.1.7";
const OID_RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const OID_RSASSA_PSS: &str = "1.2.840.113549.1.1.10";

impl VerificationKey {
    /// The key type as a short name.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::P256(_) => "EC P-256",
            Self::Rsa(_) => "RSA",
        }
    }

    /// Load from an X.509 SubjectPublicKeyInfo (P-256 EC or RSA).
    pub fn from_spki(spki: &x509_cert::spki::SubjectPublicKeyInfoOwned) -> Result<Self, KeyError> {
        let alg = spki.algorithm.oid.to_string();
        let raw = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| KeyError::Malformed("public key bit string has unused bits".into()))?;
        match alg.as_str() {
            OID_EC_PUBLIC_KEY => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.decode_as::<x509_cert::der::asn1::ObjectIdentifier>().ok())
                    .map(|oid| oid.to_string());
                if curve.as_deref() != Some(OID_PRIME256V1) {
                    return Err(KeyError::Unsupported(format!(
                        "EC curve {}",
                        curve.unwrap_or_else(|| "(none)".into())
                    )));
                }
                Self::p256_from_sec1(raw)
            }
            OID_RSA_ENCRYPTION | OID_RSASSA_PSS => {
                use rsa::pkcs1::DecodeRsaPublicKey as _;
                rsa::RsaPublicKey::from_pkcs1_der(raw)
                    .map(Self::Rsa)
                    .map_err(|e| KeyError::Malformed(e.to_string()))
            }
            other => Err(KeyError::Unsupported(other.to_owned())),
        }
    }

    /// Load a P-256 key from SEC1 bytes (uncompressed or compressed point).
    pub fn p256_from_sec1(bytes: &[u8]) -> Result<Self, KeyError> {
        p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes)
            .map(Self::P256)
            .map_err(|_| KeyError::Malformed("not a valid P-256 point".into()))
    }

    /// Load a P-256 key from its affine coordinates (32 bytes each, e.g. JWK `x`/`y`).
    pub fn p256_from_coordinates(x: &[u8], y: &[u8]) -> Result<Self, KeyError> {
        // Some issuers drop a leading zero byte (31-byte coordinates occur in the VCI
        // directory): left-pad, but never accept more than 32 bytes.
        if x.is_empty() || y.is_empty() || x.len() > 32 || y.len() > 32 {
            return Err(KeyError::Malformed(
                "P-256 coordinates must be at most 32 bytes".into(),
            ));
        }
        let mut sec1 = [0u8; 65];
        sec1[0] = 0x04;
        sec1[33 - x.len()..33].copy_from_slice(x);
        sec1[65 - y.len()..].copy_from_slice(y);
        Self::p256_from_sec1(&sec1)
    }

    /// Verify `signature` over `message` with algorithm `alg`.
    pub fn verify(
        &self,
        alg: SignatureAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureError> {
        match (self, alg) {
            (Self::P256(key), SignatureAlgorithm::Es256) => {
                let sig = p256::ecdsa::Signature::from_slice(signature).map_err(|_| {
                    SignatureError::MalformedSignature {
                        alg,
                        len: signature.len(),
                    }
                })?;
                key.verify(message, &sig)
                    .map_err(|_| SignatureError::Invalid)
            }
            (Self::Rsa(key), SignatureAlgorithm::Ps256) => {
                use rsa::signature::Verifier as _;
                let verifier = rsa::pss::VerifyingKey::<Sha256>::new_with_salt_len(key.clone(), 32);
                let sig = rsa::pss::Signature::try_from(signature).map_err(|_| {
                    SignatureError::MalformedSignature {
                        alg,
                        len: signature.len(),
                    }
                })?;
                verifier
                    .verify(message, &sig)
                    .map_err(|_| SignatureError::Invalid)
            }
            (key, alg) => Err(SignatureError::AlgorithmKeyMismatch {
                alg,
                key: key.kind(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::{SigningKey, signature::Signer as _};

    #[test]
    fn es256_round_trip_and_typed_failures() {
        let sk = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let key = VerificationKey::P256(*sk.verifying_key());
        let sig: p256::ecdsa::Signature = sk.sign(b"msg");
        let bytes = sig.to_bytes();
        assert!(
            key.verify(SignatureAlgorithm::Es256, b"msg", &bytes)
                .is_ok()
        );
        assert!(matches!(
            key.verify(SignatureAlgorithm::Es256, b"other", &bytes),
            Err(SignatureError::Invalid)
        ));
        assert!(matches!(
            key.verify(SignatureAlgorithm::Es256, b"msg", &[0u8; 71]),
            Err(SignatureError::MalformedSignature { len: 71, .. })
        ));
        assert!(matches!(
            key.verify(SignatureAlgorithm::Ps256, b"msg", &bytes),
            Err(SignatureError::AlgorithmKeyMismatch { .. })
        ));
        assert!(matches!(
            VerificationKey::p256_from_coordinates(&[1u8; 32], &[2u8; 32]),
            Err(KeyError::Malformed(_))
        ));
        assert!(matches!(
            VerificationKey::p256_from_coordinates(&[1u8; 33], &[2u8; 32]),
            Err(KeyError::Malformed(_))
        ));
    }
}
