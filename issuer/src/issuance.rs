//! Issuance: from an unsigned credential (or a subject record) to a secured health credential.
//!
//! What the issuer adds and checks, in this order — everything before signing, so a refused
//! request signs nothing and allocates nothing:
//! 1. the credential is a JSON object without `id`, `proof`, `credentialStatus`,
//!    `credentialSchema` or `evidence` (the issuer sets them: [`IssueError::IssuerSetsMember`]);
//!    its first `@context` is `https://www.w3.org/ns/credentials/v2`;
//! 2. `issuer` is absent (set to the authority's DID) or the authority's DID
//!    ([`IssueError::IssuerMismatch`]);
//! 3. `type` is `["VerifiableCredential", T]` with `T` a credential type the service is
//!    configured for **and** the authority's admitted scope covers
//!    ([`IssueError::TypeOutsideScope`]);
//! 4. `credentialSubject.id` is the holder's `did:key` ([`IssueError::HolderNotDidKey`]);
//!    `credentialSubject.jurisdiction` is absent (set) or the authority's
//!    ([`IssueError::JurisdictionMismatch`]);
//! 5. `validFrom` defaults to now and `validUntil` to now + the configured validity;
//! 6. the issuer sets `id` (`urn:crosscode:credential:<32 hex digits>`, 128 random bits),
//!    `credentialSchema` (`{base}/schemas/<hex>` where `<hex>` is the schema's key on the
//!    chain), `credentialStatus` (a revocation and a suspension Bitstring Status List entry at
//!    one random index, [`crate::status`]) and `evidence` (the anchor entry below);
//! 7. it signs with the chosen suites (default: a proof set of `sm2-jcs-2026` and
//!    `eddsa-jcs-2022` with the keys the authority holds), each proof alone valid;
//! 8. it computes the credential hash ([`crosscode_did_registry::evidence`]) that the anchor
//!    commits to.
//!
//! The first `evidence` entry names the anchor — the chain, the issuer whose anchor it is, and for a
//! batch its id:
//!
//! ```json
//! {"type": ["CrosscodeChainAnchor"], "chain": "crosscode-dev",
//!  "anchoredBy": "did:crosscode:dev:…", "batch": "urn:crosscode:batch:…"}
//! ```

use crosscode_core::data_integrity::Cryptosuite;
use crosscode_core::did::DidKey;
use crosscode_core::vc::{
    Credential, DateTimeStamp, ProofKey, SecuringError, VC_V2_CONTEXT, issue_document,
};
use crosscode_did_registry::evidence::credential_hash;
use rand::RngCore;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::authority::{Authority, CredentialKey};
use crate::schemas::Schemas;

/// The `type` of the evidence entry naming a credential's anchor.
pub const ANCHOR_EVIDENCE_TYPE: &str = "CrosscodeChainAnchor";

/// The VC-API `options` of an issuance request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssueOptions {
    /// The suites to sign with (`sm2-jcs-2026`, `eddsa-jcs-2022`, `bbs-jcs-2026`); default: a
    /// proof set of the SM2 and Ed25519 suites the authority holds keys for.
    #[serde(default)]
    pub cryptosuites: Option<Vec<String>>,
    /// Evidence entries the issuer adds after its anchor entry (a converted credential's
    /// provenance, [`crate::conversion`]); never taken from a request.
    #[serde(skip)]
    pub provenance: Vec<Value>,
}

/// Why a credential was not issued. Messages name the member or the type at fault, never a
/// claim's value.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The credential is not a JSON object, or a member has the wrong shape.
    #[error("invalid credential: {0}")]
    InvalidCredential(&'static str),
    /// The request sets a member only the issuer sets.
    #[error("the issuer sets `{member}`; leave it out of the request")]
    IssuerSetsMember {
        /// The member.
        member: &'static str,
    },
    /// `issuer` names another DID.
    #[error("`issuer` is not this authority")]
    IssuerMismatch,
    /// The credential type is not one the service issues within its admitted scope.
    #[error("credential type {credential_type} is outside this authority's scope")]
    TypeOutsideScope {
        /// The type (at most 64 characters of it).
        credential_type: String,
    },
    /// `credentialSubject.id` is not a `did:key`.
    #[error("credentialSubject.id must be the holder's did:key")]
    HolderNotDidKey,
    /// `credentialSubject.jurisdiction` names another jurisdiction.
    #[error("credentialSubject.jurisdiction is not this authority's jurisdiction")]
    JurisdictionMismatch,
    /// A requested suite is unknown or the authority holds no key for it.
    #[error("cryptosuite {suite} is not available")]
    SuiteUnavailable {
        /// The suite name (at most 64 characters of it).
        suite: String,
    },
    /// No suite was requested.
    #[error("no cryptosuite requested")]
    NoSuite,
    /// The status list allocation failed.
    #[error("status: {0}")]
    Status(String),
    /// Signing failed.
    #[error("signing: {0}")]
    Signing(#[from] SecuringError),
    /// The secured credential cannot be canonicalized for its hash.
    #[error("credential hash: {0}")]
    Hash(String),
}

/// A secured credential and what the issuer keeps about it.
#[derive(Debug, Clone)]
pub struct SecuredCredential {
    /// The secured credential (JSON).
    pub credential: Value,
    /// Its `id`.
    pub id: String,
    /// Its credential type.
    pub credential_type: String,
    /// Its credential hash (what the anchor commits to).
    pub hash: [u8; 32],
}

/// Everything issuance needs besides the request: who signs, where things are published.
#[derive(Debug, Clone)]
pub struct IssuanceContext {
    /// The authority.
    pub authority: Authority,
    /// The service's public base URL (status lists, schemas), without a trailing `/`.
    pub base_url: String,
    /// The registered schemas of the configured credential types.
    pub schemas: Schemas,
    /// How long a credential is valid by default (seconds).
    pub validity_seconds: i64,
}

/// The member checks and defaults of steps 1–5; answers the credential type.
fn check_request(
    ctx: &IssuanceContext,
    credential: &mut Map<String, Value>,
    now: OffsetDateTime,
) -> Result<String, IssueError> {
    for member in [
        "id",
        "proof",
        "credentialStatus",
        "credentialSchema",
        "evidence",
    ] {
        if credential.contains_key(member) {
            return Err(IssueError::IssuerSetsMember { member });
        }
    }
    match credential.get("@context").and_then(Value::as_array) {
        Some(contexts) if contexts.first().and_then(Value::as_str) == Some(VC_V2_CONTEXT) => {}
        _ => {
            return Err(IssueError::InvalidCredential(
                "@context must start with https://www.w3.org/ns/credentials/v2",
            ));
        }
    }
    let authority = &ctx.authority;
    match credential.get("issuer") {
        None => {
            credential.insert("issuer".into(), json!(authority.did.as_str()));
        }
        Some(Value::String(issuer)) if issuer == authority.did.as_str() => {}
        Some(Value::Object(issuer))
            if issuer.get("id").and_then(Value::as_str) == Some(authority.did.as_str()) => {}
        Some(_) => return Err(IssueError::IssuerMismatch),
    }
    let types: Vec<&str> = match credential.get("type") {
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).collect(),
        _ => return Err(IssueError::InvalidCredential("type must be an array")),
    };
    let credential_type = match types.as_slice() {
        ["VerifiableCredential", credential_type] => (*credential_type).to_owned(),
        _ => {
            return Err(IssueError::InvalidCredential(
                "type must be [\"VerifiableCredential\", T]",
            ));
        }
    };
    if ctx.schemas.get(&credential_type).is_none()
        || !authority.scope.credential_types.contains(&credential_type)
    {
        return Err(IssueError::TypeOutsideScope {
            credential_type: credential_type.chars().take(64).collect(),
        });
    }
    let subject = credential
        .get_mut("credentialSubject")
        .and_then(Value::as_object_mut)
        .ok_or(IssueError::InvalidCredential(
            "credentialSubject must be one object",
        ))?;
    let holder = subject
        .get("id")
        .and_then(Value::as_str)
        .ok_or(IssueError::HolderNotDidKey)?;
    DidKey::parse_str(holder).map_err(|_| IssueError::HolderNotDidKey)?;
    match subject.get("jurisdiction") {
        None => {
            subject.insert(
                "jurisdiction".into(),
                json!(authority.scope.jurisdiction.as_str()),
            );
        }
        Some(Value::String(jurisdiction)) if *jurisdiction == authority.scope.jurisdiction => {}
        Some(_) => return Err(IssueError::JurisdictionMismatch),
    }
    if !credential.contains_key("validFrom") {
        credential.insert(
            "validFrom".into(),
            json!(DateTimeStamp::from_instant(now).as_str()),
        );
    }
    if !credential.contains_key("validUntil") {
        let until = now + time::Duration::seconds(ctx.validity_seconds);
        credential.insert(
            "validUntil".into(),
            json!(DateTimeStamp::from_instant(until).as_str()),
        );
    }
    Ok(credential_type)
}

/// The keys of the requested suites (see [`IssueOptions::cryptosuites`]).
fn proof_keys<'a>(
    authority: &'a Authority,
    options: &IssueOptions,
) -> Result<Vec<(&'a CredentialKey, Cryptosuite)>, IssueError> {
    let requested: Vec<Cryptosuite> = match &options.cryptosuites {
        Some(names) => names
            .iter()
            .map(|name| {
                Cryptosuite::from_name(name).ok_or_else(|| IssueError::SuiteUnavailable {
                    suite: name.chars().take(64).collect(),
                })
            })
            .collect::<Result<_, _>>()?,
        None => [Cryptosuite::Sm2Jcs2026, Cryptosuite::EddsaJcs2022]
            .into_iter()
            .filter(|suite| key_for(authority, *suite).is_some())
            .collect(),
    };
    if requested.is_empty() {
        return Err(IssueError::NoSuite);
    }
    let mut keys = Vec::with_capacity(requested.len());
    for suite in requested {
        if keys.iter().any(|(_, chosen)| *chosen == suite) {
            continue;
        }
        let key = key_for(authority, suite).ok_or_else(|| IssueError::SuiteUnavailable {
            suite: suite.name().to_owned(),
        })?;
        keys.push((key, suite));
    }
    Ok(keys)
}

fn key_for(authority: &Authority, suite: Cryptosuite) -> Option<&CredentialKey> {
    match suite {
        Cryptosuite::EddsaJcs2022 => authority.ed25519.as_ref(),
        Cryptosuite::Sm2Jcs2026 => authority.sm2.as_ref(),
        Cryptosuite::BbsJcs2026 => authority.bbs.as_ref(),
        // P-256 keys are holders' keys: an authority has none.
        Cryptosuite::EcdsaJcs2019 => None,
    }
}

/// A fresh credential id of 128 random bits.
pub fn new_credential_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("urn:crosscode:credential:{}", hex::encode(bytes))
}

/// What the issuer adds to a checked request besides the proofs.
#[derive(Debug, Clone)]
pub struct IssuerMembers {
    /// The credential id ([`new_credential_id`]).
    pub id: String,
    /// The `credentialStatus` entries.
    pub status: Vec<Value>,
    /// The batch id when the credential is issued in a batch.
    pub batch: Option<String>,
}

/// Steps 1–5 of the module documentation and the suites of `options`: checks `request` and
/// answers the credential type. Nothing is allocated or signed; call it before [`secure`].
pub fn check(
    ctx: &IssuanceContext,
    request: &Value,
    options: &IssueOptions,
    now: OffsetDateTime,
) -> Result<(Map<String, Value>, String), IssueError> {
    proof_keys(&ctx.authority, options)?;
    let mut credential = request
        .as_object()
        .cloned()
        .ok_or(IssueError::InvalidCredential(
            "credential must be an object",
        ))?;
    let credential_type = check_request(ctx, &mut credential, now)?;
    Ok((credential, credential_type))
}

/// Steps 6–8: adds the issuer's members to a credential [`check`] accepted, signs it with the
/// suites of `options` and hashes it.
pub fn secure(
    ctx: &IssuanceContext,
    mut credential: Map<String, Value>,
    credential_type: String,
    members: IssuerMembers,
    options: &IssueOptions,
    now: OffsetDateTime,
) -> Result<SecuredCredential, IssueError> {
    let keys = proof_keys(&ctx.authority, options)?;
    let authority = &ctx.authority;
    let schema = ctx
        .schemas
        .get(&credential_type)
        .ok_or_else(|| IssueError::TypeOutsideScope {
            credential_type: credential_type.chars().take(64).collect(),
        })?;
    credential.insert("id".into(), json!(members.id));
    credential.insert(
        "credentialSchema".into(),
        json!({"id": format!("{}/schemas/{}", ctx.base_url, hex::encode(schema)), "type": "JsonSchema"}),
    );
    credential.insert("credentialStatus".into(), Value::Array(members.status));
    let mut evidence = json!({
        "type": [ANCHOR_EVIDENCE_TYPE],
        "chain": authority.chain_id,
        "anchoredBy": authority.did.as_str(),
    });
    if let (Some(batch), Some(entry)) = (&members.batch, evidence.as_object_mut()) {
        entry.insert("batch".into(), json!(batch));
    }
    let mut entries = vec![evidence];
    entries.extend(options.provenance.iter().cloned());
    credential.insert("evidence".into(), Value::Array(entries));
    let unsigned = Credential::from_value(&Value::Object(credential))
        .map_err(|_| IssueError::InvalidCredential("not a VC 2.0 credential"))?;
    let proof_keys: Vec<ProofKey<'_>> = keys
        .iter()
        .map(|(key, suite)| ProofKey {
            signer: key.signer.as_ref(),
            verification_method: key.method.clone(),
            cryptosuite: Some(*suite),
        })
        .collect();
    let secured = issue_document(&unsigned, &proof_keys, Some(now))?;
    let hash = credential_hash(authority.profile, &secured)
        .map_err(|err| IssueError::Hash(err.to_string()))?;
    Ok(SecuredCredential {
        credential: secured,
        id: members.id,
        credential_type,
        hash,
    })
}
