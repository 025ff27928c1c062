//! Parsing the validation clock: RFC 3339, and the naive forms found in test data
//! (`2021-05-30T13:38:49.822623`, read as UTC).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Why a timestamp could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an RFC 3339 / ISO 8601 date-time: {0:?}")]
pub struct ClockError(pub String);

/// Parse RFC 3339 (`Z` or `±hh:mm`), also accepting a missing offset (UTC), a space instead of
/// `T`, and `±hhmm` offsets.
pub fn parse_clock(text: &str) -> Result<OffsetDateTime, ClockError> {
    let t = text.trim();
    if let Ok(dt) = OffsetDateTime::parse(t, &Rfc3339) {
        return Ok(dt);
    }
    let mut normalized = t.replacen(' ', "T", 1);
    // ±hhmm → ±hh:mm
    let bytes = normalized.as_bytes();
    if bytes.len() > 5 {
        let tail = &bytes[bytes.len() - 5..];
        if (tail[0] == b'+' || tail[0] == b'-') && tail[1..].iter().all(u8::is_ascii_digit) {
            normalized.insert(normalized.len() - 2, ':');
        }
    }
    if let Ok(dt) = OffsetDateTime::parse(&normalized, &Rfc3339) {
        return Ok(dt);
    }
    let with_z = format!("{normalized}Z");
    if let Ok(dt) = OffsetDateTime::parse(&with_z, &Rfc3339) {
        return Ok(dt);
    }
    let midnight = format!("{normalized}T00:00:00Z");
    OffsetDateTime::parse(&midnight, &Rfc3339).map_err(|_| ClockError(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_seen_in_test_data() {
        let z = parse_clock("2021-05-30T13:38:49Z").unwrap();
        assert_eq!(parse_clock("2021-05-30T15:38:49+02:00").unwrap(), z);
        assert_eq!(parse_clock("2021-05-30T15:38:49+0200").unwrap(), z);
        assert_eq!(parse_clock("2021-05-30T13:38:49").unwrap(), z);
        assert_eq!(
            parse_clock("2021-05-30T13:38:49.822623")
                .unwrap()
                .unix_timestamp(),
            z.unix_timestamp()
        );
        assert_eq!(
            parse_clock("2021-05-30").unwrap().unix_timestamp(),
            1_622_332_800
        );
        assert!(matches!(parse_clock("yesterday"), Err(ClockError(_))));
    }
}
