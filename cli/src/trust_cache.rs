//! Trust-cache files for the CLI (docs/trust-cache.md): loading `--trust-cache FILE` options
//! into one resolver, and `crosscode key trust-entry`, which writes a cache entry for a key.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use crosscode_core::did::{DidUrl, TrustCache};
use crosscode_core::keys::KeyFile;

use crate::key::print_line;

/// Loads and merges the trust-cache files (none: a cache that resolves did:key only).
pub fn load(paths: &[PathBuf]) -> anyhow::Result<TrustCache> {
    let mut cache = TrustCache::new();
    for path in paths {
        let file = TrustCache::read(path)
            .with_context(|| format!("{} is not a usable trust cache", path.display()))?;
        cache
            .merge(&file)
            .with_context(|| format!("cannot merge trust cache {}", path.display()))?;
    }
    Ok(cache)
}

/// Arguments of `crosscode key trust-entry`.
#[derive(Debug, Args)]
pub struct TrustEntryArgs {
    /// The key file whose public key the entry holds (no passphrase needed).
    #[arg(value_name = "KEYFILE")]
    key_file: PathBuf,
    /// The verification method the key is registered as, e.g.
    /// did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB#key-1.
    #[arg(long = "verification-method", value_name = "DIDURL")]
    verification_method: String,
    /// Add the entry to this trust-cache file (created when missing) instead of printing a
    /// cache holding only this entry.
    #[arg(long = "merge-into", value_name = "FILE")]
    merge_into: Option<PathBuf>,
}

fn write_cache(path: &Path, cache: &TrustCache) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(&cache.to_json()).context("cannot serialize")?;
    std::fs::write(path, format!("{text}\n"))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Runs `crosscode key trust-entry`.
pub fn run_trust_entry(args: TrustEntryArgs) -> anyhow::Result<ExitCode> {
    let file = KeyFile::read(&args.key_file)
        .with_context(|| format!("{} is not a key file", args.key_file.display()))?;
    let key = file
        .did_key()
        .with_context(|| format!("{} holds no valid public key", args.key_file.display()))?
        .public_key()
        .clone();
    let vm = DidUrl::parse(&args.verification_method)
        .context("--verification-method is not a DID URL")?;
    let mut entry = TrustCache::new();
    entry
        .insert(&vm, key)
        .context("--verification-method must be DID#fragment")?;
    match &args.merge_into {
        None => {
            let text =
                serde_json::to_string_pretty(&entry.to_json()).context("cannot serialize")?;
            print_line(&text)?;
        }
        Some(path) => {
            let mut cache = if path.exists() {
                TrustCache::read(path)
                    .with_context(|| format!("{} is not a usable trust cache", path.display()))?
            } else {
                TrustCache::new()
            };
            if cache
                .get(&vm)
                .is_some_and(|old| Some(old) != entry.get(&vm))
            {
                bail!(
                    "{} already holds a different key for {}; edit the file to replace it",
                    path.display(),
                    vm.as_str()
                );
            }
            cache.merge(&entry)?;
            write_cache(path, &cache)?;
            eprintln!(
                "{} now holds {} verification method(s)",
                path.display(),
                cache.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
