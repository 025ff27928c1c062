//! The `x5c` member of a SMART Health Card issuer key: its X.509 certificate chain.
//!
//! Format (RFC 7517 §4.7, SMART Health Cards "Certificates"): a JSON array of base64 (standard
//! alphabet, padded — not base64url) DER certificates. The first certificate holds the public key
//! of the JWK it is in; each following one is the certificate of the CA that signed the one
//! before it. The chain may end with a self-signed root, or with a CA certified by a root the
//! verifier must already hold.
//!
//! [`X5cChain::from_jwk_member`] parses a chain and checks what it says about itself: the leaf's
//! key is the JWK's key, each certificate names the next one as its issuer and is signed by it
//! ([`IssuerKey`]: ECDSA P-256 / P-384 / P-521, RSA PKCS #1 v1.5), every issuer is a CA (basic
//! constraints `cA`, `keyCertSign` when key usage is present, path length), and no certificate
//! carries a critical extension this module does not process. [`X5cChain::anchor`] then finds
//! the configured trust anchor the chain ends at, [`X5cChain::names_issuer`] checks the leaf's
//! subject-alternative-name URI against the card's `iss`, and [`CertificationPath::valid_at`]
//! checks every certificate's validity dates at the card's issuance time. The verifier's policy
//! (which of these checks apply when) is in `format::smart_health_card` and `docs/verifier.md`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use x509_cert::Certificate;
use x509_cert::der::{Decode as _, Encode as _};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, SubjectAltName};

use crate::certificate::{CertificateError, CertificateSignatureError, IssuerKey};
use crate::signature::{KeyError, VerificationKey};

/// The most certificates an `x5c` chain may hold (leaf, intermediates, root).
pub const MAX_CHAIN_LEN: usize = 8;

const OID_SUBJECT_KEY_ID: &str = "2.5.29.14";
const OID_KEY_USAGE: &str = "2.5.29.15";
const OID_SUBJECT_ALT_NAME: &str = "2.5.29.17";
const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
const OID_AUTHORITY_KEY_ID: &str = "2.5.29.35";

/// The extensions this module processes: a critical extension outside this list refuses the
/// certificate (RFC 5280 §4.2).
const PROCESSED_EXTENSIONS: [&str; 5] = [
    OID_SUBJECT_KEY_ID,
    OID_KEY_USAGE,
    OID_SUBJECT_ALT_NAME,
    OID_BASIC_CONSTRAINTS,
    OID_AUTHORITY_KEY_ID,
];

/// Why an `x5c` chain was refused. `index` is the position of the certificate in the chain
/// (0 = the leaf).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum X5cError {
    /// `x5c` is not an array of strings.
    #[error("x5c is not an array of base64 certificate strings")]
    NotAnArray,
    /// `x5c` holds no certificate.
    #[error("x5c holds no certificate")]
    Empty,
    /// `x5c` holds more certificates than [`MAX_CHAIN_LEN`].
    #[error("x5c holds {0} certificates, more than {MAX_CHAIN_LEN}")]
    TooLong(usize),
    /// A certificate is not base64 DER X.509, or one of its processed extensions is malformed.
    #[error("x5c[{index}]: {reason}")]
    Malformed {
        /// The certificate.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The leaf certificate's public key is not the key of the JWK that carries the chain.
    #[error("the leaf certificate's public key is not the JWK's key")]
    LeafKeyMismatch,
    /// A certificate does not name the next certificate's subject as its issuer.
    #[error("x5c[{index}] is issued by {issuer}, but the next certificate is {next}")]
    IssuerNameMismatch {
        /// The certificate.
        index: usize,
        /// The issuer it names.
        issuer: String,
        /// The subject of the next certificate.
        next: String,
    },
    /// A certificate that certifies the one before it is not a CA (basic constraints).
    #[error("x5c[{index}] certifies another certificate but is not a CA (basic constraints)")]
    NotCa {
        /// The certificate.
        index: usize,
    },
    /// A certificate's key usage does not allow what the chain uses it for.
    #[error("x5c[{index}]'s key usage does not allow {usage}")]
    KeyUsage {
        /// The certificate.
        index: usize,
        /// The usage it lacks (`digitalSignature` for the leaf, `keyCertSign` for a CA).
        usage: &'static str,
    },
    /// A CA has more CA certificates below it than its path length constraint allows.
    #[error("x5c[{index}] allows {allowed} intermediate CA(s) below it, the chain has {below}")]
    PathLength {
        /// The CA certificate.
        index: usize,
        /// Its pathLenConstraint.
        allowed: u8,
        /// The intermediate CAs between it and the leaf.
        below: usize,
    },
    /// A certificate carries a critical extension this verifier does not process.
    #[error("x5c[{index}] has an unrecognised critical extension {oid}")]
    CriticalExtension {
        /// The certificate.
        index: usize,
        /// The extension's OID.
        oid: String,
    },
    /// A CA's public key is of a type this verifier cannot check signatures with.
    #[error("x5c[{index}]'s public key: {error}")]
    UnsupportedKey {
        /// The CA certificate.
        index: usize,
        /// Why its key cannot be used.
        error: KeyError,
    },
    /// A certificate's signature does not verify under the next certificate's key.
    #[error("x5c[{index}]'s signature by its issuer: {error}")]
    Signature {
        /// The signed certificate.
        index: usize,
        /// Why the signature was not accepted.
        error: CertificateSignatureError,
    },
    /// The chain does not end at a configured trust anchor.
    #[error("the x5c chain ends at {issuer}, which is not a configured SHC root")]
    UntrustedRoot {
        /// The issuer the chain's last certificate names.
        issuer: String,
    },
    /// The leaf certificate does not name the card's issuer as a subject-alternative-name URI.
    #[error("the leaf certificate does not name the issuer {iss} (subjectAltName URI)")]
    IssuerNotNamed {
        /// The card's `iss`.
        iss: String,
    },
    /// A certificate of the path was not yet valid when the card was issued.
    #[error(
        "x5c[{index}] ({subject}) is not valid before {not_before}, the card was issued at {issued}"
    )]
    NotYetValid {
        /// The certificate.
        index: usize,
        /// Its subject.
        subject: String,
        /// Its notBefore, Unix seconds.
        not_before: i64,
        /// The card's `nbf`, Unix seconds.
        issued: i64,
    },
    /// A certificate of the path had expired when the card was issued.
    #[error(
        "x5c[{index}] ({subject}) expired at {not_after}, before the card was issued at {issued}"
    )]
    Expired {
        /// The certificate.
        index: usize,
        /// Its subject.
        subject: String,
        /// Its notAfter, Unix seconds.
        not_after: i64,
        /// The card's `nbf`, Unix seconds.
        issued: i64,
    },
}

impl X5cError {
    /// The stable report code: `X5C_EXPIRED`, `X5C_NOT_YET_VALID`, `X5C_UNTRUSTED_ROOT`,
    /// `X5C_ISSUER_MISMATCH`, or `X5C_INVALID` for a chain that contradicts itself.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Expired { .. } => "X5C_EXPIRED",
            Self::NotYetValid { .. } => "X5C_NOT_YET_VALID",
            Self::UntrustedRoot { .. } => "X5C_UNTRUSTED_ROOT",
            Self::IssuerNotNamed { .. } => "X5C_ISSUER_MISMATCH",
            _ => "X5C_INVALID",
        }
    }
}

/// One parsed certificate, with the bytes its issuer signed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ChainCertificate {
    certificate: Certificate,
    /// The DER `tbsCertificate` exactly as carried.
    tbs: Vec<u8>,
}

impl ChainCertificate {
    fn from_der(der: &[u8]) -> Result<Self, String> {
        let certificate = Certificate::from_der(der).map_err(|e| e.to_string())?;
        let tbs = signed_part(der).ok_or("no tbsCertificate")?;
        let parsed = Self { certificate, tbs };
        parsed.check_extensions()?;
        Ok(parsed)
    }

    fn subject(&self) -> String {
        self.certificate.tbs_certificate.subject.to_string()
    }

    /// The signatureValue (a BIT STRING with unused bits signs nothing: empty).
    fn signature_bytes(&self) -> &[u8] {
        self.certificate.signature.as_bytes().unwrap_or_default()
    }

    fn extension(&self, oid: &str) -> Option<&x509_cert::ext::Extension> {
        self.certificate
            .tbs_certificate
            .extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id.to_string() == oid)
    }

    fn basic_constraints(&self) -> Option<BasicConstraints> {
        self.extension(OID_BASIC_CONSTRAINTS)
            .and_then(|e| BasicConstraints::from_der(e.extn_value.as_bytes()).ok())
    }

    fn key_usage(&self) -> Option<KeyUsage> {
        self.extension(OID_KEY_USAGE)
            .and_then(|e| KeyUsage::from_der(e.extn_value.as_bytes()).ok())
    }

    fn uris(&self) -> Vec<String> {
        self.extension(OID_SUBJECT_ALT_NAME)
            .and_then(|e| SubjectAltName::from_der(e.extn_value.as_bytes()).ok())
            .map(|names| {
                names
                    .0
                    .iter()
                    .filter_map(|name| match name {
                        GeneralName::UniformResourceIdentifier(uri) => {
                            Some(uri.as_str().to_owned())
                        }
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn validity(&self) -> (i64, i64) {
        let validity = &self.certificate.tbs_certificate.validity;
        let secs = |t: &x509_cert::time::Time| {
            i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
        };
        (secs(&validity.not_before), secs(&validity.not_after))
    }

    /// The outer and inner signature algorithms agree, the processed extensions decode, and no
    /// other extension is critical.
    fn check_extensions(&self) -> Result<(), String> {
        let tbs = &self.certificate.tbs_certificate;
        if self.certificate.signature_algorithm != tbs.signature {
            return Err("signatureAlgorithm differs from tbsCertificate.signature".into());
        }
        for extension in tbs.extensions.iter().flatten() {
            let oid = extension.extn_id.to_string();
            let value = extension.extn_value.as_bytes();
            let decodes = match oid.as_str() {
                OID_BASIC_CONSTRAINTS => BasicConstraints::from_der(value).is_ok(),
                OID_KEY_USAGE => KeyUsage::from_der(value).is_ok(),
                OID_SUBJECT_ALT_NAME => SubjectAltName::from_der(value).is_ok(),
                _ => true,
            };
            if !decodes {
                return Err(format!("malformed extension {oid}"));
            }
        }
        Ok(())
    }

    fn unprocessed_critical_extension(&self) -> Option<String> {
        self.certificate
            .tbs_certificate
            .extensions
            .iter()
            .flatten()
            .map(|e| (e.critical, e.extn_id.to_string()))
            .find(|(critical, oid)| *critical && !PROCESSED_EXTENSIONS.contains(&oid.as_str()))
            .map(|(_, oid)| oid)
    }
}

/// The `tbsCertificate` TLV of a DER certificate, byte for byte (what the issuer signed; a
/// re-encoding of the parsed value could differ).
fn signed_part(der: &[u8]) -> Option<Vec<u8>> {
    use x509_cert::der::{Header, Reader as _, SliceReader};
    let mut reader = SliceReader::new(der).ok()?;
    Header::decode(&mut reader).ok()?;
    reader.tlv_bytes().ok().map(<[u8]>::to_vec)
}

/// An `x5c` chain whose certificates agree with each other and with the JWK that carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct X5cChain {
    certificates: Vec<ChainCertificate>,
}

impl X5cChain {
    /// Parse and check the `x5c` member of a JWK whose public key is `key`.
    pub fn from_jwk_member(
        x5c: &serde_json::Value,
        key: &VerificationKey,
    ) -> Result<Self, X5cError> {
        let items = x5c.as_array().ok_or(X5cError::NotAnArray)?;
        let ders = items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let text = item.as_str().ok_or(X5cError::NotAnArray)?;
                STANDARD.decode(text).map_err(|e| X5cError::Malformed {
                    index,
                    reason: format!("not base64: {e}"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_der(&ders, key)
    }

    /// Parse and check DER certificates (leaf first) certifying `key`: the leaf holds `key`
    /// and may sign (`digitalSignature` when key usage is present); each certificate names the
    /// next one's subject as its issuer and is signed by its key; each of those issuers is a CA
    /// (`cA`, `keyCertSign` when key usage is present, its path length not exceeded); no
    /// certificate carries an unprocessed critical extension.
    pub fn from_der(certificates: &[Vec<u8>], key: &VerificationKey) -> Result<Self, X5cError> {
        if certificates.is_empty() {
            return Err(X5cError::Empty);
        }
        if certificates.len() > MAX_CHAIN_LEN {
            return Err(X5cError::TooLong(certificates.len()));
        }
        let certificates = certificates
            .iter()
            .enumerate()
            .map(|(index, der)| {
                ChainCertificate::from_der(der)
                    .map_err(|reason| X5cError::Malformed { index, reason })
            })
            .collect::<Result<Vec<_>, _>>()?;
        for (index, certificate) in certificates.iter().enumerate() {
            if let Some(oid) = certificate.unprocessed_critical_extension() {
                return Err(X5cError::CriticalExtension { index, oid });
            }
        }
        let chain = Self { certificates };
        chain.check_leaf(key)?;
        for index in 0..chain.certificates.len() - 1 {
            chain.check_link(index)?;
        }
        Ok(chain)
    }

    fn check_leaf(&self, key: &VerificationKey) -> Result<(), X5cError> {
        let leaf = self.certificates.first().ok_or(X5cError::Empty)?;
        let leaf_key =
            VerificationKey::from_spki(&leaf.certificate.tbs_certificate.subject_public_key_info);
        if leaf_key.as_ref() != Ok(key) {
            return Err(X5cError::LeafKeyMismatch);
        }
        if leaf.key_usage().is_some_and(|u| !u.digital_signature()) {
            return Err(X5cError::KeyUsage {
                index: 0,
                usage: "digitalSignature",
            });
        }
        Ok(())
    }

    /// Certificate `index` is certified by certificate `index + 1`.
    fn check_link(&self, index: usize) -> Result<(), X5cError> {
        let (Some(subject), Some(issuer)) = (
            self.certificates.get(index),
            self.certificates.get(index + 1),
        ) else {
            return Ok(());
        };
        if subject.certificate.tbs_certificate.issuer != issuer.certificate.tbs_certificate.subject
        {
            return Err(X5cError::IssuerNameMismatch {
                index,
                issuer: subject.certificate.tbs_certificate.issuer.to_string(),
                next: issuer.subject(),
            });
        }
        let at = index + 1;
        let constraints = issuer
            .basic_constraints()
            .filter(|c| c.ca)
            .ok_or(X5cError::NotCa { index: at })?;
        if issuer.key_usage().is_some_and(|u| !u.key_cert_sign()) {
            return Err(X5cError::KeyUsage {
                index: at,
                usage: "keyCertSign",
            });
        }
        // The intermediate CAs between this CA and the leaf: certificates 1..=index.
        if let Some(allowed) = constraints.path_len_constraint
            && usize::from(allowed) < index
        {
            return Err(X5cError::PathLength {
                index: at,
                allowed,
                below: index,
            });
        }
        let key = IssuerKey::from_spki(&issuer.certificate.tbs_certificate.subject_public_key_info)
            .map_err(|error| X5cError::UnsupportedKey { index: at, error })?;
        key.verify(
            &subject.certificate.signature_algorithm,
            &subject.tbs,
            subject.signature_bytes(),
        )
        .map_err(|error| X5cError::Signature { index, error })
    }

    /// Number of certificates.
    pub fn len(&self) -> usize {
        self.certificates.len()
    }

    /// Always false: a chain holds at least its leaf.
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty()
    }

    /// The subject of certificate `index` (RFC 4514), when there is one.
    pub fn subject(&self, index: usize) -> Option<String> {
        self.certificates.get(index).map(ChainCertificate::subject)
    }

    /// The whole chain as a path that ends at no configured anchor (JWKS trust: only the
    /// chain's own consistency was checked).
    pub fn unanchored(&self) -> CertificationPath<'_> {
        CertificationPath {
            chain: self,
            len: self.certificates.len(),
            anchor: None,
        }
    }

    /// The path from the leaf to the first of `roots` the chain reaches: a certificate of the
    /// chain that is a root (same subject and public key — the chain is cut there), else a
    /// root whose subject the last certificate names as issuer and whose key verifies its
    /// signature. [`X5cError::UntrustedRoot`] otherwise.
    pub fn anchor<'a>(
        &'a self,
        roots: &'a [TrustAnchor],
    ) -> Result<CertificationPath<'a>, X5cError> {
        for (index, certificate) in self.certificates.iter().enumerate() {
            if let Some(root) = roots.iter().find(|root| root.is(certificate)) {
                return Ok(CertificationPath {
                    chain: self,
                    len: index + 1,
                    anchor: Some(root),
                });
            }
        }
        let last = self.certificates.last().ok_or(X5cError::Empty)?;
        let issuer = &last.certificate.tbs_certificate.issuer;
        let root = roots.iter().find(|root| {
            root.certificate.certificate.tbs_certificate.subject == *issuer
                && root
                    .key
                    .verify(
                        &last.certificate.signature_algorithm,
                        &last.tbs,
                        last.signature_bytes(),
                    )
                    .is_ok()
        });
        match root {
            Some(root) => Ok(CertificationPath {
                chain: self,
                len: self.certificates.len(),
                anchor: Some(root),
            }),
            None => Err(X5cError::UntrustedRoot {
                issuer: issuer.to_string(),
            }),
        }
    }

    /// The leaf names `iss` as a `uniformResourceIdentifier` of its subject alternative names
    /// (SMART Health Cards: the certificate's binding to the card's issuer).
    pub fn names_issuer(&self, iss: &str) -> Result<(), X5cError> {
        let named = self
            .certificates
            .first()
            .is_some_and(|leaf| leaf.uris().iter().any(|uri| uri == iss));
        if named {
            Ok(())
        } else {
            Err(X5cError::IssuerNotNamed {
                iss: iss.to_owned(),
            })
        }
    }
}

/// The certificates of a chain from its leaf up to where it was trusted, and the trust anchor
/// that trusted it (none under JWKS trust).
#[derive(Debug, Clone, Copy)]
pub struct CertificationPath<'a> {
    chain: &'a X5cChain,
    len: usize,
    anchor: Option<&'a TrustAnchor>,
}

impl CertificationPath<'_> {
    /// The configured root the path ends at, if any.
    pub fn anchor(&self) -> Option<&TrustAnchor> {
        self.anchor
    }

    /// Every certificate of the path was valid (`notBefore <= issued <= notAfter`) at `issued`,
    /// the card's `nbf` (Unix seconds); the leaf is checked first.
    pub fn valid_at(&self, issued: f64) -> Result<(), X5cError> {
        let issued_s = issued.floor() as i64;
        for (index, certificate) in self.chain.certificates.iter().take(self.len).enumerate() {
            let (not_before, not_after) = certificate.validity();
            if issued < not_before as f64 {
                return Err(X5cError::NotYetValid {
                    index,
                    subject: certificate.subject(),
                    not_before,
                    issued: issued_s,
                });
            }
            if issued > not_after as f64 {
                return Err(X5cError::Expired {
                    index,
                    subject: certificate.subject(),
                    not_after,
                    issued: issued_s,
                });
            }
        }
        Ok(())
    }
}

impl std::fmt::Display for CertificationPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.anchor {
            Some(root) => write!(
                f,
                "x5c: {} certificate(s) to the SHC root {}",
                self.len,
                root.subject()
            ),
            None => write!(
                f,
                "x5c: {} certificate(s) consistent, not anchored (no SHC roots configured)",
                self.len
            ),
        }
    }
}

/// A root certificate the checkpoint trusts for SMART Health Card `x5c` chains (a trust
/// anchor: its subject name and public key; its own dates and signature are not checked).
#[derive(Debug, Clone)]
pub struct TrustAnchor {
    certificate: ChainCertificate,
    /// The key of `certificate`.
    key: IssuerKey,
}

impl PartialEq for TrustAnchor {
    fn eq(&self, other: &Self) -> bool {
        self.certificate == other.certificate
    }
}

impl Eq for TrustAnchor {}

impl TrustAnchor {
    /// Parse a DER certificate; its key must be one [`IssuerKey`] supports.
    pub fn from_der(der: &[u8]) -> Result<Self, CertificateError> {
        let certificate = ChainCertificate::from_der(der).map_err(CertificateError::Der)?;
        let key = IssuerKey::from_spki(
            &certificate
                .certificate
                .tbs_certificate
                .subject_public_key_info,
        )?;
        Ok(Self { certificate, key })
    }

    /// Parse every certificate of a PEM text.
    pub fn from_pem(pem: &str) -> Result<Vec<Self>, CertificateError> {
        let certificates = Certificate::load_pem_chain(pem.as_bytes())
            .map_err(|e| CertificateError::Der(e.to_string()))?;
        if certificates.is_empty() {
            return Err(CertificateError::NoPem);
        }
        certificates
            .iter()
            .map(|c| {
                c.to_der()
                    .map_err(|e| CertificateError::Der(e.to_string()))
                    .and_then(|der| Self::from_der(&der))
            })
            .collect()
    }

    /// The root's subject (RFC 4514).
    pub fn subject(&self) -> String {
        self.certificate.subject()
    }

    fn is(&self, certificate: &ChainCertificate) -> bool {
        let (mine, theirs) = (
            &self.certificate.certificate.tbs_certificate,
            &certificate.certificate.tbs_certificate,
        );
        mine.subject == theirs.subject
            && mine.subject_public_key_info == theirs.subject_public_key_info
    }
}
