//! Sentinel personal values: fresh random values that stand for a traveller's name, document
//! number and birth date in a test flow, so that any trace of them in the bytes crossing between
//! jurisdictions is found by the [`Scanner`](crate::audit::Scanner) and cannot be a coincidence.
//!
//! | Sentinel          | Label             | Form                                               |
//! |-------------------|-------------------|----------------------------------------------------|
//! | name              | `name`            | `Zq` + 22 random base62 characters (about 131 bits) |
//! | document number   | `documentNumber`  | `Zq` + 22 random base62 characters (about 131 bits) |
//! | birth date        | `birthDate`       | a random `YYYY-MM-DD` date from 1920-01-01 to 1999-12-31 |
//!
//! The name and the document number are letters and digits only, so they pass through JSON, URL
//! and form encodings unchanged and every copy of them in a recording is the same bytes.
//!
//! The birth date must stay a valid past calendar date (the issuer's subject records refuse
//! anything else, `crosscode_issuer::records`), so it has little entropy (29,219 possible
//! values). It is searched in its exact text form and in that text's encodings (the scanner's
//! list), never as another date format, a year or an age. Its shortest searched form is 10 raw
//! bytes (80 bits) or 12 base64 characters (72 bits), so a chance hit in megabytes of random
//! data or base64 is unlikely (about one in 2^72 per position searched) but possible; the real
//! risk is the same date written for another reason, which is why it is drawn from before 2000
//! while the dates a flow writes (issuance, validity, tests, vaccinations) are recent. When a
//! hit must be debugged, the scanner's [`Hit`](crate::audit::Hit) names the recording and the
//! chain of encodings it was found under.

use rand::Rng as _;
use rand::distributions::Alphanumeric;
use time::Date;
use time::macros::{date, format_description};

/// The label of the name sentinel (the subject record's JSON field).
pub const NAME: &str = "name";
/// The label of the document number sentinel (the subject record's JSON field).
pub const DOCUMENT_NUMBER: &str = "documentNumber";
/// The label of the birth date sentinel (the subject record's JSON field).
pub const BIRTH_DATE: &str = "birthDate";

/// The prefix of the name and document number sentinels.
pub const PREFIX: &str = "Zq";
/// How many random base62 characters follow [`PREFIX`].
pub const RANDOM_CHARS: usize = 22;
/// The earliest birth date drawn.
pub const EARLIEST_BIRTH_DATE: Date = date!(1920 - 01 - 01);
/// The latest birth date drawn.
pub const LATEST_BIRTH_DATE: Date = date!(1999 - 12 - 31);

/// A fresh set of sentinel personal values (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentinels {
    name: String,
    document_number: String,
    birth_date: String,
}

impl Sentinels {
    /// Draws a fresh set from the thread's random number generator.
    pub fn new() -> Sentinels {
        let mut rng = rand::thread_rng();
        let mut text = || -> String {
            let random: String = (&mut rng)
                .sample_iter(Alphanumeric)
                .take(RANDOM_CHARS)
                .map(char::from)
                .collect();
            format!("{PREFIX}{random}")
        };
        let name = text();
        let document_number = text();
        let day =
            rng.gen_range(EARLIEST_BIRTH_DATE.to_julian_day()..=LATEST_BIRTH_DATE.to_julian_day());
        // Every Julian day between two valid dates is a valid date, and formatting a date into
        // `[year]-[month]-[day]` cannot fail; the fallbacks are never taken.
        let birth_date = Date::from_julian_day(day)
            .unwrap_or(EARLIEST_BIRTH_DATE)
            .format(format_description!("[year]-[month]-[day]"))
            .unwrap_or_else(|_| "1920-01-01".to_owned());
        Sentinels {
            name,
            document_number,
            birth_date,
        }
    }

    /// The name sentinel.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The document number sentinel.
    pub fn document_number(&self) -> &str {
        &self.document_number
    }

    /// The birth date sentinel (`YYYY-MM-DD`).
    pub fn birth_date(&self) -> &str {
        &self.birth_date
    }

    /// Every sentinel with its label, in the form [`Scanner::new`](crate::audit::Scanner::new)
    /// takes.
    pub fn all(&self) -> [(&'static str, &str); 3] {
        [
            (NAME, &self.name),
            (DOCUMENT_NUMBER, &self.document_number),
            (BIRTH_DATE, &self.birth_date),
        ]
    }
}

impl Default for Sentinels {
    fn default() -> Sentinels {
        Sentinels::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crosscode_issuer::records::{HealthStatus, SubjectRecord};

    #[test]
    fn the_name_and_document_number_are_the_prefix_and_random_base62_characters() {
        let sentinels = Sentinels::new();
        for value in [sentinels.name(), sentinels.document_number()] {
            assert_eq!(value.len(), PREFIX.len() + RANDOM_CHARS);
            assert!(value.starts_with(PREFIX));
            assert!(value.bytes().all(|byte| byte.is_ascii_alphanumeric()));
        }
    }

    #[test]
    fn two_draws_share_no_value() {
        let first = Sentinels::new();
        let second = Sentinels::new();
        assert_ne!(first.name(), second.name());
        assert_ne!(first.document_number(), second.document_number());
        assert_ne!(first.name(), first.document_number());
    }

    #[test]
    fn birth_dates_are_calendar_dates_within_the_range_and_vary() {
        let format = format_description!("[year]-[month]-[day]");
        let dates: std::collections::BTreeSet<String> = (0..64)
            .map(|_| Sentinels::new().birth_date().to_owned())
            .collect();
        for text in &dates {
            let parsed = Date::parse(text, format).unwrap();
            assert!((EARLIEST_BIRTH_DATE..=LATEST_BIRTH_DATE).contains(&parsed));
        }
        assert!(dates.len() > 32, "64 draws gave {} dates", dates.len());
    }

    #[test]
    fn the_issuer_accepts_a_subject_record_made_of_the_sentinels() {
        let sentinels = Sentinels::new();
        let record = SubjectRecord {
            name: sentinels.name().to_owned(),
            birth_date: sentinels.birth_date().to_owned(),
            document_number: sentinels.document_number().to_owned(),
            health_status: HealthStatus::Green,
            test_results: Vec::new(),
            vaccinations: Vec::new(),
        };
        let parsed = SubjectRecord::from_json(&record.to_json()).unwrap();
        assert!(parsed == record);
    }

    #[test]
    fn all_labels_each_sentinel_with_its_record_field() {
        let sentinels = Sentinels::new();
        assert_eq!(
            sentinels.all(),
            [
                ("name", sentinels.name()),
                ("documentNumber", sentinels.document_number()),
                ("birthDate", sentinels.birth_date()),
            ]
        );
    }
}
