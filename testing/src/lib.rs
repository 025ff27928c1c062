//! Test support shared by the Crosscode crates' tests and benches (a dev-dependency only, in
//! the manner of matrix-rust-sdk's `testing/`): where the official test vectors live.
//!
//! Nothing here is part of any crate's public API; production code never depends on it.

pub mod vectors;
