//! `crosscode evidence`: anchor a credential hash on the registry chain, signed by the issuer.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use crosscode_did_registry::document::RegistryDid;
use serde_json::json;

use crate::key::print_line;
use crate::registry::{block_on, connect, open_chain_key, parse_hash, write_error};

/// Anchor evidence on the registry chain.
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    #[command(subcommand)]
    command: EvidenceCommand,
}

#[derive(Debug, Subcommand)]
enum EvidenceCommand {
    /// Anchor one credential hash: the issuer signs it (an assertionMethod key of its
    /// did:crosscode DID) and sends the anchor transaction (signed by the same key as a
    /// capabilityInvocation key). The issuer must be an admitted issuer within its validity
    /// window. Prints {"credentialHash", "issuer", "txHash", "height", "index"} once committed.
    ///
    /// Example: CROSSCODE_PASSPHRASE='…' crosscode evidence anchor --key issuer.key --hash 9f86d0…0a08 --node http://127.0.0.1:8080
    #[command(verbatim_doc_comment)]
    Anchor(AnchorArgs),
}

#[derive(Debug, Args)]
struct AnchorArgs {
    /// The issuer's key file (its DID is the one derived from the key unless --did is given).
    #[arg(long, value_name = "KEYFILE")]
    key: PathBuf,
    /// The issuer DID, when it is not the one derived from the key.
    #[arg(long, value_name = "DID", value_parser = parse_registry_did)]
    did: Option<RegistryDid>,
    /// The credential hash: 32 bytes as 64 hex digits.
    #[arg(long, value_name = "HEX", value_parser = parse_hash)]
    hash: [u8; 32],
    /// The registry node's base URL.
    #[arg(long, value_name = "URL")]
    node: String,
}

/// Parses a did:crosscode DID (clap `value_parser`).
pub fn parse_registry_did(text: &str) -> Result<RegistryDid, String> {
    RegistryDid::parse(text).map_err(|err| err.to_string())
}

fn anchor(args: AnchorArgs) -> anyhow::Result<ExitCode> {
    let report = block_on(async {
        let (client, chain) = connect(&args.node).await?;
        let key = open_chain_key(&args.key, chain.profile)?;
        let sender = client
            .sender(&key, args.did.as_ref())
            .await
            .map_err(write_error)?;
        let committed = client
            .anchor_evidence_as(&sender, &key, &args.hash)
            .await
            .map_err(write_error)
            .context("cannot anchor the credential hash")?;
        anyhow::Ok(json!({
            "credentialHash": hex::encode(args.hash),
            "issuer": sender.did.as_str(),
            "txHash": hex::encode(committed.hash),
            "height": committed.height,
            "index": committed.index,
        }))
    })??;
    print_line(&serde_json::to_string_pretty(&report)?)?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `crosscode evidence …`.
pub fn run(args: EvidenceArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        EvidenceCommand::Anchor(anchor_args) => anchor(anchor_args),
    }
}
