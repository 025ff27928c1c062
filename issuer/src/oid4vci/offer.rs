//! Creating credential offers (OpenID4VCI 1.0, "Credential Offer") with a pre-authorized code,
//! and their stored form. The wire types (the offer object and its URI) are core's ([`crosscode_core::oid4vci`]).

use rand::Rng as _;
use serde::{Deserialize, Serialize};
use serde_json::Map;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use super::{
    CredentialIssuerMetadata, CredentialOffer, Grants, PreAuthorizedCodeGrant, TX_CODE_LENGTH,
    TX_CODE_MAX_ATTEMPTS, TxCode, encode_value, new_secret, secret_key,
};
use crate::store::{IssuerStore, StoreError, Table};

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
