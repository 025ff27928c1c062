//! The typed credential API: issue, present and verify over `Credential` / `Presentation`,
//! signing through the `Signer` port.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod credential_fixtures;

use credential_fixtures::{
    authority_health_code, authority_method, authority_trust_cache, created, did_of,
    holder_ed25519, inside_window, issuer_ed25519, issuer_sm2, method_of,
};
use crosscode_core::data_integrity::{Cryptosuite, Expectations, VerificationStep};
use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use crosscode_core::vc::{
    Credential, Presentation, PresentationRequest, ProofKey, SecuringError, issue, present,
    verify_credential, verify_presentation,
};
use crosscode_testing::keystore::Keystore;
use serde_json::{Value, json};

fn authority_credential() -> Credential {
    let mut value = authority_health_code();
    value["credentialSubject"]["id"] = Value::from(did_of(&holder_ed25519()));
    Credential::from_value(&value).unwrap()
}

#[test]
fn an_authority_issues_a_proof_set_through_its_signers_and_it_verifies() {
    let sm2 = Keystore(issuer_sm2());
    let ed25519 = issuer_ed25519();
    let secured = issue(
        &authority_credential(),
        &[
            ProofKey {
                signer: &sm2,
                verification_method: authority_method("key-2"),
                cryptosuite: None,
            },
            ProofKey {
                signer: &ed25519,
                verification_method: authority_method("key-1"),
                cryptosuite: None,
            },
        ],
        Some(created()),
    )
    .unwrap();
    let report = verify_credential(&secured, &authority_trust_cache(), inside_window());
    assert!(report.verified, "{report:?}");
    assert!(report.verified_with(Cryptosuite::Sm2Jcs2026));
    assert!(report.verified_with(Cryptosuite::EddsaJcs2022));
}

#[test]
fn issuing_with_a_key_that_is_not_the_issuers_is_a_typed_error() {
    let other = issuer_ed25519();
    let error = issue(
        &authority_credential(),
        &[ProofKey {
            signer: &other,
            verification_method: method_of(&other),
            cryptosuite: None,
        }],
        Some(created()),
    )
    .unwrap_err();
    assert!(matches!(error, SecuringError::NotIssuerMethod { .. }));
    assert_eq!(
        issue(&authority_credential(), &[], None).unwrap_err(),
        SecuringError::NoKey
    );
}

fn secured() -> Credential {
    let key = issuer_ed25519();
    issue(
        &authority_credential(),
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

#[test]
fn a_holder_presents_its_credential_answering_the_verifiers_challenge() {
    let holder = Keystore(holder_ed25519());
    let request = PresentationRequest {
        challenge: Some("n-7".into()),
        domain: None,
    };
    let presented = present(
        &presentation_of(&did_of(&holder_ed25519()), &secured()),
        &ProofKey {
            signer: &holder,
            verification_method: method_of(&holder_ed25519()),
            cryptosuite: None,
        },
        &request,
        Some(created()),
    )
    .unwrap();
    let expect = Expectations {
        challenge: Some("n-7".into()),
        domain: None,
    };
    let report = verify_presentation(
        &presented,
        &authority_trust_cache(),
        inside_window(),
        &expect,
    );
    assert!(report.verified, "{report:?}");
    let replay = Expectations {
        challenge: Some("n-8".into()),
        domain: None,
    };
    let report = verify_presentation(
        &presented,
        &authority_trust_cache(),
        inside_window(),
        &replay,
    );
    assert_eq!(report.failed_step(), Some(VerificationStep::Challenge));
}

#[test]
fn presenting_someone_elses_credential_or_without_a_holder_is_a_typed_error() {
    let thief = SecretKey::generate(KeyAlgorithm::Ed25519);
    let key = ProofKey {
        signer: &thief,
        verification_method: method_of(&thief),
        cryptosuite: None,
    };
    let request = PresentationRequest::default();
    let error = present(
        &presentation_of(&did_of(&thief), &secured()),
        &key,
        &request,
        None,
    )
    .unwrap_err();
    assert_eq!(error, SecuringError::SubjectNotHolder { index: 0 });
    let error = present(
        &presentation_of(&did_of(&holder_ed25519()), &secured()),
        &key,
        &request,
        None,
    )
    .unwrap_err();
    assert!(matches!(error, SecuringError::NotHolderMethod { .. }));
    let mut anonymous = presentation_of(&did_of(&thief), &secured());
    anonymous.holder = None;
    assert_eq!(
        present(&anonymous, &key, &request, None).unwrap_err(),
        SecuringError::MissingHolder
    );
}
