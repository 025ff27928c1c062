//! A health code shaped like the issuer service's OpenID4VCI credential (the same members: an
//! `id`, two status entries, a schema, evidence, personal claims, the latest test), signed
//! offline by a registry DID's keys — for the wallet's benches, which need a presentable
//! credential without a chain and an issuer service.

use crosscode_core::data_integrity::{Cryptosuite, ProofOptions, add_proof};
use crosscode_core::did::{DidUrl, TrustCache};
use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use serde_json::{Value, json};

/// The issuer's registry DID.
pub const ISSUER: &str = "did:crosscode:dev:6q4Lhhjc1ARJM7vQ4rcPQM";
/// The issuer service's base URL (status lists, schemas).
pub const BASE_URL: &str = "https://health.example.mo";

/// One health code for a holder, signed twice.
pub struct IssuedHealthCode {
    /// With a `bbs-jcs-2026` base proof (selective disclosure).
    pub bbs: Value,
    /// With an `eddsa-jcs-2022` proof (the non-selective form).
    pub ed25519: Value,
    /// The issuer's keys (what a wallet keeps as `issuer_keys`).
    pub issuer_keys: TrustCache,
}

/// The unsigned health code of `holder` (a `did:key`).
pub fn unsigned(holder: &str) -> Value {
    let status = |purpose: &str| {
        json!({
            "id": format!("{BASE_URL}/status-lists/0-{purpose}#31179"),
            "statusListCredential": format!("{BASE_URL}/status-lists/0-{purpose}"),
            "statusListIndex": "31179",
            "statusPurpose": purpose,
            "type": "BitstringStatusListEntry"
        })
    };
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:crosscode:credential:21abe91c46d9631bd0bd7c8dde6bc05f",
        "type": ["VerifiableCredential", "HealthCode"],
        "issuer": ISSUER,
        "validFrom": "2026-12-06T03:52:49Z",
        "validUntil": "2026-12-13T03:52:49Z",
        "credentialSchema": {
            "id": format!("{BASE_URL}/schemas/e08d53a98412abfd18148ffb249074f720dbe77c21f0af2e782acd474ebe4ec4"),
            "type": "JsonSchema"
        },
        "credentialStatus": [status("revocation"), status("suspension")],
        "credentialSubject": {
            "id": holder,
            "type": "HealthCode",
            "jurisdiction": "MO",
            "statusColour": "green",
            "statusDate": "2026-12-06",
            "name": "Chan Tai Man",
            "birthDate": "1990-02-03",
            "documentNumber": "MO1234567",
            "latestTest": {"result": "negative", "sampledAt": "2026-12-04T08:00:00Z", "testType": "nucleic-acid"},
            "vaccinationDoses": 0
        },
        "evidence": [{"type": ["CrosscodeChainAnchor"], "chain": "crosscode-dev", "anchoredBy": ISSUER}]
    })
}

/// The health code of `holder`, signed with fresh BBS and Ed25519 keys of [`ISSUER`].
pub fn issue(holder: &str) -> IssuedHealthCode {
    sign(&unsigned(holder))
}

/// `document` (a credential of [`ISSUER`]), signed with fresh BBS and Ed25519 keys.
pub fn sign(document: &Value) -> IssuedHealthCode {
    let bls = SecretKey::generate(KeyAlgorithm::Bls12381G2);
    let ed25519 = SecretKey::generate(KeyAlgorithm::Ed25519);
    let bbs_method = DidUrl::parse(&format!("{ISSUER}#bbs-1")).unwrap();
    let ed25519_method = DidUrl::parse(&format!("{ISSUER}#ed25519-1")).unwrap();
    let mut issuer_keys = TrustCache::new();
    issuer_keys.insert(&bbs_method, bls.public_key()).unwrap();
    issuer_keys
        .insert(&ed25519_method, ed25519.public_key())
        .unwrap();
    let sign = |key: &SecretKey, method: &DidUrl, suite: Cryptosuite| {
        let options = ProofOptions {
            cryptosuite: Some(suite),
            ..ProofOptions::default()
        };
        add_proof(document, key, method, &options).unwrap()
    };
    IssuedHealthCode {
        bbs: sign(&bls, &bbs_method, Cryptosuite::BbsJcs2026),
        ed25519: sign(&ed25519, &ed25519_method, Cryptosuite::EddsaJcs2022),
        issuer_keys,
    }
}
