//! The two-jurisdiction scenario of `crosscode demo`, as a library: each step runs, is timed and
//! checked against what must happen, and is handed to the caller as it completes (the CLI
//! prints it; a test asserts on it).
//!
//! 1. the chain and the authorities: a dev node, CN-GD's and MO's issuer services (MO's
//!    conversion policy anchored), every party behind a recording proxy;
//! 2. CN-GD issues a health code to the wallet (OpenID4VCI, verified on arrival);
//! 3. CN-GD's exit checkpoint, synced from the chain, accepts the wallet's dynamic QR code;
//! 4. the wallet converts the code into an MO one — with CN-GD's service stopped;
//! 5. MO's checkpoint, synced before, accepts the converted code's dynamic QR offline;
//! 6. CN-GD revokes the source code;
//! 7. a second conversion is refused at the status step (`REVOKED`);
//! 8. the privacy audit: every HTTP body between the parties, every block and the chain's
//!    stored state are searched for the traveller's personal values in every encoding the
//!    project uses — 0 hits — after a positive control shows the scanner finds a planted one.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crosscode_core::VerificationStep;
use crosscode_core::crossborder::RefusalCode;
use crosscode_did_registry::dev::DevConsortium;
use crosscode_issuer::status::StatusAction;
use crosscode_verifier::Verifier;
use crosscode_verifier::chain_trust::ChainTrust;
use crosscode_verifier::format::cc1::{Cc1, PresentationPolicy};
use crosscode_verifier::report::{Report, StepOutcome, Verdict};
use crosscode_verifier::trust::TrustStore;
use crosscode_wallet_core::convert::ConvertError;
use crosscode_wallet_core::wallet::WalletError;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::audit::Scanner;
use crate::jurisdictions::{
    SOURCE, TARGET, TwoJurisdictions, WorldError, WorldOptions, open_wallet,
};
use crate::recording::{Recording, Sources};

/// The traveller of the demo when no `--subject` is given.
pub fn sample_subject() -> Value {
    json!({
        "name": "Wong Ka Yan",
        "birthDate": "1991-03-27",
        "documentNumber": "C12345678",
        "healthStatus": "green",
        "testResults": [{"testType": "nucleic-acid", "result": "negative",
                         "sampledAt": "2026-12-05T08:00:00Z"}],
        "vaccinations": [{"vaccine": "CoronaVac", "dose": 2, "date": "2026-03-01"}]
    })
}

/// How to run the scenario.
pub struct ScenarioOptions {
    /// The traveller's subject record (CN-GD's record format, `docs/issuer.md`).
    pub subject: Value,
    /// Where the QR code images are written.
    pub out_dir: PathBuf,
    /// Keep the chain's and the services' data here (else a temporary directory).
    pub keep: Option<PathBuf>,
    /// The consortium (else a fresh dev consortium).
    pub consortium: Option<DevConsortium>,
    /// Where every crossing byte is recorded (the audit scans it; a caller may scan it again).
    pub recording: Recording,
}

/// One step's outcome.
#[derive(Debug, Clone)]
pub struct StepReport {
    /// Its number (1 to 8).
    pub number: usize,
    /// What it does.
    pub title: &'static str,
    /// What happened (lines for people; no personal value).
    pub details: Vec<String>,
    /// How long it took.
    pub elapsed: Duration,
    /// `None` when it went as it must; otherwise how it deviated.
    pub deviation: Option<String>,
}

/// The scenario's outcome.
#[derive(Debug, Clone, Default)]
pub struct ScenarioReport {
    /// Every step, in order.
    pub steps: Vec<StepReport>,
    /// The QR code images written.
    pub images: Vec<PathBuf>,
}

impl ScenarioReport {
    /// Whether every step went as it must.
    pub fn succeeded(&self) -> bool {
        self.steps.len() == 8 && self.steps.iter().all(|step| step.deviation.is_none())
    }
}

/// Why the scenario could not go on (a step that deviates is reported, not an error).
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// Setting up or driving a party failed.
    #[error(transparent)]
    World(#[from] WorldError),
    /// Something else failed (what, and why).
    #[error("{0}")]
    Failed(String),
}

fn failed<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> ScenarioError {
    move |err| ScenarioError::Failed(format!("{what}: {err}"))
}

/// The wallet's passphrase in the demo.
const WALLET_PASSPHRASE: &[u8] = b"demo wallet passphrase";

/// Runs the scenario (see the module documentation), calling `on_step` after each step.
pub async fn run(
    options: ScenarioOptions,
    on_step: &mut (dyn FnMut(&StepReport) + Send),
) -> Result<ScenarioReport, ScenarioError> {
    let mut report = ScenarioReport::default();
    let mut record = |report: &mut ScenarioReport, step: StepReport| {
        on_step(&step);
        report.steps.push(step);
    };
    std::fs::create_dir_all(&options.out_dir).map_err(failed("the output directory"))?;

    // 1. The chain and the authorities.
    let started = Instant::now();
    let recording = options.recording.clone();
    let mut world = TwoJurisdictions::start(WorldOptions {
        keep: options.keep.clone(),
        consortium: options.consortium,
        recording: Some(recording.clone()),
        policy: None,
    })
    .await?;
    let desk = world
        .target
        .desk
        .clone()
        .ok_or_else(|| ScenarioError::Failed("MO has no conversion desk".into()))?;
    let published = desk.published();
    record(
        &mut report,
        StepReport {
            number: 1,
            title: "a dev chain; CN-GD (SM2) and MO (Ed25519) admitted, each with its issuer service",
            details: vec![
                format!(
                    "chain       {} at {}",
                    world.pinned.chain_id,
                    world.chain.base_url()
                ),
                format!("{SOURCE}       {}", world.source.did.as_str()),
                format!("{TARGET}          {}", world.target.did.as_str()),
                format!(
                    "MO policy   {} (anchored at height {})",
                    hex::encode(published.policy_hash.0),
                    published.anchored_at
                ),
            ],
            elapsed: started.elapsed(),
            deviation: None,
        },
    );

    // 2. CN-GD issues the health code to the wallet.
    let started = Instant::now();
    let (wallet, _) = open_wallet(&world.dir.join("wallet"), WALLET_PASSPHRASE)?;
    // Both checkpoints check anchor inclusion: the codes carry their receipts.
    let wallet = wallet.with_anchor_receipts(true);
    let trust = world.wallet_trust().await?;
    let offer = world.offer(&options.subject).await?;
    let source = wallet
        .receive(&offer, None, &trust, OffsetDateTime::now_utc())
        .await
        .map_err(failed("receiving the health code"))?;
    let stored = wallet.get(&source.id).map_err(failed("the stored code"))?;
    let source_credential_id = stored.credential["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    record(
        &mut report,
        StepReport {
            number: 2,
            title: "CN-GD issues a health code to the wallet (OpenID4VCI, verified on arrival)",
            details: vec![
                format!("holder      {}", source.holder_did),
                format!(
                    "anchored    {}",
                    stored.anchor.as_ref().map_or_else(
                        || "no receipt".to_owned(),
                        |anchor| format!("at height {}", anchor.height)
                    )
                ),
            ],
            elapsed: started.elapsed(),
            deviation: stored
                .anchor
                .is_none()
                .then(|| "the issuer gave no anchor receipt".to_owned()),
        },
    );

    // 3. CN-GD's exit checkpoint.
    let started = Instant::now();
    let exit_trust = world.checkpoint_trust().await?;
    let disclose = ["statusColour".to_owned(), "statusDate".to_owned()];
    let shown = wallet
        .present(&source.id, &disclose, None, true, OffsetDateTime::now_utc())
        .map_err(failed("presenting the code"))?;
    let exit_png = options.out_dir.join("cn-gd-exit.png");
    std::fs::write(&exit_png, &shown.png).map_err(failed("writing the QR code"))?;
    report.images.push(exit_png);
    let verdict = checkpoint(exit_trust).verify_text(&shown.payload, OffsetDateTime::now_utc());
    record(
        &mut report,
        StepReport {
            number: 3,
            title: "CN-GD's exit checkpoint accepts the wallet's dynamic QR code (offline, synced cache)",
            details: vec![
                format!("QR payload  {} characters", shown.payload.len()),
                format!("verdict     {:?}", verdict.verdict()),
                anchor_line(&verdict),
            ],
            elapsed: started.elapsed(),
            deviation: (verdict.verdict() != Verdict::Accept)
                .then(|| format!("the checkpoint refused: {:?}", verdict.failure())),
        },
    );

    // 4. Conversion, CN-GD's service stopped.
    world.source.stop_service().await?;
    let started = Instant::now();
    let converted = wallet
        .convert(
            &source.id,
            &world.target.url,
            &trust,
            OffsetDateTime::now_utc(),
        )
        .await;
    let elapsed = started.elapsed();
    let (converted_id, deviation, details) = match &converted {
        Ok(summary) => (
            Some(summary.id.clone()),
            None,
            vec![
                format!("MO code     issued to {}", summary.holder_did),
                "CN-GD       not reachable during the conversion".to_owned(),
            ],
        ),
        Err(err) => (
            None,
            Some(format!("the conversion failed: {err}")),
            Vec::new(),
        ),
    };
    record(
        &mut report,
        StepReport {
            number: 4,
            title: "the wallet converts the code into an MO health code (MO checks the chain alone)",
            details,
            elapsed,
            deviation,
        },
    );

    // 5. MO's entry checkpoint.
    let started = Instant::now();
    let entry_trust = world.checkpoint_trust().await?;
    let (deviation, details) = match &converted_id {
        Some(id) => {
            let shown = wallet
                .present(id, &disclose, None, true, OffsetDateTime::now_utc())
                .map_err(failed("presenting the MO code"))?;
            let entry_png = options.out_dir.join("mo-entry.png");
            std::fs::write(&entry_png, &shown.png).map_err(failed("writing the QR code"))?;
            report.images.push(entry_png);
            let verdict =
                checkpoint(entry_trust).verify_text(&shown.payload, OffsetDateTime::now_utc());
            (
                (verdict.verdict() != Verdict::Accept)
                    .then(|| format!("the checkpoint refused: {:?}", verdict.failure())),
                vec![
                    format!("verdict     {:?}", verdict.verdict()),
                    anchor_line(&verdict),
                ],
            )
        }
        None => (Some("no MO code to show".to_owned()), Vec::new()),
    };
    record(
        &mut report,
        StepReport {
            number: 5,
            title: "MO's entry checkpoint accepts the converted code's dynamic QR (offline)",
            details,
            elapsed: started.elapsed(),
            deviation,
        },
    );

    // 6. Revocation at CN-GD.
    let started = Instant::now();
    world
        .source
        .change_status(&source_credential_id, StatusAction::Revoke)
        .await?;
    record(
        &mut report,
        StepReport {
            number: 6,
            title: "CN-GD revokes the source health code (its status entry set on the chain)",
            details: Vec::new(),
            elapsed: started.elapsed(),
            deviation: None,
        },
    );

    // 7. A second conversion is refused.
    let started = Instant::now();
    let again = wallet
        .convert(
            &source.id,
            &world.target.url,
            &trust,
            OffsetDateTime::now_utc(),
        )
        .await;
    let deviation = match &again {
        Err(WalletError::Convert(ConvertError::Refused {
            code: RefusalCode::Revoked,
            ..
        })) => None,
        Err(other) => Some(format!("refused for another reason: {other}")),
        Ok(_) => Some("the revoked code was converted".to_owned()),
    };
    record(
        &mut report,
        StepReport {
            number: 7,
            title: "a second conversion is refused at the status step",
            details: vec![match &again {
                Err(err) => format!("refusal     {err}"),
                Ok(_) => "converted".to_owned(),
            }],
            elapsed: started.elapsed(),
            deviation,
        },
    );

    // 8. The privacy audit.
    let started = Instant::now();
    record_chain(&world, &recording).await?;
    let (deviation, details) = audit(&options.subject, &recording)?;
    record(
        &mut report,
        StepReport {
            number: 8,
            title: "privacy audit: the traveller's personal values in nothing that crossed",
            details,
            elapsed: started.elapsed(),
            deviation,
        },
    );
    world.stop().await?;
    Ok(report)
}

/// A checkpoint verifier over `trust` that demands dynamic codes carrying their anchor
/// receipts.
fn checkpoint(trust: ChainTrust) -> Verifier {
    Verifier::new(TrustStore::new())
        .with_format(Box::new(Cc1::with_policy(PresentationPolicy {
            require_dynamic: true,
            require_anchor: true,
            ..PresentationPolicy::default()
        })))
        .with_chain_trust(trust)
}

/// The account's line for a checkpoint report's anchor inclusion.
fn anchor_line(report: &Report) -> String {
    match report.outcome(VerificationStep::AnchorInclusion) {
        StepOutcome::Passed(detail) => format!("anchor      {detail}"),
        other => format!("anchor      {other:?}"),
    }
}

/// Records every block, its transactions, and the chain's stored state (its RocksDB files)
/// — what every jurisdiction replicates.
async fn record_chain(
    world: &TwoJurisdictions,
    recording: &Recording,
) -> Result<(), ScenarioError> {
    let head = world
        .chain
        .chain_info()
        .await
        .map_err(failed("the chain's head"))?
        .height;
    // The blocks as the node serves them (the bytes another jurisdiction's node or checkpoint
    // receives).
    let http = reqwest::Client::new();
    let base = world.chain.base_url();
    for height in 1..=head {
        for path in [
            format!("/v1/blocks/{height}"),
            format!("/v1/blocks/{height}/transactions"),
        ] {
            let bytes = http
                .get(format!("{base}{path}"))
                .send()
                .await
                .map_err(failed("a block"))?
                .bytes()
                .await
                .map_err(failed("a block's body"))?;
            recording.record_blob(format!("chain {path}"), bytes.to_vec());
        }
    }
    let state = world.dir.join("chain").join("db");
    for entry in std::fs::read_dir(&state).map_err(failed("the chain's data"))? {
        let path = entry.map_err(failed("the chain's data"))?.path();
        if path.is_file() {
            let bytes = std::fs::read(&path).map_err(failed("a chain data file"))?;
            recording.record_blob(format!("chain state {}", path.display()), bytes);
        }
    }
    Ok(())
}

/// What crossed between jurisdictions, and what stayed inside the source jurisdiction (the
/// wallet's and the back office's exchanges with CN-GD's own service, which carry the
/// traveller's record and credential by design), as `(source, bytes)` pairs.
pub fn split_recording(recording: &Recording) -> (Sources, Sources) {
    let mut crossing = Vec::new();
    let mut inside = Vec::new();
    for (index, exchange) in recording.exchanges().iter().enumerate() {
        let parts = exchange.sources(index);
        if exchange.label == SOURCE {
            inside.extend(parts);
        } else {
            crossing.extend(parts);
        }
    }
    crossing.extend(
        recording
            .blobs()
            .into_iter()
            .map(|blob| (blob.source, blob.bytes)),
    );
    (crossing, inside)
}

/// Scans what crossed for the subject's personal values; the positive control is what
/// stayed inside CN-GD, where the same scanner must find them.
fn audit(
    subject: &Value,
    recording: &Recording,
) -> Result<(Option<String>, Vec<String>), ScenarioError> {
    let personal: Vec<(&str, &str)> = ["name", "birthDate", "documentNumber"]
        .into_iter()
        .filter_map(|field| Some((field, subject.get(field)?.as_str()?)))
        .collect();
    let scanner = Scanner::new(&personal).map_err(failed("the audit's scanner"))?;
    let (crossing, inside) = split_recording(recording);
    let control = scanner.scan_all(inside.iter().map(|(s, b)| (s, b)));
    let report = scanner.scan_all(crossing.iter().map(|(s, b)| (s, b)));
    let bytes: usize = crossing.iter().map(|(_, b)| b.len()).sum();
    let mut details = vec![
        format!(
            "crossed     {} recorded parts, {bytes} bytes (HTTP bodies between the wallet, MO and the chain; blocks; the chain's state)",
            crossing.len()
        ),
        format!(
            "control     {} hit(s) inside CN-GD (the wallet's own exchanges with its authority)",
            control.hits.len()
        ),
        format!("hits        {} in what crossed", report.hits.len()),
    ];
    details.extend(report.hits.iter().take(5).map(|hit| format!("  {hit}")));
    let deviation = if control.hits.is_empty() {
        Some("the positive control found nothing: the audit cannot be trusted".to_owned())
    } else if !report.hits.is_empty() {
        Some(format!(
            "{} personal value(s) crossed: {}",
            report.hits.len(),
            report
                .hits
                .iter()
                .take(6)
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ))
    } else if !report.limits_reached.is_empty() {
        Some(format!(
            "{} recording(s) not fully searched",
            report.limits_reached.len()
        ))
    } else {
        None
    };
    Ok((deviation, details))
}
