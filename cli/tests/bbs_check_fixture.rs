//! `crosscode bbs check-fixture` on every signature and proof fixture of both ciphersuites,
//! and on malformed files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::path::Path;

use crosscode_testing::vectors::vector_path;

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let output = common::command(args).output().unwrap();
    (
        output.status.code(),
        common::stdout(&output),
        common::stderr(&output),
    )
}

fn expected_valid(path: &Path) -> bool {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    json["result"]["valid"].as_bool().unwrap()
}

#[test]
fn every_draft_fixture_evaluates_as_expected() {
    let mut checked = 0;
    for suite in ["bls12-381-sha-256", "bls12-381-shake-256"] {
        for (kind, count) in [("signature", 10), ("proof", 15)] {
            let dir = vector_path(&format!("bbs/{suite}/{kind}"));
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("missing {}: {e}", dir.display()))
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            assert_eq!(files.len(), count, "{}", dir.display());
            for file in files {
                let (code, stdout, stderr) = run(&["bbs", "check-fixture", file.to_str().unwrap()]);
                assert_eq!(code, Some(0), "{}: {stderr}", file.display());
                let expected = format!("{{\"valid\": {}}}\n", expected_valid(&file));
                assert_eq!(stdout, expected, "{}", file.display());
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 50);
}

#[test]
fn ciphersuite_flag_overrides_the_path() {
    let file = vector_path("bbs/bls12-381-shake-256/proof/proof001.json");
    let (code, stdout, _) = run(&[
        "bbs",
        "check-fixture",
        file.to_str().unwrap(),
        "--ciphersuite",
        "bls12-381-sha-256",
    ]);
    assert_eq!(code, Some(0));
    assert_eq!(stdout, "{\"valid\": false}\n");
}

#[test]
fn malformed_files_exit_non_zero() {
    let dir = crosscode_testing::temp_dir("bbs");
    let cases = [
        ("not-json.json", "not json"),
        ("no-kind.json", "{\"x\": 1}"),
        (
            "bad-hex.json",
            "{\"signature\": \"zz\", \"signerKeyPair\": {\"publicKey\": \"00\"}, \"messages\": []}",
        ),
        (
            "bad-index.json",
            "{\"proof\": \"00\", \"signerPublicKey\": \"00\", \"messages\": [], \"disclosedIndexes\": [\"a\"]}",
        ),
    ];
    for (name, text) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let (code, stdout, stderr) = run(&["bbs", "check-fixture", path.to_str().unwrap()]);
        assert_ne!(code, Some(0), "{name}");
        assert!(stdout.is_empty(), "{name}: {stdout}");
        assert!(stderr.starts_with("error:"), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
    let (code, _, _) = run(&[
        "bbs",
        "check-fixture",
        dir.join("missing.json").to_str().unwrap(),
    ]);
    assert_ne!(code, Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}
