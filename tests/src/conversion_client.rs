//! A hand-driven conversion client for the refusal tests: it fetches the terms, and builds a
//! request the way the wallet does — with core's derive and consent — but lets a test choose
//! what to disclose and who signs the consent, and send the request as it likes (twice, late,
//! altered). The wallet's own path is `crosscode_wallet_core::convert`.

use crosscode_core::crossborder::{
    ConversionChallenge, ConversionRequest, HolderDid, PseudonymousCredential, PublishedPolicy,
    RequestBody, STRUCTURAL_CLAIMS, SourceCredential,
};
use crosscode_core::data_integrity::bbs::{DeriveOptions, derive_credential};
use crosscode_core::did::{DidKey, TrustCache};
use crosscode_core::keys::{KeyAlgorithm, SecretKey, Signer};
use crosscode_core::vc::DateTimeStamp;
use crosscode_wallet_core::keystore::{Keystore, KeystoreSigner};
use crosscode_wallet_core::store::StoredCredential;
use serde_json::Value;
use time::OffsetDateTime;

use crate::jurisdictions::WorldError;

fn step<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> WorldError {
    move |err| WorldError::Step(format!("{what}: {err}"))
}

/// The policy in force and a fresh challenge.
#[derive(Debug, Clone)]
pub struct Terms {
    /// The published policy.
    pub published: PublishedPolicy,
    /// A challenge.
    pub challenge: ConversionChallenge,
}

/// Fetches the policy and a challenge from the conversion service at `url`.
pub async fn terms(url: &str) -> Result<Terms, WorldError> {
    let http = reqwest::Client::new();
    let published = http
        .get(format!("{url}/v1/conversion/policy"))
        .send()
        .await
        .map_err(step("the policy"))?
        .json()
        .await
        .map_err(step("the policy's JSON"))?;
    let challenge = http
        .post(format!("{url}/v1/conversion/challenges"))
        .send()
        .await
        .map_err(step("a challenge"))?
        .json()
        .await
        .map_err(step("the challenge's JSON"))?;
    Ok(Terms {
        published,
        challenge,
    })
}

/// How to build a request.
#[derive(Default)]
pub struct Crafting<'a> {
    /// Claims to disclose beyond the policy's (names under `credentialSubject`).
    pub extra_claims: &'a [&'a str],
    /// Claims of the policy not to disclose (names under `credentialSubject`).
    pub omitted_claims: &'a [&'a str],
    /// Who signs the consent instead of the source credential's holder key.
    pub consent_signer: Option<&'a dyn Signer>,
}

/// A fresh holder `did:key` (its private key is dropped: the tests never use it).
pub fn fresh_holder() -> Result<HolderDid, WorldError> {
    let did = DidKey::from_public_key(&SecretKey::generate(KeyAlgorithm::Ed25519).public_key());
    HolderDid::new(did.to_string()).map_err(step("a holder did:key"))
}

/// Builds a conversion request for `stored` (whose holder key is in `keystore`) under
/// `terms`, as `crafting` says.
pub fn craft(
    stored: &StoredCredential,
    keystore: &dyn Keystore,
    terms: &Terms,
    crafting: &Crafting<'_>,
    now: OffsetDateTime,
) -> Result<ConversionRequest, WorldError> {
    let policy = &terms.published.policy;
    let holder_key =
        KeystoreSigner::new(keystore, stored.key_handle.clone()).map_err(step("the holder key"))?;
    let issuer_keys =
        TrustCache::from_json(&stored.issuer_keys.to_string()).map_err(step("the issuer keys"))?;
    let mut reveal: Vec<String> = STRUCTURAL_CLAIMS.iter().map(|c| (*c).to_owned()).collect();
    reveal.extend(
        policy
            .claims
            .iter()
            .filter(|name| !crafting.omitted_claims.contains(&name.as_str()))
            .map(|name| format!("/credentialSubject/{}", name.as_str())),
    );
    reveal.extend(
        crafting
            .extra_claims
            .iter()
            .map(|name| format!("/credentialSubject/{name}")),
    );
    let derived = derive_credential(
        &stored.credential,
        &issuer_keys,
        &DeriveOptions {
            reveal,
            nonce: Some(terms.challenge.challenge.as_str().to_owned()),
            holder_key: Some(&holder_key),
        },
    )
    .map_err(step("deriving"))?;
    let anchor = stored
        .anchor
        .clone()
        .ok_or_else(|| WorldError::Step("no anchor receipt".into()))?;
    ConversionRequest::sign(
        RequestBody {
            policy_hash: terms.published.policy_hash,
            challenge: terms.challenge.challenge.clone(),
            source: SourceCredential {
                credential: PseudonymousCredential::new(derived).map_err(step("the guard"))?,
                anchor,
            },
            holder: fresh_holder()?,
        },
        &policy.issuer,
        crafting.consent_signer.unwrap_or(&holder_key),
        DateTimeStamp::from_instant(now),
    )
    .map_err(step("the consent"))
}

/// Posts `body` to `url`'s conversion route; answers the status and the JSON body.
pub async fn post_conversion(url: &str, body: &Value) -> Result<(u16, Value), WorldError> {
    let answer = reqwest::Client::new()
        .post(format!("{url}/v1/conversions"))
        .json(body)
        .send()
        .await
        .map_err(step("posting the request"))?;
    let status = answer.status().as_u16();
    Ok((status, answer.json().await.unwrap_or(Value::Null)))
}

/// The request of `body` (a request's JSON, altered by a test) with its consent signed anew
/// by `stored`'s holder key in `keystore` for `terms`' policy, at `signed_at`: what a holder
/// who alters their own request can send.
pub fn resign(
    body: Value,
    stored: &StoredCredential,
    keystore: &dyn Keystore,
    terms: &Terms,
    signed_at: OffsetDateTime,
) -> Result<ConversionRequest, WorldError> {
    let altered: ConversionRequest =
        serde_json::from_value(body).map_err(step("the altered request"))?;
    let holder_key =
        KeystoreSigner::new(keystore, stored.key_handle.clone()).map_err(step("the holder key"))?;
    ConversionRequest::sign(
        RequestBody {
            policy_hash: altered.policy_hash,
            challenge: altered.challenge,
            source: altered.source,
            holder: altered.holder,
        },
        &terms.published.policy.issuer,
        &holder_key,
        DateTimeStamp::from_instant(signed_at),
    )
    .map_err(step("the consent"))
}
