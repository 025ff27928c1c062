//! Registry throughput on one node: committed signed transactions per second through
//! `Ledger::produce_block` (signature checks + apply + state tree + RocksDB commit), beside the
//! physical limits measured in the same run on the same cores (raw Ed25519 / SM2 verification,
//! raw RocksDB batched writes with the same key and value sizes, one `WriteBatch` per block),
//! plus proof bundles, batch-anchor Merkle roots and the GuoMi profile.
//!
//! `cargo bench --workspace --bench registry_throughput` (env: `REGISTRY_BENCH_BLOCK` txs per
//! block, default 8192; `REGISTRY_BENCH_BLOCKS` measured blocks per workload, default 8;
//! `REGISTRY_BENCH_ONLY` a comma list of sections: `limits,did-update,anchor,mixed,guomi,proof,batch`;
//! `REGISTRY_BENCH_SYNC=0` to skip the fsync of the write-ahead log at each block).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::{Duration, Instant};

use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use crosscode_did_registry::codec::Encode;
use crosscode_did_registry::governance::GovernanceAction;
use crosscode_did_registry::ledger::{BlockTimings, Ledger, TxOutcome};
use crosscode_did_registry::merkle::MerkleTree;
use crosscode_did_registry::ordering::{CoreSignatureVerifier, SoloOrdering};
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::proof::{TrustedChain, verify_bundle_for_keys};
use crosscode_did_registry::records::StateKey;
use crosscode_did_registry::transaction::{Payload, SignedTransaction, Transaction, batch_message};
use crosscode_registry_node::rocks::{
    RocksOptions, RocksStore, column_family_options, database_options,
};

mod fixture;

use fixture::*;

struct Chain {
    profile: CryptoProfile,
    ledger: Ledger<RocksStore>,
    ordering: SoloOrdering,
    validator: SecretKey,
    members: Vec<Actor>,
    time: u64,
    dir: crosscode_testing::TempDir,
}

impl Chain {
    fn new(profile: CryptoProfile, name: &str, options: RocksOptions) -> Chain {
        let members: Vec<Actor> = (0..3).map(|_| actor(profile)).collect();
        let validator = SecretKey::generate(key_algorithm(profile));
        let genesis = genesis(profile, &members, &validator);
        let dir = temp_dir(name);
        let store = RocksStore::open(&dir, options).unwrap();
        let ledger = Ledger::open_or_init(&genesis, store).unwrap();
        let ordering = SoloOrdering::new(
            profile,
            SecretKey::from_bytes(key_algorithm(profile), &validator.to_bytes()).unwrap(),
        );
        Chain {
            profile,
            ledger,
            ordering,
            validator,
            members,
            time: GENESIS_TIME,
            dir,
        }
    }

    /// Produces one block; every transaction must be committed.
    fn block(&mut self, txs: Vec<SignedTransaction>) -> BlockTimings {
        self.time += 1;
        let count = txs.len();
        let (block, outcomes) = self
            .ledger
            .produce_block(txs, self.time, &mut self.ordering)
            .unwrap();
        if let Some(rejected) = outcomes.iter().find_map(|o| match o {
            TxOutcome::Rejected { rejection, .. } => Some(rejection.clone()),
            TxOutcome::Committed(_) => None,
        }) {
            panic!("a benchmark transaction was rejected: {rejected}");
        }
        assert_eq!(block.block.transactions.len(), count);
        self.ledger.last_block_timings()
    }

    /// Creates the DIDs of `actors` (in blocks of `block` transactions).
    fn create_dids(&mut self, actors: &mut [Actor], block: usize) {
        for chunk in actors.chunks_mut(block) {
            let jobs: Vec<(Transaction, &SecretKey)> = chunk
                .iter_mut()
                .map(|a| {
                    let document = a.document();
                    let tx = a.next(Payload::DidCreate { document });
                    (tx, &a.control)
                })
                .collect();
            let txs = sign_all(jobs);
            self.block(txs);
        }
    }

    /// Creates and admits `count` issuers.
    fn issuers(&mut self, count: usize) -> Vec<Actor> {
        let mut issuers: Vec<Actor> = (0..count).map(|_| actor(self.profile)).collect();
        self.create_dids(&mut issuers, 4096);
        let first_proposal = 0u64;
        let mut proposals = Vec::new();
        for issuer in &issuers {
            let tx = self.members[0].next(Payload::Propose {
                action: GovernanceAction::AdmitIssuer {
                    issuer: issuer.did.clone(),
                    scope: issuer_scope(),
                },
                voting_period: 10,
            });
            proposals.push(tx.sign(&self.members[0].control).unwrap());
        }
        self.block(proposals);
        let mut votes = Vec::new();
        for id in 0..count as u64 {
            let tx = self.members[1].next(Payload::Vote {
                proposal: first_proposal + id,
                approve: true,
            });
            votes.push(tx.sign(&self.members[1].control).unwrap());
        }
        self.block(votes);
        issuers
    }
}

impl Drop for Chain {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ---------------------------------------------------------------------------------------------
// Ledger workloads

#[derive(Clone, Copy, PartialEq, Eq)]
enum Workload {
    DidUpdate,
    Anchor,
    Mixed,
}

impl Workload {
    fn name(self) -> &'static str {
        match self {
            Workload::DidUpdate => "DID updates",
            Workload::Anchor => "evidence anchors",
            Workload::Mixed => "50/50 DID updates + evidence anchors",
        }
    }
}

struct LedgerRun {
    txs: u64,
    elapsed: Duration,
    timings: BlockTimings,
    tx_bytes: usize,
}

/// Builds the chain, pre-signs every measured block, then times `produce_block` over them.
fn run_ledger(
    profile: CryptoProfile,
    workload: Workload,
    block: usize,
    blocks: usize,
    options: RocksOptions,
) -> LedgerRun {
    let mut chain = Chain::new(profile, "ledger", options);
    let updaters = match workload {
        Workload::DidUpdate => block,
        Workload::Anchor => 0,
        Workload::Mixed => block / 2,
    };
    let anchors_per_block = block - updaters;
    let mut actors: Vec<Actor> = (0..updaters).map(|_| actor(profile)).collect();
    chain.create_dids(&mut actors, block);
    let issuer_count = 16usize;
    let mut issuers = if anchors_per_block > 0 {
        chain.issuers(issuer_count)
    } else {
        Vec::new()
    };
    let per_issuer = anchors_per_block.div_ceil(issuer_count.max(1));
    let mut counter = 0u64;
    let mut prepared: Vec<Vec<SignedTransaction>> = Vec::with_capacity(blocks + 1);
    for round in 0..=blocks as u64 {
        let mut jobs: Vec<(Transaction, &SecretKey)> = Vec::new();
        for actor in actors.iter_mut() {
            let tx = actor.next(did_update(round));
            jobs.push((tx, &actor.control));
        }
        let mut txs = sign_all(jobs);
        if anchors_per_block > 0 {
            let jobs = anchor_txs(&mut issuers, per_issuer, &mut counter);
            txs.extend(sign_all(jobs));
        }
        prepared.push(txs);
    }
    let tx_bytes = prepared
        .iter()
        .flatten()
        .map(|tx| tx.to_bytes().len())
        .sum::<usize>()
        / prepared.iter().map(Vec::len).sum::<usize>().max(1);
    // One warm-up block, not timed.
    let mut prepared = prepared.into_iter();
    chain.block(prepared.next().unwrap());
    let mut timings = BlockTimings::default();
    let mut txs = 0u64;
    perf_control("enable");
    let start = Instant::now();
    for block_txs in prepared {
        txs += block_txs.len() as u64;
        let t = chain.block(block_txs);
        timings = timings.add(&t);
    }
    let elapsed = start.elapsed();
    perf_control("disable");
    LedgerRun {
        txs,
        elapsed,
        timings,
        tx_bytes,
    }
}

/// Profiles only the measured blocks: with `PERF_CTL_FIFO` set (`perf record -D -1 --control
/// fifo:PATH`), sends `perf` its enable / disable commands.
fn perf_control(command: &str) {
    if let Ok(path) = std::env::var("PERF_CTL_FIFO") {
        use std::io::Write as _;
        if let Ok(mut fifo) = std::fs::OpenOptions::new().write(true).open(path) {
            let _ = writeln!(fifo, "{command}");
        }
    }
}

fn timing_note(run: &LedgerRun) -> String {
    let per_tx = |d: Duration| d.as_secs_f64() * 1e6 / run.txs as f64;
    let t = &run.timings;
    format!(
        "[wall µs/tx: verify {:.2}, apply {:.2}, tree {:.2}, seal {:.2}, write {:.2}; {} B/tx]",
        per_tx(t.verify),
        per_tx(t.apply),
        per_tx(t.tree),
        per_tx(t.seal),
        per_tx(t.write),
        run.tx_bytes
    )
}

// ---------------------------------------------------------------------------------------------
// Physical limits

fn ed25519_fixture(
    count: usize,
    message_len: usize,
) -> Vec<(
    ed25519_dalek::VerifyingKey,
    Vec<u8>,
    ed25519_dalek::Signature,
)> {
    use ed25519_dalek::Signer as _;
    let keys: Vec<ed25519_dalek::SigningKey> = (0..64)
        .map(|i| {
            ed25519_dalek::SigningKey::from_bytes(
                &CryptoProfile::Standard.hash(&[b"key", &[i as u8]]),
            )
        })
        .collect();
    (0..count)
        .map(|i| {
            let key = &keys[i % keys.len()];
            let mut message = vec![0u8; message_len];
            message[..8].copy_from_slice(&(i as u64).to_be_bytes());
            let signature = key.sign(&message);
            (key.verifying_key(), message, signature)
        })
        .collect()
}

fn limits(report: &mut Report, block: usize, blocks: usize, tx_bytes: usize) {
    let count = block * 4;
    let fixture = ed25519_fixture(count, tx_bytes);
    // Single core, strict (the chain's rule).
    let start = Instant::now();
    for (key, message, signature) in &fixture {
        key.verify_strict(message, signature).unwrap();
    }
    report.push(Row {
        section: "limit",
        name: "Ed25519 verify_strict, 1 core".into(),
        ops: count as u64,
        elapsed: start.elapsed(),
        unit: "sig",
        note: String::new(),
    });
    let start = Instant::now();
    par_map(&fixture, |(key, message, signature)| {
        key.verify_strict(message, signature).unwrap()
    });
    report.push(Row {
        section: "limit",
        name: format!("Ed25519 verify_strict, {} cores", threads()),
        ops: count as u64,
        elapsed: start.elapsed(),
        unit: "sig",
        note: String::new(),
    });
    for batch in [64usize, 1024] {
        let chunks: Vec<&[_]> = fixture.chunks(batch).collect();
        let start = Instant::now();
        par_map(&chunks, |chunk| {
            let messages: Vec<&[u8]> = chunk.iter().map(|(_, m, _)| m.as_slice()).collect();
            let signatures: Vec<ed25519_dalek::Signature> =
                chunk.iter().map(|(_, _, s)| *s).collect();
            let keys: Vec<ed25519_dalek::VerifyingKey> = chunk.iter().map(|(k, _, _)| *k).collect();
            ed25519_dalek::verify_batch(&messages, &signatures, &keys).unwrap();
        });
        report.push(Row {
            section: "limit",
            name: format!("Ed25519 verify_batch ({batch}/batch), {} cores", threads()),
            ops: count as u64,
            elapsed: start.elapsed(),
            unit: "sig",
            note: String::new(),
        });
    }
    // SM2 (GuoMi), through crosscode-core.
    let sm2_count = block / 2;
    let sm2_key = SecretKey::generate(KeyAlgorithm::Sm2);
    let sm2_public = sm2_key.public_key();
    let sm2: Vec<(Vec<u8>, Vec<u8>)> = (0..sm2_count)
        .map(|i| {
            let message = format!("{i:08}").repeat(tx_bytes / 8).into_bytes();
            let signature = sm2_key.sign(&message).unwrap();
            (message, signature)
        })
        .collect();
    let start = Instant::now();
    par_map(&sm2, |(message, signature)| {
        sm2_public.verify(message, signature).unwrap()
    });
    report.push(Row {
        section: "limit",
        name: format!("SM2 verify, {} cores", threads()),
        ops: sm2_count as u64,
        elapsed: start.elapsed(),
        unit: "sig",
        note: String::new(),
    });

    // Raw RocksDB: one WriteBatch per block of `block` puts (32-byte key, tx-sized value).
    for sync in [true, false] {
        // The same database and column-family options as the ledger's store.
        let dir = temp_dir("raw-rocks");
        let cache = rocksdb::Cache::new_lru_cache(256 << 20);
        let db = rocksdb::DB::open_cf_descriptors(
            &database_options(),
            &dir,
            [rocksdb::ColumnFamilyDescriptor::new(
                "raw",
                column_family_options(&cache),
            )],
        )
        .unwrap();
        let family = db.cf_handle("raw").unwrap();
        let value = vec![0x5au8; tx_bytes];
        let mut write_options = rocksdb::WriteOptions::default();
        write_options.set_sync(sync);
        let start = Instant::now();
        let mut n = 0u64;
        for b in 0..blocks {
            let mut batch = rocksdb::WriteBatch::default();
            for i in 0..block {
                n += 1;
                let key = CryptoProfile::Standard
                    .hash(&[&(b as u64).to_be_bytes(), &(i as u64).to_be_bytes()]);
                batch.put_cf(family, key, &value);
            }
            db.write_opt(batch, &write_options).unwrap();
        }
        let elapsed = start.elapsed();
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
        report.push(Row {
            section: "limit",
            name: format!("RocksDB raw puts, 1 WriteBatch/block, WAL, sync={sync}"),
            ops: n,
            elapsed,
            unit: "put",
            note: format!("[{tx_bytes} B values, 32 B keys]"),
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Proof bundles and batch anchors

fn proofs(report: &mut Report, block: usize) {
    let profile = CryptoProfile::Standard;
    let mut chain = Chain::new(profile, "proof", RocksOptions::default());
    let mut actors: Vec<Actor> = (0..block).map(|_| actor(profile)).collect();
    chain.create_dids(&mut actors, block);
    let height = chain.ledger.head().height;
    let keys: Vec<Vec<u8>> = actors.iter().map(|a| StateKey::did(&a.did).0).collect();
    let count = keys.len().min(4096);
    let start = Instant::now();
    let bundles: Vec<_> = keys[..count]
        .iter()
        .map(|key| {
            chain
                .ledger
                .prove(std::slice::from_ref(key), height)
                .unwrap()
        })
        .collect();
    report.push(Row {
        section: "proof",
        name: "proof bundle generation (1 key, RocksDB), 1 core".into(),
        ops: count as u64,
        elapsed: start.elapsed(),
        unit: "bundle",
        note: format!("[{} B/bundle]", bundles[0].to_bytes().len()),
    });
    let trusted = TrustedChain {
        chain_id: CHAIN_ID.into(),
        profile,
        validators: chain.ledger.validators().unwrap(),
    };
    let start = Instant::now();
    for (bundle, key) in bundles.iter().zip(&keys) {
        verify_bundle_for_keys(bundle, &trusted, &CoreSignatureVerifier, &[key.as_slice()])
            .unwrap();
    }
    report.push(Row {
        section: "proof",
        name: "proof bundle verification, 1 core".into(),
        ops: count as u64,
        elapsed: start.elapsed(),
        unit: "bundle",
        note: String::new(),
    });
    let start = Instant::now();
    par_map(
        &bundles.iter().zip(&keys).collect::<Vec<_>>(),
        |(bundle, key)| {
            verify_bundle_for_keys(bundle, &trusted, &CoreSignatureVerifier, &[key.as_slice()])
                .unwrap()
        },
    );
    report.push(Row {
        section: "proof",
        name: format!("proof bundle verification, {} cores", threads()),
        ops: count as u64,
        elapsed: start.elapsed(),
        unit: "bundle",
        note: String::new(),
    });
    let _ = chain.validator.public_key();
}

fn batch_anchors(report: &mut Report, block: usize) {
    let profile = CryptoProfile::Standard;
    for size in [1_000usize, 100_000, 1_000_000] {
        let hashes: Vec<[u8; 32]> = (0..size as u64).map(|i| credential_hash(0, i)).collect();
        let rounds = (2_000_000 / size).max(1);
        let start = Instant::now();
        for _ in 0..rounds {
            std::hint::black_box(MerkleTree::new(profile, &hashes).root());
        }
        report.push(Row {
            section: "batch",
            name: format!("batch Merkle root over {size} credential hashes, 1 core"),
            ops: (size * rounds) as u64,
            elapsed: start.elapsed(),
            unit: "cred",
            note: String::new(),
        });
    }
    // Anchoring: blocks of batch-anchor transactions, each anchoring 10,000 credentials.
    let per_batch = 10_000u64;
    let mut chain = Chain::new(profile, "batch", RocksOptions::default());
    let mut issuers = chain.issuers(16);
    let anchors = block / 4;
    let mut counter = 0u64;
    let mut blocks = Vec::new();
    for _ in 0..4 {
        let mut jobs = Vec::new();
        for i in 0..anchors {
            counter += 1;
            let issuer = i % issuers.len();
            let root = credential_hash(issuer, counter);
            let signature = issuers[issuer]
                .assertion
                .sign(&batch_message(CHAIN_ID, &root, per_batch))
                .unwrap();
            let tx = issuers[issuer].next(Payload::AnchorBatch {
                merkle_root: root,
                count: per_batch,
                method: "assert-1".into(),
                signature,
            });
            jobs.push((tx, issuer));
        }
        let jobs: Vec<(Transaction, &SecretKey)> = jobs
            .into_iter()
            .map(|(tx, i)| (tx, &issuers[i].control))
            .collect();
        blocks.push(sign_all(jobs));
    }
    let mut txs = 0u64;
    let start = Instant::now();
    for b in blocks {
        txs += b.len() as u64;
        chain.block(b);
    }
    let elapsed = start.elapsed();
    report.push(Row {
        section: "batch",
        name: format!("batch anchors of {per_batch} credentials committed"),
        ops: txs * per_batch,
        elapsed,
        unit: "cred",
        note: format!("[{:.0} anchor tx/s]", txs as f64 / elapsed.as_secs_f64()),
    });
}

fn main() {
    let block = env_usize("REGISTRY_BENCH_BLOCK", 8192);
    let blocks = env_usize("REGISTRY_BENCH_BLOCKS", 8);
    println!(
        "registry throughput: {block} tx/block, {blocks} measured blocks per workload, {} cores",
        threads()
    );
    let mut report = Report { rows: Vec::new() };
    // `REGISTRY_BENCH_SYNC=0`: no fsync of the write-ahead log per block (see docs/benchmarks.md).
    let options = RocksOptions {
        sync: env_usize("REGISTRY_BENCH_SYNC", 1) != 0,
    };
    let mut tx_bytes = 200;
    for workload in [Workload::DidUpdate, Workload::Anchor, Workload::Mixed] {
        let section = match workload {
            Workload::DidUpdate => "did-update",
            Workload::Anchor => "anchor",
            Workload::Mixed => "mixed",
        };
        if !section_enabled(section) {
            continue;
        }
        let run = run_ledger(CryptoProfile::Standard, workload, block, blocks, options);
        tx_bytes = run.tx_bytes;
        report.push(Row {
            section: "ledger",
            name: format!("Ed25519 {}", workload.name()),
            ops: run.txs,
            elapsed: run.elapsed,
            unit: "tx",
            note: timing_note(&run),
        });
    }
    if section_enabled("guomi") {
        for workload in [Workload::DidUpdate, Workload::Anchor] {
            let run = run_ledger(
                CryptoProfile::GuoMi,
                workload,
                block / 4,
                blocks.min(4),
                options,
            );
            report.push(Row {
                section: "ledger",
                name: format!("GuoMi {}", workload.name()),
                ops: run.txs,
                elapsed: run.elapsed,
                unit: "tx",
                note: timing_note(&run),
            });
        }
    }
    if section_enabled("limits") {
        limits(&mut report, block, blocks, tx_bytes);
    }
    if section_enabled("proof") {
        proofs(&mut report, block);
    }
    if section_enabled("batch") {
        batch_anchors(&mut report, block);
    }
    let ed_limit = report.rate(&format!("Ed25519 verify_strict, {} cores", threads()));
    let rocks_limit = report.rate("RocksDB raw puts, 1 WriteBatch/block, WAL, sync=true");
    println!();
    for row in report.rows.iter().filter(|r| r.section == "ledger") {
        let rate = row.rate();
        let ratio =
            |limit: Option<f64>| limit.map_or("-".to_owned(), |l| format!("{:.3}", rate / l));
        println!(
            "ratio {:<50} {:>10.0} tx/s   / Ed25519 verify_strict {}   / RocksDB raw puts {}",
            row.name,
            rate,
            ratio(ed_limit),
            ratio(rocks_limit)
        );
    }
}
