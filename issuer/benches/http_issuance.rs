//! Issuance through the HTTP API on loopback: the issuer service (embedded store, the dev
//! authority of MO admitted on an in-process dev chain node) behind its router
//! ([`RunningIssuer`]) and a load generator in the same process — `ISSUER_HTTP_CLIENTS`
//! concurrent clients (default 32) posting `POST /credentials/issue` with the back-office token
//! until a fixed count is answered. Every credential is anchored before it is answered: the
//! issuer group-commits the hashes waiting while the previous anchor commits
//! (`crosscode_issuer::anchoring`), so the figure includes chain commits. Reported:
//! credentials/s and p50 / p99 latency, beside the library issuance rate
//! ([`sign_one`] on a `MemoryStore`, one core) of the same suites measured in the same run
//! (before and after). The node (on a tokio runtime of its own), the issuer, RocksDB (twice) and
//! the load generator share the machine's cores.
//!
//! `cargo bench --workspace --bench http_issuance` (env: `ISSUER_HTTP_CLIENTS`, default 32;
//! `ISSUER_HTTP_REQUESTS` per workload, default 10,000 for `eddsa-jcs-2022` and a third of it
//! for the default SM2 + Ed25519 proof set)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod fixture;

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crosscode_issuer::http::AppState;
use crosscode_issuer::issuance::IssueOptions;
use crosscode_issuer::server::RunningIssuer;
use crosscode_issuer::service::sign_one;
use crosscode_issuer::status::StatusRegistry;
use crosscode_issuer::store::memory::MemoryStore;
use crosscode_issuer::token::BackOfficeToken;
use fixture::*;
use serde_json::{Value, json};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Library issuance per second on one core (`sign_one`, `MemoryStore`).
fn library_rate(options: &IssueOptions, count: u32) -> f64 {
    let ctx = offline_context();
    let store = MemoryStore::new();
    let status = StatusRegistry::new();
    let request = unsigned_health_code(&holder());
    let micros = micros_per_call(count, &mut || {
        black_box(sign_one(&ctx, &store, &status, &request, options, None).unwrap());
    });
    1e6 / micros
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() as f64 * fraction).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

/// `count` requests by `clients` concurrent clients; answers the wall time and the latencies.
async fn load(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
    count: usize,
    clients: usize,
) -> (Duration, Vec<Duration>) {
    let body = Arc::new(serde_json::to_vec(body).unwrap());
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, url, token, body, next) = (
            http.clone(),
            format!("{url}/credentials/issue"),
            token.to_owned(),
            body.clone(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < count {
                let sent = Instant::now();
                let answer = http
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body.as_ref().clone())
                    .send()
                    .await
                    .unwrap();
                let status = answer.status().as_u16();
                let bytes = answer.bytes().await.unwrap();
                assert_eq!(status, 201, "{}", String::from_utf8_lossy(&bytes));
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::with_capacity(count);
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = start.elapsed();
    latencies.sort();
    (elapsed, latencies)
}

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    let clients = env_usize("ISSUER_HTTP_CLIENTS", 32).max(1);
    let requests = env_usize("ISSUER_HTTP_REQUESTS", 10_000).max(1);
    // The chain node runs on a runtime of its own (as in its own process); the issuer and the
    // load generator share the other one.
    let chain_runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = temp_dir("issuer-http-bench");
    let chain = chain_runtime.block_on(start_chain(&dir));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let service = Arc::new(start_service(&chain, &dir, &url).await);
        let token = BackOfficeToken::load_or_create(&dir.join("issuer")).unwrap();
        let token_text = token.as_str().to_owned();
        let issuer = RunningIssuer::serve(
            listener,
            Arc::new(AppState {
                service: service.clone(),
                token,
                conversion: None,
            }),
        )
        .unwrap();
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(clients)
            .build()
            .unwrap();
        let holder = holder();
        let workloads = [
            ("eddsa-jcs-2022", Some(vec!["eddsa-jcs-2022"]), requests),
            (
                "default proof set (sm2-jcs-2026 + eddsa-jcs-2022)",
                None,
                (requests / 3).max(1),
            ),
        ];
        println!("http_issuance: {clients} concurrent clients on loopback");
        for (name, suites, count) in workloads {
            let options = IssueOptions {
                cryptosuites: suites
                    .as_ref()
                    .map(|s| s.iter().map(|s| (*s).to_owned()).collect()),
                ..IssueOptions::default()
            };
            let mut body = json!({"credential": unsigned_health_code(&holder)});
            if let Some(suites) = &suites {
                body["options"] = json!({"cryptosuites": suites});
            }
            let library_count = if suites.is_some() { 4_000 } else { 1_000 };
            let library_before = library_rate(&options, library_count);
            // warm-up: connections opened, first anchors
            load(&http, &url, &token_text, &body, clients * 4, clients).await;
            let height_before = chain.client.chain_info().await.unwrap().height;
            let (elapsed, latencies) = load(&http, &url, &token_text, &body, count, clients).await;
            let height_after = chain.client.chain_info().await.unwrap().height;
            let library_after = library_rate(&options, library_count);
            let rate = count as f64 / elapsed.as_secs_f64();
            let library = (library_before + library_after) / 2.0;
            println!("  {name}: {count} requests");
            println!(
                "    HTTP: {rate:.0} credentials/s ({:.2} s); latency p50 {:.1} ms, p99 {:.1} ms, \
                 max {:.1} ms; {} blocks committed meanwhile",
                elapsed.as_secs_f64(),
                percentile(&latencies, 0.50).as_secs_f64() * 1e3,
                percentile(&latencies, 0.99).as_secs_f64() * 1e3,
                latencies.last().unwrap().as_secs_f64() * 1e3,
                height_after - height_before
            );
            println!(
                "    library (sign_one, 1 core, same run): {library:.0} credentials/s (before \
                 {library_before:.0}, after {library_after:.0}); HTTP / library {:.2}",
                rate / library
            );
        }
        issuer.stop().await.unwrap();
        drop(service);
    });
    chain_runtime.block_on(chain.node.shutdown()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
