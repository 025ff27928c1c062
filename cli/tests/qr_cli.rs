//! `crosscode qr` end to end: key new → qr encode (--key, or a Data-Integrity-secured file) →
//! PNG / SVG → qr decode (image and --text) → verified credential; and one clear error line
//! naming the failing step for tampered or unusable input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::process::Output;

use common::{assert_clean_failure, assert_success, new_key, stderr, stdout, write};
use crosscode_core::data_integrity::{ProofOptions, add_proof};
use crosscode_core::did::DidKey;
use crosscode_core::keys::KeyFile;
use crosscode_testing::temp_dir;
use serde_json::{Value as Json, json};

const PASSPHRASE: &str = "qr test pass phrase";
const AT: &str = "2026-11-21T08:00:00Z";

fn crosscode(args: &[&str]) -> Output {
    common::crosscode(args, Some(PASSPHRASE))
}

fn health_code(issuer: &str, holder: &str) -> Json {
    let path = common::example("health-code.json");
    let mut credential: Json =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    credential["issuer"] = json!(issuer);
    credential["credentialSubject"]["id"] = json!(holder);
    credential
}

#[test]
fn signed_form_png_round_trip_and_tampering() {
    let dir = temp_dir("qr");
    let (issuer_key, issuer) = new_key(&dir, "issuer.key", "ed25519", PASSPHRASE);
    let (holder_key, holder) = new_key(&dir, "holder.key", "sm2", PASSPHRASE);
    let credential = health_code(&issuer, &holder);
    let credential_path = write(&dir, "health-code.json", &credential);
    let png = dir.join("code.png");
    let svg = dir.join("code.svg");

    let encoded = crosscode(&[
        "qr",
        "encode",
        &credential_path,
        "--key",
        &issuer_key,
        "--png",
        png.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
        "--terminal",
    ]);
    assert_success(&encoded);
    let out = stdout(&encoded);
    let payload = out.lines().next().unwrap().to_owned();
    assert!(
        payload.starts_with("CC1:") && payload.len() <= 600,
        "{payload}"
    );
    assert!(
        out.contains('▀') || out.contains('▄'),
        "terminal QR missing"
    );
    assert!(stderr(&encoded).contains("COSE_Sign1 (ed25519)"));
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));

    let decoded = crosscode(&["qr", "decode", png.to_str().unwrap(), "--at", AT]);
    assert_success(&decoded);
    let document: Json = serde_json::from_str(&stdout(&decoded)).unwrap();
    assert_eq!(document, credential);
    assert!(stderr(&decoded).contains("verified credential"));

    // The holder's key cannot issue the issuer's credential.
    let wrong = crosscode(&["qr", "encode", &credential_path, "--key", &holder_key]);
    assert_clean_failure(&wrong, "is not the document's issuer");

    // Tampering with the text: some step refuses it, named in one line.
    let mut chars: Vec<char> = payload.chars().collect();
    let middle = chars.len() / 2;
    chars[middle] = if chars[middle] == 'A' { 'B' } else { 'A' };
    let tampered: String = chars.into_iter().collect();
    let refused = crosscode(&["qr", "decode", "--text", &tampered, "--at", AT]);
    assert_clean_failure(&refused, "QR code refused at step");

    let expired = crosscode(&[
        "qr",
        "decode",
        "--text",
        &payload,
        "--at",
        "2030-01-01T00:00:00Z",
    ]);
    assert_clean_failure(&expired, "QR code refused at step ValidityWindow");
}

#[test]
fn data_integrity_form_round_trip_and_tampered_credential() {
    let dir = temp_dir("qr");
    let (issuer_key, issuer) = new_key(&dir, "issuer.key", "sm2", PASSPHRASE);
    let holder = DidKey::from_public_key(
        &crosscode_core::keys::SecretKey::generate(crosscode_core::keys::KeyAlgorithm::Ed25519)
            .public_key(),
    );
    let secret = KeyFile::read(&issuer_key)
        .unwrap()
        .open(PASSPHRASE.as_bytes())
        .unwrap();
    let vm = DidKey::from_public_key(&secret.public_key()).verification_method_id();
    let options = ProofOptions {
        created: Some(time::macros::datetime!(2026-11-21 06:00 UTC)),
        ..ProofOptions::default()
    };
    let secured = add_proof(
        &health_code(&issuer, holder.did().as_str()),
        &secret,
        &vm,
        &options,
    )
    .unwrap();
    let secured_path = write(&dir, "secured.json", &secured);
    let png = dir.join("code.png");

    let encoded = crosscode(&[
        "qr",
        "encode",
        &secured_path,
        "--png",
        png.to_str().unwrap(),
    ]);
    assert_success(&encoded);
    assert!(stderr(&encoded).contains("Data Integrity carriage"));
    let decoded = crosscode(&["qr", "decode", png.to_str().unwrap(), "--at", AT]);
    assert_success(&decoded);
    let document: Json = serde_json::from_str(&stdout(&decoded)).unwrap();
    assert_eq!(document, secured);
    assert!(stderr(&decoded).contains("sm2-jcs-2026"));

    // A tampered secured credential encodes, but is refused at decode with the step named.
    let mut tampered = secured.clone();
    tampered["credentialSubject"]["statusColour"] = json!("red");
    let tampered_path = write(&dir, "tampered.json", &tampered);
    let encoded = crosscode(&["qr", "encode", &tampered_path]);
    assert_success(&encoded);
    let payload = stdout(&encoded).trim().to_owned();
    let refused = crosscode(&["qr", "decode", "--text", &payload, "--at", AT]);
    // The Data Integrity failure of the carried document names its inner step.
    assert_clean_failure(&refused, "QR code refused at step Signature");

    // Without a proof and without --key there is nothing to carry.
    let unsigned_path = write(
        &dir,
        "unsigned.json",
        &health_code(&issuer, holder.did().as_str()),
    );
    assert_clean_failure(&crosscode(&["qr", "encode", &unsigned_path]), "no proof");
}

#[test]
fn unusable_input_gets_one_clear_line() {
    let dir = temp_dir("qr");
    assert_clean_failure(
        &crosscode(&["qr", "encode", "/nonexistent/credential.json"]),
        "cannot read",
    );
    let bad_json = dir.join("bad.json");
    std::fs::write(&bad_json, "{not json").unwrap();
    assert_clean_failure(
        &crosscode(&["qr", "encode", bad_json.to_str().unwrap()]),
        "not valid JSON",
    );
    assert_clean_failure(
        &crosscode(&["qr", "decode", bad_json.to_str().unwrap()]),
        "no readable QR code",
    );
    assert_clean_failure(
        &crosscode(&["qr", "decode", "--text", "HC1:6BFOXN"]),
        "QR code refused at step Prefix",
    );
    assert_clean_failure(
        &crosscode(&["qr", "decode", "--text", "CC1:!!"]),
        "QR code refused at step Decode",
    );
    let help = crosscode(&["qr", "encode", "--help"]);
    assert_success(&help);
    assert!(stdout(&help).contains("COSE_Sign1"));
}
