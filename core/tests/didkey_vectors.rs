//! did:key test vectors (`didkey/` of the shared vectors): every Ed25519, P-256 and BLS12-381
//! G2 DID decodes to its published key and re-encodes to the same DID; every other key type
//! (X25519, secp256k1, P-384/521, BLS12-381 G1G2) is refused with a typed
//! `UnsupportedKeyType { codec }`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_core::did::VerificationRelationship;
use crosscode_core::did::{
    DID_LD_JSON, DID_V1_CONTEXT, Did, DidError, DidKey, DidKeyResolver, DidUrl, KeyResolver,
    MULTIKEY_V1_CONTEXT, resolve,
};
use crosscode_core::keys::{KeyAlgorithm, KeyError, PublicKey, SecretKey};
use crosscode_core::multicodec::{self, MulticodecError};
use crosscode_testing::vectors::read_json;
use serde_json::{Value, json};

fn base58(text: &str) -> Vec<u8> {
    bs58::decode(text).into_vec().unwrap()
}

/// The public key of a legacy key pair: `publicKeyBase58`, or the JWK `x` (base64url).
fn pair_public_key(pair: &Value) -> Vec<u8> {
    use base64::Engine as _;
    match pair["publicKeyBase58"].as_str() {
        Some(text) => base58(text),
        None => base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(pair["publicKeyJwk"]["x"].as_str().unwrap())
            .unwrap(),
    }
}

/// The multicodec code inside a did:key, decoded independently of `DidKey`.
fn codec_of_did(did: &str) -> u64 {
    let bytes = multicodec::decode_base58btc(did.strip_prefix("did:key:").unwrap()).unwrap();
    multicodec::split_codec(&bytes).unwrap().0
}

fn assert_round_trip(did: &str, expected_key: &[u8], algorithm: KeyAlgorithm) -> DidKey {
    let did_key = DidKey::parse_str(did).unwrap_or_else(|err| panic!("{did}: {err}"));
    assert_eq!(did_key.public_key().algorithm(), algorithm, "{did}");
    assert_eq!(did_key.public_key().to_bytes(), expected_key, "{did}");
    let public_key = PublicKey::from_bytes(algorithm, expected_key).unwrap();
    let encoded = DidKey::from_public_key(&public_key);
    assert_eq!(encoded.did().as_str(), did);
    assert_eq!(encoded, did_key);
    did_key
}

fn assert_unsupported(did: &str, codec: u64) {
    let err = DidKey::parse_str(did).unwrap_err();
    assert_eq!(
        err,
        DidError::Multicodec(MulticodecError::UnsupportedKeyType { codec }),
        "{did}"
    );
    // Resolution gives the same typed error.
    assert_eq!(resolve(&Did::parse(did).unwrap()).unwrap_err(), err);
}

#[test]
fn ed25519_x25519_vectors_seed_key_did_both_directions() {
    let vectors = read_json("didkey/ed25519-x25519.json");
    let entries = vectors.as_object().unwrap();
    assert_eq!(entries.len(), 5);
    for (did, entry) in entries {
        let seed = hex::decode(entry["seed"].as_str().unwrap()).unwrap();
        let expected_key = pair_public_key(&entry["verificationKeyPair"]);
        // seed -> key -> DID
        let secret = SecretKey::from_bytes(KeyAlgorithm::Ed25519, &seed).unwrap();
        assert_eq!(secret.public_key().to_bytes(), expected_key, "{did}");
        assert_eq!(
            DidKey::from_public_key(&secret.public_key()).did().as_str(),
            did
        );
        // DID -> key -> DID
        let did_key = assert_round_trip(did, &expected_key, KeyAlgorithm::Ed25519);
        // The verification method id of the legacy document is the one we produce.
        let vm_id = entry["didDocument"]["verificationMethod"][0]["id"]
            .as_str()
            .unwrap();
        assert_eq!(did_key.verification_method_id().as_str(), vm_id);
        // Ed25519 -> X25519 (birational map), the legacy documents' keyAgreement key.
        let PublicKey::Ed25519(verifying_key) = did_key.public_key() else {
            panic!("ed25519 expected")
        };
        let x25519 = verifying_key.to_montgomery().to_bytes();
        assert_eq!(
            x25519.to_vec(),
            pair_public_key(&entry["keyAgreementKeyPair"]),
            "{did}"
        );
        // The X25519 key agreement DID URL fragment is itself an (unsupported) did:key.
        let ka_id = entry["keyAgreementKeyPair"]["id"].as_str().unwrap();
        let ka_fragment = ka_id.rsplit('#').next().unwrap();
        assert_eq!(
            multicodec::encode_base58btc(&multicodec::prefix_with_codec(
                multicodec::X25519_PUB,
                &x25519
            )),
            ka_fragment
        );
        assert_unsupported(&format!("did:key:{ka_fragment}"), multicodec::X25519_PUB);
    }
}

#[test]
fn bls12381_g2_vectors_both_directions_and_g1g2_refused() {
    let vectors = read_json("didkey/bls12381.json");
    let entries = vectors.as_object().unwrap();
    assert_eq!(entries.len(), 6);
    let mut g2 = 0;
    let mut g1g2 = 0;
    for (did, entry) in entries {
        let codec = codec_of_did(did);
        if codec == multicodec::BLS12_381_G2_PUB {
            let expected_key = base58(
                entry["verificationKeyPair"]["publicKeyBase58"]
                    .as_str()
                    .unwrap(),
            );
            assert_eq!(expected_key.len(), 96);
            let did_key = assert_round_trip(did, &expected_key, KeyAlgorithm::Bls12381G2);
            assert!(did_key.public_key().as_bbs().is_some());
            // secret key -> public key -> DID (the legacy vectors' secret is big-endian).
            let secret = base58(
                entry["verificationKeyPair"]["privateKeyBase58"]
                    .as_str()
                    .unwrap(),
            );
            let secret = SecretKey::from_bytes(KeyAlgorithm::Bls12381G2, &secret).unwrap();
            assert_eq!(secret.public_key().to_bytes(), expected_key, "{did}");
            assert_eq!(
                DidKey::from_public_key(&secret.public_key()).did().as_str(),
                did
            );
            g2 += 1;
        } else {
            assert_eq!(codec, multicodec::BLS12_381_G1G2_PUB, "{did}");
            assert_unsupported(did, multicodec::BLS12_381_G1G2_PUB);
            g1g2 += 1;
        }
    }
    assert_eq!((g2, g1g2), (5, 1));
}

/// Base64url (no padding), as JWK coordinates are.
fn base64url(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

#[test]
fn p256_vectors_public_key_secret_key_and_did_both_directions() {
    let vectors = read_json("didkey/nist-curves.json");
    let mut p256 = 0;
    for (did, entry) in vectors.as_object().unwrap() {
        if codec_of_did(did) != multicodec::P256_PUB {
            continue;
        }
        assert!(did.starts_with("did:key:zDn"), "{did}");
        let method = &entry["verificationMethod"];
        // The key is a JWK (x, y, d in base64url) or base58 (compressed point, scalar).
        let (public_bytes, secret_bytes) = match method.get("privateKeyJwk") {
            Some(jwk) => {
                assert_eq!(jwk["crv"], "P-256");
                // The JWK point uncompressed: 04 || x || y.
                let mut uncompressed = vec![0x04];
                uncompressed.extend(base64url(jwk["x"].as_str().unwrap()));
                uncompressed.extend(base64url(jwk["y"].as_str().unwrap()));
                (uncompressed, base64url(jwk["d"].as_str().unwrap()))
            }
            None => (
                base58(method["publicKeyBase58"].as_str().unwrap()),
                base58(method["privateKeyBase58"].as_str().unwrap()),
            ),
        };
        let from_vector = PublicKey::from_bytes(KeyAlgorithm::P256, &public_bytes).unwrap();
        let did_key = assert_round_trip(did, &from_vector.to_bytes(), KeyAlgorithm::P256);
        assert_eq!(did_key.public_key(), &from_vector);
        // secret scalar d -> public key -> DID
        let secret = SecretKey::from_bytes(KeyAlgorithm::P256, &secret_bytes).unwrap();
        assert_eq!(secret.public_key(), from_vector, "{did}");
        assert_eq!(
            DidKey::from_public_key(&secret.public_key()).did().as_str(),
            did
        );
        // The legacy document's verification method id is the one we produce.
        assert_eq!(
            did_key.verification_method_id().as_str(),
            entry["didDocument"]["verificationMethod"][0]["id"]
                .as_str()
                .unwrap()
        );
        p256 += 1;
    }
    assert_eq!(p256, 3);
}

#[test]
fn other_key_types_are_refused_with_their_codec() {
    let mut seen = Vec::new();
    for file in ["didkey/secp256k1.json", "didkey/nist-curves.json"] {
        for did in read_json(file).as_object().unwrap().keys() {
            let codec = codec_of_did(did);
            if codec == multicodec::P256_PUB {
                continue;
            }
            assert_unsupported(did, codec);
            seen.push(codec);
        }
    }
    let x25519 = read_json("didkey/x25519.json");
    for did in x25519["didDocument"].as_object().unwrap().keys() {
        assert_eq!(codec_of_did(did), multicodec::X25519_PUB);
        assert_unsupported(did, multicodec::X25519_PUB);
        seen.push(multicodec::X25519_PUB);
    }
    for codec in [
        multicodec::SECP256K1_PUB,
        multicodec::P384_PUB,
        multicodec::P521_PUB,
        multicodec::X25519_PUB,
    ] {
        assert!(seen.contains(&codec), "no vector with codec 0x{codec:x}");
    }
    assert_eq!(seen.len(), 6 + 4 + 4);
}

#[test]
fn spec_v0_9_appendix_dids_and_document() {
    let vectors = read_json("didkey/spec-v0.9-appendix-test-vectors.json");
    let dids = vectors["dids"].as_array().unwrap();
    assert_eq!(dids.len(), 9);
    let mut supported = 0;
    for entry in dids {
        let did = entry["did"].as_str().unwrap();
        let codec = u64::from_str_radix(
            entry["multicodec"]
                .as_str()
                .unwrap()
                .trim_start_matches("0x"),
            16,
        )
        .unwrap();
        assert_eq!(codec_of_did(did), codec);
        let key = hex::decode(entry["publicKeyHex"].as_str().unwrap()).unwrap();
        match codec {
            multicodec::ED25519_PUB => {
                assert_round_trip(did, &key, KeyAlgorithm::Ed25519);
                supported += 1;
            }
            multicodec::BLS12_381_G2_PUB => {
                assert_round_trip(did, &key, KeyAlgorithm::Bls12381G2);
                supported += 1;
            }
            multicodec::P256_PUB => {
                assert_round_trip(did, &key, KeyAlgorithm::P256);
                supported += 1;
            }
            other => assert_unsupported(did, other),
        }
    }
    assert_eq!(supported, 4);

    // The spec's DID document: our Multikey verification method and relationships are the
    // same; our context is DID v1 + Multikey v1 (the spec example uses DID v1.1), and we do
    // not derive an X25519 keyAgreement method.
    let spec = &vectors["ed25519WithX25519DidDocument"];
    let did = Did::parse(spec["id"].as_str().unwrap()).unwrap();
    let ours = serde_json::to_value(DidKey::parse(&did).unwrap().document()).unwrap();
    assert_eq!(ours["id"], spec["id"]);
    assert_eq!(ours["verificationMethod"], spec["verificationMethod"]);
    for relationship in [
        "authentication",
        "assertionMethod",
        "capabilityInvocation",
        "capabilityDelegation",
    ] {
        assert_eq!(ours[relationship], spec[relationship], "{relationship}");
    }
    assert_eq!(
        ours["@context"],
        json!([DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT])
    );
    assert!(ours.get("keyAgreement").is_none());
    // The spec's keyAgreement key is the X25519 image of the Ed25519 key.
    let PublicKey::Ed25519(verifying_key) = DidKey::parse(&did).unwrap().public_key().clone()
    else {
        panic!("ed25519 expected")
    };
    let x25519 = multicodec::encode_base58btc(&multicodec::prefix_with_codec(
        multicodec::X25519_PUB,
        verifying_key.to_montgomery().as_bytes(),
    ));
    assert_eq!(
        spec["keyAgreement"][0]["publicKeyMultibase"]
            .as_str()
            .unwrap(),
        x25519
    );
}

#[test]
fn resolution_result_shape() {
    let did = Did::parse("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK").unwrap();
    let result = serde_json::to_value(resolve(&did).unwrap()).unwrap();
    let vm = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    assert_eq!(
        result,
        json!({
            "@context": "https://w3id.org/did-resolution/v1",
            "didDocument": {
                "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
                "id": did.as_str(),
                "verificationMethod": [{
                    "id": vm,
                    "type": "Multikey",
                    "controller": did.as_str(),
                    "publicKeyMultibase": "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
                }],
                "authentication": [vm],
                "assertionMethod": [vm],
                "capabilityInvocation": [vm],
                "capabilityDelegation": [vm]
            },
            "didResolutionMetadata": { "contentType": DID_LD_JSON },
            "didDocumentMetadata": {}
        })
    );
    // And it parses back into the typed form.
    let typed: crosscode_core::did::DidResolutionResult = serde_json::from_value(result).unwrap();
    assert_eq!(typed, resolve(&did).unwrap());
}

#[test]
fn every_algorithm_round_trips_through_did_key_and_resolver() {
    for algorithm in KeyAlgorithm::ALL {
        let secret = SecretKey::generate(algorithm);
        let did_key = DidKey::from_public_key(&secret.public_key());
        let prefix = match algorithm {
            KeyAlgorithm::Ed25519 => "did:key:z6Mk",
            KeyAlgorithm::Sm2 => "did:key:zEP",
            KeyAlgorithm::P256 => "did:key:zDn",
            KeyAlgorithm::Bls12381G2 => "did:key:zUC7",
        };
        assert!(
            did_key.did().as_str().starts_with(prefix),
            "{}",
            did_key.did()
        );
        let parsed = DidKey::parse_str(did_key.did().as_str()).unwrap();
        assert_eq!(parsed.public_key(), &secret.public_key());
        let vm = did_key.verification_method_id();
        assert_eq!(vm.fragment(), Some(did_key.multibase()));
        assert_eq!(
            DidKeyResolver
                .resolve_verification_method(&vm, VerificationRelationship::AssertionMethod, None)
                .unwrap(),
            secret.public_key()
        );
        let document = did_key.document();
        assert_eq!(
            document.verification_method(&vm).unwrap().controller,
            *did_key.did()
        );
    }
}

#[test]
fn resolver_errors_are_typed() {
    let did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    let resolver = DidKeyResolver;
    for vm in [
        format!("{did}#other"),
        did.to_string(),
        format!("{did}/path#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"),
        format!("{did}?q=1#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"),
    ] {
        let url = DidUrl::parse(&vm).unwrap();
        assert!(
            matches!(
                resolver.resolve_verification_method(
                    &url,
                    VerificationRelationship::AssertionMethod,
                    None
                ),
                Err(DidError::VerificationMethodNotFound { .. })
            ),
            "{vm}"
        );
    }
    let web = DidUrl::parse("did:web:example.com#key-1").unwrap();
    assert_eq!(
        resolver.resolve_verification_method(&web, VerificationRelationship::AssertionMethod, None),
        Err(DidError::MethodNotSupported {
            method: "web".into()
        })
    );
    assert_eq!(
        resolve(&Did::parse("did:web:example.com").unwrap()),
        Err(DidError::MethodNotSupported {
            method: "web".into()
        })
    );
}

#[test]
fn malformed_did_keys_give_typed_errors() {
    let ed = "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    // wrong multibase prefix
    assert!(matches!(
        DidKey::parse_str(&format!("did:key:m{}", &ed[1..])),
        Err(DidError::Multicodec(
            MulticodecError::UnsupportedMultibase { prefix: 'm' }
        ))
    ));
    // not base58 ('0' is outside the alphabet, but a valid DID idchar)
    assert!(matches!(
        DidKey::parse_str("did:key:z0abc"),
        Err(DidError::Multicodec(MulticodecError::InvalidBase58 { .. }))
    ));
    // truncated key
    let short = multicodec::encode_base58btc(&multicodec::prefix_with_codec(
        multicodec::ED25519_PUB,
        &[1u8; 31],
    ));
    assert!(matches!(
        DidKey::parse_str(&format!("did:key:{short}")),
        Err(DidError::Multicodec(MulticodecError::InvalidKey(
            KeyError::InvalidLength { .. }
        )))
    ));
    // a version prefix / extra segment
    assert!(matches!(
        DidKey::parse_str(&format!("did:key:1:{ed}")),
        Err(DidError::InvalidDidKey { .. })
    ));
    // unterminated varint
    let unterminated = multicodec::encode_base58btc(&[0x80]);
    assert!(matches!(
        DidKey::parse_str(&format!("did:key:{unterminated}")),
        Err(DidError::Multicodec(MulticodecError::InvalidVarint))
    ));
    // "z1" is the single byte 0: multicodec 0 (identity) is not a key type
    assert_eq!(
        DidKey::parse_str("did:key:z1"),
        Err(DidError::Multicodec(MulticodecError::UnsupportedKeyType {
            codec: 0
        }))
    );
    // an Ed25519 "key" that is not a curve point (y = 2 is not on the curve)
    let mut not_a_point = [0u8; 32];
    not_a_point[0] = 2;
    let text = multicodec::encode_base58btc(&multicodec::prefix_with_codec(
        multicodec::ED25519_PUB,
        &not_a_point,
    ));
    assert!(matches!(
        DidKey::parse_str(&format!("did:key:{text}")),
        Err(DidError::Multicodec(MulticodecError::InvalidKey(
            KeyError::InvalidPublicKey { .. }
        )))
    ));
    // SM2 keys must be compressed in did:key
    let sm2 = SecretKey::generate(KeyAlgorithm::Sm2).public_key();
    let uncompressed = sm2.as_sm2().unwrap().to_uncompressed();
    let text = multicodec::encode_base58btc(&multicodec::prefix_with_codec(
        multicodec::SM2_PUB,
        &uncompressed,
    ));
    assert!(matches!(
        DidKey::parse_str(&format!("did:key:{text}")),
        Err(DidError::Multicodec(MulticodecError::InvalidKey(
            KeyError::InvalidLength { .. }
        )))
    ));
    // P-256 keys must be compressed in did:key, 33 bytes
    let p256 = SecretKey::generate(KeyAlgorithm::P256).public_key();
    let PublicKey::P256(verifying_key) = &p256 else {
        panic!("P-256 expected")
    };
    let uncompressed = verifying_key.to_encoded_point(false).as_bytes().to_vec();
    for (bytes, actual) in [(uncompressed, 65), (p256.to_bytes()[..32].to_vec(), 32)] {
        let text = multicodec::encode_base58btc(&multicodec::prefix_with_codec(
            multicodec::P256_PUB,
            &bytes,
        ));
        assert_eq!(
            DidKey::parse_str(&format!("did:key:{text}")),
            Err(DidError::Multicodec(MulticodecError::InvalidKey(
                KeyError::InvalidLength {
                    algorithm: KeyAlgorithm::P256,
                    expected: 33,
                    actual
                }
            )))
        );
    }
    // a P-256 "key" whose x has no point on the curve (x = 1: 1 - 3 + b is not a square mod p)
    let mut off_curve = [0u8; 33];
    off_curve[0] = 0x02;
    off_curve[32] = 1;
    let text = multicodec::encode_base58btc(&multicodec::prefix_with_codec(
        multicodec::P256_PUB,
        &off_curve,
    ));
    assert_eq!(
        DidKey::parse_str(&format!("did:key:{text}")),
        Err(DidError::Multicodec(MulticodecError::InvalidKey(
            KeyError::InvalidPublicKey {
                algorithm: KeyAlgorithm::P256
            }
        )))
    );
    // a BLS12-381 G2 "key" that is not a G2 point
    let mut bad_g2 = [0u8; 96];
    bad_g2[0] = 0xa0;
    bad_g2[95] = 1;
    let text = multicodec::encode_base58btc(&multicodec::prefix_with_codec(
        multicodec::BLS12_381_G2_PUB,
        &bad_g2,
    ));
    assert!(matches!(
        DidKey::parse_str(&format!("did:key:{text}")),
        Err(DidError::Multicodec(MulticodecError::InvalidKey(
            KeyError::InvalidPublicKey { .. }
        )))
    ));
    // not did:key at all
    assert!(matches!(
        DidKey::parse_str("did:example:123"),
        Err(DidError::MethodNotSupported { .. })
    ));
    assert!(matches!(
        DidKey::parse_str("not a did"),
        Err(DidError::InvalidDid { .. })
    ));
}
