//! `CC1` codes through the checkpoint pipeline, beside `HC1:` and `shc:/`: an authority's
//! credential and a holder's dynamic presentation are accepted with the authorities' trust
//! cache, and every attack ends at its step with a typed, coded error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use coset::{AsCborValue as _, CoseSign1Builder, HeaderBuilder, iana};
use crosscode_core::VerificationStep;
use crosscode_core::data_integrity::{Cryptosuite, ProofOptions, add_proof};
use crosscode_core::did::{DidKey, DidUrl, TrustCache};
use crosscode_core::envelope::{self, time_slot};
use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use crosscode_verifier::format::cc1::{Cc1, PresentationPolicy};
use crosscode_verifier::rules::RuleSet;
use crosscode_verifier::{CredentialFormat, Report, StepOutcome, TrustStore, Verdict, Verifier};
use serde_json::{Value, json};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const AUTHORITY: &str = "did:crosscode:dev:6q4Lhhjc1ARJM7vQ4rcPQM";
const OTHER_AUTHORITY: &str = "did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB";
const NOW: OffsetDateTime = datetime!(2026-12-06 08:00:00 UTC);

struct Parties {
    authority: SecretKey,
    method: DidUrl,
    other: SecretKey,
    other_method: DidUrl,
    holder: SecretKey,
    trust: TrustCache,
}

fn parties() -> Parties {
    let authority = SecretKey::generate(KeyAlgorithm::Ed25519);
    let other = SecretKey::generate(KeyAlgorithm::Ed25519);
    let method = DidUrl::parse(&format!("{AUTHORITY}#ed25519-1")).unwrap();
    let other_method = DidUrl::parse(&format!("{OTHER_AUTHORITY}#ed25519-1")).unwrap();
    let mut trust = TrustCache::new();
    trust.insert(&method, authority.public_key()).unwrap();
    trust.insert(&other_method, other.public_key()).unwrap();
    Parties {
        authority,
        method,
        other,
        other_method,
        holder: SecretKey::generate(KeyAlgorithm::Ed25519),
        trust,
    }
}

fn holder_did(key: &SecretKey) -> DidKey {
    DidKey::from_public_key(&key.public_key())
}

fn health_code(subject: &str, colour: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "HealthCode"],
        "issuer": AUTHORITY,
        "validFrom": "2026-12-06T00:00:00Z",
        "validUntil": "2026-12-13T00:00:00Z",
        "credentialSubject": {
            "id": subject,
            "type": "HealthCode",
            "jurisdiction": "MO",
            "statusColour": colour,
            "statusDate": "2026-12-06"
        }
    })
}

fn verifier(trust: &TrustCache) -> Verifier {
    Verifier::new(TrustStore::new()).with_crosscode_trust(trust.clone())
}

/// A green health code of a holder, signed by the authority in form (a).
fn authority_code(parties: &Parties) -> String {
    let holder = holder_did(&parties.holder);
    envelope::encode_signed(
        &health_code(holder.did().as_str(), "green"),
        &parties.authority,
        &parties.method,
    )
    .unwrap()
}

/// The step and report code of a rejected report.
fn refusal(report: &Report) -> (VerificationStep, &'static str) {
    assert_eq!(report.verdict(), Verdict::Reject, "{}", report.to_json());
    let (step, error) = report.failure().unwrap();
    (step, error.code())
}

/// A holder's dynamic presentation at `at` of a credential (with an Ed25519 proof by the
/// authority) about `subject`.
fn presentation(parties: &Parties, subject: &str, at: OffsetDateTime) -> String {
    let options = ProofOptions {
        cryptosuite: Some(Cryptosuite::EddsaJcs2022),
        ..ProofOptions::default()
    };
    let credential = add_proof(
        &health_code(subject, "green"),
        &parties.authority,
        &parties.method,
        &options,
    )
    .unwrap();
    let holder = holder_did(&parties.holder);
    let presentation = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder.did().as_str(),
        "domain": "checkpoint-7",
        "timeSlot": time_slot::slot_at(at),
        "verifiableCredential": credential
    });
    envelope::encode_signed(
        &presentation,
        &parties.holder,
        &holder.verification_method_id(),
    )
    .unwrap()
}

#[test]
fn an_authority_credential_is_accepted_with_its_claims_and_status_says_it_was_not_checked() {
    let parties = parties();
    let holder = holder_did(&parties.holder);
    let payload = envelope::encode_signed(
        &health_code(holder.did().as_str(), "green"),
        &parties.authority,
        &parties.method,
    )
    .unwrap();
    let report = verifier(&parties.trust).verify_text(&payload, NOW);
    assert_eq!(report.verdict(), Verdict::Accept, "{}", report.to_json());
    assert_eq!(report.format, Some(CredentialFormat::Cc1));
    assert_eq!(report.issuer.as_deref(), Some(AUTHORITY));
    assert_eq!(report.claims.as_ref().unwrap()["statusColour"], "green");
    for step in [
        VerificationStep::Prefix,
        VerificationStep::Decode,
        VerificationStep::Decompress,
        VerificationStep::ParseEnvelope,
        VerificationStep::KeyResolution,
        VerificationStep::Signature,
        VerificationStep::IssuerBinding,
        VerificationStep::ValidityWindow,
    ] {
        assert!(report.passed(step), "{step}: {}", report.to_json());
    }
    assert!(matches!(
        report.outcome(VerificationStep::Status),
        StepOutcome::Skipped(_)
    ));
    assert!(matches!(
        report.outcome(VerificationStep::HolderBinding),
        StepOutcome::Skipped(_)
    ));
    // The report's steps are in pipeline order, the format's own steps included.
    let order: Vec<usize> = report
        .steps
        .iter()
        .map(|record| {
            VerificationStep::ALL
                .iter()
                .position(|step| *step == record.step)
                .unwrap()
        })
        .collect();
    assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "{order:?}");
}

#[test]
fn a_credential_signed_by_a_key_that_is_not_the_authoritys_is_refused_at_the_signature() {
    let parties = parties();
    let forger = SecretKey::generate(KeyAlgorithm::Ed25519);
    let payload = envelope::encode_signed(
        &health_code(
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "green",
        ),
        &forger,
        &parties.method,
    )
    .unwrap();
    let report = verifier(&parties.trust).verify_text(&payload, NOW);
    assert_eq!(
        refusal(&report),
        (VerificationStep::Signature, "SIGNATURE_INVALID")
    );
}

/// A form (a) credential signed by `key` as `method`, whoever the issuer is (core's encoder
/// refuses to sign for another issuer; a forger does not ask it).
fn forged(document: &Value, key: &SecretKey, method: &DidUrl) -> String {
    let claims = envelope::compact::to_compact(document).unwrap();
    let mut payload = Vec::new();
    ciborium::into_writer(&claims, &mut payload).unwrap();
    let sign1 = CoseSign1Builder::new()
        .protected(
            HeaderBuilder::new()
                .algorithm(iana::Algorithm::EdDSA)
                .key_id(method.as_str().as_bytes().to_vec())
                .build(),
        )
        .payload(payload)
        .create_signature(&[], |to_be_signed| key.sign(to_be_signed).unwrap())
        .build();
    let envelope = ciborium::Value::Array(vec![
        ciborium::Value::Integer(0.into()),
        ciborium::Value::Tag(18, Box::new(sign1.to_cbor_value().unwrap())),
    ]);
    let mut bytes = Vec::new();
    ciborium::into_writer(&envelope, &mut bytes).unwrap();
    envelope::payload::to_text(&bytes).unwrap()
}

#[test]
fn a_credential_signed_by_another_admitted_authority_is_refused_at_the_issuer_binding() {
    let parties = parties();
    let payload = forged(
        &health_code(
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "green",
        ),
        &parties.other,
        &parties.other_method,
    );
    let report = verifier(&parties.trust).verify_text(&payload, NOW);
    assert_eq!(
        refusal(&report),
        (VerificationStep::IssuerBinding, "SIGNER_NOT_BOUND")
    );
}

#[test]
fn an_authority_the_checkpoint_does_not_trust_is_refused_at_key_resolution() {
    let parties = parties();
    let payload = authority_code(&parties);
    let report = verifier(&TrustCache::new()).verify_text(&payload, NOW);
    assert_eq!(
        refusal(&report),
        (VerificationStep::KeyResolution, "UNKNOWN_KID")
    );
    // The steps before the failing one passed; the later ones were not reached.
    assert!(report.passed(VerificationStep::Decompress));
    assert_eq!(
        report.outcome(VerificationStep::BusinessRules),
        &StepOutcome::NotReached
    );
}

#[test]
fn a_tampered_or_truncated_code_is_refused_with_a_typed_error() {
    let parties = parties();
    let payload = authority_code(&parties);
    let verifier = verifier(&parties.trust);
    let truncated = &payload[..payload.len() - 7];
    let report = verifier.verify_text(truncated, NOW);
    assert_eq!(report.verdict(), Verdict::Reject);
    let mut flipped = payload.clone().into_bytes();
    let at = flipped.len() / 2;
    flipped[at] = if flipped[at] == b'A' { b'B' } else { b'A' };
    let report = verifier.verify_text(std::str::from_utf8(&flipped).unwrap(), NOW);
    let (step, code) = refusal(&report);
    assert!(
        matches!(
            step,
            VerificationStep::Decode
                | VerificationStep::Decompress
                | VerificationStep::ParseEnvelope
                | VerificationStep::Parse
                | VerificationStep::Signature
        ),
        "{step} {code}"
    );
}

#[test]
fn an_expired_credential_is_refused_at_the_validity_window() {
    let parties = parties();
    let payload = authority_code(&parties);
    let report = verifier(&parties.trust).verify_text(&payload, NOW + Duration::days(30));
    assert_eq!(
        refusal(&report),
        (VerificationStep::ValidityWindow, "EXPIRED")
    );
}

#[test]
fn a_dynamic_presentation_is_accepted_in_its_slot_and_its_screenshot_is_refused_later() {
    let parties = parties();
    let holder = holder_did(&parties.holder);
    let payload = presentation(&parties, holder.did().as_str(), NOW);
    let verifier = verifier(&parties.trust);
    let report = verifier.verify_text(&payload, NOW + Duration::seconds(20));
    assert_eq!(report.verdict(), Verdict::Accept, "{}", report.to_json());
    assert!(report.passed(VerificationStep::HolderBinding));
    assert_eq!(report.issuer.as_deref(), Some(AUTHORITY));
    let StepOutcome::Passed(detail) = report.outcome(VerificationStep::ValidityWindow) else {
        panic!("{}", report.to_json());
    };
    assert!(detail.contains("time slot"), "{detail}");
    let later = verifier.verify_text(&payload, NOW + Duration::seconds(90));
    assert_eq!(
        refusal(&later),
        (VerificationStep::ValidityWindow, "STALE_TIME_SLOT")
    );
}

#[test]
fn a_gate_that_refuses_replays_accepts_a_dynamic_code_once_in_its_slot() {
    let parties = parties();
    let holder = holder_did(&parties.holder);
    let payload = presentation(&parties, holder.did().as_str(), NOW);
    // Shown the slot before: another code, still inside the tolerance.
    let other = presentation(&parties, holder.did().as_str(), NOW - Duration::seconds(30));
    assert_ne!(other, payload);
    let gate =
        verifier(&parties.trust).with_format(Box::new(Cc1::with_policy(PresentationPolicy {
            refuse_replays: true,
            ..PresentationPolicy::default()
        })));
    let first = gate.verify_text(&payload, NOW + Duration::seconds(5));
    assert_eq!(first.verdict(), Verdict::Accept, "{}", first.to_json());
    assert!(first.passed(VerificationStep::Challenge));
    assert_eq!(
        refusal(&gate.verify_text(&payload, NOW + Duration::seconds(10))),
        (VerificationStep::Challenge, "REPLAYED")
    );
    // Another showing (a new presentation of the same credential) is a new code.
    assert_eq!(
        gate.verify_text(&other, NOW + Duration::seconds(10))
            .verdict(),
        Verdict::Accept
    );
    // Without the policy, a one-shot verifier accepts the same code again.
    let one_shot = verifier(&parties.trust);
    assert_eq!(
        one_shot
            .verify_text(&payload, NOW + Duration::seconds(5))
            .verdict(),
        Verdict::Accept
    );
    assert_eq!(
        one_shot
            .verify_text(&payload, NOW + Duration::seconds(10))
            .verdict(),
        Verdict::Accept
    );
}

#[test]
fn a_presentation_of_someone_elses_credential_is_refused_at_the_holder_binding() {
    let parties = parties();
    let someone_else = holder_did(&SecretKey::generate(KeyAlgorithm::Ed25519));
    let payload = presentation(&parties, someone_else.did().as_str(), NOW);
    let report = verifier(&parties.trust).verify_text(&payload, NOW);
    assert_eq!(
        refusal(&report),
        (VerificationStep::HolderBinding, "SUBJECT_NOT_HOLDER")
    );
}

#[test]
fn the_checkpoints_rules_apply_to_the_disclosed_claims_of_the_credentials_type() {
    let parties = parties();
    let rules = RuleSet::from_json(&json!([{
        "Identifier": "HC-GREEN-0001",
        "CertificateType": "HealthCode",
        "Description": "the health code is green",
        "Logic": {"===": [{"var": "payload.credentialSubject.statusColour"}, "green"]}
    }]))
    .unwrap();
    let verifier = verifier(&parties.trust).with_rules(rules);
    let holder = holder_did(&parties.holder);
    for (colour, verdict) in [("green", Verdict::Accept), ("red", Verdict::Reject)] {
        let payload = envelope::encode_signed(
            &health_code(holder.did().as_str(), colour),
            &parties.authority,
            &parties.method,
        )
        .unwrap();
        let report = verifier.verify_text(&payload, NOW);
        assert_eq!(report.verdict(), verdict, "{colour}: {}", report.to_json());
        if verdict == Verdict::Reject {
            assert_eq!(
                refusal(&report),
                (VerificationStep::BusinessRules, "RULE_FAILED")
            );
        }
    }
}

#[test]
fn a_credential_someone_issued_to_themselves_with_a_did_key_is_refused_at_the_issuer_binding() {
    let parties = parties();
    let holder = holder_did(&parties.holder);
    // Signed by its (did:key) issuer: every signature checks, but nobody vouches for it.
    let mut credential = health_code(holder.did().as_str(), "green");
    credential["issuer"] = json!(holder.did().as_str());
    let payload = envelope::encode_signed(
        &credential,
        &parties.holder,
        &holder.verification_method_id(),
    )
    .unwrap();
    let report = verifier(&parties.trust).verify_text(&payload, NOW);
    assert_eq!(
        refusal(&report),
        (VerificationStep::IssuerBinding, "UNKNOWN_ISSUER")
    );

    // The same credential (with its own Data Integrity proof) inside a holder's presentation.
    let options = ProofOptions {
        cryptosuite: Some(Cryptosuite::EddsaJcs2022),
        ..ProofOptions::default()
    };
    let signed = add_proof(
        &credential,
        &parties.holder,
        &holder.verification_method_id(),
        &options,
    )
    .unwrap();
    let presentation = |carried: Option<Value>| {
        let mut presentation = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": holder.did().as_str(),
            "timeSlot": time_slot::slot_at(NOW),
        });
        if let Some(carried) = carried {
            presentation["verifiableCredential"] = carried;
        }
        envelope::encode_signed(
            &presentation,
            &parties.holder,
            &holder.verification_method_id(),
        )
        .unwrap()
    };
    let report = verifier(&parties.trust).verify_text(&presentation(Some(signed)), NOW);
    assert_eq!(
        refusal(&report),
        (VerificationStep::IssuerBinding, "UNKNOWN_ISSUER")
    );
    // A presentation carrying no credential at all vouches for nothing.
    let report = verifier(&parties.trust).verify_text(&presentation(None), NOW);
    assert_eq!(
        refusal(&report),
        (VerificationStep::IssuerBinding, "PAYLOAD_INVALID")
    );
}

#[test]
fn a_checkpoint_policy_refuses_codes_for_another_audience_and_static_codes() {
    let parties = parties();
    let holder = holder_did(&parties.holder);
    let policy = |audience: &str| {
        verifier(&parties.trust).with_format(Box::new(Cc1::with_policy(PresentationPolicy {
            audience: Some(audience.to_owned()),
            require_dynamic: true,
            ..PresentationPolicy::default()
        })))
    };
    let dynamic = presentation(&parties, holder.did().as_str(), NOW);
    assert_eq!(
        policy("checkpoint-7").verify_text(&dynamic, NOW).verdict(),
        Verdict::Accept
    );
    assert_eq!(
        refusal(&policy("checkpoint-8").verify_text(&dynamic, NOW)),
        (VerificationStep::HolderBinding, "WRONG_AUDIENCE")
    );
    // An authority's credential alone is a static code: no audience, no slot.
    let only_dynamic =
        verifier(&parties.trust).with_format(Box::new(Cc1::with_policy(PresentationPolicy {
            audience: None,
            require_dynamic: true,
            ..PresentationPolicy::default()
        })));
    assert_eq!(
        refusal(&only_dynamic.verify_text(&authority_code(&parties), NOW)),
        (VerificationStep::ValidityWindow, "INVALID_TIME_SLOT")
    );
}
