//! Form (b), Data Integrity carriage: the secured document travels losslessly in compact JSON
//! and is verified with its own proof(s) by [`verify_document`].

use serde_json::Value as Json;
use time::OffsetDateTime;

use super::EnvelopeError;
use crate::data_integrity::{VerificationReport, verify_document};
use crate::did::KeyResolver;

/// Verifies the Data Integrity proof(s) of a carried document (and, for a presentation, of
/// every credential it embeds); returns the document's report.
pub fn verify(
    document: &Json,
    resolver: &dyn KeyResolver,
    at: OffsetDateTime,
) -> Result<VerificationReport, EnvelopeError> {
    let report = verify_document(document, resolver, at);
    if let Some(failure) = report.failure.clone() {
        return Err(EnvelopeError::DataIntegrity {
            embedded: None,
            failure,
        });
    }
    verify_embedded_credentials(document, resolver, at)?;
    Ok(report)
}

/// Verifies the Data Integrity proofs of the credentials a presentation embeds
/// (`verifiableCredential`: one object or an array).
pub fn verify_embedded_credentials(
    document: &Json,
    resolver: &dyn KeyResolver,
    at: OffsetDateTime,
) -> Result<(), EnvelopeError> {
    let credentials: Vec<&Json> = match document.get("verifiableCredential") {
        None => Vec::new(),
        Some(Json::Array(credentials)) => credentials.iter().collect(),
        Some(credential) => vec![credential],
    };
    for (index, credential) in credentials.into_iter().enumerate() {
        let report = verify_document(credential, resolver, at);
        if let Some(failure) = report.failure {
            return Err(EnvelopeError::DataIntegrity {
                embedded: Some(index),
                failure,
            });
        }
    }
    Ok(())
}
