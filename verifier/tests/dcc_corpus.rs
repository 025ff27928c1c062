//! Every file of the shared EU DCC test corpus gives the expected result for each `EXPECTED*`
//! key it has, and the expected overall verdict. The directory is enumerated, so new files are
//! picked up.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};

mod common;
use common::vector_path;
use crosscode_verifier::Verdict;
use crosscode_verifier::dcc_testfile;

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "schema") {
                collect(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "json")
            && path.file_name().is_some_and(|n| n != "manifest.json")
        {
            out.push(path);
        }
    }
}

pub fn corpus_files() -> Vec<PathBuf> {
    let root = vector_path("dcc");
    assert!(root.is_dir(), "DCC vectors missing at {}", root.display());
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    files
}

#[test]
fn every_dcc_test_file_matches_its_expectations() {
    let files = corpus_files();
    assert!(
        files.len() >= 19,
        "expected at least 19 DCC test files, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    let mut checked_keys = 0;
    for path in &files {
        let file: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let expected = file
            .get("EXPECTEDRESULTS")
            .and_then(|v| v.as_object())
            .cloned()
            .unwrap_or_default();
        let outcome = dcc_testfile::run(&file, None).unwrap();
        let mut expected_overall = Verdict::Accept;
        for (key, value) in &expected {
            let Some(want) = value.as_bool() else {
                continue;
            };
            if !want {
                expected_overall = Verdict::Reject;
            }
            let name = key.trim_start_matches("EXPECTED");
            let got = outcome
                .steps
                .get(name)
                .or_else(|| outcome.issuer_checks.get(name));
            match got {
                Some(got) => {
                    checked_keys += 1;
                    if *got != want {
                        failures.push(format!(
                            "{}: {key} expected {want}, got {got}",
                            path.display()
                        ));
                    }
                }
                None => failures.push(format!("{}: {key} not evaluated", path.display())),
            }
        }
        if outcome.overall != expected_overall {
            failures.push(format!(
                "{}: overall expected {expected_overall:?}, got {:?} (steps {:?}, report {})",
                path.display(),
                outcome.overall,
                outcome.steps,
                outcome.report.to_json()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatch(es):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        checked_keys > 100,
        "only {checked_keys} EXPECTED keys checked"
    );
}

#[test]
fn manifest_revocation_hashes_agree() {
    use crosscode_verifier::format::{MAX_INFLATED_LEN, eu_dcc};
    use crosscode_verifier::revocation::DccHashType;
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(vector_path("dcc/manifest.json")).unwrap()).unwrap();
    let mut compared = 0;
    for entry in manifest.as_array().unwrap() {
        let Some(derived) = entry
            .get("revocation_hashes_derived")
            .filter(|v| v.is_object())
        else {
            continue;
        };
        let path = vector_path(&format!("dcc/{}", entry["file"].as_str().unwrap()));
        let file: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let Some(body) = file["PREFIX"].as_str().unwrap().strip_prefix("HC1:") else {
            continue;
        };
        let b45 = eu_dcc::decode_base45(body).unwrap();
        let Ok(cose) = crosscode_core::envelope::inflate::inflate_zlib(&b45, MAX_INFLATED_LEN)
        else {
            continue;
        };
        let Ok((env, claims)) = eu_dcc::parse_envelope(&cose) else {
            continue;
        };
        let hashes = eu_dcc::revocation_hashes(&env, &claims).unwrap();
        for (t, key) in [
            (DccHashType::Uci, "UCI"),
            (DccHashType::CountryCodeUci, "COUNTRYCODEUCI"),
            (DccHashType::Signature, "SIGNATURE"),
        ] {
            assert_eq!(
                hashes.base64(t),
                derived[key].as_str().unwrap(),
                "{} {key}",
                entry["file"]
            );
            compared += 1;
        }
    }
    assert!(compared >= 36, "only {compared} hashes compared");
}
