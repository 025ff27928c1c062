//! Crosscode DID registry chain: the permissioned ledger of the jurisdictions
//! (`docs/registry.md`, `docs/did-method.md`).
//!
//! - [`codec`]: the canonical binary encoding (deterministic, versioned, length-prefixed);
//! - [`profile`]: the crypto profile chosen in genesis (standard: SHA-256 + Ed25519; GuoMi:
//!   SM3 + SM2);
//! - [`document`]: the `did:crosscode:<network>:<id>` method and registry DID documents;
//! - [`governance`]: issuer scopes and governance actions; [`validators`]: validator sets;
//! - [`transaction`]: signed transactions and their kinds;
//! - [`genesis`], [`records`], [`state`]: the state machine (`apply` with typed rejections,
//!   DID resolution as of a height or time);
//! - [`merkle`]: RFC 9162-shaped binary Merkle trees (batch anchors, block transactions);
//! - [`tree`]: the versioned sparse Merkle state tree (Jellyfish Merkle Tree) over a store;
//! - [`block`]: headers and commit certificates; [`ordering`]: the consensus port and the
//!   `solo` adapter; [`ledger`]: producing, following and proving blocks;
//! - [`proof`]: the offline, I/O-free proof-bundle verifier a checkpoint runs;
//! - `rocks` (feature `rocksdb`, on by default): the RocksDB ledger store.
//!
//! State holds hashes, keys, signatures and public metadata only — never personal data.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

extern crate alloc;

pub mod api;
pub mod block;
#[cfg(feature = "client")]
pub mod client;
pub mod codec;
pub mod dev;
pub mod document;
pub mod genesis;
pub mod governance;
pub mod json;
pub mod ledger;
pub mod merkle;
#[cfg(all(feature = "node", feature = "rocksdb"))]
pub mod node;
pub mod ordering;
pub mod profile;
pub mod proof;
pub mod records;
pub mod resolution;
#[cfg(feature = "rocksdb")]
pub mod rocks;
pub mod state;
pub mod transaction;
pub mod tree;
pub mod validators;
