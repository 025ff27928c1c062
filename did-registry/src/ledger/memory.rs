//! The in-memory ledger store ([`MemoryStore`]): for tests, benchmarks and tools that keep a
//! chain only while they run.

use std::collections::BTreeMap;
use std::sync::RwLock;

use jmt::storage::{LeafNode, Node, NodeBatch, NodeKey, TreeReader};
use jmt::{KeyHash, OwnedValue, Version};

use super::{BlockCommit, CertifiedHeader, CommittedBlock, LedgerStore, StateEntries, TxReceipt};
use crate::tree::{MemoryTreeStore, TreeError, TreeStore};

#[derive(Debug, Default)]
struct MemoryLedger {
    blocks: BTreeMap<u64, CommittedBlock>,
    state: BTreeMap<Vec<u8>, Vec<u8>>,
    transactions: BTreeMap<[u8; 32], TxReceipt>,
}

/// An in-memory [`LedgerStore`].
#[derive(Debug, Default)]
pub struct MemoryStore {
    tree: MemoryTreeStore,
    ledger: RwLock<MemoryLedger>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

fn poisoned() -> TreeError {
    TreeError::Storage {
        message: "store lock poisoned".into(),
    }
}

impl TreeReader for MemoryStore {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        self.tree.get_node_option(node_key)
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        self.tree.get_value_option(max_version, key_hash)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        self.tree.get_rightmost_leaf()
    }
}

impl TreeStore for MemoryStore {
    fn write_tree_batch(&self, batch: &NodeBatch) -> Result<(), TreeError> {
        self.tree.write_tree_batch(batch)
    }
}

impl LedgerStore for MemoryStore {
    fn commit_block(&self, commit: &BlockCommit<'_>) -> Result<(), TreeError> {
        let mut ledger = self.ledger.write().map_err(|_| poisoned())?;
        self.tree.write_tree_batch(commit.tree)?;
        let height = commit.block.block.header.height;
        ledger.blocks.insert(height, commit.block.clone());
        if let Some(previous) = commit.previous_certificate
            && let Some(block) = ledger.blocks.get_mut(&height.saturating_sub(1))
        {
            block.certificate = Some(previous.clone());
        }
        for (index, (hash, events)) in commit.tx_hashes.iter().zip(commit.tx_events).enumerate() {
            let receipt = TxReceipt {
                height,
                index: u32::try_from(index).unwrap_or(u32::MAX),
                events: events.clone(),
            };
            ledger.transactions.insert(*hash, receipt);
        }
        for (key, value) in commit.state_changes {
            match value {
                Some(value) => {
                    ledger.state.insert(key.clone(), value.clone());
                }
                None => {
                    ledger.state.remove(key);
                }
            }
        }
        Ok(())
    }

    fn block(&self, height: u64) -> Result<Option<CommittedBlock>, TreeError> {
        let ledger = self.ledger.read().map_err(|_| poisoned())?;
        Ok(ledger.blocks.get(&height).cloned())
    }

    fn certified_header(&self, height: u64) -> Result<Option<CertifiedHeader>, TreeError> {
        let ledger = self.ledger.read().map_err(|_| poisoned())?;
        Ok(ledger.blocks.get(&height).map(|committed| {
            (
                committed.block.header.clone(),
                committed.certificate.clone(),
            )
        }))
    }

    fn head_height(&self) -> Result<Option<u64>, TreeError> {
        let ledger = self.ledger.read().map_err(|_| poisoned())?;
        Ok(ledger.blocks.keys().next_back().copied())
    }

    fn state_entries(&self) -> Result<StateEntries, TreeError> {
        let ledger = self.ledger.read().map_err(|_| poisoned())?;
        Ok(ledger
            .state
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn transaction_receipt(&self, tx_hash: &[u8; 32]) -> Result<Option<TxReceipt>, TreeError> {
        let ledger = self.ledger.read().map_err(|_| poisoned())?;
        Ok(ledger.transactions.get(tx_hash).cloned())
    }
}
