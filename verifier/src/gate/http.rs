//! The gate's HTTP routes (axum): the page's three embedded files, `POST /v1/verify`,
//! `POST /v1/scan`, `GET /v1/status` and `GET /openapi.json`.
//!
//! Every refusal is `{"error": "<code>", "message": "…"}` with the status of its
//! [`GateErrorCode`]; axum's own plain-text rejections are never passed through. Every answer
//! carries `Cache-Control: no-store` (a report holds the claims a holder disclosed), a
//! Content-Security-Policy that allows this origin only, `X-Content-Type-Options: nosniff` and
//! `Referrer-Policy: no-referrer`. Verification runs on the blocking pool. Nothing of a request
//! is logged.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::Gate;
use crate::report::VerificationError;
use crosscode_core::VerificationStep;
use crosscode_core::envelope::qr_image::ImageError;

/// The OpenAPI 3.1 description of the routes (`GET /openapi.json`).
pub const OPENAPI_JSON: &str = include_str!("openapi.json");
/// The page.
pub const PAGE_HTML: &str = include_str!("../../assets/gate/index.html");
/// The page's script.
pub const PAGE_JS: &str = include_str!("../../assets/gate/gate.js");
/// The page's style sheet.
pub const PAGE_CSS: &str = include_str!("../../assets/gate/gate.css");

/// The longest payload `POST /v1/verify` takes, in characters (a QR code holds at most 4,296
/// alphanumeric characters).
pub const MAX_PAYLOAD_CHARS: usize = 16 * 1024;
/// The largest `POST /v1/verify` body, in bytes.
pub const MAX_VERIFY_BODY: usize = 256 * 1024;
/// The largest camera frame `POST /v1/scan` takes, in bytes.
pub const MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

/// Every route the gate serves: `(method, path)` (the router is built from this list, and a
/// test checks that `openapi.json` describes exactly these).
pub const ROUTES: [(&str, &str); 7] = [
    ("GET", "/"),
    ("GET", "/gate.js"),
    ("GET", "/gate.css"),
    ("POST", "/v1/verify"),
    ("POST", "/v1/scan"),
    ("GET", "/v1/status"),
    ("GET", "/openapi.json"),
];

/// The stable codes of the gate's refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateErrorCode {
    /// The body is not the JSON expected (not JSON, or not `{"payload": string}`).
    InvalidJson,
    /// The payload is longer than [`MAX_PAYLOAD_CHARS`].
    PayloadTooLong,
    /// The body's media type is not the route's (`application/json`; `image/png` or
    /// `image/jpeg`).
    UnsupportedMediaType,
    /// The body is larger than the route takes.
    BodyTooLarge,
    /// The frame is not a readable PNG or JPEG image.
    InvalidImage,
    /// The frame has more pixels than the QR reader takes.
    ImageTooLarge,
    /// The frame holds no QR code (the page keeps scanning).
    NoQrCode,
    /// The frame holds a QR code that could not be read (blurred, cut; the page keeps
    /// scanning).
    UnreadableQrCode,
    /// No such route.
    UnknownRoute,
    /// The route does not take this method.
    MethodNotAllowed,
    /// The request's `Host` is not the loopback gate's (a page of another site reaching the
    /// gate through DNS rebinding).
    ForbiddenHost,
    /// The gate failed (a verification did not finish).
    Internal,
}

impl GateErrorCode {
    /// Every code, in the order `openapi.json` lists them.
    pub const ALL: [GateErrorCode; 12] = [
        Self::InvalidJson,
        Self::PayloadTooLong,
        Self::UnsupportedMediaType,
        Self::BodyTooLarge,
        Self::InvalidImage,
        Self::ImageTooLarge,
        Self::NoQrCode,
        Self::UnreadableQrCode,
        Self::UnknownRoute,
        Self::MethodNotAllowed,
        Self::ForbiddenHost,
        Self::Internal,
    ];

    /// The code's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid-json",
            Self::PayloadTooLong => "payload-too-long",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::BodyTooLarge => "body-too-large",
            Self::InvalidImage => "invalid-image",
            Self::ImageTooLarge => "image-too-large",
            Self::NoQrCode => "no-qr-code",
            Self::UnreadableQrCode => "unreadable-qr-code",
            Self::UnknownRoute => "unknown-route",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::ForbiddenHost => "forbidden-host",
            Self::Internal => "internal",
        }
    }

    /// The HTTP status it is answered with.
    pub fn status(self) -> StatusCode {
        match self {
            Self::InvalidJson | Self::PayloadTooLong | Self::InvalidImage => {
                StatusCode::BAD_REQUEST
            }
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::BodyTooLarge | Self::ImageTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NoQrCode | Self::UnreadableQrCode => StatusCode::UNPROCESSABLE_ENTITY,
            Self::UnknownRoute => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::ForbiddenHost => StatusCode::FORBIDDEN,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A refusal: its code and a message (which never quotes the request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateRefusal {
    /// The code.
    pub code: GateErrorCode,
    /// What went wrong.
    pub message: String,
}

impl GateRefusal {
    fn new(code: GateErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for GateRefusal {
    fn into_response(self) -> Response {
        (
            self.code.status(),
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            json!({"error": self.code.as_str(), "message": self.message}).to_string(),
        )
            .into_response()
    }
}

type GateState = State<Arc<Gate>>;

/// The handler of a route of [`ROUTES`].
fn handler(method: &str, path: &str) -> Option<MethodRouter<Arc<Gate>>> {
    Some(match (method, path) {
        ("GET", "/") => get(|| async { asset(PAGE_HTML, "text/html; charset=utf-8") }),
        ("GET", "/gate.js") => get(|| async { asset(PAGE_JS, "text/javascript; charset=utf-8") }),
        ("GET", "/gate.css") => get(|| async { asset(PAGE_CSS, "text/css; charset=utf-8") }),
        ("POST", "/v1/verify") => post(verify).layer(DefaultBodyLimit::max(MAX_VERIFY_BODY)),
        ("POST", "/v1/scan") => post(scan).layer(DefaultBodyLimit::max(MAX_FRAME_BYTES)),
        ("GET", "/v1/status") => get(status),
        ("GET", "/openapi.json") => get(|| async { asset(OPENAPI_JSON, "application/json") }),
        _ => return None,
    })
}

/// The gate's router over `gate`.
pub fn router(gate: Arc<Gate>) -> Router {
    ROUTES
        .iter()
        .filter_map(|(method, path)| handler(method, path).map(|h| (*path, h)))
        .fold(Router::new(), |router, (path, handler)| {
            router.route(path, handler)
        })
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(loopback_host))
        .layer(middleware::map_response(protective_headers))
        .with_state(gate)
}

/// Refuses a request whose `Host` is not a loopback name (`localhost`, `127.0.0.1`, `[::1]`,
/// any port): the gate listens on loopback only, so another name means a page of another site
/// whose DNS now points at 127.0.0.1 (DNS rebinding) — it must not read the gate's answers.
async fn loopback_host(request: axum::extract::Request, next: middleware::Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !name.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    if matches!(name, "localhost" | "127.0.0.1" | "[::1]") {
        next.run(request).await
    } else {
        GateRefusal::new(
            GateErrorCode::ForbiddenHost,
            "the gate answers only on a loopback address (localhost, 127.0.0.1, [::1])",
        )
        .into_response()
    }
}

/// The headers every answer carries (see the module documentation).
async fn protective_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
             img-src 'self' blob: data:; media-src 'self' blob: mediastream:; \
             base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

fn asset(body: &'static str, media_type: &'static str) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(media_type))],
        body,
    )
        .into_response()
}

fn json_answer(body: &Value) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.to_string(),
    )
        .into_response()
}

async fn unknown_route() -> GateRefusal {
    GateRefusal::new(
        GateErrorCode::UnknownRoute,
        "no such route (see /openapi.json)",
    )
}

async fn method_not_allowed() -> GateRefusal {
    GateRefusal::new(
        GateErrorCode::MethodNotAllowed,
        "this route does not take this method (see /openapi.json)",
    )
}

/// The body's media type without parameters, lower-cased (`None`: no Content-Type).
fn media_type(headers: &HeaderMap) -> Option<String> {
    headers.get(header::CONTENT_TYPE).map(|value| {
        value
            .to_str()
            .ok()
            .and_then(|text| text.split(';').next())
            .map(|media| media.trim().to_ascii_lowercase())
            .unwrap_or_default()
    })
}

/// The body, or the refusal of a body over the route's limit.
fn body_of(body: Result<Bytes, BytesRejection>) -> Result<Bytes, GateRefusal> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            GateRefusal::new(
                GateErrorCode::BodyTooLarge,
                "the body is larger than this route takes",
            )
        } else {
            GateRefusal::new(GateErrorCode::InvalidJson, "the body could not be read")
        }
    })
}

/// `POST /v1/verify`'s body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyRequest {
    /// The QR text, as a scanner typed it.
    payload: String,
}

async fn verify(
    State(gate): GateState,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, GateRefusal> {
    if media_type(&headers).is_some_and(|media| media != "application/json") {
        return Err(GateRefusal::new(
            GateErrorCode::UnsupportedMediaType,
            "the body must be application/json",
        ));
    }
    let body = body_of(body)?;
    let request: VerifyRequest = serde_json::from_slice(&body).map_err(|error| {
        GateRefusal::new(
            GateErrorCode::InvalidJson,
            format!(
                "the body is not {{\"payload\": string}}: {} at line {}, column {}",
                match error.classify() {
                    serde_json::error::Category::Data => "wrong shape",
                    _ => "not JSON",
                },
                error.line(),
                error.column()
            ),
        )
    })?;
    if request.payload.chars().count() > MAX_PAYLOAD_CHARS {
        return Err(GateRefusal::new(
            GateErrorCode::PayloadTooLong,
            format!("the payload is longer than {MAX_PAYLOAD_CHARS} characters"),
        ));
    }
    let verifier = gate.verifier();
    let report = tokio::task::spawn_blocking(move || {
        verifier
            .verify_text(&request.payload, OffsetDateTime::now_utc())
            .to_json()
    })
    .await
    .map_err(|_| GateRefusal::new(GateErrorCode::Internal, "the verification did not finish"))?;
    Ok(json_answer(&report))
}

async fn scan(
    State(gate): GateState,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, GateRefusal> {
    if !media_type(&headers).is_some_and(|media| media == "image/png" || media == "image/jpeg") {
        return Err(GateRefusal::new(
            GateErrorCode::UnsupportedMediaType,
            "the body must be an image/png or image/jpeg frame",
        ));
    }
    let frame = body_of(body)?;
    let verifier = gate.verifier();
    let report = tokio::task::spawn_blocking(move || {
        verifier.verify_image(&frame, OffsetDateTime::now_utc())
    })
    .await
    .map_err(|_| GateRefusal::new(GateErrorCode::Internal, "the verification did not finish"))?;
    if let Some((VerificationStep::ReadImage, VerificationError::Image(error))) = report.failure() {
        return Err(image_refusal(error));
    }
    Ok(json_answer(&report.to_json()))
}

/// The refusal of a frame core's QR reader could not use.
fn image_refusal(error: &ImageError) -> GateRefusal {
    let code = match error {
        ImageError::NoQrCode => GateErrorCode::NoQrCode,
        ImageError::Undecodable(_) => GateErrorCode::UnreadableQrCode,
        ImageError::TooLarge { .. } => GateErrorCode::ImageTooLarge,
        ImageError::Format(_) => GateErrorCode::InvalidImage,
    };
    GateRefusal::new(code, error.to_string())
}

async fn status(State(gate): GateState) -> Response {
    json_answer(&serde_json::to_value(gate.status()).unwrap_or(Value::Null))
}
