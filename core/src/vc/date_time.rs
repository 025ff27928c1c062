//! XML Schema `dateTimeStamp` values (`validFrom`, `validUntil`, proof `created`).

use std::fmt;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// An XML Schema 1.1 `dateTimeStamp`: `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)`, the
/// time-zone offset required. The original text is kept (it is what gets signed); the parsed
/// instant is used for comparisons. Years are limited to four digits (0000–9999).
#[derive(Clone, PartialEq, Eq)]
pub struct DateTimeStamp {
    text: String,
    instant: OffsetDateTime,
}

impl DateTimeStamp {
    /// Parses a `dateTimeStamp`; `None` when `text` is not one.
    pub fn parse(text: &str) -> Option<DateTimeStamp> {
        if !has_date_time_stamp_shape(text) {
            return None;
        }
        let instant = OffsetDateTime::parse(text, &Rfc3339).ok()?;
        Some(DateTimeStamp {
            text: text.to_owned(),
            instant,
        })
    }

    /// The instant written as a `dateTimeStamp` in UTC, without fractional seconds
    /// (`2026-11-21T06:00:00Z`).
    pub fn from_instant(instant: OffsetDateTime) -> DateTimeStamp {
        let utc = instant
            .to_offset(time::UtcOffset::UTC)
            .replace_nanosecond(0)
            .unwrap_or(instant);
        let text = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            utc.year(),
            u8::from(utc.month()),
            utc.day(),
            utc.hour(),
            utc.minute(),
            utc.second()
        );
        DateTimeStamp { text, instant: utc }
    }

    /// The text as written in the document.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The instant it denotes.
    pub fn instant(&self) -> OffsetDateTime {
        self.instant
    }
}

impl fmt::Display for DateTimeStamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for DateTimeStamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DateTimeStamp({})", self.text)
    }
}

/// Checks the lexical shape `DDDD-DD-DDTDD:DD:DD(.D+)?(Z|[+-]DD:DD)` (upper-case `T` and `Z`).
fn has_date_time_stamp_shape(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digit = |index: usize| bytes.get(index).is_some_and(u8::is_ascii_digit);
    let is = |index: usize, expected: u8| bytes.get(index) == Some(&expected);
    let fixed = (0..4).all(digit)
        && is(4, b'-')
        && digit(5)
        && digit(6)
        && is(7, b'-')
        && digit(8)
        && digit(9)
        && is(10, b'T')
        && digit(11)
        && digit(12)
        && is(13, b':')
        && digit(14)
        && digit(15)
        && is(16, b':')
        && digit(17)
        && digit(18);
    if !fixed {
        return false;
    }
    let mut index = 19;
    if is(index, b'.') {
        index += 1;
        let start = index;
        while digit(index) {
            index += 1;
        }
        if index == start {
            return false;
        }
    }
    match bytes.get(index) {
        Some(b'Z') => index + 1 == bytes.len(),
        Some(b'+' | b'-') => {
            digit(index + 1)
                && digit(index + 2)
                && is(index + 3, b':')
                && digit(index + 4)
                && digit(index + 5)
                && index + 6 == bytes.len()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_date_time_stamps() {
        for text in [
            "2023-01-01T00:00:00Z",
            "2026-11-21T08:30:00.123+08:00",
            "2026-11-21T08:30:00-05:30",
        ] {
            assert_eq!(DateTimeStamp::parse(text).unwrap().as_str(), text);
        }
    }

    #[test]
    fn refuses_other_forms() {
        for text in [
            "2023-01-01",
            "2023-01-01T00:00:00",
            "2023-01-01t00:00:00z",
            "2023-01-01 00:00:00Z",
            "2023-13-01T00:00:00Z",
            "2023-01-01T00:00:00.Z",
            "2023-01-01T00:00:00Z ",
            "",
            "23-01-01T00:00:00Z",
        ] {
            assert!(DateTimeStamp::parse(text).is_none(), "{text}");
        }
    }

    #[test]
    fn from_instant_writes_utc_seconds() {
        let stamp =
            DateTimeStamp::from_instant(time::macros::datetime!(2026-11-21 08:30:15.5 +08:00));
        assert_eq!(stamp.as_str(), "2026-11-21T00:30:15Z");
    }
}
