//! Registry fixtures shared by the registry's tests and benches: the parameters of a test
//! chain, actors (a DID with its control and assertion keys and its next sequence number) that
//! sign transactions, the genesis of a three-member consortium with one validator, issuer
//! scopes, and [`Chain`], an in-memory chain applying transactions block by block.

use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use crosscode_did_registry::document::{
    DocumentContent, RegistryDid, Relationships, Service, VerificationMethod,
};
use crosscode_did_registry::genesis::{Genesis, GenesisMember};
use crosscode_did_registry::governance::{GovernanceAction, IssuerScope};
use crosscode_did_registry::ledger::{Ledger, MemoryStore};
use crosscode_did_registry::ordering::{SoloOrdering, chain_key};
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::state::{BlockContext, Effects, Rejection, State};
use crosscode_did_registry::transaction::{
    Payload, SignedTransaction, Transaction, batch_message, evidence_message,
};
use crosscode_did_registry::validators::{Validator, ValidatorSet};

/// What tells one fixture chain from another: its id, its DIDs' network and its genesis time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainParams {
    /// The chain id every transaction names.
    pub chain_id: &'static str,
    /// The network of the chain's DIDs.
    pub network: &'static str,
    /// The genesis time (Unix seconds).
    pub genesis_time: u64,
}

/// The chain of the registry's tests.
pub const TEST_CHAIN: ChainParams = ChainParams {
    chain_id: "crosscode-test-1",
    network: "test",
    genesis_time: 1_700_000_000,
};

/// The chain id of [`TEST_CHAIN`].
pub const CHAIN_ID: &str = TEST_CHAIN.chain_id;
/// The network of [`TEST_CHAIN`].
pub const NETWORK: &str = TEST_CHAIN.network;
/// The genesis time of [`TEST_CHAIN`].
pub const GENESIS_TIME: u64 = TEST_CHAIN.genesis_time;

/// The key algorithm of a crypto profile's signatures.
pub fn key_algorithm(profile: CryptoProfile) -> KeyAlgorithm {
    profile.key_algorithm()
}

/// Someone who sends transactions: a DID, its control key and its next sequence number.
pub struct Actor {
    /// The chain the actor's transactions name.
    pub chain: ChainParams,
    /// The crypto profile of its keys.
    pub profile: CryptoProfile,
    /// Its DID.
    pub did: RegistryDid,
    /// Its control key (method `control`).
    pub control: SecretKey,
    /// The method its transactions name as signing key.
    pub control_fragment: String,
    /// Its assertion key (method `assert-1`), which signs evidence.
    pub assertion: SecretKey,
    /// The sequence number of its next transaction.
    pub sequence: u64,
}

impl Actor {
    /// A new actor on [`TEST_CHAIN`].
    pub fn new(profile: CryptoProfile) -> Actor {
        Actor::on(TEST_CHAIN, profile)
    }

    /// A new actor on `chain`, with fresh keys of `profile`.
    pub fn on(chain: ChainParams, profile: CryptoProfile) -> Actor {
        let control = SecretKey::generate(key_algorithm(profile));
        let assertion = SecretKey::generate(key_algorithm(profile));
        let did = RegistryDid::derive(profile, chain.network, &control.public_key());
        Actor {
            chain,
            profile,
            did,
            control,
            control_fragment: "control".into(),
            assertion,
            sequence: 0,
        }
    }

    /// The actor's DID document: its control key (capability invocation, authentication),
    /// its assertion key `assert-1` and an issuer service.
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
            chain_id: self.chain.chain_id.into(),
            sender: self.did.clone(),
            key: self.control_fragment.clone(),
            sequence: self.sequence,
            payload,
        }
    }

    /// The unsigned transaction at the next sequence; the sequence advances.
    pub fn next(&mut self, payload: Payload) -> Transaction {
        let tx = self.unsigned(payload);
        self.sequence += 1;
        tx
    }

    /// A signed transaction at the next sequence; the sequence advances.
    pub fn tx(&mut self, payload: Payload) -> SignedTransaction {
        let tx = self.unsigned(payload).sign(&self.control).unwrap();
        self.sequence += 1;
        tx
    }

    /// Signs the creation of the actor's DID with [`Actor::document`].
    pub fn create(&mut self) -> SignedTransaction {
        let document = self.document();
        self.tx(Payload::DidCreate { document })
    }

    /// Signs the anchoring of the credential hash `hash`.
    pub fn anchor(&mut self, hash: [u8; 32]) -> SignedTransaction {
        let signature = self
            .assertion
            .sign(&evidence_message(self.chain.chain_id, &hash))
            .unwrap();
        self.tx(Payload::AnchorEvidence {
            credential_hash: hash,
            method: "assert-1".into(),
            signature,
        })
    }

    /// Signs the anchoring of a batch of `count` credentials under the Merkle root `root`.
    pub fn anchor_batch(&mut self, root: [u8; 32], count: u64) -> SignedTransaction {
        let signature = self
            .assertion
            .sign(&batch_message(self.chain.chain_id, &root, count))
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
    /// The chain's crypto profile.
    pub profile: CryptoProfile,
    /// Its genesis.
    pub genesis: Genesis,
    /// The state after the blocks applied so far.
    pub state: State,
    /// The consortium members of the genesis.
    pub members: Vec<Actor>,
    /// The validator's key.
    pub validator: SecretKey,
    /// The height of the last block applied.
    pub height: u64,
}

/// The validator of power 10 holding `key`.
pub fn validator_of(profile: CryptoProfile, key: &SecretKey) -> Validator {
    Validator {
        key: chain_key(profile, key),
        power: 10,
    }
}

/// `count` validators of power 10 with fresh keys: their keys and their set, in key order.
pub fn validator_set(profile: CryptoProfile, count: usize) -> (Vec<SecretKey>, ValidatorSet) {
    let keys: Vec<SecretKey> = (0..count)
        .map(|_| SecretKey::generate(key_algorithm(profile)))
        .collect();
    let set = ValidatorSet::new(
        profile,
        keys.iter().map(|key| validator_of(profile, key)).collect(),
    )
    .expect("fresh validators of power 10 make a set");
    (keys, set)
}

/// The genesis of [`TEST_CHAIN`]: see [`genesis_on`].
pub fn genesis_for(profile: CryptoProfile, members: &[Actor], validator: &SecretKey) -> Genesis {
    genesis_on(TEST_CHAIN, profile, members, validator)
}

/// The genesis of `chain` with `members` (at most three, jurisdictions CN-GD, MO and HK;
/// 2-of-N governance, voting periods up to 100 blocks) and one validator.
pub fn genesis_on(
    chain: ChainParams,
    profile: CryptoProfile,
    members: &[Actor],
    validator: &SecretKey,
) -> Genesis {
    Genesis {
        chain_id: chain.chain_id.into(),
        network: chain.network.into(),
        profile,
        genesis_time: chain.genesis_time,
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

    /// A new chain of [`TEST_CHAIN`]: three fresh members and a fresh validator.
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

    /// The id the next proposal will get.
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

/// The admission scope of the tests' issuers: see [`scope_on`].
pub fn scope() -> IssuerScope {
    scope_on(
        TEST_CHAIN,
        &["HealthCode", "NucleicAcidTestResult"],
        365 * 24 * 3600,
    )
}

/// An admission scope in CN-GD for `credential_types`, valid for `validity` seconds from
/// `chain`'s genesis.
pub fn scope_on(chain: ChainParams, credential_types: &[&str], validity: u64) -> IssuerScope {
    IssuerScope {
        credential_types: credential_types.iter().map(|t| (*t).into()).collect(),
        jurisdiction: "CN-GD".into(),
        valid_from: chain.genesis_time,
        valid_until: chain.genesis_time + validity,
    }
}
