//! `crosscode did`: DID resolution (did:key offline, did:crosscode through a registry node) and
//! registering a key's did:crosscode DID on a registry chain.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use crosscode_core::did::{Did, resolve};
use crosscode_did_registry::document::{
    DocumentContent, RegistryDid, Relationships, VerificationMethod,
};
use crosscode_did_registry::resolution::resolution_error;
use crosscode_registry_client::ClientError;

use crate::key::{open_key_file, print_line};
use crate::registry::{block_on, connect, open_chain_key, write_error};

/// Fragment of the key `did register` puts in the new document.
pub const REGISTERED_KEY_FRAGMENT: &str = "key-1";

/// Resolve DIDs, register registry DIDs.
#[derive(Debug, Args)]
pub struct DidArgs {
    #[command(subcommand)]
    command: DidCommand,
}

#[derive(Debug, Subcommand)]
enum DidCommand {
    /// Resolve a DID and print the W3C DID resolution result as JSON.
    ///
    /// Without --node: did:key with Ed25519 (z6Mk…), SM2 (zEP…) and BLS12-381 G2 (zUC7…) keys,
    /// resolved offline (one Multikey verification method, used for authentication,
    /// assertionMethod, capabilityInvocation and capabilityDelegation).
    /// With --node: any DID the registry node resolves (did:crosscode), as of the latest block,
    /// of --height or of --version-time, with didDocumentMetadata (created, updated,
    /// deactivated, versionId, height). Exit 1 when the node does not resolve it.
    ///
    /// Example: crosscode did resolve did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK
    /// Example: crosscode did resolve did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB --node http://127.0.0.1:8080
    #[command(verbatim_doc_comment)]
    Resolve(ResolveArgs),
    /// Register the did:crosscode DID of a key on a registry chain and print it.
    ///
    /// The key file (from `crosscode key new`, opened with CROSSCODE_PASSPHRASE) must hold a key
    /// of the chain's algorithm (ed25519 on a standard chain, sm2 on a GuoMi chain). The new
    /// document has one verification method, #key-1, holding the key as capabilityInvocation
    /// (it signs the DID's registry transactions) and assertionMethod (it signs credentials
    /// and evidence anchors). The command waits until the DID is committed.
    ///
    /// Example: CROSSCODE_PASSPHRASE='…' crosscode did register --key issuer.key --node http://127.0.0.1:8080
    #[command(verbatim_doc_comment)]
    Register(RegisterArgs),
}

#[derive(Debug, Args)]
struct ResolveArgs {
    /// The DID to resolve.
    #[arg(value_name = "DID")]
    did: String,
    /// Resolve through this registry node (base URL, e.g. http://127.0.0.1:8080).
    #[arg(long, value_name = "URL")]
    node: Option<String>,
    /// Resolve as of this block height (with --node).
    #[arg(
        long,
        value_name = "H",
        requires = "node",
        conflicts_with = "version_time"
    )]
    height: Option<u64>,
    /// Resolve the version in force at this RFC 3339 time (with --node).
    #[arg(long = "version-time", value_name = "RFC3339", requires = "node")]
    version_time: Option<String>,
}

#[derive(Debug, Args)]
struct RegisterArgs {
    /// The key file of the DID's first key.
    #[arg(long, value_name = "KEYFILE")]
    key: PathBuf,
    /// The registry node's base URL.
    #[arg(long, value_name = "URL")]
    node: String,
    /// More keys of the DID, listed for assertion only (an authority's credential keys:
    /// Ed25519, SM2, BBS), as `#key-2`, `#key-3`, … in this order.
    #[arg(long = "assertion-key", value_name = "KEYFILE")]
    assertion_keys: Vec<PathBuf>,
}

fn resolve_offline(did: &str) -> anyhow::Result<ExitCode> {
    let did = Did::parse(did.trim())?;
    let result = resolve(&did)?;
    print_line(&serde_json::to_string_pretty(&result)?)?;
    Ok(ExitCode::SUCCESS)
}

fn resolve_on_node(args: &ResolveArgs, node: &str) -> anyhow::Result<ExitCode> {
    let did = args.did.trim();
    let outcome = block_on(async {
        let (client, _) = connect(node).await?;
        let answer = match &args.version_time {
            Some(time) => client.resolve_at_time(did, time).await,
            None => client.resolve(did, args.height).await,
        };
        match answer {
            Ok(result) => Ok(Ok(result)),
            Err(ClientError::Resolution { error, message, .. }) => Ok(Err((error, message))),
            Err(err) => Err(err).with_context(|| format!("cannot resolve {did}")),
        }
    })??;
    match outcome {
        Ok(result) => {
            print_line(&serde_json::to_string_pretty(&result)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Err((error, message)) => {
            let code = error.as_str();
            print_line(&serde_json::to_string_pretty(&resolution_error(code))?)?;
            eprintln!("error: {did} does not resolve: {code}: {message}");
            Ok(ExitCode::from(1))
        }
    }
}

fn register(args: RegisterArgs) -> anyhow::Result<ExitCode> {
    let did = block_on(async {
        let (client, chain) = connect(&args.node).await?;
        let key = open_chain_key(&args.key, chain.profile)?;
        let did = RegistryDid::derive(chain.profile, &chain.network, &key.public_key());
        let mut document = DocumentContent::single_key(REGISTERED_KEY_FRAGMENT, key.public_key());
        for (position, path) in args.assertion_keys.iter().enumerate() {
            let extra = open_key_file(path)?;
            document.verification_methods.push(VerificationMethod::new(
                &format!("key-{}", position + 2),
                extra.public_key(),
                Relationships::ASSERTION_METHOD,
            ));
        }
        let (did, committed) = client
            .register_document(&key, REGISTERED_KEY_FRAGMENT, document)
            .await
            .map_err(write_error)
            .with_context(|| format!("cannot register {did}"))?;
        eprintln!(
            "registered at height {} (transaction {})",
            committed.height,
            hex::encode(committed.hash)
        );
        anyhow::Ok(did)
    })??;
    print_line(did.as_str())?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `crosscode did …`.
pub fn run(args: DidArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        DidCommand::Resolve(resolve_args) => match &resolve_args.node {
            None => resolve_offline(&resolve_args.did),
            Some(node) => resolve_on_node(&resolve_args, node),
        },
        DidCommand::Register(register_args) => register(register_args),
    }
}
