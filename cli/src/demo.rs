//! `crosscode demo`: the two-jurisdiction scenario on an embedded chain, in one command — a dev
//! node, CN-GD's issuer service (SM2) and MO's (Ed25519) with its conversion desk, a wallet and
//! a checkpoint on each side. The scenario is `crosscode_tests::scenario` (the same one the
//! privacy audit test runs); this command reads the arguments, runs it and prints the account.
//! It exits non-zero when any step deviates from what must happen.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use crosscode_did_registry::dev::DevConsortium;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_tests::recording::Recording;
use crosscode_tests::scenario::{self, ScenarioOptions, StepReport};
use time::OffsetDateTime;

use crate::key::print_line;

/// Run the two-jurisdiction scenario: issue in CN-GD, cross the border, convert into an MO
/// health code checked against the chain alone, revoke, and audit what crossed.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the QR code images are written (default: a fresh directory under the system's
    /// temporary directory).
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Keep the data here: the chain (a dev chain directory `crosscode node --dev --data
    /// DIR/chain` serves again), each issuer's store, the wallet.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// The traveller's subject record (JSON, as `POST /v1/records` takes it; default: a
    /// built-in sample).
    #[arg(long, value_name = "FILE.json")]
    subject: Option<PathBuf>,
}

/// Runs the demo; exit 0 only when every step gave the expected outcome.
pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let out_dir = match args.out_dir {
        Some(dir) => dir,
        None => std::env::temp_dir().join(format!(
            "crosscode-demo-{}-{}",
            std::process::id(),
            OffsetDateTime::now_utc().unix_timestamp_nanos()
        )),
    };
    let subject = match &args.subject {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", path.display()))?
        }
        None => scenario::sample_subject(),
    };
    let consortium = match &args.keep {
        Some(keep) => Some(kept_chain(&keep.join("chain"))?),
        None => None,
    };
    say("Crosscode demo: a health code of CN-GD converted into one of MO, on one chain")?;
    say(&format!("QR codes are written to {}", out_dir.display()))?;
    if let Some(keep) = &args.keep {
        say(&format!("data is kept in {}", keep.display()))?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let started = Instant::now();
    let mut printed = Ok(());
    let report = runtime.block_on(scenario::run(
        ScenarioOptions {
            subject,
            out_dir,
            keep: args.keep.clone(),
            consortium,
            recording: Recording::new(),
        },
        &mut |step| {
            if printed.is_ok() {
                printed = print_step(step);
            }
        },
    ))?;
    printed?;
    for image in &report.images {
        say(&format!("QR code image: {}", image.display()))?;
    }
    if report.succeeded() {
        say(&format!(
            "\nAll steps gave the expected outcome ({:.1} s).",
            started.elapsed().as_secs_f64()
        ))?;
        Ok(ExitCode::SUCCESS)
    } else {
        say("\nA step deviated from what must happen (see above).")?;
        Ok(ExitCode::FAILURE)
    }
}

fn print_step(step: &StepReport) -> anyhow::Result<()> {
    let mark = if step.deviation.is_none() {
        "ok"
    } else {
        "FAILED"
    };
    say(&format!(
        "\n{}. {} [{mark}, {} ms]",
        step.number,
        step.title,
        step.elapsed.as_millis()
    ))?;
    for line in &step.details {
        say(&format!("   {line}"))?;
    }
    if let Some(deviation) = &step.deviation {
        say(&format!("   deviation: {deviation}"))?;
    }
    Ok(())
}

/// The dev chain kept in `dir` (generated on first use, as `crosscode node --dev` does, so
/// that command serves it again).
fn kept_chain(dir: &std::path::Path) -> anyhow::Result<DevConsortium> {
    let passphrase = crate::node::dev_passphrase();
    let (genesis, validator_key) =
        crate::node::dev_chain(dir, Some(CryptoProfile::Standard), &passphrase)?;
    let members = crate::node::dev_members(dir, &genesis, &passphrase)?;
    if members.is_empty() {
        bail!("{} is a dev chain without members", dir.display());
    }
    Ok(DevConsortium {
        genesis,
        validator_key,
        members,
    })
}

fn say(line: &str) -> anyhow::Result<()> {
    print_line(line)
}
