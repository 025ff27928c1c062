//! The RocksDB ledger store: blocks, certificates, tree nodes, state and indexes survive
//! reopening, and the reopened ledger gives the same roots and proofs and continues the chain.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;

use crosscode_core::keys::SecretKey;
use crosscode_did_registry::codec::Encode;
use crosscode_did_registry::governance::GovernanceAction;
use crosscode_did_registry::ledger::{Ledger, LedgerError, LedgerStore, TxOutcome};
use crosscode_did_registry::ordering::{CoreSignatureVerifier, SoloOrdering};
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::proof::{TrustedChain, verify_bundle_bytes_for_keys};
use crosscode_did_registry::records::StateKey;
use crosscode_did_registry::state::Event;
use crosscode_did_registry::transaction::{Payload, StatusChange, StatusKey};
use crosscode_did_registry::validators::ValidatorSet;
use crosscode_registry_node::rocks::{RocksOptions, RocksStore};
use crosscode_testing::registry::{Actor, Chain, GENESIS_TIME, scope};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        TempDir(crosscode_testing::temp_dir(&format!("registry-{name}")).keep())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn solo(chain: &Chain) -> SoloOrdering {
    SoloOrdering::new(
        chain.profile,
        SecretKey::from_bytes(chain.validator.algorithm(), &chain.validator.to_bytes()).unwrap(),
    )
}

fn committed(outcomes: &[TxOutcome]) -> bool {
    outcomes
        .iter()
        .all(|o| matches!(o, TxOutcome::Committed(_)))
}

#[test]
fn a_reopened_rocksdb_ledger_has_the_same_chain_and_continues_it() {
    for profile in CryptoProfile::ALL {
        let dir = TempDir::new(profile.as_str());
        let mut chain = Chain::new(profile);
        let mut ordering = solo(&chain);
        let mut issuer = Actor::new(profile);
        let key = StateKey::status(&issuer.did, &StatusKey::Index { list: 0, index: 1 }).0;
        let (head, roots, anchor_hash) = {
            let store = RocksStore::open(&dir.0, RocksOptions::default()).unwrap();
            let mut ledger = Ledger::new(&chain.genesis, store).unwrap();
            let create = issuer.create();
            let (_, out) = ledger
                .produce_block(vec![create], GENESIS_TIME + 1, &mut ordering)
                .unwrap();
            assert!(committed(&out));
            let propose = chain.members[0].tx(Payload::Propose {
                action: GovernanceAction::AdmitIssuer {
                    issuer: issuer.did.clone(),
                    scope: scope(),
                },
                voting_period: 5,
            });
            let vote = chain.members[1].tx(Payload::Vote {
                proposal: 0,
                approve: true,
            });
            let (_, out) = ledger
                .produce_block(vec![propose, vote], GENESIS_TIME + 2, &mut ordering)
                .unwrap();
            assert!(committed(&out));
            let anchor = issuer.anchor([7; 32]);
            let anchor_hash = anchor.hash(profile);
            let revoke = issuer.tx(Payload::SetStatus {
                key: StatusKey::Index { list: 0, index: 1 },
                change: StatusChange::Revoke,
            });
            let (_, out) = ledger
                .produce_block(vec![anchor, revoke], GENESIS_TIME + 3, &mut ordering)
                .unwrap();
            assert!(committed(&out));
            ledger
                .produce_block(vec![], GENESIS_TIME + 4, &mut ordering)
                .unwrap();
            let roots: Vec<[u8; 32]> = (0..=4).map(|h| ledger.state_root(h).unwrap()).collect();
            (ledger.head().clone(), roots, anchor_hash)
        };

        let store = RocksStore::open(&dir.0, RocksOptions::default()).unwrap();
        let mut ledger = Ledger::open_or_init(&chain.genesis, store).unwrap();
        assert_eq!(ledger.head(), &head);
        for (height, root) in roots.iter().enumerate() {
            assert_eq!(&ledger.state_root(height as u64).unwrap(), root);
        }
        assert_eq!(
            ledger.transaction_location(&anchor_hash).unwrap(),
            Some((3, 0))
        );
        assert_eq!(ledger.transaction_location(&[0; 32]).unwrap(), None);
        assert_eq!(
            ledger
                .transaction_receipt(&anchor_hash)
                .unwrap()
                .unwrap()
                .events,
            vec![Event::EvidenceAnchored { hash: [7; 32] }]
        );
        // Proofs at an old and the latest height verify against the pinned validator set.
        let trusted = TrustedChain {
            chain_id: crosscode_testing::registry::CHAIN_ID.into(),
            profile,
            validators: ValidatorSet::new(profile, chain.genesis.validators.clone()).unwrap(),
        };
        for (height, revoked) in [(2, false), (4, true)] {
            let bundle = ledger.prove(std::slice::from_ref(&key), height).unwrap();
            let verified = verify_bundle_bytes_for_keys(
                &bundle.to_bytes(),
                &trusted,
                &CoreSignatureVerifier,
                &[key.as_slice()],
            )
            .unwrap();
            assert_eq!(verified.entries[0].1.is_some(), revoked, "height {height}");
        }
        // The reopened ledger continues the chain, and a follower replays it from the store.
        let mut later = Actor::new(profile);
        let create = later.create();
        let (_, out) = ledger
            .produce_block(vec![create], GENESIS_TIME + 5, &mut ordering)
            .unwrap();
        assert!(committed(&out));
        let mut follower = Ledger::new(
            &chain.genesis,
            crosscode_did_registry::ledger::MemoryStore::new(),
        )
        .unwrap();
        for height in 1..=ledger.head().height {
            let block = ledger.store().block(height).unwrap().unwrap();
            follower
                .apply_block(
                    &block.block,
                    block.certificate.as_ref().unwrap(),
                    &CoreSignatureVerifier,
                )
                .unwrap();
        }
        assert_eq!(follower.head(), ledger.head());

        // A store holding a chain refuses a second genesis, and another chain's genesis.
        drop(ledger);
        let store = RocksStore::open(&dir.0, RocksOptions::default()).unwrap();
        assert!(matches!(
            Ledger::new(&chain.genesis, store),
            Err(LedgerError::AlreadyInitialised)
        ));
        let other = Chain::new(profile);
        let store = RocksStore::open(&dir.0, RocksOptions::default()).unwrap();
        assert!(matches!(
            Ledger::open_or_init(&other.genesis, store),
            Err(LedgerError::GenesisMismatch)
        ));
    }
}

#[test]
fn an_empty_store_does_not_open() {
    let dir = TempDir::new("empty");
    let store = RocksStore::open(&dir.0, RocksOptions { sync: false }).unwrap();
    assert!(matches!(Ledger::open(store), Err(LedgerError::EmptyStore)));
}
