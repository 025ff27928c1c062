//! How the ledger schedules a block's work on the cores: the state machine's primitives
//! ([`State::draft`], [`State::apply_assuming_valid`], [`State::apply_prepared`]) and the
//! signature-batch primitive (`state/signatures.rs`) arranged in parallel.
//!
//! - [`prepare_block`] (a block decided elsewhere): drafts the transactions on every core and
//!   checks each core's share of signatures as a batch, then the ledger applies them in order;
//! - [`apply_block_speculatively`] (a block this node produces): one core checks the
//!   signatures while the other applies the block as if they were valid and updates the state
//!   tree, and the block is applied again with the real verdicts if one was not.
//!
//! Either way the outcome of every transaction is the one [`State::apply`] gives in order.

use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::time::{Duration, Instant};

use crosscode_core::keys::PublicKey;

use crate::records::DidRecord;
use crate::state::signatures::{self, MIN_BATCH, SignatureJob};
use crate::state::{BlockContext, Draft, Effects, PreparedTransaction, Rejection, State};
use crate::transaction::SignedTransaction;

/// Fewest transactions worth a thread of their own in [`prepare_block`].
const MIN_TRANSACTIONS_PER_THREAD: usize = 64;

/// Signatures per share of a block's checks (one call of `signatures::verify_all`): Ed25519
/// shares are large (each batch pays a fixed torsion test), other shares small (one by one
/// checks), and there are a few shares per core so the cores finish together.
fn verify_chunk(jobs: &[SignatureJob<'_>]) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_share = jobs.len().div_ceil(2 * cores).max(1);
    if jobs
        .iter()
        .all(|job| matches!(job.key, PublicKey::Ed25519(_)))
    {
        per_share.clamp(MIN_BATCH * 8, 2048)
    } else {
        per_share.clamp(16, 256)
    }
}

/// Runs `f` on `items` split in order across the cores (inline below
/// [`MIN_TRANSACTIONS_PER_THREAD`] items per thread); the results in order.
fn in_parallel<T: Send, R: Send>(items: Vec<T>, f: impl Fn(Vec<T>) -> Vec<R> + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(items.len() / MIN_TRANSACTIONS_PER_THREAD).max(1);
    if threads == 1 {
        return f(items);
    }
    let chunk = items.len().div_ceil(threads);
    let mut parts: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut rest = items.into_iter();
    loop {
        let part: Vec<T> = rest.by_ref().take(chunk).collect();
        if part.is_empty() {
            break;
        }
        parts.push(part);
    }
    let mut parts = parts.into_iter();
    let own = parts.next().unwrap_or_default();
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts.map(|part| scope.spawn(move || f(part))).collect();
        let mut results = f(own);
        for handle in handles {
            match handle.join() {
                Ok(part) => results.extend(part),
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        results
    })
}

/// Where each check of [`signature_jobs`] goes: (draft index, evidence rather than
/// transaction signature).
type Slot = (usize, bool);

/// The signature checks the drafts ask for, with their slots.
fn signature_jobs(drafts: &[Draft]) -> (Vec<SignatureJob<'_>>, Vec<Slot>) {
    let mut jobs = Vec::with_capacity(drafts.len());
    let mut slots = Vec::with_capacity(drafts.len());
    for (index, draft) in drafts.iter().enumerate() {
        if let Some((key, message)) = &draft.signature {
            jobs.push(SignatureJob {
                key,
                message,
                signature: &draft.transaction().signature,
            });
            slots.push((index, false));
        }
        if let (Some((key, message)), Some(signature)) =
            (&draft.evidence, draft.evidence_signature())
        {
            jobs.push(SignatureJob {
                key,
                message,
                signature,
            });
            slots.push((index, true));
        }
    }
    (jobs, slots)
}

/// The drafts with their verdicts: prepared transactions.
fn settle_drafts(drafts: Vec<Draft>, verdicts: Vec<(Slot, bool)>) -> Vec<PreparedTransaction> {
    let mut found: Vec<(Option<bool>, Option<bool>)> = vec![(None, None); drafts.len()];
    for ((index, evidence), valid) in verdicts {
        if let Some(slot) = found.get_mut(index) {
            if evidence {
                slot.1 = Some(valid);
            } else {
                slot.0 = Some(valid);
            }
        }
    }
    drafts
        .into_iter()
        .zip(found)
        .map(|(draft, (signature, evidence))| draft.settle(signature, evidence))
        .collect()
}

/// Checks the drafts' signatures together (see `signatures::verify_all`).
fn check_drafts(drafts: Vec<Draft>) -> Vec<PreparedTransaction> {
    let verdicts = {
        let (jobs, slots) = signature_jobs(&drafts);
        let verdicts = signatures::verify_all(&jobs);
        slots.into_iter().zip(verdicts).collect()
    };
    settle_drafts(drafts, verdicts)
}

/// Prepares a block's transactions on every core ([`State::prepare`] for each, in order),
/// checking the Ed25519 signatures of each core's share as a batch with exactly the verdicts of
/// one-by-one strict verification (see `state/signatures.rs`).
pub(crate) fn prepare_block(
    state: &State,
    txs: Vec<SignedTransaction>,
) -> Vec<PreparedTransaction> {
    in_parallel(txs, |part| {
        check_drafts(part.into_iter().map(|tx| state.draft(tx)).collect())
    })
}

/// Where the time of [`apply_block_speculatively`] went.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SpeculationTimings {
    /// Drafting on every core.
    pub draft: Duration,
    /// The speculative apply (signatures being checked on the other core meanwhile).
    pub apply: Duration,
    /// `after_apply` (checks still running on the other core).
    pub after_apply: Duration,
    /// Helping with, then waiting for, the last checks.
    pub verify_wait: Duration,
    /// Applying again after a failed speculation.
    pub redo: Duration,
}

/// What [`apply_block_speculatively`] did.
pub(crate) struct SpeculativeBlock<T> {
    /// Each transaction with its hash and its outcome, in order.
    pub applied: Vec<(SignedTransaction, [u8; 32], Result<Effects, Rejection>)>,
    /// `after_apply`'s result, if the speculation held.
    pub computed: Option<T>,
    /// Where the time went.
    pub timings: SpeculationTimings,
}

/// Applies a block's transactions to `state` while their signatures are being checked, and
/// runs `after_apply` (e.g. the state-tree update) on the applied state meanwhile.
///
/// The transactions are drafted on every core (hashes, the keys the state names now), then one
/// thread checks the signatures while this one applies the transactions *as if* every
/// signature checked ahead were valid and runs `after_apply`, then helps with the checks. If
/// every signature checked ahead is valid, the speculation was exactly the real apply (apply
/// uses a verdict only for the very key it was checked against, and they were all "valid"):
/// the outcomes stand and `after_apply`'s result is returned. Otherwise the block's changes are
/// rolled back and the transactions applied again with the real verdicts (and no
/// `after_apply` result). Either way the outcomes are those of [`State::apply`] in order.
pub(crate) fn apply_block_speculatively<T>(
    state: &mut State,
    ctx: &BlockContext,
    txs: Vec<SignedTransaction>,
    after_apply: impl FnOnce(&State) -> T,
) -> SpeculativeBlock<T> {
    let mut timings = SpeculationTimings::default();
    let start = Instant::now();
    let mut drafts = {
        let state = &*state;
        in_parallel(txs, |part| {
            part.into_iter().map(|tx| state.draft(tx)).collect()
        })
    };
    let mut senders: Vec<Option<(Vec<u8>, DidRecord)>> =
        drafts.iter_mut().map(Draft::take_sender).collect();
    timings.draft = start.elapsed();
    let (verdicts, outcomes, computed) = {
        let (jobs, slots) = signature_jobs(&drafts);
        let chunk = verify_chunk(&jobs);
        let chunks: Vec<Range<usize>> = (0..jobs.len())
            .step_by(chunk)
            .map(|from| from..(from + chunk).min(jobs.len()))
            .collect();
        let results: Vec<Mutex<Option<Vec<bool>>>> =
            chunks.iter().map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let work = &|| {
            loop {
                let index = next.fetch_add(1, AtomicOrdering::Relaxed);
                let Some(range) = chunks.get(index) else {
                    return;
                };
                let verdicts = signatures::verify_all(&jobs[range.clone()]);
                if let Some(slot) = results.get(index)
                    && let Ok(mut slot) = slot.lock()
                {
                    *slot = Some(verdicts);
                }
            }
        };
        let (outcomes, computed) = std::thread::scope(|scope| {
            let worker = scope.spawn(work);
            let apply_start = Instant::now();
            let outcomes: Vec<Result<Effects, Rejection>> = drafts
                .iter()
                .zip(senders.iter_mut())
                .map(|(draft, sender)| state.apply_assuming_valid(ctx, draft, sender.take()))
                .collect();
            timings.apply = apply_start.elapsed();
            let after_start = Instant::now();
            let computed = after_apply(state);
            timings.after_apply = after_start.elapsed();
            let wait_start = Instant::now();
            work();
            if let Err(payload) = worker.join() {
                std::panic::resume_unwind(payload);
            }
            timings.verify_wait = wait_start.elapsed();
            (outcomes, computed)
        });
        let verdicts: Vec<bool> = results
            .into_iter()
            .flat_map(|slot| slot.into_inner().ok().flatten().unwrap_or_default())
            .collect();
        let verdicts = if verdicts.len() == slots.len() {
            Some(slots.into_iter().zip(verdicts).collect::<Vec<_>>())
        } else {
            None
        };
        (verdicts, outcomes, computed)
    };
    match verdicts {
        Some(verdicts) if verdicts.iter().all(|(_, valid)| *valid) => SpeculativeBlock {
            applied: drafts
                .into_iter()
                .zip(outcomes)
                .map(|(draft, outcome)| {
                    let hash = draft.hash();
                    (draft.settle(None, None).into_transaction(), hash, outcome)
                })
                .collect(),
            computed: Some(computed),
            timings,
        },
        verdicts => {
            // A signature checked ahead is invalid (or a check went missing): apply again with
            // the real verdicts.
            let redo = Instant::now();
            state.rollback_changes();
            let prepared = match verdicts {
                Some(verdicts) => settle_drafts(drafts, verdicts),
                None => check_drafts(drafts),
            };
            let applied = prepared
                .into_iter()
                .map(|mut prepared| {
                    let outcome = state.apply_prepared(ctx, &mut prepared);
                    let hash = prepared.hash();
                    (prepared.into_transaction(), hash, outcome)
                })
                .collect();
            timings.redo = redo.elapsed();
            SpeculativeBlock {
                applied,
                computed: None,
                timings,
            }
        }
    }
}
