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
//! - [`json`]: the JSON forms of genesis, validator sets and proof bundles; [`resolution`]: W3C
//!   DID Resolution results; [`api`]: the HTTP wire types the node (`crosscode-registry-node`)
//!   and the client (`crosscode-registry-client`) share; [`dev`]: dev consortium data.
//!
//! The crate does no I/O and depends on no runtime, database or HTTP stack: storage is the
//! [`ledger::LedgerStore`] port (RocksDB is in `crosscode-registry-node`), ordering the
//! [`ordering::Ordering`] port. State holds hashes, keys, signatures and public metadata only —
//! never personal data.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

extern crate alloc;

pub mod api;
pub mod block;
pub mod codec;
pub mod dev;
pub mod document;
pub mod evidence;
pub mod genesis;
pub mod governance;
pub mod json;
pub mod ledger;
pub mod merkle;
pub mod ordering;
pub mod profile;
pub mod proof;
pub mod records;
pub mod resolution;
pub mod state;
pub mod transaction;
pub mod tree;
pub mod validators;
pub mod vote;
