//! The block producer: a thread of its own that turns waiting transactions into blocks (or an
//! empty heartbeat block after `heartbeat` without any), commits them and publishes each
//! header and certificate.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crosscode_core::keys::SecretKey;

use super::mempool::RejectedStatus;
use super::{Head, NodeError, Shared};
use crate::api::{BlockEvent, RejectionCode};
use crate::ledger::TxOutcome;
use crate::ordering::SoloOrdering;

/// How long to wait before retrying after a block could not be committed.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

fn unix_now() -> u64 {
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
        .spawn(move || run(&shared, ordering))
        .map_err(NodeError::Producer)
}

fn run(shared: &Shared, mut ordering: SoloOrdering) {
    let heartbeat = shared.node.heartbeat;
    // A fresh chain gets its first block at once (proofs need a certified header).
    let mut last_block = if shared.head().header.height == 0 {
        None
    } else {
        Some(Instant::now())
    };
    loop {
        let batch = {
            let mut pool = shared.lock_mempool();
            loop {
                if shared.is_stopping() {
                    pool.close();
                    return;
                }
                if !pool.is_empty() {
                    break pool.take(shared.node.max_block_transactions);
                }
                let waited = last_block.map_or(heartbeat, |at| at.elapsed());
                if waited >= heartbeat {
                    break Vec::new();
                }
                pool = match shared.wake.wait_timeout(pool, heartbeat - waited) {
                    Ok((guard, _)) => guard,
                    Err(poisoned) => poisoned.into_inner().0,
                };
            }
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
    batch: Vec<([u8; 32], crate::transaction::SignedTransaction)>,
) -> bool {
    let (hashes, candidates): (Vec<[u8; 32]>, Vec<_>) = batch.into_iter().unzip();
    let result = {
        let mut ledger = shared.ledger.blocking_write();
        let time = unix_now().max(ledger.head().time);
        ledger
            .produce_block(candidates, time, ordering)
            .map(|(committed, outcomes)| (committed, outcomes, ledger.validators().ok()))
    };
    match result {
        Ok((committed, outcomes, validators)) => {
            let header = committed.block.header.clone();
            let head = Head {
                hash: header.hash(shared.config.profile),
                header: header.clone(),
                validators: validators.unwrap_or_else(|| shared.head().validators),
            };
            match shared.head.write() {
                Ok(mut slot) => *slot = head,
                Err(poisoned) => *poisoned.into_inner() = head,
            }
            let rejected: Vec<([u8; 32], RejectedStatus)> = outcomes
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
                .collect();
            shared.lock_mempool().finish(hashes, rejected);
            if let Some(certificate) = committed.certificate {
                let transaction_count =
                    u64::try_from(committed.block.transactions.len()).unwrap_or(u64::MAX);
                // No subscriber is not an error.
                let _ = shared.blocks.send(Arc::new(BlockEvent {
                    header,
                    certificate,
                    transaction_count,
                }));
            }
            true
        }
        Err(err) => {
            eprintln!(
                "node: block of {} transactions not committed: {err}",
                hashes.len()
            );
            shared.lock_mempool().finish(hashes, Vec::new());
            false
        }
    }
}
