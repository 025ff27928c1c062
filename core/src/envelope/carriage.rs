//! Form (b), Data Integrity carriage: the secured document travels losslessly in compact JSON
//! and is verified with its own proof(s).

use serde_json::Value as Json;
use time::OffsetDateTime;

use super::{EnvelopeError, EnvelopeKind};
use crate::did::KeyResolver;

/// Verifies the Data Integrity proof(s) of a carried document.
pub fn verify(
    _document: &Json,
    _kind: EnvelopeKind,
    _resolver: &dyn KeyResolver,
    _at: OffsetDateTime,
) -> Result<(), EnvelopeError> {
    Err(EnvelopeError::DataIntegrity(
        "verify_document is not available yet".to_owned(),
    ))
}

/// Verifies the Data Integrity proofs of the credentials a presentation embeds.
pub fn verify_embedded_credentials(
    document: &Json,
    resolver: &dyn KeyResolver,
    at: OffsetDateTime,
) -> Result<(), EnvelopeError> {
    match document.get("verifiableCredential") {
        None => Ok(()),
        Some(Json::Array(credentials)) => credentials
            .iter()
            .try_for_each(|credential| verify(credential, EnvelopeKind::Credential, resolver, at)),
        Some(credential) => verify(credential, EnvelopeKind::Credential, resolver, at),
    }
}
