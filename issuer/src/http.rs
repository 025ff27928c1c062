//! The HTTP API (axum), following the registry node's conventions: every failure a client can
//! cause is a 4xx with `{"error": "<code>", "message": "..."}` (axum's own rejections are
//! mapped to fixed messages, never passed through: they would echo request bodies, which hold
//! personal data); bodies are limited ([`MAX_BODY_BYTES`]); `GET /openapi.json` describes
//! exactly [`ROUTES`]; signing runs on the blocking pool ([`crate::service`]).
//!
//! Back-office routes (issuance, status changes, records, offers, batches) require
//! `Authorization: Bearer <token>` with the token of `DIR/back-office.token`
//! ([`BackOfficeToken`]); the wallet-facing routes (OpenID4VCI) and the public ones (status
//! lists, schemas, metadata) do not. The OpenID4VCI routes answer OAuth-style errors
//! (`{"error": "invalid_grant", …}`) as that specification requires.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::conversion::ConversionDesk;
use crate::issuance::{IssueError, IssueOptions};
use crate::records::{RecordId, SubjectRecord};
use crate::service::{BatchRecord, IssuedCredential, IssuerService, MAX_HTTP_BATCH, ServiceError};
use crate::status::{StatusAction, StatusError};
use crate::token::BackOfficeToken;

/// The OpenAPI 3.1 description of the API (`GET /openapi.json`).
pub const OPENAPI_JSON: &str = include_str!("openapi.json");
/// The largest request body (bytes).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// What the handlers share.
#[derive(Debug)]
pub struct AppState {
    /// The service.
    pub service: Arc<IssuerService>,
    /// The back office's bearer token.
    pub token: BackOfficeToken,
    /// The conversion desk, when the service converts credentials of other jurisdictions.
    pub conversion: Option<Arc<ConversionDesk>>,
}

type Shared = State<Arc<AppState>>;

/// An error answer: status, wire code and a message that never echoes a request value.
#[derive(Debug)]
pub struct HttpError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl HttpError {
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
    ) -> HttpError {
        HttpError {
            status,
            code,
            message: message.into(),
        }
    }

    fn bad_request(code: &'static str, message: impl Into<String>) -> HttpError {
        HttpError::new(StatusCode::BAD_REQUEST, code, message)
    }

    fn internal(err: impl std::fmt::Display) -> HttpError {
        tracing::error!(error = %err, "issuer: request failed");
        HttpError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the issuer could not complete the request",
        )
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.code, "message": self.message});
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<ServiceError> for HttpError {
    fn from(err: ServiceError) -> HttpError {
        let message = err.to_string();
        match err {
            ServiceError::Issue(issue) => match issue {
                IssueError::InvalidCredential(_) => {
                    HttpError::bad_request("invalid-credential", message)
                }
                IssueError::IssuerSetsMember { .. } => {
                    HttpError::bad_request("issuer-sets-member", message)
                }
                IssueError::IssuerMismatch => HttpError::bad_request("issuer-mismatch", message),
                IssueError::TypeOutsideScope { .. } => {
                    HttpError::new(StatusCode::FORBIDDEN, "type-outside-scope", message)
                }
                IssueError::HolderNotDidKey => {
                    HttpError::bad_request("holder-not-did-key", message)
                }
                IssueError::JurisdictionMismatch => {
                    HttpError::bad_request("jurisdiction-mismatch", message)
                }
                IssueError::SuiteUnavailable { .. } | IssueError::NoSuite => {
                    HttpError::bad_request("suite-unavailable", message)
                }
                IssueError::Status(_) | IssueError::Signing(_) | IssueError::Hash(_) => {
                    HttpError::internal(message)
                }
            },
            ServiceError::Claims(_) => HttpError::bad_request("record-lacks-claims", message),
            ServiceError::Status(status) => match status {
                StatusError::UnknownCredential(_) | StatusError::NoStatus(_) => {
                    HttpError::new(StatusCode::NOT_FOUND, "unknown-credential", message)
                }
                StatusError::UnknownList(_) | StatusError::InvalidListId => {
                    HttpError::new(StatusCode::NOT_FOUND, "not-found", "no such status list")
                }
                StatusError::Revoked
                | StatusError::AlreadySuspended
                | StatusError::NotSuspended => {
                    HttpError::new(StatusCode::CONFLICT, "status-conflict", message)
                }
                other => HttpError::internal(other),
            },
            ServiceError::UnknownRecord => {
                HttpError::new(StatusCode::NOT_FOUND, "unknown-record", message)
            }
            ServiceError::BatchSize { .. } => HttpError::bad_request("batch-size", message),
            ServiceError::Anchor(_) => HttpError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "chain-unavailable",
                "the chain did not commit the anchor; try again",
            ),
            other => HttpError::internal(other),
        }
    }
}

/// Every route the issuer serves: `(method, path)` (the router is built from this list, and a
/// test checks that `openapi.json` describes exactly these).
pub const ROUTES: [(&str, &str); 16] = [
    ("POST", "/credentials/issue"),
    ("POST", "/credentials/status"),
    ("GET", "/status-lists/{id}"),
    ("GET", "/schemas/{hash}"),
    ("POST", "/v1/records"),
    ("DELETE", "/v1/records/{id}"),
    ("POST", "/v1/batches"),
    ("POST", "/v1/offers"),
    ("GET", "/.well-known/openid-credential-issuer"),
    ("GET", "/.well-known/oauth-authorization-server"),
    ("POST", "/token"),
    ("POST", "/nonce"),
    ("POST", "/credential"),
    ("GET", "/v1/conversion/policy"),
    ("POST", "/v1/conversion/challenges"),
    ("POST", "/v1/conversions"),
];

fn handler(method: &str, path: &str) -> Option<MethodRouter<Arc<AppState>>> {
    Some(match (method, path) {
        ("POST", "/credentials/issue") => post(issue),
        ("POST", "/credentials/status") => post(change_status),
        ("GET", "/status-lists/{id}") => get(status_list),
        ("GET", "/schemas/{hash}") => get(schema),
        ("POST", "/v1/records") => post(put_record),
        ("DELETE", "/v1/records/{id}") => delete(delete_record),
        ("POST", "/v1/batches") => post(batch),
        ("POST", "/v1/offers") => post(crate::wallet_routes::create_offer),
        ("GET", "/.well-known/openid-credential-issuer") => {
            get(crate::wallet_routes::issuer_metadata)
        }
        ("GET", "/.well-known/oauth-authorization-server") => {
            get(crate::wallet_routes::authorization_server_metadata)
        }
        ("POST", "/token") => post(crate::wallet_routes::token),
        ("POST", "/nonce") => post(crate::wallet_routes::nonce),
        ("POST", "/credential") => post(crate::wallet_routes::credential),
        ("GET", "/v1/conversion/policy") => get(crate::conversion_routes::policy),
        ("POST", "/v1/conversion/challenges") => post(crate::conversion_routes::challenge),
        ("POST", "/v1/conversions") => post(crate::conversion_routes::convert),
        _ => return None,
    })
}

/// The router of the API.
pub fn router(state: Arc<AppState>) -> Router {
    ROUTES
        .iter()
        .filter_map(|(method, path)| handler(method, path).map(|h| (*path, h)))
        .fold(Router::new(), |router, (path, handler)| {
            router.route(path, handler)
        })
        .route("/openapi.json", get(openapi))
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn unknown_route() -> HttpError {
    HttpError::new(
        StatusCode::NOT_FOUND,
        "unknown-route",
        "no such route (see /openapi.json)",
    )
}

async fn method_not_allowed() -> HttpError {
    HttpError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "method not allowed on this route (see /openapi.json)",
    )
}

async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        OPENAPI_JSON,
    )
        .into_response()
}

/// Checks the back office's bearer token.
pub(crate) fn back_office(state: &AppState, headers: &HeaderMap) -> Result<(), HttpError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match presented {
        Some(token) if state.token.matches(token) => Ok(()),
        _ => Err(HttpError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "back-office routes need Authorization: Bearer <the token of back-office.token>",
        )),
    }
}

/// Parses a JSON body into `T`, with a fixed message (serde's would quote the input).
pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<T, HttpError> {
    let json_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !json_type {
        return Err(HttpError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "the body must be application/json",
        ));
    }
    serde_json::from_slice(body).map_err(|err| {
        HttpError::bad_request(
            "invalid-request",
            format!(
                "the body does not have the documented shape (line {}, column {})",
                err.line(),
                err.column()
            ),
        )
    })
}

/// `POST /credentials/issue` (VC-API).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueRequest {
    credential: Value,
    #[serde(default)]
    options: IssueOptions,
}

async fn issue(
    State(state): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    back_office(&state, &headers)?;
    let request: IssueRequest = parse_body(&headers, &body)?;
    let issued = state
        .service
        .issue(request.credential, request.options)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(issued)).into_response())
}

/// `POST /credentials/status` (VC-API).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StatusRequest {
    credential_id: String,
    credential_status: Vec<StatusItem>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusItem {
    #[serde(rename = "type")]
    kind: String,
    status: String,
}

async fn change_status(
    State(state): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    back_office(&state, &headers)?;
    let request: StatusRequest = parse_body(&headers, &body)?;
    let [item] = request.credential_status.as_slice() else {
        return Err(HttpError::bad_request(
            "invalid-request",
            "credentialStatus holds exactly one change",
        ));
    };
    if item.kind != "BitstringStatusListCredential" {
        return Err(HttpError::bad_request(
            "invalid-request",
            "credentialStatus type must be BitstringStatusListCredential",
        ));
    }
    let action = match item.status.as_str() {
        "revoked" => StatusAction::Revoke,
        "suspended" => StatusAction::Suspend,
        "reinstated" | "active" => StatusAction::Reinstate,
        _ => {
            return Err(HttpError::bad_request(
                "invalid-request",
                "status must be revoked, suspended or reinstated",
            ));
        }
    };
    let changed = state
        .service
        .change_status(&request.credential_id, action)
        .await?;
    Ok(axum::Json(json!({
        "credentialId": request.credential_id,
        "statusPurpose": changed.purpose.as_str(),
        "statusListCredential": crate::status::list_url(&state.service.context().base_url, changed.list, changed.purpose),
        "version": changed.version,
    }))
    .into_response())
}

async fn status_list(
    State(state): Shared,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, HttpError> {
    let Ok(Path(id)) = id else {
        return Err(HttpError::bad_request("invalid-request", "bad list id"));
    };
    let list = state.service.status_list(&id).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/vc+ld+json"),
        )],
        axum::Json(list),
    )
        .into_response())
}

async fn schema(
    State(state): Shared,
    hash: Result<Path<String>, PathRejection>,
) -> Result<Response, HttpError> {
    let not_found = || HttpError::new(StatusCode::NOT_FOUND, "not-found", "no such schema");
    let Ok(Path(hash)) = hash else {
        return Err(not_found());
    };
    let key: [u8; 32] = hex::decode(&hash)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(not_found)?;
    let text = state
        .service
        .context()
        .schemas
        .text_of(&key)
        .ok_or_else(not_found)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/schema+json"),
        )],
        text,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordRequest {
    record: SubjectRecord,
}

#[derive(Debug, Serialize)]
struct RecordCreated {
    id: String,
}

async fn put_record(
    State(state): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    back_office(&state, &headers)?;
    let request: RecordRequest = parse_body(&headers, &body)?;
    request
        .record
        .validate()
        .map_err(|err| HttpError::bad_request("invalid-record", err.to_string()))?;
    let id = state.service.put_record(request.record).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(RecordCreated {
            id: id.as_str().to_owned(),
        }),
    )
        .into_response())
}

async fn delete_record(
    State(state): Shared,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, HttpError> {
    back_office(&state, &headers)?;
    let not_found = || HttpError::new(StatusCode::NOT_FOUND, "unknown-record", "no such record");
    let Ok(Path(id)) = id else {
        return Err(not_found());
    };
    let id = RecordId::parse(&id).map_err(|_| not_found())?;
    if state.service.delete_record(id).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(not_found())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchRequest {
    records: Vec<BatchRecord>,
    #[serde(default)]
    options: IssueOptions,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct BatchResponse {
    count: usize,
    credentials: Vec<IssuedCredential>,
}

async fn batch(
    State(state): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    back_office(&state, &headers)?;
    let request: BatchRequest = parse_body(&headers, &body)?;
    if request.records.is_empty() || request.records.len() > MAX_HTTP_BATCH {
        return Err(HttpError::bad_request(
            "batch-size",
            format!("a batch holds 1 to {MAX_HTTP_BATCH} records over HTTP"),
        ));
    }
    for item in &request.records {
        item.record
            .validate()
            .map_err(|err| HttpError::bad_request("invalid-record", err.to_string()))?;
    }
    let credentials = state
        .service
        .issue_records(request.records, request.options, |_| {})
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(BatchResponse {
            count: credentials.len(),
            credentials,
        }),
    )
        .into_response())
}

impl From<StatusError> for HttpError {
    fn from(err: StatusError) -> HttpError {
        HttpError::from(ServiceError::Status(err))
    }
}

impl From<crate::store::StoreError> for HttpError {
    fn from(err: crate::store::StoreError) -> HttpError {
        HttpError::internal(err)
    }
}
