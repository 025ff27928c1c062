//! RocksDB storage of the ledger ([`RocksStore`]): one column family per kind of data, and one
//! `WriteBatch` per block, so after a crash a block, its certificate, its tree nodes, its state
//! changes and its index entries are all there or none of them.
//!
//! Column families:
//!
//! | name | key | value |
//! | --- | --- | --- |
//! | `blocks` | height (`u64` BE) | block (canonical encoding) |
//! | `headers` | height (`u64` BE) | the block's header alone (proof bundles read it) |
//! | `certificates` | height (`u64` BE) | commit certificate |
//! | `tree_nodes` | `NodeKey` (borsh) | `Node` (borsh) |
//! | `tree_values` | key hash ‖ version (`u64` BE) | `0` (deleted) or `1` ‖ value |
//! | `state` | state key | current value |
//! | `indexes` | `tx` ‖ transaction hash | the transaction's receipt (`TxReceipt`: height, index in the block, events) |
//! | `meta` | `head` | height of the latest committed block (`u64` BE) |

use std::path::Path;

use jmt::storage::{LeafNode, Node, NodeBatch, NodeKey, TreeReader};
use jmt::{KeyHash, OwnedValue, Version};
use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamilyDescriptor, DB, Direction, IteratorMode, Options,
    WriteBatch, WriteOptions,
};

use crosscode_did_registry::block::{CommitCertificate, Header};
use crosscode_did_registry::codec::{Decode, Encode, Reader, Writer};
use crosscode_did_registry::ledger::{
    Block, BlockCommit, CertifiedHeader, CommittedBlock, LedgerStore, StateEntries, TxReceipt,
};
use crosscode_did_registry::tree::{TreeError, TreeStore};

const CF_BLOCKS: &str = "blocks";
const CF_HEADERS: &str = "headers";
const CF_CERTIFICATES: &str = "certificates";
const CF_TREE_NODES: &str = "tree_nodes";
const CF_TREE_VALUES: &str = "tree_values";
const CF_STATE: &str = "state";
const CF_INDEXES: &str = "indexes";
const CF_META: &str = "meta";
const COLUMN_FAMILIES: [&str; 8] = [
    CF_BLOCKS,
    CF_HEADERS,
    CF_CERTIFICATES,
    CF_TREE_NODES,
    CF_TREE_VALUES,
    CF_STATE,
    CF_INDEXES,
    CF_META,
];
const META_HEAD: &[u8] = b"head";
const INDEX_TX: &[u8] = b"tx";

fn storage(err: impl std::fmt::Display) -> TreeError {
    TreeError::Storage {
        message: err.to_string(),
    }
}

/// Options of the RocksDB store.
#[derive(Debug, Clone, Copy)]
pub struct RocksOptions {
    /// `fsync` the write-ahead log at every block commit (survives power loss, not only a
    /// killed process). Default: `true`.
    pub sync: bool,
}

impl Default for RocksOptions {
    fn default() -> Self {
        Self { sync: true }
    }
}

/// The RocksDB [`LedgerStore`].
pub struct RocksStore {
    db: DB,
    options: RocksOptions,
}

impl std::fmt::Debug for RocksStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocksStore")
            .field("path", &self.db.path())
            .field("options", &self.options)
            .finish()
    }
}

/// Bytes of the block cache shared by the column families.
const BLOCK_CACHE_BYTES: usize = 256 << 20;
/// Bytes of one memtable of the busy column families (tree nodes and values, state, index).
const WRITE_BUFFER_BYTES: usize = 64 << 20;

/// The options of one column family: bloom filters for point reads, a shared block cache, and
/// memtables and level-0 triggers sized for blocks of many thousand writes.
pub fn column_family_options(cache: &Cache) -> Options {
    let mut table = BlockBasedOptions::default();
    table.set_bloom_filter(10.0, false);
    table.set_block_cache(cache);
    table.set_cache_index_and_filter_blocks(true);
    let mut options = Options::default();
    options.set_block_based_table_factory(&table);
    options.set_write_buffer_size(WRITE_BUFFER_BYTES);
    options.set_max_write_buffer_number(4);
    options.set_level_zero_file_num_compaction_trigger(8);
    options.set_level_zero_slowdown_writes_trigger(32);
    options.set_level_zero_stop_writes_trigger(64);
    options.set_target_file_size_base(64 << 20);
    options.set_max_bytes_for_level_base(512 << 20);
    options
}

/// The database options: background flushes and compactions on every core, write-back of
/// table files and of the write-ahead log in 1 MiB steps (no bursts at fsync).
pub fn database_options() -> Options {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut options = Options::default();
    options.create_if_missing(true);
    options.create_missing_column_families(true);
    options.increase_parallelism(i32::try_from(cores).unwrap_or(2));
    options.set_max_background_jobs(i32::try_from(cores.max(2)).unwrap_or(2));
    options.set_bytes_per_sync(1 << 20);
    options.set_wal_bytes_per_sync(1 << 20);
    options
}

impl RocksStore {
    /// Opens (creating if needed) the store in directory `path`.
    pub fn open(path: &Path, options: RocksOptions) -> Result<RocksStore, TreeError> {
        let cache = Cache::new_lru_cache(BLOCK_CACHE_BYTES);
        let families = COLUMN_FAMILIES
            .iter()
            .map(|name| ColumnFamilyDescriptor::new(*name, column_family_options(&cache)));
        let db = DB::open_cf_descriptors(&database_options(), path, families).map_err(storage)?;
        Ok(RocksStore { db, options })
    }

    fn cf(&self, name: &'static str) -> Result<&rocksdb::ColumnFamily, TreeError> {
        self.db.cf_handle(name).ok_or_else(|| TreeError::Storage {
            message: format!("missing column family {name}"),
        })
    }

    fn get(&self, cf: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, TreeError> {
        self.db.get_cf(self.cf(cf)?, key).map_err(storage)
    }
}

fn value_key(key_hash: &KeyHash, version: Version) -> [u8; 40] {
    let mut key = [0u8; 40];
    key[..32].copy_from_slice(&key_hash.0);
    key[32..].copy_from_slice(&version.to_be_bytes());
    key
}

fn decode_value(bytes: &[u8]) -> Result<Option<OwnedValue>, TreeError> {
    match bytes.split_first() {
        Some((0, [])) => Ok(None),
        Some((1, rest)) => Ok(Some(rest.to_vec())),
        _ => Err(TreeError::Storage {
            message: "corrupt tree value".into(),
        }),
    }
}

fn put_tree_batch(
    store: &RocksStore,
    batch: &mut WriteBatch,
    tree: &NodeBatch,
) -> Result<(), TreeError> {
    let nodes = store.cf(CF_TREE_NODES)?;
    let values = store.cf(CF_TREE_VALUES)?;
    let mut key_bytes = Vec::with_capacity(64);
    let mut node_bytes = Vec::with_capacity(1024);
    for (key, node) in tree.nodes() {
        key_bytes.clear();
        node_bytes.clear();
        borsh::to_writer(&mut key_bytes, key).map_err(storage)?;
        borsh::to_writer(&mut node_bytes, node).map_err(storage)?;
        batch.put_cf(nodes, &key_bytes, &node_bytes);
    }
    let mut value_bytes = Vec::with_capacity(256);
    for ((version, key_hash), value) in tree.values() {
        value_bytes.clear();
        match value {
            None => value_bytes.push(0),
            Some(bytes) => {
                value_bytes.push(1);
                value_bytes.extend_from_slice(bytes);
            }
        }
        batch.put_cf(values, value_key(key_hash, *version), &value_bytes);
    }
    Ok(())
}

impl TreeReader for RocksStore {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let key = borsh::to_vec(node_key)?;
        match self.get(CF_TREE_NODES, &key)? {
            Some(bytes) => Ok(Some(borsh::from_slice(&bytes)?)),
            None => Ok(None),
        }
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        let start = value_key(&key_hash, max_version);
        let mut iter = self.db.iterator_cf(
            self.cf(CF_TREE_VALUES)?,
            IteratorMode::From(&start, Direction::Reverse),
        );
        match iter.next() {
            Some(item) => {
                let (key, value) = item?;
                if key.get(..32) == Some(&key_hash.0[..]) {
                    Ok(decode_value(&value)?)
                } else {
                    Ok(None)
                }
            }
            None => Ok(None),
        }
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        let mut best: Option<(NodeKey, LeafNode)> = None;
        for item in self
            .db
            .iterator_cf(self.cf(CF_TREE_NODES)?, IteratorMode::Start)
        {
            let (key, value) = item?;
            if let Node::Leaf(leaf) = borsh::from_slice::<Node>(&value)?
                && best
                    .as_ref()
                    .is_none_or(|(_, b)| leaf.key_hash() > b.key_hash())
            {
                best = Some((borsh::from_slice(&key)?, leaf));
            }
        }
        Ok(best)
    }
}

impl TreeStore for RocksStore {
    fn write_tree_batch(&self, tree: &NodeBatch) -> Result<(), TreeError> {
        let mut batch = WriteBatch::default();
        put_tree_batch(self, &mut batch, tree)?;
        self.db.write(batch).map_err(storage)
    }
}

impl LedgerStore for RocksStore {
    fn commit_block(&self, commit: &BlockCommit<'_>) -> Result<(), TreeError> {
        let mut batch = WriteBatch::with_capacity_bytes(
            commit.tree.nodes().len() * 600 + commit.block.block.transactions.len() * 400,
        );
        put_tree_batch(self, &mut batch, commit.tree)?;
        let height = commit.block.block.header.height;
        let height_key = height.to_be_bytes();
        batch.put_cf(
            self.cf(CF_BLOCKS)?,
            height_key,
            commit.block.block.to_bytes(),
        );
        batch.put_cf(
            self.cf(CF_HEADERS)?,
            height_key,
            commit.block.block.header.to_bytes(),
        );
        if let Some(certificate) = &commit.block.certificate {
            batch.put_cf(
                self.cf(CF_CERTIFICATES)?,
                height_key,
                certificate.to_bytes(),
            );
        }
        if let Some(previous) = commit.previous_certificate {
            batch.put_cf(
                self.cf(CF_CERTIFICATES)?,
                height.saturating_sub(1).to_be_bytes(),
                previous.to_bytes(),
            );
        }
        let state = self.cf(CF_STATE)?;
        for (key, value) in commit.state_changes {
            match value {
                Some(value) => batch.put_cf(state, key, value),
                None => batch.delete_cf(state, key),
            }
        }
        let indexes = self.cf(CF_INDEXES)?;
        let mut key = [0u8; 34];
        key[..2].copy_from_slice(INDEX_TX);
        for (index, (hash, events)) in commit.tx_hashes.iter().zip(commit.tx_events).enumerate() {
            key[2..].copy_from_slice(hash);
            let mut receipt = Writer::new();
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            TxReceipt::encode_parts(&mut receipt, height, index, events);
            batch.put_cf(indexes, key, receipt.into_bytes());
        }
        batch.put_cf(self.cf(CF_META)?, META_HEAD, height_key);
        let mut write_options = WriteOptions::default();
        write_options.set_sync(self.options.sync);
        self.db.write_opt(batch, &write_options).map_err(storage)
    }

    fn block(&self, height: u64) -> Result<Option<CommittedBlock>, TreeError> {
        let key = height.to_be_bytes();
        let Some(bytes) = self.get(CF_BLOCKS, &key)? else {
            return Ok(None);
        };
        let block = Block::from_bytes(&bytes).map_err(storage)?;
        let certificate = self
            .get(CF_CERTIFICATES, &key)?
            .map(|bytes| CommitCertificate::from_bytes(&bytes))
            .transpose()
            .map_err(storage)?;
        Ok(Some(CommittedBlock { block, certificate }))
    }

    fn certified_header(&self, height: u64) -> Result<Option<CertifiedHeader>, TreeError> {
        let key = height.to_be_bytes();
        let header = match self.get(CF_HEADERS, &key)? {
            Some(bytes) => Header::from_bytes(&bytes).map_err(storage)?,
            None => {
                // A store written before the `headers` family: a block is its header then its
                // transactions, so decode the header only.
                let Some(bytes) = self.get(CF_BLOCKS, &key)? else {
                    return Ok(None);
                };
                Header::decode(&mut Reader::new(&bytes)).map_err(storage)?
            }
        };
        let certificate = self
            .get(CF_CERTIFICATES, &key)?
            .map(|bytes| CommitCertificate::from_bytes(&bytes))
            .transpose()
            .map_err(storage)?;
        Ok(Some((header, certificate)))
    }

    fn head_height(&self) -> Result<Option<u64>, TreeError> {
        self.get(CF_META, META_HEAD)?
            .map(|bytes| {
                <[u8; 8]>::try_from(bytes.as_slice())
                    .map(u64::from_be_bytes)
                    .map_err(|_| TreeError::Storage {
                        message: "corrupt head height".into(),
                    })
            })
            .transpose()
    }

    fn state_entries(&self) -> Result<StateEntries, TreeError> {
        self.db
            .iterator_cf(self.cf(CF_STATE)?, IteratorMode::Start)
            .map(|item| item.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(storage))
            .collect()
    }

    fn transaction_receipt(&self, tx_hash: &[u8; 32]) -> Result<Option<TxReceipt>, TreeError> {
        let mut key = INDEX_TX.to_vec();
        key.extend_from_slice(tx_hash);
        let Some(bytes) = self.get(CF_INDEXES, &key)? else {
            return Ok(None);
        };
        TxReceipt::from_bytes(&bytes)
            .map(Some)
            .map_err(|err| TreeError::Storage {
                message: format!("corrupt transaction index: {err}"),
            })
    }
}
