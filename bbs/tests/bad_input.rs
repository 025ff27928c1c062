//! Every typed error on bad input: lengths, encodings, points off the curve / outside the
//! subgroup / at infinity, out-of-range and zero scalars, bad disclosed indexes; and proptests
//! that mutated signatures and proofs never panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use blstrs::{G1Affine, G2Affine};
use crosscode_bbs::hash_to_scalar::hash_to_scalar;
use crosscode_bbs::point::{g1_from_bytes, g2_from_bytes};
use crosscode_bbs::proof::{Proof, proof_gen, proof_verify};
use crosscode_bbs::signature::{Signature, sign, verify};
use crosscode_bbs::{BbsError, Bls12381Sha256, Bls12381Shake256, PublicKey, SecretKey};
use proptest::prelude::*;

/// Group order r, big-endian.
const R: [u8; 32] = [
    0x73, 0xed, 0xa7, 0x53, 0x29, 0x9d, 0x7d, 0x48, 0x33, 0x39, 0xd8, 0x08, 0x09, 0xa1, 0xd8, 0x05,
    0x53, 0xbd, 0xa4, 0x02, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
];

fn key() -> (SecretKey, PublicKey) {
    let sk = SecretKey::key_gen::<Bls12381Sha256>(&[7u8; 32], b"bad input", None).unwrap();
    let pk = sk.public_key();
    (sk, pk)
}

fn messages() -> Vec<Vec<u8>> {
    (0..5u8).map(|i| vec![i; 10]).collect()
}

/// A compressed G1 encoding whose x has a point on the curve that is not in G1.
fn g1_outside_subgroup() -> [u8; 48] {
    for k in 1u8..=255 {
        let mut bytes = [0u8; 48];
        bytes[0] = 0x80;
        bytes[47] = k;
        if let Some(p) = Option::<G1Affine>::from(G1Affine::from_compressed_unchecked(&bytes))
            && !bool::from(p.is_torsion_free())
        {
            return bytes;
        }
    }
    panic!("no point found");
}

/// A compressed G1 encoding (valid flags, x < p) with no point on the curve.
fn g1_off_curve() -> [u8; 48] {
    for k in 1u8..=255 {
        let mut bytes = [0u8; 48];
        bytes[0] = 0x80;
        bytes[47] = k;
        if Option::<G1Affine>::from(G1Affine::from_compressed_unchecked(&bytes)).is_none() {
            return bytes;
        }
    }
    panic!("no x found");
}

fn g2_outside_subgroup() -> [u8; 96] {
    for k in 1u8..=255 {
        let mut bytes = [0u8; 96];
        bytes[0] = 0x80;
        bytes[95] = k;
        if let Some(p) = Option::<G2Affine>::from(G2Affine::from_compressed_unchecked(&bytes))
            && !bool::from(p.is_torsion_free())
        {
            return bytes;
        }
    }
    panic!("no point found");
}

fn g2_off_curve() -> [u8; 96] {
    for k in 1u8..=255 {
        let mut bytes = [0u8; 96];
        bytes[0] = 0x80;
        bytes[95] = k;
        if Option::<G2Affine>::from(G2Affine::from_compressed_unchecked(&bytes)).is_none() {
            return bytes;
        }
    }
    panic!("no x found");
}

fn identity<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    bytes[0] = 0xc0;
    bytes
}

#[test]
fn public_key_errors() {
    let (_, pk) = key();
    for len in [0, 48, 95, 97, 192] {
        assert!(matches!(
            PublicKey::from_bytes(&vec![0x80; len]),
            Err(BbsError::InvalidLength { what: "public key", expected: 96, actual }) if actual == len
        ));
    }
    assert!(matches!(
        PublicKey::from_bytes(&identity::<96>()),
        Err(BbsError::IdentityPoint { what: "public key" })
    ));
    assert!(matches!(
        PublicKey::from_bytes(&g2_off_curve()),
        Err(BbsError::PointNotOnCurve { what: "public key" })
    ));
    assert!(matches!(
        PublicKey::from_bytes(&g2_outside_subgroup()),
        Err(BbsError::PointNotInSubgroup { what: "public key" })
    ));
    // Compression flag missing (an uncompressed-style prefix).
    let mut no_flag = pk.to_bytes();
    no_flag[0] &= 0x7f;
    assert!(matches!(
        PublicKey::from_bytes(&no_flag),
        Err(BbsError::InvalidPointEncoding { what: "public key" })
    ));
    // Infinity flag with non-zero coordinates.
    let mut bad_infinity = identity::<96>();
    bad_infinity[50] = 1;
    assert!(matches!(
        PublicKey::from_bytes(&bad_infinity),
        Err(BbsError::InvalidPointEncoding { .. })
    ));
    // Infinity flag together with the sort flag.
    let mut sorted_infinity = identity::<96>();
    sorted_infinity[0] |= 0x20;
    assert!(matches!(
        PublicKey::from_bytes(&sorted_infinity),
        Err(BbsError::InvalidPointEncoding { .. })
    ));
    // A coordinate >= p (all ones below the flags).
    let mut too_big = [0xffu8; 96];
    too_big[0] = 0x9f;
    assert!(matches!(
        PublicKey::from_bytes(&too_big),
        Err(BbsError::InvalidPointEncoding { .. })
    ));
    let mut c0_too_big = pk.to_bytes();
    c0_too_big[48..].copy_from_slice(&[0xff; 48]);
    assert!(matches!(
        PublicKey::from_bytes(&c0_too_big),
        Err(BbsError::InvalidPointEncoding { .. })
    ));
}

#[test]
fn g1_point_errors() {
    assert!(matches!(
        g1_from_bytes(&identity::<48>(), "p"),
        Err(BbsError::IdentityPoint { what: "p" })
    ));
    assert!(matches!(
        g1_from_bytes(&g1_off_curve(), "p"),
        Err(BbsError::PointNotOnCurve { .. })
    ));
    assert!(matches!(
        g1_from_bytes(&g1_outside_subgroup(), "p"),
        Err(BbsError::PointNotInSubgroup { .. })
    ));
    assert!(matches!(
        g1_from_bytes(&[0u8; 48], "p"),
        Err(BbsError::InvalidPointEncoding { .. })
    ));
    assert!(matches!(
        g1_from_bytes(&[0u8; 47], "p"),
        Err(BbsError::InvalidLength {
            expected: 48,
            actual: 47,
            ..
        })
    ));
    assert!(matches!(
        g2_from_bytes(&[0u8; 48], "p"),
        Err(BbsError::InvalidLength {
            expected: 96,
            actual: 48,
            ..
        })
    ));
}

#[test]
fn secret_key_errors() {
    assert!(matches!(
        SecretKey::from_bytes(&[1u8; 31]),
        Err(BbsError::InvalidLength {
            what: "secret key",
            expected: 32,
            actual: 31
        })
    ));
    assert!(matches!(
        SecretKey::from_bytes(&R),
        Err(BbsError::ScalarOutOfRange { what: "secret key" })
    ));
    assert!(matches!(
        SecretKey::from_bytes(&[0xff; 32]),
        Err(BbsError::ScalarOutOfRange { .. })
    ));
    assert!(matches!(
        SecretKey::from_bytes(&[0; 32]),
        Err(BbsError::ZeroScalar { what: "secret key" })
    ));
    let mut r_minus_one = R;
    r_minus_one[31] = 0;
    assert!(SecretKey::from_bytes(&r_minus_one).is_ok());
}

fn valid_signature() -> (PublicKey, Signature) {
    let (sk, pk) = key();
    let signature = sign::<Bls12381Sha256, _>(&sk, &pk, b"header", &messages()).unwrap();
    (pk, signature)
}

#[test]
fn signature_errors() {
    let (pk, signature) = valid_signature();
    let bytes = signature.to_bytes();
    assert!(matches!(
        Signature::from_bytes(&bytes[..79]),
        Err(BbsError::InvalidLength {
            what: "signature",
            expected: 80,
            actual: 79
        })
    ));
    let mut zero_e = bytes;
    zero_e[48..].fill(0);
    assert!(matches!(
        Signature::from_bytes(&zero_e),
        Err(BbsError::ZeroScalar {
            what: "signature e"
        })
    ));
    let mut big_e = bytes;
    big_e[48..].copy_from_slice(&R);
    assert!(matches!(
        Signature::from_bytes(&big_e),
        Err(BbsError::ScalarOutOfRange {
            what: "signature e"
        })
    ));
    let mut identity_a = bytes;
    identity_a[..48].copy_from_slice(&identity::<48>());
    assert!(matches!(
        Signature::from_bytes(&identity_a),
        Err(BbsError::IdentityPoint {
            what: "signature A"
        })
    ));
    let mut off_curve = bytes;
    off_curve[..48].copy_from_slice(&g1_off_curve());
    assert!(matches!(
        Signature::from_bytes(&off_curve),
        Err(BbsError::PointNotOnCurve {
            what: "signature A"
        })
    ));
    let mut outside = bytes;
    outside[..48].copy_from_slice(&g1_outside_subgroup());
    assert!(matches!(
        Signature::from_bytes(&outside),
        Err(BbsError::PointNotInSubgroup {
            what: "signature A"
        })
    ));
    // Valid encoding, wrong content.
    let mut other = messages();
    other[2].push(0);
    assert!(matches!(
        verify::<Bls12381Sha256, _>(&pk, &signature, b"header", &other),
        Err(BbsError::InvalidSignature)
    ));
    assert!(matches!(
        verify::<Bls12381Shake256, _>(&pk, &signature, b"header", &messages()),
        Err(BbsError::InvalidSignature)
    ));
    verify::<Bls12381Sha256, _>(&pk, &signature, b"header", &messages()).unwrap();
}

#[test]
fn proof_errors() {
    let (pk, signature) = valid_signature();
    let msgs = messages();
    let proof =
        proof_gen::<Bls12381Sha256, _>(&pk, &signature, b"header", b"ph", &msgs, &[1, 3]).unwrap();
    let bytes = proof.to_bytes();
    assert_eq!(bytes.len(), 144 + 32 * (4 + 3));
    for len in [0, 100, 271, bytes.len() - 1, bytes.len() + 1] {
        assert!(matches!(
            Proof::from_bytes(&bytes[..len.min(bytes.len())].iter().copied().chain(std::iter::repeat_n(0, len.saturating_sub(bytes.len()))).collect::<Vec<_>>()),
            Err(BbsError::InvalidProofLength { actual }) if actual == len
        ));
    }
    let mut identity_abar = bytes.clone();
    identity_abar[..48].copy_from_slice(&identity::<48>());
    assert!(matches!(
        Proof::from_bytes(&identity_abar),
        Err(BbsError::IdentityPoint {
            what: "proof A_bar"
        })
    ));
    let mut bad_d = bytes.clone();
    bad_d[96..144].copy_from_slice(&g1_outside_subgroup());
    assert!(matches!(
        Proof::from_bytes(&bad_d),
        Err(BbsError::PointNotInSubgroup { what: "proof D" })
    ));
    let mut off_bbar = bytes.clone();
    off_bbar[48..96].copy_from_slice(&g1_off_curve());
    assert!(matches!(
        Proof::from_bytes(&off_bbar),
        Err(BbsError::PointNotOnCurve {
            what: "proof B_bar"
        })
    ));
    let mut zero_scalar = bytes.clone();
    zero_scalar[144..176].fill(0);
    assert!(matches!(
        Proof::from_bytes(&zero_scalar),
        Err(BbsError::ZeroScalar {
            what: "proof scalar"
        })
    ));
    let mut big_challenge = bytes.clone();
    let n = big_challenge.len();
    big_challenge[n - 32..].copy_from_slice(&R);
    assert!(matches!(
        Proof::from_bytes(&big_challenge),
        Err(BbsError::ScalarOutOfRange {
            what: "proof scalar"
        })
    ));

    // Disclosed indexes at ProofGen.
    assert!(matches!(
        proof_gen::<Bls12381Sha256, _>(&pk, &signature, b"header", b"ph", &msgs, &[1, 5]),
        Err(BbsError::DisclosedIndexOutOfRange {
            index: 5,
            message_count: 5
        })
    ));
    assert!(matches!(
        proof_gen::<Bls12381Sha256, _>(&pk, &signature, b"header", b"ph", &msgs, &[3, 1]),
        Err(BbsError::DisclosedIndexesNotSorted)
    ));
    assert!(matches!(
        proof_gen::<Bls12381Sha256, _>(&pk, &signature, b"header", b"ph", &msgs, &[1, 1]),
        Err(BbsError::DisclosedIndexesNotSorted)
    ));
    // Disclosed indexes at ProofVerify (L = R + U = 5).
    let disclosed = [&msgs[1], &msgs[3]];
    proof_verify::<Bls12381Sha256, _>(&pk, &proof, b"header", b"ph", &disclosed, &[1, 3]).unwrap();
    assert!(matches!(
        proof_verify::<Bls12381Sha256, _>(&pk, &proof, b"header", b"ph", &disclosed, &[1, 5]),
        Err(BbsError::DisclosedIndexOutOfRange {
            index: 5,
            message_count: 5
        })
    ));
    assert!(matches!(
        proof_verify::<Bls12381Sha256, _>(&pk, &proof, b"header", b"ph", &disclosed, &[3, 1]),
        Err(BbsError::DisclosedIndexesNotSorted)
    ));
    assert!(matches!(
        proof_verify::<Bls12381Sha256, _>(&pk, &proof, b"header", b"ph", &disclosed, &[1]),
        Err(BbsError::DisclosedCountMismatch {
            messages: 2,
            indexes: 1
        })
    ));
    // Wrong disclosed message, wrong ph, wrong header, wrong suite: InvalidProof.
    let wrong = [&msgs[1], &msgs[2]];
    assert!(matches!(
        proof_verify::<Bls12381Sha256, _>(&pk, &proof, b"header", b"ph", &wrong, &[1, 3]),
        Err(BbsError::InvalidProof)
    ));
    assert!(matches!(
        proof_verify::<Bls12381Sha256, _>(&pk, &proof, b"header", b"other", &disclosed, &[1, 3]),
        Err(BbsError::InvalidProof)
    ));
    assert!(matches!(
        proof_verify::<Bls12381Sha256, _>(&pk, &proof, b"other", b"ph", &disclosed, &[1, 3]),
        Err(BbsError::InvalidProof)
    ));
    assert!(matches!(
        proof_verify::<Bls12381Shake256, _>(&pk, &proof, b"header", b"ph", &disclosed, &[1, 3]),
        Err(BbsError::InvalidProof)
    ));
    // Shifted indexes: same messages claimed at other positions.
    assert!(matches!(
        proof_verify::<Bls12381Sha256, _>(&pk, &proof, b"header", b"ph", &disclosed, &[0, 3]),
        Err(BbsError::InvalidProof)
    ));
}

#[test]
fn proofs_disclosing_nothing_and_everything() {
    let (pk, signature) = valid_signature();
    let msgs = messages();
    let none = proof_gen::<Bls12381Sha256, _>(&pk, &signature, b"header", b"", &msgs, &[]).unwrap();
    assert_eq!(none.undisclosed_count(), 5);
    proof_verify::<Bls12381Sha256, Vec<u8>>(&pk, &none, b"header", b"", &[], &[]).unwrap();
    let all =
        proof_gen::<Bls12381Sha256, _>(&pk, &signature, b"header", b"", &msgs, &[0, 1, 2, 3, 4])
            .unwrap();
    assert_eq!(all.to_bytes().len(), 144 + 128);
    proof_verify::<Bls12381Sha256, _>(&pk, &all, b"header", b"", &msgs, &[0, 1, 2, 3, 4]).unwrap();
    // Proofs are randomised.
    let again =
        proof_gen::<Bls12381Sha256, _>(&pk, &signature, b"header", b"", &msgs, &[]).unwrap();
    assert_ne!(again.to_bytes(), none.to_bytes());
    // Signing no message at all works too.
    let (sk, _) = key();
    let empty: [&[u8]; 0] = [];
    let s = sign::<Bls12381Shake256, _>(&sk, &pk, b"", &empty).unwrap();
    verify::<Bls12381Shake256, _>(&pk, &s, b"", &empty).unwrap();
    let p = proof_gen::<Bls12381Shake256, _>(&pk, &s, b"", b"", &empty, &[]).unwrap();
    proof_verify::<Bls12381Shake256, _>(&pk, &p, b"", b"", &empty, &[]).unwrap();
}

#[test]
fn long_dst_is_refused() {
    assert!(matches!(
        hash_to_scalar::<Bls12381Sha256>(b"m", &[0; 256]),
        Err(BbsError::DstTooLong { length: 256 })
    ));
    assert!(matches!(
        hash_to_scalar::<Bls12381Shake256>(b"m", &[0; 300]),
        Err(BbsError::DstTooLong { length: 300 })
    ));
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Extend(Vec<u8>),
    Replace(usize, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, x)| Mutation::Flip(i, x)),
        any::<usize>().prop_map(Mutation::Truncate),
        prop::collection::vec(any::<u8>(), 1..80).prop_map(Mutation::Extend),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..64))
            .prop_map(|(i, v)| Mutation::Replace(i, v)),
    ]
}

fn apply(bytes: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for m in mutations {
        match m {
            Mutation::Flip(i, x) if !out.is_empty() => {
                let i = i % out.len();
                out[i] ^= x;
            }
            Mutation::Truncate(n) if !out.is_empty() => out.truncate(n % out.len()),
            Mutation::Extend(v) => out.extend_from_slice(v),
            Mutation::Replace(i, v) if !out.is_empty() => {
                let start = i % out.len();
                for (slot, b) in out[start..].iter_mut().zip(v) {
                    *slot = *b;
                }
            }
            _ => {}
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Mutated signatures never panic; a changed encoding never verifies.
    #[test]
    fn mutated_signatures_never_panic(mutations in prop::collection::vec(mutation(), 1..4)) {
        let (pk, signature) = valid_signature();
        let original = signature.to_bytes();
        let bytes = apply(&original, &mutations);
        let outcome = Signature::from_bytes(&bytes)
            .and_then(|s| verify::<Bls12381Sha256, _>(&pk, &s, b"header", &messages()));
        if bytes.as_slice() != original.as_slice() {
            prop_assert!(outcome.is_err());
        } else {
            prop_assert!(outcome.is_ok());
        }
    }

    /// Mutated proofs (and arbitrary disclosed index lists) never panic; a changed proof
    /// never verifies.
    #[test]
    fn mutated_proofs_never_panic(
        mutations in prop::collection::vec(mutation(), 1..4),
        indexes in prop::collection::vec(0usize..12, 0..4),
    ) {
        let (pk, signature) = valid_signature();
        let msgs = messages();
        let proof = proof_gen::<Bls12381Sha256, _>(&pk, &signature, b"header", b"ph", &msgs, &[0, 2]).unwrap();
        let original = proof.to_bytes();
        let bytes = apply(&original, &mutations);
        let disclosed = [&msgs[0], &msgs[2]];
        let outcome = Proof::from_bytes(&bytes)
            .and_then(|p| proof_verify::<Bls12381Sha256, _>(&pk, &p, b"header", b"ph", &disclosed, &[0, 2]));
        if bytes != original {
            prop_assert!(outcome.is_err());
        } else {
            prop_assert!(outcome.is_ok());
        }
        if let Ok(p) = Proof::from_bytes(&bytes) {
            let any_messages: Vec<Vec<u8>> = indexes.iter().map(|i| vec![*i as u8]).collect();
            let _ = proof_verify::<Bls12381Shake256, _>(&pk, &p, b"", b"", &any_messages, &indexes);
        }
    }

    /// Arbitrary bytes as public key, signature and proof never panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = PublicKey::from_bytes(&bytes);
        let _ = Signature::from_bytes(&bytes);
        let _ = Proof::from_bytes(&bytes);
        let _ = SecretKey::from_bytes(&bytes);
    }
}
