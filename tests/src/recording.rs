//! A [`Recording`]: every byte sequence that crossed between parties in a test flow, kept for
//! the privacy audit's [`Scanner`](crate::audit::Scanner).
//!
//! It holds two kinds of entries, in the order they were recorded:
//!
//! - [`Exchange`]s: HTTP exchanges a [`RecordingProxy`](crate::recording_proxy::RecordingProxy)
//!   forwarded (request line, headers and body; status, headers and body of the answer). A
//!   streamed answer (e.g. the registry's server-sent block stream) is appended to as it flows,
//!   so a snapshot taken while it is open holds what has crossed so far.
//! - [`Blob`]s: any other named bytes a flow wants searched (block streams, chain state dumps,
//!   logs), added with [`Recording::record_blob`].
//!
//! [`Recording::sources`] lists everything as `(source name, bytes)` pairs: per exchange its
//! request head (`METHOD path` then `name: value` header lines), request body, response head
//! (status then header lines) and response body, named `<label> #<n> <METHOD> <path> <part>`;
//! per blob its own name.
//!
//! A `Recording` is a cheap handle (`Clone` shares the same entries) safe to use from any
//! thread.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Named byte sequences, `(source name, bytes)`: what the scanner searches.
pub type Sources = Vec<(String, Vec<u8>)>;

/// One HTTP exchange recorded by a proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The label of the proxy that forwarded it (which border it crossed).
    pub label: String,
    /// The request method (`GET`, `POST`, …).
    pub method: String,
    /// The request path and query, as sent.
    pub path_and_query: String,
    /// The request headers as received by the proxy, in order.
    pub request_headers: Vec<(String, Vec<u8>)>,
    /// The request body (empty when the proxy refused a body over its limit).
    pub request_body: Vec<u8>,
    /// The status the proxy answered (the upstream's, or the proxy's own 413 / 502).
    pub status: u16,
    /// The response headers the proxy answered, in order.
    pub response_headers: Vec<(String, Vec<u8>)>,
    /// The response body, as much of it as has been forwarded.
    pub response_body: Vec<u8>,
    /// Whether the response body was forwarded to its end (false while it streams, or when it
    /// was cut: the client went away, the upstream failed, or it passed the proxy's limit).
    pub response_complete: bool,
}

impl Exchange {
    /// The exchange's four recorded parts as `(source name, bytes)`; `index` is its position
    /// among the recording's exchanges (part of the names).
    pub fn sources(&self, index: usize) -> [(String, Vec<u8>); 4] {
        let name = |part: &str| {
            format!(
                "{} #{index} {} {} {part}",
                self.label, self.method, self.path_and_query
            )
        };
        let mut request_head = format!("{} {}\r\n", self.method, self.path_and_query).into_bytes();
        append_header_lines(&mut request_head, &self.request_headers);
        let mut response_head = format!("{}\r\n", self.status).into_bytes();
        append_header_lines(&mut response_head, &self.response_headers);
        [
            (name("request head"), request_head),
            (name("request body"), self.request_body.clone()),
            (name("response head"), response_head),
            (name("response body"), self.response_body.clone()),
        ]
    }
}

fn append_header_lines(out: &mut Vec<u8>, headers: &[(String, Vec<u8>)]) {
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
}

/// Named bytes recorded by a flow (a block stream, a chain state dump, a log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// What the bytes are (the source name the scanner reports).
    pub source: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

#[derive(Debug, Default)]
struct Entries {
    exchanges: Vec<Exchange>,
    blobs: Vec<Blob>,
}

/// Everything recorded in a flow: [`Exchange`]s and [`Blob`]s (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct Recording {
    entries: Arc<Mutex<Entries>>,
}

impl Recording {
    /// An empty recording.
    pub fn new() -> Recording {
        Recording::default()
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        // A panic while holding the lock leaves whole entries behind: keep using them.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records named bytes (e.g. `record_blob("registry A→B block stream", bytes)`).
    pub fn record_blob(&self, source: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        self.lock().blobs.push(Blob {
            source: source.into(),
            bytes: bytes.into(),
        });
    }

    /// A snapshot of the exchanges recorded so far, in order.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.lock().exchanges.clone()
    }

    /// A snapshot of the blobs recorded so far, in order.
    pub fn blobs(&self) -> Vec<Blob> {
        self.lock().blobs.clone()
    }

    /// How many entries (exchanges and blobs) are recorded.
    pub fn len(&self) -> usize {
        let entries = self.lock();
        entries.exchanges.len() + entries.blobs.len()
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every recorded byte sequence as `(source name, bytes)` (see the module documentation):
    /// what [`Scanner::scan_recording`](crate::audit::Scanner::scan_recording) searches.
    pub fn sources(&self) -> Sources {
        let entries = self.lock();
        let mut sources = Vec::with_capacity(4 * entries.exchanges.len() + entries.blobs.len());
        for (index, exchange) in entries.exchanges.iter().enumerate() {
            sources.extend(exchange.sources(index));
        }
        sources.extend(
            entries
                .blobs
                .iter()
                .map(|blob| (blob.source.clone(), blob.bytes.clone())),
        );
        sources
    }

    /// Records an exchange; answers its index (for the response body that follows).
    pub(crate) fn push_exchange(&self, exchange: Exchange) -> usize {
        let mut entries = self.lock();
        entries.exchanges.push(exchange);
        entries.exchanges.len() - 1
    }

    /// Appends forwarded response bytes to exchange `index`.
    pub(crate) fn append_response(&self, index: usize, bytes: &[u8]) {
        if let Some(exchange) = self.lock().exchanges.get_mut(index) {
            exchange.response_body.extend_from_slice(bytes);
        }
    }

    /// Marks the response body of exchange `index` as forwarded to its end.
    pub(crate) fn complete_response(&self, index: usize) {
        if let Some(exchange) = self.lock().exchanges.get_mut(index) {
            exchange.response_complete = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange() -> Exchange {
        Exchange {
            label: "A→B".into(),
            method: "POST".into(),
            path_and_query: "/convert?x=1".into(),
            request_headers: vec![("content-type".into(), b"application/json".to_vec())],
            request_body: b"{\"a\":1}".to_vec(),
            status: 201,
            response_headers: vec![("location".into(), b"/c/7".to_vec())],
            response_body: Vec::new(),
            response_complete: false,
        }
    }

    #[test]
    fn sources_name_each_part_of_each_exchange_and_each_blob() {
        let recording = Recording::new();
        let index = recording.push_exchange(exchange());
        recording.append_response(index, b"{\"ok\"");
        recording.append_response(index, b":true}");
        recording.complete_response(index);
        recording.record_blob("chain dump", b"blocks".to_vec());
        assert_eq!(recording.len(), 2);
        let sources = recording.sources();
        let expected: Vec<(String, Vec<u8>)> = vec![
            (
                "A→B #0 POST /convert?x=1 request head".into(),
                b"POST /convert?x=1\r\ncontent-type: application/json\r\n".to_vec(),
            ),
            (
                "A→B #0 POST /convert?x=1 request body".into(),
                b"{\"a\":1}".to_vec(),
            ),
            (
                "A→B #0 POST /convert?x=1 response head".into(),
                b"201\r\nlocation: /c/7\r\n".to_vec(),
            ),
            (
                "A→B #0 POST /convert?x=1 response body".into(),
                b"{\"ok\":true}".to_vec(),
            ),
            ("chain dump".into(), b"blocks".to_vec()),
        ];
        assert_eq!(sources, expected);
        assert!(recording.exchanges()[0].response_complete);
    }

    #[test]
    fn clones_share_the_same_entries() {
        let recording = Recording::new();
        assert!(recording.is_empty());
        let clone = recording.clone();
        clone.record_blob("log", "line");
        assert_eq!(recording.blobs()[0].bytes, b"line");
        assert_eq!(recording.len(), 1);
    }
}
