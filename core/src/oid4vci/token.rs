//! The token endpoint's wire types (OpenID4VCI 1.0 "Token Endpoint", RFC 6749 §4.1.3 / §5) for
//! the pre-authorized code grant, and the nonce endpoint's response ("Nonce Endpoint").

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Why a token request form could not be read (both are OAuth `invalid_request`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenRequestError {
    /// A parameter appears twice.
    #[error("parameter {0} is repeated")]
    DuplicateParameter(&'static str),
    /// A required parameter is missing.
    #[error("parameter {0} is missing")]
    MissingParameter(&'static str),
}

/// A token request (`application/x-www-form-urlencoded`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRequest {
    /// `urn:ietf:params:oauth:grant-type:pre-authorized_code` (the only grant accepted).
    pub grant_type: String,
    /// The pre-authorized code from the offer.
    #[serde(
        rename = "pre-authorized_code",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_authorized_code: Option<String>,
    /// The transaction code the citizen typed (required when the offer had `tx_code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_code: Option<String>,
    /// The client id (optional: anonymous access is accepted; not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// The parameters [`TokenRequest::from_form`] reads (each at most once).
const TOKEN_PARAMETERS: [&str; 4] = ["grant_type", "pre-authorized_code", "tx_code", "client_id"];

impl TokenRequest {
    /// Parses a form body. Unknown parameters (`authorization_details`, `scope`, …) are ignored
    /// (RFC 6749 §3.1, OpenID4VCI 1.0 "Token Request"); a known one given twice or a missing
    /// `grant_type` is `invalid_request`.
    pub fn from_form(body: &[u8]) -> Result<TokenRequest, TokenRequestError> {
        let mut values: [Option<String>; 4] = Default::default();
        for (name, value) in form_urlencoded::parse(body) {
            let Some(index) = TOKEN_PARAMETERS.iter().position(|known| *known == name) else {
                continue;
            };
            if values[index].is_some() {
                return Err(TokenRequestError::DuplicateParameter(
                    TOKEN_PARAMETERS[index],
                ));
            }
            values[index] = Some(value.into_owned());
        }
        let [grant_type, pre_authorized_code, tx_code, client_id] = values;
        Ok(TokenRequest {
            grant_type: grant_type.ok_or(TokenRequestError::MissingParameter("grant_type"))?,
            pre_authorized_code,
            tx_code,
            client_id,
        })
    }

    /// The form body of this request (what a wallet sends).
    pub fn to_form(&self) -> String {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", &self.grant_type);
        for (name, value) in [
            ("pre-authorized_code", &self.pre_authorized_code),
            ("tx_code", &self.tx_code),
            ("client_id", &self.client_id),
        ] {
            if let Some(value) = value {
                form.append_pair(name, value);
            }
        }
        form.finish()
    }
}

/// A successful token response (served with `Cache-Control: no-store`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The bearer access token for the credential endpoint.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Lifetime of the access token in seconds.
    pub expires_in: u64,
    /// Authorization details (never set by this issuer; parsed from other servers' responses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<Vec<Value>>,
}

/// The OAuth 2.0 error codes of the token endpoint (RFC 6749 §5.2), with `server_error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthErrorCode {
    /// `invalid_request`: a parameter missing, repeated or not expected.
    InvalidRequest,
    /// `invalid_client`: client authentication failed.
    InvalidClient,
    /// `invalid_grant`: the pre-authorized code or transaction code is wrong, used or expired.
    InvalidGrant,
    /// `unauthorized_client`: the client may not use this grant.
    UnauthorizedClient,
    /// `unsupported_grant_type`: not the pre-authorized code grant.
    UnsupportedGrantType,
    /// `invalid_scope`: the scope is invalid.
    InvalidScope,
    /// `server_error`: the issuer failed (HTTP 500).
    ServerError,
}

impl OAuthErrorCode {
    /// The wire code.
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthErrorCode::InvalidRequest => "invalid_request",
            OAuthErrorCode::InvalidClient => "invalid_client",
            OAuthErrorCode::InvalidGrant => "invalid_grant",
            OAuthErrorCode::UnauthorizedClient => "unauthorized_client",
            OAuthErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthErrorCode::InvalidScope => "invalid_scope",
            OAuthErrorCode::ServerError => "server_error",
        }
    }

    /// The HTTP status: 401 for `invalid_client`, 500 for `server_error`, 400 otherwise.
    pub fn http_status(self) -> u16 {
        match self {
            OAuthErrorCode::InvalidClient => 401,
            OAuthErrorCode::ServerError => 500,
            _ => 400,
        }
    }
}

/// The JSON body of a token error response (served with `Cache-Control: no-store`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthErrorResponse {
    /// The error code.
    pub error: OAuthErrorCode,
    /// Human-readable ASCII text for the client developer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// A nonce response (served with `Cache-Control: no-store`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonceResponse {
    /// A fresh, unpredictable, single-use challenge for the proof JWT's `nonce` claim.
    pub c_nonce: String,
}
