//! The gate page end to end in headless Chromium: a `crosscode node --dev` and `crosscode
//! issuer serve --dev MO` as child processes; the authority issues two health codes; the
//! checkpoint syncs its cache and serves the gate (`crosscode checkpoint serve --node …
//! --sync-every 1`); the authority revokes the second code and the gate's background sync
//! brings the revocation in. Then `tests/gate/gate.test.mjs` drives Chromium through
//! playwright-core: a handheld scanner types the valid code and Enter → ACCEPT (green) with the
//! disclosed claims; the revoked one → REJECT (red) with the reason; the camera — Chromium's
//! fake capture device playing a Y4M video of the valid code's QR made here — → ACCEPT. The
//! gate's own output holds no payload and no claim.
//!
//! Chromium is Debian's `/usr/bin/chromium` and playwright-core the pinned npm package that
//! `cargo xtask test` installs (`CROSSCODE_PLAYWRIGHT_CORE`); without them this test fails
//! saying so. With `CROSSCODE_SCREENSHOTS=1` it also rewrites the screenshots of
//! `docs/images/` (the ACCEPT and REJECT verdicts) that `docs/checkpoint.md` shows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{CapturedProcess, Http, crosscode, json_of, start_issuer, start_node};
use crosscode_core::envelope::qr;
use crosscode_testing::temp_dir;
use serde_json::{Value, json};

/// The variable naming the playwright-core package folder (set by `cargo xtask test`).
const PLAYWRIGHT_CORE_ENV: &str = "CROSSCODE_PLAYWRIGHT_CORE";
/// Debian's Chromium, which the script launches.
const CHROMIUM: &str = "/usr/bin/chromium";

/// The playwright-core package folder; panics, saying how to get the tools, when the package
/// or Chromium is missing.
fn playwright_core() -> PathBuf {
    let module = std::env::var_os(PLAYWRIGHT_CORE_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!(
                "{PLAYWRIGHT_CORE_ENV} is not set: run the tests with `cargo xtask test`, which \
                 installs the pinned playwright-core and Debian's chromium, or set it to a \
                 playwright-core package folder"
            )
        });
    assert!(
        module.join("package.json").is_file(),
        "{} is not a playwright-core package folder (`cargo xtask test` installs it)",
        module.display()
    );
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing (Debian package chromium; `cargo xtask test` installs it)"
    );
    module
}

/// A Y4M video (`C420jpeg`, 10 frames at 10 fps) of the QR code of `payload`, black modules
/// of at least 4 pixels with the quiet zone on a white frame: what Chromium's fake camera
/// plays in a loop.
fn write_y4m(payload: &str, path: &Path) {
    let code = qr::qr_code(payload).unwrap();
    let modules = u32::try_from(code.width()).unwrap() + 8; // a quiet zone of 4 on each side
    let (width, height) = [(640, 480), (960, 720), (1280, 960)]
        .into_iter()
        .find(|(_, height)| height / modules >= 4)
        .expect("a QR code small enough for a camera frame");
    let module = height / modules;
    let symbol = code
        .render::<image::Luma<u8>>()
        .module_dimensions(module, module)
        .build();
    let (left, top) = ((width - symbol.width()) / 2, (height - symbol.height()) / 2);
    let mut luma = vec![255u8; (width * height) as usize];
    for (x, y, pixel) in symbol.enumerate_pixels() {
        luma[((top + y) * width + left + x) as usize] = pixel.0[0];
    }
    let chroma = vec![128u8; (width / 2 * (height / 2)) as usize];
    let mut video = format!("YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    for _ in 0..10 {
        video.extend_from_slice(b"FRAME\n");
        video.extend_from_slice(&luma);
        video.extend_from_slice(&chroma); // U
        video.extend_from_slice(&chroma); // V
    }
    std::fs::write(path, video).unwrap();
}

/// The CC1 code of a health code the authority issues: (credential, payload).
fn issue(http: &Http, issuer_url: &str, token: &str, dir: &Path, name: &str) -> (Value, String) {
    let (status, issued) = http.post(
        &format!("{issuer_url}/credentials/issue"),
        token,
        &json!({"credential": common::unsigned_health_code()}),
    );
    assert_eq!(status, 201, "{issued}");
    let credential = issued["verifiableCredential"].clone();
    let file = common::write(dir, name, &credential);
    let encoded = crosscode(&["qr", "encode", &file], None);
    let payload = common::success_stdout(&encoded).trim().to_owned();
    assert!(payload.starts_with("CC1:"), "{payload}");
    (credential, payload)
}

#[test]
fn an_officer_sees_accept_and_reject_in_chromium_from_the_scanner_and_the_camera() {
    let playwright = playwright_core();
    let dir = temp_dir("gate-browser");
    let chain_dir = dir.join("chain");
    let node = start_node(&chain_dir);
    let validators = chain_dir.join("validators.json");
    let issuer_dir = dir.join("issuer");
    let issuer = start_issuer(&node.url, &issuer_dir);
    let token = std::fs::read_to_string(issuer_dir.join("back-office.token"))
        .unwrap()
        .trim()
        .to_owned();
    let http = Http::new();
    let (_, valid) = issue(&http, &issuer.url, &token, &dir, "valid.json");
    let (revoked_credential, revoked) = issue(&http, &issuer.url, &token, &dir, "revoked.json");

    // The checkpoint syncs, then serves the gate, syncing every second.
    let cache = dir.join("cache");
    let synced = json_of(&crosscode(
        &[
            "checkpoint",
            "sync",
            "--node",
            &node.url,
            "--validators",
            validators.to_str().unwrap(),
            "--cache",
            cache.to_str().unwrap(),
        ],
        None,
    ));
    let mut gate = CapturedProcess::spawn(common::command(&[
        "checkpoint",
        "serve",
        "--cache",
        cache.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--node",
        &node.url,
        "--validators",
        validators.to_str().unwrap(),
        "--sync-every",
        "1",
    ]));
    assert!(
        gate.ready_line
            .starts_with("gate listening on http://127.0.0.1:"),
        "{}",
        gate.ready_line
    );
    let (status, first) = http.get(&format!("{}/v1/status", gate.url));
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["chainId"], synced["chainId"], "{first}");
    assert!(
        first["height"].as_u64().unwrap() >= synced["height"].as_u64().unwrap(),
        "{first}"
    );

    // The authority revokes the second code; the background sync brings it in.
    common::revoke(&http, &issuer.url, &token, &revoked_credential);
    let deadline = std::time::Instant::now() + common::NODE_READY_DEADLINE;
    let status = loop {
        let (_, status) = http.get(&format!("{}/v1/status", gate.url));
        if status["statusEntries"].as_u64().unwrap_or(0) >= 1 {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the revocation never reached the gate: {status}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(status["lastSync"]["succeeded"], true, "{status}");
    assert!(status["time"].is_string(), "{status}");
    assert!(cache.join("trust-cache.bin").is_file());

    // The page in Chromium: the scanner, then the camera.
    let video = dir.join("valid.y4m");
    write_y4m(&valid, &video);
    let screenshots = std::env::var("CROSSCODE_SCREENSHOTS")
        .is_ok_and(|value| value == "1")
        .then(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/images"));
    let mut script = Command::new("node");
    script
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gate/gate.test.mjs"))
        .env(PLAYWRIGHT_CORE_ENV, &playwright)
        .env("GATE_URL", &gate.url)
        .env("GATE_ACCEPT_PAYLOAD", &valid)
        .env("GATE_REJECT_PAYLOAD", &revoked)
        .env("GATE_FAKE_VIDEO", &video)
        .env("GATE_CHROMIUM", CHROMIUM);
    if let Some(folder) = &screenshots {
        script.env("GATE_SCREENSHOTS", folder);
    }
    let output = script.output().expect("node (Node.js) runs");
    let out = String::from_utf8_lossy(&output.stdout);
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the page test failed:\n{out}\n{err}"
    );
    assert!(out.contains("gate page: all checks passed"), "{out}\n{err}");
    eprintln!("{out}");

    // The gate stops cleanly, and logged nothing of what it verified.
    let exit = gate.terminate();
    assert!(exit.success(), "{exit:?}");
    let logged = String::from_utf8_lossy(&gate.output()).into_owned();
    for secret in [&valid[4..40], &revoked[4..40], "statusColour", "did:key:"] {
        assert!(
            !logged.contains(secret),
            "the gate logged {secret:?}:\n{logged}"
        );
    }
    let _ = std::fs::remove_file(&video);
}
