//! The compact QR envelope `CC1`: a signed credential or presentation as a short alphanumeric
//! text for a QR code (specified in `docs/qr-envelope.md`).
//!
//! ```text
//! payload  = "CC1:" base45( zlib( cbor( [kind, body] ) ) )
//! kind     = 0 (credential) / 1 (presentation)
//! body     = COSE_Sign1 (tag 18)                 ; form (a): issued, signed claim set
//!          / compact JSON of the secured document ; form (b): Data Integrity carriage
//! ```
//!
//! Both forms carry the document in the lossless [`compact`] JSON encoding (a term dictionary,
//! `did:key` and multibase strings as bytes, times as epoch integers). [`decode`] parses and
//! verifies either form and returns the JSON document, with the [`anchors`] receipts an
//! envelope may carry beside it (`[kind, body, receipts]`); every failure is a typed
//! [`EnvelopeError`] that names the failing [`VerificationStep`]. [`qr`] writes the payload as a QR
//! code (level Q, alphanumeric mode); with feature `qr-image` it also renders a PNG, and
//! `qr_image` reads QR codes back from photos and screenshots.

pub mod anchors;
pub mod carriage;
pub mod compact;
pub mod dictionary;
pub mod inflate;
pub mod payload;
pub mod qr;
#[cfg(feature = "qr-image")]
pub mod qr_image;
pub mod signed;
pub mod time_slot;

use ciborium::Value as Cbor;
use serde_json::Value as Json;
use time::OffsetDateTime;

use crate::anchor::AnchorReceipt;
use crate::data_integrity::{VerificationFailure, VerificationReport};
use crate::did::{DidError, DidUrl, KeyResolver, VerificationRelationship};
use crate::keys::{KeyAlgorithm, SignatureError, Signer};
use crate::verification_step::VerificationStep;

pub use payload::{MAX_INFLATED_LEN, PREFIX};

/// What an envelope carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvelopeKind {
    /// A verifiable credential (`type` contains `VerifiableCredential`).
    Credential,
    /// A verifiable presentation (`type` contains `VerifiablePresentation`).
    Presentation,
}

impl EnvelopeKind {
    /// The CBOR code of the kind: 0 credential, 1 presentation.
    pub fn code(self) -> u64 {
        match self {
            EnvelopeKind::Credential => 0,
            EnvelopeKind::Presentation => 1,
        }
    }

    /// The kind with the CBOR code `code`.
    pub fn from_code(code: u64) -> Option<EnvelopeKind> {
        match code {
            0 => Some(EnvelopeKind::Credential),
            1 => Some(EnvelopeKind::Presentation),
            _ => None,
        }
    }

    /// The JSON-LD type a document of this kind must list.
    pub fn json_type(self) -> &'static str {
        match self {
            EnvelopeKind::Credential => "VerifiableCredential",
            EnvelopeKind::Presentation => "VerifiablePresentation",
        }
    }

    /// The kind of a JSON document from its `type` (credential or presentation).
    pub fn of_document(document: &Json) -> Result<EnvelopeKind, EnvelopeError> {
        let has = |kind: EnvelopeKind| crate::vc::has_type(document, kind.json_type());
        match (
            has(EnvelopeKind::Credential),
            has(EnvelopeKind::Presentation),
        ) {
            (true, false) => Ok(EnvelopeKind::Credential),
            (false, true) => Ok(EnvelopeKind::Presentation),
            _ => Err(EnvelopeError::UnknownDocumentType),
        }
    }
}

/// Errors of the compact JSON encoding ([`compact`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompactError {
    /// A dictionary index this version does not define.
    #[error("unknown dictionary term {0}")]
    UnknownTerm(u64),
    /// A CBOR tag the compact encoding does not use.
    #[error("unknown CBOR tag {0}")]
    UnknownTag(u64),
    /// A known tag around the wrong kind of item.
    #[error("malformed content of CBOR tag {0}")]
    InvalidTagContent(u64),
    /// An integer outside the JSON integer range (u64 / negative i64), or non-minimal.
    #[error("integer out of range")]
    IntegerOutOfRange,
    /// A NaN or infinite float (JSON has none).
    #[error("non-finite float")]
    NonFiniteFloat,
    /// A JSON number that is neither an integer nor an f64 that re-serialises identically.
    #[error("number {0} cannot be carried losslessly")]
    UnsupportedNumber(String),
    /// An epoch time outside years 0000..=9999.
    #[error("epoch time outside the supported range")]
    InvalidTime,
    /// A byte string with an unknown form byte or a bad length.
    #[error("malformed byte-string form")]
    InvalidByteString,
    /// An object key that is neither text nor a dictionary index.
    #[error("object key is neither text nor a dictionary index")]
    InvalidObjectKey,
    /// The same key twice in one object.
    #[error("duplicate object key {0:?}")]
    DuplicateKey(String),
    /// A CBOR item JSON has no counterpart for (e.g. a simple value).
    #[error("CBOR item with no JSON counterpart")]
    UnsupportedItem,
}

/// Why an envelope could not be built, parsed or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The document is neither a credential nor a presentation (by its `type`).
    #[error("document type is neither VerifiableCredential nor VerifiablePresentation")]
    UnknownDocumentType,
    /// Form (b) needs a document that already carries a `proof`.
    #[error("document has no proof to carry (sign it first, or encode with a key)")]
    MissingProof,
    /// Deflating failed (encoding side).
    #[error("deflate failed: {0}")]
    Deflate(String),
    /// CBOR serialisation failed (encoding side).
    #[error("CBOR serialisation failed: {0}")]
    CborWrite(String),
    /// The payload does not start with `CC1:`.
    #[error("payload does not start with {PREFIX}")]
    MissingPrefix,
    /// The payload is a `CC` envelope of another version.
    #[error("unsupported envelope version {0} (this build reads CC1)")]
    UnsupportedVersion(String),
    /// The text after the prefix is not base45.
    #[error("base45 decoding failed: {0}")]
    Base45(String),
    /// The base45 bytes are not exactly one complete zlib stream.
    #[error("inflate failed: {0}")]
    Inflate(inflate::InflateError),
    /// The inflated envelope is larger than the limit.
    #[error("inflated envelope larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes ([`MAX_INFLATED_LEN`]).
        limit: usize,
    },
    /// The inflated bytes are not one well-formed CBOR item.
    #[error("CBOR decoding failed: {0}")]
    Cbor(String),
    /// The CBOR item is not `[kind, body]` with a known kind and body.
    #[error("malformed envelope: {0}")]
    Structure(&'static str),
    /// The envelope kind differs from the carried document's type.
    #[error("envelope kind {envelope:?} but the document is a {document:?}")]
    KindMismatch {
        /// The kind in the envelope.
        envelope: EnvelopeKind,
        /// The kind of the document.
        document: EnvelopeKind,
    },
    /// The compact JSON encoding is malformed.
    #[error("compact JSON: {0}")]
    Compact(#[from] CompactError),
    /// The carried document is not a JSON object.
    #[error("carried document is not a JSON object")]
    NotAnObject,
    /// The key algorithm has no `CC1` signature (BLS12-381), or the COSE `alg` is not one `CC1`
    /// uses.
    #[error("unsupported signature algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// Signing failed (encoding side).
    #[error("signing failed: {0}")]
    Signing(SignatureError),
    /// The signing key is not the key of the `did:key` verification method given.
    #[error("the signing key does not match the did:key verification method")]
    KeyMismatch,
    /// The COSE_Sign1 structure or its headers are malformed.
    #[error("COSE_Sign1: {0}")]
    Cose(String),
    /// The COSE `kid` does not name a verification method.
    #[error("invalid kid: {0}")]
    InvalidKid(String),
    /// The verification method could not be resolved to a public key.
    #[error("verification method could not be resolved: {0}")]
    KeyResolution(DidError),
    /// The resolved key is not of the algorithm the COSE header names.
    #[error("COSE alg is {header} but the resolved key is {key}")]
    AlgorithmMismatch {
        /// The algorithm of the COSE header.
        header: KeyAlgorithm,
        /// The algorithm of the resolved key.
        key: KeyAlgorithm,
    },
    /// The signature does not verify.
    #[error("signature does not verify: {0}")]
    Signature(SignatureError),
    /// The signer's DID document does not list its verification method under the
    /// relationship the document needs (e.g. an `authentication` key signing a credential).
    #[error("the signer's verification method is not authorised for {relationship}")]
    SignerNotAuthorised {
        /// The relationship the document needs.
        relationship: VerificationRelationship,
    },
    /// The signer's DID document did not list its verification method when the document was
    /// issued (a retired key, a key added later).
    #[error("the signer's verification method was not in force when the {kind:?} was issued")]
    SignerNotInForce {
        /// What was signed.
        kind: EnvelopeKind,
    },
    /// A credential that a presentation embeds is not about the presentation's holder.
    #[error("embedded credential {index}: credentialSubject.id is not the holder")]
    SubjectNotHolder {
        /// Its position in `verifiableCredential`.
        index: usize,
    },
    /// The signer is not the document's issuer (credential) or holder (presentation).
    #[error("signer {signer} is not the document's issuer/holder ({expected})")]
    SignerMismatch {
        /// What was signed.
        kind: EnvelopeKind,
        /// The DID of the signing verification method.
        signer: String,
        /// The issuer / holder the document names (`none` when it names none).
        expected: String,
    },
    /// `validFrom` / `validUntil` is not an RFC 3339 date-time.
    #[error("{0} is not an RFC 3339 date-time")]
    InvalidDateTime(&'static str),
    /// The document is not valid yet (`validFrom` is later than the verification time).
    #[error("not valid yet (validFrom is in the future)")]
    NotYetValid,
    /// The document has expired (`validUntil` is earlier than the verification time).
    #[error("expired (validUntil has passed)")]
    Expired,
    /// A dynamic presentation's `timeSlot` is older than the verifier's current slot by more
    /// than [`time_slot::TIME_SLOT_TOLERANCE`] (a screenshot of an expired QR code).
    #[error("stale time slot {slot} (current slot {current})")]
    StaleTimeSlot {
        /// The slot the holder signed.
        slot: i64,
        /// The verifier's slot at verification time.
        current: i64,
    },
    /// A dynamic presentation's `timeSlot` is ahead of the verifier's current slot by more
    /// than [`time_slot::TIME_SLOT_TOLERANCE`].
    #[error("time slot {slot} is in the future (current slot {current})")]
    FutureTimeSlot {
        /// The slot the holder signed.
        slot: i64,
        /// The verifier's slot at verification time.
        current: i64,
    },
    /// `timeSlot` is not a non-negative integer.
    #[error("timeSlot is not a non-negative integer")]
    InvalidTimeSlot,
    /// The presentation is not for this verifier (its `domain` is another audience, or absent).
    #[error("the presentation is for another audience")]
    WrongAudience,
    /// Data Integrity verification of the carried document, or of a credential embedded in a
    /// presentation, failed; the failure names the inner step.
    #[error("{} data integrity verification failed at step {}: {}", embedded_label(*.embedded), .failure.step, .failure.error)]
    DataIntegrity {
        /// `None` for the carried document itself, `Some(i)` for its `i`-th embedded credential.
        embedded: Option<usize>,
        /// The first failing step of `verify_document` and its error.
        failure: VerificationFailure,
    },
}

fn embedded_label(embedded: Option<usize>) -> String {
    match embedded {
        None => "document".to_owned(),
        Some(index) => format!("embedded credential {index}:"),
    }
}

impl EnvelopeError {
    /// The verification step at which the envelope was refused; `None` for the errors of
    /// building one (no document type, no proof to carry, deflate / CBOR / signing failures, a
    /// key that is not the `did:key` given).
    ///
    /// The `CC1` decoder runs `Prefix`, `Decode` (base45), `Decompress` (zlib), `ParseEnvelope`
    /// (CBOR, `[kind, body]`, COSE_Sign1 and its headers), `Parse` (the compact JSON document),
    /// then the binding and signature steps; a failed Data Integrity verification of the
    /// carried document reports its own inner step.
    pub fn step(&self) -> Option<VerificationStep> {
        let step = match self {
            EnvelopeError::UnknownDocumentType
            | EnvelopeError::MissingProof
            | EnvelopeError::Deflate(_)
            | EnvelopeError::CborWrite(_)
            | EnvelopeError::Signing(_)
            | EnvelopeError::KeyMismatch => return None,
            EnvelopeError::MissingPrefix | EnvelopeError::UnsupportedVersion(_) => {
                VerificationStep::Prefix
            }
            EnvelopeError::Base45(_) => VerificationStep::Decode,
            EnvelopeError::Inflate(_) | EnvelopeError::TooLarge { .. } => {
                VerificationStep::Decompress
            }
            EnvelopeError::Cbor(_)
            | EnvelopeError::Structure(_)
            | EnvelopeError::KindMismatch { .. }
            | EnvelopeError::UnsupportedAlgorithm(_)
            | EnvelopeError::Cose(_) => VerificationStep::ParseEnvelope,
            EnvelopeError::Compact(_) | EnvelopeError::NotAnObject => VerificationStep::Parse,
            EnvelopeError::InvalidKid(_)
            | EnvelopeError::KeyResolution(_)
            | EnvelopeError::AlgorithmMismatch { .. } => VerificationStep::KeyResolution,
            EnvelopeError::Signature(_) => VerificationStep::Signature,
            EnvelopeError::SignerNotAuthorised { .. } => VerificationStep::ProofPurpose,
            EnvelopeError::SignerMismatch {
                kind: EnvelopeKind::Credential,
                ..
            }
            | EnvelopeError::SignerNotInForce {
                kind: EnvelopeKind::Credential,
            } => VerificationStep::IssuerBinding,
            EnvelopeError::SignerMismatch {
                kind: EnvelopeKind::Presentation,
                ..
            }
            | EnvelopeError::SignerNotInForce {
                kind: EnvelopeKind::Presentation,
            }
            | EnvelopeError::SubjectNotHolder { .. } => VerificationStep::HolderBinding,
            EnvelopeError::InvalidDateTime(_)
            | EnvelopeError::NotYetValid
            | EnvelopeError::Expired
            | EnvelopeError::InvalidTimeSlot
            | EnvelopeError::StaleTimeSlot { .. }
            | EnvelopeError::FutureTimeSlot { .. } => VerificationStep::ValidityWindow,
            EnvelopeError::WrongAudience => VerificationStep::HolderBinding,
            EnvelopeError::DataIntegrity { failure, .. } => failure.step,
        };
        Some(step)
    }
}

/// Serialises a CBOR item.
pub(crate) fn cbor_bytes(item: &Cbor) -> Result<Vec<u8>, EnvelopeError> {
    let mut bytes = Vec::new();
    ciborium::into_writer(item, &mut bytes)
        .map_err(|err| EnvelopeError::CborWrite(err.to_string()))?;
    Ok(bytes)
}

/// Parses exactly one CBOR item (trailing bytes are an error).
pub(crate) fn cbor_item(bytes: &[u8]) -> Result<Cbor, EnvelopeError> {
    let mut rest = bytes;
    let item: Cbor =
        ciborium::from_reader(&mut rest).map_err(|err| EnvelopeError::Cbor(err.to_string()))?;
    if rest.is_empty() {
        Ok(item)
    } else {
        Err(EnvelopeError::Cbor(format!(
            "{} trailing bytes",
            rest.len()
        )))
    }
}

/// Encodes a JSON object in compact form (checking it is an object).
pub(crate) fn compact_document(document: &Json) -> Result<Cbor, EnvelopeError> {
    if !document.is_object() {
        return Err(EnvelopeError::NotAnObject);
    }
    Ok(compact::to_compact(document)?)
}

/// Decodes a compact JSON object (refusing any other JSON value).
pub(crate) fn document_from_compact(item: &Cbor) -> Result<Json, EnvelopeError> {
    let document = compact::from_compact(item)?;
    if document.is_object() {
        Ok(document)
    } else {
        Err(EnvelopeError::NotAnObject)
    }
}

/// The body of a parsed envelope, before verification.
#[derive(Debug, Clone)]
pub enum EnvelopeBody {
    /// Form (a): a COSE_Sign1 over the compact claim set.
    Signed(Box<signed::SignedBody>),
    /// Form (b): a Data-Integrity-secured document, reconstructed from compact JSON.
    DataIntegrity(Json),
}

/// A parsed envelope, not yet verified.
#[derive(Debug, Clone)]
pub struct ParsedEnvelope {
    /// What it carries.
    pub kind: EnvelopeKind,
    /// Its body.
    pub body: EnvelopeBody,
    /// The anchor receipts it carries ([`anchors`]): one entry per carried credential, in
    /// order, or none at all.
    pub anchors: Vec<Option<AnchorReceipt>>,
}

/// How a verified envelope was secured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecuringForm {
    /// Form (a): COSE_Sign1 by the issuer (credential) or holder (presentation).
    CoseSign1 {
        /// The signer's verification method (the COSE `kid`).
        verification_method: DidUrl,
        /// The signature algorithm.
        algorithm: KeyAlgorithm,
    },
    /// Form (b): the document's own Data Integrity proof(s), checked with `verify_document`.
    DataIntegrity {
        /// The verification report of the carried document.
        report: Box<VerificationReport>,
    },
}

/// A decoded and verified envelope.
#[derive(Debug, Clone)]
pub struct VerifiedEnvelope {
    /// What it carries.
    pub kind: EnvelopeKind,
    /// How it was secured.
    pub form: SecuringForm,
    /// The credential / presentation (form (a): the signed claim set, without `proof`;
    /// form (b): the byte-identical secured document).
    pub document: Json,
    /// The anchor receipts it carries, not yet checked against any chain ([`anchors`]).
    pub anchors: Vec<Option<AnchorReceipt>>,
}

fn envelope_text(
    kind: EnvelopeKind,
    body: Cbor,
    anchors: &[Option<&AnchorReceipt>],
) -> Result<String, EnvelopeError> {
    let mut items = vec![Cbor::Integer(kind.code().into()), body];
    items.extend(anchors::to_cbor(anchors)?);
    payload::to_text(&cbor_bytes(&Cbor::Array(items))?)
}

/// Form (a): signs the compact claim set of `document` (a credential signed by its issuer, or
/// a presentation signed by its holder; a top-level `proof` is dropped) with `key` and returns
/// the `CC1:` payload.
pub fn encode_signed(
    document: &Json,
    key: &dyn Signer,
    verification_method: &DidUrl,
) -> Result<String, EnvelopeError> {
    encode_signed_with_anchors(document, key, verification_method, &[])
}

/// [`encode_signed`] carrying `anchors` beside the document: one entry per carried credential,
/// in order ([`anchors`]).
pub fn encode_signed_with_anchors(
    document: &Json,
    key: &dyn Signer,
    verification_method: &DidUrl,
    anchors: &[Option<&AnchorReceipt>],
) -> Result<String, EnvelopeError> {
    let (kind, body) = signed::sign(document, key, verification_method)?;
    envelope_text(kind, body, anchors)
}

/// Form (b): carries a document that already has Data Integrity proof(s), losslessly, and
/// returns the `CC1:` payload.
pub fn encode_data_integrity(document: &Json) -> Result<String, EnvelopeError> {
    encode_data_integrity_with_anchors(document, &[])
}

/// [`encode_data_integrity`] carrying `anchors` beside the document ([`anchors`]).
pub fn encode_data_integrity_with_anchors(
    document: &Json,
    anchors: &[Option<&AnchorReceipt>],
) -> Result<String, EnvelopeError> {
    let kind = EnvelopeKind::of_document(document)?;
    if document.get("proof").is_none() {
        return Err(EnvelopeError::MissingProof);
    }
    envelope_text(kind, compact_document(document)?, anchors)
}

/// Parses a `CC1:` payload into its kind and body, without verifying anything.
pub fn parse(payload_text: &str) -> Result<ParsedEnvelope, EnvelopeError> {
    let bytes = payload::from_text(payload_text)?;
    let Cbor::Array(items) = cbor_item(&bytes)? else {
        return Err(EnvelopeError::Structure("envelope is not a CBOR array"));
    };
    let mut items = items.into_iter();
    let (Some(kind), Some(body), receipts, None) =
        (items.next(), items.next(), items.next(), items.next())
    else {
        return Err(EnvelopeError::Structure(
            "envelope array does not have 2 or 3 items",
        ));
    };
    let anchors = match receipts {
        Some(receipts) => anchors::from_cbor(receipts)?,
        None => Vec::new(),
    };
    let kind = match kind {
        Cbor::Integer(code) => u64::try_from(code).ok().and_then(EnvelopeKind::from_code),
        _ => None,
    }
    .ok_or(EnvelopeError::Structure("unknown envelope kind"))?;
    let body = match body {
        Cbor::Tag(signed::COSE_SIGN1_TAG, inner) => {
            EnvelopeBody::Signed(Box::new(signed::parse(*inner)?))
        }
        Cbor::Tag(_, _) => return Err(EnvelopeError::Structure("unknown tagged body")),
        map @ Cbor::Map(_) => {
            let document = document_from_compact(&map)?;
            check_kind(kind, &document)?;
            EnvelopeBody::DataIntegrity(document)
        }
        _ => {
            return Err(EnvelopeError::Structure(
                "body is neither COSE_Sign1 nor a compact document",
            ));
        }
    };
    Ok(ParsedEnvelope {
        kind,
        body,
        anchors,
    })
}

/// Checks that the envelope's kind is the carried document's type.
pub(crate) fn check_kind(kind: EnvelopeKind, document: &Json) -> Result<(), EnvelopeError> {
    let document_kind = EnvelopeKind::of_document(document).map_err(|_| {
        EnvelopeError::Structure("document type is neither credential nor presentation")
    })?;
    if document_kind == kind {
        Ok(())
    } else {
        Err(EnvelopeError::KindMismatch {
            envelope: kind,
            document: document_kind,
        })
    }
}

/// Decodes and verifies a `CC1:` payload at time `at`, resolving keys with `resolver`.
///
/// Form (a): COSE signature by the `kid` key, signer = issuer / holder, validity window, and
/// for a presentation the Data Integrity proofs of the credentials it embeds. Form (b):
/// `verify_document` on the reconstructed document. Either form: a presentation with a
/// `timeSlot` (a dynamic QR code) must be within [`time_slot::TIME_SLOT_TOLERANCE`] slots of
/// `at` ([`time_slot::check`]). A checkpoint that requires dynamic presentations, or a given
/// audience, also calls [`time_slot::require_dynamic`] / [`time_slot::check_audience`].
pub fn decode(
    payload_text: &str,
    resolver: &dyn KeyResolver,
    at: OffsetDateTime,
) -> Result<VerifiedEnvelope, EnvelopeError> {
    let ParsedEnvelope {
        kind,
        body,
        anchors,
    } = parse(payload_text)?;
    match body {
        EnvelopeBody::Signed(body) => {
            let document = signed::verify(&body, kind, resolver)?;
            signed::check_validity_window(&document, at)?;
            if kind == EnvelopeKind::Presentation {
                time_slot::check(&document, at)?;
                carriage::verify_embedded_credentials(&document, resolver, at)?;
            }
            Ok(VerifiedEnvelope {
                kind,
                form: SecuringForm::CoseSign1 {
                    verification_method: body.verification_method,
                    algorithm: body.algorithm,
                },
                document,
                anchors,
            })
        }
        EnvelopeBody::DataIntegrity(document) => {
            let report = carriage::verify(&document, resolver, at)?;
            if kind == EnvelopeKind::Presentation {
                time_slot::check(&document, at)?;
            }
            Ok(VerifiedEnvelope {
                kind,
                form: SecuringForm::DataIntegrity {
                    report: Box::new(report),
                },
                document,
                anchors,
            })
        }
    }
}
