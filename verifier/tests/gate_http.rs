//! The gate's HTTP API in process on 127.0.0.1:0: `openapi.json` describes exactly the routes
//! served; every refusal has its typed code (malformed bodies, wrong media types, frames
//! without a QR code); a frame with a QR code gets the report of that code; the page is served
//! from the binary with protective headers; a gate that cannot start says why (no cache, an
//! address that is not loopback); a background sync that fails is reported in `/v1/status` and
//! the gate keeps serving. The gate over a synced cache, its background sync against a real
//! node and the page in Chromium are `cli/tests/gate_browser.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crosscode_core::VerificationStep;
use crosscode_core::envelope::qr;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::proof::TrustedChain;
use crosscode_testing::registry::Chain;
use crosscode_testing::temp_dir;
use crosscode_verifier::chain_trust::file::CacheFileError;
use crosscode_verifier::format::cc1::PresentationPolicy;
use crosscode_verifier::gate::http::{
    GateErrorCode, MAX_FRAME_BYTES, MAX_PAYLOAD_CHARS, OPENAPI_JSON, PAGE_CSS, PAGE_HTML, PAGE_JS,
    ROUTES,
};
use crosscode_verifier::gate::{GateConfig, GateError, RefreshConfig, RunningGate};
use serde_json::{Value, json};

/// A loopback address nothing listens on (a port just bound and released).
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}")
}

fn pinned() -> TrustedChain {
    Chain::new(CryptoProfile::Standard)
        .genesis
        .trusted_chain()
        .unwrap()
}

fn config(dir: &std::path::Path, listen: &str, refresh: Option<RefreshConfig>) -> GateConfig {
    GateConfig {
        cache_dir: dir.join("cache"),
        listen: listen.parse().unwrap(),
        policy: PresentationPolicy::default(),
        refresh,
    }
}

/// A gate with no synced cache yet, syncing from a node that does not answer (every
/// `every`).
async fn unsynced_gate(dir: &std::path::Path, every: Duration) -> RunningGate {
    RunningGate::start(config(
        dir,
        "127.0.0.1:0",
        Some(RefreshConfig {
            node: closed_port(),
            pinned: pinned(),
            every,
        }),
    ))
    .await
    .unwrap()
}

/// POST `body` with `content_type` to `url`: the status and the JSON answer.
async fn post(url: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let answer = reqwest::Client::new()
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// GET `url`: the status and the JSON answer.
async fn get(url: &str) -> (u16, Value) {
    let answer = reqwest::get(url).await.unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// The error code of a refusal, checked to be `{"error", "message"}` with `status`.
fn refusal((status, body): (u16, Value), expected: GateErrorCode) {
    assert_eq!(status, expected.status().as_u16(), "{body}");
    assert_eq!(body["error"], expected.as_str(), "{body}");
    assert!(body["message"].is_string(), "{body}");
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
}

fn png_of_white(width: u32, height: u32) -> Vec<u8> {
    let image = image::GrayImage::from_pixel(width, height, image::Luma([255]));
    let mut png = std::io::Cursor::new(Vec::new());
    image.write_to(&mut png, image::ImageFormat::Png).unwrap();
    png.into_inner()
}

#[tokio::test]
async fn openapi_describes_exactly_the_routes_served() {
    let doc: Value = serde_json::from_str(OPENAPI_JSON).unwrap();
    let mut described: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            described.push((method.to_uppercase(), path.clone()));
        }
    }
    let mut routes: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    described.sort();
    routes.sort();
    assert_eq!(described, routes);
    // The error codes it lists are the gate's, the step names core's.
    let codes: Vec<&str> = GateErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        doc["components"]["schemas"]["GateError"]["properties"]["error"]["enum"],
        json!(codes)
    );
    let steps: Vec<&str> = VerificationStep::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(
        doc["components"]["schemas"]["StepName"]["enum"],
        json!(steps)
    );
    // Every status a refusal code is answered with is documented on the routes that can give
    // it.
    for (path, code) in [
        ("/v1/verify", GateErrorCode::InvalidJson),
        ("/v1/verify", GateErrorCode::PayloadTooLong),
        ("/v1/verify", GateErrorCode::BodyTooLarge),
        ("/v1/verify", GateErrorCode::UnsupportedMediaType),
        ("/v1/scan", GateErrorCode::InvalidImage),
        ("/v1/scan", GateErrorCode::ImageTooLarge),
        ("/v1/scan", GateErrorCode::NoQrCode),
        ("/v1/scan", GateErrorCode::UnreadableQrCode),
        ("/v1/scan", GateErrorCode::UnsupportedMediaType),
    ] {
        let status = code.status().as_u16().to_string();
        assert!(
            doc["paths"][path]["post"]["responses"][&status].is_object(),
            "{path} {status}"
        );
    }
    let payload = &doc["components"]["schemas"]["VerifyRequest"]["properties"]["payload"];
    assert_eq!(payload["maxLength"], MAX_PAYLOAD_CHARS);

    // Every route is served: none falls through to the unknown-route fallback or gets 405.
    let dir = temp_dir("gate-openapi");
    let gate = unsynced_gate(&dir, Duration::from_secs(3600)).await;
    let http = reqwest::Client::new();
    for (method, path) in ROUTES {
        let url = format!("{}{path}", gate.url());
        let request = match method {
            "GET" => http.get(url),
            "POST" if path == "/v1/scan" => http
                .post(url)
                .header("content-type", "image/png")
                .body(png_of_white(8, 8)),
            "POST" => http
                .post(url)
                .header("content-type", "application/json")
                .body(r#"{"payload": "CC1:"}"#),
            other => panic!("unexpected method {other}"),
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(
            body["error"] != "unknown-route" && body["error"] != "method-not-allowed",
            "{method} {path}: {status} {body}"
        );
    }
    refusal(
        get(&format!("{}/v2/verify", gate.url())).await,
        GateErrorCode::UnknownRoute,
    );
    let put = http
        .put(format!("{}/v1/verify", gate.url()))
        .send()
        .await
        .unwrap();
    refusal(
        (put.status().as_u16(), put.json().await.unwrap()),
        GateErrorCode::MethodNotAllowed,
    );
    gate.stop().await.unwrap();
}

#[tokio::test]
async fn malformed_verify_bodies_are_refused_with_typed_codes() {
    let dir = temp_dir("gate-verify-refusals");
    let gate = unsynced_gate(&dir, Duration::from_secs(3600)).await;
    let url = format!("{}/v1/verify", gate.url());
    let json = "application/json";
    for body in [
        "not json".to_owned(),
        r#"{"payload": 7}"#.to_owned(),
        r#"{"code": "CC1:ABC"}"#.to_owned(),
        r#"{"payload": "CC1:ABC", "extra": true}"#.to_owned(),
        "[]".to_owned(),
    ] {
        refusal(
            post(&url, json, body.into_bytes()).await,
            GateErrorCode::InvalidJson,
        );
    }
    refusal(
        post(&url, "text/plain", br#"{"payload": "CC1:ABC"}"#.to_vec()).await,
        GateErrorCode::UnsupportedMediaType,
    );
    let long = json!({"payload": "A".repeat(MAX_PAYLOAD_CHARS + 1)}).to_string();
    refusal(
        post(&url, json, long.into_bytes()).await,
        GateErrorCode::PayloadTooLong,
    );
    let huge = json!({"payload": "A".repeat(1024 * 1024)}).to_string();
    refusal(
        post(&url, json, huge.into_bytes()).await,
        GateErrorCode::BodyTooLarge,
    );
    // A text of no known format is a report, REJECT at Prefix (a scanner read something).
    let (status, report) = post(&url, json, br#"{"payload": "hello"}"#.to_vec()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["verdict"], "REJECT");
    assert_eq!(report["deciding_step"], "Prefix");
    assert_eq!(report["format"], Value::Null);
    gate.stop().await.unwrap();
}

#[tokio::test]
async fn frames_without_a_readable_qr_code_are_refused_with_typed_codes() {
    let dir = temp_dir("gate-scan-refusals");
    let gate = unsynced_gate(&dir, Duration::from_secs(3600)).await;
    let url = format!("{}/v1/scan", gate.url());
    // A camera frame of a white wall: 422, and the page keeps scanning.
    refusal(
        post(&url, "image/png", png_of_white(640, 480)).await,
        GateErrorCode::NoQrCode,
    );
    refusal(
        post(&url, "image/jpeg", b"not an image at all".to_vec()).await,
        GateErrorCode::InvalidImage,
    );
    refusal(
        post(&url, "image/gif", png_of_white(8, 8)).await,
        GateErrorCode::UnsupportedMediaType,
    );
    refusal(
        post(&url, "application/json", b"{}".to_vec()).await,
        GateErrorCode::UnsupportedMediaType,
    );
    refusal(
        post(&url, "image/png", vec![0; MAX_FRAME_BYTES + 1]).await,
        GateErrorCode::BodyTooLarge,
    );
    gate.stop().await.unwrap();
}

#[tokio::test]
async fn a_frame_with_a_qr_code_gets_the_report_of_that_code() {
    let dir = temp_dir("gate-scan-report");
    let gate = unsynced_gate(&dir, Duration::from_secs(3600)).await;
    let url = format!("{}/v1/scan", gate.url());
    // A CC1 code of no credential: read from the frame, then refused by the pipeline.
    let png = qr::render_png("CC1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDE").unwrap();
    let (status, report) = post(&url, "image/png", png).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["format"], "CC1", "{report}");
    assert_eq!(report["verdict"], "REJECT", "{report}");
    let read = &report["steps"][0];
    assert_eq!(read["step"], "ReadImage", "{report}");
    assert_eq!(read["status"], "PASSED", "{report}");
    assert_eq!(report["trust"], Value::Null, "{report}");
    gate.stop().await.unwrap();
}

#[tokio::test]
async fn the_page_is_served_from_the_binary_with_protective_headers_and_no_external_asset() {
    let dir = temp_dir("gate-page");
    let gate = unsynced_gate(&dir, Duration::from_secs(3600)).await;
    let http = reqwest::Client::new();
    for (path, media, body) in [
        ("/", "text/html", PAGE_HTML),
        ("/gate.js", "text/javascript", PAGE_JS),
        ("/gate.css", "text/css", PAGE_CSS),
    ] {
        let response = http
            .get(format!("{}{path}", gate.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let headers = response.headers().clone();
        assert!(
            headers["content-type"].to_str().unwrap().starts_with(media),
            "{path}"
        );
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("default-src 'none'"), "{policy}");
        assert!(policy.contains("script-src 'self'"), "{policy}");
        assert_eq!(response.text().await.unwrap(), body, "{path}");
        // Nothing is loaded from elsewhere: no URL of another origin anywhere in the page.
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{path}"
        );
        assert!(!body.contains("//cdn"), "{path}");
    }
    for testid in [
        "verdict",
        "reason",
        "claims",
        "payload",
        "camera",
        "freshness",
    ] {
        assert!(
            PAGE_HTML.contains(&format!("data-testid=\"{testid}\"")),
            "{testid}"
        );
    }
    // The page reads no QR code itself: frames go to the server.
    assert!(PAGE_JS.contains("'/v1/scan'"));
    assert!(!PAGE_JS.to_lowercase().contains("jsqr") && !PAGE_JS.contains("BarcodeDetector"));
    gate.stop().await.unwrap();
}

#[tokio::test]
async fn a_request_naming_another_host_is_refused_so_a_rebound_dns_name_cannot_read_the_gate() {
    let dir = temp_dir("gate-host");
    let gate = unsynced_gate(&dir, Duration::from_secs(3600)).await;
    let http = reqwest::Client::new();
    let port = gate.url().rsplit(':').next().unwrap().to_owned();
    for (host, expected) in [
        (format!("localhost:{port}"), 200),
        (format!("127.0.0.1:{port}"), 200),
        (format!("[::1]:{port}"), 200),
        (format!("attacker.example:{port}"), 403),
        ("attacker.example".to_owned(), 403),
        (format!("127.0.0.1.attacker.example:{port}"), 403),
    ] {
        let answer = http
            .get(format!("{}/v1/status", gate.url()))
            .header("host", &host)
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        assert_eq!(status, expected, "{host}");
        if expected == 403 {
            refusal(
                (status, answer.json().await.unwrap()),
                GateErrorCode::ForbiddenHost,
            );
        }
    }
}

#[tokio::test]
async fn a_gate_without_a_synced_cache_and_no_node_does_not_start() {
    let dir = temp_dir("gate-no-cache");
    let err = RunningGate::start(config(&dir, "127.0.0.1:0", None))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            GateError::Cache {
                source: CacheFileError::NotSynced { .. },
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("checkpoint sync"), "{err}");
}

#[tokio::test]
async fn a_gate_listens_on_loopback_only() {
    let dir = temp_dir("gate-loopback");
    let listen: SocketAddr = "0.0.0.0:0".parse().unwrap();
    let err = RunningGate::start(config(&dir, "0.0.0.0:0", None))
        .await
        .unwrap_err();
    assert!(
        matches!(err, GateError::NotLoopback { address } if address == listen),
        "{err}"
    );
    let err = RunningGate::start(config(
        &dir,
        "127.0.0.1:0",
        Some(RefreshConfig {
            node: "ftp://node.example".into(),
            pinned: pinned(),
            every: Duration::from_secs(30),
        }),
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, GateError::Node(_)), "{err}");
}

#[tokio::test]
async fn a_failed_background_sync_is_reported_and_the_gate_keeps_serving() {
    let dir = temp_dir("gate-failed-sync");
    let gate = unsynced_gate(&dir, Duration::from_millis(200)).await;
    let url = format!("{}/v1/status", gate.url());
    let deadline = Instant::now() + Duration::from_secs(60);
    // Two syncs end, one after the other: the loop goes on after a failure.
    let mut first_at = None;
    let status = loop {
        let (code, status) = get(&url).await;
        assert_eq!(code, 200, "{status}");
        let at = status["lastSync"]["at"].as_str().map(str::to_owned);
        match (&first_at, at) {
            (None, Some(at)) => first_at = Some(at),
            (Some(first), Some(at)) if *first != at => break status,
            _ => {}
        }
        assert!(Instant::now() < deadline, "no second sync ended: {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(status["chainId"], Value::Null, "{status}");
    assert_eq!(status["height"], Value::Null, "{status}");
    assert_eq!(status["time"], Value::Null, "{status}");
    assert_eq!(status["authorities"], 0, "{status}");
    assert_eq!(status["statusEntries"], 0, "{status}");
    let last = &status["lastSync"];
    assert_eq!(last["succeeded"], false, "{status}");
    assert_eq!(last["height"], Value::Null, "{status}");
    assert!(
        last["error"]
            .as_str()
            .unwrap()
            .starts_with("the node: cannot reach the node"),
        "{status}"
    );
    assert!(
        time::OffsetDateTime::parse(
            last["at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339
        )
        .is_ok(),
        "{status}"
    );
    assert_eq!(
        gate.gate().status().last_sync.map(|sync| sync.succeeded),
        Some(false)
    );
    // Nothing was written to the cache directory, and the gate still answers.
    assert!(!dir.join("cache").join("trust-cache.bin").exists());
    let (code, report) = post(
        &format!("{}/v1/verify", gate.url()),
        "application/json",
        br#"{"payload": "CC1:ABC"}"#.to_vec(),
    )
    .await;
    assert_eq!(code, 200, "{report}");
    gate.stop().await.unwrap();
}
