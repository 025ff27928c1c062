//! Shared helpers of the verifier's integration tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

pub mod pki;
pub mod shc_card;
pub mod signer;

use std::path::PathBuf;

/// Path inside the shared test vectors (`$CROSSCODE_VECTORS`, default `../shared/vectors`).
pub fn vector_path(relative: &str) -> PathBuf {
    crosscode_testing::vectors::vector_path(relative)
}

/// Read a vector file; a missing file fails the test.
pub fn read_vector(relative: &str) -> Vec<u8> {
    let p = vector_path(relative);
    std::fs::read(&p).unwrap_or_else(|e| panic!("vector {} missing: {e}", p.display()))
}

/// Parse a JSON vector file.
pub fn read_json(relative: &str) -> serde_json::Value {
    serde_json::from_slice(&read_vector(relative)).unwrap()
}
