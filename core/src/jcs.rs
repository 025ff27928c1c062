//! JSON Canonicalization Scheme (JCS, RFC 8785) over [`serde_json::Value`].
//!
//! The canonical form is what Data Integrity suites such as `eddsa-jcs-2022` hash and sign:
//!
//! - no whitespace;
//! - object members sorted by their names compared as arrays of UTF-16 code units
//!   (RFC 8785 §3.2.3), recursively; array order is kept;
//! - strings escaped as RFC 8785 §3.2.2.2 prescribes (only `"`, `\` and the control characters
//!   below U+0020 are escaped; `\b \t \n \f \r` use their short forms, the others `\u00xx` in
//!   lower-case hex; everything else, `/` and non-ASCII included, is written as UTF-8);
//! - numbers written the way ECMAScript's `Number.prototype.toString` writes an IEEE 754 double
//!   (RFC 8785 §3.2.2.3), via the `ryu-js` crate.
//!
//! # Numbers beyond 2^53
//!
//! RFC 8785 §3.1 requires the input to be I-JSON (RFC 7493), whose numbers are IEEE 754
//! doubles. `serde_json` keeps integers as exact `u64` / `i64`; an integer that a double
//! represents exactly (every integer up to 2^53 in magnitude, and larger ones such as 2^68) is
//! written as that double is; so is an integer written the way ECMAScript writes a double
//! (`-1004625773058945300` denotes the double -1004625773058945280, and is the canonical text
//! of it, so canonicalization is idempotent). Any other integer that no double represents
//! exactly (for example 2^53 + 1) is not I-JSON: instead of silently rounding it (which would
//! let two documents with different integers share one signature) [`canonicalize`] refuses it
//! with [`JcsError::IntegerNotExactDouble`]. Issuers that need such values put them in strings
//! (RFC 8785 Appendix D). Non-integer numbers are already doubles when `serde_json` parses them
//! (this crate enables `serde_json`'s `float_roundtrip` for correctly rounded parsing).

use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

/// Why a JSON value has no JCS canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JcsError {
    /// An integer that no IEEE 754 double represents exactly (not I-JSON, RFC 7493 §2.2).
    #[error("integer {0} cannot be represented exactly as an IEEE 754 double (not I-JSON)")]
    IntegerNotExactDouble(String),
    /// A number that is not finite (NaN or infinity); `serde_json` normally cannot hold one.
    #[error("number {0} is not finite")]
    NonFiniteNumber(String),
}

/// The RFC 8785 canonical form of `value`, as a string (its UTF-8 bytes are what gets hashed).
pub fn canonicalize(value: &Value) -> Result<String, JcsError> {
    let mut out = String::with_capacity(256);
    write_value(&mut out, value)?;
    Ok(out)
}

/// The RFC 8785 canonical form of `value` as UTF-8 bytes.
pub fn canonicalize_to_bytes(value: &Value) -> Result<Vec<u8>, JcsError> {
    canonicalize(value).map(String::into_bytes)
}

/// The RFC 8785 canonical form of the JSON object `object` without the members named in
/// `excluded` — the same text as canonicalizing a copy with those members removed, without
/// making the copy (Data Integrity hashes a document without its `proof`, and a proof without
/// its `proofValue`).
pub fn canonicalize_object_except(
    object: &Map<String, Value>,
    excluded: &[&str],
) -> Result<String, JcsError> {
    let mut out = String::with_capacity(256);
    write_object(&mut out, object, excluded)?;
    Ok(out)
}

fn write_value(out: &mut String, value: &Value) -> Result<(), JcsError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => write_number(out, number)?,
        Value::String(text) => write_string(out, text),
        Value::Array(items) => {
            out.push('[');
            for (position, item) in items.iter().enumerate() {
                if position > 0 {
                    out.push(',');
                }
                write_value(out, item)?;
            }
            out.push(']');
        }
        Value::Object(members) => write_object(out, members, &[])?,
    }
    Ok(())
}

fn write_object(
    out: &mut String,
    members: &Map<String, Value>,
    excluded: &[&str],
) -> Result<(), JcsError> {
    let kept = |(name, _): &(&String, &Value)| !excluded.contains(&name.as_str());
    // Names compared as sequences of UTF-16 code units (RFC 8785 §3.2.3). `serde_json`'s map
    // usually iterates in UTF-8 byte order already, which is the same order unless names hold
    // characters beyond U+FFFF; check that in one pass and sort only when needed.
    let mut names = members.iter().filter(kept).map(|(name, _)| name.as_str());
    let mut in_order = true;
    if let Some(mut previous) = names.next() {
        for name in names {
            if utf16_order(previous, name) != std::cmp::Ordering::Less {
                in_order = false;
                break;
            }
            previous = name;
        }
    }
    out.push('{');
    if in_order {
        write_members(out, members.iter().filter(kept))?;
    } else {
        let mut sorted: Vec<(&String, &Value)> = members.iter().filter(kept).collect();
        sorted.sort_by(|(left, _), (right, _)| utf16_order(left, right));
        write_members(out, sorted.into_iter())?;
    }
    out.push('}');
    Ok(())
}

fn write_members<'a>(
    out: &mut String,
    members: impl Iterator<Item = (&'a String, &'a Value)>,
) -> Result<(), JcsError> {
    for (position, (name, member)) in members.enumerate() {
        if position > 0 {
            out.push(',');
        }
        write_string(out, name);
        out.push(':');
        write_value(out, member)?;
    }
    Ok(())
}

/// Compares two names as sequences of UTF-16 code units. For ASCII names (the usual case) this
/// is the byte order, compared without re-encoding.
fn utf16_order(left: &str, right: &str) -> std::cmp::Ordering {
    if left.is_ascii() && right.is_ascii() {
        left.cmp(right)
    } else {
        left.encode_utf16().cmp(right.encode_utf16())
    }
}

fn write_string(out: &mut String, text: &str) {
    out.push('"');
    if !text
        .bytes()
        .any(|byte| byte < 0x20 || byte == b'"' || byte == b'\\')
    {
        out.push_str(text);
        out.push('"');
        return;
    }
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            control if u32::from(control) < 0x20 => {
                // Writing into a String cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(control));
            }
            other => out.push(other),
        }
    }
    out.push('"');
}

/// 2^64 as a double: the first double above every `u64`.
const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;

fn write_number(out: &mut String, number: &Number) -> Result<(), JcsError> {
    let double = if let Some(unsigned) = number.as_u64() {
        integer_as_exact_double(i128::from(unsigned), number)?
    } else if let Some(signed) = number.as_i64() {
        integer_as_exact_double(i128::from(signed), number)?
    } else {
        match number.as_f64() {
            Some(double) => double,
            None => return Err(JcsError::NonFiniteNumber(number.to_string())),
        }
    };
    write_double(out, double)
}

/// The double that `integer` denotes, or an error when it denotes none.
///
/// An integer denotes the double `d` nearest to it when it is either exactly `d` or exactly
/// the ECMAScript text of `d` (canonical output such as `295147905179352830000` for 2^68 must
/// read back as the same double, so canonicalization stays idempotent). Any other integer
/// (e.g. 2^53 + 1) only rounds to a double and is refused.
fn integer_as_exact_double(integer: i128, number: &Number) -> Result<f64, JcsError> {
    #[allow(clippy::cast_precision_loss)]
    let double = integer as f64;
    // A double of magnitude 2^64 or more cannot equal a 64-bit integer; below that bound the
    // conversion back to i128 is exact.
    #[allow(clippy::cast_possible_truncation)]
    let exact = double.abs() < TWO_POW_64 && double as i128 == integer;
    if exact {
        return Ok(double);
    }
    let mut buffer = ryu_js::Buffer::new();
    let shown = buffer.format_finite(double);
    if shown.parse::<i128>().ok() == Some(integer) {
        Ok(double)
    } else {
        Err(JcsError::IntegerNotExactDouble(number.to_string()))
    }
}

/// Writes a double as ECMAScript `Number.prototype.toString` does (RFC 8785 §3.2.2.3).
fn write_double(out: &mut String, double: f64) -> Result<(), JcsError> {
    if !double.is_finite() {
        return Err(JcsError::NonFiniteNumber(double.to_string()));
    }
    if double == 0.0 {
        // Both +0 and -0 are written as 0.
        out.push('0');
        return Ok(());
    }
    let mut buffer = ryu_js::Buffer::new();
    out.push_str(buffer.format_finite(double));
    Ok(())
}

/// The ECMAScript string form of a finite double (`"0"` for both zeros), or an error for NaN
/// and infinities. Exposed for tests of RFC 8785 Appendix B.
pub fn number_to_string(double: f64) -> Result<String, JcsError> {
    let mut out = String::new();
    write_double(&mut out, double)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn control_characters_use_lower_case_hex() {
        let value = json!("\u{1}\u{1f}\u{7f}");
        assert_eq!(canonicalize(&value).unwrap(), "\"\\u0001\\u001f\u{7f}\"");
    }

    #[test]
    fn integer_two_pow_53_plus_one_is_refused() {
        let value: Value = serde_json::from_str("9007199254740993").unwrap();
        assert!(matches!(
            canonicalize(&value),
            Err(JcsError::IntegerNotExactDouble(_))
        ));
        let value: Value = serde_json::from_str("-9007199254740993").unwrap();
        assert!(matches!(
            canonicalize(&value),
            Err(JcsError::IntegerNotExactDouble(_))
        ));
        let value: Value = serde_json::from_str("18446744073709551615").unwrap();
        assert!(matches!(
            canonicalize(&value),
            Err(JcsError::IntegerNotExactDouble(_))
        ));
    }

    #[test]
    fn exact_large_integers_are_written_as_doubles() {
        let value: Value =
            serde_json::from_str("[9007199254740992,295147905179352825856,10000000000000000000]")
                .unwrap();
        assert_eq!(
            canonicalize(&value).unwrap(),
            "[9007199254740992,295147905179352830000,10000000000000000000]"
        );
    }

    #[test]
    fn non_finite_numbers_are_refused() {
        assert!(matches!(
            number_to_string(f64::NAN),
            Err(JcsError::NonFiniteNumber(_))
        ));
        assert!(matches!(
            number_to_string(f64::INFINITY),
            Err(JcsError::NonFiniteNumber(_))
        ));
    }
}
