//! The issuer keeps its OpenAPI document: schemathesis, a property-based API tester, generates
//! requests from `GET /openapi.json` of an issuer started in process (a dev chain node, the
//! dev authority of MO) on 127.0.0.1:0 and checks every answer with all its checks
//! (`tests/schemathesis.toml`): no 5xx, every status, media type and body as documented,
//! schema-invalid requests refused, and schema-valid requests accepted except for the
//! refusals a schema cannot foresee (listed in the settings file and in openapi.json).
//! Back-office routes get the bearer token.
//!
//! schemathesis is installed by `cargo xtask test` (`CROSSCODE_SCHEMATHESIS`); without it the
//! test fails saying so. The run is bounded (fixed seed, one worker, a deadline) and only talks
//! to loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crosscode_core::keys::SecretKey;
use crosscode_did_registry::dev::{DevAuthority, DevConsortium};
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_issuer::http::AppState;
use crosscode_issuer::sealing::open_or_create_record_key;
use crosscode_issuer::server::RunningIssuer;
use crosscode_issuer::service::{IssuerService, ServiceConfig};
use crosscode_issuer::store::IssuerStore;
use crosscode_issuer::store::embedded::EmbeddedStore;
use crosscode_issuer::token::BackOfficeToken;
use crosscode_registry_client::RegistryClient;
use crosscode_registry_node::{Node, NodeConfig};
use crosscode_testing::schemathesis::{run_bounded, schemathesis};
use crosscode_testing::temp_dir;

const DEADLINE: Duration = Duration::from_secs(400);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_every_answer_of_the_issuer_as_its_openapi_document_says() {
    let exe = schemathesis();
    let dir = temp_dir("issuer-openapi");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let dev = DevConsortium::generate_default(CryptoProfile::Standard, now - 60).unwrap();
    let validator =
        SecretKey::from_bytes(dev.validator_key.algorithm(), &dev.validator_key.to_bytes())
            .unwrap();
    let mut config = NodeConfig::new(dir.join("chain"), "127.0.0.1:0".parse().unwrap());
    config.heartbeat = Duration::from_millis(300);
    let node = Node::start(&dev.genesis, validator, config).await.unwrap();
    let client = RegistryClient::new(&format!("http://{}", node.local_addr())).unwrap();
    client
        .admit_dev_authorities(&dev.members, dev.genesis.genesis_time)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let issuer_dir = dir.join("issuer");
    std::fs::create_dir_all(&issuer_dir).unwrap();
    let store: Arc<dyn IssuerStore> =
        Arc::new(EmbeddedStore::open(&issuer_dir.join("db")).unwrap());
    let record_key = open_or_create_record_key(&issuer_dir, b"openapi test").unwrap();
    let authority = DevAuthority::derive(CryptoProfile::Standard, "MO");
    let keys = vec![
        authority.chain_key,
        authority.ed25519,
        authority.sm2,
        authority.bbs,
    ];
    let service = IssuerService::start(
        ServiceConfig::new(&url),
        client,
        keys,
        store,
        Arc::new(record_key),
    )
    .await
    .unwrap();
    let token = BackOfficeToken::load_or_create(&issuer_dir).unwrap();
    let bearer = format!("Authorization: Bearer {}", token.as_str());
    let state = Arc::new(AppState {
        service: Arc::new(service),
        token,
        conversion: None,
    });
    let issuer = RunningIssuer::serve(listener, state).unwrap();
    let work = dir.join("schemathesis");
    std::fs::create_dir_all(&work).unwrap();
    let settings = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis.toml");
    let mut command = Command::new(exe);
    command
        .arg("--config-file")
        .arg(&settings)
        .arg("--no-color")
        .args([
            "run",
            &format!("{url}/openapi.json"),
            "--checks",
            "all",
            "-H",
            &bearer,
        ]);
    let started = Instant::now();
    let (status, output) =
        tokio::task::spawn_blocking(move || run_bounded(command, &work, DEADLINE))
            .await
            .unwrap();
    let took = started.elapsed();
    issuer.stop().await.unwrap();
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
