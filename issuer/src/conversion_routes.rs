//! The conversion routes (`docs/conversion.md`): public, for holders of other jurisdictions'
//! credentials. Each parses, calls the [`crate::conversion::ConversionDesk`], and answers the
//! protocol's message or a [`ConversionRefusal`] (`{"code": "…", "message": "…"}`) with the
//! code's HTTP status. A service started without a conversion policy answers
//! `NO_CONVERSION`-style 404s (`{"error": "no-conversion", …}`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use crosscode_core::crossborder::{
    ConversionRefusal, ConversionRequest, CrossingError, PseudonymousCredential, PublicText,
    RefusalCode,
};
use crosscode_verifier::conversion::Refusal;
use serde_json::Value;
use time::OffsetDateTime;

use crate::conversion::ConversionDesk;
use crate::http::{AppState, HttpError, parse_body};
use crate::wallet_routes::json_with;

type Shared = State<Arc<AppState>>;

fn desk(state: &AppState) -> Result<&ConversionDesk, HttpError> {
    state.conversion.as_deref().ok_or_else(|| {
        HttpError::new(
            StatusCode::NOT_FOUND,
            "no-conversion",
            "this issuer converts no credentials (it was started without a conversion policy)",
        )
    })
}

fn refused(refusal: Refusal) -> Response {
    // The code only: the explanation may name a claim, never a value, but logs keep to codes.
    tracing::info!(code = refusal.code.as_str(), "conversion: refused");
    json_with(
        refusal.code.http_status(),
        &ConversionRefusal {
            code: refusal.code,
            message: PublicText::truncated(&refusal.message),
        },
    )
}

/// `GET /v1/conversion/policy`.
pub(crate) async fn policy(State(state): Shared) -> Result<Response, HttpError> {
    Ok(axum::Json(desk(&state)?.published()).into_response())
}

/// `POST /v1/conversion/challenges` (no body).
pub(crate) async fn challenge(State(state): Shared) -> Result<Response, HttpError> {
    Ok(match desk(&state)?.challenge(OffsetDateTime::now_utc()) {
        Ok(challenge) => json_with(201, &challenge),
        Err(refusal) => refused(refusal),
    })
}

/// `POST /v1/conversions`.
pub(crate) async fn convert(
    State(state): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    let desk = desk(&state)?;
    let value: Value = parse_body(&headers, &body)?;
    // A credential with a personal claim is refused as such (before the typed parse, whose
    // message could not say why).
    if let Some(credential) = value.pointer("/source/credential")
        && let Err(CrossingError::PersonalClaim { pointer }) =
            PseudonymousCredential::new(credential.clone())
    {
        return Ok(refused(Refusal::new(
            RefusalCode::PersonalData,
            format!("claim {pointer} is personal data and may not cross a border"),
        )));
    }
    let request: ConversionRequest = match serde_json::from_value(value) {
        Ok(request) => request,
        Err(_) => {
            return Ok(refused(Refusal::new(
                RefusalCode::MalformedRequest,
                "the body is not a conversion request (see /openapi.json)",
            )));
        }
    };
    Ok(
        match desk
            .convert(&state.service, &request, OffsetDateTime::now_utc())
            .await
        {
            Ok(response) => {
                tracing::info!(
                    credential_hash = %response.anchor.credential_hash,
                    height = response.anchor.height,
                    "conversion: credential issued and anchored"
                );
                json_with(200, &response)
            }
            Err(refusal) => refused(refusal),
        },
    )
}
