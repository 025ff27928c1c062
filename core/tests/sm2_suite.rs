//! The `sm2-jcs-2026` cryptosuite: the worked example of docs/cryptosuite-sm2.md (every value
//! in the document is checked here), sign / verify round trips and its failure cases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod credential_fixtures;

use credential_fixtures::{
    created, did_of, health_code, inside_window, issuer_ed25519, issuer_sm2, method_of,
};
use crosscode_core::data_integrity::{
    Cryptosuite, DataIntegrityError, ProofOptions, VerificationError, VerificationStep, add_proof,
    encode_proof_value, hash_data, verify_document,
};
use crosscode_core::did::{DidKey, DidKeyResolver, DidUrl};
use crosscode_core::jcs::canonicalize;
use crosscode_core::keys::{DEFAULT_SM2_ID, KeyAlgorithm, SecretKey};
use serde_json::{Value, json};
use sm3::{Digest, Sm3};

/// The worked example's document: a minimal health code.
fn example_document() -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "HealthCodeCredential"],
        "issuer": "did:key:zEPJcP8LcbtvtYJ9LQe2MBeY1x8wh5EZEmm4LhM8XRzGqf2Kv",
        "validFrom": "2026-11-21T00:00:00Z",
        "validUntil": "2026-11-22T00:00:00Z",
        "credentialSubject": {
            "id": "did:key:z6Mkj837BhwEzQGdTjktrMj5LgMU8QPB2hdPp8VyHpVbf413",
            "statusColour": "green"
        }
    })
}

/// The worked example's fixed SM2 nonce k (a test value: never fix k in production).
const EXAMPLE_NONCE_HEX: &str = "59276e27d506861a16680f3ad9c02dccef3cc1fa3cdbe4ce6d54b80deac1bc21";

// The values printed in docs/cryptosuite-sm2.md §5.
const SECRET_HEX: &str = "79cdfba1fef68f41d64fcefd8f37aec72278456958263ac10c21c4956ad98db4";
const PUBLIC_KEY_HEX: &str = "036fa48b7c0718a48812179ff72bb9e6b42555abdd28e832b0c88a6f0f93369efd";
const DID: &str = "did:key:zEPJcP8LcbtvtYJ9LQe2MBeY1x8wh5EZEmm4LhM8XRzGqf2Kv";
const PROOF_CONFIG_CANONICAL: &str = r#"{"@context":["https://www.w3.org/ns/credentials/v2"],"created":"2026-11-21T08:00:00Z","cryptosuite":"sm2-jcs-2026","proofPurpose":"assertionMethod","type":"DataIntegrityProof","verificationMethod":"did:key:zEPJcP8LcbtvtYJ9LQe2MBeY1x8wh5EZEmm4LhM8XRzGqf2Kv#zEPJcP8LcbtvtYJ9LQe2MBeY1x8wh5EZEmm4LhM8XRzGqf2Kv"}"#;
const DOCUMENT_CANONICAL: &str = r#"{"@context":["https://www.w3.org/ns/credentials/v2"],"credentialSubject":{"id":"did:key:z6Mkj837BhwEzQGdTjktrMj5LgMU8QPB2hdPp8VyHpVbf413","statusColour":"green"},"issuer":"did:key:zEPJcP8LcbtvtYJ9LQe2MBeY1x8wh5EZEmm4LhM8XRzGqf2Kv","type":["VerifiableCredential","HealthCodeCredential"],"validFrom":"2026-11-21T00:00:00Z","validUntil":"2026-11-22T00:00:00Z"}"#;
const PROOF_CONFIG_HASH_HEX: &str =
    "abcac8c5357cf732dca180dd82e6f2a320a13a0564d500fbde3e0b5bea01ceba";
const DOCUMENT_HASH_HEX: &str = "fb4e92b31f253fb59f57661378551e1d3f5f6cf167f71f3c82d97bd13e83fde3";
const Z_A_HEX: &str = "7b19ec333cccd8e74cdfb939f31b75b3b82914c75314d412c1acbec02896ff32";
const E_HEX: &str = "f85e22d7bf78e568821f6c002ac65baf84168f076aae78ea2713e1877bbbbb94";
const SIGNATURE_HEX: &str = "fd4a1f494e05fd00e4239e26b93e5a65c574bde578b5b4f97677f054a9d05607afb57327928f24105a07ee908624e7a329e2172015c514d5760b15ddecc904d0";
const PROOF_VALUE: &str =
    "z64iXfbcUEoDPtnbhC1aUpDupTPZ66EnzGJ8QhxDQFpDvDA2bCsmGyo983NHbsMhxH2qpcvWLoMj8TT5qCiJRd319";

#[test]
fn worked_example_of_the_specification() {
    let key = issuer_sm2();
    let public_key = key.public_key();
    let did_key = DidKey::from_public_key(&public_key);
    let method = did_key.verification_method_id();
    let document = example_document();

    // Proof configuration: the options plus the document's @context.
    let mut config = json!({
        "type": "DataIntegrityProof",
        "cryptosuite": "sm2-jcs-2026",
        "created": "2026-11-21T08:00:00Z",
        "verificationMethod": method.as_str(),
        "proofPurpose": "assertionMethod",
    });
    config["@context"] = document["@context"].clone();
    let config_canonical = canonicalize(&config).unwrap();
    let document_canonical = canonicalize(&document).unwrap();
    let config_hash = Sm3::digest(config_canonical.as_bytes());
    let document_hash = Sm3::digest(document_canonical.as_bytes());
    let combined = hash_data(Cryptosuite::Sm2Jcs2026, &document, &config).unwrap();
    assert_eq!(
        combined,
        [config_hash.as_slice(), document_hash.as_slice()].concat()
    );

    // SM2 (GB/T 32918.2): Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA), e = SM3(Z_A ‖ M).
    let z_a = public_key.sm2_identity_hash(DEFAULT_SM2_ID).unwrap();
    let e: [u8; 32] = Sm3::new()
        .chain_update(z_a)
        .chain_update(&combined)
        .finalize()
        .into();
    let nonce: [u8; 32] = hex::decode(EXAMPLE_NONCE_HEX).unwrap().try_into().unwrap();
    let signature = key
        .sign_sm2_digest_with_fixed_nonce_for_tests(&e, &nonce)
        .unwrap();
    public_key.verify(&combined, &signature).unwrap();
    let proof_value = encode_proof_value(&signature);

    let values = [
        ("SECRET_HEX", hex::encode(&*key.to_bytes()), SECRET_HEX),
        (
            "PUBLIC_KEY_HEX",
            hex::encode(public_key.to_bytes()),
            PUBLIC_KEY_HEX,
        ),
        ("DID", did_key.did().as_str().to_owned(), DID),
        (
            "PROOF_CONFIG_CANONICAL",
            config_canonical,
            PROOF_CONFIG_CANONICAL,
        ),
        ("DOCUMENT_CANONICAL", document_canonical, DOCUMENT_CANONICAL),
        (
            "PROOF_CONFIG_HASH_HEX",
            hex::encode(config_hash),
            PROOF_CONFIG_HASH_HEX,
        ),
        (
            "DOCUMENT_HASH_HEX",
            hex::encode(document_hash),
            DOCUMENT_HASH_HEX,
        ),
        ("Z_A_HEX", hex::encode(z_a), Z_A_HEX),
        ("E_HEX", hex::encode(e), E_HEX),
        ("SIGNATURE_HEX", hex::encode(&signature), SIGNATURE_HEX),
        ("PROOF_VALUE", proof_value.clone(), PROOF_VALUE),
    ];
    for (name, actual, _) in &values {
        println!("{name} = {actual}");
    }
    for (name, actual, expected) in &values {
        assert_eq!(actual, expected, "{name}");
    }

    // The secured document verifies with the did:key resolver.
    let mut secured = document.clone();
    let mut proof = config.clone();
    proof["proofValue"] = Value::from(proof_value);
    secured["proof"] = proof;
    let report = verify_document(&secured, &DidKeyResolver, created());
    assert!(report.verified, "{report:?}");
    assert!(report.verified_with(Cryptosuite::Sm2Jcs2026));
    assert!(report.proofs[0].controller_is_issuer);
}

#[test]
fn sign_and_verify_the_health_code() {
    let key = issuer_sm2();
    let options = ProofOptions {
        created: Some(created()),
        ..ProofOptions::default()
    };
    let mut credential = health_code();
    credential["issuer"] = did_of(&key).into();
    let signed = add_proof(&credential, &key, &method_of(&key), &options).unwrap();
    assert_eq!(signed["proof"]["cryptosuite"], "sm2-jcs-2026");
    let report = verify_document(&signed, &DidKeyResolver, inside_window());
    assert!(report.verified, "{report:?}");
    // SM2 signatures are randomized: two proofs differ, both verify.
    let again = add_proof(&credential, &key, &method_of(&key), &options).unwrap();
    assert_ne!(signed["proof"]["proofValue"], again["proof"]["proofValue"]);
    assert!(verify_document(&again, &DidKeyResolver, inside_window()).verified);
    // Tampering fails at Signature.
    let mut tampered = signed.clone();
    tampered["credentialSubject"]["statusColour"] = Value::from("red");
    let report = verify_document(&tampered, &DidKeyResolver, inside_window());
    assert_eq!(report.failed_step(), Some(VerificationStep::Signature));
}

#[test]
fn a_key_of_the_wrong_algorithm_cannot_sign_the_suite() {
    let key = issuer_ed25519();
    let options = ProofOptions {
        cryptosuite: Some(Cryptosuite::Sm2Jcs2026),
        ..ProofOptions::default()
    };
    assert_eq!(
        add_proof(&health_code(), &key, &method_of(&key), &options).unwrap_err(),
        DataIntegrityError::KeyAlgorithmMismatch {
            suite: Cryptosuite::Sm2Jcs2026,
            algorithm: KeyAlgorithm::Ed25519
        }
    );
    // BLS12-381 keys sign with BBS, not with a JCS suite.
    assert_eq!(
        Cryptosuite::for_key_algorithm(KeyAlgorithm::Bls12381G2),
        None
    );
    if let Ok(bls) = SecretKey::from_bytes(KeyAlgorithm::Bls12381G2, &[0x11; 32]) {
        let method = DidKey::from_public_key(&bls.public_key()).verification_method_id();
        assert_eq!(
            add_proof(&health_code(), &bls, &method, &ProofOptions::default()).unwrap_err(),
            DataIntegrityError::NoSuiteForKey {
                algorithm: KeyAlgorithm::Bls12381G2
            }
        );
    }
}

#[test]
fn an_sm2_proof_naming_an_ed25519_key_fails_at_key_resolution() {
    let key = issuer_sm2();
    let options = ProofOptions {
        created: Some(created()),
        ..ProofOptions::default()
    };
    let mut signed = add_proof(&health_code(), &key, &method_of(&key), &options).unwrap();
    let other: DidUrl = method_of(&issuer_ed25519());
    signed["proof"]["verificationMethod"] = Value::from(other.as_str());
    let report = verify_document(&signed, &DidKeyResolver, inside_window());
    assert_eq!(report.failed_step(), Some(VerificationStep::KeyResolution));
    assert!(matches!(
        report.failure.unwrap().error,
        VerificationError::KeyAlgorithmMismatch {
            suite: Cryptosuite::Sm2Jcs2026,
            algorithm: KeyAlgorithm::Ed25519
        }
    ));
}
