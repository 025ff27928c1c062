//! Crash test: `crosscode node --dev` as a child process under sustained submissions is killed
//! with SIGKILL mid-write and restarted on the same data directory, three times; after each
//! restart every transaction acknowledged as committed must still be committed at the same
//! height and index, the state roots at those heights must be the same, every block since the
//! load began must link to its predecessor and hold what the transaction index says, and
//! proof bundles fetched again must be byte-identical and verify against the pinned
//! `validators.json`. Also: `crosscode node` failure paths and an interrupted dev setup.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{NodeProcess, node_command, wait_exit};
use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use crosscode_did_registry::api::ChainInfo;
use crosscode_did_registry::codec::Encode;
use crosscode_did_registry::document::{DocumentContent, RegistryDid};
use crosscode_did_registry::genesis::Genesis;
use crosscode_did_registry::ordering::CoreSignatureVerifier;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::proof::{TrustedChain, verify_bundle_for_keys};
use crosscode_did_registry::records::Namespace;
use crosscode_did_registry::transaction::{Payload, SignedTransaction, Transaction};
use crosscode_registry_client::{ClientError, RegistryClient, next_block};

/// Bound on every wait (a deadline, never a timing assertion).
const DEADLINE: Duration = Duration::from_secs(120);
/// Kill and restart cycles.
const CRASH_CYCLES: usize = 3;
/// Requests in flight when checking many transaction statuses.
const CHECKERS: usize = 8;

fn spawn_node(dir: &Path) -> NodeProcess {
    let node = NodeProcess::spawn(
        &[
            "--dev",
            "--data-dir",
            dir.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--heartbeat-ms",
            "200",
        ],
        None,
    );
    assert!(
        node.ready_line.contains("chain crosscode-dev"),
        "{}",
        node.ready_line
    );
    node
}

/// Stops a node with SIGTERM and checks it exits cleanly.
fn terminate(mut node: NodeProcess) {
    let status = Command::new("kill")
        .args(["-TERM", &node.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = node.wait_exit();
    assert!(exit.success(), "{exit:?}");
}

/// Runs `crosscode node ARGS`, which must fail before serving: its exit code and stderr.
fn node_failure(args: &[&str], passphrase: Option<&str>) -> (i32, String) {
    use std::io::Read as _;
    let mut child = node_command(args, passphrase)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let exit = wait_exit(&mut child);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (exit.code().unwrap(), stderr)
}

/// A one-line `error:` report naming `needle` (the CLI's failure convention).
fn assert_error_line(stderr: &str, needle: &str) {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|line| !line.starts_with("note:") && !line.starts_with("node:"))
        .collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(lines[0].contains(needle), "{stderr:?} lacks {needle:?}");
}

/// A new DID's create transaction (the document `crosscode did register` makes), and the DID.
fn did_create(genesis: &Genesis) -> (SignedTransaction, RegistryDid) {
    assert_eq!(genesis.profile, CryptoProfile::Standard);
    let key = SecretKey::generate(KeyAlgorithm::Ed25519);
    let did = RegistryDid::derive(genesis.profile, &genesis.network, &key.public_key());
    let tx = Transaction {
        chain_id: genesis.chain_id.clone(),
        sender: did.clone(),
        key: "key-1".into(),
        sequence: 0,
        payload: Payload::DidCreate {
            document: DocumentContent::single_key("key-1", key.public_key()),
        },
    }
    .sign(&key)
    .unwrap();
    (tx, did)
}

/// What the test saw acknowledged.
#[derive(Default)]
struct Acknowledged {
    /// tx hash -> (height, index).
    committed: BTreeMap<[u8; 32], (u64, u32)>,
    /// height -> state root.
    roots: BTreeMap<u64, [u8; 32]>,
}

async fn record_committed(
    client: &RegistryClient,
    acknowledged: &Mutex<Acknowledged>,
    hash: [u8; 32],
    location: (u64, u32),
) -> Result<(), ClientError> {
    let root = client.block(location.0).await?.header.state_root;
    let mut seen = acknowledged.lock().unwrap();
    seen.committed.insert(hash, location);
    seen.roots.insert(location.0, root);
    Ok(())
}

/// Checks, `CHECKERS` requests at a time, that each transaction is committed where expected.
async fn check_statuses(client: &RegistryClient, expected: Vec<([u8; 32], (u64, u32))>) {
    let chunk = expected.len().div_ceil(CHECKERS).max(1);
    let checkers: Vec<_> = expected
        .chunks(chunk)
        .map(|part| {
            let client = client.clone();
            let part = part.to_vec();
            tokio::spawn(async move {
                for (hash, (height, index)) in part {
                    assert_eq!(
                        client.tx_status(&hash).await.unwrap().location(),
                        Some((height, index)),
                        "transaction {}",
                        hex::encode(hash)
                    );
                }
            })
        })
        .collect();
    for checker in checkers {
        checker.await.unwrap();
    }
}

/// Walks the blocks `from..=to`: each links to the one before (its `previous_hash` is that
/// header's hash) and each of its transactions' status points back at it.
async fn walk_blocks(client: &RegistryClient, profile: CryptoProfile, from: u64, to: u64) {
    let mut previous = client.block(from).await.unwrap().header;
    let mut located = Vec::new();
    for height in from + 1..=to {
        let block = client.block(height).await.unwrap();
        assert_eq!(block.header.height, height);
        assert_eq!(
            block.header.previous_hash,
            previous.hash(profile),
            "block {height} does not link to block {}",
            height - 1
        );
        for (index, hash) in block.transactions.iter().enumerate() {
            located.push((*hash, (height, u32::try_from(index).unwrap())));
        }
        previous = block.header;
    }
    check_statuses(client, located).await;
}

/// Sustained submissions without waiting for them, while a watcher follows the block stream
/// and records every transaction of every block the node reports committed (with the block's
/// state root); the node is killed (SIGKILL) once blocks are being written under load and the
/// watcher has caught up. The height the load started at, the chain at the kill, and the last
/// height the watcher recorded.
async fn load_and_kill(
    mut node: NodeProcess,
    genesis: &Genesis,
    acknowledged: &Arc<Mutex<Acknowledged>>,
) -> (u64, ChainInfo, u64) {
    let client = RegistryClient::new(&node.url).unwrap();
    let start_height = client.chain_info().await.unwrap().height;
    let submitter = {
        let client = client.clone();
        let genesis = genesis.clone();
        tokio::spawn(async move {
            loop {
                let txs: Vec<SignedTransaction> =
                    (0..200).map(|_| did_create(&genesis).0).collect();
                if client.submit_batch(&txs).await.is_err() {
                    return;
                }
                // Keep a steady load rather than an ever-growing mempool.
                loop {
                    match client.chain_info().await {
                        Ok(info) if info.pending > 1_000 => {
                            tokio::time::sleep(Duration::from_millis(2)).await;
                        }
                        Ok(_) => break,
                        Err(_) => return,
                    }
                }
            }
        })
    };
    let last_seen = Arc::new(AtomicU64::new(start_height));
    let watcher = {
        let client = client.clone();
        let acknowledged = Arc::clone(acknowledged);
        let last_seen = Arc::clone(&last_seen);
        let mut blocks = client.blocks_stream(start_height + 1).await.unwrap();
        tokio::spawn(async move {
            while let Some(Ok((header, _))) = next_block(&mut blocks).await {
                let Ok(block) = client.block(header.height).await else {
                    break;
                };
                assert_eq!(block.header, header);
                if let Some(first) = block.transactions.first()
                    && let Ok(status) = client.tx_status(first).await
                {
                    assert_eq!(status.location(), Some((header.height, 0)));
                }
                let mut seen = acknowledged.lock().unwrap();
                for (index, hash) in block.transactions.iter().enumerate() {
                    seen.committed
                        .insert(*hash, (header.height, u32::try_from(index).unwrap()));
                }
                seen.roots.insert(header.height, header.state_root);
                last_seen.store(header.height, Ordering::SeqCst);
            }
            last_seen.load(Ordering::SeqCst)
        })
    };
    // Kill once blocks are being written under load (a few loaded blocks seen, with
    // transactions waiting; or, should the producer always keep up, many blocks past the
    // start) and the watcher has recorded all but at most the newest block.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let at_kill = loop {
        let info = client.chain_info().await.unwrap();
        let seen = last_seen.load(Ordering::SeqCst);
        let loaded =
            (seen >= start_height + 5 && info.pending > 0) || info.height >= start_height + 40;
        if loaded && seen + 1 >= info.height {
            break info;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no load built up: {info:?}, watcher at {seen}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    node.child.kill().unwrap(); // SIGKILL on Unix
    node.child.wait().unwrap();
    drop(node);
    submitter.await.unwrap();
    let watched = watcher.await.unwrap();
    (start_height, at_kill, watched)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_commit_survives_a_sigkill_mid_write() {
    let dir = crosscode_testing::temp_dir("node-crash");
    let node = spawn_node(&dir);
    let genesis =
        Genesis::from_json(&std::fs::read_to_string(dir.join("genesis.json")).unwrap()).unwrap();
    let trusted =
        TrustedChain::from_json(&std::fs::read_to_string(dir.join("validators.json")).unwrap())
            .unwrap();
    for key in ["validator", "member-CN-GD", "member-MO", "member-HK"] {
        assert!(dir.join("keys").join(format!("{key}.key")).is_file());
    }
    let client = RegistryClient::new(&node.url).unwrap();
    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));

    // Rounds of DID creates, each waited for; proofs recorded at their heights.
    let mut proofs = Vec::new();
    for _ in 0..5 {
        let round: Vec<(SignedTransaction, RegistryDid)> =
            (0..20).map(|_| did_create(&genesis)).collect();
        let txs: Vec<SignedTransaction> = round.iter().map(|(tx, _)| tx.clone()).collect();
        let hashes = client.submit_batch(&txs).await.unwrap();
        let mut last = (0, 0);
        for hash in &hashes {
            let committed = client.wait_committed(hash, DEADLINE).await.unwrap();
            last = (committed.height, committed.index);
            record_committed(&client, &acknowledged, *hash, last)
                .await
                .unwrap();
        }
        let (_, did) = &round[0];
        let inclusion = client
            .state(Namespace::Did, did.as_str().as_bytes(), true, Some(last.0))
            .await
            .unwrap();
        assert!(inclusion.value.is_some());
        let (_, never_created) = did_create(&genesis);
        let exclusion = client
            .state(
                Namespace::Did,
                never_created.as_str().as_bytes(),
                true,
                Some(last.0),
            )
            .await
            .unwrap();
        assert!(exclusion.value.is_none());
        for answer in [inclusion, exclusion] {
            let bundle = answer.bundle.clone().unwrap();
            verify_bundle_for_keys(
                &bundle,
                &trusted,
                &CoreSignatureVerifier,
                &[answer.state_key().as_slice()],
            )
            .unwrap();
            proofs.push((answer.state_key(), last.0, bundle.to_bytes()));
        }
    }

    let mut node = node;
    for cycle in 0..CRASH_CYCLES {
        let (start_height, at_kill, watched) = load_and_kill(node, &genesis, &acknowledged).await;
        // The watcher followed the chain through the load, up to the kill.
        assert!(
            watched >= start_height + 5,
            "cycle {cycle}: watched up to {watched}"
        );
        assert!(
            watched + 1 >= at_kill.height,
            "cycle {cycle}: watched up to {watched}, killed at {}",
            at_kill.height
        );
        let (committed, roots) = {
            let seen = acknowledged.lock().unwrap();
            (
                seen.committed
                    .iter()
                    .map(|(hash, location)| (*hash, *location))
                    .collect::<Vec<_>>(),
                seen.roots.clone(),
            )
        };
        eprintln!(
            "crash test, cycle {cycle}: {} transactions acknowledged up to height {watched}; \
             killed at height {} with {} waiting",
            committed.len(),
            at_kill.height,
            at_kill.pending
        );

        // Restart on the same directory: everything acknowledged is there, unchanged.
        node = spawn_node(&dir);
        let client = RegistryClient::new(&node.url).unwrap();
        let head = client.chain_info().await.unwrap();
        assert!(head.height >= watched);
        check_statuses(&client, committed).await;
        for (height, root) in &roots {
            assert_eq!(
                client.block(*height).await.unwrap().header.state_root,
                *root,
                "state root at {height}"
            );
        }
        walk_blocks(&client, genesis.profile, start_height, head.height).await;
        for (state_key, height, bytes) in &proofs {
            let namespace = Namespace::Did;
            assert_eq!(state_key[0], namespace.tag());
            let again = client
                .state(namespace, &state_key[1..], true, Some(*height))
                .await
                .unwrap();
            let bundle = again.bundle.unwrap();
            assert_eq!(&bundle.to_bytes(), bytes, "proof at {height}");
            verify_bundle_for_keys(
                &bundle,
                &trusted,
                &CoreSignatureVerifier,
                &[state_key.as_slice()],
            )
            .unwrap();
        }
    }

    // The restarted node goes on.
    let client = RegistryClient::new(&node.url).unwrap();
    let before = client.chain_info().await.unwrap().height;
    let (tx, _) = did_create(&genesis);
    let hash = client.submit(&tx).await.unwrap();
    let height = client.wait_committed(&hash, DEADLINE).await.unwrap().height;
    assert!(height > before);

    // SIGTERM stops it cleanly (exit 0).
    terminate(node);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn node_refuses_bad_invocations() {
    let dir = crosscode_testing::temp_dir("node-cli-usage");
    let data = dir.to_str().unwrap();
    let (code, stderr) = node_failure(&["--dev", "--data-dir", data, "--genesis", "g.json"], None);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
    let (code, stderr) = node_failure(&["--data-dir", data], None);
    assert_eq!(code, 2);
    assert!(stderr.contains("required"), "{stderr}");
    let (code, stderr) = node_failure(&["--data-dir", data, "--profile", "guomi"], None);
    assert_eq!(code, 2);
    assert!(stderr.contains("--dev"), "{stderr}");
    let (code, stderr) = node_failure(&["--dev", "--data-dir", data, "--heartbeat-ms", "0"], None);
    assert_eq!(code, 2);
    assert!(stderr.contains("heartbeat"), "{stderr}");
    let missing = dir.join("missing.json");
    let (code, stderr) = node_failure(
        &[
            "--data-dir",
            data,
            "--genesis",
            missing.to_str().unwrap(),
            "--validator-key",
            "validator.key",
        ],
        Some("passphrase"),
    );
    assert_eq!(code, 2);
    assert_error_line(&stderr, "cannot read");
    // A directory with keys but no genesis.json is not a dev chain directory.
    std::fs::create_dir_all(dir.join("keys")).unwrap();
    let (code, stderr) = node_failure(&["--dev", "--data-dir", data], None);
    assert_eq!(code, 2);
    assert_error_line(&stderr, "not a dev chain directory");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_runs_a_configured_chain_and_refuses_wrong_keys_profiles_and_busy_ports() {
    // A dev chain, started and stopped: its genesis and keys.
    let dev = crosscode_testing::temp_dir("node-cli-dev");
    terminate(spawn_node(&dev));
    let genesis = dev.join("genesis.json");
    let genesis = genesis.to_str().unwrap();
    let validator_key = dev.join("keys").join("validator.key");
    let validator_key = validator_key.to_str().unwrap();
    let member_key = dev.join("keys").join("member-MO.key");
    let member_key = member_key.to_str().unwrap();

    // The dev directory is a standard chain: another profile is refused.
    let (code, stderr) = node_failure(
        &[
            "--dev",
            "--data-dir",
            dev.to_str().unwrap(),
            "--profile",
            "guomi",
            "--listen",
            "127.0.0.1:0",
        ],
        None,
    );
    assert_eq!(code, 2);
    assert_error_line(&stderr, "is a standard chain, not guomi");

    // The same chain run from its genesis and validator key, in another directory.
    let other = crosscode_testing::temp_dir("node-cli-configured");
    let data = other.to_str().unwrap();
    let configured = |key: &str| {
        vec![
            "--data-dir",
            data,
            "--genesis",
            genesis,
            "--validator-key",
            key,
            "--listen",
            "127.0.0.1:0",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<String>>()
    };
    let args = configured(validator_key);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, stderr) = node_failure(&args, None);
    assert_eq!(code, 2);
    assert_error_line(&stderr, "CROSSCODE_PASSPHRASE is not set");
    let (code, stderr) = node_failure(&args, Some("wrong passphrase"));
    assert_eq!(code, 2);
    assert_error_line(&stderr, "cannot open key file");
    let member_args = configured(member_key);
    let member_args: Vec<&str> = member_args.iter().map(String::as_str).collect();
    let (code, stderr) = node_failure(&member_args, Some("crosscode-dev"));
    assert_eq!(code, 2);
    assert_error_line(&stderr, "not in the validator set");

    let node = NodeProcess::spawn(&args, Some("crosscode-dev"));
    let client = RegistryClient::new(&node.url).unwrap();
    let info = client.chain_info().await.unwrap();
    assert_eq!(info.chain_id, "crosscode-dev");
    // Its port is taken now.
    let busy = other.join("busy");
    let address = node.url.trim_start_matches("http://");
    let (code, stderr) = node_failure(
        &[
            "--data-dir",
            busy.to_str().unwrap(),
            "--genesis",
            genesis,
            "--validator-key",
            validator_key,
            "--listen",
            address,
        ],
        Some("crosscode-dev"),
    );
    assert_eq!(code, 2);
    assert_error_line(&stderr, "cannot listen on");
    terminate(node);
    std::fs::remove_dir_all(&dev).unwrap();
    std::fs::remove_dir_all(&other).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_dev_setup_is_finished_or_generated_again() {
    // A dev chain whose setup was interrupted after its keys and validators.json were moved
    // into place, before genesis.json: the next start finishes it (the same chain, the same
    // blocks).
    let dir = crosscode_testing::temp_dir("node-cli-dev-resume");
    let node = spawn_node(&dir);
    let client = RegistryClient::new(&node.url).unwrap();
    let genesis = std::fs::read_to_string(dir.join("genesis.json")).unwrap();
    let (tx, _) = did_create(&Genesis::from_json(&genesis).unwrap());
    let hash = client.submit(&tx).await.unwrap();
    let height = client.wait_committed(&hash, DEADLINE).await.unwrap().height;
    let block = client.block(height).await.unwrap();
    terminate(node);
    let validators = std::fs::read_to_string(dir.join("validators.json")).unwrap();
    let validator_key = std::fs::read(dir.join("keys").join("validator.key")).unwrap();
    std::fs::create_dir(dir.join("dev.partial")).unwrap();
    std::fs::rename(
        dir.join("genesis.json"),
        dir.join("dev.partial").join("genesis.json"),
    )
    .unwrap();
    let node = spawn_node(&dir);
    let client = RegistryClient::new(&node.url).unwrap();
    assert_eq!(client.block(height).await.unwrap(), block);
    terminate(node);
    assert!(!dir.join("dev.partial").exists());
    assert_eq!(
        std::fs::read_to_string(dir.join("genesis.json")).unwrap(),
        genesis
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("validators.json")).unwrap(),
        validators
    );
    assert_eq!(
        std::fs::read(dir.join("keys").join("validator.key")).unwrap(),
        validator_key
    );
    std::fs::remove_dir_all(&dir).unwrap();

    // A setup interrupted while its files were being written (no genesis.json in the staging
    // directory): generated again, from scratch.
    let dir = crosscode_testing::temp_dir("node-cli-dev-redo");
    let staging = dir.join("dev.partial");
    std::fs::create_dir_all(staging.join("keys")).unwrap();
    std::fs::write(staging.join("keys").join("validator.key"), b"cut short").unwrap();
    let node = spawn_node(&dir);
    let client = RegistryClient::new(&node.url).unwrap();
    assert_eq!(client.chain_info().await.unwrap().chain_id, "crosscode-dev");
    terminate(node);
    assert!(!staging.exists());
    for file in ["genesis.json", "validators.json"] {
        assert!(dir.join(file).is_file(), "{file}");
    }
    for key in ["validator", "member-CN-GD", "member-MO", "member-HK"] {
        assert!(dir.join("keys").join(format!("{key}.key")).is_file());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
