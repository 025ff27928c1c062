//! `crosscode vc`: secure credentials with Data Integrity proofs and verify them.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use crosscode_core::data_integrity::bbs::verify_derived_credential;
use crosscode_core::data_integrity::{
    Cryptosuite, Expectations, ProofOptions, add_proof, verify_document_with,
};
use crosscode_core::did::{Did, DidKey, DidUrl};
use crosscode_core::keys::KeyAlgorithm;
use crosscode_core::vc::Credential;
use crosscode_registry_client::RegistryClient;
use serde_json::Value;
use time::OffsetDateTime;

use crate::input::{parse_time, read_json};
use crate::key::{open_key_file, print_line};

mod derive;

/// Secure credentials with Data Integrity proofs and verify them.
#[derive(Debug, Args)]
pub struct VcArgs {
    #[command(subcommand)]
    command: VcCommand,
}

#[derive(Debug, Subcommand)]
enum VcCommand {
    /// Add Data Integrity proofs to a VC 2.0 credential and print the secured credential.
    ///
    /// Each --key adds one proof (repeat --key for a proof set, e.g. an SM2 and an Ed25519
    /// proof). The suite follows each key's algorithm: eddsa-jcs-2022 for ed25519 keys,
    /// sm2-jcs-2026 for sm2 keys. The verification method is the key's did:key URL
    /// (did:key:z…#z…). Key files are decrypted with CROSSCODE_PASSPHRASE.
    ///
    /// Every proof must be the issuer's own (verifiers refuse any other at IssuerBinding):
    /// with a did:key issuer there is one --key, whose did:key is the issuer (--set-issuer
    /// makes it so). A credential that already carries a proof keeps it: the new proofs join
    /// its proof set, and must be the same issuer's too.
    ///
    /// An authority signs as its registry DID instead, which may hold several keys (e.g. SM2
    /// and Ed25519 for a proof set): --issuer DID --verification-method DID#key-1 … with one
    /// --verification-method per --key, in the same order (checkpoints resolve them from
    /// their trust cache, docs/trust-cache.md).
    ///
    /// Example: CROSSCODE_PASSPHRASE='…' crosscode vc sign --key issuer.key --set-issuer docs/examples/health-code.json > signed.json
    #[command(verbatim_doc_comment)]
    Sign(SignArgs),
    /// Verify a secured credential (or presentation) and print a JSON report.
    ///
    /// Every proof of the proof set is verified on its own; verification methods are
    /// resolved offline (did:key, and registry methods from --trust-cache files) and must be
    /// the issuer's (a presentation's: the holder's). The report says which proofs verified
    /// and names the failing step: Parse, Context, ProofSuite, ProofPurpose, IssuerBinding,
    /// HolderBinding, KeyResolution, Signature, Challenge or ValidityWindow.
    /// Exit status 0 only when the credential is valid, 1 when it is not, 2 on bad input.
    ///
    /// Example: crosscode vc verify signed.json --at 2026-11-21T12:00:00Z
    #[command(verbatim_doc_comment)]
    Verify(VerifyArgs),
    /// Derive a selective-disclosure credential from a bbs-jcs-2026 credential and print it.
    ///
    /// Discloses the mandatory members and the claims named by --reveal (JSON pointers);
    /// every other claim is hidden and cannot be recovered from the output. The proof is
    /// bound to --nonce (and to the holder's key with --holder-key).
    ///
    /// Example: crosscode vc derive signed.json --reveal /credentialSubject/statusColour --nonce n-5c2e9a > derived.json
    #[command(verbatim_doc_comment)]
    Derive(derive::DeriveArgs),
}

#[derive(Debug, Args)]
struct SignArgs {
    /// An encrypted key file (from `crosscode key new`); repeat for a proof set.
    #[arg(long = "key", value_name = "KEYFILE", required = true)]
    keys: Vec<PathBuf>,
    /// The cryptosuite: eddsa-jcs-2022, sm2-jcs-2026, ecdsa-jcs-2019 (p256 keys) or
    /// bbs-jcs-2026 (selective disclosure, bls12381g2 keys). Default: from each key's
    /// algorithm (bbs-jcs-2026 for bls12381g2).
    /// Give it once (for every key) or once per --key, in the same order.
    #[arg(long = "suite", value_name = "SUITE", value_parser = parse_suite)]
    suites: Vec<Cryptosuite>,
    /// Replace the credential's issuer with the first key's did:key.
    #[arg(long, conflicts_with = "issuer")]
    set_issuer: bool,
    /// Replace the credential's issuer with this DID (e.g. the authority's registry DID
    /// did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB); needs --verification-method.
    #[arg(long, value_name = "DID", requires = "verification_methods")]
    issuer: Option<String>,
    /// The verification method a key's proof names (a DID URL of the issuer's DID, e.g.
    /// did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB#key-1) instead of the key's did:key URL; one
    /// per --key, in the same order. Verifiers resolve it from a trust cache (--trust-cache).
    #[arg(long = "verification-method", value_name = "DIDURL")]
    verification_methods: Vec<String>,
    /// The proofs' `created` time (RFC 3339); default: now.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    created: Option<OffsetDateTime>,
    /// The credential (VC 2.0 JSON).
    #[arg(value_name = "CREDENTIAL.json")]
    credential: PathBuf,
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// The secured credential (or presentation).
    #[arg(value_name = "CREDENTIAL.json")]
    credential: PathBuf,
    /// Check the validity window at this instant (RFC 3339) instead of now.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    at: Option<OffsetDateTime>,
    /// The nonce this verifier gave the holder: the document must carry a bbs-jcs-2026
    /// derived proof whose challenge is this nonce.
    #[arg(long, value_name = "N")]
    nonce: Option<String>,
    /// The challenge this verifier gave the holder: every proof must carry it (a presentation
    /// answering another challenge is a replay, refused at step Challenge).
    #[arg(long, value_name = "CHALLENGE", conflicts_with = "nonce")]
    challenge: Option<String>,
    /// The domain this verifier operates in: every proof's domain must include it.
    #[arg(long, value_name = "DOMAIN")]
    domain: Option<String>,
    /// A trust-cache file (docs/trust-cache.md) resolving registry verification methods;
    /// repeat to merge several. did:key methods always resolve.
    #[arg(long = "trust-cache", value_name = "FILE")]
    trust_caches: Vec<PathBuf>,
    /// Resolve the registry verification methods of the proofs through this registry node,
    /// as of each proof's `created` (an operator's check; a checkpoint uses a synced trust
    /// cache).
    #[arg(long, value_name = "URL")]
    node: Option<String>,
}

fn parse_suite(text: &str) -> Result<Cryptosuite, String> {
    text.parse().map_err(|err| format!("{err}"))
}

fn set_issuer(credential: &mut Value, did: &str) {
    match credential.get_mut("issuer") {
        Some(Value::Object(issuer)) => {
            issuer.insert("id".into(), Value::String(did.to_owned()));
        }
        _ => {
            if let Some(object) = credential.as_object_mut() {
                object.insert("issuer".into(), Value::String(did.to_owned()));
            }
        }
    }
}

fn sign(args: SignArgs) -> anyhow::Result<ExitCode> {
    let mut document = read_json(&args.credential)?;
    let keys = args
        .keys
        .iter()
        .map(|path| open_key_file(path))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let suites: Vec<Option<Cryptosuite>> = match args.suites.len() {
        0 => keys
            .iter()
            .map(|key| {
                (key.algorithm() == KeyAlgorithm::Bls12381G2).then_some(Cryptosuite::BbsJcs2026)
            })
            .collect(),
        1 => vec![args.suites.first().copied(); keys.len()],
        n if n == keys.len() => args.suites.iter().copied().map(Some).collect(),
        n => bail!(
            "{n} --suite values for {} --key files: give one, or one per key",
            keys.len()
        ),
    };
    let registry_methods = args
        .verification_methods
        .iter()
        .map(|text| DidUrl::parse(text))
        .collect::<Result<Vec<_>, _>>()
        .context("--verification-method is not a DID URL")?;
    if let Some(method) = registry_methods.iter().find(|method| {
        method.fragment().is_none() || method.path().is_some() || method.query().is_some()
    }) {
        bail!(
            "--verification-method {} must be DID#fragment (no path or query)",
            method.as_str()
        );
    }
    if !registry_methods.is_empty() && registry_methods.len() != keys.len() {
        bail!(
            "{} --verification-method values for {} --key files: give one per key, in the same order",
            registry_methods.len(),
            keys.len()
        );
    }
    let issuer_did = args
        .issuer
        .as_deref()
        .map(Did::parse)
        .transpose()
        .context("--issuer is not a DID")?;
    let already_signed = document.get("proof").is_some();
    if (args.set_issuer || issuer_did.is_some()) && already_signed {
        bail!(
            "{} already carries a proof: its issuer cannot change (drop --set-issuer / --issuer)",
            args.credential.display()
        );
    }
    if let Some(did) = &issuer_did {
        set_issuer(&mut document, did.as_str());
    }
    let methods: Vec<DidUrl> = if registry_methods.is_empty() {
        keys.iter()
            .map(|key| DidKey::from_public_key(&key.public_key()).verification_method_id())
            .collect()
    } else {
        registry_methods
    };
    if args.set_issuer
        && let Some(first) = methods.first()
    {
        set_issuer(&mut document, first.did().as_str());
    }
    let credential = Credential::from_value(&document).with_context(|| {
        format!(
            "{} is not a valid VC 2.0 credential",
            args.credential.display()
        )
    })?;
    let issuer = credential.issuer.id();
    // Every proof binds to the issuer on its own: a proof by any other DID never verifies.
    if let Some(method) = methods
        .iter()
        .find(|method| method.did().as_str() != issuer)
    {
        if method.did().method() == "key" && methods.len() > 1 {
            bail!(
                "a proof set by several keys needs one issuer holding them all: register the keys under a registry DID and pass --issuer DID with one --verification-method DID#fragment per --key"
            );
        }
        bail!(
            "{} is not a method of the credential's issuer {issuer}: every proof must be the issuer's (pass --set-issuer, or --issuer with --verification-method)",
            method.as_str()
        );
    }
    for ((key, method), suite) in keys.iter().zip(&methods).zip(suites) {
        let options = ProofOptions {
            cryptosuite: suite,
            created: args.created,
            ..ProofOptions::default()
        };
        document = add_proof(&document, key, method, &options)
            .with_context(|| format!("cannot sign as {}", method.as_str()))?;
    }
    let text = serde_json::to_string_pretty(&document).context("cannot serialize")?;
    print_line(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let document = read_json(&args.credential)?;
    let at = args.at.unwrap_or_else(OffsetDateTime::now_utc);
    let mut resolver = crate::trust_cache::load(&args.trust_caches)?;
    if let Some(node) = &args.node {
        let client = RegistryClient::new(node).context("invalid --node URL")?;
        let fetched = crate::registry::block_on(client.trust_cache_for(&document))?
            .context("cannot resolve the proofs' verification methods")?;
        resolver
            .merge(&fetched)
            .context("cannot merge the node's keys")?;
    }
    let expect = Expectations {
        challenge: args.challenge.clone(),
        domain: args.domain.clone(),
    };
    let report = match &args.nonce {
        None => verify_document_with(&document, &resolver, at, &expect),
        Some(nonce) => verify_derived_credential(&document, &resolver, at, nonce),
    };
    let text = serde_json::to_string_pretty(&report).context("cannot serialize the report")?;
    print_line(&text)?;
    if report.verified {
        return Ok(ExitCode::SUCCESS);
    }
    match &report.failure {
        Some(failure) => eprintln!(
            "error: {} is not valid: {} step failed: {}",
            args.credential.display(),
            failure.step,
            failure.error
        ),
        None => eprintln!("error: {} is not valid", args.credential.display()),
    }
    Ok(ExitCode::from(1))
}

/// Runs `crosscode vc …`.
pub fn run(args: VcArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        VcCommand::Sign(sign_args) => sign(sign_args),
        VcCommand::Verify(verify_args) => verify(verify_args),
        VcCommand::Derive(derive_args) => derive::run(derive_args),
    }
}
