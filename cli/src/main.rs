//! `crosscode`: the command-line tool of the Crosscode platform.
//!
//! Every sub-command prints its result on stdout; on bad input it prints one line starting
//! with `error:` on stderr and exits non-zero, never with a panic or a backtrace.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing::level_filters::LevelFilter;

mod bbs;
mod checkpoint;
mod demo;
mod did;
mod evidence;
mod gov;
mod input;
mod issuer;
mod key;
mod node;
mod proof;
mod qr;
mod registry;
mod testnet;
mod trust_cache;
mod vc;
mod verify;
mod wallet;

/// Crosscode: verifiable health credentials that cross borders.
#[derive(Debug, Parser)]
#[command(name = "crosscode", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The sub-commands of `crosscode`.
#[derive(Debug, Subcommand)]
enum Command {
    // Each owner adds its variant here, with a doc comment (it is the `--help` text).
    /// The end-to-end scenario: an authority issues a health code with an SM2 + Ed25519
    /// proof set, the wallet shows it as a QR code, a checkpoint reads the image and verifies
    /// it offline, and forged or expired copies are refused. Exit 0 only when every step gives
    /// the expected outcome.
    Demo(demo::DemoArgs),
    /// BBS signatures: `bbs check-fixture FILE.json` evaluates a draft-format signature or
    /// proof fixture and prints `{"valid": true|false}`.
    Bbs(bbs::BbsArgs),
    /// Create and inspect encrypted key files (`key new` prints the new key's did:key).
    Key(key::KeyArgs),
    /// DIDs: `did resolve` prints the DID resolution result as JSON (did:key offline,
    /// did:crosscode through a registry node with --node), `did register` creates the
    /// did:crosscode DID of a key file on a registry chain and prints it.
    Did(did::DidArgs),
    /// Evidence anchors: `evidence anchor --key KEYFILE --hash HEX --node URL` anchors a
    /// credential hash signed by an admitted issuer.
    Evidence(evidence::EvidenceArgs),
    /// Consortium governance: `gov propose` (admit, re-scope, suspend or reinstate an issuer,
    /// change the validator set) and `gov vote` by member keys.
    Gov(gov::GovArgs),
    /// State proofs: `proof get` prints the bundle.json of a state entry from a node,
    /// `proof verify` checks a bundle.json offline against validators.json (exit 0 only when
    /// valid, 1 invalid, 2 unusable input).
    Proof(proof::ProofArgs),
    /// Compact QR envelope (CC1): `qr encode` prints the QR payload of a credential (and writes
    /// PNG / SVG / terminal images), `qr decode` reads a QR PNG and prints the verified credential.
    Qr(qr::QrArgs),
    /// Verifiable credentials: `vc sign` adds Data Integrity proofs (eddsa-jcs-2022,
    /// sm2-jcs-2026, bbs-jcs-2026; repeat --key for a proof set), `vc derive` discloses chosen
    /// claims of a bbs-jcs-2026 credential, `vc verify` prints a JSON report (exit 0 only when
    /// valid).
    Vc(vc::VcArgs),
    /// Verify an EU DCC (HC1:) or SMART Health Card (shc:/) QR code from a photo or --text
    /// against offline trust lists; prints a JSON report (exit 0 ACCEPT, 1 REJECT, 2 unusable
    /// input). `verify dcc-testfile FILE.json` runs one EU DCC test-data file.
    Verify(verify::VerifyArgs),
    /// Run a registry chain node: `node --dev --data-dir DIR` starts an embedded dev chain
    /// (writing DIR/genesis.json and DIR/validators.json), `node --genesis G.json` joins a chain
    /// (with `--p2p ADDR --peer ADDR…` as a validator of a consortium chain); `node testnet
    /// init --validators 4 --dir D` / `node testnet run --dir D` make and run a local one.
    Node(node::NodeArgs),
    /// The health authority's issuer service: `issuer serve` issues, anchors, revokes and
    /// publishes status lists over HTTP (VC-API, OpenID4VCI); `issuer batch` issues a JSON
    /// Lines file of records with one batch anchor.
    Issuer(issuer::IssuerArgs),
    /// A holder's wallet in a directory (docs/wallet.md): `wallet init`, `wallet receive`
    /// redeems an OpenID4VCI offer and verifies the credential against the admitted issuers
    /// (--node or --trust FILE), `wallet list`, `wallet present` prints a CC1 QR payload
    /// (selective disclosure, --dynamic time slot, --png), `wallet delete`. Exit 1 with
    /// `error: <code>: …` when the wallet refuses.
    Wallet(wallet::WalletArgs),
    /// The border checkpoint: `checkpoint sync --node URL --validators VALIDATORS.json --cache
    /// DIR` syncs the trust cache `verify --cache DIR` checks CC1 codes against, proven
    /// against the pinned validators; `checkpoint serve --cache DIR` serves the gate page
    /// (scanner and camera) on loopback, syncing in the background with --node.
    Checkpoint(checkpoint::CheckpointArgs),
}

/// Sends the services' log events to stderr at the level `CROSSCODE_LOG` names (`error`,
/// `warn`, `info`, `debug`, `trace`, `off`); by default `info`, and `warn` for the demo, whose
/// account is its output.
fn init_logs(command: &Command) {
    let default = match command {
        Command::Demo(_) => LevelFilter::WARN,
        _ => LevelFilter::INFO,
    };
    let level = match std::env::var("CROSSCODE_LOG") {
        Ok(text) => text.parse::<LevelFilter>().unwrap_or_else(|_| {
            eprintln!("warning: CROSSCODE_LOG={text:?} is not a level; logging at {default}");
            default
        }),
        Err(_) => default,
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(&cli.command);
    let outcome: anyhow::Result<ExitCode> = match cli.command {
        // Each owner adds its match arm here.
        Command::Demo(args) => demo::run(args),
        Command::Checkpoint(args) => checkpoint::run(args),
        Command::Bbs(args) => bbs::run(args),
        Command::Key(args) => key::run(args),
        Command::Did(args) => did::run(args),
        Command::Evidence(args) => evidence::run(args),
        Command::Gov(args) => gov::run(args),
        Command::Proof(args) => proof::run(args),
        Command::Qr(args) => qr::run(args),
        Command::Vc(args) => vc::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Node(args) => node::run(args),
        Command::Issuer(args) => issuer::run(args),
        Command::Wallet(args) => wallet::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
