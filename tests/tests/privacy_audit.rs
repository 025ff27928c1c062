//! The privacy audit: the whole two-jurisdiction scenario runs with sentinel personal values
//! (random strings as name and document number, a random birth date) while every byte that
//! crosses between the wallet, CN-GD, MO and the chain is recorded — the HTTP bodies through
//! recording proxies, every block and its transactions, the chain's stored state, and every
//! log event of the node and both issuer services — and the sentinels are searched raw and in
//! every encoding the project uses: 0 hits. Positive controls plant a sentinel in one recorded
//! message and in one log event, and the same scanner must find them, so the audit cannot pass
//! by seeing nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_tests::audit::Scanner;
use crosscode_tests::log_capture::LogCapture;
use crosscode_tests::recording::Recording;
use crosscode_tests::scenario::{ScenarioOptions, run, sample_subject, split_recording};
use crosscode_tests::sentinel::Sentinels;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_personal_value_of_the_traveller_crosses_a_border_in_the_whole_scenario() {
    let logs = LogCapture::install().unwrap();
    let sentinels = Sentinels::new();
    let mut subject = sample_subject();
    subject["name"] = sentinels.name().into();
    subject["birthDate"] = sentinels.birth_date().into();
    subject["documentNumber"] = sentinels.document_number().into();
    let out = crosscode_testing::temp_dir("privacy-audit");
    let recording = Recording::new();
    let mut log = String::new();
    let report = run(
        ScenarioOptions {
            subject,
            out_dir: out.join("qr"),
            keep: None,
            consortium: None,
            recording: recording.clone(),
        },
        &mut |step| {
            log.push_str(&format!("{} {}\n", step.number, step.title));
            for line in &step.details {
                log.push_str(line);
                log.push('\n');
            }
        },
    )
    .await
    .unwrap();
    for step in &report.steps {
        assert!(
            step.deviation.is_none(),
            "step {}: {:?}",
            step.number,
            step.deviation
        );
    }
    assert!(report.succeeded());

    let scanner = Scanner::new(&sentinels.all()).unwrap();
    // What was recorded is substantial: the flow's exchanges and the chain.
    assert!(
        recording.exchanges().len() >= 20,
        "{}",
        recording.exchanges().len()
    );
    let (crossing, inside) = split_recording(&recording);
    let scanned = scanner.scan_all(crossing.iter().map(|(s, b)| (s, b)));
    assert!(scanned.is_clean(), "{scanned}");
    // Inside CN-GD (the wallet's exchanges with its own authority) the values are there: the
    // scanner sees what it looks for.
    let inside = scanner.scan_all(inside.iter().map(|(s, b)| (s, b)));
    for label in ["name", "birthDate", "documentNumber"] {
        assert!(
            inside.hits.iter().any(|hit| hit.sentinel == label),
            "{inside}"
        );
    }
    // The scenario's own account (what the demo prints) names no personal value either.
    assert!(scanner.scan("scenario log", log.as_bytes()).is_empty());

    // The services' logs (every level, every crate of this process) name no personal value
    // either; they did log the flow — the issuance, the conversion and the refusal at the
    // status step.
    let logged = logs.contents();
    let text = String::from_utf8_lossy(&logged);
    for event in [
        "issuer: credential issued and anchored",
        "conversion: credential issued and anchored",
        "conversion: refused",
        "node: block committed",
    ] {
        assert!(text.contains(event), "no {event:?} in the logs:\n{text}");
    }
    assert!(scanner.scan("service logs", &logged).is_empty(), "{text}");
    // Positive control of the log capture: a sentinel logged (hex-encoded, as a hash would be)
    // is found in what the capture kept.
    tracing::warn!(note = %hex::encode(sentinels.name()), "planted");
    let found = scanner.scan("service logs", &logs.contents());
    assert!(
        !found.is_empty() && found.iter().all(|hit| hit.sentinel == "name"),
        "{found:?}"
    );

    // Positive control: the same scanner finds a sentinel planted in one recorded message,
    // base64url-encoded inside its JSON body as a claim would travel.
    let planted = Recording::new();
    let exchange = recording
        .exchanges()
        .into_iter()
        .find(|exchange| exchange.path_and_query.contains("/v1/conversions"))
        .expect("the conversion request was recorded");
    let mut body: serde_json::Value = serde_json::from_slice(&exchange.request_body).unwrap();
    body["source"]["credential"]["credentialSubject"]["note"] = {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sentinels.document_number())
            .into()
    };
    planted.record_blob("planted conversion request", body.to_string());
    let found = scanner.scan_recording(&planted);
    assert!(!found.hits.is_empty(), "the planted sentinel is found");
    assert!(
        found
            .hits
            .iter()
            .all(|hit| hit.sentinel == "documentNumber"),
        "{found}"
    );
}
