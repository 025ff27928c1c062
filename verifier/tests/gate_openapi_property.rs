//! The gate keeps its OpenAPI document: schemathesis, a property-based API tester, generates
//! requests from `GET /openapi.json` of a gate started in process on 127.0.0.1:0 and checks
//! every answer with all its checks (`tests/gate_schemathesis.toml`): no 5xx, every status,
//! media type and body as documented (error bodies included), schema-invalid requests refused,
//! and schema-valid requests accepted except for frames that are not images or hold no QR code.
//!
//! The gate has no synced cache and a node that does not answer, so `/v1/status` also shows a
//! failed background sync. schemathesis is installed by `cargo xtask test`
//! (`CROSSCODE_SCHEMATHESIS`); without it this test fails saying so. The run is bounded (fixed
//! seed, one worker, a deadline) and only talks to loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crosscode_did_registry::profile::CryptoProfile;
use crosscode_testing::registry::Chain;
use crosscode_testing::schemathesis::{run_bounded, schemathesis};
use crosscode_testing::temp_dir;
use crosscode_verifier::format::cc1::PresentationPolicy;
use crosscode_verifier::gate::{GateConfig, RefreshConfig, RunningGate};

const DEADLINE: Duration = Duration::from_secs(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_every_answer_of_the_gate_as_its_openapi_document_says() {
    let exe = schemathesis();
    let dir = temp_dir("gate-openapi");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let node = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let gate = RunningGate::start(GateConfig {
        cache_dir: dir.join("cache"),
        listen: "127.0.0.1:0".parse().unwrap(),
        policy: PresentationPolicy::default(),
        refresh: Some(RefreshConfig {
            node,
            pinned: Chain::new(CryptoProfile::Standard)
                .genesis
                .trusted_chain()
                .unwrap(),
            every: Duration::from_secs(1),
        }),
    })
    .await
    .unwrap();
    let work = dir.join("schemathesis");
    std::fs::create_dir_all(&work).unwrap();
    let settings = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gate_schemathesis.toml");
    let mut command = Command::new(exe);
    command
        .arg("--config-file")
        .arg(&settings)
        .arg("--no-color")
        .args([
            "run",
            &format!("{}/openapi.json", gate.url()),
            "--checks",
            "all",
        ]);
    let started = Instant::now();
    let (status, output) =
        tokio::task::spawn_blocking(move || run_bounded(command, &work, DEADLINE))
            .await
            .unwrap();
    let took = started.elapsed();
    gate.stop().await.unwrap();
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
