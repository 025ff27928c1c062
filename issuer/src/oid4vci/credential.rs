//! The credential endpoint (OpenID4VCI 1.0, "Credential Endpoint"): the checks before issuance
//! and the errors (the wire types are core's).

use time::OffsetDateTime;

use super::proof_jwt::{self, ProofAlgorithm, ProofJwtError};
use super::token::{StoredNonce, StoredToken};
use super::{
    CredentialErrorCode, CredentialErrorResponse, CredentialIssuerMetadata, CredentialRequest,
    CredentialRequestError, JWT_PROOF_TYPE, PROOF_MAX_AGE, PROOF_MAX_FUTURE_SKEW, decode_value,
    error_description, secret_key,
};
use crate::store::{IssuerStore, StoreError, Table};

/// What a checked credential request allows: issue `configuration_id` from the subject record
/// `record_id` to the holder `holder_did`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizedIssuance {
    /// The subject record the credential is issued from.
    pub record_id: String,
    /// The credential configuration.
    pub configuration_id: String,
    /// The holder's `did:key` (the credential subject's `id`).
    pub holder_did: String,
    /// The algorithm of the holder's proof (and key).
    pub holder_algorithm: ProofAlgorithm,
}

/// Why a credential request was refused.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// No `Authorization: Bearer <token>` header.
    #[error("no bearer access token")]
    MissingToken,
    /// The access token is unknown or already used.
    #[error("the access token is unknown or already used")]
    UnknownToken,
    /// The access token expired.
    #[error("the access token has expired")]
    TokenExpired,
    /// The body is not a valid credential request.
    #[error("malformed credential request: {0}")]
    MalformedRequest(String),
    /// Both `credential_identifier` and `credential_configuration_id`.
    #[error("credential_identifier and credential_configuration_id are exclusive")]
    ConflictingIdentifiers,
    /// Neither `credential_identifier` nor `credential_configuration_id`.
    #[error("credential_configuration_id is missing")]
    MissingConfigurationId,
    /// A `credential_identifier` (this issuer returns none).
    #[error("unknown credential_identifier (this issuer uses credential_configuration_id)")]
    UnknownCredentialIdentifier,
    /// The configuration is not in the issuer's metadata.
    #[error("unknown credential configuration {0:?}")]
    UnknownConfiguration(String),
    /// The access token was granted for another configuration.
    #[error("the access token does not cover configuration {0:?}")]
    ConfigurationNotGranted(String),
    /// `credential_response_encryption` was sent (not supported).
    #[error("credential response encryption is not supported")]
    EncryptionNotSupported,
    /// The singular `proof` parameter (drafts up to 14) instead of `proofs`.
    #[error("proof (singular) is not part of OpenID4VCI 1.0; send proofs: {{jwt: [..]}}")]
    SingularProof,
    /// No `proofs`.
    #[error("proofs is missing")]
    MissingProofs,
    /// `proofs` has no proof type, or more than one.
    #[error("proofs must contain exactly one proof type, found {0}")]
    ProofTypeCount(usize),
    /// A proof type other than `jwt`.
    #[error("proof type {0:?} is not supported (jwt)")]
    UnsupportedProofType(String),
    /// Not exactly one `jwt` proof (no batch issuance).
    #[error("exactly one jwt proof is accepted, found {0}")]
    ProofCount(usize),
    /// The proof JWT is malformed, its key unusable, or its signature wrong.
    #[error("invalid proof: {0}")]
    Proof(#[from] ProofJwtError),
    /// The configuration does not accept the proof's algorithm.
    #[error("proof alg {0} is not accepted for this configuration")]
    ProofAlgorithmNotAccepted(&'static str),
    /// `aud` is not the Credential Issuer Identifier.
    #[error("proof aud must be the credential issuer identifier")]
    WrongAudience,
    /// `iat` is older than [`PROOF_MAX_AGE`].
    #[error("proof iat is too old")]
    StaleProof,
    /// `iat` is further in the future than [`PROOF_MAX_FUTURE_SKEW`].
    #[error("proof iat is in the future")]
    FutureProof,
    /// No `nonce` claim.
    #[error("proof nonce is missing (get one from the nonce endpoint)")]
    MissingNonce,
    /// The nonce is unknown or already used.
    #[error("c_nonce is unknown or already used")]
    UnknownNonce,
    /// The nonce expired.
    #[error("c_nonce has expired")]
    ExpiredNonce,
    /// The store failed.
    #[error("store failure: {0}")]
    Store(#[from] StoreError),
}

impl From<CredentialRequestError> for CredentialError {
    fn from(error: CredentialRequestError) -> Self {
        CredentialError::MalformedRequest(error.0)
    }
}

impl CredentialError {
    /// The wire error code.
    pub fn code(&self) -> CredentialErrorCode {
        use CredentialError as E;
        use CredentialErrorCode as C;
        match self {
            E::MissingToken | E::UnknownToken | E::TokenExpired => C::InvalidToken,
            E::ConfigurationNotGranted(_) => C::InsufficientScope,
            E::MalformedRequest(_) | E::ConflictingIdentifiers | E::MissingConfigurationId => {
                C::InvalidCredentialRequest
            }
            E::UnknownCredentialIdentifier => C::UnknownCredentialIdentifier,
            E::UnknownConfiguration(_) => C::UnknownCredentialConfiguration,
            E::EncryptionNotSupported => C::InvalidEncryptionParameters,
            E::SingularProof
            | E::MissingProofs
            | E::ProofTypeCount(_)
            | E::UnsupportedProofType(_)
            | E::ProofCount(_)
            | E::Proof(_)
            | E::ProofAlgorithmNotAccepted(_)
            | E::WrongAudience
            | E::StaleProof
            | E::FutureProof
            | E::MissingNonce => C::InvalidProof,
            E::UnknownNonce | E::ExpiredNonce => C::InvalidNonce,
            E::Store(_) => C::ServerError,
        }
    }

    /// The HTTP status of the response.
    pub fn http_status(&self) -> u16 {
        self.code().http_status()
    }

    /// The `WWW-Authenticate` header of a 401 / 403 response (RFC 6750 §3): `Bearer` alone
    /// when no token was sent, with `error` otherwise; `None` for the other errors.
    pub fn www_authenticate(&self) -> Option<String> {
        match self.code() {
            _ if matches!(self, CredentialError::MissingToken) => Some("Bearer".to_owned()),
            code @ (CredentialErrorCode::InvalidToken | CredentialErrorCode::InsufficientScope) => {
                Some(format!(
                    "Bearer error=\"{}\", error_description=\"{}\"",
                    code.as_str(),
                    error_description(&self.to_string())
                ))
            }
            _ => None,
        }
    }

    /// The JSON body of the response (a store failure's details are not disclosed).
    pub fn response(&self) -> CredentialErrorResponse {
        let description = match self {
            CredentialError::Store(_) => "internal error".to_owned(),
            other => error_description(&other.to_string()),
        };
        CredentialErrorResponse {
            error: self.code(),
            error_description: Some(description),
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header value (scheme case-insensitive).
fn bearer_token(authorization_header: Option<&str>) -> Result<&str, CredentialError> {
    let value = authorization_header.ok_or(CredentialError::MissingToken)?;
    let (scheme, token) = value.split_once(' ').ok_or(CredentialError::MissingToken)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("Bearer") || token.is_empty() {
        return Err(CredentialError::MissingToken);
    }
    Ok(token)
}

/// Checks a credential request and answers what to issue to whom.
///
/// `authorization_header` is the request's `Authorization` header value. The checks, in order:
/// the access token exists and has not expired; the request names a configuration of
/// `metadata` that the token covers, without response encryption; `proofs` holds exactly one
/// `jwt` proof; the proof JWT parses with a did:key holder key ([`proof_jwt`]), uses an `alg`
/// the configuration accepts and its signature verifies; `aud` is the Credential Issuer
/// Identifier; `iat` is within [`PROOF_MAX_AGE`] before and [`PROOF_MAX_FUTURE_SKEW`] after
/// `now`; `nonce` is a live `c_nonce`, which is consumed. Then the access token is consumed:
/// one token, one credential (a failed request leaves the token usable, so the wallet can
/// retry with a new nonce; a second credential needs a new offer).
pub fn authorize_credential_request(
    store: &dyn IssuerStore,
    authorization_header: Option<&str>,
    request: &CredentialRequest,
    metadata: &CredentialIssuerMetadata,
    now: OffsetDateTime,
) -> Result<AuthorizedIssuance, CredentialError> {
    let token_key = secret_key(bearer_token(authorization_header)?);
    let token: StoredToken = decode_value(
        &store
            .get(Table::Tokens, &token_key)?
            .ok_or(CredentialError::UnknownToken)?,
        Table::Tokens,
    )?;
    if token.expires_at <= now.unix_timestamp() {
        store.delete(Table::Tokens, &token_key)?;
        return Err(CredentialError::TokenExpired);
    }

    if request.credential_response_encryption.is_some() {
        return Err(CredentialError::EncryptionNotSupported);
    }
    let configuration_id = match (
        &request.credential_identifier,
        &request.credential_configuration_id,
    ) {
        (Some(_), Some(_)) => return Err(CredentialError::ConflictingIdentifiers),
        (Some(_), None) => return Err(CredentialError::UnknownCredentialIdentifier),
        (None, None) => return Err(CredentialError::MissingConfigurationId),
        (None, Some(id)) => id,
    };
    let configuration = metadata
        .configuration(configuration_id)
        .ok_or_else(|| CredentialError::UnknownConfiguration(configuration_id.clone()))?;
    if *configuration_id != token.configuration_id {
        return Err(CredentialError::ConfigurationNotGranted(
            configuration_id.clone(),
        ));
    }

    let jwt = single_jwt_proof(request)?;
    let proof = proof_jwt::parse(jwt)?;
    if !configuration.accepts_proof(JWT_PROOF_TYPE, proof.algorithm.name()) {
        return Err(CredentialError::ProofAlgorithmNotAccepted(
            proof.algorithm.name(),
        ));
    }
    proof.verify_signature()?;
    if proof.claims.aud != metadata.credential_issuer {
        return Err(CredentialError::WrongAudience);
    }
    let now_seconds = now.unix_timestamp();
    if proof.claims.iat < now_seconds.saturating_sub(PROOF_MAX_AGE.whole_seconds()) {
        return Err(CredentialError::StaleProof);
    }
    if proof.claims.iat > now_seconds.saturating_add(PROOF_MAX_FUTURE_SKEW.whole_seconds()) {
        return Err(CredentialError::FutureProof);
    }
    let nonce = proof
        .claims
        .nonce
        .as_deref()
        .ok_or(CredentialError::MissingNonce)?;
    let stored_nonce: StoredNonce = decode_value(
        &store
            .take(Table::Nonces, &secret_key(nonce))?
            .ok_or(CredentialError::UnknownNonce)?,
        Table::Nonces,
    )?;
    if stored_nonce.expires_at <= now_seconds {
        return Err(CredentialError::ExpiredNonce);
    }

    // One token, one credential; of two concurrent requests with one token, one wins.
    store
        .take(Table::Tokens, &token_key)?
        .ok_or(CredentialError::UnknownToken)?;
    Ok(AuthorizedIssuance {
        record_id: token.record_id,
        configuration_id: token.configuration_id,
        holder_did: proof.holder_did,
        holder_algorithm: proof.algorithm,
    })
}

/// The one `jwt` proof of the request.
fn single_jwt_proof(request: &CredentialRequest) -> Result<&str, CredentialError> {
    let Some(proofs) = &request.proofs else {
        return Err(if request.proof.is_some() {
            CredentialError::SingularProof
        } else {
            CredentialError::MissingProofs
        });
    };
    let types = usize::from(proofs.jwt.is_some()) + proofs.other.len();
    if types != 1 {
        return Err(CredentialError::ProofTypeCount(types));
    }
    let Some(jwts) = &proofs.jwt else {
        let other = proofs.other.keys().next().cloned().unwrap_or_default();
        return Err(CredentialError::UnsupportedProofType(other));
    };
    match jwts.as_slice() {
        [jwt] => Ok(jwt),
        more => Err(CredentialError::ProofCount(more.len())),
    }
}
