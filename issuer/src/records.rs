//! Subject records — the personal data an authority issues health codes from — and the
//! [`RecordBook`] that keeps them sealed in the [`IssuerStore`].
//!
//! A record is JSON (camelCase, unknown fields refused):
//!
//! ```json
//! {
//!   "name": "Chan Tai Man",
//!   "birthDate": "1980-02-29",
//!   "documentNumber": "H1234567",
//!   "healthStatus": "green",
//!   "testResults": [
//!     { "testType": "nucleic-acid", "result": "negative", "sampledAt": "2020-05-11T08:00:00+08:00" }
//!   ],
//!   "vaccinations": [ { "vaccine": "CoronaVac", "dose": 1, "date": "2021-03-01" } ]
//! }
//! ```
//!
//! Validation (at parse and before storing): texts are 1 to [`MAX_TEXT_CHARS`] characters
//! without control characters; `birthDate` and `date` are calendar dates `YYYY-MM-DD`, a birth
//! date not in the future; `sampledAt` is RFC 3339; `dose` is at least 1; at most
//! [`MAX_ENTRIES`] test results and vaccinations. Errors name the field (and the entry's
//! position), never its value; a record's `Debug` prints no personal value; its memory is
//! zeroized when dropped.
//!
//! In the store (table `Records`) the key is the [`RecordId`] (`rec_` and 22 base64url
//! characters of 128 random bits) and the value the record's JSON sealed by the
//! [`RecordKey`] with the id as associated data ([`crate::sealing`]).

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::sealing::{RecordKey, SealingError};
use crate::store::{IssuerStore, StoreError, Table, WriteOp};

/// Largest number of characters of a text field.
pub const MAX_TEXT_CHARS: usize = 256;
/// Largest number of test results, and of vaccinations, in a record.
pub const MAX_ENTRIES: usize = 256;
/// Largest record JSON accepted, in bytes.
pub const MAX_RECORD_BYTES: usize = 256 * 1024;
/// The prefix of record ids.
pub const RECORD_ID_PREFIX: &str = "rec_";

/// A subject's health status (JSON `"green"`, `"yellow"`, `"red"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// No restriction.
    Green,
    /// Restricted (e.g. awaiting a test).
    Yellow,
    /// Quarantine.
    Red,
}

/// One test result of a subject.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TestResult {
    /// The kind of test (e.g. `nucleic-acid`).
    pub test_type: String,
    /// Its result (e.g. `negative`).
    pub result: String,
    /// When the sample was taken (RFC 3339).
    pub sampled_at: String,
}

/// One vaccination of a subject.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Vaccination {
    /// The vaccine's name.
    pub vaccine: String,
    /// Which dose (1 for the first).
    pub dose: u32,
    /// The date given (`YYYY-MM-DD`).
    pub date: String,
}

/// A subject's record: the personal data credentials are issued from (see the module
/// documentation for the JSON form and its validation).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubjectRecord {
    /// Full name.
    pub name: String,
    /// Birth date (`YYYY-MM-DD`).
    pub birth_date: String,
    /// Identity document number.
    pub document_number: String,
    /// Current health status.
    #[zeroize(skip)]
    pub health_status: HealthStatus,
    /// Test results, oldest first.
    pub test_results: Vec<TestResult>,
    /// Vaccinations, oldest first.
    pub vaccinations: Vec<Vaccination>,
}

/// Why a record is refused. Never carries a value of the record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Not a record's JSON: syntax, a missing or unknown field, a value of the wrong type.
    #[error("malformed record JSON ({category}) at line {line} column {column}")]
    Json {
        /// `syntax`, `data` (wrong shape or type) or `eof` (cut short).
        category: &'static str,
        /// Line of the error (1-based).
        line: usize,
        /// Column of the error (1-based).
        column: usize,
    },
    /// The JSON is larger than [`MAX_RECORD_BYTES`].
    #[error("record JSON larger than {MAX_RECORD_BYTES} bytes")]
    TooLarge,
    /// `name` is empty, too long or holds control characters.
    #[error("invalid name (1 to {MAX_TEXT_CHARS} characters, no control characters)")]
    InvalidName,
    /// `birthDate` is not a `YYYY-MM-DD` calendar date, or is in the future.
    #[error("invalid birthDate (a past calendar date YYYY-MM-DD)")]
    InvalidBirthDate,
    /// `documentNumber` is empty, too long or holds control characters.
    #[error("invalid documentNumber (1 to {MAX_TEXT_CHARS} characters, no control characters)")]
    InvalidDocumentNumber,
    /// A field of a test result is invalid.
    #[error("invalid {field} of testResults[{index}]")]
    InvalidTestResult {
        /// The entry's position.
        index: usize,
        /// The field (`testType`, `result`, `sampledAt`).
        field: &'static str,
    },
    /// A field of a vaccination is invalid.
    #[error("invalid {field} of vaccinations[{index}]")]
    InvalidVaccination {
        /// The entry's position.
        index: usize,
        /// The field (`vaccine`, `dose`, `date`).
        field: &'static str,
    },
    /// More than [`MAX_ENTRIES`] test results or vaccinations.
    #[error("more than {MAX_ENTRIES} entries in {field}")]
    TooManyEntries {
        /// `testResults` or `vaccinations`.
        field: &'static str,
    },
}

fn valid_text(text: &str) -> bool {
    let chars = text.chars().count();
    (1..=MAX_TEXT_CHARS).contains(&chars)
        && !text.trim().is_empty()
        && !text.chars().any(char::is_control)
}

/// A `YYYY-MM-DD` calendar date (exactly that shape: no sign, no other width).
fn parse_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes.iter().enumerate().all(|(at, byte)| match at {
            4 | 7 => *byte == b'-',
            _ => byte.is_ascii_digit(),
        });
    shaped
        .then(|| Date::parse(text, format_description!("[year]-[month]-[day]")).ok())
        .flatten()
}

impl SubjectRecord {
    /// Parses and validates a record's JSON.
    pub fn from_json(json: &[u8]) -> Result<SubjectRecord, RecordError> {
        if json.len() > MAX_RECORD_BYTES {
            return Err(RecordError::TooLarge);
        }
        let record: SubjectRecord = serde_json::from_slice(json).map_err(|err| {
            // serde's message can quote the offending value: keep only where and what kind.
            let category = match err.classify() {
                serde_json::error::Category::Syntax => "syntax",
                serde_json::error::Category::Data => "data",
                serde_json::error::Category::Eof => "eof",
                serde_json::error::Category::Io => "io",
            };
            RecordError::Json {
                category,
                line: err.line(),
                column: err.column(),
            }
        })?;
        record.validate()?;
        Ok(record)
    }

    /// The record's JSON (in a buffer zeroized when dropped).
    pub fn to_json(&self) -> Zeroizing<Vec<u8>> {
        // Sized ahead so the buffer does not reallocate (which would leave copies behind).
        let estimate = 512
            + 2 * (self.name.len() + self.document_number.len())
            + 160 * self.test_results.len()
            + 128 * self.vaccinations.len();
        let mut json = Zeroizing::new(Vec::with_capacity(estimate));
        // Serializing strings and integers into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *json, self);
        json
    }

    /// Checks every field (see the module documentation).
    pub fn validate(&self) -> Result<(), RecordError> {
        if !valid_text(&self.name) {
            return Err(RecordError::InvalidName);
        }
        let today = OffsetDateTime::now_utc().date();
        if parse_date(&self.birth_date).is_none_or(|date| date > today) {
            return Err(RecordError::InvalidBirthDate);
        }
        if !valid_text(&self.document_number) {
            return Err(RecordError::InvalidDocumentNumber);
        }
        if self.test_results.len() > MAX_ENTRIES {
            return Err(RecordError::TooManyEntries {
                field: "testResults",
            });
        }
        if self.vaccinations.len() > MAX_ENTRIES {
            return Err(RecordError::TooManyEntries {
                field: "vaccinations",
            });
        }
        for (index, test) in self.test_results.iter().enumerate() {
            let invalid = |field| RecordError::InvalidTestResult { index, field };
            if !valid_text(&test.test_type) {
                return Err(invalid("testType"));
            }
            if !valid_text(&test.result) {
                return Err(invalid("result"));
            }
            if OffsetDateTime::parse(&test.sampled_at, &Rfc3339).is_err() {
                return Err(invalid("sampledAt"));
            }
        }
        for (index, vaccination) in self.vaccinations.iter().enumerate() {
            let invalid = |field| RecordError::InvalidVaccination { index, field };
            if !valid_text(&vaccination.vaccine) {
                return Err(invalid("vaccine"));
            }
            if vaccination.dose == 0 {
                return Err(invalid("dose"));
            }
            if parse_date(&vaccination.date).is_none() {
                return Err(invalid("date"));
            }
        }
        Ok(())
    }
}

impl fmt::Debug for SubjectRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only the shape: every field is personal (the health status too).
        f.debug_struct("SubjectRecord")
            .field("test_results", &self.test_results.len())
            .field("vaccinations", &self.vaccinations.len())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for TestResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestResult").finish_non_exhaustive()
    }
}

impl fmt::Debug for Vaccination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vaccination").finish_non_exhaustive()
    }
}

/// A malformed record id (the text is not repeated: it came from a caller).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid record id (expected {RECORD_ID_PREFIX} and 22 base64url characters)")]
pub struct InvalidRecordId;

/// A record's id: `rec_` and the 22 base64url characters of 128 random bits. Not personal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RecordId(String);

impl RecordId {
    /// A new random id.
    pub fn generate() -> Result<RecordId, SealingError> {
        let mut bytes = [0u8; 16];
        OsRng
            .try_fill_bytes(&mut bytes)
            .map_err(|_| SealingError::Randomness)?;
        Ok(RecordId(format!(
            "{RECORD_ID_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(bytes)
        )))
    }

    /// Parses an id, checking its syntax (the prefix and 16 bytes in canonical base64url).
    pub fn parse(text: &str) -> Result<RecordId, InvalidRecordId> {
        let encoded = text.strip_prefix(RECORD_ID_PREFIX).ok_or(InvalidRecordId)?;
        if encoded.len() != 22 {
            return Err(InvalidRecordId);
        }
        // The engine refuses non-canonical trailing bits, so one id has one spelling.
        match URL_SAFE_NO_PAD.decode(encoded) {
            Ok(bytes) if bytes.len() == 16 => Ok(RecordId(text.to_owned())),
            _ => Err(InvalidRecordId),
        }
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for RecordId {
    type Err = InvalidRecordId;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        RecordId::parse(text)
    }
}

impl TryFrom<String> for RecordId {
    type Error = InvalidRecordId;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        RecordId::parse(&text)
    }
}

impl From<RecordId> for String {
    fn from(id: RecordId) -> String {
        id.0
    }
}

/// Why a [`RecordBook`] operation failed (no personal value in any message).
#[derive(Debug, thiserror::Error)]
pub enum RecordBookError {
    /// The record is invalid (on `put`), or a stored one no longer is.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Sealing or opening failed (a stored record that does not open is reported here).
    #[error(transparent)]
    Sealing(#[from] SealingError),
    /// A key of the `Records` table is not a record id (the store was written by something
    /// else).
    #[error("the records table holds a key that is not a record id")]
    CorruptId,
    /// Fresh random ids collided with existing ones (the random source is broken).
    #[error("could not allocate a fresh record id")]
    IdCollision,
}

/// The subject records of an [`IssuerStore`], sealed with a [`RecordKey`].
#[derive(Clone, Copy)]
pub struct RecordBook<'a> {
    store: &'a dyn IssuerStore,
    key: &'a RecordKey,
}

impl fmt::Debug for RecordBook<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordBook").finish_non_exhaustive()
    }
}

impl<'a> RecordBook<'a> {
    /// The records of `store`, sealed with `key`.
    pub fn new(store: &'a dyn IssuerStore, key: &'a RecordKey) -> RecordBook<'a> {
        RecordBook { store, key }
    }

    /// Validates and stores `record` under a new id.
    pub fn put(&self, record: &SubjectRecord) -> Result<RecordId, RecordBookError> {
        record.validate()?;
        let json = record.to_json();
        for _ in 0..3 {
            let id = RecordId::generate()?;
            let sealed = self.key.seal(id.as_str().as_bytes(), &json)?;
            if self
                .store
                .insert_new(Table::Records, id.as_str().as_bytes(), &sealed)?
            {
                return Ok(id);
            }
        }
        Err(RecordBookError::IdCollision)
    }

    /// Validates and stores `records` under new ids in **one** atomic write (a batch: one
    /// synced write instead of one per record); answers their ids, in order. Each id is 128
    /// random bits, checked absent before the write.
    pub fn put_many<'r>(
        &self,
        records: impl IntoIterator<Item = &'r SubjectRecord>,
    ) -> Result<Vec<RecordId>, RecordBookError> {
        let mut ids = Vec::new();
        let mut taken = std::collections::HashSet::new();
        let mut ops = Vec::new();
        for record in records {
            record.validate()?;
            let json = record.to_json();
            let mut fresh = None;
            for _ in 0..3 {
                let id = RecordId::generate()?;
                if !taken.contains(&id)
                    && self
                        .store
                        .get(Table::Records, id.as_str().as_bytes())?
                        .is_none()
                {
                    fresh = Some(id);
                    break;
                }
            }
            let id = fresh.ok_or(RecordBookError::IdCollision)?;
            taken.insert(id.clone());
            let sealed = self.key.seal(id.as_str().as_bytes(), &json)?;
            ops.push(WriteOp::Put {
                table: Table::Records,
                key: id.as_str().as_bytes().to_vec(),
                value: sealed,
            });
            ids.push(id);
        }
        self.store.write(&ops)?;
        Ok(ids)
    }

    /// The record of `id`, if any.
    pub fn get(&self, id: &RecordId) -> Result<Option<SubjectRecord>, RecordBookError> {
        let key = id.as_str().as_bytes();
        let Some(sealed) = self.store.get(Table::Records, key)? else {
            return Ok(None);
        };
        let json = self.key.open(key, &sealed)?;
        Ok(Some(SubjectRecord::from_json(&json)?))
    }

    /// Removes the record of `id`; `false` when there was none.
    pub fn delete(&self, id: &RecordId) -> Result<bool, RecordBookError> {
        Ok(self.store.delete(Table::Records, id.as_str().as_bytes())?)
    }

    /// Up to `limit` record ids after `after` (from the first when `None`), in ascending
    /// order.
    pub fn list(
        &self,
        after: Option<&RecordId>,
        limit: usize,
    ) -> Result<Vec<RecordId>, RecordBookError> {
        let entries = self.store.scan(
            Table::Records,
            after.map(|id| id.as_str().as_bytes()),
            limit,
        )?;
        entries
            .into_iter()
            .map(|(key, _)| {
                std::str::from_utf8(&key)
                    .ok()
                    .and_then(|text| RecordId::parse(text).ok())
                    .ok_or(RecordBookError::CorruptId)
            })
            .collect()
    }

    /// How many records are stored.
    pub fn count(&self) -> Result<u64, RecordBookError> {
        Ok(self.store.count(Table::Records)?)
    }
}

#[cfg(test)]
mod tests;
