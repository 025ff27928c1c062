//! `crosscode issuer`: the health authority's issuer service.
//!
//! `issuer serve` starts the service as an authority (key files with `--authority`, or the dev
//! consortium's authority of a jurisdiction with `--dev`) against a registry node, prints one
//! ready line with its URL and serves until SIGINT / SIGTERM. `issuer batch` issues one
//! credential per line of a JSON Lines file and anchors them with one batch anchor, showing
//! progress, and writes the credentials with their inclusion paths as JSON Lines.

use std::io::{BufRead, BufWriter, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use crosscode_core::crossborder::ConversionPolicy;
use crosscode_core::keys::SecretKey;
use crosscode_did_registry::dev::{DEV_JURISDICTIONS, DevAuthority};
use crosscode_issuer::conversion::ConversionDesk;
use crosscode_issuer::http::AppState;
use crosscode_issuer::issuance::IssueOptions;
use crosscode_issuer::records::SubjectRecord;
use crosscode_issuer::schemas::{KNOWN_TYPES, known_type};
use crosscode_issuer::sealing::open_or_create_record_key;
use crosscode_issuer::server::RunningIssuer;
use crosscode_issuer::service::{BatchRecord, IssuerService, ServiceConfig};
use crosscode_issuer::store::IssuerStore;
use crosscode_issuer::store::embedded::EmbeddedStore;
use crosscode_issuer::store::postgres::PostgresStore;
use crosscode_issuer::token::{BackOfficeToken, TOKEN_FILE};
use crosscode_registry_client::RegistryClient;
use crosscode_registry_node::termination_signal;
use zeroize::Zeroizing;

use crate::key::{PASSPHRASE_ENV, print_line};
use crate::node::DEV_PASSPHRASE;

/// The default listen address of `issuer serve`.
const DEFAULT_LISTEN: &str = "127.0.0.1:8800";

/// `crosscode issuer` arguments.
#[derive(Debug, Args)]
pub struct IssuerArgs {
    #[command(subcommand)]
    command: IssuerCommand,
}

#[derive(Debug, Subcommand)]
enum IssuerCommand {
    /// Run the issuer service: prints `issuer listening on http://ADDR as DID` when ready.
    Serve(ServeArgs),
    /// Issue one credential per record of a JSON Lines file (`{"holder": did:key, "record":
    /// {...}}` per line) and anchor them all with one batch anchor; writes the credentials and
    /// their anchor receipts as JSON Lines to --out.
    Batch(BatchArgs),
}

/// Who the service is and where it keeps its data (shared by `serve` and `batch`).
#[derive(Debug, Args)]
struct AuthorityArgs {
    /// The registry node's URL.
    #[arg(long, value_name = "URL")]
    node: String,
    /// The authority's encrypted key files (opened with CROSSCODE_PASSPHRASE): the chain key
    /// of its DID and its credential keys (Ed25519, SM2, BBS).
    #[arg(long, value_name = "KEYFILE", num_args = 1.., required_unless_present = "dev", conflicts_with = "dev")]
    authority: Vec<PathBuf>,
    /// Act as the dev consortium's authority of this jurisdiction (CN-GD, MO or HK) against
    /// `crosscode node --dev`; its keys are derived from a public label (never for real
    /// credentials).
    #[arg(long, value_name = "JURISDICTION")]
    dev: Option<String>,
    /// The service's data directory: the embedded store (DIR/db), the sealed record key
    /// (DIR/records.key) and the back-office token (DIR/back-office.token).
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
    /// Keep the records in PostgreSQL instead of the embedded store (a libpq connection
    /// string, e.g. `host=/run/postgresql dbname=issuer user=issuer`).
    #[arg(long, value_name = "CONNINFO")]
    postgres: Option<String>,
    /// Credential types to issue (each must be in the authority's admitted scope).
    #[arg(long = "type", value_name = "TYPE", default_value = "HealthCode")]
    types: Vec<String>,
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    authority: AuthorityArgs,
    /// The HTTP listen address.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// The public base URL wallets and checkpoints reach the service at (default:
    /// http://ADDR of the listener).
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Open the cross-border conversion desk under this conversion policy (JSON,
    /// docs/conversion.md §2): its hash is anchored on the chain unless it is already, and
    /// `/v1/conversion/…` serve wallets of the jurisdictions it accepts.
    #[arg(long, value_name = "POLICY.json", requires = "validators")]
    conversion_policy: Option<PathBuf>,
    /// With --conversion-policy: the pinned validator set (validators.json) the desk checks
    /// the chain against.
    #[arg(long, value_name = "FILE", requires = "conversion_policy")]
    validators: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct BatchArgs {
    #[command(flatten)]
    authority: AuthorityArgs,
    /// The records, one JSON object per line.
    #[arg(long, value_name = "FILE.jsonl")]
    records: PathBuf,
    /// Where to write the issued credentials (JSON Lines).
    #[arg(long, value_name = "FILE.jsonl")]
    out: PathBuf,
    /// The public base URL of the issuer service (status lists, schemas).
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8800")]
    public_url: String,
}

/// Runs `crosscode issuer`.
pub fn run(args: IssuerArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    match args.command {
        IssuerCommand::Serve(args) => runtime.block_on(serve(args)),
        IssuerCommand::Batch(args) => runtime.block_on(batch(args)),
    }
}

/// The passphrase of the key files and the record key: CROSSCODE_PASSPHRASE, or for --dev
/// the dev passphrase (said on stderr).
fn passphrase(dev: bool) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    match std::env::var_os(PASSPHRASE_ENV) {
        Some(value) if !value.is_empty() => Ok(Zeroizing::new(value.into_encoded_bytes())),
        _ if dev => {
            eprintln!(
                "note: {PASSPHRASE_ENV} is not set; the record key uses the dev passphrase \
                 `{DEV_PASSPHRASE}` (never use a dev authority for real credentials)"
            );
            Ok(Zeroizing::new(DEV_PASSPHRASE.as_bytes().to_vec()))
        }
        _ => bail!("{PASSPHRASE_ENV} is not set: put the key files' passphrase in it"),
    }
}

/// Refuses a `--dev` jurisdiction that is not a dev one and a `--type` the issuer does not
/// know, before anything is read, created or asked of the node (one error line).
fn check_arguments(args: &AuthorityArgs) -> anyhow::Result<()> {
    if let Some(jurisdiction) = &args.dev
        && !DEV_JURISDICTIONS.contains(&jurisdiction.as_str())
    {
        bail!(
            "--dev {jurisdiction} is not a dev jurisdiction: --dev takes one of {}",
            DEV_JURISDICTIONS.join(", ")
        );
    }
    if let Some(unknown) = args.types.iter().find(|name| known_type(name).is_none()) {
        let known: Vec<&str> = KNOWN_TYPES.iter().map(|known| known.name).collect();
        bail!(
            "unknown credential type {unknown}: --type takes {}",
            known.join(", ")
        );
    }
    Ok(())
}

/// Starts the service as the authority of `args` at `base_url`.
async fn start(args: &AuthorityArgs, base_url: &str) -> anyhow::Result<Arc<IssuerService>> {
    check_arguments(args)?;
    let passphrase = passphrase(args.dev.is_some())?;
    let client = RegistryClient::new(&args.node).context("invalid --node URL")?;
    let keys: Vec<SecretKey> = match &args.dev {
        Some(jurisdiction) => {
            let profile = client
                .chain_info()
                .await
                .context("cannot reach the node")?
                .profile;
            let authority = DevAuthority::derive(profile, jurisdiction);
            vec![
                authority.chain_key,
                authority.ed25519,
                authority.sm2,
                authority.bbs,
            ]
        }
        None => args
            .authority
            .iter()
            .map(|path| crate::key::open_key_file(path))
            .collect::<anyhow::Result<_>>()?,
    };
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create {}", args.data_dir.display()))?;
    let store: Arc<dyn IssuerStore> = match &args.postgres {
        Some(conninfo) => {
            Arc::new(PostgresStore::connect(conninfo).context("cannot connect to PostgreSQL")?)
        }
        None => Arc::new(
            EmbeddedStore::open(&args.data_dir.join("db"))
                .with_context(|| format!("the store in {}", args.data_dir.display()))?,
        ),
    };
    let record_key = open_or_create_record_key(&args.data_dir, &passphrase)
        .context("cannot open the record key")?;
    let mut config = ServiceConfig::new(base_url);
    config.credential_types = args.types.clone();
    let service = IssuerService::start(config, client, keys, store, Arc::new(record_key))
        .await
        .context("cannot start as an authority")?;
    Ok(Arc::new(service))
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let local = listener.local_addr()?;
    let base_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));
    let service = start(&args.authority, &base_url).await?;
    let token = BackOfficeToken::load_or_create(&args.authority.data_dir)
        .context("cannot create the back-office token")?;
    let did = service.authority().did.clone();
    let conversion = match (&args.conversion_policy, &args.validators) {
        (Some(path), Some(validators)) => Some(Arc::new(
            open_desk(&args.authority, &service, path, validators).await?,
        )),
        _ => None,
    };
    let state = Arc::new(AppState {
        service,
        token,
        conversion,
    });
    let running = RunningIssuer::serve(listener, state)?;
    let stop = termination_signal();
    eprintln!(
        "issuer: back-office token in {}",
        args.authority.data_dir.join(TOKEN_FILE).display()
    );
    print_line(&format!(
        "issuer listening on {} as {}",
        running.url(),
        did.as_str()
    ))?;
    running.wait_until(stop).await?;
    Ok(ExitCode::SUCCESS)
}

/// Opens the conversion desk of `service` under the policy in `path`, following the chain of
/// the validators pinned in `validators`.
async fn open_desk(
    authority: &AuthorityArgs,
    service: &IssuerService,
    path: &Path,
    validators: &Path,
) -> anyhow::Result<ConversionDesk> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let policy: ConversionPolicy = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a conversion policy", path.display()))?;
    let pinned = crate::checkpoint::read_pinned(validators)?;
    let client = RegistryClient::new(&authority.node).context("invalid --node URL")?;
    let desk = ConversionDesk::open(service, policy, client, pinned)
        .await
        .context("cannot open the conversion desk")?;
    let published = desk.published();
    eprintln!(
        "issuer: conversion policy {} (hash {}, anchored at height {})",
        published.policy.version.as_str(),
        hex::encode(published.policy_hash.0),
        published.anchored_at
    );
    Ok(desk)
}

async fn batch(args: BatchArgs) -> anyhow::Result<ExitCode> {
    let records = read_records(&args.records)?;
    let service = start(&args.authority, &args.public_url).await?;
    let bar = indicatif::ProgressBar::new(records.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} signing {pos}/{len} [{bar:40}] {per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = bar.clone();
    let issued = service
        .issue_records(records, IssueOptions::default(), move |done| {
            if done % 256 == 0 {
                progress.set_position(done as u64);
            }
        })
        .await?;
    bar.finish_and_clear();
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let mut out = BufWriter::new(file);
    for credential in &issued {
        serde_json::to_writer(&mut out, credential)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    if let Some(first) = issued.first() {
        print_line(&format!(
            "{} credentials anchored by one batch anchor: root {} at height {} (transaction {})",
            issued.len(),
            first.anchor.merkle_root,
            first.anchor.height,
            first.anchor.transaction
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads the records file: one `{"holder", "credentialType"?, "record"}` object per line;
/// blank lines are skipped. Errors name the line, never its content.
fn read_records(path: &Path) -> anyhow::Result<Vec<BatchRecord>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut records = Vec::new();
    for (number, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let record: BatchRecord = serde_json::from_str(&line).map_err(|err| {
            anyhow::anyhow!(
                "{} line {}: not a batch record (column {})",
                path.display(),
                number + 1,
                err.column()
            )
        })?;
        SubjectRecord::validate(&record.record)
            .map_err(|err| anyhow::anyhow!("{} line {}: {err}", path.display(), number + 1))?;
        records.push(record);
    }
    Ok(records)
}
