//! The `CC1` envelope, form (b): a Data-Integrity-secured credential / presentation carried
//! losslessly (byte-identical JSON after decoding) and verified with `verify_document`; and form
//! (a) presentations that embed secured credentials.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_core::data_integrity::{Cryptosuite, ProofOptions, VerificationStep, add_proof};
use crosscode_core::did::{DidKey, DidKeyResolver, DidUrl, TrustCache};
use crosscode_core::envelope::{self, EnvelopeError, EnvelopeKind, SecuringForm, compact, payload};
use crosscode_core::jcs;
use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use serde_json::{Value as Json, json};
use time::OffsetDateTime;
use time::macros::datetime;

const AT: OffsetDateTime = datetime!(2026-11-21 08:00 UTC);

struct Party {
    key: SecretKey,
    did: DidKey,
    vm: DidUrl,
}

fn party(algorithm: KeyAlgorithm) -> Party {
    let key = SecretKey::generate(algorithm);
    let did = DidKey::from_public_key(&key.public_key());
    let vm = did.verification_method_id();
    Party { key, did, vm }
}

/// The project's example health code (`docs/examples/health-code.json`), issued by `issuer`
/// to `holder`.
fn health_code(issuer: &Party, holder: &Party) -> Json {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/health-code.json");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let mut credential: Json = serde_json::from_str(&text).unwrap();
    credential["issuer"] = json!(issuer.did.did().as_str());
    credential["credentialSubject"]["id"] = json!(holder.did.did().as_str());
    credential
}

fn options(created: OffsetDateTime) -> ProofOptions {
    ProofOptions {
        created: Some(created),
        ..ProofOptions::default()
    }
}

fn secured(document: &Json, signer: &Party) -> Json {
    add_proof(
        document,
        &signer.key,
        &signer.vm,
        &options(datetime!(2026-11-21 06:00 UTC)),
    )
    .unwrap()
}

fn decode(text: &str) -> Result<envelope::VerifiedEnvelope, EnvelopeError> {
    envelope::decode(text, &DidKeyResolver, AT)
}

fn assert_byte_identical(decoded: &Json, original: &Json) {
    assert_eq!(decoded, original);
    assert_eq!(
        serde_json::to_string(decoded).unwrap(),
        serde_json::to_string(original).unwrap()
    );
    assert_eq!(
        jcs::canonicalize(decoded).unwrap(),
        jcs::canonicalize(original).unwrap()
    );
}

#[test]
fn data_integrity_ed25519_health_code_fits_in_600_characters_and_verifies() {
    let (issuer, holder) = (party(KeyAlgorithm::Ed25519), party(KeyAlgorithm::Ed25519));
    let credential = secured(&health_code(&issuer, &holder), &issuer);
    let text = envelope::encode_data_integrity(&credential).unwrap();
    println!(
        "form (b) eddsa-jcs-2022 health code: {} characters",
        text.len()
    );
    assert!(text.len() <= 600, "{} characters", text.len());

    let verified = decode(&text).unwrap();
    assert_eq!(verified.kind, EnvelopeKind::Credential);
    assert_byte_identical(&verified.document, &credential);
    let SecuringForm::DataIntegrity { report } = &verified.form else {
        panic!("{:?}", verified.form)
    };
    assert!(report.verified);
    assert!(report.verified_with(Cryptosuite::EddsaJcs2022));
}

#[test]
fn data_integrity_sm2_health_code_and_proof_set() {
    let (sm2, ed25519, holder) = (
        party(KeyAlgorithm::Sm2),
        party(KeyAlgorithm::Ed25519),
        party(KeyAlgorithm::Ed25519),
    );
    let credential = secured(&health_code(&sm2, &holder), &sm2);
    let text = envelope::encode_data_integrity(&credential).unwrap();
    println!(
        "form (b) sm2-jcs-2026 health code: {} characters",
        text.len()
    );
    assert!(text.len() <= 600, "{} characters", text.len());
    let verified = decode(&text).unwrap();
    assert_byte_identical(&verified.document, &credential);

    // Proof set: one authority (a registry DID) holding the SM2 and an Ed25519 key; each proof
    // verifies on its own, resolved from the checkpoint's trust cache.
    let authority = "did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB";
    let method = |fragment: &str| DidUrl::parse(&format!("{authority}#{fragment}")).unwrap();
    let mut cache = TrustCache::new();
    cache
        .insert(&method("key-1"), sm2.key.public_key())
        .unwrap();
    cache
        .insert(&method("key-2"), ed25519.key.public_key())
        .unwrap();
    let mut unsigned = health_code(&sm2, &holder);
    unsigned["issuer"] = json!(authority);
    let created = options(datetime!(2026-11-21 06:00 UTC));
    let once = add_proof(&unsigned, &sm2.key, &method("key-1"), &created).unwrap();
    let proof_set = add_proof(&once, &ed25519.key, &method("key-2"), &created).unwrap();
    let text = envelope::encode_data_integrity(&proof_set).unwrap();
    println!(
        "form (b) SM2 + Ed25519 proof set health code: {} characters",
        text.len()
    );
    let verified = envelope::decode(&text, &cache, AT).unwrap();
    assert_byte_identical(&verified.document, &proof_set);
    let SecuringForm::DataIntegrity { report } = &verified.form else {
        panic!()
    };
    assert!(
        report.verified_with(Cryptosuite::Sm2Jcs2026)
            && report.verified_with(Cryptosuite::EddsaJcs2022)
    );
    // A second did:key co-signing the did:key issuer's credential is not the issuer: refused.
    let co_signed = secured(&credential, &ed25519);
    let text = envelope::encode_data_integrity(&co_signed).unwrap();
    let error = decode(&text).unwrap_err();
    assert!(
        matches!(
            &error,
            EnvelopeError::DataIntegrity { embedded: None, failure }
                if failure.step == VerificationStep::IssuerBinding
        ),
        "{error:?}"
    );
}

#[test]
fn signed_form_of_the_example_health_code() {
    for algorithm in [KeyAlgorithm::Ed25519, KeyAlgorithm::Sm2] {
        let (issuer, holder) = (party(algorithm), party(KeyAlgorithm::Ed25519));
        let credential = health_code(&issuer, &holder);
        let text = envelope::encode_signed(&credential, &issuer.key, &issuer.vm).unwrap();
        println!(
            "form (a) {algorithm} example health code: {} characters",
            text.len()
        );
        assert!(text.len() <= 600, "{} characters", text.len());
        assert_byte_identical(&decode(&text).unwrap().document, &credential);
    }
}

#[cfg(feature = "qr-image")]
#[test]
fn data_integrity_png_round_trip() {
    let (issuer, holder) = (party(KeyAlgorithm::Ed25519), party(KeyAlgorithm::Ed25519));
    let credential = secured(&health_code(&issuer, &holder), &issuer);
    let text = envelope::encode_data_integrity(&credential).unwrap();
    let read = envelope::qr_image::read_qr_text(&envelope::qr::render_png(&text).unwrap()).unwrap();
    assert_eq!(read, text);
    assert_byte_identical(&decode(&read).unwrap().document, &credential);
}

/// Re-encodes the compact document of a form (b) payload after `edit`.
fn tamper(text: &str, edit: impl FnOnce(&mut Json)) -> String {
    let Ok(envelope::ParsedEnvelope {
        kind,
        body: envelope::EnvelopeBody::DataIntegrity(mut document),
        ..
    }) = envelope::parse(text)
    else {
        panic!("not a form (b) payload")
    };
    edit(&mut document);
    let item = ciborium::Value::Array(vec![
        ciborium::Value::Integer(kind.code().into()),
        compact::to_compact(&document).unwrap(),
    ]);
    let mut bytes = Vec::new();
    ciborium::into_writer(&item, &mut bytes).unwrap();
    payload::to_text(&bytes).unwrap()
}

#[test]
fn tampered_data_integrity_payload_names_the_failing_step() {
    let (issuer, holder) = (party(KeyAlgorithm::Ed25519), party(KeyAlgorithm::Ed25519));
    let credential = secured(&health_code(&issuer, &holder), &issuer);
    let text = envelope::encode_data_integrity(&credential).unwrap();

    let red = tamper(&text, |document| {
        document["credentialSubject"]["statusColour"] = json!("red")
    });
    let err = decode(&red).unwrap_err();
    // The wrapper reports the inner step: the carried document's signature.
    assert_eq!(err.step(), Some(VerificationStep::Signature));
    assert!(
        matches!(&err, EnvelopeError::DataIntegrity { embedded: None, failure } if failure.step == VerificationStep::Signature),
        "{err:?}"
    );
    assert!(err.to_string().contains("Signature"), "{err}");

    let expired =
        envelope::decode(&text, &DidKeyResolver, datetime!(2028-01-01 00:00 UTC)).unwrap_err();
    assert!(
        matches!(&expired, EnvelopeError::DataIntegrity { failure, .. } if failure.step == VerificationStep::ValidityWindow)
    );
    assert_eq!(expired.step(), Some(VerificationStep::ValidityWindow));

    let unproven = tamper(&text, |document| {
        document.as_object_mut().unwrap().remove("proof");
    });
    let err = decode(&unproven).unwrap_err();
    assert!(
        matches!(&err, EnvelopeError::DataIntegrity { failure, .. } if failure.step == VerificationStep::ProofSuite)
    );

    let presentation = tamper(&text, |document| {
        document["type"] = json!(["VerifiablePresentation"])
    });
    assert!(matches!(
        decode(&presentation).unwrap_err(),
        EnvelopeError::KindMismatch {
            envelope: EnvelopeKind::Credential,
            document: EnvelopeKind::Presentation
        }
    ));
}

fn presentation(holder: &Party, credential: &Json) -> Json {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder.did.did().as_str(),
        "verifiableCredential": [credential]
    })
}

#[test]
fn presentations_in_both_forms() {
    let (issuer, holder) = (party(KeyAlgorithm::Sm2), party(KeyAlgorithm::Ed25519));
    let credential = secured(&health_code(&issuer, &holder), &issuer);
    let unsigned = presentation(&holder, &credential);

    // Form (b): the holder's Data Integrity proof over the presentation.
    let options = ProofOptions {
        created: Some(datetime!(2026-11-21 07:59 UTC)),
        proof_purpose: "authentication".to_owned(),
        ..ProofOptions::default()
    };
    let secured_presentation = add_proof(&unsigned, &holder.key, &holder.vm, &options).unwrap();
    let text = envelope::encode_data_integrity(&secured_presentation).unwrap();
    println!(
        "form (b) presentation with an SM2 health code: {} characters",
        text.len()
    );
    let verified = decode(&text).unwrap();
    assert_eq!(verified.kind, EnvelopeKind::Presentation);
    assert_byte_identical(&verified.document, &secured_presentation);

    // Form (a): the holder's COSE signature; the embedded credential keeps its own proof.
    let text = envelope::encode_signed(&unsigned, &holder.key, &holder.vm).unwrap();
    println!(
        "form (a) presentation with an SM2 health code: {} characters",
        text.len()
    );
    let verified = decode(&text).unwrap();
    assert_eq!(verified.kind, EnvelopeKind::Presentation);
    assert_byte_identical(&verified.document, &unsigned);

    // An embedded credential that does not verify is refused, with its index.
    let mut forged = credential.clone();
    forged["credentialSubject"]["statusColour"] = json!("green-forged");
    let text =
        envelope::encode_signed(&presentation(&holder, &forged), &holder.key, &holder.vm).unwrap();
    let err = decode(&text).unwrap_err();
    assert!(
        matches!(&err, EnvelopeError::DataIntegrity { embedded: Some(0), failure } if failure.step == VerificationStep::Signature),
        "{err:?}"
    );
    let mut forged_secured = add_proof(
        &presentation(&holder, &forged),
        &holder.key,
        &holder.vm,
        &options,
    )
    .unwrap();
    let text = envelope::encode_data_integrity(&forged_secured).unwrap();
    assert!(matches!(
        decode(&text).unwrap_err(),
        EnvelopeError::DataIntegrity {
            embedded: Some(0),
            ..
        }
    ));
    forged_secured["holder"] = json!(issuer.did.did().as_str());
    let text = envelope::encode_data_integrity(&forged_secured).unwrap();
    assert!(matches!(
        decode(&text).unwrap_err(),
        EnvelopeError::DataIntegrity { embedded: None, .. }
    ));
}

#[test]
fn anchor_receipts_travel_beside_the_document_in_both_forms_and_old_codes_carry_none() {
    use crosscode_core::anchor::AnchorReceipt;
    let (issuer, holder) = (party(KeyAlgorithm::Ed25519), party(KeyAlgorithm::Ed25519));
    let credential = secured(&health_code(&issuer, &holder), &issuer);
    let receipt = AnchorReceipt {
        credential_hash: "ab".repeat(32),
        chain_id: "crosscode-dev".into(),
        merkle_root: "cd".repeat(32),
        index: 0,
        size: 1,
        path: Vec::new(),
        height: 7,
        transaction: "ef".repeat(32),
    };

    let plain = envelope::encode_data_integrity(&credential).unwrap();
    assert!(decode(&plain).unwrap().anchors.is_empty());
    let anchored =
        envelope::encode_data_integrity_with_anchors(&credential, &[Some(&receipt)]).unwrap();
    println!(
        "form (b) health code: {} characters, {} with a one-leaf anchor receipt",
        plain.len(),
        anchored.len()
    );
    let verified = decode(&anchored).unwrap();
    assert_eq!(verified.anchors, vec![Some(receipt.clone())]);
    assert_byte_identical(&verified.document, &credential);

    let unsigned = presentation(&holder, &credential);
    let text =
        envelope::encode_signed_with_anchors(&unsigned, &holder.key, &holder.vm, &[Some(&receipt)])
            .unwrap();
    assert_eq!(decode(&text).unwrap().anchors, vec![Some(receipt)]);

    // A fourth item is not an envelope this version knows.
    let bytes = payload::from_text(&anchored).unwrap();
    let ciborium::Value::Array(mut items) = ciborium::from_reader(&bytes[..]).unwrap() else {
        panic!("not an array")
    };
    items.push(ciborium::Value::Null);
    let mut extended = Vec::new();
    ciborium::into_writer(&ciborium::Value::Array(items), &mut extended).unwrap();
    assert!(matches!(
        decode(&payload::to_text(&extended).unwrap()),
        Err(EnvelopeError::Structure(_))
    ));
}
