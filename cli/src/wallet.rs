//! `crosscode wallet`: a holder's wallet on the command line, over `crosscode-wallet-core`
//! (docs/wallet.md). The CLI parses, reads files and prints; receiving, storing, presenting
//! and converting are the wallet core's.
//!
//! The wallet lives in `--dir W`: the encrypted store (`W/wallet.key`, `W/credentials/`) and
//! the software keystore of the holder keys (`W/keys/`), all sealed under the passphrase in
//! `CROSSCODE_PASSPHRASE`. `wallet init` creates it; the other sub-commands refuse a directory
//! that holds no wallet.
//!
//! Exit codes: 0 done; 1 the wallet refused the operation — one line
//! `error: <code>: <message>` on stderr, `<code>` being the wallet core's stable
//! `WalletError::code` (`wrong_passphrase`, `not_found`, `offer_not_redeemable`, …); 2 unusable
//! input (a missing passphrase, an unreadable trust cache, no wallet in the directory).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use crosscode_core::did::TrustCache;
use crosscode_registry_client::RegistryClient;
use crosscode_wallet_core::keystore::SoftwareKeystore;
use crosscode_wallet_core::store::WALLET_KEY_FILE;
use crosscode_wallet_core::transport::HttpTransport;
use crosscode_wallet_core::{CredentialSummary, Wallet, WalletError};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::key::print_line;
use crate::registry::block_on;

/// The keystore's directory inside the wallet directory.
const KEYS_DIR: &str = "keys";

/// `crosscode wallet` arguments.
#[derive(Debug, Args)]
pub struct WalletArgs {
    #[command(subcommand)]
    command: WalletCommand,
}

#[derive(Debug, Subcommand)]
enum WalletCommand {
    /// Create a wallet in --dir (the passphrase in CROSSCODE_PASSPHRASE seals it).
    Init(DirArgs),
    /// Redeem an OpenID4VCI credential offer (`openid-credential-offer://…`), verify the
    /// credential against the admitted issuers' keys (from --node, or a --trust cache file)
    /// and store it; prints its summary as JSON.
    Receive(ReceiveArgs),
    /// List the credentials, one line each: id, types, issuer, status, received at.
    List(DirArgs),
    /// Print the CC1 QR payload of a presentation of a credential (its length on stderr) and
    /// optionally write the QR code as a PNG.
    Present(PresentArgs),
    /// Delete a credential and its holder key.
    Delete(IdArgs),
    /// Convert a credential into one of another jurisdiction at its conversion service
    /// (docs/conversion.md): discloses only the claims its policy names, with the holder's
    /// consent; stores the converted credential beside the source and prints its summary.
    Convert(ConvertArgs),
}

#[derive(Debug, Args)]
struct DirArgs {
    /// The wallet directory.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
}

#[derive(Debug, Args)]
struct IdArgs {
    #[command(flatten)]
    wallet: DirArgs,
    /// The credential's id (as `wallet list` shows it).
    #[arg(long, value_name = "ID")]
    id: String,
}

/// Whose keys a wallet trusts for what it receives: a node's admitted issuers, or a file.
#[derive(Debug, Args)]
struct TrustArgs {
    /// Trust the current keys of every admitted, non-suspended issuer of this registry node.
    #[arg(
        long,
        value_name = "URL",
        required_unless_present = "trust",
        conflicts_with = "trust"
    )]
    node: Option<String>,
    /// Trust the keys of this trust-cache file (docs/trust-cache.md) instead.
    #[arg(long, value_name = "FILE")]
    trust: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ConvertArgs {
    #[command(flatten)]
    credential: IdArgs,
    /// The converting authority's service (its base URL).
    #[arg(long, value_name = "URL")]
    to: String,
    #[command(flatten)]
    trust: TrustArgs,
}

#[derive(Debug, Args)]
struct ReceiveArgs {
    #[command(flatten)]
    wallet: DirArgs,
    /// The transaction code the issuer gave apart from the offer (when the offer asks for one).
    #[arg(long, value_name = "CODE")]
    tx_code: Option<String>,
    #[command(flatten)]
    trust: TrustArgs,
    /// The credential offer URI.
    #[arg(value_name = "OFFER_URI")]
    offer: String,
}

#[derive(Debug, Args)]
struct PresentArgs {
    #[command(flatten)]
    credential: IdArgs,
    /// The claims to disclose (names under credentialSubject or JSON pointers, comma
    /// separated); none: the whole credential, or only the mandatory claims of a selective one.
    #[arg(long, value_name = "CLAIMS", value_delimiter = ',')]
    disclose: Vec<String>,
    /// The verifier's identifier (the presentation's `domain`).
    #[arg(long, value_name = "AUDIENCE")]
    audience: Option<String>,
    /// Sign the presentation for the current 30-second time slot (a dynamic QR code).
    #[arg(long)]
    dynamic: bool,
    /// Carry the credential's anchor receipt beside the presentation, for a checkpoint that
    /// checks anchor inclusion (`--require-anchor`); the QR code grows.
    #[arg(long)]
    anchor: bool,
    /// Write the QR code as a PNG image here.
    #[arg(long, value_name = "OUT.png")]
    png: Option<PathBuf>,
}

/// Runs `crosscode wallet`.
pub fn run(args: WalletArgs) -> anyhow::Result<ExitCode> {
    let outcome = match args.command {
        WalletCommand::Init(args) => init(&args),
        WalletCommand::Receive(args) => receive(&args),
        WalletCommand::List(args) => list(&args),
        WalletCommand::Present(args) => present(&args),
        WalletCommand::Delete(args) => delete(&args),
        WalletCommand::Convert(args) => convert(&args),
    };
    match outcome {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(err) => match err.downcast_ref::<WalletError>() {
            Some(refused) => {
                eprintln!("error: {}: {refused}", refused.code());
                Ok(ExitCode::from(1))
            }
            None => Err(err),
        },
    }
}

/// Opens the wallet in `dir` with the passphrase of `CROSSCODE_PASSPHRASE`; `create` allows
/// (and requires) a directory without a wallet.
fn open(dir: &Path, create: bool) -> anyhow::Result<Wallet> {
    let exists = dir.join(WALLET_KEY_FILE).exists();
    if create && exists {
        bail!("{} already holds a wallet", dir.display());
    }
    if !create && !exists {
        bail!(
            "{} holds no wallet: create one with `crosscode wallet init --dir {}`",
            dir.display(),
            dir.display()
        );
    }
    let passphrase = crate::key::passphrase()?;
    let keystore =
        SoftwareKeystore::open(&dir.join(KEYS_DIR), &passphrase).map_err(WalletError::from)?;
    let transport = HttpTransport::new().context("cannot start the HTTP client")?;
    Ok(Wallet::open(
        dir,
        &passphrase,
        Arc::new(keystore),
        Arc::new(transport),
    )?)
}

fn init(args: &DirArgs) -> anyhow::Result<()> {
    open(&args.dir, true)?;
    print_line(&format!("wallet created in {}", args.dir.display()))
}

/// The keys `args` says to trust.
fn load_trust(args: &TrustArgs) -> anyhow::Result<TrustCache> {
    Ok(match (&args.node, &args.trust) {
        (_, Some(path)) => crate::trust_cache::load(std::slice::from_ref(path))?,
        (Some(node), None) => {
            let client = RegistryClient::new(node).context("invalid --node URL")?;
            block_on(client.trust_cache_of_admitted_issuers())?
                .context("cannot fetch the admitted issuers' keys from the node")?
        }
        (None, None) => bail!("give --node URL or --trust FILE"),
    })
}

fn receive(args: &ReceiveArgs) -> anyhow::Result<()> {
    let wallet = open(&args.wallet.dir, false)?;
    let trust = load_trust(&args.trust)?;
    let summary = block_on(wallet.receive(
        &args.offer,
        args.tx_code.as_deref(),
        &trust,
        OffsetDateTime::now_utc(),
    ))??;
    let text = serde_json::to_string_pretty(&summary_json(&summary)?)?;
    print_line(&text)
}

/// A summary as JSON (what `wallet receive` prints).
fn summary_json(summary: &CredentialSummary) -> anyhow::Result<serde_json::Value> {
    Ok(json!({
        "id": summary.id,
        "types": summary.types,
        "issuer": summary.issuer,
        "holderDid": summary.holder_did,
        "receivedAt": received_at(summary),
        "validUntil": summary.valid_until,
        "status": serde_json::to_value(summary.status)?,
        "selective": summary.selective,
    }))
}

fn received_at(summary: &CredentialSummary) -> String {
    OffsetDateTime::from_unix_timestamp(summary.received_at)
        .ok()
        .and_then(|at| at.format(&Rfc3339).ok())
        .unwrap_or_else(|| summary.received_at.to_string())
}

fn convert(args: &ConvertArgs) -> anyhow::Result<()> {
    let wallet = open(&args.credential.wallet.dir, false)?;
    let trust = load_trust(&args.trust)?;
    let summary = block_on(wallet.convert(
        &args.credential.id,
        &args.to,
        &trust,
        OffsetDateTime::now_utc(),
    ))??;
    let text = serde_json::to_string_pretty(&summary_json(&summary)?)?;
    print_line(&text)
}

fn list(args: &DirArgs) -> anyhow::Result<()> {
    let wallet = open(&args.dir, false)?;
    for summary in wallet.list()? {
        let status = serde_json::to_value(summary.status)?;
        print_line(&format!(
            "{}\t{}\t{}\t{}\t{}",
            summary.id,
            summary.types.join(","),
            summary.issuer,
            status.as_str().unwrap_or_default(),
            received_at(&summary)
        ))?;
    }
    Ok(())
}

fn present(args: &PresentArgs) -> anyhow::Result<()> {
    let wallet = open(&args.credential.wallet.dir, false)?;
    let presentation = wallet.present_carrying(
        &args.credential.id,
        &args.disclose,
        args.audience.as_deref(),
        args.dynamic,
        args.anchor,
        OffsetDateTime::now_utc(),
    )?;
    if args.anchor && !presentation.anchored {
        eprintln!(
            "warning: this credential has no anchor receipt; a checkpoint that requires one will refuse the code"
        );
    }
    if let Some(path) = &args.png {
        std::fs::write(path, &presentation.png)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    print_line(&presentation.payload)?;
    match presentation.time_slot {
        Some(slot) => eprintln!(
            "{} characters, dynamic for time slot {slot}",
            presentation.payload.len()
        ),
        None => eprintln!("{} characters", presentation.payload.len()),
    }
    Ok(())
}

fn delete(args: &IdArgs) -> anyhow::Result<()> {
    let wallet = open(&args.wallet.dir, false)?;
    wallet.delete(&args.id)?;
    print_line(&format!("deleted {}", args.id))
}
