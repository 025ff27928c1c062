//! Talking to a registry node from the CLI verbs: the async runtime they run on, the chain the
//! node serves, the registry DID a key file acts for, and sending signed transactions until
//! they are committed (or rejected, with the node's rejection code).

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use crosscode_core::keys::SecretKey;
use crosscode_did_registry::api::{ChainInfo, ResolutionErrorCode};
use crosscode_did_registry::dev::chain_key_algorithm;
use crosscode_did_registry::document::{DocumentContent, RegistryDid, Relationships};
use crosscode_did_registry::json::parse_lower_hex;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::records::Namespace;
use crosscode_did_registry::transaction::{Payload, Transaction};
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

/// A client of the node at `url` and the chain it serves.
pub async fn connect(url: &str) -> anyhow::Result<(RegistryClient, ChainInfo)> {
    let client = RegistryClient::new(url).with_context(|| format!("bad node URL {url}"))?;
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
    let expected = chain_key_algorithm(profile);
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

/// The DID derived from `key` on the node's chain (the DID `did register` creates for it).
pub fn derived_did(chain: &ChainInfo, key: &SecretKey) -> RegistryDid {
    RegistryDid::derive(chain.profile, &chain.network, &key.public_key())
}

/// The fragment of the first method of `document` holding `key` with `relationship`.
pub fn method_fragment(
    document: &DocumentContent,
    key: &SecretKey,
    relationship: Relationships,
) -> Option<String> {
    let public = key.public_key();
    document
        .verification_methods
        .iter()
        .find(|vm| vm.relationships.contains(relationship) && vm.key.0 == public)
        .map(|vm| vm.fragment.clone())
}

/// Who sends a transaction: its DID, the fragment of its capability-invocation key, the key.
pub struct Sender {
    /// The sender DID.
    pub did: RegistryDid,
    /// The document as the node resolves it now.
    pub document: DocumentContent,
    /// Fragment of the capability-invocation method holding `key`.
    pub fragment: String,
    /// The key.
    pub key: SecretKey,
}

/// The registered DID `key` acts for (`did`, or the one derived from the key), with the
/// fragment of its capability-invocation method holding the key.
pub async fn registered_sender(
    client: &RegistryClient,
    chain: &ChainInfo,
    key: SecretKey,
    did: Option<RegistryDid>,
) -> anyhow::Result<Sender> {
    let did = did.unwrap_or_else(|| derived_did(chain, &key));
    let resolved = match client.resolve_document(did.as_str(), None).await {
        Ok(resolved) => resolved,
        Err(ClientError::Resolution {
            error: ResolutionErrorCode::NotFound,
            ..
        }) => {
            bail!("{did} is not registered on this chain (create it with `crosscode did register`)")
        }
        Err(err) => return Err(err).with_context(|| format!("cannot resolve {did}")),
    };
    if resolved.deactivated {
        bail!("{did} is deactivated");
    }
    let fragment = method_fragment(
        &resolved.document,
        &key,
        Relationships::CAPABILITY_INVOCATION,
    )
    .with_context(|| format!("the key is not a capability-invocation key of {did}"))?;
    Ok(Sender {
        did,
        document: resolved.document,
        fragment,
        key,
    })
}

impl Sender {
    /// Signs `payload` as this sender at its next sequence number, submits it and waits until
    /// it is committed (see [`send`]).
    pub async fn send(
        &self,
        client: &RegistryClient,
        chain: &ChainInfo,
        payload: Payload,
    ) -> anyhow::Result<Committed> {
        send(client, chain, &self.did, &self.fragment, &self.key, payload).await
    }
}

/// A committed transaction.
#[derive(Debug, Clone, Copy)]
pub struct Committed {
    /// Its hash.
    pub hash: [u8; 32],
    /// The height of its block.
    pub height: u64,
    /// Its index in the block.
    pub index: u32,
}

/// Signs `payload` as `did` with `key` (method `fragment`) at the sender's next sequence number
/// (asked of the node), submits it and waits until it is committed.
pub async fn send(
    client: &RegistryClient,
    chain: &ChainInfo,
    did: &RegistryDid,
    fragment: &str,
    key: &SecretKey,
    payload: Payload,
) -> anyhow::Result<Committed> {
    let sequence = client
        .next_sequence(did)
        .await
        .context("cannot get the sender's next sequence number")?;
    let tx = Transaction {
        chain_id: chain.chain_id.clone(),
        sender: did.clone(),
        key: fragment.to_owned(),
        sequence,
        payload,
    }
    .sign(key)
    .context("cannot sign the transaction")?;
    let hash = client
        .submit(&tx)
        .await
        .context("the node did not accept the transaction")?;
    let (height, index) = match client.wait_committed(&hash, COMMIT_TIMEOUT).await {
        Ok(location) => location,
        Err(ClientError::Rejected { code, message }) => {
            bail!("rejected ({code}): {message}")
        }
        Err(err) => return Err(err).context("transaction not committed"),
    };
    Ok(Committed {
        hash,
        height,
        index,
    })
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
