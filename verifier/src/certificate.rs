//! EU DCC document-signer certificates (DSC): parsing, the 8-byte kid, key usage by EKU OIDs.

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
