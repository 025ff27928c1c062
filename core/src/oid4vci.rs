//! The wire model of OpenID for Verifiable Credential Issuance 1.0 (final), pre-authorized code
//! flow, `ldp_vc` credentials bound to a holder `did:key` — the types and pure functions both
//! sides need: the issuer service (`crosscode-issuer`, which keeps the stored offers, tokens
//! and nonces and the routes) and the wallet (`crosscode-wallet-core`).
//!
//! The flow (`docs/openid4vci.md` is the reference):
//! 1. The issuer hands the wallet a [`CredentialOffer`] as an
//!    `openid-credential-offer://?credential_offer=<percent-encoded JSON>` URI
//!    ([`CredentialOffer::to_uri`] / [`CredentialOffer::from_uri`]).
//! 2. The wallet reads the [`CredentialIssuerMetadata`] (`/.well-known/openid-credential-issuer`,
//!    [`well_known_url`]) and the [`AuthorizationServerMetadata`]
//!    (`/.well-known/oauth-authorization-server`).
//! 3. Token endpoint: a form-encoded [`TokenRequest`] with the pre-authorized code (and the
//!    transaction code) → [`TokenResponse`] or [`OAuthErrorResponse`].
//! 4. Nonce endpoint: `POST` → [`NonceResponse`] (a single-use `c_nonce`).
//! 5. Credential endpoint: a JSON [`CredentialRequest`] with `Authorization: Bearer <token>` and
//!    one proof-of-possession JWT ([`proof_jwt`]: the wallet signs one with
//!    [`proof_jwt::sign`], the issuer checks it with [`proof_jwt::parse`]) →
//!    [`CredentialResponse`] or [`CredentialErrorResponse`].

mod credential;
mod metadata;
mod offer;
pub mod proof_jwt;
mod token;

pub use credential::{
    CredentialErrorCode, CredentialErrorResponse, CredentialRequest, CredentialRequestError,
    CredentialResponse, IssuedCredential, Proofs,
};
pub use metadata::{
    AuthorizationServerMetadata, ClaimDescription, ClaimDisplay, CredentialConfiguration,
    CredentialDefinition, CredentialDisplay, CredentialIssuerMetadata, CredentialMetadata,
    HEALTH_CODE_CONFIGURATION_ID, HEALTH_CODE_CONTEXT, Image, IssuerDisplay, ProofTypeMetadata,
    health_code_configuration,
};
pub use offer::{CredentialOffer, Grants, OfferUriError, PreAuthorizedCodeGrant, TxCode};
pub use proof_jwt::ProofAlgorithm;
pub use token::{
    NonceResponse, OAuthErrorCode, OAuthErrorResponse, TokenRequest, TokenRequestError,
    TokenResponse,
};

/// The grant type of the pre-authorized code flow.
pub const PRE_AUTHORIZED_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
/// The URI scheme (with `//`) of a credential offer passed to a wallet.
pub const CREDENTIAL_OFFER_SCHEME: &str = "openid-credential-offer://";
/// The credential format: W3C VC secured with Data Integrity (JSON-LD).
pub const LDP_VC_FORMAT: &str = "ldp_vc";
/// The only proof type accepted (`proofs.jwt`).
pub const JWT_PROOF_TYPE: &str = "jwt";
/// The required `typ` header of a proof-of-possession JWT.
pub const PROOF_JWT_TYP: &str = "openid4vci-proof+jwt";
/// The holder binding method: the credential subject is the holder's `did:key`.
pub const DID_KEY_BINDING: &str = "did:key";
/// Path of the credential issuer metadata, inserted between host and path of the issuer URL.
pub const CREDENTIAL_ISSUER_WELL_KNOWN: &str = "/.well-known/openid-credential-issuer";
/// Path of the OAuth authorization server metadata (RFC 8414), inserted likewise.
pub const AUTHORIZATION_SERVER_WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";
/// The token endpoint, relative to the issuer URL.
pub const TOKEN_PATH: &str = "/token";
/// The nonce endpoint, relative to the issuer URL.
pub const NONCE_PATH: &str = "/nonce";
/// The credential endpoint, relative to the issuer URL.
pub const CREDENTIAL_PATH: &str = "/credential";

/// `issuer_url` with `path` appended (the issuer URL's trailing `/`, if any, dropped).
pub fn endpoint(issuer_url: &str, path: &str) -> String {
    format!("{}{path}", issuer_url.trim_end_matches('/'))
}

/// The URL of a well-known document (`well_known`, e.g. [`CREDENTIAL_ISSUER_WELL_KNOWN`]) of the
/// issuer `issuer_url`: inserted between the host and the path (RFC 8615; OpenID4VCI 1.0
/// "Credential Issuer Metadata"), so `https://a.example/tenant` gives
/// `https://a.example/.well-known/openid-credential-issuer/tenant`. `None` when `issuer_url` is
/// not `scheme://authority[/path]`.
pub fn well_known_url(issuer_url: &str, well_known: &str) -> Option<String> {
    let (scheme, rest) = issuer_url.split_once("://")?;
    let (authority, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, ""),
    };
    if scheme.is_empty() || authority.is_empty() || rest.contains(['?', '#']) {
        return None;
    }
    Some(format!(
        "{scheme}://{authority}{well_known}{}",
        path.trim_end_matches('/')
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_paths_go_between_host_and_path() {
        assert_eq!(
            well_known_url("https://a.example", CREDENTIAL_ISSUER_WELL_KNOWN).as_deref(),
            Some("https://a.example/.well-known/openid-credential-issuer")
        );
        assert_eq!(
            well_known_url("https://a.example/tenant/", AUTHORIZATION_SERVER_WELL_KNOWN).as_deref(),
            Some("https://a.example/.well-known/oauth-authorization-server/tenant")
        );
        assert_eq!(well_known_url("a.example", TOKEN_PATH), None);
        assert_eq!(well_known_url("https://a.example?x", TOKEN_PATH), None);
    }
}
