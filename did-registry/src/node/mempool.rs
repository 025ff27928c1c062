//! The mempool: transactions waiting for a block (bounded, deduplicated by hash), the hashes
//! of those in the block being produced, and the statuses of recently rejected ones.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::api::RejectionCode;
use crate::transaction::SignedTransaction;

/// Why a submission is not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AdmitError {
    /// No room for the transactions.
    Full,
    /// The node is stopping.
    Closed,
}

/// A rejected transaction's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RejectedStatus {
    pub(crate) code: RejectionCode,
    pub(crate) message: String,
}

/// See the module docs.
#[derive(Debug)]
pub(crate) struct Mempool {
    queue: VecDeque<([u8; 32], SignedTransaction)>,
    /// Queued and in the block being produced.
    pending: HashSet<[u8; 32]>,
    rejected: HashMap<[u8; 32], RejectedStatus>,
    rejected_order: VecDeque<[u8; 32]>,
    capacity: usize,
    rejected_capacity: usize,
    closed: bool,
}

impl Mempool {
    pub(crate) fn new(capacity: usize, rejected_capacity: usize) -> Self {
        Self {
            queue: VecDeque::new(),
            pending: HashSet::new(),
            rejected: HashMap::new(),
            rejected_order: VecDeque::new(),
            capacity,
            rejected_capacity,
            closed: false,
        }
    }

    /// Admits all of `txs` or none: transactions already pending are skipped (a resubmission
    /// is not an error), the others must all fit.
    pub(crate) fn admit(
        &mut self,
        txs: Vec<([u8; 32], SignedTransaction)>,
    ) -> Result<(), AdmitError> {
        if self.closed {
            return Err(AdmitError::Closed);
        }
        let mut fresh: HashSet<[u8; 32]> = HashSet::new();
        let new: Vec<([u8; 32], SignedTransaction)> = txs
            .into_iter()
            .filter(|(hash, _)| !self.pending.contains(hash) && fresh.insert(*hash))
            .collect();
        if self.queue.len() + new.len() > self.capacity {
            return Err(AdmitError::Full);
        }
        for (hash, tx) in new {
            self.pending.insert(hash);
            self.rejected.remove(&hash);
            self.queue.push_back((hash, tx));
        }
        Ok(())
    }

    /// Transactions waiting (not counting the block in progress).
    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether nothing waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Takes up to `max` waiting transactions for a block; they stay pending until
    /// [`Mempool::finish`].
    pub(crate) fn take(&mut self, max: usize) -> Vec<([u8; 32], SignedTransaction)> {
        let n = max.min(self.queue.len());
        self.queue.drain(..n).collect()
    }

    /// The block with `hashes` is committed; `rejected` were left out.
    pub(crate) fn finish(
        &mut self,
        hashes: impl IntoIterator<Item = [u8; 32]>,
        rejected: Vec<([u8; 32], RejectedStatus)>,
    ) {
        for (hash, status) in rejected {
            if self.rejected.insert(hash, status).is_none() {
                self.rejected_order.push_back(hash);
            }
        }
        while self.rejected_order.len() > self.rejected_capacity {
            if let Some(old) = self.rejected_order.pop_front() {
                self.rejected.remove(&old);
            }
        }
        for hash in hashes {
            self.pending.remove(&hash);
        }
    }

    /// Whether `hash` waits or is in the block being produced.
    pub(crate) fn is_pending(&self, hash: &[u8; 32]) -> bool {
        self.pending.contains(hash)
    }

    /// The rejection of `hash`, if recently rejected.
    pub(crate) fn rejection(&self, hash: &[u8; 32]) -> Option<RejectedStatus> {
        self.rejected.get(hash).cloned()
    }

    /// Refuses further submissions.
    pub(crate) fn close(&mut self) {
        self.closed = true;
    }
}
