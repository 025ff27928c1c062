//! The token endpoint (OpenID4VCI 1.0 "Token Endpoint", RFC 6749 §4.1.3 / §5) for the
//! pre-authorized code grant, and the nonce endpoint ("Nonce Endpoint").

use serde::{Deserialize, Serialize};
use serde_json::Value;
use subtle::ConstantTimeEq as _;
use time::OffsetDateTime;

use super::offer::{StoredOffer, tx_code_hash};
use super::{
    ACCESS_TOKEN_TTL, NONCE_TTL, PRE_AUTHORIZED_CODE_GRANT, decode_value, encode_value,
    error_description, new_secret, secret_key,
};
use crate::store::{IssuerStore, StoreError, Table};

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
    pub fn from_form(body: &[u8]) -> Result<TokenRequest, OAuthError> {
        let mut values: [Option<String>; 4] = Default::default();
        for (name, value) in form_urlencoded::parse(body) {
            let Some(index) = TOKEN_PARAMETERS.iter().position(|known| *known == name) else {
                continue;
            };
            if values[index].is_some() {
                return Err(OAuthError::DuplicateParameter(TOKEN_PARAMETERS[index]));
            }
            values[index] = Some(value.into_owned());
        }
        let [grant_type, pre_authorized_code, tx_code, client_id] = values;
        Ok(TokenRequest {
            grant_type: grant_type.ok_or(OAuthError::MissingParameter("grant_type"))?,
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

/// Why a token request was refused.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// A parameter appears twice.
    #[error("parameter {0} is repeated")]
    DuplicateParameter(&'static str),
    /// A required parameter is missing.
    #[error("parameter {0} is missing")]
    MissingParameter(&'static str),
    /// The grant type is not the pre-authorized code grant.
    #[error("grant type {0:?} is not supported (only {PRE_AUTHORIZED_CODE_GRANT})")]
    UnsupportedGrantType(String),
    /// No redeemable offer has this pre-authorized code (never issued, already redeemed, or
    /// burnt by wrong transaction codes).
    #[error("the pre-authorized code is unknown or already used")]
    UnknownPreAuthorizedCode,
    /// The offer expired (it is burnt now).
    #[error("the pre-authorized code has expired")]
    OfferExpired,
    /// The offer requires a transaction code and none was sent (no attempt counted).
    #[error("this offer requires tx_code")]
    TxCodeMissing,
    /// A transaction code was sent for an offer without one.
    #[error("this offer does not take a tx_code")]
    TxCodeNotExpected,
    /// The transaction code is wrong; `attempts_left` more are tolerated.
    #[error("wrong tx_code ({attempts_left} attempts left)")]
    WrongTxCode {
        /// Wrong codes still tolerated before the offer is burnt.
        attempts_left: u8,
    },
    /// The transaction code is wrong and it was the last attempt: the offer is burnt.
    #[error("wrong tx_code; no attempts left, the offer is void")]
    TxCodeAttemptsExhausted,
    /// The store failed.
    #[error("store failure: {0}")]
    Store(#[from] StoreError),
}

impl OAuthError {
    /// The wire error code.
    pub fn code(&self) -> OAuthErrorCode {
        match self {
            OAuthError::DuplicateParameter(_)
            | OAuthError::MissingParameter(_)
            | OAuthError::TxCodeMissing
            | OAuthError::TxCodeNotExpected => OAuthErrorCode::InvalidRequest,
            OAuthError::UnsupportedGrantType(_) => OAuthErrorCode::UnsupportedGrantType,
            OAuthError::UnknownPreAuthorizedCode
            | OAuthError::OfferExpired
            | OAuthError::WrongTxCode { .. }
            | OAuthError::TxCodeAttemptsExhausted => OAuthErrorCode::InvalidGrant,
            OAuthError::Store(_) => OAuthErrorCode::ServerError,
        }
    }

    /// The HTTP status of the response.
    pub fn http_status(&self) -> u16 {
        self.code().http_status()
    }

    /// The JSON body of the response (a store failure's details are not disclosed).
    pub fn response(&self) -> OAuthErrorResponse {
        let description = match self {
            OAuthError::Store(_) => "internal error".to_owned(),
            other => error_description(&other.to_string()),
        };
        OAuthErrorResponse {
            error: self.code(),
            error_description: Some(description),
        }
    }
}

/// An access token as stored in [`Table::Tokens`], under SHA-256 of the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredToken {
    /// The subject record the credential is issued from.
    pub record_id: String,
    /// The configuration the token is good for.
    pub configuration_id: String,
    /// Expiry (Unix seconds).
    pub expires_at: i64,
}

/// A `c_nonce` as stored in [`Table::Nonces`], under SHA-256 of the nonce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredNonce {
    /// Expiry (Unix seconds).
    pub expires_at: i64,
}

/// Exchanges a pre-authorized code (and transaction code) for an access token.
///
/// Single use: the offer is taken from the store atomically, so of two concurrent requests
/// with one code at most one gets a token. A missing or unexpected transaction code puts the
/// offer back untouched; a wrong one puts it back with one attempt less, and the
/// [`TX_CODE_MAX_ATTEMPTS`](super::TX_CODE_MAX_ATTEMPTS)-th wrong one burns it. While a
/// request holds the offer, a concurrent one with the same code sees `invalid_grant`.
/// Transaction codes are compared in constant time (as hashes salted with the code).
pub fn exchange_token(
    store: &dyn IssuerStore,
    request: &TokenRequest,
    now: OffsetDateTime,
) -> Result<TokenResponse, OAuthError> {
    if request.grant_type != PRE_AUTHORIZED_CODE_GRANT {
        return Err(OAuthError::UnsupportedGrantType(request.grant_type.clone()));
    }
    let code = request
        .pre_authorized_code
        .as_deref()
        .ok_or(OAuthError::MissingParameter("pre-authorized_code"))?;
    let key = secret_key(code);
    let taken = store
        .take(Table::Offers, &key)?
        .ok_or(OAuthError::UnknownPreAuthorizedCode)?;
    let mut offer: StoredOffer = decode_value(&taken, Table::Offers)?;
    if offer.expires_at <= now.unix_timestamp() {
        return Err(OAuthError::OfferExpired);
    }
    let put_back = |offer: &StoredOffer| -> Result<(), StoreError> {
        store.insert_new(Table::Offers, &key, &encode_value(offer, Table::Offers)?)?;
        Ok(())
    };
    match (&offer.tx_code_hash, &request.tx_code) {
        (None, None) => {}
        (Some(_), None) => {
            put_back(&offer)?;
            return Err(OAuthError::TxCodeMissing);
        }
        (None, Some(_)) => {
            put_back(&offer)?;
            return Err(OAuthError::TxCodeNotExpected);
        }
        (Some(expected), Some(given)) => {
            let given = tx_code_hash(code, given);
            let expected = hex::decode(expected).map_err(|err| StoreError::Backend {
                operation: "decode",
                table: Table::Offers.name(),
                message: err.to_string(),
            })?;
            if !bool::from(given.as_slice().ct_eq(&expected)) {
                offer.tx_code_attempts_left = offer.tx_code_attempts_left.saturating_sub(1);
                if offer.tx_code_attempts_left == 0 {
                    return Err(OAuthError::TxCodeAttemptsExhausted);
                }
                put_back(&offer)?;
                return Err(OAuthError::WrongTxCode {
                    attempts_left: offer.tx_code_attempts_left,
                });
            }
        }
    }
    let access_token = new_secret();
    let token = StoredToken {
        record_id: offer.record_id,
        configuration_id: offer.configuration_id,
        expires_at: (now + ACCESS_TOKEN_TTL).unix_timestamp(),
    };
    store.insert_new(
        Table::Tokens,
        &secret_key(&access_token),
        &encode_value(&token, Table::Tokens)?,
    )?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".to_owned(),
        expires_in: ACCESS_TOKEN_TTL.whole_seconds().unsigned_abs(),
        authorization_details: None,
    })
}

/// A nonce response (served with `Cache-Control: no-store`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonceResponse {
    /// A fresh, unpredictable, single-use challenge for the proof JWT's `nonce` claim.
    pub c_nonce: String,
}

/// Issues a fresh `c_nonce`, valid for [`NONCE_TTL`] and redeemable once.
pub fn new_nonce(
    store: &dyn IssuerStore,
    now: OffsetDateTime,
) -> Result<NonceResponse, StoreError> {
    let c_nonce = new_secret();
    let stored = StoredNonce {
        expires_at: (now + NONCE_TTL).unix_timestamp(),
    };
    store.insert_new(
        Table::Nonces,
        &secret_key(&c_nonce),
        &encode_value(&stored, Table::Nonces)?,
    )?;
    Ok(NonceResponse { c_nonce })
}
