//! Shared helpers of the BBS integration tests: locating and reading the official fixtures.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use crosscode_bbs::CiphersuiteId;
use serde_json::Value;

pub use crosscode_testing::vectors::vector_path;

/// Both ciphersuites with their fixture folder.
pub const SUITES: [CiphersuiteId; 2] = [
    CiphersuiteId::Bls12381Sha256,
    CiphersuiteId::Bls12381Shake256,
];

/// Reads a JSON fixture; panics (failing the test) when it is missing.
pub fn read_json(relative: &str) -> Value {
    let path = vector_path(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("missing fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON in {}: {e}", path.display()))
}

/// Decodes a hex string field.
pub fn hex_field(value: &Value, field: &str) -> Vec<u8> {
    let text = value[field]
        .as_str()
        .unwrap_or_else(|| panic!("field {field} missing"));
    hex::decode(text).unwrap()
}

/// Decodes an array of hex strings.
pub fn hex_array(value: &Value, field: &str) -> Vec<Vec<u8>> {
    value[field]
        .as_array()
        .unwrap_or_else(|| panic!("field {field} missing"))
        .iter()
        .map(|v| hex::decode(v.as_str().unwrap()).unwrap())
        .collect()
}

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
