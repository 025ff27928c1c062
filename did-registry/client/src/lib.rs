//! The typed HTTP client of a registry node ([`RegistryClient`]): submits transactions, waits
//! for them, reads the chain, resolves DIDs, fetches state entries with proof bundles and
//! follows the block stream. Every failure is a [`ClientError`]; the node's JSON errors keep
//! their HTTP status and [`ApiErrorCode`].
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::{Stream, StreamExt as _};
use serde::de::DeserializeOwned;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crosscode_did_registry::api::{
    ApiError, BlockEvent, IssuersResponse, SubmitBatchResponse, SubmitRequest, SubmitResponse,
    base64url,
};
pub use crosscode_did_registry::api::{
    ApiErrorCode, BlockResponse, BundleMismatch, ChainInfo, IssuerEntry, RejectionCode,
    ResolutionErrorCode, StateResponse, TxStatus,
};
use crosscode_did_registry::block::{CommitCertificate, Header};
use crosscode_did_registry::codec::{Decode, Encode};
use crosscode_did_registry::document::{
    DocumentContent, RegistryDid, Relationships, Service, VerificationKey, VerificationMethod,
};
use crosscode_did_registry::proof::TrustedChain;
use crosscode_did_registry::records::Namespace;
use crosscode_did_registry::state::ResolvedDid;
use crosscode_did_registry::transaction::SignedTransaction;

/// Default timeout of one request.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest pause between two status polls of [`RegistryClient::wait_committed`].
const MAX_POLL_INTERVAL: Duration = Duration::from_millis(200);
/// First pause between two status polls.
const FIRST_POLL_INTERVAL: Duration = Duration::from_millis(10);
/// Largest answer body the client reads (bytes).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;
/// Largest server-sent event (bytes of its lines) the block stream reads.
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// The committed headers and certificates of [`RegistryClient::blocks_stream`].
pub type BlockStream =
    std::pin::Pin<Box<dyn Stream<Item = Result<(Header, CommitCertificate), ClientError>> + Send>>;

/// The next header and certificate of a block stream (`None` when the node closed it): for
/// callers without `futures` in scope.
pub async fn next_block(
    stream: &mut BlockStream,
) -> Option<Result<(Header, CommitCertificate), ClientError>> {
    stream.next().await
}

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The node URL is not an `http://` URL.
    #[error("invalid node URL: {reason}")]
    InvalidUrl {
        /// What is wrong.
        reason: &'static str,
    },
    /// The node could not be reached or the connection broke.
    #[error("cannot reach the node: {0}")]
    Transport(#[source] reqwest::Error),
    /// The node answered with an API error.
    #[error("the node answered HTTP {status} {code:?}: {message}")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The API error code.
        code: ApiErrorCode,
        /// The node's message.
        message: String,
    },
    /// DID resolution failed (a W3C resolution error result).
    #[error("DID resolution failed (HTTP {status}, {error:?}): {message}")]
    Resolution {
        /// The HTTP status.
        status: u16,
        /// The resolution error (`didResolutionMetadata.error`).
        error: ResolutionErrorCode,
        /// The node's message.
        message: String,
    },
    /// The transaction was rejected by the state machine.
    #[error("transaction rejected ({code:?}): {message}")]
    Rejected {
        /// Why.
        code: RejectionCode,
        /// The rejection's text.
        message: String,
    },
    /// The request (or the wait for a commit) timed out.
    #[error("timed out")]
    Timeout,
    /// An answer body or a block-stream event is larger than the client reads.
    #[error("the node's {what} is larger than {limit} bytes")]
    TooLarge {
        /// `answer` or `block event`.
        what: &'static str,
        /// The limit ([`MAX_RESPONSE_BYTES`] or [`MAX_EVENT_BYTES`]).
        limit: usize,
    },
    /// The proof bundle of a state answer does not prove the entry answered.
    #[error("the node's proof bundle does not match its answer: {0}")]
    ProofMismatch(#[source] BundleMismatch),
    /// The node's answer is not what the API specifies.
    #[error("unexpected answer from the node (HTTP {status}): {reason}")]
    UnexpectedResponse {
        /// The HTTP status.
        status: u16,
        /// What is wrong with it.
        reason: String,
    },
}

impl ClientError {
    /// The node's API error code, if the node answered with one.
    pub fn api_code(&self) -> Option<ApiErrorCode> {
        match self {
            ClientError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether the node answered that the transaction, block or DID does not exist (yet).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            ClientError::Api {
                code: ApiErrorCode::NotFound | ApiErrorCode::UnknownHeight,
                ..
            } | ClientError::Resolution {
                error: ResolutionErrorCode::NotFound,
                ..
            }
        )
    }
}

fn transport(err: reqwest::Error) -> ClientError {
    if err.is_timeout() {
        ClientError::Timeout
    } else {
        ClientError::Transport(err)
    }
}

fn unexpected(status: u16, reason: impl Into<String>) -> ClientError {
    ClientError::UnexpectedResponse {
        status,
        reason: reason.into(),
    }
}

/// A client of one registry node.
#[derive(Debug, Clone)]
pub struct RegistryClient {
    http: reqwest::Client,
    base: String,
    timeout: Duration,
}

impl RegistryClient {
    /// A client of the node at `base_url` (`http://host:port`, a trailing `/` allowed), with
    /// [`DEFAULT_REQUEST_TIMEOUT`] per request.
    pub fn new(base_url: &str) -> Result<Self, ClientError> {
        let base = base_url.trim_end_matches('/');
        let url = reqwest::Url::parse(base).map_err(|_| ClientError::InvalidUrl {
            reason: "not a URL",
        })?;
        if url.scheme() != "http" {
            return Err(ClientError::InvalidUrl {
                reason: "only http:// URLs are supported",
            });
        }
        if url.host_str().is_none() || url.query().is_some() || url.fragment().is_some() {
            return Err(ClientError::InvalidUrl {
                reason: "needs a host, and no query or fragment",
            });
        }
        let http = reqwest::Client::builder()
            .build()
            .map_err(ClientError::Transport)?;
        Ok(Self {
            http,
            base: base.to_owned(),
            timeout: DEFAULT_REQUEST_TIMEOUT,
        })
    }

    /// The same client with another per-request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The node's base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends `request` (with the client's timeout) and reads the status and the body (at most
    /// [`MAX_RESPONSE_BYTES`]).
    async fn exchange(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(u16, Vec<u8>), ClientError> {
        let mut response = request
            .timeout(self.timeout)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let too_large = ClientError::TooLarge {
            what: "answer",
            limit: MAX_RESPONSE_BYTES,
        };
        if response
            .content_length()
            .is_some_and(|length| length > MAX_RESPONSE_BYTES as u64)
        {
            return Err(too_large);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body))
    }

    async fn get_raw(&self, path: &str) -> Result<(u16, Vec<u8>), ClientError> {
        self.exchange(self.http.get(self.url(path))).await
    }

    async fn post_json(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<(u16, Vec<u8>), ClientError> {
        self.exchange(self.http.post(self.url(path)).json(body))
            .await
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let (status, body) = self.get_raw(path).await?;
        parse_answer(status, &body)
    }

    /// Submits a transaction; returns its hash once the node admitted it (it is then pending).
    pub async fn submit(&self, tx: &SignedTransaction) -> Result<[u8; 32], ClientError> {
        let (status, body) = self.post_json("/v1/tx", &SubmitRequest::new(tx)).await?;
        Ok(parse_answer::<SubmitResponse>(status, &body)?.hash)
    }

    /// Submits transactions in one request (all admitted or none); returns their hashes in
    /// order.
    pub async fn submit_batch(
        &self,
        txs: &[SignedTransaction],
    ) -> Result<Vec<[u8; 32]>, ClientError> {
        let encoded: Vec<String> = txs.iter().map(|tx| base64url(&tx.to_bytes())).collect();
        self.submit_encoded_batch(&encoded).await
    }

    /// Submits transactions already encoded (base64url of their canonical encodings) in one
    /// request; returns their hashes in order.
    pub async fn submit_encoded_batch(
        &self,
        encoded: &[String],
    ) -> Result<Vec<[u8; 32]>, ClientError> {
        let (status, body) = self.post_json("/v1/txs", &encoded).await?;
        let answer: SubmitBatchResponse = parse_answer(status, &body)?;
        if answer.hashes.len() != encoded.len() {
            return Err(unexpected(status, "not one hash per transaction"));
        }
        Ok(answer.hashes)
    }

    /// Where a transaction stands (an unknown hash is `ClientError::Api` with
    /// [`ApiErrorCode::NotFound`]).
    pub async fn tx_status(&self, hash: &[u8; 32]) -> Result<TxStatus, ClientError> {
        self.get(&format!("/v1/tx/{}", hex::encode(hash))).await
    }

    /// Waits until the transaction is committed (`(height, index)`), polling its status; a
    /// rejection is [`ClientError::Rejected`], and no outcome within `timeout` is
    /// [`ClientError::Timeout`].
    pub async fn wait_committed(
        &self,
        hash: &[u8; 32],
        timeout: Duration,
    ) -> Result<(u64, u32), ClientError> {
        // A timeout too long to represent never runs out.
        let deadline = tokio::time::Instant::now().checked_add(timeout);
        let mut pause = FIRST_POLL_INTERVAL;
        loop {
            match self.tx_status(hash).await? {
                TxStatus::Committed { height, index } => return Ok((height, index)),
                TxStatus::Rejected { code, message } => {
                    return Err(ClientError::Rejected { code, message });
                }
                TxStatus::Pending => {}
            }
            let now = tokio::time::Instant::now();
            let left = match deadline {
                Some(deadline) if now >= deadline => return Err(ClientError::Timeout),
                Some(deadline) => deadline - now,
                None => pause,
            };
            tokio::time::sleep(pause.min(left)).await;
            pause = (pause * 2).min(MAX_POLL_INTERVAL);
        }
    }

    /// The chain and its head.
    pub async fn chain_info(&self) -> Result<ChainInfo, ClientError> {
        self.get("/v1/chain").await
    }

    /// The validator set that signs the next block (what a checkpoint pins).
    pub async fn validators(&self) -> Result<TrustedChain, ClientError> {
        let (status, body) = self.get_raw("/v1/validators").await?;
        if !(200..300).contains(&status) {
            return Err(api_error(status, &body));
        }
        let text = std::str::from_utf8(&body).map_err(|_| unexpected(status, "not UTF-8"))?;
        TrustedChain::from_json(text).map_err(|err| unexpected(status, err.to_string()))
    }

    /// The admitted authority issuers.
    pub async fn issuers(&self) -> Result<Vec<IssuerEntry>, ClientError> {
        Ok(self.get::<IssuersResponse>("/v1/issuers").await?.issuers)
    }

    /// The committed block at `height`.
    pub async fn block(&self, height: u64) -> Result<BlockResponse, ClientError> {
        self.get(&format!("/v1/blocks/{height}")).await
    }

    /// A state entry at `height` (`None`: the head), with its proof bundle when `proof`.
    /// `key` is the key bytes after the namespace byte. With `proof`, the bundle must prove
    /// exactly this entry — one entry, this state key, the answered value, at the answered
    /// height — or the answer is [`ClientError::ProofMismatch`] (the bundle's signatures and
    /// Merkle proofs are for [`crosscode_did_registry::proof::verify_bundle_for_keys`] to check against a
    /// trusted validator set).
    pub async fn state(
        &self,
        namespace: Namespace,
        key: &[u8],
        proof: bool,
        height: Option<u64>,
    ) -> Result<StateResponse, ClientError> {
        let mut path = format!(
            "/v1/state/{}/{}?proof={proof}",
            namespace.name(),
            hex::encode(key)
        );
        if let Some(height) = height {
            path.push_str(&format!("&height={height}"));
        }
        let answer: StateResponse = self.get(&path).await?;
        if answer.namespace != namespace
            || answer.key != key
            || answer.bundle.is_some() != proof
            || height.is_some_and(|height| answer.height != height)
        {
            return Err(unexpected(
                200,
                "the answer is not about the entry asked for",
            ));
        }
        answer.check_bundle().map_err(ClientError::ProofMismatch)?;
        Ok(answer)
    }

    /// The next sequence number of `did` at the head (transactions still pending not
    /// counted).
    pub async fn next_sequence(&self, did: &RegistryDid) -> Result<u64, ClientError> {
        let answer = self
            .state(Namespace::Sequence, did.as_str().as_bytes(), false, None)
            .await?;
        match answer.value {
            None => Ok(0),
            Some(bytes) => u64::from_bytes(&bytes).map_err(|err| unexpected(200, err.to_string())),
        }
    }

    /// The W3C DID Resolution result of `did` as of `height` (`None`: the head). A deactivated
    /// DID resolves (HTTP 410) with `deactivated: true` in its metadata.
    pub async fn resolve(&self, did: &str, height: Option<u64>) -> Result<Value, ClientError> {
        let mut path = format!("/1.0/identifiers/{}", percent_encode_path(did));
        if let Some(height) = height {
            path.push_str(&format!("?height={height}"));
        }
        self.resolve_path(&path).await
    }

    /// The W3C DID Resolution result of `did` at `version_time` (RFC 3339).
    pub async fn resolve_at_time(
        &self,
        did: &str,
        version_time: &str,
    ) -> Result<Value, ClientError> {
        let path = format!(
            "/1.0/identifiers/{}?versionTime={}",
            percent_encode_path(did),
            percent_encode_path(version_time)
        );
        self.resolve_path(&path).await
    }

    async fn resolve_path(&self, path: &str) -> Result<Value, ClientError> {
        let (status, body) = self.get_raw(path).await?;
        if status == 200 || status == 410 {
            return serde_json::from_slice(&body)
                .map_err(|err| unexpected(status, err.to_string()));
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Metadata {
            error: ResolutionErrorCode,
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct ErrorResult {
            did_resolution_metadata: Metadata,
            #[serde(default)]
            message: String,
        }
        match serde_json::from_slice::<ErrorResult>(&body) {
            Ok(result) => Err(ClientError::Resolution {
                status,
                error: result.did_resolution_metadata.error,
                message: result.message,
            }),
            Err(_) => Err(api_error(status, &body)),
        }
    }

    /// `did` resolved as of `height` (`None`: the head), as the registry's typed document.
    pub async fn resolve_document(
        &self,
        did: &str,
        height: Option<u64>,
    ) -> Result<ResolvedDid, ClientError> {
        let result = self.resolve(did, height).await?;
        resolved_from_result(&result).map_err(|reason| unexpected(200, reason))
    }

    /// The committed headers and certificates from `from` on (already committed ones first,
    /// then new ones as they are committed). The stream ends when the node closes it.
    pub async fn blocks_stream(&self, from: u64) -> Result<BlockStream, ClientError> {
        let response = self
            .http
            .get(self.url(&format!("/v1/blocks/stream?from={from}")))
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        if status != 200 {
            let body = response.bytes().await.map_err(transport)?;
            return Err(api_error(status, &body));
        }
        let reader = SseReader {
            bytes: Box::pin(response.bytes_stream()),
            parser: SseParser::new(MAX_EVENT_BYTES),
            ready: VecDeque::new(),
        };
        Ok(Box::pin(futures_util::stream::unfold(
            reader,
            |mut reader| async move {
                let item = reader.next_block().await?;
                Some((item, reader))
            },
        )))
    }
}

/// Parses a success answer as `T`, or an error answer as [`ClientError::Api`].
fn parse_answer<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T, ClientError> {
    if (200..300).contains(&status) {
        serde_json::from_slice(body).map_err(|err| unexpected(status, err.to_string()))
    } else {
        Err(api_error(status, body))
    }
}

fn api_error(status: u16, body: &[u8]) -> ClientError {
    match serde_json::from_slice::<ApiError>(body) {
        Ok(error) => ClientError::Api {
            status,
            code: error.error,
            message: error.message,
        },
        Err(_) => unexpected(status, "not a JSON error body"),
    }
}

/// Percent-encodes what a path segment or query value cannot hold as is.
fn percent_encode_path(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// One server-sent event: its type (`message` when not named) and its data.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SseEvent {
    name: String,
    data: String,
}

/// An incremental parser of a server-sent event stream (the WHATWG `text/event-stream` rules
/// the node's stream needs): lines end with LF, CRLF or CR (also across chunk boundaries);
/// `event:` names the event, `data:` lines are joined with LF, lines starting with `:` are
/// comments, other fields are ignored; a blank line ends the event. Each byte is looked at
/// once, and an event (its lines, including the one being read) larger than `max_event_bytes`
/// is an error.
#[derive(Debug)]
struct SseParser {
    line: Vec<u8>,
    /// The previous chunk ended with CR: a LF opening the next one ends nothing.
    after_cr: bool,
    name: Option<String>,
    data: Option<String>,
    /// Bytes of the current event's lines so far.
    event_bytes: usize,
    max_event_bytes: usize,
}

impl SseParser {
    fn new(max_event_bytes: usize) -> Self {
        Self {
            line: Vec::new(),
            after_cr: false,
            name: None,
            data: None,
            event_bytes: 0,
            max_event_bytes,
        }
    }

    /// Parses `chunk`, appending the events it completes to `events`.
    fn push(&mut self, chunk: &[u8], events: &mut VecDeque<SseEvent>) -> Result<(), ClientError> {
        for &byte in chunk {
            let after_cr = std::mem::replace(&mut self.after_cr, false);
            match byte {
                b'\n' if after_cr => {}
                b'\n' => self.end_line(events)?,
                b'\r' => {
                    self.after_cr = true;
                    self.end_line(events)?;
                }
                _ => {
                    self.event_bytes += 1;
                    if self.event_bytes > self.max_event_bytes {
                        return Err(ClientError::TooLarge {
                            what: "block event",
                            limit: self.max_event_bytes,
                        });
                    }
                    self.line.push(byte);
                }
            }
        }
        Ok(())
    }

    fn end_line(&mut self, events: &mut VecDeque<SseEvent>) -> Result<(), ClientError> {
        let line = std::mem::take(&mut self.line);
        if line.is_empty() {
            let data = self.data.take();
            let name = self.name.take();
            self.event_bytes = 0;
            if let Some(data) = data {
                events.push_back(SseEvent {
                    name: name.unwrap_or_else(|| "message".to_owned()),
                    data,
                });
            }
            return Ok(());
        }
        let line = String::from_utf8(line).map_err(|_| unexpected(200, "event is not UTF-8"))?;
        if line.starts_with(':') {
            return Ok(());
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_str(), ""),
        };
        match field {
            "event" => self.name = Some(value.to_owned()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            _ => {}
        }
        Ok(())
    }
}

/// Reads the `block` events of a server-sent event stream.
struct SseReader<S> {
    bytes: std::pin::Pin<Box<S>>,
    parser: SseParser,
    /// Events parsed and not read yet.
    ready: VecDeque<SseEvent>,
}

impl<S, B> SseReader<S>
where
    S: Stream<Item = Result<B, reqwest::Error>>,
    B: AsRef<[u8]>,
{
    /// The next `block` event, `None` at the end of the stream.
    async fn next_block(&mut self) -> Option<Result<(Header, CommitCertificate), ClientError>> {
        loop {
            while let Some(event) = self.ready.pop_front() {
                if event.name == "block" {
                    return Some(
                        serde_json::from_str::<BlockEvent>(&event.data)
                            .map(|event| (event.header, event.certificate))
                            .map_err(|err| unexpected(200, format!("block event: {err}"))),
                    );
                }
            }
            match self.bytes.next().await {
                Some(Ok(chunk)) => {
                    if let Err(err) = self.parser.push(chunk.as_ref(), &mut self.ready) {
                        return Some(Err(err));
                    }
                }
                Some(Err(err)) => return Some(Err(transport(err))),
                None => return None,
            }
        }
    }
}

/// The typed resolution of a W3C DID Resolution result rendered by the node.
fn resolved_from_result(result: &Value) -> Result<ResolvedDid, String> {
    let document = result.get("didDocument").ok_or("no didDocument")?;
    let metadata = result
        .get("didDocumentMetadata")
        .ok_or("no didDocumentMetadata")?;
    let id = document
        .get("id")
        .and_then(Value::as_str)
        .ok_or("no document id")?;
    let did = RegistryDid::parse(id).map_err(|e| e.to_string())?;
    let prefix = format!("{id}#");
    let fragment_of = |reference: &str| -> Result<String, String> {
        reference
            .strip_prefix(&prefix)
            .map(str::to_owned)
            .ok_or_else(|| "a reference to another DID".to_owned())
    };
    let mut methods = Vec::new();
    for method in document
        .get("verificationMethod")
        .and_then(Value::as_array)
        .ok_or("no verificationMethod")?
    {
        let fragment = fragment_of(
            method
                .get("id")
                .and_then(Value::as_str)
                .ok_or("method id")?,
        )?;
        let key = crosscode_core::multicodec::decode_multikey(
            method
                .get("publicKeyMultibase")
                .and_then(Value::as_str)
                .ok_or("publicKeyMultibase")?,
        )
        .map_err(|e| e.to_string())?;
        methods.push(VerificationMethod {
            fragment,
            key: VerificationKey(key),
            relationships: Relationships::from_bytes(&[0]).map_err(|e| e.to_string())?,
        });
    }
    for (flag, property) in Relationships::NAMED {
        for reference in document
            .get(property)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let fragment = fragment_of(reference.as_str().ok_or("relationship reference")?)?;
            let method = methods
                .iter_mut()
                .find(|m| m.fragment == fragment)
                .ok_or("a relationship names no method")?;
            method.relationships = method.relationships.with(flag);
        }
    }
    let mut services = Vec::new();
    for service in document
        .get("service")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        services.push(Service {
            fragment: fragment_of(
                service
                    .get("id")
                    .and_then(Value::as_str)
                    .ok_or("service id")?,
            )?,
            service_type: service
                .get("type")
                .and_then(Value::as_str)
                .ok_or("service type")?
                .to_owned(),
            endpoint: service
                .get("serviceEndpoint")
                .and_then(Value::as_str)
                .ok_or("serviceEndpoint")?
                .to_owned(),
        });
    }
    let number = |name: &str| metadata.get(name).and_then(Value::as_u64);
    let instant = |name: &str| -> Result<u64, String> {
        let text = metadata
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("no {name}"))?;
        let time = OffsetDateTime::parse(text, &Rfc3339).map_err(|e| e.to_string())?;
        u64::try_from(time.unix_timestamp()).map_err(|e| e.to_string())
    };
    Ok(ResolvedDid {
        did,
        document: DocumentContent {
            verification_methods: methods,
            services,
        },
        deactivated: metadata
            .get("deactivated")
            .and_then(Value::as_bool)
            .ok_or("no deactivated")?,
        version: metadata
            .get("versionId")
            .and_then(Value::as_str)
            .and_then(|v| v.parse().ok())
            .ok_or("no versionId")?,
        version_height: number("height").ok_or("no height")?,
        version_time: instant("updated")?,
        created_height: number("createdHeight").ok_or("no createdHeight")?,
        created_time: instant("created")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The events of `chunks` fed one after the other.
    fn parse(chunks: &[&[u8]], max: usize) -> Result<Vec<SseEvent>, ClientError> {
        let mut parser = SseParser::new(max);
        let mut events = VecDeque::new();
        for chunk in chunks {
            parser.push(chunk, &mut events)?;
        }
        Ok(events.into())
    }

    fn event(name: &str, data: &str) -> SseEvent {
        SseEvent {
            name: name.to_owned(),
            data: data.to_owned(),
        }
    }

    const STREAM: &str = ": keep-alive comment\nevent: block\nid: 7\ndata: {\"a\":1}\n\n\
                          data: first line\ndata:second line\ndata\n\n\
                          event:block\nretry: 10\ndata: {}\n\n";

    fn expected() -> Vec<SseEvent> {
        vec![
            event("block", "{\"a\":1}"),
            event("message", "first line\nsecond line\n"),
            event("block", "{}"),
        ]
    }

    #[test]
    fn lf_crlf_and_cr_line_endings_give_the_same_events() {
        for ending in ["\n", "\r\n", "\r"] {
            let text = STREAM.replace('\n', ending);
            assert_eq!(
                parse(&[text.as_bytes()], MAX_EVENT_BYTES).unwrap(),
                expected(),
                "{ending:?}"
            );
        }
    }

    #[test]
    fn events_split_at_any_byte_parse_the_same() {
        for ending in ["\n", "\r\n", "\r"] {
            let text = STREAM.replace('\n', ending);
            let bytes = text.as_bytes();
            for cut in 0..=bytes.len() {
                let (a, b) = bytes.split_at(cut);
                assert_eq!(
                    parse(&[a, b], MAX_EVENT_BYTES).unwrap(),
                    expected(),
                    "{ending:?} cut at {cut}"
                );
            }
            let one_by_one: Vec<&[u8]> = bytes.chunks(1).collect();
            assert_eq!(parse(&one_by_one, MAX_EVENT_BYTES).unwrap(), expected());
        }
    }

    #[test]
    fn comments_and_events_without_data_dispatch_nothing() {
        let events = parse(&[b": only a comment\n\nevent: block\n\n:another\n\n"], 100).unwrap();
        assert!(events.is_empty());
    }

    #[test]
    fn an_event_over_the_limit_is_too_large() {
        let mut long = b"data: ".to_vec();
        long.extend(std::iter::repeat_n(b'x', 100));
        // Within the limit (106 bytes of lines): fine; one byte less allowed: too large, even
        // before the event's blank line arrives.
        assert_eq!(parse(&[&long, b"\n\n"], 106).unwrap().len(), 1);
        assert!(matches!(
            parse(&[&long], 105),
            Err(ClientError::TooLarge {
                what: "block event",
                limit: 105
            })
        ));
        // The limit is per event: many small events are fine.
        let many = "data: 0123456789\n\n".repeat(100);
        assert_eq!(parse(&[many.as_bytes()], 20).unwrap().len(), 100);
    }

    #[test]
    fn an_event_that_is_not_utf8_is_unexpected() {
        assert!(matches!(
            parse(&[b"data: \xff\n\n"], 100),
            Err(ClientError::UnexpectedResponse { status: 200, .. })
        ));
    }
}
