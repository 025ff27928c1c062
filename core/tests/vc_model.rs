//! The VC 2.0 model: parsing, validation errors (one test per typed error), validity window,
//! presentations, and property tests that bad input never panics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod credential_fixtures;

use credential_fixtures::health_code;
use crosscode_core::vc::{
    Credential, Holder, Issuer, OneOrMany, Presentation, VC_V2_CONTEXT, ValidityError, VcError,
};
use crosscode_testing::vectors::vector_path;
use proptest::prelude::*;
use serde_json::{Value, json};
use time::macros::datetime;

fn with(mut document: Value, pointer: &str, replacement: Value) -> Value {
    *document.pointer_mut(pointer).unwrap() = replacement;
    document
}

fn without(mut document: Value, property: &str) -> Value {
    document.as_object_mut().unwrap().remove(property);
    document
}

fn error_of(document: &Value) -> VcError {
    Credential::from_value(document).unwrap_err()
}

#[test]
fn the_health_code_example_parses() {
    let document = health_code();
    let credential = Credential::from_value(&document).unwrap();
    assert!(
        credential
            .types
            .iter()
            .any(|name| name == "HealthCodeCredential")
    );
    assert!(matches!(credential.issuer, Issuer::Url(_)));
    assert!(credential.issuer.id().starts_with("did:key:z6Mk"));
    assert_eq!(credential.subject_ids().len(), 1);
    assert_eq!(
        credential.credential_subject.first().unwrap()["statusColour"],
        "green"
    );
    let status = credential
        .credential_status
        .as_ref()
        .unwrap()
        .first()
        .unwrap();
    assert_eq!(status.extra["statusListIndex"], "48213");
    let schema = credential
        .credential_schema
        .as_ref()
        .unwrap()
        .first()
        .unwrap();
    assert_eq!(schema.types, OneOrMany::One("JsonSchema".into()));
    assert_eq!(
        credential.valid_from.as_ref().unwrap().as_str(),
        "2026-11-21T00:00:00Z"
    );
    // Round trip: the same JSON back.
    assert_eq!(credential.to_value(), document);
    let via_serde: Credential = serde_json::from_value(document.clone()).unwrap();
    assert_eq!(serde_json::to_value(&via_serde).unwrap(), document);
}

#[test]
fn the_w3c_example_credentials_parse() {
    for file in [
        "vc-di/eddsa/unsigned.json",
        "vc-di/eddsa/eddsa-jcs-2022/signedJCS.json",
    ] {
        let path = vector_path(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let credential = Credential::from_json(&text).unwrap();
        assert_eq!(
            credential.to_value(),
            serde_json::from_str::<Value>(&text).unwrap()
        );
    }
}

#[test]
fn issuer_object_and_subject_array_are_kept() {
    let document = with(
        with(
            health_code(),
            "/issuer",
            json!({"id": "did:example:gd", "name": "Guangdong Health Commission"}),
        ),
        "/credentialSubject",
        json!([{"id": "did:example:a"}, {"statusColour": "yellow"}]),
    );
    let credential = Credential::from_value(&document).unwrap();
    assert_eq!(credential.issuer.id(), "did:example:gd");
    assert_eq!(credential.credential_subject.len(), 2);
    assert_eq!(credential.to_value(), document);
}

#[test]
fn not_json_and_not_an_object() {
    assert!(matches!(Credential::from_json("{"), Err(VcError::Json(_))));
    assert_eq!(error_of(&json!([1, 2])), VcError::NotAnObject);
    assert_eq!(error_of(&json!("text")), VcError::NotAnObject);
}

#[test]
fn context_errors() {
    assert_eq!(
        error_of(&without(health_code(), "@context")),
        VcError::MissingContext
    );
    for bad in [
        json!([]),
        json!(["https://www.w3.org/2018/credentials/v1"]),
        json!(["https://crosscode.example/ns/health-code/v1", VC_V2_CONTEXT]),
        json!([VC_V2_CONTEXT, 42]),
        json!([VC_V2_CONTEXT, "not a url"]),
        json!(42),
    ] {
        assert!(
            matches!(
                error_of(&with(health_code(), "/@context", bad.clone())),
                VcError::InvalidContext { .. }
            ),
            "{bad}"
        );
    }
    // A single string equal to the v2 context is accepted.
    Credential::from_value(&with(health_code(), "/@context", json!(VC_V2_CONTEXT))).unwrap();
}

#[test]
fn type_errors() {
    assert_eq!(
        error_of(&without(health_code(), "type")),
        VcError::MissingProperty { property: "type" }
    );
    assert_eq!(
        error_of(&with(
            health_code(),
            "/type",
            json!(["HealthCodeCredential"])
        )),
        VcError::MissingType {
            required: "VerifiableCredential"
        }
    );
    assert!(matches!(
        error_of(&with(
            health_code(),
            "/type",
            json!(["VerifiableCredential", 7])
        )),
        VcError::InvalidProperty {
            property: "type",
            ..
        }
    ));
}

#[test]
fn id_must_be_a_url() {
    assert!(matches!(
        error_of(&with(health_code(), "/id", json!("no scheme"))),
        VcError::NotAUrl { property: "id", .. }
    ));
    assert!(matches!(
        error_of(&with(health_code(), "/id", json!(5))),
        VcError::InvalidProperty { property: "id", .. }
    ));
}

#[test]
fn issuer_errors() {
    assert_eq!(
        error_of(&without(health_code(), "issuer")),
        VcError::MissingProperty { property: "issuer" }
    );
    assert!(matches!(
        error_of(&with(health_code(), "/issuer", json!("gd health"))),
        VcError::NotAUrl {
            property: "issuer",
            ..
        }
    ));
    assert_eq!(
        error_of(&with(health_code(), "/issuer", json!({"name": "GD"}))),
        VcError::MissingProperty {
            property: "issuer.id"
        }
    );
    assert!(matches!(
        error_of(&with(health_code(), "/issuer", json!({"id": "x y"}))),
        VcError::NotAUrl {
            property: "issuer.id",
            ..
        }
    ));
    assert!(matches!(
        error_of(&with(health_code(), "/issuer", json!({"id": 1}))),
        VcError::InvalidProperty {
            property: "issuer.id",
            ..
        }
    ));
    assert!(matches!(
        error_of(&with(health_code(), "/issuer", json!(true))),
        VcError::InvalidProperty {
            property: "issuer",
            ..
        }
    ));
}

#[test]
fn date_time_errors() {
    for bad in [
        "2026-11-21",
        "2026-11-21T00:00:00",
        "21/11/2026",
        "2026-11-21T25:00:00Z",
    ] {
        assert!(
            matches!(
                error_of(&with(health_code(), "/validFrom", json!(bad))),
                VcError::InvalidDateTime {
                    property: "validFrom",
                    ..
                }
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        error_of(&with(health_code(), "/validUntil", json!("tomorrow"))),
        VcError::InvalidDateTime {
            property: "validUntil",
            ..
        }
    ));
    assert!(matches!(
        error_of(&with(health_code(), "/validUntil", json!(1_700_000_000))),
        VcError::InvalidProperty {
            property: "validUntil",
            ..
        }
    ));
    assert_eq!(
        error_of(&with(
            health_code(),
            "/validUntil",
            json!("2026-11-20T23:59:59Z")
        )),
        VcError::ValidFromAfterValidUntil
    );
    // Offsets are honoured: 08:00+08:00 is midnight UTC, equal to validFrom.
    Credential::from_value(&with(
        health_code(),
        "/validUntil",
        json!("2026-11-21T08:00:00+08:00"),
    ))
    .unwrap();
}

#[test]
fn credential_subject_errors() {
    assert_eq!(
        error_of(&without(health_code(), "credentialSubject")),
        VcError::MissingProperty {
            property: "credentialSubject"
        }
    );
    assert_eq!(
        error_of(&with(health_code(), "/credentialSubject", json!([]))),
        VcError::EmptyCredentialSubject
    );
    assert_eq!(
        error_of(&with(health_code(), "/credentialSubject", json!({}))),
        VcError::EmptyCredentialSubject
    );
    assert!(matches!(
        error_of(&with(
            health_code(),
            "/credentialSubject",
            json!("did:example:a")
        )),
        VcError::InvalidProperty {
            property: "credentialSubject",
            ..
        }
    ));
}

#[test]
fn credential_status_errors() {
    let status = health_code()["credentialStatus"].clone();
    assert_eq!(
        error_of(&with(
            health_code(),
            "/credentialStatus",
            without(status.clone(), "type")
        )),
        VcError::MissingProperty {
            property: "credentialStatus.type"
        }
    );
    // id is optional.
    Credential::from_value(&with(
        health_code(),
        "/credentialStatus",
        without(status.clone(), "id"),
    ))
    .unwrap();
    assert!(matches!(
        error_of(&with(
            health_code(),
            "/credentialStatus/id",
            json!("#48213")
        )),
        VcError::NotAUrl {
            property: "credentialStatus.id",
            ..
        }
    ));
    assert!(matches!(
        error_of(&with(health_code(), "/credentialStatus", json!("revoked?"))),
        VcError::InvalidProperty {
            property: "credentialStatus",
            ..
        }
    ));
    assert!(matches!(
        error_of(&with(health_code(), "/credentialStatus/type", json!([]))),
        VcError::InvalidProperty {
            property: "credentialStatus.type",
            ..
        }
    ));
    // Several entries.
    Credential::from_value(&with(
        health_code(),
        "/credentialStatus",
        json!([status.clone(), status]),
    ))
    .unwrap();
}

#[test]
fn credential_schema_errors() {
    let schema = health_code()["credentialSchema"].clone();
    assert_eq!(
        error_of(&with(
            health_code(),
            "/credentialSchema",
            without(schema.clone(), "id")
        )),
        VcError::MissingProperty {
            property: "credentialSchema.id"
        }
    );
    assert_eq!(
        error_of(&with(
            health_code(),
            "/credentialSchema",
            without(schema, "type")
        )),
        VcError::MissingProperty {
            property: "credentialSchema.type"
        }
    );
    assert!(matches!(
        error_of(&with(
            health_code(),
            "/credentialSchema/id",
            json!("schema v1")
        )),
        VcError::NotAUrl {
            property: "credentialSchema.id",
            ..
        }
    ));
    assert!(matches!(
        error_of(&with(health_code(), "/credentialSchema/id", json!(1))),
        VcError::InvalidProperty {
            property: "credentialSchema.id",
            ..
        }
    ));
    assert!(matches!(
        error_of(&with(health_code(), "/credentialSchema", json!([1]))),
        VcError::InvalidProperty {
            property: "credentialSchema",
            ..
        }
    ));
}

#[test]
fn validity_window() {
    let credential = Credential::from_value(&health_code()).unwrap();
    credential
        .check_validity_at(datetime!(2026-11-21 00:00 UTC))
        .unwrap();
    credential
        .check_validity_at(datetime!(2027-11-21 00:00 UTC))
        .unwrap();
    assert_eq!(
        credential.check_validity_at(datetime!(2026-11-20 23:59:59 UTC)),
        Err(ValidityError::NotYetValid {
            valid_from: "2026-11-21T00:00:00Z".into()
        })
    );
    assert_eq!(
        credential.check_validity_at(datetime!(2027-11-21 00:00:01 UTC)),
        Err(ValidityError::Expired {
            valid_until: "2027-11-21T00:00:00Z".into()
        })
    );
    // No window: always valid.
    let open = Credential::from_value(&without(without(health_code(), "validFrom"), "validUntil"))
        .unwrap();
    open.check_validity_at(datetime!(1999-01-01 00:00 UTC))
        .unwrap();
}

#[test]
fn serde_deserialize_reports_the_validation_error() {
    let error = serde_json::from_value::<Credential>(without(health_code(), "issuer")).unwrap_err();
    assert!(error.to_string().contains("issuer is missing"), "{error}");
}

fn presentation(credentials: Value) -> Value {
    json!({
        "@context": [VC_V2_CONTEXT],
        "type": ["VerifiablePresentation"],
        "holder": "did:key:z6Mkj837BhwEzQGdTjktrMj5LgMU8QPB2hdPp8VyHpVbf413",
        "verifiableCredential": credentials,
    })
}

#[test]
fn presentations() {
    let document = presentation(json!([health_code()]));
    let parsed = Presentation::from_value(&document).unwrap();
    assert!(matches!(parsed.holder, Some(Holder::Url(_))));
    assert_eq!(parsed.credentials().len(), 1);
    assert_eq!(parsed.to_value(), document);
    // Enveloped credentials are kept as JSON.
    let enveloped = json!({"@context": [VC_V2_CONTEXT], "type": "EnvelopedVerifiableCredential",
        "id": "data:application/vc+jwt,eyJ..."});
    let parsed = Presentation::from_value(&presentation(json!(enveloped))).unwrap();
    assert!(parsed.credentials().is_empty());
    // Errors.
    assert_eq!(
        Presentation::from_value(&with(presentation(json!([])), "/type", json!("Other")))
            .unwrap_err(),
        VcError::MissingType {
            required: "VerifiablePresentation"
        }
    );
    assert!(matches!(
        Presentation::from_value(&with(presentation(json!([])), "/holder", json!("me")))
            .unwrap_err(),
        VcError::NotAUrl {
            property: "holder",
            ..
        }
    ));
    assert_eq!(
        Presentation::from_value(&with(presentation(json!([])), "/holder", json!({}))).unwrap_err(),
        VcError::MissingProperty {
            property: "holder.id"
        }
    );
    assert_eq!(
        Presentation::from_value(&presentation(json!([without(health_code(), "issuer")])))
            .unwrap_err(),
        VcError::MissingProperty { property: "issuer" }
    );
    assert!(matches!(
        Presentation::from_value(&presentation(json!(["a string"]))).unwrap_err(),
        VcError::InvalidProperty {
            property: "verifiableCredential",
            ..
        }
    ));
    assert!(matches!(
        Presentation::from_json("[]"),
        Err(VcError::NotAnObject)
    ));
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter_map("finite", serde_json::Number::from_f64)
            .prop_map(Value::Number),
        ".{0,24}".prop_map(Value::String),
        Just(Value::String(VC_V2_CONTEXT.into())),
        Just(Value::String("VerifiableCredential".into())),
        Just(Value::String("did:example:x".into())),
        Just(Value::String("2026-11-21T00:00:00Z".into())),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("@context".to_owned()),
                    Just("type".to_owned()),
                    Just("id".to_owned()),
                    Just("issuer".to_owned()),
                    Just("credentialSubject".to_owned()),
                    Just("credentialStatus".to_owned()),
                    Just("credentialSchema".to_owned()),
                    Just("validFrom".to_owned()),
                    Just("validUntil".to_owned()),
                    ".{0,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

const MEMBERS: [&str; 9] = [
    "@context",
    "id",
    "type",
    "issuer",
    "validFrom",
    "validUntil",
    "credentialSubject",
    "credentialStatus",
    "credentialSchema",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random JSON text never makes the parser panic.
    #[test]
    fn random_text_never_panics(text in ".{0,300}") {
        let _ = Credential::from_json(&text);
        let _ = Presentation::from_json(&text);
    }

    /// Random JSON values never make the parser panic.
    #[test]
    fn random_values_never_panic(value in arbitrary_json()) {
        let _ = Credential::from_value(&value);
        let _ = Presentation::from_value(&value);
    }

    /// The health code with one member replaced or removed parses or fails with a typed
    /// error, never a panic; what parses round-trips.
    #[test]
    fn mutated_health_codes_never_panic(
        member in 0..MEMBERS.len(),
        replacement in arbitrary_json(),
        remove in any::<bool>(),
    ) {
        let mut document = health_code();
        let object = document.as_object_mut().unwrap();
        if remove {
            object.remove(MEMBERS[member]);
        } else {
            object.insert(MEMBERS[member].to_owned(), replacement);
        }
        if let Ok(credential) = Credential::from_value(&document) {
            prop_assert_eq!(credential.to_value(), document);
        }
    }

    /// Truncated or byte-flipped health-code text never makes the parser panic.
    #[test]
    fn corrupted_health_code_text_never_panics(cut in 0usize..1200, flip in 0usize..1200, byte in any::<u8>()) {
        let mut bytes = serde_json::to_vec(&health_code()).unwrap();
        if flip < bytes.len() {
            bytes[flip] = byte;
        }
        bytes.truncate(cut.max(1));
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = Credential::from_json(text);
        }
    }
}
