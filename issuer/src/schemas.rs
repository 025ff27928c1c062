//! The credential schemas the issuer registers on the chain (JSON Schema 2020-12, like
//! WeIdentity's CPT), one per credential type it can issue.
//!
//! A schema's key on the chain is the profile hash of its RFC 8785 canonical form, so anyone
//! can recompute it; a credential names its schema as `{base}/schemas/<hex key>` (`GET`
//! serves the schema text), and a checkpoint checks the key against the chain's
//! `schema/<key>` entry. Registration at start-up is idempotent: a schema already on the
//! chain is not sent again.

use std::collections::BTreeMap;

/// A credential type the issuer can issue: its name (the credential's second `type`, and the
/// scope's credential type), its schema's name and version on the chain, and the schema text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownType {
    /// The credential type.
    pub name: &'static str,
    /// The schema's version.
    pub version: &'static str,
    /// The JSON Schema text.
    pub schema_json: &'static str,
}

/// Every credential type the issuer knows.
pub const KNOWN_TYPES: [KnownType; 3] = [
    KnownType {
        name: "HealthCode",
        version: "1.0",
        schema_json: include_str!("../schemas/health-code.json"),
    },
    KnownType {
        name: "NucleicAcidTestResult",
        version: "1.0",
        schema_json: include_str!("../schemas/nucleic-acid-test-result.json"),
    },
    KnownType {
        name: "Vaccination",
        version: "1.0",
        schema_json: include_str!("../schemas/vaccination.json"),
    },
];

/// The known type called `name`.
pub fn known_type(name: &str) -> Option<&'static KnownType> {
    KNOWN_TYPES.iter().find(|known| known.name == name)
}

/// The registered schemas of the configured credential types: type → key on the chain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schemas(BTreeMap<String, [u8; 32]>);

impl Schemas {
    /// Records that `credential_type`'s schema is on the chain under `key`.
    pub fn insert(&mut self, credential_type: &str, key: [u8; 32]) {
        self.0.insert(credential_type.to_owned(), key);
    }

    /// The chain key of `credential_type`'s schema, if the type is configured.
    pub fn get(&self, credential_type: &str) -> Option<[u8; 32]> {
        self.0.get(credential_type).copied()
    }

    /// The schema text whose chain key is `key`, if it is one of ours.
    pub fn text_of(&self, key: &[u8; 32]) -> Option<&'static str> {
        self.0
            .iter()
            .find(|(_, registered)| *registered == key)
            .and_then(|(name, _)| known_type(name))
            .map(|known| known.schema_json)
    }

    /// The configured credential types.
    pub fn types(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}
