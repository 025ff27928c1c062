//! Fixed keys and the example health-code credential shared by the credential tests.
#![allow(dead_code)]

use crosscode_core::did::{DidKey, DidUrl};
use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::macros::datetime;

/// The example issuer's Ed25519 key: seed = SHA-256("crosscode example issuer ed25519").
pub fn issuer_ed25519() -> SecretKey {
    let seed = Sha256::digest(b"crosscode example issuer ed25519");
    SecretKey::from_bytes(KeyAlgorithm::Ed25519, &seed).unwrap()
}

/// The example issuer's SM2 key: d = SHA-256("crosscode example issuer sm2") (below n).
pub fn issuer_sm2() -> SecretKey {
    let d = Sha256::digest(b"crosscode example issuer sm2");
    SecretKey::from_bytes(KeyAlgorithm::Sm2, &d).unwrap()
}

/// The example holder's Ed25519 key: seed = SHA-256("crosscode example holder ed25519").
pub fn holder_ed25519() -> SecretKey {
    let seed = Sha256::digest(b"crosscode example holder ed25519");
    SecretKey::from_bytes(KeyAlgorithm::Ed25519, &seed).unwrap()
}

/// The example holder's P-256 key: d = SHA-256("crosscode example holder p256") (below n).
pub fn holder_p256() -> SecretKey {
    let d = Sha256::digest(b"crosscode example holder p256");
    SecretKey::from_bytes(KeyAlgorithm::P256, &d).unwrap()
}

/// The did:key of a key.
pub fn did_of(key: &SecretKey) -> String {
    DidKey::from_public_key(&key.public_key())
        .did()
        .as_str()
        .to_owned()
}

/// The did:key verification method of a key.
pub fn method_of(key: &SecretKey) -> DidUrl {
    DidKey::from_public_key(&key.public_key()).verification_method_id()
}

/// docs/examples/health-code.json (unsigned).
pub fn health_code() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/examples/health-code.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// An instant inside the example's validity window.
pub fn inside_window() -> OffsetDateTime {
    datetime!(2026-11-21 12:00 UTC)
}

/// The fixed `created` of the example proofs.
pub fn created() -> OffsetDateTime {
    datetime!(2026-11-21 08:00 UTC)
}

/// The example authority's registry DID (docs/did-method.md): one issuer that holds an
/// Ed25519 key (`#key-1`) and an SM2 key (`#key-2`), so that each proof of a proof set binds
/// to it.
pub const AUTHORITY: &str = "did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB";

/// A verification method of the authority.
pub fn authority_method(fragment: &str) -> DidUrl {
    DidUrl::parse(&format!("{AUTHORITY}#{fragment}")).unwrap()
}

/// A checkpoint's trust cache holding the authority's two issuing keys.
pub fn authority_trust_cache() -> crosscode_core::did::TrustCache {
    let mut cache = crosscode_core::did::TrustCache::new();
    cache
        .insert(&authority_method("key-1"), issuer_ed25519().public_key())
        .unwrap();
    cache
        .insert(&authority_method("key-2"), issuer_sm2().public_key())
        .unwrap();
    cache
}

/// The example health code issued by the authority (its `issuer` is [`AUTHORITY`]).
pub fn authority_health_code() -> Value {
    let mut credential = health_code();
    credential["issuer"] = Value::from(AUTHORITY);
    credential
}
