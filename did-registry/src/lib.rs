//! Crosscode DID registry chain: the permissioned ledger of the jurisdictions.
//!
//! - [`codec`]: the canonical binary encoding (deterministic, versioned, length-prefixed);
//! - [`profile`]: the crypto profile chosen in genesis (standard: SHA-256 + Ed25519; GuoMi:
//!   SM3 + SM2);
//! - [`document`]: the `did:crosscode:<network>:<id>` method and registry DID documents;
//! - [`governance`]: issuer scopes and governance actions;
//! - [`validators`]: validators and validator sets;
//! - [`transaction`]: signed transactions and their kinds;
//! - [`merkle`]: RFC 9162-shaped binary Merkle trees (batch anchors, block transactions).
//!
//! State holds hashes, keys, signatures and public metadata only — never personal data.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

extern crate alloc;

pub mod block;
pub mod codec;
pub mod document;
pub mod genesis;
pub mod governance;
pub mod merkle;
pub mod profile;
pub mod proof;
pub mod records;
pub mod state;
pub mod transaction;
pub mod tree;
pub mod validators;
