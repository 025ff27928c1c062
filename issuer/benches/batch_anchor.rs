//! A batch issued, Merkle-rooted and anchored end to end on the dev chain: N subject records
//! (default 100,000) → [`IssuerService::issue_records`] with `eddsa-jcs-2022` (records sealed
//! and stored, one credential each, status allocated, signed, hashed; one `AnchorBatch`
//! transaction over the Merkle root of the N hashes, committed by an in-process dev chain node
//! on RocksDB; the issuer's record of every credential) → N credentials with their inclusion
//! paths. Wall time and credentials/s, beside the raw Ed25519 signing of N 32-byte messages on
//! one core in the same run. Afterwards (not timed) every credential's hash is recomputed and
//! its inclusion path checked against the anchored root, and the root is read back from the
//! chain.
//!
//! Runs once with fixed sizes (not criterion: one run takes tens of seconds).
//!
//! `cargo bench --workspace --bench batch_anchor` (env: `ISSUER_BATCH_RECORDS`, default 100,000;
//! `ISSUER_BATCH_HOLDERS` distinct holders, default 1,000)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod fixture;

use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crosscode_did_registry::evidence::{credential_hash, verify_receipt};
use crosscode_did_registry::records::Namespace;
use crosscode_issuer::issuance::IssueOptions;
use crosscode_issuer::service::BatchRecord;
use fixture::*;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn raw_ed25519_per_second(count: usize) -> f64 {
    let key = offline_authority().ed25519.unwrap().signer;
    let start = Instant::now();
    for n in 0..count {
        let mut message = [0u8; 32];
        message[..8].copy_from_slice(&(n as u64).to_be_bytes());
        black_box(key.sign(black_box(&message)).unwrap());
    }
    count as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return; // `cargo bench` asks every bench binary for its list
    }
    let records = env_usize("ISSUER_BATCH_RECORDS", 100_000);
    let holders = env_usize("ISSUER_BATCH_HOLDERS", 1_000).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let dir = temp_dir("issuer-batch-bench");
        let chain = start_chain(&dir).await;
        let service = start_service(&chain, &dir, BASE_URL).await;
        let holder_dids: Vec<String> = (0..holders).map(|_| holder()).collect();
        let batch: Vec<BatchRecord> = (0..records)
            .map(|n| BatchRecord {
                holder: holder_dids[n % holders].clone(),
                credential_type: None,
                record: subject_record(n),
            })
            .collect();
        let options = IssueOptions {
            cryptosuites: Some(vec!["eddsa-jcs-2022".to_owned()]),
            ..IssueOptions::default()
        };

        let raw_before = raw_ed25519_per_second(records);
        let signed_at: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
        let signed = signed_at.clone();
        let start = Instant::now();
        let issued = service
            .issue_records(batch, options, move |done| {
                if done == records {
                    *signed.lock().unwrap() = Some(Instant::now());
                }
            })
            .await
            .unwrap();
        let elapsed = start.elapsed();
        let signing = signed_at.lock().unwrap().unwrap() - start;
        let raw_after = raw_ed25519_per_second(records);

        // Not timed: every inclusion path against the anchored root, the root on chain.
        let check_start = Instant::now();
        assert_eq!(issued.len(), records);
        let root = issued[0].anchor.root().unwrap();
        let height = issued[0].anchor.height;
        for (index, item) in issued.iter().enumerate() {
            let anchor = &item.anchor;
            assert_eq!(anchor.root(), Some(root));
            assert_eq!(anchor.index, index as u64);
            assert_eq!(anchor.size, records as u64);
            assert_eq!(anchor.height, height);
            let hash = credential_hash(PROFILE, &item.verifiable_credential).unwrap();
            assert_eq!(anchor.credential_hash(), Some(hash));
            let id = item.verifiable_credential["id"].as_str().unwrap();
            assert_eq!(verify_receipt(PROFILE, anchor, id).unwrap(), root);
        }
        let on_chain = chain
            .client
            .state(Namespace::Batch, &root, false, None)
            .await
            .unwrap();
        assert!(on_chain.value.is_some(), "the batch root is on chain");
        let checked = check_start.elapsed();

        let rate = records as f64 / elapsed.as_secs_f64();
        let raw = (raw_before + raw_after) / 2.0;
        println!("batch_anchor: {records} records, {holders} holders, eddsa-jcs-2022");
        println!(
            "  records -> anchored credentials: {:.2} s, {rate:.0} credentials/s \
             (signing phase {:.2} s = {:.0}/s; anchor + records {:.2} s)",
            elapsed.as_secs_f64(),
            signing.as_secs_f64(),
            records as f64 / signing.as_secs_f64(),
            (elapsed - signing).as_secs_f64()
        );
        println!(
            "  raw Ed25519 sign, 1 core, same run: {raw:.0}/s (before {raw_before:.0}, after \
             {raw_after:.0}); ratio issued/raw {:.3} ({:.1}x the raw time per credential)",
            rate / raw,
            raw / rate
        );
        println!(
            "  anchor: root {} at height {height}; {records} inclusion paths verified against \
             it in {:.2} s (not timed)",
            hex::encode(root),
            checked.as_secs_f64()
        );
        drop(issued);
        drop(service);
        chain.node.shutdown().await.unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    });
}
