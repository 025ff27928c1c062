//! The published EU DCC JSON schemas, 1.0.0 to 1.3.3, and the choice of the schema a DCC
//! declares.
//!
//! A DCC payload (`hcert[1]`) names the schema version it follows in `ver`, a
//! `major.minor.patch` string (`"1.3.0"`). The schemas are JSON Schema 2020-12 documents
//! (`$defs`, local `$ref`, `oneOf` of `v` / `t` / `r` from 1.3.0 on) and are the format's
//! definition, so they are embedded here as the shipped 1.3.3 schema always was; they are not
//! test vectors. Each file is upstream's `DCC.combined-schema.json` (`DGC.combined-schema.json`
//! before 1.2.1), byte for byte, from GitHub `ehn-dcc-development/eu-dcc-schema` (Apache-2.0,
//! `verifier/schema/LICENSE`) at the release tag of its version:
//!
//! | version | tag commit |
//! |---|---|
//! | 1.0.0 | `02bf437b1f2efe80982e3172a85a757e549b3c64` |
//! | 1.0.1 | `d23e67eaaee1515b1fc91f768f0d46666123cb3e` |
//! | 1.1.0 | `1210735c6c26c8d9073aba72dc52b95f49d4b507` |
//! | 1.2.0 | `f41726f5ffd2c5e802eaeea6fac2b978244eb288` |
//! | 1.2.1 | `90ff734ed09b250e88cae4b2ea09596965a4d7c1` |
//! | 1.3.0 | `a603410d760fefc9073931c8c807759d9714c136` |
//! | 1.3.1 | `178c59b82726449311ecf4b007d0db80e8f72fdc` |
//! | 1.3.2 | `ef944bb2a5b53d669c6b0d21a4371a65330813e2` |
//! | 1.3.3 | `ce3aa131e5356b0a0a13d268483648cca76820d0` (unchanged at `9fe38ededb7922644d95743ac31fa04b182f3536`) |
//!
//! Choice: the schema of exactly the declared version; else the newest published patch release
//! of the same `major.minor` (the schema's semantic versioning keeps patch releases
//! backward-compatible: `1.0.4`, found in issued DCCs, is checked against 1.0.1); else a typed
//! [`SchemaVersionError`] — no schema of another minor or major version is guessed.

use std::fmt;
use std::sync::OnceLock;

use serde_json::Value;

use crate::schema::{JsonSchema, SchemaViolation};

/// Every published schema: `(version, upstream file text)`, oldest first.
pub const PUBLISHED: [(&str, &str); 9] = [
    (
        "1.0.0",
        include_str!("../schema/1.0.0/DGC.combined-schema.json"),
    ),
    (
        "1.0.1",
        include_str!("../schema/1.0.1/DGC.combined-schema.json"),
    ),
    (
        "1.1.0",
        include_str!("../schema/1.1.0/DGC.combined-schema.json"),
    ),
    (
        "1.2.0",
        include_str!("../schema/1.2.0/DGC.combined-schema.json"),
    ),
    (
        "1.2.1",
        include_str!("../schema/1.2.1/DCC.combined-schema.json"),
    ),
    (
        "1.3.0",
        include_str!("../schema/1.3.0/DCC.combined-schema.json"),
    ),
    (
        "1.3.1",
        include_str!("../schema/1.3.1/DCC.combined-schema.json"),
    ),
    (
        "1.3.2",
        include_str!("../schema/1.3.2/DCC.combined-schema.json"),
    ),
    (
        "1.3.3",
        include_str!("../schema/1.3.3/DCC.combined-schema.json"),
    ),
];

/// Why no schema could be chosen for a DCC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaVersionError {
    /// The payload has no `ver` string.
    #[error("the DCC declares no schema version (ver)")]
    Missing,
    /// `ver` is not `major.minor.patch` (decimal numbers).
    #[error("DCC schema version {0:?} is not major.minor.patch")]
    Malformed(String),
    /// No schema of this `major.minor` was published.
    #[error("no published DCC schema for version {declared} (published: {published})")]
    Unknown {
        /// The declared version.
        declared: String,
        /// The published versions, comma-separated.
        published: String,
    },
}

/// A schema version, `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SchemaVersion {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
    /// Patch version.
    pub patch: u32,
}

impl SchemaVersion {
    /// Parse `major.minor.patch` (decimal digits only, no sign, no suffix).
    pub fn parse(text: &str) -> Result<Self, SchemaVersionError> {
        let malformed = || SchemaVersionError::Malformed(text.to_owned());
        let mut parts = text.split('.').map(|part| {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed());
            }
            part.parse::<u32>().map_err(|_| malformed())
        });
        let (Some(major), Some(minor), Some(patch), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed());
        };
        Ok(Self {
            major: major?,
            minor: minor?,
            patch: patch?,
        })
    }
}

impl fmt::Display for SchemaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The result of validating a DCC against the schema it declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaCheck {
    /// The version the DCC declares.
    pub declared: SchemaVersion,
    /// The published schema it was validated against.
    pub used: SchemaVersion,
    /// The violations found (empty: valid).
    pub violations: Vec<SchemaViolation>,
}

/// A set of DCC schemas by version.
#[derive(Debug)]
pub struct DccSchemas {
    schemas: Vec<(SchemaVersion, JsonSchema)>,
}

impl DccSchemas {
    /// The published schemas ([`PUBLISHED`]), compiled once per process.
    pub fn published() -> &'static Self {
        static PUBLISHED_SET: OnceLock<DccSchemas> = OnceLock::new();
        PUBLISHED_SET.get_or_init(|| Self {
            schemas: PUBLISHED
                .iter()
                .filter_map(|(version, text)| {
                    Some((
                        SchemaVersion::parse(version).ok()?,
                        JsonSchema::from_slice(text.as_bytes()).ok()?,
                    ))
                })
                .collect(),
        })
    }

    /// The versions held, oldest first.
    pub fn versions(&self) -> Vec<SchemaVersion> {
        self.schemas.iter().map(|(v, _)| *v).collect()
    }

    /// The schema for a declared version: that version, else the newest patch release of its
    /// `major.minor`.
    pub fn resolve(
        &self,
        declared: &str,
    ) -> Result<(SchemaVersion, &JsonSchema), SchemaVersionError> {
        let wanted = SchemaVersion::parse(declared)?;
        let exact = self.schemas.iter().find(|(v, _)| *v == wanted);
        let same_minor = || {
            self.schemas
                .iter()
                .filter(|(v, _)| v.major == wanted.major && v.minor == wanted.minor)
                .max_by_key(|(v, _)| *v)
        };
        exact
            .or_else(same_minor)
            .map(|(v, schema)| (*v, schema))
            .ok_or_else(|| SchemaVersionError::Unknown {
                declared: declared.to_owned(),
                published: self
                    .versions()
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// Validate a DCC payload against the schema of the version in its `ver`.
    pub fn validate(&self, dcc: &Value) -> Result<SchemaCheck, SchemaVersionError> {
        let declared = dcc
            .get("ver")
            .and_then(Value::as_str)
            .ok_or(SchemaVersionError::Missing)?;
        let (used, schema) = self.resolve(declared)?;
        Ok(SchemaCheck {
            declared: SchemaVersion::parse(declared)?,
            used,
            violations: schema.validate(dcc),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_published_schema_is_compiled_and_states_its_own_version() {
        let set = DccSchemas::published();
        assert_eq!(set.versions().len(), PUBLISHED.len());
        for (version, text) in PUBLISHED {
            let schema: Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                schema["$comment"],
                json!(format!("Schema version {version}"))
            );
        }
    }

    #[test]
    fn a_declared_version_picks_its_own_schema_or_the_newest_patch_of_its_minor() {
        let set = DccSchemas::published();
        let used = |v: &str| set.resolve(v).map(|(used, _)| used.to_string());
        assert_eq!(used("1.0.0").unwrap(), "1.0.0");
        assert_eq!(used("1.2.0").unwrap(), "1.2.0");
        assert_eq!(used("1.3.2").unwrap(), "1.3.2");
        assert_eq!(used("1.0.4").unwrap(), "1.0.1");
        assert_eq!(used("1.3.9").unwrap(), "1.3.3");
        assert!(matches!(
            set.resolve("1.4.0"),
            Err(SchemaVersionError::Unknown { declared, .. }) if declared == "1.4.0"
        ));
        assert!(matches!(
            set.resolve("2.0.0"),
            Err(SchemaVersionError::Unknown { .. })
        ));
    }

    #[test]
    fn a_version_that_is_not_major_minor_patch_is_malformed() {
        for text in [
            "1.3", "1.3.0.1", "v1.3.0", "1.3.x", "1..0", "", "1.3.-1", "+1.3.0",
        ] {
            assert_eq!(
                SchemaVersion::parse(text),
                Err(SchemaVersionError::Malformed(text.to_owned())),
                "{text}"
            );
        }
        assert!(matches!(
            DccSchemas::published().validate(&json!({"ver": 1.3})),
            Err(SchemaVersionError::Missing)
        ));
        assert!(matches!(
            DccSchemas::published().validate(&json!({"nam": {}})),
            Err(SchemaVersionError::Missing)
        ));
    }

    #[test]
    fn a_payload_is_judged_by_the_schema_it_declares() {
        // 1.0.0 allowed several entry types side by side; 1.3.0 requires exactly one of v/t/r.
        let payload = |ver: &str| {
            json!({
                "ver": ver,
                "nam": {"fnt": "MUSTERFRAU"},
                "dob": "1964-08-12",
                "v": [{"tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528",
                       "ma": "ORG-100030215", "dn": 1, "sd": 2, "dt": "2021-05-20", "co": "AT",
                       "is": "Ministry of Health, Austria", "ci": "URN:UVCI:01:AT:1234#B"}],
                "r": [{"tg": "840539006", "fr": "2021-02-20", "co": "AT",
                       "is": "Ministry of Health, Austria", "df": "2021-03-01",
                       "du": "2021-08-20", "ci": "URN:UVCI:01:AT:5678#C"}]
            })
        };
        let set = DccSchemas::published();
        let old = set.validate(&payload("1.0.0")).unwrap();
        assert_eq!(old.used.to_string(), "1.0.0");
        assert!(old.violations.is_empty(), "{:?}", old.violations);
        let new = set.validate(&payload("1.3.0")).unwrap();
        assert_eq!(new.used.to_string(), "1.3.0");
        assert!(
            new.violations.iter().any(|v| v.message.contains("oneOf")),
            "{:?}",
            new.violations
        );
    }
}
