//! `crosscode vc sign` / `vc verify` end to end: key → sign (single proof and an authority's SM2 +
//! Ed25519 proof set) → verify, a credential under an authority's name signed by another key
//! refused at IssuerBinding by `vc verify` and `qr decode`, a tampered credential refused at the Signature step, and one clear
//! error line (no panic) for each kind of bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::process::Output;

use common::{assert_clean_failure, assert_success, json_of, new_key, stderr, write};
use crosscode_testing::temp_dir;
use serde_json::Value;

const PASSPHRASE: &str = "vc cli test passphrase";
const INSIDE_WINDOW: &str = "2026-11-21T12:00:00Z";
/// An authority's registry DID (docs/did-method.md).
const AUTHORITY: &str = "did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB";

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
    let (sm2_key, _) = new_key(&dir, "sm2.key", "sm2", PASSPHRASE);

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

    // SM2 + Ed25519 proof set: one authority (a registry DID) holding both keys.
    let dual = json_of(&crosscode(&[
        "vc",
        "sign",
        "--key",
        &sm2_key,
        "--key",
        &ed_key,
        "--issuer",
        AUTHORITY,
        "--verification-method",
        &format!("{AUTHORITY}#key-2"),
        "--verification-method",
        &format!("{AUTHORITY}#key-1"),
        &example(),
    ]));
    assert_eq!(dual["issuer"], Value::from(AUTHORITY));
    assert_eq!(dual["proof"][0]["cryptosuite"], "sm2-jcs-2026");
    assert_eq!(dual["proof"][1]["cryptosuite"], "eddsa-jcs-2022");
    let dual_path = write(&dir, "dual.json", &dual);
    let cache = dir.join("cache.json");
    for (key, fragment) in [(&sm2_key, "key-2"), (&ed_key, "key-1")] {
        assert_success(&crosscode(&[
            "key",
            "trust-entry",
            key,
            "--verification-method",
            &format!("{AUTHORITY}#{fragment}"),
            "--merge-into",
            cache.to_str().unwrap(),
        ]));
    }
    let output = crosscode(&[
        "vc",
        "verify",
        &dual_path,
        "--at",
        INSIDE_WINDOW,
        "--trust-cache",
        cache.to_str().unwrap(),
    ]);
    assert_success(&output);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["proofs"][0]["verified"], true);
    assert_eq!(report["proofs"][1]["verified"], true);
    // Without the authority's keys the proofs cannot be bound to it.
    let (output, _) = verify(&dual_path, INSIDE_WINDOW);
    assert_eq!(output.status.code(), Some(1));

    // The old form (each key its own did:key) cannot make a proof set that verifies: refused.
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
    assert_clean_failure(&output, "needs one issuer holding them all");
    let output = crosscode(&[
        "vc",
        "sign",
        "--key",
        &sm2_key,
        "--issuer",
        AUTHORITY,
        "--verification-method",
        &format!("{AUTHORITY}#key-2"),
        "--verification-method",
        &format!("{AUTHORITY}#key-1"),
        &example(),
    ]);
    assert_clean_failure(&output, "give one per key");

    // Signing the signed credential again adds to its proof set, with the issuer's key only.
    let grown = json_of(&crosscode(&["vc", "sign", "--key", &ed_key, &signed_path]));
    assert_eq!(grown["proof"].as_array().unwrap().len(), 2);
    let grown_path = write(&dir, "grown.json", &grown);
    let (output, _) = verify(&grown_path, INSIDE_WINDOW);
    assert_success(&output);
    let output = crosscode(&["vc", "sign", "--key", &sm2_key, &signed_path]);
    assert_clean_failure(&output, "is not a method of the credential's issuer");
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
fn a_credential_under_an_authoritys_name_signed_by_another_key_is_refused_with_the_step_named() {
    use crosscode_core::data_integrity::{ProofOptions, add_proof};
    use crosscode_core::did::DidKey;
    use crosscode_core::keys::{KeyAlgorithm, SecretKey};

    let dir = temp_dir("vc-forged");
    let (authority_key, _) = new_key(&dir, "authority.key", "ed25519", PASSPHRASE);
    let cache = dir.join("cache.json");
    assert_success(&crosscode(&[
        "key",
        "trust-entry",
        &authority_key,
        "--verification-method",
        &format!("{AUTHORITY}#key-1"),
        "--merge-into",
        cache.to_str().unwrap(),
    ]));
    // The forger names the authority as issuer and signs with its own did:key.
    let forger = SecretKey::generate(KeyAlgorithm::Ed25519);
    let mut credential: Value =
        serde_json::from_str(&std::fs::read_to_string(example()).unwrap()).unwrap();
    credential["issuer"] = Value::from(AUTHORITY);
    let forged = add_proof(
        &credential,
        &forger,
        &DidKey::from_public_key(&forger.public_key()).verification_method_id(),
        &ProofOptions::default(),
    )
    .unwrap();
    let forged_path = write(&dir, "forged.json", &forged);
    let output = crosscode(&[
        "vc",
        "verify",
        &forged_path,
        "--at",
        INSIDE_WINDOW,
        "--trust-cache",
        cache.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["failure"]["step"], "IssuerBinding");
    assert_eq!(report["proofs"][0]["controllerIsIssuer"], false);
    assert_clean_failure(&output, "IssuerBinding step failed");

    // The same forgery in a QR code.
    let encoded = crosscode(&["qr", "encode", &forged_path]);
    assert_success(&encoded);
    let payload = common::stdout(&encoded).trim().to_owned();
    let output = crosscode(&[
        "qr",
        "decode",
        "--text",
        &payload,
        "--at",
        INSIDE_WINDOW,
        "--trust-cache",
        cache.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_clean_failure(&output, "QR code refused at step IssuerBinding");

    // The authority's own proof verifies; a wrong challenge is refused at Challenge.
    let signed = json_of(&crosscode(&[
        "vc",
        "sign",
        "--key",
        &authority_key,
        "--issuer",
        AUTHORITY,
        "--verification-method",
        &format!("{AUTHORITY}#key-1"),
        &example(),
    ]));
    let signed_path = write(&dir, "signed.json", &signed);
    let trusted = [
        "--at",
        INSIDE_WINDOW,
        "--trust-cache",
        cache.to_str().unwrap(),
    ];
    let mut args = vec!["vc", "verify", signed_path.as_str()];
    args.extend(trusted);
    assert_success(&crosscode(&args));
    args.extend(["--challenge", "n-1"]);
    let output = crosscode(&args);
    assert_eq!(output.status.code(), Some(1));
    assert_clean_failure(&output, "Challenge step failed");
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
