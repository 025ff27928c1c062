//! The HTTP port: the wallet's only way to the network ([`Transport`]), so an app may use its
//! own HTTP stack (OkHttp, URLSession) through FFI; with feature `http`, [`HttpTransport`] is
//! the default implementation over `reqwest`.
//!
//! A transport sends one [`HttpRequest`] (method, URL, headers, body bytes) and answers the
//! [`HttpResponse`] (status and body bytes) of any status; only a failure to get an answer at
//! all (no network, refused connection, timeout, a body over [`MAX_RESPONSE_LEN`]) is a
//! [`TransportError`]. It is asynchronous (the only async part of the wallet): the future is
//! boxed so the trait stays object-safe.

use std::future::Future;
use std::pin::Pin;

/// Largest response body a transport hands the wallet (1 MiB): metadata, tokens, credentials
/// and status lists are far smaller.
pub const MAX_RESPONSE_LEN: usize = 1024 * 1024;

/// An HTTP method the wallet uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
}

/// One HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method.
    pub method: HttpMethod,
    /// The absolute URL.
    pub url: String,
    /// Header names and values (`content-type`, `authorization`, `accept`).
    pub headers: Vec<(String, String)>,
    /// The body (empty for `GET`).
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// `GET url` accepting JSON.
    pub fn get(url: &str) -> HttpRequest {
        HttpRequest {
            method: HttpMethod::Get,
            url: url.to_owned(),
            headers: vec![("accept".into(), "application/json".into())],
            body: Vec::new(),
        }
    }

    /// `POST url` with a form body (`application/x-www-form-urlencoded`).
    pub fn post_form(url: &str, form: String) -> HttpRequest {
        HttpRequest {
            method: HttpMethod::Post,
            url: url.to_owned(),
            headers: vec![
                (
                    "content-type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
                ("accept".into(), "application/json".into()),
            ],
            body: form.into_bytes(),
        }
    }

    /// `POST url` with a JSON body.
    pub fn post_json(url: &str, body: &serde_json::Value) -> HttpRequest {
        HttpRequest {
            method: HttpMethod::Post,
            url: url.to_owned(),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("accept".into(), "application/json".into()),
            ],
            body: body.to_string().into_bytes(),
        }
    }

    /// The request with one more header.
    pub fn with_header(mut self, name: &str, value: &str) -> HttpRequest {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// One HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

/// Why no answer came back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The server could not be reached (no network, refused, timeout, TLS failure).
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The URL is not one the transport can send to.
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    /// The response body is larger than [`MAX_RESPONSE_LEN`].
    #[error("response larger than {MAX_RESPONSE_LEN} bytes")]
    TooLarge,
}

/// The future a transport answers.
pub type TransportFuture<'a> =
    Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'a>>;

/// Sends HTTP requests for the wallet.
pub trait Transport: Send + Sync {
    /// Sends `request` and answers the response (whatever its status).
    fn send(&self, request: HttpRequest) -> TransportFuture<'_>;
}

#[cfg(feature = "http")]
pub use self::http::HttpTransport;

#[cfg(feature = "http")]
mod http {
    use std::time::Duration;

    use super::{
        HttpMethod, HttpRequest, HttpResponse, MAX_RESPONSE_LEN, Transport, TransportError,
        TransportFuture,
    };

    /// The default transport: `reqwest` with a 30-second timeout.
    #[derive(Debug, Clone)]
    pub struct HttpTransport {
        client: reqwest::Client,
    }

    impl HttpTransport {
        /// A transport with a fresh connection pool.
        pub fn new() -> Result<HttpTransport, TransportError> {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .map_err(|err| TransportError::Unreachable(err.to_string()))?;
            Ok(HttpTransport { client })
        }
    }

    impl Transport for HttpTransport {
        fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
            Box::pin(async move {
                let url = reqwest::Url::parse(&request.url)
                    .map_err(|err| TransportError::InvalidUrl(err.to_string()))?;
                let mut builder = match request.method {
                    HttpMethod::Get => self.client.get(url),
                    HttpMethod::Post => self.client.post(url).body(request.body),
                };
                for (name, value) in &request.headers {
                    builder = builder.header(name, value);
                }
                let response = builder
                    .send()
                    .await
                    .map_err(|err| TransportError::Unreachable(err.to_string()))?;
                if response
                    .content_length()
                    .is_some_and(|len| len > MAX_RESPONSE_LEN as u64)
                {
                    return Err(TransportError::TooLarge);
                }
                let status = response.status().as_u16();
                let body = response
                    .bytes()
                    .await
                    .map_err(|err| TransportError::Unreachable(err.to_string()))?;
                if body.len() > MAX_RESPONSE_LEN {
                    return Err(TransportError::TooLarge);
                }
                Ok(HttpResponse {
                    status,
                    body: body.to_vec(),
                })
            })
        }
    }
}
