//! The registry state machine: [`State`] (a key/value map in the canonical encoding) and the
//! deterministic [`apply`] of one signed transaction, which either returns its [`Effects`] or
//! a typed [`Rejection`] and then leaves the state untouched.
//!
//! This module holds the state, the pending writes of one transaction and the checks every
//! transaction goes through (chain id, network, sender, signing key, signature, sequence); the
//! rules of each transaction family are in their own modules: `did` (create, update, rotate,
//! deactivate), `governance` (proposals and votes), `schemas`, `status` and `evidence`
//! (anchors). [`Rejection`] is in `rejection`, [`Event`] and [`Effects`] in `events`, DID
//! resolution and [`RegistryKeyResolver`] in `resolve`, and the preparation of transactions
//! ahead of apply ([`PreparedTransaction`]) in `prepared`; `signatures` checks many
//! signatures at once with exactly the verdicts of one-by-one checks.

use std::collections::{BTreeMap, HashMap};

use crosscode_core::keys::PublicKey;

use crate::codec::{Decode, DecodeError, Encode};
use crate::document::{
    DocumentContent, RegistryDid, Relationships, VerificationMethod, is_valid_network,
};
use crate::genesis::{Genesis, GenesisError, is_valid_chain_id};
use crate::records::{ChainConfig, DidRecord, MAX_MEMBERS, MemberRecord, StateKey};
use crate::transaction::{Payload, SignedTransaction};
use crate::validators::ValidatorSet;

mod did;
mod events;
mod evidence;
mod governance;
mod prepared;
mod rejection;
mod resolve;
mod schemas;
pub(crate) mod signatures;
mod status;

pub use events::{Effects, Event, MAX_EVENTS_PER_TRANSACTION};
pub(crate) use prepared::Draft;
pub use prepared::PreparedTransaction;
use prepared::{CheckedSignature, Prechecked};
pub use rejection::Rejection;
pub use resolve::{RegistryKeyResolver, ResolveError, ResolvedDid};

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

/// A key written in the current block: (its value before the block, its latest value).
type BlockChange = (Option<Vec<u8>>, Option<Vec<u8>>);

/// Most decoded DID records [`State`] keeps (about 1 KiB each).
const DECODED_RECORDS_CAPACITY: usize = 1 << 17;

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

/// Whether `vm` may sign registry transactions on a chain with `config`.
fn is_control_key(config: &ChainConfig, vm: &VerificationMethod) -> bool {
    vm.relationships
        .contains(Relationships::CAPABILITY_INVOCATION)
        && vm.key.0.algorithm() == config.profile.key_algorithm()
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
            did::write_new_did(
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

/// Runs `tx`'s checks common to every transaction (chain, network, sender, signature,
/// sequence) and then its family's rules, writing into `pending`.
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
        return did::create(pending, config, ctx, tx, document, checks.signature);
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
        Payload::DidUpdate { .. } | Payload::DidRotateKeys { .. } | Payload::DidDeactivate => {
            did::change(pending, config, ctx, sender, record, &t.payload)
        }
        Payload::Propose {
            action,
            voting_period,
        } => governance::propose(pending, config, ctx, sender, action, *voting_period),
        Payload::Vote { proposal, approve } => {
            governance::vote(pending, config, ctx, sender, *proposal, *approve)
        }
        Payload::RegisterSchema {
            name,
            version,
            schema_json,
        } => schemas::register(pending, config, ctx, sender, name, version, schema_json),
        Payload::SetStatus { key, change } => status::set(pending, ctx, sender, key, *change),
        Payload::AnchorEvidence { .. } | Payload::AnchorBatch { .. } => evidence::anchor(
            pending,
            config,
            ctx,
            sender,
            &record,
            &t.payload,
            checks.evidence,
        ),
    }
}

fn check_sequence(expected: u64, found: u64) -> Result<(), Rejection> {
    match found.cmp(&expected) {
        std::cmp::Ordering::Equal => Ok(()),
        std::cmp::Ordering::Less => Err(Rejection::ReplayedSequence { expected, found }),
        std::cmp::Ordering::Greater => Err(Rejection::SkippedSequence { expected, found }),
    }
}
