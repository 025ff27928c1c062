//! `eddsa-jcs-2022` against the W3C vc-di-eddsa test vectors (vc-di/eddsa/), byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_core::data_integrity::{
    Cryptosuite, ProofOptions, VerificationStep, add_proof, encode_proof_value, hash_data,
    verify_document, verify_proof_unbound,
};
use crosscode_core::did::{DidKey, DidKeyResolver, DidUrl};
use crosscode_core::jcs::canonicalize;
use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use crosscode_testing::vectors::{read_json, vector_path};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::macros::datetime;

fn read_text(relative: &str) -> String {
    let path = vector_path(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn jcs_file(name: &str) -> String {
    read_text(&format!("vc-di/eddsa/eddsa-jcs-2022/{name}"))
}

/// The vectors' key pair: `privateKeyMultibase` is `z` + base58btc(0x80 0x26 ‖ 32-byte seed).
fn vector_key() -> SecretKey {
    let key_pair = read_json("vc-di/eddsa/keyPair.json");
    let private = key_pair["privateKeyMultibase"].as_str().unwrap();
    let bytes = bs58::decode(private.strip_prefix('z').unwrap())
        .into_vec()
        .unwrap();
    assert_eq!(&bytes[..2], &[0x80, 0x26], "multicodec ed25519-priv");
    let key = SecretKey::from_bytes(KeyAlgorithm::Ed25519, &bytes[2..]).unwrap();
    let did_key = DidKey::from_public_key(&key.public_key());
    assert_eq!(
        did_key.multibase(),
        key_pair["publicKeyMultibase"].as_str().unwrap()
    );
    key
}

fn created() -> time::OffsetDateTime {
    datetime!(2023-02-24 23:36:38 UTC)
}

#[test]
fn canonical_document_and_hash_match() {
    let unsigned = read_json("vc-di/eddsa/unsigned.json");
    let canonical = canonicalize(&unsigned).unwrap();
    assert_eq!(canonical, jcs_file("canonDocJCS.txt"));
    assert_eq!(
        hex::encode(Sha256::digest(canonical.as_bytes())),
        jcs_file("docHashJCS.txt")
    );
}

#[test]
fn canonical_proof_config_and_hash_match() {
    let config = read_json("vc-di/eddsa/eddsa-jcs-2022/proofConfigJCS.json");
    let canonical = canonicalize(&config).unwrap();
    assert_eq!(canonical, jcs_file("proofCanonJCS.txt"));
    assert_eq!(
        hex::encode(Sha256::digest(canonical.as_bytes())),
        jcs_file("proofHashJCS.txt")
    );
}

#[test]
fn combined_hash_signature_and_proof_value_match() {
    let unsigned = read_json("vc-di/eddsa/unsigned.json");
    let config = read_json("vc-di/eddsa/eddsa-jcs-2022/proofConfigJCS.json");
    let combined = hash_data(Cryptosuite::EddsaJcs2022, &unsigned, &config).unwrap();
    assert_eq!(hex::encode(&combined), jcs_file("combinedHashJCS.txt"));
    let signature = vector_key().sign(&combined).unwrap();
    assert_eq!(hex::encode(&signature), jcs_file("sigHexJCS.txt"));
    assert_eq!(encode_proof_value(&signature), jcs_file("sigBTC58JCS.txt"));
}

#[test]
fn add_proof_reproduces_the_signed_credential() {
    let key = vector_key();
    let unsigned = read_json("vc-di/eddsa/unsigned.json");
    let method = DidKey::from_public_key(&key.public_key()).verification_method_id();
    let options = ProofOptions {
        created: Some(created()),
        ..ProofOptions::default()
    };
    let signed = add_proof(&unsigned, &key, &method, &options).unwrap();
    assert_eq!(
        signed,
        read_json("vc-di/eddsa/eddsa-jcs-2022/signedJCS.json")
    );
    // The proof configuration (the proof without proofValue) is the vectors' one.
    let mut config = signed["proof"].clone();
    config.as_object_mut().unwrap().remove("proofValue");
    assert_eq!(
        config,
        read_json("vc-di/eddsa/eddsa-jcs-2022/proofConfigJCS.json")
    );
    assert_eq!(
        method,
        DidUrl::parse(
            "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        )
        .unwrap()
    );
}

/// The step at which the cryptosuite's verify-proof algorithm refuses the vector's proof
/// (`None`: it verifies).
fn unbound_step(document: &Value) -> Option<VerificationStep> {
    verify_proof_unbound(document, &document["proof"], &DidKeyResolver)
        .err()
        .map(|error| error.step())
}

#[test]
fn the_signed_vector_verifies() {
    let signed = read_json("vc-di/eddsa/eddsa-jcs-2022/signedJCS.json");
    assert_eq!(
        verify_proof_unbound(&signed, &signed["proof"], &DidKeyResolver),
        Ok(Cryptosuite::EddsaJcs2022)
    );
    // As a credential it is not valid here: its issuer is an https URL, and the proof's
    // did:key is not that issuer's key.
    let report = verify_document(&signed, &DidKeyResolver, datetime!(2024-01-01 00:00 UTC));
    assert!(!report.verified);
    assert_eq!(report.failed_step(), Some(VerificationStep::IssuerBinding));
    assert_eq!(
        report.issuer.as_deref(),
        Some("https://vc.example/issuers/5678")
    );
    assert!(!report.proofs[0].controller_is_issuer);
}

/// Changing any member of the signed vector (document or proof) breaks verification.
#[test]
fn mutating_any_field_of_the_signed_vector_fails() {
    let signed = read_json("vc-di/eddsa/eddsa-jcs-2022/signedJCS.json");
    assert_eq!(unbound_step(&signed), None);
    let document_mutations: &[(&str, Value)] = &[
        (
            "/id",
            Value::from("urn:uuid:00000000-d8ba-11ed-83dd-0b3aef56cc33"),
        ),
        ("/name", Value::from("Alumni Credential!")),
        ("/description", Value::from("changed")),
        ("/issuer", Value::from("https://vc.example/issuers/5679")),
        ("/validFrom", Value::from("2023-01-02T00:00:00Z")),
        ("/credentialSubject/id", Value::from("did:example:abcdefgi")),
        (
            "/credentialSubject/alumniOf",
            Value::from("The School of Counterexamples"),
        ),
        ("/type/1", Value::from("OtherCredential")),
    ];
    for (pointer, replacement) in document_mutations {
        let mut tampered = signed.clone();
        *tampered.pointer_mut(pointer).unwrap() = replacement.clone();
        assert_eq!(
            unbound_step(&tampered),
            Some(VerificationStep::Signature),
            "{pointer}"
        );
    }
    // An added member is a change too.
    let mut tampered = signed.clone();
    tampered["credentialSubject"]["extra"] = Value::from(true);
    assert_eq!(unbound_step(&tampered), Some(VerificationStep::Signature));
    // Proof members.
    for (pointer, replacement) in [
        ("/proof/created", Value::from("2023-02-24T23:36:39Z")),
        ("/proof/proofPurpose", Value::from("authentication")),
    ] {
        let mut tampered = signed.clone();
        *tampered.pointer_mut(pointer).unwrap() = replacement;
        assert_eq!(
            unbound_step(&tampered),
            Some(VerificationStep::Signature),
            "{pointer}"
        );
    }
    // A flipped bit in the signature.
    let mut tampered = signed.clone();
    let mut signature = bs58::decode(&signed["proof"]["proofValue"].as_str().unwrap()[1..])
        .into_vec()
        .unwrap();
    signature[10] ^= 1;
    tampered["proof"]["proofValue"] = Value::from(encode_proof_value(&signature));
    assert_eq!(unbound_step(&tampered), Some(VerificationStep::Signature));
}

/// The proof-set-chain/ vectors use `eddsa-rdfc-2022` (RDF canonicalization), which this crate
/// does not implement: they are reported as an unsupported suite, never as verified.
#[test]
fn rdfc_proof_sets_and_chains_are_reported_as_unsupported_suite() {
    for (name, proofs) in [
        ("signedProofSet1.json", 1),
        ("signedProofSet2.json", 2),
        ("signedProofChain1.json", 3),
        ("signedProofChain2.json", 4),
    ] {
        let signed = read_json(&format!("vc-di/eddsa/proof-set-chain/{name}"));
        let report = verify_document(&signed, &DidKeyResolver, datetime!(2024-01-01 00:00 UTC));
        assert!(!report.verified, "{name}");
        assert_eq!(report.proofs.len(), proofs, "{name}");
        assert_eq!(
            report.failed_step(),
            Some(VerificationStep::ProofSuite),
            "{name}"
        );
        assert!(report.proofs.iter().all(|proof| !proof.verified), "{name}");
        assert!(
            report
                .proofs
                .iter()
                .all(|proof| proof.cryptosuite.as_deref() == Some("eddsa-rdfc-2022"))
        );
    }
}
