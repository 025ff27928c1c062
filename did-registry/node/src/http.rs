//! The HTTP API (axum): routes, handlers and the JSON error bodies. Every failure a client can
//! cause is a 4xx with `{"error": "<code>", "message": "..."}` (axum's own plain-text
//! rejections are mapped to fixed messages, never passed through: they would echo request
//! parameters); DID resolution errors are W3C resolution results carrying the same two members.
//! Reads that touch the store or the state run on the blocking pool ([`off_worker`]).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use serde::Deserialize;
use serde_json::Value;

use super::Shared;
use super::mempool::{AdmitError, Submission};
use crosscode_did_registry::api::{
    ApiError, ApiErrorCode, BlockResponse, BlockTransactions, ChainInfo, IssuersResponse,
    MAX_SUBMIT_BATCH, ProofsRequest, ProofsRequestError, ProofsResponse, StateResponse,
    SubmitBatchResponse, SubmitRequest, SubmitResponse, TxStatus, from_base64url,
};
use crosscode_did_registry::document::{RegistryDid, has_registry_did_syntax};
use crosscode_did_registry::json::{parse_hash, parse_lower_hex};
use crosscode_did_registry::ledger::{CommittedBlock, LedgerStore as _};
use crosscode_did_registry::proof::{MAX_STATE_KEY_LEN, TrustedChain};
use crosscode_did_registry::records::{ChainConfig, Namespace, StateKey};
use crosscode_did_registry::resolution::{
    ERROR_INTERNAL, ERROR_INVALID_DID, ERROR_INVALID_OPTIONS, ERROR_METHOD_NOT_SUPPORTED,
    ERROR_NOT_FOUND, VersionTimeError, parse_version_time, resolution_error, resolution_result,
};
use crosscode_did_registry::state::ResolveError;
use crosscode_did_registry::transaction::SignedTransaction;
use crosscode_did_registry::tree::StateTree;

/// The OpenAPI 3.1 description of the API (`GET /openapi.json`).
pub const OPENAPI_JSON: &str = include_str!("openapi.json");
/// The media type of DID Resolution results.
const DID_RESOLUTION_MEDIA_TYPE: &str =
    "application/ld+json;profile=\"https://w3id.org/did-resolution\"";

type AppState = State<Arc<Shared>>;

/// An error response: a status and a JSON body.
#[derive(Debug)]
pub(crate) struct HttpError {
    status: StatusCode,
    body: Value,
}

impl HttpError {
    pub(crate) fn api(code: ApiErrorCode, message: impl Into<String>) -> Self {
        let body = serde_json::to_value(ApiError::new(code, message)).unwrap_or(Value::Null);
        Self {
            status: status_of(code),
            body,
        }
    }

    /// A DID resolution error result (`did_error`) with the API error members added.
    fn resolution(code: ApiErrorCode, did_error: &str, message: impl Into<String>) -> Self {
        let mut body = resolution_error(did_error);
        if let (Value::Object(map), Ok(Value::Object(api))) = (
            &mut body,
            serde_json::to_value(ApiError::new(code, message)),
        ) {
            map.extend(api);
        }
        Self {
            status: status_of(code),
            body,
        }
    }

    fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "node: request failed");
        Self::api(ApiErrorCode::Internal, "the node could not read its store")
    }

    fn unavailable(message: &'static str) -> Self {
        Self::api(ApiErrorCode::Unavailable, message)
    }
}

/// Runs `read` (store reads, state scans, proofs) on tokio's blocking pool, off the async
/// workers.
async fn off_worker<T: Send + 'static>(
    read: impl FnOnce() -> Result<T, HttpError> + Send + 'static,
) -> Result<T, HttpError> {
    tokio::task::spawn_blocking(read)
        .await
        .map_err(HttpError::internal)?
}

fn status_of(code: ApiErrorCode) -> StatusCode {
    StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        json_response(self.status, &self.body, "application/json")
    }
}

fn json_response(status: StatusCode, body: &impl serde::Serialize, media_type: &str) -> Response {
    match serde_json::to_string(body) {
        Ok(text) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_str(media_type)
                    .unwrap_or(HeaderValue::from_static("application/json")),
            )],
            text,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn ok_json(body: &impl serde::Serialize) -> Response {
    json_response(StatusCode::OK, body, "application/json")
}

/// Every route the node serves: `(method, path)` (the router is built from this list, and a
/// test checks that `openapi.json` describes exactly these).
pub const ROUTES: [(&str, &str); 13] = [
    ("POST", "/v1/tx"),
    ("POST", "/v1/txs"),
    ("POST", "/v1/proofs"),
    ("GET", "/v1/tx/{hash}"),
    ("GET", "/v1/chain"),
    ("GET", "/v1/validators"),
    ("GET", "/1.0/identifiers/{did}"),
    ("GET", "/v1/state/{namespace}/{key}"),
    ("GET", "/v1/blocks/stream"),
    ("GET", "/v1/blocks/{height}"),
    ("GET", "/v1/blocks/{height}/transactions"),
    ("GET", "/v1/issuers"),
    ("GET", "/openapi.json"),
];

/// The handler of a route of [`ROUTES`].
fn handler(method: &str, path: &str) -> Option<MethodRouter<Arc<Shared>>> {
    Some(match (method, path) {
        ("POST", "/v1/tx") => post(submit),
        ("POST", "/v1/txs") => post(submit_batch),
        ("POST", "/v1/proofs") => post(proofs),
        ("GET", "/v1/tx/{hash}") => get(tx_status),
        ("GET", "/v1/chain") => get(chain),
        ("GET", "/v1/validators") => get(validators),
        ("GET", "/1.0/identifiers/{did}") => get(resolve),
        ("GET", "/v1/state/{namespace}/{key}") => get(state),
        ("GET", "/v1/blocks/stream") => get(super::stream::blocks_stream),
        ("GET", "/v1/blocks/{height}") => get(block),
        ("GET", "/v1/blocks/{height}/transactions") => get(block_transactions),
        ("GET", "/v1/issuers") => get(issuers),
        ("GET", "/openapi.json") => get(openapi),
        _ => return None,
    })
}

/// The routes that submit transactions: only they go through [`limit_submissions`] (a
/// `POST /v1/proofs` is a read).
const SUBMISSION_ROUTES: [(&str, &str); 2] = [("POST", "/v1/tx"), ("POST", "/v1/txs")];

/// The router of the API: the submission routes ([`SUBMISSION_ROUTES`]) go through
/// [`limit_submissions`].
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let max_body = shared.node.max_body_bytes;
    let limit = middleware::from_fn_with_state(Arc::clone(&shared), limit_submissions);
    ROUTES
        .iter()
        .filter_map(|&(method, path)| {
            handler(method, path).map(|h| {
                if SUBMISSION_ROUTES.contains(&(method, path)) {
                    (path, h.route_layer(limit.clone()))
                } else {
                    (path, h)
                }
            })
        })
        .fold(Router::new(), |router, (path, handler)| {
            router.route(path, handler)
        })
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(shared)
}

/// Lets at most `max_concurrent_submissions` submission requests in at once; the others wait
/// here, before their bodies are read.
async fn limit_submissions(State(shared): AppState, request: Request, next: Next) -> Response {
    match shared.submissions.acquire().await {
        Ok(_permit) => next.run(request).await,
        Err(_) => HttpError::unavailable("the node is stopping").into_response(),
    }
}

async fn unknown_route() -> HttpError {
    HttpError::api(
        ApiErrorCode::UnknownRoute,
        "no such route (see /openapi.json)",
    )
}

async fn method_not_allowed() -> HttpError {
    HttpError::api(
        ApiErrorCode::MethodNotAllowed,
        "this route does not take this method (see /openapi.json)",
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

/// The request body, refusing non-JSON media types and bodies over the limit.
fn json_body(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Bytes, HttpError> {
    if let Some(media_type) = headers.get(header::CONTENT_TYPE) {
        let is_json = media_type
            .to_str()
            .map(|t| {
                t.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(HttpError::api(
                ApiErrorCode::UnsupportedMediaType,
                "the body must be application/json",
            ));
        }
    }
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            HttpError::api(
                ApiErrorCode::BodyTooLarge,
                "the body is larger than the node accepts",
            )
        } else {
            HttpError::api(ApiErrorCode::InvalidJson, "the body could not be read")
        }
    })
}

fn invalid_json(err: &serde_json::Error) -> HttpError {
    HttpError::api(
        ApiErrorCode::InvalidJson,
        format!(
            "the body is not the JSON expected: {} at line {}, column {}",
            match err.classify() {
                serde_json::error::Category::Data => "wrong shape",
                _ => "not JSON",
            },
            err.line(),
            err.column()
        ),
    )
}

/// Decodes one submitted transaction: base64url, strict canonical decoding, this chain's id.
fn decode_submission(
    config: &ChainConfig,
    text: &str,
) -> Result<Submission, (ApiErrorCode, String)> {
    let bytes = from_base64url(text).map_err(|_| {
        (
            ApiErrorCode::InvalidBase64,
            "the transaction is not base64url without padding".to_owned(),
        )
    })?;
    let tx = SignedTransaction::decode_bytes(&bytes).map_err(|err| {
        (
            ApiErrorCode::InvalidTransaction,
            format!("the transaction does not decode: {err}"),
        )
    })?;
    if tx.transaction.chain_id != config.chain_id {
        return Err((
            ApiErrorCode::WrongChainId,
            format!("the transaction is not for chain {}", config.chain_id),
        ));
    }
    Ok(Submission {
        hash: tx.hash(config.profile),
        tx,
        bytes: bytes.len(),
    })
}

const STOPPING: &str = "the node is stopping or no longer produces blocks";

fn admit(shared: &Shared, txs: Vec<Submission>) -> Result<(), HttpError> {
    if shared.is_stopping() {
        return Err(HttpError::unavailable(STOPPING));
    }
    shared.lock_mempool().admit(txs).map_err(|err| match err {
        AdmitError::Full => HttpError::api(
            ApiErrorCode::MempoolFull,
            "the mempool is full; retry later",
        ),
        AdmitError::Closed => HttpError::unavailable(STOPPING),
    })?;
    shared.wake.notify_one();
    Ok(())
}

async fn submit(
    State(shared): AppState,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, HttpError> {
    let body = json_body(&headers, body)?;
    let request: SubmitRequest = serde_json::from_slice(&body).map_err(|e| invalid_json(&e))?;
    let submission = decode_submission(&shared.config, &request.transaction)
        .map_err(|(code, message)| HttpError::api(code, message))?;
    let hash = submission.hash;
    admit(&shared, vec![submission])?;
    Ok(json_response(
        StatusCode::ACCEPTED,
        &SubmitResponse { hash },
        "application/json",
    ))
}

async fn submit_batch(
    State(shared): AppState,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, HttpError> {
    let body = json_body(&headers, body)?;
    let shared_for_decode = Arc::clone(&shared);
    // Decoding up to 50,000 transactions is CPU work: off the async workers.
    let decoded = off_worker(move || {
        let texts: Vec<String> = serde_json::from_slice(&body).map_err(|e| invalid_json(&e))?;
        if texts.is_empty() || texts.len() > MAX_SUBMIT_BATCH {
            return Err(HttpError::api(
                ApiErrorCode::InvalidBatch,
                format!("a batch holds 1 to {MAX_SUBMIT_BATCH} transactions"),
            ));
        }
        texts
            .iter()
            .enumerate()
            .map(|(index, text)| {
                decode_submission(&shared_for_decode.config, text).map_err(|(code, message)| {
                    HttpError::api(code, format!("transaction {index}: {message}"))
                })
            })
            .collect::<Result<Vec<_>, HttpError>>()
    })
    .await?;
    let hashes: Vec<[u8; 32]> = decoded.iter().map(|s| s.hash).collect();
    admit(&shared, decoded)?;
    Ok(json_response(
        StatusCode::ACCEPTED,
        &SubmitBatchResponse { hashes },
        "application/json",
    ))
}

/// The message of a malformed path (fixed: axum's own would echo the request).
pub(crate) const MALFORMED_PATH: &str = "malformed path parameter";
/// The message of a malformed query (fixed: axum's own would echo parameter names).
pub(crate) const MALFORMED_QUERY: &str =
    "malformed query: an unknown, repeated or malformed parameter";

fn path_error(_: PathRejection) -> HttpError {
    HttpError::api(ApiErrorCode::InvalidPath, MALFORMED_PATH)
}

pub(crate) fn query_error(_: QueryRejection) -> HttpError {
    HttpError::api(ApiErrorCode::InvalidQuery, MALFORMED_QUERY)
}

async fn tx_status(
    State(shared): AppState,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, HttpError> {
    let Path(text) = path.map_err(path_error)?;
    let hash = parse_hash("transaction hash", &text).map_err(|_| {
        HttpError::api(
            ApiErrorCode::InvalidHex,
            "a transaction hash is 64 lowercase hex digits",
        )
    })?;
    if shared.lock_mempool().is_pending(&hash) {
        return Ok(ok_json(&TxStatus::Pending));
    }
    let store = shared.store.clone();
    let receipt = off_worker(move || {
        store
            .transaction_receipt(&hash)
            .map_err(HttpError::internal)
    })
    .await?;
    if let Some(receipt) = receipt {
        return Ok(ok_json(&TxStatus::Committed {
            height: receipt.height,
            index: receipt.index,
            events: receipt.events,
        }));
    }
    match shared.lock_mempool().rejection(&hash) {
        Some(rejected) => Ok(ok_json(&TxStatus::Rejected {
            code: rejected.code,
            message: rejected.message,
        })),
        None => Err(HttpError::api(
            ApiErrorCode::NotFound,
            "no such transaction (never received, or rejected long ago)",
        )),
    }
}

async fn chain(State(shared): AppState) -> Response {
    let head = shared.head();
    let pending = u64::try_from(shared.lock_mempool().len()).unwrap_or(u64::MAX);
    ok_json(&ChainInfo {
        chain_id: shared.config.chain_id.clone(),
        network: shared.config.network.clone(),
        profile: shared.config.profile,
        height: head.header.height,
        time: head.header.time,
        state_root: head.header.state_root,
        header_hash: head.hash,
        pending,
    })
}

async fn validators(State(shared): AppState) -> Response {
    let trusted = TrustedChain {
        chain_id: shared.config.chain_id.clone(),
        profile: shared.config.profile,
        validators: shared.head().validators,
    };
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        trusted.to_json(),
    )
        .into_response()
}

/// `?height=&versionTime=` of DID resolution.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ResolveQuery {
    height: Option<String>,
    version_time: Option<String>,
}

async fn resolve(
    State(shared): AppState,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<ResolveQuery>, QueryRejection>,
) -> Result<Response, HttpError> {
    let Path(text) = path.map_err(|_| {
        HttpError::resolution(ApiErrorCode::InvalidDid, ERROR_INVALID_DID, MALFORMED_PATH)
    })?;
    let did = match RegistryDid::parse(&text) {
        Ok(did) => Some(did),
        // The documented syntax, but an id that is not 16 bytes: no DID the registry holds.
        Err(_) if has_registry_did_syntax(&text) => None,
        Err(_) if text.starts_with("did:") && !text.starts_with("did:crosscode:") => {
            return Err(HttpError::resolution(
                ApiErrorCode::MethodNotSupported,
                ERROR_METHOD_NOT_SUPPORTED,
                "this registry resolves did:crosscode DIDs only",
            ));
        }
        Err(err) => {
            return Err(HttpError::resolution(
                ApiErrorCode::InvalidDid,
                ERROR_INVALID_DID,
                format!("not a valid did:crosscode DID: {err}"),
            ));
        }
    };
    let invalid_options = |message: String| {
        HttpError::resolution(ApiErrorCode::InvalidQuery, ERROR_INVALID_OPTIONS, message)
    };
    let Query(options) = query.map_err(|_| invalid_options(MALFORMED_QUERY.into()))?;
    let height = options
        .height
        .as_deref()
        .map(|h| {
            h.parse::<u64>()
                .map_err(|_| invalid_options("height is not a block height".into()))
        })
        .transpose()?;
    // `Some(None)`: a time before 1970, so before any block.
    let time = match options.version_time.as_deref().map(parse_version_time) {
        None => None,
        Some(Ok(time)) => Some(Some(time)),
        Some(Err(VersionTimeError::BeforeEpoch)) => Some(None),
        Some(Err(err)) => return Err(invalid_options(err.to_string())),
    };
    if height.is_some() && time.is_some() {
        return Err(invalid_options(
            "give height or versionTime, not both".into(),
        ));
    }
    let not_found = |code, message: &str| HttpError::resolution(code, ERROR_NOT_FOUND, message);
    let Some(did) = did.filter(|_| time != Some(None)) else {
        return Err(not_found(
            ApiErrorCode::NotFound,
            "no such DID (at that height or time)",
        ));
    };
    let time = time.flatten();
    if did.network() != shared.config.network {
        return Err(not_found(
            ApiErrorCode::NotFound,
            "the DID is of another network than this chain's",
        ));
    }
    let reader = Arc::clone(&shared);
    let resolved = off_worker(move || {
        let ledger = reader.ledger.blocking_read();
        if height.is_some_and(|h| h > ledger.head().height) {
            return Err(not_found(
                ApiErrorCode::UnknownHeight,
                "the height is not committed yet",
            ));
        }
        Ok(match time {
            Some(time) => ledger.state().resolve_at_time(&did, time),
            None => ledger.state().resolve(&did, height),
        })
    })
    .await?;
    match resolved.map(|resolved| (resolved.deactivated, resolution_result(&resolved))) {
        Ok((deactivated, Ok(result))) => {
            let status = if deactivated {
                StatusCode::GONE
            } else {
                StatusCode::OK
            };
            Ok(json_response(status, &result, DID_RESOLUTION_MEDIA_TYPE))
        }
        Ok((_, Err(_))) => {
            tracing::error!("node: a stored DID document is not valid DID syntax");
            Err(HttpError::resolution(
                ApiErrorCode::Internal,
                ERROR_INTERNAL,
                "the registry state could not be read",
            ))
        }
        Err(ResolveError::NotFound) => Err(not_found(
            ApiErrorCode::NotFound,
            "no such DID (at that height or time)",
        )),
        Err(ResolveError::CorruptState) => {
            tracing::error!("node: a DID record does not decode");
            Err(HttpError::resolution(
                ApiErrorCode::Internal,
                ERROR_INTERNAL,
                "the registry state could not be read",
            ))
        }
    }
}

/// `?proof=&height=` of state reads.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateQuery {
    proof: Option<String>,
    height: Option<String>,
}

fn parse_height(text: Option<&str>, head: u64) -> Result<u64, HttpError> {
    let Some(text) = text else {
        return Ok(head);
    };
    let height = text
        .parse::<u64>()
        .map_err(|_| HttpError::api(ApiErrorCode::InvalidQuery, "height is not a block height"))?;
    committed_height(height, head)
}

/// `height`, when it is committed (at most `head`); `unknown-height` otherwise.
fn committed_height(height: u64, head: u64) -> Result<u64, HttpError> {
    if height > head {
        return Err(HttpError::api(
            ApiErrorCode::UnknownHeight,
            format!("height {height} is not committed yet (head is {head})"),
        ));
    }
    Ok(height)
}

/// `height`, when a proof bundle can be built at it (a certified header: 1 to `head`);
/// `unknown-height` otherwise.
fn provable_height(height: u64, head: u64) -> Result<u64, HttpError> {
    if height == 0 {
        // No certified header at height 0, as above the head: nothing to prove against.
        return Err(HttpError::api(
            ApiErrorCode::UnknownHeight,
            "the genesis header has no certificate: prove at height 1 or later",
        ));
    }
    committed_height(height, head)
}

async fn state(
    State(shared): AppState,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<StateQuery>, QueryRejection>,
) -> Result<Response, HttpError> {
    let Path((namespace_name, key_text)) = path.map_err(path_error)?;
    let Query(options) = query.map_err(query_error)?;
    let namespace = Namespace::from_name(&namespace_name).ok_or_else(|| {
        HttpError::api(
            ApiErrorCode::UnknownNamespace,
            "no such namespace (did, did-version, sequence, member, issuer, proposal, schema, status, evidence, batch, meta)",
        )
    })?;
    // A DID key is its text's bytes (in any namespace; only the DID-keyed ones hold any).
    let key = if has_registry_did_syntax(&key_text) {
        key_text.into_bytes()
    } else if key_text.starts_with("did:") {
        return Err(HttpError::api(
            ApiErrorCode::InvalidDid,
            "not a did:crosscode DID (did:crosscode:<network>:<16 to 22 base58btc characters>)",
        ));
    } else {
        parse_lower_hex("key", &key_text).map_err(|_| {
            HttpError::api(
                ApiErrorCode::InvalidHex,
                "the key is not an even number of lowercase hex digits, nor a DID",
            )
        })?
    };
    if key.len() >= MAX_STATE_KEY_LEN {
        return Err(HttpError::api(
            ApiErrorCode::InvalidPath,
            format!(
                "the key is too long (at most {} bytes after the namespace byte)",
                MAX_STATE_KEY_LEN - 1
            ),
        ));
    }
    let with_proof = match options.proof.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(HttpError::api(
                ApiErrorCode::InvalidQuery,
                "proof is true or false",
            ));
        }
    };
    let head = shared.head().header.height;
    let height = parse_height(options.height.as_deref(), head)?;
    let height = if with_proof {
        provable_height(height, head)?
    } else {
        height
    };
    let state_key = StateKey::from_parts(namespace, &key).0;
    let reader = Arc::clone(&shared);
    let (value, bundle) = off_worker(move || {
        if with_proof {
            // The ledger's read lock is held while the bundle is built (a block read and the
            // key's proof); `Ledger::prove` needs the ledger.
            let bundle = reader
                .ledger
                .blocking_read()
                .prove(std::slice::from_ref(&state_key), height)
                .map_err(HttpError::internal)?;
            let value = bundle.entries.first().and_then(|entry| entry.value.clone());
            Ok((value, Some(bundle)))
        } else {
            let tree = StateTree::new(reader.config.profile, reader.store.clone());
            let (value, _) = tree
                .get_with_proof(&state_key, height)
                .map_err(HttpError::internal)?;
            Ok((value, None))
        }
    })
    .await?;
    Ok(ok_json(&StateResponse {
        namespace,
        key,
        height,
        value,
        bundle,
    }))
}

/// The typed error of a `POST /v1/proofs` body that is not a proof request: `invalid-json` for
/// the wrong shape, `invalid-batch` for no key or too many, `invalid-hex` for a key that is not
/// lowercase hex of a state key's length.
fn proofs_request_error(err: ProofsRequestError) -> HttpError {
    match err {
        ProofsRequestError::Json(err) => invalid_json(&err),
        ProofsRequestError::KeyCount(_) => {
            HttpError::api(ApiErrorCode::InvalidBatch, err.to_string())
        }
        ProofsRequestError::KeyNotHex { .. } | ProofsRequestError::KeyLength { .. } => {
            HttpError::api(ApiErrorCode::InvalidHex, err.to_string())
        }
    }
}

/// `POST /v1/proofs`: the entries of up to 256 full state keys at one height, in one proof
/// bundle ([`ProofsResponse`]). A read: not through the submission limit; the body is parsed
/// and the bundle built off the worker threads, under the ledger's read lock (as the state
/// route's proofs).
async fn proofs(
    State(shared): AppState,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, HttpError> {
    let body = json_body(&headers, body)?;
    let reader = Arc::clone(&shared);
    let bundle = off_worker(move || {
        let request = ProofsRequest::from_json(&body).map_err(proofs_request_error)?;
        let ledger = reader.ledger.blocking_read();
        let height = provable_height(request.height, ledger.head().height)?;
        ledger
            .prove(&request.keys, height)
            .map_err(HttpError::internal)
    })
    .await?;
    Ok(ok_json(&ProofsResponse { bundle }))
}

/// The committed block at the height of a `/v1/blocks/{height}…` path (read off the worker
/// threads): `invalid-path` for a height that is not a number, `unknown-height` above the head.
async fn committed_block(
    shared: &Shared,
    path: Result<Path<String>, PathRejection>,
) -> Result<CommittedBlock, HttpError> {
    let Path(text) = path.map_err(path_error)?;
    let height = text
        .parse::<u64>()
        .map_err(|_| HttpError::api(ApiErrorCode::InvalidPath, "the height is not a number"))?;
    let store = shared.store.clone();
    off_worker(move || store.block(height).map_err(HttpError::internal))
        .await?
        .ok_or_else(|| {
            HttpError::api(
                ApiErrorCode::UnknownHeight,
                format!("no block at height {height} yet"),
            )
        })
}

async fn block(
    State(shared): AppState,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, HttpError> {
    let committed = committed_block(&shared, path).await?;
    let profile = shared.config.profile;
    Ok(ok_json(&BlockResponse {
        transactions: committed
            .block
            .transactions
            .iter()
            .map(|tx| tx.hash(profile))
            .collect(),
        header: committed.block.header,
        certificate: committed.certificate,
    }))
}

/// `GET /v1/blocks/{height}/transactions`: the block's transactions ([`BlockTransactions`]).
async fn block_transactions(
    State(shared): AppState,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, HttpError> {
    let committed = committed_block(&shared, path).await?;
    Ok(ok_json(&BlockTransactions::new(
        committed.block.header.height,
        &committed.block.transactions,
    )))
}

/// The admitted issuers as of the head (kept with the head by the producer: no state scan).
async fn issuers(State(shared): AppState) -> Response {
    let head = shared.head();
    ok_json(&IssuersResponse {
        height: head.header.height,
        issuers: head.issuers.as_ref().clone(),
    })
}
