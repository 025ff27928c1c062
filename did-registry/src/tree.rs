//! The state commitment: a versioned sparse Merkle tree (the Jellyfish Merkle Tree of the `jmt`
//! crate), one version per block height, hashed with the chain's profile hash (SHA-256 or
//! SM3 through [`Sha256Hasher`] / [`Sm3Hasher`]). It gives inclusion and exclusion proofs at
//! any committed height ([`StateProof`], verified by [`crate::proof`] without this module).
//!
//! The tree reads nodes through [`TreeStore`] (in memory: [`MemoryTreeStore`]; RocksDB plugs in
//! behind the same trait), and writes go through [`TreeStore::write_tree_batch`] so a block's
//! nodes, values and metadata can land in one storage batch.

use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;

use jmt::storage::{LeafNode, Node, NodeBatch, NodeKey, TreeReader};
use jmt::{JellyfishMerkleTree, KeyHash, OwnedValue, SimpleHasher, Version};

use crate::profile::CryptoProfile;
use crate::proof::StateProof;

/// Errors of the state tree and its store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// No tree root at this version (not committed yet, or pruned).
    #[error("no state tree root at height {height}")]
    MissingRoot {
        /// The version asked for.
        height: u64,
    },
    /// The store failed or the tree is inconsistent.
    #[error("state tree storage: {message}")]
    Storage {
        /// What went wrong.
        message: String,
    },
    /// A proof from the tree does not have the expected shape.
    #[error("unexpected state proof shape")]
    ProofShape,
}

fn storage(err: impl std::fmt::Display) -> TreeError {
    TreeError::Storage {
        message: err.to_string(),
    }
}

/// SHA-256 for the tree (standard profile).
#[derive(Debug, Clone)]
pub struct Sha256Hasher(sha2::Sha256);

impl SimpleHasher for Sha256Hasher {
    fn new() -> Self {
        Sha256Hasher(<sha2::Sha256 as sha2::Digest>::new())
    }
    fn update(&mut self, data: &[u8]) {
        sha2::Digest::update(&mut self.0, data);
    }
    fn finalize(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(&sha2::Digest::finalize(self.0));
        out
    }
}

/// SM3 for the tree (GuoMi profile).
#[derive(Debug, Clone)]
pub struct Sm3Hasher(sm3::Sm3);

impl SimpleHasher for Sm3Hasher {
    fn new() -> Self {
        Sm3Hasher(<sm3::Sm3 as sm3::Digest>::new())
    }
    fn update(&mut self, data: &[u8]) {
        sm3::Digest::update(&mut self.0, data);
    }
    fn finalize(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(&sm3::Digest::finalize(self.0));
        out
    }
}

/// Storage of the tree: the `jmt` reader plus an atomic batch write.
pub trait TreeStore: TreeReader {
    /// Writes one block's tree nodes and values atomically.
    fn write_tree_batch(&self, batch: &NodeBatch) -> Result<(), TreeError>;
}

#[derive(Debug, Default)]
struct MemoryTree {
    nodes: HashMap<NodeKey, Node>,
    values: BTreeMap<(KeyHash, Version), Option<OwnedValue>>,
}

/// An in-memory [`TreeStore`].
#[derive(Debug, Default)]
pub struct MemoryTreeStore {
    inner: RwLock<MemoryTree>,
}

impl MemoryTreeStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of stored tree nodes.
    pub fn node_count(&self) -> usize {
        self.inner.read().map(|t| t.nodes.len()).unwrap_or(0)
    }
}

impl TreeReader for MemoryTreeStore {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let tree = self
            .inner
            .read()
            .map_err(|_| anyhow::anyhow!("tree store lock poisoned"))?;
        Ok(tree.nodes.get(node_key).cloned())
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        let tree = self
            .inner
            .read()
            .map_err(|_| anyhow::anyhow!("tree store lock poisoned"))?;
        Ok(tree
            .values
            .range((key_hash, 0)..=(key_hash, max_version))
            .next_back()
            .and_then(|(_, value)| value.clone()))
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        let tree = self
            .inner
            .read()
            .map_err(|_| anyhow::anyhow!("tree store lock poisoned"))?;
        Ok(tree
            .nodes
            .iter()
            .filter_map(|(key, node)| match node {
                Node::Leaf(leaf) => Some((key.clone(), leaf.clone())),
                _ => None,
            })
            .max_by_key(|(_, leaf)| leaf.key_hash()))
    }
}

impl TreeStore for MemoryTreeStore {
    fn write_tree_batch(&self, batch: &NodeBatch) -> Result<(), TreeError> {
        let mut tree = self.inner.write().map_err(|_| TreeError::Storage {
            message: "tree store lock poisoned".into(),
        })?;
        for (key, node) in batch.nodes() {
            tree.nodes.insert(key.clone(), node.clone());
        }
        for ((version, key_hash), value) in batch.values() {
            tree.values.insert((*key_hash, *version), value.clone());
        }
        Ok(())
    }
}

/// The key hash of a state key: the profile hash of its bytes.
pub fn key_hash(profile: CryptoProfile, key: &[u8]) -> [u8; 32] {
    profile.hash(&[key])
}

/// Most tree nodes [`StateTree`] keeps in memory (an internal node takes about 1 KiB, a leaf
/// about 200 bytes; a state of `n` keys has `n` leaves and about `n / 10` internal nodes).
pub const NODE_CACHE_CAPACITY: usize = 1 << 20;

/// The nodes of the latest tree kept in memory, so an update reads the paths it rewrites
/// without going to the store. Nodes are immutable under their key (version and path), so a
/// cached node is always the stored one; only committed nodes and nodes read from the store
/// enter the cache, nodes an update makes stale leave it, and when it is full it starts over.
#[derive(Debug, Default)]
pub(crate) struct NodeCache {
    nodes: HashMap<NodeKey, Node>,
}

/// Reads through the node cache; an update's reader fills it from the store (a proof's does
/// not: older heights read nodes the latest tree no longer holds).
struct CachedReader<'a, S: TreeStore> {
    store: &'a S,
    cache: &'a RwLock<NodeCache>,
    fill: bool,
}

impl<S: TreeStore> TreeReader for CachedReader<'_, S> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        if let Ok(cache) = self.cache.read()
            && let Some(node) = cache.nodes.get(node_key)
        {
            return Ok(Some(node.clone()));
        }
        let node = self.store.get_node_option(node_key)?;
        if self.fill
            && let Some(node) = &node
            && let Ok(mut cache) = self.cache.write()
            && cache.nodes.len() < NODE_CACHE_CAPACITY
        {
            cache.nodes.insert(node_key.clone(), node.clone());
        }
        Ok(node)
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        self.store.get_value_option(max_version, key_hash)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        self.store.get_rightmost_leaf()
    }
}

/// [`StateTree::committed`] on the cache alone.
pub(crate) fn cache_committed(cache: &RwLock<NodeCache>, update: &TreeUpdate) {
    let Ok(mut cache) = cache.write() else {
        return;
    };
    for key in &update.stale {
        cache.nodes.remove(key);
    }
    if cache.nodes.len() + update.batch.nodes().len() > NODE_CACHE_CAPACITY {
        cache.nodes.clear();
    }
    for (key, node) in update.batch.nodes() {
        cache.nodes.insert(key.clone(), node.clone());
    }
}

/// The state tree of a chain with `profile` over a store.
#[derive(Debug)]
pub struct StateTree<S: TreeStore> {
    profile: CryptoProfile,
    store: S,
    cache: RwLock<NodeCache>,
}

/// One height's pending tree update: the new root and the nodes to write.
#[derive(Debug, Clone)]
pub struct TreeUpdate {
    /// The state root after the update.
    pub root: [u8; 32],
    /// The nodes and values to write.
    pub batch: NodeBatch,
    /// The nodes of the previous tree this update replaces (kept in the store for proofs at
    /// older heights).
    pub stale: Vec<NodeKey>,
}

impl<S: TreeStore> StateTree<S> {
    /// The tree over `store`.
    pub fn new(profile: CryptoProfile, store: S) -> Self {
        Self {
            profile,
            store,
            cache: RwLock::new(NodeCache::default()),
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Gives the store back.
    pub fn into_store(self) -> S {
        self.store
    }

    /// The crypto profile.
    pub fn profile(&self) -> CryptoProfile {
        self.profile
    }

    /// Computes the tree at `height` from the tree at `height - 1` and `changes` (`None`
    /// deletes), without writing anything.
    pub fn compute_update(
        &self,
        height: u64,
        changes: &[(Vec<u8>, Option<Vec<u8>>)],
    ) -> Result<TreeUpdate, TreeError> {
        let (root, batch) = match self.profile {
            CryptoProfile::Standard => self.put_changes::<Sha256Hasher>(height, changes)?,
            CryptoProfile::GuoMi => self.put_changes::<Sm3Hasher>(height, changes)?,
        };
        Ok(TreeUpdate {
            root: root.0,
            batch: batch.node_batch,
            stale: batch
                .stale_node_index_batch
                .into_iter()
                .map(|stale| stale.node_key)
                .collect(),
        })
    }

    /// Records that `update` is committed in the store: its nodes join the in-memory copy of
    /// the latest tree and the nodes it replaced leave it. Call it only once the store holds
    /// the update (an update computed but never committed must not be cached), or undo it with
    /// [`StateTree::forget`].
    pub fn committed(&self, update: &TreeUpdate) {
        cache_committed(&self.cache, update);
    }

    /// The in-memory nodes (to update them on another thread while the store commits).
    pub(crate) fn node_cache(&self) -> &RwLock<NodeCache> {
        &self.cache
    }

    /// One version's update with hasher `H`. Without deletions the whole change set goes in
    /// one pass (`batch_put_value_sets`: every touched internal node is hashed once);
    /// otherwise key by key (`put_value_set`, which also deletes). Both give the same tree.
    fn put_changes<H: SimpleHasher>(
        &self,
        height: u64,
        changes: &[(Vec<u8>, Option<Vec<u8>>)],
    ) -> Result<(jmt::RootHash, jmt::storage::TreeUpdateBatch), TreeError> {
        let reader = CachedReader {
            store: &self.store,
            cache: &self.cache,
            fill: true,
        };
        let tree = JellyfishMerkleTree::<_, H>::new(&reader);
        let inserts: Option<Vec<(KeyHash, OwnedValue)>> = changes
            .iter()
            .map(|(key, value)| {
                value
                    .as_ref()
                    .map(|value| (KeyHash(key_hash(self.profile, key)), value.clone()))
            })
            .collect();
        match inserts {
            Some(set) if !set.is_empty() => {
                let (mut roots, batch) = tree
                    .batch_put_value_sets(vec![set], None, height)
                    .map_err(storage)?;
                let root = roots.pop().ok_or_else(|| TreeError::Storage {
                    message: "no root computed".into(),
                })?;
                Ok((root, batch))
            }
            _ => {
                let set: Vec<(KeyHash, Option<OwnedValue>)> = changes
                    .iter()
                    .map(|(key, value)| (KeyHash(key_hash(self.profile, key)), value.clone()))
                    .collect();
                tree.put_value_set(set, height).map_err(storage)
            }
        }
    }

    /// Takes the nodes of `update` out of the in-memory tree again (its commit failed after
    /// [`StateTree::committed`]).
    pub fn forget(&self, update: &TreeUpdate) {
        if let Ok(mut cache) = self.cache.write() {
            for key in update.batch.nodes().keys() {
                cache.nodes.remove(key);
            }
        }
    }

    /// Writes a computed update.
    pub fn write(&self, update: &TreeUpdate) -> Result<(), TreeError> {
        self.store.write_tree_batch(&update.batch)?;
        self.committed(update);
        Ok(())
    }

    /// The root at `height`.
    pub fn root(&self, height: u64) -> Result<[u8; 32], TreeError> {
        let root = match self.profile {
            CryptoProfile::Standard => JellyfishMerkleTree::<_, Sha256Hasher>::new(&self.store)
                .get_root_hash_option(height),
            CryptoProfile::GuoMi => {
                JellyfishMerkleTree::<_, Sm3Hasher>::new(&self.store).get_root_hash_option(height)
            }
        }
        .map_err(storage)?;
        root.map(|r| r.0).ok_or(TreeError::MissingRoot { height })
    }

    /// The value of `key` at `height` with its inclusion proof, or `None` with its exclusion
    /// proof.
    pub fn get_with_proof(
        &self,
        key: &[u8],
        height: u64,
    ) -> Result<(Option<Vec<u8>>, StateProof), TreeError> {
        self.root(height)?;
        let hash = KeyHash(key_hash(self.profile, key));
        let reader = CachedReader {
            store: &self.store,
            cache: &self.cache,
            fill: false,
        };
        match self.profile {
            CryptoProfile::Standard => {
                let (value, proof) = JellyfishMerkleTree::<_, Sha256Hasher>::new(&reader)
                    .get_with_proof(hash, height)
                    .map_err(storage)?;
                Ok((value, convert_proof::<Sha256Hasher>(&proof)?))
            }
            CryptoProfile::GuoMi => {
                let (value, proof) = JellyfishMerkleTree::<_, Sm3Hasher>::new(&reader)
                    .get_with_proof(hash, height)
                    .map_err(storage)?;
                Ok((value, convert_proof::<Sm3Hasher>(&proof)?))
            }
        }
    }
}

/// Mirrors of `jmt`'s proof types, to read the sibling nodes (private in `jmt`) through its
/// serde representation.
mod mirror {
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub struct Proof {
        pub leaf: Option<Leaf>,
        pub siblings: Vec<Sibling>,
    }

    #[derive(Deserialize)]
    pub struct Leaf {
        pub key_hash: [u8; 32],
        pub value_hash: [u8; 32],
    }

    #[derive(Deserialize)]
    pub struct Internal {
        pub left_child: [u8; 32],
        pub right_child: [u8; 32],
    }

    #[derive(Deserialize)]
    pub enum Sibling {
        Null,
        Internal(Internal),
        Leaf(Leaf),
    }
}

fn convert_proof<H: SimpleHasher>(
    proof: &jmt::proof::SparseMerkleProof<H>,
) -> Result<StateProof, TreeError> {
    let json = serde_json::to_value(proof).map_err(|_| TreeError::ProofShape)?;
    let mirror: mirror::Proof = serde_json::from_value(json).map_err(|_| TreeError::ProofShape)?;
    let siblings = mirror
        .siblings
        .iter()
        .map(|sibling| match sibling {
            mirror::Sibling::Null => crate::proof::SPARSE_MERKLE_PLACEHOLDER_HASH,
            mirror::Sibling::Internal(node) => {
                let mut h = H::new();
                h.update(crate::proof::INTERNAL_DOMAIN_SEPARATOR);
                h.update(&node.left_child);
                h.update(&node.right_child);
                h.finalize()
            }
            mirror::Sibling::Leaf(leaf) => {
                let mut h = H::new();
                h.update(crate::proof::LEAF_DOMAIN_SEPARATOR);
                h.update(&leaf.key_hash);
                h.update(&leaf.value_hash);
                h.finalize()
            }
        })
        .collect();
    Ok(StateProof {
        leaf: mirror.leaf.map(|l| (l.key_hash, l.value_hash)),
        siblings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(i: u32) -> (Vec<u8>, Option<Vec<u8>>) {
        (
            format!("key-{i}").into_bytes(),
            Some(format!("value-{i}").into_bytes()),
        )
    }

    /// The one-pass update (blocks without deletions) gives the same roots, heights after
    /// heights, as jmt's key-by-key `put_value_set`, and its proofs verify.
    #[test]
    fn one_pass_update_matches_key_by_key_update() {
        for profile in CryptoProfile::ALL {
            let tree = StateTree::new(profile, MemoryTreeStore::new());
            let reference = MemoryTreeStore::new();
            let mut seed = 0x2545_f491_4f6c_dd1du64;
            let mut next = move || {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed
            };
            for height in 0..40u64 {
                // Some new keys, some rewritten ones, a deletion now and then, an empty block.
                let count = if height % 9 == 8 { 0 } else { next() % 60 + 1 };
                let mut changes: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
                for _ in 0..count {
                    let key = format!("key-{}", next() % 400).into_bytes();
                    let value = if height % 7 == 6 && next() % 4 == 0 {
                        None
                    } else {
                        Some(format!("value-{height}-{}", next() % 1000).into_bytes())
                    };
                    changes.insert(key, value);
                }
                let changes: Vec<_> = changes.into_iter().collect();
                let update = tree.compute_update(height, &changes).unwrap();
                tree.write(&update).unwrap();
                let set: Vec<(KeyHash, Option<OwnedValue>)> = changes
                    .iter()
                    .map(|(k, v)| (KeyHash(key_hash(profile, k)), v.clone()))
                    .collect();
                let (root, batch) = match profile {
                    CryptoProfile::Standard => {
                        JellyfishMerkleTree::<_, Sha256Hasher>::new(&reference)
                            .put_value_set(set, height)
                            .unwrap()
                    }
                    CryptoProfile::GuoMi => JellyfishMerkleTree::<_, Sm3Hasher>::new(&reference)
                        .put_value_set(set, height)
                        .unwrap(),
                };
                reference.write_tree_batch(&batch.node_batch).unwrap();
                assert_eq!(update.root, root.0, "{profile:?} height {height}");
                for (key, value) in changes.iter().take(5) {
                    let (found, proof) = tree.get_with_proof(key, height).unwrap();
                    assert_eq!(&found, value);
                    proof
                        .verify(profile, &update.root, key, found.as_deref())
                        .unwrap();
                }
            }
        }
    }

    #[test]
    fn proofs_agree_with_jmt_and_verify_at_every_height() {
        for profile in CryptoProfile::ALL {
            let tree = StateTree::new(profile, MemoryTreeStore::new());
            let genesis = tree.compute_update(0, &[kv(0), kv(1)]).unwrap();
            tree.write(&genesis).unwrap();
            let one = tree
                .compute_update(1, &[kv(2), (b"key-0".to_vec(), None)])
                .unwrap();
            tree.write(&one).unwrap();
            let two = tree.compute_update(2, &[]).unwrap();
            // Deleting a key the tree never held is harmless.
            let absent = tree
                .compute_update(2, &[(b"never".to_vec(), None)])
                .unwrap();
            assert_eq!(absent.root, one.root);
            tree.write(&two).unwrap();
            assert_eq!(two.root, one.root, "an empty block keeps the root");
            assert_ne!(genesis.root, one.root);

            for (height, root) in [(0, genesis.root), (1, one.root), (2, two.root)] {
                assert_eq!(tree.root(height).unwrap(), root);
                for i in 0..4 {
                    let key = format!("key-{i}").into_bytes();
                    let (value, proof) = tree.get_with_proof(&key, height).unwrap();
                    let present = matches!((height, i), (0, 0 | 1) | (1 | 2, 1 | 2));
                    assert_eq!(value.is_some(), present, "height {height} key {i}");
                    proof
                        .verify(profile, &root, &key, value.as_deref())
                        .unwrap();
                    // The opposite claim fails.
                    let wrong = if present { None } else { Some(&b"x"[..]) };
                    assert!(proof.verify(profile, &root, &key, wrong).is_err());
                }
            }
            assert!(matches!(
                tree.get_with_proof(b"key-1", 3),
                Err(TreeError::MissingRoot { height: 3 })
            ));
        }
    }
}
