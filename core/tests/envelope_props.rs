//! Property tests of the `CC1` envelope: the compact JSON encoding is lossless for arbitrary
//! JSON, and random or mutated payloads never make the decoder panic (always a typed error).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_core::did::{DidKey, DidKeyResolver};
use crosscode_core::envelope::{self, compact, dictionary, payload};
use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use proptest::prelude::*;
use serde_json::{Map, Number, Value as Json, json};
use time::macros::datetime;

/// Strings that exercise every compact form, beside arbitrary ones.
fn json_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::sample::select(dictionary::TERMS).prop_map(str::to_owned),
        (0_i64..253_402_300_799).prop_map(|seconds| {
            time::OffsetDateTime::from_unix_timestamp(seconds)
                .unwrap()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        }),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|\\.[0-9]{3}Z|\\+08:00)",
        proptest::collection::vec(any::<u8>(), 0..40)
            .prop_map(|bytes| format!("did:key:z{}", bs58::encode(bytes).into_string())),
        proptest::collection::vec(any::<u8>(), 1..40).prop_map(|bytes| {
            let key = bs58::encode(bytes).into_string();
            format!("did:key:z{key}#z{key}")
        }),
        proptest::collection::vec(any::<u8>(), 0..70)
            .prop_map(|bytes| format!("z{}", bs58::encode(bytes).into_string())),
        "z[1-9A-HJ-NP-Za-km-z]{0,12}",
        "urn:uuid:[0-9a-fA-F]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    ]
}

fn json_number() -> impl Strategy<Value = Json> {
    prop_oneof![
        any::<u64>().prop_map(Json::from),
        any::<i64>().prop_map(Json::from),
        any::<f64>().prop_filter_map("finite", |float| Number::from_f64(float).map(Json::Number)),
    ]
}

fn json_value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        json_number(),
        json_string().prop_map(Json::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            proptest::collection::vec((json_string(), inner), 0..6)
                .prop_map(|entries| Json::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A valid signed health-code payload to mutate.
fn valid_payload() -> String {
    let key = SecretKey::generate(KeyAlgorithm::Ed25519);
    let did = DidKey::from_public_key(&key.public_key());
    let credential = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "HealthCodeCredential"],
        "issuer": did.did().as_str(),
        "validFrom": "2026-11-21T00:00:00Z",
        "credentialSubject": {"statusColour": "green"}
    });
    envelope::encode_signed(&credential, &key, &did.verification_method_id()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn compact_json_is_lossless(value in json_value()) {
        let item = compact::to_compact(&value).unwrap();
        let mut bytes = Vec::new();
        ciborium::into_writer(&item, &mut bytes).unwrap();
        let reread: ciborium::Value = ciborium::from_reader(bytes.as_slice()).unwrap();
        let back = compact::from_compact(&reread).unwrap();
        prop_assert_eq!(&back, &value);
        prop_assert_eq!(serde_json::to_string(&back).unwrap(), serde_json::to_string(&value).unwrap());
    }

    #[test]
    fn envelope_text_round_trips_any_object(entries in proptest::collection::vec((json_string(), json_value()), 0..6)) {
        let mut object: Map<String, Json> = entries.into_iter().collect();
        object.insert("type".to_owned(), json!(["VerifiablePresentation"]));
        object.insert("proof".to_owned(), json!({"type": "DataIntegrityProof"}));
        let document = Json::Object(object);
        let text = envelope::encode_data_integrity(&document).unwrap();
        let parsed = envelope::parse(&text).unwrap();
        match parsed.body {
            envelope::EnvelopeBody::DataIntegrity(back) => prop_assert_eq!(back, document),
            other => prop_assert!(false, "unexpected body {:?}", other),
        }
    }

    #[test]
    fn random_text_never_panics(text in ".{0,300}") {
        let at = datetime!(2026-11-21 08:00 UTC);
        prop_assert!(envelope::decode(&text, &DidKeyResolver, at).is_err());
        let prefixed = format!("CC1:{text}");
        prop_assert!(envelope::decode(&prefixed, &DidKeyResolver, at).is_err());
    }

    #[test]
    fn random_inner_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let at = datetime!(2026-11-21 08:00 UTC);
        let text = payload::to_text(&bytes).unwrap();
        prop_assert!(envelope::decode(&text, &DidKeyResolver, at).is_err());
        let raw = format!("CC1:{}", base45::encode(&bytes));
        prop_assert!(envelope::decode(&raw, &DidKeyResolver, at).is_err());
    }

    #[test]
    fn random_cbor_items_never_panic(value in json_value()) {
        // Arbitrary (well-formed) CBOR built from JSON via ciborium's serde mapping.
        let at = datetime!(2026-11-21 08:00 UTC);
        let mut bytes = Vec::new();
        ciborium::into_writer(&json!([0, value]), &mut bytes).unwrap();
        let _ = envelope::decode(&payload::to_text(&bytes).unwrap(), &DidKeyResolver, at);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mutated_payloads_are_refused(position in any::<prop::sample::Index>(), replacement in "[0-9A-Z $%*+./:-]") {
        let at = datetime!(2026-11-21 08:00 UTC);
        let text = valid_payload();
        let index = position.index(text.len());
        let mut mutated = text.clone();
        mutated.replace_range(index..=index, &replacement);
        match envelope::decode(&mutated, &DidKeyResolver, at) {
            Ok(verified) => prop_assert_eq!(mutated, text, "a changed payload verified: {:?}", verified),
            Err(err) => prop_assert!(!err.to_string().is_empty()),
        }
    }

    #[test]
    fn mutated_inner_bytes_are_refused(position in any::<prop::sample::Index>(), bit in 0_u8..8) {
        let at = datetime!(2026-11-21 08:00 UTC);
        let text = valid_payload();
        let mut bytes = payload::from_text(&text).unwrap();
        let index = position.index(bytes.len());
        bytes[index] ^= 1 << bit;
        prop_assert!(envelope::decode(&payload::to_text(&bytes).unwrap(), &DidKeyResolver, at).is_err());
    }
}
