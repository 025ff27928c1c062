//! Verification of secured documents and of single proofs.
//!
//! Every proof is bound to the party that must have made it, on its own (each proof of a proof
//! set is checked alone):
//! - a credential's proof must have `proofPurpose` `assertionMethod` and a verification method
//!   of the credential's `issuer` (the same DID) that the issuer's DID document listed under
//!   `assertionMethod` **when the credential was issued**: at the proof's `created`, else the
//!   credential's `validFrom` (the [`KeyResolver`] answers for the document in force then);
//! - a presentation's proof must have `proofPurpose` `authentication` and a verification method
//!   of the presentation's `holder` listed under `authentication`; every embedded credential
//!   is verified too, and its `credentialSubject.id` must be the holder;
//! - when the verifier expects a `challenge` or a `domain` ([`Expectations`]), every proof must
//!   carry it.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::report::{ProofReport, VerificationError, VerificationFailure, VerificationReport};
use super::{Cryptosuite, DATA_INTEGRITY_PROOF, date_time_stamp};
use crate::did::{DidError, DidUrl, KeyResolver, VerificationRelationship};
use crate::jcs;
use crate::keys::{PublicKey, SIGNATURE_LEN};
use crate::vc::{
    Credential, DateTimeStamp, Presentation, VERIFIABLE_CREDENTIAL_TYPE,
    VERIFIABLE_PRESENTATION_TYPE, VcError,
};

/// What a verifier expects of the proofs beyond the document itself: the `challenge` (nonce)
/// it gave the holder and the `domain` it operates in. `None` checks nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expectations {
    /// The proofs' `challenge` must be this value.
    pub challenge: Option<String>,
    /// The proofs' `domain` (a string, or an array of strings) must be or include this value.
    pub domain: Option<String>,
}

/// The party a document's proofs must come from.
#[derive(Debug, Clone, Copy)]
enum Role<'a> {
    /// A credential's issuer: proofs for `assertionMethod` by a method of this DID.
    Issuer(&'a str),
    /// A presentation's holder (`None`: it names none): proofs for `authentication`.
    Holder(Option<&'a str>),
    /// No binding: the cryptosuite's verify-proof algorithm alone ([`verify_proof_unbound`]).
    Unbound,
}

/// The party a document's proofs must come from, and when the document was issued.
#[derive(Debug, Clone, Copy)]
struct Binding<'a> {
    role: Role<'a>,
    /// The credential's `validFrom`, the fallback instant of issuance.
    valid_from: Option<OffsetDateTime>,
}

impl Binding<'_> {
    fn controller(&self) -> Option<&str> {
        match self.role {
            Role::Issuer(issuer) => Some(issuer),
            Role::Holder(holder) => holder,
            Role::Unbound => None,
        }
    }

    /// The relationship the proof needs, from its `proofPurpose`.
    fn relationship(&self, purpose: &str) -> Result<VerificationRelationship, VerificationError> {
        let expected = match self.role {
            Role::Issuer(_) => VerificationRelationship::AssertionMethod,
            Role::Holder(_) => VerificationRelationship::Authentication,
            Role::Unbound => {
                return VerificationRelationship::from_name(purpose).ok_or(
                    VerificationError::WrongProofPurpose {
                        expected: VerificationRelationship::AssertionMethod,
                    },
                );
            }
        };
        if purpose == expected.name() {
            Ok(expected)
        } else {
            Err(VerificationError::WrongProofPurpose { expected })
        }
    }

    /// Checks that the verification method's DID is the issuer's / holder's.
    fn check_controller(&self, method: &DidUrl) -> Result<(), VerificationError> {
        let did = method.did().as_str();
        match self.role {
            Role::Issuer(issuer) if issuer == did => Ok(()),
            Role::Issuer(_) => Err(VerificationError::NotIssuerMethod),
            Role::Holder(None) => Err(VerificationError::MissingHolder),
            Role::Holder(Some(holder)) if holder == did => Ok(()),
            Role::Holder(Some(_)) => Err(VerificationError::NotHolderMethod),
            Role::Unbound => Ok(()),
        }
    }

    /// Maps a resolver's refusal onto the step it belongs to.
    fn resolution_error(&self, error: DidError) -> VerificationError {
        match (error, self.role) {
            (DidError::NotAuthorised { relationship, .. }, _) => {
                VerificationError::MethodNotAuthorised { relationship }
            }
            (DidError::NotInForce { .. }, Role::Holder(_)) => {
                VerificationError::HolderMethodNotInForce
            }
            (DidError::NotInForce { .. }, _) => VerificationError::IssuerMethodNotInForce,
            (other, _) => VerificationError::KeyResolution(other),
        }
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

/// The parsed document and the binding its proofs need.
enum Parsed {
    Credential(Box<Credential>),
    Presentation(Box<Presentation>),
}

impl Parsed {
    fn of(document: &Value) -> Result<Parsed, VerificationError> {
        if !document.is_object() {
            return Err(VerificationError::Document(VcError::NotAnObject));
        }
        if crate::vc::has_type(document, VERIFIABLE_PRESENTATION_TYPE) {
            Presentation::from_value(document)
                .map(|presentation| Parsed::Presentation(Box::new(presentation)))
                .map_err(VerificationError::Document)
        } else {
            Credential::from_value(document)
                .map(|credential| Parsed::Credential(Box::new(credential)))
                .map_err(VerificationError::Document)
        }
    }

    fn binding(&self) -> Binding<'_> {
        match self {
            Parsed::Credential(credential) => Binding {
                role: Role::Issuer(credential.issuer.id()),
                valid_from: credential.valid_from.as_ref().map(DateTimeStamp::instant),
            },
            Parsed::Presentation(presentation) => Binding {
                role: Role::Holder(presentation.holder.as_ref().map(|holder| holder.id())),
                valid_from: None,
            },
        }
    }
}

/// Verifies a secured VC 2.0 credential or presentation with no challenge or domain expected;
/// see [`verify_document_with`].
pub fn verify_document(
    document: &Value,
    resolver: &dyn KeyResolver,
    at: OffsetDateTime,
) -> VerificationReport {
    verify_document_with(document, resolver, at, &Expectations::default())
}

/// Verifies a secured VC 2.0 credential or presentation: parses and validates it, verifies
/// every proof of its proof set on its own — bound to the issuer (credential) or holder
/// (presentation), see the module doc — resolving each verification method through
/// `resolver`, checks `expect`, and checks the validity window at `at`. A presentation's
/// embedded credentials are verified too (their reports are in `credentials`).
///
/// The report is `verified` only when every step passes for every proof. Its `failure` names
/// the first failing step in the order Parse, Context, ProofSuite, ProofPurpose,
/// IssuerBinding / HolderBinding, KeyResolution, Signature, Challenge, ValidityWindow;
/// `proofs` says which proofs verified (see [`VerificationReport::verified_with`] for a policy
/// that needs one suite only).
pub fn verify_document_with(
    document: &Value,
    resolver: &dyn KeyResolver,
    at: OffsetDateTime,
    expect: &Expectations,
) -> VerificationReport {
    let mut report = VerificationReport {
        verified: false,
        checked_at: date_time_stamp(at),
        issuer: None,
        failure: None,
        document_failure: None,
        proofs: Vec::new(),
        credentials: Vec::new(),
    };
    let fail_document = |mut report: VerificationReport, error: VerificationError| {
        let failure = VerificationFailure::from(error);
        report.failure = Some(failure.clone());
        report.document_failure = Some(failure);
        report
    };
    let parsed = match Parsed::of(document) {
        Ok(parsed) => parsed,
        Err(error) => return fail_document(report, error),
    };
    let Some(object) = document.as_object() else {
        return fail_document(report, VerificationError::Document(VcError::NotAnObject));
    };
    let binding = parsed.binding();
    if let Parsed::Credential(credential) = &parsed {
        report.issuer = Some(credential.issuer.id().to_owned());
    }
    let proofs = match proof_list(object) {
        Ok(proofs) => proofs,
        Err(error) => return fail_document(report, error),
    };
    for (index, proof) in proofs.iter().enumerate() {
        let outcome = verify_one(object, proof, &proofs, resolver, at, &binding, expect);
        let verification_method = proof
            .get("verificationMethod")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let controller_is_issuer = match (&verification_method, binding.controller()) {
            (Some(method), Some(controller)) => {
                method
                    .split_once('#')
                    .map_or(method.as_str(), |(did, _)| did)
                    == controller
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
    let document_check = match &parsed {
        Parsed::Credential(credential) => credential
            .check_validity_at(at)
            .map_err(VerificationError::Validity),
        Parsed::Presentation(presentation) => {
            let (reports, outcome) = verify_embedded(presentation, resolver, at);
            report.credentials = reports;
            outcome
        }
    };
    if let Err(error) = document_check {
        report.document_failure = Some(VerificationFailure::from(error));
    }
    report.failure = first_proof_failure.or_else(|| report.document_failure.clone());
    report.verified = report.failure.is_none();
    report
}

/// Verifies the credentials a presentation embeds and binds each to the holder: every one
/// must be an embedded credential with Data Integrity proofs that verifies, and every
/// `credentialSubject.id` must be the holder.
fn verify_embedded(
    presentation: &Presentation,
    resolver: &dyn KeyResolver,
    at: OffsetDateTime,
) -> (Vec<VerificationReport>, Result<(), VerificationError>) {
    let holder = presentation.holder.as_ref().map(|holder| holder.id());
    let credentials: Vec<&Value> = presentation
        .verifiable_credential
        .as_ref()
        .map(|credentials| credentials.iter().collect())
        .unwrap_or_default();
    verify_embedded_items(holder, &credentials, resolver, at)
}

/// [`verify_embedded`] over the holder and the `verifiableCredential` items of a presentation
/// read as plain JSON (the CC1 envelope's signed form uses it too).
pub(crate) fn verify_embedded_items(
    holder: Option<&str>,
    credentials: &[&Value],
    resolver: &dyn KeyResolver,
    at: OffsetDateTime,
) -> (Vec<VerificationReport>, Result<(), VerificationError>) {
    let mut reports = Vec::with_capacity(credentials.len());
    let mut outcome = Ok(());
    for (index, credential) in credentials.iter().copied().enumerate() {
        let is_credential =
            credential.is_object() && crate::vc::has_type(credential, VERIFIABLE_CREDENTIAL_TYPE);
        if !is_credential {
            if outcome.is_ok() {
                outcome = Err(VerificationError::UnsupportedEmbeddedCredential { index });
            }
            continue;
        }
        let report = verify_document(credential, resolver, at);
        if outcome.is_ok() {
            if let Some(failure) = &report.failure {
                outcome = Err(VerificationError::EmbeddedCredential {
                    index,
                    failure: Box::new(failure.clone()),
                });
            } else if !subjects_are(credential, holder) {
                outcome = Err(VerificationError::SubjectNotHolder { index });
            }
        }
        reports.push(report);
    }
    (reports, outcome)
}

/// True when every `credentialSubject` of `credential` has `id` equal to `holder` (the
/// holder binding of a credential a presentation embeds).
pub(crate) fn subjects_are(credential: &Value, holder: Option<&str>) -> bool {
    let Some(holder) = holder else {
        return false;
    };
    let subject_is_holder =
        |subject: &Value| subject.get("id").and_then(Value::as_str) == Some(holder);
    match credential.get("credentialSubject") {
        Some(Value::Array(subjects)) => {
            !subjects.is_empty() && subjects.iter().all(subject_is_holder)
        }
        Some(subject) => subject_is_holder(subject),
        None => false,
    }
}

/// Verifies one proof object of `secured_document` (which may carry a proof set; the other
/// proofs are ignored unless named by `previousProof`): its suite, context, purpose, binding
/// to the document's issuer or holder, key and signature — not the document's validity
/// window nor a challenge. Returns the proof's suite.
pub fn verify_proof(
    secured_document: &Value,
    proof: &Value,
    resolver: &dyn KeyResolver,
) -> Result<Cryptosuite, VerificationError> {
    let parsed = Parsed::of(secured_document)?;
    let object = secured_document
        .as_object()
        .ok_or(VerificationError::Document(VcError::NotAnObject))?;
    let proof = proof.as_object().ok_or(VerificationError::MalformedProof)?;
    let proofs = proof_list(object).unwrap_or_default();
    verify_proof_signature(object, proof, &proofs, resolver, &parsed.binding())
}

/// The cryptosuite's verify-proof algorithm alone (e.g. vc-di-eddsa §3.3.2): suite, context,
/// key resolution for the relationship the proof's `proofPurpose` names (as of its
/// `created`) and signature of one proof of `secured_document` — **not** bound to the
/// document's issuer or holder. It answers "did this key sign this document?", which the
/// official test vectors check; whether a credential is valid is
/// [`verify_document`]'s question.
pub fn verify_proof_unbound(
    secured_document: &Value,
    proof: &Value,
    resolver: &dyn KeyResolver,
) -> Result<Cryptosuite, VerificationError> {
    let object = secured_document
        .as_object()
        .ok_or(VerificationError::Document(VcError::NotAnObject))?;
    let proof = proof.as_object().ok_or(VerificationError::MalformedProof)?;
    let proofs = proof_list(object).unwrap_or_default();
    let binding = Binding {
        role: Role::Unbound,
        valid_from: None,
    };
    verify_proof_signature(object, proof, &proofs, resolver, &binding)
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
/// Length of a P-384 signature (`r ‖ s`, 48 bytes each).
const P384_SIGNATURE_LEN: usize = 96;
/// The longest base58btc text a 96-byte signature encodes to.
const MAX_P384_PROOF_VALUE_DIGITS: usize = 132;

/// Decodes a `proofValue` to the signature bytes: 64 bytes, or for `ecdsa-jcs-2019` also 96
/// (a P-384 signature, so that a P-384 proof is refused at key resolution, where its key type
/// is named, rather than here).
fn decode_proof_value(suite: Cryptosuite, text: &str) -> Result<Vec<u8>, VerificationError> {
    let (max_digits, message) = match suite {
        Cryptosuite::EcdsaJcs2019 => (
            MAX_P384_PROOF_VALUE_DIGITS,
            "the signature is not 64 (P-256) or 96 (P-384) bytes",
        ),
        _ => (MAX_PROOF_VALUE_DIGITS, "the signature is not 64 bytes"),
    };
    let encoded = text
        .strip_prefix('z')
        .ok_or(VerificationError::InvalidProofValue(
            "not multibase base58btc (no 'z' prefix)",
        ))?;
    // A 64-byte value is at most 88 base58 digits (96 bytes: 132); refusing longer text first
    // keeps the (quadratic) decoding of attacker-sized input out of reach.
    if encoded.len() > max_digits {
        return Err(VerificationError::InvalidProofValue(message));
    }
    let bytes = crate::multicodec::decode_base58(encoded)
        .map_err(|_| VerificationError::InvalidProofValue("not base58btc"))?;
    let ecdsa_p384 = suite == Cryptosuite::EcdsaJcs2019 && bytes.len() == P384_SIGNATURE_LEN;
    if bytes.len() != SIGNATURE_LEN && !ecdsa_p384 {
        return Err(VerificationError::InvalidProofValue(message));
    }
    Ok(bytes)
}

/// Every check of one proof, then the verifier's expectations and the proof's own `expires`.
fn verify_one(
    document: &Map<String, Value>,
    proof: &Map<String, Value>,
    proofs: &[&Map<String, Value>],
    resolver: &dyn KeyResolver,
    at: OffsetDateTime,
    binding: &Binding<'_>,
    expect: &Expectations,
) -> Result<Cryptosuite, VerificationError> {
    let suite = verify_proof_signature(document, proof, proofs, resolver, binding)?;
    check_expectations(proof, expect)?;
    if let Some(expires) = optional_date_time(proof, "expires")?
        && at > expires.instant()
    {
        return Err(VerificationError::ProofExpired {
            expires: expires.as_str().to_owned(),
        });
    }
    Ok(suite)
}

/// Checks the proof's `challenge` and `domain` against what the verifier expects.
fn check_expectations(
    proof: &Map<String, Value>,
    expect: &Expectations,
) -> Result<(), VerificationError> {
    if let Some(challenge) = &expect.challenge
        && proof.get("challenge").and_then(Value::as_str) != Some(challenge.as_str())
    {
        return Err(VerificationError::ChallengeMismatch);
    }
    if let Some(domain) = &expect.domain {
        let matches = match proof.get("domain") {
            Some(Value::String(value)) => value == domain,
            Some(Value::Array(values)) => values
                .iter()
                .any(|value| value.as_str() == Some(domain.as_str())),
            _ => false,
        };
        if !matches {
            return Err(VerificationError::DomainMismatch);
        }
    }
    Ok(())
}

/// Checks the proof's purpose and resolves its verification method bound to the document's
/// issuer or holder, as of the proof's `created` (else the credential's `validFrom`).
fn resolve_bound_key(
    proof: &Map<String, Value>,
    resolver: &dyn KeyResolver,
    binding: &Binding<'_>,
) -> Result<PublicKey, VerificationError> {
    let relationship = binding.relationship(required_str(proof, "proofPurpose")?)?;
    let method = DidUrl::parse(required_str(proof, "verificationMethod")?)
        .map_err(VerificationError::KeyResolution)?;
    binding.check_controller(&method)?;
    let signed_at = optional_date_time(proof, "created")?
        .map(|created| created.instant())
        .or(binding.valid_from);
    resolver
        .resolve_verification_method(&method, relationship, signed_at)
        .map_err(|error| binding.resolution_error(error))
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

/// Checks suite, context, purpose, binding, key resolution and signature of one proof.
fn verify_proof_signature(
    document: &Map<String, Value>,
    proof: &Map<String, Value>,
    proofs: &[&Map<String, Value>],
    resolver: &dyn KeyResolver,
    binding: &Binding<'_>,
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
        let public_key = resolve_bound_key(proof, resolver, binding)?;
        let bbs_key = public_key
            .as_bbs()
            .ok_or(VerificationError::KeyAlgorithmMismatch {
                suite,
                algorithm: public_key.algorithm(),
            })?;
        super::bbs::verify_proof(document, proof, bbs_key)?;
        return Ok(suite);
    }
    let signature = decode_proof_value(suite, required_str(proof, "proofValue")?)?;
    required_str(proof, "proofPurpose")?;
    required_str(proof, "verificationMethod")?;
    optional_date_time(proof, "created")?;
    optional_date_time(proof, "expires")?;
    let chained = chained_proofs(proof, proofs)?;

    // Context: the proof's @context, when present, must be the document's.
    if let Some(proof_context) = proof.get("@context")
        && document.get("@context") != Some(proof_context)
    {
        return Err(VerificationError::ProofContextMismatch);
    }

    // Purpose, binding to the issuer / holder, key resolution as of issuance.
    let public_key = resolve_bound_key(proof, resolver, binding)?;
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
