//! The block producer: a thread of its own that turns waiting transactions into blocks (or an
//! empty heartbeat block after `heartbeat` without any), commits them and publishes each
//! header and certificate.
//!
//! When the node stops (the mempool is closed), the producer drains what was admitted — blocks
//! of whatever still waits — for at most `drain_timeout`, then ends. Whenever the thread ends
//! without a stop having been asked for (a panic), [`ProducerExit`] marks the node stopping
//! (submissions get `503 unavailable`) and wakes [`super::RunningNode::wait`].

use std::sync::Arc;
use std::sync::atomic::Ordering as AtomicOrdering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crosscode_core::keys::SecretKey;

use super::issuers::updated_issuers;
use super::mempool::RejectedStatus;
use super::{Head, NodeError, Shared, SharedStore};
use crosscode_did_registry::api::{BlockEvent, RejectionCode};
use crosscode_did_registry::ledger::{CommittedBlock, Ledger, TxOutcome};
use crosscode_did_registry::ordering::SoloOrdering;
use crosscode_did_registry::transaction::SignedTransaction;

/// How long to wait before retrying after a block could not be committed.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Starts the producer thread.
pub(crate) fn spawn(
    shared: Arc<Shared>,
    validator_key: SecretKey,
) -> Result<std::thread::JoinHandle<()>, NodeError> {
    let ordering = SoloOrdering::new(shared.config.profile, validator_key);
    std::thread::Builder::new()
        .name("block-producer".into())
        .spawn(move || {
            let _exit = ProducerExit { shared: &shared };
            run(&shared, ordering);
        })
        .map_err(NodeError::Producer)
}

/// Dropped when the producer thread ends, however it ends: an end that no stop asked for
/// (a panic) marks the producer failed; either way the node stops taking submissions and
/// [`super::RunningNode::wait`] is woken.
pub(crate) struct ProducerExit<'a> {
    pub(crate) shared: &'a Shared,
}

impl Drop for ProducerExit<'_> {
    fn drop(&mut self) {
        let asked = self.shared.lock_mempool().is_closed();
        if std::thread::panicking() || !asked {
            tracing::error!("node: the block producer stopped; submissions are refused");
            self.shared
                .producer_failed
                .store(true, AtomicOrdering::SeqCst);
        }
        self.shared.request_stop();
        self.shared.producer_exit.notify_one();
    }
}

/// What the producer does next.
enum Next {
    /// Produce a block of these (empty: a heartbeat block).
    Block(Vec<([u8; 32], SignedTransaction)>),
    /// Stop: the node is stopping and nothing is left to drain (or the drain ran out of time).
    Stop,
}

/// Waits for the next thing to do.
fn next(
    shared: &Shared,
    last_block: Option<Instant>,
    drain_deadline: &mut Option<Instant>,
) -> Next {
    let heartbeat = shared.node.heartbeat;
    let max = shared.node.max_block_transactions;
    let mut pool = shared.lock_mempool();
    loop {
        if pool.is_closed() {
            let deadline =
                *drain_deadline.get_or_insert_with(|| Instant::now() + shared.node.drain_timeout);
            if pool.is_empty() {
                return Next::Stop;
            }
            if Instant::now() >= deadline {
                tracing::warn!(
                    waiting = pool.len(),
                    "node: stopping with admitted transactions not committed (drain timeout)"
                );
                return Next::Stop;
            }
            return Next::Block(pool.take(max));
        }
        if !pool.is_empty() {
            return Next::Block(pool.take(max));
        }
        let waited = last_block.map_or(heartbeat, |at| at.elapsed());
        if waited >= heartbeat {
            return Next::Block(Vec::new());
        }
        pool = match shared.wake.wait_timeout(pool, heartbeat - waited) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        };
    }
}

fn run(shared: &Shared, mut ordering: SoloOrdering) {
    // A fresh chain gets its first block at once (proofs need a certified header).
    let mut last_block = if shared.head().header.height == 0 {
        None
    } else {
        Some(Instant::now())
    };
    let mut drain_deadline = None;
    loop {
        let Next::Block(batch) = next(shared, last_block, &mut drain_deadline) else {
            return;
        };
        if produce(shared, &mut ordering, batch) {
            last_block = Some(Instant::now());
        } else {
            std::thread::sleep(RETRY_AFTER_FAILURE);
        }
    }
}

/// Produces, commits and publishes one block of `batch`; `false` if it failed (storage):
/// the batch is then dropped (its transactions are no longer pending; clients resubmit).
fn produce(
    shared: &Shared,
    ordering: &mut SoloOrdering,
    batch: Vec<([u8; 32], SignedTransaction)>,
) -> bool {
    let (hashes, candidates): (Vec<[u8; 32]>, Vec<_>) = batch.into_iter().unzip();
    let previous = shared.head();
    let result = {
        let mut ledger = shared.ledger.blocking_write();
        let time = unix_now().max(ledger.head().time);
        ledger
            .produce_block(candidates, time, ordering)
            .map(|(committed, outcomes)| {
                let head = next_head(shared, &previous, &ledger, &committed);
                (committed, outcomes, head)
            })
    };
    match result {
        Ok((committed, outcomes, head)) => {
            publish(shared, head, &committed, hashes, rejections(outcomes));
            true
        }
        Err(err) => {
            tracing::error!(
                transactions = hashes.len(),
                error = %err,
                "node: block not committed"
            );
            shared.lock_mempool().finish(hashes, Vec::new());
            false
        }
    }
}

/// The rejected candidates among `outcomes`, with their statuses.
pub(crate) fn rejections(outcomes: Vec<TxOutcome>) -> Vec<([u8; 32], RejectedStatus)> {
    outcomes
        .into_iter()
        .filter_map(|outcome| match outcome {
            TxOutcome::Rejected { tx_hash, rejection } => Some((
                tx_hash,
                RejectedStatus {
                    code: RejectionCode::of(&rejection),
                    message: rejection.to_string(),
                },
            )),
            TxOutcome::Committed(_) => None,
        })
        .collect()
}

/// The head after `committed`, read from `ledger` (under its lock): the validators that sign
/// the next block and the admitted issuers.
pub(crate) fn next_head(
    shared: &Shared,
    previous: &Head,
    ledger: &Ledger<SharedStore>,
    committed: &CommittedBlock,
) -> Head {
    let header = committed.block.header.clone();
    let issuers = match updated_issuers(
        ledger.state(),
        &previous.issuers,
        &committed.block.transactions,
    ) {
        Ok(Some(updated)) => Arc::new(updated),
        Ok(None) => Arc::clone(&previous.issuers),
        Err(err) => {
            tracing::error!(error = %err, "node: an issuer record does not decode");
            Arc::clone(&previous.issuers)
        }
    };
    Head {
        hash: header.hash(shared.config.profile),
        header,
        validators: ledger
            .validators()
            .unwrap_or_else(|_| previous.validators.clone()),
        issuers,
    }
}

/// Makes a committed block visible: the new head, the statuses of its transactions
/// (`hashes` no longer pending, `rejected` on record) and the block stream.
pub(crate) fn publish(
    shared: &Shared,
    head: Head,
    committed: &CommittedBlock,
    hashes: Vec<[u8; 32]>,
    rejected: Vec<([u8; 32], RejectedStatus)>,
) {
    let header = head.header.clone();
    match shared.head.write() {
        Ok(mut slot) => *slot = head,
        Err(poisoned) => *poisoned.into_inner() = head,
    }
    tracing::debug!(
        height = header.height,
        transactions = committed.block.transactions.len(),
        rejected = rejected.len(),
        "node: block committed"
    );
    shared.lock_mempool().finish(hashes, rejected);
    if let Some(certificate) = committed.certificate.clone() {
        let transaction_count =
            u64::try_from(committed.block.transactions.len()).unwrap_or(u64::MAX);
        // No subscriber is not an error.
        let _ = shared.blocks.send(Arc::new(BlockEvent {
            header,
            certificate,
            transaction_count,
        }));
    }
}
