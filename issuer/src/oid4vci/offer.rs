//! Credential offers (OpenID4VCI 1.0, "Credential Offer") with a pre-authorized code, and
//! their stored form.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rand::Rng as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use super::{
    CREDENTIAL_OFFER_SCHEME, CredentialIssuerMetadata, TX_CODE_LENGTH, TX_CODE_MAX_ATTEMPTS,
    encode_value, new_secret, secret_key,
};
use crate::store::{IssuerStore, StoreError, Table};

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

/// The description shown next to the transaction code input.
pub const TX_CODE_DESCRIPTION: &str =
    "Enter the 6-digit code the health authority gave you with this offer";

/// An offer created by [`create_offer`]: what the back office shows the citizen.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatedOffer {
    /// The offer object.
    pub offer: CredentialOffer,
    /// `openid-credential-offer://?credential_offer=…` (a link, or a QR code's content).
    pub uri: String,
    /// The pre-authorized code (also inside `offer`); only its hash is stored.
    pub pre_authorized_code: String,
    /// The transaction code to give the citizen out of band (never inside the offer).
    pub tx_code: Option<String>,
    /// When the offer stops being redeemable.
    pub expires_at: OffsetDateTime,
}

/// Why an offer could not be created.
#[derive(Debug, thiserror::Error)]
pub enum OfferError {
    /// The configuration is not in the issuer's metadata.
    #[error("unknown credential configuration {0:?}")]
    UnknownConfiguration(String),
    /// No subject record has this id.
    #[error("no subject record has the given id")]
    UnknownRecord,
    /// The lifetime is zero or negative.
    #[error("an offer's lifetime must be positive")]
    NonPositiveTtl,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
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

/// An offer as stored in [`Table::Offers`], under SHA-256 of its pre-authorized code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredOffer {
    /// The subject record the credential is issued from.
    pub record_id: String,
    /// The offered configuration.
    pub configuration_id: String,
    /// SHA-256 over the pre-authorized code and the transaction code (hex), if one is required.
    pub tx_code_hash: Option<String>,
    /// Wrong transaction codes still tolerated.
    pub tx_code_attempts_left: u8,
    /// Expiry (Unix seconds).
    pub expires_at: i64,
}

/// The stored hash of a transaction code: SHA-256 of a domain tag, the pre-authorized code and
/// the transaction code (the high-entropy code salts the low-entropy transaction code).
pub(crate) fn tx_code_hash(pre_authorized_code: &str, tx_code: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"crosscode oid4vci tx_code\0");
    hasher.update((pre_authorized_code.len() as u64).to_be_bytes());
    hasher.update(pre_authorized_code.as_bytes());
    hasher.update(tx_code.as_bytes());
    hasher.finalize().into()
}

/// Creates a single-use offer of `configuration_id` for the subject record `record_id`, valid
/// for `ttl` from `now`; with `with_tx_code`, a [`TX_CODE_LENGTH`]-digit transaction code is
/// required at the token endpoint ([`TX_CODE_MAX_ATTEMPTS`] tries). The store keeps only
/// hashes of the pre-authorized code and the transaction code.
pub fn create_offer(
    store: &dyn IssuerStore,
    metadata: &CredentialIssuerMetadata,
    record_id: &str,
    configuration_id: &str,
    with_tx_code: bool,
    ttl: Duration,
    now: OffsetDateTime,
) -> Result<CreatedOffer, OfferError> {
    if metadata.configuration(configuration_id).is_none() {
        return Err(OfferError::UnknownConfiguration(
            configuration_id.to_owned(),
        ));
    }
    if !ttl.is_positive() {
        return Err(OfferError::NonPositiveTtl);
    }
    if store.get(Table::Records, record_id.as_bytes())?.is_none() {
        return Err(OfferError::UnknownRecord);
    }
    let expires_at = now + ttl;
    loop {
        let pre_authorized_code = new_secret();
        let tx_code = with_tx_code.then(new_tx_code);
        let stored = StoredOffer {
            record_id: record_id.to_owned(),
            configuration_id: configuration_id.to_owned(),
            tx_code_hash: tx_code
                .as_deref()
                .map(|code| hex::encode(tx_code_hash(&pre_authorized_code, code))),
            tx_code_attempts_left: TX_CODE_MAX_ATTEMPTS,
            expires_at: expires_at.unix_timestamp(),
        };
        let value = encode_value(&stored, Table::Offers)?;
        // A 256-bit collision does not happen; the loop only keeps insert_new's contract.
        if !store.insert_new(Table::Offers, &secret_key(&pre_authorized_code), &value)? {
            continue;
        }
        let offer = CredentialOffer {
            credential_issuer: metadata.credential_issuer.clone(),
            credential_configuration_ids: vec![configuration_id.to_owned()],
            grants: Some(Grants {
                pre_authorized_code: Some(PreAuthorizedCodeGrant {
                    pre_authorized_code: pre_authorized_code.clone(),
                    tx_code: with_tx_code.then(|| TxCode {
                        input_mode: Some("numeric".to_owned()),
                        length: Some(TX_CODE_LENGTH as u32),
                        description: Some(TX_CODE_DESCRIPTION.to_owned()),
                    }),
                    authorization_server: None,
                }),
                other: Map::new(),
            }),
        };
        return Ok(CreatedOffer {
            uri: offer.to_uri(),
            offer,
            pre_authorized_code,
            tx_code,
            expires_at,
        });
    }
}

/// A uniformly random [`TX_CODE_LENGTH`]-digit code.
fn new_tx_code() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..TX_CODE_LENGTH)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}
