//! Location of the official test vectors shared by all Crosscode crates.
//!
//! The vectors are never copied into this repository: tests read them from the folder named by
//! the `CROSSCODE_VECTORS` environment variable, or by default from `../shared/vectors` beside
//! the repository root.

use std::path::PathBuf;

/// Environment variable that overrides where the shared test vectors are read from.
pub const VECTORS_ENV: &str = "CROSSCODE_VECTORS";

/// The folder holding the shared test vectors (`$CROSSCODE_VECTORS`, default
/// `<repository>/../shared/vectors`). The folder is not checked for existence here; callers
/// (tests) must fail loudly when it is missing.
pub fn vectors_dir() -> PathBuf {
    match std::env::var_os(VECTORS_ENV) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("..")
            .join("shared")
            .join("vectors"),
    }
}

/// Path of a file or folder inside the shared test vectors, e.g. `vector_path("ed25519/x.json")`.
pub fn vector_path(relative: &str) -> PathBuf {
    vectors_dir().join(relative)
}

/// Reads a JSON vector file (relative to [`vectors_dir`]); a missing or malformed file fails
/// the test.
pub fn read_json(relative: &str) -> serde_json::Value {
    let path = vector_path(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("missing fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON in {}: {e}", path.display()))
}

/// Decodes the hex string field `field` of a vector object; a missing field or bad hex fails
/// the test.
pub fn hex_field(value: &serde_json::Value, field: &str) -> Vec<u8> {
    let text = value[field]
        .as_str()
        .unwrap_or_else(|| panic!("field {field} missing"));
    hex::decode(text).unwrap()
}

/// Decodes the array of hex strings `field` of a vector object.
pub fn hex_array(value: &serde_json::Value, field: &str) -> Vec<Vec<u8>> {
    value[field]
        .as_array()
        .unwrap_or_else(|| panic!("field {field} missing"))
        .iter()
        .map(|v| hex::decode(v.as_str().unwrap()).unwrap())
        .collect()
}
