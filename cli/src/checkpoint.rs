//! `crosscode checkpoint`: the border checkpoint's trust cache. `checkpoint sync` follows the
//! chain from a node as a light client (verifying every header, transaction list and proof
//! against the pinned validators) and writes the cache `crosscode verify --cache` reads;
//! `checkpoint serve` serves the gate page over it (`crosscode_verifier::gate`), syncing in the
//! background when given a node.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use crosscode_did_registry::proof::TrustedChain;
use crosscode_registry_client::RegistryClient;
use crosscode_registry_node::termination_signal;
use crosscode_verifier::chain_trust::ChainTrust;
use crosscode_verifier::chain_trust::file::CacheFileError;
use crosscode_verifier::format::cc1::PresentationPolicy;
use crosscode_verifier::gate::{self, GateConfig, RefreshConfig, RunningGate};
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
    /// Serve the gate page for an officer's browser on loopback: a handheld scanner types a
    /// code into it, or the camera's frames are read by the gate; it shows ACCEPT / REJECT,
    /// the reason, the disclosed claims and how fresh the trust is. Prints `gate listening on
    /// http://ADDR` when ready and serves until SIGINT / SIGTERM. With --node and --validators
    /// it syncs the cache in the background (a failed sync keeps the trust in force).
    Serve(ServeArgs),
}

/// Arguments of `crosscode checkpoint serve`.
#[derive(Debug, Args)]
struct ServeArgs {
    /// The cache directory (synced by `checkpoint sync`, or by this gate with --node).
    #[arg(long, value_name = "DIR")]
    cache: PathBuf,
    /// The loopback address to listen on (port 0: a free port).
    #[arg(long, value_name = "ADDR", default_value = gate::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// A registry node to sync from in the background.
    #[arg(long, value_name = "URL", requires = "validators")]
    node: Option<String>,
    /// With --node: the pinned validator set (validators.json).
    #[arg(long, value_name = "VALIDATORS.json", requires = "node")]
    validators: Option<PathBuf>,
    /// With --node: seconds between background syncs.
    #[arg(long = "sync-every", value_name = "SECONDS", default_value_t = gate::DEFAULT_REFRESH.as_secs(), requires = "node", value_parser = clap::value_parser!(u64).range(1..))]
    sync_every: u64,
    /// The oldest the synced trust may be, in seconds: an older one turns CC1 verdicts to
    /// REJECT at Status (STALE_TRUST_CACHE).
    #[arg(long = "max-age", value_name = "SECONDS")]
    max_age: Option<u32>,
    /// This checkpoint's identifier: a CC1 presentation must name it as its audience.
    #[arg(long, value_name = "ID")]
    audience: Option<String>,
    /// Accept only dynamic CC1 presentations (a holder-signed 30-second time slot).
    #[arg(long)]
    dynamic_only: bool,
    /// Require an anchor receipt beside every CC1 credential (`crosscode wallet present
    /// --anchor`), checked against the synced trust cache: a code without one is refused.
    #[arg(long)]
    require_anchor: bool,
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
        CheckpointCommand::Serve(args) => serve_command(args),
    }
}

/// The pinned validator set in `path`.
pub(crate) fn read_pinned(path: &Path) -> anyhow::Result<TrustedChain> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    TrustedChain::from_json(&text)
        .with_context(|| format!("{} is not a usable validators.json", path.display()))
}

fn serve_command(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let refresh = match (args.node, &args.validators) {
        (Some(node), Some(validators)) => Some(RefreshConfig {
            node,
            pinned: read_pinned(validators)?,
            every: Duration::from_secs(args.sync_every),
        }),
        _ => None,
    };
    let config = GateConfig {
        cache_dir: args.cache,
        listen: args.listen,
        policy: PresentationPolicy {
            audience: args.audience,
            require_dynamic: args.dynamic_only,
            require_anchor: args.require_anchor,
            max_trust_age: args
                .max_age
                .map(|seconds| time::Duration::seconds(seconds.into())),
            // The gate turns replay refusal on itself (it remembers what it saw).
            refuse_replays: true,
        },
        refresh,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let gate = RunningGate::start(config).await?;
        // Installed before the ready line, so that a signal sent right after it stops the gate
        // cleanly.
        let stop = termination_signal();
        crate::key::print_line(&format!("gate listening on {}", gate.url()))?;
        gate.wait_until(stop).await.context("the gate failed")?;
        Ok(ExitCode::SUCCESS)
    })
}

fn sync_command(args: SyncArgs) -> anyhow::Result<ExitCode> {
    let pinned = read_pinned(&args.validators)?;
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
