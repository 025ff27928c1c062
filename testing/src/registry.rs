//! Shared fixtures: a small consortium chain and actors that sign transactions.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use crosscode_did_registry::document::{
    DocumentContent, RegistryDid, Relationships, Service, VerificationMethod,
};
use crosscode_did_registry::genesis::{Genesis, GenesisMember};
use crosscode_did_registry::governance::{GovernanceAction, IssuerScope};
use crosscode_did_registry::ledger::{Ledger, MemoryStore};
use crosscode_did_registry::ordering::SoloOrdering;
use crosscode_did_registry::profile::{CryptoProfile, SignatureAlgorithm};
use crosscode_did_registry::state::{BlockContext, Effects, Rejection, State};
use crosscode_did_registry::transaction::{
    Payload, SignedTransaction, Transaction, batch_message, evidence_message,
};
use crosscode_did_registry::validators::{ChainKey, Validator};

pub const CHAIN_ID: &str = "crosscode-test-1";
pub const NETWORK: &str = "test";
pub const GENESIS_TIME: u64 = 1_700_000_000;

pub fn key_algorithm(profile: CryptoProfile) -> KeyAlgorithm {
    match profile.signature_algorithm() {
        SignatureAlgorithm::Ed25519 => KeyAlgorithm::Ed25519,
        SignatureAlgorithm::Sm2 => KeyAlgorithm::Sm2,
    }
}

/// Someone who sends transactions: a DID, its control key and its next sequence number.
pub struct Actor {
    pub profile: CryptoProfile,
    pub did: RegistryDid,
    pub control: SecretKey,
    pub control_fragment: String,
    pub assertion: SecretKey,
    pub sequence: u64,
}

impl Actor {
    pub fn new(profile: CryptoProfile) -> Actor {
        let control = SecretKey::generate(key_algorithm(profile));
        let assertion = SecretKey::generate(key_algorithm(profile));
        let did = RegistryDid::derive(profile, NETWORK, &control.public_key());
        Actor {
            profile,
            did,
            control,
            control_fragment: "control".into(),
            assertion,
            sequence: 0,
        }
    }

    pub fn document(&self) -> DocumentContent {
        DocumentContent {
            verification_methods: vec![
                VerificationMethod::new(
                    "control",
                    self.control.public_key(),
                    Relationships::CAPABILITY_INVOCATION.with(Relationships::AUTHENTICATION),
                ),
                VerificationMethod::new(
                    "assert-1",
                    self.assertion.public_key(),
                    Relationships::ASSERTION_METHOD,
                ),
            ],
            services: vec![Service {
                fragment: "issuer".into(),
                service_type: "CredentialIssuer".into(),
                endpoint: "https://health.example/issuer".into(),
            }],
        }
    }

    /// An unsigned transaction at the actor's next sequence (not consumed).
    pub fn unsigned(&self, payload: Payload) -> Transaction {
        Transaction {
            chain_id: CHAIN_ID.into(),
            sender: self.did.clone(),
            key: self.control_fragment.clone(),
            sequence: self.sequence,
            payload,
        }
    }

    /// A signed transaction at the next sequence; the sequence advances.
    pub fn tx(&mut self, payload: Payload) -> SignedTransaction {
        let tx = self.unsigned(payload).sign(&self.control).unwrap();
        self.sequence += 1;
        tx
    }

    pub fn create(&mut self) -> SignedTransaction {
        let document = self.document();
        self.tx(Payload::DidCreate { document })
    }

    pub fn anchor(&mut self, hash: [u8; 32]) -> SignedTransaction {
        let signature = self
            .assertion
            .sign(&evidence_message(CHAIN_ID, &hash))
            .unwrap();
        self.tx(Payload::AnchorEvidence {
            credential_hash: hash,
            method: "assert-1".into(),
            signature,
        })
    }

    pub fn anchor_batch(&mut self, root: [u8; 32], count: u64) -> SignedTransaction {
        let signature = self
            .assertion
            .sign(&batch_message(CHAIN_ID, &root, count))
            .unwrap();
        self.tx(Payload::AnchorBatch {
            merkle_root: root,
            count,
            method: "assert-1".into(),
            signature,
        })
    }
}

/// A chain with three members (2-of-3 governance) and one validator.
pub struct Chain {
    pub profile: CryptoProfile,
    pub genesis: Genesis,
    pub state: State,
    pub members: Vec<Actor>,
    pub validator: SecretKey,
    pub height: u64,
}

pub fn validator_of(profile: CryptoProfile, key: &SecretKey) -> Validator {
    Validator {
        key: ChainKey {
            algorithm: profile.signature_algorithm(),
            bytes: key.public_key().to_bytes(),
        },
        power: 10,
    }
}

pub fn genesis_for(profile: CryptoProfile, members: &[Actor], validator: &SecretKey) -> Genesis {
    Genesis {
        chain_id: CHAIN_ID.into(),
        network: NETWORK.into(),
        profile,
        genesis_time: GENESIS_TIME,
        governance_threshold: 2,
        max_voting_period: 100,
        members: members
            .iter()
            .zip(["CN-GD", "MO", "HK"])
            .map(|(m, j)| GenesisMember {
                jurisdiction: j.into(),
                document: m.document(),
            })
            .collect(),
        validators: vec![validator_of(profile, validator)],
    }
}

impl Chain {
    /// A ledger at this chain's genesis over a memory store, and the solo ordering adapter of
    /// its validator.
    pub fn solo_ledger(&self) -> (Ledger<MemoryStore>, SoloOrdering) {
        let ledger = Ledger::new(&self.genesis, MemoryStore::new()).unwrap();
        let key =
            SecretKey::from_bytes(self.validator.algorithm(), &self.validator.to_bytes()).unwrap();
        (ledger, SoloOrdering::new(self.profile, key))
    }

    pub fn new(profile: CryptoProfile) -> Chain {
        let members: Vec<Actor> = (0..3).map(|_| Actor::new(profile)).collect();
        let validator = SecretKey::generate(key_algorithm(profile));
        let genesis = genesis_for(profile, &members, &validator);
        let state = State::genesis(&genesis).unwrap();
        Chain {
            profile,
            genesis,
            state,
            members,
            validator,
            height: 0,
        }
    }

    /// The context of the next block (each call is a new block, 5 s apart).
    pub fn next_block(&mut self) -> BlockContext {
        self.height += 1;
        BlockContext {
            height: self.height,
            time: GENESIS_TIME + 5 * self.height,
        }
    }

    /// Applies `tx` in a new block.
    pub fn apply(&mut self, tx: &SignedTransaction) -> Result<Effects, Rejection> {
        let ctx = self.next_block();
        self.state.apply(&ctx, tx)
    }

    /// Applies `tx` in a new block and expects it to be accepted.
    pub fn ok(&mut self, tx: &SignedTransaction) -> Effects {
        match self.apply(tx) {
            Ok(effects) => effects,
            Err(rejection) => panic!("rejected: {rejection}"),
        }
    }

    /// Member `i` proposes, member `j` approves: the action executes.
    pub fn govern(&mut self, action: GovernanceAction) {
        let id = self.next_proposal();
        let propose = self.members[0].tx(Payload::Propose {
            action,
            voting_period: 10,
        });
        self.ok(&propose);
        let vote = self.members[1].tx(Payload::Vote {
            proposal: id,
            approve: true,
        });
        self.ok(&vote);
    }

    pub fn next_proposal(&self) -> u64 {
        use crosscode_did_registry::records::StateKey;
        self.state
            .record::<u64>(&StateKey::meta("next-proposal"))
            .unwrap()
            .unwrap_or(0)
    }

    /// A new DID created on the chain and admitted as an issuer.
    pub fn admitted_issuer(&mut self) -> Actor {
        let mut issuer = Actor::new(self.profile);
        let create = issuer.create();
        self.ok(&create);
        self.govern(GovernanceAction::AdmitIssuer {
            issuer: issuer.did.clone(),
            scope: scope(),
        });
        issuer
    }
}

pub fn scope() -> IssuerScope {
    IssuerScope {
        credential_types: vec!["HealthCode".into(), "NucleicAcidTestResult".into()],
        jurisdiction: "CN-GD".into(),
        valid_from: GENESIS_TIME,
        valid_until: GENESIS_TIME + 365 * 24 * 3600,
    }
}
