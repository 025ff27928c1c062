//! Binary Merkle trees in the RFC 9162 (Certificate Transparency v2) shape, hashed with the
//! chain's profile hash: leaf `H(0x00 || data)`, node `H(0x01 || left || right)`, the tree of
//! `n` leaves split at the largest power of two below `n`. They root batch evidence anchors
//! (one transaction anchors a whole issuance run; each credential carries its
//! [`InclusionPath`]) and the transactions of a block. Uses only `core`/`alloc`.

use alloc::vec::Vec;

use crate::codec::{Decode, DecodeError, Encode, Reader, Writer};
use crate::profile::CryptoProfile;

/// Longest inclusion path accepted (a tree of up to 2^64 leaves).
pub const MAX_PATH_LEN: usize = 64;

/// Why an inclusion path does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not below the tree size {size}")]
    IndexOutOfRange {
        /// The index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The path has the wrong length for the index and size.
    #[error("inclusion path has the wrong length")]
    WrongLength,
    /// The recomputed root differs.
    #[error("inclusion path does not lead to the root")]
    RootMismatch,
}

/// The hash of a leaf holding `data`.
pub fn leaf_hash(profile: CryptoProfile, data: &[u8]) -> [u8; 32] {
    profile.hash(&[&[0u8], data])
}

/// The hash of an inner node.
pub fn node_hash(profile: CryptoProfile, left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    profile.hash(&[&[1u8], left, right])
}

/// The root of an empty tree: `H("")`.
pub fn empty_root(profile: CryptoProfile) -> [u8; 32] {
    profile.hash(&[])
}

/// A whole Merkle tree kept level by level, to give any leaf's path in `O(log n)`.
#[derive(Debug, Clone)]
pub struct MerkleTree {
    profile: CryptoProfile,
    levels: Vec<Vec<[u8; 32]>>,
}

impl MerkleTree {
    /// Builds the tree over `items` (each item is a leaf's data, e.g. a credential hash).
    pub fn new(profile: CryptoProfile, items: &[[u8; 32]]) -> MerkleTree {
        let mut levels = Vec::new();
        let mut level: Vec<[u8; 32]> = items.iter().map(|d| leaf_hash(profile, d)).collect();
        while level.len() > 1 {
            let next: Vec<[u8; 32]> = level
                .chunks(2)
                .map(|pair| match pair {
                    [left, right] => node_hash(profile, left, right),
                    [single] => *single,
                    _ => empty_root(profile),
                })
                .collect();
            levels.push(level);
            level = next;
        }
        levels.push(level);
        MerkleTree { profile, levels }
    }

    /// The number of leaves.
    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The root (`H("")` for no leaves).
    pub fn root(&self) -> [u8; 32] {
        match self.levels.last().and_then(|l| l.first()) {
            Some(root) if !self.is_empty() => *root,
            _ => empty_root(self.profile),
        }
    }

    /// The inclusion path of leaf `index`, or `None` past the end.
    pub fn path(&self, index: u64) -> Option<InclusionPath> {
        let size = self.len();
        if index >= size {
            return None;
        }
        let mut siblings = Vec::new();
        let mut i = usize::try_from(index).ok()?;
        for level in self.levels.iter().take(self.levels.len().saturating_sub(1)) {
            let sibling = i ^ 1;
            if let Some(hash) = level.get(sibling) {
                siblings.push(*hash);
            }
            i >>= 1;
        }
        Some(InclusionPath {
            index,
            size,
            siblings,
        })
    }
}

/// The root of the tree over `items`.
pub fn merkle_root(profile: CryptoProfile, items: &[[u8; 32]]) -> [u8; 32] {
    MerkleTree::new(profile, items).root()
}

/// An inclusion path: a leaf's index, the tree size and the sibling hashes from the leaf up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionPath {
    /// The leaf index.
    pub index: u64,
    /// The number of leaves.
    pub size: u64,
    /// Sibling hashes, bottom up.
    pub siblings: Vec<[u8; 32]>,
}

impl InclusionPath {
    /// Verifies that `data` is leaf `index` of the tree of `size` leaves with root `root`
    /// (the RFC 9162 §2.1.3.2 algorithm).
    pub fn verify(
        &self,
        profile: CryptoProfile,
        root: &[u8; 32],
        data: &[u8; 32],
    ) -> Result<(), MerkleError> {
        if self.index >= self.size {
            return Err(MerkleError::IndexOutOfRange {
                index: self.index,
                size: self.size,
            });
        }
        let mut fnode = self.index;
        let mut snode = self.size - 1;
        let mut hash = leaf_hash(profile, data);
        for sibling in &self.siblings {
            if snode == 0 {
                return Err(MerkleError::WrongLength);
            }
            if fnode & 1 == 1 || fnode == snode {
                hash = node_hash(profile, sibling, &hash);
                if fnode & 1 == 0 {
                    while fnode & 1 == 0 && fnode != 0 {
                        fnode >>= 1;
                        snode >>= 1;
                    }
                }
            } else {
                hash = node_hash(profile, &hash, sibling);
            }
            fnode >>= 1;
            snode >>= 1;
        }
        if snode != 0 {
            return Err(MerkleError::WrongLength);
        }
        if &hash != root {
            return Err(MerkleError::RootMismatch);
        }
        Ok(())
    }
}

impl Encode for InclusionPath {
    fn encode(&self, w: &mut Writer) {
        w.u64(self.index);
        w.u64(self.size);
        w.seq(&self.siblings);
    }
}

impl Decode for InclusionPath {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            index: r.u64("leaf index")?,
            size: r.u64("tree size")?,
            siblings: r.seq("siblings", MAX_PATH_LEN)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize) -> Vec<[u8; 32]> {
        (0..n)
            .map(|i| CryptoProfile::Standard.hash(&[&(i as u64).to_be_bytes()]))
            .collect()
    }

    /// MTH of RFC 9162 §2.1.1, written recursively, as the reference.
    fn reference_root(profile: CryptoProfile, items: &[[u8; 32]]) -> [u8; 32] {
        match items.len() {
            0 => empty_root(profile),
            1 => leaf_hash(profile, &items[0]),
            n => {
                let mut k = 1;
                while k * 2 < n {
                    k *= 2;
                }
                node_hash(
                    profile,
                    &reference_root(profile, &items[..k]),
                    &reference_root(profile, &items[k..]),
                )
            }
        }
    }

    #[test]
    fn roots_match_the_rfc_definition_and_every_path_verifies() {
        for profile in CryptoProfile::ALL {
            for n in 0..=17 {
                let data = items(n);
                let tree = MerkleTree::new(profile, &data);
                assert_eq!(tree.root(), reference_root(profile, &data), "n={n}");
                for (i, d) in data.iter().enumerate() {
                    let path = tree.path(i as u64).unwrap();
                    path.verify(profile, &tree.root(), d).unwrap();
                    let decoded = InclusionPath::from_bytes(&path.to_bytes()).unwrap();
                    assert_eq!(decoded, path);
                }
                assert!(tree.path(n as u64).is_none());
            }
        }
    }

    #[test]
    fn wrong_paths_fail() {
        let profile = CryptoProfile::Standard;
        let data = items(11);
        let tree = MerkleTree::new(profile, &data);
        let root = tree.root();
        let path = tree.path(6).unwrap();
        assert_eq!(
            path.verify(profile, &root, &data[5]),
            Err(MerkleError::RootMismatch)
        );
        let mut moved = path.clone();
        moved.index = 7;
        assert!(moved.verify(profile, &root, &data[6]).is_err());
        let mut short = path.clone();
        short.siblings.pop();
        assert_eq!(
            short.verify(profile, &root, &data[6]),
            Err(MerkleError::WrongLength)
        );
        let mut long = path.clone();
        long.siblings.push([0; 32]);
        assert_eq!(
            long.verify(profile, &root, &data[6]),
            Err(MerkleError::WrongLength)
        );
        let mut out = path;
        out.index = 11;
        assert!(matches!(
            out.verify(profile, &root, &data[6]),
            Err(MerkleError::IndexOutOfRange { .. })
        ));
        assert_eq!(
            tree.path(6)
                .unwrap()
                .verify(CryptoProfile::GuoMi, &root, &data[6]),
            Err(MerkleError::RootMismatch)
        );
    }
}
