//! Fuzz target: BBS proof decoding (`Proof::from_bytes`) and verification of whatever decodes.
//! Decoding must never panic; a decoded proof must re-encode to the same bytes; verifying it
//! (under both ciphersuites, with an arbitrary disclosed set) must never panic.
#![no_main]

use crosscode_bbs::proof::{Proof, proof_verify};
use crosscode_bbs::signature::Signature;
use crosscode_bbs::{Bls12381Sha256, Bls12381Shake256, PublicKey, SecretKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Signatures and public keys share the decoder paths for points and scalars.
    let _ = Signature::from_bytes(data);
    let _ = PublicKey::from_bytes(data);

    let Some((&selector, proof_bytes)) = data.split_first() else {
        return;
    };
    let Ok(proof) = Proof::from_bytes(proof_bytes) else {
        return;
    };
    assert_eq!(proof.to_bytes(), proof_bytes, "decode/encode round trip");

    let Ok(secret_key) = SecretKey::from_bytes(&[0x11; 32]) else {
        return;
    };
    let public_key = secret_key.public_key();
    // The selector picks a disclosed set among the first 8 positions.
    let indexes: Vec<usize> = (0..8).filter(|i| selector & (1 << i) != 0).collect();
    let messages: Vec<Vec<u8>> = indexes.iter().map(|&i| vec![i as u8; 4]).collect();
    let _ = proof_verify::<Bls12381Sha256, _>(&public_key, &proof, b"h", b"ph", &messages, &indexes);
    let _ = proof_verify::<Bls12381Shake256, _>(&public_key, &proof, b"", b"", &messages, &indexes);
});
