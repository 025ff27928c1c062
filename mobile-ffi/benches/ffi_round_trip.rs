//! The FFI round trip: the same wallet operations called from Python through the generated
//! bindings and from Rust directly, in one run — a trivial method (`Trust.len`), `list` (one
//! credential: a file read and an AEAD open), and the selective dynamic `present` with the
//! Rust software keystore and with a keystore written in Python (which forwards to the same
//! software keystore, so the difference is the callbacks' crossings). Rust's timings are
//! taken first, then `benches/ffi_round_trip.py` runs; the table gives medians, p99 and the
//! FFI's cost per call (Python − Rust).
//!
//! `cargo bench --workspace --bench ffi_round_trip` (needs `python3`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../tests/foreign/mod.rs"]
mod foreign;

use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use crosscode_core::did::{DidKey, TrustCache};
use crosscode_core::keys::{KdfParams, KeyAlgorithm};
use crosscode_testing::{health_code, temp_dir};
use crosscode_wallet_core::keystore::{Keystore, SoftwareKeystore};
use crosscode_wallet_core::store::{CredentialStore, StatusCheck, StoredCredential};
use crosscode_wallet_core::transport::HttpTransport;
use foreign::{generate, library, run};
use serde_json::Value;
use time::OffsetDateTime;

const PASSPHRASE: &str = "bench passphrase";

/// Median and p99 of `count` calls of `call`, in microseconds.
fn timed(count: usize, mut call: impl FnMut()) -> (f64, f64) {
    for _ in 0..count.min(50) {
        call();
    }
    let mut samples: Vec<f64> = (0..count)
        .map(|_| {
            let start = Instant::now();
            call();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    let p99 = samples[(count * 99 / 100).min(count - 1)];
    (samples[count / 2], p99)
}

fn main() {
    // Not a test: a test runner's listing finds none; `cargo bench` passes `--bench`, any
    // other run (`cargo test --benches`) is a quick pass that only checks the bench works.
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|arg| arg == "--list") {
        return;
    }
    let scale = if args.iter().any(|arg| arg == "--bench") {
        1
    } else {
        100
    };
    let work = temp_dir("ffi-bench");
    let (folder, keys) = (work.join("wallet"), work.join("wallet").join("keys"));
    let keystore = Arc::new(SoftwareKeystore::open(&keys, PASSPHRASE.as_bytes()).unwrap());
    let handle = keystore.generate(KeyAlgorithm::Ed25519).unwrap();
    let holder_did = DidKey::from_public_key(&keystore.public_key(&handle).unwrap())
        .did()
        .as_str()
        .to_owned();
    let issued = health_code::issue(&holder_did);
    let id = CredentialStore::new_id();
    CredentialStore::open(&folder, PASSPHRASE.as_bytes(), KdfParams::DEFAULT)
        .unwrap()
        .put(&StoredCredential {
            id: id.clone(),
            credential: issued.bbs.clone(),
            key_handle: handle,
            holder_did,
            issuer: health_code::ISSUER.to_owned(),
            types: vec!["VerifiableCredential".to_owned(), "HealthCode".to_owned()],
            received_at: 0,
            issuer_keys: issued.issuer_keys.to_json(),
            status: StatusCheck::Good,
            anchor: None,
        })
        .unwrap();
    let trust_file = work.join("trust.json");
    std::fs::write(&trust_file, issued.issuer_keys.to_json().to_string()).unwrap();

    // Rust, directly.
    let wallet = crosscode_wallet_core::Wallet::open(
        &folder,
        PASSPHRASE.as_bytes(),
        keystore,
        Arc::new(HttpTransport::new().unwrap()),
    )
    .unwrap();
    let trust = TrustCache::from_json(&issued.issuer_keys.to_json().to_string()).unwrap();
    let disclose = ["statusColour".to_owned(), "statusDate".to_owned()];
    let rust = [
        (
            "trust_len",
            timed(20_000 / scale, || assert!(!trust.is_empty())),
        ),
        (
            "list",
            timed(2_000 / scale, || {
                assert_eq!(wallet.list().unwrap().len(), 1)
            }),
        ),
        (
            "present",
            timed(300_usize.div_ceil(scale), || {
                let now = OffsetDateTime::now_utc();
                wallet
                    .present(&id, &disclose, Some("checkpoint-7"), true, now)
                    .unwrap();
            }),
        ),
    ];

    // Python, through the bindings.
    let bindings = work.join("bindings");
    generate("python", &bindings);
    std::fs::copy(library(), bindings.join(library().file_name().unwrap())).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/ffi_round_trip.py");
    let output = run(Command::new("python3")
        .arg(script)
        .env("PYTHONPATH", &bindings)
        .env("CROSSCODE_BENCH_WALLET", &folder)
        .env("CROSSCODE_BENCH_KEYS", &keys)
        .env("CROSSCODE_BENCH_ID", &id)
        .env("CROSSCODE_BENCH_TRUST", &trust_file)
        .env("CROSSCODE_BENCH_SCALE", scale.to_string()));
    let python: Value = serde_json::from_str(output.trim()).unwrap();

    println!(
        "| call | Rust median / p99 (µs) | Python via FFI median / p99 (µs) | FFI cost per call (µs) |"
    );
    println!("|---|---:|---:|---:|");
    for (name, (median, p99)) in rust {
        let py = &python[name];
        let (py_median, py_p99) = (
            py["median_us"].as_f64().unwrap(),
            py["p99_us"].as_f64().unwrap(),
        );
        println!(
            "| {name} | {median:.2} / {p99:.2} | {py_median:.2} / {py_p99:.2} | {:.2} |",
            py_median - median
        );
    }
    let forwarded = &python["present_python_keystore"];
    println!(
        "| present, Python keystore (callbacks) | — | {:.2} / {:.2} | {:.2} (vs the Rust keystore via FFI) |",
        forwarded["median_us"].as_f64().unwrap(),
        forwarded["p99_us"].as_f64().unwrap(),
        forwarded["median_us"].as_f64().unwrap() - python["present"]["median_us"].as_f64().unwrap()
    );
    let _ = std::fs::remove_dir_all(&work);
}
