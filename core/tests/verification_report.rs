//! The typed verification report: every failing step (Parse, Context, ProofSuite,
//! KeyResolution, Signature, ValidityWindow) and its errors, and the report's JSON form.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod credential_fixtures;

use credential_fixtures::{
    created, did_of, health_code, holder_ed25519, inside_window, issuer_ed25519, method_of,
};
use crosscode_core::data_integrity::{
    ProofOptions, VerificationError, VerificationReport, VerificationStep, add_proof,
    encode_proof_value, verify_document,
};
use crosscode_core::did::{DidError, DidKeyResolver};
use crosscode_core::jcs::JcsError;
use crosscode_core::keys::SignatureError;
use crosscode_core::vc::{ValidityError, VcError};
use serde_json::{Value, json};
use time::macros::datetime;

fn signed_with(options: ProofOptions) -> Value {
    let key = issuer_ed25519();
    add_proof(&health_code(), &key, &method_of(&key), &options).unwrap()
}

fn signed() -> Value {
    signed_with(ProofOptions {
        created: Some(created()),
        ..ProofOptions::default()
    })
}

fn verify(document: &Value) -> VerificationReport {
    verify_document(document, &DidKeyResolver, inside_window())
}

fn failure(document: &Value) -> (VerificationStep, VerificationError) {
    let report = verify(document);
    assert!(!report.verified);
    let failure = report.failure.unwrap();
    assert_eq!(failure.step, failure.error.step());
    (failure.step, failure.error)
}

fn with_proof_member(name: &str, value: Value) -> Value {
    let mut document = signed();
    document["proof"][name] = value;
    document
}

#[test]
fn a_valid_credential_verifies() {
    let report = verify(&signed());
    assert!(report.verified);
    assert_eq!(report.failed_step(), None);
    assert_eq!(report.checked_at, "2026-11-21T12:00:00Z");
    assert_eq!(report.verified_proofs().count(), 1);
}

#[test]
fn parse_step() {
    assert_eq!(
        failure(&json!([1])),
        (
            VerificationStep::Parse,
            VerificationError::Document(VcError::NotAnObject)
        )
    );
    let mut no_issuer = signed();
    no_issuer.as_object_mut().unwrap().remove("issuer");
    assert_eq!(
        failure(&no_issuer),
        (
            VerificationStep::Parse,
            VerificationError::Document(VcError::MissingProperty { property: "issuer" })
        )
    );
    // A number that has no canonical form fails when the proof is checked.
    let mut big = signed();
    big["credentialSubject"]["count"] = serde_json::from_str("9007199254740993").unwrap();
    assert_eq!(
        failure(&big),
        (
            VerificationStep::Parse,
            VerificationError::Canonicalization(JcsError::IntegerNotExactDouble(
                "9007199254740993".into()
            ))
        )
    );
}

#[test]
fn context_step() {
    let mut wrong_base = signed();
    wrong_base["@context"][0] = Value::from("https://www.w3.org/2018/credentials/v1");
    let (step, error) = failure(&wrong_base);
    assert_eq!(step, VerificationStep::Context);
    assert!(matches!(
        error,
        VerificationError::Document(VcError::InvalidContext { .. })
    ));

    let mut missing = signed();
    missing.as_object_mut().unwrap().remove("@context");
    assert_eq!(
        failure(&missing),
        (
            VerificationStep::Context,
            VerificationError::Document(VcError::MissingContext)
        )
    );

    // A context added to the document after signing: the proof's @context no longer matches.
    let mut extended = signed();
    extended["@context"]
        .as_array_mut()
        .unwrap()
        .push(Value::from("https://example.org/extra/v1"));
    assert_eq!(
        failure(&extended),
        (
            VerificationStep::Context,
            VerificationError::ProofContextMismatch
        )
    );
}

#[test]
fn proof_suite_step() {
    let mut unsigned = signed();
    unsigned.as_object_mut().unwrap().remove("proof");
    assert_eq!(
        failure(&unsigned),
        (VerificationStep::ProofSuite, VerificationError::NoProof)
    );
    let mut empty_set = signed();
    empty_set["proof"] = json!([]);
    assert_eq!(
        failure(&empty_set),
        (VerificationStep::ProofSuite, VerificationError::NoProof)
    );
    let mut not_object = signed();
    not_object["proof"] = json!("a proof");
    assert_eq!(
        failure(&not_object),
        (
            VerificationStep::ProofSuite,
            VerificationError::MalformedProof
        )
    );
    let mut no_type = signed();
    no_type["proof"].as_object_mut().unwrap().remove("type");
    assert_eq!(
        failure(&no_type),
        (
            VerificationStep::ProofSuite,
            VerificationError::MissingProofProperty { property: "type" }
        )
    );
    assert_eq!(
        failure(&with_proof_member("type", json!("Ed25519Signature2020"))),
        (
            VerificationStep::ProofSuite,
            VerificationError::UnsupportedProofType("Ed25519Signature2020".into())
        )
    );
    assert_eq!(
        failure(&with_proof_member("cryptosuite", json!("eddsa-rdfc-2022"))),
        (
            VerificationStep::ProofSuite,
            VerificationError::UnsupportedCryptosuite("eddsa-rdfc-2022".into())
        )
    );
    for bad in [json!("u2HnFSS"), json!("z0OIl"), json!("z2Hn"), json!(12)] {
        let (step, error) = failure(&with_proof_member("proofValue", bad.clone()));
        assert_eq!(step, VerificationStep::ProofSuite, "{bad}");
        assert!(
            matches!(
                error,
                VerificationError::InvalidProofValue(_)
                    | VerificationError::MissingProofProperty {
                        property: "proofValue"
                    }
            ),
            "{bad}: {error:?}"
        );
    }
    // An attacker-sized proofValue (1 MB of base58 digits) is refused by its length, before
    // any decoding work.
    let huge = format!("z{}", "2".repeat(1_000_000));
    assert_eq!(
        failure(&with_proof_member("proofValue", json!(huge))),
        (
            VerificationStep::ProofSuite,
            VerificationError::InvalidProofValue("the signature is not 64 bytes")
        )
    );
    let mut no_purpose = signed();
    no_purpose["proof"]
        .as_object_mut()
        .unwrap()
        .remove("proofPurpose");
    assert_eq!(
        failure(&no_purpose),
        (
            VerificationStep::ProofSuite,
            VerificationError::MissingProofProperty {
                property: "proofPurpose"
            }
        )
    );
    assert_eq!(
        failure(&with_proof_member("created", json!("yesterday"))),
        (
            VerificationStep::ProofSuite,
            VerificationError::InvalidProofDateTime {
                property: "created"
            }
        )
    );
    assert_eq!(
        failure(&with_proof_member("expires", json!(0))),
        (
            VerificationStep::ProofSuite,
            VerificationError::InvalidProofDateTime {
                property: "expires"
            }
        )
    );
}

#[test]
fn key_resolution_step() {
    let (step, error) = failure(&with_proof_member("verificationMethod", json!("not a did")));
    assert_eq!(step, VerificationStep::KeyResolution);
    assert!(matches!(
        error,
        VerificationError::KeyResolution(
            DidError::InvalidDidUrl { .. } | DidError::InvalidDid { .. }
        )
    ));

    let mut web = with_proof_member(
        "verificationMethod",
        json!("did:web:health.gd.example#key-1"),
    );
    web["issuer"] = json!("did:web:health.gd.example");
    let (step, error) = failure(&web);
    assert_eq!(step, VerificationStep::KeyResolution);
    assert!(matches!(
        error,
        VerificationError::KeyResolution(DidError::MethodNotSupported { .. })
    ));

    // The right DID with another fragment names no verification method.
    let did = method_of(&issuer_ed25519()).did().as_str().to_owned();
    let (step, error) = failure(&with_proof_member(
        "verificationMethod",
        json!(format!("{did}#key-2")),
    ));
    assert_eq!(step, VerificationStep::KeyResolution);
    assert!(matches!(
        error,
        VerificationError::KeyResolution(DidError::VerificationMethodNotFound { .. })
    ));
}

#[test]
fn signature_step() {
    let mut tampered = signed();
    tampered["credentialSubject"]["statusColour"] = Value::from("red");
    assert_eq!(
        failure(&tampered),
        (
            VerificationStep::Signature,
            VerificationError::Signature(SignatureError::Invalid)
        )
    );
    // A valid signature by another key.
    let mut other = signed();
    other["proof"]["proofValue"] = Value::from(encode_proof_value(&[7u8; 64]));
    let (step, _) = failure(&other);
    assert_eq!(step, VerificationStep::Signature);
}

#[test]
fn validity_window_step() {
    let document = signed();
    let report = verify_document(&document, &DidKeyResolver, datetime!(2026-11-20 23:00 UTC));
    let failure = report.failure.unwrap();
    assert_eq!(failure.step, VerificationStep::ValidityWindow);
    assert_eq!(
        failure.error,
        VerificationError::Validity(ValidityError::NotYetValid {
            valid_from: "2026-11-21T00:00:00Z".into()
        })
    );
    // The proofs themselves verified.
    assert!(report.proofs[0].verified);
    let report = verify_document(&document, &DidKeyResolver, datetime!(2028-01-01 00:00 UTC));
    assert!(matches!(
        report.failure.unwrap().error,
        VerificationError::Validity(ValidityError::Expired { .. })
    ));
    // A proof with an expiry in the past.
    let expiring = signed_with(ProofOptions {
        created: Some(created()),
        expires: Some(datetime!(2026-11-21 09:00 UTC)),
        ..ProofOptions::default()
    });
    assert!(verify_document(&expiring, &DidKeyResolver, datetime!(2026-11-21 08:30 UTC)).verified);
    let report = verify_document(&expiring, &DidKeyResolver, inside_window());
    assert_eq!(
        report.failure.unwrap().error,
        VerificationError::ProofExpired {
            expires: "2026-11-21T09:00:00Z".into()
        }
    );
}

#[test]
fn a_tampered_and_expired_credential_is_reported_at_signature_first() {
    let mut tampered = signed();
    tampered["credentialSubject"]["statusColour"] = Value::from("red");
    let report = verify_document(&tampered, &DidKeyResolver, datetime!(2028-01-01 00:00 UTC));
    assert_eq!(report.failed_step(), Some(VerificationStep::Signature));
    assert_eq!(
        report.document_failure.map(|failure| failure.step),
        Some(VerificationStep::ValidityWindow)
    );
}

#[test]
fn the_report_serializes_to_json_naming_the_step() {
    let mut tampered = signed();
    tampered["credentialSubject"]["statusColour"] = Value::from("red");
    let json = serde_json::to_value(verify(&tampered)).unwrap();
    assert_eq!(json["verified"], false);
    assert_eq!(json["failure"]["step"], "Signature");
    assert_eq!(
        json["failure"]["message"],
        "signature: signature verification failed"
    );
    assert_eq!(json["proofs"][0]["verified"], false);
    assert_eq!(json["proofs"][0]["cryptosuite"], "eddsa-jcs-2022");
    assert_eq!(json["proofs"][0]["controllerIsIssuer"], true);
    let valid = serde_json::to_value(verify(&signed())).unwrap();
    assert_eq!(valid["verified"], true);
    assert!(valid.get("failure").is_none());
}

#[test]
fn presentations_verify_too() {
    let key = holder_ed25519();
    let presentation = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": did_of(&key),
        "verifiableCredential": [signed()],
    });
    let secured = add_proof(
        &presentation,
        &key,
        &method_of(&key),
        &ProofOptions {
            proof_purpose: "authentication".into(),
            ..ProofOptions::default()
        },
    )
    .unwrap();
    let report = verify(&secured);
    assert!(report.verified, "{report:?}");
    assert_eq!(report.issuer, None);
}
