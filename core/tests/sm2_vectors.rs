//! SM2 / SM3 vectors (`sm2/` of the shared vectors): the GM/T 0003.5 known-answer signature
//! on sm2p256v1 (Z_A, e, r, s), the example-curve vector (which the `sm2` crate cannot run:
//! its curve is not sm2p256v1), the collector's negative cases, the OpenSSL prehash cases,
//! the SM3 KATs and the Wycheproof HMAC-SM3 cases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_core::keys::sm2::{SM2P256V1_A, SM2P256V1_B, SM2P256V1_GX, SM2P256V1_GY};
use crosscode_core::keys::{
    DEFAULT_SM2_ID, KeyAlgorithm, KeyError, PublicKey, SecretKey, SignatureError,
};
use crosscode_testing::vectors::{hex_field, read_json};
use hmac013::{KeyInit, Mac};
use serde_json::Value;
use sm3::{Digest, Sm3};

fn sm3(parts: &[&[u8]]) -> Vec<u8> {
    let mut hasher = Sm3::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().to_vec()
}

/// Z_A computed from the vector's own curve parameters with plain SM3 (independent of the
/// library's Z_A code).
fn za_from_params(curve: &Value, id: &[u8], x: &[u8], y: &[u8]) -> Vec<u8> {
    let entl = u16::try_from(id.len() * 8).unwrap().to_be_bytes();
    sm3(&[
        &entl,
        id,
        &hex_field(curve, "a"),
        &hex_field(curve, "b"),
        &hex_field(curve, "Gx"),
        &hex_field(curve, "Gy"),
        x,
        y,
    ])
}

#[test]
fn gmt_0003_5_vector_1_sm2p256v1_default_id() {
    let file = read_json("sm2/sm2_sign_kat.json");
    let vector = &file["vectors"][0];
    assert_eq!(
        vector["name"].as_str().unwrap(),
        "gmt-0003.5-annexA-sm2p256v1-default-id"
    );
    assert_eq!(vector["curve"].as_str().unwrap(), "sm2p256v1");
    let id = vector["userId"].as_str().unwrap().as_bytes();
    assert_eq!(id, DEFAULT_SM2_ID);
    assert_eq!(hex_field(vector, "userIdHex"), DEFAULT_SM2_ID);
    assert_eq!(hex_field(vector, "entlaHex"), vec![0x00, 0x80]);
    let message = vector["message"].as_str().unwrap().as_bytes();
    assert_eq!(hex_field(vector, "messageHex"), message);

    // Public key from d.
    let secret =
        SecretKey::from_bytes(KeyAlgorithm::Sm2, &hex_field(vector, "privateKey")).unwrap();
    let public = secret.public_key();
    let uncompressed = hex_field(vector, "publicKeySec1Uncompressed");
    assert_eq!(public.as_sm2().unwrap().to_uncompressed(), uncompressed);
    assert_eq!(uncompressed[1..33], hex_field(vector, "publicKeyX")[..]);
    assert_eq!(uncompressed[33..], hex_field(vector, "publicKeyY")[..]);
    assert_eq!(
        PublicKey::from_bytes(KeyAlgorithm::Sm2, &uncompressed).unwrap(),
        public
    );
    assert_eq!(public.to_bytes().len(), 33);

    // Z_A and e: the library's values, and SM3 over the KAT's own curve parameters.
    let za = hex_field(vector, "ZA");
    assert_eq!(public.sm2_identity_hash(id).unwrap().to_vec(), za);
    let curve = &file["curves"]["sm2p256v1"];
    assert_eq!(
        za_from_params(curve, id, &uncompressed[1..33], &uncompressed[33..]),
        za
    );
    let e = hex_field(vector, "e");
    assert_eq!(sm3(&[&za, message]), e);

    // (r, s) with the KAT's nonce k, byte for byte.
    let rs = hex_field(vector, "signatureRawRS");
    assert_eq!(
        rs,
        [hex_field(vector, "r"), hex_field(vector, "s")].concat()
    );
    let e_array: [u8; 32] = e.clone().try_into().unwrap();
    let k: [u8; 32] = hex_field(vector, "k").try_into().unwrap();
    assert_eq!(
        secret
            .sign_sm2_digest_with_fixed_nonce_for_tests(&e_array, &k)
            .unwrap(),
        rs
    );

    // Verification: default-ID message API, explicit-ID API, prehash API, and the sm2
    // crate's own verifier as an independent check.
    assert_eq!(vector["result"].as_str().unwrap(), "valid");
    public.verify(message, &rs).unwrap();
    public.verify_sm2_with_id(id, message, &rs).unwrap();
    public.verify_sm2_digest(&e, &rs).unwrap();
    {
        use sm2::dsa::signature::Verifier;
        let key =
            sm2::dsa::VerifyingKey::from_sec1_bytes("1234567812345678", &uncompressed).unwrap();
        key.verify(message, &sm2::dsa::Signature::from_slice(&rs).unwrap())
            .unwrap();
    }

    // Our own random-nonce signatures verify, with the default and with a custom ID.
    for _ in 0..4 {
        let signature = secret.sign(message).unwrap();
        assert_eq!(signature.len(), 64);
        public.verify(message, &signature).unwrap();
        assert_eq!(
            public.verify_sm2_with_id(b"ALICE123@YAHOO.COM", message, &signature),
            Err(SignatureError::Invalid)
        );
    }
    let custom = secret
        .sign_sm2_with_id(b"ALICE123@YAHOO.COM", message)
        .unwrap();
    public
        .verify_sm2_with_id(b"ALICE123@YAHOO.COM", message, &custom)
        .unwrap();
    assert_eq!(
        public.verify(message, &custom),
        Err(SignatureError::Invalid)
    );
}

#[test]
fn negative_cases_all_rejected() {
    let file = read_json("sm2/sm2_sign_kat.json");
    let negatives = file["negative"].as_array().unwrap();
    assert_eq!(negatives.len(), 5);
    for case in negatives {
        let name = case["name"].as_str().unwrap();
        assert_eq!(case["result"].as_str().unwrap(), "invalid");
        assert_eq!(case["curve"].as_str().unwrap(), "sm2p256v1");
        let public = PublicKey::from_bytes(
            KeyAlgorithm::Sm2,
            &hex_field(case, "publicKeySec1Uncompressed"),
        )
        .unwrap();
        let id = case["userId"].as_str().unwrap().as_bytes();
        let message = case["message"].as_str().unwrap().as_bytes();
        let rs = hex_field(case, "signatureRawRS");
        let outcome = public.verify_sm2_with_id(id, message, &rs);
        let expected = match name {
            "neg-r-zero" | "neg-s-equals-n" => SignatureError::Malformed,
            _ => SignatureError::Invalid,
        };
        assert_eq!(outcome, Err(expected.clone()), "{name}");
        if id == DEFAULT_SM2_ID {
            assert_eq!(public.verify(message, &rs), Err(expected), "{name}");
        }
    }
}

#[test]
fn vector_2_example_curve_cannot_run_on_sm2p256v1() {
    // GB/T 32918.2 Annex A signs on a 256-bit *example* curve. The `sm2` crate implements
    // only sm2p256v1 (its field and group arithmetic are fixed at compile time), so this
    // vector cannot be verified or reproduced with it. We assert that the curve differs, that
    // its public key is not even a point of sm2p256v1, and check the parts that do not need
    // the curve arithmetic: Z_A and e are plain SM3 over the listed parameters.
    let file = read_json("sm2/sm2_sign_kat.json");
    let vector = &file["vectors"][1];
    assert_eq!(
        vector["name"].as_str().unwrap(),
        "gbt-32918.2-annexA-example-curve-alice"
    );
    assert_eq!(vector["curve"].as_str().unwrap(), "example-Fp256");
    let example = &file["curves"]["example-Fp256"];
    let production = &file["curves"]["sm2p256v1"];
    // The KAT's sm2p256v1 parameters are the ones the library hashes into Z_A...
    assert_eq!(hex_field(production, "a"), SM2P256V1_A);
    assert_eq!(hex_field(production, "b"), SM2P256V1_B);
    assert_eq!(hex_field(production, "Gx"), SM2P256V1_GX);
    assert_eq!(hex_field(production, "Gy"), SM2P256V1_GY);
    // ...and every parameter of the example curve is different.
    for parameter in ["p", "a", "b", "Gx", "Gy", "n"] {
        assert_ne!(
            hex_field(example, parameter),
            hex_field(production, parameter),
            "{parameter}"
        );
    }
    let uncompressed = hex_field(vector, "publicKeySec1Uncompressed");
    assert_eq!(
        PublicKey::from_bytes(KeyAlgorithm::Sm2, &uncompressed),
        Err(KeyError::InvalidPublicKey {
            algorithm: KeyAlgorithm::Sm2
        })
    );
    // The curve-independent parts.
    let id = vector["userId"].as_str().unwrap().as_bytes();
    assert_eq!(hex_field(vector, "userIdHex"), id);
    assert_eq!(hex_field(vector, "entlaHex"), vec![0x00, 0x90]);
    let za = za_from_params(example, id, &uncompressed[1..33], &uncompressed[33..]);
    assert_eq!(za, hex_field(vector, "ZA"));
    let message = vector["message"].as_str().unwrap().as_bytes();
    assert_eq!(sm3(&[&za, message]), hex_field(vector, "e"));
}

#[test]
fn openssl_verify_prehash_cases() {
    let file = read_json("sm2/openssl_sm2_verify_prehash.json");
    assert_eq!(file["curve"].as_str().unwrap(), "sm2p256v1");
    let uncompressed = hex_field(&file, "publicKeySec1Uncompressed");
    let public = PublicKey::from_bytes(KeyAlgorithm::Sm2, &uncompressed).unwrap();
    // The private key (hex and PKCS#8 PEM) belongs to the public key.
    let d = hex_field(&file, "privateKeyHex");
    let secret = SecretKey::from_bytes(KeyAlgorithm::Sm2, &d).unwrap();
    assert_eq!(secret.public_key(), public);
    {
        use sm2::pkcs8::DecodePrivateKey;
        let pem = file["privateKeyPkcs8Pem"].as_str().unwrap();
        let from_pem = sm2::SecretKey::from_pkcs8_pem(pem).unwrap();
        assert_eq!(from_pem.to_bytes().to_vec(), d);
    }
    let cases = file["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    let mut valid = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let e = hex_field(case, "e");
        let der = hex_field(case, "signatureDer");
        let rs = sm2::dsa::Signature::from_der(&der)
            .unwrap()
            .to_bytes()
            .to_vec();
        let outcome = public.verify_sm2_digest(&e, &rs);
        match case["result"].as_str().unwrap() {
            "valid" => {
                outcome.unwrap();
                valid += 1;
            }
            "invalid" => assert_eq!(outcome, Err(SignatureError::Invalid), "{name}"),
            other => panic!("{name}: unexpected result {other}"),
        }
    }
    assert_eq!(valid, 2);
}

#[test]
fn sm3_known_answers() {
    let file = read_json("sm2/sm3_kat.json");
    let vectors = file["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 5);
    for vector in vectors {
        let name = vector["name"].as_str().unwrap();
        let digest = hex_field(vector, "digest");
        let actual = if vector["inputHex"].is_null() {
            assert!(name.starts_with("1,000,000 x 'a'"));
            // Streaming, in uneven chunks.
            let mut hasher = Sm3::new();
            let chunk = [b'a'; 997];
            let mut remaining = 1_000_000usize;
            while remaining > 0 {
                let n = remaining.min(chunk.len());
                hasher.update(&chunk[..n]);
                remaining -= n;
            }
            hasher.finalize().to_vec()
        } else {
            let input = hex_field(vector, "inputHex");
            if let Some(text) = vector["input"].as_str() {
                assert_eq!(input, text.as_bytes(), "{name}");
            }
            sm3(&[&input])
        };
        assert_eq!(actual, digest, "{name}");
    }
}

#[test]
fn wycheproof_hmac_sm3_all_174_cases() {
    let file = read_json("sm2/wycheproof_hmac_sm3_test.json");
    assert_eq!(file["algorithm"].as_str().unwrap(), "HMACSM3");
    let mut count = 0;
    let mut valid = 0;
    for group in file["testGroups"].as_array().unwrap() {
        assert_eq!(group["type"].as_str().unwrap(), "MacTest");
        let tag_bytes = usize::try_from(group["tagSize"].as_u64().unwrap() / 8).unwrap();
        for case in group["tests"].as_array().unwrap() {
            count += 1;
            let id = case["tcId"].as_u64().unwrap();
            let key = hex_field(case, "key");
            let msg = hex_field(case, "msg");
            let tag = hex_field(case, "tag");
            let mut mac = <hmac013::Hmac<Sm3> as KeyInit>::new_from_slice(&key).unwrap();
            mac.update(&msg);
            let full = mac.finalize().into_bytes();
            let matches = tag.len() == tag_bytes && full[..tag_bytes] == tag[..];
            match case["result"].as_str().unwrap() {
                "valid" => {
                    assert!(matches, "tcId {id}");
                    valid += 1;
                }
                "invalid" => assert!(!matches, "tcId {id}"),
                other => panic!("tcId {id}: unexpected result {other}"),
            }
        }
    }
    assert_eq!(count, 174);
    assert_eq!(count, file["numberOfTests"].as_u64().unwrap());
    assert!(valid > 0);
}

#[test]
fn typed_errors() {
    let secret = SecretKey::generate(KeyAlgorithm::Sm2);
    let public = secret.public_key();
    let signature = secret.sign(b"m").unwrap();
    assert_eq!(
        public.verify(b"m", &signature[..10]),
        Err(SignatureError::InvalidLength {
            expected: 64,
            actual: 10
        })
    );
    assert_eq!(
        public.verify_sm2_digest(&[0u8; 31], &signature),
        Err(SignatureError::Invalid)
    );
    assert!(matches!(
        public.verify_sm2_with_id(&vec![b'a'; 9000], b"m", &signature),
        Err(SignatureError::DistinguishingIdTooLong { len: 9000 })
    ));
    assert!(matches!(
        secret.sign_sm2_with_id(&vec![b'a'; 9000], b"m"),
        Err(SignatureError::DistinguishingIdTooLong { len: 9000 })
    ));
    assert_eq!(
        PublicKey::from_bytes(KeyAlgorithm::Sm2, &[2u8; 40]),
        Err(KeyError::InvalidLength {
            algorithm: KeyAlgorithm::Sm2,
            expected: 33,
            actual: 40
        })
    );
    assert_eq!(
        PublicKey::from_bytes(KeyAlgorithm::Sm2, &[5u8; 33]),
        Err(KeyError::InvalidPublicKey {
            algorithm: KeyAlgorithm::Sm2
        })
    );
    // Secret scalars 0, n - 1 (1 + d not invertible) and >= n are refused.
    let n =
        hex::decode("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123").unwrap();
    let mut n_minus_one = n.clone();
    n_minus_one[31] -= 1;
    for bad in [vec![0u8; 32], n_minus_one, n, vec![0xff; 32]] {
        assert!(matches!(
            SecretKey::from_bytes(KeyAlgorithm::Sm2, &bad),
            Err(KeyError::InvalidSecretKey {
                algorithm: KeyAlgorithm::Sm2
            })
        ));
    }
    // BLS12-381 keys have no single-message signature.
    let bls = SecretKey::generate(KeyAlgorithm::Bls12381G2);
    assert_eq!(
        bls.sign(b"m"),
        Err(SignatureError::UnsupportedAlgorithm {
            algorithm: KeyAlgorithm::Bls12381G2
        })
    );
    assert_eq!(
        bls.public_key().verify(b"m", &[0u8; 64]),
        Err(SignatureError::UnsupportedAlgorithm {
            algorithm: KeyAlgorithm::Bls12381G2
        })
    );
}
