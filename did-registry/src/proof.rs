//! Offline proofs: [`StateProof`] (inclusion or exclusion of a state key in the state tree) and
//! the [`ProofBundle`] a checkpoint verifies with nothing but the trusted validator set: a
//! header, its commit certificate, and state entries with their proofs against the header's
//! state root.
//!
//! This module uses only `core`/`alloc`, the no-`std` hash crates and the
//! [`SignatureVerifier`] trait, so it can move into a `no_std` crate for mobile and embedded
//! checkpoints as it is. It re-implements the Jellyfish Merkle Tree's proof check (leaf
//! `H("JMT::LeafNode" || key hash || value hash)`, inner node
//! `H("JMT::IntrnalNode" || left || right)`, empty subtree
//! `"SPARSE_MERKLE_PLACEHOLDER_HASH__"`), with the profile hash.

use alloc::vec::Vec;

use crate::block::{
    CertificateError, CommitCertificate, Header, SignatureVerifier, verify_certificate,
};
use crate::codec::{Decode, DecodeError, Encode, Reader, Writer};
use crate::profile::CryptoProfile;
use crate::validators::ValidatorSet;

/// Domain tag of JMT leaves.
pub const LEAF_DOMAIN_SEPARATOR: &[u8] = b"JMT::LeafNode";
/// Domain tag of JMT inner nodes.
pub const INTERNAL_DOMAIN_SEPARATOR: &[u8] = b"JMT::IntrnalNode";
/// The hash of an empty subtree.
pub const SPARSE_MERKLE_PLACEHOLDER_HASH: [u8; 32] = *b"SPARSE_MERKLE_PLACEHOLDER_HASH__";
/// The bundle format version.
pub const BUNDLE_VERSION: u8 = 1;
/// Most entries in one bundle.
pub const MAX_BUNDLE_ENTRIES: usize = 256;
/// Longest state key in a bundle.
pub const MAX_STATE_KEY_LEN: usize = 1024;
/// Largest state value in a bundle.
pub const MAX_STATE_VALUE_LEN: usize = 128 * 1024;

/// Why a state proof does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StateProofError {
    /// More than 256 siblings.
    #[error("proof has more than 256 siblings")]
    TooManySiblings,
    /// An inclusion was claimed but the proof shows no leaf, or the leaf is of another key.
    #[error("the proof's leaf is not the key's")]
    LeafKeyMismatch,
    /// The value's hash differs from the leaf's.
    #[error("value does not match the proven leaf")]
    ValueMismatch,
    /// An exclusion was claimed but the proof's leaf is the key's own.
    #[error("the key is present")]
    KeyPresent,
    /// The other leaf of an exclusion proof would not share the key's subtree.
    #[error("exclusion proof leaf is outside the key's subtree")]
    LeafOutsideSubtree,
    /// The recomputed root differs from the expected one.
    #[error("proof does not lead to the state root")]
    RootMismatch,
}

/// A proof that a key has a value (inclusion) or none (exclusion) under a state root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateProof {
    /// The leaf met on the key's path: `(key hash, value hash)`; `None` for an empty subtree.
    pub leaf: Option<([u8; 32], [u8; 32])>,
    /// Sibling hashes from the bottom up.
    pub siblings: Vec<[u8; 32]>,
}

fn bit(hash: &[u8; 32], index: usize) -> bool {
    hash.get(index / 8)
        .is_some_and(|byte| byte >> (7 - index % 8) & 1 == 1)
}

fn common_prefix_bits(a: &[u8; 32], b: &[u8; 32]) -> usize {
    (0..256).take_while(|&i| bit(a, i) == bit(b, i)).count()
}

impl StateProof {
    /// Verifies that under `root`, state key `key` has `value` (`Some`) or no value (`None`).
    pub fn verify(
        &self,
        profile: CryptoProfile,
        root: &[u8; 32],
        key: &[u8],
        value: Option<&[u8]>,
    ) -> Result<(), StateProofError> {
        if self.siblings.len() > 256 {
            return Err(StateProofError::TooManySiblings);
        }
        let key_hash = profile.hash(&[key]);
        match (value, &self.leaf) {
            (Some(value), Some((leaf_key, leaf_value))) => {
                if *leaf_key != key_hash {
                    return Err(StateProofError::LeafKeyMismatch);
                }
                if profile.hash(&[value]) != *leaf_value {
                    return Err(StateProofError::ValueMismatch);
                }
            }
            (Some(_), None) => return Err(StateProofError::LeafKeyMismatch),
            (None, Some((leaf_key, _))) => {
                if *leaf_key == key_hash {
                    return Err(StateProofError::KeyPresent);
                }
                if common_prefix_bits(&key_hash, leaf_key) < self.siblings.len() {
                    return Err(StateProofError::LeafOutsideSubtree);
                }
            }
            (None, None) => {}
        }
        let mut hash = match &self.leaf {
            Some((leaf_key, leaf_value)) => {
                profile.hash(&[LEAF_DOMAIN_SEPARATOR, leaf_key, leaf_value])
            }
            None => SPARSE_MERKLE_PLACEHOLDER_HASH,
        };
        let depth = self.siblings.len();
        for (i, sibling) in self.siblings.iter().enumerate() {
            // The bottom sibling sits at depth `depth - 1` of the key's path.
            if bit(&key_hash, depth - 1 - i) {
                hash = profile.hash(&[INTERNAL_DOMAIN_SEPARATOR, sibling, &hash]);
            } else {
                hash = profile.hash(&[INTERNAL_DOMAIN_SEPARATOR, &hash, sibling]);
            }
        }
        if hash != *root {
            return Err(StateProofError::RootMismatch);
        }
        Ok(())
    }
}

impl Encode for StateProof {
    fn encode(&self, w: &mut Writer) {
        match &self.leaf {
            None => w.u8(0),
            Some((key, value)) => {
                w.u8(1);
                w.hash(key);
                w.hash(value);
            }
        }
        w.seq(&self.siblings);
    }
}

impl Decode for StateProof {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let leaf = match r.u8("proof leaf")? {
            0 => None,
            1 => Some((r.hash("leaf key hash")?, r.hash("leaf value hash")?)),
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "proof leaf",
                    tag,
                });
            }
        };
        Ok(Self {
            leaf,
            siblings: r.seq("siblings", 256)?,
        })
    }
}

/// A state entry with its proof: the key, its value (or `None`: proven absent) and the proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofEntry {
    /// The state key (namespace byte + key).
    pub key: Vec<u8>,
    /// Its value, or `None` when proven absent.
    pub value: Option<Vec<u8>>,
    /// The proof against the header's state root.
    pub proof: StateProof,
}

impl Encode for ProofEntry {
    fn encode(&self, w: &mut Writer) {
        w.bytes(&self.key);
        match &self.value {
            None => w.u8(0),
            Some(value) => {
                w.u8(1);
                w.bytes(value);
            }
        }
        self.proof.encode(w);
    }
}

impl Decode for ProofEntry {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let key = r.bytes("state key", MAX_STATE_KEY_LEN)?;
        let value = match r.u8("value presence")? {
            0 => None,
            1 => Some(r.bytes("state value", MAX_STATE_VALUE_LEN)?),
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "value presence",
                    tag,
                });
            }
        };
        Ok(Self {
            key,
            value,
            proof: StateProof::decode(r)?,
        })
    }
}

/// A header, its commit certificate and state entries proven against its state root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofBundle {
    /// The header.
    pub header: Header,
    /// Its certificate.
    pub certificate: CommitCertificate,
    /// The proven entries.
    pub entries: Vec<ProofEntry>,
}

impl Encode for ProofBundle {
    fn encode(&self, w: &mut Writer) {
        w.u8(BUNDLE_VERSION);
        self.header.encode(w);
        self.certificate.encode(w);
        w.seq(&self.entries);
    }
}

impl Decode for ProofBundle {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let version = r.u8("bundle version")?;
        if version != BUNDLE_VERSION {
            return Err(DecodeError::UnsupportedVersion {
                what: "proof bundle",
                version,
            });
        }
        Ok(Self {
            header: Header::decode(r)?,
            certificate: CommitCertificate::decode(r)?,
            entries: r.seq("entries", MAX_BUNDLE_ENTRIES)?,
        })
    }
}

/// What a verifier trusts: the chain's id, profile and the validator set it pinned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedChain {
    /// The chain id.
    pub chain_id: alloc::string::String,
    /// The crypto profile.
    pub profile: CryptoProfile,
    /// The validator set that signs the headers accepted.
    pub validators: ValidatorSet,
}

/// Why a bundle does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// The bytes do not decode.
    #[error("bundle does not decode: {0}")]
    Decode(#[from] DecodeError),
    /// The header or certificate does not verify against the trusted validator set.
    #[error("certificate: {0}")]
    Certificate(#[from] CertificateError),
    /// The bundle does not answer the query: other keys, or another number of them.
    #[error("the bundle's entries are not the keys asked for")]
    KeysMismatch,
    /// An entry's proof does not verify against the state root.
    #[error("entry {index}: {error}")]
    Entry {
        /// The entry's index.
        index: usize,
        /// Why.
        error: StateProofError,
    },
}

/// A verified bundle: the height and time it speaks for and its proven entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedBundle {
    /// The header's height.
    pub height: u64,
    /// The header's time (Unix seconds).
    pub time: u64,
    /// The state root.
    pub state_root: [u8; 32],
    /// `(key, value or None)` per entry, in bundle order.
    pub entries: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

/// Verifies a decoded bundle against `trusted`: the header names the trusted validator set and
/// is of the trusted chain, more than 2/3 of the power signed it, and every entry's proof leads
/// to its state root. No I/O. The caller must check that the returned keys are the ones it
/// asked about (or use [`verify_bundle_for_keys`]).
pub fn verify_bundle(
    bundle: &ProofBundle,
    trusted: &TrustedChain,
    verifier: &dyn SignatureVerifier,
) -> Result<VerifiedBundle, BundleError> {
    verify_certificate(
        trusted.profile,
        &trusted.chain_id,
        &bundle.header,
        &bundle.certificate,
        &trusted.validators,
        verifier,
    )?;
    let root = bundle.header.state_root;
    for (index, entry) in bundle.entries.iter().enumerate() {
        entry
            .proof
            .verify(trusted.profile, &root, &entry.key, entry.value.as_deref())
            .map_err(|error| BundleError::Entry { index, error })?;
    }
    Ok(VerifiedBundle {
        height: bundle.header.height,
        time: bundle.header.time,
        state_root: root,
        entries: bundle
            .entries
            .iter()
            .map(|e| (e.key.clone(), e.value.clone()))
            .collect(),
    })
}

/// Verifies a bundle as the answer to a query for `keys` (in order): on top of
/// [`verify_bundle`], the entries must be exactly those keys. Use this whenever the keys are
/// known: an exclusion proof for an empty subtree also proves the absence of every other key
/// with the same path prefix, so without it a server could answer a query for one key with a
/// valid proof about another.
pub fn verify_bundle_for_keys(
    bundle: &ProofBundle,
    trusted: &TrustedChain,
    verifier: &dyn SignatureVerifier,
    keys: &[&[u8]],
) -> Result<VerifiedBundle, BundleError> {
    if bundle.entries.len() != keys.len()
        || bundle
            .entries
            .iter()
            .zip(keys)
            .any(|(entry, key)| entry.key.as_slice() != *key)
    {
        return Err(BundleError::KeysMismatch);
    }
    verify_bundle(bundle, trusted, verifier)
}

/// Decodes (strictly) and verifies a bundle given as bytes (see [`verify_bundle`]).
pub fn verify_bundle_bytes(
    bytes: &[u8],
    trusted: &TrustedChain,
    verifier: &dyn SignatureVerifier,
) -> Result<VerifiedBundle, BundleError> {
    let bundle = ProofBundle::from_bytes(bytes)?;
    verify_bundle(&bundle, trusted, verifier)
}

/// Decodes (strictly) and verifies a bundle given as bytes as the answer for `keys` (see
/// [`verify_bundle_for_keys`]).
pub fn verify_bundle_bytes_for_keys(
    bytes: &[u8],
    trusted: &TrustedChain,
    verifier: &dyn SignatureVerifier,
    keys: &[&[u8]],
) -> Result<VerifiedBundle, BundleError> {
    let bundle = ProofBundle::from_bytes(bytes)?;
    verify_bundle_for_keys(&bundle, trusted, verifier, keys)
}
