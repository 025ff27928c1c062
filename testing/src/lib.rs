//! Test support shared by the Crosscode crates' tests and benches (a dev-dependency only, in
//! the manner of matrix-rust-sdk's `testing/`): where the official test vectors live and how
//! their JSON fields are read, temporary directories, a loopback HTTP server with a fixed
//! answer, a signer standing for a platform keystore (feature `core`), a throwaway PostgreSQL
//! cluster (feature `postgres`), and, behind the `registry` feature, the registry fixtures
//! (actors that sign transactions, genesis, an in-memory chain).
//!
//! Nothing here is part of any crate's public API; production code never depends on it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test support: a failure fails the test"
)]

pub mod fixed_answer;
#[cfg(feature = "core")]
pub mod health_code;
#[cfg(feature = "core")]
pub mod keystore;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "registry")]
pub mod registry;
pub mod schemathesis;
pub mod temp_dir;
pub mod vectors;

pub use temp_dir::{TempDir, temp_dir};
