//! `crosscode verify`: the checkpoint verifier for EU DCC (`HC1:`), SMART Health Card
//! (`shc:/`) and Crosscode (`CC1:`) QR codes, and the EU DCC test-data runner
//! (`verify dcc-testfile`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use crosscode_verifier::chain_trust::ChainTrust;
use crosscode_verifier::clock::parse_clock;
use crosscode_verifier::dcc_testfile;
use crosscode_verifier::format::cc1::{Cc1, PresentationPolicy};
use crosscode_verifier::format::smart_health_card::{SmartHealthCard, X5cValidity};
use crosscode_verifier::rules::RuleSet;
use crosscode_verifier::{TrustStore, Verdict, Verifier};
use time::OffsetDateTime;

/// Verify a health-credential QR code (photo or text: EU DCC, SMART Health Card, CC1) against
/// offline trust lists.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct VerifyArgs {
    #[command(subcommand)]
    command: Option<VerifyCommand>,
    /// A trust file (repeatable): DCC DSC certificate (PEM/DER), DCC-gateway trust list JSON,
    /// SHC JWKS with an "iss" member, SHC CRL with "iss", {"dccRevocations":…}, the VCI
    /// directory snapshot (its .sig beside it, vci_snapshot.crt beside or one folder up), or a
    /// trust bundle; or ISS=FILE for a plain SHC JWKS / CRL of issuer ISS (an https URL).
    /// See docs/verifier.md.
    #[arg(long = "trust", value_name = "FILE")]
    trust: Vec<PathBuf>,
    /// A root certificate file (PEM, one or more; or one DER) for SMART Health Card x5c chains
    /// (repeatable). With roots, an SHC key that carries an x5c chain is only used when the
    /// chain reaches one of them and its leaf names the card's issuer; without, the issuer's
    /// JWKS alone decides and the chain is only checked for consistency.
    #[arg(long = "shc-root", value_name = "FILE")]
    shc_roots: Vec<PathBuf>,
    /// Enforce the validity dates of SHC x5c certificates: each certificate up to the root must
    /// be valid at the card's issuance time (nbf), else REJECT (X5C_EXPIRED,
    /// X5C_NOT_YET_VALID). Off by default: the dates are only reported.
    #[arg(long = "shc-x509-validity")]
    shc_x509_validity: bool,
    /// The Crosscode authorities' keys for CC1 codes: a trust-cache file (docs/trust-cache.md);
    /// repeat to merge several. Holders' did:key always resolve.
    #[arg(long = "trust-cache", value_name = "FILE", conflicts_with = "cache")]
    trust_caches: Vec<PathBuf>,
    /// A checkpoint cache directory synced from the chain (`crosscode checkpoint sync`): CC1
    /// codes are checked against its admitted authorities, their key histories and scopes, and
    /// its status entries, offline.
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
    /// With --cache: the oldest the synced cache may be, in seconds (e.g. 3600); an older one
    /// turns CC1 verdicts to REJECT at Status (STALE_TRUST_CACHE).
    #[arg(long = "max-age", value_name = "SECONDS", requires = "cache")]
    max_age: Option<u32>,
    /// This checkpoint's identifier: a CC1 presentation must name it as its audience.
    #[arg(long, value_name = "ID")]
    audience: Option<String>,
    /// Accept only dynamic CC1 presentations (a holder-signed 30-second time slot): a static
    /// code could be a screenshot.
    #[arg(long)]
    dynamic_only: bool,
    /// Require an anchor receipt beside every CC1 credential (`crosscode wallet present
    /// --anchor`), checked against the synced trust cache: a code without one is refused.
    #[arg(long)]
    require_anchor: bool,
    /// A CertLogic rule set (DCC-gateway rule JSON array, or {"rules":[…],"valueSets":{…}}).
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,
    /// A value-set file for the rules (repeatable): one EU DCC value set ({"valueSetId",
    /// "valueSetValues"}), an array of them, or {"<valueSetId>": [codes…]}; rules read the codes
    /// as external.valueSets.<valueSetId>.
    #[arg(long = "value-sets", value_name = "FILE", requires = "rules")]
    value_sets: Vec<PathBuf>,
    /// The checkpoint's country (ISO 3166-1 alpha-2): of the rules that name a Country, only
    /// this country's acceptance rules (and the issuing country's invalidation rules) apply.
    #[arg(long, value_name = "CC", requires = "rules")]
    country: Option<String>,
    /// The validation clock (RFC 3339; default: now).
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
    /// The QR text instead of an image (repeat for the chunks of a chunked SMART Health Card).
    #[arg(long, value_name = "PAYLOAD", conflicts_with = "image")]
    text: Vec<String>,
    /// A PNG or JPEG photo / screenshot of the QR code.
    #[arg(value_name = "IMAGE", required_unless_present = "text")]
    image: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum VerifyCommand {
    /// Run one EU DCC test-data file (dgc-testdata format): trusts only its
    /// TESTCTX.CERTIFICATE, uses TESTCTX.VALIDATIONCLOCK as now, and prints
    /// {"overall": "ACCEPT"|"REJECT", "steps": {UNPREFIX, B45DECODE, COMPRESSION, DECODE, VERIFY,
    /// VALIDJSON, SCHEMAVALIDATION, EXPIRATIONCHECK, KEYUSAGE, PICTUREDECODE}}. Exit 0 whenever
    /// the file could be read.
    #[command(verbatim_doc_comment)]
    DccTestfile {
        /// The test file.
        #[arg(value_name = "FILE.json")]
        file: PathBuf,
    },
}

/// Run `crosscode verify`.
pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    if let Some(VerifyCommand::DccTestfile { file }) = &args.command {
        return dcc_testfile_command(file);
    }
    let now = match &args.at {
        Some(at) => parse_clock(at).with_context(|| format!("--at {at:?}"))?,
        None => OffsetDateTime::now_utc(),
    };
    let mut trust = TrustStore::new();
    for path in &args.trust {
        let spec = path.to_string_lossy();
        let loaded = match spec.split_once('=') {
            Some((iss, file)) if iss.starts_with("https://") || iss.starts_with("http://") => trust
                .load_shc_file(iss, std::path::Path::new(file))
                .with_context(|| format!("trust file {file} for {iss}"))?,
            _ => trust
                .load_file(path)
                .with_context(|| format!("trust file {}", path.display()))?,
        };
        eprintln!("trust: {}: {loaded}", path.display());
    }
    for path in &args.shc_roots {
        let loaded = trust
            .load_shc_roots_file(path)
            .with_context(|| format!("SHC root file {}", path.display()))?;
        eprintln!("trust: {}: {loaded}", path.display());
    }
    let mut verifier = Verifier::new(trust);
    if args.shc_x509_validity {
        verifier = verifier.with_format(Box::new(SmartHealthCard::with_x5c_validity(
            X5cValidity::AtIssuance,
        )));
    }
    if args.audience.is_some() || args.dynamic_only || args.require_anchor || args.max_age.is_some()
    {
        verifier = verifier.with_format(Box::new(Cc1::with_policy(PresentationPolicy {
            audience: args.audience.clone(),
            require_dynamic: args.dynamic_only,
            require_anchor: args.require_anchor,
            max_trust_age: args
                .max_age
                .map(|seconds| time::Duration::seconds(seconds.into())),
            // A one-shot verification sees each code once; the gate page remembers.
            refuse_replays: false,
        })));
    }
    if let Some(dir) = &args.cache {
        let chain = ChainTrust::load(dir)
            .with_context(|| format!("{} is not a usable checkpoint cache", dir.display()))?;
        eprintln!(
            "trust: chain {} as of height {} ({} authorities, {} status entries)",
            chain.chain.chain_id,
            chain.height(),
            chain.issuers.len(),
            chain.status_count()
        );
        verifier = verifier.with_chain_trust(chain);
    }
    if !args.trust_caches.is_empty() {
        let cache = crate::trust_cache::load(&args.trust_caches)?;
        eprintln!("trust: {} Crosscode verification method(s)", cache.len());
        verifier = verifier.with_crosscode_trust(cache);
    }
    if let Some(path) = &args.rules {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let json: serde_json::Value = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not JSON", path.display()))?;
        let mut rules =
            RuleSet::from_json(&json).with_context(|| format!("rules {}", path.display()))?;
        for path in &args.value_sets {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            let json: serde_json::Value = serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not JSON", path.display()))?;
            let n = rules
                .add_value_sets(&json)
                .with_context(|| format!("value sets {}", path.display()))?;
            eprintln!("rules: {}: {n} value set(s)", path.display());
        }
        if let Some(country) = &args.country {
            rules = rules.for_checkpoint_in(country).context("--country")?;
        }
        verifier = verifier.with_rules(rules);
    }
    let report = if !args.text.is_empty() {
        let texts: Vec<&str> = args.text.iter().map(String::as_str).collect();
        verifier.verify_texts(&texts, now)
    } else if let Some(image) = &args.image {
        let bytes =
            std::fs::read(image).with_context(|| format!("cannot read {}", image.display()))?;
        verifier.verify_image(&bytes, now)
    } else {
        bail!("give an IMAGE or --text PAYLOAD");
    };
    let json = report.to_json();
    crate::key::print_line(&serde_json::to_string_pretty(&json)?)?;
    // One human-readable line beside the JSON report.
    eprintln!(
        "{} ({}) at {}: {}",
        json["verdict"].as_str().unwrap_or_default(),
        json["format"].as_str().unwrap_or("unknown format"),
        json["deciding_step"].as_str().unwrap_or_default(),
        json["reason"].as_str().unwrap_or_default()
    );
    Ok(if report.is_unusable_input() {
        ExitCode::from(2)
    } else if report.verdict() == Verdict::Accept {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn dcc_testfile_command(file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    // A file that was read but is not a JSON object has nothing that can pass.
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    let output = match dcc_testfile::run(&json, None) {
        Ok(outcome) => outcome.to_json(),
        Err(_) => serde_json::json!({
            "overall": Verdict::Reject,
            "steps": dcc_testfile::STEP_NAMES.iter().map(|n| (n.to_string(), serde_json::Value::Bool(false))).collect::<serde_json::Map<_, _>>(),
        }),
    };
    crate::key::print_line(&serde_json::to_string_pretty(&output)?)?;
    Ok(ExitCode::SUCCESS)
}
