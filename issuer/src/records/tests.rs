//! Parsing, validation, redaction and ids of subject records.

use super::*;

const NAME: &str = "Sentinel Chan";
const DOCUMENT: &str = "DOC-SENTINEL-42";

fn record() -> SubjectRecord {
    SubjectRecord {
        name: NAME.into(),
        birth_date: "1980-02-29".into(),
        document_number: DOCUMENT.into(),
        health_status: HealthStatus::Yellow,
        test_results: vec![TestResult {
            test_type: "nucleic-acid".into(),
            result: "negative".into(),
            sampled_at: "2020-05-11T08:00:00+08:00".into(),
        }],
        vaccinations: vec![Vaccination {
            vaccine: "CoronaVac".into(),
            dose: 1,
            date: "2021-03-01".into(),
        }],
    }
}

fn json_with(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut value: serde_json::Value = serde_json::from_slice(&record().to_json()).unwrap();
    edit(&mut value);
    serde_json::to_vec(&value).unwrap()
}

#[test]
fn a_record_round_trips_through_its_camel_case_json() {
    let json = record().to_json();
    let text = std::str::from_utf8(&json).unwrap();
    for field in [
        "\"birthDate\"",
        "\"documentNumber\"",
        "\"healthStatus\":\"yellow\"",
        "\"testResults\"",
        "\"sampledAt\"",
        "\"vaccinations\"",
    ] {
        assert!(text.contains(field), "{field} in {text}");
    }
    assert_eq!(SubjectRecord::from_json(&json).unwrap(), record());
}

#[test]
fn health_statuses_are_lower_case_words() {
    for (status, word) in [
        (HealthStatus::Green, "\"green\""),
        (HealthStatus::Yellow, "\"yellow\""),
        (HealthStatus::Red, "\"red\""),
    ] {
        assert_eq!(serde_json::to_string(&status).unwrap(), word);
    }
}

#[test]
fn invalid_fields_are_named_without_their_values() {
    let cases: Vec<(Vec<u8>, RecordError)> = vec![
        (
            json_with(|v| v["name"] = "".into()),
            RecordError::InvalidName,
        ),
        (
            json_with(|v| v["name"] = "Tab\there".into()),
            RecordError::InvalidName,
        ),
        (
            json_with(|v| v["birthDate"] = "1981-02-29".into()),
            RecordError::InvalidBirthDate,
        ),
        (
            json_with(|v| v["birthDate"] = "+1980-02-01".into()),
            RecordError::InvalidBirthDate,
        ),
        (
            json_with(|v| v["birthDate"] = "2999-01-01".into()),
            RecordError::InvalidBirthDate,
        ),
        (
            json_with(|v| v["documentNumber"] = " ".into()),
            RecordError::InvalidDocumentNumber,
        ),
        (
            json_with(|v| v["testResults"][0]["sampledAt"] = "2020-05-11 08:00".into()),
            RecordError::InvalidTestResult {
                index: 0,
                field: "sampledAt",
            },
        ),
        (
            json_with(|v| v["vaccinations"][0]["dose"] = 0.into()),
            RecordError::InvalidVaccination {
                index: 0,
                field: "dose",
            },
        ),
        (
            json_with(|v| v["vaccinations"][0]["date"] = "2021-13-01".into()),
            RecordError::InvalidVaccination {
                index: 0,
                field: "date",
            },
        ),
    ];
    for (json, expected) in cases {
        let err = SubjectRecord::from_json(&json).unwrap_err();
        assert_eq!(err, expected);
        let message = err.to_string();
        for value in ["1981", "2999", "Tab", "2021-13", "08:00"] {
            assert!(!message.contains(value), "{message}");
        }
    }
}

#[test]
fn malformed_json_reports_its_place_but_not_the_offending_value() {
    let unknown = json_with(|v| v["nickname"] = "SecretNick".into());
    let wrong_type = json_with(|v| v["healthStatus"] = "SecretPurple".into());
    let cut = br#"{"name": "SecretCut"#.to_vec();
    for (json, category) in [(unknown, "data"), (wrong_type, "data"), (cut, "eof")] {
        let err = SubjectRecord::from_json(&json).unwrap_err();
        assert!(
            matches!(err, RecordError::Json { category: c, .. } if c == category),
            "{err:?}"
        );
        assert!(!err.to_string().contains("Secret"), "{err}");
    }
    let big = vec![b' '; MAX_RECORD_BYTES + 1];
    assert_eq!(
        SubjectRecord::from_json(&big).unwrap_err(),
        RecordError::TooLarge
    );
}

#[test]
fn too_many_entries_are_refused() {
    let mut many = record();
    many.vaccinations = vec![many.vaccinations[0].clone(); MAX_ENTRIES + 1];
    assert_eq!(
        many.validate().unwrap_err(),
        RecordError::TooManyEntries {
            field: "vaccinations"
        }
    );
}

#[test]
fn debug_output_shows_no_personal_value() {
    let text = format!("{:?}", record());
    for value in [NAME, DOCUMENT, "1980", "Yellow", "negative", "CoronaVac"] {
        assert!(!text.contains(value), "{text}");
    }
}

#[test]
fn record_ids_are_random_prefixed_and_parse_back() {
    let id = RecordId::generate().unwrap();
    assert!(id.as_str().starts_with("rec_"));
    assert_eq!(id.as_str().len(), 4 + 22);
    assert_eq!(RecordId::parse(id.as_str()).unwrap(), id);
    assert_eq!(id.to_string().parse::<RecordId>().unwrap(), id);
    assert_ne!(RecordId::generate().unwrap(), id);
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(serde_json::from_str::<RecordId>(&json).unwrap(), id);
}

#[test]
fn malformed_record_ids_are_refused() {
    let good = RecordId::generate().unwrap();
    let body = &good.as_str()[4..];
    for text in [
        String::new(),
        body.to_owned(),
        format!("rex_{body}"),
        format!("rec_{}", &body[1..]),
        format!("rec_{body}A"),
        format!("rec_{}+", &body[..21]),
        // 22 characters whose last one carries non-zero unused bits
        format!("rec_{}B", &body[..21]),
    ] {
        assert_eq!(RecordId::parse(&text), Err(InvalidRecordId), "{text}");
    }
    assert!(serde_json::from_str::<RecordId>("\"rec_x\"").is_err());
}
