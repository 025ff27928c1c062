//! Shared helpers of the BBS integration tests: locating and reading the official fixtures.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use crosscode_bbs::CiphersuiteId;

pub use crosscode_testing::vectors::{hex_array, hex_field, read_json, vector_path};

/// Both ciphersuites with their fixture folder.
pub const SUITES: [CiphersuiteId; 2] = [
    CiphersuiteId::Bls12381Sha256,
    CiphersuiteId::Bls12381Shake256,
];

/// Lists the `.json` files of a fixture sub-folder, sorted; fails when the folder is missing.
pub fn list_json(relative: &str) -> Vec<PathBuf> {
    let dir = vector_path(relative);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("missing fixture folder {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}
