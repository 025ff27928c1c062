//! `crosscode did`: DID resolution.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use crosscode_core::did::{Did, resolve};

/// Resolve DIDs.
#[derive(Debug, Args)]
pub struct DidArgs {
    #[command(subcommand)]
    command: DidCommand,
}

#[derive(Debug, Subcommand)]
enum DidCommand {
    /// Resolve a DID and print the W3C DID resolution result as JSON.
    ///
    /// The result holds the DID document (one Multikey verification method, used for
    /// authentication, assertionMethod, capabilityInvocation and capabilityDelegation),
    /// didResolutionMetadata and didDocumentMetadata. Supported: did:key with Ed25519
    /// (z6Mk…), SM2 (zEP…) and BLS12-381 G2 (zUC7…) keys, resolved offline.
    ///
    /// Example: crosscode did resolve did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK
    #[command(verbatim_doc_comment)]
    Resolve {
        /// The DID to resolve.
        #[arg(value_name = "DID")]
        did: String,
    },
}

/// Runs `crosscode did …`.
pub fn run(args: DidArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        DidCommand::Resolve { did } => {
            let did = Did::parse(did.trim())?;
            let result = resolve(&did)?;
            crate::key::print_line(&serde_json::to_string_pretty(&result)?)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
