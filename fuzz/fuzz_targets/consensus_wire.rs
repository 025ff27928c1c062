//! Fuzz target: the borsh encodings validators exchange through the engine
//! (`crosscode-registry-consensus`'s `wire.rs`), read from arbitrary bytes: by the first byte, a
//! proposal part (`BlockPart`), a proposed block with the previous certificate it carries
//! (`ProposedBlock`), a vote or a proposal.
//!
//! Invariants: no panic; what decodes re-encodes to the very bytes read (one encoding per
//! value), and a decoded block's id is its header hash and its transactions hash to its
//! header's transactions root.
#![no_main]

use arc_malachitebft_core_types::Value;
use borsh::{BorshDeserialize, BorshSerialize};
use crosscode_did_registry::merkle::merkle_root;
use crosscode_registry_consensus::{BlockPart, Proposal, ProposedBlock, Vote};
use libfuzzer_sys::fuzz_target;

fn canonical<T: BorshDeserialize + BorshSerialize>(bytes: &[u8]) -> Option<T> {
    let value: T = borsh::from_slice(bytes).ok()?;
    assert_eq!(
        borsh::to_vec(&value).expect("in memory"),
        bytes,
        "a value is read in its one encoding"
    );
    Some(value)
}

fn check_block(value: &ProposedBlock) {
    let profile = value.profile();
    let block = value.block().expect("it decoded once");
    let hashes: Vec<[u8; 32]> = block.transactions.iter().map(|tx| tx.hash(profile)).collect();
    assert_eq!(merkle_root(profile, &hashes), block.header.transactions_root);
    assert_eq!(value.id().0, block.header.hash(profile));
    let _ = value.previous().expect("a carried certificate decoded once");
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => {
            if let Some(part) = canonical::<BlockPart>(rest) {
                check_block(&part.value);
            }
        }
        1 => {
            if let Some(value) = canonical::<ProposedBlock>(rest) {
                check_block(&value);
            }
        }
        2 => {
            let _ = canonical::<Vote>(rest);
        }
        _ => {
            if let Some(proposal) = canonical::<Proposal>(rest) {
                check_block(&proposal.value);
            }
        }
    }
});
