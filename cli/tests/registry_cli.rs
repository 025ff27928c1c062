//! The registry CLI verbs end to end against `crosscode node --dev` run as a child process on a
//! free loopback port: register a DID, resolve it, the dev members admit it as an issuer, anchor
//! evidence, fetch inclusion and exclusion proof bundles and verify them offline (a tampered
//! bundle fails), and the typed failures a user can hit — on both crypto profiles.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{NodeProcess, assert_clean_failure, crosscode, json_of, new_key, stderr, stdout};
use crosscode_testing::temp_dir;
use serde_json::Value;

/// The dev chain's key-file passphrase (CROSSCODE_PASSPHRASE unset when the node started).
const DEV_PASSPHRASE: &str = "crosscode-dev";
/// The passphrase of the issuer's own key file.
const ISSUER_PASSPHRASE: &str = "issuer passphrase";

/// A `crosscode node --dev` child process (killed when dropped) and its directory.
struct DevNode {
    process: NodeProcess,
    dir: PathBuf,
}

impl DevNode {
    /// Starts a dev node of `profile` in `dir` on a free port and waits (with a deadline) for
    /// its ready line.
    fn start(dir: &Path, profile: &str) -> DevNode {
        let process = NodeProcess::spawn(
            &[
                "--dev",
                "--profile",
                profile,
                "--data-dir",
                dir.to_str().unwrap(),
                "--listen",
                "127.0.0.1:0",
                "--heartbeat-ms",
                "500",
            ],
            None,
        );
        DevNode {
            process,
            dir: dir.to_owned(),
        }
    }

    fn member_key(&self, jurisdiction: &str) -> String {
        self.dir
            .join("keys")
            .join(format!("member-{jurisdiction}.key"))
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// `crosscode gov VERB --key <jurisdiction's member key> --node URL REST…` with the dev
    /// passphrase.
    fn gov(&self, verb: &str, jurisdiction: &str, rest: &[&str]) -> Output {
        let key = self.member_key(jurisdiction);
        let mut args = vec!["gov", verb, "--key", &key, "--node", &self.process.url];
        args.extend_from_slice(rest);
        crosscode(&args, Some(DEV_PASSPHRASE))
    }

    fn validators(&self) -> String {
        self.dir
            .join("validators.json")
            .to_str()
            .unwrap()
            .to_owned()
    }
}

/// A loopback URL where nothing listens (a port bound, then released).
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

fn write_text(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// `proof verify` of `bundle` against `validators` (plus `extra` options).
fn verify(bundle: &str, validators: &str, extra: &[&str]) -> Output {
    let mut args = vec!["proof", "verify", bundle, "--validators", validators];
    args.extend_from_slice(extra);
    crosscode(&args, None)
}

/// Asserts `proof verify` said "invalid": exit 1, `{"valid": false}`, one error line.
fn assert_invalid(output: &Output, needle: &str) {
    assert_eq!(output.status.code(), Some(1), "{}", stderr(output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert_clean_failure(output, needle);
}

fn run_end_to_end(profile: &str, algorithm: &str) {
    let dir = temp_dir(&format!("registry-{profile}"));
    let node = DevNode::start(&dir.join("chain"), profile);
    let url = node.process.url.as_str();

    // did register: the DID is derived from the key and committed.
    let (issuer_key, issuer_did_key) = new_key(&dir, "issuer.key", algorithm, ISSUER_PASSPHRASE);
    let registered = crosscode(
        &["did", "register", "--key", &issuer_key, "--node", url],
        Some(ISSUER_PASSPHRASE),
    );
    let did = common::success_stdout(&registered).trim().to_owned();
    assert!(did.starts_with("did:crosscode:dev:"), "{did}");

    // did resolve through the node: the document holds the key file's key.
    let resolved = json_of(&crosscode(&["did", "resolve", &did, "--node", url], None));
    let document = &resolved["didDocument"];
    let method_id = format!("{did}#key-1");
    assert_eq!(document["id"], did.as_str());
    assert_eq!(document["verificationMethod"][0]["id"], method_id.as_str());
    assert_eq!(
        document["verificationMethod"][0]["publicKeyMultibase"],
        issuer_did_key.strip_prefix("did:key:").unwrap()
    );
    assert_eq!(document["capabilityInvocation"][0], method_id.as_str());
    assert_eq!(document["assertionMethod"][0], method_id.as_str());
    assert_eq!(resolved["didDocumentMetadata"]["versionId"], "0");
    assert_eq!(resolved["didDocumentMetadata"]["deactivated"], false);
    let created_height = resolved["didDocumentMetadata"]["height"].as_u64().unwrap();
    // Before its creation it is not found (exit 1, the W3C error result on stdout).
    let before = crosscode(
        &[
            "did",
            "resolve",
            &did,
            "--node",
            url,
            "--height",
            &(created_height - 1).to_string(),
        ],
        None,
    );
    assert_eq!(before.status.code(), Some(1));
    let error: Value = serde_json::from_slice(&before.stdout).unwrap();
    assert_eq!(error["didResolutionMetadata"]["error"], "notFound");
    assert_clean_failure(&before, "notFound");
    // Registering it again is refused by the chain.
    assert_clean_failure(
        &crosscode(
            &["did", "register", "--key", &issuer_key, "--node", url],
            Some(ISSUER_PASSPHRASE),
        ),
        "did-exists",
    );

    // An issuer that is not admitted cannot anchor.
    let hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let anchor_args = [
        "evidence",
        "anchor",
        "--key",
        &issuer_key,
        "--hash",
        hash,
        "--node",
        url,
    ];
    assert_clean_failure(
        &crosscode(&anchor_args, Some(ISSUER_PASSPHRASE)),
        "not-authorised",
    );
    // Hashes are lowercase hex, as everywhere in the API.
    let upper = hash.to_uppercase();
    let output = crosscode(
        &[
            "evidence",
            "anchor",
            "--key",
            &issuer_key,
            "--hash",
            &upper,
            "--node",
            url,
        ],
        Some(ISSUER_PASSPHRASE),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("lowercase hex"),
        "{}",
        stderr(&output)
    );

    // Governance: CN-GD proposes, MO rejects (and cannot vote twice), HK approves: 2 of 3.
    let proposed = json_of(&node.gov(
        "propose",
        "CN-GD",
        &[
            "admit-issuer",
            &did,
            "--types",
            "HealthCode,NucleicAcidTestResult",
            "--jurisdiction",
            "CN-GD",
        ],
    ));
    assert!(proposed["closesHeight"].as_u64().unwrap() > proposed["height"].as_u64().unwrap());
    assert_eq!(proposed["status"], "open");
    let proposal = proposed["proposal"].as_u64().unwrap().to_string();
    let vote =
        |jurisdiction: &str, choice: &str| node.gov("vote", jurisdiction, &[&proposal, choice]);
    let rejected = json_of(&vote("MO", "--reject"));
    assert_eq!(rejected["approve"], false);
    assert_eq!(rejected["status"], "open");
    assert_clean_failure(&vote("MO", "--approve"), "already-voted");
    let executed = json_of(&vote("HK", "--approve"));
    assert_eq!(executed["status"], "executed");
    assert_clean_failure(&vote("HK", "--approve"), "proposal-closed");
    // A key that is not a member's cannot vote.
    assert_clean_failure(
        &crosscode(
            &[
                "gov",
                "vote",
                "--key",
                &issuer_key,
                "--node",
                url,
                &proposal,
                "--approve",
            ],
            Some(ISSUER_PASSPHRASE),
        ),
        "not-authorised",
    );

    // evidence anchor, now admitted; anchoring the same hash twice is refused.
    let anchored = json_of(&crosscode(&anchor_args, Some(ISSUER_PASSPHRASE)));
    assert_eq!(anchored["issuer"], did.as_str());
    assert_eq!(anchored["credentialHash"], hash);
    let anchor_height = anchored["height"].as_u64().unwrap();
    assert!(anchor_height > created_height);
    assert_clean_failure(
        &crosscode(&anchor_args, Some(ISSUER_PASSPHRASE)),
        "evidence-exists",
    );

    // proof get: an inclusion proof of the evidence entry.
    let got = crosscode(&["proof", "get", "--node", url, "evidence", hash], None);
    let bundle_text = common::success_stdout(&got);
    let bundle: Value = serde_json::from_str(&bundle_text).unwrap();
    assert_eq!(bundle["format"], "crosscode-proof-bundle-v1");
    assert_eq!(bundle["chainId"], "crosscode-dev");
    assert!(bundle["height"].as_u64().unwrap() >= anchor_height);
    assert_eq!(bundle["entries"][0]["namespace"], "evidence");
    assert_eq!(bundle["entries"][0]["key"], format!("09{hash}"));
    let bundle_path = write_text(&dir, "bundle.json", &bundle_text);
    let validators = node.validators();
    // Without --namespace/--key: valid for the keys the bundle names, said so (keysChecked
    // false) with a warning on stderr.
    let unchecked = verify(&bundle_path, &validators, &[]);
    let report = json_of(&unchecked);
    assert_eq!(report["valid"], true);
    assert_eq!(report["keysChecked"], false);
    assert!(
        stderr(&unchecked).starts_with("warning: "),
        "{}",
        stderr(&unchecked)
    );
    assert!(stderr(&unchecked).contains("--namespace and --key"));
    assert_eq!(report["entries"][0]["present"], true);
    assert_eq!(report["entries"][0]["namespace"], "evidence");
    // As the answer about exactly this entry, and not about another one.
    let exact = verify(
        &bundle_path,
        &validators,
        &["--namespace", "evidence", "--key", hash],
    );
    assert_eq!(json_of(&exact)["keysChecked"], true);
    assert_eq!(json_of(&exact)["valid"], true);
    assert!(stderr(&exact).is_empty(), "{}", stderr(&exact));
    let other_hash = "00".repeat(32);
    assert_invalid(
        &verify(
            &bundle_path,
            &validators,
            &["--namespace", "evidence", "--key", &other_hash],
        ),
        "not the keys asked for",
    );

    // proof get of a hash never anchored: an exclusion proof that verifies as "absent".
    let missing = crosscode(
        &["proof", "get", "--node", url, "evidence", &other_hash],
        None,
    );
    let missing_path = write_text(&dir, "missing.json", &common::success_stdout(&missing));
    let report = json_of(&verify(
        &missing_path,
        &validators,
        &["--namespace", "evidence", "--key", &other_hash],
    ));
    assert_eq!(report["valid"], true);
    assert_eq!(report["entries"][0]["present"], false);
    assert_eq!(report["entries"][0]["value"], Value::Null);

    // A DID entry: the key is the DID.
    let did_bundle = crosscode(&["proof", "get", "--node", url, "did", &did], None);
    let did_path = write_text(&dir, "did.json", &common::success_stdout(&did_bundle));
    assert_eq!(
        json_of(&verify(
            &did_path,
            &validators,
            &["--namespace", "did", "--key", &did]
        ))["entries"][0]["present"],
        true
    );

    // As of the block before the anchor, the hash was not anchored (exclusion at a height).
    let earlier = crosscode(
        &[
            "proof",
            "get",
            "--node",
            url,
            "--height",
            &(anchor_height - 1).to_string(),
            "evidence",
            hash,
        ],
        None,
    );
    let earlier_path = write_text(&dir, "earlier.json", &common::success_stdout(&earlier));
    let report = json_of(&verify(
        &earlier_path,
        &validators,
        &["--namespace", "evidence", "--key", hash],
    ));
    assert_eq!(report["height"], anchor_height - 1);
    assert_eq!(report["entries"][0]["present"], false);

    // Suspending the issuer (CN-GD proposes, HK approves) stops its anchors.
    let suspend = json_of(&node.gov("propose", "CN-GD", &["suspend-issuer", &did]));
    let suspend_id = suspend["proposal"].as_u64().unwrap();
    assert_ne!(suspend_id.to_string(), proposal);
    let approved = json_of(&node.gov("vote", "HK", &[&suspend_id.to_string(), "--approve"]));
    assert_eq!(approved["status"], "executed");
    let second_hash = "11".repeat(32);
    assert_clean_failure(
        &crosscode(
            &[
                "evidence",
                "anchor",
                "--key",
                &issuer_key,
                "--hash",
                &second_hash,
                "--node",
                url,
            ],
            Some(ISSUER_PASSPHRASE),
        ),
        "issuer suspended",
    );
    // A validator-set file that is not one is refused before anything is sent.
    let not_validators = write_text(&dir, "not-validators.json", "{}");
    assert_clean_failure(
        &node.gov(
            "propose",
            "CN-GD",
            &["set-validators", "--validators", &not_validators],
        ),
        "not a JSON array of validators",
    );

    // Tampering: a readable member, the bundle itself, the trusted chain.
    let state_root = bundle["stateRoot"].as_str().unwrap();
    let flipped = format!(
        "{}{}",
        if state_root.starts_with('0') {
            "1"
        } else {
            "0"
        },
        &state_root[1..]
    );
    let tampered = write_text(
        &dir,
        "tampered-root.json",
        &bundle_text.replace(state_root, &flipped),
    );
    assert_invalid(&verify(&tampered, &validators, &[]), "stateRoot");
    let encoded = bundle["bundle"].as_str().unwrap();
    let middle = encoded.len() / 2;
    let replacement = if &encoded[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    let changed = format!(
        "{}{replacement}{}",
        &encoded[..middle],
        &encoded[middle + 1..]
    );
    let tampered = write_text(
        &dir,
        "tampered-bundle.json",
        &bundle_text.replace(encoded, &changed),
    );
    let output = verify(&tampered, &validators, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        serde_json::from_slice::<Value>(&output.stdout).unwrap()["valid"],
        false
    );
    let validators_text = std::fs::read_to_string(&validators).unwrap();
    let other_chain = write_text(
        &dir,
        "other-chain.json",
        &validators_text.replace("\"crosscode-dev\"", "\"crosscode-other\""),
    );
    assert_invalid(&verify(&bundle_path, &other_chain, &[]), "another chain");

    // Unusable inputs exit 2.
    let not_json = write_text(&dir, "not-json.json", "{\"format\": ");
    let output = verify(&not_json, &validators, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert_clean_failure(&output, "is not a bundle.json");
    let bad_hash = write_text(
        &dir,
        "bad-validators.json",
        &validators_text.replacen("\"validatorsHash\": \"", "\"validatorsHash\": \"00", 1),
    );
    let output = verify(&bundle_path, &bad_hash, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert_clean_failure(&output, "not a usable validators.json");

    // Typed failures: a wrong passphrase, a node that is not there, a key of another algorithm.
    assert_clean_failure(
        &crosscode(
            &["did", "register", "--key", &issuer_key, "--node", url],
            Some("not the passphrase"),
        ),
        "wrong passphrase",
    );
    assert_clean_failure(
        &crosscode(
            &[
                "did",
                "register",
                "--key",
                &issuer_key,
                "--node",
                &closed_port_url(),
            ],
            Some(ISSUER_PASSPHRASE),
        ),
        "cannot reach the registry node",
    );
    let other_algorithm = if algorithm == "ed25519" {
        "sm2"
    } else {
        "ed25519"
    };
    let (wrong_key, _) = new_key(&dir, "wrong.key", other_algorithm, ISSUER_PASSPHRASE);
    assert_clean_failure(
        &crosscode(
            &["did", "register", "--key", &wrong_key, "--node", url],
            Some(ISSUER_PASSPHRASE),
        ),
        "signs with",
    );
    assert!(stdout(&crosscode(&["node", "--help"], None)).contains("--dev"));
    drop(node);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn registry_verbs_end_to_end_on_a_standard_dev_node() {
    run_end_to_end("standard", "ed25519");
}

#[test]
fn registry_verbs_end_to_end_on_a_guomi_dev_node() {
    run_end_to_end("guomi", "sm2");
}
