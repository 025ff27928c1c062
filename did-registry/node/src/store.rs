//! [`SharedStore`]: the RocksDB store shared by the ledger (which writes) and the HTTP
//! handlers (which read blocks and the transaction index without taking the ledger lock).

use std::sync::Arc;

use jmt::storage::{LeafNode, Node, NodeBatch, NodeKey, TreeReader};
use jmt::{KeyHash, OwnedValue, Version};

use crate::rocks::RocksStore;
use crosscode_did_registry::ledger::{
    BlockCommit, CertifiedHeader, CommittedBlock, LedgerStore, StateEntries, TxReceipt,
};
use crosscode_did_registry::tree::{TreeError, TreeStore};

/// A [`RocksStore`] behind an [`Arc`]: every clone is the same store.
#[derive(Debug, Clone)]
pub struct SharedStore(Arc<RocksStore>);

impl SharedStore {
    /// Shares `store`.
    pub fn new(store: RocksStore) -> Self {
        Self(Arc::new(store))
    }

    /// The store.
    pub fn rocks(&self) -> &RocksStore {
        &self.0
    }
}

impl TreeReader for SharedStore {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        self.0.get_node_option(node_key)
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        self.0.get_value_option(max_version, key_hash)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        self.0.get_rightmost_leaf()
    }
}

impl TreeStore for SharedStore {
    fn write_tree_batch(&self, batch: &NodeBatch) -> Result<(), TreeError> {
        self.0.write_tree_batch(batch)
    }
}

impl LedgerStore for SharedStore {
    fn commit_block(&self, commit: &BlockCommit<'_>) -> Result<(), TreeError> {
        self.0.commit_block(commit)
    }

    fn block(&self, height: u64) -> Result<Option<CommittedBlock>, TreeError> {
        self.0.block(height)
    }

    fn certified_header(&self, height: u64) -> Result<Option<CertifiedHeader>, TreeError> {
        self.0.certified_header(height)
    }

    fn head_height(&self) -> Result<Option<u64>, TreeError> {
        self.0.head_height()
    }

    fn state_entries(&self) -> Result<StateEntries, TreeError> {
        self.0.state_entries()
    }

    fn transaction_receipt(&self, tx_hash: &[u8; 32]) -> Result<Option<TxReceipt>, TreeError> {
        self.0.transaction_receipt(tx_hash)
    }
}
