//! The border checkpoint end to end as real child processes on loopback: a `crosscode node
//! --dev` and `crosscode issuer serve --dev MO`; the authority issues a health code (VC-API),
//! `crosscode qr encode` makes its CC1 code, `crosscode checkpoint sync` syncs the trust cache
//! from the node as a light client, and `crosscode verify --cache` checks the code offline —
//! accepted; after the authority revokes it and the checkpoint syncs again, refused at Status.
//! A node behind a proxy that alters one byte of an answer cannot change the cache (nor the
//! trust of a gate, `checkpoint serve`, syncing from it in the background); a cache
//! file changed on disk is refused at load; a stale cache is refused under `--max-age`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::response::Response;
use common::{
    CapturedProcess, Http, assert_clean_failure, crosscode, json_of, start_issuer, start_node,
    stderr, unsigned_health_code,
};
use crosscode_testing::temp_dir;
use serde_json::{Value, json};

fn sync(node_url: &str, validators: &Path, cache: &Path) -> Output {
    crosscode(
        &[
            "checkpoint",
            "sync",
            "--node",
            node_url,
            "--validators",
            validators.to_str().unwrap(),
            "--cache",
            cache.to_str().unwrap(),
        ],
        None,
    )
}

fn verify(cache: &Path, payload: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "verify",
        "--cache",
        cache.to_str().unwrap(),
        "--text",
        payload,
    ];
    args.extend_from_slice(extra);
    crosscode(&args, None)
}

/// The JSON report `crosscode verify` printed (whatever its verdict).
fn report_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("no report: {}", stderr(output)))
}

/// The failed step and its code of a REJECT report.
fn refusal(report: &Value) -> (String, String) {
    let failed = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|step| step["status"] == "FAILED")
        .unwrap_or_else(|| panic!("no failed step: {report}"));
    (
        failed["step"].as_str().unwrap().to_owned(),
        failed["error"]["code"].as_str().unwrap().to_owned(),
    )
}

/// Which answers the lying proxy alters.
#[derive(Clone)]
struct Lie {
    node: String,
    /// Alter answers whose path starts with this.
    path_prefix: &'static str,
    /// Set once an answer was altered.
    lied: Arc<AtomicBool>,
    client: reqwest::Client,
}

/// Forwards a request to the node; alters one byte in the middle of the first answer on the
/// lie's path (a letter or digit turned into another, so the JSON stays JSON).
async fn forward(State(lie): State<Lie>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let content_type = request.headers().get("content-type").cloned();
    let body = axum::body::to_bytes(request.into_body(), 1 << 24)
        .await
        .unwrap();
    let mut forwarded = lie
        .client
        .request(method, format!("{}{path}", lie.node))
        .body(body);
    if let Some(content_type) = content_type {
        forwarded = forwarded.header("content-type", content_type);
    }
    let answer = forwarded.send().await.unwrap();
    let status = answer.status();
    let mut bytes = answer.bytes().await.unwrap().to_vec();
    if path.starts_with(lie.path_prefix)
        && status.is_success()
        && !lie.lied.swap(true, Ordering::SeqCst)
    {
        let middle = bytes.len() / 2;
        let at = (middle..bytes.len())
            .find(|&i| bytes[i].is_ascii_alphanumeric())
            .unwrap();
        bytes[at] = match bytes[at] {
            b'a' => b'b',
            b'0' => b'1',
            b'A' => b'B',
            _ if bytes[at].is_ascii_digit() => b'0',
            _ if bytes[at].is_ascii_uppercase() => b'A',
            _ => b'a',
        };
    }
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(Bytes::from(bytes)))
        .unwrap()
}

/// A lying proxy in front of `node_url` on a free loopback port: (its URL, whether it lied).
fn lying_proxy(node_url: &str, path_prefix: &'static str) -> (String, Arc<AtomicBool>) {
    let lie = Lie {
        node: node_url.to_owned(),
        path_prefix,
        lied: Arc::new(AtomicBool::new(false)),
        client: reqwest::Client::new(),
    };
    let lied = Arc::clone(&lie.lied);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address: SocketAddr = listener.local_addr().unwrap();
    let app = Router::new().fallback(forward).with_state(lie);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (format!("http://{address}"), lied)
}

#[test]
fn a_checkpoint_synced_from_the_chain_verifies_offline_refuses_revoked_codes_and_lying_nodes() {
    let dir = temp_dir("checkpoint-cli");
    let chain_dir = dir.join("chain");
    let mut node = start_node(&chain_dir);
    let validators = chain_dir.join("validators.json");
    let issuer_dir = dir.join("issuer");
    let issuer = start_issuer(&node.url, &issuer_dir);
    let token = std::fs::read_to_string(issuer_dir.join("back-office.token"))
        .unwrap()
        .trim()
        .to_owned();
    let http = Http::new();

    // The authority issues a health code; its CC1 code is what a traveller shows.
    let (status, issued) = http.post(
        &format!("{}/credentials/issue", issuer.url),
        &token,
        &json!({"credential": unsigned_health_code()}),
    );
    assert_eq!(status, 201, "{issued}");
    let credential = issued["verifiableCredential"].clone();
    let file = common::write(&dir, "credential.json", &credential);
    let encoded = crosscode(&["qr", "encode", &file], None);
    let payload = common::success_stdout(&encoded).trim().to_owned();
    assert!(payload.starts_with("CC1:"), "{payload}");

    // First sync: from genesis, everything proven.
    let cache = dir.join("cache");
    let first = json_of(&sync(&node.url, &validators, &cache));
    assert_eq!(first["fromHeight"], 0, "{first}");
    let synced_height = first["height"].as_u64().unwrap();
    assert!(synced_height > 0, "{first}");
    assert!(first["authorities"].as_u64().unwrap() >= 1, "{first}");
    assert!(cache.join("trust-cache.bin").is_file());

    // The code verifies offline against the cache: the report says how fresh it is.
    let accepted = verify(&cache, &payload, &[]);
    let report = json_of(&accepted);
    assert_eq!(accepted.status.code(), Some(0), "{report}");
    assert_eq!(report["verdict"], "ACCEPT", "{report}");
    assert_eq!(report["trust"]["height"], synced_height, "{report}");
    let status_step = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|step| step["step"] == "Status")
        .unwrap()
        .clone();
    assert_eq!(status_step["status"], "PASSED", "{report}");
    assert!(
        status_step["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("as of height {synced_height}")),
        "{report}"
    );
    // A policy that wants a cache younger than the clock allows refuses it as stale.
    let later = time::OffsetDateTime::now_utc() + time::Duration::hours(2);
    let later = later
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let stale = verify(&cache, &payload, &["--max-age", "3600", "--at", &later]);
    assert_eq!(stale.status.code(), Some(1));
    assert_eq!(
        refusal(&report_of(&stale)),
        ("Status".to_owned(), "STALE_TRUST_CACHE".to_owned())
    );
    let before_revocation = dir.join("cache-before-revocation");
    std::fs::create_dir_all(&before_revocation).unwrap();
    for name in ["trust-cache.bin", "cache.key"] {
        std::fs::copy(cache.join(name), before_revocation.join(name)).unwrap();
    }

    // A cache file changed on disk is refused at load (one byte of the body).
    let tampered = dir.join("cache-tampered");
    std::fs::create_dir_all(&tampered).unwrap();
    std::fs::copy(cache.join("cache.key"), tampered.join("cache.key")).unwrap();
    let mut bytes = std::fs::read(cache.join("trust-cache.bin")).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(tampered.join("trust-cache.bin"), bytes).unwrap();
    let refused = verify(&tampered, &payload, &[]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert_clean_failure(&refused, "altered since it was written");

    // The authority revokes the credential.
    common::revoke(&http, &issuer.url, &token, &credential);

    // A node that lies — one byte altered in a block, its transactions, or a proof bundle —
    // is refused, and the cache stays as it was.
    let cache_bytes = std::fs::read(cache.join("trust-cache.bin")).unwrap();
    for path in ["/v1/blocks/", "/v1/proofs"] {
        let (proxy, lied) = lying_proxy(&node.url, path);
        let refused = sync(&proxy, &validators, &cache);
        assert!(
            lied.load(Ordering::SeqCst),
            "the proxy never altered {path}"
        );
        assert_eq!(
            refused.status.code(),
            Some(1),
            "{path}: {}",
            stderr(&refused)
        );
        assert!(
            stderr(&refused).contains("sync refused"),
            "{path}: {}",
            stderr(&refused)
        );
        assert_eq!(
            std::fs::read(cache.join("trust-cache.bin")).unwrap(),
            cache_bytes,
            "{path}"
        );
    }

    // The gate syncing in the background from a lying node keeps the trust in force (the code
    // still accepted, the cache file untouched) and says why in /v1/status.
    let (proxy, lied) = lying_proxy(&node.url, "/v1/blocks/");
    let mut gate = CapturedProcess::spawn(common::command(&[
        "checkpoint",
        "serve",
        "--cache",
        cache.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--node",
        &proxy,
        "--validators",
        validators.to_str().unwrap(),
        "--sync-every",
        "3600",
    ]));
    let deadline = std::time::Instant::now() + common::NODE_READY_DEADLINE;
    let status = loop {
        let (_, status) = http.get(&format!("{}/v1/status", gate.url));
        if status["lastSync"].is_object() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no sync ended: {status}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(
        lied.load(Ordering::SeqCst),
        "the proxy never lied to the gate"
    );
    assert_eq!(status["lastSync"]["succeeded"], false, "{status}");
    assert_eq!(status["height"], synced_height, "{status}");
    assert_eq!(status["lastSync"]["height"], synced_height, "{status}");
    // The gate's API takes no credentials (it is on loopback): the token is not looked at.
    let (code, report) = http.post(
        &format!("{}/v1/verify", gate.url),
        "",
        &json!({"payload": payload}),
    );
    assert_eq!(code, 200, "{report}");
    assert_eq!(report["verdict"], "ACCEPT", "{report}");
    assert!(gate.terminate().success());
    assert_eq!(
        std::fs::read(cache.join("trust-cache.bin")).unwrap(),
        cache_bytes
    );

    // The honest node: the sync is incremental, and the code is now refused at Status.
    let second = json_of(&sync(&node.url, &validators, &cache));
    assert_eq!(second["fromHeight"], synced_height, "{second}");
    assert!(second["statusEntries"].as_u64().unwrap() >= 1, "{second}");

    // With the node stopped, both caches answer offline: the old one accepts, the new one
    // refuses the revoked credential at Status.
    node.terminate();
    let old = verify(&before_revocation, &payload, &[]);
    assert_eq!(json_of(&old)["verdict"], "ACCEPT");
    let revoked = verify(&cache, &payload, &[]);
    assert_eq!(revoked.status.code(), Some(1));
    assert_eq!(
        refusal(&report_of(&revoked)),
        ("Status".to_owned(), "REVOKED".to_owned())
    );
}

#[test]
fn the_gate_refuses_to_start_without_a_synced_cache_or_on_an_address_that_is_not_loopback() {
    let dir = temp_dir("checkpoint-serve-refusals");
    let cache = dir.join("never-synced");
    let unsynced = crosscode(
        &[
            "checkpoint",
            "serve",
            "--cache",
            cache.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        None,
    );
    assert_eq!(unsynced.status.code(), Some(2));
    assert_clean_failure(&unsynced, "run `crosscode checkpoint sync` first");
    let exposed = crosscode(
        &[
            "checkpoint",
            "serve",
            "--cache",
            cache.to_str().unwrap(),
            "--listen",
            "0.0.0.0:0",
        ],
        None,
    );
    assert_eq!(exposed.status.code(), Some(2));
    assert_clean_failure(&exposed, "loopback only");
    // --node needs the pinned validators.
    let unpinned = crosscode(
        &[
            "checkpoint",
            "serve",
            "--cache",
            cache.to_str().unwrap(),
            "--node",
            "http://127.0.0.1:1",
        ],
        None,
    );
    assert!(!unpinned.status.success());
    assert!(
        stderr(&unpinned).contains("--validators"),
        "{}",
        stderr(&unpinned)
    );
}
