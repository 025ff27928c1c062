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

/// The state tree of a chain with `profile` over a store.
#[derive(Debug)]
pub struct StateTree<S: TreeStore> {
    profile: CryptoProfile,
    store: S,
}

/// One height's pending tree update: the new root and the nodes to write.
#[derive(Debug, Clone)]
pub struct TreeUpdate {
    /// The state root after the update.
    pub root: [u8; 32],
    /// The nodes and values to write.
    pub batch: NodeBatch,
}

impl<S: TreeStore> StateTree<S> {
    /// The tree over `store`.
    pub fn new(profile: CryptoProfile, store: S) -> Self {
        Self { profile, store }
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
        let set: Vec<(KeyHash, Option<OwnedValue>)> = changes
            .iter()
            .map(|(key, value)| (KeyHash(key_hash(self.profile, key)), value.clone()))
            .collect();
        let (root, batch) = match self.profile {
            CryptoProfile::Standard => JellyfishMerkleTree::<_, Sha256Hasher>::new(&self.store)
                .put_value_set(set, height)
                .map_err(storage)?,
            CryptoProfile::GuoMi => JellyfishMerkleTree::<_, Sm3Hasher>::new(&self.store)
                .put_value_set(set, height)
                .map_err(storage)?,
        };
        Ok(TreeUpdate {
            root: root.0,
            batch: batch.node_batch,
        })
    }

    /// Writes a computed update.
    pub fn write(&self, update: &TreeUpdate) -> Result<(), TreeError> {
        self.store.write_tree_batch(&update.batch)
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
        match self.profile {
            CryptoProfile::Standard => {
                let (value, proof) = JellyfishMerkleTree::<_, Sha256Hasher>::new(&self.store)
                    .get_with_proof(hash, height)
                    .map_err(storage)?;
                Ok((value, convert_proof::<Sha256Hasher>(&proof)?))
            }
            CryptoProfile::GuoMi => {
                let (value, proof) = JellyfishMerkleTree::<_, Sm3Hasher>::new(&self.store)
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
