//! Trust-cache sync from a dev node: an in-process node (`Node::start`, RocksDB, solo
//! ordering) on loopback holds 1,000 admitted authorities and 1,000,000 status entries (one
//! `SetStatus` transaction each); a checkpoint syncs its cache from genesis as a light client
//! (every header and certificate, every block's transactions against its root, every entry
//! proven, 256 per `POST /v1/proofs`), writes and loads it; then 1,000 more revocations are
//! committed and it syncs incrementally. Beside it, in the same run: the time the node took to
//! commit those transactions. Node, checkpoint and RocksDB share the machine's 2 cores.
//!
//! `cargo bench --workspace --bench sync` (env: `SYNC_AUTHORITIES`, default 1,000;
//! `SYNC_STATUSES`, default 1,000,000).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::{Duration, Instant};

use base64::Engine as _;
use crosscode_core::keys::SecretKey;
use crosscode_did_registry::api::{ApiErrorCode, TxStatus};
use crosscode_did_registry::codec::Encode;
use crosscode_did_registry::governance::GovernanceAction;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::transaction::{Payload, SignedTransaction, StatusChange, StatusKey};
use crosscode_registry_client::{ClientError, RegistryClient};
use crosscode_registry_node::{Node, NodeConfig};
use crosscode_testing::registry::{Actor, Chain, scope};
use crosscode_testing::temp_dir;
use crosscode_verifier::chain_trust::ChainTrust;
use crosscode_verifier::sync::sync;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn encode(tx: &SignedTransaction) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tx.to_bytes())
}

/// Signs on every core: `count` transactions made by `make(i)`.
fn sign_all(count: usize, make: impl Fn(usize) -> SignedTransaction + Sync) -> Vec<String> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = count.div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..count)
            .step_by(chunk)
            .map(|start| {
                let make = &make;
                scope.spawn(move || {
                    (start..(start + chunk).min(count))
                        .map(|i| encode(&make(i)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().unwrap())
            .collect()
    })
}

/// Submits `txs` in batches of 2,000 (waiting while the node pushes back) and waits until the
/// last one is committed.
async fn commit_all(client: &RegistryClient, txs: &[String]) {
    let mut last = None;
    for batch in txs.chunks(2_000) {
        loop {
            match client.submit_encoded_batch(batch).await {
                Ok(hashes) => {
                    last = hashes.last().copied();
                    break;
                }
                Err(ClientError::Api {
                    code: ApiErrorCode::MempoolFull | ApiErrorCode::Unavailable,
                    ..
                }) => tokio::time::sleep(Duration::from_millis(20)).await,
                Err(err) => panic!("submission failed: {err}"),
            }
        }
    }
    let Some(last) = last else { return };
    loop {
        match client.tx_status(&last).await.unwrap() {
            TxStatus::Committed { .. } => return,
            TxStatus::Rejected { code, message } => panic!("rejected: {code:?} {message}"),
            TxStatus::Pending => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// `count` revocations spread over `issuers` (the `k`-th of an issuer at index `offset + k`,
/// at its sequence `sequence + k`).
fn revocations(issuers: &[Actor], count: usize, offset: u64) -> Vec<String> {
    sign_all(count, |n| {
        let issuer = &issuers[n % issuers.len()];
        let k = (n / issuers.len()) as u64;
        let index = offset + k;
        let mut tx = issuer.unsigned(Payload::SetStatus {
            key: StatusKey::Index {
                list: (index / 131_072) as u32,
                index: index % 131_072,
            },
            change: StatusChange::Revoke,
        });
        tx.sequence = issuer.sequence + k;
        tx.sign(&issuer.control).unwrap()
    })
}

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    let authorities = env_usize("SYNC_AUTHORITIES", 1_000);
    let statuses = env_usize("SYNC_STATUSES", 1_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = temp_dir("sync-bench");
    let mut chain = Chain::new(CryptoProfile::Standard);
    let validator =
        SecretKey::from_bytes(chain.validator.algorithm(), &chain.validator.to_bytes()).unwrap();
    let mut config = NodeConfig::new(dir.join("node"), "127.0.0.1:0".parse().unwrap());
    config.heartbeat = Duration::from_millis(200);
    let node = runtime
        .block_on(Node::start(&chain.genesis, validator, config))
        .unwrap();
    let url = format!("http://{}", node.local_addr());
    let client = RegistryClient::new(&url)
        .unwrap()
        .with_timeout(Duration::from_secs(120));
    let pinned = runtime.block_on(client.validators()).unwrap();

    // The chain: authorities created and admitted, then one revocation per status entry.
    let started = Instant::now();
    let mut issuers: Vec<Actor> = (0..authorities)
        .map(|_| Actor::new(CryptoProfile::Standard))
        .collect();
    let creates: Vec<String> = issuers.iter_mut().map(|i| encode(&i.create())).collect();
    runtime.block_on(commit_all(&client, &creates));
    let proposals: Vec<String> = issuers
        .iter()
        .map(|issuer| {
            encode(&chain.members[0].tx(Payload::Propose {
                action: GovernanceAction::AdmitIssuer {
                    issuer: issuer.did.clone(),
                    scope: scope(),
                },
                voting_period: 10,
            }))
        })
        .collect();
    runtime.block_on(commit_all(&client, &proposals));
    let votes: Vec<String> = (0..authorities as u64)
        .map(|id| {
            encode(&chain.members[1].tx(Payload::Vote {
                proposal: id,
                approve: true,
            }))
        })
        .collect();
    runtime.block_on(commit_all(&client, &votes));
    let setup = started.elapsed();
    let revoked = revocations(&issuers, statuses, 0);
    let signed = started.elapsed() - setup;
    let committing = Instant::now();
    runtime.block_on(commit_all(&client, &revoked));
    let committed = committing.elapsed();
    for (n, issuer) in issuers.iter_mut().enumerate() {
        issuer.sequence +=
            (statuses / authorities + usize::from(n < statuses % authorities)) as u64;
    }

    // The first sync, from genesis.
    let syncing = Instant::now();
    let (trust, summary) = runtime
        .block_on(sync(&client, &pinned, None, &mut |_| {}))
        .unwrap();
    let first = syncing.elapsed();
    assert_eq!(trust.issuers.len(), authorities);
    assert_eq!(trust.status_count(), statuses);
    let cache = dir.join("cache");
    let saving = Instant::now();
    trust.save(&cache).unwrap();
    let saved = saving.elapsed();
    let size = std::fs::metadata(cache.join("trust-cache.bin"))
        .unwrap()
        .len();
    let loading = Instant::now();
    let loaded = ChainTrust::load(&cache).unwrap();
    let load = loading.elapsed();
    assert_eq!(loaded.status_count(), statuses);

    // 1,000 more revocations, then an incremental sync.
    let more = revocations(&issuers, 1_000, (statuses / authorities + 1) as u64);
    runtime.block_on(commit_all(&client, &more));
    let syncing = Instant::now();
    let (again, incremental) = runtime
        .block_on(sync(&client, &pinned, Some(&loaded), &mut |_| {}))
        .unwrap();
    let second = syncing.elapsed();
    assert_eq!(again.status_count(), statuses + 1_000);
    runtime.block_on(node.shutdown()).unwrap();

    let secs = |d: Duration| d.as_secs_f64();
    println!("\n| step | blocks | entries proven | time | rate |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| node commits {statuses} SetStatus transactions (peer: the chain's own work) | | | {:.1} s | {:.0} tx/s |",
        secs(committed),
        statuses as f64 / secs(committed)
    );
    println!(
        "| first sync: {authorities} authorities, {statuses} status entries | {} | {} | {:.1} s | {:.0} entries/s |",
        summary.blocks,
        summary.entries,
        secs(first),
        summary.entries as f64 / secs(first)
    );
    println!(
        "| write the cache ({:.1} MB) | | | {:.2} s | |",
        size as f64 / 1e6,
        secs(saved)
    );
    println!("| load and check the cache | | | {:.2} s | |", secs(load));
    println!(
        "| incremental sync: 1,000 more revocations | {} | {} | {:.2} s | |",
        incremental.blocks,
        incremental.entries,
        secs(second)
    );
    println!(
        "\n(setup: {:.1} s to create and admit the authorities, {:.1} s to sign the revocations)",
        secs(setup),
        secs(signed)
    );
}
