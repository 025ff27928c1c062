//! The OpenID4VCI routes: each one parses, calls [`crate::oid4vci`] or the service, and
//! serializes. The offer route is a back-office route (bearer token); the others are the
//! wallet's and answer OAuth-style errors.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use crosscode_core::data_integrity::Cryptosuite;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::http::{AppState, HttpError, back_office, parse_body};
use crate::issuance::IssueOptions;
use crate::oid4vci::{
    AuthorizationServerMetadata, CredentialConfiguration, CredentialIssuerMetadata,
    CredentialRequest, CredentialResponse, HEALTH_CODE_CONTEXT, OfferError, TokenRequest,
    authorize_credential_request, create_offer as new_offer, exchange_token, new_nonce,
};
use crate::records::RecordId;
use crate::service::IssuerService;
use crosscode_core::vc::VC_V2_CONTEXT;

/// How long an offer stays redeemable.
pub const OFFER_TTL: Duration = Duration::minutes(30);

type Shared = State<Arc<AppState>>;

/// The suites of a credential issued to a wallet: a proof set of every suite the authority
/// holds a key for — SM2 and Ed25519 for the jurisdictions' laws, and a BBS base proof
/// (`bbs-jcs-2026`) so the wallet can disclose only some claims.
pub fn wallet_suites(service: &IssuerService) -> Vec<Cryptosuite> {
    let authority = service.authority();
    [
        (authority.sm2.is_some(), Cryptosuite::Sm2Jcs2026),
        (authority.ed25519.is_some(), Cryptosuite::EddsaJcs2022),
        (authority.bbs.is_some(), Cryptosuite::BbsJcs2026),
    ]
    .into_iter()
    .filter_map(|(held, suite)| held.then_some(suite))
    .collect()
}

/// The issuer's OpenID4VCI metadata: one `ldp_vc` configuration per configured credential
/// type, its id the type's name, signed with [`wallet_suites`].
pub fn metadata(service: &IssuerService) -> CredentialIssuerMetadata {
    let suites = wallet_suites(service);
    let configurations: BTreeMap<String, CredentialConfiguration> = service
        .context()
        .schemas
        .types()
        .map(|name| {
            (
                name.to_owned(),
                CredentialConfiguration::ldp_vc(
                    &[VC_V2_CONTEXT, HEALTH_CODE_CONTEXT],
                    &["VerifiableCredential", name],
                    &suites,
                    Vec::new(),
                ),
            )
        })
        .collect();
    CredentialIssuerMetadata::new(&service.context().base_url, Vec::new(), configurations)
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

pub(crate) fn json_with(status: u16, body: &impl Serialize) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = (status, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(crate) async fn issuer_metadata(State(state): Shared) -> Response {
    axum::Json(metadata(&state.service)).into_response()
}

pub(crate) async fn authorization_server_metadata(State(state): Shared) -> Response {
    axum::Json(AuthorizationServerMetadata::new(
        &state.service.context().base_url,
    ))
    .into_response()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OfferRequest {
    record_id: String,
    #[serde(default)]
    credential_configuration_id: Option<String>,
    #[serde(default)]
    tx_code: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct OfferCreated {
    uri: String,
    qr_png: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tx_code: Option<String>,
    expires_at: i64,
}

pub(crate) async fn create_offer(
    State(state): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    back_office(&state, &headers)?;
    let request: OfferRequest = parse_body(&headers, &body)?;
    let unknown_record =
        || HttpError::new(StatusCode::NOT_FOUND, "unknown-record", "no such record");
    let record = RecordId::parse(&request.record_id).map_err(|_| unknown_record())?;
    let configuration = request
        .credential_configuration_id
        .unwrap_or_else(|| "HealthCode".to_owned());
    let metadata = metadata(&state.service);
    let store = state.service.store().clone();
    let created = tokio::task::spawn_blocking(move || {
        new_offer(
            store.as_ref(),
            &metadata,
            record.as_str(),
            &configuration,
            request.tx_code,
            OFFER_TTL,
            now(),
        )
    })
    .await
    .map_err(|_| {
        HttpError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "offer failed",
        )
    })?
    .map_err(|err| match err {
        OfferError::UnknownRecord => unknown_record(),
        OfferError::UnknownConfiguration(_) => HttpError::new(
            StatusCode::BAD_REQUEST,
            "unknown-configuration",
            "no such credential configuration (see /.well-known/openid-credential-issuer)",
        ),
        other => {
            tracing::error!(error = %other, "issuer: offer failed");
            HttpError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "offer failed",
            )
        }
    })?;
    let png = crosscode_core::envelope::qr::render_text_png(&created.uri)
        .map_err(|_| HttpError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "QR failed"))?;
    let body = OfferCreated {
        uri: created.uri,
        qr_png: STANDARD.encode(png),
        tx_code: created.tx_code,
        expires_at: created.expires_at.unix_timestamp(),
    };
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

pub(crate) async fn token(State(state): Shared, body: Bytes) -> Response {
    let store = state.service.store().clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let request = TokenRequest::from_form(&body)?;
        exchange_token(store.as_ref(), &request, now())
    })
    .await;
    match outcome {
        Ok(Ok(token)) => json_with(200, &token),
        Ok(Err(err)) => json_with(err.http_status(), &err.response()),
        Err(_) => json_with(500, &serde_json::json!({"error": "server_error"})),
    }
}

pub(crate) async fn nonce(State(state): Shared) -> Response {
    let store = state.service.store().clone();
    match tokio::task::spawn_blocking(move || new_nonce(store.as_ref(), now())).await {
        Ok(Ok(nonce)) => json_with(200, &nonce),
        _ => json_with(500, &serde_json::json!({"error": "server_error"})),
    }
}

pub(crate) async fn credential(State(state): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let metadata = metadata(&state.service);
    let store = state.service.store().clone();
    let authorized = tokio::task::spawn_blocking(move || {
        let request = CredentialRequest::from_json(&body)?;
        authorize_credential_request(
            store.as_ref(),
            authorization.as_deref(),
            &request,
            &metadata,
            now(),
        )
    })
    .await;
    let authorized = match authorized {
        Ok(Ok(authorized)) => authorized,
        Ok(Err(err)) => {
            let mut response = json_with(err.http_status(), &err.response());
            if let Some(value) = err
                .www_authenticate()
                .and_then(|value| HeaderValue::from_str(&value).ok())
            {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
            return response;
        }
        Err(_) => return json_with(500, &serde_json::json!({"error": "server_error"})),
    };
    let Ok(record) = RecordId::parse(&authorized.record_id) else {
        return json_with(500, &serde_json::json!({"error": "server_error"}));
    };
    match state
        .service
        .issue_from_record_with(
            &record,
            &authorized.configuration_id,
            &authorized.holder_did,
            IssueOptions {
                cryptosuites: Some(
                    wallet_suites(&state.service)
                        .iter()
                        .map(|suite| suite.name().to_owned())
                        .collect(),
                ),
                ..IssueOptions::default()
            },
        )
        .await
    {
        Ok(issued) => json_with(
            200,
            &CredentialResponse::anchored(issued.verifiable_credential, issued.anchor),
        ),
        Err(err) => {
            tracing::error!(error = %err, "issuer: credential endpoint failed");
            json_with(
                500,
                &serde_json::json!({"error": "server_error", "error_description": "the credential could not be issued"}),
            )
        }
    }
}
