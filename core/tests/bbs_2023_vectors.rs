//! The BBS layer of W3C `bbs-2023` (`../shared/vectors/vc-di/bbs-2023`, windsurf example):
//! the issuer's base signature and the holder's derived proof verify with `crosscode-bbs`
//! over the vectors' own HMAC-relabelled N-Quads (RDF canonicalization itself is out of
//! scope: docs/cryptosuite-bbs.md §6 says what meeting the full vectors would take).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_bbs::{Bls12381Sha256, Proof, PublicKey, SecretKey, Signature};
use crosscode_testing::vectors::{hex_field, read_json};
use serde_json::Value;

fn read(name: &str) -> Value {
    read_json(&format!("vc-di/bbs-2023/{name}"))
}

/// The non-mandatory N-Quads (the BBS messages), in index order.
fn non_mandatory_messages() -> Vec<Vec<u8>> {
    let transform = read("addBaseTransform.json");
    let entries = transform["nonMandatory"]["value"].as_array().unwrap();
    let mut indexed: Vec<(u64, Vec<u8>)> = entries
        .iter()
        .map(|entry| {
            (
                entry[0].as_u64().unwrap(),
                entry[1].as_str().unwrap().as_bytes().to_vec(),
            )
        })
        .collect();
    indexed.sort_by_key(|(index, _)| *index);
    indexed.into_iter().map(|(_, message)| message).collect()
}

/// `proofHash ‖ mandatoryHash`, the BBS header of bbs-2023.
fn header() -> Vec<u8> {
    let hashes = read("addHashData.json");
    let mut header = hex_field(&hashes, "proofHash");
    header.extend(hex_field(&hashes, "mandatoryHash"));
    header
}

#[test]
fn windsurf_base_signature_verifies_and_is_reproduced() {
    let keys = read("BBSKeyMaterial.json");
    let public = PublicKey::from_bytes(&hex_field(&keys, "publicKeyHex")).unwrap();
    let secret = SecretKey::from_bytes(&hex_field(&keys, "privateKeyHex")).unwrap();
    assert_eq!(secret.public_key().to_bytes(), public.to_bytes());
    let messages = non_mandatory_messages();
    assert!(!messages.is_empty());
    let expected = hex_field(&read("addRawBaseSignatureInfo.json"), "bbsSignature");
    let signature = Signature::from_bytes(&expected).unwrap();
    crosscode_bbs::verify::<Bls12381Sha256, _>(&public, &signature, &header(), &messages).unwrap();
    // BBS signing is deterministic: the same bytes.
    let again =
        crosscode_bbs::sign::<Bls12381Sha256, _>(&secret, &public, &header(), &messages).unwrap();
    assert_eq!(again.to_bytes().to_vec(), expected);
    // Another header (e.g. another mandatory part) does not verify.
    let mut other = header();
    other[40] ^= 1;
    assert!(
        crosscode_bbs::verify::<Bls12381Sha256, _>(&public, &signature, &other, &messages).is_err()
    );
}

#[test]
fn windsurf_derived_proof_verifies() {
    let keys = read("BBSKeyMaterial.json");
    let public = PublicKey::from_bytes(&hex_field(&keys, "publicKeyHex")).unwrap();
    let disclosure = read("derivedDisclosureData.json");
    let proof = Proof::from_bytes(&hex_field(&disclosure, "bbsProof")).unwrap();
    let indexes: Vec<usize> = disclosure["adjSelectiveIndexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|index| usize::try_from(index.as_u64().unwrap()).unwrap())
        .collect();
    // The presentation header is serialized as a byte map {"0": 17, ...}.
    let header_map = disclosure["presentationHeader"].as_object().unwrap();
    let presentation_header: Vec<u8> = (0..header_map.len())
        .map(|position| u8::try_from(header_map[&position.to_string()].as_u64().unwrap()).unwrap())
        .collect();
    assert_eq!(presentation_header, [0x11, 0x33, 0x77, 0xaa]);
    let messages = non_mandatory_messages();
    let disclosed: Vec<&Vec<u8>> = indexes.iter().map(|index| &messages[*index]).collect();
    crosscode_bbs::proof_verify::<Bls12381Sha256, _>(
        &public,
        &proof,
        &header(),
        &presentation_header,
        &disclosed,
        &indexes,
    )
    .unwrap();
    // Another nonce (presentation header) fails.
    assert!(
        crosscode_bbs::proof_verify::<Bls12381Sha256, _>(
            &public,
            &proof,
            &header(),
            b"other",
            &disclosed,
            &indexes,
        )
        .is_err()
    );
}
