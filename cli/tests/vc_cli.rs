//! `crosscode vc sign` / `vc verify` end to end: key → sign (single proof and SM2 + Ed25519
//! proof set) → verify, a tampered credential refused at the Signature step, and one clear
//! error line (no panic) for each kind of bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::process::Output;

use common::{assert_clean_failure, assert_success, json_of, new_key, stderr, temp_dir, write};
use serde_json::Value;

const PASSPHRASE: &str = "vc cli test passphrase";
const INSIDE_WINDOW: &str = "2026-11-21T12:00:00Z";

fn crosscode(args: &[&str]) -> Output {
    common::crosscode(args, Some(PASSPHRASE))
}

fn example() -> String {
    common::example("health-code.json")
}

fn verify(path: &str, at: &str) -> (Output, Value) {
    let output = crosscode(&["vc", "verify", path, "--at", at]);
    let report = serde_json::from_slice(&output.stdout).unwrap();
    (output, report)
}

#[test]
fn sign_verify_and_tamper() {
    let dir = temp_dir("vc");
    let (ed_key, ed_did) = new_key(&dir, "ed25519.key", "ed25519", PASSPHRASE);
    let (sm2_key, sm2_did) = new_key(&dir, "sm2.key", "sm2", PASSPHRASE);

    // One Ed25519 proof.
    let signed = json_of(&crosscode(&[
        "vc",
        "sign",
        "--key",
        &ed_key,
        "--set-issuer",
        &example(),
    ]));
    assert_eq!(signed["issuer"], Value::from(ed_did.as_str()));
    assert_eq!(signed["proof"]["cryptosuite"], "eddsa-jcs-2022");
    assert_eq!(
        signed["proof"]["verificationMethod"],
        Value::from(format!("{ed_did}#{}", &ed_did["did:key:".len()..]))
    );
    let signed_path = write(&dir, "signed.json", &signed);
    let (output, report) = verify(&signed_path, INSIDE_WINDOW);
    assert_success(&output);
    assert_eq!(report["verified"], true);

    // SM2 + Ed25519 proof set; the issuer is the first key's DID.
    let dual = json_of(&crosscode(&[
        "vc",
        "sign",
        "--key",
        &sm2_key,
        "--key",
        &ed_key,
        "--set-issuer",
        &example(),
    ]));
    assert_eq!(dual["issuer"], Value::from(sm2_did.as_str()));
    assert_eq!(dual["proof"][0]["cryptosuite"], "sm2-jcs-2026");
    assert_eq!(dual["proof"][1]["cryptosuite"], "eddsa-jcs-2022");
    let dual_path = write(&dir, "dual.json", &dual);
    let (output, report) = verify(&dual_path, INSIDE_WINDOW);
    assert_success(&output);
    assert_eq!(report["proofs"][0]["verified"], true);
    assert_eq!(report["proofs"][1]["verified"], true);

    // Signing the signed credential again adds to its proof set.
    let grown = json_of(&crosscode(&["vc", "sign", "--key", &sm2_key, &signed_path]));
    assert_eq!(grown["proof"].as_array().unwrap().len(), 2);
    let grown_path = write(&dir, "grown.json", &grown);
    let (output, _) = verify(&grown_path, INSIDE_WINDOW);
    assert_success(&output);
    let output = crosscode(&[
        "vc",
        "sign",
        "--key",
        &sm2_key,
        "--set-issuer",
        &signed_path,
    ]);
    assert_clean_failure(&output, "already carries a proof");

    // Tampered: exit 1, the report and the error line name the Signature step.
    let mut tampered = signed.clone();
    tampered["credentialSubject"]["statusColour"] = Value::from("red");
    let tampered_path = write(&dir, "tampered.json", &tampered);
    let (output, report) = verify(&tampered_path, INSIDE_WINDOW);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(report["verified"], false);
    assert_eq!(report["failure"]["step"], "Signature");
    assert_clean_failure(&output, "Signature step failed");

    // Outside the validity window.
    let (output, report) = verify(&signed_path, "2030-01-01T00:00:00Z");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(report["failure"]["step"], "ValidityWindow");

    // An explicit suite that does not fit the key.
    let output = crosscode(&[
        "vc",
        "sign",
        "--key",
        &ed_key,
        "--suite",
        "sm2-jcs-2026",
        "--set-issuer",
        &example(),
    ]);
    assert_clean_failure(&output, "cannot make a sm2-jcs-2026 proof");

    // The issuer must be one of the keys.
    let output = crosscode(&["vc", "sign", "--key", &ed_key, &example()]);
    assert_clean_failure(&output, "--set-issuer");

    // Wrong key file: a credential given as --key; a wrong passphrase.
    let output = crosscode(&["vc", "sign", "--key", &example(), &example()]);
    assert_clean_failure(&output, "is not a key file");
    let output = common::crosscode(
        &["vc", "sign", "--key", &ed_key, "--set-issuer", &example()],
        Some("not the passphrase"),
    );
    assert_clean_failure(&output, "cannot open key file");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_gets_one_clear_line() {
    let dir = temp_dir("vc");
    let missing = dir.join("missing.json");
    let output = crosscode(&["vc", "verify", missing.to_str().unwrap()]);
    assert_clean_failure(&output, "cannot read");
    assert_eq!(output.status.code(), Some(2));

    let malformed = dir.join("malformed.json");
    std::fs::write(&malformed, "{\"@context\": [").unwrap();
    let output = crosscode(&["vc", "verify", malformed.to_str().unwrap()]);
    assert_clean_failure(&output, "is not valid JSON");
    let (ed_key, _) = new_key(&dir, "ed25519.key", "ed25519", PASSPHRASE);
    let output = crosscode(&["vc", "sign", "--key", &ed_key, malformed.to_str().unwrap()]);
    assert_clean_failure(&output, "is not valid JSON");

    // Valid JSON that is not a credential.
    let not_vc = dir.join("not-vc.json");
    std::fs::write(&not_vc, "{\"hello\": \"world\"}").unwrap();
    let output = crosscode(&["vc", "sign", "--key", &ed_key, not_vc.to_str().unwrap()]);
    assert_clean_failure(&output, "is not a valid VC 2.0 credential");
    let output = crosscode(&["vc", "verify", not_vc.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert_clean_failure(&output, "Context step failed");

    // An unsigned credential has no proof.
    let output = crosscode(&["vc", "verify", &example()]);
    assert_clean_failure(&output, "ProofSuite step failed");

    // A bad --at.
    let output = crosscode(&["vc", "verify", &example(), "--at", "tomorrow"]);
    assert!(!output.status.success());
    assert!(!stderr(&output).contains("panicked"));
    std::fs::remove_dir_all(&dir).unwrap();
}
