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
