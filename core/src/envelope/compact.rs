//! The `CC1` compact JSON encoding: any JSON value as a small CBOR item, losslessly.
//!
//! | CBOR item                         | JSON value                                           |
//! |-----------------------------------|------------------------------------------------------|
//! | `null`, `true`, `false`           | the same                                             |
//! | unsigned integer `n`              | the integer `n`                                      |
//! | tag 4 (decimal fraction) `[0, m]`  | the negative integer `m` (`m` a CBOR negative integer) |
//! | float                             | the (non-integer-typed) number                       |
//! | negative integer `-1 - i`         | the string `TERMS[i]` (the dictionary)               |
//! | text string                       | the string itself                                    |
//! | tag 1 (epoch date/time) integer   | `YYYY-MM-DDTHH:MM:SSZ` (only when it re-serialises identically) |
//! | byte string, first byte = form    | a string rebuilt from bytes (see [`ByteForm`])       |
//! | array                             | array                                                |
//! | map                               | object; keys are unsigned integers (dictionary) or text |
//!
//! Encoding picks the compact form only when decoding it gives back the identical string, so
//! `from_compact(to_compact(v)) == v` for every JSON value (tested with proptest).

use ciborium::Value as Cbor;
use serde_json::{Map, Number, Value as Json};
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

use super::CompactError;
use super::dictionary;
use crate::multicodec;

/// CBOR tag 1: epoch-based date/time (RFC 8949 §3.4.2).
pub const TAG_EPOCH_TIME: u64 = 1;
/// CBOR tag 4: decimal fraction (RFC 8949 §3.4.4), `[0, m]` = the negative JSON integer `m`
/// (plain negative integers stand for dictionary terms).
pub const TAG_DECIMAL_FRACTION: u64 = 4;

/// The only date/time shape carried as an epoch integer.
const TIME_FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// The first byte of a byte string in compact JSON: which string it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ByteForm {
    /// `did:key:z` + base58btc(rest): a `did:key` DID (rest = multicodec public key).
    DidKey = 0,
    /// `did:key:z<k>#z<k>` with k = base58btc(rest): the verification method of a `did:key`.
    DidKeyVerificationMethod = 1,
    /// `z` + base58btc(rest): a multibase base58btc string (e.g. a `proofValue`).
    MultibaseBase58Btc = 2,
    /// `urn:uuid:` + the lowercase hyphenated form of the 16 bytes of rest.
    UrnUuid = 3,
}

impl ByteForm {
    fn from_byte(byte: u8) -> Option<ByteForm> {
        match byte {
            0 => Some(ByteForm::DidKey),
            1 => Some(ByteForm::DidKeyVerificationMethod),
            2 => Some(ByteForm::MultibaseBase58Btc),
            3 => Some(ByteForm::UrnUuid),
            _ => None,
        }
    }
}

/// Encodes a JSON value into its compact CBOR item.
pub fn to_compact(value: &Json) -> Result<Cbor, CompactError> {
    Ok(match value {
        Json::Null => Cbor::Null,
        Json::Bool(flag) => Cbor::Bool(*flag),
        Json::Number(number) => number_to_compact(number)?,
        Json::String(text) => string_to_compact(text),
        Json::Array(items) => Cbor::Array(items.iter().map(to_compact).collect::<Result<_, _>>()?),
        Json::Object(map) => {
            let mut entries = Vec::with_capacity(map.len());
            for (key, item) in map {
                let key = match dictionary::index_of(key) {
                    Some(index) => Cbor::Integer(index.into()),
                    None => Cbor::Text(key.clone()),
                };
                entries.push((key, to_compact(item)?));
            }
            Cbor::Map(entries)
        }
    })
}

/// Decodes a compact CBOR item back into the JSON value it stands for.
pub fn from_compact(item: &Cbor) -> Result<Json, CompactError> {
    Ok(match item {
        Cbor::Null => Json::Null,
        Cbor::Bool(flag) => Json::Bool(*flag),
        Cbor::Integer(integer) => {
            let integer = i128::from(*integer);
            if integer >= 0 {
                let unsigned =
                    u64::try_from(integer).map_err(|_| CompactError::IntegerOutOfRange)?;
                Json::Number(Number::from(unsigned))
            } else {
                let index =
                    u64::try_from(-1 - integer).map_err(|_| CompactError::IntegerOutOfRange)?;
                Json::String(term(index)?.to_owned())
            }
        }
        Cbor::Float(float) => {
            Json::Number(Number::from_f64(*float).ok_or(CompactError::NonFiniteFloat)?)
        }
        Cbor::Text(text) => Json::String(text.clone()),
        Cbor::Bytes(bytes) => Json::String(string_from_bytes(bytes)?),
        Cbor::Tag(TAG_EPOCH_TIME, inner) => Json::String(time_from_compact(inner)?),
        Cbor::Tag(TAG_DECIMAL_FRACTION, inner) => negative_from_compact(inner)?,
        Cbor::Tag(tag, _) => return Err(CompactError::UnknownTag(*tag)),
        Cbor::Array(items) => {
            Json::Array(items.iter().map(from_compact).collect::<Result<_, _>>()?)
        }
        Cbor::Map(entries) => {
            let mut map = Map::new();
            for (key, value) in entries {
                let key = match key {
                    Cbor::Text(text) => text.clone(),
                    Cbor::Integer(index) => {
                        let index =
                            u64::try_from(*index).map_err(|_| CompactError::InvalidObjectKey)?;
                        term(index)?.to_owned()
                    }
                    _ => return Err(CompactError::InvalidObjectKey),
                };
                let value = from_compact(value)?;
                if map.contains_key(&key) {
                    return Err(CompactError::DuplicateKey(key));
                }
                map.insert(key, value);
            }
            Json::Object(map)
        }
        _ => return Err(CompactError::UnsupportedItem),
    })
}

fn term(index: u64) -> Result<&'static str, CompactError> {
    dictionary::term_at(index).ok_or(CompactError::UnknownTerm(index))
}

fn number_to_compact(number: &Number) -> Result<Cbor, CompactError> {
    if let Some(unsigned) = number.as_u64() {
        return Ok(Cbor::Integer(unsigned.into()));
    }
    if let Some(signed) = number.as_i64() {
        // signed < 0 here: carried as the decimal fraction [0, signed].
        return Ok(Cbor::Tag(
            TAG_DECIMAL_FRACTION,
            Box::new(Cbor::Array(vec![
                Cbor::Integer(0.into()),
                Cbor::Integer(signed.into()),
            ])),
        ));
    }
    match number.as_f64() {
        Some(float) if Number::from_f64(float).as_ref() == Some(number) => Ok(Cbor::Float(float)),
        _ => Err(CompactError::UnsupportedNumber(number.to_string())),
    }
}

fn negative_from_compact(inner: &Cbor) -> Result<Json, CompactError> {
    let invalid = CompactError::InvalidTagContent(TAG_DECIMAL_FRACTION);
    let Cbor::Array(parts) = inner else {
        return Err(invalid);
    };
    match parts.as_slice() {
        [Cbor::Integer(exponent), Cbor::Integer(mantissa)] if i128::from(*exponent) == 0 => {
            let value = i64::try_from(*mantissa).map_err(|_| CompactError::IntegerOutOfRange)?;
            if value < 0 {
                Ok(Json::Number(Number::from(value)))
            } else {
                Err(CompactError::IntegerOutOfRange)
            }
        }
        _ => Err(invalid),
    }
}

fn string_to_compact(text: &str) -> Cbor {
    if let Some(index) = dictionary::index_of(text) {
        return Cbor::Integer((-1_i64 - index as i64).into());
    }
    if let Some(seconds) = time_to_epoch(text) {
        return Cbor::Tag(TAG_EPOCH_TIME, Box::new(Cbor::Integer(seconds.into())));
    }
    if let Some(bytes) = string_to_bytes(text) {
        return Cbor::Bytes(bytes);
    }
    Cbor::Text(text.to_owned())
}

fn time_to_epoch(text: &str) -> Option<i64> {
    // Cheap shape check first: 20 chars, ends in Z.
    if text.len() != 20 || !text.ends_with('Z') {
        return None;
    }
    let parsed = time::PrimitiveDateTime::parse(text, TIME_FORMAT)
        .ok()?
        .assume_utc();
    (format_time(parsed).as_deref() == Some(text)).then(|| parsed.unix_timestamp())
}

/// `YYYY-MM-DDTHH:MM:SSZ`, for years 0000..=9999 only.
fn format_time(moment: OffsetDateTime) -> Option<String> {
    if !(0..=9999).contains(&moment.year()) {
        return None;
    }
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        moment.year(),
        u8::from(moment.month()),
        moment.day(),
        moment.hour(),
        moment.minute(),
        moment.second()
    ))
}

fn time_from_compact(inner: &Cbor) -> Result<String, CompactError> {
    let Cbor::Integer(seconds) = inner else {
        return Err(CompactError::InvalidTagContent(TAG_EPOCH_TIME));
    };
    let seconds = i64::try_from(*seconds).map_err(|_| CompactError::InvalidTime)?;
    let moment =
        OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| CompactError::InvalidTime)?;
    format_time(moment).ok_or(CompactError::InvalidTime)
}

fn base58_exact(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() {
        return None;
    }
    let bytes = multicodec::decode_base58(text).ok()?;
    (multicodec::encode_base58(&bytes) == text).then_some(bytes)
}

fn with_form(form: ByteForm, rest: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(rest.len() + 1);
    bytes.push(form as u8);
    bytes.extend_from_slice(rest);
    bytes
}

/// The byte-string form of `text` (form byte + bytes), when it has one that decodes back to
/// the identical string.
pub fn string_to_bytes(text: &str) -> Option<Vec<u8>> {
    if let Some(rest) = text.strip_prefix("did:key:z") {
        if let Some((key, fragment)) = rest.split_once('#') {
            if fragment.strip_prefix('z') == Some(key) {
                return base58_exact(key)
                    .map(|bytes| with_form(ByteForm::DidKeyVerificationMethod, &bytes));
            }
            return None;
        }
        return base58_exact(rest).map(|bytes| with_form(ByteForm::DidKey, &bytes));
    }
    if let Some(rest) = text.strip_prefix("urn:uuid:") {
        return uuid_bytes(rest).map(|bytes| with_form(ByteForm::UrnUuid, &bytes));
    }
    if let Some(rest) = text.strip_prefix('z') {
        // Worth it only when the bytes are shorter than the text.
        return base58_exact(rest)
            .filter(|bytes| bytes.len() + 1 < text.len())
            .map(|bytes| with_form(ByteForm::MultibaseBase58Btc, &bytes));
    }
    None
}

/// The string a byte-string form (form byte + bytes) stands for.
pub fn string_from_bytes(bytes: &[u8]) -> Result<String, CompactError> {
    let (first, rest) = bytes.split_first().ok_or(CompactError::InvalidByteString)?;
    let form = ByteForm::from_byte(*first).ok_or(CompactError::InvalidByteString)?;
    if rest.is_empty() {
        return Err(CompactError::InvalidByteString);
    }
    let base58 = || multicodec::encode_base58(rest);
    Ok(match form {
        ByteForm::DidKey => format!("did:key:z{}", base58()),
        ByteForm::DidKeyVerificationMethod => {
            let key = base58();
            format!("did:key:z{key}#z{key}")
        }
        ByteForm::MultibaseBase58Btc => format!("z{}", base58()),
        ByteForm::UrnUuid => format!("urn:uuid:{}", uuid_text(rest)?),
    })
}

fn uuid_bytes(text: &str) -> Option<Vec<u8>> {
    if text.len() != 36 {
        return None;
    }
    let hex_digits: String = text.chars().filter(|c| *c != '-').collect();
    let bytes = hex::decode(&hex_digits).ok()?;
    let again = uuid_text(&bytes).ok()?;
    (again == text).then_some(bytes)
}

fn uuid_text(bytes: &[u8]) -> Result<String, CompactError> {
    if bytes.len() != 16 {
        return Err(CompactError::InvalidByteString);
    }
    let hex = hex::encode(bytes);
    let part = |range: std::ops::Range<usize>| hex.get(range).unwrap_or_default();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(value: Json) -> Cbor {
        let compact = to_compact(&value).unwrap();
        assert_eq!(from_compact(&compact).unwrap(), value);
        compact
    }

    #[test]
    fn dictionary_terms_are_integers() {
        assert_eq!(
            round_trip(json!("VerifiableCredential")),
            Cbor::Integer((-5_i64).into())
        );
        let compact = round_trip(json!({"id": 1}));
        assert_eq!(
            compact,
            Cbor::Map(vec![(Cbor::Integer(1.into()), Cbor::Integer(1.into()))])
        );
    }

    #[test]
    fn special_strings_round_trip() {
        let key = "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
        round_trip(json!(format!("did:key:{key}")));
        assert!(matches!(
            round_trip(json!(format!("did:key:{key}#{key}"))),
            Cbor::Bytes(_)
        ));
        round_trip(json!(format!("did:key:{key}#other")));
        assert!(matches!(
            round_trip(json!("urn:uuid:8b7e0a3c-1f5d-4b6e-9c2a-0d4f6e8a1b3c")),
            Cbor::Bytes(_)
        ));
        assert!(matches!(
            round_trip(json!("urn:uuid:8B7E0A3C-1F5D-4B6E-9C2A-0D4F6E8A1B3C")),
            Cbor::Text(_)
        ));
        assert!(matches!(
            round_trip(json!("2026-11-21T06:00:00Z")),
            Cbor::Tag(1, _)
        ));
        assert!(matches!(
            round_trip(json!("2026-11-21T06:00:00.000Z")),
            Cbor::Text(_)
        ));
        assert!(matches!(
            round_trip(json!("2026-02-30T06:00:00Z")),
            Cbor::Text(_)
        ));
        round_trip(json!("z"));
        round_trip(json!("z1"));
        round_trip(json!("z11111"));
        round_trip(json!("did:key:z"));
        round_trip(json!([
            -1,
            -9223372036854775808_i64,
            18446744073709551615_u64,
            1.5,
            -0.0,
            1e300
        ]));
    }

    #[test]
    fn malformed_items_are_typed_errors() {
        assert!(matches!(
            from_compact(&Cbor::Integer((-100_000).into())),
            Err(CompactError::UnknownTerm(99_999))
        ));
        assert!(matches!(
            from_compact(&Cbor::Tag(99, Box::new(Cbor::Null))),
            Err(CompactError::UnknownTag(99))
        ));
        assert!(matches!(
            from_compact(&Cbor::Bytes(vec![9, 1])),
            Err(CompactError::InvalidByteString)
        ));
        assert!(matches!(
            from_compact(&Cbor::Bytes(vec![])),
            Err(CompactError::InvalidByteString)
        ));
        assert!(matches!(
            from_compact(&Cbor::Bytes(vec![3, 1, 2])),
            Err(CompactError::InvalidByteString)
        ));
        assert!(matches!(
            from_compact(&Cbor::Float(f64::NAN)),
            Err(CompactError::NonFiniteFloat)
        ));
        assert!(matches!(
            from_compact(&Cbor::Tag(1, Box::new(Cbor::Integer(i64::MAX.into())))),
            Err(CompactError::InvalidTime)
        ));
        assert!(matches!(
            from_compact(&Cbor::Tag(1, Box::new(Cbor::Text("x".into())))),
            Err(CompactError::InvalidTagContent(1))
        ));
        let fraction = |exponent: i64, mantissa: i128| {
            Cbor::Tag(
                4,
                Box::new(Cbor::Array(vec![
                    Cbor::Integer(exponent.into()),
                    Cbor::Integer(mantissa.try_into().unwrap()),
                ])),
            )
        };
        assert_eq!(from_compact(&fraction(0, -7)).unwrap(), json!(-7));
        assert!(matches!(
            from_compact(&fraction(0, i128::from(i64::MIN) - 1)),
            Err(CompactError::IntegerOutOfRange)
        ));
        assert!(matches!(
            from_compact(&fraction(0, 5)),
            Err(CompactError::IntegerOutOfRange)
        ));
        assert!(matches!(
            from_compact(&fraction(1, -5)),
            Err(CompactError::InvalidTagContent(4))
        ));
        assert!(matches!(
            from_compact(&Cbor::Tag(4, Box::new(Cbor::Null))),
            Err(CompactError::InvalidTagContent(4))
        ));
        assert!(matches!(
            from_compact(&Cbor::Tag(3, Box::new(Cbor::Bytes(vec![1])))),
            Err(CompactError::UnknownTag(3))
        ));
        let duplicate = Cbor::Map(vec![
            (Cbor::Integer(1.into()), Cbor::Null),
            (Cbor::Text("id".into()), Cbor::Null),
        ]);
        assert!(
            matches!(from_compact(&duplicate), Err(CompactError::DuplicateKey(key)) if key == "id")
        );
        let bad_key = Cbor::Map(vec![(Cbor::Bool(true), Cbor::Null)]);
        assert!(matches!(
            from_compact(&bad_key),
            Err(CompactError::InvalidObjectKey)
        ));
    }
}
