//! The `ecdsa-jcs-2019` cryptosuite with P-256 holder keys: a holder presents through the
//! typed API with a key held in a (simulated) platform keystore that answers DER signatures,
//! its presentation binds to it, and each failure names its step.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod credential_fixtures;

use credential_fixtures::{
    authority_health_code, authority_method, authority_trust_cache, created, did_of, holder_p256,
    inside_window, issuer_ed25519, method_of,
};
use crosscode_core::data_integrity::{
    AUTHENTICATION, Cryptosuite, DataIntegrityError, Expectations, ProofOptions, VerificationError,
    VerificationStep, add_proof, verify_document,
};
use crosscode_core::did::DidKeyResolver;
use crosscode_core::keys::{self, KeyAlgorithm, PublicKey, SecretKey, SignatureError, Signer};
use crosscode_core::vc::{
    Credential, Presentation, PresentationRequest, ProofKey, SecuringError, issue, present,
    verify_credential, verify_presentation,
};
use p256::ecdsa::signature::Signer as _;
use serde_json::{Value, json};

/// A key held by a platform keystore (Secure Enclave, StrongBox): Rust sees only its
/// uncompressed public point and the DER signatures it answers, never the secret.
struct SecureEnclave {
    key: p256::ecdsa::SigningKey,
}

impl SecureEnclave {
    fn new() -> SecureEnclave {
        SecureEnclave {
            key: p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng),
        }
    }

    /// What `SecKeyCopyExternalRepresentation` exports: 04 ‖ x ‖ y.
    fn exported_public_key(&self) -> Vec<u8> {
        self.key
            .verifying_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    }

    /// What `SecKeyCreateSignature(.ecdsaSignatureMessageX962SHA256)` answers: DER, s in
    /// either half.
    fn sign_der(&self, message: &[u8]) -> Vec<u8> {
        let signature: p256::ecdsa::Signature = self.key.sign(message);
        let high = p256::ecdsa::Signature::from_scalars(signature.r(), -*signature.s())
            .unwrap_or(signature);
        high.to_der().as_bytes().to_vec()
    }
}

impl Signer for SecureEnclave {
    fn public_key(&self) -> PublicKey {
        PublicKey::from_bytes(KeyAlgorithm::P256, &self.exported_public_key()).unwrap()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        keys::p256::signature_from_der(&self.sign_der(message))
    }
}

/// The authority's credential about `holder`.
fn issued_to(holder: &str) -> Credential {
    let mut value = authority_health_code();
    value["credentialSubject"]["id"] = Value::from(holder);
    let key = issuer_ed25519();
    issue(
        &Credential::from_value(&value).unwrap(),
        &[ProofKey {
            signer: &key,
            verification_method: authority_method("key-1"),
            cryptosuite: None,
        }],
        Some(created()),
    )
    .unwrap()
}

fn presentation_of(holder: &str, credential: &Credential) -> Presentation {
    Presentation::from_value(&json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": [credential.to_value()],
    }))
    .unwrap()
}

fn request(challenge: &str) -> PresentationRequest {
    PresentationRequest {
        challenge: Some(challenge.into()),
        domain: Some("checkpoint.mo.example".into()),
    }
}

fn expecting(challenge: &str) -> Expectations {
    Expectations {
        challenge: Some(challenge.into()),
        domain: Some("checkpoint.mo.example".into()),
    }
}

/// A presentation by the `signer`'s did:key holder, answering `challenge`.
fn presented_by(signer: &dyn Signer, challenge: &str) -> Presentation {
    let did_key = crosscode_core::did::DidKey::from_public_key(&signer.public_key());
    let holder = did_key.did().as_str();
    present(
        &presentation_of(holder, &issued_to(holder)),
        &ProofKey {
            signer,
            verification_method: did_key.verification_method_id(),
            cryptosuite: None,
        },
        &request(challenge),
        Some(created()),
    )
    .unwrap()
}

#[test]
fn a_holder_presents_with_a_keystore_held_p256_key_and_it_verifies() {
    let enclave = SecureEnclave::new();
    let presented = presented_by(&enclave, "n-1");
    let value = presented.to_value();
    assert_eq!(value["proof"]["cryptosuite"], "ecdsa-jcs-2019");
    assert_eq!(value["proof"]["proofPurpose"], AUTHENTICATION);
    assert!(value["holder"].as_str().unwrap().starts_with("did:key:zDn"));
    let report = verify_presentation(
        &presented,
        &authority_trust_cache(),
        inside_window(),
        &expecting("n-1"),
    );
    assert!(report.verified, "{report:?}");
    assert!(report.verified_with(Cryptosuite::EcdsaJcs2019));
    assert!(report.credentials[0].verified_with(Cryptosuite::EddsaJcs2022));
    // Replaying it to another challenge fails at Challenge.
    let report = verify_presentation(
        &presented,
        &authority_trust_cache(),
        inside_window(),
        &expecting("n-2"),
    );
    assert_eq!(report.failed_step(), Some(VerificationStep::Challenge));
}

#[test]
fn an_in_memory_p256_holder_key_presents_and_verifies() {
    let holder = holder_p256();
    let presented = presented_by(&holder, "n-1");
    let report = verify_presentation(
        &presented,
        &authority_trust_cache(),
        inside_window(),
        &expecting("n-1"),
    );
    assert!(report.verified, "{report:?}");
    // In-memory keys sign deterministically (RFC 6979): the same presentation twice.
    assert_eq!(presented, presented_by(&holder, "n-1"));
}

#[test]
fn a_p256_did_key_issuer_issues_and_the_credential_verifies() {
    let issuer = holder_p256();
    let mut value = authority_health_code();
    value["issuer"] = Value::from(did_of(&issuer));
    let secured = issue(
        &Credential::from_value(&value).unwrap(),
        &[ProofKey {
            signer: &issuer,
            verification_method: method_of(&issuer),
            cryptosuite: Some(Cryptosuite::EcdsaJcs2019),
        }],
        Some(created()),
    )
    .unwrap();
    let report = verify_credential(&secured, &DidKeyResolver, inside_window());
    assert!(report.verified, "{report:?}");
    assert!(report.proofs[0].controller_is_issuer);
    // The same proof under another issuer's name is refused at IssuerBinding.
    let mut forged = secured.to_value();
    forged["issuer"] = Value::from(did_of(&SecretKey::generate(KeyAlgorithm::P256)));
    let report = verify_document(&forged, &DidKeyResolver, inside_window());
    assert_eq!(report.failed_step(), Some(VerificationStep::IssuerBinding));
}

#[test]
fn a_presentation_signed_by_another_p256_key_than_its_holders_is_refused_at_holder_binding() {
    let holder = holder_p256();
    let thief = SecretKey::generate(KeyAlgorithm::P256);
    let credential = issued_to(&did_of(&holder));
    let error = present(
        &presentation_of(&did_of(&holder), &credential),
        &ProofKey {
            signer: &thief,
            verification_method: method_of(&thief),
            cryptosuite: None,
        },
        &request("n-1"),
        None,
    )
    .unwrap_err();
    assert!(matches!(error, SecuringError::NotHolderMethod { .. }));
    // Made by hand, the verifier refuses it at HolderBinding.
    let mut unsigned = presentation_of(&did_of(&holder), &credential).to_value();
    unsigned["holder"] = Value::from(did_of(&holder));
    let options = ProofOptions {
        proof_purpose: AUTHENTICATION.into(),
        created: Some(created()),
        ..ProofOptions::default()
    };
    let forged = add_proof(&unsigned, &thief, &method_of(&thief), &options).unwrap();
    let report = verify_document(&forged, &authority_trust_cache(), inside_window());
    assert_eq!(report.failed_step(), Some(VerificationStep::HolderBinding));
    assert!(matches!(
        report.failure.unwrap().error,
        VerificationError::NotHolderMethod
    ));
}

#[test]
fn a_credential_proof_of_a_p256_key_made_for_authentication_is_refused_at_proof_purpose() {
    let issuer = holder_p256();
    let mut value = authority_health_code();
    value["issuer"] = Value::from(did_of(&issuer));
    let options = ProofOptions {
        proof_purpose: AUTHENTICATION.into(),
        created: Some(created()),
        ..ProofOptions::default()
    };
    let signed = add_proof(&value, &issuer, &method_of(&issuer), &options).unwrap();
    let report = verify_document(&signed, &DidKeyResolver, inside_window());
    assert_eq!(report.failed_step(), Some(VerificationStep::ProofPurpose));
}

#[test]
fn a_key_of_another_algorithm_cannot_make_or_verify_an_ecdsa_proof() {
    let ed25519 = issuer_ed25519();
    let options = ProofOptions {
        cryptosuite: Some(Cryptosuite::EcdsaJcs2019),
        ..ProofOptions::default()
    };
    assert_eq!(
        add_proof(
            &authority_health_code(),
            &ed25519,
            &method_of(&ed25519),
            &options
        )
        .unwrap_err(),
        DataIntegrityError::KeyAlgorithmMismatch {
            suite: Cryptosuite::EcdsaJcs2019,
            algorithm: KeyAlgorithm::Ed25519
        }
    );
    assert_eq!(
        Cryptosuite::for_key_algorithm(KeyAlgorithm::P256),
        Some(Cryptosuite::EcdsaJcs2019)
    );
    assert_eq!(
        "ecdsa-jcs-2019".parse::<Cryptosuite>(),
        Ok(Cryptosuite::EcdsaJcs2019)
    );
    // An ecdsa-jcs-2019 proof naming an Ed25519 key fails at KeyResolution.
    let holder = holder_p256();
    let mut value = authority_health_code();
    value["issuer"] = Value::from(did_of(&ed25519));
    let mut signed = add_proof(
        &value,
        &holder,
        &method_of(&holder),
        &ProofOptions::default(),
    )
    .unwrap();
    signed["proof"]["verificationMethod"] = Value::from(method_of(&ed25519).as_str());
    let report = verify_document(&signed, &DidKeyResolver, inside_window());
    assert_eq!(report.failed_step(), Some(VerificationStep::KeyResolution));
    assert_eq!(
        report.failure.unwrap().error,
        VerificationError::KeyAlgorithmMismatch {
            suite: Cryptosuite::EcdsaJcs2019,
            algorithm: KeyAlgorithm::Ed25519
        }
    );
}
