//! Registry throughput through HTTP: a load generator on loopback submits pre-signed
//! transactions to an in-process node (`Node::start`, RocksDB store, solo ordering) with the
//! typed client, and the committed transactions per second are measured from the first
//! submission until the last transaction is reported committed. The node, the load generator
//! and RocksDB share the same 2 cores.
//!
//! `cargo bench --workspace --bench node_http` (env: `REGISTRY_HTTP_TXS` transactions per
//! workload, default 100,000; `REGISTRY_HTTP_BATCH` transactions per `POST /v1/txs`, default
//! 2,000; `REGISTRY_HTTP_SUBMITTERS` concurrent submitters, default 4; `REGISTRY_HTTP_SINGLE`
//! transactions sent one per `POST /v1/tx`, default 20,000).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod fixture;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crosscode_core::keys::SecretKey;
use crosscode_did_registry::governance::GovernanceAction;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::transaction::{Payload, SignedTransaction, Transaction};
use crosscode_registry_client::RegistryClient;
use crosscode_registry_node::{Node, NodeConfig};
use fixture::*;

/// Every block from `from` on: how many of `hashes` they hold.
async fn count_committed(client: &RegistryClient, from: u64, hashes: &HashSet<[u8; 32]>) -> usize {
    let head = client.chain_info().await.unwrap().height;
    let mut found = 0;
    for height in from..=head {
        let block = client.block(height).await.unwrap();
        found += block
            .transactions
            .iter()
            .filter(|h| hashes.contains(*h))
            .count();
    }
    found
}

struct Bench {
    client: Arc<RegistryClient>,
    members: Vec<Actor>,
    next_proposal: u64,
}

impl Bench {
    /// Submits `txs` in batches and waits for the last one to commit (setup, not timed).
    async fn setup(&self, txs: Vec<SignedTransaction>) {
        let encoded: Vec<String> = txs.iter().map(encode).collect();
        let mut last = None;
        for batch in encoded.chunks(5_000) {
            last = submit_batch(&self.client, batch).await.last().copied();
        }
        if let Some(last) = last {
            committed(&self.client, &last).await;
        }
    }

    async fn create(&self, actors: &mut [Actor]) {
        let jobs: Vec<(Transaction, &SecretKey)> = actors
            .iter_mut()
            .map(|a| {
                let document = a.document();
                let tx = a.next(Payload::DidCreate { document });
                (tx, &a.control)
            })
            .collect();
        self.setup(sign_all(jobs)).await;
    }

    async fn issuers(&mut self, count: usize) -> Vec<Actor> {
        let profile = CryptoProfile::Standard;
        let mut issuers: Vec<Actor> = (0..count).map(|_| actor(profile)).collect();
        self.create(&mut issuers).await;
        let proposals: Vec<SignedTransaction> = issuers
            .iter()
            .map(|issuer| {
                let tx = self.members[0].next(Payload::Propose {
                    action: GovernanceAction::AdmitIssuer {
                        issuer: issuer.did.clone(),
                        scope: issuer_scope(),
                    },
                    voting_period: 10,
                });
                tx.sign(&self.members[0].control).unwrap()
            })
            .collect();
        self.setup(proposals).await;
        let votes: Vec<SignedTransaction> = (0..count as u64)
            .map(|i| {
                let tx = self.members[1].next(Payload::Vote {
                    proposal: self.next_proposal + i,
                    approve: true,
                });
                tx.sign(&self.members[1].control).unwrap()
            })
            .collect();
        self.next_proposal += count as u64;
        self.setup(votes).await;
        issuers
    }

    /// Times the submission of `streams` (one per submitter, each a list of batches sent in
    /// order) until every transaction is committed.
    async fn run_batches(&self, streams: Vec<Vec<Vec<SignedTransaction>>>) -> (u64, Duration) {
        let from = self.client.chain_info().await.unwrap().height + 1;
        let encoded: Vec<Vec<Vec<String>>> = streams
            .iter()
            .map(|stream| {
                stream
                    .iter()
                    .map(|batch| batch.iter().map(encode).collect())
                    .collect()
            })
            .collect();
        let all: HashSet<[u8; 32]> = streams
            .iter()
            .flatten()
            .flatten()
            .map(|tx| tx.hash(CryptoProfile::Standard))
            .collect();
        let start = Instant::now();
        let tasks: Vec<_> = encoded
            .into_iter()
            .map(|stream| {
                let client = self.client.clone();
                tokio::spawn(async move {
                    let mut last = None;
                    for batch in &stream {
                        last = submit_batch(&client, batch).await.last().copied();
                    }
                    if let Some(last) = last {
                        committed(&client, &last).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let elapsed = start.elapsed();
        let found = count_committed(&self.client, from, &all).await;
        assert_eq!(found, all.len(), "every transaction committed");
        (all.len() as u64, elapsed)
    }

    /// Times `txs` sent one per request by `concurrency` tasks (each task's transactions in
    /// order) until every transaction is committed.
    async fn run_single(&self, streams: Vec<Vec<SignedTransaction>>) -> (u64, Duration) {
        let from = self.client.chain_info().await.unwrap().height + 1;
        let all: HashSet<[u8; 32]> = streams
            .iter()
            .flatten()
            .map(|tx| tx.hash(CryptoProfile::Standard))
            .collect();
        let start = Instant::now();
        let tasks: Vec<_> = streams
            .into_iter()
            .map(|stream| {
                let client = self.client.clone();
                tokio::spawn(async move {
                    let mut last = None;
                    for tx in &stream {
                        last = Some(submit_one(&client, tx).await);
                    }
                    if let Some(last) = last {
                        committed(&client, &last).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let elapsed = start.elapsed();
        let found = count_committed(&self.client, from, &all).await;
        assert_eq!(found, all.len(), "every transaction committed");
        (all.len() as u64, elapsed)
    }
}

/// DID updates: `actors` split among `submitters`, `rounds` updates each, batched.
fn did_update_streams(
    actors: &mut [Actor],
    rounds: u64,
    submitters: usize,
    batch: usize,
    first_round: u64,
) -> Vec<Vec<Vec<SignedTransaction>>> {
    let per = actors.len().div_ceil(submitters);
    actors
        .chunks_mut(per)
        .map(|group| {
            let mut txs = Vec::new();
            for round in first_round..first_round + rounds {
                let jobs: Vec<(Transaction, &SecretKey)> = group
                    .iter_mut()
                    .map(|a| {
                        let tx = a.next(did_update(round));
                        (tx, &a.control)
                    })
                    .collect();
                txs.extend(sign_all(jobs));
            }
            txs.chunks(batch).map(<[_]>::to_vec).collect()
        })
        .collect()
}

async fn run() {
    let total = env_usize("REGISTRY_HTTP_TXS", 100_000);
    let batch = env_usize("REGISTRY_HTTP_BATCH", 2_000);
    let submitters = env_usize("REGISTRY_HTTP_SUBMITTERS", 4);
    let single = env_usize("REGISTRY_HTTP_SINGLE", 20_000);
    let dids = env_usize("REGISTRY_HTTP_DIDS", 10_000);
    println!(
        "registry over HTTP: {total} tx per workload, {batch} tx per POST /v1/txs, {submitters} submitters, {} cores",
        threads()
    );
    let profile = CryptoProfile::Standard;
    let members: Vec<Actor> = (0..3).map(|_| actor(profile)).collect();
    let validator = SecretKey::generate(key_algorithm(profile));
    let genesis = genesis(profile, &members, &validator);
    let dir = temp_dir("node-http");
    let mut config = NodeConfig::new(dir.to_path_buf(), "127.0.0.1:0".parse().unwrap());
    config.heartbeat = Duration::from_secs(1);
    let node = Node::start(&genesis, validator, config).await.unwrap();
    let client = Arc::new(RegistryClient::new(&format!("http://{}", node.local_addr())).unwrap());
    let mut bench = Bench {
        client,
        members,
        next_proposal: 0,
    };
    let mut report = Report { rows: Vec::new() };

    // DID updates, batched.
    let mut actors: Vec<Actor> = (0..dids).map(|_| actor(profile)).collect();
    bench.create(&mut actors).await;
    let rounds = (total / dids).max(1) as u64;
    let streams = did_update_streams(&mut actors, rounds, submitters, batch, 0);
    let (txs, elapsed) = bench.run_batches(streams).await;
    report.push(Row {
        section: "http",
        name: format!("Ed25519 DID updates, POST /v1/txs of {batch}"),
        ops: txs,
        elapsed,
        unit: "tx",
        note: format!("[{submitters} submitters]"),
    });

    // Evidence anchors, batched: 16 issuers, each submitter anchoring for its own issuers.
    let mut issuers = bench.issuers(16).await;
    let per_submitter = issuers.len().div_ceil(submitters);
    let per_issuer = total / issuers.len();
    let mut counter = 0u64;
    let streams: Vec<Vec<Vec<SignedTransaction>>> = issuers
        .chunks_mut(per_submitter)
        .map(|group| {
            let mut txs = Vec::new();
            // Interleave the group's issuers, `batch / group` anchors of each at a time.
            let step = (batch / group.len()).max(1);
            let mut left = per_issuer;
            while left > 0 {
                let n = step.min(left);
                left -= n;
                txs.extend(sign_all(anchor_txs(group, n, &mut counter)));
            }
            txs.chunks(batch).map(<[_]>::to_vec).collect()
        })
        .collect();
    let (txs, elapsed) = bench.run_batches(streams).await;
    report.push(Row {
        section: "http",
        name: format!("Ed25519 evidence anchors, POST /v1/txs of {batch}"),
        ops: txs,
        elapsed,
        unit: "tx",
        note: format!("[{submitters} submitters]"),
    });

    // DID updates, one transaction per request.
    let concurrency = 64usize;
    let updaters = &mut actors[..single.min(dids)];
    let streams: Vec<Vec<SignedTransaction>> = did_update_streams(
        updaters,
        (single / updaters.len()).max(1) as u64,
        concurrency,
        usize::MAX,
        rounds,
    )
    .into_iter()
    .map(|batches| batches.into_iter().flatten().collect())
    .collect();
    let (txs, elapsed) = bench.run_single(streams).await;
    report.push(Row {
        section: "http",
        name: "Ed25519 DID updates, one per POST /v1/tx".into(),
        ops: txs,
        elapsed,
        unit: "tx",
        note: format!("[{concurrency} concurrent requests]"),
    });

    node.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads())
        .enable_all()
        .build()
        .unwrap()
        .block_on(run());
}
