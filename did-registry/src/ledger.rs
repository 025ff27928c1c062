//! The ledger: the state machine, the state tree and the block store together. It produces
//! blocks (applying candidate transactions, dropping rejected ones, asking [`Ordering`] for the
//! certificate), applies blocks decided elsewhere (checking certificate, roots and hashes), and
//! builds proof bundles for any committed height. Under a multi-validator engine the same
//! steps come apart: a proposer builds a block without committing it
//! ([`Ledger::build_block`]), every validator re-executes a proposal before it votes
//! ([`Ledger::check_block`]), and the decided block is applied with its certificate.
//!
//! Storage sits behind [`LedgerStore`]: one call commits a block, its certificate and its
//! state-tree nodes together (the node's RocksDB store does it in one `WriteBatch`). How a
//! block's signature checks and apply are spread over the cores is `ledger/schedule.rs`.

use std::time::{Duration, Instant};

use jmt::storage::NodeBatch;

use crate::block::{CertificateError, CommitCertificate, Header, SignatureVerifier};
use crate::codec::{Decode, DecodeError, Encode, Reader, Writer};
use crate::genesis::{Genesis, GenesisError};
use crate::merkle::merkle_root;
use crate::ordering::{Ordering, OrderingError};
use crate::proof::{ProofBundle, ProofEntry};
use crate::records::ChainConfig;
use crate::state::{BlockContext, Effects, Event, MAX_EVENTS_PER_TRANSACTION, Rejection, State};
use crate::transaction::SignedTransaction;
use crate::tree::{StateTree, TreeError, TreeStore, TreeUpdate};
use crate::validators::ValidatorSet;

mod consensus;
mod memory;
mod schedule;

pub use memory::MemoryStore;

/// Most transactions in one block.
pub const MAX_BLOCK_TRANSACTIONS: usize = 100_000;

/// A block: its header and its transactions (all accepted, in order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The header.
    pub header: Header,
    /// The transactions.
    pub transactions: Vec<SignedTransaction>,
}

impl Encode for Block {
    fn encode(&self, w: &mut Writer) {
        self.header.encode(w);
        w.seq(&self.transactions);
    }
}

impl Decode for Block {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let header = Header::decode(r)?;
        let transactions = r.seq("transactions", MAX_BLOCK_TRANSACTIONS)?;
        Ok(Self {
            header,
            transactions,
        })
    }
}

/// A committed block with its certificate (`None` only for the genesis header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedBlock {
    /// The block.
    pub block: Block,
    /// Its certificate.
    pub certificate: Option<CommitCertificate>,
}

/// One block's writes: its tree nodes, the block with its certificate, and the state changes
/// (latest value per key, `None` deletes). A store commits them atomically.
#[derive(Debug, Clone, Copy)]
pub struct BlockCommit<'a> {
    /// The state-tree nodes and values of the block's version.
    pub tree: &'a NodeBatch,
    /// The block and its certificate.
    pub block: &'a CommittedBlock,
    /// The transaction hashes of the block, in order (for the transaction index).
    pub tx_hashes: &'a [[u8; 32]],
    /// The events of each transaction, in the same order (kept in the transaction index).
    pub tx_events: &'a [Vec<Event>],
    /// The state changes.
    pub state_changes: &'a [(Vec<u8>, Option<Vec<u8>>)],
    /// The previous block's certificate as consensus carried it with this block: it replaces
    /// the one stored with that block, so that every validator serves the same one (`None`:
    /// keep it).
    pub previous_certificate: Option<&'a CommitCertificate>,
}

/// A committed block's header and its certificate (`None` only for the genesis header).
pub type CertifiedHeader = (Header, Option<CommitCertificate>);

/// A block's state changes: `(key, value)` in key order, `None` deletes.
type StateChanges = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// A block's accepted transactions with their hashes and events, in order.
struct Included {
    transactions: Vec<SignedTransaction>,
    hashes: Vec<[u8; 32]>,
    events: Vec<Vec<Event>>,
}

impl Included {
    fn with_capacity(capacity: usize) -> Self {
        Self {
            transactions: Vec::with_capacity(capacity),
            hashes: Vec::with_capacity(capacity),
            events: Vec::with_capacity(capacity),
        }
    }

    fn push(&mut self, tx: SignedTransaction, hash: [u8; 32], events: Vec<Event>) {
        self.transactions.push(tx);
        self.hashes.push(hash);
        self.events.push(events);
    }
}

/// A block's transactions applied to the state (not yet committed).
struct Executed {
    ctx: BlockContext,
    included: Included,
    /// Each candidate's outcome (empty for a block decided elsewhere: all are accepted).
    outcomes: Vec<TxOutcome>,
    /// The state changes and tree update, when computed while the transactions were applied.
    precomputed: Option<(StateChanges, TreeUpdate)>,
}

/// Whether a received header is the one recomputed; names the first field that differs.
fn header_matches(computed: &Header, expected: &Header) -> Result<(), LedgerError> {
    let field = if computed.transactions_root != expected.transactions_root {
        "transactions root"
    } else if computed.state_root != expected.state_root {
        "state root"
    } else if computed.next_validators_hash != expected.next_validators_hash {
        "next validators hash"
    } else if computed != expected {
        "other fields"
    } else {
        return Ok(());
    };
    Err(LedgerError::HeaderMismatch { field })
}

/// The entries of a state: `(key, value)` in key order.
pub type StateEntries = Vec<(Vec<u8>, Vec<u8>)>;

/// Where the ledger keeps tree nodes, blocks, certificates and the current state.
pub trait LedgerStore: TreeStore {
    /// Commits one block's writes atomically: after a crash either all of them are there or
    /// none.
    fn commit_block(&self, commit: &BlockCommit<'_>) -> Result<(), TreeError>;
    /// The committed block at `height`.
    fn block(&self, height: u64) -> Result<Option<CommittedBlock>, TreeError>;
    /// The header and certificate of the committed block at `height`, without its
    /// transactions (what a proof bundle needs). The default reads the whole block.
    fn certified_header(&self, height: u64) -> Result<Option<CertifiedHeader>, TreeError> {
        Ok(self
            .block(height)?
            .map(|committed| (committed.block.header, committed.certificate)))
    }
    /// The height of the latest committed block (`None`: empty store).
    fn head_height(&self) -> Result<Option<u64>, TreeError>;
    /// The current state's entries (to reopen the ledger).
    fn state_entries(&self) -> Result<StateEntries, TreeError>;
    /// Where a transaction was committed and what it did (its entry in the transaction
    /// index).
    fn transaction_receipt(&self, tx_hash: &[u8; 32]) -> Result<Option<TxReceipt>, TreeError>;
}

/// A committed transaction's entry in a store's transaction index: where it was committed and
/// its events. Canonical encoding: `u64 height || u32 index || seq of Event` (an entry without
/// the events — written before they were indexed — reads with none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxReceipt {
    /// The block height.
    pub height: u64,
    /// The index in the block.
    pub index: u32,
    /// What the transaction did.
    pub events: Vec<Event>,
}

impl TxReceipt {
    /// Writes the canonical encoding of the receipt of a transaction at `height` / `index`
    /// with `events` (without building a receipt).
    pub fn encode_parts(w: &mut Writer, height: u64, index: u32, events: &[Event]) {
        w.u64(height);
        w.u32(index);
        w.seq(events);
    }
}

impl Encode for TxReceipt {
    fn encode(&self, w: &mut Writer) {
        TxReceipt::encode_parts(w, self.height, self.index, &self.events);
    }
}

impl Decode for TxReceipt {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let height = r.u64("height")?;
        let index = r.u32("index")?;
        let events = if r.remaining() == 0 {
            Vec::new()
        } else {
            r.seq("events", MAX_EVENTS_PER_TRANSACTION)?
        };
        Ok(Self {
            height,
            index,
            events,
        })
    }
}

/// Errors of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The genesis is invalid.
    #[error("genesis: {0}")]
    Genesis(#[from] GenesisError),
    /// The state tree or store failed.
    #[error("{0}")]
    Tree(#[from] TreeError),
    /// Ordering failed to decide the block.
    #[error("ordering: {0}")]
    Ordering(#[from] OrderingError),
    /// The certificate does not verify.
    #[error("certificate: {0}")]
    Certificate(#[from] CertificateError),
    /// A block's time is before its parent's.
    #[error("block time goes backwards")]
    TimeGoesBackwards,
    /// A block does not follow the head (height or previous hash).
    #[error("block does not extend the head")]
    NotNext,
    /// A transaction of a decided block is rejected.
    #[error("transaction {index} of the block is rejected: {rejection}")]
    RejectedTransaction {
        /// Its index.
        index: usize,
        /// Why.
        rejection: Rejection,
    },
    /// A header field differs from the one recomputed.
    #[error("header {field} does not match the recomputed value")]
    HeaderMismatch {
        /// The field.
        field: &'static str,
    },
    /// Stored validator set or record does not decode.
    #[error("corrupt stored data: {0}")]
    Corrupt(DecodeError),
    /// The height is not committed.
    #[error("height {height} is not committed")]
    UnknownHeight {
        /// The height.
        height: u64,
    },
    /// The store already holds a chain (use [`Ledger::open`]).
    #[error("the store already holds a chain")]
    AlreadyInitialised,
    /// The store holds no chain (use [`Ledger::new`]).
    #[error("the store holds no chain")]
    EmptyStore,
    /// The store holds another chain than the genesis given.
    #[error("the store holds another chain")]
    GenesisMismatch,
    /// Too many transactions for one block.
    #[error("too many transactions for one block")]
    TooManyTransactions,
}

/// The outcome of each candidate transaction of a produced block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxOutcome {
    /// Included, with its effects.
    Committed(Effects),
    /// Left out, with the reason.
    Rejected {
        /// The transaction hash.
        tx_hash: [u8; 32],
        /// Why.
        rejection: Rejection,
    },
}

/// Where the wall-clock time of the last produced or applied block went, stage by stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockTimings {
    /// Preparing the transactions on every core: hashes and signature checks.
    pub verify: Duration,
    /// Applying the transactions to the state, in order.
    pub apply: Duration,
    /// The state-tree update: node hashing and building.
    pub tree: Duration,
    /// The transactions root, the header and the certificate.
    pub seal: Duration,
    /// The store's atomic commit of the block.
    pub write: Duration,
}

impl BlockTimings {
    /// The stage-by-stage sum of two timings.
    pub fn add(&self, other: &BlockTimings) -> BlockTimings {
        BlockTimings {
            verify: self.verify + other.verify,
            apply: self.apply + other.apply,
            tree: self.tree + other.tree,
            seal: self.seal + other.seal,
            write: self.write + other.write,
        }
    }

    /// The total.
    pub fn total(&self) -> Duration {
        self.verify + self.apply + self.tree + self.seal + self.write
    }
}

/// The registry ledger over a store.
#[derive(Debug)]
pub struct Ledger<S: LedgerStore> {
    tree: StateTree<S>,
    state: State,
    head: Header,
    timings: BlockTimings,
}

impl<S: LedgerStore> Ledger<S> {
    /// A ledger at genesis (height 0) over an empty store.
    pub fn new(genesis: &Genesis, store: S) -> Result<Self, LedgerError> {
        let mut state = State::genesis(genesis)?;
        let profile = genesis.profile;
        let tree = StateTree::new(profile, store);
        let changes = state.take_changes();
        let update = tree.compute_update(0, &changes)?;
        let validators = state.validator_set().map_err(LedgerError::Corrupt)?;
        let validators_hash = validators.hash(profile);
        let head = Header {
            chain_id: genesis.chain_id.clone(),
            height: 0,
            time: genesis.genesis_time,
            previous_hash: [0; 32],
            transactions_root: merkle_root(profile, &[]),
            state_root: update.root,
            validators_hash,
            next_validators_hash: validators_hash,
        };
        if tree.store().head_height()?.is_some() {
            return Err(LedgerError::AlreadyInitialised);
        }
        tree.store().commit_block(&BlockCommit {
            tree: &update.batch,
            block: &CommittedBlock {
                block: Block {
                    header: head.clone(),
                    transactions: vec![],
                },
                certificate: None,
            },
            tx_hashes: &[],
            tx_events: &[],
            state_changes: &changes,
            previous_certificate: None,
        })?;
        tree.committed(&update);
        Ok(Self {
            tree,
            state,
            head,
            timings: BlockTimings::default(),
        })
    }

    /// Reopens the ledger a store holds (after a restart or a crash): the head block and the
    /// current state as of the last committed block.
    pub fn open(store: S) -> Result<Self, LedgerError> {
        let height = store.head_height()?.ok_or(LedgerError::EmptyStore)?;
        let head = store
            .block(height)?
            .ok_or(LedgerError::UnknownHeight { height })?
            .block
            .header;
        let state = State::from_entries(store.state_entries()?).map_err(LedgerError::Corrupt)?;
        let tree = StateTree::new(state.config().profile, store);
        if tree.root(height)? != head.state_root {
            return Err(LedgerError::HeaderMismatch {
                field: "state root",
            });
        }
        Ok(Self {
            tree,
            state,
            head,
            timings: BlockTimings::default(),
        })
    }

    /// Opens the chain the store holds if it is the chain of `genesis`, or starts it.
    pub fn open_or_init(genesis: &Genesis, store: S) -> Result<Self, LedgerError> {
        if store.head_height()?.is_none() {
            return Self::new(genesis, store);
        }
        let ledger = Self::open(store)?;
        let expected = State::genesis(genesis)?;
        if ledger.config() != expected.config() {
            return Err(LedgerError::GenesisMismatch);
        }
        let genesis_block = ledger
            .store()
            .block(0)?
            .ok_or(LedgerError::UnknownHeight { height: 0 })?;
        let fresh = Ledger::new(genesis, MemoryStore::new())?;
        if genesis_block.block.header != *fresh.head() {
            return Err(LedgerError::GenesisMismatch);
        }
        Ok(ledger)
    }

    /// Where a transaction was committed: `(height, index in the block)`.
    pub fn transaction_location(
        &self,
        tx_hash: &[u8; 32],
    ) -> Result<Option<(u64, u32)>, LedgerError> {
        Ok(self
            .transaction_receipt(tx_hash)?
            .map(|receipt| (receipt.height, receipt.index)))
    }

    /// Where a transaction was committed and what it did.
    pub fn transaction_receipt(
        &self,
        tx_hash: &[u8; 32],
    ) -> Result<Option<TxReceipt>, LedgerError> {
        Ok(self.store().transaction_receipt(tx_hash)?)
    }

    /// The chain configuration.
    pub fn config(&self) -> &ChainConfig {
        self.state.config()
    }

    /// The latest committed header.
    pub fn head(&self) -> &Header {
        &self.head
    }

    /// The current state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The store.
    pub fn store(&self) -> &S {
        self.tree.store()
    }

    /// Gives the store back (to reopen it later with [`Ledger::open`]).
    pub fn into_store(self) -> S {
        self.tree.into_store()
    }

    /// Where the time of the last produced or applied block went.
    pub fn last_block_timings(&self) -> BlockTimings {
        self.timings
    }

    /// The validator set that signs the next block.
    pub fn validators(&self) -> Result<ValidatorSet, LedgerError> {
        self.state.validator_set().map_err(LedgerError::Corrupt)
    }

    /// Produces the next block at `time` from `candidates` (rejected ones are left out and
    /// reported), has `ordering` decide it, and commits it. An empty candidate list makes an
    /// empty heartbeat block.
    pub fn produce_block(
        &mut self,
        candidates: Vec<SignedTransaction>,
        time: u64,
        ordering: &mut dyn Ordering,
    ) -> Result<(CommittedBlock, Vec<TxOutcome>), LedgerError> {
        let validators = self.validators()?;
        let mut executed = self.run_candidates(candidates, time)?;
        let result =
            self.header_for(&mut executed, &validators)
                .and_then(|(header, changes, update)| {
                    let certificate = ordering.decide(&header, &validators)?;
                    self.write(
                        header,
                        executed.included,
                        certificate,
                        None,
                        changes,
                        update,
                    )
                });
        match result {
            Ok(block) => Ok((block, executed.outcomes)),
            Err(err) => {
                self.state.rollback_changes();
                Err(err)
            }
        }
    }

    /// Applies a block decided elsewhere: checks it extends the head, its certificate against
    /// the current validator set, applies every transaction (all must be accepted) and checks
    /// the recomputed header fields, then commits it.
    pub fn apply_block(
        &mut self,
        block: &Block,
        certificate: &CommitCertificate,
        verifier: &dyn SignatureVerifier,
    ) -> Result<(), LedgerError> {
        self.apply_decided_block(block, certificate, None, verifier)
    }

    /// Whether `header` follows the head (height, previous hash, time).
    fn check_extends(&self, header: &Header) -> Result<(), LedgerError> {
        let profile = self.config().profile;
        if header.height != self.head.height + 1 || header.previous_hash != self.head.hash(profile)
        {
            return Err(LedgerError::NotNext);
        }
        if header.time < self.head.time {
            return Err(LedgerError::TimeGoesBackwards);
        }
        Ok(())
    }

    /// Applies `candidates` at `time` to the state (rejected ones left out and reported); on
    /// error the state is rolled back.
    fn run_candidates(
        &mut self,
        candidates: Vec<SignedTransaction>,
        time: u64,
    ) -> Result<Executed, LedgerError> {
        if candidates.len() > MAX_BLOCK_TRANSACTIONS {
            return Err(LedgerError::TooManyTransactions);
        }
        if time < self.head.time {
            return Err(LedgerError::TimeGoesBackwards);
        }
        let ctx = BlockContext {
            height: self.head.height + 1,
            time,
        };
        let mut outcomes = Vec::with_capacity(candidates.len());
        let mut included = Included::with_capacity(candidates.len());
        self.timings = BlockTimings::default();
        // Signatures are checked on one core while this one applies the block and updates the
        // state tree (see `schedule::apply_block_speculatively`).
        let tree = &self.tree;
        let height = ctx.height;
        let block =
            schedule::apply_block_speculatively(&mut self.state, &ctx, candidates, |state| {
                let changes = state.pending_changes();
                let update = tree.compute_update(height, &changes);
                (changes, update)
            });
        self.timings.verify = block.timings.draft + block.timings.verify_wait;
        self.timings.apply = block.timings.apply + block.timings.redo;
        self.timings.tree = block.timings.after_apply;
        for (tx, tx_hash, outcome) in block.applied {
            match outcome {
                Ok(effects) => {
                    included.push(tx, tx_hash, effects.events.clone());
                    outcomes.push(TxOutcome::Committed(effects));
                }
                Err(rejection) => outcomes.push(TxOutcome::Rejected { tx_hash, rejection }),
            }
        }
        let precomputed = match block.computed {
            Some((changes, Ok(update))) => Some((changes, update)),
            Some((_, Err(err))) => {
                self.state.rollback_changes();
                return Err(err.into());
            }
            None => None,
        };
        Ok(Executed {
            ctx,
            included,
            outcomes,
            precomputed,
        })
    }

    /// Applies every transaction of `block`, which must extend the head; all must be accepted
    /// (on error the state is rolled back).
    fn run_block(&mut self, block: &Block) -> Result<Executed, LedgerError> {
        let header = &block.header;
        self.check_extends(header)?;
        if block.transactions.len() > MAX_BLOCK_TRANSACTIONS {
            return Err(LedgerError::TooManyTransactions);
        }
        let ctx = BlockContext {
            height: header.height,
            time: header.time,
        };
        self.timings = BlockTimings::default();
        let verify_start = Instant::now();
        let prepared = schedule::prepare_block(&self.state, block.transactions.clone());
        self.timings.verify = verify_start.elapsed();
        let apply_start = Instant::now();
        let mut included = Included::with_capacity(prepared.len());
        for (index, mut tx) in prepared.into_iter().enumerate() {
            let effects = match self.state.apply_prepared(&ctx, &mut tx) {
                Ok(effects) => effects,
                Err(rejection) => {
                    self.state.rollback_changes();
                    return Err(LedgerError::RejectedTransaction { index, rejection });
                }
            };
            let hash = tx.hash();
            included.push(tx.into_transaction(), hash, effects.events);
        }
        self.timings.apply = apply_start.elapsed();
        Ok(Executed {
            ctx,
            included,
            outcomes: Vec::new(),
            precomputed: None,
        })
    }

    /// The header over the applied state changes of `executed` (signed by `validators`), with
    /// the changes and the state-tree update it commits to. Nothing is written.
    fn header_for(
        &mut self,
        executed: &mut Executed,
        validators: &ValidatorSet,
    ) -> Result<(Header, StateChanges, TreeUpdate), LedgerError> {
        let profile = self.config().profile;
        let ctx = executed.ctx;
        let (changes, update) = match executed.precomputed.take() {
            Some(precomputed) => precomputed,
            None => {
                let tree_start = Instant::now();
                let changes = self.state.pending_changes();
                let update = self.tree.compute_update(ctx.height, &changes)?;
                self.timings.tree = tree_start.elapsed();
                (changes, update)
            }
        };
        let next_validators = self.state.validator_set().map_err(LedgerError::Corrupt)?;
        let header = Header {
            chain_id: self.config().chain_id.clone(),
            height: ctx.height,
            time: ctx.time,
            previous_hash: self.head.hash(profile),
            transactions_root: merkle_root(profile, &executed.included.hashes),
            state_root: update.root,
            validators_hash: validators.hash(profile),
            next_validators_hash: next_validators.hash(profile),
        };
        Ok((header, changes, update))
    }

    /// Commits a block with its certificate, its state changes and tree update. On error
    /// nothing is written (the caller rolls the state back).
    fn write(
        &mut self,
        header: Header,
        included: Included,
        certificate: CommitCertificate,
        previous_certificate: Option<&CommitCertificate>,
        changes: StateChanges,
        update: TreeUpdate,
    ) -> Result<CommittedBlock, LedgerError> {
        let seal_start = Instant::now();
        let Included {
            transactions,
            hashes: tx_hashes,
            events: tx_events,
        } = included;
        let committed = CommittedBlock {
            block: Block {
                header: header.clone(),
                transactions,
            },
            certificate: Some(certificate),
        };
        self.timings.seal = seal_start.elapsed();
        let write_start = Instant::now();
        // The in-memory tree nodes are updated on the other core while the store commits; if
        // the commit fails, the new nodes are taken out again (the stale ones it dropped are
        // only cache misses).
        let tree = &self.tree;
        let node_cache = tree.node_cache();
        let written = std::thread::scope(|scope| {
            let caching = scope.spawn(|| crate::tree::cache_committed(node_cache, &update));
            let written = tree.store().commit_block(&BlockCommit {
                tree: &update.batch,
                block: &committed,
                tx_hashes: &tx_hashes,
                tx_events: &tx_events,
                state_changes: &changes,
                previous_certificate,
            });
            if let Err(payload) = caching.join() {
                std::panic::resume_unwind(payload);
            }
            written
        });
        if let Err(err) = written {
            self.tree.forget(&update);
            return Err(err.into());
        }
        self.state.clear_changes();
        self.head = header;
        self.timings.write = write_start.elapsed();
        Ok(committed)
    }

    /// The state root at `height`.
    pub fn state_root(&self, height: u64) -> Result<[u8; 32], LedgerError> {
        Ok(self.tree.root(height)?)
    }

    /// A proof bundle for state `keys` at committed `height` (≥ 1: the genesis header has no
    /// certificate): the header, its certificate and each key's value or absence with proofs.
    pub fn prove(&self, keys: &[Vec<u8>], height: u64) -> Result<ProofBundle, LedgerError> {
        let (header, certificate) = self
            .store()
            .certified_header(height)?
            .ok_or(LedgerError::UnknownHeight { height })?;
        let certificate = certificate.ok_or(LedgerError::UnknownHeight { height })?;
        let mut entries = Vec::with_capacity(keys.len());
        for key in keys {
            let (value, proof) = self.tree.get_with_proof(key, height)?;
            entries.push(ProofEntry {
                key: key.clone(),
                value,
                proof,
            });
        }
        Ok(ProofBundle {
            header,
            certificate,
            entries,
        })
    }
}
