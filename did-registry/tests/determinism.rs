//! Determinism: the same blocks applied to two fresh stores give identical state roots (and
//! the same roots as the node that produced them), for random mixes of transaction kinds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_core::keys::SecretKey;
use crosscode_did_registry::document::{Relationships, Service, VerificationMethod};
use crosscode_did_registry::governance::GovernanceAction;
use crosscode_did_registry::ledger::{Ledger, LedgerStore, MemoryStore, TxOutcome};
use crosscode_did_registry::ordering::{CoreSignatureVerifier, SoloOrdering};
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::transaction::{Payload, SignedTransaction, StatusChange, StatusKey};
use crosscode_testing::registry::{Actor, Chain, GENESIS_TIME, scope};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Create(usize),
    AddService(usize, u8),
    Anchor(usize, u8),
    Status(usize, u8, u8),
    Rotate(usize),
    Deactivate(usize),
    Admit(usize),
    EndBlock,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..4usize).prop_map(Op::Create),
        (0..4usize, any::<u8>()).prop_map(|(a, b)| Op::AddService(a, b)),
        (0..4usize, any::<u8>()).prop_map(|(a, b)| Op::Anchor(a, b)),
        (0..4usize, 0..8u8, 0..3u8).prop_map(|(a, i, c)| Op::Status(a, i, c)),
        (0..4usize).prop_map(Op::Rotate),
        (0..4usize).prop_map(Op::Deactivate),
        (0..4usize).prop_map(Op::Admit),
        Just(Op::EndBlock),
    ]
}

fn payload(op: &Op, actor: &Actor) -> Option<Payload> {
    Some(match op {
        Op::Create(_) => Payload::DidCreate {
            document: actor.document(),
        },
        Op::AddService(_, b) => Payload::DidUpdate {
            add_methods: vec![],
            remove_methods: vec![],
            add_services: vec![Service {
                fragment: format!("s{b}"),
                service_type: "Endpoint".into(),
                endpoint: format!("https://e.example/{b}"),
            }],
            remove_services: vec![],
        },
        Op::Status(_, index, change) => Payload::SetStatus {
            key: StatusKey::Index {
                list: 0,
                index: u64::from(*index),
            },
            change: [
                StatusChange::Revoke,
                StatusChange::Suspend,
                StatusChange::Reinstate,
            ][usize::from(*change)],
        },
        Op::Rotate(_) => Payload::DidRotateKeys {
            methods: vec![
                VerificationMethod::new(
                    "control",
                    actor.control.public_key(),
                    Relationships::CAPABILITY_INVOCATION,
                ),
                VerificationMethod::new(
                    "assert-1",
                    actor.assertion.public_key(),
                    Relationships::ASSERTION_METHOD,
                ),
            ],
        },
        Op::Deactivate(_) => Payload::DidDeactivate,
        Op::Anchor(..) | Op::Admit(_) | Op::EndBlock => return None,
    })
}

type Candidates = Vec<(usize, SignedTransaction)>;

const PROPOSER: usize = usize::MAX;
const VOTER: usize = usize::MAX - 1;

fn flush(
    node: &mut Ledger<MemoryStore>,
    candidates: &mut Candidates,
    time: &mut u64,
    solo: &mut SoloOrdering,
) -> usize {
    *time += 3;
    let txs = std::mem::take(candidates)
        .into_iter()
        .map(|(_, tx)| tx)
        .collect();
    let (_, outcomes) = node.produce_block(txs, *time, solo).unwrap();
    outcomes
        .iter()
        .filter(|o| matches!(o, TxOutcome::Committed(_)))
        .count()
}

/// The sender's next sequence given the committed state and the candidates already queued.
fn next_sequence(
    node: &Ledger<MemoryStore>,
    candidates: &Candidates,
    who: usize,
    actor: &Actor,
) -> u64 {
    node.state().next_sequence(&actor.did)
        + candidates.iter().filter(|(i, _)| *i == who).count() as u64
}

/// Runs `ops` on a producing node and two followers; returns how many transactions committed.
fn run(profile: CryptoProfile, ops: &[Op]) -> usize {
    let mut chain = Chain::new(profile);
    let key =
        SecretKey::from_bytes(chain.validator.algorithm(), &chain.validator.to_bytes()).unwrap();
    let mut solo = SoloOrdering::new(profile, key);
    let mut node = Ledger::new(&chain.genesis, MemoryStore::new()).unwrap();
    let mut actors: Vec<Actor> = (0..4).map(|_| Actor::new(profile)).collect();
    let mut time = GENESIS_TIME;
    let mut candidates: Candidates = Vec::new();
    let mut proposals = 0u64;
    let mut committed = 0;
    for op in ops {
        match op {
            Op::EndBlock => committed += flush(&mut node, &mut candidates, &mut time, &mut solo),
            Op::Admit(a) => {
                let sequence = next_sequence(&node, &candidates, PROPOSER, &chain.members[0]);
                let member = &mut chain.members[0];
                member.sequence = sequence;
                let tx = member.tx(Payload::Propose {
                    action: GovernanceAction::AdmitIssuer {
                        issuer: actors[*a].did.clone(),
                        scope: scope(),
                    },
                    voting_period: 50,
                });
                candidates.push((PROPOSER, tx));
                let sequence = next_sequence(&node, &candidates, VOTER, &chain.members[1]);
                let voter = &mut chain.members[1];
                voter.sequence = sequence;
                let tx = voter.tx(Payload::Vote {
                    proposal: proposals,
                    approve: true,
                });
                proposals += 1;
                candidates.push((VOTER, tx));
            }
            Op::Create(a)
            | Op::AddService(a, _)
            | Op::Anchor(a, _)
            | Op::Status(a, _, _)
            | Op::Rotate(a)
            | Op::Deactivate(a) => {
                let sequence = next_sequence(&node, &candidates, *a, &actors[*a]);
                let actor = &mut actors[*a];
                actor.sequence = sequence;
                let tx = match op {
                    Op::Anchor(_, b) => actor.anchor([*b; 32]),
                    _ => {
                        let payload = payload(op, actor).unwrap();
                        actor.tx(payload)
                    }
                };
                candidates.push((*a, tx));
            }
        }
        if candidates.len() >= 8 {
            committed += flush(&mut node, &mut candidates, &mut time, &mut solo);
        }
    }
    committed += flush(&mut node, &mut candidates, &mut time, &mut solo);

    // Two fresh followers apply the same blocks.
    let mut first = Ledger::new(&chain.genesis, MemoryStore::new()).unwrap();
    let mut second = Ledger::new(&chain.genesis, MemoryStore::new()).unwrap();
    for height in 1..=node.head().height {
        let committed = node.store().block(height).unwrap().unwrap();
        let certificate = committed.certificate.as_ref().unwrap();
        first
            .apply_block(&committed.block, certificate, &CoreSignatureVerifier)
            .unwrap();
        second
            .apply_block(&committed.block, certificate, &CoreSignatureVerifier)
            .unwrap();
        let root = node.state_root(height).unwrap();
        assert_eq!(first.state_root(height).unwrap(), root);
        assert_eq!(second.state_root(height).unwrap(), root);
    }
    assert_eq!(first.head(), node.head());
    assert_eq!(second.head(), node.head());
    let entries = |l: &Ledger<MemoryStore>| -> Vec<(Vec<u8>, Vec<u8>)> {
        l.state()
            .entries()
            .map(|(k, v)| (k.to_vec(), v.to_vec()))
            .collect()
    };
    assert_eq!(entries(&first), entries(&node));
    assert_eq!(entries(&second), entries(&node));
    committed
}

#[test]
fn a_fixed_mix_of_every_kind_commits_and_replays_identically() {
    use Op::*;
    let ops = [
        Create(0),
        Create(1),
        Create(2),
        EndBlock,
        Admit(0),
        EndBlock,
        Anchor(0, 1),
        Status(0, 3, 1),
        AddService(1, 7),
        Rotate(2),
        EndBlock,
        Status(0, 3, 2),
        Anchor(0, 2),
        Deactivate(1),
        Create(3),
        Admit(3),
        EndBlock,
        Anchor(3, 9),
        Status(3, 1, 0),
    ];
    for profile in CryptoProfile::ALL {
        assert_eq!(
            run(profile, &ops),
            17,
            "{profile:?}: all 17 transactions commit"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn same_blocks_give_identical_state_roots_standard(ops in proptest::collection::vec(op(), 0..40)) {
        run(CryptoProfile::Standard, &ops);
    }

    #[test]
    fn same_blocks_give_identical_state_roots_guomi(ops in proptest::collection::vec(op(), 0..40)) {
        run(CryptoProfile::GuoMi, &ops);
    }
}
