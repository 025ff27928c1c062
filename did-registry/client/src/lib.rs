//! The typed HTTP client of a registry node ([`RegistryClient`], `crosscode-registry-client`):
//! submits transactions, waits for them, reads the chain, resolves DIDs, fetches state entries
//! with proof bundles (one entry, or up to 256 in one bundle) and follows the block stream; and
//! performs whole registry writes (register a DID, anchor evidence, set a status, register a
//! schema, propose, vote) through a `crosscode_core::keys::Signer`, see [`writes`]. Every
//! failure is a [`ClientError`]; the node's JSON errors keep their HTTP status and
//! [`ApiErrorCode`].
//!
//! The wire types are `crosscode_did_registry::api`'s, shared with the node.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::collections::VecDeque;
use std::time::Duration;

use crosscode_core::did::DidResolutionResult;
use crosscode_core::keys::{KeyAlgorithm, SignatureError};
use futures_util::{Stream, StreamExt as _};
use serde::de::DeserializeOwned;

use crosscode_did_registry::api::{
    ApiError, IssuersResponse, ProofsRequest, ProofsResponse, SubmitBatchResponse, SubmitRequest,
    SubmitResponse, base64url,
};
pub use crosscode_did_registry::api::{
    ApiErrorCode, BlockResponse, BlockTransactions, BundleMismatch, ChainInfo, IssuerEntry,
    RejectionCode, ResolutionErrorCode, StateResponse, TxStatus,
};
use crosscode_did_registry::block::{CommitCertificate, Header};
use crosscode_did_registry::codec::{Decode, Encode};
use crosscode_did_registry::document::RegistryDid;
use crosscode_did_registry::proof::{ProofBundle, TrustedChain};
use crosscode_did_registry::records::Namespace;
use crosscode_did_registry::resolution::resolved_from_result;
use crosscode_did_registry::state::{Event, ResolvedDid};
use crosscode_did_registry::transaction::SignedTransaction;

pub mod dev;
mod sse;
pub mod trust;
pub mod writes;

use sse::{SseParser, SseReader};
pub use writes::{Proposed, Sender, Voted};

/// Default timeout of one request.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time a write waits for its transaction to be committed.
pub const DEFAULT_COMMIT_TIMEOUT: Duration = Duration::from_secs(60);
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
    #[error("transaction rejected ({code}): {message}")]
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
    /// The signing key is not of the algorithm the chain's profile signs with.
    #[error("the key is an {found} key; this chain signs with {expected} keys")]
    WrongKeyAlgorithm {
        /// The key's algorithm.
        found: KeyAlgorithm,
        /// The chain's.
        expected: KeyAlgorithm,
    },
    /// The sender DID is not registered on the chain (at the head).
    #[error("{did} is not registered on this chain")]
    NotRegistered {
        /// The DID.
        did: RegistryDid,
    },
    /// The sender DID is deactivated.
    #[error("{did} is deactivated")]
    DidDeactivated {
        /// The DID.
        did: RegistryDid,
    },
    /// The signing key is not a method of the sender's document with the relationship the
    /// write needs (`capabilityInvocation` to send, `assertionMethod` to sign evidence).
    #[error("the key is not one of the {relationship} keys of {did}")]
    KeyNotAuthorised {
        /// The sender DID.
        did: RegistryDid,
        /// The relationship, by its DID document property name.
        relationship: &'static str,
    },
    /// The signer failed to sign.
    #[error("cannot sign: {0}")]
    Signing(#[source] SignatureError),
    /// A committed transaction lacks the event the write reports (e.g. `proposalOpened`): the
    /// node did not report its events.
    #[error("the committed transaction has no {expected} event")]
    MissingEvent {
        /// The event type expected.
        expected: &'static str,
    },
}

/// A committed transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// Its hash.
    pub hash: [u8; 32],
    /// The height of its block.
    pub height: u64,
    /// Its index in the block.
    pub index: u32,
    /// What it did (e.g. the number of the proposal it opened).
    pub events: Vec<Event>,
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

pub(crate) fn transport(err: reqwest::Error) -> ClientError {
    if err.is_timeout() {
        ClientError::Timeout
    } else {
        ClientError::Transport(err)
    }
}

pub(crate) fn unexpected(status: u16, reason: impl Into<String>) -> ClientError {
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
    commit_timeout: Duration,
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
            commit_timeout: DEFAULT_COMMIT_TIMEOUT,
        })
    }

    /// The same client with another per-request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The same client with another commit timeout: how long a write ([`writes`]) waits for
    /// its transaction to be committed ([`DEFAULT_COMMIT_TIMEOUT`] unless set).
    pub fn with_commit_timeout(mut self, timeout: Duration) -> Self {
        self.commit_timeout = timeout;
        self
    }

    /// How long a write waits for its transaction to be committed.
    pub fn commit_timeout(&self) -> Duration {
        self.commit_timeout
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

    /// Waits until the transaction is committed (where, and its events), polling its status; a
    /// rejection is [`ClientError::Rejected`], and no outcome within `timeout` is
    /// [`ClientError::Timeout`].
    pub async fn wait_committed(
        &self,
        hash: &[u8; 32],
        timeout: Duration,
    ) -> Result<Committed, ClientError> {
        // A timeout too long to represent never runs out.
        let deadline = tokio::time::Instant::now().checked_add(timeout);
        let mut pause = FIRST_POLL_INTERVAL;
        loop {
            match self.tx_status(hash).await? {
                TxStatus::Committed {
                    height,
                    index,
                    events,
                } => {
                    return Ok(Committed {
                        hash: *hash,
                        height,
                        index,
                        events,
                    });
                }
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

    /// The transactions of the committed block at `height`, as the node answers them (check
    /// them against a verified header with [`BlockTransactions::verify_against`]).
    pub async fn block_transactions(&self, height: u64) -> Result<BlockTransactions, ClientError> {
        self.get(&format!("/v1/blocks/{height}/transactions")).await
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

    /// The entries of `keys` at `height`, with their proofs, in one bundle (`POST /v1/proofs`).
    /// Each key is a full state key (the namespace byte, then the key bytes, e.g.
    /// `StateKey::evidence(&hash).0`), 1 to `MAX_BUNDLE_ENTRIES` (256) of them; `height` is a
    /// certified one (1 to the head; others are [`ApiErrorCode::UnknownHeight`]). The bundle
    /// must answer exactly these keys, in this order, under the header of `height`, or the
    /// answer is [`ClientError::UnexpectedResponse`]; its signatures and Merkle proofs are for
    /// [`crosscode_did_registry::proof::verify_bundle_for_keys`] to check against a trusted
    /// validator set.
    pub async fn prove(&self, keys: &[Vec<u8>], height: u64) -> Result<ProofBundle, ClientError> {
        let request = ProofsRequest {
            height,
            keys: keys.to_vec(),
        };
        let (status, body) = self.post_json("/v1/proofs", &request).await?;
        let bundle = parse_answer::<ProofsResponse>(status, &body)?.bundle;
        if bundle.header.height != height {
            return Err(unexpected(
                status,
                format!(
                    "the bundle is of height {}, not {height}",
                    bundle.header.height
                ),
            ));
        }
        if bundle.entries.len() != keys.len()
            || bundle
                .entries
                .iter()
                .zip(keys)
                .any(|(entry, key)| entry.key != *key)
        {
            return Err(unexpected(
                status,
                "the bundle's entries are not the keys asked for",
            ));
        }
        Ok(bundle)
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
    pub async fn resolve(
        &self,
        did: &str,
        height: Option<u64>,
    ) -> Result<DidResolutionResult, ClientError> {
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
    ) -> Result<DidResolutionResult, ClientError> {
        let path = format!(
            "/1.0/identifiers/{}?versionTime={}",
            percent_encode_path(did),
            percent_encode_path(version_time)
        );
        self.resolve_path(&path).await
    }

    async fn resolve_path(&self, path: &str) -> Result<DidResolutionResult, ClientError> {
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
        resolved_from_result(&result).map_err(|err| unexpected(200, err.to_string()))
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
