//! Consortium ordering beside solo, in the same run: committed transactions per second and
//! commit latency (p50 / p99) of a chain of **four validators on Malachite BFT** — four
//! in-process nodes, each with its own engine, libp2p network on loopback, mempool and RocksDB
//! store, all sharing this machine's 2 cores — and of **one solo node**.
//!
//! - Throughput: `CONSORTIUM_TXS` DID registrations (default 20,000), pre-signed, submitted in
//!   batches of 1,000 spread over the validators (a quarter each; one node for solo) by
//!   concurrent submitters; timed from the first submission until every transaction is
//!   committed.
//! - Latency: `CONSORTIUM_SAMPLES` registrations (default 100) one after the other, each timed
//!   from its submission until the node it was sent to reports it committed (polled every
//!   2 ms): sent to one validator in turn (it waits for that validator's turn to
//!   propose), and sent to all four at once (the next block takes it).
//!
//! Proposers with nothing to propose wait `heartbeat` = 100 ms before an empty block; the
//! engine's timeouts are Malachite's defaults.
//!
//! `cargo bench --workspace --bench consortium`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod fixture;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crosscode_core::keys::SecretKey;
use crosscode_did_registry::genesis::Genesis;
use crosscode_did_registry::ordering::chain_key;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::transaction::{Payload, SignedTransaction};
use crosscode_did_registry::validators::Validator;
use crosscode_registry_client::RegistryClient;
use crosscode_registry_node::consortium::ConsortiumConfig;
use crosscode_registry_node::{Node, NodeConfig, RunningNode};
use fixture::*;

const PROFILE: CryptoProfile = CryptoProfile::Standard;
const HEARTBEAT: Duration = Duration::from_millis(100);
const BATCH: usize = 1_000;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A genesis timed now (a consortium refuses blocks timed ahead of its clocks) with `keys` as
/// validators of power 1.
fn genesis_with(members: &[Actor], keys: &[SecretKey]) -> Genesis {
    let mut genesis = genesis(PROFILE, members, &keys[0]);
    genesis.genesis_time = now();
    genesis.validators = keys
        .iter()
        .map(|key| Validator {
            key: chain_key(PROFILE, key),
            power: 1,
        })
        .collect();
    genesis
}

fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap())
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

fn config(dir: &std::path::Path, name: &str) -> NodeConfig {
    let mut config = NodeConfig::new(dir.join(name), "127.0.0.1:0".parse().unwrap());
    config.heartbeat = HEARTBEAT;
    config
}

async fn start_consortium(dir: &std::path::Path, members: &[Actor]) -> Vec<RunningNode> {
    let keys: Vec<SecretKey> = (0..4)
        .map(|_| SecretKey::generate(key_algorithm(PROFILE)))
        .collect();
    let genesis = genesis_with(members, &keys);
    let p2p: Vec<SocketAddr> = free_ports(4)
        .into_iter()
        .map(|port| SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .collect();
    let mut nodes = Vec::new();
    for (i, key) in keys.into_iter().enumerate() {
        let mut config = config(dir, &format!("validator-{i}"));
        let peers = p2p.iter().copied().filter(|p| *p != p2p[i]).collect();
        config.consortium = Some(ConsortiumConfig::new(p2p[i], peers));
        nodes.push(Node::start(&genesis, key, config).await.unwrap());
    }
    nodes
}

fn clients(nodes: &[RunningNode]) -> Vec<RegistryClient> {
    nodes
        .iter()
        .map(|node| RegistryClient::new(&format!("http://{}", node.local_addr())).unwrap())
        .collect()
}

/// Fresh actors' DID registrations, signed.
fn registrations(count: usize) -> Vec<SignedTransaction> {
    let mut actors: Vec<Actor> = (0..count).map(|_| actor(PROFILE)).collect();
    let unsigned: Vec<_> = actors
        .iter_mut()
        .map(|a| {
            let document = a.document();
            a.next(Payload::DidCreate { document })
        })
        .collect();
    sign_all(
        unsigned
            .into_iter()
            .zip(actors.iter().map(|a| &a.control))
            .collect(),
    )
}

/// `txs` spread over `clients` in batches, until every one is committed.
async fn throughput(clients: &[RegistryClient], txs: Vec<SignedTransaction>) -> Duration {
    let mut shares: Vec<Vec<SignedTransaction>> = vec![Vec::new(); clients.len()];
    for (i, tx) in txs.into_iter().enumerate() {
        shares[i % clients.len()].push(tx);
    }
    let start = Instant::now();
    let tasks: Vec<_> = shares
        .into_iter()
        .zip(clients.iter().cloned())
        .map(|(share, client)| {
            tokio::spawn(async move {
                let mut hashes = Vec::new();
                for batch in share.chunks(BATCH) {
                    let encoded: Vec<String> = batch.iter().map(encode).collect();
                    hashes.extend(submit_batch(&client, &encoded).await);
                }
                for hash in &hashes {
                    committed(&client, hash).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    start.elapsed()
}

/// One registration after the other: to `clients[i % n]`, or to all of them when `to_all`.
async fn latency(clients: &[RegistryClient], samples: usize, to_all: bool) -> Vec<Duration> {
    let txs = registrations(samples);
    let mut times = Vec::with_capacity(samples);
    for (i, tx) in txs.iter().enumerate() {
        let start = Instant::now();
        let owner = &clients[i % clients.len()];
        if to_all {
            for client in clients {
                submit_one(client, tx).await;
            }
        } else {
            submit_one(owner, tx).await;
        }
        committed(owner, &tx.hash(PROFILE)).await;
        times.push(start.elapsed());
    }
    times.sort();
    times
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn print_latency(name: &str, times: &[Duration]) {
    println!(
        "{:<10} {:<58} p50 {:>8.1} ms  p99 {:>8.1} ms  ({} samples)",
        "latency",
        name,
        percentile(times, 0.50).as_secs_f64() * 1e3,
        percentile(times, 0.99).as_secs_f64() * 1e3,
        times.len()
    );
}

async fn run() {
    let txs = env_usize("CONSORTIUM_TXS", 20_000);
    let samples = env_usize("CONSORTIUM_SAMPLES", 100);
    let dir = temp_dir("bench-consortium");
    let members: Vec<Actor> = (0..3).map(|_| actor(PROFILE)).collect();
    let mut report = Report { rows: Vec::new() };

    // Solo: one node, same store, same workload.
    let validator = SecretKey::generate(key_algorithm(PROFILE));
    let solo_genesis = genesis_with(&members, std::slice::from_ref(&validator));
    let solo = Node::start(&solo_genesis, validator, config(dir.path(), "solo"))
        .await
        .unwrap();
    let solo_clients = clients(std::slice::from_ref(&solo));
    let elapsed = throughput(&solo_clients, registrations(txs)).await;
    report.push(Row {
        section: "solo",
        name: "DID registrations committed, one node".into(),
        ops: txs as u64,
        elapsed,
        unit: "tx",
        note: String::new(),
    });
    let solo_latency = latency(&solo_clients, samples, false).await;
    print_latency("solo: submit -> committed", &solo_latency);
    solo.shutdown().await.unwrap();

    // Four validators.
    let nodes = start_consortium(dir.path(), &members).await;
    let clients = clients(&nodes);
    // Let every validator connect and the chain start.
    let deadline = Instant::now() + Duration::from_secs(60);
    while clients[0].chain_info().await.unwrap().height < 2 {
        assert!(Instant::now() < deadline, "the consortium does not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = throughput(&clients, registrations(txs)).await;
    report.push(Row {
        section: "bft",
        name: "DID registrations committed, 4 validators".into(),
        ops: txs as u64,
        elapsed,
        unit: "tx",
        note: "[a quarter sent to each]".into(),
    });
    let one = latency(&clients, samples, false).await;
    print_latency("4 validators: sent to one (in turn)", &one);
    let all = latency(&clients, samples, true).await;
    print_latency("4 validators: sent to all four", &all);
    if let (Some(bft), Some(solo)) = (
        report.rate("DID registrations committed, 4 validators"),
        report.rate("DID registrations committed, one node"),
    ) {
        println!(
            "ratio      4 validators / solo throughput: {:.3}",
            bft / solo
        );
    }
    println!(
        "ratio      latency p50 sent to all / solo: {:.1}",
        percentile(&all, 0.5).as_secs_f64() / percentile(&solo_latency, 0.5).as_secs_f64()
    );
    for node in nodes {
        node.shutdown().await.unwrap();
    }
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads())
        .enable_all()
        .build()
        .unwrap()
        .block_on(run());
}
