//! Verification of secured documents and of single proofs.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::report::{ProofReport, VerificationError, VerificationFailure, VerificationReport};
use super::{Cryptosuite, DATA_INTEGRITY_PROOF, date_time_stamp};
use crate::did::{DidUrl, KeyResolver};
use crate::jcs;
use crate::keys::SIGNATURE_LEN;
use crate::vc::{Credential, DateTimeStamp, Presentation, VERIFIABLE_PRESENTATION_TYPE, VcError};

/// True when the document's `type` includes `VerifiablePresentation`.
fn is_presentation(object: &Map<String, Value>) -> bool {
    match object.get("type") {
        Some(Value::String(name)) => name == VERIFIABLE_PRESENTATION_TYPE,
        Some(Value::Array(names)) => names
            .iter()
            .any(|name| name.as_str() == Some(VERIFIABLE_PRESENTATION_TYPE)),
        _ => false,
    }
}

/// The proofs of a document: one object, or a non-empty array of objects (a proof set).
fn proof_list(object: &Map<String, Value>) -> Result<Vec<&Map<String, Value>>, VerificationError> {
    match object.get("proof") {
        None => Err(VerificationError::NoProof),
        Some(Value::Object(proof)) => Ok(vec![proof]),
        Some(Value::Array(items)) if items.is_empty() => Err(VerificationError::NoProof),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_object().ok_or(VerificationError::MalformedProof))
            .collect(),
        Some(_) => Err(VerificationError::MalformedProof),
    }
}

/// Verifies a secured VC 2.0 credential or presentation: parses and validates it, verifies
/// every proof of its proof set on its own (resolving each verification method through
/// `resolver`), and checks the validity window at `at`.
///
/// The report is `verified` only when every step passes for every proof. Its `failure` names
/// the first failing step in the order Parse, Context, ProofSuite, KeyResolution, Signature,
/// ValidityWindow; `proofs` says which proofs verified (see
/// [`VerificationReport::verified_with`] for a policy that needs one suite only).
pub fn verify_document(
    document: &Value,
    resolver: &dyn KeyResolver,
    at: OffsetDateTime,
) -> VerificationReport {
    let mut report = VerificationReport {
        verified: false,
        checked_at: date_time_stamp(at),
        issuer: None,
        failure: None,
        document_failure: None,
        proofs: Vec::new(),
    };
    let fail_document = |mut report: VerificationReport, error: VerificationError| {
        let failure = VerificationFailure::from(error);
        report.failure = Some(failure.clone());
        report.document_failure = Some(failure);
        report
    };
    let Some(object) = document.as_object() else {
        return fail_document(report, VerificationError::Document(VcError::NotAnObject));
    };
    let credential = if is_presentation(object) {
        match Presentation::from_value(document) {
            Ok(_) => None,
            Err(error) => return fail_document(report, VerificationError::Document(error)),
        }
    } else {
        match Credential::from_value(document) {
            Ok(credential) => Some(credential),
            Err(error) => return fail_document(report, VerificationError::Document(error)),
        }
    };
    let issuer = credential
        .as_ref()
        .map(|credential| credential.issuer.id().to_owned());
    report.issuer.clone_from(&issuer);
    let proofs = match proof_list(object) {
        Ok(proofs) => proofs,
        Err(error) => return fail_document(report, error),
    };
    for (index, proof) in proofs.iter().enumerate() {
        let outcome = verify_one(object, proof, &proofs, resolver, at);
        let verification_method = proof
            .get("verificationMethod")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let controller_is_issuer = match (&verification_method, &issuer) {
            (Some(method), Some(issuer)) => {
                method
                    .split_once('#')
                    .map_or(method.as_str(), |(did, _)| did)
                    == issuer
            }
            _ => false,
        };
        report.proofs.push(ProofReport {
            index,
            id: proof.get("id").and_then(Value::as_str).map(str::to_owned),
            cryptosuite: proof
                .get("cryptosuite")
                .and_then(Value::as_str)
                .map(str::to_owned),
            verification_method,
            controller_is_issuer,
            verified: outcome.is_ok(),
            failure: outcome.err().map(VerificationFailure::from),
        });
    }
    let first_proof_failure = report.proofs.iter().find_map(|proof| proof.failure.clone());
    let validity = credential
        .as_ref()
        .map_or(Ok(()), |credential| credential.check_validity_at(at));
    if let Err(error) = validity {
        report.document_failure = Some(VerificationFailure::from(VerificationError::Validity(
            error,
        )));
    }
    report.failure = first_proof_failure.or_else(|| report.document_failure.clone());
    report.verified = report.failure.is_none();
    report
}

/// Verifies one proof object of `secured_document` (which may carry a proof set; the other
/// proofs are ignored unless named by `previousProof`). Checks the proof's suite, context,
/// key and signature — not the document's validity window. Returns the proof's suite.
pub fn verify_proof(
    secured_document: &Value,
    proof: &Value,
    resolver: &dyn KeyResolver,
) -> Result<Cryptosuite, VerificationError> {
    let object = secured_document
        .as_object()
        .ok_or(VerificationError::Document(VcError::NotAnObject))?;
    let proof = proof.as_object().ok_or(VerificationError::MalformedProof)?;
    let proofs = proof_list(object).unwrap_or_default();
    verify_proof_signature(object, proof, &proofs, resolver)
}

fn required_str<'a>(
    proof: &'a Map<String, Value>,
    property: &'static str,
) -> Result<&'a str, VerificationError> {
    proof
        .get(property)
        .and_then(Value::as_str)
        .ok_or(VerificationError::MissingProofProperty { property })
}

fn optional_date_time(
    proof: &Map<String, Value>,
    property: &'static str,
) -> Result<Option<DateTimeStamp>, VerificationError> {
    match proof.get(property) {
        None => Ok(None),
        Some(Value::String(text)) => DateTimeStamp::parse(text)
            .map(Some)
            .ok_or(VerificationError::InvalidProofDateTime { property }),
        Some(_) => Err(VerificationError::InvalidProofDateTime { property }),
    }
}

/// The longest base58btc text a 64-byte signature encodes to.
const MAX_PROOF_VALUE_DIGITS: usize = 88;

fn decode_proof_value(text: &str) -> Result<Vec<u8>, VerificationError> {
    let encoded = text
        .strip_prefix('z')
        .ok_or(VerificationError::InvalidProofValue(
            "not multibase base58btc (no 'z' prefix)",
        ))?;
    // A 64-byte value is at most 88 base58 digits; refusing longer text first keeps the
    // (quadratic) decoding of attacker-sized input out of reach.
    if encoded.len() > MAX_PROOF_VALUE_DIGITS {
        return Err(VerificationError::InvalidProofValue(
            "the signature is not 64 bytes",
        ));
    }
    let bytes = super::base58::decode(encoded)
        .ok_or(VerificationError::InvalidProofValue("not base58btc"))?;
    if bytes.len() != SIGNATURE_LEN {
        return Err(VerificationError::InvalidProofValue(
            "the signature is not 64 bytes",
        ));
    }
    Ok(bytes)
}

/// Every check of one proof, then the proof's own `expires`.
fn verify_one(
    document: &Map<String, Value>,
    proof: &Map<String, Value>,
    proofs: &[&Map<String, Value>],
    resolver: &dyn KeyResolver,
    at: OffsetDateTime,
) -> Result<Cryptosuite, VerificationError> {
    let suite = verify_proof_signature(document, proof, proofs, resolver)?;
    if let Some(expires) = optional_date_time(proof, "expires")?
        && at > expires.instant()
    {
        return Err(VerificationError::ProofExpired {
            expires: expires.as_str().to_owned(),
        });
    }
    Ok(suite)
}

/// The previous proofs a chained proof names (`previousProof`: an id or an array of ids).
fn chained_proofs(
    proof: &Map<String, Value>,
    proofs: &[&Map<String, Value>],
) -> Result<Option<Vec<Value>>, VerificationError> {
    let ids: Vec<&str> = match proof.get("previousProof") {
        None => return Ok(None),
        Some(Value::String(id)) => vec![id.as_str()],
        Some(Value::Array(ids)) => ids
            .iter()
            .map(|id| {
                id.as_str().ok_or(VerificationError::MissingProofProperty {
                    property: "previousProof",
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(VerificationError::MissingProofProperty {
                property: "previousProof",
            });
        }
    };
    let mut chained = Vec::with_capacity(ids.len());
    for id in ids {
        let found = proofs
            .iter()
            .find(|candidate| candidate.get("id").and_then(Value::as_str) == Some(id))
            .ok_or_else(|| {
                VerificationError::PreviousProofNotFound(id.chars().take(80).collect())
            })?;
        chained.push(Value::Object((*found).clone()));
    }
    Ok(Some(chained))
}

/// Checks suite, context, key resolution and signature of one proof.
fn verify_proof_signature(
    document: &Map<String, Value>,
    proof: &Map<String, Value>,
    proofs: &[&Map<String, Value>],
    resolver: &dyn KeyResolver,
) -> Result<Cryptosuite, VerificationError> {
    // Proof suite.
    let proof_type = required_str(proof, "type")?;
    if proof_type != DATA_INTEGRITY_PROOF {
        return Err(VerificationError::UnsupportedProofType(
            proof_type.chars().take(64).collect(),
        ));
    }
    let suite_name = required_str(proof, "cryptosuite")?;
    let suite = Cryptosuite::from_name(suite_name).ok_or_else(|| {
        VerificationError::UnsupportedCryptosuite(suite_name.chars().take(64).collect())
    })?;
    if suite == Cryptosuite::BbsJcs2026 {
        super::bbs::verify_proof(document, proof, resolver)?;
        return Ok(suite);
    }
    let signature = decode_proof_value(required_str(proof, "proofValue")?)?;
    required_str(proof, "proofPurpose")?;
    let verification_method = required_str(proof, "verificationMethod")?;
    optional_date_time(proof, "created")?;
    optional_date_time(proof, "expires")?;
    let chained = chained_proofs(proof, proofs)?;

    // Context: the proof's @context, when present, must be the document's.
    if let Some(proof_context) = proof.get("@context")
        && document.get("@context") != Some(proof_context)
    {
        return Err(VerificationError::ProofContextMismatch);
    }

    // Key resolution.
    let method = DidUrl::parse(verification_method).map_err(VerificationError::KeyResolution)?;
    let public_key = resolver
        .resolve_verification_method(&method)
        .map_err(VerificationError::KeyResolution)?;
    if public_key.algorithm() != suite.key_algorithm() {
        return Err(VerificationError::KeyAlgorithmMismatch {
            suite,
            algorithm: public_key.algorithm(),
        });
    }

    // Signature: hashData over the document without its proofs (plus the chained ones) and
    // the proof without its proofValue, canonicalized without copying them.
    let canonical_document = match chained {
        None => jcs::canonicalize_object_except(document, &["proof"]),
        Some(chained) => {
            let mut unsecured = document.clone();
            unsecured.insert("proof".into(), Value::Array(chained));
            jcs::canonicalize_object_except(&unsecured, &[])
        }
    }
    .map_err(VerificationError::Canonicalization)?;
    let canonical_config = jcs::canonicalize_object_except(proof, &["proofValue"])
        .map_err(VerificationError::Canonicalization)?;
    let to_verify = suite.hash_data_of_canonical(&canonical_config, &canonical_document);
    public_key
        .verify(&to_verify, &signature)
        .map_err(VerificationError::Signature)?;
    Ok(suite)
}
