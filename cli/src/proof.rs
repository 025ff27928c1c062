//! `crosscode proof`: fetch a proof bundle from a registry node (`proof get`) and verify one
//! offline against a pinned validator set (`proof verify`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use crosscode_did_registry::json::{JsonFormError, proof_bundle_from_json};
use crosscode_did_registry::ordering::CoreSignatureVerifier;
use crosscode_did_registry::proof::{
    TrustedChain, VerifiedBundle, verify_bundle, verify_bundle_for_keys,
};
use crosscode_did_registry::records::{Namespace, StateKey};
use crosscode_did_registry::resolution::xml_datetime;
use crosscode_verifier::chain_trust::ChainTrust;
use serde_json::{Value, json};

use crate::key::print_line;
use crate::registry::{block_on, connect, parse_namespace, state_key_bytes};

/// Fetch and verify state proof bundles.
#[derive(Debug, Args)]
pub struct ProofArgs {
    #[command(subcommand)]
    command: ProofCommand,
}

#[derive(Debug, Subcommand)]
enum ProofCommand {
    /// Fetch the proof bundle of one state entry from a node and print it as bundle.json
    /// (docs/registry-cli.md): the header, its commit certificate and the entry's value with
    /// its inclusion proof, or its exclusion proof when the entry is absent. The bundle must
    /// prove exactly the entry asked for (one entry, that key, the value the node answered),
    /// or nothing is printed and the command fails.
    ///
    /// NAMESPACE: did, did-version, sequence, member, issuer, proposal, schema, status,
    /// evidence, batch or meta. KEY: a DID for did, sequence, member and issuer; otherwise the
    /// hex of the key bytes after the namespace byte (e.g. a credential hash for evidence).
    ///
    /// Example: crosscode proof get --node http://127.0.0.1:8080 evidence 9f86d0…0a08 > bundle.json
    #[command(verbatim_doc_comment)]
    Get(GetArgs),
    /// Verify a bundle.json offline against a validators.json (the validator set a checkpoint
    /// pins) or a checkpoint's trust cache (the set it followed) and print a JSON report. Exit 0 only when the bundle is valid, 1 when it is not
    /// (changed, forged, of another chain or validator set, or not about the entry asked
    /// for), 2 when an input is unusable.
    ///
    /// With --namespace and --key the bundle must prove exactly that entry ("keysChecked":
    /// true). Without them it is verified for the keys it names itself: the report says
    /// "keysChecked": false and a warning goes to stderr, since a valid bundle about another
    /// entry would pass — give the entry you rely on.
    ///
    /// Example: crosscode proof verify bundle.json --validators validators.json --namespace evidence --key 9f86d0…0a08
    #[command(verbatim_doc_comment)]
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
struct GetArgs {
    /// The node's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long, value_name = "URL")]
    node: String,
    /// Prove the entry as of this committed height (default: the latest).
    #[arg(long, value_name = "H")]
    height: Option<u64>,
    /// The namespace.
    #[arg(value_name = "NAMESPACE", value_parser = parse_namespace)]
    namespace: Namespace,
    /// The key in the namespace: a DID or hex (see above).
    #[arg(value_name = "KEY")]
    key: String,
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// The bundle.json to verify.
    #[arg(value_name = "BUNDLE.json")]
    bundle: PathBuf,
    /// The trusted validator set (validators.json, e.g. DIR/validators.json of a dev node).
    #[arg(
        long,
        value_name = "VALIDATORS.json",
        required_unless_present = "cache"
    )]
    validators: Option<PathBuf>,
    /// Or a checkpoint's trust cache (`crosscode checkpoint sync --cache DIR`): the validator
    /// set it followed from its pinned one through the chain's certificates, governance changes
    /// of the set included.
    #[arg(long, value_name = "DIR", conflicts_with = "validators")]
    cache: Option<PathBuf>,
    /// Also require the bundle to answer exactly this entry: its namespace (with --key).
    #[arg(long, value_name = "NAMESPACE", value_parser = parse_namespace, requires = "key")]
    namespace: Option<Namespace>,
    /// Also require the bundle to answer exactly this entry: its key (with --namespace).
    #[arg(long, value_name = "KEY", requires = "namespace")]
    key: Option<String>,
}

fn get(args: GetArgs) -> anyhow::Result<ExitCode> {
    let key = state_key_bytes(args.namespace, &args.key)?;
    let bundle = block_on(async {
        let (client, _) = connect(&args.node).await?;
        // `state` refuses (ClientError::ProofMismatch) a bundle that does not prove exactly
        // this entry with the value answered.
        let response = client
            .state(args.namespace, &key, true, args.height)
            .await
            .with_context(|| {
                format!(
                    "cannot get {} {} from the node",
                    args.namespace.name(),
                    args.key
                )
            })?;
        response
            .bundle
            .context("the node answered without a proof bundle")
    })??;
    print_line(&bundle.to_json(args.namespace))?;
    Ok(ExitCode::SUCCESS)
}

fn valid_report(verified: &VerifiedBundle, trusted: &TrustedChain, keys_checked: bool) -> Value {
    json!({
        "valid": true,
        "keysChecked": keys_checked,
        "chainId": trusted.chain_id,
        "height": verified.height,
        "time": xml_datetime(verified.time),
        "stateRoot": hex::encode(verified.state_root),
        "validatorsHash": hex::encode(trusted.validators.hash(trusted.profile)),
        "entries": verified.entries.iter().map(|(key, value)| json!({
            "namespace": Namespace::of_key(key).map_or("unknown", Namespace::name),
            "key": hex::encode(key),
            "present": value.is_some(),
            "value": value.as_ref().map(hex::encode),
        })).collect::<Vec<_>>(),
    })
}

fn invalid(bundle: &std::path::Path, reason: &str) -> anyhow::Result<ExitCode> {
    print_line(&serde_json::to_string_pretty(
        &json!({"valid": false, "error": reason}),
    )?)?;
    eprintln!("error: {} is not valid: {reason}", bundle.display());
    Ok(ExitCode::from(1))
}

/// The validator set to verify against: a validators.json, or the set a trust cache followed.
fn trusted_chain(args: &VerifyArgs) -> anyhow::Result<TrustedChain> {
    if let Some(cache) = &args.cache {
        let trust = ChainTrust::load(cache)
            .with_context(|| format!("{} is not a usable checkpoint cache", cache.display()))?;
        return Ok(trust.chain);
    }
    let Some(validators) = &args.validators else {
        bail!("give --validators or --cache");
    };
    let validators_text = std::fs::read_to_string(validators)
        .with_context(|| format!("cannot read {}", validators.display()))?;
    TrustedChain::from_json(&validators_text)
        .with_context(|| format!("{} is not a usable validators.json", validators.display()))
}

fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let trusted = trusted_chain(&args)?;
    let expected = match (&args.namespace, &args.key) {
        (Some(namespace), Some(key)) => {
            Some(StateKey::from_parts(*namespace, &state_key_bytes(*namespace, key)?).0)
        }
        _ => None,
    };
    let text = std::fs::read_to_string(&args.bundle)
        .with_context(|| format!("cannot read {}", args.bundle.display()))?;
    let bundle = match proof_bundle_from_json(&text) {
        Ok(bundle) => bundle,
        Err(err @ JsonFormError::Json { .. }) => {
            bail!("{} is not a bundle.json: {err}", args.bundle.display())
        }
        Err(err) => return invalid(&args.bundle, &err.to_string()),
    };
    let outcome = match &expected {
        Some(key) => verify_bundle_for_keys(&bundle, &trusted, &CoreSignatureVerifier, &[key]),
        None => verify_bundle(&bundle, &trusted, &CoreSignatureVerifier),
    };
    match outcome {
        Ok(verified) => {
            let keys_checked = expected.is_some();
            if !keys_checked {
                eprintln!(
                    "warning: the bundle is valid for the keys it names itself; without \
                     --namespace and --key nothing checked that they are the entry you rely on"
                );
            }
            print_line(&serde_json::to_string_pretty(&valid_report(
                &verified,
                &trusted,
                keys_checked,
            ))?)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => invalid(&args.bundle, &err.to_string()),
    }
}

/// Runs `crosscode proof …`.
pub fn run(args: ProofArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ProofCommand::Get(args) => get(args),
        ProofCommand::Verify(args) => verify(args),
    }
}
