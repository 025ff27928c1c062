//! BBS sign / verify / proof generation / proof verification at N = 1, 10, 30, 100 messages,
//! crosscode-bbs and zkryptium 0.8 side by side in the same run (ciphersuite
//! BLS12-381-SHA-256, 32-byte messages, 16-byte header; proofs disclose every other message).
//!
//! Run: `cargo bench -p crosscode-bbs --bench bbs -- --warm-up-time 1 --measurement-time 3`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use crosscode_bbs::proof::{proof_gen, proof_verify};
use crosscode_bbs::signature::{sign, verify};
use crosscode_bbs::{Bls12381Sha256, SecretKey};
use zkryptium::bbsplus::keys::{BBSplusPublicKey, BBSplusSecretKey};
use zkryptium::schemes::algorithms::BbsBls12381Sha256;
use zkryptium::schemes::generics::{PoKSignature, Signature as ZkSignature};

const SIZES: [usize; 4] = [1, 10, 30, 100];
const HEADER: &[u8] = b"crosscode-header";
const PH: &[u8] = b"verifier-nonce-0";

struct Setup {
    messages: Vec<Vec<u8>>,
    disclosed_indexes: Vec<usize>,
    disclosed: Vec<Vec<u8>>,
}

fn setup(n: usize) -> Setup {
    let messages: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let mut m = vec![0u8; 32];
            m[..8].copy_from_slice(&(i as u64).to_be_bytes());
            m[8] = 0xab;
            m
        })
        .collect();
    let disclosed_indexes: Vec<usize> = (0..n).step_by(2).collect();
    let disclosed = disclosed_indexes
        .iter()
        .map(|&i| messages[i].clone())
        .collect();
    Setup {
        messages,
        disclosed_indexes,
        disclosed,
    }
}

fn benches(c: &mut Criterion) {
    let sk = SecretKey::key_gen::<Bls12381Sha256>(&[42u8; 32], b"bench", None).unwrap();
    let pk = sk.public_key();
    let zk_sk = BBSplusSecretKey::from_bytes(&sk.to_bytes()).unwrap();
    let zk_pk = BBSplusPublicKey::from_bytes(&pk.to_bytes()).unwrap();

    let mut group = c.benchmark_group("bbs_sign");
    group.sample_size(10);
    for n in SIZES {
        let s = setup(n);
        group.bench_with_input(BenchmarkId::new("crosscode", n), &s, |b, s| {
            b.iter(|| sign::<Bls12381Sha256, _>(&sk, &pk, HEADER, black_box(&s.messages)).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("zkryptium", n), &s, |b, s| {
            b.iter(|| {
                ZkSignature::<BbsBls12381Sha256>::sign(
                    Some(black_box(&s.messages)),
                    &zk_sk,
                    &zk_pk,
                    Some(HEADER),
                )
                .unwrap()
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("bbs_verify");
    group.sample_size(10);
    for n in SIZES {
        let s = setup(n);
        let signature = sign::<Bls12381Sha256, _>(&sk, &pk, HEADER, &s.messages).unwrap();
        let zk_signature =
            ZkSignature::<BbsBls12381Sha256>::from_bytes(&signature.to_bytes()).unwrap();
        group.bench_with_input(BenchmarkId::new("crosscode", n), &s, |b, s| {
            b.iter(|| {
                verify::<Bls12381Sha256, _>(&pk, &signature, HEADER, black_box(&s.messages))
                    .unwrap()
            })
        });
        group.bench_with_input(BenchmarkId::new("zkryptium", n), &s, |b, s| {
            b.iter(|| {
                zk_signature
                    .verify(&zk_pk, Some(black_box(&s.messages)), Some(HEADER))
                    .unwrap()
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("bbs_proof_gen");
    group.sample_size(10);
    for n in SIZES {
        let s = setup(n);
        let signature = sign::<Bls12381Sha256, _>(&sk, &pk, HEADER, &s.messages).unwrap();
        let signature_bytes = signature.to_bytes();
        group.bench_with_input(BenchmarkId::new("crosscode", n), &s, |b, s| {
            b.iter(|| {
                proof_gen::<Bls12381Sha256, _>(
                    &pk,
                    &signature,
                    HEADER,
                    PH,
                    black_box(&s.messages),
                    &s.disclosed_indexes,
                )
                .unwrap()
            })
        });
        group.bench_with_input(BenchmarkId::new("zkryptium", n), &s, |b, s| {
            b.iter(|| {
                PoKSignature::<BbsBls12381Sha256>::proof_gen(
                    &zk_pk,
                    &signature_bytes,
                    Some(HEADER),
                    Some(PH),
                    Some(black_box(&s.messages)),
                    Some(&s.disclosed_indexes),
                )
                .unwrap()
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("bbs_proof_verify");
    group.sample_size(10);
    for n in SIZES {
        let s = setup(n);
        let signature = sign::<Bls12381Sha256, _>(&sk, &pk, HEADER, &s.messages).unwrap();
        let proof = proof_gen::<Bls12381Sha256, _>(
            &pk,
            &signature,
            HEADER,
            PH,
            &s.messages,
            &s.disclosed_indexes,
        )
        .unwrap();
        let zk_proof = PoKSignature::<BbsBls12381Sha256>::from_bytes(&proof.to_bytes()).unwrap();
        group.bench_with_input(BenchmarkId::new("crosscode", n), &s, |b, s| {
            b.iter(|| {
                proof_verify::<Bls12381Sha256, _>(
                    &pk,
                    &proof,
                    HEADER,
                    PH,
                    black_box(&s.disclosed),
                    &s.disclosed_indexes,
                )
                .unwrap()
            })
        });
        group.bench_with_input(BenchmarkId::new("zkryptium", n), &s, |b, s| {
            b.iter(|| {
                zk_proof
                    .proof_verify(
                        &zk_pk,
                        Some(black_box(&s.disclosed)),
                        Some(&s.disclosed_indexes),
                        Some(HEADER),
                        Some(PH),
                    )
                    .unwrap()
            })
        });
    }
    group.finish();
}

/// The two BLS12-381 backends on the primitives that dominate BBS: a pairing and a G1 scalar
/// multiplication (blst via `blstrs`, and `bls12_381_plus`, the zkcrypto `bls12_381` fork that
/// zkryptium uses).
fn backends(c: &mut Criterion) {
    use ff::Field;
    use group::{Curve, Group};
    use rand_core::OsRng;

    let mut group = c.benchmark_group("backend");
    group.sample_size(20);

    let p = blstrs::G1Projective::random(OsRng).to_affine();
    let q = blstrs::G2Projective::random(OsRng).to_affine();
    let s = blstrs::Scalar::random(OsRng);
    let p_proj = blstrs::G1Projective::from(p);
    group.bench_function("pairing/blstrs", |b| {
        b.iter(|| blstrs::pairing(black_box(&p), &q))
    });
    group.bench_function("g1_mul/blstrs", |b| b.iter(|| black_box(p_proj) * s));

    let p = bls12_381_plus::G1Projective::random(OsRng).to_affine();
    let q = bls12_381_plus::G2Projective::random(OsRng).to_affine();
    let s = bls12_381_plus::Scalar::random(OsRng);
    let p_proj = bls12_381_plus::G1Projective::from(p);
    group.bench_function("pairing/bls12_381_plus", |b| {
        b.iter(|| bls12_381_plus::pairing(black_box(&p), &q))
    });
    group.bench_function("g1_mul/bls12_381_plus", |b| {
        b.iter(|| black_box(p_proj) * s)
    });
    group.finish();
}

criterion_group!(bbs, backends, benches);
criterion_main!(bbs);
