//! Converting a stored credential into one of another jurisdiction (`docs/conversion.md`,
//! the wallet's side), with the holder's consent:
//!
//! 1. `GET {service}/v1/conversion/policy`: the policy, whose hash the wallet recomputes
//!    ([`ConvertError::PolicyHashMismatch`]); the stored credential must be one the policy
//!    accepts ([`ConvertError::NotAccepted`]), with a BBS proof to disclose only some claims
//!    ([`ConvertError::NotSelective`]) and the anchor receipt its issuer gave
//!    ([`ConvertError::NoAnchorReceipt`]);
//! 2. `POST {service}/v1/conversion/challenges`: a single-use challenge for that policy;
//! 3. a fresh holder key for the converted credential (one `did:key` per credential);
//! 4. a `bbs-jcs-2026`-derived credential revealing only the structural claims and the
//!    policy's, with the challenge as its nonce and bound to the stored credential's holder
//!    key; core's egress guard ([`PseudonymousCredential`]) checks it holds no personal claim
//!    and no claim the policy does not name — before anything is sent;
//! 5. the consent, signed by the stored credential's holder key, and `POST
//!    {service}/v1/conversions`; a refusal is [`ConvertError::Refused`] with its stable code;
//! 6. the converted credential is verified on arrival like a received one (about the new
//!    holder key, every proof with the converting authority's keys from the app's trust).
//!
//! [`prepare`] runs steps 1–5 up to the `POST`, [`PreparedConversion::send`] the rest (an app
//! may build the request first and send it when the traveller confirms; `Wallet::convert`
//! runs both).
//! Any failure after step 3 deletes the new key, as does dropping an unsent request; nothing
//! is stored.

use std::sync::Arc;

use crosscode_core::anchor::AnchorReceipt;
use crosscode_core::crossborder::{
    ConsentError, ConversionChallenge, ConversionRefusal, ConversionRequest, ConversionResponse,
    CrossingError, HolderDid, PseudonymousCredential, PublishedPolicy, RefusalCode, RequestBody,
    STRUCTURAL_CLAIMS, SourceCredential,
};
use crosscode_core::data_integrity::bbs::{self, DeriveOptions, SelectiveDisclosureError};
use crosscode_core::did::{KeyResolver, TrustCache};
use crosscode_core::keys::KeyAlgorithm;
use crosscode_core::vc::DateTimeStamp;
use serde::de::DeserializeOwned;

use serde_json::Value;
use time::OffsetDateTime;

use crate::keystore::{KeyHandle, Keystore, KeystoreError, KeystoreSigner};
use crate::present::{claim_pointer, has_bbs_proof};
use crate::receive::{ReceiveError, verify_on_arrival};
use crate::transport::{HttpRequest, HttpResponse, Transport, TransportError};

/// Why a conversion failed.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The stored credential has no BBS proof, so it cannot disclose only the policy's claims.
    #[error("this credential cannot disclose only some claims (it has no bbs-jcs-2026 proof)")]
    NotSelective,
    /// The stored credential has no anchor receipt to show.
    #[error("this credential has no anchor receipt (its issuer gave none)")]
    NoAnchorReceipt,
    /// The policy does not accept the stored credential's jurisdiction or type.
    #[error("the conversion policy does not accept this credential")]
    NotAccepted,
    /// The published policy's hash is not the hash of the policy.
    #[error("the service's policy hash does not match its policy")]
    PolicyHashMismatch,
    /// The network failed.
    #[error("network: {0}")]
    Transport(#[from] TransportError),
    /// The service answered something the protocol does not allow.
    #[error("unexpected answer from {endpoint}: {reason}")]
    UnexpectedResponse {
        /// Which endpoint.
        endpoint: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The converting authority refused the request.
    #[error("conversion refused ({}): {message}", .code.as_str())]
    Refused {
        /// The stable refusal code.
        code: RefusalCode,
        /// The service's explanation.
        message: String,
    },
    /// Deriving the disclosure failed.
    #[error("selective disclosure: {0}")]
    Derive(#[from] SelectiveDisclosureError),
    /// The request would carry personal data or a claim the policy does not name (the egress
    /// guard stopped it before it was sent).
    #[error("egress guard: {0}")]
    Egress(#[from] CrossingError),
    /// The consent could not be signed.
    #[error("consent: {0}")]
    Consent(#[from] ConsentError),
    /// The stored issuer keys do not load.
    #[error("the stored issuer keys are unreadable: {0}")]
    IssuerKeys(String),
    /// The keystore failed.
    #[error("keystore: {0}")]
    Keystore(#[from] KeystoreError),
    /// The converted credential does not verify on arrival.
    #[error("the converted credential: {0}")]
    Unverified(#[from] ReceiveError),
    /// The prepared conversion was made by another wallet (its holder key is in another
    /// keystore).
    #[error("the prepared conversion belongs to another wallet")]
    OtherWallet,
}

/// A converted credential, verified, not yet stored.
#[derive(Debug, Clone)]
pub struct Converted {
    /// The converted credential.
    pub credential: Value,
    /// Its anchor receipt.
    pub anchor: AnchorReceipt,
    /// Its holder key.
    pub key_handle: KeyHandle,
    /// Its holder's `did:key`.
    pub holder_did: String,
    /// The converting authority's keys its proofs name (trust-cache JSON).
    pub issuer_keys: Value,
}

/// What conversion reads of the stored source credential.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The credential as issued.
    pub credential: &'a Value,
    /// Its holder key.
    pub key_handle: &'a KeyHandle,
    /// The issuer keys its proofs name (trust-cache JSON).
    pub issuer_keys: &'a Value,
    /// Its anchor receipt.
    pub anchor: Option<&'a AnchorReceipt>,
}

/// A conversion request built, disclosed and consented to (steps 1–5 up to the `POST`), not
/// yet sent: [`PreparedConversion::send`] sends it. It must be sent before its challenge
/// expires. Its new holder key is deleted when it is dropped unsent or its sending fails.
pub struct PreparedConversion {
    /// `{service}` without a trailing slash.
    base: String,
    /// The signed `ConversionRequest` as JSON.
    body: Value,
    /// The new holder key and its `did:key`.
    holder: PendingKey,
    holder_did: String,
}

impl std::fmt::Debug for PreparedConversion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The request discloses claims of the holder's: not printed.
        f.debug_struct("PreparedConversion")
            .field("service", &self.base)
            .finish_non_exhaustive()
    }
}

/// A holder key not yet bound to a stored credential: deleted on drop unless kept.
struct PendingKey {
    keystore: Arc<dyn Keystore>,
    handle: KeyHandle,
    kept: bool,
}

impl PendingKey {
    /// The handle, now the caller's to store or delete.
    fn keep(mut self) -> KeyHandle {
        self.kept = true;
        self.handle.clone()
    }
}

impl Drop for PendingKey {
    fn drop(&mut self) {
        if !self.kept {
            // Best effort: the key was never used for anything stored.
            let _ = self.keystore.delete(&self.handle);
        }
    }
}

/// Steps 1–5 of the module documentation up to the `POST`: fetches the policy and a
/// challenge, makes the new holder key (of `algorithm`), derives the disclosure and signs the
/// consent at `now`.
pub async fn prepare(
    source: Source<'_>,
    service_url: &str,
    algorithm: KeyAlgorithm,
    keystore: &Arc<dyn Keystore>,
    transport: &dyn Transport,
    now: OffsetDateTime,
) -> Result<PreparedConversion, ConvertError> {
    let base = service_url.trim_end_matches('/');
    if !has_bbs_proof(source.credential) {
        return Err(ConvertError::NotSelective);
    }
    let anchor = source.anchor.ok_or(ConvertError::NoAnchorReceipt)?.clone();
    let published: PublishedPolicy = expect(
        &transport
            .send(HttpRequest::get(&format!("{base}/v1/conversion/policy")))
            .await?,
        200,
        "conversion policy",
    )?;
    let policy = &published.policy;
    if policy.hash().ok() != Some(published.policy_hash) {
        return Err(ConvertError::PolicyHashMismatch);
    }
    let credential_type = source
        .credential
        .get("type")
        .and_then(Value::as_array)
        .and_then(|types| types.get(1))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let jurisdiction = source
        .credential
        .pointer("/credentialSubject/jurisdiction")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !policy.accepts(jurisdiction, credential_type) {
        return Err(ConvertError::NotAccepted);
    }
    let challenge: ConversionChallenge = expect(
        &transport
            .send(HttpRequest::post_json(
                &format!("{base}/v1/conversion/challenges"),
                &Value::Null,
            ))
            .await?,
        201,
        "conversion challenge",
    )?;
    if challenge.policy_hash != published.policy_hash {
        return Err(ConvertError::UnexpectedResponse {
            endpoint: "conversion challenge",
            reason: "the challenge is for another policy".into(),
        });
    }

    let holder = PendingKey {
        keystore: Arc::clone(keystore),
        handle: keystore.generate(algorithm)?,
        kept: false,
    };
    let (body, holder_did) = sign_request(
        source,
        &published,
        challenge,
        anchor,
        &holder.handle,
        keystore.as_ref(),
        now,
    )?;
    Ok(PreparedConversion {
        base: base.to_owned(),
        body,
        holder,
        holder_did,
    })
}

impl PreparedConversion {
    /// Whether its new holder key was made in `keystore`.
    pub fn made_in(&self, keystore: &Arc<dyn Keystore>) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(&self.holder.keystore), Arc::as_ptr(keystore))
    }

    /// Step 5's `POST {service}/v1/conversions` and step 6: sends the request and verifies the
    /// converted credential on arrival with `trust` at `now`.
    pub async fn send(
        self,
        transport: &dyn Transport,
        trust: &(dyn KeyResolver + Sync),
        now: OffsetDateTime,
    ) -> Result<Converted, ConvertError> {
        let answer = transport
            .send(HttpRequest::post_json(
                &format!("{}/v1/conversions", self.base),
                &self.body,
            ))
            .await?;
        let response: ConversionResponse = expect(&answer, 200, "conversion")?;
        let credential = Value::from(response.credential);
        let issuer_keys = verify_on_arrival(&credential, &self.holder_did, trust, now)?;
        Ok(Converted {
            credential,
            anchor: response.anchor,
            key_handle: self.holder.keep(),
            holder_did: self.holder_did,
            issuer_keys,
        })
    }
}

/// Step 4 and the consent of step 5: the request body as JSON and the new holder's `did:key`.
fn sign_request(
    source: Source<'_>,
    published: &PublishedPolicy,
    challenge: ConversionChallenge,
    anchor: AnchorReceipt,
    handle: &KeyHandle,
    keystore: &dyn Keystore,
    now: OffsetDateTime,
) -> Result<(Value, String), ConvertError> {
    let policy = &published.policy;
    let holder_did = KeystoreSigner::new(keystore, handle.clone())?
        .did_key()
        .to_string();
    let holder =
        HolderDid::new(holder_did.clone()).map_err(|err| ConvertError::UnexpectedResponse {
            endpoint: "keystore",
            reason: err.to_string(),
        })?;
    let source_signer = KeystoreSigner::new(keystore, source.key_handle.clone())?;
    let issuer_keys = TrustCache::from_json(&source.issuer_keys.to_string())
        .map_err(|err| ConvertError::IssuerKeys(err.to_string()))?;
    let mut reveal: Vec<String> = STRUCTURAL_CLAIMS.iter().map(|c| (*c).to_owned()).collect();
    reveal.extend(
        policy
            .claims
            .iter()
            .map(|name| claim_pointer(name.as_str())),
    );
    let derived = bbs::derive_credential(
        source.credential,
        &issuer_keys,
        &DeriveOptions {
            reveal,
            nonce: Some(challenge.challenge.as_str().to_owned()),
            holder_key: Some(&source_signer),
        },
    )
    .map_err(|err| match source_signer.take_error() {
        Some(keystore_error) => ConvertError::Keystore(keystore_error),
        None => ConvertError::Derive(err),
    })?;
    let disclosed = PseudonymousCredential::new(derived)?;
    disclosed.check_disclosure(&policy.claims)?;
    let request = ConversionRequest::sign(
        RequestBody {
            policy_hash: published.policy_hash,
            challenge: challenge.challenge,
            source: SourceCredential {
                credential: disclosed,
                anchor,
            },
            holder,
        },
        &policy.issuer,
        &source_signer,
        DateTimeStamp::from_instant(now),
    )
    .map_err(|err| match source_signer.take_error() {
        Some(keystore_error) => ConvertError::Keystore(keystore_error),
        None => ConvertError::Consent(err),
    })?;
    let body = serde_json::to_value(&request).map_err(|err| ConvertError::UnexpectedResponse {
        endpoint: "conversion",
        reason: err.to_string(),
    })?;
    Ok((body, holder_did))
}

/// The answer's body as `T` when its status is `status`; a refusal's code otherwise.
fn expect<T: DeserializeOwned>(
    answer: &HttpResponse,
    status: u16,
    endpoint: &'static str,
) -> Result<T, ConvertError> {
    if answer.status == status {
        return serde_json::from_slice(&answer.body).map_err(|err| {
            ConvertError::UnexpectedResponse {
                endpoint,
                reason: err.to_string(),
            }
        });
    }
    match serde_json::from_slice::<ConversionRefusal>(&answer.body) {
        Ok(refusal) => Err(ConvertError::Refused {
            code: refusal.code,
            message: refusal.message.as_str().to_owned(),
        }),
        Err(_) => Err(ConvertError::UnexpectedResponse {
            endpoint,
            reason: format!("HTTP status {}", answer.status),
        }),
    }
}
