//! The worked example of `docs/qr-envelope.md`: fixed Ed25519 keys make both forms
//! deterministic, so the payloads printed in the document are interop vectors. This test
//! rebuilds them byte for byte and decodes + verifies the text found in the document.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_core::data_integrity::{ProofOptions, add_proof};
use crosscode_core::did::{DidKey, DidKeyResolver};
use crosscode_core::envelope::{self, SecuringForm, qr};
use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use serde_json::{Value as Json, json};
use time::macros::datetime;

fn doc_text() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/qr-envelope.md");
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The payload printed in the document after the marker line `<!-- {marker} -->`.
fn documented_payload(doc: &str, marker: &str) -> String {
    let start = doc
        .find(&format!("<!-- {marker} -->"))
        .unwrap_or_else(|| panic!("marker {marker} missing"));
    doc[start..]
        .lines()
        .find(|line| line.starts_with("CC1:"))
        .unwrap_or_else(|| panic!("no CC1: line after {marker}"))
        .trim()
        .to_owned()
}

fn example() -> (SecretKey, DidKey, Json) {
    let issuer_key = SecretKey::from_bytes(KeyAlgorithm::Ed25519, &[0x11; 32]).unwrap();
    let issuer = DidKey::from_public_key(&issuer_key.public_key());
    let holder_key = SecretKey::from_bytes(KeyAlgorithm::Ed25519, &[0x22; 32]).unwrap();
    let holder = DidKey::from_public_key(&holder_key.public_key());
    let credential = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://crosscode.example/ns/health-code/v1"],
        "id": "urn:uuid:3f8b2c1e-7d4a-4e59-9b06-1c2d3e4f5a6b",
        "type": ["VerifiableCredential", "HealthCodeCredential"],
        "issuer": issuer.did().as_str(),
        "validFrom": "2026-11-21T00:00:00Z",
        "validUntil": "2027-11-21T00:00:00Z",
        "credentialSubject": {
            "id": holder.did().as_str(),
            "type": "HealthCode",
            "jurisdiction": "CN-GD",
            "statusColour": "green",
            "statusDate": "2026-11-21"
        },
        "credentialSchema": {"id": "https://crosscode.example/schemas/health-code/v1.json", "type": "JsonSchema"},
        "credentialStatus": {
            "id": "https://crosscode.example/status/cn-gd/1#48213",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "48213",
            "statusListCredential": "https://crosscode.example/status/cn-gd/1"
        }
    });
    (issuer_key, issuer, credential)
}

#[test]
fn documented_example_payloads_are_reproduced_and_verify() {
    let (key, issuer, credential) = example();
    let vm = issuer.verification_method_id();
    let signed = envelope::encode_signed(&credential, &key, &vm).unwrap();
    let options = ProofOptions {
        created: Some(datetime!(2026-11-21 06:00 UTC)),
        ..ProofOptions::default()
    };
    let secured = add_proof(&credential, &key, &vm, &options).unwrap();
    let carried = envelope::encode_data_integrity(&secured).unwrap();
    println!(
        "issuer {}\nform (a) {} chars:\n{signed}\nform (b) {} chars:\n{carried}",
        issuer.did(),
        signed.len(),
        carried.len()
    );

    let doc = doc_text();
    let documented_signed = documented_payload(&doc, "example-form-a");
    let documented_carried = documented_payload(&doc, "example-form-b");
    assert_eq!(
        documented_signed, signed,
        "form (a) example in docs/qr-envelope.md is stale"
    );
    assert_eq!(
        documented_carried, carried,
        "form (b) example in docs/qr-envelope.md is stale"
    );
    assert!(doc.contains(&format!("{} characters", signed.len())));
    assert!(doc.contains(&format!("{} characters", carried.len())));

    for payload in [&signed, &carried] {
        let code = qr::qr_code(payload).unwrap();
        assert_eq!(
            code.version(),
            qr::Version::Normal(18),
            "the document says version 18"
        );
        assert_eq!(code.width(), 89);
    }

    let at = datetime!(2026-11-21 08:00 UTC);
    let verified = envelope::decode(&documented_signed, &DidKeyResolver, at).unwrap();
    assert_eq!(verified.document, credential);
    assert!(matches!(verified.form, SecuringForm::CoseSign1 { .. }));
    let verified = envelope::decode(&documented_carried, &DidKeyResolver, at).unwrap();
    assert_eq!(verified.document, secured);
    assert!(matches!(verified.form, SecuringForm::DataIntegrity { .. }));
}

#[test]
fn documented_dictionary_matches_the_code() {
    let doc = doc_text();
    let documented: Vec<(usize, String)> = doc
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("| ")?;
            let (index, term) = rest.split_once(" | `")?;
            let index: usize = index.parse().ok()?;
            Some((index, term.strip_suffix("` |")?.to_owned()))
        })
        .collect();
    let expected: Vec<(usize, String)> = envelope::dictionary::TERMS
        .iter()
        .enumerate()
        .map(|(index, term)| (index, (*term).to_owned()))
        .collect();
    assert_eq!(
        documented, expected,
        "docs/qr-envelope.md §2.1 is out of date"
    );
}
