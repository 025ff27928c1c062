//! A consortium chain of four validator processes on loopback (Malachite BFT), made with
//! `crosscode node testnet init` and started from the command lines it prints. Scenarios are
//! named as Malachite's tests are: `n4f0` (four validators, no fault), `n4f1_crash` (one
//! killed and restarted), `n4f2_halt` (two down: no block, no fork; one back: the chain goes on).
//! Every wait is bounded by a deadline (never a timing assertion).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::{
    NodeProcess, assert_clean_failure, command_with_passphrase, crosscode, new_key, success_stdout,
};
use crosscode_core::keys::{KeyFile, SecretKey};
use crosscode_did_registry::codec::Encode;
use crosscode_did_registry::document::RegistryDid;
use crosscode_did_registry::genesis::Genesis;
use crosscode_did_registry::governance::GovernanceAction;
use crosscode_did_registry::ordering::CoreSignatureVerifier;
use crosscode_did_registry::proof::{TrustedChain, verify_bundle_for_keys};
use crosscode_did_registry::records::StateKey;
use crosscode_registry_client::RegistryClient;

/// Bound on every wait.
const DEADLINE: Duration = Duration::from_secs(120);

/// A testnet directory and its validators (running or not).
struct Testnet {
    dir: crosscode_testing::TempDir,
    /// Each validator's `crosscode node …` arguments (after `node`).
    args: Vec<Vec<String>>,
    passphrase: Option<String>,
    nodes: Vec<Option<NodeProcess>>,
}

impl Testnet {
    /// `crosscode node testnet init --validators N`, its printed command lines parsed.
    fn init(label: &str, validators: usize) -> Testnet {
        let dir = crosscode_testing::temp_dir(label);
        let output = command_with_passphrase(
            &[
                "node",
                "testnet",
                "init",
                "--validators",
                &validators.to_string(),
                "--dir",
                dir.path().to_str().unwrap(),
            ],
            None,
        )
        .output()
        .unwrap();
        let stdout = success_stdout(&output);
        let mut passphrase = None;
        let args: Vec<Vec<String>> = stdout
            .lines()
            .map(|line| {
                let mut words = line.split_whitespace().map(str::to_owned).peekable();
                if let Some(assignment) = words.next_if(|w| w.starts_with("CROSSCODE_PASSPHRASE="))
                {
                    passphrase = Some(assignment["CROSSCODE_PASSPHRASE=".len()..].to_owned());
                }
                assert_eq!(words.next().as_deref(), Some("crosscode"), "{line}");
                assert_eq!(words.next().as_deref(), Some("node"), "{line}");
                words.collect()
            })
            .collect();
        assert_eq!(
            args.len(),
            validators,
            "one command line per validator: {stdout}"
        );
        let nodes = (0..validators).map(|_| None).collect();
        Testnet {
            dir,
            args,
            passphrase,
            nodes,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn start(&mut self, i: usize) {
        self.start_with_env(i, &[]);
    }

    fn start_with_env(&mut self, i: usize, env: &[(&str, &str)]) {
        let args: Vec<&str> = self.args[i].iter().map(String::as_str).collect();
        let node = NodeProcess::spawn_with_env(&args, self.passphrase.as_deref(), env);
        self.nodes[i] = Some(node);
    }

    /// The consortium members (their DIDs and governance keys, from `D/keys`).
    fn members(&self) -> Vec<(RegistryDid, SecretKey)> {
        let genesis =
            Genesis::from_json(&std::fs::read_to_string(self.path().join("genesis.json")).unwrap())
                .unwrap();
        let passphrase = self.passphrase.as_deref().unwrap_or_default();
        genesis
            .members
            .iter()
            .map(|member| {
                let path = self
                    .path()
                    .join("keys")
                    .join(format!("member-{}.key", member.jurisdiction));
                let key = KeyFile::read(&path)
                    .unwrap()
                    .open(passphrase.as_bytes())
                    .unwrap();
                let did = RegistryDid::derive(genesis.profile, &genesis.network, &key.public_key());
                (did, key)
            })
            .collect()
    }

    fn start_all(&mut self) {
        for i in 0..self.args.len() {
            self.start(i);
        }
    }

    /// SIGKILL.
    fn kill(&mut self, i: usize) {
        let mut node = self.nodes[i].take().expect("running");
        node.child.kill().unwrap();
        node.child.wait().unwrap();
    }

    fn client(&self, i: usize) -> RegistryClient {
        let node = self.nodes[i].as_ref().expect("running");
        RegistryClient::new(&node.url)
            .unwrap()
            .with_commit_timeout(DEADLINE)
    }

    fn trusted(&self) -> TrustedChain {
        let text = std::fs::read_to_string(self.path().join("validators.json")).unwrap();
        TrustedChain::from_json(&text).unwrap()
    }
}

async fn height(client: &RegistryClient) -> u64 {
    client.chain_info().await.unwrap().height
}

/// Waits until the node's head reaches `target`.
async fn reach(client: &RegistryClient, target: u64) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while height(client).await < target {
        assert!(
            tokio::time::Instant::now() < deadline,
            "height {target} not reached"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Registers a fresh DID through `client` and waits for it to commit there.
async fn register(client: &RegistryClient) -> (RegistryDid, u64) {
    let key = SecretKey::generate(crosscode_core::keys::KeyAlgorithm::Ed25519);
    let (did, committed) = client.register_did(&key, "key-1").await.unwrap();
    (did, committed.height)
}

/// The proof bundle of `dids` at `height` from every running validator, once each holds the
/// block after it (whose value carries the certificate every validator then keeps):
/// byte-identical, and verified offline against the testnet's `validators.json`.
async fn assert_same_proofs(net: &Testnet, dids: &[RegistryDid], at: u64) {
    let keys: Vec<Vec<u8>> = dids
        .iter()
        .map(|did| StateKey::did(did).as_bytes().to_vec())
        .collect();
    let key_refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
    let trusted = net.trusted();
    let mut first: Option<Vec<u8>> = None;
    for i in 0..net.nodes.len() {
        if net.nodes[i].is_none() {
            continue;
        }
        let client = net.client(i);
        reach(&client, at + 1).await;
        let bundle = client.prove(&keys, at).await.unwrap();
        let verified = verify_bundle_for_keys(&bundle, &trusted, &CoreSignatureVerifier, &key_refs)
            .unwrap_or_else(|e| panic!("validator {i}'s bundle does not verify: {e}"));
        assert_eq!(verified.height, at);
        let bytes = bundle.to_bytes();
        match &first {
            None => first = Some(bytes),
            Some(first) => assert_eq!(first, &bytes, "validator {i} serves another bundle"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn n4f0_transactions_sent_to_any_validator_commit_and_every_validator_proves_them_alike() {
    let mut net = Testnet::init("consortium-n4f0", 4);
    net.start_all();
    let mut dids = Vec::new();
    let mut last = 0;
    for i in 0..4 {
        let (did, at) = register(&net.client(i)).await;
        dids.push(did);
        last = last.max(at);
    }
    assert_same_proofs(&net, &dids, last).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn n4f1_crash_three_validators_keep_committing_and_a_restarted_one_catches_up() {
    let mut net = Testnet::init("consortium-n4f1-crash", 4);
    net.start_all();
    let (first, _) = register(&net.client(0)).await;
    net.kill(3);
    let mut dids = vec![first];
    let mut last = 0;
    for i in 0..3 {
        let (did, at) = register(&net.client(i)).await;
        dids.push(did);
        last = last.max(at);
    }
    // More blocks than one round-robin turn, with validator 3 down.
    reach(&net.client(0), last + 4).await;
    net.start(3);
    assert_same_proofs(&net, &dids, last).await;
    let (did, at) = register(&net.client(3)).await;
    dids.push(did);
    assert_same_proofs(&net, &dids, at).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn n4f2_halt_two_validators_down_commit_nothing_and_the_chain_resumes_when_one_returns() {
    let mut net = Testnet::init("consortium-n4f2-halt", 4);
    net.start_all();
    reach(&net.client(0), 2).await;
    net.kill(2);
    net.kill(3);
    // A block already voted may still land: wait until the head stops moving.
    let (a, b) = (net.client(0), net.client(1));
    let mut halted = height(&a).await;
    loop {
        tokio::time::sleep(Duration::from_secs(6)).await;
        let now = height(&a).await;
        if now == halted {
            break;
        }
        halted = now;
    }
    reach(&b, halted).await;
    assert_eq!(height(&b).await, halted, "one half went on alone");
    let (block_a, block_b) = (
        a.block(halted).await.unwrap(),
        b.block(halted).await.unwrap(),
    );
    assert_eq!(
        block_a.header, block_b.header,
        "a fork at the halted height"
    );
    // A transaction submitted now waits; it commits once a third validator is back.
    net.start(2);
    let (did, at) = register(&net.client(0)).await;
    assert!(at > halted);
    assert_same_proofs(&net, &[did], at).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn n4f1_byzantine_blocks_with_a_wrong_state_root_get_no_certificate_and_the_chain_goes_on() {
    let mut net = Testnet::init("consortium-n4f1-byzantine", 4);
    // Validator 1 (position 1 in the set) proposes a wrong state root whenever it proposes:
    // in round 0 of heights 1, 5, 9, … (the proposer of round r at height h is (h + r) mod 4).
    for i in 0..4 {
        if i == 1 {
            net.start_with_env(i, &[("CROSSCODE_BYZANTINE_PROPOSER", "state-root")]);
        } else {
            net.start(i);
        }
    }
    let client = net.client(0);
    let (did, at) = register(&net.client(2)).await;
    reach(&client, at.max(9)).await;
    for height in 1..=at.max(9) {
        let block = client.block(height).await.unwrap();
        let certificate = block.certificate.unwrap();
        if height % 4 == 1 {
            assert!(
                certificate.round >= 1,
                "height {height}: the lying proposer's round-0 block was certified"
            );
        }
    }
    assert_same_proofs(&net, &[did], at).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn governance_removes_a_validator_and_checkpoint_sync_follows_the_new_set() {
    let mut net = Testnet::init("consortium-governance", 4);
    net.start_all();
    let genesis_set = net.trusted();
    let kept: Vec<_> = genesis_set.validators.validators()[..3].to_vec();
    let members = net.members();
    let proposed = net
        .client(0)
        .propose(
            &members[0].1,
            Some(&members[0].0),
            GovernanceAction::SetValidators {
                validators: kept.clone(),
            },
            100,
        )
        .await
        .unwrap();
    let voted = net
        .client(1)
        .vote(&members[1].1, Some(&members[1].0), proposed.id, true)
        .await
        .unwrap();
    let executed = voted.committed.height;
    // The new set signs from the next block: validator 3 is no longer needed.
    reach(&net.client(0), executed + 1).await;
    net.kill(3);
    let (did, at) = register(&net.client(2)).await;
    assert!(at > executed);
    let next = net.client(0).block(at).await.unwrap();
    let new_set =
        crosscode_did_registry::validators::ValidatorSet::new(genesis_set.profile, kept).unwrap();
    assert_eq!(
        next.header.validators_hash,
        new_set.hash(genesis_set.profile),
        "block {at} is not signed by the new set"
    );
    // A checkpoint pinned to the genesis set follows the change through the certificates.
    let cache = net.path().join("checkpoint-cache");
    let node_url = net.nodes[0].as_ref().unwrap().url.clone();
    let output = command_with_passphrase(
        &[
            "checkpoint",
            "sync",
            "--node",
            &node_url,
            "--validators",
            net.path().join("validators.json").to_str().unwrap(),
            "--cache",
            cache.to_str().unwrap(),
        ],
        None,
    )
    .output()
    .unwrap();
    let report: serde_json::Value = serde_json::from_str(&success_stdout(&output)).unwrap();
    assert!(report["height"].as_u64().unwrap() >= at, "{report}");
    let trust = crosscode_verifier::chain_trust::ChainTrust::load(&cache).unwrap();
    assert_eq!(trust.chain.validators, new_set);
    // `proof verify` follows it too through the cache; the genesis set alone no longer does.
    let bundle_json = success_stdout(&crosscode(
        &[
            "proof",
            "get",
            "--node",
            &node_url,
            "--height",
            &at.to_string(),
            "did",
            did.as_str(),
        ],
        None,
    ));
    let bundle_path = net.path().join("bundle.json");
    std::fs::write(&bundle_path, bundle_json).unwrap();
    let bundle_arg = bundle_path.to_str().unwrap();
    let followed = crosscode(
        &[
            "proof",
            "verify",
            bundle_arg,
            "--cache",
            cache.to_str().unwrap(),
            "--namespace",
            "did",
            "--key",
            did.as_str(),
        ],
        None,
    );
    success_stdout(&followed);
    let pinned = crosscode(
        &[
            "proof",
            "verify",
            bundle_arg,
            "--validators",
            net.path().join("validators.json").to_str().unwrap(),
            "--namespace",
            "did",
            "--key",
            did.as_str(),
        ],
        None,
    );
    assert_eq!(
        pinned.status.code(),
        Some(1),
        "the genesis set alone accepted it"
    );
    // And a proof from after the change verifies against the set the checkpoint follows.
    let key = StateKey::did(&did).as_bytes().to_vec();
    let bundle = net
        .client(0)
        .prove(std::slice::from_ref(&key), at)
        .await
        .unwrap();
    verify_bundle_for_keys(&bundle, &trust.chain, &CoreSignatureVerifier, &[&key]).unwrap();
}

#[test]
fn testnet_init_refuses_a_directory_that_holds_a_chain() {
    let net = Testnet::init("consortium-init-twice", 1);
    let dir = net.path().to_str().unwrap();
    let again = crosscode(
        &["node", "testnet", "init", "--validators", "4", "--dir", dir],
        None,
    );
    assert_clean_failure(&again, "already holds a chain");
    let none = crosscode(
        &["node", "testnet", "init", "--validators", "0", "--dir", dir],
        None,
    );
    assert!(!none.status.success());
}

#[test]
fn a_validator_key_of_another_algorithm_than_the_chains_is_refused() {
    let net = Testnet::init("consortium-outsider", 4);
    let passphrase = net.passphrase.clone().unwrap();
    let (key, _) = new_key(net.path(), "outsider.key", "sm2", &passphrase);
    let data = net.path().join("outsider");
    let output = crosscode(
        &[
            "node",
            "--genesis",
            net.path().join("genesis.json").to_str().unwrap(),
            "--validator-key",
            &key,
            "--data-dir",
            data.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--p2p",
            "127.0.0.1:0",
        ],
        Some(&passphrase),
    );
    assert_clean_failure(&output, "not of the chain's algorithm");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn testnet_run_starts_every_validator_and_stops_them_all_on_sigterm() {
    let net = Testnet::init("consortium-run", 4);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(net.path().join("testnet.json")).unwrap())
            .unwrap();
    let urls: Vec<String> = manifest["validators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| format!("http://{}", v["listen"].as_str().unwrap()))
        .collect();
    let mut run = command_with_passphrase(
        &[
            "node",
            "testnet",
            "run",
            "--dir",
            net.path().to_str().unwrap(),
        ],
        None,
    )
    .stdin(std::process::Stdio::null())
    .stdout(std::process::Stdio::null())
    .spawn()
    .unwrap();
    let clients: Vec<RegistryClient> = urls
        .iter()
        .map(|url| {
            RegistryClient::new(url)
                .unwrap()
                .with_commit_timeout(DEADLINE)
        })
        .collect();
    let deadline = tokio::time::Instant::now() + DEADLINE;
    for client in &clients {
        while client.chain_info().await.is_err() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "a validator never answered"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let (_, at) = register(&clients[2]).await;
    reach(&clients[0], at).await;
    let status = std::process::Command::new("kill")
        .args(["-TERM", &run.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = common::wait_exit(&mut run);
    assert!(exit.success(), "{exit:?}");
    for client in &clients {
        assert!(
            client.chain_info().await.is_err(),
            "a validator outlived the testnet"
        );
    }
}
