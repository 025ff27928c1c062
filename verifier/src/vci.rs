//! The signed VCI Directory snapshot: a real SMART Health Card issuer trust list. Its detached
//! ECDSA P-521 / SHA-512 signature is verified before any of its keys is trusted.

use p521::ecdsa::signature::Verifier as _;
use x509_cert::Certificate;

/// Why a directory snapshot was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VciError {
    /// The signer certificate could not be read.
    #[error("signer certificate: {0}")]
    SignerCertificate(String),
    /// The signer key is not a P-521 EC key.
    #[error("signer key is not ECDSA P-521")]
    SignerKeyType,
    /// The detached signature is not a DER ECDSA signature.
    #[error("malformed snapshot signature")]
    MalformedSignature,
    /// The signature does not verify over the snapshot bytes.
    #[error("snapshot signature does not verify")]
    BadSignature,
    /// The snapshot JSON is not the expected shape.
    #[error("snapshot content: {0}")]
    Content(String),
}

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_SECP521R1: &str = "1.3.132.0.35";

/// Load the signer's P-521 public key from a PEM certificate.
pub fn signer_key_from_pem(pem: &[u8]) -> Result<p521::ecdsa::VerifyingKey, VciError> {
    use x509_cert::der::DecodePem as _;
    let cert =
        Certificate::from_pem(pem).map_err(|e| VciError::SignerCertificate(e.to_string()))?;
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<x509_cert::der::asn1::ObjectIdentifier>().ok())
        .map(|o| o.to_string());
    if spki.algorithm.oid.to_string() != OID_EC_PUBLIC_KEY
        || curve.as_deref() != Some(OID_SECP521R1)
    {
        return Err(VciError::SignerKeyType);
    }
    let raw = spki
        .subject_public_key
        .as_bytes()
        .ok_or(VciError::SignerKeyType)?;
    p521::ecdsa::VerifyingKey::from_sec1_bytes(raw).map_err(|_| VciError::SignerKeyType)
}

/// Verify the detached DER signature over the exact snapshot bytes.
pub fn verify_snapshot_signature(
    snapshot: &[u8],
    signature_der: &[u8],
    signer: &p521::ecdsa::VerifyingKey,
) -> Result<(), VciError> {
    let sig = p521::ecdsa::Signature::from_der(signature_der)
        .map_err(|_| VciError::MalformedSignature)?;
    signer
        .verify(snapshot, &sig)
        .map_err(|_| VciError::BadSignature)
}

/// One issuer entry of a verified snapshot.
#[derive(Debug, Clone)]
pub struct DirectoryIssuer {
    /// The issuer URL (`iss`).
    pub iss: String,
    /// Display name.
    pub name: Option<String>,
    /// The issuer's JWKs.
    pub keys: Vec<serde_json::Value>,
    /// The issuer's revocation lists.
    pub crls: Vec<serde_json::Value>,
}

/// A verified snapshot.
#[derive(Debug, Clone)]
pub struct VerifiedSnapshot {
    /// The snapshot time stamp (`time`).
    pub time: Option<String>,
    /// The issuers.
    pub issuers: Vec<DirectoryIssuer>,
}

/// Verify the signature, then parse the snapshot.
pub fn load_snapshot(
    snapshot: &[u8],
    signature_der: &[u8],
    signer_certificate_pem: &[u8],
) -> Result<VerifiedSnapshot, VciError> {
    let signer = signer_key_from_pem(signer_certificate_pem)?;
    verify_snapshot_signature(snapshot, signature_der, &signer)?;
    let json: serde_json::Value =
        serde_json::from_slice(snapshot).map_err(|e| VciError::Content(e.to_string()))?;
    let infos = json
        .get("issuerInfo")
        .and_then(|v| v.as_array())
        .ok_or_else(|| VciError::Content("missing issuerInfo".into()))?;
    let mut issuers = Vec::with_capacity(infos.len());
    for info in infos {
        let issuer = info.get("issuer");
        let Some(iss) = issuer.and_then(|i| i.get("iss")).and_then(|v| v.as_str()) else {
            return Err(VciError::Content("issuer without iss".into()));
        };
        let list = |k: &str| {
            info.get(k)
                .and_then(|v| v.as_array())
                .cloned()
                .unwrap_or_default()
        };
        issuers.push(DirectoryIssuer {
            iss: iss.to_owned(),
            name: issuer
                .and_then(|i| i.get("name"))
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            keys: list("keys"),
            crls: list("crls"),
        });
    }
    Ok(VerifiedSnapshot {
        time: json.get("time").and_then(|v| v.as_str()).map(str::to_owned),
        issuers,
    })
}
