//! The Schema step validates a DCC against the published schema of the version its `ver`
//! declares, and reports an unknown version as such; the step stays advisory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::signer::TestSigner;
use crosscode_core::VerificationStep;
use crosscode_verifier::dcc_schema::{DccSchemas, SchemaVersionError};
use crosscode_verifier::{StepOutcome, TrustStore, Verdict, Verifier};
use serde_json::json;
use time::OffsetDateTime;

/// 2021-06-01T00:00:00Z.
const JUNE_2021: i64 = 1_622_505_600;

/// A vaccination DCC with a year-only date of birth: valid from schema 1.2.0 on (1.0.x and
/// 1.1.0 require a full date).
fn born_in(ver: &str) -> serde_json::Value {
    json!({
        "ver": ver,
        "nam": {"fn": "Musterfrau", "fnt": "MUSTERFRAU", "gn": "Erika", "gnt": "ERIKA"},
        "dob": "1964",
        "v": [{"tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528", "ma": "ORG-100030215",
               "dn": 2, "sd": 2, "dt": "2021-05-20", "co": "AT", "is": "Ministry of Health, Austria",
               "ci": "URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B"}]
    })
}

fn schema_step(dcc: &serde_json::Value) -> (Verdict, StepOutcome) {
    let signer = TestSigner::new(11, JUNE_2021 - 86_400, JUNE_2021 + 365 * 86_400, &[]);
    let mut trust = TrustStore::new();
    trust.add_dsc_der(&signer.der).unwrap();
    let report = Verifier::new(trust).verify_text(
        &signer.sign_dcc(JUNE_2021, JUNE_2021 + 30 * 86_400, dcc),
        OffsetDateTime::from_unix_timestamp(JUNE_2021 + 60).unwrap(),
    );
    (
        report.verdict(),
        report.outcome(VerificationStep::Schema).clone(),
    )
}

#[test]
fn a_dcc_is_validated_against_the_schema_version_it_declares() {
    assert_eq!(
        schema_step(&born_in("1.3.0")),
        (
            Verdict::Accept,
            StepOutcome::Passed("DCC schema 1.3.0".into())
        )
    );
    assert_eq!(
        schema_step(&born_in("1.2.1")),
        (
            Verdict::Accept,
            StepOutcome::Passed("DCC schema 1.2.1".into())
        )
    );
    // The same payload declaring 1.0.0 breaks that version's date-of-birth pattern: advisory.
    let (verdict, outcome) = schema_step(&born_in("1.0.0"));
    assert_eq!(verdict, Verdict::Accept);
    match outcome {
        StepOutcome::Warning(detail) => {
            assert!(
                detail.starts_with("advisory: DCC schema 1.0.0: /dob:"),
                "{detail}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_unpublished_patch_version_is_checked_against_the_newest_patch_of_its_minor() {
    assert_eq!(
        schema_step(&born_in("1.3.7")),
        (
            Verdict::Accept,
            StepOutcome::Passed("DCC schema 1.3.3 (declared 1.3.7)".into())
        )
    );
}

#[test]
fn an_unknown_schema_version_is_reported_as_unknown_and_stays_advisory() {
    let dcc = born_in("1.4.0");
    let err = DccSchemas::published().validate(&dcc).unwrap_err();
    assert_eq!(
        err,
        SchemaVersionError::Unknown {
            declared: "1.4.0".into(),
            published: "1.0.0, 1.0.1, 1.1.0, 1.2.0, 1.2.1, 1.3.0, 1.3.1, 1.3.2, 1.3.3".into(),
        }
    );
    assert_eq!(
        schema_step(&dcc),
        (
            Verdict::Accept,
            StepOutcome::Warning(format!("advisory: {err}"))
        )
    );
    let mut unversioned = born_in("1.3.0");
    unversioned["ver"] = json!(130);
    assert_eq!(
        schema_step(&unversioned).1,
        StepOutcome::Warning(format!("advisory: {}", SchemaVersionError::Missing))
    );
}

#[test]
fn one_schema_given_by_the_operator_is_used_whatever_the_dcc_declares() {
    let signer = TestSigner::new(12, JUNE_2021 - 86_400, JUNE_2021 + 365 * 86_400, &[]);
    let mut trust = TrustStore::new();
    trust.add_dsc_der(&signer.der).unwrap();
    let v100 = crosscode_verifier::schema::JsonSchema::from_slice(
        crosscode_verifier::dcc_schema::PUBLISHED[0].1.as_bytes(),
    )
    .unwrap();
    let report = Verifier::new(trust)
        .with_dcc_schema(Some(v100))
        .verify_text(
            &signer.sign_dcc(JUNE_2021, JUNE_2021 + 86_400, &born_in("1.3.0")),
            OffsetDateTime::from_unix_timestamp(JUNE_2021 + 60).unwrap(),
        );
    assert!(matches!(
        report.outcome(VerificationStep::Schema),
        StepOutcome::Warning(d) if d.starts_with("advisory: Schema version 1.0.0: /dob:")
    ));
}
