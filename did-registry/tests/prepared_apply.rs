//! Block production checks signatures ahead of apply, on every core, against the keys of the
//! state before the block (`State::prepare`); apply then trusts a check only when the key it
//! resolves is exactly the key checked. These tests pin the cases where an earlier transaction
//! of the same block changes the key: the later transaction is judged against the key in force
//! at its turn, exactly as plain `State::apply` judges it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_core::keys::SecretKey;
use crosscode_did_registry::document::{Relationships, VerificationMethod};
use crosscode_did_registry::governance::GovernanceAction;
use crosscode_did_registry::ledger::{Ledger, MemoryStore, TxOutcome};
use crosscode_did_registry::ordering::SoloOrdering;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::state::{BlockContext, Rejection};
use crosscode_did_registry::transaction::{Payload, SignedTransaction, evidence_message};
use crosscode_testing::registry::{Actor, CHAIN_ID, Chain, GENESIS_TIME, key_algorithm, scope};

struct Node {
    chain: Chain,
    ledger: Ledger<MemoryStore>,
    solo: SoloOrdering,
    time: u64,
    next_proposal: u64,
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
            next_proposal: 0,
        }
    }

    /// Produces a block; also applies the same candidates with plain `State::apply` to a copy
    /// of the state before it, and checks both give the same outcomes and the same state.
    fn block(&mut self, txs: Vec<SignedTransaction>) -> Vec<TxOutcome> {
        self.time += 2;
        let mut reference = self.ledger.state().clone();
        let ctx = BlockContext {
            height: self.ledger.head().height + 1,
            time: self.time,
        };
        let expected: Vec<_> = txs.iter().map(|tx| reference.apply(&ctx, tx)).collect();
        let (_, outcomes) = self
            .ledger
            .produce_block(txs, self.time, &mut self.solo)
            .unwrap();
        for (outcome, expected) in outcomes.iter().zip(&expected) {
            match (outcome, expected) {
                (TxOutcome::Committed(effects), Ok(expected)) => assert_eq!(effects, expected),
                (TxOutcome::Rejected { rejection, .. }, Err(expected)) => {
                    assert_eq!(rejection, expected)
                }
                (outcome, expected) => panic!("block: {outcome:?}, plain apply: {expected:?}"),
            }
        }
        assert_eq!(outcomes.len(), expected.len());
        assert!(
            self.ledger.state().entries().eq(reference.entries()),
            "the block's state differs from plain apply's"
        );
        outcomes
    }

    /// `count` DID creations of new actors: enough transactions for the block to be prepared
    /// on several threads.
    fn fillers(&self, count: usize) -> Vec<SignedTransaction> {
        (0..count)
            .map(|_| Actor::new(self.chain.profile).create())
            .collect()
    }

    /// A new DID admitted as an issuer (create, propose, vote: three blocks).
    fn admitted_issuer(&mut self) -> Actor {
        let issuer = self.created();
        let id = self.next_proposal;
        self.next_proposal += 1;
        let propose = self.chain.members[0].tx(Payload::Propose {
            action: GovernanceAction::AdmitIssuer {
                issuer: issuer.did.clone(),
                scope: scope(),
            },
            voting_period: 10,
        });
        assert!(is_committed(&self.block(vec![propose])[0]));
        let vote = self.chain.members[1].tx(Payload::Vote {
            proposal: id,
            approve: true,
        });
        assert!(is_committed(&self.block(vec![vote])[0]));
        issuer
    }

    fn created(&mut self) -> Actor {
        let mut actor = Actor::new(self.chain.profile);
        let create = actor.create();
        assert!(matches!(
            self.block(vec![create])[0],
            TxOutcome::Committed(_)
        ));
        actor
    }
}

fn rotate_to(actor: &mut Actor, control: &SecretKey) -> SignedTransaction {
    let methods = vec![
        VerificationMethod::new(
            "control",
            control.public_key(),
            Relationships::CAPABILITY_INVOCATION,
        ),
        VerificationMethod::new(
            "assert-1",
            actor.assertion.public_key(),
            Relationships::ASSERTION_METHOD,
        ),
    ];
    actor.tx(Payload::DidRotateKeys { methods })
}

fn is_committed(outcome: &TxOutcome) -> bool {
    matches!(outcome, TxOutcome::Committed(_))
}

fn rejection(outcome: &TxOutcome) -> &Rejection {
    match outcome {
        TxOutcome::Rejected { rejection, .. } => rejection,
        TxOutcome::Committed(effects) => panic!("committed: {effects:?}"),
    }
}

#[test]
fn a_key_rotated_earlier_in_the_block_is_the_key_checked() {
    for profile in CryptoProfile::ALL {
        for fillers in [0usize, 300] {
            let mut node = Node::new(profile);
            let mut actor = node.created();
            let old = SecretKey::from_bytes(actor.control.algorithm(), &actor.control.to_bytes())
                .unwrap();
            let new = SecretKey::generate(key_algorithm(profile));
            let mut txs = node.fillers(fillers);
            txs.push(rotate_to(&mut actor, &new));
            // Signed with the key of the state before the block: the prepared check said
            // "valid" for the old key, but the key in force is the new one.
            let with_old_key = actor.tx(Payload::DidDeactivate);
            actor.sequence -= 1;
            txs.push(with_old_key);
            // Signed with the new key: checked "invalid" against the old key ahead of apply,
            // valid against the key in force.
            actor.control = SecretKey::from_bytes(new.algorithm(), &new.to_bytes()).unwrap();
            let with_new_key = actor.tx(Payload::DidUpdate {
                add_methods: vec![],
                remove_methods: vec![],
                add_services: vec![],
                remove_services: vec!["issuer".into()],
            });
            txs.push(with_new_key);
            let outcomes = node.block(txs);
            assert!(outcomes[..fillers].iter().all(is_committed));
            assert!(is_committed(&outcomes[fillers]), "the rotation");
            assert_eq!(rejection(&outcomes[fillers + 1]), &Rejection::BadSignature);
            assert!(
                is_committed(&outcomes[fillers + 2]),
                "signed with the new key"
            );
            // And the old key stays refused in later blocks.
            actor.control = old;
            let late = actor.tx(Payload::DidDeactivate);
            assert_eq!(
                rejection(&node.block(vec![late])[0]),
                &Rejection::BadSignature
            );
        }
    }
}

#[test]
fn an_assertion_key_replaced_earlier_in_the_block_is_the_key_checked() {
    for profile in CryptoProfile::ALL {
        let mut node = Node::new(profile);
        let mut issuer = node.admitted_issuer();

        let new_assertion = SecretKey::generate(key_algorithm(profile));
        let replace = issuer.tx(Payload::DidUpdate {
            add_methods: vec![VerificationMethod::new(
                "assert-2",
                new_assertion.public_key(),
                Relationships::ASSERTION_METHOD,
            )],
            remove_methods: vec!["assert-1".into()],
            add_services: vec![],
            remove_services: vec![],
        });
        // Anchors naming "assert-1", signed by its key: valid ahead of apply, but the method
        // is gone by their turn.
        let gone = issuer.anchor([7; 32]);
        // Refused, so its sequence number is used again.
        issuer.sequence -= 1;
        let hash = [8u8; 32];
        let signature = new_assertion
            .sign(&evidence_message(CHAIN_ID, &hash))
            .unwrap();
        let with_new = issuer.tx(Payload::AnchorEvidence {
            credential_hash: hash,
            method: "assert-2".into(),
            signature,
        });
        let mut txs = node.fillers(200);
        txs.extend([replace, gone, with_new]);
        let outcomes = node.block(txs);
        assert!(is_committed(&outcomes[200]), "the replacement");
        assert_eq!(
            rejection(&outcomes[201]),
            &Rejection::UnknownKey {
                fragment: "assert-1".into()
            }
        );
        assert!(
            is_committed(&outcomes[202]),
            "signed with the new assertion key"
        );
    }
}

#[test]
fn a_block_of_many_transactions_matches_plain_apply() {
    let mut node = Node::new(CryptoProfile::Standard);
    let mut actors: Vec<Actor> = (0..150).map(|_| node.created()).collect();
    let mut txs = Vec::new();
    for (i, actor) in actors.iter_mut().enumerate() {
        let tx = actor.tx(Payload::DidUpdate {
            add_methods: vec![],
            remove_methods: vec![],
            add_services: vec![],
            remove_services: vec!["issuer".into()],
        });
        match i % 5 {
            // A bad signature.
            0 => {
                let mut bad = tx;
                bad.signature[0] ^= 1;
                txs.push(bad);
            }
            // A replay of the same transaction in the same block.
            1 => {
                txs.push(tx.clone());
                txs.push(tx);
            }
            _ => txs.push(tx),
        }
    }
    let outcomes = node.block(txs);
    assert!(outcomes.iter().any(is_committed));
    assert!(outcomes.iter().any(|o| matches!(
        o,
        TxOutcome::Rejected {
            rejection: Rejection::BadSignature,
            ..
        }
    )));
    assert!(outcomes.iter().any(|o| matches!(
        o,
        TxOutcome::Rejected {
            rejection: Rejection::ReplayedSequence { .. },
            ..
        }
    )));
}
