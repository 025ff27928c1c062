//! `crosscode qr`: the compact QR envelope (`CC1:`) — encode a credential or presentation into
//! a QR payload / image, and decode + verify one from a PNG or from its text.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use crosscode_core::did::DidKey;
use crosscode_core::envelope::{self, SecuringForm, qr, qr_image};
use time::OffsetDateTime;

use crate::input::{parse_time, read_json};
use crate::key::open_key_file;

/// Encode credentials into QR codes and decode / verify them.
#[derive(Debug, Args)]
pub struct QrArgs {
    #[command(subcommand)]
    command: QrCommand,
}

#[derive(Debug, Subcommand)]
enum QrCommand {
    /// Encode a credential or presentation (JSON) into a CC1 QR payload and print it.
    ///
    /// Without --key the document must already carry a Data Integrity proof (eddsa-jcs-2022
    /// or the SM2 suite, e.g. from `crosscode vc sign`); it is carried losslessly and the
    /// verifier checks that proof. With --key the document's claims are signed into a
    /// COSE_Sign1 (Ed25519 or SM2) by that key, which must be the issuer's (credential) or the
    /// holder's (presentation) did:key; a top-level proof is dropped. The key file passphrase
    /// is read from CROSSCODE_PASSPHRASE.
    ///
    /// The payload is printed on stdout; --png / --svg write the QR image (error-correction
    /// level Q, alphanumeric mode), --terminal draws it on stdout after the payload.
    ///
    /// Example: crosscode qr encode health-code.signed.json --png code.png
    #[command(verbatim_doc_comment)]
    Encode(EncodeArgs),
    /// Decode a CC1 QR code from a PNG (or a payload given with --text), verify it and print
    /// the credential / presentation JSON.
    ///
    /// Verification: the COSE signature by the issuer / holder key (form a), or the
    /// document's Data Integrity proof(s) (form b), and the validity window at --at (default:
    /// now). Keys are resolved offline: did:key, and registry verification methods from
    /// --trust-cache files (docs/trust-cache.md); every signature must be the issuer's (a
    /// presentation's: the holder's). Exit status 0 when the code verifies, 1 when it is
    /// refused (one line naming the failing step, e.g. IssuerBinding), 2 on unusable input
    /// (an unreadable file or image).
    ///
    /// Example: crosscode qr decode code.png
    #[command(verbatim_doc_comment)]
    Decode(DecodeArgs),
}

#[derive(Debug, Args)]
struct EncodeArgs {
    /// The credential or presentation JSON file.
    #[arg(value_name = "CREDENTIAL.json")]
    document: PathBuf,
    /// Sign the claims into a COSE_Sign1 with this key file (issued form) instead of carrying
    /// the document's own Data Integrity proof.
    #[arg(long, value_name = "KEYFILE")]
    key: Option<PathBuf>,
    /// Write the QR code as a PNG image here.
    #[arg(long, value_name = "OUT.png")]
    png: Option<PathBuf>,
    /// Write the QR code as an SVG image here.
    #[arg(long, value_name = "OUT.svg")]
    svg: Option<PathBuf>,
    /// Also draw the QR code in the terminal (Unicode half blocks).
    #[arg(long)]
    terminal: bool,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["image", "text"]))]
struct DecodeArgs {
    /// A PNG (or JPEG) image holding the QR code.
    #[arg(value_name = "IMAGE.png")]
    image: Option<PathBuf>,
    /// The payload text (`CC1:…`) instead of an image.
    #[arg(long, value_name = "PAYLOAD")]
    text: Option<String>,
    /// Verification time (RFC 3339), default now.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    at: Option<OffsetDateTime>,
    /// A trust-cache file (docs/trust-cache.md) resolving registry verification methods;
    /// repeat to merge several.
    #[arg(long = "trust-cache", value_name = "FILE")]
    trust_caches: Vec<PathBuf>,
}

fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// Runs `crosscode qr …`.
pub fn run(args: QrArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        QrCommand::Encode(encode) => run_encode(encode),
        QrCommand::Decode(decode) => run_decode(decode),
    }
}

fn run_encode(args: EncodeArgs) -> anyhow::Result<ExitCode> {
    let document = read_json(&args.document)?;
    let (payload, form) = match &args.key {
        Some(key_path) => {
            let key = open_key_file(key_path)?;
            let verification_method =
                DidKey::from_public_key(&key.public_key()).verification_method_id();
            let payload = envelope::encode_signed(&document, &key, &verification_method)
                .context("cannot encode the QR envelope")?;
            (payload, format!("COSE_Sign1 ({})", key.algorithm()))
        }
        None => {
            let payload = envelope::encode_data_integrity(&document)
                .context("cannot encode the QR envelope")?;
            (payload, "Data Integrity carriage".to_owned())
        }
    };
    let code = qr::qr_code(&payload).context("cannot build the QR code")?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{payload}").context("cannot write to stdout")?;
    if let Some(path) = &args.png {
        write_file(path, &qr::render_png(&payload)?)?;
    }
    if let Some(path) = &args.svg {
        write_file(path, qr::render_svg(&payload)?.as_bytes())?;
    }
    if args.terminal {
        writeln!(stdout, "{}", qr::render_terminal(&payload)?).context("cannot write to stdout")?;
    }
    let version = match code.version() {
        qr::Version::Normal(version) => version.to_string(),
        qr::Version::Micro(version) => format!("M{version}"),
    };
    eprintln!(
        "{} alphanumeric characters, {form}, QR version {version} ({w}x{w} modules) at level Q",
        payload.len(),
        w = code.width()
    );
    Ok(ExitCode::SUCCESS)
}

fn run_decode(args: DecodeArgs) -> anyhow::Result<ExitCode> {
    let payload = match (&args.image, args.text) {
        (_, Some(text)) => text.trim().to_owned(),
        (Some(image), None) => {
            let bytes =
                std::fs::read(image).with_context(|| format!("cannot read {}", image.display()))?;
            qr_image::read_qr_text(&bytes)
                .with_context(|| format!("no readable QR code in {}", image.display()))?
        }
        (None, None) => bail!("give an IMAGE.png or --text PAYLOAD"),
    };
    let at = args.at.unwrap_or_else(OffsetDateTime::now_utc);
    let resolver = crate::trust_cache::load(&args.trust_caches)?;
    let verified = match envelope::decode(&payload, &resolver, at) {
        Ok(verified) => verified,
        Err(err) => {
            // A refused code is the checkpoint's REJECT (exit 1), not unusable input (exit 2).
            match err.step() {
                Some(step) => eprintln!("error: QR code refused at step {step}: {err}"),
                None => eprintln!("error: QR code refused: {err}"),
            }
            return Ok(ExitCode::from(1));
        }
    };
    let json = serde_json::to_string_pretty(&verified.document)?;
    writeln!(std::io::stdout().lock(), "{json}").context("cannot write to stdout")?;
    let kind = match verified.kind {
        envelope::EnvelopeKind::Credential => "credential",
        envelope::EnvelopeKind::Presentation => "presentation",
    };
    match &verified.form {
        SecuringForm::CoseSign1 {
            verification_method,
            algorithm,
        } => eprintln!("verified {kind}: COSE_Sign1 {algorithm} by {verification_method}"),
        SecuringForm::DataIntegrity { report } => {
            let suites: Vec<&str> = report
                .proofs
                .iter()
                .filter_map(|proof| proof.cryptosuite.as_deref())
                .collect();
            eprintln!(
                "verified {kind}: Data Integrity proof(s) {}",
                suites.join(", ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
