//! Receiving a credential: redeem an OpenID4VCI 1.0 credential offer (pre-authorized code
//! flow, `ldp_vc`), then verify the credential **on arrival**.
//!
//! The steps (`docs/openid4vci.md` is the issuer's side, `docs/wallet.md` the wallet's):
//! 1. Parse the `openid-credential-offer://?credential_offer=…` URI (offers by value only).
//! 2. `GET` the Credential Issuer Metadata at the issuer's `/.well-known/openid-credential-issuer`
//!    (its `credential_issuer` must be the offer's), then the authorization server's
//!    `/.well-known/oauth-authorization-server` for the token endpoint.
//! 3. `POST` the nonce endpoint for a `c_nonce`.
//! 4. Generate a fresh holder key in the keystore (one `did:key` per credential) and sign the
//!    proof-of-possession JWT with it (`aud` the issuer, `iat` now, `nonce`) — **before** the
//!    offer is redeemed, so a keystore that refuses or fails leaves the offer redeemable.
//! 5. Token request (form): the pre-authorized code and, when the offer asks for one, the
//!    transaction code the citizen typed. `invalid_grant` (a used, expired or burnt offer, or a
//!    wrong transaction code) is [`ReceiveError::OfferNotRedeemable`]. Then request the
//!    credential with the access token and the proof.
//! 6. Verify: the credential is about the new holder `did:key`; every proof of its proof set
//!    verifies with the issuer bound, at `now` or at a `validFrom` at most
//!    [`RECEIVE_CLOCK_SKEW`] ahead (core `verify_document` with the app's trust: a resolver
//!    of the admitted authorities' keys, e.g. a trust cache synced from the chain); then, for
//!    each `credentialStatus` entry, the status list is fetched, verified with the same trust,
//!    and the credential's bit must be clear — a list that cannot be fetched (offline) is
//!    recorded as [`StatusCheck::Unreachable`], a revoked or suspended credential is refused.
//!
//! Any failure after step 4 deletes the new holder key; nothing is stored.

use crosscode_core::anchor::AnchorReceipt;
use crosscode_core::data_integrity::{VerificationFailure, verify_document};
use crosscode_core::did::{DidUrl, KeyResolver, TrustCache, VerificationRelationship};
use crosscode_core::keys::KeyAlgorithm;
use crosscode_core::oid4vci::{
    self, AUTHORIZATION_SERVER_WELL_KNOWN, AuthorizationServerMetadata,
    CREDENTIAL_ISSUER_WELL_KNOWN, CredentialErrorCode, CredentialErrorResponse,
    CredentialIssuerMetadata, CredentialOffer, CredentialRequest, CredentialResponse,
    JWT_PROOF_TYPE, LDP_VC_FORMAT, NonceResponse, OAuthErrorCode, OAuthErrorResponse,
    OfferUriError, PRE_AUTHORIZED_CODE_GRANT, ProofAlgorithm, Proofs, TokenRequest, TokenResponse,
    proof_jwt::{self, ProofClaims, ProofSigningError},
};
use crosscode_core::status_list::{
    BitstringStatusList, BitstringStatusListEntry, StatusListError, StatusPurpose,
};
use crosscode_core::vc::{Credential, DateTimeStamp};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::keystore::{KeyHandle, Keystore, KeystoreError, KeystoreSigner};
use crate::store::StatusCheck;
use crate::transport::{HttpRequest, HttpResponse, Transport, TransportError};

/// How far ahead of the wallet's clock a credential's `validFrom` may be when it arrives (the
/// issuer's clock running ahead of the phone's); the credential is then verified at its
/// `validFrom`.
pub const RECEIVE_CLOCK_SKEW: time::Duration = time::Duration::minutes(5);

/// Why a credential was not received.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// The offer URI is not a credential offer passed by value.
    #[error("not a credential offer: {0}")]
    Offer(#[from] OfferUriError),
    /// The offer has no pre-authorized code grant.
    #[error("the offer has no pre-authorized code (only that flow is supported)")]
    NoPreAuthorizedCode,
    /// The offer names no credential configuration.
    #[error("the offer names no credential configuration")]
    NoConfiguration,
    /// The offer requires a transaction code and none was given.
    #[error("this offer requires the transaction code the issuer sent separately")]
    TxCodeRequired,
    /// The network failed.
    #[error("network: {0}")]
    Transport(#[from] TransportError),
    /// An issuer endpoint answered something that is not what the protocol says.
    #[error("unexpected answer from {endpoint}: {reason}")]
    UnexpectedResponse {
        /// Which endpoint.
        endpoint: &'static str,
        /// What was wrong (status, JSON error).
        reason: String,
    },
    /// The metadata's `credential_issuer` is not the offer's.
    #[error("the issuer metadata is for another issuer")]
    IssuerMismatch,
    /// The offered configuration is not in the metadata, not `ldp_vc`, or takes no proof this
    /// wallet makes.
    #[error("credential configuration {0:?} is not one this wallet can receive")]
    UnsupportedConfiguration(String),
    /// The offer cannot be redeemed: already used, expired, burnt, or a wrong transaction code
    /// (the token endpoint's `invalid_grant`).
    #[error("the offer cannot be redeemed (used, expired, or wrong transaction code): {0}")]
    OfferNotRedeemable(String),
    /// The token endpoint refused otherwise.
    #[error("token request refused: {code:?}: {description}")]
    TokenRefused {
        /// The OAuth error code.
        code: OAuthErrorCode,
        /// The issuer's description.
        description: String,
    },
    /// The credential endpoint refused.
    #[error("credential request refused: {code:?}: {description}")]
    CredentialRefused {
        /// The error code.
        code: CredentialErrorCode,
        /// The issuer's description.
        description: String,
    },
    /// The keystore failed.
    #[error("keystore: {0}")]
    Keystore(#[from] KeystoreError),
    /// The holder key cannot sign a proof JWT.
    #[error("proof of possession: {0}")]
    ProofSigning(ProofSigningError),
    /// The credential is not about the holder key the wallet proved.
    #[error("the credential is not issued to this wallet's holder key")]
    NotForHolder,
    /// The credential does not verify: a proof, the issuer binding (an issuer the trust does
    /// not know, a wrong key), the validity window.
    #[error("the credential does not verify at step {}: {}", .0.step, .0.error)]
    Unverified(VerificationFailure),
    /// A status list was fetched but does not verify or does not decode.
    #[error("the status list {url} is invalid: {reason}")]
    InvalidStatusList {
        /// The list's URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The credential is revoked or suspended.
    #[error("the credential is {purpose}")]
    Revoked {
        /// `revocation` or `suspension`.
        purpose: String,
    },
}

/// A verified credential, not yet stored.
#[derive(Debug, Clone)]
pub struct Received {
    /// The credential.
    pub credential: Value,
    /// The holder key.
    pub key_handle: KeyHandle,
    /// The holder's `did:key`.
    pub holder_did: String,
    /// The issuer's verification methods the proofs name (trust-cache JSON).
    pub issuer_keys: Value,
    /// The status check.
    pub status: StatusCheck,
    /// The anchor receipt the issuer gave with it, if any.
    pub anchor: Option<AnchorReceipt>,
}

/// Redeems `offer_uri` (with `tx_code` when the offer asks for one), makes a holder key of
/// `algorithm` in `keystore`, and verifies the credential against `trust` at `now` (see the
/// module documentation).
pub async fn receive(
    offer_uri: &str,
    tx_code: Option<&str>,
    algorithm: KeyAlgorithm,
    keystore: &dyn Keystore,
    transport: &dyn Transport,
    trust: &(dyn KeyResolver + Sync),
    now: OffsetDateTime,
) -> Result<Received, ReceiveError> {
    let offer = CredentialOffer::from_uri(offer_uri)?;
    let grant = offer
        .pre_authorized_code_grant()
        .ok_or(ReceiveError::NoPreAuthorizedCode)?
        .clone();
    if grant.tx_code.is_some() && tx_code.is_none() {
        return Err(ReceiveError::TxCodeRequired);
    }
    let configuration_id = offer
        .credential_configuration_ids
        .first()
        .ok_or(ReceiveError::NoConfiguration)?
        .clone();
    let proof_algorithm = ProofAlgorithm::for_key_algorithm(algorithm).ok_or(
        ReceiveError::ProofSigning(ProofSigningError::UnsupportedKey(algorithm)),
    )?;

    let metadata: CredentialIssuerMetadata = get_json(
        transport,
        &well_known(&offer.credential_issuer, CREDENTIAL_ISSUER_WELL_KNOWN)?,
        "credential issuer metadata",
    )
    .await?;
    if metadata.credential_issuer != offer.credential_issuer {
        return Err(ReceiveError::IssuerMismatch);
    }
    let receivable = metadata
        .configuration(&configuration_id)
        .is_some_and(|configuration| {
            configuration.format == LDP_VC_FORMAT
                && (configuration.proof_types_supported.is_none()
                    || configuration.accepts_proof(JWT_PROOF_TYPE, proof_algorithm.name()))
        });
    if !receivable {
        return Err(ReceiveError::UnsupportedConfiguration(configuration_id));
    }
    let authorization_server = grant
        .authorization_server
        .clone()
        .or_else(|| metadata.authorization_servers.as_ref()?.first().cloned())
        .unwrap_or_else(|| metadata.credential_issuer.clone());
    let server: AuthorizationServerMetadata = get_json(
        transport,
        &well_known(&authorization_server, AUTHORIZATION_SERVER_WELL_KNOWN)?,
        "authorization server metadata",
    )
    .await?;

    let nonce = match &metadata.nonce_endpoint {
        Some(url) => {
            let answer = transport
                .send(HttpRequest::post_form(url, String::new()))
                .await?;
            let nonce: NonceResponse = expect_ok(&answer, "nonce endpoint")?;
            Some(nonce.c_nonce)
        }
        None => None,
    };

    let handle = keystore.generate(algorithm)?;
    let outcome = request_and_verify(
        &handle,
        keystore,
        transport,
        trust,
        now,
        &metadata,
        &server,
        &configuration_id,
        &grant.pre_authorized_code,
        tx_code,
        nonce,
    )
    .await;
    if outcome.is_err() {
        // Best effort: the key was never used for anything stored.
        let _ = keystore.delete(&handle);
    }
    outcome
}

#[allow(clippy::too_many_arguments)]
async fn request_and_verify(
    handle: &KeyHandle,
    keystore: &dyn Keystore,
    transport: &dyn Transport,
    trust: &(dyn KeyResolver + Sync),
    now: OffsetDateTime,
    metadata: &CredentialIssuerMetadata,
    server: &AuthorizationServerMetadata,
    configuration_id: &str,
    pre_authorized_code: &str,
    tx_code: Option<&str>,
    nonce: Option<String>,
) -> Result<Received, ReceiveError> {
    let (jwt, holder_did) = {
        let signer = KeystoreSigner::new(keystore, handle.clone())?;
        let claims = ProofClaims {
            iss: None,
            aud: metadata.credential_issuer.clone(),
            iat: now.unix_timestamp(),
            nonce,
        };
        let jwt = proof_jwt::sign(&signer, &claims).map_err(|err| match signer.take_error() {
            Some(keystore_error) => ReceiveError::Keystore(keystore_error),
            None => ReceiveError::ProofSigning(err),
        })?;
        (jwt, signer.did_key().did().as_str().to_owned())
    };
    let token_request = TokenRequest {
        grant_type: PRE_AUTHORIZED_CODE_GRANT.to_owned(),
        pre_authorized_code: Some(pre_authorized_code.to_owned()),
        tx_code: tx_code.map(str::to_owned),
        client_id: None,
    };
    let answer = transport
        .send(HttpRequest::post_form(
            &server.token_endpoint,
            token_request.to_form(),
        ))
        .await?;
    let token: TokenResponse = if answer.status == 200 {
        parse_json(&answer, "token endpoint")?
    } else {
        let error: OAuthErrorResponse = parse_json(&answer, "token endpoint")?;
        let description = error.error_description.unwrap_or_default();
        return Err(match error.error {
            OAuthErrorCode::InvalidGrant => ReceiveError::OfferNotRedeemable(description),
            code => ReceiveError::TokenRefused { code, description },
        });
    };

    let request = CredentialRequest {
        credential_identifier: None,
        credential_configuration_id: Some(configuration_id.to_owned()),
        proofs: Some(Proofs {
            jwt: Some(vec![jwt]),
            other: Map::new(),
        }),
        credential_response_encryption: None,
        proof: None,
    };
    let body = serde_json::to_value(&request).map_err(|err| ReceiveError::UnexpectedResponse {
        endpoint: "credential endpoint",
        reason: err.to_string(),
    })?;
    let answer = transport
        .send(
            HttpRequest::post_json(&metadata.credential_endpoint, &body)
                .with_header("authorization", &format!("Bearer {}", token.access_token)),
        )
        .await?;
    let response: CredentialResponse = if answer.status == 200 {
        parse_json(&answer, "credential endpoint")?
    } else {
        let error: CredentialErrorResponse = parse_json(&answer, "credential endpoint")?;
        return Err(ReceiveError::CredentialRefused {
            code: error.error,
            description: error.error_description.unwrap_or_default(),
        });
    };
    let issued =
        response
            .credentials
            .into_iter()
            .next()
            .ok_or(ReceiveError::UnexpectedResponse {
                endpoint: "credential endpoint",
                reason: "no credential".to_owned(),
            })?;
    let credential = issued.credential;

    let issuer_keys = verify_on_arrival(&credential, &holder_did, trust, now)?;
    let status = check_status(&credential, transport, trust, now).await?;
    Ok(Received {
        credential,
        key_handle: handle.clone(),
        holder_did,
        issuer_keys,
        status,
        anchor: issued.anchor,
    })
}

/// Checks that `credential` is about `holder_did` and verifies with `trust` at `now` (or at its
/// `validFrom` when that is at most [`RECEIVE_CLOCK_SKEW`] ahead); answers
/// the issuer's keys its proofs name, as a trust-cache JSON object.
pub fn verify_on_arrival(
    credential: &Value,
    holder_did: &str,
    trust: &dyn KeyResolver,
    now: OffsetDateTime,
) -> Result<Value, ReceiveError> {
    let subject = credential
        .get("credentialSubject")
        .and_then(|subject| subject.get("id"))
        .and_then(Value::as_str);
    if subject != Some(holder_did) {
        return Err(ReceiveError::NotForHolder);
    }
    let report = verify_document(credential, trust, verification_time(credential, now));
    if let Some(failure) = report.failure {
        return Err(ReceiveError::Unverified(failure));
    }
    if !report.verified {
        return Err(ReceiveError::UnexpectedResponse {
            endpoint: "credential endpoint",
            reason: "the credential verified no proof".to_owned(),
        });
    }
    let mut keys = TrustCache::new();
    for proof in proofs_of(credential) {
        let Some(method) = proof
            .get("verificationMethod")
            .and_then(Value::as_str)
            .and_then(|text| DidUrl::parse(text).ok())
        else {
            continue;
        };
        let created = proof
            .get("created")
            .and_then(Value::as_str)
            .and_then(DateTimeStamp::parse)
            .map(|stamp| stamp.instant());
        // Verified just above, so the method resolves; its key is what presentations derive
        // against offline.
        if let Ok(key) = trust.resolve_verification_method(
            &method,
            VerificationRelationship::AssertionMethod,
            created,
        ) {
            let _ = keys.insert(&method, key);
        }
    }
    Ok(keys.to_json())
}

/// When to verify a document just fetched: `now`, or its `validFrom` when that is ahead of
/// `now` by at most [`RECEIVE_CLOCK_SKEW`] (the issuer's clock running ahead of the phone's).
fn verification_time(document: &Value, now: OffsetDateTime) -> OffsetDateTime {
    let valid_from = document
        .get("validFrom")
        .and_then(Value::as_str)
        .and_then(DateTimeStamp::parse)
        .map(|stamp| stamp.instant());
    match valid_from {
        Some(valid_from) if valid_from > now && valid_from - now <= RECEIVE_CLOCK_SKEW => {
            valid_from
        }
        _ => now,
    }
}

/// The proofs of a document: its `proof` array, its one `proof`, or none.
pub(crate) fn proofs_of(document: &Value) -> Vec<&Value> {
    match document.get("proof") {
        Some(Value::Array(proofs)) => proofs.iter().collect(),
        Some(proof) => vec![proof],
        None => Vec::new(),
    }
}

/// Checks every `BitstringStatusListEntry` of `credential` (see the module documentation).
pub async fn check_status(
    credential: &Value,
    transport: &dyn Transport,
    trust: &(dyn KeyResolver + Sync),
    now: OffsetDateTime,
) -> Result<StatusCheck, ReceiveError> {
    let invalid = |url: &str, reason: String| ReceiveError::InvalidStatusList {
        url: url.to_owned(),
        reason,
    };
    let parsed = Credential::from_value(credential)
        .map_err(|err| invalid("(credential)", err.to_string()))?;
    let entries = BitstringStatusListEntry::entries_of(&parsed)
        .map_err(|err: StatusListError| invalid("(credential)", err.to_string()))?;
    if entries.is_empty() {
        return Ok(StatusCheck::NoStatus);
    }
    let mut outcome = StatusCheck::Good;
    for entry in entries {
        let url = entry.status_list_credential.clone();
        let answer = match transport.send(HttpRequest::get(&url)).await {
            Ok(answer) if answer.status == 200 => answer,
            Ok(_) | Err(TransportError::Unreachable(_)) => {
                outcome = StatusCheck::Unreachable;
                continue;
            }
            Err(other) => return Err(other.into()),
        };
        let list: Value =
            serde_json::from_slice(&answer.body).map_err(|err| invalid(&url, err.to_string()))?;
        let report = verify_document(&list, trust, verification_time(&list, now));
        if let Some(failure) = report.failure {
            return Err(invalid(
                &url,
                format!("step {}: {}", failure.step, failure.error),
            ));
        }
        let list = Credential::from_value(&list)
            .map_err(|err| invalid(&url, err.to_string()))
            .and_then(|list| {
                BitstringStatusList::from_credential(&list)
                    .map_err(|err| invalid(&url, err.to_string()))
            })?;
        let set = list
            .status_of(&entry)
            .map_err(|err| invalid(&url, err.to_string()))?;
        if set
            && matches!(
                entry.status_purpose,
                StatusPurpose::Revocation | StatusPurpose::Suspension
            )
        {
            return Err(ReceiveError::Revoked {
                purpose: entry.status_purpose.as_str().to_owned(),
            });
        }
    }
    Ok(outcome)
}

fn well_known(issuer: &str, document: &str) -> Result<String, ReceiveError> {
    oid4vci::well_known_url(issuer, document).ok_or_else(|| ReceiveError::UnexpectedResponse {
        endpoint: "credential offer",
        reason: "credential_issuer is not an absolute URL".to_owned(),
    })
}

async fn get_json<T: DeserializeOwned>(
    transport: &dyn Transport,
    url: &str,
    endpoint: &'static str,
) -> Result<T, ReceiveError> {
    let answer = transport.send(HttpRequest::get(url)).await?;
    expect_ok(&answer, endpoint)
}

fn expect_ok<T: DeserializeOwned>(
    answer: &HttpResponse,
    endpoint: &'static str,
) -> Result<T, ReceiveError> {
    if answer.status != 200 {
        return Err(ReceiveError::UnexpectedResponse {
            endpoint,
            reason: format!("HTTP status {}", answer.status),
        });
    }
    parse_json(answer, endpoint)
}

fn parse_json<T: DeserializeOwned>(
    answer: &HttpResponse,
    endpoint: &'static str,
) -> Result<T, ReceiveError> {
    serde_json::from_slice(&answer.body).map_err(|err| ReceiveError::UnexpectedResponse {
        endpoint,
        reason: format!("HTTP status {}: {err}", answer.status),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_credential_issued_slightly_ahead_of_the_phone_clock_is_verified_at_its_valid_from() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let ahead = json!({"validFrom": "2027-01-15T08:00:01Z"});
        assert_eq!(
            verification_time(&ahead, now),
            OffsetDateTime::from_unix_timestamp(1_800_000_001).unwrap()
        );
        // Far ahead (or absent, or past): verified at now, so a future credential is refused.
        let far = json!({"validFrom": "2027-01-15T09:00:00Z"});
        assert_eq!(verification_time(&far, now), now);
        assert_eq!(verification_time(&json!({}), now), now);
    }
}
