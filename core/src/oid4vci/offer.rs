//! Credential offers (OpenID4VCI 1.0, "Credential Offer") with a pre-authorized code, and the
//! `openid-credential-offer://` URI that passes one by value.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::CREDENTIAL_OFFER_SCHEME;

/// A credential offer object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialOffer {
    /// The Credential Issuer Identifier.
    pub credential_issuer: String,
    /// The offered configurations (keys of `credential_configurations_supported`).
    pub credential_configuration_ids: Vec<String>,
    /// The grants the wallet may use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Grants>,
}

impl CredentialOffer {
    /// The offer passed by value: `openid-credential-offer://?credential_offer=<percent-encoded
    /// JSON>` (every byte but ASCII letters, digits and `-._~` percent-encoded).
    pub fn to_uri(&self) -> String {
        // Serializing a struct of strings, vectors and maps cannot fail.
        let json = serde_json::to_string(self).unwrap_or_default();
        format!(
            "{CREDENTIAL_OFFER_SCHEME}?credential_offer={}",
            utf8_percent_encode(&json, QUERY_VALUE)
        )
    }

    /// Parses an offer passed by value (`openid-credential-offer://?credential_offer=…`, what a
    /// wallet scans).
    pub fn from_uri(uri: &str) -> Result<CredentialOffer, OfferUriError> {
        let query = uri
            .strip_prefix(CREDENTIAL_OFFER_SCHEME)
            .and_then(|rest| rest.strip_prefix('?'))
            .ok_or(OfferUriError::NotAnOfferUri)?;
        let mut offer = None;
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            match name.as_ref() {
                "credential_offer_uri" => return Err(OfferUriError::ByReference),
                "credential_offer" if offer.is_some() => return Err(OfferUriError::Repeated),
                "credential_offer" => offer = Some(value.into_owned()),
                _ => {}
            }
        }
        let json = offer.ok_or(OfferUriError::MissingCredentialOffer)?;
        serde_json::from_str(&json).map_err(|err| OfferUriError::Json(err.to_string()))
    }

    /// The pre-authorized code grant, if any.
    pub fn pre_authorized_code_grant(&self) -> Option<&PreAuthorizedCodeGrant> {
        self.grants.as_ref()?.pre_authorized_code.as_ref()
    }
}

/// Bytes left as they are in a query value: RFC 3986 unreserved characters.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The `grants` object of a credential offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grants {
    /// `urn:ietf:params:oauth:grant-type:pre-authorized_code`.
    #[serde(
        rename = "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_authorized_code: Option<PreAuthorizedCodeGrant>,
    /// Other grants (`authorization_code`, …), kept as they are.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The pre-authorized code grant of an offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreAuthorizedCodeGrant {
    /// The single-use code the wallet exchanges at the token endpoint.
    #[serde(rename = "pre-authorized_code")]
    pub pre_authorized_code: String,
    /// Present (even empty) when the token request must carry a transaction code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_code: Option<TxCode>,
    /// The authorization server to use (only with several in the metadata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_server: Option<String>,
}

/// How the transaction code looks, for the wallet's input screen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxCode {
    /// `numeric` (default) or `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_mode: Option<String>,
    /// Number of characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    /// Where the citizen finds the code (at most 300 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Why a credential offer URI could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfferUriError {
    /// Not `openid-credential-offer://?…`.
    #[error("not an openid-credential-offer:// URI")]
    NotAnOfferUri,
    /// The offer is passed by reference (`credential_offer_uri`), which this reader does not
    /// fetch.
    #[error("the offer is passed by reference (credential_offer_uri)")]
    ByReference,
    /// `credential_offer` appears twice.
    #[error("credential_offer is repeated")]
    Repeated,
    /// No `credential_offer` parameter.
    #[error("credential_offer is missing")]
    MissingCredentialOffer,
    /// `credential_offer` is not a credential offer object.
    #[error("credential_offer is not a credential offer: {0}")]
    Json(String),
}
