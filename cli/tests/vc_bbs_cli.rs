//! `crosscode vc sign --suite bbs-jcs-2026` → `vc derive` → `vc verify [--nonce]` end to end
//! with the personal health code: hidden claims absent, tampering / wrong nonce refused, one
//! clear error line for bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::path::Path;
use std::process::Output;

use common::{REVEAL_STATUS, assert_clean_failure, json_of, new_key, write};
use crosscode_testing::temp_dir;
use serde_json::{Value, json};

const PASSPHRASE: &str = "vc bbs cli test passphrase";
const INSIDE_WINDOW: &str = "2026-11-22T12:00:00Z";

fn crosscode(args: &[&str]) -> Output {
    common::crosscode(args, Some(PASSPHRASE))
}

/// The personal health code with `holder` as subject, signed with a fresh BLS key.
fn issued(dir: &Path, holder_did: &str) -> String {
    let (bls, _) = new_key(dir, "bls12381g2.key", "bls12381g2", PASSPHRASE);
    let path = common::example("health-code-personal.json");
    let mut credential: Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    credential["credentialSubject"]["id"] = json!(holder_did);
    let unsigned = write(dir, "unsigned.json", &credential);
    let signed = json_of(&crosscode(&[
        "vc",
        "sign",
        "--suite",
        "bbs-jcs-2026",
        "--key",
        &bls,
        "--set-issuer",
        "--created",
        "2026-11-21T08:00:00Z",
        &unsigned,
    ]));
    assert_eq!(signed["proof"]["cryptosuite"], "bbs-jcs-2026");
    write(dir, "signed.json", &signed)
}

#[test]
fn sign_derive_verify_with_nonce() {
    let dir = temp_dir("vc-bbs");
    let (_, holder_did) = new_key(&dir, "ed25519.key", "ed25519", PASSPHRASE);
    let signed = issued(&dir, &holder_did);
    let report = json_of(&crosscode(&[
        "vc",
        "verify",
        &signed,
        "--at",
        INSIDE_WINDOW,
    ]));
    assert_eq!(report["verified"], true);

    let mut args = vec!["vc", "derive", signed.as_str(), "--nonce", "n-5c2e9a"];
    args.extend(REVEAL_STATUS);
    let derived = json_of(&crosscode(&args));
    let text = derived.to_string();
    for hidden in [
        "CHAN Tai Man",
        "1985-04-12",
        "MA1234567",
        holder_did.as_str(),
    ] {
        assert!(!text.contains(hidden), "{hidden} disclosed");
    }
    assert_eq!(derived["credentialSubject"]["statusColour"], "green");
    let derived_path = write(&dir, "derived.json", &derived);

    let output = crosscode(&[
        "vc",
        "verify",
        &derived_path,
        "--at",
        INSIDE_WINDOW,
        "--nonce",
        "n-5c2e9a",
    ]);
    assert_eq!(json_of(&output)["verified"], true);
    // Without --nonce the proof still verifies (the challenge it carries is bound).
    let output = crosscode(&["vc", "verify", &derived_path, "--at", INSIDE_WINDOW]);
    assert_eq!(json_of(&output)["verified"], true);

    // Another verifier's nonce.
    let output = crosscode(&[
        "vc",
        "verify",
        &derived_path,
        "--at",
        INSIDE_WINDOW,
        "--nonce",
        "n-other",
    ]);
    // A replayed presentation is "not valid" (exit 1) with a JSON report naming the step,
    // not "unusable input" (exit 2).
    assert_clean_failure(&output, "challenge is not the expected nonce");
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["verified"], false);
    assert_eq!(report["failure"]["step"], "Challenge");

    // A tampered disclosed value.
    let mut tampered = derived.clone();
    tampered["credentialSubject"]["statusColour"] = json!("red");
    let tampered_path = write(&dir, "tampered.json", &tampered);
    let output = crosscode(&["vc", "verify", &tampered_path, "--at", INSIDE_WINDOW]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["verified"], false);
    assert_eq!(report["failure"]["step"], "Signature");
}

#[test]
fn derive_with_holder_key() {
    let dir = temp_dir("vc-bbs");
    let (holder_key, holder_did) = new_key(&dir, "ed25519.key", "ed25519", PASSPHRASE);
    let signed = issued(&dir, &holder_did);
    let mut args = vec![
        "vc",
        "derive",
        signed.as_str(),
        "--nonce",
        "n-1",
        "--holder-key",
        holder_key.as_str(),
    ];
    args.extend(REVEAL_STATUS);
    let derived = json_of(&crosscode(&args));
    assert_eq!(derived["credentialSubject"]["id"], json!(holder_did));
    let path = write(&dir, "bound.json", &derived);
    let output = crosscode(&[
        "vc",
        "verify",
        &path,
        "--at",
        INSIDE_WINDOW,
        "--nonce",
        "n-1",
    ]);
    assert_eq!(json_of(&output)["verified"], true);
}

#[test]
fn derive_bad_input_is_one_clear_line() {
    let dir = temp_dir("vc-bbs");
    let (_, holder_did) = new_key(&dir, "ed25519.key", "ed25519", PASSPHRASE);
    let signed = issued(&dir, &holder_did);
    let output = crosscode(&[
        "vc",
        "derive",
        &signed,
        "--nonce",
        "n",
        "--reveal",
        "/credentialSubject/passport",
    ]);
    assert_clean_failure(&output, "names no claim");
    let output = crosscode(&[
        "vc",
        "derive",
        &signed,
        "--nonce",
        "n",
        "--reveal",
        "credentialSubject",
    ]);
    assert_clean_failure(&output, "is not a JSON pointer");
    // A credential without a BBS proof.
    let plain = common::example("health-code.json");
    let output = crosscode(&[
        "vc",
        "derive",
        &plain,
        "--nonce",
        "n",
        "--reveal",
        "/credentialSubject",
    ]);
    assert_clean_failure(&output, "no single bbs-jcs-2026 proof");
    // Missing file.
    let output = crosscode(&[
        "vc",
        "derive",
        "/nonexistent/credential.json",
        "--nonce",
        "n",
        "--reveal",
        "/x",
    ]);
    assert_clean_failure(&output, "cannot read");
}
