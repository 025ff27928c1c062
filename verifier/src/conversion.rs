//! The converting authority's checks of a cross-border conversion request
//! (`docs/conversion.md`, "What B checks"), against its chain trust alone — no I/O, and never
//! a call to the source jurisdiction.
//!
//! [`check_request`] takes the request, the policy in force (and its hash), the policy's
//! rules and a [`ChainTrust`] synced after the request arrived, and either answers what the
//! converted credential needs ([`AcceptedSource`]) or a [`Refusal`] with a stable
//! [`RefusalCode`]. In this order (the challenge is the issuer service's, checked before):
//!
//! 1. the request names the policy in force (`POLICY_MISMATCH`), whose hash the converting
//!    authority anchored on the chain (`POLICY_NOT_ANCHORED`);
//! 2. the source credential discloses only the structural claims and the policy's
//!    (`DISCLOSES_TOO_MUCH`), and every claim the policy names (`CLAIM_MISSING`);
//! 3. the consent is signed by the source credential's holder (`credentialSubject.id`), for
//!    this authority, over this request and challenge, within [`CONSENT_SKEW`] of now
//!    (`CONSENT_INVALID`);
//! 4. the policy accepts the source's jurisdiction and type (`SOURCE_NOT_ACCEPTED`);
//! 5. the source issuer is admitted, not suspended, and scoped for the type and jurisdiction at
//!    the credential's `validFrom` (`ISSUER_NOT_ADMITTED`, `ISSUER_SUSPENDED`, `OUT_OF_SCOPE`);
//! 6. the derived `bbs-jcs-2026` proof verifies under the issuer's key as of the proof's
//!    creation, with the request's challenge as its nonce (`PROOF_INVALID`), and the
//!    credential is within its validity window now (`SOURCE_NOT_VALID`);
//! 7. the anchor receipt is of this chain, and its path leads from the leaf of the
//!    credential's `id` and hash to a batch root the same issuer anchored at the receipt's
//!    height (`NOT_ANCHORED`);
//! 8. it carries a status pointer (`SOURCE_NOT_ACCEPTED` otherwise), and no status entry of
//!    the issuer — by pointer or by its credential hash — revokes or suspends it (`REVOKED`,
//!    `SUSPENDED`);
//! 9. the policy's CertLogic rules pass on the disclosed credential (`RULES_FAILED`).

use crosscode_core::crossborder::{
    ClaimName, ConversionPolicy, ConversionRequest, CrossingError, Digest, RefusalCode,
};
use crosscode_core::data_integrity::VerificationStep;
use crosscode_core::data_integrity::bbs::verify_derived_credential;
use crosscode_core::vc::{Credential, DateTimeStamp, VERIFIABLE_CREDENTIAL_TYPE};
use crosscode_did_registry::document::RegistryDid;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::chain_trust::ChainTrust;
use crate::format::StepFailure;
use crate::format::cc1::chain_status;
use crate::report::VerificationError;
use crate::rules::RuleSet;

/// How far a consent's `signedAt` may be from the converting authority's clock.
pub const CONSENT_SKEW: time::Duration = time::Duration::minutes(5);

/// A refused request: a stable code and an explanation (never a claim's value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct Refusal {
    /// Why.
    pub code: RefusalCode,
    /// For people.
    pub message: String,
}

impl Refusal {
    /// A refusal with `code` and `message`.
    pub fn new(code: RefusalCode, message: impl Into<String>) -> Refusal {
        Refusal {
            code,
            message: message.into(),
        }
    }
}

/// What the converting authority holds to check requests with.
#[derive(Debug, Clone, Copy)]
pub struct ConversionTerms<'a> {
    /// The policy in force.
    pub policy: &'a ConversionPolicy,
    /// Its hash.
    pub policy_hash: Digest,
    /// Its rules, loaded.
    pub rules: &'a RuleSet,
}

/// What an accepted request gives the converted credential.
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptedSource {
    /// The source issuer.
    pub issuer: RegistryDid,
    /// The source credential's type.
    pub credential_type: String,
    /// The source credential's hash (from its receipt, proven anchored).
    pub credential_hash: [u8; 32],
    /// The batch root that anchors it.
    pub anchor_root: [u8; 32],
    /// The height of the anchoring block.
    pub anchor_height: u64,
    /// The anchoring transaction (hex).
    pub anchor_transaction: String,
    /// The disclosed claims under `credentialSubject` the policy names (besides
    /// `jurisdiction`), as the converted credential carries them.
    pub claims: Map<String, Value>,
    /// The source credential's `validUntil`, if any (the converted one does not outlive it).
    pub valid_until: Option<DateTimeStamp>,
}

/// Checks `request` under `terms` against `trust` at `now` (see the module documentation).
pub fn check_request(
    request: &ConversionRequest,
    terms: ConversionTerms<'_>,
    trust: &ChainTrust,
    now: OffsetDateTime,
) -> Result<AcceptedSource, Refusal> {
    let policy = terms.policy;
    // 1. The policy.
    if request.policy_hash != terms.policy_hash {
        return Err(Refusal::new(
            RefusalCode::PolicyMismatch,
            "the request names another policy than the one in force; fetch the policy again",
        ));
    }
    let anchored = trust
        .evidence
        .get(&terms.policy_hash.0)
        .is_some_and(|record| record.issuer.as_str() == policy.issuer.as_str());
    if !anchored {
        return Err(Refusal::new(
            RefusalCode::PolicyNotAnchored,
            "the policy in force is not anchored on the chain by this authority",
        ));
    }

    // 2. Disclosure.
    let source = &request.source.credential;
    source
        .check_disclosure(&policy.claims)
        .map_err(|err| match err {
            CrossingError::NotInPolicy { .. } => {
                Refusal::new(RefusalCode::DisclosesTooMuch, err.to_string())
            }
            other => Refusal::new(RefusalCode::PersonalData, other.to_string()),
        })?;
    if let Some(missing) = missing_claim(source.claims(), &policy.claims) {
        return Err(Refusal::new(
            RefusalCode::ClaimMissing,
            format!("the policy needs claim {missing}, which the request does not disclose"),
        ));
    }
    let document = source.document();
    let credential = Credential::from_value(document).map_err(|err| {
        Refusal::new(
            RefusalCode::MalformedRequest,
            format!("the source is not a credential: {err}"),
        )
    })?;
    let subject = document.get("credentialSubject").and_then(Value::as_object);
    let subject_text = |name: &str| {
        subject
            .and_then(|subject| subject.get(name))
            .and_then(Value::as_str)
    };

    // 3. Consent.
    if subject_text("id") != Some(request.consent.signer.as_str()) {
        return Err(Refusal::new(
            RefusalCode::ConsentInvalid,
            "the consent is not signed by the source credential's holder",
        ));
    }
    request
        .verify_consent(&policy.issuer)
        .map_err(|err| Refusal::new(RefusalCode::ConsentInvalid, err.to_string()))?;
    let signed_at = request.consent.signed_at.0.instant();
    if (signed_at - now).abs() > CONSENT_SKEW {
        return Err(Refusal::new(
            RefusalCode::ConsentInvalid,
            "the consent's signedAt is more than 5 minutes from this authority's clock",
        ));
    }

    // 4. Accepted source.
    let credential_type = credential
        .types
        .iter()
        .find(|name| name.as_str() != VERIFIABLE_CREDENTIAL_TYPE)
        .cloned()
        .unwrap_or_default();
    let jurisdiction = subject_text("jurisdiction").unwrap_or_default();
    if !policy.accepts(jurisdiction, &credential_type) {
        return Err(Refusal::new(
            RefusalCode::SourceNotAccepted,
            "the policy does not accept this jurisdiction and credential type",
        ));
    }

    // 5. Admission and scope.
    chain_status::check_admission(trust, document).map_err(refusal_of)?;
    let issuer = RegistryDid::parse(credential.issuer.id()).map_err(|_| {
        Refusal::new(
            RefusalCode::IssuerNotAdmitted,
            "the issuer is not a registry DID",
        )
    })?;

    // 6. The proof, under the issuer's key of its time, and the validity window.
    let report = verify_derived_credential(
        document,
        &trust.key_resolver(),
        now,
        request.challenge.as_str(),
    );
    if let Some(failure) = report.failure {
        let code = if failure.step == VerificationStep::ValidityWindow {
            RefusalCode::SourceNotValid
        } else {
            RefusalCode::ProofInvalid
        };
        return Err(Refusal::new(
            code,
            format!("step {}: {}", failure.step, failure.error),
        ));
    }
    if !report.verified {
        return Err(Refusal::new(
            RefusalCode::ProofInvalid,
            "no proof of the source credential verified",
        ));
    }

    // 7. The anchor.
    let not_anchored = |why: &str| Refusal::new(RefusalCode::NotAnchored, why.to_owned());
    let id = document
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| not_anchored("the source credential discloses no id"))?;
    let anchored = trust
        .check_anchor(&request.source.anchor, &issuer, id)
        .map_err(|err| Refusal::new(RefusalCode::NotAnchored, err.to_string()))?;

    // 8. Status: by each status pointer, and by the credential hash (the other key an
    // authority may revoke by). A source without a status pointer could never be revoked.
    if document.get("credentialStatus").is_none() {
        return Err(Refusal::new(
            RefusalCode::SourceNotAccepted,
            "the source credential carries no status pointer",
        ));
    }
    chain_status::check_status(trust, document, false, Some(anchored.credential_hash))
        .map_err(refusal_of)?;

    // 9. The policy's rules.
    terms
        .rules
        .evaluate(
            document,
            Some(credential_type.as_str()),
            None,
            now,
            Value::Object(Map::new()),
        )
        .map_err(|failure| Refusal::new(RefusalCode::RulesFailed, failure.to_string()))?;

    let claims = policy
        .claims
        .iter()
        .filter(|name| name.as_str() != "jurisdiction")
        .filter_map(|name| {
            let value = subject?.get(name.as_str())?;
            Some((name.as_str().to_owned(), value.clone()))
        })
        .collect();
    Ok(AcceptedSource {
        issuer,
        credential_type,
        credential_hash: anchored.credential_hash,
        anchor_root: anchored.root,
        anchor_height: anchored.height,
        anchor_transaction: request.source.anchor.transaction.clone(),
        claims,
        valid_until: credential.valid_until.clone(),
    })
}

/// The first claim the policy names that the credential does not disclose.
fn missing_claim<'a>(disclosed: &[String], named: &'a [ClaimName]) -> Option<&'a str> {
    named
        .iter()
        .find(|name| {
            let pointer = format!("/credentialSubject/{}", name.as_str());
            !disclosed.iter().any(|claim| {
                claim == &pointer
                    || claim
                        .strip_prefix(&pointer)
                        .is_some_and(|rest| rest.starts_with('/'))
            })
        })
        .map(ClaimName::as_str)
}

/// The refusal of a checkpoint step failure (admission and status share the checkpoint's
/// checks).
fn refusal_of(failure: StepFailure) -> Refusal {
    let code = match &failure.error {
        VerificationError::IssuerNotAdmitted(_) => RefusalCode::IssuerNotAdmitted,
        VerificationError::IssuerSuspended(_) => RefusalCode::IssuerSuspended,
        VerificationError::OutOfScope(_) => RefusalCode::OutOfScope,
        VerificationError::Revoked(_) => RefusalCode::Revoked,
        VerificationError::Suspended(_) => RefusalCode::Suspended,
        _ => RefusalCode::MalformedRequest,
    };
    Refusal::new(code, failure.error.to_string())
}
