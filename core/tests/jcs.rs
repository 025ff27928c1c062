//! RFC 8785 (JCS) conformance: the RFC's own examples and property tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_core::jcs::{
    JcsError, canonicalize, canonicalize_object_except, canonicalize_to_bytes, number_to_string,
};
use proptest::prelude::*;
use serde_json::Value;

/// RFC 8785 §3.2.2: the sample input with numbers, strings and literals.
#[test]
fn rfc8785_section_3_2_2_sample() {
    let input = r#"{
  "numbers": [333333333.33333329, 1E30, 4.50,
              2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"#;
    let expected = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
    let value: Value = serde_json::from_str(input).unwrap();
    assert_eq!(canonicalize(&value).unwrap(), expected);
}

/// RFC 8785 §3.2.4: the UTF-8 bytes of the §3.2.2 sample's output.
#[test]
fn rfc8785_section_3_2_4_utf8_bytes() {
    let input = r#"{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}"#;
    // The byte dump printed in RFC 8785 §3.2.4.
    let expected_hex = "7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72 \
                        75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a \
                        5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31 \
                        65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37 \
                        5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30 \
                        30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d"
        .replace(' ', "");
    let value: Value = serde_json::from_str(input).unwrap();
    assert_eq!(
        hex::encode(canonicalize_to_bytes(&value).unwrap()),
        expected_hex
    );
}

/// RFC 8785 §3.2.3: property sorting by UTF-16 code units.
#[test]
fn rfc8785_section_3_2_3_sorting() {
    let input = r#"{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"#;
    let value: Value = serde_json::from_str(input).unwrap();
    let expected = concat!(
        "{\"\\r\":\"Carriage Return\",",
        "\"1\":\"One\",",
        "\"\u{80}\":\"Control\",",
        "\"\u{f6}\":\"Latin Small Letter O With Diaeresis\",",
        "\"\u{20ac}\":\"Euro Sign\",",
        "\"\u{1f600}\":\"Emoji: Grinning Face\",",
        "\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}"
    );
    assert_eq!(canonicalize(&value).unwrap(), expected);
}

/// RFC 8785 Appendix B: IEEE 754 bit patterns and their JSON serialization.
const APPENDIX_B: &[(u64, &str)] = &[
    (0x0000000000000000, "0"),
    (0x8000000000000000, "0"),
    (0x0000000000000001, "5e-324"),
    (0x8000000000000001, "-5e-324"),
    (0x7fefffffffffffff, "1.7976931348623157e+308"),
    (0xffefffffffffffff, "-1.7976931348623157e+308"),
    (0x4340000000000000, "9007199254740992"),
    (0xc340000000000000, "-9007199254740992"),
    (0x4430000000000000, "295147905179352830000"),
    (0x44b52d02c7e14af5, "9.999999999999997e+22"),
    (0x44b52d02c7e14af6, "1e+23"),
    (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
    (0x444b1ae4d6e2ef4e, "999999999999999700000"),
    (0x444b1ae4d6e2ef4f, "999999999999999900000"),
    (0x444b1ae4d6e2ef50, "1e+21"),
    (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
    (0x3eb0c6f7a0b5ed8d, "0.000001"),
    (0x41b3de4355555553, "333333333.3333332"),
    (0x41b3de4355555554, "333333333.33333325"),
    (0x41b3de4355555555, "333333333.3333333"),
    (0x41b3de4355555556, "333333333.3333334"),
    (0x41b3de4355555557, "333333333.33333343"),
    (0xbecbf647612f3696, "-0.0000033333333333333333"),
    (0x43143ff3c1cb0959, "1424953923781206.2"),
];

#[test]
fn rfc8785_appendix_b_number_table() {
    for (bits, expected) in APPENDIX_B {
        let double = f64::from_bits(*bits);
        assert_eq!(
            number_to_string(double).unwrap(),
            *expected,
            "bits {bits:016x}"
        );
        // The same value inside a document, parsed back from its canonical text.
        if let Some(number) = serde_json::Number::from_f64(double) {
            let value = Value::Number(number);
            assert_eq!(canonicalize(&value).unwrap(), *expected, "bits {bits:016x}");
            let reparsed: Value = serde_json::from_str(expected).unwrap();
            assert_eq!(
                canonicalize(&reparsed).unwrap(),
                *expected,
                "bits {bits:016x}"
            );
        }
    }
}

/// RFC 8785 Appendix B: NaN and Infinity have no serialization and must be refused.
#[test]
fn rfc8785_appendix_b_nan_and_infinity_are_errors() {
    for bits in [
        0x7fffffffffffffff_u64,
        0x7ff0000000000000,
        0xfff0000000000000,
    ] {
        assert!(matches!(
            number_to_string(f64::from_bits(bits)),
            Err(JcsError::NonFiniteNumber(_))
        ));
    }
}

/// RFC 8785 Appendix B note: integers beyond 2^53 that are not exact doubles are not I-JSON.
#[test]
fn integers_beyond_two_pow_53_are_refused_unless_exact() {
    let exact: Value =
        serde_json::from_str("[9007199254740992,-9007199254740992,9007199254740994]").unwrap();
    assert_eq!(
        canonicalize(&exact).unwrap(),
        "[9007199254740992,-9007199254740992,9007199254740994]"
    );
    // The canonical text of an exact double reads back as the same double.
    let canonical: Value =
        serde_json::from_str("[-1004625773058945300,-1004625773058945280]").unwrap();
    assert_eq!(
        canonicalize(&canonical).unwrap(),
        "[-1004625773058945300,-1004625773058945300]"
    );
    let inexact: Value = serde_json::from_str("{\"n\":9007199254740993}").unwrap();
    assert_eq!(
        canonicalize(&inexact),
        Err(JcsError::IntegerNotExactDouble("9007199254740993".into()))
    );
}

#[test]
fn nested_structures_sort_recursively_and_keep_array_order() {
    let value: Value =
        serde_json::from_str(r#"{"b":[3,{"z":1,"a":2}],"a":{"y":null,"x":[true]}}"#).unwrap();
    assert_eq!(
        canonicalize(&value).unwrap(),
        r#"{"a":{"x":[true],"y":null},"b":[3,{"a":2,"z":1}]}"#
    );
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter_map("finite", serde_json::Number::from_f64)
            .prop_map(Value::Number),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Canonicalizing, re-parsing and canonicalizing again gives the same text.
    #[test]
    fn canonical_form_is_idempotent(value in arbitrary_json()) {
        if let Ok(first) = canonicalize(&value) {
            let reparsed: Value = serde_json::from_str(&first).unwrap();
            let second = canonicalize(&reparsed).unwrap();
            prop_assert_eq!(first, second);
        }
    }

    /// Any JSON text that parses canonicalizes to a result or a typed error, never a panic.
    #[test]
    fn canonicalize_never_panics_on_parsed_text(text in ".{0,200}") {
        if let Ok(value) = serde_json::from_str::<Value>(&text) {
            let _ = canonicalize(&value);
        }
    }

    /// Canonicalizing an object without some members equals canonicalizing a copy without them.
    #[test]
    fn canonicalize_except_equals_canonicalize_of_a_copy(
        map in prop::collection::btree_map(prop_oneof![Just("proof".to_owned()), ".{0,6}"], arbitrary_json(), 0..6),
    ) {
        let object: serde_json::Map<String, Value> = map.into_iter().collect();
        let mut copy = object.clone();
        copy.remove("proof");
        prop_assert_eq!(
            canonicalize_object_except(&object, &["proof"]),
            canonicalize(&Value::Object(copy))
        );
    }

    /// Errors only come from integers that no double represents exactly.
    #[test]
    fn only_inexact_integers_are_refused(value in arbitrary_json()) {
        if let Err(error) = canonicalize(&value) {
            prop_assert!(matches!(error, JcsError::IntegerNotExactDouble(_)));
        }
    }
}
