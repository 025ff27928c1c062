//! OpenID for Verifiable Credential Issuance 1.0 (final), pre-authorized code flow, `ldp_vc`
//! credentials bound to a holder `did:key` — the issuer's protocol logic, without HTTP. The wire
//! model (offer, metadata, requests and responses, the proof JWT) is core's
//! ([`crosscode_core::oid4vci`]), re-exported here.
//!
//! The flow (`docs/openid4vci.md` is the wallet team's reference):
//! 1. The back office calls [`create_offer`] for a subject record: a credential offer with a
//!    fresh pre-authorized code (and, optionally, a numeric transaction code the citizen receives
//!    out of band), as an `openid-credential-offer://?credential_offer=…` URI.
//! 2. The wallet reads [`CredentialIssuerMetadata`] (`/.well-known/openid-credential-issuer`) and
//!    [`AuthorizationServerMetadata`] (`/.well-known/oauth-authorization-server`).
//! 3. Token endpoint: [`TokenRequest::from_form`] then [`exchange_token`] — the pre-authorized
//!    code is single use; a wrong transaction code costs one of [`TX_CODE_MAX_ATTEMPTS`]
//!    attempts, after which the offer is burnt.
//! 4. Nonce endpoint: [`new_nonce`] — a single-use `c_nonce`.
//! 5. Credential endpoint: [`CredentialRequest::from_json`] then
//!    [`authorize_credential_request`] — checks the access token, the configuration and the
//!    holder's proof-of-possession JWT ([`proof_jwt`]), consumes the nonce and the token, and
//!    answers what to issue to whom ([`AuthorizedIssuance`]); the caller signs the credential
//!    and answers [`CredentialResponse::single`].
//!
//! Every route is `parse → call → serialize`; every error is a typed enum that knows its wire
//! code, HTTP status and (for the credential endpoint's authorization errors) its
//! `WWW-Authenticate` value.
//!
//! State lives in the [`IssuerStore`](crate::store::IssuerStore) — tables `Offers`, `Tokens`,
//! `Nonces` — so a restart keeps offers, tokens and nonces. Keys are SHA-256 of the secret
//! (pre-authorized code, access token, `c_nonce`); values never hold a secret in clear (the
//! transaction code is kept as SHA-256 over the pre-authorized code and the transaction code, so
//! a leaked table neither redeems an offer nor reveals a transaction code). Single use is the
//! store's atomic [`take`](crate::store::IssuerStore::take): of two concurrent redeemers exactly
//! one wins. [`purge_expired`] removes expired entries (run it periodically).

mod credential;
mod offer;
mod token;

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::store::{IssuerStore, StoreError, Table};

// The wire model is core's; re-exported so the service's users find the whole protocol here.
pub use crosscode_core::oid4vci::*;

pub use credential::{AuthorizedIssuance, CredentialError, authorize_credential_request};
pub use offer::{CreatedOffer, OfferError, TX_CODE_DESCRIPTION, create_offer};
pub use token::{OAuthError, exchange_token, new_nonce};

/// Lifetime of an access token (short-lived: the spec calls anything above 5 minutes long-lived).
pub const ACCESS_TOKEN_TTL: Duration = Duration::minutes(5);
/// Lifetime of a `c_nonce`.
pub const NONCE_TTL: Duration = Duration::minutes(5);
/// Digits of a transaction code.
pub const TX_CODE_LENGTH: usize = 6;
/// Wrong transaction codes tolerated per offer; the last one burns the offer.
pub const TX_CODE_MAX_ATTEMPTS: u8 = 3;
/// Oldest proof JWT accepted (`iat` at most this far in the past).
pub const PROOF_MAX_AGE: Duration = Duration::minutes(5);
/// Clock skew tolerated for a proof JWT's `iat` in the future.
pub const PROOF_MAX_FUTURE_SKEW: Duration = Duration::seconds(60);

/// The store key of a secret (pre-authorized code, access token, `c_nonce`): its SHA-256.
pub(crate) fn secret_key(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// A fresh 256-bit secret, base64url without padding (43 characters).
pub(crate) fn new_secret() -> String {
    use base64::Engine as _;
    use rand::RngCore as _;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Encodes a stored value (JSON).
pub(crate) fn encode_value<T: Serialize>(value: &T, table: Table) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|err| StoreError::Backend {
        operation: "encode",
        table: table.name(),
        message: err.to_string(),
    })
}

/// Decodes a stored value (JSON); a value that does not decode is a backend failure.
pub(crate) fn decode_value<T: DeserializeOwned>(
    bytes: &[u8],
    table: Table,
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|err| StoreError::Backend {
        operation: "decode",
        table: table.name(),
        message: err.to_string(),
    })
}

/// The part every stored offer, token and nonce shares: its expiry (Unix seconds).
#[derive(Debug, Deserialize)]
struct Expiring {
    expires_at: i64,
}

/// How many expired entries [`purge_expired`] removed, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Expired offers removed.
    pub offers: u64,
    /// Expired access tokens removed.
    pub tokens: u64,
    /// Expired nonces removed.
    pub nonces: u64,
}

/// Removes the offers, access tokens and nonces that expired before `now` (they could no longer
/// be redeemed anyway; this only reclaims space). Safe to run concurrently with the flow.
pub fn purge_expired(store: &dyn IssuerStore, now: OffsetDateTime) -> Result<Purged, StoreError> {
    let now = now.unix_timestamp();
    let mut purged = Purged::default();
    for (table, counter) in [
        (Table::Offers, &mut purged.offers),
        (Table::Tokens, &mut purged.tokens),
        (Table::Nonces, &mut purged.nonces),
    ] {
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = store.scan(table, after.as_deref(), 256)?;
            let Some((last, _)) = page.last() else { break };
            after = Some(last.clone());
            for (key, value) in &page {
                // An entry that does not decode is left for an operator to look at.
                let expired = decode_value::<Expiring>(value, table)
                    .is_ok_and(|entry| entry.expires_at <= now);
                if expired && store.delete(table, key)? {
                    *counter += 1;
                }
            }
        }
    }
    Ok(purged)
}

/// Text safe for an OAuth `error_description`: only `%x20-21 / %x23-5B / %x5D-7E` (RFC 6749
/// §5.2), other characters replaced by `?`, at most 200 characters.
pub(crate) fn error_description(text: &str) -> String {
    text.chars()
        .take(200)
        .map(|c| match c {
            '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e' => c,
            _ => '?',
        })
        .collect()
}
