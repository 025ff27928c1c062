//! The authority flow through the CLI: a bbs-jcs-2026 health code issued under a registry DID
//! (`did:crosscode:dev:…#key-1`), derived, QR-encoded within 1,000 characters, and verified
//! offline from a trust cache built with `crosscode key trust-entry`; without the cache, a
//! typed key-resolution failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::path::Path;
use std::process::Output;

use common::{assert_clean_failure, assert_success, stderr, success_stdout, write};
use crosscode_testing::temp_dir;
use serde_json::Value;

const PASSPHRASE: &str = "trust cache cli test passphrase";
const INSIDE_WINDOW: &str = "2026-11-22T12:00:00Z";
const ISSUER: &str = "did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB";
const METHOD: &str = "did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB#key-1";
const NONCE: &str = "n-5c2e9a";

fn crosscode(args: &[&str]) -> Output {
    common::crosscode(args, Some(PASSPHRASE))
}

fn path_in(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_owned()
}

/// A new key file `dir/<name>` (a `crosscode key new --alg <alg>`): its path.
fn new_key(dir: &Path, name: &str, alg: &str) -> String {
    common::new_key(dir, name, alg, PASSPHRASE).0
}

fn example() -> String {
    common::example("health-code-personal.json")
}

/// The personal health code signed by `key` as the registry issuer's `#key-1`.
fn issue_as_registry(dir: &Path, key: &str) -> String {
    let output = crosscode(&[
        "vc",
        "sign",
        "--suite",
        "bbs-jcs-2026",
        "--key",
        key,
        "--issuer",
        ISSUER,
        "--verification-method",
        METHOD,
        "--created",
        "2026-11-21T08:00:00Z",
        &example(),
    ]);
    let signed: Value = serde_json::from_str(&success_stdout(&output)).unwrap();
    assert_eq!(signed["issuer"], ISSUER);
    assert_eq!(signed["proof"]["verificationMethod"], METHOD);
    assert_eq!(signed["proof"]["cryptosuite"], "bbs-jcs-2026");
    write(dir, "signed.json", &signed)
}

fn derive(signed: &str, extra: &[&str]) -> Output {
    let mut args = vec!["vc", "derive", signed, "--nonce", NONCE];
    args.extend(common::REVEAL_STATUS);
    args.extend_from_slice(extra);
    crosscode(&args)
}

#[test]
fn registry_issued_health_code_fits_the_qr_bound_and_verifies_from_the_trust_cache() {
    let dir = temp_dir("trust-cache");
    let key = new_key(&dir, "authority.key", "bls12381g2");
    let cache = path_in(&dir, "trust-cache.json");
    let output = crosscode(&[
        "key",
        "trust-entry",
        &key,
        "--verification-method",
        METHOD,
        "--merge-into",
        &cache,
    ]);
    assert_success(&output);
    let cache_json: Value =
        serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    let multibase = cache_json["verificationMethods"][METHOD].as_str().unwrap();
    assert!(multibase.starts_with("zUC7"), "{multibase}");

    let signed = issue_as_registry(&dir, &key);
    // The issued credential verifies from the cache.
    let output = crosscode(&[
        "vc",
        "verify",
        &signed,
        "--at",
        INSIDE_WINDOW,
        "--trust-cache",
        &cache,
    ]);
    let report: Value = serde_json::from_str(&success_stdout(&output)).unwrap();
    assert_eq!(report["verified"], true);

    // Derive hiding name, birth date, document number (and the holder's DID).
    let derived_text = success_stdout(&derive(&signed, &["--trust-cache", &cache]));
    for hidden in ["CHAN Tai Man", "1985-04-12", "MA1234567", "did:key:"] {
        assert!(!derived_text.contains(hidden), "{hidden} disclosed");
    }
    let derived = path_in(&dir, "derived.json");
    std::fs::write(&derived, &derived_text).unwrap();

    // QR encode: within the bound.
    let output = crosscode(&["qr", "encode", &derived]);
    let payload = success_stdout(&output).trim().to_owned();
    eprintln!(
        "registry-issued bbs-jcs-2026 health-code presentation: {} characters; {}",
        payload.len(),
        stderr(&output).trim()
    );
    assert!(payload.starts_with("CC1:"), "{payload}");
    assert!(payload.len() <= 1000, "{} characters", payload.len());

    // QR decode with the trust cache: verified.
    let output = crosscode(&[
        "qr",
        "decode",
        "--text",
        &payload,
        "--at",
        INSIDE_WINDOW,
        "--trust-cache",
        &cache,
    ]);
    let decoded: Value = serde_json::from_str(&success_stdout(&output)).unwrap();
    assert_eq!(decoded["credentialSubject"]["statusColour"], "green");
    assert!(stderr(&output).contains("verified credential"));

    // The checkpoint verifier takes the same CC1 code beside HC1 / shc:/ codes.
    let verify = |extra: &[&str]| {
        let mut args = vec!["verify", "--text", &payload, "--at", INSIDE_WINDOW];
        args.extend_from_slice(extra);
        let output = crosscode(&args);
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        (output.status.code(), report)
    };
    let (code, report) = verify(&["--trust-cache", &cache]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["verdict"], "ACCEPT");
    assert_eq!(report["format"], "CC1");
    assert_eq!(report["disclosed_claims"]["statusColour"], "green");
    assert!(report["disclosed_claims"].get("name").is_none());
    let (code, report) = verify(&[]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(report["deciding_step"], "KeyResolution");

    // vc verify with the trust cache and the nonce: exit 0.
    let output = crosscode(&[
        "vc",
        "verify",
        &derived,
        "--at",
        INSIDE_WINDOW,
        "--nonce",
        NONCE,
        "--trust-cache",
        &cache,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    // Without the trust cache: a typed key-resolution failure, one line.
    let output = crosscode(&[
        "vc",
        "verify",
        &derived,
        "--at",
        INSIDE_WINDOW,
        "--nonce",
        NONCE,
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_clean_failure(&output, "KeyResolution step failed");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["failure"]["step"], "KeyResolution");
    let output = crosscode(&["qr", "decode", "--text", &payload, "--at", INSIDE_WINDOW]);
    assert_clean_failure(&output, "step KeyResolution");
    assert_clean_failure(&derive(&signed, &[]), "cannot derive from");

    // A cache with another key for the method: the signature fails, not the resolution.
    let other = new_key(&dir, "other.key", "bls12381g2");
    let wrong_cache = path_in(&dir, "wrong-cache.json");
    let output = crosscode(&[
        "key",
        "trust-entry",
        &other,
        "--verification-method",
        METHOD,
    ]);
    std::fs::write(&wrong_cache, success_stdout(&output)).unwrap();
    let output = crosscode(&[
        "vc",
        "verify",
        &derived,
        "--at",
        INSIDE_WINDOW,
        "--trust-cache",
        &wrong_cache,
    ]);
    assert_clean_failure(&output, "Signature step failed");
    // Two caches that disagree are refused.
    let output = crosscode(&[
        "vc",
        "verify",
        &derived,
        "--trust-cache",
        &cache,
        "--trust-cache",
        &wrong_cache,
    ]);
    assert_clean_failure(&output, "has two different keys");
}

#[test]
fn sign_refuses_a_verification_method_of_another_did() {
    let dir = temp_dir("trust-cache");
    let key = new_key(&dir, "authority.key", "bls12381g2");
    let output = crosscode(&[
        "vc",
        "sign",
        "--key",
        &key,
        "--issuer",
        ISSUER,
        "--verification-method",
        "did:crosscode:dev:SomeoneElse#key-1",
        &example(),
    ]);
    assert_clean_failure(&output, "is not a method of the credential's issuer");
    // Without --issuer the credential's own issuer must match.
    let output = crosscode(&[
        "vc",
        "sign",
        "--key",
        &key,
        "--verification-method",
        "did:crosscode:dev:SomeoneElse#key-1",
        &example(),
    ]);
    assert_clean_failure(&output, "is not a method of the credential's issuer");
    // The example's issuer is the registry DID: --verification-method alone is enough.
    let output = crosscode(&[
        "vc",
        "sign",
        "--key",
        &key,
        "--verification-method",
        METHOD,
        &example(),
    ]);
    let signed: Value = serde_json::from_str(&success_stdout(&output)).unwrap();
    assert_eq!(signed["proof"]["verificationMethod"], METHOD);
    for (method, needle) in [
        ("not a did url", "is not a DID URL"),
        (ISSUER, "must be DID#fragment"),
    ] {
        let output = crosscode(&[
            "vc",
            "sign",
            "--key",
            &key,
            "--verification-method",
            method,
            &example(),
        ]);
        assert_clean_failure(&output, needle);
    }
    let output = crosscode(&[
        "vc",
        "sign",
        "--key",
        &key,
        "--issuer",
        "not a did",
        "--verification-method",
        METHOD,
        &example(),
    ]);
    assert_clean_failure(&output, "--issuer is not a DID");
}

#[test]
fn bad_trust_caches_and_entries_are_one_clear_line() {
    let dir = temp_dir("trust-cache");
    let key = new_key(&dir, "authority.key", "bls12381g2");
    let signed = issue_as_registry(&dir, &key);
    for (text, needle) in [
        ("not json", "malformed trust cache"),
        (
            r#"{"verificationMethods": {"nodid#key-1": "zUC7"}}"#,
            "nodid#key-1",
        ),
        (
            r#"{"verificationMethods": {"did:crosscode:dev:a#key-1": "zUC7abc"}}"#,
            "public key",
        ),
    ] {
        let cache = path_in(&dir, "bad-cache.json");
        std::fs::write(&cache, text).unwrap();
        let output = crosscode(&["vc", "verify", &signed, "--trust-cache", &cache]);
        assert_clean_failure(&output, needle);
        let output = crosscode(&["qr", "decode", "--text", "CC1:X", "--trust-cache", &cache]);
        assert_clean_failure(&output, needle);
    }
    let output = crosscode(&[
        "vc",
        "verify",
        &signed,
        "--trust-cache",
        "/nonexistent/trust-cache.json",
    ]);
    assert_clean_failure(&output, "cannot read trust cache");

    let output = crosscode(&["key", "trust-entry", &key, "--verification-method", ISSUER]);
    assert_clean_failure(&output, "must be DID#fragment");
    let output = crosscode(&[
        "key",
        "trust-entry",
        "/nonexistent/a.key",
        "--verification-method",
        METHOD,
    ]);
    assert_clean_failure(&output, "is not a key file");
    // Merging a different key for a method already in the file is refused.
    let cache = path_in(&dir, "cache.json");
    let other = new_key(&dir, "other.key", "bls12381g2");
    for (key_file, ok) in [(&key, true), (&key, true), (&other, false)] {
        let output = crosscode(&[
            "key",
            "trust-entry",
            key_file,
            "--verification-method",
            METHOD,
            "--merge-into",
            &cache,
        ]);
        if ok {
            assert_success(&output);
        } else {
            assert_clean_failure(&output, "already holds a different key");
        }
    }
}
