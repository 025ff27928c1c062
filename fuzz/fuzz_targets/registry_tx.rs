//! Fuzz target: registry transaction decoding and apply. Arbitrary bytes go to
//! `SignedTransaction::decode_bytes`; a decodable transaction is applied to a small fixed chain
//! state (three members, an admitted issuer) and must be accepted or refused with a typed
//! rejection, never a panic. Every decoded transaction re-encodes to the same bytes, and the
//! block path (`State::prepare` + `State::apply_prepared`, signatures checked ahead of apply)
//! gives exactly the outcome and the state of plain `State::apply`.
//!
//! The first input byte picks a mode: 0–127 apply the transaction as decoded (its signature
//! almost never verifies, so the checks before the signature are searched); 128–255 re-address
//! it to one of the fixed actors and sign it with that actor's key (so the payload rules behind
//! the signature are searched too).
#![no_main]

use std::sync::OnceLock;

use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use crosscode_did_registry::codec::Encode;
use crosscode_did_registry::document::{
    DocumentContent, RegistryDid, Relationships, VerificationMethod,
};
use crosscode_did_registry::genesis::{Genesis, GenesisMember};
use crosscode_did_registry::governance::{GovernanceAction, IssuerScope};
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::state::{BlockContext, State};
use crosscode_did_registry::transaction::{Payload, SignedTransaction, Transaction};
use crosscode_did_registry::validators::{ChainKey, Validator};
use libfuzzer_sys::fuzz_target;

const CHAIN_ID: &str = "crosscode-fuzz-1";
const NETWORK: &str = "fuzz";
const GENESIS_TIME: u64 = 1_700_000_000;

struct Actor {
    did: RegistryDid,
    control: SecretKey,
    sequence: u64,
}

struct Fixture {
    state: State,
    actors: Vec<Actor>,
}

fn key(seed: u8) -> SecretKey {
    SecretKey::from_bytes(KeyAlgorithm::Ed25519, &[seed; 32]).expect("a fixed Ed25519 seed")
}

fn document(control: &SecretKey, assertion: &SecretKey) -> DocumentContent {
    DocumentContent {
        verification_methods: vec![
            VerificationMethod::new(
                "control",
                control.public_key(),
                Relationships::CAPABILITY_INVOCATION.with(Relationships::AUTHENTICATION),
            ),
            VerificationMethod::new(
                "assert-1",
                assertion.public_key(),
                Relationships::ASSERTION_METHOD,
            ),
        ],
        services: vec![],
    }
}

fn actor(seed: u8) -> Actor {
    let control = key(seed);
    let did = RegistryDid::derive(CryptoProfile::Standard, NETWORK, &control.public_key());
    Actor {
        did,
        control,
        sequence: 0,
    }
}

fn signed(actor: &mut Actor, payload: Payload) -> SignedTransaction {
    let tx = Transaction {
        chain_id: CHAIN_ID.into(),
        sender: actor.did.clone(),
        key: "control".into(),
        sequence: actor.sequence,
        payload,
    }
    .sign(&actor.control)
    .expect("Ed25519 signing");
    actor.sequence += 1;
    tx
}

/// Three members (2-of-3), a fourth DID admitted as an issuer, one validator.
fn fixture() -> Fixture {
    let mut actors: Vec<Actor> = (1..=4).map(actor).collect();
    let genesis = Genesis {
        chain_id: CHAIN_ID.into(),
        network: NETWORK.into(),
        profile: CryptoProfile::Standard,
        genesis_time: GENESIS_TIME,
        governance_threshold: 2,
        max_voting_period: 100,
        members: (1..=3u8)
            .zip(["CN-GD", "MO", "HK"])
            .map(|(seed, jurisdiction)| GenesisMember {
                jurisdiction: jurisdiction.into(),
                document: document(&key(seed), &key(seed + 100)),
            })
            .collect(),
        validators: vec![Validator {
            key: ChainKey {
                algorithm: CryptoProfile::Standard.signature_algorithm(),
                bytes: key(200).public_key().to_bytes(),
            },
            power: 1,
        }],
    };
    let mut state = State::genesis(&genesis).expect("fixed genesis");
    let ctx = BlockContext {
        height: 1,
        time: GENESIS_TIME + 5,
    };
    let issuer_document = document(&key(4), &key(104));
    let issuer_did = actors[3].did.clone();
    let setup = [
        signed(
            &mut actors[3],
            Payload::DidCreate {
                document: issuer_document,
            },
        ),
        signed(
            &mut actors[0],
            Payload::Propose {
                action: GovernanceAction::AdmitIssuer {
                    issuer: issuer_did,
                    scope: IssuerScope {
                        credential_types: vec!["HealthCode".into()],
                        jurisdiction: "CN-GD".into(),
                        valid_from: GENESIS_TIME,
                        valid_until: GENESIS_TIME + 10 * 365 * 24 * 3600,
                    },
                },
                voting_period: 10,
            },
        ),
        signed(
            &mut actors[1],
            Payload::Vote {
                proposal: 0,
                approve: true,
            },
        ),
    ];
    for tx in &setup {
        state.apply(&ctx, tx).expect("fixture setup transaction");
    }
    state.take_changes();
    Fixture { state, actors }
}

fuzz_target!(|data: &[u8]| {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    let fixture = FIXTURE.get_or_init(fixture);
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    let Ok(mut tx) = SignedTransaction::decode_bytes(bytes) else {
        return;
    };
    // The codec is canonical: what decodes re-encodes to the same bytes.
    assert_eq!(tx.to_bytes(), bytes);
    if mode >= 128 {
        let actor = &fixture.actors[usize::from(mode) % fixture.actors.len()];
        tx.transaction.chain_id = CHAIN_ID.into();
        tx.transaction.sender = actor.did.clone();
        tx.transaction.key = "control".into();
        if mode & 64 == 0 {
            tx.transaction.sequence = fixture.state.next_sequence(&actor.did);
        }
        tx = tx
            .transaction
            .sign(&actor.control)
            .expect("Ed25519 signing");
    }
    let ctx = BlockContext {
        height: 2,
        time: GENESIS_TIME + 10,
    };
    let mut plain = fixture.state.clone();
    let outcome = plain.apply(&ctx, &tx);
    let mut prepared_state = fixture.state.clone();
    let mut prepared = prepared_state.prepare(tx.clone());
    let prepared_outcome = prepared_state.apply_prepared(&ctx, &mut prepared);
    assert_eq!(outcome, prepared_outcome);
    assert_eq!(plain.pending_changes(), prepared_state.pending_changes());
    if outcome.is_err() {
        // A rejection leaves the state unchanged.
        assert!(plain.pending_changes().is_empty());
    }
});
