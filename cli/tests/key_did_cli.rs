//! `crosscode key` and `crosscode did` end to end: key new → show / check → did resolve, and
//! one clear error line (no panic) for bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::{assert_clean_failure, crosscode, stderr, stdout};
use crosscode_testing::temp_dir;

#[test]
fn key_new_then_show_check_and_resolve() {
    let dir = temp_dir("key");
    for (alg, prefix) in [
        ("ed25519", "did:key:z6Mk"),
        ("sm2", "did:key:zEP"),
        ("bls12381g2", "did:key:zUC7"),
    ] {
        let path = dir.join(format!("{alg}.key"));
        let path_text = path.to_str().unwrap();
        let created = crosscode(
            &["key", "new", "--alg", alg, "--out", path_text],
            Some("pass phrase"),
        );
        assert!(created.status.success(), "{}", stderr(&created));
        let did = stdout(&created).trim().to_owned();
        assert!(did.starts_with(prefix), "{did}");
        assert_eq!(stdout(&created).lines().count(), 1);

        let shown = crosscode(&["key", "show", path_text], None);
        assert_eq!(stdout(&shown).trim(), did);
        let checked = crosscode(&["key", "check", path_text], Some("pass phrase"));
        assert!(checked.status.success(), "{}", stderr(&checked));
        assert_eq!(stdout(&checked).trim(), did);
        assert_clean_failure(
            &crosscode(&["key", "check", path_text], Some("wrong")),
            "wrong passphrase",
        );

        let resolved = crosscode(&["did", "resolve", &did], None);
        assert!(resolved.status.success(), "{}", stderr(&resolved));
        let result: serde_json::Value = serde_json::from_str(&stdout(&resolved)).unwrap();
        assert_eq!(result["didDocument"]["id"], did.as_str());
        assert_eq!(
            result["didDocument"]["verificationMethod"][0]["type"],
            "Multikey"
        );
        assert_eq!(
            result["didResolutionMetadata"]["contentType"],
            "application/did+ld+json"
        );

        // Never overwrites.
        assert_clean_failure(
            &crosscode(
                &["key", "new", "--alg", alg, "--out", path_text],
                Some("pass phrase"),
            ),
            "already exists",
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn missing_passphrase_is_a_clear_error() {
    let dir = temp_dir("key");
    let path = dir.join("k.key");
    let output = crosscode(
        &[
            "key",
            "new",
            "--alg",
            "ed25519",
            "--out",
            path.to_str().unwrap(),
        ],
        None,
    );
    assert_clean_failure(&output, "CROSSCODE_PASSPHRASE is not set");
    assert!(!path.exists());
    let output = crosscode(
        &[
            "key",
            "new",
            "--alg",
            "ed25519",
            "--out",
            path.to_str().unwrap(),
        ],
        Some(""),
    );
    assert_clean_failure(&output, "CROSSCODE_PASSPHRASE is empty");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_gets_one_error_line() {
    assert_clean_failure(
        &crosscode(&["did", "resolve", "not-a-did"], None),
        "invalid DID",
    );
    assert_clean_failure(
        &crosscode(&["did", "resolve", "did:web:example.com"], None),
        "not supported",
    );
    assert_clean_failure(
        &crosscode(
            &[
                "did",
                "resolve",
                "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",
            ],
            None,
        ),
        "unsupported key type: multicodec 0xe7",
    );
    assert_clean_failure(
        &crosscode(&["key", "show", "/nonexistent/crosscode.key"], None),
        "/nonexistent/crosscode.key",
    );
    // clap's own error for an unknown algorithm (clap prints usage lines too).
    let output = crosscode(&["key", "new", "--alg", "rsa", "--out", "x"], Some("p"));
    assert!(!output.status.success());
    assert!(stderr(&output).contains("unknown key algorithm \"rsa\""));
}

#[test]
fn help_texts_explain_the_commands() {
    let help = stdout(&crosscode(&["key", "new", "--help"], None));
    for needle in [
        "CROSSCODE_PASSPHRASE",
        "ed25519",
        "sm2",
        "bls12381g2",
        "argon2id",
        "--out",
    ] {
        assert!(help.contains(needle), "key new --help lacks {needle}");
    }
    let help = stdout(&crosscode(&["did", "resolve", "--help"], None));
    for needle in ["resolution result", "did:key", "Multikey"] {
        assert!(help.contains(needle), "did resolve --help lacks {needle}");
    }
}
