//! BBS signatures over BLS12-381 — `draft-irtf-cfrg-bbs-signatures` (values of drafts -06 to
//! -09), ciphersuites BLS12-381-SHA-256 and BLS12-381-SHAKE-256.
//!
//! - [`keys`]: [`SecretKey`] / [`PublicKey`], KeyGen and SkToPk;
//! - [`signature`]: [`Signature`], [`sign`], [`verify`];
//! - [`proof`]: [`Proof`], [`proof_gen`], [`proof_verify`] (selective disclosure);
//! - [`random_scalars`]: where ProofGen's random scalars come from (OS RNG, or the draft's
//!   seeded mock for conformance tests);
//! - [`ciphersuite`]: the [`Ciphersuite`] trait and its two implementations;
//! - [`expand_message`], [`hash_to_scalar`], [`generators`]: the draft's hashing utilities;
//! - [`domain`], [`point`], [`scalar`]: validated octet encodings of points and scalars;
//! - [`error`]: the typed [`BbsError`].
//!
//! The backend is `blstrs` (blst); see `docs/bbs.md` for the measurements behind that choice.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod ciphersuite;
pub mod domain;
pub mod error;
pub mod expand_message;
mod fixed_base;
pub mod generators;
pub mod hash_to_scalar;
pub mod keys;
mod msm;
mod pairing_check;
pub mod point;
pub mod proof;
pub mod random_scalars;
pub mod scalar;
pub mod signature;

pub use ciphersuite::{Bls12381Sha256, Bls12381Shake256, Ciphersuite, CiphersuiteId};
pub use error::BbsError;
pub use keys::{PublicKey, SecretKey};
pub use proof::{Proof, proof_gen, proof_verify};
pub use signature::{Signature, sign, verify};
