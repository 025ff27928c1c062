//! `ecdsa-jcs-2019` against the W3C vc-di-ecdsa test vectors (vc-di/ecdsa/): every canonical
//! form and hash byte for byte, the P-256 signature by verification (ECDSA signatures are
//! randomised, so a fresh one differs), tampering, and the typed refusal of P-384.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_core::data_integrity::{
    Cryptosuite, ProofOptions, VerificationError, VerificationStep, add_proof, encode_proof_value,
    hash_data, verify_document, verify_proof_unbound,
};
use crosscode_core::did::{DidError, DidKey, DidKeyResolver};
use crosscode_core::jcs::canonicalize;
use crosscode_core::keys::{KeyAlgorithm, PublicKey, SecretKey, SignatureError};
use crosscode_core::multicodec::{self, MulticodecError};
use crosscode_testing::vectors::{read_json, vector_path};
use p256::elliptic_curve::scalar::IsHigh as _;
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::macros::datetime;

fn read_text(relative: &str) -> String {
    let path = vector_path(relative);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .trim_end()
        .to_owned()
}

fn p256_file(name: &str) -> String {
    read_text(&format!("vc-di/ecdsa/ecdsa-jcs-2019-p256/{name}"))
}

fn signed_p256() -> Value {
    read_json("vc-di/ecdsa/ecdsa-jcs-2019-p256/signedJCSECDSAP256.json")
}

/// The vectors' P-256 key pair: `secretKeyMultibase` is `z` + base58btc(0x86 0x26 ‖ 32-byte
/// scalar) (multicodec `p256-priv` 0x1306).
fn vector_key() -> SecretKey {
    let key_pair = read_json("vc-di/ecdsa/p256KeyPair.json");
    let secret =
        multicodec::decode_base58btc(key_pair["secretKeyMultibase"].as_str().unwrap()).unwrap();
    assert_eq!(&secret[..2], &[0x86, 0x26], "multicodec p256-priv");
    let key = SecretKey::from_bytes(KeyAlgorithm::P256, &secret[2..]).unwrap();
    let did_key = DidKey::from_public_key(&key.public_key());
    assert_eq!(
        did_key.multibase(),
        key_pair["publicKeyMultibase"].as_str().unwrap()
    );
    assert!(did_key.did().as_str().starts_with("did:key:zDn"));
    key
}

#[test]
fn the_vector_key_pair_decodes_to_the_did_key_the_proof_names() {
    let key = vector_key();
    let method = DidKey::from_public_key(&key.public_key()).verification_method_id();
    assert_eq!(
        method.as_str(),
        signed_p256()["proof"]["verificationMethod"]
    );
}

#[test]
fn canonical_document_and_its_sha256_match() {
    let unsigned = read_json("vc-di/ecdsa/unsigned.json");
    let canonical = canonicalize(&unsigned).unwrap();
    assert_eq!(canonical, p256_file("canonDocJCSECDSAP256.txt"));
    assert_eq!(
        hex::encode(Sha256::digest(canonical.as_bytes())),
        p256_file("docHashJCSECDSAP256.txt")
    );
}

#[test]
fn canonical_proof_config_and_its_sha256_match() {
    let config = read_json("vc-di/ecdsa/ecdsa-jcs-2019-p256/proofConfigJCSECDSAP256.json");
    let canonical = canonicalize(&config).unwrap();
    assert_eq!(canonical, p256_file("proofCanonJCSECDSAP256.txt"));
    assert_eq!(
        hex::encode(Sha256::digest(canonical.as_bytes())),
        p256_file("proofHashJCSECDSAP256.txt")
    );
}

#[test]
fn combined_hash_matches_and_the_vector_signature_verifies_over_it() {
    let unsigned = read_json("vc-di/ecdsa/unsigned.json");
    let config = read_json("vc-di/ecdsa/ecdsa-jcs-2019-p256/proofConfigJCSECDSAP256.json");
    let combined = hash_data(Cryptosuite::EcdsaJcs2019, &unsigned, &config).unwrap();
    assert_eq!(
        hex::encode(&combined),
        p256_file("combinedHashJCSECDSAP256.txt")
    );
    let public_key = vector_key().public_key();
    let signature = hex::decode(p256_file("sigHexJCSECDSAP256.txt")).unwrap();
    public_key.verify(&combined, &signature).unwrap();
    assert_eq!(
        encode_proof_value(&signature),
        p256_file("sigBTC58JCSECDSAP256.txt")
    );
    assert_eq!(
        signed_p256()["proof"]["proofValue"],
        p256_file("sigBTC58JCSECDSAP256.txt")
    );
    // Our signature over the same hashData verifies too, and its s is in the lower half.
    let ours = vector_key().sign(&combined).unwrap();
    public_key.verify(&combined, &ours).unwrap();
    let parsed = p256::ecdsa::Signature::from_slice(&ours).unwrap();
    assert!(!bool::from(parsed.s().is_high()));
}

#[test]
fn add_proof_reproduces_the_signed_credential_up_to_the_randomised_signature() {
    let key = vector_key();
    let unsigned = read_json("vc-di/ecdsa/unsigned.json");
    let method = DidKey::from_public_key(&key.public_key()).verification_method_id();
    let options = ProofOptions {
        created: Some(datetime!(2023-02-24 23:36:38 UTC)),
        ..ProofOptions::default()
    };
    let ours = add_proof(&unsigned, &key, &method, &options).unwrap();
    assert_eq!(ours["proof"]["cryptosuite"], "ecdsa-jcs-2019");
    let mut config = ours["proof"].clone();
    config.as_object_mut().unwrap().remove("proofValue");
    assert_eq!(
        config,
        read_json("vc-di/ecdsa/ecdsa-jcs-2019-p256/proofConfigJCSECDSAP256.json")
    );
    // Everything but proofValue is the vector's signed credential.
    let mut expected = signed_p256();
    expected["proof"]["proofValue"] = ours["proof"]["proofValue"].clone();
    assert_eq!(ours, expected);
    assert_eq!(
        verify_proof_unbound(&ours, &ours["proof"], &DidKeyResolver),
        Ok(Cryptosuite::EcdsaJcs2019)
    );
}

/// The step at which the cryptosuite's verify-proof algorithm refuses the document's proof
/// (`None`: it verifies).
fn unbound_step(document: &Value) -> Option<VerificationStep> {
    verify_proof_unbound(document, &document["proof"], &DidKeyResolver)
        .err()
        .map(|error| error.step())
}

#[test]
fn the_signed_vector_verifies() {
    let signed = signed_p256();
    assert_eq!(
        verify_proof_unbound(&signed, &signed["proof"], &DidKeyResolver),
        Ok(Cryptosuite::EcdsaJcs2019)
    );
    // As a credential it is not valid here: its issuer is an https URL, and the proof's
    // did:key is not that issuer's key.
    let report = verify_document(&signed, &DidKeyResolver, datetime!(2024-01-01 00:00 UTC));
    assert!(!report.verified);
    assert_eq!(report.failed_step(), Some(VerificationStep::IssuerBinding));
    assert_eq!(
        report.proofs[0].cryptosuite.as_deref(),
        Some("ecdsa-jcs-2019")
    );
}

/// The W3C suite verifies plain ECDSA: the other half of `s` (`n - s`, what a Web Crypto signer
/// produces half of the time) verifies as well.
#[test]
fn the_vector_signature_with_high_s_verifies_too() {
    let mut signed = signed_p256();
    let bytes = hex::decode(p256_file("sigHexJCSECDSAP256.txt")).unwrap();
    let signature = p256::ecdsa::Signature::from_slice(&bytes).unwrap();
    let high = p256::ecdsa::Signature::from_scalars(signature.r(), -*signature.s()).unwrap();
    assert!(bool::from(high.s().is_high()));
    signed["proof"]["proofValue"] = Value::from(encode_proof_value(&high.to_bytes()));
    assert_eq!(unbound_step(&signed), None);
}

/// Changing any member of the signed vector (document or proof) breaks verification at the
/// Signature step.
#[test]
fn a_tampered_copy_of_the_signed_vector_fails_at_signature() {
    let signed = signed_p256();
    assert_eq!(unbound_step(&signed), None);
    for (pointer, replacement) in [
        ("/name", Value::from("Alumni Credential!")),
        ("/validFrom", Value::from("2023-01-02T00:00:00Z")),
        ("/credentialSubject/id", Value::from("did:example:abcdefgi")),
        (
            "/credentialSubject/alumniOf",
            Value::from("The School of Counterexamples"),
        ),
        ("/proof/created", Value::from("2023-02-24T23:36:39Z")),
        ("/proof/proofPurpose", Value::from("authentication")),
    ] {
        let mut tampered = signed.clone();
        *tampered.pointer_mut(pointer).unwrap() = replacement;
        let error =
            verify_proof_unbound(&tampered, &tampered["proof"], &DidKeyResolver).unwrap_err();
        assert_eq!(
            error,
            VerificationError::Signature(SignatureError::Invalid),
            "{pointer}"
        );
        assert_eq!(error.step(), VerificationStep::Signature);
    }
    // One byte of the canonical document changed.
    let mut tampered = signed.clone();
    let name = tampered["name"].as_str().unwrap().replacen('A', "B", 1);
    tampered["name"] = Value::from(name);
    assert_eq!(unbound_step(&tampered), Some(VerificationStep::Signature));
    // A flipped bit in the signature.
    let mut tampered = signed.clone();
    let mut signature =
        multicodec::decode_base58btc(signed["proof"]["proofValue"].as_str().unwrap()).unwrap();
    signature[10] ^= 1;
    tampered["proof"]["proofValue"] = Value::from(encode_proof_value(&signature));
    assert_eq!(unbound_step(&tampered), Some(VerificationStep::Signature));
}

/// P-384 is not implemented: its did:key (multicodec `p384-pub` 0x1201) is refused with a
/// typed error, and the P-384 vector's proof fails at key resolution naming that key type.
#[test]
fn the_p384_vector_is_refused_at_key_resolution_naming_its_key_type() {
    let key_pair = read_json("vc-di/ecdsa/p384KeyPair.json");
    let multibase = key_pair["publicKeyMultibase"].as_str().unwrap();
    assert_eq!(
        multicodec::decode_multikey(multibase),
        Err(MulticodecError::UnsupportedKeyType {
            codec: multicodec::P384_PUB
        })
    );
    let signed = read_json("vc-di/ecdsa/ecdsa-jcs-2019-p384/signedJCSECDSAP384.json");
    assert_eq!(signed["proof"]["cryptosuite"], "ecdsa-jcs-2019");
    let error = verify_proof_unbound(&signed, &signed["proof"], &DidKeyResolver).unwrap_err();
    assert_eq!(
        error,
        VerificationError::KeyResolution(DidError::Multicodec(
            MulticodecError::UnsupportedKeyType {
                codec: multicodec::P384_PUB
            }
        ))
    );
    assert_eq!(error.step(), VerificationStep::KeyResolution);
}

/// A P-256 key's 96-byte "signature" (a P-384 length) passes the proofValue check and is
/// refused by the key with the lengths named.
#[test]
fn a_p384_length_signature_under_a_p256_key_fails_at_signature_with_its_length() {
    let mut signed = signed_p256();
    signed["proof"]["proofValue"] = Value::from(encode_proof_value(&[7u8; 96]));
    assert_eq!(
        verify_proof_unbound(&signed, &signed["proof"], &DidKeyResolver),
        Err(VerificationError::Signature(
            SignatureError::InvalidLength {
                expected: 64,
                actual: 96
            }
        ))
    );
    signed["proof"]["proofValue"] = Value::from(encode_proof_value(&[7u8; 63]));
    let error = verify_proof_unbound(&signed, &signed["proof"], &DidKeyResolver).unwrap_err();
    assert!(matches!(error, VerificationError::InvalidProofValue(_)));
    assert_eq!(error.step(), VerificationStep::ProofSuite);
    // The vector's key decodes as a P-256 public key.
    assert!(matches!(vector_key().public_key(), PublicKey::P256(_)));
}
