//! The credential endpoint's wire types (OpenID4VCI 1.0, "Credential Endpoint"): the request,
//! the response and the error response.

use crate::anchor::AnchorReceipt;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Why a credential request body could not be read (`invalid_credential_request`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed credential request: {0}")]
pub struct CredentialRequestError(pub String);

/// A credential request (JSON body; unknown parameters are ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialRequest {
    /// A credential dataset id from the token response's `authorization_details` (never
    /// returned by this issuer, so refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_identifier: Option<String>,
    /// The configuration asked for (the one of the offer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_configuration_id: Option<String>,
    /// The key proofs: exactly one type with a non-empty array.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proofs: Option<Proofs>,
    /// Response encryption parameters (not supported: refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_response_encryption: Option<Value>,
    /// The singular `proof` of drafts up to 14 — not part of 1.0; read only to refuse it with a
    /// clear message rather than "proofs missing".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<Value>,
}

impl CredentialRequest {
    /// Parses a JSON body; a body that is not a JSON object of the right shape (or repeats a
    /// parameter) is `invalid_credential_request`.
    pub fn from_json(body: &[u8]) -> Result<CredentialRequest, CredentialRequestError> {
        serde_json::from_slice(body).map_err(|err| CredentialRequestError(err.to_string()))
    }
}

/// The `proofs` object of a credential request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proofs {
    /// `jwt` proofs (compact JWS strings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt: Option<Vec<String>>,
    /// Other proof types (`di_vp`, `attestation`, …), not accepted.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A successful, immediate credential response (served with `Cache-Control: no-store`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialResponse {
    /// The issued credentials, one per key proof.
    pub credentials: Vec<IssuedCredential>,
    /// Notification id (never set by this issuer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_id: Option<String>,
}

impl CredentialResponse {
    /// The response carrying one credential (an `ldp_vc` credential is a JSON object).
    pub fn single(credential: Value) -> CredentialResponse {
        CredentialResponse {
            credentials: vec![IssuedCredential {
                credential,
                anchor: None,
            }],
            notification_id: None,
        }
    }

    /// The response carrying one credential and its anchor receipt.
    pub fn anchored(credential: Value, anchor: AnchorReceipt) -> CredentialResponse {
        CredentialResponse {
            credentials: vec![IssuedCredential {
                credential,
                anchor: Some(anchor),
            }],
            notification_id: None,
        }
    }
}

/// One issued credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuedCredential {
    /// The credential (for `ldp_vc`, the signed VC JSON object, not re-encoded).
    pub credential: Value,
    /// Crosscode's extension `crosscode_anchor`: the credential's anchor receipt, which the
    /// wallet keeps to show later that the credential was anchored (a conversion request
    /// carries it).
    #[serde(
        rename = "crosscode_anchor",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub anchor: Option<AnchorReceipt>,
}

/// The error codes of the credential endpoint: RFC 6750 §3.1 authorization errors and
/// OpenID4VCI 1.0 "Credential Request Errors".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialErrorCode {
    /// `invalid_token` (401): the access token is missing, unknown, used or expired.
    InvalidToken,
    /// `insufficient_scope` (403): the token does not cover the configuration asked for.
    InsufficientScope,
    /// `invalid_credential_request`: malformed or unsupported request.
    InvalidCredentialRequest,
    /// `unknown_credential_configuration`: the configuration is not in the metadata.
    UnknownCredentialConfiguration,
    /// `unknown_credential_identifier`: the credential identifier is unknown.
    UnknownCredentialIdentifier,
    /// `invalid_proof`: the proofs are missing or a proof is invalid.
    InvalidProof,
    /// `invalid_nonce`: the proof's `c_nonce` is unknown, used or expired; get a new one.
    InvalidNonce,
    /// `invalid_encryption_parameters`: encryption was asked for and is not supported.
    InvalidEncryptionParameters,
    /// `credential_request_denied`: the issuer will not issue this credential.
    CredentialRequestDenied,
    /// `server_error` (500): the issuer failed.
    ServerError,
}

impl CredentialErrorCode {
    /// The wire code.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialErrorCode::InvalidToken => "invalid_token",
            CredentialErrorCode::InsufficientScope => "insufficient_scope",
            CredentialErrorCode::InvalidCredentialRequest => "invalid_credential_request",
            CredentialErrorCode::UnknownCredentialConfiguration => {
                "unknown_credential_configuration"
            }
            CredentialErrorCode::UnknownCredentialIdentifier => "unknown_credential_identifier",
            CredentialErrorCode::InvalidProof => "invalid_proof",
            CredentialErrorCode::InvalidNonce => "invalid_nonce",
            CredentialErrorCode::InvalidEncryptionParameters => "invalid_encryption_parameters",
            CredentialErrorCode::CredentialRequestDenied => "credential_request_denied",
            CredentialErrorCode::ServerError => "server_error",
        }
    }

    /// The HTTP status: 401 `invalid_token`, 403 `insufficient_scope`, 500 `server_error`,
    /// 400 otherwise.
    pub fn http_status(self) -> u16 {
        match self {
            CredentialErrorCode::InvalidToken => 401,
            CredentialErrorCode::InsufficientScope => 403,
            CredentialErrorCode::ServerError => 500,
            _ => 400,
        }
    }
}

/// The JSON body of a credential error response (served with `Cache-Control: no-store`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialErrorResponse {
    /// The error code.
    pub error: CredentialErrorCode,
    /// Human-readable ASCII text for the wallet developer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}
