//! `crosscode key`: create and inspect encrypted key files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use crosscode_core::did::DidKey;
use crosscode_core::keys::{KeyAlgorithm, KeyFile, SecretKey};
use zeroize::Zeroizing;

/// Environment variable holding the passphrase of key files.
pub const PASSPHRASE_ENV: &str = "CROSSCODE_PASSPHRASE";

/// Create and inspect encrypted key files.
#[derive(Debug, Args)]
pub struct KeyArgs {
    #[command(subcommand)]
    command: KeyCommand,
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Generate a new key pair, write it to an encrypted key file and print its did:key.
    ///
    /// The secret key is encrypted with a key derived from the passphrase in the environment
    /// variable CROSSCODE_PASSPHRASE (argon2id, 64 MiB, 3 passes; XChaCha20-Poly1305). The
    /// key file is JSON; its DID and public key are readable without the passphrase. An
    /// existing file is never overwritten.
    ///
    /// Example: CROSSCODE_PASSPHRASE='…' crosscode key new --alg ed25519 --out issuer.key
    #[command(verbatim_doc_comment)]
    New(NewArgs),
    /// Print the did:key of a key file (no passphrase needed).
    Show(ShowArgs),
    /// Decrypt a key file with CROSSCODE_PASSPHRASE to check the passphrase; prints the
    /// did:key when the secret key opens and matches the file's public key.
    Check(ShowArgs),
    /// Print a trust-cache entry (docs/trust-cache.md) binding a registry verification method
    /// to the key file's public key, or add it to a cache file with --merge-into.
    ///
    /// Example: crosscode key trust-entry authority.key --verification-method did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB#key-1 --merge-into trust-cache.json
    #[command(verbatim_doc_comment)]
    TrustEntry(crate::trust_cache::TrustEntryArgs),
}

#[derive(Debug, Args)]
struct NewArgs {
    /// Key algorithm: ed25519 (EdDSA, RFC 8032), sm2 (SM2 with SM3, curve sm2p256v1), p256
    /// (ECDSA P-256 with SHA-256, a holder key) or bls12381g2 (BLS12-381 G2 key for BBS
    /// selective-disclosure signatures).
    #[arg(long, value_name = "ALG", value_parser = parse_algorithm)]
    alg: KeyAlgorithm,
    /// Where to write the encrypted key file (must not exist yet).
    #[arg(long, value_name = "KEYFILE")]
    out: PathBuf,
}

#[derive(Debug, Args)]
struct ShowArgs {
    /// The key file.
    #[arg(value_name = "KEYFILE")]
    key_file: PathBuf,
}

fn parse_algorithm(text: &str) -> Result<KeyAlgorithm, String> {
    text.parse().map_err(|err| format!("{err}"))
}

/// The key-file passphrase from `CROSSCODE_PASSPHRASE`, or an error saying it is not set.
pub fn passphrase() -> anyhow::Result<Zeroizing<Vec<u8>>> {
    match std::env::var_os(PASSPHRASE_ENV) {
        None => bail!(
            "{PASSPHRASE_ENV} is not set: put the key file passphrase in this environment variable"
        ),
        Some(value) if value.is_empty() => {
            bail!("{PASSPHRASE_ENV} is empty: set it to the key file passphrase")
        }
        Some(value) => Ok(Zeroizing::new(value.into_encoded_bytes())),
    }
}

/// Reads a key file and decrypts it with the passphrase from `CROSSCODE_PASSPHRASE`.
pub fn open_key_file(path: &Path) -> anyhow::Result<SecretKey> {
    let passphrase = passphrase()?;
    let file =
        KeyFile::read(path).with_context(|| format!("{} is not a key file", path.display()))?;
    file.open(&passphrase)
        .with_context(|| format!("cannot open key file {}", path.display()))
}

/// Writes one line to stdout; a closed pipe (e.g. `| head`) is not an error, and a write
/// error never panics (unlike `println!`).
pub fn print_line(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(err).context("cannot write to stdout"))
        }
        _ => Ok(()),
    }
}

/// Runs `crosscode key …`.
pub fn run(args: KeyArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        KeyCommand::New(new) => {
            let passphrase = passphrase()?;
            if new.out.exists() {
                bail!("{} already exists; not overwriting it", new.out.display());
            }
            let secret = SecretKey::generate(new.alg);
            let file = KeyFile::seal(&secret, &passphrase)?;
            file.write(&new.out)?;
            print_line(file.did())?;
            eprintln!("wrote {} key file {}", new.alg, new.out.display());
            Ok(ExitCode::SUCCESS)
        }
        KeyCommand::Show(show) => {
            let file = KeyFile::read(&show.key_file)?;
            print_line(file.did_key()?.did().as_str())?;
            Ok(ExitCode::SUCCESS)
        }
        KeyCommand::Check(check) => {
            let secret = open_key_file(&check.key_file)?;
            print_line(DidKey::from_public_key(&secret.public_key()).did().as_str())?;
            Ok(ExitCode::SUCCESS)
        }
        KeyCommand::TrustEntry(entry) => crate::trust_cache::run_trust_entry(entry),
    }
}
