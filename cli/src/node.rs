//! `crosscode node`: runs a registry node (a dev chain with `--dev`).
//!
//! `--dev` generates, on first start, a dev consortium (one governance key per dev
//! jurisdiction, one validator key) and writes `DIR/genesis.json`, `DIR/validators.json` and
//! the keys as encrypted key files `DIR/keys/validator.key` and
//! `DIR/keys/member-<jurisdiction>.key`; later starts reuse them. Without `--dev` the node
//! runs the chain of `--genesis` with the validator key of `--validator-key`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use crosscode_core::keys::{KeyFile, SecretKey};
use crosscode_did_registry::dev::{DevConsortium, DevMember};
use crosscode_did_registry::document::RegistryDid;
use crosscode_did_registry::genesis::Genesis;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::proof::TrustedChain;
use crosscode_registry_client::RegistryClient;
use crosscode_registry_node::consortium::ConsortiumConfig;
use crosscode_registry_node::{DEFAULT_LISTEN, Node, NodeConfig, termination_signal};
use zeroize::Zeroizing;

use crate::key::{PASSPHRASE_ENV, print_line};

/// The passphrase of a dev chain's key files when `CROSSCODE_PASSPHRASE` is not set.
pub const DEV_PASSPHRASE: &str = "crosscode-dev";

/// `crosscode node` arguments.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct NodeArgs {
    /// A local consortium chain of several validators (`testnet init`, `testnet run`).
    #[command(subcommand)]
    command: Option<NodeCommand>,
    /// Run the embedded dev chain: generate its genesis and keys in DIR on first start (a
    /// consortium of the dev jurisdictions CN-GD, MO and HK, 2 of 3, one validator), reuse
    /// them afterwards. Key files are encrypted with CROSSCODE_PASSPHRASE, or with the dev
    /// passphrase `crosscode-dev` when it is not set.
    #[arg(long, conflicts_with_all = ["genesis", "validator_key"])]
    dev: bool,
    /// The node's data directory (the chain's RocksDB store is DIR/db).
    #[arg(long, value_name = "DIR", required = true)]
    data_dir: Option<PathBuf>,
    /// The genesis of the chain to run (genesis.json).
    #[arg(long, value_name = "GENESIS.json", required_unless_present = "dev")]
    genesis: Option<PathBuf>,
    /// The validator's encrypted key file (opened with CROSSCODE_PASSPHRASE).
    #[arg(long, value_name = "KEYFILE", required_unless_present = "dev")]
    validator_key: Option<PathBuf>,
    /// The HTTP listen address.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Crypto profile of a new dev chain: standard (SHA-256, Ed25519) or guomi (SM3, SM2).
    #[arg(long, value_enum, requires = "dev")]
    profile: Option<ProfileArg>,
    /// Milliseconds without transactions before an empty heartbeat block.
    #[arg(long, value_name = "MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..))]
    heartbeat_ms: u64,
    /// Run as one validator of a consortium chain (Malachite BFT): the address its
    /// peer-to-peer network listens on (TCP).
    #[arg(long, value_name = "ADDR", conflicts_with = "dev")]
    p2p: Option<SocketAddr>,
    /// Another validator's peer-to-peer address (repeat for each).
    #[arg(long, value_name = "ADDR", requires = "p2p")]
    peer: Vec<SocketAddr>,
}

/// `crosscode node` subcommands.
#[derive(Debug, Subcommand)]
enum NodeCommand {
    /// A local consortium chain: `testnet init --validators 4 --dir D` writes its genesis,
    /// keys and ports and prints one `crosscode node` command line per validator; `testnet
    /// run --dir D` starts them all.
    #[command(subcommand)]
    Testnet(crate::testnet::TestnetCommand),
}

/// A crypto profile on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ProfileArg {
    /// SHA-256 and Ed25519.
    Standard,
    /// SM3 and SM2.
    Guomi,
}

impl ProfileArg {
    fn profile(self) -> CryptoProfile {
        match self {
            ProfileArg::Standard => CryptoProfile::Standard,
            ProfileArg::Guomi => CryptoProfile::GuoMi,
        }
    }
}

/// Runs `crosscode node`.
pub fn run(args: NodeArgs) -> anyhow::Result<ExitCode> {
    if let Some(NodeCommand::Testnet(command)) = args.command {
        return crate::testnet::run(command);
    }
    let Some(data_dir) = args.data_dir.clone() else {
        bail!("--data-dir is required");
    };
    let dev_passphrase = args.dev.then(dev_passphrase);
    let (genesis, validator_key) = if let Some(passphrase) = &dev_passphrase {
        dev_chain(&data_dir, args.profile.map(ProfileArg::profile), passphrase)?
    } else {
        configured_chain(&args)?
    };
    let mut config = NodeConfig::new(data_dir.clone(), args.listen);
    config.heartbeat = Duration::from_millis(args.heartbeat_ms);
    config.consortium = args
        .p2p
        .map(|p2p| ConsortiumConfig::new(p2p, args.peer.clone()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let node = Node::start(&genesis, validator_key, config)
            .await
            .context("cannot start the node")?;
        // Installed before the ready line, so that a signal sent right after it stops the
        // node cleanly.
        let stop = termination_signal();
        if let Some(passphrase) = &dev_passphrase {
            let members = dev_members(&data_dir, &genesis, passphrase)?;
            let url = format!("http://{}", node.local_addr());
            RegistryClient::new(&url)?
                .admit_dev_authorities(&members, genesis.genesis_time)
                .await
                .context("cannot admit the dev authorities")?;
        }
        print_line(&format!(
            "node listening on http://{} chain {} height {}",
            node.local_addr(),
            node.chain().chain_id,
            node.head().height
        ))?;
        node.wait_until(stop).await.context("the node failed")?;
        Ok(ExitCode::SUCCESS)
    })
}

/// The dev consortium's members, their keys read from `DIR/keys/member-<jurisdiction>.key`.
pub(crate) fn dev_members(
    dir: &Path,
    genesis: &Genesis,
    passphrase: &[u8],
) -> anyhow::Result<Vec<DevMember>> {
    genesis
        .members
        .iter()
        .map(|member| {
            let path = dir
                .join("keys")
                .join(format!("member-{}.key", member.jurisdiction));
            let key = KeyFile::read(&path)
                .with_context(|| format!("{} is not a key file", path.display()))?
                .open(passphrase)
                .with_context(|| format!("cannot open key file {}", path.display()))?;
            Ok(DevMember {
                jurisdiction: member.jurisdiction.clone(),
                did: RegistryDid::derive(genesis.profile, &genesis.network, &key.public_key()),
                key,
            })
        })
        .collect()
}

fn configured_chain(args: &NodeArgs) -> anyhow::Result<(Genesis, SecretKey)> {
    let (Some(genesis_path), Some(key_path)) = (&args.genesis, &args.validator_key) else {
        bail!("--genesis and --validator-key are required without --dev");
    };
    let genesis = read_genesis(genesis_path)?;
    let key = crate::key::open_key_file(key_path)?;
    Ok((genesis, key))
}

fn read_genesis(path: &Path) -> anyhow::Result<Genesis> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Genesis::from_json(&text).with_context(|| format!("{} is not a valid genesis", path.display()))
}

/// The dev passphrase: `CROSSCODE_PASSPHRASE`, or [`DEV_PASSPHRASE`] (said on stderr).
pub(crate) fn dev_passphrase() -> Zeroizing<Vec<u8>> {
    match std::env::var_os(PASSPHRASE_ENV) {
        Some(value) if !value.is_empty() => Zeroizing::new(value.into_encoded_bytes()),
        _ => {
            eprintln!(
                "note: {PASSPHRASE_ENV} is not set; the dev key files use the dev passphrase \
                 `{DEV_PASSPHRASE}` (never use a dev chain for real credentials)"
            );
            Zeroizing::new(DEV_PASSPHRASE.as_bytes().to_vec())
        }
    }
}

/// Where a new dev chain's files are written before they are moved into place.
const DEV_STAGING: &str = "dev.partial";

/// The dev chain in `dir`: generated on first start, read back afterwards.
///
/// A new chain's files are written under `DIR/dev.partial/` — `keys/`, `validators.json`, and
/// `genesis.json` last — then moved into `DIR`, `genesis.json` last: `DIR/genesis.json` means
/// the directory is complete, and `DIR/dev.partial/genesis.json` means the files are complete
/// and only the moves were interrupted (they are finished on the next start). A staging
/// directory without `genesis.json` was interrupted while being written: it is generated again.
pub(crate) fn dev_chain(
    dir: &Path,
    profile: Option<CryptoProfile>,
    passphrase: &[u8],
) -> anyhow::Result<(Genesis, SecretKey)> {
    let genesis_path = dir.join("genesis.json");
    let staging = dir.join(DEV_STAGING);
    if !genesis_path.exists() {
        if !staging.join("genesis.json").exists() {
            let keys_dir = dir.join("keys");
            if keys_dir.exists() {
                bail!(
                    "{} exists but {} does not: not a dev chain directory (remove it or pick \
                     another)",
                    keys_dir.display(),
                    genesis_path.display()
                );
            }
            let genesis = generate_dev_chain(
                &staging,
                profile.unwrap_or(CryptoProfile::Standard),
                passphrase,
            )?;
            eprintln!(
                "node: new dev chain {} ({}): writing {}, {} and {}",
                genesis.chain_id,
                genesis.profile.as_str(),
                genesis_path.display(),
                dir.join("validators.json").display(),
                keys_dir.display()
            );
        }
        install_dev_chain(dir, &staging)?;
    }
    let genesis = read_genesis(&genesis_path)?;
    if let Some(profile) = profile
        && profile != genesis.profile
    {
        bail!(
            "{} is a {} chain, not {}",
            dir.display(),
            genesis.profile.as_str(),
            profile.as_str()
        );
    }
    let validator_path = dir.join("keys").join("validator.key");
    let key = KeyFile::read(&validator_path)
        .with_context(|| format!("{} is not a key file", validator_path.display()))?
        .open(passphrase)
        .with_context(|| format!("cannot open key file {}", validator_path.display()))?;
    Ok((genesis, key))
}

/// Generates a dev consortium and writes its files under `staging` (emptied first),
/// `genesis.json` last.
fn generate_dev_chain(
    staging: &Path,
    profile: CryptoProfile,
    passphrase: &[u8],
) -> anyhow::Result<Genesis> {
    let genesis_time = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the system clock is before 1970")?
        .as_secs();
    let dev = DevConsortium::generate_default(profile, genesis_time)
        .context("cannot generate the dev consortium")?;
    if staging.exists() {
        std::fs::remove_dir_all(staging)
            .with_context(|| format!("cannot remove {}", staging.display()))?;
    }
    let keys = staging.join("keys");
    std::fs::create_dir_all(&keys).with_context(|| format!("cannot create {}", keys.display()))?;
    seal(&dev.validator_key, passphrase, &keys.join("validator.key"))?;
    for member in &dev.members {
        seal(
            &member.key,
            passphrase,
            &keys.join(format!("member-{}.key", member.jurisdiction)),
        )?;
    }
    let trusted = dev
        .genesis
        .trusted_chain()
        .context("the dev genesis has no valid validator set")?;
    write_atomically(&staging.join("validators.json"), &trusted_json(&trusted))?;
    write_atomically(
        &staging.join("genesis.json"),
        &format!("{}\n", dev.genesis.to_json()),
    )?;
    Ok(dev.genesis)
}

/// Moves the complete dev chain files of `staging` into `dir` (those not moved yet),
/// `genesis.json` last, and removes `staging`.
fn install_dev_chain(dir: &Path, staging: &Path) -> anyhow::Result<()> {
    for name in ["keys", "validators.json", "genesis.json"] {
        let from = staging.join(name);
        let to = dir.join(name);
        if !from.exists() {
            continue;
        }
        if to.is_dir() {
            bail!(
                "{} exists beside the unfinished dev chain {}: not a dev chain directory \
                 (remove it or pick another)",
                to.display(),
                staging.display()
            );
        }
        std::fs::rename(&from, &to).with_context(|| format!("cannot create {}", to.display()))?;
    }
    std::fs::remove_dir(staging).with_context(|| format!("cannot remove {}", staging.display()))
}

pub(crate) fn trusted_json(trusted: &TrustedChain) -> String {
    format!("{}\n", trusted.to_json())
}

pub(crate) fn seal(key: &SecretKey, passphrase: &[u8], path: &Path) -> anyhow::Result<()> {
    KeyFile::seal(key, passphrase)
        .context("cannot encrypt a dev key")?
        .write(path)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Writes `text` to `path` through a temporary file renamed into place.
pub(crate) fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let temporary = path.with_extension("json.partial");
    std::fs::write(&temporary, text)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("cannot write {}", path.display()))
}
