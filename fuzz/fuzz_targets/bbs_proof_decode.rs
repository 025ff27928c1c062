//! Fuzz target: BBS proof decoding (`Proof::from_bytes`) and verification of whatever decodes.
//!
//! The first byte picks a mode. Even: the rest is taken as raw proof bytes (and as a signature
//! and a public key), which must decode to a typed error or round-trip exactly. Odd: the rest is
//! XOR-ed over a valid proof, so the fuzzer reaches point/scalar validation and verification
//! with well-formed points; a proof that differs from the valid one must not verify. Nothing may
//! panic, under either ciphersuite, whatever the disclosed set.
#![no_main]

use std::sync::OnceLock;

use crosscode_bbs::proof::{Proof, proof_gen_with_random_scalars, proof_verify};
use crosscode_bbs::random_scalars::SeededRandomScalars;
use crosscode_bbs::signature::{Signature, sign};
use crosscode_bbs::{Bls12381Sha256, Bls12381Shake256, PublicKey, SecretKey};
use libfuzzer_sys::fuzz_target;

const MESSAGES: [&[u8]; 4] = [b"green", b"2026-11-27", b"Macau", b"Alice"];
const DISCLOSED: [usize; 2] = [0, 2];

/// A public key and a valid proof (SHA-256 suite) disclosing messages 0 and 2.
fn valid() -> Option<&'static (PublicKey, Vec<u8>)> {
    static VALID: OnceLock<Option<(PublicKey, Vec<u8>)>> = OnceLock::new();
    VALID
        .get_or_init(|| {
            let secret_key = SecretKey::from_bytes(&[0x11; 32]).ok()?;
            let public_key = secret_key.public_key();
            let signature =
                sign::<Bls12381Sha256, _>(&secret_key, &public_key, b"h", &MESSAGES).ok()?;
            let proof = proof_gen_with_random_scalars::<Bls12381Sha256, _, _>(
                &public_key,
                &signature,
                b"h",
                b"ph",
                &MESSAGES,
                &DISCLOSED,
                &mut SeededRandomScalars::draft_fixture(),
            )
            .ok()?;
            Some((public_key, proof.to_bytes()))
        })
        .as_ref()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Some((public_key, valid_proof)) = valid() else {
        return;
    };
    let disclosed = [MESSAGES[0], MESSAGES[2]];

    if mode & 1 == 0 {
        let _ = Signature::from_bytes(rest);
        let _ = PublicKey::from_bytes(rest);
        let Ok(proof) = Proof::from_bytes(rest) else {
            return;
        };
        assert_eq!(proof.to_bytes(), rest, "decode/encode round trip");
        // Arbitrary disclosed sets (from the mode byte) under both suites.
        let indexes: Vec<usize> = (1..8).filter(|i| mode & (1 << i) != 0).collect();
        let messages: Vec<Vec<u8>> = indexes.iter().map(|&i| vec![i as u8; 4]).collect();
        let _ =
            proof_verify::<Bls12381Sha256, _>(public_key, &proof, b"h", b"ph", &messages, &indexes);
        let _ =
            proof_verify::<Bls12381Shake256, _>(public_key, &proof, b"", b"", &messages, &indexes);
        return;
    }

    let mut bytes = valid_proof.clone();
    for (i, b) in rest.iter().enumerate() {
        if let Some(slot) = bytes.get_mut(i % valid_proof.len()) {
            *slot ^= b;
        }
    }
    let outcome = Proof::from_bytes(&bytes).and_then(|proof| {
        assert_eq!(proof.to_bytes(), bytes, "decode/encode round trip");
        proof_verify::<Bls12381Sha256, _>(public_key, &proof, b"h", b"ph", &disclosed, &DISCLOSED)
    });
    assert_eq!(
        outcome.is_ok(),
        &bytes == valid_proof,
        "only the untouched proof verifies"
    );
});
