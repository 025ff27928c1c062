//! The wallet core depends on no server crate: `cargo tree` of its normal dependencies (every
//! feature on) names none of them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::process::Command;

const FORBIDDEN: [&str; 5] = [
    "crosscode-issuer",
    "crosscode-registry-node",
    "crosscode-registry-client",
    "axum",
    "librocksdb-sys",
];

#[test]
fn the_wallet_core_depends_on_no_server_crate() {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "-p",
            "crosscode-wallet-core",
            "--all-features",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8(output.stdout).unwrap();
    let packages: Vec<&str> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(packages.contains(&"crosscode-core"), "{tree}");
    assert!(
        packages.contains(&"reqwest"),
        "the http feature is covered: {tree}"
    );
    for forbidden in FORBIDDEN {
        assert!(
            !packages.contains(&forbidden),
            "crosscode-wallet-core depends on {forbidden}:\n{tree}"
        );
    }
}
