//! Proof sets (one credential, an SM2 and an Ed25519 proof, each verifiable on its own) and
//! proof chains.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod credential_fixtures;

use credential_fixtures::{
    created, health_code, inside_window, issuer_ed25519, issuer_sm2, method_of,
};
use crosscode_core::data_integrity::{
    Cryptosuite, ProofOptions, VerificationError, VerificationStep, add_proof, verify_document,
    verify_proof,
};
use crosscode_core::did::DidKeyResolver;
use serde_json::Value;

fn options() -> ProofOptions {
    ProofOptions {
        created: Some(created()),
        ..ProofOptions::default()
    }
}

/// The health code secured with an SM2 proof, then an Ed25519 proof.
fn dual_signed() -> Value {
    let sm2 = issuer_sm2();
    let ed25519 = issuer_ed25519();
    let once = add_proof(&health_code(), &sm2, &method_of(&sm2), &options()).unwrap();
    add_proof(&once, &ed25519, &method_of(&ed25519), &options()).unwrap()
}

#[test]
fn a_credential_with_sm2_and_ed25519_proofs_verifies() {
    let signed = dual_signed();
    let proofs = signed["proof"].as_array().unwrap();
    assert_eq!(proofs.len(), 2);
    assert_eq!(proofs[0]["cryptosuite"], "sm2-jcs-2026");
    assert_eq!(proofs[1]["cryptosuite"], "eddsa-jcs-2022");
    let report = verify_document(&signed, &DidKeyResolver, inside_window());
    assert!(report.verified, "{report:?}");
    assert_eq!(report.proofs.len(), 2);
    assert!(report.proofs.iter().all(|proof| proof.verified));
    assert_eq!(report.proofs[0].suite(), Some(Cryptosuite::Sm2Jcs2026));
    assert_eq!(report.proofs[1].suite(), Some(Cryptosuite::EddsaJcs2022));
    assert!(report.verified_with(Cryptosuite::Sm2Jcs2026));
    assert!(report.verified_with(Cryptosuite::EddsaJcs2022));
    // The example's issuer is the Ed25519 key's DID; the SM2 key co-signs.
    assert!(!report.proofs[0].controller_is_issuer);
    assert!(report.proofs[1].controller_is_issuer);
}

#[test]
fn each_proof_of_the_set_verifies_on_its_own() {
    let signed = dual_signed();
    for proof in signed["proof"].as_array().unwrap() {
        // With verify_proof on the document carrying the whole set …
        verify_proof(&signed, proof, &DidKeyResolver).unwrap();
        // … and as the only proof of the document.
        let mut alone = signed.clone();
        alone["proof"] = proof.clone();
        let report = verify_document(&alone, &DidKeyResolver, inside_window());
        assert!(report.verified, "{report:?}");
    }
    // The Ed25519 proof (deterministic) is the one made on the unsecured document alone.
    let ed25519 = issuer_ed25519();
    let alone = add_proof(&health_code(), &ed25519, &method_of(&ed25519), &options()).unwrap();
    assert_eq!(alone["proof"], signed["proof"][1]);
}

#[test]
fn one_failing_proof_is_named_and_the_other_still_counts_for_its_jurisdiction() {
    let mut signed = dual_signed();
    // Replace the SM2 proof's signature with that of another SM2 proof over other content.
    let sm2 = issuer_sm2();
    let mut other = health_code();
    other["credentialSubject"]["statusColour"] = Value::from("red");
    let other = add_proof(&other, &sm2, &method_of(&sm2), &options()).unwrap();
    signed["proof"][0]["proofValue"] = other["proof"]["proofValue"].clone();
    let report = verify_document(&signed, &DidKeyResolver, inside_window());
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
    let report = verify_document(&signed, &DidKeyResolver, inside_window());
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
        &health_code(),
        &ed25519,
        &method_of(&ed25519),
        &ProofOptions {
            id: Some("urn:uuid:11111111-2222-4333-8444-555555555555".into()),
            ..options()
        },
    )
    .unwrap();
    let chained = add_proof(
        &first,
        &sm2,
        &method_of(&sm2),
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
    let report = verify_document(&chained, &DidKeyResolver, inside_window());
    assert!(report.verified, "{report:?}");
    // Changing the first proof's created breaks both the first proof and the chained one.
    let mut tampered = chained.clone();
    tampered["proof"][0]["created"] = Value::from("2026-11-21T08:00:01Z");
    let report = verify_document(&tampered, &DidKeyResolver, inside_window());
    assert!(!report.proofs[0].verified);
    assert!(!report.proofs[1].verified);
    // Dropping the first proof leaves a dangling previousProof.
    let mut dangling = chained.clone();
    dangling["proof"] = chained["proof"][1].clone();
    let report = verify_document(&dangling, &DidKeyResolver, inside_window());
    assert_eq!(report.failed_step(), Some(VerificationStep::ProofSuite));
    assert!(matches!(
        report.failure.unwrap().error,
        VerificationError::PreviousProofNotFound(_)
    ));
}
