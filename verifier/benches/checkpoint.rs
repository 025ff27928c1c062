//! Checkpoint benchmark: QR payload → verdict for an ES256 DCC, a PS256 DCC and a SMART Health
//! Card with the trust store loaded (the corpus DSCs plus the 961 keys of the VCI snapshot),
//! and for `CC1` codes against a synced trust cache of 1,000 authorities and 1,000,000 status
//! entries ([`cc1`]), beside raw signature verification of the same payloads, in the same run.
//! Prints p50/p99 per case after criterion's own report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use base64::Engine as _;
use criterion::Criterion;
use crosscode_core::envelope::inflate;
use crosscode_testing::vectors::vector_path;
use crosscode_verifier::format::{MAX_INFLATED_LEN, eu_dcc};
use crosscode_verifier::{TrustStore, Verdict, Verifier, jws, shc_numeric};

fn read_json(relative: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(vector_path(relative)).unwrap()).unwrap()
}

#[path = "checkpoint/cc1.rs"]
mod cc1;

/// One payload: its whole verification and its raw peer.
pub struct Case {
    name: &'static str,
    verify: Box<dyn Fn() -> Verdict>,
    raw: Box<dyn Fn() -> bool>,
    raw_name: &'static str,
}

fn setup() -> Vec<Case> {
    let mut trust = TrustStore::new();
    // Every DSC of the corpus, as a checkpoint holding a national trust list would.
    let manifest = read_json("dcc/manifest.json");
    for entry in manifest.as_array().unwrap() {
        let f = read_json(&format!("dcc/{}", entry["file"].as_str().unwrap()));
        let der = base64::engine::general_purpose::STANDARD
            .decode(f["TESTCTX"]["CERTIFICATE"].as_str().unwrap())
            .unwrap();
        trust.add_dsc_der(&der).unwrap();
    }
    let snapshot = std::fs::read(vector_path("vci-directory/logs/vci_snapshot.json")).unwrap();
    let sig = std::fs::read(vector_path("vci-directory/logs/vci_snapshot.sig")).unwrap();
    let cert = std::fs::read(vector_path("vci-directory/vci_snapshot.crt")).unwrap();
    trust.add_vci_snapshot(&snapshot, &sig, &cert).unwrap();
    let iss = "https://spec.smarthealth.cards/examples/issuer";
    trust
        .add_shc_jwks(iss, &read_json("shc/examples/issuer/.well-known/jwks.json"))
        .unwrap();
    trust
        .add_shc_crl(iss, &read_json("shc/examples/issuer/.well-known/crl/3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s.json"))
        .unwrap();

    let mut cases = Vec::new();
    for (name, file) in [
        ("ES256 DCC (AT CO3)", "common/2DCode/raw/CO3.json"),
        ("PS256 DCC (CH 1, RSA-2048)", "CH/2DCode/raw/1.json"),
    ] {
        let f = read_json(&format!("dcc/{file}"));
        let text = f["PREFIX"].as_str().unwrap().to_owned();
        let clock = crosscode_verifier::clock::parse_clock(
            f["TESTCTX"]["VALIDATIONCLOCK"].as_str().unwrap(),
        )
        .unwrap();
        let cose = inflate::inflate_zlib(
            &eu_dcc::decode_base45(&text[4..]).unwrap(),
            MAX_INFLATED_LEN,
        )
        .unwrap();
        let (env, _) = eu_dcc::parse_envelope(&cose).unwrap();
        let dsc = trust.document_signers(&env.kid.as_ref().unwrap().0)[0].clone();
        let alg = env.algorithm.unwrap();
        let raw = Box::new(move || {
            dsc.key
                .verify(alg, black_box(&env.signed_data), &env.signature)
                .is_ok()
        });
        cases.push((name, text, clock, raw as Box<dyn Fn() -> bool>));
    }
    let text = std::fs::read_to_string(vector_path(
        "shc/examples/example-00-f-qr-code-numeric-value-0.txt",
    ))
    .unwrap()
    .trim()
    .to_owned();
    let parsed = jws::parse_compact(&shc_numeric::decode_chunks(&[&text[5..]]).unwrap()).unwrap();
    let key = trust.shc_keys(iss, &parsed.kid)[0].key.clone();
    let raw = Box::new(move || {
        key.verify(
            parsed.algorithm,
            black_box(&parsed.signing_input),
            &parsed.signature,
        )
        .is_ok()
    });
    cases.push((
        "SHC ES256 (example 00)",
        text,
        time::macros::datetime!(2023-07-01 0:00 UTC),
        raw,
    ));
    let verifier = std::sync::Arc::new(Verifier::new(trust));
    let mut all: Vec<Case> = cases
        .into_iter()
        .map(|(name, text, clock, raw)| {
            let verifier = std::sync::Arc::clone(&verifier);
            Case {
                name,
                verify: Box::new(move || verifier.verify_text(black_box(&text), clock).verdict()),
                raw,
                raw_name: "raw signature",
            }
        })
        .collect();
    all.extend(cc1::cases());
    all
}

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (at(0.50), at(0.99))
}

fn main() {
    let cases = setup();
    for case in &cases {
        assert_eq!((case.verify)(), Verdict::Accept, "{}", case.name);
        assert!((case.raw)(), "{}", case.name);
    }
    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    {
        let mut group = c.benchmark_group("checkpoint");
        for case in &cases {
            group.bench_function(format!("payload->verdict {}", case.name), |b| {
                b.iter(|| (case.verify)())
            });
            group.bench_function(format!("{} {}", case.raw_name, case.name), |b| {
                b.iter(|| (case.raw)())
            });
        }
        group.finish();
    }
    c.final_summary();
    // `--list` (cargo nextest, cargo bench -- --list) names the benchmarks and nothing else.
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }

    // p50 / p99 over individually timed iterations, same process, same trust store.
    let iterations: usize = std::env::var("CHECKPOINT_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    println!("\n| payload | payload → verdict p50 | p99 | peer | peer p50 | p99 |");
    println!("|---|---|---|---|---|---|");
    for case in &cases {
        let mut full = Vec::with_capacity(iterations);
        let mut raw = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let t = Instant::now();
            black_box((case.verify)());
            full.push(t.elapsed());
            let t = Instant::now();
            black_box((case.raw)());
            raw.push(t.elapsed());
        }
        let (f50, f99) = percentiles(full);
        let (r50, r99) = percentiles(raw);
        println!(
            "| {} | {:.3} ms | {:.3} ms | {} | {:.3} ms | {:.3} ms |",
            case.name,
            ms(f50),
            ms(f99),
            case.raw_name,
            ms(r50),
            ms(r99)
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
