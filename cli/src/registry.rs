//! Talking to a registry node from the CLI verbs: the async runtime they run on, the node and
//! the chain it serves, the key file that signs, and how write failures read. The writes
//! themselves are `crosscode_registry_client`'s (`RegistryClient::register_did`,
//! `anchor_evidence`, `propose`, `vote`, …).

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use crosscode_core::keys::SecretKey;
use crosscode_did_registry::api::ChainInfo;
use crosscode_did_registry::document::RegistryDid;
use crosscode_did_registry::json::parse_lower_hex;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::records::Namespace;
use crosscode_registry_client::{ClientError, RegistryClient};

use crate::key::open_key_file;

/// How long a verb waits for its transaction to be committed.
pub const COMMIT_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `future` to completion on a single-threaded runtime.
pub fn block_on<F: Future>(future: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok(runtime.block_on(future))
}

/// A client of the node at `url` (writes wait [`COMMIT_TIMEOUT`] for their commit) and the
/// chain it serves.
pub async fn connect(url: &str) -> anyhow::Result<(RegistryClient, ChainInfo)> {
    let client = RegistryClient::new(url)
        .with_context(|| format!("bad node URL {url}"))?
        .with_commit_timeout(COMMIT_TIMEOUT);
    match client.chain_info().await {
        Ok(chain) => Ok((client, chain)),
        Err(ClientError::Transport(err)) => {
            // The innermost cause says why (e.g. "Connection refused").
            let mut cause: &dyn std::error::Error = &err;
            while let Some(source) = cause.source() {
                cause = source;
            }
            bail!("cannot reach the registry node at {url}: {cause}")
        }
        Err(err) => Err(err).with_context(|| format!("{url} does not answer as a registry node")),
    }
}

/// Opens a key file (passphrase from `CROSSCODE_PASSPHRASE`) and checks that it holds a key of
/// the chain's signature algorithm.
pub fn open_chain_key(path: &Path, profile: CryptoProfile) -> anyhow::Result<SecretKey> {
    let key = open_key_file(path)?;
    let expected = profile.key_algorithm();
    if key.algorithm() != expected {
        bail!(
            "{} holds an {} key; this chain (profile {}) signs with {} keys",
            path.display(),
            key.algorithm(),
            profile.as_str(),
            expected
        );
    }
    Ok(key)
}

/// What a failed registry write says on the command line: the library's error, with the way
/// out for a key whose DID is not registered yet.
pub fn write_error(err: ClientError) -> anyhow::Error {
    match err {
        ClientError::NotRegistered { did } => anyhow::anyhow!(
            "{did} is not registered on this chain (create it with `crosscode did register`)"
        ),
        ClientError::Rejected { code, message } => anyhow::anyhow!("rejected ({code}): {message}"),
        err => err.into(),
    }
}

/// Parses a namespace name (clap `value_parser`).
pub fn parse_namespace(text: &str) -> Result<Namespace, String> {
    Namespace::from_name(text).ok_or_else(|| {
        let names: Vec<&str> = Namespace::ALL.iter().map(|ns| ns.name()).collect();
        format!("unknown namespace; one of {}", names.join(", "))
    })
}

/// The key bytes (after the namespace byte) of `text` in `namespace`: a registry DID for
/// DID-keyed namespaces, lowercase hex otherwise.
pub fn state_key_bytes(namespace: Namespace, text: &str) -> anyhow::Result<Vec<u8>> {
    if namespace.is_did_keyed() {
        let did = RegistryDid::parse(text)
            .with_context(|| format!("{} keys are did:crosscode DIDs", namespace.name()))?;
        return Ok(did.as_str().as_bytes().to_vec());
    }
    parse_lower_hex("key", text)
        .with_context(|| format!("{} keys are lowercase hex", namespace.name()))
}

/// Parses a 32-byte hash given as 64 lowercase hex digits (clap `value_parser`).
pub fn parse_hash(text: &str) -> Result<[u8; 32], String> {
    crosscode_did_registry::json::parse_hash("hash", text)
        .map_err(|_| "not 32 bytes as 64 lowercase hex digits".to_owned())
}
