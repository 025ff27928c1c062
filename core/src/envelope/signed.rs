//! Form (a), the issued form: a COSE_Sign1 (tag 18) over the compact claim set of the document.
//!
//! ```text
//! COSE_Sign1 = [ protected: bstr .cbor { 1 (alg): -8 EdDSA / -70001 SM2-SM3 / -7 ES256,
//!                                        4 (kid): kid bytes },
//!                unprotected: {},
//!                payload: bstr .cbor compact-json(document without its top-level "proof"),
//!                signature: bstr (64 bytes) ]
//! kid bytes  = 0x01 || multicodec public key     ; did:key:z<k>#z<k>
//!            / UTF-8 DID URL                      ; any other verification method
//! ```
//!
//! The signature is over the COSE `Sig_structure` (`"Signature1"`, protected, empty external
//! AAD, payload): Ed25519 (RFC 8032, strict), SM2 with SM3 and the default distinguishing ID, or
//! ECDSA P-256 with SHA-256 (`ES256`, RFC 9053: 64 bytes `r ‖ s`).

use ciborium::Value as Cbor;
use coset::iana::{self, EnumI64};
use coset::{AsCborValue, CoseSign1, CoseSign1Builder, HeaderBuilder, RegisteredLabelWithPrivate};
use serde_json::Value as Json;
use time::OffsetDateTime;

use super::compact::{self, ByteForm};
use super::{EnvelopeError, EnvelopeKind};
use crate::did::{DidError, DidKey, DidUrl, KeyResolver, VerificationRelationship};
use crate::keys::{KeyAlgorithm, PublicKey, Signer};
use crate::vc::{DateTimeStamp, ValidityError};

/// COSE algorithm id of Ed25519 signatures (`EdDSA`, RFC 9053).
pub const COSE_ALG_EDDSA: i64 = -8;
/// COSE algorithm id of SM2 signatures with SM3 and the default distinguishing ID
/// (`1234567812345678`): a private-use value (below -65536) fixed by `CC1`.
pub const COSE_ALG_SM2_SM3: i64 = -70_001;
/// CBOR tag of COSE_Sign1.
pub const COSE_SIGN1_TAG: u64 = 18;

/// The COSE algorithm label of a key algorithm.
pub fn cose_algorithm(
    algorithm: KeyAlgorithm,
) -> Result<RegisteredLabelWithPrivate<iana::Algorithm>, EnvelopeError> {
    match algorithm {
        KeyAlgorithm::Ed25519 => Ok(RegisteredLabelWithPrivate::Assigned(iana::Algorithm::EdDSA)),
        KeyAlgorithm::Sm2 => Ok(RegisteredLabelWithPrivate::PrivateUse(COSE_ALG_SM2_SM3)),
        KeyAlgorithm::P256 => Ok(RegisteredLabelWithPrivate::Assigned(iana::Algorithm::ES256)),
        KeyAlgorithm::Bls12381G2 => Err(EnvelopeError::UnsupportedAlgorithm(
            algorithm.as_str().to_owned(),
        )),
    }
}

/// The key algorithm a COSE algorithm label stands for.
pub fn key_algorithm(
    label: &RegisteredLabelWithPrivate<iana::Algorithm>,
) -> Result<KeyAlgorithm, EnvelopeError> {
    match label {
        RegisteredLabelWithPrivate::Assigned(iana::Algorithm::EdDSA) => Ok(KeyAlgorithm::Ed25519),
        RegisteredLabelWithPrivate::PrivateUse(COSE_ALG_SM2_SM3) => Ok(KeyAlgorithm::Sm2),
        RegisteredLabelWithPrivate::Assigned(iana::Algorithm::ES256) => Ok(KeyAlgorithm::P256),
        RegisteredLabelWithPrivate::Assigned(other) => Err(EnvelopeError::UnsupportedAlgorithm(
            other.to_i64().to_string(),
        )),
        RegisteredLabelWithPrivate::PrivateUse(other) => {
            Err(EnvelopeError::UnsupportedAlgorithm(other.to_string()))
        }
        RegisteredLabelWithPrivate::Text(text) => Err(EnvelopeError::UnsupportedAlgorithm(
            text.chars().take(40).collect(),
        )),
    }
}

/// The `kid` bytes of a verification method.
pub fn kid_bytes(verification_method: &DidUrl) -> Vec<u8> {
    match compact::string_to_bytes(verification_method.as_str()) {
        Some(bytes) if bytes.first() == Some(&(ByteForm::DidKeyVerificationMethod as u8)) => bytes,
        _ => verification_method.as_str().as_bytes().to_vec(),
    }
}

/// The verification method named by `kid` bytes.
pub fn kid_verification_method(kid: &[u8]) -> Result<DidUrl, EnvelopeError> {
    let text = match kid.first() {
        None => return Err(EnvelopeError::InvalidKid("empty kid".to_owned())),
        Some(&byte) if byte == ByteForm::DidKeyVerificationMethod as u8 => {
            compact::string_from_bytes(kid)
                .map_err(|err| EnvelopeError::InvalidKid(err.to_string()))?
        }
        Some(_) => std::str::from_utf8(kid)
            .map_err(|_| EnvelopeError::InvalidKid("not UTF-8".to_owned()))?
            .to_owned(),
    };
    DidUrl::parse(&text).map_err(|err| EnvelopeError::InvalidKid(err.to_string()))
}

/// The DID that must sign a document of `kind`: the issuer of a credential (`issuer` or
/// `issuer.id`), the holder of a presentation.
pub fn expected_signer(document: &Json, kind: EnvelopeKind) -> Option<&str> {
    match kind {
        EnvelopeKind::Credential => match document.get("issuer") {
            Some(Json::String(issuer)) => Some(issuer),
            Some(Json::Object(issuer)) => issuer.get("id").and_then(Json::as_str),
            _ => None,
        },
        EnvelopeKind::Presentation => document.get("holder").and_then(|holder| match holder {
            Json::String(holder) => Some(holder.as_str()),
            Json::Object(holder) => holder.get("id").and_then(Json::as_str),
            _ => None,
        }),
    }
}

/// Checks that `verification_method` belongs to the document's issuer / holder.
pub fn check_signer(
    document: &Json,
    kind: EnvelopeKind,
    verification_method: &DidUrl,
) -> Result<(), EnvelopeError> {
    let signer = verification_method.did().as_str();
    match expected_signer(document, kind) {
        Some(expected) if expected == signer => Ok(()),
        expected => Err(EnvelopeError::SignerMismatch {
            kind,
            signer: signer.chars().take(120).collect(),
            expected: expected.map_or_else(
                || "none".to_owned(),
                |text| text.chars().take(120).collect(),
            ),
        }),
    }
}

/// Checks `validFrom <= at <= validUntil` (each when present, a `dateTimeStamp`): the rule
/// of [`crate::vc::check_validity_window`], shared with Data Integrity verification.
pub fn check_validity_window(document: &Json, at: OffsetDateTime) -> Result<(), EnvelopeError> {
    let moment = |field: &'static str| -> Result<Option<DateTimeStamp>, EnvelopeError> {
        match document.get(field) {
            None => Ok(None),
            Some(Json::String(text)) => DateTimeStamp::parse(text)
                .map(Some)
                .ok_or(EnvelopeError::InvalidDateTime(field)),
            Some(_) => Err(EnvelopeError::InvalidDateTime(field)),
        }
    };
    let valid_from = moment("validFrom")?;
    let valid_until = moment("validUntil")?;
    crate::vc::check_validity_window(valid_from.as_ref(), valid_until.as_ref(), at).map_err(
        |error| match error {
            ValidityError::NotYetValid { .. } => EnvelopeError::NotYetValid,
            ValidityError::Expired { .. } => EnvelopeError::Expired,
        },
    )
}

/// Builds the form (a) body: signs the compact claim set of `document` (without its
/// top-level `proof`) with `key`, naming `verification_method` as `kid`.
pub fn sign(
    document: &Json,
    key: &dyn Signer,
    verification_method: &DidUrl,
) -> Result<(EnvelopeKind, Cbor), EnvelopeError> {
    let kind = EnvelopeKind::of_document(document)?;
    check_signer(document, kind, verification_method)?;
    if verification_method.did().method() == "key" {
        let key_did = DidKey::from_public_key(&key.public_key());
        if key_did.did() != verification_method.did() {
            return Err(EnvelopeError::KeyMismatch);
        }
    }
    let mut claims = document.clone();
    if let Some(object) = claims.as_object_mut() {
        object.remove("proof");
    }
    let payload = super::cbor_bytes(&super::compact_document(&claims)?)?;
    let protected = HeaderBuilder::new()
        .algorithm_label(cose_algorithm(key.algorithm())?)
        .key_id(kid_bytes(verification_method))
        .build();
    let sign1 = CoseSign1Builder::new()
        .protected(protected)
        .payload(payload)
        .try_create_signature(&[], |to_be_signed| key.sign(to_be_signed))
        .map_err(EnvelopeError::Signing)?
        .build();
    let value = sign1
        .to_cbor_value()
        .map_err(|err| EnvelopeError::CborWrite(err.to_string()))?;
    Ok((kind, Cbor::Tag(COSE_SIGN1_TAG, Box::new(value))))
}

/// A parsed, not yet verified form (a) body.
#[derive(Debug, Clone)]
pub struct SignedBody {
    /// The COSE_Sign1 structure.
    pub sign1: CoseSign1,
    /// The signature algorithm (from the protected `alg`).
    pub algorithm: KeyAlgorithm,
    /// The signer's verification method (from the protected `kid`).
    pub verification_method: DidUrl,
}

/// Parses the COSE_Sign1 inside tag 18 and its protected headers.
pub fn parse(inner: Cbor) -> Result<SignedBody, EnvelopeError> {
    let sign1 =
        CoseSign1::from_cbor_value(inner).map_err(|err| EnvelopeError::Cose(err.to_string()))?;
    let label = sign1
        .protected
        .header
        .alg
        .as_ref()
        .ok_or_else(|| EnvelopeError::Cose("protected header has no alg".to_owned()))?;
    let algorithm = key_algorithm(label)?;
    if !sign1.protected.header.crit.is_empty() {
        return Err(EnvelopeError::Cose(
            "critical headers are not supported".to_owned(),
        ));
    }
    let verification_method = kid_verification_method(&sign1.protected.header.key_id)?;
    if sign1.payload.is_none() {
        return Err(EnvelopeError::Cose("detached payload".to_owned()));
    }
    Ok(SignedBody {
        sign1,
        algorithm,
        verification_method,
    })
}

/// The relationship the signer of a document of `kind` needs: `assertionMethod` (credential)
/// or `authentication` (presentation).
pub fn signer_relationship(kind: EnvelopeKind) -> VerificationRelationship {
    match kind {
        EnvelopeKind::Credential => VerificationRelationship::AssertionMethod,
        EnvelopeKind::Presentation => VerificationRelationship::Authentication,
    }
}

/// Verifies a parsed form (a) body of a document of `kind` and returns the document it
/// carries: the signer must be the document's issuer (credential) or holder (presentation),
/// with a verification method its DID document listed under [`signer_relationship`] when the
/// document was issued (a credential's `validFrom`; the latest document otherwise), and the
/// signature must verify. The validity window is checked by the caller.
pub fn verify(
    body: &SignedBody,
    kind: EnvelopeKind,
    resolver: &dyn KeyResolver,
) -> Result<Json, EnvelopeError> {
    let payload = body.sign1.payload.as_deref().unwrap_or_default();
    let document = super::document_from_compact(&super::cbor_item(payload)?)?;
    super::check_kind(kind, &document)?;
    check_signer(&document, kind, &body.verification_method)?;
    let issued_at = match (kind, document.get("validFrom")) {
        (EnvelopeKind::Credential, Some(Json::String(text))) => Some(
            DateTimeStamp::parse(text)
                .ok_or(EnvelopeError::InvalidDateTime("validFrom"))?
                .instant(),
        ),
        _ => None,
    };
    let relationship = signer_relationship(kind);
    let public_key: PublicKey = resolver
        .resolve_verification_method(&body.verification_method, relationship, issued_at)
        .map_err(|error| match error {
            DidError::NotAuthorised { relationship, .. } => {
                EnvelopeError::SignerNotAuthorised { relationship }
            }
            DidError::NotInForce { .. } => EnvelopeError::SignerNotInForce { kind },
            other => EnvelopeError::KeyResolution(other),
        })?;
    if public_key.algorithm() != body.algorithm {
        return Err(EnvelopeError::AlgorithmMismatch {
            header: body.algorithm,
            key: public_key.algorithm(),
        });
    }
    body.sign1
        .verify_signature(&[], |signature, to_be_signed| {
            public_key.verify(to_be_signed, signature)
        })
        .map_err(EnvelopeError::Signature)?;
    Ok(document)
}
