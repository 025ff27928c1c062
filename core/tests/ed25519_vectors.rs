//! Ed25519 vectors (`ed25519/` of the shared vectors): RFC 8032 §7.1, all 151 Wycheproof
//! cases, and the 12 ed25519-speccheck edge cases with Crosscode's documented position
//! (`docs/signatures.md`): `PublicKey::verify` is ed25519-dalek's `verify_strict`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_core::keys::{KeyAlgorithm, KeyError, PublicKey, SecretKey, SignatureError};
use crosscode_testing::vectors::{hex_field, read_json};
use ed25519_dalek::{Signature, VerifyingKey};

#[test]
fn rfc8032_section_7_1() {
    let file = read_json("ed25519/rfc8032_section7.1_ed25519.json");
    let vectors = file["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 5);
    for vector in vectors {
        let name = vector["name"].as_str().unwrap();
        let secret =
            SecretKey::from_bytes(KeyAlgorithm::Ed25519, &hex_field(vector, "secretKey")).unwrap();
        let public = secret.public_key();
        assert_eq!(public.to_bytes(), hex_field(vector, "publicKey"), "{name}");
        let message = hex_field(vector, "message");
        assert_eq!(
            message.len() as u64,
            vector["messageLength"].as_u64().unwrap()
        );
        let signature = secret.sign(&message).unwrap();
        assert_eq!(signature, hex_field(vector, "signature"), "{name}");
        public.verify(&message, &signature).unwrap();
        let parsed =
            PublicKey::from_bytes(KeyAlgorithm::Ed25519, &hex_field(vector, "publicKey")).unwrap();
        parsed.verify(&message, &signature).unwrap();
        let mut tampered = message.clone();
        tampered.push(0);
        assert_eq!(
            parsed.verify(&tampered, &signature),
            Err(SignatureError::Invalid)
        );
    }
}

#[test]
fn wycheproof_all_151_cases() {
    let file = read_json("ed25519/wycheproof_ed25519_test.json");
    // The schema file named by the test file is part of the folder; check it is the EdDSA
    // verify schema the cases follow.
    assert_eq!(
        file["schema"].as_str().unwrap(),
        "eddsa_verify_schema_v1.json"
    );
    let schema = read_json("ed25519/wycheproof_eddsa_verify_schema_v1.json");
    let schema_text = schema.to_string();
    assert!(schema_text.contains("EddsaVerify") || schema_text.contains("EDDSAPublicKey"));

    let mut count = 0;
    let mut valid = 0;
    for group in file["testGroups"].as_array().unwrap() {
        let pk = hex::decode(group["publicKey"]["pk"].as_str().unwrap()).unwrap();
        let key = PublicKey::from_bytes(KeyAlgorithm::Ed25519, &pk);
        for case in group["tests"].as_array().unwrap() {
            count += 1;
            let id = case["tcId"].as_u64().unwrap();
            let msg = hex_field(case, "msg");
            let sig = hex_field(case, "sig");
            let expected_valid = match case["result"].as_str().unwrap() {
                "valid" => true,
                "invalid" => false,
                other => panic!("tcId {id}: unexpected result {other}"),
            };
            let outcome = match &key {
                Ok(key) => key.verify(&msg, &sig),
                Err(_) => Err(SignatureError::Invalid),
            };
            assert_eq!(outcome.is_ok(), expected_valid, "tcId {id}: {outcome:?}");
            if expected_valid {
                valid += 1;
            } else if sig.len() != 64 {
                assert!(
                    matches!(outcome, Err(SignatureError::InvalidLength { .. })),
                    "tcId {id}"
                );
            }
        }
    }
    assert_eq!(count, 151);
    assert_eq!(count, file["numberOfTests"].as_u64().unwrap());
    assert_eq!(valid, 88);
}

/// Facts about a speccheck case, computed here (not taken from the case list): the order
/// of `A` and `R`, canonical encodings, and `S < L`.
#[derive(Debug, PartialEq, Eq)]
struct CaseFacts {
    a_small_order: bool,
    a_canonical: bool,
    r_small_order: bool,
    r_canonical: bool,
    s_reduced: bool,
}

fn point_facts(bytes: &[u8; 32]) -> (bool, bool) {
    // VerifyingKey::from_bytes only decompresses, so it serves to inspect any point.
    let key = VerifyingKey::from_bytes(bytes).unwrap();
    let point = key.to_edwards();
    (
        point.is_small_order(),
        point.compress().to_bytes() == *bytes,
    )
}

/// Is the 32-byte little-endian `s` below the group order L?
fn below_group_order(s: &[u8]) -> bool {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x10,
    ];
    for i in (0..32).rev() {
        if s[i] != L[i] {
            return s[i] < L[i];
        }
    }
    false
}

fn case_facts(pk: &[u8; 32], sig: &[u8; 64]) -> CaseFacts {
    let (a_small_order, a_canonical) = point_facts(pk);
    let mut r = [0u8; 32];
    r.copy_from_slice(&sig[..32]);
    let (r_small_order, r_canonical) = point_facts(&r);
    CaseFacts {
        a_small_order,
        a_canonical,
        r_small_order,
        r_canonical,
        s_reduced: below_group_order(&sig[32..]),
    }
}

/// Crosscode's position per speccheck case (see docs/signatures.md): `true` = accepted by
/// `PublicKey::verify`. Only case 3 (mixed-order A and R, valid under both the cofactored
/// and the cofactorless equation, canonical encodings, S < L) is accepted.
const OUR_POSITION: [bool; 12] = [
    false, false, false, true, false, false, false, false, false, false, false, false,
];

/// ed25519-dalek 2.2 `verify` (the permissive, cofactorless one), pinned so that a
/// dependency bump that changes acceptance is noticed. Crosscode never uses it.
const DALEK_VERIFY: [bool; 12] = [
    true, true, true, true, false, false, false, false, false, false, false, true,
];

#[test]
fn speccheck_cases_documented_position() {
    let cases = read_json("ed25519/speccheck_cases.json");
    let cases = cases.as_array().unwrap();
    assert_eq!(cases.len(), 12);
    let facts: Vec<CaseFacts> = cases
        .iter()
        .map(|case| {
            let pk: [u8; 32] = hex_field(case, "pub_key").try_into().unwrap();
            let sig: [u8; 64] = hex_field(case, "signature").try_into().unwrap();
            case_facts(&pk, &sig)
        })
        .collect();
    let f = |a_small, a_canon, r_small, r_canon, s_red| CaseFacts {
        a_small_order: a_small,
        a_canonical: a_canon,
        r_small_order: r_small,
        r_canonical: r_canon,
        s_reduced: s_red,
    };
    // The case descriptions of docs/signatures.md, checked against the bytes.
    let expected_facts = [
        f(true, true, true, true, true),    // 0: small-order A and R, S = 0
        f(true, true, false, true, true),   // 1: small-order A, mixed-order R
        f(false, true, true, true, true),   // 2: mixed-order A, small-order R
        f(false, true, false, true, true),  // 3: mixed-order A and R, both equations hold
        f(false, true, false, true, true),  // 4: mixed-order A and R, cofactored only
        f(false, true, false, true, true),  // 5: cofactored only, hash not reduced like dalek
        f(false, true, false, true, false), // 6: S > L (S - L would verify)
        f(false, true, false, true, false), // 7: S >> L (high bits set)
        f(false, true, true, false, true),  // 8: non-canonical small-order R
        f(false, true, true, false, true),  // 9: non-canonical small-order R (other hash)
        f(true, false, false, true, true),  // 10: non-canonical small-order A
        f(true, false, false, true, true),  // 11: non-canonical small-order A (other hash)
    ];
    for (index, (actual, expected)) in facts.iter().zip(expected_facts.iter()).enumerate() {
        assert_eq!(actual, expected, "speccheck case {index}");
    }
    assert!(facts[0].s_reduced);
    assert!(
        hex_field(&cases[0], "signature")[32..]
            .iter()
            .all(|&b| b == 0)
    );

    for (index, case) in cases.iter().enumerate() {
        let pk = hex_field(case, "pub_key");
        let msg = hex_field(case, "message");
        let sig = hex_field(case, "signature");
        // Every speccheck public key decodes (decompression only); verify decides.
        let key = PublicKey::from_bytes(KeyAlgorithm::Ed25519, &pk).unwrap();
        let ours = key.verify(&msg, &sig);
        assert_eq!(ours.is_ok(), OUR_POSITION[index], "case {index}: {ours:?}");
        if !OUR_POSITION[index] {
            assert_eq!(ours, Err(SignatureError::Invalid), "case {index}");
        }
        // Pin ed25519-dalek's two verifiers.
        let dalek_key = VerifyingKey::from_bytes(&pk.clone().try_into().unwrap()).unwrap();
        let signature = Signature::from_slice(&sig).unwrap();
        assert_eq!(
            dalek_key.verify_strict(&msg, &signature).is_ok(),
            OUR_POSITION[index],
            "verify_strict case {index}"
        );
        assert_eq!(
            ed25519_dalek::Verifier::verify(&dalek_key, &msg, &signature).is_ok(),
            DALEK_VERIFY[index],
            "verify case {index}"
        );
    }
}

#[test]
fn typed_errors() {
    let secret = SecretKey::generate(KeyAlgorithm::Ed25519);
    let public = secret.public_key();
    let signature = secret.sign(b"m").unwrap();
    assert_eq!(
        public.verify(b"m", &signature[..63]),
        Err(SignatureError::InvalidLength {
            expected: 64,
            actual: 63
        })
    );
    assert_eq!(
        PublicKey::from_bytes(KeyAlgorithm::Ed25519, &[0u8; 31]),
        Err(KeyError::InvalidLength {
            algorithm: KeyAlgorithm::Ed25519,
            expected: 32,
            actual: 31
        })
    );
    let mut not_a_point = [0u8; 32];
    not_a_point[0] = 2;
    assert_eq!(
        PublicKey::from_bytes(KeyAlgorithm::Ed25519, &not_a_point),
        Err(KeyError::InvalidPublicKey {
            algorithm: KeyAlgorithm::Ed25519
        })
    );
    assert_eq!(
        SecretKey::from_bytes(KeyAlgorithm::Ed25519, &[1u8; 33]).unwrap_err(),
        KeyError::InvalidLength {
            algorithm: KeyAlgorithm::Ed25519,
            expected: 32,
            actual: 33
        }
    );
    // Ed25519 keys cannot be used with the SM2-only operations.
    assert_eq!(
        public.verify_sm2_with_id(b"id", b"m", &signature),
        Err(SignatureError::NotSm2 {
            algorithm: KeyAlgorithm::Ed25519
        })
    );
    assert_eq!(
        secret.sign_sm2_with_id(b"id", b"m"),
        Err(SignatureError::NotSm2 {
            algorithm: KeyAlgorithm::Ed25519
        })
    );
}
