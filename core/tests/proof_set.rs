//! Proof sets (one credential, an SM2 and an Ed25519 proof, each verifiable on its own) and
//! proof chains.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod credential_fixtures;

use credential_fixtures::{
    authority_health_code, authority_method, authority_trust_cache, created, inside_window,
    issuer_ed25519, issuer_sm2, method_of,
};
use crosscode_core::data_integrity::{
    Cryptosuite, ProofOptions, VerificationError, VerificationStep, add_proof, verify_document,
    verify_proof,
};
use crosscode_core::did::TrustCache;
use serde_json::Value;

fn options() -> ProofOptions {
    ProofOptions {
        created: Some(created()),
        ..ProofOptions::default()
    }
}

/// The authority's health code secured with an SM2 proof (`#key-2`), then an Ed25519 proof
/// (`#key-1`): both keys are the issuer's.
fn dual_signed() -> Value {
    let once = add_proof(
        &authority_health_code(),
        &issuer_sm2(),
        &authority_method("key-2"),
        &options(),
    )
    .unwrap();
    add_proof(
        &once,
        &issuer_ed25519(),
        &authority_method("key-1"),
        &options(),
    )
    .unwrap()
}

#[test]
fn a_credential_with_sm2_and_ed25519_proofs_verifies() {
    let signed = dual_signed();
    let proofs = signed["proof"].as_array().unwrap();
    assert_eq!(proofs.len(), 2);
    assert_eq!(proofs[0]["cryptosuite"], "sm2-jcs-2026");
    assert_eq!(proofs[1]["cryptosuite"], "eddsa-jcs-2022");
    let report = verify_document(&signed, &authority_trust_cache(), inside_window());
    assert!(report.verified, "{report:?}");
    assert_eq!(report.proofs.len(), 2);
    assert!(report.proofs.iter().all(|proof| proof.verified));
    assert_eq!(report.proofs[0].suite(), Some(Cryptosuite::Sm2Jcs2026));
    assert_eq!(report.proofs[1].suite(), Some(Cryptosuite::EddsaJcs2022));
    assert!(report.verified_with(Cryptosuite::Sm2Jcs2026));
    assert!(report.verified_with(Cryptosuite::EddsaJcs2022));
    // Both keys are the issuer's: each proof binds to it on its own.
    assert!(report.proofs[0].controller_is_issuer);
    assert!(report.proofs[1].controller_is_issuer);
}

#[test]
fn each_proof_of_the_set_verifies_on_its_own() {
    let signed = dual_signed();
    for proof in signed["proof"].as_array().unwrap() {
        // With verify_proof on the document carrying the whole set …
        verify_proof(&signed, proof, &authority_trust_cache()).unwrap();
        // … and as the only proof of the document.
        let mut alone = signed.clone();
        alone["proof"] = proof.clone();
        let report = verify_document(&alone, &authority_trust_cache(), inside_window());
        assert!(report.verified, "{report:?}");
    }
    // The Ed25519 proof (deterministic) is the one made on the unsecured document alone.
    let alone = add_proof(
        &authority_health_code(),
        &issuer_ed25519(),
        &authority_method("key-1"),
        &options(),
    )
    .unwrap();
    assert_eq!(alone["proof"], signed["proof"][1]);
}

#[test]
fn one_failing_proof_is_named_and_the_other_still_counts_for_its_jurisdiction() {
    let mut signed = dual_signed();
    // Replace the SM2 proof's signature with that of another SM2 proof over other content.
    let mut other = authority_health_code();
    other["credentialSubject"]["statusColour"] = Value::from("red");
    let other = add_proof(
        &other,
        &issuer_sm2(),
        &authority_method("key-2"),
        &options(),
    )
    .unwrap();
    signed["proof"][0]["proofValue"] = other["proof"]["proofValue"].clone();
    let report = verify_document(&signed, &authority_trust_cache(), inside_window());
    assert!(!report.verified);
    assert_eq!(report.failed_step(), Some(VerificationStep::Signature));
    assert!(!report.proofs[0].verified);
    assert!(report.proofs[1].verified);
    assert_eq!(
        report.proofs[0]
            .failure
            .as_ref()
            .map(|failure| failure.step),
        Some(VerificationStep::Signature)
    );
    assert!(!report.verified_with(Cryptosuite::Sm2Jcs2026));
    assert!(report.verified_with(Cryptosuite::EddsaJcs2022));
}

#[test]
fn tampering_the_document_breaks_every_proof_of_the_set() {
    let mut signed = dual_signed();
    signed["credentialSubject"]["statusColour"] = Value::from("red");
    let report = verify_document(&signed, &authority_trust_cache(), inside_window());
    assert_eq!(report.failed_step(), Some(VerificationStep::Signature));
    assert!(report.proofs.iter().all(|proof| !proof.verified));
    assert!(!report.verified_with(Cryptosuite::Sm2Jcs2026));
    assert!(!report.verified_with(Cryptosuite::EddsaJcs2022));
}

#[test]
fn a_proof_chain_signs_the_previous_proof() {
    let ed25519 = issuer_ed25519();
    let sm2 = issuer_sm2();
    let first = add_proof(
        &authority_health_code(),
        &ed25519,
        &authority_method("key-1"),
        &ProofOptions {
            id: Some("urn:uuid:11111111-2222-4333-8444-555555555555".into()),
            ..options()
        },
    )
    .unwrap();
    let chained = add_proof(
        &first,
        &sm2,
        &authority_method("key-2"),
        &ProofOptions {
            previous_proof: vec!["urn:uuid:11111111-2222-4333-8444-555555555555".into()],
            ..options()
        },
    )
    .unwrap();
    assert_eq!(
        chained["proof"][1]["previousProof"],
        "urn:uuid:11111111-2222-4333-8444-555555555555"
    );
    let report = verify_document(&chained, &authority_trust_cache(), inside_window());
    assert!(report.verified, "{report:?}");
    // Changing the first proof's created breaks both the first proof and the chained one.
    let mut tampered = chained.clone();
    tampered["proof"][0]["created"] = Value::from("2026-11-21T08:00:01Z");
    let report = verify_document(&tampered, &authority_trust_cache(), inside_window());
    assert!(!report.proofs[0].verified);
    assert!(!report.proofs[1].verified);
    // Dropping the first proof leaves a dangling previousProof.
    let mut dangling = chained.clone();
    dangling["proof"] = chained["proof"][1].clone();
    let report = verify_document(&dangling, &authority_trust_cache(), inside_window());
    assert_eq!(report.failed_step(), Some(VerificationStep::ProofSuite));
    assert!(matches!(
        report.failure.unwrap().error,
        VerificationError::PreviousProofNotFound(_)
    ));
}

#[test]
fn a_co_signature_by_a_key_that_is_not_the_issuers_does_not_count() {
    // The old form: the issuer's Ed25519 proof, and an SM2 proof by the SM2 key's own did:key.
    let once = add_proof(
        &authority_health_code(),
        &issuer_ed25519(),
        &authority_method("key-1"),
        &options(),
    )
    .unwrap();
    let sm2 = issuer_sm2();
    let signed = add_proof(&once, &sm2, &method_of(&sm2), &options()).unwrap();
    let report = verify_document(&signed, &authority_trust_cache(), inside_window());
    assert!(!report.verified);
    assert_eq!(report.failed_step(), Some(VerificationStep::IssuerBinding));
    assert!(report.proofs[0].verified);
    assert!(!report.proofs[1].verified);
    assert!(!report.proofs[1].controller_is_issuer);
    assert!(matches!(
        report.proofs[1].failure.as_ref().unwrap().error,
        VerificationError::NotIssuerMethod
    ));
    // Each jurisdiction's check: only the proof by the issuer's own key counts.
    assert!(report.verified_with(Cryptosuite::EddsaJcs2022));
    assert!(!report.verified_with(Cryptosuite::Sm2Jcs2026));
    // A checkpoint that does not know the authority's keys cannot bind either proof.
    let report = verify_document(&signed, &TrustCache::new(), inside_window());
    assert!(!report.verified_with(Cryptosuite::EddsaJcs2022));
}
