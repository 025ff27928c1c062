//! P-256 holder keys: encodings, signing (RFC 6979, low `s`), verification, and the typed
//! error of every malformed input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_core::keys::{
    self, KdfParams, KeyAlgorithm, KeyError, KeyFile, P256_PUBLIC_KEY_LEN, PublicKey, SecretKey,
    SignatureError,
};
use p256::elliptic_curve::scalar::IsHigh as _;

/// The order n of the P-256 group, big-endian.
const ORDER_HEX: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

fn key() -> SecretKey {
    SecretKey::from_bytes(KeyAlgorithm::P256, &[0x42; 32]).unwrap()
}

#[test]
fn a_p256_key_signs_deterministically_with_low_s_and_the_signature_verifies() {
    let key = key();
    assert_eq!(key.algorithm(), KeyAlgorithm::P256);
    let public = key.public_key();
    assert_eq!(public.to_bytes().len(), P256_PUBLIC_KEY_LEN);
    assert!(matches!(public.to_bytes()[0], 0x02 | 0x03));
    let signature = key.sign(b"time slot 2026-11-21T08:00").unwrap();
    assert_eq!(signature.len(), 64);
    assert_eq!(
        signature,
        key.sign(b"time slot 2026-11-21T08:00").unwrap(),
        "RFC 6979"
    );
    let parsed = p256::ecdsa::Signature::from_slice(&signature).unwrap();
    assert!(!bool::from(parsed.s().is_high()));
    public
        .verify(b"time slot 2026-11-21T08:00", &signature)
        .unwrap();
    assert_eq!(
        public.verify(b"time slot 2026-11-21T08:01", &signature),
        Err(SignatureError::Invalid)
    );
    // It is plain ECDSA P-256 / SHA-256: the p256 crate verifies it.
    let PublicKey::P256(verifying_key) = &public else {
        panic!("P-256 expected")
    };
    use p256::ecdsa::signature::Verifier as _;
    verifying_key
        .verify(b"time slot 2026-11-21T08:00", &parsed)
        .unwrap();
}

#[test]
fn secret_and_public_keys_round_trip_through_their_bytes() {
    let key = SecretKey::generate(KeyAlgorithm::P256);
    let restored = SecretKey::from_bytes(KeyAlgorithm::P256, &key.to_bytes()).unwrap();
    assert_eq!(restored.public_key(), key.public_key());
    let public = key.public_key();
    assert_eq!(
        PublicKey::from_bytes(KeyAlgorithm::P256, &public.to_bytes()).unwrap(),
        public
    );
    assert_eq!("p256".parse::<KeyAlgorithm>(), Ok(KeyAlgorithm::P256));
    assert_eq!(KeyAlgorithm::P256.public_key_len(), 33);
}

#[test]
fn an_uncompressed_public_key_is_accepted_and_encoded_compressed() {
    let public = key().public_key();
    let PublicKey::P256(verifying_key) = &public else {
        panic!("P-256 expected")
    };
    let uncompressed = verifying_key.to_encoded_point(false).as_bytes().to_vec();
    assert_eq!(uncompressed.len(), 65);
    let parsed = PublicKey::from_bytes(KeyAlgorithm::P256, &uncompressed).unwrap();
    assert_eq!(parsed, public);
    assert_eq!(parsed.to_bytes(), public.to_bytes());
}

#[test]
fn public_keys_of_the_wrong_length_are_refused_with_their_length() {
    let compressed = key().public_key().to_bytes();
    for bytes in [
        &compressed[..32],
        &[compressed.as_slice(), &[0]].concat()[..],
        &[][..],
        &[0x04; 64][..],
    ] {
        assert_eq!(
            PublicKey::from_bytes(KeyAlgorithm::P256, bytes),
            Err(KeyError::InvalidLength {
                algorithm: KeyAlgorithm::P256,
                expected: 33,
                actual: bytes.len()
            })
        );
    }
}

#[test]
fn a_point_not_on_the_curve_is_refused() {
    let invalid = Err(KeyError::InvalidPublicKey {
        algorithm: KeyAlgorithm::P256,
    });
    // x = 1: x^3 - 3x + b is not a square mod p, so no point has this x.
    let mut compressed = [0u8; 33];
    compressed[0] = 0x02;
    compressed[32] = 1;
    assert_eq!(
        PublicKey::from_bytes(KeyAlgorithm::P256, &compressed),
        invalid
    );
    // A valid point with its y changed.
    let PublicKey::P256(verifying_key) = key().public_key() else {
        panic!("P-256 expected")
    };
    let mut uncompressed = verifying_key.to_encoded_point(false).as_bytes().to_vec();
    uncompressed[64] ^= 1;
    assert_eq!(
        PublicKey::from_bytes(KeyAlgorithm::P256, &uncompressed),
        invalid
    );
    // A SEC1 tag that is not the form's (05 is a "compact" point, 04 needs 65 bytes, 02 needs
    // 33), and x not below p.
    for (tag, bytes) in [
        (0x05, key().public_key().to_bytes()),
        (0x04, key().public_key().to_bytes()),
        (0x00, key().public_key().to_bytes()),
        (0x02, uncompressed.clone()),
    ] {
        let mut tagged = bytes;
        tagged[0] = tag;
        assert_eq!(
            PublicKey::from_bytes(KeyAlgorithm::P256, &tagged),
            invalid,
            "{tag}"
        );
    }
    let mut too_big = [0xff; 33];
    too_big[0] = 0x03;
    assert_eq!(PublicKey::from_bytes(KeyAlgorithm::P256, &too_big), invalid);
}

#[test]
fn secret_keys_out_of_range_or_of_the_wrong_length_are_refused() {
    let out_of_range = Err(KeyError::InvalidSecretKey {
        algorithm: KeyAlgorithm::P256,
    });
    let order = hex::decode(ORDER_HEX).unwrap();
    for bytes in [[0u8; 32].to_vec(), order.clone(), vec![0xff; 32]] {
        assert_eq!(
            SecretKey::from_bytes(KeyAlgorithm::P256, &bytes).map(|key| key.public_key()),
            out_of_range
        );
    }
    // n - 1 is the largest valid scalar.
    let mut largest = order;
    largest[31] -= 1;
    assert!(SecretKey::from_bytes(KeyAlgorithm::P256, &largest).is_ok());
    assert_eq!(
        SecretKey::from_bytes(KeyAlgorithm::P256, &[1; 31]).map(|key| key.public_key()),
        Err(KeyError::InvalidLength {
            algorithm: KeyAlgorithm::P256,
            expected: 32,
            actual: 31
        })
    );
}

#[test]
fn signatures_of_the_wrong_length_or_with_scalars_out_of_range_are_refused() {
    let key = key();
    let public = key.public_key();
    let signature = key.sign(b"m").unwrap();
    for length in [0, 63, 65, 70, 96] {
        let mut bytes = signature.clone();
        bytes.resize(length, 0);
        assert_eq!(
            public.verify(b"m", &bytes),
            Err(SignatureError::InvalidLength {
                expected: 64,
                actual: length
            })
        );
    }
    let order = hex::decode(ORDER_HEX).unwrap();
    let zero_r = [&[0u8; 32][..], &signature[32..]].concat();
    let s_is_n = [&signature[..32], &order[..]].concat();
    for bytes in [zero_r, s_is_n] {
        assert_eq!(public.verify(b"m", &bytes), Err(SignatureError::Malformed));
    }
}

#[test]
fn keystore_signatures_convert_from_der_with_typed_errors() {
    let key = key();
    let signature = key.sign(b"m").unwrap();
    let parsed = p256::ecdsa::Signature::from_slice(&signature).unwrap();
    let der = parsed.to_der();
    assert_eq!(
        keys::p256::signature_from_der(der.as_bytes()).unwrap(),
        signature
    );
    assert_eq!(
        keys::p256::signature_from_der(&signature),
        Err(SignatureError::Malformed)
    );
    assert_eq!(
        keys::p256::signature_from_der(&[]),
        Err(SignatureError::Malformed)
    );
    assert_eq!(
        keys::p256::normalize_signature(&signature[..63]),
        Err(SignatureError::InvalidLength {
            expected: 64,
            actual: 63
        })
    );
}

#[test]
fn a_p256_key_file_seals_and_opens() {
    let key = key();
    let file = KeyFile::seal_with_params(&key, b"pass", KdfParams::INSECURE_FOR_TESTS).unwrap();
    assert_eq!(file.algorithm().unwrap(), KeyAlgorithm::P256);
    assert!(
        file.did_key()
            .unwrap()
            .did()
            .as_str()
            .starts_with("did:key:zDn")
    );
    let opened = KeyFile::from_json(&file.to_json())
        .unwrap()
        .open(b"pass")
        .unwrap();
    assert_eq!(opened.public_key(), key.public_key());
    assert_eq!(opened.to_bytes(), key.to_bytes());
}
