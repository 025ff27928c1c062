//! Fuzz target: what a validator reads from its peers through the consensus context
//! (`crosscode-registry-consensus`). By the first byte: arbitrary bytes as a proposed block
//! (`ProposedBlock::from_bytes`, both profiles), as a chain signature and as a chain public key
//! (`ChainScheme::decode_signature` / `decode_public_key`); or a registry commit certificate
//! (`CommitCertificate::decode_bytes`) converted for the engine against a fixed four-validator
//! set (`certificate::to_engine`).
//!
//! Invariants: no panic; a block that decodes re-encodes to the same bytes, its transactions
//! hash to its header's transactions root, and its id is its header hash; a signature that
//! decodes is 64 bytes; a key that decodes re-encodes to the same bytes; a certificate that
//! converts has signers in strictly increasing position order and converts back unchanged.
#![no_main]

use std::sync::OnceLock;

use arc_malachitebft_core_types::{SigningScheme, Value};
use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use crosscode_did_registry::block::CommitCertificate;
use crosscode_did_registry::codec::Decode;
use crosscode_did_registry::merkle::merkle_root;
use crosscode_did_registry::ordering::chain_key;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::validators::{Validator, ValidatorSet};
use crosscode_registry_consensus::certificate::{to_engine, to_registry};
use crosscode_registry_consensus::{ChainScheme, ProposedBlock, Validators};
use libfuzzer_sys::fuzz_target;

fn validators() -> Validators {
    let profile = CryptoProfile::Standard;
    let set = ValidatorSet::new(
        profile,
        (1..=4u8)
            .map(|seed| Validator {
                key: chain_key(
                    profile,
                    &SecretKey::from_bytes(KeyAlgorithm::Ed25519, &[seed; 32])
                        .expect("a fixed Ed25519 seed"),
                ),
                power: 10,
            })
            .collect(),
    )
    .expect("four validators");
    Validators::new(profile, &set).expect("distinct addresses")
}

fuzz_target!(|data: &[u8]| {
    static VALIDATORS: OnceLock<Validators> = OnceLock::new();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => {
            let profile = if mode & 0x80 == 0 {
                CryptoProfile::Standard
            } else {
                CryptoProfile::GuoMi
            };
            if let Ok(value) = ProposedBlock::from_bytes(profile, rest) {
                assert_eq!(value.encoded(), rest, "a block is read in its canonical form");
                let block = value.block().expect("it decoded once");
                let hashes: Vec<[u8; 32]> =
                    block.transactions.iter().map(|tx| tx.hash(profile)).collect();
                assert_eq!(merkle_root(profile, &hashes), block.header.transactions_root);
                assert_eq!(value.id().0, block.header.hash(profile));
            }
        }
        1 => {
            if let Ok(signature) = ChainScheme::decode_signature(rest) {
                assert_eq!(signature.0.len(), 64);
                assert_eq!(ChainScheme::encode_signature(&signature), rest);
            }
        }
        2 => {
            if let Ok(key) = ChainScheme::decode_public_key(rest) {
                assert_eq!(ChainScheme::encode_public_key(&key), rest);
            }
        }
        _ => {
            let validators = VALIDATORS.get_or_init(validators);
            let Ok(certificate) = CommitCertificate::from_bytes(rest) else {
                return;
            };
            if let Ok(engine) = to_engine(&certificate, validators) {
                assert!(
                    certificate
                        .signatures
                        .windows(2)
                        .all(|pair| pair[0].validator < pair[1].validator)
                );
                let back = to_registry(&engine, validators).expect("it converted once");
                assert_eq!(back, certificate);
            }
        }
    }
});
