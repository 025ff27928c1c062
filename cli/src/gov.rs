//! `crosscode gov`: consortium governance. Members propose actions (admit, suspend, reinstate
//! or re-scope an authority issuer, change the validator set) and vote on them; an action takes
//! effect once the genesis threshold of members approved it (the proposer's approval counts).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use crosscode_core::keys::SecretKey;
use crosscode_did_registry::document::RegistryDid;
use crosscode_did_registry::governance::{GovernanceAction, IssuerScope};
use crosscode_did_registry::json::ValidatorJson;
use crosscode_did_registry::records::ProposalStatus;
use crosscode_registry_client::RegistryClient;
use serde_json::json;
use time::OffsetDateTime;

use crate::evidence::parse_registry_did;
use crate::input::parse_time;
use crate::key::print_line;
use crate::registry::{block_on, connect, open_chain_key, write_error};

/// Default voting period of a proposal, in blocks.
pub const DEFAULT_VOTING_PERIOD: u64 = 10_000;

/// Consortium governance: proposals and votes.
#[derive(Debug, Args)]
pub struct GovArgs {
    #[command(subcommand)]
    command: GovCommand,
}

#[derive(Debug, Subcommand)]
enum GovCommand {
    /// Propose a governance action as a consortium member and print {"proposal", "status",
    /// "closesHeight", "txHash", "height"} once committed (status "executed" when the
    /// threshold is 1; closesHeight is the last height at which votes count).
    ///
    /// Example: CROSSCODE_PASSPHRASE='…' crosscode gov propose --key member.key --node http://127.0.0.1:8080 admit-issuer did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB --types HealthCode,NucleicAcidTestResult --jurisdiction CN-GD
    #[command(verbatim_doc_comment)]
    Propose(ProposeArgs),
    /// Vote on an open proposal as a consortium member and print {"proposal", "approve",
    /// "status", "txHash", "height"} once committed (status "executed" when this vote reached
    /// the threshold).
    ///
    /// Example: CROSSCODE_PASSPHRASE='…' crosscode gov vote --key member2.key --node http://127.0.0.1:8080 0 --approve
    #[command(verbatim_doc_comment)]
    Vote(VoteArgs),
}

#[derive(Debug, Args)]
struct MemberArgs {
    /// The member's governance key file.
    #[arg(long, value_name = "KEYFILE")]
    key: PathBuf,
    /// The member DID, when it is not the one derived from the key.
    #[arg(long, value_name = "DID", value_parser = parse_registry_did)]
    did: Option<RegistryDid>,
    /// The registry node's base URL.
    #[arg(long, value_name = "URL")]
    node: String,
}

#[derive(Debug, Args)]
struct ProposeArgs {
    #[command(flatten)]
    member: MemberArgs,
    /// Blocks the proposal stays open for votes (at most the genesis maximum).
    #[arg(long = "voting-period", value_name = "BLOCKS", default_value_t = DEFAULT_VOTING_PERIOD)]
    voting_period: u64,
    #[command(subcommand)]
    action: ActionCommand,
}

#[derive(Debug, Args)]
struct ScopeArgs {
    /// Credential types the issuer may issue, comma separated (e.g. HealthCode,VaccinationCertificate).
    #[arg(long, value_name = "TYPE,…", value_delimiter = ',', required = true)]
    types: Vec<String>,
    /// The issuer's jurisdiction code (e.g. CN-GD, MO, HK).
    #[arg(long, value_name = "CODE")]
    jurisdiction: String,
    /// Start of the validity window, RFC 3339 (default: now).
    #[arg(long = "not-before", value_name = "RFC3339", value_parser = parse_time)]
    not_before: Option<OffsetDateTime>,
    /// End of the validity window (exclusive), RFC 3339 (default: no end).
    #[arg(long = "not-after", value_name = "RFC3339", value_parser = parse_time)]
    not_after: Option<OffsetDateTime>,
}

#[derive(Debug, Subcommand)]
enum ActionCommand {
    /// Admit a registered DID as an authority issuer with a scope.
    AdmitIssuer {
        /// The issuer DID.
        #[arg(value_name = "DID", value_parser = parse_registry_did)]
        issuer: RegistryDid,
        #[command(flatten)]
        scope: ScopeArgs,
    },
    /// Replace an admitted issuer's scope.
    RescopeIssuer {
        /// The issuer DID.
        #[arg(value_name = "DID", value_parser = parse_registry_did)]
        issuer: RegistryDid,
        #[command(flatten)]
        scope: ScopeArgs,
    },
    /// Suspend an admitted issuer (it can no longer anchor evidence or register schemas).
    SuspendIssuer {
        /// The issuer DID.
        #[arg(value_name = "DID", value_parser = parse_registry_did)]
        issuer: RegistryDid,
    },
    /// Lift an issuer's suspension.
    ReinstateIssuer {
        /// The issuer DID.
        #[arg(value_name = "DID", value_parser = parse_registry_did)]
        issuer: RegistryDid,
    },
    /// Replace the validator set with the validators of a JSON file: an array of
    /// {"algorithm": "Ed25519"|"SM2", "publicKey": "<hex>", "power": N}.
    SetValidators {
        /// The JSON file.
        #[arg(long, value_name = "FILE")]
        validators: PathBuf,
    },
}

#[derive(Debug, Args)]
struct VoteArgs {
    #[command(flatten)]
    member: MemberArgs,
    /// The proposal number.
    #[arg(value_name = "PROPOSAL")]
    proposal: u64,
    /// Approve the proposal.
    #[arg(long, conflicts_with = "reject", required_unless_present = "reject")]
    approve: bool,
    /// Reject the proposal.
    #[arg(long)]
    reject: bool,
}

fn unix_seconds(instant: OffsetDateTime, what: &str) -> anyhow::Result<u64> {
    u64::try_from(instant.unix_timestamp()).with_context(|| format!("{what} is before 1970"))
}

fn scope_of(args: ScopeArgs) -> anyhow::Result<IssuerScope> {
    let valid_from = unix_seconds(
        args.not_before.unwrap_or_else(OffsetDateTime::now_utc),
        "--not-before",
    )?;
    let valid_until = match args.not_after {
        Some(instant) => unix_seconds(instant, "--not-after")?,
        None => u64::MAX,
    };
    let scope = IssuerScope {
        credential_types: args.types,
        jurisdiction: args.jurisdiction,
        valid_from,
        valid_until,
    };
    scope
        .check()
        .map_err(|reason| anyhow::anyhow!("invalid scope: {reason}"))?;
    Ok(scope)
}

fn action_of(command: ActionCommand) -> anyhow::Result<GovernanceAction> {
    Ok(match command {
        ActionCommand::AdmitIssuer { issuer, scope } => GovernanceAction::AdmitIssuer {
            issuer,
            scope: scope_of(scope)?,
        },
        ActionCommand::RescopeIssuer { issuer, scope } => GovernanceAction::RescopeIssuer {
            issuer,
            scope: scope_of(scope)?,
        },
        ActionCommand::SuspendIssuer { issuer } => GovernanceAction::SuspendIssuer { issuer },
        ActionCommand::ReinstateIssuer { issuer } => GovernanceAction::ReinstateIssuer { issuer },
        ActionCommand::SetValidators { validators } => {
            let text = std::fs::read_to_string(&validators)
                .with_context(|| format!("cannot read {}", validators.display()))?;
            let list: Vec<ValidatorJson> = serde_json::from_str(&text).with_context(|| {
                format!("{} is not a JSON array of validators", validators.display())
            })?;
            let validators = list
                .iter()
                .map(ValidatorJson::to_validator)
                .collect::<Result<Vec<_>, _>>()
                .context("invalid validator")?;
            GovernanceAction::SetValidators { validators }
        }
    })
}

fn status_name(status: ProposalStatus) -> &'static str {
    match status {
        ProposalStatus::Open => "open",
        ProposalStatus::Executed => "executed",
        ProposalStatus::Rejected => "rejected",
    }
}

/// A client of the member's node and the member's governance key.
async fn member(member: &MemberArgs) -> anyhow::Result<(RegistryClient, SecretKey)> {
    let (client, chain) = connect(&member.node).await?;
    let key = open_chain_key(&member.key, chain.profile)?;
    Ok((client, key))
}

fn propose(args: ProposeArgs) -> anyhow::Result<ExitCode> {
    let action = action_of(args.action)?;
    let report = block_on(async {
        let (client, key) = member(&args.member).await?;
        let proposed = client
            .propose(&key, args.member.did.as_ref(), action, args.voting_period)
            .await
            .map_err(write_error)
            .context("cannot propose")?;
        let height = proposed.committed.height;
        let record = client
            .proposal(proposed.id, Some(height))
            .await
            .with_context(|| format!("cannot read proposal {}", proposed.id))?
            .with_context(|| format!("proposal {} is not in the state", proposed.id))?;
        anyhow::Ok(json!({
            "proposal": proposed.id,
            "status": status_name(proposed.status),
            "closesHeight": record.closes_height,
            "txHash": hex::encode(proposed.committed.hash),
            "height": height,
        }))
    })??;
    print_line(&serde_json::to_string_pretty(&report)?)?;
    Ok(ExitCode::SUCCESS)
}

fn vote(args: VoteArgs) -> anyhow::Result<ExitCode> {
    let approve = args.approve && !args.reject;
    let report = block_on(async {
        let (client, key) = member(&args.member).await?;
        let voted = client
            .vote(&key, args.member.did.as_ref(), args.proposal, approve)
            .await
            .map_err(write_error)
            .with_context(|| format!("cannot vote on proposal {}", args.proposal))?;
        anyhow::Ok(json!({
            "proposal": args.proposal,
            "approve": approve,
            "status": status_name(voted.status),
            "txHash": hex::encode(voted.committed.hash),
            "height": voted.committed.height,
        }))
    })??;
    print_line(&serde_json::to_string_pretty(&report)?)?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `crosscode gov …`.
pub fn run(args: GovArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        GovCommand::Propose(propose_args) => propose(propose_args),
        GovCommand::Vote(vote_args) => vote(vote_args),
    }
}
