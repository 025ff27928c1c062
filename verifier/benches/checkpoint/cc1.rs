//! The `CC1` cases of the checkpoint benchmark: a checkpoint whose trust cache holds 1,000
//! admitted authorities and 1,000,000 status entries verifies (a) a holder's dynamic,
//! selective presentation of a health code (BBS derived proof, the holder's COSE signature,
//! the time slot, admission and scope, status) and (b) the authority's Ed25519-signed health
//! code (eddsa-jcs-2022) — beside (a) the BBS derived proof checked alone by core and (b) the
//! raw Ed25519 verification of the same signed message.

use std::collections::{BTreeMap, BTreeSet};
use std::hint::black_box;

use crosscode_core::data_integrity::{Cryptosuite, hash_data, verify_document};
use crosscode_core::did::{DidKey, DidUrl};
use crosscode_core::envelope;
use crosscode_core::keys::{KdfParams, KeyAlgorithm, SecretKey};
use crosscode_core::multicodec::decode_base58btc;
use crosscode_did_registry::document::{
    DocumentContent, RegistryDid, Relationships, VerificationMethod,
};
use crosscode_did_registry::governance::IssuerScope;
use crosscode_did_registry::proof::TrustedChain;
use crosscode_did_registry::records::{
    CredentialStatus, DidRecord, DidVersion, IssuerRecord, StatusRecord,
};
use crosscode_did_registry::transaction::StatusKey;
use crosscode_testing::registry::{Chain, GENESIS_TIME};
use crosscode_testing::{health_code, temp_dir};
use crosscode_verifier::chain_trust::{ChainTrust, DidHistory};
use crosscode_verifier::{TrustStore, Verifier};
use crosscode_wallet_core::keystore::{Keystore, SoftwareKeystore};
use crosscode_wallet_core::present::present;
use crosscode_wallet_core::store::{StatusCheck, StoredCredential};
use serde_json::Value;
use time::OffsetDateTime;

use super::Case;

/// Authorities in the cache.
const AUTHORITIES: usize = 1_000;
/// Status entries in the cache.
const STATUS_ENTRIES: u64 = 1_000_000;

fn record() -> IssuerRecord {
    IssuerRecord {
        scope: IssuerScope {
            credential_types: vec!["HealthCode".into(), "NucleicAcidTestResult".into()],
            jurisdiction: "MO".into(),
            valid_from: 0,
            valid_until: u64::from(u32::MAX) * 4,
        },
        suspended: false,
        admitted_height: 1,
        updated_height: 1,
    }
}

fn history(methods: Vec<VerificationMethod>) -> DidHistory {
    let document = DocumentContent {
        verification_methods: methods,
        services: Vec::new(),
    };
    DidHistory {
        record: DidRecord {
            document: document.clone(),
            versions: 1,
            deactivated: false,
            created_height: 1,
            created_time: 0,
            updated_height: 1,
            updated_time: 0,
        },
        versions: vec![DidVersion {
            document,
            deactivated: false,
            height: 1,
            time: 0,
        }],
    }
}

/// A trust cache of 1,000 authorities (the health code's issuer among them) and 1,000,000
/// status entries spread over them, under a real certified header of a one-block chain.
fn chain_trust(issuer: &RegistryDid, issuer_methods: Vec<VerificationMethod>) -> ChainTrust {
    let chain = Chain::new(crosscode_did_registry::profile::CryptoProfile::Standard);
    let (mut ledger, mut ordering) = chain.solo_ledger();
    let (block, _) = ledger
        .produce_block(Vec::new(), GENESIS_TIME + 10, &mut ordering)
        .unwrap();
    let validators = ledger.validators().unwrap();
    let mut issuers = BTreeMap::new();
    let mut dids = BTreeMap::new();
    issuers.insert(issuer.clone(), record());
    dids.insert(issuer.clone(), history(issuer_methods));
    let mut authorities = vec![issuer.clone()];
    for _ in 1..AUTHORITIES {
        let key = SecretKey::generate(KeyAlgorithm::Ed25519);
        let did = RegistryDid::derive(
            crosscode_did_registry::profile::CryptoProfile::Standard,
            "dev",
            &key.public_key(),
        );
        issuers.insert(did.clone(), record());
        dids.insert(
            did.clone(),
            history(vec![VerificationMethod::new(
                "assert-1",
                key.public_key(),
                Relationships::ASSERTION_METHOD,
            )]),
        );
        authorities.push(did);
    }
    let mut statuses: BTreeMap<RegistryDid, BTreeMap<StatusKey, StatusRecord>> = BTreeMap::new();
    for n in 0..STATUS_ENTRIES {
        let did = &authorities[(n % AUTHORITIES as u64) as usize];
        // The presented credential's own entry (list 0, index 31179) stays clear.
        let index = 40_000 + n / AUTHORITIES as u64;
        statuses.entry(did.clone()).or_default().insert(
            StatusKey::Index { list: 0, index },
            StatusRecord {
                status: if n % 2 == 0 {
                    CredentialStatus::Revoked
                } else {
                    CredentialStatus::Suspended
                },
                height: 1,
                time: GENESIS_TIME,
            },
        );
    }
    ChainTrust {
        chain: TrustedChain {
            chain_id: ledger.config().chain_id.clone(),
            profile: ledger.config().profile,
            validators: validators.clone(),
        },
        pinned_validators: validators.hash(ledger.config().profile),
        signers: validators,
        header: block.block.header,
        certificate: block.certificate.unwrap(),
        issuers,
        dids,
        schemas: BTreeMap::new(),
        statuses,
        evidence: BTreeMap::new(),
        batches: BTreeMap::new(),
        issuer_candidates: BTreeSet::new(),
    }
}

/// The two `CC1` cases, each with its verifier.
pub fn cases() -> Vec<Case> {
    let dir = temp_dir("checkpoint-bench");
    let keystore =
        SoftwareKeystore::open_with_kdf(&dir, b"bench", KdfParams::INSECURE_FOR_TESTS).unwrap();
    let handle = keystore.generate(KeyAlgorithm::Ed25519).unwrap();
    let holder = DidKey::from_public_key(&keystore.public_key(&handle).unwrap())
        .did()
        .as_str()
        .to_owned();
    let issued = health_code::issue(&holder);
    let issuer = RegistryDid::parse(health_code::ISSUER).unwrap();
    let method = |fragment: &str| {
        let url = DidUrl::parse(&format!("{}#{fragment}", health_code::ISSUER)).unwrap();
        VerificationMethod::new(
            fragment,
            issued.issuer_keys.get(&url).unwrap().clone(),
            Relationships::ASSERTION_METHOD,
        )
    };
    let trust = chain_trust(&issuer, vec![method("bbs-1"), method("ed25519-1")]);
    let resolver = trust.key_resolver();
    let verifier = std::sync::Arc::new(Verifier::new(TrustStore::new()).with_chain_trust(trust));
    let stored = |credential: &Value| StoredCredential {
        id: "0123456789abcdef0123456789abcdef".to_owned(),
        credential: credential.clone(),
        key_handle: handle.clone(),
        holder_did: holder.clone(),
        issuer: health_code::ISSUER.to_owned(),
        types: vec!["VerifiableCredential".to_owned(), "HealthCode".to_owned()],
        received_at: 0,
        issuer_keys: issued.issuer_keys.to_json(),
        status: StatusCheck::Good,
        anchor: None,
    };
    let now = OffsetDateTime::now_utc();
    let disclose = vec!["statusColour".to_owned(), "statusDate".to_owned()];
    let presentation = present(
        &stored(&issued.bbs),
        &keystore,
        &disclose,
        Some("checkpoint-7"),
        true,
        now,
    )
    .unwrap()
    .payload;
    let carried = envelope::decode(&presentation, &resolver, now)
        .unwrap()
        .document["verifiableCredential"]
        .clone();
    let derived = match carried {
        Value::Array(mut credentials) => credentials.remove(0),
        credential => credential,
    };
    let check = verify_document(&derived, &resolver, now);
    assert!(check.verified, "{:?}", check.failure);
    let bbs_resolver = resolver.clone();
    let raw_bbs =
        Box::new(move || verify_document(black_box(&derived), &bbs_resolver, now).verified);

    let credential = present(&stored(&issued.ed25519), &keystore, &[], None, false, now)
        .unwrap()
        .payload;
    let signed = &issued.ed25519;
    let mut unsigned = signed.clone();
    let proof = unsigned.as_object_mut().unwrap().remove("proof").unwrap();
    let mut configuration = proof.clone();
    configuration.as_object_mut().unwrap().remove("proofValue");
    configuration["@context"] = signed["@context"].clone();
    let message = hash_data(Cryptosuite::EddsaJcs2022, &unsigned, &configuration).unwrap();
    let signature = decode_base58btc(proof["proofValue"].as_str().unwrap()).unwrap();
    let key = issued
        .issuer_keys
        .get(&DidUrl::parse(&format!("{}#ed25519-1", health_code::ISSUER)).unwrap())
        .unwrap()
        .clone();
    let raw_ed25519 = Box::new(move || key.verify(black_box(&message), &signature).is_ok());

    for payload in [&presentation, &credential] {
        let report = verifier.verify_text(payload, now);
        assert!(
            report.verdict() == crosscode_verifier::Verdict::Accept,
            "{}",
            report.to_json()
        );
    }
    let presentation_verifier = std::sync::Arc::clone(&verifier);
    let credential_verifier = verifier;
    let (presentation_text, credential_text) = (presentation.clone(), credential.clone());
    vec![
        Case {
            name: "CC1 dynamic selective presentation (BBS + holder COSE), 1,000 authorities, 1,000,000 status entries",
            verify: Box::new(move || {
                presentation_verifier
                    .verify_text(black_box(&presentation_text), now)
                    .verdict()
            }),
            raw: raw_bbs,
            raw_name: "BBS derived proof alone (core)",
        },
        Case {
            name: "CC1 authority's health code (eddsa-jcs-2022), same cache",
            verify: Box::new(move || {
                credential_verifier
                    .verify_text(black_box(&credential_text), now)
                    .verdict()
            }),
            raw: raw_ed25519,
            raw_name: "raw Ed25519 verification",
        },
    ]
}
