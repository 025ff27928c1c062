//! `crosscode vc derive`: a selective-disclosure derived credential from a `bbs-jcs-2026`
//! credential (docs/cryptosuite-bbs.md).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use crosscode_core::data_integrity::bbs::{DeriveOptions, derive_credential};
use crosscode_core::keys::Signer;

use crate::input::read_json;
use crate::key::open_key_file;
use crate::key::print_line;

/// Arguments of `crosscode vc derive`.
#[derive(Debug, Args)]
pub struct DeriveArgs {
    /// The issued credential, secured with a bbs-jcs-2026 base proof.
    #[arg(value_name = "CREDENTIAL.json")]
    credential: PathBuf,
    /// A JSON pointer (RFC 6901) of a claim, or of an object of claims, to disclose; repeat.
    /// The mandatory members (@context, type, issuer, validFrom, validUntil,
    /// credentialStatus, credentialSchema) are always disclosed.
    #[arg(long = "reveal", value_name = "POINTER", required = true)]
    reveal: Vec<String>,
    /// The verifier's nonce (the proof's challenge, bound by the presentation header).
    #[arg(long, value_name = "N")]
    nonce: String,
    /// The holder's key file (its did:key must be credentialSubject.id): discloses
    /// credentialSubject.id and signs the proof with it. Decrypted with CROSSCODE_PASSPHRASE.
    #[arg(long = "holder-key", value_name = "KEYFILE")]
    holder_key: Option<PathBuf>,
    /// A trust-cache file (docs/trust-cache.md) resolving the issuer's registry verification
    /// method (the base proof is checked before deriving); repeat to merge several.
    #[arg(long = "trust-cache", value_name = "FILE")]
    trust_caches: Vec<PathBuf>,
}

/// Runs `crosscode vc derive`.
pub fn run(args: DeriveArgs) -> anyhow::Result<ExitCode> {
    let credential = read_json(&args.credential)?;
    let holder_key = args.holder_key.as_deref().map(open_key_file).transpose()?;
    let options = DeriveOptions {
        reveal: args.reveal,
        nonce: Some(args.nonce),
        holder_key: holder_key.as_ref().map(|key| key as &dyn Signer),
    };
    let resolver = crate::trust_cache::load(&args.trust_caches)?;
    let derived = derive_credential(&credential, &resolver, &options)
        .with_context(|| format!("cannot derive from {}", args.credential.display()))?;
    let text = serde_json::to_string_pretty(&derived).context("cannot serialize")?;
    print_line(&text)?;
    Ok(ExitCode::SUCCESS)
}
