//! The claims a credential carries from a subject record (the OpenID4VCI and batch paths; the
//! VC-API path takes the claims from the request).
//!
//! | credential type | `credentialSubject` members besides `id`, `type`, `jurisdiction` |
//! | --- | --- |
//! | `HealthCode` | `statusColour`, `statusDate` (issuance day), `name`, `birthDate`, `documentNumber`, `latestTest` (the last test result, if any), `vaccinationDoses` |
//! | `NucleicAcidTestResult` | `testType`, `result`, `sampledAt` of the last test, `name`, `birthDate`, `documentNumber` |
//! | `Vaccination` | `vaccine`, `dose`, `date` of the last vaccination, `name`, `birthDate`, `documentNumber` |
//!
//! The identity claims are in the credential so that a border officer can compare them with
//! a travel document; with a BBS proof the holder discloses them only where needed.

use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::records::{HealthStatus, SubjectRecord};
use crosscode_core::vc::VC_V2_CONTEXT;

/// Why a record cannot make a credential of a type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimsError {
    /// The type needs a test result and the record has none.
    #[error("the record has no test result")]
    NoTestResult,
    /// The type needs a vaccination and the record has none.
    #[error("the record has no vaccination")]
    NoVaccination,
    /// The type is not one the issuer knows.
    #[error("unknown credential type")]
    UnknownType,
}

/// The unsigned credential of `credential_type` about `record`, for `holder` (a `did:key`).
pub fn unsigned_credential(
    record: &SubjectRecord,
    credential_type: &str,
    holder: &str,
    now: OffsetDateTime,
) -> Result<Value, ClaimsError> {
    let mut subject = json!({
        "id": holder,
        "type": credential_type,
        "name": record.name,
        "birthDate": record.birth_date,
        "documentNumber": record.document_number,
    });
    let claims = match credential_type {
        "HealthCode" => {
            let colour = match record.health_status {
                HealthStatus::Green => "green",
                HealthStatus::Yellow => "yellow",
                HealthStatus::Red => "red",
            };
            let mut claims = json!({
                "statusColour": colour,
                "statusDate": now.date().to_string(),
                "vaccinationDoses": record.vaccinations.len(),
            });
            if let (Some(test), Some(map)) = (record.test_results.last(), claims.as_object_mut()) {
                map.insert(
                    "latestTest".into(),
                    json!({"testType": test.test_type, "result": test.result, "sampledAt": test.sampled_at}),
                );
            }
            claims
        }
        "NucleicAcidTestResult" => {
            let test = record
                .test_results
                .last()
                .ok_or(ClaimsError::NoTestResult)?;
            json!({"testType": test.test_type, "result": test.result, "sampledAt": test.sampled_at})
        }
        "Vaccination" => {
            let dose = record
                .vaccinations
                .last()
                .ok_or(ClaimsError::NoVaccination)?;
            json!({"vaccine": dose.vaccine, "dose": dose.dose, "date": dose.date})
        }
        _ => return Err(ClaimsError::UnknownType),
    };
    if let (Some(subject), Value::Object(claims)) = (subject.as_object_mut(), claims) {
        subject.extend(claims);
    }
    Ok(json!({
        "@context": [VC_V2_CONTEXT],
        "type": ["VerifiableCredential", credential_type],
        "credentialSubject": subject,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(with_test: bool, with_vaccination: bool) -> SubjectRecord {
        let mut json = serde_json::json!({
            "name": "A Person", "birthDate": "1990-02-03", "documentNumber": "D1",
            "healthStatus": "yellow", "testResults": [], "vaccinations": []
        });
        if with_test {
            json["testResults"] = serde_json::json!([{"testType": "nucleic-acid", "result": "negative", "sampledAt": "2026-12-04T08:00:00Z"}]);
        }
        if with_vaccination {
            json["vaccinations"] =
                serde_json::json!([{"vaccine": "V", "dose": 2, "date": "2026-01-02"}]);
        }
        SubjectRecord::from_json(json.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn a_record_makes_the_claims_of_each_type() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let full = record(true, true);
        let code = unsigned_credential(&full, "HealthCode", "did:key:z6Mk", now).unwrap();
        assert_eq!(code["credentialSubject"]["statusColour"], "yellow");
        assert_eq!(
            code["credentialSubject"]["latestTest"]["result"],
            "negative"
        );
        assert_eq!(code["credentialSubject"]["vaccinationDoses"], 1);
        let test =
            unsigned_credential(&full, "NucleicAcidTestResult", "did:key:z6Mk", now).unwrap();
        assert_eq!(test["credentialSubject"]["testType"], "nucleic-acid");
        let dose = unsigned_credential(&full, "Vaccination", "did:key:z6Mk", now).unwrap();
        assert_eq!(dose["credentialSubject"]["dose"], 2);
    }

    #[test]
    fn a_record_without_what_a_type_needs_is_a_typed_error() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let empty = record(false, false);
        assert_eq!(
            unsigned_credential(&empty, "NucleicAcidTestResult", "did:key:z6Mk", now),
            Err(ClaimsError::NoTestResult)
        );
        assert_eq!(
            unsigned_credential(&empty, "Vaccination", "did:key:z6Mk", now),
            Err(ClaimsError::NoVaccination)
        );
        assert_eq!(
            unsigned_credential(&empty, "Passport", "did:key:z6Mk", now),
            Err(ClaimsError::UnknownType)
        );
        assert!(unsigned_credential(&empty, "HealthCode", "did:key:z6Mk", now).is_ok());
    }
}
