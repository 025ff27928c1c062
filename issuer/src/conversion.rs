//! Cross-border conversion, the converting authority's side (`docs/conversion.md`): a
//! [`ConversionDesk`] publishes the authority's conversion policy (its hash anchored on the
//! chain), hands out single-use challenges, and converts a holder's request into a credential
//! of this jurisdiction — after checking it against the chain **alone** (a [`TrustFollower`]
//! synced after the request arrived; never a call to the source jurisdiction).
//!
//! Before deciding, the desk requires the synced chain to be fresh: its last certified block
//! at most [`MAX_TRUST_LAG`] old (`TRUST_UNAVAILABLE` otherwise), so a node that withholds
//! blocks cannot hide a revocation.
//!
//! A refused request issues nothing and anchors nothing: every check
//! ([`crosscode_verifier::conversion::check_request`]) runs before signing. The converted
//! credential (C_B) carries the policy's claims (its `jurisdiction` this authority's), is
//! issued to the request's fresh holder `did:key`, does not outlive the source credential,
//! and records its provenance as a second `evidence` entry:
//!
//! ```json
//! {"type": ["CrosscodeConversion"], "sourceIssuer": "did:crosscode:…",
//!  "sourceCredentialHash": "<64 hex>",
//!  "sourceAnchor": {"merkleRoot": "<64 hex>", "height": 12, "transaction": "<64 hex>"},
//!  "policy": "<64 hex>", "decidedAt": "2026-12-06T10:00:00Z"}
//! ```

mod challenges;

use std::sync::Arc;

use crosscode_core::crossborder::{
    ConversionChallenge, ConversionPolicy, ConversionRequest, ConversionResponse, Digest,
    PseudonymousCredential, PublishedPolicy, RefusalCode, Timestamp,
};
use crosscode_core::vc::{DateTimeStamp, VC_V2_CONTEXT};
use crosscode_did_registry::proof::TrustedChain;
use crosscode_did_registry::records::Namespace;
use crosscode_registry_client::RegistryClient;
use crosscode_verifier::conversion::{ConversionTerms, Refusal, check_request};
use crosscode_verifier::rules::RuleSet;
use crosscode_verifier::sync::follower::TrustFollower;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::issuance::IssueOptions;
use crate::service::{IssuerService, ServiceError};
use crate::wallet_routes::wallet_suites;
use challenges::{ChallengeBook, ChallengeRefused};

/// How old the chain's last certified block may be when a request is decided (the dev and
/// production nodes make a heartbeat block every few seconds when idle).
pub const MAX_TRUST_LAG: time::Duration = time::Duration::minutes(2);

/// The `type` of a converted credential's provenance entry in `evidence`.
pub const CONVERSION_EVIDENCE_TYPE: &str = "CrosscodeConversion";

/// Why a conversion desk could not open.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The policy is not this authority's, or names a type it does not issue.
    #[error("the conversion policy does not fit this authority: {0}")]
    PolicyMismatch(&'static str),
    /// The policy's rules are not a CertLogic rule set.
    #[error("the conversion policy's rules: {0}")]
    Rules(String),
    /// The policy has no JCS form.
    #[error("the conversion policy cannot be hashed: {0}")]
    Hash(String),
    /// Anchoring the policy's hash failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The chain follower could not start.
    #[error("the chain follower could not start: {0}")]
    Follower(std::io::Error),
}

/// The converting authority's desk (see the module documentation).
#[derive(Debug)]
pub struct ConversionDesk {
    policy: ConversionPolicy,
    policy_hash: Digest,
    anchored_at: u64,
    rules: RuleSet,
    follower: TrustFollower,
    challenges: ChallengeBook,
}

impl ConversionDesk {
    /// Opens the desk of `service` with `policy`: checks the policy fits the authority,
    /// anchors its hash unless the chain holds it already, and starts following the chain of
    /// `client` under the validator set `pinned`.
    pub async fn open(
        service: &IssuerService,
        policy: ConversionPolicy,
        client: RegistryClient,
        pinned: TrustedChain,
    ) -> Result<ConversionDesk, DeskError> {
        let authority = service.authority();
        if policy.issuer.as_str() != authority.did.as_str() {
            return Err(DeskError::PolicyMismatch("its issuer is another DID"));
        }
        if policy.jurisdiction.as_str() != authority.scope.jurisdiction {
            return Err(DeskError::PolicyMismatch(
                "its jurisdiction is not the authority's",
            ));
        }
        if service
            .context()
            .schemas
            .get(policy.issues.as_str())
            .is_none()
        {
            return Err(DeskError::PolicyMismatch(
                "it issues a type this service is not configured for",
            ));
        }
        if !policy
            .claims
            .iter()
            .any(|claim| claim.as_str() == "jurisdiction")
        {
            return Err(DeskError::PolicyMismatch(
                "its claims must name `jurisdiction` (the source issuer's scope is checked against it)",
            ));
        }
        let rules = RuleSet::from_json(policy.rules.as_value())
            .map_err(|err| DeskError::Rules(err.to_string()))?;
        let policy_hash = policy
            .hash()
            .map_err(|err| DeskError::Hash(err.to_string()))?;
        let on_chain = client
            .state(Namespace::Evidence, &policy_hash.0, false, None)
            .await
            .map_err(|err| ServiceError::Anchor(err.into()))?;
        let anchored_at = match on_chain.value {
            Some(_) => on_chain.height,
            None => {
                service
                    .writer()
                    .anchor_single(&policy_hash.0)
                    .await
                    .map_err(ServiceError::Anchor)?
                    .height
            }
        };
        let follower = TrustFollower::start(client, pinned, None).map_err(DeskError::Follower)?;
        Ok(ConversionDesk {
            challenges: ChallengeBook::new(time::Duration::seconds(i64::from(
                policy.challenge_seconds,
            ))),
            policy,
            policy_hash,
            anchored_at,
            rules,
            follower,
        })
    }

    /// The policy in force, its hash and its anchor's height.
    pub fn published(&self) -> PublishedPolicy {
        PublishedPolicy {
            policy: self.policy.clone(),
            policy_hash: self.policy_hash,
            anchored_at: self.anchored_at,
        }
    }

    /// A fresh single-use challenge, good from `now` for the policy's challenge time.
    pub fn challenge(&self, now: OffsetDateTime) -> Result<ConversionChallenge, Refusal> {
        let (challenge, expires_at) = self.challenges.issue(now).map_err(|_| {
            Refusal::new(
                RefusalCode::TrustUnavailable,
                "too many challenges outstanding; try again shortly",
            )
        })?;
        Ok(ConversionChallenge {
            challenge,
            expires_at: Timestamp(DateTimeStamp::from_instant(expires_at)),
            policy_hash: self.policy_hash,
        })
    }

    /// Converts `request` at `now` (see the module documentation): the challenge is used up
    /// whatever the outcome.
    pub async fn convert(
        &self,
        service: &IssuerService,
        request: &ConversionRequest,
        now: OffsetDateTime,
    ) -> Result<ConversionResponse, Refusal> {
        self.challenges
            .redeem(&request.challenge, now)
            .map_err(|refused| match refused {
                ChallengeRefused::Unknown => Refusal::new(
                    RefusalCode::ChallengeUnknown,
                    "this service did not issue the challenge",
                ),
                ChallengeRefused::Used => Refusal::new(
                    RefusalCode::ChallengeReplayed,
                    "the challenge was used already",
                ),
                ChallengeRefused::Expired => Refusal::new(
                    RefusalCode::ChallengeExpired,
                    "the challenge expired; fetch a new one",
                ),
                ChallengeRefused::Full => Refusal::new(
                    RefusalCode::TrustUnavailable,
                    "too many challenges outstanding",
                ),
            })?;
        let trust = self
            .follower
            .fresh()
            .await
            .map_err(|err| Refusal::new(RefusalCode::TrustUnavailable, err.to_string()))?;
        // A node that withholds blocks would hide revocations: the chain's last certified
        // block must be recent (the chain makes heartbeat blocks when idle).
        let lag = now.unix_timestamp() - i64::try_from(trust.time()).unwrap_or(i64::MAX);
        if lag > MAX_TRUST_LAG.whole_seconds() {
            return Err(Refusal::new(
                RefusalCode::TrustUnavailable,
                format!(
                    "the chain's last certified block is {lag} s old (at most {} s); the node may be withholding blocks",
                    MAX_TRUST_LAG.whole_seconds()
                ),
            ));
        }
        let terms = ConversionTerms {
            policy: &self.policy,
            policy_hash: self.policy_hash,
            rules: &self.rules,
        };
        let accepted = check_request(request, terms, &trust, now)?;

        let authority = service.authority();
        let mut subject = Map::new();
        subject.insert("id".into(), json!(request.holder.as_str()));
        subject.insert("type".into(), json!(self.policy.issues.as_str()));
        subject.insert(
            "jurisdiction".into(),
            json!(authority.scope.jurisdiction.as_str()),
        );
        for (name, value) in accepted.claims {
            subject.entry(name).or_insert(value);
        }
        let validity = time::Duration::seconds(service.context().validity_seconds);
        let until = accepted
            .valid_until
            .as_ref()
            .map(DateTimeStamp::instant)
            .map_or(now + validity, |source| source.min(now + validity));
        let unsigned = json!({
            "@context": [VC_V2_CONTEXT],
            "type": ["VerifiableCredential", self.policy.issues.as_str()],
            "validFrom": DateTimeStamp::from_instant(now).as_str(),
            "validUntil": DateTimeStamp::from_instant(until).as_str(),
            "credentialSubject": Value::Object(subject),
        });
        let provenance = json!({
            "type": [CONVERSION_EVIDENCE_TYPE],
            "sourceIssuer": accepted.issuer.as_str(),
            "sourceCredentialHash": hex::encode(accepted.credential_hash),
            "sourceAnchor": {
                "merkleRoot": hex::encode(accepted.anchor_root),
                "height": accepted.anchor_height,
                "transaction": accepted.anchor_transaction,
            },
            "policy": hex::encode(self.policy_hash.0),
            "decidedAt": DateTimeStamp::from_instant(now).as_str(),
        });
        let options = IssueOptions {
            cryptosuites: Some(
                wallet_suites(service)
                    .iter()
                    .map(|suite| suite.name().to_owned())
                    .collect(),
            ),
            provenance: vec![provenance],
        };
        let issued = service.issue(unsigned, options).await.map_err(|err| {
            Refusal::new(
                RefusalCode::IssuanceFailed,
                format!("the converted credential could not be issued: {err}"),
            )
        })?;
        let credential = PseudonymousCredential::new(issued.verifiable_credential)
            .map_err(|err| Refusal::new(RefusalCode::IssuanceFailed, err.to_string()))?;
        Ok(ConversionResponse {
            credential,
            anchor: issued.anchor,
        })
    }

    /// The chain follower (its last synced trust says how fresh the desk's view is).
    pub fn follower(&self) -> &TrustFollower {
        &self.follower
    }
}

/// A shared desk.
pub type SharedDesk = Arc<ConversionDesk>;
