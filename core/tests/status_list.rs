//! W3C Bitstring Status List v1.0: the specification's example, the left-most-bit rule, the
//! typed errors, and a cross-check against an independent decoder and encoder (Python's
//! standard `gzip` and `base64`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::Write as _;
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use crosscode_core::envelope::inflate::InflateError;
use crosscode_core::status_list::{
    Bitstring, BitstringStatusList, BitstringStatusListEntry, MAX_DECODED_BYTES, MIN_ENTRIES,
    SpecError, StatusListError, StatusPurpose,
};
use crosscode_core::vc::Credential;
use serde_json::json;

const SET: [u64; 5] = [0, 1, 7, 8, 131_071];

fn gzip_base64url(bytes: &[u8]) -> String {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    format!("u{}", URL_SAFE_NO_PAD.encode(encoder.finish().unwrap()))
}

fn list_with(set: &[u64]) -> Bitstring {
    let mut list = Bitstring::new(MIN_ENTRIES).unwrap();
    for &index in set {
        list.set(index, true).unwrap();
    }
    list
}

#[test]
fn the_specification_example_decodes_to_131072_clear_bits() {
    let document =
        crosscode_testing::vectors::read_json("status-list/example-status-list-credential.json");
    let credential = Credential::from_value(&document).unwrap();
    let decoded = BitstringStatusList::from_credential(&credential).unwrap();
    assert_eq!(decoded.status_purpose, StatusPurpose::Revocation);
    assert_eq!(
        decoded.id.as_deref(),
        Some("https://example.com/status/3#list")
    );
    assert_eq!(decoded.list.len(), 131_072);
    assert_eq!(decoded.list.count_set(), 0);
    assert_eq!(decoded.list.as_bytes().len(), 16_384);
}

#[test]
fn a_list_round_trips_and_index_zero_is_the_left_most_bit() {
    let list = list_with(&SET);
    let bytes = list.as_bytes();
    assert_eq!(
        bytes[0], 0b1100_0001,
        "indexes 0, 1 and 7 in the first byte"
    );
    assert_eq!(
        bytes[1], 0b1000_0000,
        "index 8 is the first bit of the second byte"
    );
    assert_eq!(bytes[16_383], 0b0000_0001, "the last index is the last bit");
    assert_eq!(list.count_set(), SET.len());

    let encoded = list.encode().unwrap();
    assert!(encoded.starts_with('u'));
    assert!(!encoded.contains('=') && !encoded.contains('+') && !encoded.contains('/'));
    let decoded = Bitstring::decode(&encoded).unwrap();
    assert_eq!(decoded, list);
    for index in SET {
        assert!(decoded.get(index).unwrap());
    }
    assert!(!decoded.get(2).unwrap());
    assert!(!decoded.get(131_070).unwrap());

    let mut cleared = decoded.clone();
    cleared.set(7, false).unwrap();
    assert_eq!(cleared.as_bytes()[0], 0b1100_0000);
}

#[test]
fn a_list_shorter_than_131072_entries_is_a_length_error() {
    let short = gzip_base64url(&vec![0u8; 16_383]);
    let err = Bitstring::decode(&short).unwrap_err();
    assert_eq!(
        err,
        StatusListError::Length {
            entries: 131_064,
            minimum: MIN_ENTRIES
        }
    );
    assert_eq!(err.spec_error(), SpecError::StatusListLength);
    assert_eq!(err.spec_error().code(), "STATUS_LIST_LENGTH_ERROR");
    assert!(matches!(
        Bitstring::new(MIN_ENTRIES - 8),
        Err(StatusListError::Length { .. })
    ));
    assert!(matches!(
        Bitstring::new(MIN_ENTRIES + 1),
        Err(StatusListError::Length { .. })
    ));
    // a longer list (any whole number of bytes) is fine
    assert_eq!(
        Bitstring::decode(&gzip_base64url(&vec![0u8; 16_385]))
            .unwrap()
            .len(),
        131_080
    );
}

#[test]
fn an_index_past_the_end_is_a_range_error() {
    let mut list = Bitstring::new(MIN_ENTRIES).unwrap();
    let err = list.get(131_072).unwrap_err();
    assert_eq!(
        err,
        StatusListError::Range {
            index: 131_072,
            entries: 131_072
        }
    );
    assert_eq!(err.spec_error().code(), "RANGE_ERROR");
    assert!(matches!(
        list.set(u64::MAX, true),
        Err(StatusListError::Range { .. })
    ));
    let entry = BitstringStatusListEntry {
        id: None,
        status_purpose: StatusPurpose::Revocation,
        status_list_index: 200_000,
        status_list_credential: "https://example.com/status/3".into(),
    };
    let decoded = BitstringStatusList {
        id: None,
        status_purpose: StatusPurpose::Revocation,
        list,
    };
    assert!(matches!(
        decoded.status_of(&entry),
        Err(StatusListError::Range { index: 200_000, .. })
    ));
}

#[test]
fn a_gzip_bomb_is_refused_with_a_typed_error() {
    let bomb = gzip_base64url(&vec![0u8; MAX_DECODED_BYTES + 1]);
    assert!(bomb.len() < 64 * 1024, "a bomb is small: {}", bomb.len());
    let err = Bitstring::decode(&bomb).unwrap_err();
    assert_eq!(
        err,
        StatusListError::Inflate(InflateError::TooLarge {
            limit: MAX_DECODED_BYTES
        })
    );
    assert_eq!(err.spec_error().code(), "STATUS_VERIFICATION_ERROR");
}

#[test]
fn a_list_that_is_not_multibase_base64url_gzip_is_a_typed_error() {
    let good = list_with(&[3]).encode().unwrap();
    assert_eq!(
        Bitstring::decode(&good[1..]),
        Err(StatusListError::NotBase64Url)
    );
    assert_eq!(
        Bitstring::decode(&format!("z{}", &good[1..])),
        Err(StatusListError::NotBase64Url)
    );
    assert!(matches!(
        Bitstring::decode("uH4sI*AAA"),
        Err(StatusListError::Base64(_))
    ));
    assert!(matches!(
        Bitstring::decode(&format!("{good}==")),
        Err(StatusListError::Base64(_))
    ));
    let zlib = {
        let mut encoder =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&[0u8; 16_384]).unwrap();
        format!("u{}", URL_SAFE_NO_PAD.encode(encoder.finish().unwrap()))
    };
    assert!(matches!(
        Bitstring::decode(&zlib),
        Err(StatusListError::Inflate(InflateError::Corrupt { .. }))
    ));
    let truncated = URL_SAFE_NO_PAD.encode(&URL_SAFE_NO_PAD.decode(&good[1..]).unwrap()[..20]);
    assert!(matches!(
        Bitstring::decode(&format!("u{truncated}")),
        Err(StatusListError::Inflate(InflateError::Truncated { .. }))
    ));
    assert_eq!(
        Bitstring::decode("u"),
        Err(StatusListError::Inflate(InflateError::Empty))
    );
}

#[test]
fn a_status_entry_parses_and_round_trips() {
    let value = json!({
        "id": "https://example.com/credentials/status/3#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://example.com/credentials/status/3"
    });
    let entry = BitstringStatusListEntry::from_value(&value).unwrap();
    assert_eq!(entry.status_purpose, StatusPurpose::Revocation);
    assert_eq!(entry.status_list_index, 94_567);
    assert_eq!(entry.to_value(), value);

    let mut other = value.clone();
    other["statusPurpose"] = json!("custom-purpose");
    other["statusSize"] = json!(1);
    assert_eq!(
        BitstringStatusListEntry::from_value(&other)
            .unwrap()
            .status_purpose,
        StatusPurpose::Unknown("custom-purpose".into())
    );
    for (purpose, parsed) in [
        ("suspension", StatusPurpose::Suspension),
        ("refresh", StatusPurpose::Refresh),
        ("message", StatusPurpose::Message),
    ] {
        assert_eq!(StatusPurpose::parse(purpose), parsed);
        assert_eq!(parsed.as_str(), purpose);
    }
}

#[test]
fn a_malformed_status_entry_is_a_typed_error() {
    let good = json!({
        "type": "BitstringStatusListEntry",
        "statusPurpose": "suspension",
        "statusListIndex": "7",
        "statusListCredential": "https://example.com/status/1"
    });
    let with = |name: &str, value: serde_json::Value| {
        let mut entry = good.clone();
        entry[name] = value;
        BitstringStatusListEntry::from_value(&entry).unwrap_err()
    };
    let invalid = |property: &'static str| move |err: StatusListError| matches!(err, StatusListError::Invalid { property: p, .. } if p == property);
    let index = invalid("credentialStatus.statusListIndex");
    assert!(index(with("statusListIndex", json!(7))));
    assert!(index(with("statusListIndex", json!("-1"))));
    assert!(index(with("statusListIndex", json!("+7"))));
    assert!(index(with("statusListIndex", json!("0x10"))));
    assert!(index(with("statusListIndex", json!(""))));
    assert!(index(with("statusListIndex", json!("4294967296"))));
    assert_eq!(
        BitstringStatusListEntry::from_value(&{
            let mut entry = good.clone();
            entry["statusListIndex"] = json!("4294967295");
            entry
        })
        .unwrap()
        .status_list_index,
        u32::MAX
    );
    assert!(invalid("credentialStatus.type")(with(
        "type",
        json!("StatusList2021Entry")
    )));
    assert!(invalid("credentialStatus.statusListCredential")(with(
        "statusListCredential",
        json!("not a url")
    )));
    assert!(invalid("credentialStatus.statusSize")(with(
        "statusSize",
        json!(2)
    )));
    assert!(invalid("credentialStatus.id")(with("id", json!(5))));
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("statusPurpose");
    assert!(invalid("credentialStatus.statusPurpose")(
        BitstringStatusListEntry::from_value(&missing).unwrap_err()
    ));
}

#[test]
fn a_credentials_entries_are_read_and_checked_against_the_list() {
    let credential = Credential::from_value(&json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:holder"},
        "credentialStatus": [
            {"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
             "statusListIndex": "8", "statusListCredential": "https://example.com/status/1-revocation"},
            {"id": "https://example.com/other#1", "type": "SomeOtherStatus"},
            {"type": ["BitstringStatusListEntry"], "statusPurpose": "suspension",
             "statusListIndex": "9", "statusListCredential": "https://example.com/status/1-suspension"}
        ]
    }))
    .unwrap();
    let entries = BitstringStatusListEntry::entries_of(&credential).unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].status_purpose, StatusPurpose::Suspension);

    let revocations = BitstringStatusList {
        id: None,
        status_purpose: StatusPurpose::Revocation,
        list: list_with(&[8]),
    };
    assert_eq!(revocations.status_of(&entries[0]), Ok(true));
    let err = revocations.status_of(&entries[1]).unwrap_err();
    assert!(matches!(err, StatusListError::PurposeMismatch { .. }));
    assert_eq!(err.spec_error(), SpecError::StatusVerification);
}

#[test]
fn a_list_credential_of_the_wrong_shape_is_a_typed_error() {
    let mut document =
        crosscode_testing::vectors::read_json("status-list/example-status-list-credential.json");
    document["credentialSubject"]["type"] = json!("SomethingElse");
    let credential = Credential::from_value(&document).unwrap();
    assert!(matches!(
        BitstringStatusList::from_credential(&credential),
        Err(StatusListError::Invalid {
            property: "credentialSubject.type",
            ..
        })
    ));
    document["type"] = json!(["VerifiableCredential"]);
    let credential = Credential::from_value(&document).unwrap();
    assert!(matches!(
        BitstringStatusList::from_credential(&credential),
        Err(StatusListError::Invalid {
            property: "type",
            ..
        })
    ));
}

/// Runs `python3` with `script`, `input` on stdin; answers stdout. python3 is required.
fn python(script: &str, input: &str) -> String {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("python3 is required for the independent status-list cross-check: {e}")
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// An independent decoder: multibase `u`, base64url (padding restored), gzip, bits MSB first.
const PYTHON_DECODE: &str = r#"
import base64, gzip, sys
text = sys.stdin.read().strip()
assert text[0] == "u"
body = text[1:]
raw = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
bits = [i * 8 + b for i, byte in enumerate(raw) for b in range(8) if byte & (0x80 >> b)]
print(len(raw) * 8, " ".join(map(str, bits)))
"#;

/// An independent encoder of a list of 131,072 entries with the given indexes set.
const PYTHON_ENCODE: &str = r#"
import base64, gzip, sys
raw = bytearray(16384)
for index in map(int, sys.stdin.read().split()):
    raw[index // 8] |= 0x80 >> (index % 8)
print("u" + base64.urlsafe_b64encode(gzip.compress(bytes(raw))).decode().rstrip("="))
"#;

#[test]
fn an_independent_python_decoder_reads_our_list_and_we_read_its_list() {
    let set = [0u64, 1, 7, 8, 4_242, 99_999, 131_071];
    let list = list_with(&set);
    let decoded = python(PYTHON_DECODE, &list.encode().unwrap());
    let expected = format!(
        "131072 {}",
        set.iter().map(u64::to_string).collect::<Vec<_>>().join(" ")
    );
    assert_eq!(decoded, expected);

    let encoded = python(
        PYTHON_ENCODE,
        &set.iter().map(u64::to_string).collect::<Vec<_>>().join(" "),
    );
    assert_eq!(Bitstring::decode(&encoded).unwrap(), list);
}
