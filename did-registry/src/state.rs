//! The registry state machine: [`State`] (a key/value map in the canonical encoding) and the
//! deterministic [`apply`] of one signed transaction, which either returns its [`Effects`] or
//! a typed [`Rejection`] and then leaves the state untouched.

use std::collections::{BTreeMap, HashMap};

use crosscode_core::did::{DidError, DidUrl, KeyResolver};
use crosscode_core::keys::{KeyAlgorithm, PublicKey};

use crate::codec::{Decode, DecodeError, Encode, Writer};
use crate::document::{
    DocumentContent, RegistryDid, Relationships, VerificationMethod, is_valid_network,
};
use crate::genesis::{Genesis, GenesisError, is_valid_chain_id};
use crate::governance::{GovernanceAction, IssuerScope};
use crate::records::{
    ChainConfig, CredentialStatus, DidRecord, DidVersion, EvidenceRecord, IssuerRecord,
    MAX_MEMBERS, MemberRecord, ProposalRecord, ProposalStatus, SchemaRecord, StateKey,
    StatusRecord,
};
use crate::transaction::{
    Payload, SignedTransaction, StatusChange, StatusKey, TX_HASH_DOMAIN, TX_SIGNING_DOMAIN,
    batch_message, evidence_message,
};
use crate::validators::{ValidatorSet, ValidatorSetError};

pub(crate) mod signatures;

/// `meta/config`.
pub const META_CONFIG: &str = "config";
/// `meta/validators`: the validator set that signs the next block.
pub const META_VALIDATORS: &str = "validators";
/// `meta/next-proposal`: the next proposal number.
pub const META_NEXT_PROPOSAL: &str = "next-proposal";

/// The block a transaction is applied in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockContext {
    /// Block height.
    pub height: u64,
    /// Block time (Unix seconds).
    pub time: u64,
}

/// Why a transaction is refused. The state is unchanged after a rejection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The transaction bytes do not decode.
    #[error("malformed transaction: {0}")]
    Decode(#[from] DecodeError),
    /// The transaction is for another chain.
    #[error("wrong chain id {found:?} (this chain is {expected:?})")]
    WrongChainId {
        /// This chain's id.
        expected: String,
        /// The id in the transaction.
        found: String,
    },
    /// The DID is of another network.
    #[error("DID of network {found:?}, this chain's network is {expected:?}")]
    WrongNetwork {
        /// This chain's network.
        expected: String,
        /// The DID's network.
        found: String,
    },
    /// The sender DID does not exist.
    #[error("unknown sender")]
    UnknownSender,
    /// The sender (or the DID acted on) is deactivated.
    #[error("DID deactivated")]
    DidDeactivated,
    /// The signing key fragment names no verification method of the sender.
    #[error("unknown key {fragment:?}")]
    UnknownKey {
        /// The fragment.
        fragment: String,
    },
    /// The key is not a capability-invocation key of the profile's algorithm (or, for evidence,
    /// not an assertion method).
    #[error("key {fragment:?} may not sign this")]
    KeyNotAllowed {
        /// The fragment.
        fragment: String,
    },
    /// The transaction signature does not verify.
    #[error("bad signature")]
    BadSignature,
    /// The sequence number was already used.
    #[error("replayed sequence {found} (next is {expected})")]
    ReplayedSequence {
        /// The next sequence number.
        expected: u64,
        /// The one in the transaction.
        found: u64,
    },
    /// The sequence number skips ahead.
    #[error("skipped sequence {found} (next is {expected})")]
    SkippedSequence {
        /// The next sequence number.
        expected: u64,
        /// The one in the transaction.
        found: u64,
    },
    /// The payload breaks a rule.
    #[error("malformed payload: {reason}")]
    MalformedPayload {
        /// What is wrong.
        reason: &'static str,
    },
    /// The DID already exists.
    #[error("DID exists")]
    DidExists,
    /// The sender DID is not the one derived from the signing key.
    #[error("the DID is not derived from the signing key")]
    DidDoesNotMatchKey,
    /// The DID acted on does not exist.
    #[error("unknown DID")]
    UnknownDid,
    /// The change would leave the DID without a capability-invocation key of the profile.
    #[error("the DID would lose its last capability-invocation key")]
    WouldLoseControl,
    /// A verification method or service to remove does not exist.
    #[error("no {what} {fragment:?}")]
    NotFound {
        /// What was looked for.
        what: &'static str,
        /// The fragment.
        fragment: String,
    },
    /// The sender may not do this.
    #[error("not authorised: {reason}")]
    NotAuthorised {
        /// Why not.
        reason: &'static str,
    },
    /// No proposal with this number.
    #[error("unknown proposal {id}")]
    UnknownProposal {
        /// The number.
        id: u64,
    },
    /// The proposal is executed, rejected or past its closing height.
    #[error("proposal {id} is closed")]
    ProposalClosed {
        /// The number.
        id: u64,
    },
    /// The member has already voted on the proposal.
    #[error("already voted on proposal {id}")]
    AlreadyVoted {
        /// The number.
        id: u64,
    },
    /// The issuer is not admitted.
    #[error("issuer not admitted")]
    IssuerNotAdmitted,
    /// The issuer is already admitted.
    #[error("issuer already admitted")]
    IssuerAlreadyAdmitted,
    /// The issuer is suspended (or, to reinstate, not suspended).
    #[error("issuer suspension state does not allow this")]
    IssuerSuspension,
    /// The proposed validator set is invalid.
    #[error("invalid validator set: {0}")]
    InvalidValidatorSet(ValidatorSetError),
    /// A schema with the same content hash exists.
    #[error("schema exists")]
    SchemaExists,
    /// The credential hash or batch root is already anchored.
    #[error("evidence already anchored")]
    EvidenceExists,
    /// The issuer's evidence signature does not verify.
    #[error("bad evidence signature")]
    BadEvidenceSignature,
    /// The credential is revoked (final) or already in the requested status.
    #[error("status change not allowed: {reason}")]
    StatusTransition {
        /// Why not.
        reason: &'static str,
    },
    /// A stored record does not decode (never expected; the state is corrupt).
    #[error("corrupt state record")]
    CorruptState,
}

/// Something a transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A DID was created.
    DidCreated {
        /// The DID.
        did: RegistryDid,
    },
    /// A DID got a new document version (update or key rotation).
    DidUpdated {
        /// The DID.
        did: RegistryDid,
        /// The new version number.
        version: u32,
    },
    /// A DID was deactivated.
    DidDeactivated {
        /// The DID.
        did: RegistryDid,
    },
    /// A proposal was opened.
    ProposalOpened {
        /// Its number.
        id: u64,
    },
    /// A member voted.
    Voted {
        /// The proposal.
        id: u64,
        /// Approve or reject.
        approve: bool,
    },
    /// A proposal reached its threshold and its action took effect.
    ProposalExecuted {
        /// Its number.
        id: u64,
    },
    /// A proposal can no longer reach its threshold.
    ProposalRejected {
        /// Its number.
        id: u64,
    },
    /// The validator set changes from the next block on.
    ValidatorSetChanged,
    /// A schema was registered.
    SchemaRegistered {
        /// Its content hash.
        hash: [u8; 32],
    },
    /// A status entry changed.
    StatusChanged {
        /// The change.
        change: StatusChange,
    },
    /// A credential hash was anchored.
    EvidenceAnchored {
        /// The hash.
        hash: [u8; 32],
    },
    /// A batch root was anchored.
    BatchAnchored {
        /// The root.
        root: [u8; 32],
        /// The number of hashes.
        count: u64,
    },
}

/// What an accepted transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effects {
    /// The transaction hash.
    pub tx_hash: [u8; 32],
    /// Its events.
    pub events: Vec<Event>,
}

/// A DID resolved at some height.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedDid {
    /// The DID.
    pub did: RegistryDid,
    /// The document valid then.
    pub document: DocumentContent,
    /// Whether the DID was deactivated then.
    pub deactivated: bool,
    /// The version number.
    pub version: u32,
    /// Height at which this version took effect.
    pub version_height: u64,
    /// Time at which this version took effect (Unix seconds).
    pub version_time: u64,
    /// Height at which the DID was created.
    pub created_height: u64,
    /// Time at which the DID was created.
    pub created_time: u64,
}

/// Why a DID does not resolve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// No such DID (at that height).
    #[error("DID not found")]
    NotFound,
    /// A stored record does not decode.
    #[error("corrupt state record")]
    CorruptState,
}

/// A signature verified ahead of apply: the key it was verified against and the outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CheckedSignature {
    key: PublicKey,
    valid: bool,
}

impl CheckedSignature {
    /// The outcome if it was verified against exactly `key` (`None`: verify again).
    fn outcome_for(checked: Option<(&PublicKey, bool)>, key: &PublicKey) -> Option<bool> {
        checked
            .filter(|(checked, _)| *checked == key)
            .map(|(_, valid)| valid)
    }
}

/// A transaction prepared for [`State::apply_prepared`]: its hash, its signatures verified
/// against the keys the state named when it was prepared, and the sender's DID record as
/// decoded then.
///
/// Preparing is read-only ([`State::prepare`] takes `&self`), so a block's transactions can be
/// prepared on every core before they are applied in order. Apply uses a verified signature only
/// when the key it resolves at that point is exactly the key verified, and the decoded record
/// only when the stored bytes are still exactly the bytes decoded; otherwise (a key rotated or
/// a record rewritten by an earlier transaction of the block) it checks again, so the outcome
/// is always the one [`State::apply`] gives.
#[derive(Debug, Clone)]
pub struct PreparedTransaction {
    tx: SignedTransaction,
    hash: [u8; 32],
    profile: crate::profile::CryptoProfile,
    signature: Option<CheckedSignature>,
    evidence: Option<CheckedSignature>,
    sender: Option<(Vec<u8>, DidRecord)>,
}

impl PreparedTransaction {
    /// The transaction.
    pub fn transaction(&self) -> &SignedTransaction {
        &self.tx
    }

    /// The transaction hash (of the profile of the state that prepared it).
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// Gives the transaction back.
    pub fn into_transaction(self) -> SignedTransaction {
        self.tx
    }
}

/// A key written in the current block: (its value before the block, its latest value).
type BlockChange = (Option<Vec<u8>>, Option<Vec<u8>>);

/// Most decoded DID records [`State`] keeps (about 1 KiB each).
const DECODED_RECORDS_CAPACITY: usize = 1 << 17;

/// A transaction being prepared: its hash, the sender's record as decoded now, and the
/// signatures still to check, each as (key, message). The ledger checks a block's drafts
/// together (see `ledger/schedule.rs`) and settles each with its verdicts.
pub(crate) struct Draft {
    prepared: PreparedTransaction,
    /// The transaction signature to check: the sender's control key and the signed bytes.
    pub(crate) signature: Option<(PublicKey, Vec<u8>)>,
    /// The issuer signature of an anchor to check: the assertion key and the signed message.
    pub(crate) evidence: Option<(PublicKey, Vec<u8>)>,
}

impl Draft {
    /// The transaction.
    pub(crate) fn transaction(&self) -> &SignedTransaction {
        &self.prepared.tx
    }

    /// The transaction hash.
    pub(crate) fn hash(&self) -> [u8; 32] {
        self.prepared.hash
    }

    /// The issuer signature inside an anchor's payload.
    pub(crate) fn evidence_signature(&self) -> Option<&[u8]> {
        evidence_signature(&self.prepared.tx)
    }

    /// Takes the sender's decoded record out (for [`State::apply_assuming_valid`]).
    pub(crate) fn take_sender(&mut self) -> Option<(Vec<u8>, DidRecord)> {
        self.prepared.sender.take()
    }

    /// The prepared transaction, with the verdicts of the transaction signature and of the
    /// evidence signature (`None`: not checked, apply checks it).
    pub(crate) fn settle(
        mut self,
        signature: Option<bool>,
        evidence: Option<bool>,
    ) -> PreparedTransaction {
        if let (Some(valid), Some((key, _))) = (signature, self.signature.take()) {
            self.prepared.signature = Some(CheckedSignature { key, valid });
        }
        if let (Some(valid), Some((key, _))) = (evidence, self.evidence.take()) {
            self.prepared.evidence = Some(CheckedSignature { key, valid });
        }
        self.prepared
    }
}

/// The issuer signature inside an anchor's payload.
fn evidence_signature(tx: &SignedTransaction) -> Option<&[u8]> {
    match &tx.transaction.payload {
        Payload::AnchorEvidence { signature, .. } | Payload::AnchorBatch { signature, .. } => {
            Some(signature)
        }
        _ => None,
    }
}

/// What apply may take from a [`PreparedTransaction`] (or a speculation): a verdict for each
/// signature with the key it is for, and the sender's decoded record.
#[derive(Default)]
struct Prechecked<'a> {
    signature: Option<(&'a PublicKey, bool)>,
    evidence: Option<(&'a PublicKey, bool)>,
    sender: Option<(Vec<u8>, DidRecord)>,
}

/// The registry state: the chain configuration and the key/value map the state tree commits
/// to. It also collects the changes since the last [`State::take_changes`] (one block's worth).
#[derive(Debug, Clone)]
pub struct State {
    config: ChainConfig,
    /// The entries (a hash map: every read of apply is a point lookup; [`State::entries`]
    /// sorts).
    kv: HashMap<Vec<u8>, Vec<u8>>,
    /// DID records as last written, decoded, with the bytes they were written as: decoding a
    /// record decompresses every key of its document, and a record is used again only while
    /// the stored bytes are exactly these.
    records: HashMap<Vec<u8>, (Vec<u8>, DidRecord)>,
    /// The keys written since the last [`State::take_changes`].
    changes: HashMap<Vec<u8>, BlockChange>,
}

/// A transaction's pending writes over the state.
struct Pending<'a> {
    state: &'a State,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// The DID records among the writes, decoded (for [`State::records`]).
    records: Vec<(Vec<u8>, DidRecord)>,
}

impl<'a> Pending<'a> {
    fn new(state: &'a State) -> Self {
        Self {
            state,
            writes: BTreeMap::new(),
            records: Vec::new(),
        }
    }

    /// The DID record at `key`, decoded (or taken from [`State::records`] when the stored bytes
    /// are the bytes it was decoded from).
    fn read_did_record(&self, key: &StateKey) -> Result<Option<DidRecord>, Rejection> {
        if !self.writes.contains_key(key.as_bytes())
            && let Some(raw) = self.state.kv.get(key.as_bytes())
            && let Some(record) = self.state.cached_record(key, raw)
        {
            return Ok(Some(record));
        }
        self.read(key)
    }

    /// Writes `record` at `did/<did>`.
    fn put_did_record(&mut self, did: &RegistryDid, record: DidRecord) {
        let key = StateKey::did(did);
        self.writes.insert(key.0.clone(), Some(record.to_bytes()));
        self.records.push((key.0, record));
    }

    fn raw(&self, key: &StateKey) -> Option<&[u8]> {
        match self.writes.get(key.as_bytes()) {
            Some(value) => value.as_deref(),
            None => self.state.kv.get(key.as_bytes()).map(Vec::as_slice),
        }
    }

    fn read<T: Decode>(&self, key: &StateKey) -> Result<Option<T>, Rejection> {
        self.raw(key)
            .map(|bytes| T::from_bytes(bytes).map_err(|_| Rejection::CorruptState))
            .transpose()
    }

    fn exists(&self, key: &StateKey) -> bool {
        self.raw(key).is_some()
    }

    fn put<T: Encode>(&mut self, key: StateKey, value: &T) {
        self.writes.insert(key.0, Some(value.to_bytes()));
    }

    fn delete(&mut self, key: StateKey) {
        self.writes.insert(key.0, None);
    }
}

fn profile_key_algorithm(config: &ChainConfig) -> KeyAlgorithm {
    match config.profile.signature_algorithm() {
        crate::profile::SignatureAlgorithm::Ed25519 => KeyAlgorithm::Ed25519,
        crate::profile::SignatureAlgorithm::Sm2 => KeyAlgorithm::Sm2,
    }
}

/// Whether `vm` may sign registry transactions on a chain with `config`.
fn is_control_key(config: &ChainConfig, vm: &VerificationMethod) -> bool {
    vm.relationships
        .contains(Relationships::CAPABILITY_INVOCATION)
        && vm.key.0.algorithm() == profile_key_algorithm(config)
}

fn has_control_key(config: &ChainConfig, document: &DocumentContent) -> bool {
    document
        .verification_methods
        .iter()
        .any(|vm| is_control_key(config, vm))
}

fn malformed(reason: &'static str) -> Rejection {
    Rejection::MalformedPayload { reason }
}

impl State {
    /// The state at genesis (height 0): configuration, validator set, and the members' DIDs.
    pub fn genesis(genesis: &Genesis) -> Result<State, GenesisError> {
        if !is_valid_chain_id(&genesis.chain_id) {
            return Err(GenesisError::InvalidChainId);
        }
        if !is_valid_network(&genesis.network) {
            return Err(GenesisError::InvalidNetwork);
        }
        if genesis.members.is_empty() || genesis.members.len() > MAX_MEMBERS {
            return Err(GenesisError::MemberCount);
        }
        let member_count =
            u32::try_from(genesis.members.len()).map_err(|_| GenesisError::MemberCount)?;
        if genesis.governance_threshold == 0 || genesis.governance_threshold > member_count {
            return Err(GenesisError::InvalidThreshold);
        }
        if genesis.max_voting_period == 0 {
            return Err(GenesisError::InvalidVotingPeriod);
        }
        let validators = ValidatorSet::new(genesis.profile, genesis.validators.clone())?;
        let config = ChainConfig {
            chain_id: genesis.chain_id.clone(),
            network: genesis.network.clone(),
            profile: genesis.profile,
            governance_threshold: genesis.governance_threshold,
            member_count,
            max_voting_period: genesis.max_voting_period,
        };
        let mut state = State {
            config: config.clone(),
            kv: HashMap::new(),
            records: HashMap::new(),
            changes: HashMap::new(),
        };
        let mut pending = Pending::new(&state);
        pending.put(StateKey::meta(META_CONFIG), &config);
        pending.put(StateKey::meta(META_VALIDATORS), &validators);
        for (index, member) in genesis.members.iter().enumerate() {
            member
                .document
                .check()
                .map_err(|reason| GenesisError::MemberDocument { index, reason })?;
            if member.jurisdiction.is_empty() {
                return Err(GenesisError::MemberDocument {
                    index,
                    reason: "empty jurisdiction",
                });
            }
            let key = member
                .document
                .verification_methods
                .iter()
                .find(|vm| is_control_key(&config, vm))
                .ok_or(GenesisError::MemberWithoutGovernanceKey { index })?;
            let did = RegistryDid::derive(config.profile, &config.network, &key.key.0);
            if pending.exists(&StateKey::did(&did)) {
                return Err(GenesisError::DuplicateMember);
            }
            write_new_did(
                &mut pending,
                &did,
                &member.document,
                0,
                genesis.genesis_time,
            );
            pending.put(
                StateKey::member(&did),
                &MemberRecord {
                    jurisdiction: member.jurisdiction.clone(),
                },
            );
        }
        let Pending {
            writes, records, ..
        } = pending;
        state.commit(writes);
        state.remember_records(records);
        Ok(state)
    }

    /// The state from stored entries (reopening a ledger): the configuration is read from
    /// `meta/config`.
    pub fn from_entries(entries: Vec<(Vec<u8>, Vec<u8>)>) -> Result<State, DecodeError> {
        let kv: HashMap<Vec<u8>, Vec<u8>> = entries.into_iter().collect();
        let config = kv
            .get(StateKey::meta(META_CONFIG).as_bytes())
            .ok_or(DecodeError::Invalid {
                what: "state",
                reason: "no chain configuration",
            })
            .and_then(|bytes| ChainConfig::from_bytes(bytes))?;
        Ok(State {
            config,
            kv,
            records: HashMap::new(),
            changes: HashMap::new(),
        })
    }

    /// The chain configuration.
    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// The raw value at `key`.
    pub fn get(&self, key: &StateKey) -> Option<&[u8]> {
        self.kv.get(key.as_bytes()).map(Vec::as_slice)
    }

    /// The decoded record at `key`.
    pub fn record<T: Decode>(&self, key: &StateKey) -> Result<Option<T>, DecodeError> {
        self.get(key).map(T::from_bytes).transpose()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.kv.len()
    }

    /// Whether the state is empty (never, after genesis).
    pub fn is_empty(&self) -> bool {
        self.kv.is_empty()
    }

    /// All entries, in key order.
    pub fn entries(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let mut entries: Vec<(&[u8], &[u8])> = self
            .kv
            .iter()
            .map(|(k, v)| (k.as_slice(), v.as_slice()))
            .collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        entries.into_iter()
    }

    /// The validator set that signs the next block.
    pub fn validator_set(&self) -> Result<ValidatorSet, DecodeError> {
        let bytes = self
            .get(&StateKey::meta(META_VALIDATORS))
            .ok_or(DecodeError::Invalid {
                what: "validator set",
                reason: "missing",
            })?;
        ValidatorSet::decode_for(self.config.profile, bytes)
    }

    /// The next sequence number of `did`.
    pub fn next_sequence(&self, did: &RegistryDid) -> u64 {
        self.record::<u64>(&StateKey::sequence(did))
            .ok()
            .flatten()
            .unwrap_or(0)
    }

    /// The changes since the last call (the writes of one block, latest value per key;
    /// `None` deletes).
    ///
    /// Keys whose value ends the block as it started (written then restored, or created then
    /// deleted) are left out, so the state tree never sees a no-op write or a delete of a key
    /// it does not hold.
    pub fn take_changes(&mut self) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        let changes = self.pending_changes();
        self.changes.clear();
        changes
    }

    /// Forgets the changes since the last [`State::take_changes`] (once they are committed)
    /// without copying them out.
    pub(crate) fn clear_changes(&mut self) {
        self.changes.clear();
    }

    /// The changes since the last [`State::take_changes`], without clearing them (no-op
    /// changes left out, as there).
    pub fn pending_changes(&self) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        let mut changes: Vec<(&Vec<u8>, &Option<Vec<u8>>)> = self
            .changes
            .iter()
            .filter(|(_, (before, latest))| before != latest)
            .map(|(key, (_, latest))| (key, latest))
            .collect();
        changes.sort_unstable_by(|a, b| a.0.cmp(b.0));
        changes
            .into_iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Undoes every change since the last [`State::take_changes`] (a block that was not
    /// committed).
    pub fn rollback_changes(&mut self) {
        for (key, (old, _)) in std::mem::take(&mut self.changes) {
            match old {
                Some(bytes) => {
                    self.kv.insert(key, bytes);
                }
                None => {
                    self.kv.remove(&key);
                }
            }
        }
        self.changes.clear();
    }

    /// The decoded record cached for `key`, if it was decoded from exactly `raw`.
    fn cached_record(&self, key: &StateKey, raw: &[u8]) -> Option<DidRecord> {
        match self.records.get(key.as_bytes()) {
            Some((bytes, record)) if bytes.as_slice() == raw => Some(record.clone()),
            _ => None,
        }
    }

    /// Keeps the decoded DID records just written (see [`State::records`]).
    fn remember_records(&mut self, records: Vec<(Vec<u8>, DidRecord)>) {
        for (key, record) in records {
            let Some(raw) = self.kv.get(&key) else {
                continue;
            };
            let raw = raw.clone();
            if self.records.len() >= DECODED_RECORDS_CAPACITY {
                self.records.clear();
            }
            self.records.insert(key, (raw, record));
        }
    }

    fn commit(&mut self, writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>) {
        for (key, value) in writes {
            let old = match (&value, self.kv.get_mut(&key)) {
                (Some(bytes), Some(slot)) => Some(std::mem::replace(slot, bytes.clone())),
                (Some(bytes), None) => self.kv.insert(key.clone(), bytes.clone()),
                (None, _) => self.kv.remove(&key),
            };
            match self.changes.get_mut(&key) {
                Some((_, latest)) => *latest = value,
                None => {
                    self.changes.insert(key, (old, value));
                }
            }
        }
    }

    /// Resolves `did` as of `height` (`None`: now): the document version in force after the
    /// block at that height.
    pub fn resolve(
        &self,
        did: &RegistryDid,
        height: Option<u64>,
    ) -> Result<ResolvedDid, ResolveError> {
        self.resolve_where(did, |version| height.is_none_or(|h| version.height <= h))
    }

    /// Resolves `did` as of a time (Unix seconds): the version in force at `time`.
    pub fn resolve_at_time(
        &self,
        did: &RegistryDid,
        time: u64,
    ) -> Result<ResolvedDid, ResolveError> {
        self.resolve_where(did, |version| version.time <= time)
    }

    fn resolve_where(
        &self,
        did: &RegistryDid,
        in_force: impl Fn(&DidVersion) -> bool,
    ) -> Result<ResolvedDid, ResolveError> {
        let record: DidRecord = self
            .record(&StateKey::did(did))
            .map_err(|_| ResolveError::CorruptState)?
            .ok_or(ResolveError::NotFound)?;
        for number in (0..record.versions).rev() {
            let version: DidVersion = self
                .record(&StateKey::did_version(did, number))
                .map_err(|_| ResolveError::CorruptState)?
                .ok_or(ResolveError::CorruptState)?;
            if in_force(&version) {
                return Ok(ResolvedDid {
                    did: did.clone(),
                    document: version.document,
                    deactivated: version.deactivated,
                    version: number,
                    version_height: version.height,
                    version_time: version.time,
                    created_height: record.created_height,
                    created_time: record.created_time,
                });
            }
        }
        Err(ResolveError::NotFound)
    }

    /// A [`KeyResolver`] over this state as of `height` (`None`: now), so a credential signed
    /// before a key rotation verifies against the key valid at its issuance height.
    pub fn key_resolver(&self, height: Option<u64>) -> RegistryKeyResolver<'_> {
        RegistryKeyResolver {
            state: self,
            height,
        }
    }

    /// Applies one transaction in block `ctx` (see [`apply`]).
    pub fn apply(
        &mut self,
        ctx: &BlockContext,
        tx: &SignedTransaction,
    ) -> Result<Effects, Rejection> {
        let events = self.execute_and_commit(ctx, tx, Prechecked::default())?;
        Ok(Effects {
            tx_hash: tx.hash(self.config.profile),
            events,
        })
    }

    /// Prepares `tx` for [`State::apply_prepared`]: computes its hash and verifies its
    /// signatures against the keys this state names now (read-only; see
    /// [`PreparedTransaction`]).
    pub fn prepare(&self, tx: SignedTransaction) -> PreparedTransaction {
        let Draft {
            mut prepared,
            signature,
            evidence,
        } = self.draft(tx);
        prepared.signature = signature.map(|(key, message)| CheckedSignature {
            valid: key.verify(&message, &prepared.tx.signature).is_ok(),
            key,
        });
        prepared.evidence = match (evidence, evidence_signature(&prepared.tx)) {
            (Some((key, message)), Some(signature)) => Some(CheckedSignature {
                valid: key.verify(&message, signature).is_ok(),
                key,
            }),
            _ => None,
        };
        prepared
    }

    /// The hash of `tx` and the signatures to check for it, against the keys this state names
    /// now (nothing verified yet).
    pub(crate) fn draft(&self, tx: SignedTransaction) -> Draft {
        let profile = self.config.profile;
        let mut signing = Writer::new();
        signing.raw(TX_SIGNING_DOMAIN);
        tx.transaction.encode(&mut signing);
        let signing = signing.into_bytes();
        let mut signature_part = Writer::new();
        signature_part.bytes(&tx.signature);
        let hash = profile.hash(&[
            TX_HASH_DOMAIN,
            signing.get(TX_SIGNING_DOMAIN.len()..).unwrap_or_default(),
            &signature_part.into_bytes(),
        ]);
        let mut draft = Draft {
            prepared: PreparedTransaction {
                tx,
                hash,
                profile,
                signature: None,
                evidence: None,
                sender: None,
            },
            signature: None,
            evidence: None,
        };
        let t = &draft.prepared.tx.transaction;
        if t.chain_id != self.config.chain_id || t.sender.network() != self.config.network {
            return draft;
        }
        let control_key = |document: &DocumentContent| {
            document
                .method(&t.key)
                .filter(|vm| is_control_key(&self.config, vm))
                .map(|vm| vm.key.0.clone())
        };
        if let Payload::DidCreate { document } = &t.payload {
            draft.signature = control_key(document).map(|key| (key, signing));
            return draft;
        }
        let sender_key = StateKey::did(&t.sender);
        let Some(raw) = self.kv.get(sender_key.as_bytes()) else {
            return draft;
        };
        let Some(record) = self
            .cached_record(&sender_key, raw)
            .or_else(|| DidRecord::from_bytes(raw).ok())
        else {
            return draft;
        };
        if record.deactivated {
            return draft;
        }
        let anchor = match &t.payload {
            Payload::AnchorEvidence {
                credential_hash,
                method,
                ..
            } => Some((
                method,
                evidence_message(&self.config.chain_id, credential_hash),
            )),
            Payload::AnchorBatch {
                merkle_root,
                count,
                method,
                ..
            } => Some((
                method,
                batch_message(&self.config.chain_id, merkle_root, *count),
            )),
            _ => None,
        };
        let signature = control_key(&record.document).map(|key| (key, signing));
        let evidence = anchor.and_then(|(method, message)| {
            record
                .document
                .method(method)
                .filter(|vm| vm.relationships.contains(Relationships::ASSERTION_METHOD))
                .map(|vm| (vm.key.0.clone(), message))
        });
        draft.signature = signature;
        draft.evidence = evidence;
        draft.prepared.sender = Some((raw.clone(), record));
        draft
    }

    /// Applies a prepared transaction in block `ctx`: the same outcome as [`State::apply`],
    /// without verifying again the signatures [`State::prepare`] verified against the keys
    /// still in force.
    pub fn apply_prepared(
        &mut self,
        ctx: &BlockContext,
        prepared: &mut PreparedTransaction,
    ) -> Result<Effects, Rejection> {
        let tx_hash = if prepared.profile == self.config.profile {
            prepared.hash
        } else {
            prepared.tx.hash(self.config.profile)
        };
        let checks = Prechecked {
            signature: prepared.signature.as_ref().map(|c| (&c.key, c.valid)),
            evidence: prepared.evidence.as_ref().map(|c| (&c.key, c.valid)),
            sender: prepared.sender.take(),
        };
        let events = self.execute_and_commit(ctx, &prepared.tx, checks)?;
        Ok(Effects { tx_hash, events })
    }

    /// Applies a drafted transaction in block `ctx` *as if* the signatures it asks to check
    /// were valid (the speculation of `ledger/schedule.rs`: right whenever they are, which the
    /// ledger checks meanwhile), with the sender record taken from the draft.
    pub(crate) fn apply_assuming_valid(
        &mut self,
        ctx: &BlockContext,
        draft: &Draft,
        sender: Option<(Vec<u8>, DidRecord)>,
    ) -> Result<Effects, Rejection> {
        let checks = Prechecked {
            signature: draft.signature.as_ref().map(|(key, _)| (key, true)),
            evidence: draft.evidence.as_ref().map(|(key, _)| (key, true)),
            sender,
        };
        let events = self.execute_and_commit(ctx, draft.transaction(), checks)?;
        Ok(Effects {
            tx_hash: draft.hash(),
            events,
        })
    }

    fn execute_and_commit(
        &mut self,
        ctx: &BlockContext,
        tx: &SignedTransaction,
        checks: Prechecked<'_>,
    ) -> Result<Vec<Event>, Rejection> {
        let mut pending = Pending::new(self);
        let events = execute(&mut pending, &self.config, ctx, tx, checks)?;
        let Pending {
            writes, records, ..
        } = pending;
        self.commit(writes);
        self.remember_records(records);
        Ok(events)
    }

    /// Decodes and applies a transaction given as bytes.
    pub fn apply_bytes(&mut self, ctx: &BlockContext, bytes: &[u8]) -> Result<Effects, Rejection> {
        let tx = SignedTransaction::decode_bytes(bytes)?;
        self.apply(ctx, &tx)
    }
}

/// Applies `tx` to `state` in block `ctx`: deterministic; on rejection the state is unchanged.
pub fn apply(
    state: &mut State,
    ctx: &BlockContext,
    tx: &SignedTransaction,
) -> Result<Effects, Rejection> {
    state.apply(ctx, tx)
}

/// Resolves `did:crosscode` verification methods against the registry state at a height.
#[derive(Debug, Clone, Copy)]
pub struct RegistryKeyResolver<'a> {
    state: &'a State,
    height: Option<u64>,
}

impl KeyResolver for RegistryKeyResolver<'_> {
    fn resolve_verification_method(&self, vm: &DidUrl) -> Result<PublicKey, DidError> {
        let not_found = || DidError::VerificationMethodNotFound {
            id: vm.as_str().chars().take(80).collect(),
        };
        if vm.did().method() != crate::document::DID_METHOD {
            return Err(DidError::MethodNotSupported {
                method: vm.did().method().chars().take(32).collect(),
            });
        }
        let did = RegistryDid::parse(vm.did().as_str()).map_err(|_| DidError::InvalidDid {
            input: vm.did().as_str().chars().take(80).collect(),
            reason: "not a valid did:crosscode DID",
        })?;
        if vm.path().is_some() || vm.query().is_some() {
            return Err(not_found());
        }
        let fragment = vm.fragment().ok_or_else(not_found)?;
        let resolved = self
            .state
            .resolve(&did, self.height)
            .map_err(|_| not_found())?;
        if resolved.deactivated {
            return Err(not_found());
        }
        resolved
            .document
            .method(fragment)
            .map(|m| m.key.0.clone())
            .ok_or_else(not_found)
    }
}

fn write_new_did(
    pending: &mut Pending<'_>,
    did: &RegistryDid,
    document: &DocumentContent,
    height: u64,
    time: u64,
) {
    pending.put_did_record(
        did,
        DidRecord {
            document: document.clone(),
            versions: 1,
            deactivated: false,
            created_height: height,
            created_time: time,
            updated_height: height,
            updated_time: time,
        },
    );
    pending.put(
        StateKey::did_version(did, 0),
        &DidVersion {
            document: document.clone(),
            deactivated: false,
            height,
            time,
        },
    );
}

fn write_did_version(
    pending: &mut Pending<'_>,
    did: &RegistryDid,
    mut record: DidRecord,
    document: DocumentContent,
    deactivated: bool,
    ctx: &BlockContext,
) -> Result<u32, Rejection> {
    let number = record.versions;
    record.versions = number
        .checked_add(1)
        .ok_or(malformed("too many versions"))?;
    record.document = document.clone();
    record.deactivated = deactivated;
    record.updated_height = ctx.height;
    record.updated_time = ctx.time;
    pending.put_did_record(did, record);
    pending.put(
        StateKey::did_version(did, number),
        &DidVersion {
            document,
            deactivated,
            height: ctx.height,
            time: ctx.time,
        },
    );
    Ok(number)
}

fn check_signer(
    config: &ChainConfig,
    document: &DocumentContent,
    tx: &SignedTransaction,
    checked: Option<(&PublicKey, bool)>,
) -> Result<(), Rejection> {
    let fragment = &tx.transaction.key;
    let vm = document
        .method(fragment)
        .ok_or_else(|| Rejection::UnknownKey {
            fragment: fragment.clone(),
        })?;
    if !is_control_key(config, vm) {
        return Err(Rejection::KeyNotAllowed {
            fragment: fragment.clone(),
        });
    }
    let valid = match CheckedSignature::outcome_for(checked, &vm.key.0) {
        Some(valid) => valid,
        None => vm
            .key
            .0
            .verify(&tx.transaction.signing_bytes(), &tx.signature)
            .is_ok(),
    };
    if valid {
        Ok(())
    } else {
        Err(Rejection::BadSignature)
    }
}

fn execute(
    pending: &mut Pending<'_>,
    config: &ChainConfig,
    ctx: &BlockContext,
    tx: &SignedTransaction,
    checks: Prechecked<'_>,
) -> Result<Vec<Event>, Rejection> {
    let t = &tx.transaction;
    if t.chain_id != config.chain_id {
        return Err(Rejection::WrongChainId {
            expected: config.chain_id.clone(),
            found: t.chain_id.clone(),
        });
    }
    if t.sender.network() != config.network {
        return Err(Rejection::WrongNetwork {
            expected: config.network.clone(),
            found: t.sender.network().to_owned(),
        });
    }
    let sender = &t.sender;

    if let Payload::DidCreate { document } = &t.payload {
        if pending.exists(&StateKey::did(sender)) {
            return Err(Rejection::DidExists);
        }
        check_signer(config, document, tx, checks.signature)?;
        let key = document
            .method(&t.key)
            .map(|vm| vm.key.0.clone())
            .ok_or_else(|| Rejection::UnknownKey {
                fragment: t.key.clone(),
            })?;
        if RegistryDid::derive(config.profile, &config.network, &key) != *sender {
            return Err(Rejection::DidDoesNotMatchKey);
        }
        check_sequence(0, t.sequence)?;
        document.check().map_err(malformed)?;
        write_new_did(pending, sender, document, ctx.height, ctx.time);
        pending.put(StateKey::sequence(sender), &1u64);
        return Ok(vec![Event::DidCreated {
            did: sender.clone(),
        }]);
    }

    let sender_key = StateKey::did(sender);
    let record: DidRecord = match checks.sender {
        // The bytes decoded while preparing are still the stored bytes: same record.
        Some((raw, record)) if pending.raw(&sender_key) == Some(raw.as_slice()) => record,
        _ => pending
            .read_did_record(&sender_key)?
            .ok_or(Rejection::UnknownSender)?,
    };
    if record.deactivated {
        return Err(Rejection::DidDeactivated);
    }
    check_signer(config, &record.document, tx, checks.signature)?;
    let expected = pending
        .read::<u64>(&StateKey::sequence(sender))?
        .unwrap_or(0);
    check_sequence(expected, t.sequence)?;
    let next = expected
        .checked_add(1)
        .ok_or(malformed("sequence exhausted"))?;
    pending.put(StateKey::sequence(sender), &next);

    match &t.payload {
        Payload::DidCreate { .. } => Err(Rejection::DidExists),
        Payload::DidUpdate {
            add_methods,
            remove_methods,
            add_services,
            remove_services,
        } => {
            if add_methods.is_empty()
                && remove_methods.is_empty()
                && add_services.is_empty()
                && remove_services.is_empty()
            {
                return Err(malformed("empty update"));
            }
            let mut document = record.document.clone();
            for fragment in remove_methods {
                let before = document.verification_methods.len();
                document
                    .verification_methods
                    .retain(|vm| &vm.fragment != fragment);
                if document.verification_methods.len() == before {
                    return Err(Rejection::NotFound {
                        what: "verification method",
                        fragment: fragment.clone(),
                    });
                }
            }
            for fragment in remove_services {
                let before = document.services.len();
                document.services.retain(|s| &s.fragment != fragment);
                if document.services.len() == before {
                    return Err(Rejection::NotFound {
                        what: "service",
                        fragment: fragment.clone(),
                    });
                }
            }
            document
                .verification_methods
                .extend(add_methods.iter().cloned());
            document.services.extend(add_services.iter().cloned());
            document.check().map_err(malformed)?;
            if !has_control_key(config, &document) {
                return Err(Rejection::WouldLoseControl);
            }
            let version = write_did_version(pending, sender, record, document, false, ctx)?;
            Ok(vec![Event::DidUpdated {
                did: sender.clone(),
                version,
            }])
        }
        Payload::DidRotateKeys { methods } => {
            let document = DocumentContent {
                verification_methods: methods.clone(),
                services: record.document.services.clone(),
            };
            document.check().map_err(malformed)?;
            if !has_control_key(config, &document) {
                return Err(Rejection::WouldLoseControl);
            }
            let version = write_did_version(pending, sender, record, document, false, ctx)?;
            Ok(vec![Event::DidUpdated {
                did: sender.clone(),
                version,
            }])
        }
        Payload::DidDeactivate => {
            let document = record.document.clone();
            write_did_version(pending, sender, record, document, true, ctx)?;
            Ok(vec![Event::DidDeactivated {
                did: sender.clone(),
            }])
        }
        Payload::Propose {
            action,
            voting_period,
        } => propose(pending, config, ctx, sender, action, *voting_period),
        Payload::Vote { proposal, approve } => {
            vote(pending, config, ctx, sender, *proposal, *approve)
        }
        Payload::RegisterSchema {
            name,
            version,
            schema_json,
        } => register_schema(pending, config, ctx, sender, name, version, schema_json),
        Payload::SetStatus { key, change } => set_status(pending, ctx, sender, key, *change),
        Payload::AnchorEvidence {
            credential_hash,
            method,
            signature,
        } => {
            let anchor = EvidenceAnchor {
                key: StateKey::evidence(credential_hash),
                message: evidence_message(&config.chain_id, credential_hash),
                count: 1,
            };
            anchor_evidence(
                pending,
                ctx,
                sender,
                &record,
                method,
                signature,
                anchor,
                checks.evidence,
            )?;
            Ok(vec![Event::EvidenceAnchored {
                hash: *credential_hash,
            }])
        }
        Payload::AnchorBatch {
            merkle_root,
            count,
            method,
            signature,
        } => {
            if *count == 0 {
                return Err(malformed("empty batch"));
            }
            let anchor = EvidenceAnchor {
                key: StateKey::batch(merkle_root),
                message: batch_message(&config.chain_id, merkle_root, *count),
                count: *count,
            };
            anchor_evidence(
                pending,
                ctx,
                sender,
                &record,
                method,
                signature,
                anchor,
                checks.evidence,
            )?;
            Ok(vec![Event::BatchAnchored {
                root: *merkle_root,
                count: *count,
            }])
        }
    }
}

fn check_sequence(expected: u64, found: u64) -> Result<(), Rejection> {
    match found.cmp(&expected) {
        std::cmp::Ordering::Equal => Ok(()),
        std::cmp::Ordering::Less => Err(Rejection::ReplayedSequence { expected, found }),
        std::cmp::Ordering::Greater => Err(Rejection::SkippedSequence { expected, found }),
    }
}

fn require_member(pending: &Pending<'_>, sender: &RegistryDid) -> Result<(), Rejection> {
    if pending.exists(&StateKey::member(sender)) {
        Ok(())
    } else {
        Err(Rejection::NotAuthorised {
            reason: "not a consortium member",
        })
    }
}

/// Checks that `action` can take effect now.
fn check_action(
    pending: &Pending<'_>,
    config: &ChainConfig,
    action: &GovernanceAction,
) -> Result<(), Rejection> {
    let issuer_record = |issuer: &RegistryDid| -> Result<Option<IssuerRecord>, Rejection> {
        pending.read(&StateKey::issuer(issuer))
    };
    match action {
        GovernanceAction::AdmitIssuer { issuer, scope } => {
            scope.check().map_err(malformed)?;
            let did: DidRecord = pending
                .read(&StateKey::did(issuer))?
                .ok_or(Rejection::UnknownDid)?;
            if did.deactivated {
                return Err(Rejection::DidDeactivated);
            }
            if issuer_record(issuer)?.is_some() {
                return Err(Rejection::IssuerAlreadyAdmitted);
            }
        }
        GovernanceAction::SuspendIssuer { issuer } => {
            let record = issuer_record(issuer)?.ok_or(Rejection::IssuerNotAdmitted)?;
            if record.suspended {
                return Err(Rejection::IssuerSuspension);
            }
        }
        GovernanceAction::ReinstateIssuer { issuer } => {
            let record = issuer_record(issuer)?.ok_or(Rejection::IssuerNotAdmitted)?;
            if !record.suspended {
                return Err(Rejection::IssuerSuspension);
            }
        }
        GovernanceAction::RescopeIssuer { issuer, scope } => {
            scope.check().map_err(malformed)?;
            issuer_record(issuer)?.ok_or(Rejection::IssuerNotAdmitted)?;
        }
        GovernanceAction::SetValidators { validators } => {
            ValidatorSet::new(config.profile, validators.clone())
                .map_err(Rejection::InvalidValidatorSet)?;
        }
    }
    Ok(())
}

fn execute_action(
    pending: &mut Pending<'_>,
    config: &ChainConfig,
    ctx: &BlockContext,
    action: &GovernanceAction,
) -> Result<Vec<Event>, Rejection> {
    check_action(pending, config, action)?;
    let mut update_issuer =
        |issuer: &RegistryDid, change: &dyn Fn(&mut IssuerRecord)| -> Result<(), Rejection> {
            let mut record: IssuerRecord = pending
                .read(&StateKey::issuer(issuer))?
                .ok_or(Rejection::IssuerNotAdmitted)?;
            change(&mut record);
            record.updated_height = ctx.height;
            pending.put(StateKey::issuer(issuer), &record);
            Ok(())
        };
    match action {
        GovernanceAction::AdmitIssuer { issuer, scope } => {
            pending.put(
                StateKey::issuer(issuer),
                &IssuerRecord {
                    scope: scope.clone(),
                    suspended: false,
                    admitted_height: ctx.height,
                    updated_height: ctx.height,
                },
            );
            Ok(vec![])
        }
        GovernanceAction::SuspendIssuer { issuer } => {
            update_issuer(issuer, &|r| r.suspended = true)?;
            Ok(vec![])
        }
        GovernanceAction::ReinstateIssuer { issuer } => {
            update_issuer(issuer, &|r| r.suspended = false)?;
            Ok(vec![])
        }
        GovernanceAction::RescopeIssuer { issuer, scope } => {
            update_issuer(issuer, &|r: &mut IssuerRecord| r.scope = scope.clone())?;
            Ok(vec![])
        }
        GovernanceAction::SetValidators { validators } => {
            let set = ValidatorSet::new(config.profile, validators.clone())
                .map_err(Rejection::InvalidValidatorSet)?;
            pending.put(StateKey::meta(META_VALIDATORS), &set);
            Ok(vec![Event::ValidatorSetChanged])
        }
    }
}

fn propose(
    pending: &mut Pending<'_>,
    config: &ChainConfig,
    ctx: &BlockContext,
    sender: &RegistryDid,
    action: &GovernanceAction,
    voting_period: u64,
) -> Result<Vec<Event>, Rejection> {
    require_member(pending, sender)?;
    if voting_period == 0 || voting_period > config.max_voting_period {
        return Err(malformed("voting period out of range"));
    }
    check_action(pending, config, action)?;
    let id = pending
        .read::<u64>(&StateKey::meta(META_NEXT_PROPOSAL))?
        .unwrap_or(0);
    pending.put(
        StateKey::meta(META_NEXT_PROPOSAL),
        &id.checked_add(1)
            .ok_or(malformed("proposal numbers exhausted"))?,
    );
    let mut proposal = ProposalRecord {
        action: action.clone(),
        proposer: sender.clone(),
        opened_height: ctx.height,
        closes_height: ctx.height.saturating_add(voting_period),
        approvals: vec![sender.clone()],
        rejections: vec![],
        status: ProposalStatus::Open,
    };
    let mut events = vec![Event::ProposalOpened { id }];
    if proposal.approvals.len() >= config.governance_threshold as usize {
        events.extend(execute_action(pending, config, ctx, action)?);
        proposal.status = ProposalStatus::Executed;
        events.push(Event::ProposalExecuted { id });
    }
    pending.put(StateKey::proposal(id), &proposal);
    Ok(events)
}

fn vote(
    pending: &mut Pending<'_>,
    config: &ChainConfig,
    ctx: &BlockContext,
    sender: &RegistryDid,
    id: u64,
    approve: bool,
) -> Result<Vec<Event>, Rejection> {
    require_member(pending, sender)?;
    let mut proposal: ProposalRecord = pending
        .read(&StateKey::proposal(id))?
        .ok_or(Rejection::UnknownProposal { id })?;
    if proposal.status != ProposalStatus::Open || ctx.height > proposal.closes_height {
        return Err(Rejection::ProposalClosed { id });
    }
    if proposal.approvals.contains(sender) || proposal.rejections.contains(sender) {
        return Err(Rejection::AlreadyVoted { id });
    }
    let mut events = vec![Event::Voted { id, approve }];
    let threshold = config.governance_threshold as usize;
    if approve {
        proposal.approvals.push(sender.clone());
        if proposal.approvals.len() >= threshold {
            events.extend(execute_action(pending, config, ctx, &proposal.action)?);
            proposal.status = ProposalStatus::Executed;
            events.push(Event::ProposalExecuted { id });
        }
    } else {
        proposal.rejections.push(sender.clone());
        let members = config.member_count as usize;
        if proposal.rejections.len() > members.saturating_sub(threshold) {
            proposal.status = ProposalStatus::Rejected;
            events.push(Event::ProposalRejected { id });
        }
    }
    pending.put(StateKey::proposal(id), &proposal);
    Ok(events)
}

/// The issuer record of `sender` if it is admitted and not suspended.
fn active_issuer(pending: &Pending<'_>, sender: &RegistryDid) -> Result<IssuerRecord, Rejection> {
    let record: IssuerRecord =
        pending
            .read(&StateKey::issuer(sender))?
            .ok_or(Rejection::NotAuthorised {
                reason: "not an admitted issuer",
            })?;
    if record.suspended {
        return Err(Rejection::NotAuthorised {
            reason: "issuer suspended",
        });
    }
    Ok(record)
}

/// One evidence anchor (a single credential hash or a batch root) before it is recorded.
struct EvidenceAnchor {
    /// Where the evidence record goes.
    key: StateKey,
    /// The message the issuer signed (`evidence_message` / `batch_message`).
    message: Vec<u8>,
    /// How many credential hashes it anchors.
    count: u64,
}

/// Records `anchor` for `sender`: an admitted issuer, inside its validity window, whose
/// assertion method `method` signed the anchor's message; an anchor is written only once.
#[allow(clippy::too_many_arguments)]
fn anchor_evidence(
    pending: &mut Pending<'_>,
    ctx: &BlockContext,
    sender: &RegistryDid,
    sender_record: &DidRecord,
    method: &str,
    signature: &[u8],
    anchor: EvidenceAnchor,
    checked: Option<(&PublicKey, bool)>,
) -> Result<(), Rejection> {
    check_anchoring_issuer(pending, ctx, sender)?;
    check_evidence_signature(
        &sender_record.document,
        method,
        &anchor.message,
        signature,
        checked,
    )?;
    if pending.exists(&anchor.key) {
        return Err(Rejection::EvidenceExists);
    }
    pending.put(
        anchor.key,
        &EvidenceRecord {
            issuer: sender.clone(),
            method: method.to_owned(),
            signature: signature.to_vec(),
            count: anchor.count,
            height: ctx.height,
            time: ctx.time,
        },
    );
    Ok(())
}

fn check_anchoring_issuer(
    pending: &Pending<'_>,
    ctx: &BlockContext,
    sender: &RegistryDid,
) -> Result<IssuerScope, Rejection> {
    let record = active_issuer(pending, sender)?;
    if !record.scope.is_valid_at(ctx.time) {
        return Err(Rejection::NotAuthorised {
            reason: "outside the issuer's validity window",
        });
    }
    Ok(record.scope)
}

fn check_evidence_signature(
    document: &DocumentContent,
    method: &str,
    message: &[u8],
    signature: &[u8],
    checked: Option<(&PublicKey, bool)>,
) -> Result<(), Rejection> {
    let vm = document
        .method(method)
        .ok_or_else(|| Rejection::UnknownKey {
            fragment: method.to_owned(),
        })?;
    if !vm.relationships.contains(Relationships::ASSERTION_METHOD) {
        return Err(Rejection::KeyNotAllowed {
            fragment: method.to_owned(),
        });
    }
    let valid = match CheckedSignature::outcome_for(checked, &vm.key.0) {
        Some(valid) => valid,
        None => vm.key.0.verify(message, signature).is_ok(),
    };
    if valid {
        Ok(())
    } else {
        Err(Rejection::BadEvidenceSignature)
    }
}

fn register_schema(
    pending: &mut Pending<'_>,
    config: &ChainConfig,
    ctx: &BlockContext,
    sender: &RegistryDid,
    name: &str,
    version: &str,
    schema_json: &str,
) -> Result<Vec<Event>, Rejection> {
    if !pending.exists(&StateKey::member(sender)) {
        active_issuer(pending, sender)?;
    }
    if name.is_empty() || version.is_empty() {
        return Err(malformed("schema name and version must not be empty"));
    }
    let value: serde_json::Value =
        serde_json::from_str(schema_json).map_err(|_| malformed("schema is not JSON"))?;
    if !value.is_object() {
        return Err(malformed("schema is not a JSON object"));
    }
    let canonical = crosscode_core::jcs::canonicalize(&value)
        .map_err(|_| malformed("schema cannot be canonicalized"))?;
    if canonical.len() > crate::transaction::MAX_SCHEMA_LEN {
        return Err(malformed("schema too large"));
    }
    let hash = config.profile.hash(&[canonical.as_bytes()]);
    let key = StateKey::schema(&hash);
    if pending.exists(&key) {
        return Err(Rejection::SchemaExists);
    }
    pending.put(
        key,
        &SchemaRecord {
            author: sender.clone(),
            name: name.to_owned(),
            version: version.to_owned(),
            canonical_json: canonical,
            height: ctx.height,
        },
    );
    Ok(vec![Event::SchemaRegistered { hash }])
}

fn set_status(
    pending: &mut Pending<'_>,
    ctx: &BlockContext,
    sender: &RegistryDid,
    key: &StatusKey,
    change: StatusChange,
) -> Result<Vec<Event>, Rejection> {
    let issuer: IssuerRecord =
        pending
            .read(&StateKey::issuer(sender))?
            .ok_or(Rejection::NotAuthorised {
                reason: "not an admitted issuer",
            })?;
    let state_key = StateKey::status(sender, key);
    let current: Option<StatusRecord> = pending.read(&state_key)?;
    let current = current.map(|r| r.status);
    if current == Some(CredentialStatus::Revoked) {
        return Err(Rejection::StatusTransition {
            reason: "revoked is final",
        });
    }
    let new_record = |status| StatusRecord {
        status,
        height: ctx.height,
        time: ctx.time,
    };
    match change {
        StatusChange::Revoke => {
            pending.put(state_key, &new_record(CredentialStatus::Revoked));
        }
        StatusChange::Suspend => {
            if current == Some(CredentialStatus::Suspended) {
                return Err(Rejection::StatusTransition {
                    reason: "already suspended",
                });
            }
            pending.put(state_key, &new_record(CredentialStatus::Suspended));
        }
        StatusChange::Reinstate => {
            if issuer.suspended {
                return Err(Rejection::NotAuthorised {
                    reason: "issuer suspended",
                });
            }
            if current.is_none() {
                return Err(Rejection::StatusTransition {
                    reason: "not suspended",
                });
            }
            pending.delete(state_key);
        }
    }
    Ok(vec![Event::StatusChanged { change }])
}
