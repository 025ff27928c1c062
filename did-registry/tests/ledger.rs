//! Blocks, commit certificates, the solo ordering adapter, following a chain, and offline proof
//! bundles (inclusion and exclusion, any height, tamper detection), on both crypto profiles.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_core::keys::SecretKey;
use crosscode_did_registry::block::{
    CertificateError, CommitCertificate, CommitSignature, Header, verify_certificate,
};
use crosscode_did_registry::codec::{Decode, DecodeError, Encode};
use crosscode_did_registry::governance::GovernanceAction;
use crosscode_did_registry::ledger::{
    Block, Ledger, LedgerError, LedgerStore, MemoryStore, TxOutcome, TxReceipt,
};
use crosscode_did_registry::merkle::merkle_root;
use crosscode_did_registry::ordering::{CoreSignatureVerifier, OrderingError, SoloOrdering};
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::proof::{
    BundleError, ProofBundle, StateProofError, TrustedChain, verify_bundle_bytes,
    verify_bundle_bytes_for_keys,
};
use crosscode_did_registry::records::{DidRecord, StateKey};
use crosscode_did_registry::state::{Event, Rejection};
use crosscode_did_registry::transaction::{Payload, StatusChange, StatusKey};
use crosscode_did_registry::validators::ValidatorSet;
use crosscode_did_registry::vote::{VoteKind, precommit_message, vote_message};
use crosscode_testing::registry::{
    Actor, CHAIN_ID, Chain, GENESIS_TIME, key_algorithm, scope, validator_of, validator_set,
};

struct Node {
    chain: Chain,
    ledger: Ledger<MemoryStore>,
    solo: SoloOrdering,
    time: u64,
}

impl Node {
    fn new(profile: CryptoProfile) -> Node {
        let chain = Chain::new(profile);
        let (ledger, solo) = chain.solo_ledger();
        Node {
            chain,
            ledger,
            solo,
            time: GENESIS_TIME,
        }
    }

    fn block(
        &mut self,
        txs: Vec<crosscode_did_registry::transaction::SignedTransaction>,
    ) -> Vec<TxOutcome> {
        self.time += 2;
        let (_, outcomes) = self
            .ledger
            .produce_block(txs, self.time, &mut self.solo)
            .unwrap();
        outcomes
    }

    fn trusted(&self) -> TrustedChain {
        TrustedChain {
            chain_id: CHAIN_ID.into(),
            profile: self.chain.profile,
            validators: ValidatorSet::new(
                self.chain.profile,
                self.chain.genesis.validators.clone(),
            )
            .unwrap(),
        }
    }

    /// Admits a new issuer: create, propose, vote (three blocks).
    fn admitted_issuer(&mut self) -> Actor {
        let mut issuer = Actor::new(self.chain.profile);
        let create = issuer.create();
        assert_committed(&self.block(vec![create]));
        let propose = self.chain.members[0].tx(Payload::Propose {
            action: GovernanceAction::AdmitIssuer {
                issuer: issuer.did.clone(),
                scope: scope(),
            },
            voting_period: 10,
        });
        let vote = self.chain.members[1].tx(Payload::Vote {
            proposal: 0,
            approve: true,
        });
        assert_committed(&self.block(vec![propose, vote]));
        issuer
    }
}

fn assert_committed(outcomes: &[TxOutcome]) {
    for outcome in outcomes {
        assert!(matches!(outcome, TxOutcome::Committed(_)), "{outcome:?}");
    }
}

#[test]
fn solo_blocks_chain_up_with_one_of_one_certificates() {
    for profile in CryptoProfile::ALL {
        let mut node = Node::new(profile);
        let genesis_header = node.ledger.head().clone();
        assert_eq!(genesis_header.height, 0);
        let mut actor = Actor::new(profile);
        let create = actor.create();
        let mut stranger = Actor::new(profile);
        let bad = stranger.tx(Payload::DidDeactivate);
        let outcomes = node.block(vec![create.clone(), bad.clone()]);
        assert!(matches!(outcomes[0], TxOutcome::Committed(_)));
        assert!(matches!(
            &outcomes[1],
            TxOutcome::Rejected { rejection: Rejection::UnknownSender, tx_hash } if *tx_hash == bad.hash(profile)
        ));
        let committed = node.ledger.store().block(1).unwrap().unwrap();
        let header = &committed.block.header;
        assert_eq!(committed.block.transactions, vec![create.clone()]);
        assert_eq!(header.previous_hash, genesis_header.hash(profile));
        assert_eq!(
            header.transactions_root,
            merkle_root(profile, &[create.hash(profile)])
        );
        assert_eq!(header.state_root, node.ledger.state_root(1).unwrap());
        assert_eq!(header.validators_hash, header.next_validators_hash);
        let certificate = committed.certificate.unwrap();
        assert_eq!(certificate.signatures.len(), 1);
        let validators = node.ledger.validators().unwrap();
        verify_certificate(
            profile,
            CHAIN_ID,
            header,
            &certificate,
            &validators,
            &CoreSignatureVerifier,
        )
        .unwrap();

        // A heartbeat block: no transactions, same state root, new header.
        node.block(vec![]);
        let heartbeat = node.ledger.store().block(2).unwrap().unwrap();
        assert!(heartbeat.block.transactions.is_empty());
        assert_eq!(heartbeat.block.header.state_root, header.state_root);
        assert_eq!(
            heartbeat.block.header.transactions_root,
            merkle_root(profile, &[])
        );
        // Blocks encode canonically.
        let bytes = heartbeat.block.to_bytes();
        assert_eq!(Block::from_bytes(&bytes).unwrap(), heartbeat.block);
        // Time may not go backwards.
        assert!(matches!(
            node.ledger
                .produce_block(vec![], GENESIS_TIME, &mut node.solo),
            Err(LedgerError::TimeGoesBackwards)
        ));
    }
}

#[test]
fn a_follower_applies_decided_blocks_and_refuses_tampered_ones() {
    for profile in CryptoProfile::ALL {
        let mut node = Node::new(profile);
        let mut follower = Ledger::new(&node.chain.genesis, MemoryStore::new()).unwrap();
        let mut issuer = node.admitted_issuer();
        let anchor = issuer.anchor([4; 32]);
        node.block(vec![anchor]);
        for height in 1..=node.ledger.head().height {
            let committed = node.ledger.store().block(height).unwrap().unwrap();
            let certificate = committed.certificate.clone().unwrap();
            if height == node.ledger.head().height {
                // Tampered: a transaction dropped (the certificate still signs the original).
                let mut dropped = committed.block.clone();
                dropped.transactions.clear();
                let before = follower.state().entries().count();
                assert!(matches!(
                    follower.apply_block(&dropped, &certificate, &CoreSignatureVerifier),
                    Err(LedgerError::HeaderMismatch {
                        field: "transactions root"
                    })
                ));
                assert_eq!(follower.state().entries().count(), before);
                // Tampered header: the certificate no longer matches.
                let mut forged = committed.block.clone();
                forged.header.state_root = [0; 32];
                assert!(matches!(
                    follower.apply_block(&forged, &certificate, &CoreSignatureVerifier),
                    Err(LedgerError::Certificate(CertificateError::ValueMismatch))
                ));
            }
            follower
                .apply_block(&committed.block, &certificate, &CoreSignatureVerifier)
                .unwrap();
            assert_eq!(follower.head(), &committed.block.header);
        }
        // Applying the same block twice does not extend the head.
        let last = node
            .ledger
            .store()
            .block(node.ledger.head().height)
            .unwrap()
            .unwrap();
        assert!(matches!(
            follower.apply_block(
                &last.block,
                last.certificate.as_ref().unwrap(),
                &CoreSignatureVerifier
            ),
            Err(LedgerError::NotNext)
        ));
    }
}

#[test]
fn proof_bundles_prove_inclusion_and_exclusion_offline_at_any_height() {
    for profile in CryptoProfile::ALL {
        let mut node = Node::new(profile);
        let mut issuer = node.admitted_issuer();
        let revoked = StatusKey::CredentialHash([1; 32]);
        let valid = StatusKey::CredentialHash([2; 32]);
        let anchor = issuer.anchor([1; 32]);
        node.block(vec![anchor]);
        let before_revocation = node.ledger.head().height;
        let revoke = issuer.tx(Payload::SetStatus {
            key: revoked.clone(),
            change: StatusChange::Revoke,
        });
        node.block(vec![revoke]);
        let now = node.ledger.head().height;
        let trusted = node.trusted();

        let keys = vec![
            StateKey::did(&issuer.did).0,
            StateKey::evidence(&[1; 32]).0,
            StateKey::status(&issuer.did, &revoked).0,
            StateKey::status(&issuer.did, &valid).0,
        ];
        let bundle = node.ledger.prove(&keys, now).unwrap();
        let bytes = bundle.to_bytes();
        assert_eq!(ProofBundle::from_bytes(&bytes).unwrap(), bundle);
        let verified = verify_bundle_bytes(&bytes, &trusted, &CoreSignatureVerifier).unwrap();
        assert_eq!(verified.height, now);
        let did_record = DidRecord::from_bytes(verified.entries[0].1.as_ref().unwrap()).unwrap();
        assert_eq!(did_record.document, issuer.document());
        assert!(verified.entries[1].1.is_some(), "evidence anchored");
        assert!(verified.entries[2].1.is_some(), "revoked");
        assert!(
            verified.entries[3].1.is_none(),
            "not revoked: exclusion proof"
        );

        // As of the height before the revocation, the revoked credential was not revoked.
        let old = node.ledger.prove(&keys[2..3], before_revocation).unwrap();
        let verified =
            verify_bundle_bytes(&old.to_bytes(), &trusted, &CoreSignatureVerifier).unwrap();
        assert_eq!(verified.entries[0].1, None);

        // Claiming a present entry absent (or the reverse) fails.
        let mut lie = bundle.clone();
        lie.entries[2].value = None;
        assert!(matches!(
            verify_bundle_bytes(&lie.to_bytes(), &trusted, &CoreSignatureVerifier),
            Err(BundleError::Entry {
                index: 2,
                error: StateProofError::KeyPresent
            })
        ));
        let mut lie = bundle.clone();
        lie.entries[3].value = Some(vec![1]);
        assert!(matches!(
            verify_bundle_bytes(&lie.to_bytes(), &trusted, &CoreSignatureVerifier),
            Err(BundleError::Entry { index: 3, .. })
        ));
        // Another validator set is not trusted.
        let mut other = node.trusted();
        other.validators = ValidatorSet::new(
            profile,
            vec![validator_of(
                profile,
                &SecretKey::generate(key_algorithm(profile)),
            )],
        )
        .unwrap();
        assert!(matches!(
            verify_bundle_bytes(&bytes, &other, &CoreSignatureVerifier),
            Err(BundleError::Certificate(
                CertificateError::ValidatorSetMismatch
            ))
        ));
        let mut other_chain = node.trusted();
        other_chain.chain_id = "crosscode-other-1".into();
        assert!(matches!(
            verify_bundle_bytes(&bytes, &other_chain, &CoreSignatureVerifier),
            Err(BundleError::Certificate(CertificateError::WrongChain))
        ));
        // The genesis header has no certificate, and unknown heights have no bundle.
        assert!(matches!(
            node.ledger.prove(&keys, 0),
            Err(LedgerError::UnknownHeight { height: 0 })
        ));
        assert!(matches!(
            node.ledger.prove(&keys, now + 1),
            Err(LedgerError::UnknownHeight { .. })
        ));
    }
}

#[test]
fn a_proof_bundle_fails_when_any_byte_changes() {
    for profile in CryptoProfile::ALL {
        let mut node = Node::new(profile);
        let mut issuer = node.admitted_issuer();
        let anchor = issuer.anchor([8; 32]);
        node.block(vec![anchor]);
        let keys = vec![
            StateKey::evidence(&[8; 32]).0,
            StateKey::status(&issuer.did, &StatusKey::Index { list: 0, index: 5 }).0,
        ];
        let height = node.ledger.head().height;
        let bytes = node.ledger.prove(&keys, height).unwrap().to_bytes();
        let trusted = node.trusted();
        let query: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
        let verify = |bytes: &[u8]| {
            verify_bundle_bytes_for_keys(bytes, &trusted, &CoreSignatureVerifier, &query)
        };
        verify(&bytes).unwrap();
        for i in 0..bytes.len() {
            for flip in [0x01u8, 0x80] {
                let mut tampered = bytes.clone();
                tampered[i] ^= flip;
                assert!(
                    verify(&tampered).is_err(),
                    "{profile:?}: flipping byte {i} with {flip:#x} still verifies"
                );
            }
        }
        // Truncated or extended bundles fail too.
        assert!(verify(&bytes[..bytes.len() - 1]).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(verify(&longer), Err(BundleError::Decode(_))));
        // A bundle about other keys is not an answer to this query.
        let other = node.ledger.prove(&keys[..1], height).unwrap().to_bytes();
        assert!(matches!(verify(&other), Err(BundleError::KeysMismatch)));
    }
}

/// Four validators of equal power and a header at `height` naming their set.
fn four_validators_and_a_header(
    profile: CryptoProfile,
    height: u64,
) -> (Vec<SecretKey>, ValidatorSet, Header) {
    let (keys, set) = validator_set(profile, 4);
    let mut header = Node::new(profile).ledger.head().clone();
    header.height = height;
    header.validators_hash = set.hash(profile);
    (keys, set, header)
}

#[test]
fn certificates_need_more_than_two_thirds_of_the_power() {
    let profile = CryptoProfile::Standard;
    let (keys, set, header) = four_validators_and_a_header(profile, 7);
    let hash = header.hash(profile);
    let sign = |i: usize| CommitSignature {
        validator: i as u32,
        signature: keys[i]
            .sign(&precommit_message(CHAIN_ID, 7, 2, &hash))
            .unwrap(),
    };
    // Decided in round 2 (two rounds failed before, as when a proposer is down).
    let cert = |sigs: Vec<CommitSignature>| CommitCertificate {
        height: 7,
        round: 2,
        value_id: hash,
        signatures: sigs,
    };
    let check = |c: &CommitCertificate| {
        verify_certificate(profile, CHAIN_ID, &header, c, &set, &CoreSignatureVerifier)
    };
    check(&cert(vec![sign(0), sign(1), sign(3)])).unwrap();
    assert!(matches!(
        check(&cert(vec![sign(0), sign(2)])),
        Err(CertificateError::InsufficientPower {
            signed: 20,
            total: 40
        })
    ));
    assert!(matches!(
        check(&cert(vec![sign(1), sign(0), sign(2)])),
        Err(CertificateError::UnorderedSignatures)
    ));
    assert!(matches!(
        check(&cert(vec![sign(0), sign(0), sign(1)])),
        Err(CertificateError::UnorderedSignatures)
    ));
    let mut unknown = sign(2);
    unknown.validator = 9;
    assert!(matches!(
        check(&cert(vec![sign(0), sign(1), unknown])),
        Err(CertificateError::UnknownValidator { index: 9 })
    ));
    let mut swapped = sign(2);
    swapped.validator = 3;
    assert!(matches!(
        check(&cert(vec![sign(0), sign(1), swapped])),
        Err(CertificateError::BadSignature { index: 3 })
    ));
    let mut wrong_height = cert(vec![sign(0), sign(1), sign(2)]);
    wrong_height.height = 8;
    assert!(matches!(
        check(&wrong_height),
        Err(CertificateError::HeightMismatch)
    ));
}

#[test]
fn only_precommits_for_the_header_in_the_certificates_round_count() {
    let profile = CryptoProfile::GuoMi;
    let (keys, set, header) = four_validators_and_a_header(profile, 5);
    let hash = header.hash(profile);
    let certificate = |round: u32, message: &dyn Fn(usize) -> Vec<u8>| CommitCertificate {
        height: 5,
        round,
        value_id: hash,
        signatures: (0..3)
            .map(|i| CommitSignature {
                validator: i as u32,
                signature: keys[i].sign(&message(i)).unwrap(),
            })
            .collect(),
    };
    let check = |c: &CommitCertificate| {
        verify_certificate(profile, CHAIN_ID, &header, c, &set, &CoreSignatureVerifier)
    };
    check(&certificate(1, &|_| {
        precommit_message(CHAIN_ID, 5, 1, &hash)
    }))
    .unwrap();
    // Validator 2 only prevoted: a prevote is not a precommit.
    let prevoted = certificate(1, &|i| {
        let kind = if i == 2 {
            VoteKind::Prevote
        } else {
            VoteKind::Precommit
        };
        vote_message(CHAIN_ID, kind, 5, 1, Some(&hash))
    });
    assert_eq!(
        check(&prevoted),
        Err(CertificateError::BadSignature { index: 2 })
    );
    // Validator 1 precommitted in round 0: precommits of two rounds do not add up.
    let other_round = certificate(1, &|i| {
        precommit_message(CHAIN_ID, 5, u32::from(i != 1), &hash)
    });
    assert_eq!(
        check(&other_round),
        Err(CertificateError::BadSignature { index: 1 })
    );
    // A certificate relabelled with another round does not verify either.
    let mut relabelled = certificate(1, &|_| precommit_message(CHAIN_ID, 5, 1, &hash));
    relabelled.round = 0;
    assert_eq!(
        check(&relabelled),
        Err(CertificateError::BadSignature { index: 0 })
    );
    // Validator 0 precommitted nil.
    let nil = certificate(1, &|i| {
        vote_message(
            CHAIN_ID,
            VoteKind::Precommit,
            5,
            1,
            (i != 0).then_some(&hash),
        )
    });
    assert_eq!(
        check(&nil),
        Err(CertificateError::BadSignature { index: 0 })
    );
    // Precommits on another chain do not count here.
    let elsewhere = certificate(1, &|_| precommit_message("another-chain", 5, 1, &hash));
    assert_eq!(
        check(&elsewhere),
        Err(CertificateError::BadSignature { index: 0 })
    );
}

#[test]
fn a_certificate_of_the_retired_version_1_format_is_refused_as_unsupported() {
    let mut bytes = vec![1u8];
    bytes.extend_from_slice(&7u64.to_be_bytes());
    bytes.extend_from_slice(&[0u8; 32]);
    bytes.extend_from_slice(&0u32.to_be_bytes());
    assert!(matches!(
        CommitCertificate::from_bytes(&bytes),
        Err(DecodeError::UnsupportedVersion {
            what: "certificate",
            version: 1
        })
    ));
}

#[test]
fn a_validator_set_change_takes_effect_at_the_next_block() {
    let profile = CryptoProfile::GuoMi;
    let mut node = Node::new(profile);
    let new_key = SecretKey::generate(key_algorithm(profile));
    let propose = node.chain.members[0].tx(Payload::Propose {
        action: GovernanceAction::SetValidators {
            validators: vec![validator_of(profile, &new_key)],
        },
        voting_period: 5,
    });
    let vote = node.chain.members[2].tx(Payload::Vote {
        proposal: 0,
        approve: true,
    });
    assert_committed(&node.block(vec![propose, vote]));
    let header = node.ledger.head().clone();
    let new_set = ValidatorSet::new(profile, vec![validator_of(profile, &new_key)]).unwrap();
    assert_ne!(header.validators_hash, header.next_validators_hash);
    assert_eq!(header.next_validators_hash, new_set.hash(profile));
    // The old solo validator can no longer decide; nothing is committed.
    let before: Vec<(Vec<u8>, Vec<u8>)> = node
        .ledger
        .state()
        .entries()
        .map(|(k, v)| (k.to_vec(), v.to_vec()))
        .collect();
    let mut actor = Actor::new(profile);
    let create = actor.create();
    assert!(matches!(
        node.ledger
            .produce_block(vec![create.clone()], node.time + 1, &mut node.solo),
        Err(LedgerError::Ordering(OrderingError::NotAValidator))
    ));
    let after: Vec<(Vec<u8>, Vec<u8>)> = node
        .ledger
        .state()
        .entries()
        .map(|(k, v)| (k.to_vec(), v.to_vec()))
        .collect();
    assert_eq!(before, after);
    assert_eq!(node.ledger.head(), &header);
    // The new validator decides the next block.
    let mut solo = SoloOrdering::new(profile, new_key);
    let (committed, outcomes) = node
        .ledger
        .produce_block(vec![create], node.time + 1, &mut solo)
        .unwrap();
    assert_committed(&outcomes);
    assert_eq!(
        committed.block.header.validators_hash,
        new_set.hash(profile)
    );
}

#[test]
fn a_ledger_reopens_from_its_store() {
    let mut node = Node::new(CryptoProfile::Standard);
    let mut issuer = node.admitted_issuer();
    let anchor = issuer.anchor([2; 32]);
    let hash = anchor.hash(CryptoProfile::Standard);
    node.block(vec![anchor]);
    let head = node.ledger.head().clone();
    let entries: Vec<(Vec<u8>, Vec<u8>)> = node
        .ledger
        .state()
        .entries()
        .map(|(k, v)| (k.to_vec(), v.to_vec()))
        .collect();
    let genesis = node.chain.genesis.clone();
    let store = std::mem::replace(
        &mut node.ledger,
        Ledger::new(&genesis, MemoryStore::new()).unwrap(),
    )
    .into_store();
    let reopened = Ledger::open_or_init(&genesis, store).unwrap();
    assert_eq!(reopened.head(), &head);
    let reopened_entries: Vec<(Vec<u8>, Vec<u8>)> = reopened
        .state()
        .entries()
        .map(|(k, v)| (k.to_vec(), v.to_vec()))
        .collect();
    assert_eq!(reopened_entries, entries);
    assert_eq!(
        reopened.transaction_location(&hash).unwrap(),
        Some((head.height, 0))
    );
    // The store's transaction index keeps what the transaction did.
    assert_eq!(
        reopened.transaction_receipt(&hash).unwrap(),
        Some(TxReceipt {
            height: head.height,
            index: 0,
            events: vec![Event::EvidenceAnchored { hash: [2; 32] }],
        })
    );
    let store = reopened.into_store();
    assert!(matches!(
        Ledger::new(&genesis, store),
        Err(LedgerError::AlreadyInitialised)
    ));
    assert!(matches!(
        Ledger::open(MemoryStore::new()),
        Err(LedgerError::EmptyStore)
    ));
}

#[test]
fn a_receipt_has_one_canonical_encoding_and_reads_an_entry_without_events() {
    let receipt = TxReceipt {
        height: 9,
        index: 4,
        events: vec![
            Event::ProposalOpened { id: 3 },
            Event::ProposalExecuted { id: 3 },
        ],
    };
    let bytes = receipt.to_bytes();
    assert_eq!(TxReceipt::from_bytes(&bytes).unwrap(), receipt);
    // An index entry written before events were kept: height and index only.
    let mut old = 9u64.to_be_bytes().to_vec();
    old.extend_from_slice(&4u32.to_be_bytes());
    assert_eq!(
        TxReceipt::from_bytes(&old).unwrap(),
        TxReceipt {
            height: 9,
            index: 4,
            events: vec![],
        }
    );
    assert!(TxReceipt::from_bytes(&old[..11]).is_err());
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(TxReceipt::from_bytes(&trailing).is_err());
}
