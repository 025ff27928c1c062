//! A DCC is refused at ValidityWindow when the document-signer certificate that verified it is
//! outside its notBefore / notAfter at the validation clock; the DSCs are real X.509
//! certificates built for each test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::signer::TestSigner;
use crosscode_core::VerificationStep;
use crosscode_verifier::dcc_testfile;
use crosscode_verifier::report::VerificationError;
use crosscode_verifier::{StepOutcome, TrustStore, Verdict, Verifier};
use serde_json::json;
use time::OffsetDateTime;

const DAY: i64 = 86_400;
/// 2021-06-01T00:00:00Z.
const JUNE_2021: i64 = 1_622_505_600;

fn vaccination() -> serde_json::Value {
    json!({
        "ver": "1.3.0",
        "nam": {"fnt": "MUSTERFRAU", "gnt": "ERIKA"},
        "dob": "1964-08-12",
        "v": [{"tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528", "ma": "ORG-100030215",
               "dn": 2, "sd": 2, "dt": "2021-05-20", "co": "AT", "is": "Ministry of Health, Austria",
               "ci": "URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B"}]
    })
}

fn verify(signer: &TestSigner, text: &str, clock: i64) -> crosscode_verifier::Report {
    let mut trust = TrustStore::new();
    trust.add_dsc_der(&signer.der).unwrap();
    Verifier::new(trust).verify_text(text, OffsetDateTime::from_unix_timestamp(clock).unwrap())
}

#[test]
fn a_dcc_signed_by_a_dsc_within_its_validity_dates_is_accepted() {
    let signer = TestSigner::new(3, JUNE_2021 - 30 * DAY, JUNE_2021 + 365 * DAY, &[]);
    let text = signer.sign_dcc(JUNE_2021, JUNE_2021 + 30 * DAY, &vaccination());
    let report = verify(&signer, &text, JUNE_2021 + DAY);
    assert_eq!(report.verdict(), Verdict::Accept, "{}", report.to_json());
    // notBefore and notAfter are both inclusive.
    let edge = TestSigner::new(4, JUNE_2021, JUNE_2021 + DAY, &[]);
    let text = edge.sign_dcc(JUNE_2021, JUNE_2021 + DAY, &vaccination());
    for clock in [JUNE_2021, JUNE_2021 + DAY] {
        assert_eq!(verify(&edge, &text, clock).verdict(), Verdict::Accept);
    }
}

#[test]
fn a_dcc_whose_document_signer_has_expired_at_the_clock_is_refused() {
    // The DCC itself is still within iat..exp; only the DSC has expired.
    let signer = TestSigner::new(5, JUNE_2021 - 30 * DAY, JUNE_2021 + 10 * DAY, &[]);
    let text = signer.sign_dcc(JUNE_2021, JUNE_2021 + 60 * DAY, &vaccination());
    let clock = JUNE_2021 + 20 * DAY;
    let report = verify(&signer, &text, clock);
    assert_eq!(report.verdict(), Verdict::Reject);
    assert_eq!(
        report.failure(),
        Some((
            VerificationStep::ValidityWindow,
            &VerificationError::DocumentSignerExpired {
                not_after: JUNE_2021 + 10 * DAY,
                now: clock,
            }
        ))
    );
    // The signature itself verified: the refusal is about time, not cryptography.
    assert!(report.passed(VerificationStep::Signature));
    assert_eq!(
        report.to_json()["steps"][7]["error"]["code"],
        json!("DSC_EXPIRED")
    );
}

#[test]
fn a_dcc_whose_document_signer_is_not_yet_valid_at_the_clock_is_refused() {
    let signer = TestSigner::new(6, JUNE_2021 + 10 * DAY, JUNE_2021 + 365 * DAY, &[]);
    let text = signer.sign_dcc(JUNE_2021, JUNE_2021 + 60 * DAY, &vaccination());
    let clock = JUNE_2021 + DAY;
    let report = verify(&signer, &text, clock);
    assert_eq!(
        report.failure(),
        Some((
            VerificationStep::ValidityWindow,
            &VerificationError::DocumentSignerNotYetValid {
                not_before: JUNE_2021 + 10 * DAY,
                now: clock,
            }
        ))
    );
    assert!(matches!(
        report.outcome(VerificationStep::KeyUsage),
        StepOutcome::Passed(_)
    ));
}

#[test]
fn a_dcc_expiring_after_its_document_signer_is_accepted_while_both_are_valid() {
    // hcert asks issuers to keep exp inside the DSC's validity; a verifier does not refuse it.
    let signer = TestSigner::new(7, JUNE_2021 - DAY, JUNE_2021 + 10 * DAY, &[]);
    let text = signer.sign_dcc(JUNE_2021, JUNE_2021 + 365 * DAY, &vaccination());
    let report = verify(&signer, &text, JUNE_2021 + DAY);
    assert_eq!(report.verdict(), Verdict::Accept, "{}", report.to_json());
}

#[test]
fn the_test_file_runner_reports_an_expired_document_signer_as_a_failed_expiration_check() {
    use base64::Engine as _;
    let signer = TestSigner::new(8, JUNE_2021 - 30 * DAY, JUNE_2021 + 10 * DAY, &[]);
    let text = signer.sign_dcc(JUNE_2021, JUNE_2021 + 60 * DAY, &vaccination());
    let file = |clock: &str| {
        json!({
            "PREFIX": text,
            "TESTCTX": {
                "CERTIFICATE": base64::engine::general_purpose::STANDARD.encode(&signer.der),
                "VALIDATIONCLOCK": clock,
            }
        })
    };
    let within = dcc_testfile::run(&file("2021-06-05T00:00:00Z"), None).unwrap();
    assert!(within.steps["EXPIRATIONCHECK"]);
    assert_eq!(within.overall, Verdict::Accept);
    let after = dcc_testfile::run(&file("2021-06-21T00:00:00Z"), None).unwrap();
    assert!(!after.steps["EXPIRATIONCHECK"]);
    assert!(after.steps["VERIFY"]);
    assert_eq!(after.overall, Verdict::Reject);
}
