//! The node keeps its OpenAPI document: schemathesis, a property-based API tester, generates
//! requests from `GET /openapi.json` of a node started in-process on 127.0.0.1:0 and checks
//! every answer with all its checks (`tests/schemathesis.toml`): no schema-valid request
//! refused (the one documented exception: a submission whose bytes do not decode, 422), no 5xx,
//! every status, media type and body as documented (error bodies included), schema-invalid
//! requests refused.
//!
//! schemathesis is a Python tool pinned and installed by `cargo xtask test`, which hands its
//! path to the tests in `CROSSCODE_SCHEMATHESIS` (default: `schemathesis` on `PATH`); without
//! it this test fails saying so. The run is bounded: 30 examples per operation, a fixed seed,
//! one worker, a hard deadline, and it only ever talks to the node's loopback address.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crosscode_core::keys::SecretKey;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_registry_node::{Node, NodeConfig};
use crosscode_testing::registry::Chain;
use crosscode_testing::schemathesis::{run_bounded, schemathesis};
use crosscode_testing::temp_dir;

/// The run is killed past this (it takes well under a minute on this 2-core machine).
const DEADLINE: Duration = Duration::from_secs(300);

/// `tests/schemathesis.toml`, plus the chain's member DIDs mixed into the generated DIDs and
/// state keys (half the time), so resolutions and state reads also find something.
fn settings_for(chain: &Chain) -> String {
    let fixed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis.toml"),
    )
    .unwrap();
    let dids: Vec<String> = chain
        .members
        .iter()
        .map(|member| format!("\"{}\"", member.did.as_str()))
        .collect();
    format!(
        "{fixed}\n[dictionaries.registry-dids]\nvalues = [{}]\n\n[parameters]\n\
         \"path.did\" = {{ dictionary = \"registry-dids\", probability = 0.5 }}\n\
         \"path.key\" = {{ dictionary = \"registry-dids\", probability = 0.5 }}\n",
        dids.join(", ")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_every_answer_of_the_node_as_its_openapi_document_says() {
    let exe = schemathesis();
    let dir = temp_dir("node-openapi");
    let chain = Chain::new(CryptoProfile::Standard);
    let mut config = NodeConfig::new(dir.join("node"), "127.0.0.1:0".parse().unwrap());
    // Heartbeat blocks: heights 1 and up exist, so proofs and block reads have data.
    config.heartbeat = Duration::from_millis(200);
    let key =
        SecretKey::from_bytes(chain.validator.algorithm(), &chain.validator.to_bytes()).unwrap();
    let node = Node::start(&chain.genesis, key, config).await.unwrap();
    let url = format!("http://{}/openapi.json", node.local_addr());
    let work = dir.join("schemathesis");
    std::fs::create_dir_all(&work).unwrap();
    let settings = work.join("schemathesis.toml");
    std::fs::write(&settings, settings_for(&chain)).unwrap();

    let mut command = Command::new(exe);
    command
        .arg("--config-file")
        .arg(&settings)
        .arg("--no-color")
        .args(["run", &url, "--checks", "all"]);
    let started = Instant::now();
    let (status, output) =
        tokio::task::spawn_blocking(move || run_bounded(command, &work, DEADLINE))
            .await
            .unwrap();
    let took = started.elapsed();
    node.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    eprintln!("{output}\nschemathesis ran for {:.1} s", took.as_secs_f64());
    match status {
        None => panic!("schemathesis did not finish within {DEADLINE:?}:\n{output}"),
        Some(status) => assert!(
            status.success(),
            "schemathesis found answers that break the OpenAPI document ({status}):\n{output}"
        ),
    }
    assert!(output.contains("passed"), "{output}");
}
