//! The token endpoint (OpenID4VCI 1.0 "Token Endpoint", RFC 6749 §4.1.3 / §5) for the
//! pre-authorized code grant, and the nonce endpoint ("Nonce Endpoint"): the service side (the
//! wire types are core's).

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;
use time::OffsetDateTime;

use super::offer::{StoredOffer, tx_code_hash};
use super::{
    ACCESS_TOKEN_TTL, NONCE_TTL, NonceResponse, OAuthErrorCode, OAuthErrorResponse,
    PRE_AUTHORIZED_CODE_GRANT, TokenRequest, TokenRequestError, TokenResponse, decode_value,
    encode_value, error_description, new_secret, secret_key,
};
use crate::store::{IssuerStore, StoreError, Table};

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

impl From<TokenRequestError> for OAuthError {
    fn from(error: TokenRequestError) -> Self {
        match error {
            TokenRequestError::DuplicateParameter(name) => OAuthError::DuplicateParameter(name),
            TokenRequestError::MissingParameter(name) => OAuthError::MissingParameter(name),
        }
    }
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
