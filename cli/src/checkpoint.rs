//! `crosscode checkpoint`: the border checkpoint's trust cache. `checkpoint sync` follows the
//! chain from a node as a light client (verifying every header, transaction list and proof
//! against the pinned validators) and writes the cache `crosscode verify --cache` reads.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use crosscode_did_registry::proof::TrustedChain;
use crosscode_registry_client::RegistryClient;
use crosscode_verifier::chain_trust::ChainTrust;
use crosscode_verifier::chain_trust::file::CacheFileError;
use crosscode_verifier::sync::{self, SyncProgress};

use crate::registry::block_on;

/// Arguments of `crosscode checkpoint`.
#[derive(Debug, Args)]
pub struct CheckpointArgs {
    #[command(subcommand)]
    command: CheckpointCommand,
}

#[derive(Debug, Subcommand)]
enum CheckpointCommand {
    /// Sync the trust cache in DIR from a node: the admitted authorities, their key histories
    /// and scopes, the schemas, the status entries and the anchors, each proven against the
    /// pinned validator set. Incremental from the cache's height; a refused answer leaves the
    /// previous cache in force (exit 1).
    Sync(SyncArgs),
}

/// Arguments of `crosscode checkpoint sync`.
#[derive(Debug, Args)]
struct SyncArgs {
    /// The registry node (http://host:port).
    #[arg(long, value_name = "URL")]
    node: String,
    /// The pinned validator set (validators.json of the chain's genesis, e.g. DIR/validators.json
    /// of a dev node).
    #[arg(long, value_name = "VALIDATORS.json")]
    validators: PathBuf,
    /// The cache directory (created at the first sync).
    #[arg(long, value_name = "DIR")]
    cache: PathBuf,
}

/// Runs `crosscode checkpoint`.
pub fn run(args: CheckpointArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        CheckpointCommand::Sync(args) => sync_command(args),
    }
}

fn sync_command(args: SyncArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.validators)
        .with_context(|| format!("cannot read {}", args.validators.display()))?;
    let pinned = TrustedChain::from_json(&text).with_context(|| {
        format!(
            "{} is not a usable validators.json",
            args.validators.display()
        )
    })?;
    let previous = match ChainTrust::load(&args.cache) {
        Ok(previous) => Some(previous),
        Err(CacheFileError::NotSynced { .. }) => None,
        Err(error) => {
            return Err(error).with_context(|| {
                format!(
                    "the cache in {} cannot be used (remove it to sync from scratch)",
                    args.cache.display()
                )
            });
        }
    };
    let client =
        RegistryClient::new(&args.node).with_context(|| format!("bad node URL {}", args.node))?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} {pos}/{len} [{bar:40}] {per_sec}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = bar.clone();
    let mut show = move |step: SyncProgress| match step {
        SyncProgress::Blocks { height, head } => {
            progress.set_message("blocks checked");
            progress.set_length(head);
            progress.set_position(height);
        }
        SyncProgress::Entries { proven } => {
            progress.set_message("entries proven");
            progress.set_length(proven as u64);
            progress.set_position(proven as u64);
        }
    };
    let synced = block_on(sync::sync(&client, &pinned, previous.as_ref(), &mut show))?;
    bar.finish_and_clear();
    let (trust, summary) = match synced {
        Ok(synced) => synced,
        Err(error) => {
            eprintln!("error: sync refused: {error}");
            eprintln!(
                "the previous cache stays in force{}",
                previous
                    .as_ref()
                    .map(|p| format!(" (height {})", p.height()))
                    .unwrap_or_default()
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    trust
        .save(&args.cache)
        .with_context(|| format!("cannot write the cache in {}", args.cache.display()))?;
    let report = serde_json::json!({
        "chainId": trust.chain.chain_id,
        "fromHeight": summary.from_height,
        "height": summary.height,
        "time": trust.time(),
        "blocks": summary.blocks,
        "entriesProven": summary.entries,
        "authorities": trust.issuers.len(),
        "statusEntries": trust.status_count(),
        "schemas": trust.schemas.len(),
        "anchors": trust.evidence.len() + trust.batches.len(),
    });
    crate::key::print_line(&serde_json::to_string_pretty(&report)?)?;
    Ok(ExitCode::SUCCESS)
}
