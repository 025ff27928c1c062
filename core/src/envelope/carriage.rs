//! Form (b), Data Integrity carriage: the secured document travels losslessly in compact JSON
//! and is verified with its own proof(s) by [`verify_document`] (which, for a presentation,
//! also verifies every embedded credential and binds it to the holder).

use serde_json::Value as Json;
use time::OffsetDateTime;

use super::EnvelopeError;
use crate::data_integrity::{VerificationError, VerificationReport, verify_document};
use crate::did::KeyResolver;

/// Verifies the Data Integrity proof(s) of a carried document (and, for a presentation, of
/// every credential it embeds); returns the document's report.
pub fn verify(
    document: &Json,
    resolver: &dyn KeyResolver,
    at: OffsetDateTime,
) -> Result<VerificationReport, EnvelopeError> {
    let report = verify_document(document, resolver, at);
    match report.failure.clone() {
        None => Ok(report),
        Some(failure) => match failure.error {
            VerificationError::EmbeddedCredential { index, failure } => {
                Err(EnvelopeError::DataIntegrity {
                    embedded: Some(index),
                    failure: *failure,
                })
            }
            _ => Err(EnvelopeError::DataIntegrity {
                embedded: None,
                failure,
            }),
        },
    }
}

/// Verifies the Data Integrity proofs of the credentials a presentation embeds
/// (`verifiableCredential`: one object or an array) and that each is about the presentation's
/// `holder` (every `credentialSubject.id`): the rule of
/// [`crate::data_integrity::verify_document`] for presentations, on the JSON the COSE form
/// carries.
pub fn verify_embedded_credentials(
    document: &Json,
    resolver: &dyn KeyResolver,
    at: OffsetDateTime,
) -> Result<(), EnvelopeError> {
    let holder = super::signed::expected_signer(document, super::EnvelopeKind::Presentation);
    let credentials: Vec<&Json> = match document.get("verifiableCredential") {
        None => Vec::new(),
        Some(Json::Array(credentials)) => credentials.iter().collect(),
        Some(credential) => vec![credential],
    };
    let (_, outcome) =
        crate::data_integrity::verify_embedded_items(holder, &credentials, resolver, at);
    outcome.map_err(|error| match error {
        VerificationError::EmbeddedCredential { index, failure } => EnvelopeError::DataIntegrity {
            embedded: Some(index),
            failure: *failure,
        },
        VerificationError::SubjectNotHolder { index } => EnvelopeError::SubjectNotHolder { index },
        VerificationError::UnsupportedEmbeddedCredential { index } => {
            EnvelopeError::DataIntegrity {
                embedded: Some(index),
                failure: VerificationError::UnsupportedEmbeddedCredential { index }.into(),
            }
        }
        other => EnvelopeError::DataIntegrity {
            embedded: None,
            failure: other.into(),
        },
    })
}
