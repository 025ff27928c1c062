//! The mempool: transactions waiting for a block (bounded in count and in bytes, deduplicated
//! by hash), the hashes of those in the block being produced, and the statuses of recently
//! rejected ones (the oldest rejection forgotten first).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use crosscode_did_registry::api::RejectionCode;
use crosscode_did_registry::transaction::SignedTransaction;

/// Why a submission is not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AdmitError {
    /// No room for the transactions (count or bytes).
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

/// A transaction offered to the mempool: its hash, the transaction and its encoded size.
#[derive(Debug, Clone)]
pub(crate) struct Submission<T = SignedTransaction> {
    pub(crate) hash: [u8; 32],
    pub(crate) tx: T,
    pub(crate) bytes: usize,
}

/// See the module docs.
#[derive(Debug)]
pub(crate) struct Mempool<T = SignedTransaction> {
    queue: VecDeque<Submission<T>>,
    /// Queued and in the block being produced.
    pending: HashSet<[u8; 32]>,
    /// Rejection statuses, with their place in `rejected_order`.
    rejected: HashMap<[u8; 32], (u64, RejectedStatus)>,
    /// Rejected hashes, oldest rejection first (one place per hash).
    rejected_order: BTreeMap<u64, [u8; 32]>,
    next_rejection: u64,
    capacity: usize,
    byte_budget: usize,
    queued_bytes: usize,
    rejected_capacity: usize,
    closed: bool,
}

impl<T> Mempool<T> {
    /// A mempool of at most `capacity` transactions and `byte_budget` bytes, remembering the
    /// last `rejected_capacity` rejections.
    pub(crate) fn new(capacity: usize, byte_budget: usize, rejected_capacity: usize) -> Self {
        Self {
            queue: VecDeque::new(),
            pending: HashSet::new(),
            rejected: HashMap::new(),
            rejected_order: BTreeMap::new(),
            next_rejection: 0,
            capacity,
            byte_budget,
            queued_bytes: 0,
            rejected_capacity,
            closed: false,
        }
    }

    /// Admits all of `txs` or none: transactions already pending are skipped (a resubmission
    /// is not an error), the others must all fit (count and bytes).
    pub(crate) fn admit(&mut self, txs: Vec<Submission<T>>) -> Result<(), AdmitError> {
        if self.closed {
            return Err(AdmitError::Closed);
        }
        let mut fresh: HashSet<[u8; 32]> = HashSet::new();
        let new: Vec<Submission<T>> = txs
            .into_iter()
            .filter(|s| !self.pending.contains(&s.hash) && fresh.insert(s.hash))
            .collect();
        let new_bytes = new
            .iter()
            .fold(0usize, |sum, s| sum.saturating_add(s.bytes));
        if self.queue.len().saturating_add(new.len()) > self.capacity
            || self.queued_bytes.saturating_add(new_bytes) > self.byte_budget
        {
            return Err(AdmitError::Full);
        }
        self.queued_bytes += new_bytes;
        for submission in new {
            // A rejection stays on record: the pending status answers first while it waits.
            self.pending.insert(submission.hash);
            self.queue.push_back(submission);
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
    pub(crate) fn take(&mut self, max: usize) -> Vec<([u8; 32], T)> {
        let n = max.min(self.queue.len());
        self.queue
            .drain(..n)
            .map(|s| {
                self.queued_bytes = self.queued_bytes.saturating_sub(s.bytes);
                (s.hash, s.tx)
            })
            .collect()
    }

    /// The block with `hashes` is committed; `rejected` were left out.
    pub(crate) fn finish(
        &mut self,
        hashes: impl IntoIterator<Item = [u8; 32]>,
        rejected: Vec<([u8; 32], RejectedStatus)>,
    ) {
        for (hash, status) in rejected {
            let place = self.next_rejection;
            self.next_rejection += 1;
            if let Some((old_place, _)) = self.rejected.insert(hash, (place, status)) {
                self.rejected_order.remove(&old_place);
            }
            self.rejected_order.insert(place, hash);
        }
        while self.rejected_order.len() > self.rejected_capacity {
            if let Some((_, old)) = self.rejected_order.pop_first() {
                self.rejected.remove(&old);
            }
        }
        for hash in hashes {
            self.pending.remove(&hash);
        }
    }

    /// Puts transactions taken for a block that was not decided back at the front of the
    /// queue, in their order (they are still pending; the budgets may be exceeded by them).
    pub(crate) fn requeue(&mut self, txs: Vec<Submission<T>>) {
        for submission in txs.into_iter().rev() {
            if self.pending.contains(&submission.hash) {
                self.queued_bytes = self.queued_bytes.saturating_add(submission.bytes);
                self.queue.push_front(submission);
            }
        }
    }

    /// Drops from the queue the transactions another validator's block committed (a client
    /// may submit one transaction to several validators); they are no longer pending.
    pub(crate) fn committed_elsewhere(&mut self, hashes: &HashSet<[u8; 32]>) {
        if hashes.iter().all(|hash| !self.pending.contains(hash)) {
            return;
        }
        let mut kept = VecDeque::with_capacity(self.queue.len());
        for submission in self.queue.drain(..) {
            if hashes.contains(&submission.hash) {
                self.queued_bytes = self.queued_bytes.saturating_sub(submission.bytes);
                self.pending.remove(&submission.hash);
            } else {
                kept.push_back(submission);
            }
        }
        self.queue = kept;
    }

    /// Whether `hash` waits or is in the block being produced.
    pub(crate) fn is_pending(&self, hash: &[u8; 32]) -> bool {
        self.pending.contains(hash)
    }

    /// The rejection of `hash`, if recently rejected.
    pub(crate) fn rejection(&self, hash: &[u8; 32]) -> Option<RejectedStatus> {
        self.rejected.get(hash).map(|(_, status)| status.clone())
    }

    /// Refuses further submissions (what is queued stays, for the producer to drain).
    pub(crate) fn close(&mut self) {
        self.closed = true;
    }

    /// Whether submissions are refused.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission(byte: u8, bytes: usize) -> Submission<()> {
        Submission {
            hash: [byte; 32],
            tx: (),
            bytes,
        }
    }

    fn rejected(byte: u8) -> ([u8; 32], RejectedStatus) {
        (
            [byte; 32],
            RejectedStatus {
                code: RejectionCode::BadSignature,
                message: format!("rejection {byte}"),
            },
        )
    }

    /// Admits `byte`, takes it into a block and rejects it there.
    fn admit_and_reject(pool: &mut Mempool<()>, byte: u8) {
        pool.admit(vec![submission(byte, 1)]).unwrap();
        let taken = pool.take(10);
        assert_eq!(taken.len(), 1);
        pool.finish([[byte; 32]], vec![rejected(byte)]);
        assert!(!pool.is_pending(&[byte; 32]));
    }

    #[test]
    fn a_resubmitted_and_rejected_again_transaction_is_the_newest_rejection() {
        let mut pool: Mempool<()> = Mempool::new(10, 1000, 2);
        admit_and_reject(&mut pool, 1);
        admit_and_reject(&mut pool, 2);
        // 1 again: re-admitted (pending answers first), rejected again: now the newest.
        pool.admit(vec![submission(1, 1)]).unwrap();
        assert!(pool.is_pending(&[1; 32]));
        assert!(pool.rejection(&[1; 32]).is_some());
        pool.take(10);
        pool.finish([[1; 32]], vec![rejected(1)]);
        assert_eq!(pool.rejected_order.len(), 2);
        // A third rejection evicts the oldest, 2, not the re-rejected 1.
        admit_and_reject(&mut pool, 3);
        assert!(pool.rejection(&[1; 32]).is_some());
        assert!(pool.rejection(&[2; 32]).is_none());
        assert!(pool.rejection(&[3; 32]).is_some());
        assert_eq!(pool.rejected.len(), 2);
        assert_eq!(pool.rejected_order.len(), 2);
    }

    #[test]
    fn rejecting_the_same_transaction_many_times_keeps_one_place() {
        let mut pool: Mempool<()> = Mempool::new(10, 1000, 2);
        for _ in 0..5 {
            admit_and_reject(&mut pool, 7);
        }
        assert_eq!(pool.rejected_order.len(), 1);
        admit_and_reject(&mut pool, 8);
        assert!(pool.rejection(&[7; 32]).is_some());
        assert!(pool.rejection(&[8; 32]).is_some());
    }

    #[test]
    fn admission_is_bounded_by_count_and_by_bytes() {
        let mut pool: Mempool<()> = Mempool::new(3, 100, 10);
        assert_eq!(
            pool.admit(vec![submission(1, 60), submission(2, 60)]),
            Err(AdmitError::Full)
        );
        assert!(pool.is_empty());
        pool.admit(vec![submission(1, 60)]).unwrap();
        assert_eq!(pool.admit(vec![submission(2, 41)]), Err(AdmitError::Full));
        pool.admit(vec![submission(2, 40)]).unwrap();
        // A resubmission of a pending transaction costs nothing.
        pool.admit(vec![submission(1, 60)]).unwrap();
        assert_eq!(pool.len(), 2);
        // Taking frees the bytes.
        pool.take(1);
        pool.admit(vec![submission(3, 60)]).unwrap();
        assert_eq!(
            pool.admit(vec![submission(4, 1), submission(5, 1)]),
            Err(AdmitError::Full)
        );
        pool.close();
        assert_eq!(pool.admit(vec![submission(6, 1)]), Err(AdmitError::Closed));
        assert!(pool.is_closed());
    }
}
