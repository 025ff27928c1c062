//! Every signature and proof fixture of the draft, both ciphersuites, plus the seeded
//! random-scalar mock; ProofGen with the mock reproduces the valid proofs byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::path::Path;

use common::{hex_array, hex_field, list_json, read_json};
use crosscode_bbs::proof::{Proof, proof_gen_with_random_scalars, proof_verify};
use crosscode_bbs::random_scalars::{RandomScalars, SeededRandomScalars};
use crosscode_bbs::signature::{Signature, sign, verify};
use crosscode_bbs::{Bls12381Sha256, Bls12381Shake256, Ciphersuite, PublicKey, SecretKey};
use serde_json::Value;

fn load(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn expected_names(prefix: &str, count: usize) -> Vec<String> {
    (1..=count)
        .map(|i| format!("{prefix}{i:03}.json"))
        .collect()
}

fn file_names(files: &[std::path::PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

fn signatures<C: Ciphersuite>() {
    let files = list_json(&format!("bbs/{}/signature", C::ID.name()));
    assert_eq!(file_names(&files), expected_names("signature", 10));
    let mut valid = 0;
    for path in &files {
        let f = load(path);
        let expected_valid = f["result"]["valid"].as_bool().unwrap();
        let pk_bytes = hex_field(&f["signerKeyPair"], "publicKey");
        let header = hex_field(&f, "header");
        let messages = hex_array(&f, "messages");
        let signature_bytes = hex_field(&f, "signature");
        let outcome = PublicKey::from_bytes(&pk_bytes).and_then(|pk| {
            let signature = Signature::from_bytes(&signature_bytes)?;
            verify::<C, _>(&pk, &signature, &header, &messages)
        });
        assert_eq!(
            outcome.is_ok(),
            expected_valid,
            "{}: {outcome:?}",
            path.display()
        );
        if expected_valid {
            valid += 1;
            let sk = SecretKey::from_bytes(&hex_field(&f["signerKeyPair"], "secretKey")).unwrap();
            let pk = PublicKey::from_bytes(&pk_bytes).unwrap();
            assert_eq!(sk.public_key(), pk);
            let signature = sign::<C, _>(&sk, &pk, &header, &messages).unwrap();
            assert_eq!(
                signature.to_bytes().to_vec(),
                signature_bytes,
                "{}: Sign bytes",
                path.display()
            );
        } else {
            assert!(
                matches!(outcome, Err(crosscode_bbs::BbsError::InvalidSignature)),
                "{}: {outcome:?}",
                path.display()
            );
        }
    }
    assert_eq!(valid, 3);
}

#[test]
fn signature_fixtures_sha256() {
    signatures::<Bls12381Sha256>();
}

#[test]
fn signature_fixtures_shake256() {
    signatures::<Bls12381Shake256>();
}

fn indexes(f: &Value) -> Vec<usize> {
    f["disclosedIndexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| usize::try_from(v.as_u64().unwrap()).unwrap())
        .collect()
}

fn proofs<C: Ciphersuite>() {
    let files = list_json(&format!("bbs/{}/proof", C::ID.name()));
    assert_eq!(file_names(&files), expected_names("proof", 15));
    let mut valid = 0;
    for path in &files {
        let f = load(path);
        let expected_valid = f["result"]["valid"].as_bool().unwrap();
        let pk_bytes = hex_field(&f, "signerPublicKey");
        let header = hex_field(&f, "header");
        let ph = hex_field(&f, "presentationHeader");
        let messages = hex_array(&f, "messages");
        let disclosed_indexes = indexes(&f);
        let proof_bytes = hex_field(&f, "proof");
        let outcome = PublicKey::from_bytes(&pk_bytes).and_then(|pk| {
            let proof = Proof::from_bytes(&proof_bytes)?;
            let disclosed: Vec<&Vec<u8>> = disclosed_indexes
                .iter()
                .map(|&i| {
                    messages
                        .get(i)
                        .ok_or(crosscode_bbs::BbsError::DisclosedIndexOutOfRange {
                            index: i,
                            message_count: messages.len(),
                        })
                })
                .collect::<Result<_, _>>()?;
            proof_verify::<C, _>(&pk, &proof, &header, &ph, &disclosed, &disclosed_indexes)
        });
        assert_eq!(
            outcome.is_ok(),
            expected_valid,
            "{}: {outcome:?}",
            path.display()
        );
        if expected_valid {
            valid += 1;
            let pk = PublicKey::from_bytes(&pk_bytes).unwrap();
            let signature = Signature::from_bytes(&hex_field(&f, "signature")).unwrap();
            // The signature in the fixture is valid over all messages.
            verify::<C, _>(&pk, &signature, &header, &messages).unwrap();
            // The mocked scalars of the trace are the draft's seeded mock.
            let u = messages.len() - disclosed_indexes.len();
            let mocked = SeededRandomScalars::draft_fixture()
                .random_scalars::<C>(5 + u)
                .unwrap();
            let trace = &f["trace"]["random_scalars"];
            assert_eq!(
                mocked[0].expose().to_bytes_be().to_vec(),
                hex_field(trace, "r1")
            );
            assert_eq!(
                mocked[4].expose().to_bytes_be().to_vec(),
                hex_field(trace, "r3_tilde")
            );
            let proof = proof_gen_with_random_scalars::<C, _, _>(
                &pk,
                &signature,
                &header,
                &ph,
                &messages,
                &disclosed_indexes,
                &mut SeededRandomScalars::draft_fixture(),
            )
            .unwrap();
            assert_eq!(
                hex::encode(proof.to_bytes()),
                hex::encode(&proof_bytes),
                "{}: ProofGen bytes",
                path.display()
            );
        }
    }
    assert_eq!(valid, 5);
}

#[test]
fn proof_fixtures_sha256() {
    proofs::<Bls12381Sha256>();
}

#[test]
fn proof_fixtures_shake256() {
    proofs::<Bls12381Shake256>();
}

fn mocked_rng<C: Ciphersuite>() {
    let f = read_json(&format!("bbs/{}/mockedRng.json", C::ID.name()));
    let seed = hex_field(&f, "seed");
    let dst = hex_field(&f, "dst");
    assert_eq!(seed, crosscode_bbs::random_scalars::DRAFT_FIXTURE_SEED);
    assert_eq!(dst, C::dst(b"MOCK_RANDOM_SCALARS_DST_"));
    let count = usize::try_from(f["count"].as_u64().unwrap()).unwrap();
    let expected = hex_array(&f, "mockedScalars");
    assert_eq!(expected.len(), count);
    let scalars = SeededRandomScalars::new(&seed, Some(&dst))
        .random_scalars::<C>(count)
        .unwrap();
    let actual: Vec<Vec<u8>> = scalars
        .iter()
        .map(|s| s.expose().to_bytes_be().to_vec())
        .collect();
    assert_eq!(actual, expected);
}

#[test]
fn mocked_rng_sha256() {
    mocked_rng::<Bls12381Sha256>();
}

#[test]
fn mocked_rng_shake256() {
    mocked_rng::<Bls12381Shake256>();
}

#[test]
fn every_fixture_file_is_covered() {
    // The root of the BBS vectors: the shared message list and one folder per suite.
    let root = common::vector_path("bbs");
    let mut entries: Vec<String> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("missing {}: {e}", root.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with("LICENSE"))
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        vec!["bls12-381-sha-256", "bls12-381-shake-256", "messages.json"]
    );
    // The top-level files per suite that the tests above read.
    for suite in common::SUITES {
        let mut names = file_names(&list_json(&format!("bbs/{}", suite.name())));
        names.sort();
        assert_eq!(
            names,
            vec![
                "MapMessageToScalarAsHash.json",
                "generators.json",
                "h2s.json",
                "keypair.json",
                "mockedRng.json"
            ],
            "unexpected fixture files for {suite}"
        );
    }
}
