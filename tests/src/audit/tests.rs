//! The scanner's positive controls (a planted sentinel is found, with its label and the chain
//! of encodings it was planted under) and negative controls (unrelated data gives no hit).

use std::io::Write as _;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use ciborium::Value as Cbor;
use flate2::Compression;
use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use rand::RngCore as _;

use super::*;
use crate::sentinel::Sentinels;

fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

fn scanner(sentinels: &Sentinels) -> Scanner {
    Scanner::new(&sentinels.all()).unwrap()
}

fn json_with(value: &str) -> Vec<u8> {
    serde_json::json!({ "credentialSubject": { "id": "did:key:z6Mk", "value": value }, "n": 7 })
        .to_string()
        .into_bytes()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn cbor(item: &Cbor) -> Vec<u8> {
    let mut bytes = Vec::new();
    ciborium::into_writer(item, &mut bytes).unwrap();
    bytes
}

/// An EU DCC-shaped COSE_Sign1 (tag 18) whose payload (a byte string) is the CBOR claim set
/// `{-260: {1: {"nam": {"fn": value}}}}`.
fn cose_sign1_with(value: &str) -> Vec<u8> {
    let text = |text: &str| Cbor::Text(text.to_owned());
    let claims = Cbor::Map(vec![(
        Cbor::Integer((-260).into()),
        Cbor::Map(vec![(
            Cbor::Integer(1.into()),
            Cbor::Map(vec![(
                text("nam"),
                Cbor::Map(vec![(text("fn"), text(value))]),
            )]),
        )]),
    )]);
    cbor(&Cbor::Tag(
        18,
        Box::new(Cbor::Array(vec![
            Cbor::Bytes(cbor(&Cbor::Map(vec![(
                Cbor::Integer(1.into()),
                Cbor::Integer((-7).into()),
            )]))),
            Cbor::Map(Vec::new()),
            Cbor::Bytes(cbor(&claims)),
            Cbor::Bytes(random_bytes(64)),
        ])),
    ))
}

/// Plants each sentinel on its own with `carrier` and checks that exactly that sentinel is
/// found, among others under `expected` encoding.
fn each_sentinel_is_found(
    scanner: &Scanner,
    sentinels: &Sentinels,
    expected: &str,
    carrier: impl Fn(&str) -> Vec<u8>,
) {
    for (label, value) in sentinels.all() {
        let bytes = carrier(value);
        let hits = scanner.scan("planted", &bytes);
        assert!(
            hits.iter()
                .all(|hit| hit.sentinel == label && hit.source == "planted"),
            "{label}: {hits:#?}"
        );
        assert!(
            hits.iter().any(|hit| hit.encoding == expected),
            "{label} not found as {expected}: {hits:#?}"
        );
    }
}

#[test]
fn a_sentinel_in_a_json_body_is_found_raw() {
    let sentinels = Sentinels::new();
    each_sentinel_is_found(&scanner(&sentinels), &sentinels, "raw", json_with);
}

#[test]
fn a_sentinel_in_utf_16_is_found_in_both_byte_orders() {
    let sentinels = Sentinels::new();
    let scanner = scanner(&sentinels);
    for (name, to_bytes) in [
        ("utf-16le", u16::to_le_bytes as fn(u16) -> [u8; 2]),
        ("utf-16be", u16::to_be_bytes),
    ] {
        each_sentinel_is_found(&scanner, &sentinels, name, |value| {
            let text = format!("Subject: {value}; end");
            let mut bytes = random_bytes(5);
            bytes.extend(text.encode_utf16().flat_map(to_bytes));
            bytes
        });
    }
}

#[test]
fn a_sentinel_in_hex_is_found_in_either_case() {
    let sentinels = Sentinels::new();
    let scanner = scanner(&sentinels);
    for (name, upper) in [("hex", false), ("hex(upper)", true)] {
        each_sentinel_is_found(&scanner, &sentinels, name, |value| {
            let mut blob = random_bytes(3);
            blob.extend_from_slice(value.as_bytes());
            blob.extend(random_bytes(3));
            let digits = if upper {
                hex::encode_upper(&blob)
            } else {
                hex::encode(&blob)
            };
            format!("{{\"digest\":\"0x{digits}\"}}").into_bytes()
        });
    }
}

#[test]
fn a_sentinel_in_base64_is_found_at_every_byte_alignment_in_both_alphabets_padded_or_not() {
    let sentinels = Sentinels::new();
    // Patterns only: the stable middle of the encoding, without decoding the run.
    let scanner = scanner(&sentinels).with_max_depth(0);
    let engines = [
        ("base64", &STANDARD),
        ("base64", &STANDARD_NO_PAD),
        ("base64url", &URL_SAFE),
        ("base64url", &URL_SAFE_NO_PAD),
    ];
    for (name, engine) in engines {
        for alignment in 0..3 {
            for (label, value) in sentinels.all() {
                let mut blob = random_bytes(3 * 5 + alignment);
                blob.extend_from_slice(value.as_bytes());
                blob.extend(random_bytes(7));
                let text = format!("{{\"proof\":\"{}\"}}", engine.encode(&blob));
                let hits = scanner.scan("planted", text.as_bytes());
                let wanted = format!("{name}(a={alignment})");
                assert!(
                    hits.iter().any(|hit| hit.sentinel == label
                        && hit.encoding.split(" or ").any(|part| part == wanted)),
                    "{label} not found as {wanted}: {hits:#?}"
                );
                assert!(hits.iter().all(|hit| hit.sentinel == label));
            }
        }
    }
}

#[test]
fn base64url_inside_json_is_decoded_and_searched() {
    let sentinels = Sentinels::new();
    each_sentinel_is_found(&scanner(&sentinels), &sentinels, "base64>raw", |value| {
        let inner = URL_SAFE_NO_PAD.encode(json_with(value));
        format!("{{\"payload\":\"{inner}\",\"alg\":\"EdDSA\"}}").into_bytes()
    });
}

#[test]
fn a_sentinel_encoded_alone_in_base58_is_found() {
    let sentinels = Sentinels::new();
    let scanner = scanner(&sentinels);
    each_sentinel_is_found(&scanner, &sentinels, "base58", |value| {
        format!(
            "{{\"id\":\"did:example:{}\"}}",
            encode_base58(value.as_bytes())
        )
        .into_bytes()
    });
    // A multibase value is decoded without its `z`.
    each_sentinel_is_found(&scanner, &sentinels, "base58(+1)>raw", |value| {
        let mut blob = random_bytes(4);
        blob.extend_from_slice(value.as_bytes());
        format!("{{\"proofValue\":\"z{}\"}}", encode_base58(&blob)).into_bytes()
    });
}

#[test]
fn a_gzip_body_is_inflated_and_searched() {
    let sentinels = Sentinels::new();
    each_sentinel_is_found(&scanner(&sentinels), &sentinels, "gzip>raw", |value| {
        gzip(&json_with(value))
    });
}

#[test]
fn a_raw_deflate_body_is_inflated_and_searched() {
    let sentinels = Sentinels::new();
    each_sentinel_is_found(&scanner(&sentinels), &sentinels, "deflate>raw", |value| {
        deflate(&json_with(value))
    });
}

#[test]
fn a_zlib_stream_inside_other_bytes_is_inflated_and_searched() {
    let sentinels = Sentinels::new();
    each_sentinel_is_found(&scanner(&sentinels), &sentinels, "zlib>raw", |value| {
        let mut bytes = random_bytes(37);
        bytes.extend(zlib(&json_with(value)));
        bytes.extend(random_bytes(11));
        bytes
    });
}

#[test]
fn a_cc1_payload_is_base45_decoded_inflated_and_its_cbor_searched() {
    let sentinels = Sentinels::new();
    // The project's own CC1 text layer over an EU DCC-shaped COSE_Sign1.
    each_sentinel_is_found(
        &scanner(&sentinels),
        &sentinels,
        "base45(+4)>zlib>cbor>cbor>raw",
        |value| {
            let qr = crosscode_core::envelope::payload::to_text(&cose_sign1_with(value)).unwrap();
            format!("{{\"qr\":\"{qr}\"}}").into_bytes()
        },
    );
}

#[test]
fn an_hc1_payload_alone_is_base45_decoded_inflated_and_searched() {
    let sentinels = Sentinels::new();
    each_sentinel_is_found(
        &scanner(&sentinels),
        &sentinels,
        "base45(+4)>zlib>cbor>raw",
        |value| format!("HC1:{}", base45::encode(zlib(&cose_sign1_with(value)))).into_bytes(),
    );
}

#[test]
fn a_cbor_byte_string_inside_deflate_is_searched() {
    let sentinels = Sentinels::new();
    let scanner = scanner(&sentinels);
    let carrier = |value: &str| {
        deflate(&cbor(&Cbor::Map(vec![
            (Cbor::Integer(1.into()), Cbor::Bytes(random_bytes(32))),
            (
                Cbor::Text("doc".into()),
                Cbor::Bytes(value.as_bytes().to_vec()),
            ),
        ])))
    };
    each_sentinel_is_found(&scanner, &sentinels, "deflate>cbor>raw", carrier);
    // The same in base64url, as a SMART Health Card carries its payload.
    each_sentinel_is_found(&scanner, &sentinels, "base64>deflate>cbor>raw", |value| {
        format!(
            "eyJ6aXAiOiJERUYifQ.{}.c2ln",
            URL_SAFE_NO_PAD.encode(carrier(value))
        )
        .into_bytes()
    });
}

#[test]
fn percent_and_form_encoded_containers_are_decoded() {
    let sentinels = Sentinels::new();
    let scanner = scanner(&sentinels);
    // A payload with a space, so that its form encoding holds a `+` (the signature is random).
    let qr = |value: &str| loop {
        let qr = crosscode_core::envelope::payload::to_text(&cose_sign1_with(value)).unwrap();
        if qr.contains(' ') {
            break qr;
        }
    };
    each_sentinel_is_found(
        &scanner,
        &sentinels,
        "percent>base45(+4)>zlib>cbor>cbor>raw",
        |value| {
            let escaped = utf8_percent_encode(&qr(value), NON_ALPHANUMERIC).to_string();
            format!("GET /present?qr={escaped}&lang=en").into_bytes()
        },
    );
    each_sentinel_is_found(
        &scanner,
        &sentinels,
        "form>base45(+4)>zlib>cbor>cbor>raw",
        |value| {
            let escaped = utf8_percent_encode(&qr(value), NON_ALPHANUMERIC)
                .to_string()
                .replace("%20", "+");
            format!("grant_type=x&qr={escaped}").into_bytes()
        },
    );
}

#[test]
fn the_depth_limit_bounds_how_many_decodings_are_followed() {
    let sentinels = Sentinels::new();
    let (label, value) = sentinels.all()[0];
    let bytes = format!("HC1:{}", base45::encode(zlib(value.as_bytes()))).into_bytes();
    let shallow = scanner(&sentinels).with_max_depth(1);
    assert!(shallow.scan("planted", &bytes).is_empty());
    let deep = scanner(&sentinels).with_max_depth(2);
    let hits = deep.scan("planted", &bytes);
    assert!(
        hits.iter()
            .any(|hit| hit.sentinel == label && hit.encoding == "base45(+4)>zlib>raw"),
        "{hits:#?}"
    );
}

#[test]
fn a_spent_decode_budget_is_reported_and_not_clean() {
    let sentinels = Sentinels::new();
    // Repeated, so that deflate codes the sentinel rather than storing it.
    let bytes = gzip(&json_with(sentinels.name()).repeat(20));
    let scanner = scanner(&sentinels).with_decode_budget(16);
    let report = scanner.scan_report("planted", &bytes);
    assert!(report.hits.is_empty(), "{report}");
    assert!(!report.is_clean());
    assert_eq!(report.limits_reached[0].source, "planted");
    assert_eq!(report.limits_reached[0].encoding, "gzip");
}

#[test]
fn a_sentinel_split_across_two_recordings_is_not_found() {
    let sentinels = Sentinels::new();
    let scanner = scanner(&sentinels);
    for (_, value) in sentinels.all() {
        let (head, tail) = value.split_at(value.len() / 2);
        let first = format!("{{\"a\":\"{head}");
        let second = format!("{tail}\"}}");
        let report = scanner.scan_all([("first", &first), ("second", &second)]);
        assert!(report.is_clean(), "{report}");
        // Together they would be found.
        assert!(
            !scanner
                .scan("together", format!("{first}{second}").as_bytes())
                .is_empty()
        );
    }
}

#[test]
fn unrelated_and_random_data_give_no_hit() {
    let sentinels = Sentinels::new();
    let scanner = scanner(&sentinels);
    let others = Sentinels::new();
    let random = random_bytes(256 * 1024);
    let sources: Vec<(String, Vec<u8>)> = vec![
        ("random".into(), random.clone()),
        ("base64".into(), STANDARD.encode(&random).into_bytes()),
        (
            "base64url".into(),
            URL_SAFE_NO_PAD.encode(&random).into_bytes(),
        ),
        ("hex".into(), hex::encode(&random[..64 * 1024]).into_bytes()),
        (
            "base45".into(),
            base45::encode(&random[..64 * 1024]).into_bytes(),
        ),
        ("other sentinels".into(), json_with(others.name())),
        (
            "other gzip".into(),
            gzip(&json_with(others.document_number())),
        ),
        (
            "other cc1".into(),
            crosscode_core::envelope::payload::to_text(&cose_sign1_with(others.birth_date()))
                .unwrap()
                .into_bytes(),
        ),
    ];
    let report = scanner.scan_all(sources);
    assert!(report.is_clean(), "{report}");
}

#[test]
fn megabytes_of_mixed_recordings_are_scanned_in_seconds() {
    let sentinels = Sentinels::new();
    let scanner = scanner(&sentinels);
    let random = random_bytes(1024 * 1024);
    let mut text = Vec::new();
    while text.len() < 2 * 1024 * 1024 {
        text.extend(json_with(&URL_SAFE_NO_PAD.encode(random_bytes(96))));
        text.extend(b"\ndata: ");
        text.extend(hex::encode(random_bytes(32)).into_bytes());
        text.push(b'\n');
    }
    let mut planted = text.clone();
    planted.extend(gzip(&json_with(sentinels.document_number())));
    let started = Instant::now();
    let report = scanner.scan_all([
        ("random", random.as_slice()),
        ("base64", STANDARD.encode(&random).as_bytes()),
        ("text", text.as_slice()),
    ]);
    let planted_hits = scanner.scan("planted", &planted);
    let elapsed = started.elapsed();
    assert!(report.is_clean(), "{report}");
    assert!(planted_hits.iter().any(|hit| hit.encoding == "gzip>raw"));
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
}

#[test]
fn a_recording_is_scanned_source_by_source() {
    let sentinels = Sentinels::new();
    let recording = Recording::new();
    recording.record_blob("chain dump", json_with(sentinels.birth_date()));
    recording.record_blob("log", b"nothing here".to_vec());
    let report = scanner(&sentinels).scan_recording(&recording);
    assert_eq!(
        report.hits,
        vec![Hit {
            sentinel: "birthDate".into(),
            source: "chain dump".into(),
            encoding: "raw".into(),
        }]
    );
}

#[test]
fn a_hit_reads_as_label_source_and_encoding() {
    let hit = Hit {
        sentinel: "name".into(),
        source: "A→B #3 POST /convert request body".into(),
        encoding: "base64>deflate>raw".into(),
    };
    assert_eq!(
        hit.to_string(),
        "sentinel `name` found in `A→B #3 POST /convert request body` as base64>deflate>raw"
    );
}

#[test]
fn a_scanner_needs_sentinels_long_enough_to_be_unique() {
    let none: [(&str, &str); 0] = [];
    assert!(matches!(
        Scanner::new(&none),
        Err(ScannerError::NoSentinels)
    ));
    match Scanner::new(&[("name", "Zq12345678"), ("short", "Zq1")]) {
        Err(ScannerError::TooShort { label, len }) => {
            assert_eq!((label.as_str(), len), ("short", 3))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn identical_encodings_of_a_sentinel_are_searched_once_under_both_names() {
    // Letters only: base64 and base64url give the same characters.
    let scanner = Scanner::new(&[("name", "ZqAbCdEfGhIjKlMnOpQrStUv")]).unwrap();
    let encodings: Vec<&str> = scanner
        .patterns
        .iter()
        .map(|p| p.encoding.as_str())
        .collect();
    assert!(
        encodings.contains(&"base64(a=0) or base64url(a=0)"),
        "{encodings:?}"
    );
}
