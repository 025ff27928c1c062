//! W3C Bitstring Status List v1.0 (W3C Recommendation, 2025-05-15,
//! <https://www.w3.org/TR/vc-bitstring-status-list/>): the status lists an issuer publishes to
//! revoke and suspend credentials, and the entries credentials carry to point into them.
//!
//! Core owns the format because both sides need it: the issuer encodes lists, a checkpoint
//! decodes them (offline, from a cache).
//!
//! **The list** (§ Bitstring Encoding, § Bitstring Generation Algorithm, § Bitstring Expansion
//! Algorithm): a [`Bitstring`] of `N` entries of `statusSize` 1 bit each, `N` ≥ 131,072
//! ([`MIN_ENTRIES`], 16 KiB uncompressed) and a whole number of bytes. Index 0 is the
//! **left-most bit**: entry `i` is bit `7 - i % 8` (the most significant bit first) of byte
//! `i / 8`. A set bit means the purpose applies (revoked, suspended).
//!
//! ```text
//! encodedList = "u" base64url-no-padding( GZIP( bytes ) )     ; RFC 4648 §5, RFC 1952
//! ```
//!
//! `"u"` is the multibase prefix of base64url without padding. [`Bitstring::decode`] takes
//! exactly that: the prefix, strict base64url without padding, one GZIP member inflated with
//! a bound of [`MAX_DECODED_BYTES`] (16 MiB, a decompression-bomb guard, through the one
//! bounded inflate [`crate::envelope::inflate::inflate_gzip`]), then the length check.
//!
//! **The entry** (§ BitstringStatusListEntry), one object of a credential's `credentialStatus`:
//! `type` `BitstringStatusListEntry`, `statusPurpose` (`revocation`, `suspension`, `refresh`,
//! `message`; other values kept as [`StatusPurpose::Unknown`]), `statusListIndex` (a base-10
//! string; here at most [`u32::MAX`]), `statusListCredential` (the URL of the list
//! credential), optional `id` and `statusSize` (default 1; only 1 is supported).
//!
//! **The list credential** (§ BitstringStatusListCredential): a credential of type
//! `BitstringStatusListCredential` whose `credentialSubject` has `type` `BitstringStatusList`,
//! `statusPurpose` and `encodedList` ([`BitstringStatusList::from_credential`]).
//!
//! **Errors** (§ Processing Errors): every failure is a typed [`StatusListError`];
//! [`StatusListError::spec_error`] names the specification's error it is an instance of:
//! `STATUS_LIST_LENGTH_ERROR` (a list shorter than 131,072 entries), `RANGE_ERROR` (an index
//! past the end of the list), and `STATUS_VERIFICATION_ERROR` for a list or an entry that
//! cannot be decoded or does not match (`STATUS_RETRIEVAL_ERROR`, fetching the list, belongs to
//! the caller).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use std::fmt;
use std::io::Write as _;

use crate::envelope::inflate::{self, InflateError};
use crate::vc::{Credential, CredentialStatus, OneOrMany, is_url};

/// The least number of entries of a list (16 KiB of bits, § Bitstring Generation Algorithm).
pub const MIN_ENTRIES: usize = 131_072;
/// The largest uncompressed list [`Bitstring::decode`] accepts, in bytes (16 MiB).
pub const MAX_DECODED_BYTES: usize = 16 * 1024 * 1024;
/// The longest `encodedList` text [`Bitstring::decode`] reads (a random list of
/// [`MAX_DECODED_BYTES`] compresses to about that size, base64url adds a third).
pub const MAX_ENCODED_LEN: usize = 24 * 1024 * 1024;
/// The multibase prefix of base64url without padding.
pub const MULTIBASE_BASE64URL: char = 'u';
/// The `type` of a status entry.
pub const ENTRY_TYPE: &str = "BitstringStatusListEntry";
/// The `type` (besides `VerifiableCredential`) of a list credential.
pub const CREDENTIAL_TYPE: &str = "BitstringStatusListCredential";
/// The `type` of a list credential's subject.
pub const LIST_TYPE: &str = "BitstringStatusList";

/// The specification's error an error is an instance of (§ Processing Errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecError {
    /// `STATUS_VERIFICATION_ERROR`: the list or entry cannot be decoded or does not match.
    StatusVerification,
    /// `STATUS_LIST_LENGTH_ERROR`: the list is shorter than the minimum.
    StatusListLength,
    /// `RANGE_ERROR`: the index is past the end of the list.
    Range,
}

impl SpecError {
    /// The specification's name of the error.
    pub fn code(self) -> &'static str {
        match self {
            SpecError::StatusVerification => "STATUS_VERIFICATION_ERROR",
            SpecError::StatusListLength => "STATUS_LIST_LENGTH_ERROR",
            SpecError::Range => "RANGE_ERROR",
        }
    }
}

/// Why a status list or a status entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusListError {
    /// `encodedList` does not start with the multibase prefix `u` (base64url, no padding).
    #[error("the encoded list is not multibase base64url (prefix `u`)")]
    NotBase64Url,
    /// `encodedList` is longer than [`MAX_ENCODED_LEN`].
    #[error("the encoded list is longer than {limit} characters")]
    EncodedTooLong {
        /// The limit.
        limit: usize,
    },
    /// `encodedList` is not strict base64url without padding.
    #[error("the encoded list is not base64url without padding: {0}")]
    Base64(String),
    /// The GZIP stream is invalid, truncated, followed by bytes, or expands past
    /// [`MAX_DECODED_BYTES`] ([`InflateError::TooLarge`]: a decompression bomb).
    #[error("the encoded list does not decompress: {0}")]
    Inflate(InflateError),
    /// Compressing a list failed (writing to memory; not expected).
    #[error("the list does not compress: {0}")]
    Compress(String),
    /// The list has fewer than [`MIN_ENTRIES`] entries, or not a whole number of bytes.
    #[error("the list has {entries} entries; at least {minimum} in whole bytes are required")]
    Length {
        /// The entries of the list.
        entries: usize,
        /// [`MIN_ENTRIES`].
        minimum: usize,
    },
    /// An index past the end of the list.
    #[error("index {index} is outside the list of {entries} entries")]
    Range {
        /// The index.
        index: u64,
        /// The entries of the list.
        entries: usize,
    },
    /// A status entry or a list credential lacks a property or has a wrong one.
    #[error("invalid {property}: {reason}")]
    Invalid {
        /// The property (`statusListIndex`, `credentialSubject.encodedList`, …).
        property: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The entry's `statusPurpose` is not the list's.
    #[error("the entry's purpose {entry} is not the list's purpose {list}")]
    PurposeMismatch {
        /// The entry's purpose.
        entry: StatusPurpose,
        /// The list's purpose.
        list: StatusPurpose,
    },
}

impl StatusListError {
    /// The specification's error this is an instance of.
    pub fn spec_error(&self) -> SpecError {
        match self {
            StatusListError::Length { .. } => SpecError::StatusListLength,
            StatusListError::Range { .. } => SpecError::Range,
            _ => SpecError::StatusVerification,
        }
    }
}

/// What a list's set bits mean (`statusPurpose`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StatusPurpose {
    /// `revocation`: cancelled for good.
    Revocation,
    /// `suspension`: on hold, may be reinstated.
    Suspension,
    /// `refresh`: a newer version of the credential is available.
    Refresh,
    /// `message`: a status message (needs `statusSize` > 1; not supported for decoding).
    Message,
    /// Any other value, kept as given.
    Unknown(String),
}

impl StatusPurpose {
    /// The purpose of the text `text` (unknown values kept).
    pub fn parse(text: &str) -> StatusPurpose {
        match text {
            "revocation" => StatusPurpose::Revocation,
            "suspension" => StatusPurpose::Suspension,
            "refresh" => StatusPurpose::Refresh,
            "message" => StatusPurpose::Message,
            other => StatusPurpose::Unknown(other.to_owned()),
        }
    }

    /// The purpose's text.
    pub fn as_str(&self) -> &str {
        match self {
            StatusPurpose::Revocation => "revocation",
            StatusPurpose::Suspension => "suspension",
            StatusPurpose::Refresh => "refresh",
            StatusPurpose::Message => "message",
            StatusPurpose::Unknown(text) => text,
        }
    }
}

impl fmt::Display for StatusPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status list of one bit per entry, index 0 the left-most bit (see the module docs).
#[derive(Clone, PartialEq, Eq)]
pub struct Bitstring {
    bytes: Vec<u8>,
}

impl fmt::Debug for Bitstring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bitstring")
            .field("entries", &self.len())
            .field("set", &self.count_set())
            .finish()
    }
}

impl Bitstring {
    /// A list of `entries` clear bits: at least [`MIN_ENTRIES`], a multiple of 8.
    pub fn new(entries: usize) -> Result<Bitstring, StatusListError> {
        check_length(entries)?;
        Ok(Bitstring {
            bytes: vec![0; entries / 8],
        })
    }

    /// The list whose uncompressed bytes are `bytes` (index 0 the most significant bit of
    /// `bytes[0]`); at least [`MIN_ENTRIES`] / 8 bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Bitstring, StatusListError> {
        check_length(bytes.len().saturating_mul(8))?;
        Ok(Bitstring { bytes })
    }

    /// The uncompressed bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.bytes.len() * 8
    }

    /// Always false: a list has at least [`MIN_ENTRIES`] entries.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// How many bits are set.
    pub fn count_set(&self) -> usize {
        self.bytes
            .iter()
            .map(|byte| byte.count_ones() as usize)
            .sum()
    }

    /// The bit at `index` ([`StatusListError::Range`] past the end).
    pub fn get(&self, index: u64) -> Result<bool, StatusListError> {
        let (byte, mask) = self.position(index)?;
        Ok(self.bytes[byte] & mask != 0)
    }

    /// Sets the bit at `index` to `value` ([`StatusListError::Range`] past the end).
    pub fn set(&mut self, index: u64, value: bool) -> Result<(), StatusListError> {
        let (byte, mask) = self.position(index)?;
        if value {
            self.bytes[byte] |= mask;
        } else {
            self.bytes[byte] &= !mask;
        }
        Ok(())
    }

    /// The byte and the bit mask of `index`: the left-most bit first.
    fn position(&self, index: u64) -> Result<(usize, u8), StatusListError> {
        let range = StatusListError::Range {
            index,
            entries: self.len(),
        };
        let at = usize::try_from(index).map_err(|_| range.clone())?;
        if at >= self.len() {
            return Err(range);
        }
        Ok((at / 8, 0x80 >> (at % 8)))
    }

    /// The `encodedList` text: `u` ‖ base64url-no-padding(GZIP(bytes)).
    pub fn encode(&self) -> Result<String, StatusListError> {
        let mut encoder = flate2::write::GzEncoder::new(
            Vec::with_capacity(self.bytes.len() / 8),
            flate2::Compression::best(),
        );
        encoder
            .write_all(&self.bytes)
            .map_err(|err| StatusListError::Compress(err.to_string()))?;
        let compressed = encoder
            .finish()
            .map_err(|err| StatusListError::Compress(err.to_string()))?;
        Ok(format!(
            "{MULTIBASE_BASE64URL}{}",
            URL_SAFE_NO_PAD.encode(compressed)
        ))
    }

    /// Decodes an `encodedList` text (see the module docs for what is checked).
    pub fn decode(text: &str) -> Result<Bitstring, StatusListError> {
        if text.len() > MAX_ENCODED_LEN {
            return Err(StatusListError::EncodedTooLong {
                limit: MAX_ENCODED_LEN,
            });
        }
        let body = text
            .strip_prefix(MULTIBASE_BASE64URL)
            .ok_or(StatusListError::NotBase64Url)?;
        let compressed = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|err| StatusListError::Base64(err.to_string()))?;
        let bytes = inflate::inflate_gzip(&compressed, MAX_DECODED_BYTES)
            .map_err(StatusListError::Inflate)?;
        Bitstring::from_bytes(bytes)
    }
}

fn check_length(entries: usize) -> Result<(), StatusListError> {
    if entries < MIN_ENTRIES || !entries.is_multiple_of(8) {
        return Err(StatusListError::Length {
            entries,
            minimum: MIN_ENTRIES,
        });
    }
    Ok(())
}

/// A `credentialStatus` entry of type `BitstringStatusListEntry` (§ BitstringStatusListEntry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitstringStatusListEntry {
    /// `id`, if any (a URL).
    pub id: Option<String>,
    /// `statusPurpose`.
    pub status_purpose: StatusPurpose,
    /// `statusListIndex` (a base-10 string in the JSON).
    pub status_list_index: u32,
    /// `statusListCredential`: the URL of the list credential.
    pub status_list_credential: String,
}

impl BitstringStatusListEntry {
    /// Parses one `credentialStatus` object of type `BitstringStatusListEntry`.
    pub fn from_value(value: &Value) -> Result<BitstringStatusListEntry, StatusListError> {
        let object = value.as_object().ok_or(StatusListError::Invalid {
            property: "credentialStatus",
            reason: "must be an object",
        })?;
        if !type_includes(object.get("type"), ENTRY_TYPE) {
            return Err(StatusListError::Invalid {
                property: "credentialStatus.type",
                reason: "must be BitstringStatusListEntry",
            });
        }
        let id = match object.get("id") {
            None => None,
            Some(Value::String(id)) if is_url(id) => Some(id.clone()),
            Some(_) => {
                return Err(StatusListError::Invalid {
                    property: "credentialStatus.id",
                    reason: "must be a URL",
                });
            }
        };
        let status_purpose = StatusPurpose::parse(string_member(
            object,
            "statusPurpose",
            "credentialStatus.statusPurpose",
        )?);
        let status_list_index = parse_index(string_member(
            object,
            "statusListIndex",
            "credentialStatus.statusListIndex",
        )?)?;
        let status_list_credential = string_member(
            object,
            "statusListCredential",
            "credentialStatus.statusListCredential",
        )?;
        if !is_url(status_list_credential) {
            return Err(StatusListError::Invalid {
                property: "credentialStatus.statusListCredential",
                reason: "must be a URL",
            });
        }
        match object.get("statusSize") {
            None => {}
            Some(size) if size.as_u64() == Some(1) => {}
            Some(_) => {
                return Err(StatusListError::Invalid {
                    property: "credentialStatus.statusSize",
                    reason: "only a status size of 1 is supported",
                });
            }
        }
        Ok(BitstringStatusListEntry {
            id,
            status_purpose,
            status_list_index,
            status_list_credential: status_list_credential.to_owned(),
        })
    }

    /// Parses a credential's `credentialStatus` entry (typed by [`crate::vc`]).
    pub fn from_status(
        status: &CredentialStatus,
    ) -> Result<BitstringStatusListEntry, StatusListError> {
        let mut object = status.extra.clone();
        if let Some(id) = &status.id {
            object.insert("id".into(), Value::String(id.clone()));
        }
        object.insert(
            "type".into(),
            match &status.types {
                OneOrMany::One(one) => Value::String(one.clone()),
                OneOrMany::Many(many) => {
                    Value::Array(many.iter().cloned().map(Value::String).collect())
                }
            },
        );
        BitstringStatusListEntry::from_value(&Value::Object(object))
    }

    /// The `BitstringStatusListEntry` entries of a credential's `credentialStatus` (entries of
    /// other types are skipped; a malformed entry of this type is an error).
    pub fn entries_of(
        credential: &Credential,
    ) -> Result<Vec<BitstringStatusListEntry>, StatusListError> {
        let Some(statuses) = &credential.credential_status else {
            return Ok(Vec::new());
        };
        statuses
            .iter()
            .filter(|status| status.types.iter().any(|t| t == ENTRY_TYPE))
            .map(BitstringStatusListEntry::from_status)
            .collect()
    }

    /// The entry as a `credentialStatus` JSON object.
    pub fn to_value(&self) -> Value {
        let mut object = Map::new();
        if let Some(id) = &self.id {
            object.insert("id".into(), Value::String(id.clone()));
        }
        object.insert("type".into(), Value::String(ENTRY_TYPE.into()));
        object.insert(
            "statusPurpose".into(),
            Value::String(self.status_purpose.as_str().into()),
        );
        object.insert(
            "statusListIndex".into(),
            Value::String(self.status_list_index.to_string()),
        );
        object.insert(
            "statusListCredential".into(),
            Value::String(self.status_list_credential.clone()),
        );
        Value::Object(object)
    }
}

/// A decoded list credential's subject: its purpose and its list (§ BitstringStatusListCredential).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitstringStatusList {
    /// The subject's `id`, if any.
    pub id: Option<String>,
    /// `statusPurpose`.
    pub status_purpose: StatusPurpose,
    /// The decoded `encodedList`.
    pub list: Bitstring,
}

impl BitstringStatusList {
    /// Reads the list of a `BitstringStatusListCredential` (whose proof the caller has
    /// verified): the credential type, one subject of type `BitstringStatusList`, its purpose
    /// and its decoded list.
    pub fn from_credential(
        credential: &Credential,
    ) -> Result<BitstringStatusList, StatusListError> {
        if !credential.types.iter().any(|t| t == CREDENTIAL_TYPE) {
            return Err(StatusListError::Invalid {
                property: "type",
                reason: "must include BitstringStatusListCredential",
            });
        }
        let subject = match &credential.credential_subject {
            OneOrMany::One(subject) => subject,
            OneOrMany::Many(many) if many.len() == 1 => &many[0],
            OneOrMany::Many(_) => {
                return Err(StatusListError::Invalid {
                    property: "credentialSubject",
                    reason: "must be one object",
                });
            }
        };
        if !type_includes(subject.get("type"), LIST_TYPE) {
            return Err(StatusListError::Invalid {
                property: "credentialSubject.type",
                reason: "must be BitstringStatusList",
            });
        }
        let status_purpose = StatusPurpose::parse(string_member(
            subject,
            "statusPurpose",
            "credentialSubject.statusPurpose",
        )?);
        let list = Bitstring::decode(string_member(
            subject,
            "encodedList",
            "credentialSubject.encodedList",
        )?)?;
        Ok(BitstringStatusList {
            id: subject.get("id").and_then(Value::as_str).map(str::to_owned),
            status_purpose,
            list,
        })
    }

    /// The status an entry points at in this list (§ Validate Algorithm): its purpose must be
    /// the list's, its index inside the list.
    pub fn status_of(&self, entry: &BitstringStatusListEntry) -> Result<bool, StatusListError> {
        if entry.status_purpose != self.status_purpose {
            return Err(StatusListError::PurposeMismatch {
                entry: entry.status_purpose.clone(),
                list: self.status_purpose.clone(),
            });
        }
        self.list.get(u64::from(entry.status_list_index))
    }
}

/// Parses `statusListIndex`: ASCII digits only (base 10), at most [`u32::MAX`].
fn parse_index(text: &str) -> Result<u32, StatusListError> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(StatusListError::Invalid {
            property: "credentialStatus.statusListIndex",
            reason: "must be a base-10 string of digits",
        });
    }
    text.parse::<u32>().map_err(|_| StatusListError::Invalid {
        property: "credentialStatus.statusListIndex",
        reason: "must be at most 4294967295",
    })
}

fn string_member<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    property: &'static str,
) -> Result<&'a str, StatusListError> {
    match object.get(name) {
        Some(Value::String(text)) => Ok(text),
        None => Err(StatusListError::Invalid {
            property,
            reason: "missing",
        }),
        Some(_) => Err(StatusListError::Invalid {
            property,
            reason: "must be a string",
        }),
    }
}

/// True when a `type` value (a string or an array of strings) includes `name`.
fn type_includes(types: Option<&Value>, name: &str) -> bool {
    match types {
        Some(Value::String(one)) => one == name,
        Some(Value::Array(many)) => many.iter().any(|t| t.as_str() == Some(name)),
        _ => false,
    }
}
