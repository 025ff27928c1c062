//! The ledger under a multi-validator engine: a proposer builds a block without committing it,
//! another validator re-executes it before voting, and the decided block commits with its
//! certificate — and with the previous block's certificate its value carried, which replaces
//! the one each validator gathered itself, so that all serve the same proofs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_core::keys::SecretKey;
use crosscode_did_registry::block::{CertificateError, CommitCertificate, CommitSignature, Header};
use crosscode_did_registry::codec::Encode;
use crosscode_did_registry::ledger::{Ledger, LedgerError, LedgerStore, MemoryStore, TxOutcome};
use crosscode_did_registry::ordering::CoreSignatureVerifier;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::records::StateKey;
use crosscode_did_registry::transaction::Payload;
use crosscode_did_registry::vote::precommit_message;
use crosscode_testing::registry::{Actor, CHAIN_ID, Chain, GENESIS_TIME, validator_set};

/// Four validators' keys and two of their ledgers (a proposer's and another validator's).
struct Four {
    keys: Vec<SecretKey>,
    proposer: Ledger<MemoryStore>,
    validator: Ledger<MemoryStore>,
    profile: CryptoProfile,
}

fn four(profile: CryptoProfile) -> Four {
    let mut genesis = Chain::new(profile).genesis;
    let (keys, set) = validator_set(profile, 4);
    genesis.validators = set.validators().to_vec();
    Four {
        keys,
        proposer: Ledger::new(&genesis, MemoryStore::new()).unwrap(),
        validator: Ledger::new(&genesis, MemoryStore::new()).unwrap(),
        profile,
    }
}

impl Four {
    /// The precommits of the validators at `who` (in position order) for `header` in round 0.
    fn certify(&self, header: &Header, who: &[usize]) -> CommitCertificate {
        let value_id = header.hash(self.profile);
        CommitCertificate {
            height: header.height,
            round: 0,
            value_id,
            signatures: who
                .iter()
                .map(|&i| CommitSignature {
                    validator: i as u32,
                    signature: self.keys[i]
                        .sign(&precommit_message(CHAIN_ID, header.height, 0, &value_id))
                        .unwrap(),
                })
                .collect(),
        }
    }
}

fn registration(
    profile: CryptoProfile,
) -> (
    Actor,
    crosscode_did_registry::transaction::SignedTransaction,
) {
    let mut actor = Actor::new(profile);
    let document = actor.document();
    let tx = actor.tx(Payload::DidCreate { document });
    (actor, tx)
}

#[test]
fn a_built_block_commits_nothing_until_it_is_decided_and_applied_with_its_certificate() {
    for profile in CryptoProfile::ALL {
        let mut four = four(profile);
        let (actor, tx) = registration(profile);
        let entries = four.proposer.state().entries().count();
        let (block, outcomes) = four
            .proposer
            .build_block(vec![tx], GENESIS_TIME + 5)
            .unwrap();
        assert!(matches!(outcomes.as_slice(), [TxOutcome::Committed(_)]));
        assert_eq!(block.header.height, 1);
        // Nothing committed: head, state and store as before.
        assert_eq!(four.proposer.head().height, 0);
        assert_eq!(four.proposer.state().entries().count(), entries);
        assert!(four.proposer.store().block(1).unwrap().is_none());

        // Another validator re-executes it, committing nothing either.
        four.validator
            .check_block(&block, None, &CoreSignatureVerifier)
            .unwrap();
        assert_eq!(four.validator.head().height, 0);
        assert_eq!(four.validator.state().entries().count(), entries);

        // Decided: each applies it with the certificate it gathered (different signers).
        let gathered_here = four.certify(&block.header, &[0, 1, 2]);
        let gathered_there = four.certify(&block.header, &[1, 2, 3]);
        four.proposer
            .apply_decided_block(&block, &gathered_here, None, &CoreSignatureVerifier)
            .unwrap();
        four.validator
            .apply_decided_block(&block, &gathered_there, None, &CoreSignatureVerifier)
            .unwrap();
        assert_eq!(four.proposer.head(), four.validator.head());
        let key = StateKey::did(&actor.did).as_bytes().to_vec();
        assert_ne!(
            four.proposer
                .prove(std::slice::from_ref(&key), 1)
                .unwrap()
                .to_bytes(),
            four.validator
                .prove(std::slice::from_ref(&key), 1)
                .unwrap()
                .to_bytes(),
            "two gathered certificates differ"
        );

        // The next block carries the proposer's certificate of block 1: both keep it.
        let (next, _) = four
            .proposer
            .build_block(vec![], GENESIS_TIME + 10)
            .unwrap();
        four.validator
            .check_block(&next, Some(&gathered_here), &CoreSignatureVerifier)
            .unwrap();
        let decided = four.certify(&next.header, &[0, 2, 3]);
        for ledger in [&mut four.proposer, &mut four.validator] {
            ledger
                .apply_decided_block(
                    &next,
                    &decided,
                    Some(&gathered_here),
                    &CoreSignatureVerifier,
                )
                .unwrap();
            assert_eq!(
                ledger.store().block(1).unwrap().unwrap().certificate,
                Some(gathered_here.clone())
            );
        }
        assert_eq!(
            four.proposer
                .prove(std::slice::from_ref(&key), 1)
                .unwrap()
                .to_bytes(),
            four.validator
                .prove(std::slice::from_ref(&key), 1)
                .unwrap()
                .to_bytes()
        );
    }
}

#[test]
fn a_validator_refuses_a_proposal_with_a_wrong_root_or_a_false_previous_certificate_but_commits_a_decided_one()
 {
    let profile = CryptoProfile::Standard;
    let mut four = four(profile);
    let (_, tx) = registration(profile);
    let (block, _) = four
        .proposer
        .build_block(vec![tx], GENESIS_TIME + 5)
        .unwrap();
    let entries = four.validator.state().entries().count();

    let mut wrong_state = block.clone();
    wrong_state.header.state_root[0] ^= 1;
    assert!(matches!(
        four.validator
            .check_block(&wrong_state, None, &CoreSignatureVerifier),
        Err(LedgerError::HeaderMismatch {
            field: "state root"
        })
    ));
    let mut dropped = block.clone();
    dropped.transactions.clear();
    assert!(matches!(
        four.validator
            .check_block(&dropped, None, &CoreSignatureVerifier),
        Err(LedgerError::HeaderMismatch {
            field: "transactions root"
        })
    ));
    let mut later = block.clone();
    later.header.height = 2;
    assert!(matches!(
        four.validator
            .check_block(&later, None, &CoreSignatureVerifier),
        Err(LedgerError::NotNext)
    ));
    // At genesis there is no previous block to carry a certificate of.
    let stray = four.certify(&block.header, &[0, 1, 2]);
    assert!(matches!(
        four.validator
            .check_block(&block, Some(&stray), &CoreSignatureVerifier),
        Err(LedgerError::Certificate(CertificateError::HeightMismatch))
    ));
    assert_eq!(four.validator.state().entries().count(), entries);
    assert_eq!(four.validator.head().height, 0);

    // Block 1 decided; block 2 carries a certificate of block 1 that is not one.
    let decided = four.certify(&block.header, &[0, 1, 2]);
    for ledger in [&mut four.proposer, &mut four.validator] {
        ledger
            .apply_decided_block(&block, &decided, None, &CoreSignatureVerifier)
            .unwrap();
    }
    let (next, _) = four
        .proposer
        .build_block(vec![], GENESIS_TIME + 10)
        .unwrap();
    let too_few = CommitCertificate {
        signatures: decided.signatures[..2].to_vec(),
        ..decided.clone()
    };
    assert!(matches!(
        four.validator
            .check_block(&next, Some(&too_few), &CoreSignatureVerifier),
        Err(LedgerError::Certificate(
            CertificateError::InsufficientPower { .. }
        ))
    ));
    // Decided anyway (a value got through sync from a peer that swapped it): the block
    // commits and the validator keeps the certificate it had.
    let next_certificate = four.certify(&next.header, &[0, 1, 2]);
    four.validator
        .apply_decided_block(
            &next,
            &next_certificate,
            Some(&next_certificate),
            &CoreSignatureVerifier,
        )
        .unwrap();
    assert_eq!(four.validator.head().height, 2);
    assert_eq!(
        four.validator
            .store()
            .block(1)
            .unwrap()
            .unwrap()
            .certificate,
        Some(decided)
    );
}
