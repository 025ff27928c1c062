//! `crosscode node testnet`: a local consortium chain of several validators on 127.0.0.1.
//!
//! `init --validators N --dir D` generates the dev consortium with N validators
//! (`DevTestnet`), picks 2 × N free ports, and writes:
//!
//! ```text
//! D/genesis.json            the chain
//! D/validators.json         its validator set, for `proof verify` and `checkpoint sync`
//! D/keys/member-<J>.key     the members' governance keys
//! D/validator-<i>/validator.key   validator i's key (its data directory is D/validator-<i>)
//! D/testnet.json            {"validators":[{"listen":ADDR,"p2p":ADDR},…],"dev_passphrase":BOOL}
//! ```
//!
//! Key files are encrypted with CROSSCODE_PASSPHRASE, or with the dev passphrase when it is not
//! set (then each printed command line starts with `CROSSCODE_PASSPHRASE=crosscode-dev`). It
//! prints one `crosscode node …` command line per validator. `run --dir D` starts every
//! validator as a child process with those arguments and stops them all (SIGTERM) on SIGINT or
//! SIGTERM, or when one of them ends.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitCode};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use crosscode_did_registry::dev::DevTestnet;
use crosscode_did_registry::profile::CryptoProfile;
use serde_json::{Value, json};

use crate::key::{PASSPHRASE_ENV, print_line};
use crate::node::{DEV_PASSPHRASE, dev_passphrase, seal, trusted_json, write_atomically};

/// Milliseconds a testnet proposer waits for transactions before proposing an empty block.
const TESTNET_HEARTBEAT_MS: u64 = 1000;

/// `crosscode node testnet` subcommands.
#[derive(Debug, Subcommand)]
pub enum TestnetCommand {
    /// Write a local consortium chain's genesis, keys and ports into a directory and print
    /// the command line of each validator.
    Init(InitArgs),
    /// Start every validator of a directory written by `testnet init` (until ctrl-c).
    Run(RunArgs),
}

/// `crosscode node testnet init` arguments.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// How many validators (equal voting power).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=128))]
    validators: u16,
    /// The directory to write (must not hold a testnet yet).
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Crypto profile: standard (SHA-256, Ed25519) or guomi (SM3, SM2).
    #[arg(long, default_value = "standard", value_parser = ["standard", "guomi"])]
    profile: String,
}

/// `crosscode node testnet run` arguments.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// A directory written by `testnet init`.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
}

/// Runs `crosscode node testnet …`.
pub fn run(command: TestnetCommand) -> anyhow::Result<ExitCode> {
    match command {
        TestnetCommand::Init(args) => init(&args),
        TestnetCommand::Run(args) => run_all(&args.dir),
    }
}

fn init(args: &InitArgs) -> anyhow::Result<ExitCode> {
    let manifest = args.dir.join("testnet.json");
    if manifest.exists() || args.dir.join("genesis.json").exists() {
        bail!("{} already holds a chain", args.dir.display());
    }
    let profile = if args.profile == "guomi" {
        CryptoProfile::GuoMi
    } else {
        CryptoProfile::Standard
    };
    let genesis_time = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the system clock is before 1970")?
        .as_secs();
    let testnet = DevTestnet::generate(profile, usize::from(args.validators), genesis_time)
        .context("cannot generate the testnet")?;
    let uses_dev_passphrase = std::env::var_os(PASSPHRASE_ENV).is_none_or(|v| v.is_empty());
    let passphrase = dev_passphrase();
    let keys = args.dir.join("keys");
    std::fs::create_dir_all(&keys).with_context(|| format!("cannot create {}", keys.display()))?;
    for member in &testnet.members {
        seal(
            &member.key,
            &passphrase,
            &keys.join(format!("member-{}.key", member.jurisdiction)),
        )?;
    }
    let ports = free_ports(2 * testnet.validator_keys.len())?;
    let mut validators = Vec::new();
    for (i, key) in testnet.validator_keys.iter().enumerate() {
        let dir = args.dir.join(format!("validator-{i}"));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        seal(key, &passphrase, &dir.join("validator.key"))?;
        validators.push(json!({
            "listen": SocketAddr::from((Ipv4Addr::LOCALHOST, ports[2 * i])).to_string(),
            "p2p": SocketAddr::from((Ipv4Addr::LOCALHOST, ports[2 * i + 1])).to_string(),
        }));
    }
    let trusted = testnet
        .genesis
        .trusted_chain()
        .context("the testnet genesis has no valid validator set")?;
    write_atomically(&args.dir.join("validators.json"), &trusted_json(&trusted))?;
    write_atomically(
        &args.dir.join("genesis.json"),
        &format!("{}\n", testnet.genesis.to_json()),
    )?;
    write_atomically(
        &manifest,
        &format!(
            "{}\n",
            json!({ "validators": validators, "dev_passphrase": uses_dev_passphrase })
        ),
    )?;
    for line in command_lines(&args.dir)? {
        print_line(&line)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `count` distinct TCP ports free on 127.0.0.1 right now.
fn free_ports(count: usize) -> anyhow::Result<Vec<u16>> {
    let listeners = (0..count)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
        .collect::<Result<Vec<_>, _>>()
        .context("cannot find free ports on 127.0.0.1")?;
    listeners
        .iter()
        .map(|l| Ok(l.local_addr()?.port()))
        .collect::<Result<_, std::io::Error>>()
        .context("cannot find free ports on 127.0.0.1")
}

/// A validator of a testnet directory: the arguments of its `crosscode node` command.
struct Launch {
    args: Vec<String>,
    dev_passphrase: bool,
}

fn launches(dir: &Path) -> anyhow::Result<Vec<Launch>> {
    let path = dir.join("testnet.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let manifest: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a testnet manifest", path.display()))?;
    let dev_passphrase = manifest["dev_passphrase"].as_bool().unwrap_or(false);
    let Some(validators) = manifest["validators"].as_array() else {
        bail!("{} lists no validators", path.display());
    };
    let addresses: Vec<(String, String)> = validators
        .iter()
        .map(|v| match (v["listen"].as_str(), v["p2p"].as_str()) {
            (Some(listen), Some(p2p)) => Ok((listen.to_owned(), p2p.to_owned())),
            _ => bail!("{}: a validator lacks its addresses", path.display()),
        })
        .collect::<anyhow::Result<_>>()?;
    let text_path = |p: PathBuf| p.to_string_lossy().into_owned();
    Ok(addresses
        .iter()
        .enumerate()
        .map(|(i, (listen, p2p))| {
            let validator_dir = dir.join(format!("validator-{i}"));
            let mut args = vec![
                "node".to_owned(),
                "--genesis".to_owned(),
                text_path(dir.join("genesis.json")),
                "--validator-key".to_owned(),
                text_path(validator_dir.join("validator.key")),
                "--data-dir".to_owned(),
                text_path(validator_dir),
                "--listen".to_owned(),
                listen.clone(),
                "--heartbeat-ms".to_owned(),
                TESTNET_HEARTBEAT_MS.to_string(),
                "--p2p".to_owned(),
                p2p.clone(),
            ];
            for (j, (_, peer)) in addresses.iter().enumerate() {
                if j != i {
                    args.push("--peer".to_owned());
                    args.push(peer.clone());
                }
            }
            Launch {
                args,
                dev_passphrase,
            }
        })
        .collect())
}

/// A word of a shell command line, quoted when it needs to be.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn command_lines(dir: &Path) -> anyhow::Result<Vec<String>> {
    Ok(launches(dir)?
        .into_iter()
        .map(|launch| {
            let mut words = Vec::new();
            if launch.dev_passphrase {
                words.push(format!("{PASSPHRASE_ENV}={DEV_PASSPHRASE}"));
            }
            words.push("crosscode".to_owned());
            words.extend(launch.args.iter().map(|a| shell_word(a)));
            words.join(" ")
        })
        .collect())
}

fn run_all(dir: &Path) -> anyhow::Result<ExitCode> {
    let launches = launches(dir)?;
    let program = std::env::current_exe().context("cannot find the crosscode executable")?;
    let mut children: Vec<Child> = Vec::new();
    for launch in &launches {
        let mut command = std::process::Command::new(&program);
        command.args(&launch.args);
        if launch.dev_passphrase {
            command.env(PASSPHRASE_ENV, DEV_PASSPHRASE);
        }
        match command.spawn() {
            Ok(child) => children.push(child),
            Err(err) => {
                stop_all(&mut children);
                return Err(anyhow::Error::new(err).context("cannot start a validator"));
            }
        }
    }
    print_line(&format!(
        "testnet: {} validators started from {}",
        children.len(),
        dir.display()
    ))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let stop = crosscode_registry_node::termination_signal();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => break,
                _ = tokio::time::sleep(Duration::from_millis(200)) => {
                    if children.iter_mut().any(|c| !matches!(c.try_wait(), Ok(None))) {
                        eprintln!("testnet: a validator ended; stopping the others");
                        break;
                    }
                }
            }
        }
    });
    stop_all(&mut children);
    Ok(ExitCode::SUCCESS)
}

/// Asks every child to stop (SIGTERM through `kill`), waits up to 20 s, then kills those left.
fn stop_all(children: &mut [Child]) {
    for child in children.iter() {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    for child in children.iter_mut() {
        while matches!(child.try_wait(), Ok(None)) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if matches!(child.try_wait(), Ok(None)) {
            let _ = child.kill();
        }
        let _ = child.wait();
    }
}
