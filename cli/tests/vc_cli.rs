//! `crosscode vc sign` / `vc verify` end to end: key → sign (single proof and SM2 + Ed25519
//! proof set) → verify, a tampered credential refused at the Signature step, and one clear
//! error line (no panic) for each kind of bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const PASSPHRASE: &str = "vc cli test passphrase";
const INSIDE_WINDOW: &str = "2026-11-21T12:00:00Z";

fn crosscode(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crosscode"))
        .args(args)
        .env("CROSSCODE_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Non-zero exit, one `error:` line on stderr naming `needle`, no panic.
fn assert_clean_failure(output: &Output, needle: &str) {
    assert!(!output.status.success());
    let err = stderr(output);
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    assert!(!err.contains("panicked"));
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "crosscode-cli-vc-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn example() -> String {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/examples/health-code.json"
    )
    .to_owned()
}

fn new_key(dir: &Path, alg: &str) -> (String, String) {
    let path = dir.join(format!("{alg}.key"));
    let path = path.to_str().unwrap().to_owned();
    let output = crosscode(&["key", "new", "--alg", alg, "--out", &path]);
    assert!(output.status.success(), "{}", stderr(&output));
    let did = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    (path, did)
}

fn write(dir: &Path, name: &str, value: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    path.to_str().unwrap().to_owned()
}

fn verify(path: &str, at: &str) -> (Output, Value) {
    let output = crosscode(&["vc", "verify", path, "--at", at]);
    let report = serde_json::from_slice(&output.stdout).unwrap();
    (output, report)
}

#[test]
fn sign_verify_and_tamper() {
    let dir = temp_dir();
    let (ed_key, ed_did) = new_key(&dir, "ed25519");
    let (sm2_key, sm2_did) = new_key(&dir, "sm2");

    // One Ed25519 proof.
    let output = crosscode(&["vc", "sign", "--key", &ed_key, "--set-issuer", &example()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let signed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(signed["issuer"], Value::from(ed_did.as_str()));
    assert_eq!(signed["proof"]["cryptosuite"], "eddsa-jcs-2022");
    assert_eq!(
        signed["proof"]["verificationMethod"],
        Value::from(format!("{ed_did}#{}", &ed_did["did:key:".len()..]))
    );
    let signed_path = write(&dir, "signed.json", &signed);
    let (output, report) = verify(&signed_path, INSIDE_WINDOW);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(report["verified"], true);

    // SM2 + Ed25519 proof set; the issuer is the first key's DID.
    let output = crosscode(&[
        "vc",
        "sign",
        "--key",
        &sm2_key,
        "--key",
        &ed_key,
        "--set-issuer",
        &example(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let dual: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(dual["issuer"], Value::from(sm2_did.as_str()));
    assert_eq!(dual["proof"][0]["cryptosuite"], "sm2-jcs-2026");
    assert_eq!(dual["proof"][1]["cryptosuite"], "eddsa-jcs-2022");
    let dual_path = write(&dir, "dual.json", &dual);
    let (output, report) = verify(&dual_path, INSIDE_WINDOW);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(report["proofs"][0]["verified"], true);
    assert_eq!(report["proofs"][1]["verified"], true);

    // Signing the signed credential again adds to its proof set.
    let output = crosscode(&["vc", "sign", "--key", &sm2_key, &signed_path]);
    assert!(output.status.success(), "{}", stderr(&output));
    let grown: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(grown["proof"].as_array().unwrap().len(), 2);
    let grown_path = write(&dir, "grown.json", &grown);
    let (output, _) = verify(&grown_path, INSIDE_WINDOW);
    assert!(output.status.success(), "{}", stderr(&output));
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
    let output = Command::new(env!("CARGO_BIN_EXE_crosscode"))
        .args(["vc", "sign", "--key", &ed_key, "--set-issuer", &example()])
        .env("CROSSCODE_PASSPHRASE", "not the passphrase")
        .output()
        .unwrap();
    assert_clean_failure(&output, "cannot open key file");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_gets_one_clear_line() {
    let dir = temp_dir();
    let missing = dir.join("missing.json");
    let output = crosscode(&["vc", "verify", missing.to_str().unwrap()]);
    assert_clean_failure(&output, "cannot read");
    assert_eq!(output.status.code(), Some(2));

    let malformed = dir.join("malformed.json");
    std::fs::write(&malformed, "{\"@context\": [").unwrap();
    let output = crosscode(&["vc", "verify", malformed.to_str().unwrap()]);
    assert_clean_failure(&output, "is not valid JSON");
    let (ed_key, _) = new_key(&dir, "ed25519");
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
