//! Credentials that cross a border: a [`PseudonymousCredential`] is a credential (a derived
//! one, or one a jurisdiction issued after a conversion) whose claims were listed with the
//! statement model of `bbs-jcs-2026` ([`crate::data_integrity::selective`]) and hold no
//! personal claim — no claim anywhere in it is named as one of [`PERSONAL_CLAIMS`].
//!
//! A conversion request's credential must in addition disclose only what the policy names
//! ([`PseudonymousCredential::check_disclosure`]): the claims
//! `/credentialSubject/<name>` (or below) for each name of the policy, and the structural
//! claims every conversion needs — `/id` (its anchor leaf), `/evidence` (its anchor entry) and
//! `/credentialSubject/id` (the holder `did:key` the consent is checked against).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::NoPersonalData;
use super::wire::ClaimName;
use crate::data_integrity::selective::Statements;

/// The claim names that are personal data wherever they occur: they never cross a border.
pub const PERSONAL_CLAIMS: [&str; 9] = [
    "name",
    "givenName",
    "familyName",
    "birthDate",
    "documentNumber",
    "address",
    "email",
    "telephone",
    "photo",
];

/// The claims every conversion request discloses besides the policy's (see the module
/// documentation).
pub const STRUCTURAL_CLAIMS: [&str; 3] = ["/id", "/evidence", "/credentialSubject/id"];

/// Why a credential may not cross (names the claim's pointer, never its value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrossingError {
    /// The credential is not a JSON object whose claims can be listed.
    #[error("not a credential: {0}")]
    NotACredential(String),
    /// A claim is personal data.
    #[error("claim {pointer} is personal data and may not cross a border")]
    PersonalClaim {
        /// The claim's JSON pointer.
        pointer: String,
    },
    /// A claim is not one the policy names.
    #[error("claim {pointer} is not one the conversion policy names")]
    NotInPolicy {
        /// The claim's JSON pointer.
        pointer: String,
    },
}

/// A credential without personal claims (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub struct PseudonymousCredential {
    document: Value,
    claims: Vec<String>,
}

impl PseudonymousCredential {
    /// Checks that `document` holds no personal claim.
    pub fn new(document: Value) -> Result<PseudonymousCredential, CrossingError> {
        let statements = Statements::of_document(&document)
            .map_err(|err| CrossingError::NotACredential(err.to_string()))?;
        let claims: Vec<String> = statements.claims.into_keys().collect();
        if let Some(pointer) = claims.iter().find(|pointer| {
            pointer
                .split('/')
                .any(|token| PERSONAL_CLAIMS.contains(&token))
        }) {
            return Err(CrossingError::PersonalClaim {
                pointer: pointer.clone(),
            });
        }
        Ok(PseudonymousCredential { document, claims })
    }

    /// The credential's JSON.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The JSON pointers of its claims (its mandatory members aside), in pointer order.
    pub fn claims(&self) -> &[String] {
        &self.claims
    }

    /// Checks that it discloses only the structural claims and the claims `allowed` names.
    pub fn check_disclosure(&self, allowed: &[ClaimName]) -> Result<(), CrossingError> {
        let permitted = |pointer: &str| {
            STRUCTURAL_CLAIMS
                .iter()
                .any(|structural| within(pointer, structural))
                || allowed
                    .iter()
                    .any(|name| within(pointer, &format!("/credentialSubject/{}", name.as_str())))
        };
        match self.claims.iter().find(|pointer| !permitted(pointer)) {
            Some(pointer) => Err(CrossingError::NotInPolicy {
                pointer: pointer.clone(),
            }),
            None => Ok(()),
        }
    }
}

/// Whether `pointer` is `prefix` or below it.
fn within(pointer: &str, prefix: &str) -> bool {
    pointer == prefix
        || pointer
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

impl TryFrom<Value> for PseudonymousCredential {
    type Error = CrossingError;
    fn try_from(document: Value) -> Result<PseudonymousCredential, CrossingError> {
        PseudonymousCredential::new(document)
    }
}

impl From<PseudonymousCredential> for Value {
    fn from(credential: PseudonymousCredential) -> Value {
        credential.document
    }
}

impl NoPersonalData for PseudonymousCredential {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn credential(subject: Value) -> Value {
        json!({"@context": ["https://www.w3.org/ns/credentials/v2"],
               "type": ["VerifiableCredential", "HealthCode"], "id": "urn:x",
               "evidence": [{"type": ["CrosscodeChainAnchor"]}],
               "credentialSubject": subject})
    }

    #[test]
    fn a_credential_with_a_personal_claim_cannot_be_made_or_parsed() {
        let document = credential(json!({"id": "did:key:z", "name": "X"}));
        assert_eq!(
            PseudonymousCredential::new(document.clone()),
            Err(CrossingError::PersonalClaim {
                pointer: "/credentialSubject/name".into()
            })
        );
        assert!(serde_json::from_value::<PseudonymousCredential>(document).is_err());
        let nested = credential(json!({"id": "did:key:z", "holder": {"birthDate": "2000-01-01"}}));
        assert!(matches!(
            PseudonymousCredential::new(nested),
            Err(CrossingError::PersonalClaim { .. })
        ));
    }

    #[test]
    fn disclosure_is_limited_to_the_structural_claims_and_the_named_ones() {
        let names = [
            ClaimName::new("statusColour").unwrap(),
            ClaimName::new("latestTest").unwrap(),
        ];
        let ok = credential(json!({"id": "did:key:z", "statusColour": "green",
                                   "latestTest": {"result": "negative"}}));
        let ok = PseudonymousCredential::new(ok).unwrap();
        assert_eq!(ok.check_disclosure(&names), Ok(()));
        let more = credential(json!({"id": "did:key:z", "statusColour": "green",
                                     "statusColourDate": "2026-12-01"}));
        assert_eq!(
            PseudonymousCredential::new(more)
                .unwrap()
                .check_disclosure(&names),
            Err(CrossingError::NotInPolicy {
                pointer: "/credentialSubject/statusColourDate".into()
            })
        );
    }
}
