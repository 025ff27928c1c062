//! X.509 certificates: EU DCC document-signer certificates (DSC) — parsing, the 8-byte kid, key
//! usage by EKU OIDs — and the signature of a certificate by its issuer's key ([`IssuerKey`]:
//! ECDSA P-256 / P-384 / P-521 with SHA-256 / 384 / 512, RSA PKCS #1 v1.5 with SHA-256 / 384 /
//! 512), which the SMART Health Card `x5c` chains ([`crate::x5c`]) rely on.

use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::der::{Decode as _, Encode as _};

use crate::signature::{KeyError, VerificationKey};

/// The payload types of an EU DCC (`v`, `t`, `r` arrays in the hcert claim).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum DccType {
    /// Test (`t`).
    #[serde(rename = "test")]
    Test,
    /// Vaccination (`v`).
    #[serde(rename = "vaccination")]
    Vaccination,
    /// Recovery (`r`).
    #[serde(rename = "recovery")]
    Recovery,
}

impl DccType {
    /// The payload key of this type (`t`, `v`, `r`).
    pub fn key(self) -> &'static str {
        match self {
            Self::Test => "t",
            Self::Vaccination => "v",
            Self::Recovery => "r",
        }
    }
    /// The last arc of the DCC EKU OIDs (`1` test, `2` vaccination, `3` recovery).
    fn oid_arc(self) -> &'static str {
        match self {
            Self::Test => "1",
            Self::Vaccination => "2",
            Self::Recovery => "3",
        }
    }
}

impl std::fmt::Display for DccType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Test => "test",
            Self::Vaccination => "vaccination",
            Self::Recovery => "recovery",
        })
    }
}

/// The DCC EKU OID arcs (hcert spec), and the variant with an extra `.0` seen in the field.
const DCC_EKU_PREFIXES: [&str; 2] = ["1.3.6.1.4.1.1847.2021.1.", "1.3.6.1.4.1.0.1847.2021.1."];

/// Why a certificate could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// Not a DER X.509 certificate.
    #[error("not an X.509 certificate: {0}")]
    Der(String),
    /// No certificate in a PEM text.
    #[error("no PEM certificate found")]
    NoPem,
    /// The subject public key is unusable.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// A parsed document-signer certificate: what the verifier needs from it.
#[derive(Debug, Clone)]
pub struct DocumentSigner {
    /// kid = first 8 bytes of SHA-256 over the certificate DER.
    pub kid: [u8; 8],
    /// The subject public key.
    pub key: VerificationKey,
    /// Extended-key-usage OIDs (dotted), empty when the extension is absent.
    pub extended_key_usage: Vec<String>,
    /// notBefore / notAfter as Unix seconds.
    pub validity: (i64, i64),
    /// The subject's country (`C=`), when present.
    pub country: Option<String>,
    /// The subject as an RFC 4514 string.
    pub subject: String,
}

/// Walk `Certificate { TBSCertificate { [0] version?, serial, signature, issuer, validity,
/// subject, subjectPublicKeyInfo, … }, … }` and decode only the SubjectPublicKeyInfo.
fn lenient_spki(der: &[u8]) -> Option<x509_cert::spki::SubjectPublicKeyInfoOwned> {
    use x509_cert::der::asn1::AnyRef;
    use x509_cert::der::{Reader as _, SliceReader};
    let mut reader = SliceReader::new(der).ok()?;
    reader
        .sequence(|cert| {
            let spki = cert.sequence(|tbs| {
                if tbs.peek_tag()?.is_context_specific() {
                    AnyRef::decode(tbs)?;
                }
                for _ in 0..5 {
                    AnyRef::decode(tbs)?;
                }
                let spki = x509_cert::spki::SubjectPublicKeyInfoOwned::decode(tbs)?;
                while !tbs.is_finished() {
                    AnyRef::decode(tbs)?;
                }
                Ok(spki)
            })?;
            while !cert.is_finished() {
                AnyRef::decode(cert)?;
            }
            Ok(spki)
        })
        .ok()
}

/// kid of a DSC: the first 8 bytes of SHA-256 over its DER encoding.
pub fn dsc_kid(der: &[u8]) -> [u8; 8] {
    let digest = Sha256::digest(der);
    let mut kid = [0u8; 8];
    kid.copy_from_slice(digest.get(..8).unwrap_or(&[0u8; 8]));
    kid
}

impl DocumentSigner {
    /// Parse a DER certificate. A certificate that the strict X.509 decoder refuses (some
    /// field-issued DSCs bend DER rules outside the key) is read leniently: its public key
    /// only, with no extended key usage and unknown validity.
    pub fn from_der(der: &[u8]) -> Result<Self, CertificateError> {
        match Certificate::from_der(der) {
            Ok(cert) => Self::from_certificate(&cert, der),
            Err(strict) => match lenient_spki(der) {
                Some(spki) => Ok(Self {
                    kid: dsc_kid(der),
                    key: VerificationKey::from_spki(&spki)?,
                    extended_key_usage: Vec::new(),
                    validity: (i64::MIN, i64::MAX),
                    country: None,
                    subject: String::from("(unparsed subject)"),
                }),
                None => Err(CertificateError::Der(strict.to_string())),
            },
        }
    }

    /// Parse every certificate in a PEM text.
    pub fn from_pem(pem: &str) -> Result<Vec<Self>, CertificateError> {
        let certs = Certificate::load_pem_chain(pem.as_bytes())
            .map_err(|e| CertificateError::Der(e.to_string()))?;
        if certs.is_empty() {
            return Err(CertificateError::NoPem);
        }
        certs
            .iter()
            .map(|c| {
                let der = c
                    .to_der()
                    .map_err(|e| CertificateError::Der(e.to_string()))?;
                Self::from_certificate(c, &der)
            })
            .collect()
    }

    fn from_certificate(cert: &Certificate, der: &[u8]) -> Result<Self, CertificateError> {
        let tbs = &cert.tbs_certificate;
        let key = VerificationKey::from_spki(&tbs.subject_public_key_info)?;
        let mut extended_key_usage = Vec::new();
        for ext in tbs.extensions.iter().flatten() {
            if ext.extn_id.to_string() == "2.5.29.37" {
                let eku =
                    x509_cert::ext::pkix::ExtendedKeyUsage::from_der(ext.extn_value.as_bytes())
                        .map_err(|e| CertificateError::Der(format!("extended key usage: {e}")))?;
                extended_key_usage.extend(eku.0.iter().map(|oid| oid.to_string()));
            }
        }
        let secs = |t: &x509_cert::time::Time| {
            i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
        };
        let validity = (
            secs(&tbs.validity.not_before),
            secs(&tbs.validity.not_after),
        );
        let country = tbs
            .subject
            .0
            .iter()
            .flat_map(|rdn| rdn.0.iter())
            .find_map(|atv| {
                (atv.oid.to_string() == "2.5.4.6").then(|| {
                    x509_cert::der::asn1::PrintableStringRef::try_from(&atv.value)
                        .map(|s| s.as_str().to_owned())
                        .ok()
                })?
            });
        Ok(Self {
            kid: dsc_kid(der),
            key,
            extended_key_usage,
            validity,
            country,
            subject: tbs.subject.to_string(),
        })
    }

    /// The DCC types this certificate may sign, or `None` when it carries no DCC EKU OID
    /// (then every type is allowed).
    pub fn allowed_types(&self) -> Option<Vec<DccType>> {
        let mut allowed = Vec::new();
        let mut any_dcc_oid = false;
        for oid in &self.extended_key_usage {
            for prefix in DCC_EKU_PREFIXES {
                if let Some(arc) = oid.strip_prefix(prefix) {
                    any_dcc_oid = true;
                    for t in [DccType::Test, DccType::Vaccination, DccType::Recovery] {
                        if arc == t.oid_arc() && !allowed.contains(&t) {
                            allowed.push(t);
                        }
                    }
                }
            }
        }
        any_dcc_oid.then_some(allowed)
    }

    /// Whether this certificate may sign a payload of type `t`.
    pub fn allows(&self, t: DccType) -> bool {
        self.allowed_types().is_none_or(|a| a.contains(&t))
    }
}

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_SECP256R1: &str = "1.2.840.10045.3.1.7";
const OID_SECP384R1: &str = "1.3.132.0.34";
const OID_SECP521R1: &str = "1.3.132.0.35";
const OID_RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const OID_ECDSA_WITH_SHA256: &str = "1.2.840.10045.4.3.2";
const OID_ECDSA_WITH_SHA384: &str = "1.2.840.10045.4.3.3";
const OID_ECDSA_WITH_SHA512: &str = "1.2.840.10045.4.3.4";
const OID_SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
const OID_SHA384_WITH_RSA: &str = "1.2.840.113549.1.1.12";
const OID_SHA512_WITH_RSA: &str = "1.2.840.113549.1.1.13";

/// Why a certificate's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateSignatureError {
    /// The signature algorithm is not supported, or does not fit the issuer's key.
    #[error("unsupported signature algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// The signature bytes are not a signature of the algorithm (e.g. not a DER ECDSA-Sig-Value).
    #[error("malformed {0} signature")]
    Malformed(&'static str),
    /// The signature does not verify under the issuer's key.
    #[error("signature does not verify")]
    Invalid,
}

/// The public key of a certificate issuer (a CA or a trust anchor): what verifies the
/// signatures of the certificates it issued.
#[derive(Clone)]
pub enum IssuerKey {
    /// ECDSA P-256.
    P256(p256::ecdsa::VerifyingKey),
    /// ECDSA P-384.
    P384(p384::ecdsa::VerifyingKey),
    /// ECDSA P-521.
    P521(p521::ecdsa::VerifyingKey),
    /// RSA.
    Rsa(rsa::RsaPublicKey),
}

/// The hash of a certificate signature algorithm.
#[derive(Debug, Clone, Copy)]
enum HashAlgorithm {
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlgorithm {
    fn of(self, message: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => Sha256::digest(message).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(message).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(message).to_vec(),
        }
    }
}

impl std::fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IssuerKey({})", self.kind())
    }
}

impl IssuerKey {
    /// Load from a SubjectPublicKeyInfo: an EC key on P-256, P-384 or P-521, or an RSA key.
    pub fn from_spki(spki: &x509_cert::spki::SubjectPublicKeyInfoOwned) -> Result<Self, KeyError> {
        let raw = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| KeyError::Malformed("public key bit string has unused bits".into()))?;
        let malformed = |curve: &str| KeyError::Malformed(format!("not a valid {curve} point"));
        match spki.algorithm.oid.to_string().as_str() {
            OID_EC_PUBLIC_KEY => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.decode_as::<x509_cert::der::asn1::ObjectIdentifier>().ok())
                    .map(|oid| oid.to_string())
                    .unwrap_or_else(|| "(none)".into());
                match curve.as_str() {
                    OID_SECP256R1 => p256::ecdsa::VerifyingKey::from_sec1_bytes(raw)
                        .map(Self::P256)
                        .map_err(|_| malformed("P-256")),
                    OID_SECP384R1 => p384::ecdsa::VerifyingKey::from_sec1_bytes(raw)
                        .map(Self::P384)
                        .map_err(|_| malformed("P-384")),
                    OID_SECP521R1 => p521::ecdsa::VerifyingKey::from_sec1_bytes(raw)
                        .map(Self::P521)
                        .map_err(|_| malformed("P-521")),
                    other => Err(KeyError::Unsupported(format!("EC curve {other}"))),
                }
            }
            OID_RSA_ENCRYPTION => {
                use rsa::pkcs1::DecodeRsaPublicKey as _;
                rsa::RsaPublicKey::from_pkcs1_der(raw)
                    .map(Self::Rsa)
                    .map_err(|e| KeyError::Malformed(e.to_string()))
            }
            other => Err(KeyError::Unsupported(other.to_owned())),
        }
    }

    /// The key type as a short name.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::P256(_) => "EC P-256",
            Self::P384(_) => "EC P-384",
            Self::P521(_) => "EC P-521",
            Self::Rsa(_) => "RSA",
        }
    }

    /// Verify a certificate signature: `signature` (the certificate's signatureValue) over
    /// `message` (its DER tbsCertificate) with the algorithm `algorithm` names. ECDSA
    /// signatures are DER `ECDSA-Sig-Value`s over the digest of the algorithm, whatever the
    /// curve (a P-256 key may sign with SHA-512: the digest is truncated, SEC 1 §4.1.4).
    pub fn verify(
        &self,
        algorithm: &x509_cert::spki::AlgorithmIdentifierOwned,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CertificateSignatureError> {
        use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
        let name = algorithm.oid.to_string();
        let (ecdsa, digest) = match name.as_str() {
            OID_ECDSA_WITH_SHA256 => (true, HashAlgorithm::Sha256),
            OID_ECDSA_WITH_SHA384 => (true, HashAlgorithm::Sha384),
            OID_ECDSA_WITH_SHA512 => (true, HashAlgorithm::Sha512),
            OID_SHA256_WITH_RSA => (false, HashAlgorithm::Sha256),
            OID_SHA384_WITH_RSA => (false, HashAlgorithm::Sha384),
            OID_SHA512_WITH_RSA => (false, HashAlgorithm::Sha512),
            _ => return Err(CertificateSignatureError::UnsupportedAlgorithm(name)),
        };
        if ecdsa == matches!(self, Self::Rsa(_)) {
            return Err(CertificateSignatureError::UnsupportedAlgorithm(format!(
                "{name} with an {} key",
                self.kind()
            )));
        }
        let prehash = digest.of(message);
        let verified = match self {
            Self::P256(key) => {
                let signature = p256::ecdsa::Signature::from_der(signature)
                    .map_err(|_| CertificateSignatureError::Malformed("ECDSA"))?;
                key.verify_prehash(&prehash, &signature).is_ok()
            }
            Self::P384(key) => {
                let signature = p384::ecdsa::Signature::from_der(signature)
                    .map_err(|_| CertificateSignatureError::Malformed("ECDSA"))?;
                key.verify_prehash(&prehash, &signature).is_ok()
            }
            Self::P521(key) => {
                let signature = p521::ecdsa::Signature::from_der(signature)
                    .map_err(|_| CertificateSignatureError::Malformed("ECDSA"))?;
                key.verify_prehash(&prehash, &signature).is_ok()
            }
            Self::Rsa(key) => {
                let scheme = match digest {
                    HashAlgorithm::Sha256 => rsa::Pkcs1v15Sign::new::<Sha256>(),
                    HashAlgorithm::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                    HashAlgorithm::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
                };
                key.verify(scheme, &prehash, signature).is_ok()
            }
        };
        if verified {
            Ok(())
        } else {
            Err(CertificateSignatureError::Invalid)
        }
    }
}
