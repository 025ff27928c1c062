//! A [`RecordingProxy`]: an HTTP reverse proxy on loopback in front of one upstream party,
//! recording every exchange that passes through it into a [`Recording`], so that the privacy
//! audit sees every byte that crosses between parties.
//!
//! Forwarding (HTTP/1.1 on `127.0.0.1:<ephemeral port>` to `http://<upstream>`):
//!
//! - request: the method, the path and query verbatim, the headers except the hop-by-hop ones
//!   (`Connection` and the headers it names, `Keep-Alive`, `Proxy-Authenticate`,
//!   `Proxy-Authorization`, `TE`, `Trailer`, `Transfer-Encoding`, `Upgrade`), `Host` (set to the
//!   upstream's) and `Content-Length` (set from the body); the body, read whole, at most the
//!   proxy's body limit ([`DEFAULT_BODY_LIMIT`], 64 MiB): a longer body is answered
//!   `413 Payload Too Large` and not forwarded;
//! - response: the upstream's status, its headers except the hop-by-hop ones and
//!   `Content-Length`, and its body streamed through as it arrives (so a server-sent event
//!   stream flows), at most the body limit (past it the response is cut); no redirect is
//!   followed and no content coding is undone, so the client sees the upstream's bytes;
//! - an upstream that cannot be reached or fails before answering: `502 Bad Gateway` with the
//!   error as a text body.
//!
//! Every exchange is recorded as an [`Exchange`] labelled with the proxy's label: the request
//! as received (headers included), the status and headers the upstream answered (or the
//! proxy's own 413 / 502), and the response body as forwarded, appended while it streams.
//!
//! The proxy runs on its own thread and tokio runtime, so it serves whether or not the caller
//! is inside a runtime, and stopping it ([`RecordingProxy::stop`] or dropping it) never waits
//! for the parties: open connections are dropped.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::thread::JoinHandle;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use futures_util::StreamExt as _;
use futures_util::stream::{self, BoxStream, Stream};
use tokio::sync::oneshot;

use crate::recording::{Exchange, Recording};

/// The largest request or response body the proxy forwards by default (64 MiB).
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// Why an exchange could not be forwarded as is.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The request body is longer than the proxy's limit (answered 413).
    #[error("request body over {limit} bytes")]
    RequestTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The request body could not be read from the client (answered 400).
    #[error("reading the request body: {0}")]
    RequestBody(String),
    /// The upstream could not be reached or failed (answered 502 before a response; cuts the
    /// response after).
    #[error("upstream: {0}")]
    Upstream(#[from] reqwest::Error),
    /// The upstream's response body is longer than the proxy's limit (the response is cut).
    #[error("response body over {limit} bytes")]
    ResponseTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

impl ProxyError {
    /// The status the proxy answers for this error before any response was sent.
    pub fn status(&self) -> StatusCode {
        match self {
            ProxyError::RequestTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ProxyError::RequestBody(_) => StatusCode::BAD_REQUEST,
            ProxyError::Upstream(_) | ProxyError::ResponseTooLarge { .. } => {
                StatusCode::BAD_GATEWAY
            }
        }
    }
}

/// What the proxy's handler shares.
struct Forwarder {
    label: String,
    /// `http://<upstream>` (no trailing slash).
    upstream_base: String,
    client: reqwest::Client,
    recording: Recording,
    body_limit: usize,
}

/// A running recording reverse proxy (see the module documentation); stopped when dropped.
#[derive(Debug)]
pub struct RecordingProxy {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl RecordingProxy {
    /// Starts a proxy labelled `label` on `127.0.0.1:0` in front of the HTTP server at
    /// `upstream`, recording into `recording`, with the [`DEFAULT_BODY_LIMIT`].
    pub fn start(
        label: &str,
        upstream: SocketAddr,
        recording: Recording,
    ) -> io::Result<RecordingProxy> {
        RecordingProxy::start_with_body_limit(label, upstream, recording, DEFAULT_BODY_LIMIT)
    }

    /// Starts a proxy as [`RecordingProxy::start`] does, forwarding bodies of at most
    /// `body_limit` bytes.
    pub fn start_with_body_limit(
        label: &str,
        upstream: SocketAddr,
        recording: Recording,
        body_limit: usize,
    ) -> io::Result<RecordingProxy> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .no_gzip()
            .no_brotli()
            .no_zstd()
            .no_deflate()
            .build()
            .map_err(io::Error::other)?;
        let forwarder = Arc::new(Forwarder {
            label: label.to_owned(),
            upstream_base: format!("http://{upstream}"),
            client,
            recording,
            body_limit,
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let listener = {
            let _context = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let app = Router::new().fallback(forward).with_state(forwarder);
        let thread = std::thread::Builder::new()
            .name(format!("recording proxy {label}"))
            .spawn(move || {
                runtime.block_on(async move {
                    tokio::select! {
                        _ = axum::serve(listener, app) => {}
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime here drops the open connections' tasks.
            })?;
        Ok(RecordingProxy {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The proxy's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The proxy's base URL, `http://127.0.0.1:<port>` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the proxy: it no longer accepts connections and open ones are dropped.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            // The thread may have ended already (the server failed): nothing to stop then.
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A panic on the proxy's thread has been reported there already.
            let _ = thread.join();
        }
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Hop-by-hop headers (RFC 9110 §7.6.1), never forwarded.
const HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// The headers to forward: all but the hop-by-hop ones, those `Connection` names and
/// `dropped`.
fn forwarded_headers(headers: &HeaderMap, dropped: &[HeaderName]) -> HeaderMap {
    let named_by_connection: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let skip = HOP_BY_HOP.contains(name)
            || dropped.contains(name)
            || named_by_connection
                .iter()
                .any(|listed| listed == name.as_str());
        if !skip {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

/// Headers as recorded: name and value bytes, in order.
fn header_list(headers: &HeaderMap) -> Vec<(String, Vec<u8>)> {
    headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect()
}

/// Reads a body whole, refusing more than `limit` bytes.
async fn read_body(body: Body, limit: usize) -> Result<Bytes, ProxyError> {
    let mut chunks = body.into_data_stream();
    let mut out = Vec::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|err| ProxyError::RequestBody(err.to_string()))?;
        if out.len() + chunk.len() > limit {
            return Err(ProxyError::RequestTooLarge { limit });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(out))
}

/// The handler of every request: forwards it and records the exchange.
async fn forward(State(proxy): State<Arc<Forwarder>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", |path| path.as_str())
        .to_owned();
    let mut exchange = Exchange {
        label: proxy.label.clone(),
        method: parts.method.as_str().to_owned(),
        path_and_query,
        request_headers: header_list(&parts.headers),
        request_body: Vec::new(),
        status: 0,
        response_headers: Vec::new(),
        response_body: Vec::new(),
        response_complete: false,
    };
    let too_long = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok())
        .is_some_and(|length| length > proxy.body_limit as u64);
    let body = if too_long {
        Err(ProxyError::RequestTooLarge {
            limit: proxy.body_limit,
        })
    } else {
        read_body(body, proxy.body_limit).await
    };
    let body = match body {
        Ok(body) => body,
        Err(err) => return answer_error(&proxy.recording, exchange, &err),
    };
    exchange.request_body = body.to_vec();
    let url = format!("{}{}", proxy.upstream_base, exchange.path_and_query);
    let headers = forwarded_headers(&parts.headers, &[header::HOST, header::CONTENT_LENGTH]);
    let sent = proxy
        .client
        .request(parts.method.clone(), url)
        .headers(headers)
        .body(body)
        .send()
        .await;
    let upstream = match sent {
        Ok(upstream) => upstream,
        Err(err) => return answer_error(&proxy.recording, exchange, &ProxyError::Upstream(err)),
    };
    let status = upstream.status();
    exchange.status = status.as_u16();
    exchange.response_headers = header_list(upstream.headers());
    let headers = forwarded_headers(upstream.headers(), &[header::CONTENT_LENGTH]);
    let index = proxy.recording.push_exchange(exchange);
    let body = if parts.method == Method::HEAD {
        proxy.recording.complete_response(index);
        Body::empty()
    } else {
        Body::from_stream(recorded_stream(
            upstream.bytes_stream().boxed(),
            proxy.recording.clone(),
            index,
            proxy.body_limit,
        ))
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// Answers (and records) an exchange the proxy could not forward.
fn answer_error(recording: &Recording, mut exchange: Exchange, err: &ProxyError) -> Response {
    let status = err.status();
    let text = err.to_string();
    exchange.status = status.as_u16();
    exchange.response_headers = vec![(
        header::CONTENT_TYPE.as_str().to_owned(),
        b"text/plain; charset=utf-8".to_vec(),
    )];
    exchange.response_body = text.clone().into_bytes();
    exchange.response_complete = true;
    recording.push_exchange(exchange);
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// The state of a response body streaming through.
struct Streaming {
    upstream: BoxStream<'static, reqwest::Result<Bytes>>,
    recording: Recording,
    index: usize,
    forwarded: usize,
    limit: usize,
}

/// The upstream's body, each chunk recorded before it is forwarded; the exchange is marked
/// complete at the body's end, and the body cut (an error) past `limit` bytes.
fn recorded_stream(
    upstream: BoxStream<'static, reqwest::Result<Bytes>>,
    recording: Recording,
    index: usize,
    limit: usize,
) -> impl Stream<Item = Result<Bytes, ProxyError>> + Send + 'static {
    let state = Streaming {
        upstream,
        recording,
        index,
        forwarded: 0,
        limit,
    };
    stream::unfold(Some(state), |state| async move {
        let mut state = state?;
        match state.upstream.next().await {
            Some(Ok(chunk)) => {
                state.forwarded += chunk.len();
                if state.forwarded > state.limit {
                    let limit = state.limit;
                    return Some((Err(ProxyError::ResponseTooLarge { limit }), None));
                }
                state.recording.append_response(state.index, &chunk);
                Some((Ok(chunk), Some(state)))
            }
            Some(Err(err)) => Some((Err(ProxyError::Upstream(err)), None)),
            None => {
                state.recording.complete_response(state.index);
                None
            }
        }
    })
}

#[cfg(test)]
mod tests;
