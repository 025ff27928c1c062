//! Every proof binds to the party that must have made it: a credential's to a key its issuer
//! authorised for `assertionMethod` when it was issued, a presentation's to a key its holder
//! authorised for `authentication`, with every embedded credential about that holder. One test
//! per forgery, for Data Integrity proofs and for the COSE form of the CC1 envelope.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod credential_fixtures;

use credential_fixtures::{
    authority_health_code, authority_method, authority_trust_cache, created, did_of,
    holder_ed25519, inside_window, issuer_ed25519, issuer_sm2, method_of,
};
use crosscode_core::data_integrity::{
    AUTHENTICATION, Expectations, ProofOptions, VerificationError, VerificationReport,
    VerificationStep, add_proof, verify_document, verify_document_with,
};
use crosscode_core::did::{TrustCache, TrustedKey, VerificationRelationship};
use crosscode_core::envelope::{self, EnvelopeError};
use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use serde_json::{Value, json};
use time::macros::datetime;

fn options() -> ProofOptions {
    ProofOptions {
        created: Some(created()),
        ..ProofOptions::default()
    }
}

/// The authority's health code about the example holder, signed with `#key-1`.
fn issued() -> Value {
    let mut credential = authority_health_code();
    credential["credentialSubject"]["id"] = Value::from(did_of(&holder_ed25519()));
    add_proof(
        &credential,
        &issuer_ed25519(),
        &authority_method("key-1"),
        &options(),
    )
    .unwrap()
}

fn failure(report: &VerificationReport) -> (VerificationStep, VerificationError) {
    let failure = report.failure.clone().expect("verification should fail");
    (failure.step, failure.error)
}

#[test]
fn the_authoritys_own_key_verifies() {
    let report = verify_document(&issued(), &authority_trust_cache(), inside_window());
    assert!(report.verified, "{report:?}");
    assert!(report.proofs[0].controller_is_issuer);
}

#[test]
fn a_foreign_key_under_an_authoritys_name_is_refused_at_issuer_binding() {
    let forger = SecretKey::generate(KeyAlgorithm::Ed25519);
    let forged = add_proof(
        &authority_health_code(),
        &forger,
        &method_of(&forger),
        &options(),
    )
    .unwrap();
    let report = verify_document(&forged, &authority_trust_cache(), inside_window());
    assert!(!report.verified);
    assert_eq!(
        failure(&report),
        (
            VerificationStep::IssuerBinding,
            VerificationError::NotIssuerMethod
        )
    );
    assert!(!report.proofs[0].controller_is_issuer);
}

#[test]
fn a_method_the_authority_never_had_is_refused_at_key_resolution() {
    let forger = SecretKey::generate(KeyAlgorithm::Ed25519);
    let forged = add_proof(
        &authority_health_code(),
        &forger,
        &authority_method("key-9"),
        &options(),
    )
    .unwrap();
    let report = verify_document(&forged, &authority_trust_cache(), inside_window());
    assert_eq!(report.failed_step(), Some(VerificationStep::KeyResolution));
}

/// The authority rotated `#key-1` (Ed25519, retired at the rotation) to `#key-2` (SM2) on
/// 2026-11-21 10:00.
fn rotated_cache() -> TrustCache {
    let rotation = datetime!(2026-11-21 10:00 UTC);
    let mut cache = TrustCache::new();
    cache
        .insert_entry(
            &authority_method("key-1"),
            TrustedKey {
                valid_until: Some(rotation),
                ..TrustedKey::issuing(issuer_ed25519().public_key())
            },
        )
        .unwrap();
    cache
        .insert_entry(
            &authority_method("key-2"),
            TrustedKey {
                valid_from: Some(rotation),
                ..TrustedKey::issuing(issuer_sm2().public_key())
            },
        )
        .unwrap();
    cache
}

#[test]
fn a_credential_signed_before_a_rotation_still_verifies_with_the_key_of_its_time() {
    // created 08:00, before the rotation.
    let report = verify_document(&issued(), &rotated_cache(), inside_window());
    assert!(report.verified, "{report:?}");
}

#[test]
fn a_retired_key_signing_after_the_rotation_is_refused_at_issuer_binding() {
    let after = ProofOptions {
        created: Some(datetime!(2026-11-21 11:00 UTC)),
        ..ProofOptions::default()
    };
    let late = add_proof(
        &authority_health_code(),
        &issuer_ed25519(),
        &authority_method("key-1"),
        &after,
    )
    .unwrap();
    let report = verify_document(&late, &rotated_cache(), inside_window());
    assert_eq!(
        failure(&report),
        (
            VerificationStep::IssuerBinding,
            VerificationError::IssuerMethodNotInForce
        )
    );
    // The new key signs after the rotation, and would not have before it.
    let fresh = add_proof(
        &authority_health_code(),
        &issuer_sm2(),
        &authority_method("key-2"),
        &after,
    )
    .unwrap();
    assert!(verify_document(&fresh, &rotated_cache(), inside_window()).verified);
    let early = add_proof(
        &authority_health_code(),
        &issuer_sm2(),
        &authority_method("key-2"),
        &options(),
    )
    .unwrap();
    assert_eq!(
        verify_document(&early, &rotated_cache(), inside_window()).failed_step(),
        Some(VerificationStep::IssuerBinding)
    );
}

#[test]
fn without_created_the_validity_start_is_the_instant_of_issuance() {
    let mut no_created = authority_health_code();
    // validFrom 11:00: after the rotation.
    no_created["validFrom"] = Value::from("2026-11-21T11:00:00Z");
    let mut signed = add_proof(
        &no_created,
        &issuer_ed25519(),
        &authority_method("key-1"),
        &options(),
    )
    .unwrap();
    signed["proof"].as_object_mut().unwrap().remove("created");
    // (The signature no longer matches either; binding is checked first.)
    let report = verify_document(&signed, &rotated_cache(), datetime!(2026-11-21 12:00 UTC));
    assert_eq!(report.failed_step(), Some(VerificationStep::IssuerBinding));
}

#[test]
fn an_authentication_key_used_for_a_credential_is_refused_at_proof_purpose() {
    let mut cache = TrustCache::new();
    cache
        .insert_entry(
            &authority_method("key-1"),
            TrustedKey {
                relationships: vec![VerificationRelationship::Authentication],
                ..TrustedKey::issuing(issuer_ed25519().public_key())
            },
        )
        .unwrap();
    let report = verify_document(&issued(), &cache, inside_window());
    assert_eq!(
        failure(&report),
        (
            VerificationStep::ProofPurpose,
            VerificationError::MethodNotAuthorised {
                relationship: VerificationRelationship::AssertionMethod
            }
        )
    );
}

#[test]
fn a_credential_proof_made_for_authentication_is_refused_at_proof_purpose() {
    let signed = add_proof(
        &authority_health_code(),
        &issuer_ed25519(),
        &authority_method("key-1"),
        &ProofOptions {
            proof_purpose: AUTHENTICATION.into(),
            ..options()
        },
    )
    .unwrap();
    let report = verify_document(&signed, &authority_trust_cache(), inside_window());
    assert_eq!(
        failure(&report),
        (
            VerificationStep::ProofPurpose,
            VerificationError::WrongProofPurpose {
                expected: VerificationRelationship::AssertionMethod
            }
        )
    );
}

/// A presentation by `holder` of `credentials`, answering `challenge`.
fn presentation(holder: &SecretKey, credentials: Vec<Value>, challenge: &str) -> Value {
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": did_of(holder),
        "verifiableCredential": credentials,
    });
    add_proof(
        &unsigned,
        holder,
        &method_of(holder),
        &ProofOptions {
            proof_purpose: AUTHENTICATION.into(),
            challenge: Some(challenge.into()),
            domain: Some("checkpoint.mo.example".into()),
            ..options()
        },
    )
    .unwrap()
}

fn expecting(challenge: &str) -> Expectations {
    Expectations {
        challenge: Some(challenge.into()),
        domain: Some("checkpoint.mo.example".into()),
    }
}

#[test]
fn the_holders_presentation_of_their_own_credential_verifies() {
    let presented = presentation(&holder_ed25519(), vec![issued()], "n-1");
    let report = verify_document_with(
        &presented,
        &authority_trust_cache(),
        inside_window(),
        &expecting("n-1"),
    );
    assert!(report.verified, "{report:?}");
    assert_eq!(report.credentials.len(), 1);
    assert!(report.credentials[0].verified);
}

#[test]
fn a_presentation_wrapping_another_holders_credential_is_refused_at_holder_binding() {
    let thief = SecretKey::generate(KeyAlgorithm::Ed25519);
    let presented = presentation(&thief, vec![issued()], "n-1");
    let report = verify_document_with(
        &presented,
        &authority_trust_cache(),
        inside_window(),
        &expecting("n-1"),
    );
    assert_eq!(
        failure(&report),
        (
            VerificationStep::HolderBinding,
            VerificationError::SubjectNotHolder { index: 0 }
        )
    );
    // The embedded credential itself is fine: only its binding to this holder fails.
    assert!(report.credentials[0].verified);
}

#[test]
fn a_presentation_signed_by_someone_other_than_its_holder_is_refused_at_holder_binding() {
    let mut presented = presentation(&holder_ed25519(), vec![issued()], "n-1");
    presented["holder"] = Value::from(did_of(&SecretKey::generate(KeyAlgorithm::Ed25519)));
    let report = verify_document(&presented, &authority_trust_cache(), inside_window());
    assert_eq!(
        failure(&report),
        (
            VerificationStep::HolderBinding,
            VerificationError::NotHolderMethod
        )
    );
    let mut anonymous = presentation(&holder_ed25519(), vec![issued()], "n-1");
    anonymous.as_object_mut().unwrap().remove("holder");
    let report = verify_document(&anonymous, &authority_trust_cache(), inside_window());
    assert_eq!(
        failure(&report),
        (
            VerificationStep::HolderBinding,
            VerificationError::MissingHolder
        )
    );
}

#[test]
fn a_presentation_proof_made_for_assertion_is_refused_at_proof_purpose() {
    let holder = holder_ed25519();
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": did_of(&holder),
        "verifiableCredential": [issued()],
    });
    let signed = add_proof(&unsigned, &holder, &method_of(&holder), &options()).unwrap();
    let report = verify_document(&signed, &authority_trust_cache(), inside_window());
    assert_eq!(report.failed_step(), Some(VerificationStep::ProofPurpose));
}

#[test]
fn a_wrong_challenge_or_domain_is_refused_at_challenge() {
    let presented = presentation(&holder_ed25519(), vec![issued()], "n-1");
    let replayed = verify_document_with(
        &presented,
        &authority_trust_cache(),
        inside_window(),
        &expecting("n-2"),
    );
    assert_eq!(
        failure(&replayed),
        (
            VerificationStep::Challenge,
            VerificationError::ChallengeMismatch
        )
    );
    let elsewhere = verify_document_with(
        &presented,
        &authority_trust_cache(),
        inside_window(),
        &Expectations {
            challenge: Some("n-1".into()),
            domain: Some("checkpoint.hk.example".into()),
        },
    );
    assert_eq!(
        failure(&elsewhere),
        (
            VerificationStep::Challenge,
            VerificationError::DomainMismatch
        )
    );
    // A presentation without a challenge does not answer one.
    let holder = holder_ed25519();
    let mut bare = presented.clone();
    bare.as_object_mut().unwrap().remove("proof");
    let bare = add_proof(
        &bare,
        &holder,
        &method_of(&holder),
        &ProofOptions {
            proof_purpose: AUTHENTICATION.into(),
            ..options()
        },
    )
    .unwrap();
    let report = verify_document_with(
        &bare,
        &authority_trust_cache(),
        inside_window(),
        &Expectations {
            challenge: Some("n-1".into()),
            domain: None,
        },
    );
    assert_eq!(report.failed_step(), Some(VerificationStep::Challenge));
}

#[test]
fn a_presentation_embedding_a_forged_credential_names_the_embedded_failure() {
    let forger = SecretKey::generate(KeyAlgorithm::Ed25519);
    let mut credential = authority_health_code();
    credential["credentialSubject"]["id"] = Value::from(did_of(&holder_ed25519()));
    let forged = add_proof(&credential, &forger, &method_of(&forger), &options()).unwrap();
    let presented = presentation(&holder_ed25519(), vec![forged], "n-1");
    let report = verify_document(&presented, &authority_trust_cache(), inside_window());
    let (step, error) = failure(&report);
    assert_eq!(step, VerificationStep::IssuerBinding);
    assert!(matches!(
        error,
        VerificationError::EmbeddedCredential { index: 0, .. }
    ));
}

// The COSE form (a) of the CC1 envelope binds its signer the same way.

// (A COSE form (a) credential signed by a key that is not its issuer's is refused at
// `IssuerBinding`: `cose_errors_name_their_step` in tests/envelope.rs.)

#[test]
fn cose_a_retired_key_after_the_rotation_is_refused_at_issuer_binding() {
    let mut late = authority_health_code();
    late["validFrom"] = Value::from("2026-11-21T11:00:00Z");
    let payload =
        envelope::encode_signed(&late, &issuer_ed25519(), &authority_method("key-1")).unwrap();
    let error = envelope::decode(&payload, &rotated_cache(), inside_window()).unwrap_err();
    assert!(matches!(error, EnvelopeError::SignerNotInForce { .. }));
    assert_eq!(error.step(), Some(VerificationStep::IssuerBinding));
    // Issued before the rotation, the same key verifies.
    let payload = envelope::encode_signed(
        &authority_health_code(),
        &issuer_ed25519(),
        &authority_method("key-1"),
    )
    .unwrap();
    envelope::decode(&payload, &rotated_cache(), inside_window()).unwrap();
}

#[test]
fn cose_an_authentication_key_used_for_a_credential_is_refused_at_proof_purpose() {
    let mut cache = TrustCache::new();
    cache
        .insert_entry(
            &authority_method("key-1"),
            TrustedKey {
                relationships: vec![VerificationRelationship::Authentication],
                ..TrustedKey::issuing(issuer_ed25519().public_key())
            },
        )
        .unwrap();
    let payload = envelope::encode_signed(
        &authority_health_code(),
        &issuer_ed25519(),
        &authority_method("key-1"),
    )
    .unwrap();
    let error = envelope::decode(&payload, &cache, inside_window()).unwrap_err();
    assert!(matches!(
        error,
        EnvelopeError::SignerNotAuthorised {
            relationship: VerificationRelationship::AssertionMethod
        }
    ));
    assert_eq!(error.step(), Some(VerificationStep::ProofPurpose));
}

#[test]
fn cose_a_presentation_wrapping_another_holders_credential_is_refused_at_holder_binding() {
    let thief = SecretKey::generate(KeyAlgorithm::Ed25519);
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": did_of(&thief),
        "verifiableCredential": [issued()],
    });
    let payload = envelope::encode_signed(&unsigned, &thief, &method_of(&thief)).unwrap();
    let error = envelope::decode(&payload, &authority_trust_cache(), inside_window()).unwrap_err();
    assert_eq!(error, EnvelopeError::SubjectNotHolder { index: 0 });
    assert_eq!(error.step(), Some(VerificationStep::HolderBinding));
    // The rightful holder's presentation of the same credential decodes.
    let holder = holder_ed25519();
    let mut own = unsigned.clone();
    own["holder"] = Value::from(did_of(&holder));
    let payload = envelope::encode_signed(&own, &holder, &method_of(&holder)).unwrap();
    envelope::decode(&payload, &authority_trust_cache(), inside_window()).unwrap();
}

#[test]
fn a_holder_key_retired_before_the_presentation_is_refused_at_holder_binding() {
    let holder = holder_ed25519();
    let holder_did = "did:crosscode:dev:4vJ9JU1bJJE96FWSJKvHsi";
    let method = crosscode_core::did::DidUrl::parse(&format!("{holder_did}#key-1")).unwrap();
    let mut cache = authority_trust_cache();
    cache
        .insert_entry(
            &method,
            TrustedKey {
                relationships: vec![VerificationRelationship::Authentication],
                valid_until: Some(datetime!(2026-11-21 07:00 UTC)),
                ..TrustedKey::issuing(holder.public_key())
            },
        )
        .unwrap();
    let mut credential = authority_health_code();
    credential["credentialSubject"]["id"] = Value::from(holder_did);
    let credential = add_proof(
        &credential,
        &issuer_ed25519(),
        &authority_method("key-1"),
        &options(),
    )
    .unwrap();
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder_did,
        "verifiableCredential": [credential],
    });
    // Signed at 08:00, an hour after the key was retired.
    let signed = add_proof(
        &unsigned,
        &holder,
        &method,
        &ProofOptions {
            proof_purpose: AUTHENTICATION.into(),
            ..options()
        },
    )
    .unwrap();
    let report = verify_document(&signed, &cache, inside_window());
    assert_eq!(
        failure(&report),
        (
            VerificationStep::HolderBinding,
            VerificationError::HolderMethodNotInForce
        )
    );
}

#[test]
fn a_presentation_embedding_something_that_is_not_a_credential_is_refused() {
    let enveloped = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["EnvelopedVerifiableCredential"],
        "id": "data:application/vc+jwt,eyJhbGciOiJFUzI1NiJ9",
    });
    let presented = presentation(&holder_ed25519(), vec![enveloped], "n-1");
    let report = verify_document(&presented, &authority_trust_cache(), inside_window());
    assert_eq!(
        failure(&report),
        (
            VerificationStep::ProofSuite,
            VerificationError::UnsupportedEmbeddedCredential { index: 0 }
        )
    );
}
