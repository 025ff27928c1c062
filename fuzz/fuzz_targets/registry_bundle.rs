//! Fuzz target: proof-bundle decoding and offline verification against a fixed trusted chain
//! (one Ed25519 validator). Never a panic, only typed errors; and since nobody but the fixed
//! validator can sign a header, a bundle that verifies speaks for the one header it signed.
//!
//! The first input byte picks a mode (its value mod 4): 0 — the rest is a bundle's bytes as is;
//! 1 — the rest is XORed onto a genuine bundle (an inclusion and an exclusion entry), which must
//! then fail to verify as the answer for its keys unless the bytes are unchanged; 2 — the rest
//! is `bundle.json` text for `proof_bundle_from_json`; 3 — the rest is XORed onto the genuine
//! `bundle.json`, which must then fail to parse or to verify unless it still carries exactly
//! the genuine bundle (only the `"bundle"` field is authoritative; whitespace may change).
#![no_main]

use std::sync::OnceLock;

use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use crosscode_did_registry::codec::{Decode, Encode};
use crosscode_did_registry::document::{
    DocumentContent, RegistryDid, Relationships, VerificationMethod,
};
use crosscode_did_registry::genesis::{Genesis, GenesisMember};
use crosscode_did_registry::json::proof_bundle_from_json;
use crosscode_did_registry::ledger::{Ledger, MemoryStore};
use crosscode_did_registry::ordering::{CoreSignatureVerifier, SoloOrdering, chain_key};
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::proof::{
    ProofBundle, TrustedChain, verify_bundle, verify_bundle_bytes, verify_bundle_bytes_for_keys,
    verify_bundle_for_keys,
};
use crosscode_did_registry::records::{Namespace, StateKey};
use crosscode_did_registry::validators::Validator;
use libfuzzer_sys::fuzz_target;

const CHAIN_ID: &str = "crosscode-fuzz-1";
const NETWORK: &str = "fuzz";
const GENESIS_TIME: u64 = 1_700_000_000;

struct Fixture {
    trusted: TrustedChain,
    bundle: Vec<u8>,
    json: String,
    keys: Vec<Vec<u8>>,
    header_hash: [u8; 32],
}

fn key(seed: u8) -> SecretKey {
    SecretKey::from_bytes(KeyAlgorithm::Ed25519, &[seed; 32]).expect("a fixed Ed25519 seed")
}

fn fixture() -> Fixture {
    let profile = CryptoProfile::Standard;
    let validator = key(200);
    let member = key(1);
    let genesis = Genesis {
        chain_id: CHAIN_ID.into(),
        network: NETWORK.into(),
        profile,
        genesis_time: GENESIS_TIME,
        governance_threshold: 1,
        max_voting_period: 100,
        members: vec![GenesisMember {
            jurisdiction: "CN-GD".into(),
            document: DocumentContent {
                verification_methods: vec![VerificationMethod::new(
                    "control",
                    member.public_key(),
                    Relationships::CAPABILITY_INVOCATION,
                )],
                services: vec![],
            },
        }],
        validators: vec![Validator {
            key: chain_key(profile, &validator),
            power: 1,
        }],
    };
    let mut ledger = Ledger::new(&genesis, MemoryStore::new()).expect("fixed genesis");
    let mut solo = SoloOrdering::new(profile, validator);
    ledger
        .produce_block(vec![], GENESIS_TIME + 5, &mut solo)
        .expect("a heartbeat block");
    let did = RegistryDid::derive(profile, NETWORK, &member.public_key());
    let absent = RegistryDid::derive(profile, NETWORK, &key(2).public_key());
    let keys = vec![StateKey::did(&did).0, StateKey::did(&absent).0];
    let bundle = ledger.prove(&keys, 1).expect("a bundle at height 1");
    let trusted = TrustedChain {
        chain_id: CHAIN_ID.into(),
        profile,
        validators: ledger.validators().expect("the validator set"),
    };
    Fixture {
        header_hash: bundle.header.hash(profile),
        json: bundle.to_json(Namespace::Did),
        bundle: bundle.to_bytes(),
        trusted,
        keys,
    }
}

fuzz_target!(|data: &[u8]| {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    let fixture = FIXTURE.get_or_init(fixture);
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let profile = fixture.trusted.profile;
    let keys: Vec<&[u8]> = fixture.keys.iter().map(Vec::as_slice).collect();
    match mode % 4 {
        0 => {
            if let Ok(verified) =
                verify_bundle_bytes(rest, &fixture.trusted, &CoreSignatureVerifier)
            {
                // Only the fixed validator signs headers: a verifying bundle is for its header.
                let bundle = ProofBundle::from_bytes(rest).expect("it verified, so it decodes");
                assert_eq!(bundle.header.hash(profile), fixture.header_hash);
                assert_eq!(verified.height, 1);
            }
        }
        1 => {
            let bytes = xor_onto(&fixture.bundle, rest);
            let result = verify_bundle_bytes_for_keys(
                &bytes,
                &fixture.trusted,
                &CoreSignatureVerifier,
                &keys,
            );
            if bytes == fixture.bundle {
                assert!(result.is_ok(), "the genuine bundle verifies");
            } else {
                assert!(result.is_err(), "a changed bundle verified");
            }
        }
        2 => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            if let Ok(bundle) = proof_bundle_from_json(text)
                && verify_bundle(&bundle, &fixture.trusted, &CoreSignatureVerifier).is_ok()
            {
                assert_eq!(bundle.header.hash(profile), fixture.header_hash);
            }
        }
        _ => {
            let bytes = xor_onto(fixture.json.as_bytes(), rest);
            let Ok(text) = std::str::from_utf8(&bytes) else {
                return;
            };
            match proof_bundle_from_json(text) {
                Ok(bundle) => {
                    let verified = verify_bundle_for_keys(
                        &bundle,
                        &fixture.trusted,
                        &CoreSignatureVerifier,
                        &keys,
                    );
                    if bundle.to_bytes() == fixture.bundle {
                        assert!(verified.is_ok(), "the genuine bundle verifies");
                    } else {
                        assert!(verified.is_err(), "a changed bundle.json verified");
                    }
                }
                Err(_) => {
                    assert_ne!(
                        bytes,
                        fixture.json.as_bytes(),
                        "the genuine bundle.json parses"
                    );
                }
            }
        }
    }
});

/// `base` with `flips` XORed onto its first bytes (and any excess appended).
fn xor_onto(base: &[u8], flips: &[u8]) -> Vec<u8> {
    let mut bytes = base.to_vec();
    for (byte, flip) in bytes.iter_mut().zip(flips) {
        *byte ^= flip;
    }
    if flips.len() > bytes.len() {
        bytes.extend_from_slice(&flips[bytes.len()..]);
    }
    bytes
}
