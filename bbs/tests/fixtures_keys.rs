//! Key pair, generators, hash_to_scalar and message mapping against the draft's fixtures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::{SUITES, hex_field, read_json};
use crosscode_bbs::generators::create_generators;
use crosscode_bbs::hash_to_scalar::{hash_to_scalar, map_message_to_scalar_as_hash};
use crosscode_bbs::{
    Bls12381Sha256, Bls12381Shake256, Ciphersuite, CiphersuiteId, PublicKey, SecretKey,
};

fn keypair<C: Ciphersuite>() {
    let f = read_json(&format!("bbs/{}/keypair.json", C::ID.name()));
    let sk = SecretKey::key_gen::<C>(
        &hex_field(&f, "keyMaterial"),
        &hex_field(&f, "keyInfo"),
        Some(&hex_field(&f, "keyDst")),
    )
    .unwrap();
    assert_eq!(
        sk.to_bytes().to_vec(),
        hex_field(&f["keyPair"], "secretKey")
    );
    let pk = sk.public_key();
    assert_eq!(
        pk.to_bytes().to_vec(),
        hex_field(&f["keyPair"], "publicKey")
    );
    // The default DST is api_id || "KEYGEN_DST_", the fixture's keyDst.
    assert_eq!(C::dst(b"KEYGEN_DST_"), hex_field(&f, "keyDst"));
    let default_dst = SecretKey::key_gen::<C>(
        &hex_field(&f, "keyMaterial"),
        &hex_field(&f, "keyInfo"),
        None,
    )
    .unwrap();
    assert_eq!(default_dst.to_bytes(), sk.to_bytes());
    // Round trips.
    assert_eq!(
        SecretKey::from_bytes(&sk.to_bytes()).unwrap().to_bytes(),
        sk.to_bytes()
    );
    assert_eq!(PublicKey::from_bytes(&pk.to_bytes()).unwrap(), pk);
}

#[test]
fn keypair_sha256() {
    keypair::<Bls12381Sha256>();
}

#[test]
fn keypair_shake256() {
    keypair::<Bls12381Shake256>();
}

fn generators<C: Ciphersuite>() {
    let f = read_json(&format!("bbs/{}/generators.json", C::ID.name()));
    assert_eq!(C::P1.to_vec(), hex_field(&f, "P1"));
    let expected = common::hex_array(&f, "MsgGenerators");
    let gens = create_generators::<C>(expected.len() + 1).unwrap();
    assert_eq!(gens.compressed()[0].to_vec(), hex_field(&f, "Q1"));
    for (i, h) in expected.iter().enumerate() {
        assert_eq!(
            &gens.compressed()[i + 1].to_vec(),
            h,
            "generator H_{}",
            i + 1
        );
    }
    // Prefixes come from the same cache and agree.
    let small = create_generators::<C>(3).unwrap();
    assert_eq!(small.compressed(), &gens.compressed()[..3]);
    let large = create_generators::<C>(40).unwrap();
    assert_eq!(&large.compressed()[..11], gens.compressed());
}

#[test]
fn generators_sha256() {
    generators::<Bls12381Sha256>();
}

#[test]
fn generators_shake256() {
    generators::<Bls12381Shake256>();
}

fn h2s_and_map<C: Ciphersuite>() {
    let f = read_json(&format!("bbs/{}/h2s.json", C::ID.name()));
    let scalar = hash_to_scalar::<C>(&hex_field(&f, "message"), &hex_field(&f, "dst")).unwrap();
    assert_eq!(scalar.to_bytes_be().to_vec(), hex_field(&f, "scalar"));

    let f = read_json(&format!(
        "bbs/{}/MapMessageToScalarAsHash.json",
        C::ID.name()
    ));
    assert_eq!(C::dst(b"MAP_MSG_TO_SCALAR_AS_HASH_"), hex_field(&f, "dst"));
    let cases = f["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 10);
    for case in cases {
        let scalar = map_message_to_scalar_as_hash::<C>(&hex_field(case, "message")).unwrap();
        assert_eq!(scalar.to_bytes_be().to_vec(), hex_field(case, "scalar"));
    }
}

#[test]
fn hash_to_scalar_sha256() {
    h2s_and_map::<Bls12381Sha256>();
}

#[test]
fn hash_to_scalar_shake256() {
    h2s_and_map::<Bls12381Shake256>();
}

#[test]
fn suites_list_is_complete() {
    assert_eq!(
        common::SUITES,
        [
            CiphersuiteId::Bls12381Sha256,
            CiphersuiteId::Bls12381Shake256
        ]
    );
    for suite in SUITES {
        assert_eq!(suite.name().parse::<CiphersuiteId>().unwrap(), suite);
    }
}

#[test]
fn shared_messages_file_matches_the_fixtures() {
    // bbs/messages.json is the message list the draft's fixtures use.
    let messages: Vec<Vec<u8>> = read_json("bbs/messages.json")
        .as_array()
        .unwrap()
        .iter()
        .map(|m| hex::decode(m.as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(messages.len(), 10);
    assert!(messages[9].is_empty(), "the last message is the empty one");
    for suite in SUITES {
        let map = read_json(&format!(
            "bbs/{}/MapMessageToScalarAsHash.json",
            suite.name()
        ));
        let mapped: Vec<Vec<u8>> = map["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| hex_field(c, "message"))
            .collect();
        assert_eq!(mapped, messages);
        let signature = read_json(&format!("bbs/{}/signature/signature004.json", suite.name()));
        assert_eq!(common::hex_array(&signature, "messages"), messages);
    }
}
