//! The checkpoint **trust cache**: a [`KeyResolver`] over a static map of verification-method
//! DID URLs (e.g. an authority's registry key `did:crosscode:<network>:<id>#key-1`) to public
//! keys, with the relationships each key is authorised for and the time it was in force,
//! falling back to offline `did:key` resolution for every other method.
//!
//! Until the registry chain serves keys, a checkpoint loads the map from a JSON file
//! (docs/trust-cache.md):
//!
//! ```json
//! {"verificationMethods": {
//!   "did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB#key-1": "zUC7…",
//!   "did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB#key-2": {
//!     "publicKeyMultibase": "z6Mk…",
//!     "relationships": ["assertionMethod"],
//!     "validFrom": "2026-01-01T00:00:00Z",
//!     "validUntil": "2026-06-01T00:00:00Z"
//!   },
//!   "did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB#key-3": [ {…}, {…} ]
//! }}
//! ```
//!
//! A value is the key's `Multikey` `publicKeyMultibase` (an issuing key: `assertionMethod`,
//! always in force), an object that also names its `relationships` (default
//! `["assertionMethod"]`) and the window it was in force (`validFrom` inclusive, `validUntil`
//! exclusive, RFC 3339; either may be absent), or an array of such objects when the key under
//! one fragment was replaced. Other top-level members are ignored (room for the chain's proofs
//! later). Every entry is validated when the file is loaded, so resolution itself never
//! decodes untrusted text.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{DidError, DidKeyResolver, DidUrl, KeyResolver, VerificationRelationship};
use crate::keys::PublicKey;
use crate::multicodec::{MulticodecError, decode_multikey, encode_multikey};

/// The member of a trust-cache file that holds the map of verification methods.
pub const VERIFICATION_METHODS_MEMBER: &str = "verificationMethods";

/// Errors of loading or merging a trust cache.
#[derive(Debug, thiserror::Error)]
pub enum TrustCacheError {
    /// The file could not be read.
    #[error("cannot read trust cache {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The text is not JSON of the form `{"verificationMethods": {DIDURL: multibase, …}}`.
    #[error("malformed trust cache: {reason}")]
    Malformed {
        /// What is wrong (the JSON parser's message).
        reason: String,
    },
    /// A key of the map is not a valid DID URL.
    #[error("trust cache entry {id:?}: {source}")]
    InvalidVerificationMethod {
        /// The entry (at most 80 characters of it).
        id: String,
        /// Why it is not a DID URL.
        source: DidError,
    },
    /// A key of the map is a DID URL but does not name a verification method: it must be
    /// `DID#fragment`, without a path or query.
    #[error(
        "trust cache entry {id:?} is not a verification method (DID#fragment, no path or query)"
    )]
    NotAVerificationMethod {
        /// The entry (at most 80 characters of it).
        id: String,
    },
    /// A value of the map is not a valid `publicKeyMultibase` of a supported key type.
    #[error("trust cache entry {id:?}: public key: {source}")]
    InvalidPublicKey {
        /// The entry (at most 80 characters of it).
        id: String,
        /// Why the key does not decode.
        source: MulticodecError,
    },
    /// A value of the map is neither a multibase key, an entry object nor an array of entry
    /// objects, or an entry's `relationships` / `validFrom` / `validUntil` is malformed.
    #[error("trust cache entry {id:?}: {reason}")]
    InvalidEntry {
        /// The entry (at most 80 characters of it).
        id: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// Two caches being merged give different keys for the same verification method.
    #[error("trust cache entry {id:?} has two different keys")]
    ConflictingEntry {
        /// The entry (at most 80 characters of it).
        id: String,
    },
}

fn shorten(text: &str) -> String {
    text.chars().take(80).collect()
}

#[derive(Deserialize)]
struct TrustCacheFile {
    #[serde(rename = "verificationMethods")]
    verification_methods: BTreeMap<String, Value>,
}

/// One key a verification method held: the key, what it is authorised for and when it was in
/// force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    /// The public key.
    pub key: PublicKey,
    /// The relationships the method is listed under (never empty).
    pub relationships: Vec<VerificationRelationship>,
    /// In force from this instant (inclusive); `None`: from the start.
    pub valid_from: Option<OffsetDateTime>,
    /// In force until this instant (exclusive); `None`: still in force.
    pub valid_until: Option<OffsetDateTime>,
}

impl TrustedKey {
    /// An issuing key: `assertionMethod`, always in force (the short form of a cache entry).
    pub fn issuing(key: PublicKey) -> TrustedKey {
        TrustedKey {
            key,
            relationships: vec![VerificationRelationship::AssertionMethod],
            valid_from: None,
            valid_until: None,
        }
    }

    /// True when the key was in force at `at` (`None`: is still in force).
    pub fn in_force_at(&self, at: Option<OffsetDateTime>) -> bool {
        match at {
            None => self.valid_until.is_none(),
            Some(at) => {
                self.valid_from.is_none_or(|from| from <= at)
                    && self.valid_until.is_none_or(|until| at < until)
            }
        }
    }

    fn is_short_form(&self) -> bool {
        self.relationships == [VerificationRelationship::AssertionMethod]
            && self.valid_from.is_none()
            && self.valid_until.is_none()
    }

    fn to_json(&self) -> Value {
        let key = Value::String(encode_multikey(&self.key));
        if self.is_short_form() {
            return key;
        }
        let mut entry = Map::new();
        entry.insert("publicKeyMultibase".into(), key);
        entry.insert(
            "relationships".into(),
            Value::Array(
                self.relationships
                    .iter()
                    .map(|relationship| Value::String(relationship.name().into()))
                    .collect(),
            ),
        );
        for (name, instant) in [
            ("validFrom", self.valid_from),
            ("validUntil", self.valid_until),
        ] {
            if let Some(text) = instant.and_then(|instant| instant.format(&Rfc3339).ok()) {
                entry.insert(name.into(), Value::String(text));
            }
        }
        Value::Object(entry)
    }

    fn from_json(id: &str, value: &Value) -> Result<TrustedKey, TrustCacheError> {
        let invalid = |reason| TrustCacheError::InvalidEntry {
            id: shorten(id),
            reason,
        };
        let decode = |multibase: &str| {
            decode_multikey(multibase).map_err(|source| TrustCacheError::InvalidPublicKey {
                id: shorten(id),
                source,
            })
        };
        let entry = match value {
            Value::String(multibase) => return Ok(TrustedKey::issuing(decode(multibase)?)),
            Value::Object(entry) => entry,
            _ => {
                return Err(invalid(
                    "not a multibase key, an entry object or an array of them",
                ));
            }
        };
        if entry.keys().any(|name| {
            ![
                "publicKeyMultibase",
                "relationships",
                "validFrom",
                "validUntil",
            ]
            .contains(&name.as_str())
        }) {
            return Err(invalid(
                "unknown member (publicKeyMultibase, relationships, validFrom, validUntil)",
            ));
        }
        let key = match entry.get("publicKeyMultibase") {
            Some(Value::String(multibase)) => decode(multibase)?,
            _ => return Err(invalid("publicKeyMultibase is missing or not a string")),
        };
        let relationships = match entry.get("relationships") {
            None => vec![VerificationRelationship::AssertionMethod],
            Some(Value::Array(names)) if !names.is_empty() => {
                let mut relationships = Vec::with_capacity(names.len());
                for name in names {
                    let relationship = name
                        .as_str()
                        .and_then(VerificationRelationship::from_name)
                        .ok_or(invalid("relationships names an unknown relationship"))?;
                    if !relationships.contains(&relationship) {
                        relationships.push(relationship);
                    }
                }
                relationships
            }
            Some(_) => return Err(invalid("relationships is not a non-empty array of names")),
        };
        let instant = |name: &'static str, reason| match entry.get(name) {
            None => Ok(None),
            Some(Value::String(text)) => OffsetDateTime::parse(text, &Rfc3339)
                .map(Some)
                .map_err(|_| invalid(reason)),
            Some(_) => Err(invalid(reason)),
        };
        let valid_from = instant("validFrom", "validFrom is not an RFC 3339 date-time")?;
        let valid_until = instant("validUntil", "validUntil is not an RFC 3339 date-time")?;
        if let (Some(from), Some(until)) = (valid_from, valid_until)
            && until <= from
        {
            return Err(invalid("validUntil is not after validFrom"));
        }
        Ok(TrustedKey {
            key,
            relationships,
            valid_from,
            valid_until,
        })
    }
}

/// A [`KeyResolver`] over a static map of verification-method DID URLs to the keys they held
/// (the checkpoint's trust cache); a method not in the map is resolved as `did:key` (so a
/// cache never stops holder keys from resolving), and any other method is refused with the
/// `did:key` resolver's typed error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustCache {
    methods: BTreeMap<String, Vec<TrustedKey>>,
}

impl TrustCache {
    /// An empty trust cache (resolves `did:key` only).
    pub fn new() -> TrustCache {
        TrustCache::default()
    }

    /// Checks that `vm` names a verification method (`DID#fragment`, no path or query).
    fn check_method(vm: &DidUrl) -> Result<(), TrustCacheError> {
        if vm.fragment().is_none() || vm.path().is_some() || vm.query().is_some() {
            return Err(TrustCacheError::NotAVerificationMethod {
                id: shorten(vm.as_str()),
            });
        }
        Ok(())
    }

    /// Adds (or replaces) the key of the verification method `vm` as an issuing key
    /// ([`TrustedKey::issuing`]); returns the key it replaced. `vm` must be `DID#fragment`.
    pub fn insert(
        &mut self,
        vm: &DidUrl,
        key: PublicKey,
    ) -> Result<Option<PublicKey>, TrustCacheError> {
        Self::check_method(vm)?;
        Ok(self
            .methods
            .insert(vm.as_str().to_owned(), vec![TrustedKey::issuing(key)])
            .and_then(|previous| previous.into_iter().next().map(|entry| entry.key)))
    }

    /// Adds a key that `vm` held (with its relationships and window) beside the ones it
    /// already has. `vm` must be `DID#fragment`.
    pub fn insert_entry(&mut self, vm: &DidUrl, entry: TrustedKey) -> Result<(), TrustCacheError> {
        Self::check_method(vm)?;
        let entries = self.methods.entry(vm.as_str().to_owned()).or_default();
        if !entries.contains(&entry) {
            entries.push(entry);
        }
        Ok(())
    }

    /// The key the cache holds for `vm` now (the entry still in force; no `did:key`
    /// fallback).
    pub fn get(&self, vm: &DidUrl) -> Option<&PublicKey> {
        self.methods
            .get(vm.as_str())
            .and_then(|entries| entries.iter().find(|entry| entry.in_force_at(None)))
            .map(|entry| &entry.key)
    }

    /// Every key the cache holds for `vm`.
    pub fn entries(&self, vm: &DidUrl) -> &[TrustedKey] {
        self.methods.get(vm.as_str()).map_or(&[], Vec::as_slice)
    }

    /// Number of verification methods in the cache.
    pub fn len(&self) -> usize {
        self.methods.len()
    }

    /// True when the cache holds no verification method.
    pub fn is_empty(&self) -> bool {
        self.methods.is_empty()
    }

    /// Adds every entry of `other`; an entry naming the same method with a different key is
    /// [`TrustCacheError::ConflictingEntry`] (and `self` is left unchanged).
    pub fn merge(&mut self, other: &TrustCache) -> Result<(), TrustCacheError> {
        if let Some((id, _)) = other
            .methods
            .iter()
            .find(|(id, key)| self.methods.get(*id).is_some_and(|mine| mine != *key))
        {
            return Err(TrustCacheError::ConflictingEntry { id: shorten(id) });
        }
        self.methods.extend(
            other
                .methods
                .iter()
                .map(|(id, key)| (id.clone(), key.clone())),
        );
        Ok(())
    }

    /// Parses and validates a trust-cache JSON text.
    pub fn from_json(text: &str) -> Result<TrustCache, TrustCacheError> {
        let file: TrustCacheFile =
            serde_json::from_str(text).map_err(|err| TrustCacheError::Malformed {
                reason: err.to_string(),
            })?;
        let mut cache = TrustCache::new();
        for (id, value) in file.verification_methods {
            let vm = DidUrl::parse(&id).map_err(|source| {
                TrustCacheError::InvalidVerificationMethod {
                    id: shorten(&id),
                    source,
                }
            })?;
            Self::check_method(&vm)?;
            let entries = match &value {
                Value::Array(items) if items.is_empty() => {
                    return Err(TrustCacheError::InvalidEntry {
                        id: shorten(&id),
                        reason: "an empty array of entries",
                    });
                }
                Value::Array(items) => items
                    .iter()
                    .map(|item| match item {
                        Value::Object(_) => TrustedKey::from_json(&id, item),
                        _ => Err(TrustCacheError::InvalidEntry {
                            id: shorten(&id),
                            reason: "an array item is not an entry object",
                        }),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                value => vec![TrustedKey::from_json(&id, value)?],
            };
            for entry in entries {
                cache.insert_entry(&vm, entry)?;
            }
        }
        Ok(cache)
    }

    /// Reads and validates a trust-cache JSON file.
    pub fn read(path: impl AsRef<Path>) -> Result<TrustCache, TrustCacheError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| TrustCacheError::Read {
            path: path.display().to_string(),
            source,
        })?;
        TrustCache::from_json(&text)
    }

    /// The cache as trust-cache JSON (`{"verificationMethods": {…}}`, entries sorted).
    pub fn to_json(&self) -> serde_json::Value {
        let methods: Map<String, Value> = self
            .methods
            .iter()
            .map(|(id, entries)| {
                let value = match entries.as_slice() {
                    [single] => single.to_json(),
                    many => Value::Array(many.iter().map(TrustedKey::to_json).collect()),
                };
                (id.clone(), value)
            })
            .collect();
        serde_json::json!({ VERIFICATION_METHODS_MEMBER: methods })
    }
}

impl KeyResolver for TrustCache {
    fn resolve_verification_method(
        &self,
        vm: &DidUrl,
        relationship: VerificationRelationship,
        at: Option<OffsetDateTime>,
    ) -> Result<PublicKey, DidError> {
        let Some(entries) = self.methods.get(vm.as_str()) else {
            return DidKeyResolver.resolve_verification_method(vm, relationship, at);
        };
        let entry = entries
            .iter()
            .find(|entry| entry.in_force_at(at))
            .ok_or_else(|| DidError::NotInForce {
                id: shorten(vm.as_str()),
            })?;
        if !entry.relationships.contains(&relationship) {
            return Err(DidError::NotAuthorised {
                id: shorten(vm.as_str()),
                relationship,
            });
        }
        Ok(entry.key.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::did::DidKey;
    use crate::keys::{KeyAlgorithm, SecretKey};

    const VM: &str = "did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB#key-1";

    fn bls_key() -> PublicKey {
        SecretKey::generate(KeyAlgorithm::Bls12381G2).public_key()
    }

    fn file_with(id: &str, multibase: &str) -> String {
        serde_json::json!({ "verificationMethods": { id: multibase } }).to_string()
    }

    #[test]
    fn resolves_cached_methods_and_falls_back_to_did_key() {
        let key = bls_key();
        let cache = TrustCache::from_json(&file_with(VM, &encode_multikey(&key))).unwrap();
        assert_eq!(cache.len(), 1);
        let vm = DidUrl::parse(VM).unwrap();
        assert_eq!(
            cache
                .resolve_verification_method(&vm, VerificationRelationship::AssertionMethod, None)
                .unwrap(),
            key
        );
        assert_eq!(cache.get(&vm), Some(&key));

        let holder = SecretKey::generate(KeyAlgorithm::Ed25519).public_key();
        let did_key = DidKey::from_public_key(&holder);
        assert_eq!(
            cache
                .resolve_verification_method(
                    &did_key.verification_method_id(),
                    VerificationRelationship::AssertionMethod,
                    None
                )
                .unwrap(),
            holder
        );

        let unknown = DidUrl::parse("did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB#key-2").unwrap();
        assert!(matches!(
            cache.resolve_verification_method(
                &unknown,
                VerificationRelationship::AssertionMethod,
                None
            ),
            Err(DidError::MethodNotSupported { .. })
        ));
        assert!(matches!(
            TrustCache::new().resolve_verification_method(
                &vm,
                VerificationRelationship::AssertionMethod,
                None
            ),
            Err(DidError::MethodNotSupported { .. })
        ));
    }

    #[test]
    fn json_round_trips() {
        let mut cache = TrustCache::new();
        cache
            .insert(&DidUrl::parse(VM).unwrap(), bls_key())
            .unwrap();
        let text = cache.to_json().to_string();
        assert_eq!(TrustCache::from_json(&text).unwrap(), cache);
        // Unknown top-level members are ignored.
        let mut value = cache.to_json();
        value["syncedAt"] = serde_json::json!("2026-11-21T00:00:00Z");
        assert_eq!(TrustCache::from_json(&value.to_string()).unwrap(), cache);
    }

    #[test]
    fn malformed_files_are_typed_errors() {
        for text in ["", "[]", "{}", r#"{"verificationMethods": []}"#] {
            assert!(
                matches!(
                    TrustCache::from_json(text),
                    Err(TrustCacheError::Malformed { .. })
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_entries_are_typed_errors() {
        let key = encode_multikey(&bls_key());
        assert!(matches!(
            TrustCache::from_json(&file_with("not a did", &key)),
            Err(TrustCacheError::InvalidVerificationMethod { .. })
        ));
        for id in [
            "did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB",
            "did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB/keys#key-1",
            "did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB?v=1#key-1",
        ] {
            assert!(
                matches!(
                    TrustCache::from_json(&file_with(id, &key)),
                    Err(TrustCacheError::NotAVerificationMethod { .. })
                ),
                "{id}"
            );
        }
        // Not base58btc, garbage, truncated key, unsupported codec.
        let truncated = &key[..key.len() - 4];
        for multibase in [
            "",
            "mAAAA",
            "z0OIl",
            truncated,
            "z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc",
        ] {
            assert!(
                matches!(
                    TrustCache::from_json(&file_with(VM, multibase)),
                    Err(TrustCacheError::InvalidPublicKey { .. })
                ),
                "{multibase}"
            );
        }
        let missing = TrustCache::read("/nonexistent/trust-cache.json");
        assert!(matches!(missing, Err(TrustCacheError::Read { .. })));
    }

    #[test]
    fn merge_refuses_conflicts() {
        let vm = DidUrl::parse(VM).unwrap();
        let mut first = TrustCache::new();
        first.insert(&vm, bls_key()).unwrap();
        let mut same = TrustCache::new();
        same.insert(&vm, first.get(&vm).unwrap().clone()).unwrap();
        let other_vm = DidUrl::parse("did:crosscode:dev:Other#key-1").unwrap();
        same.insert(&other_vm, bls_key()).unwrap();
        first.merge(&same).unwrap();
        assert_eq!(first.len(), 2);

        let mut conflicting = TrustCache::new();
        conflicting.insert(&vm, bls_key()).unwrap();
        assert!(matches!(
            first.merge(&conflicting),
            Err(TrustCacheError::ConflictingEntry { .. })
        ));
        assert_eq!(first.len(), 2);
    }

    #[test]
    fn entries_resolve_only_for_their_relationships_and_window() {
        use time::macros::datetime;
        let key = bls_key();
        let text = serde_json::json!({ "verificationMethods": { VM: [
            {"publicKeyMultibase": encode_multikey(&key), "relationships": ["authentication"],
             "validUntil": "2026-06-01T00:00:00Z"},
            {"publicKeyMultibase": encode_multikey(&key), "relationships": ["assertionMethod"],
             "validFrom": "2026-06-01T00:00:00Z"}
        ]}})
        .to_string();
        let cache = TrustCache::from_json(&text).unwrap();
        let vm = DidUrl::parse(VM).unwrap();
        let before = Some(datetime!(2026-01-01 0:00 UTC));
        let after = Some(datetime!(2026-07-01 0:00 UTC));
        let auth = VerificationRelationship::Authentication;
        let assert = VerificationRelationship::AssertionMethod;
        assert_eq!(
            cache
                .resolve_verification_method(&vm, auth, before)
                .unwrap(),
            key
        );
        assert!(matches!(
            cache.resolve_verification_method(&vm, assert, before),
            Err(DidError::NotAuthorised { .. })
        ));
        assert_eq!(
            cache
                .resolve_verification_method(&vm, assert, after)
                .unwrap(),
            key
        );
        assert!(matches!(
            cache.resolve_verification_method(&vm, auth, after),
            Err(DidError::NotAuthorised { .. })
        ));
        // No instant: the entry still in force.
        assert_eq!(
            cache
                .resolve_verification_method(&vm, assert, None)
                .unwrap(),
            key
        );
        // The file form round-trips.
        assert_eq!(
            TrustCache::from_json(&cache.to_json().to_string()).unwrap(),
            cache
        );

        let retired = serde_json::json!({ "verificationMethods": { VM:
            {"publicKeyMultibase": encode_multikey(&key), "validUntil": "2026-06-01T00:00:00Z"}
        }})
        .to_string();
        let cache = TrustCache::from_json(&retired).unwrap();
        assert!(matches!(
            cache.resolve_verification_method(&vm, assert, after),
            Err(DidError::NotInForce { .. })
        ));
        assert!(matches!(
            cache.resolve_verification_method(&vm, assert, None),
            Err(DidError::NotInForce { .. })
        ));
        assert_eq!(cache.get(&vm), None);
    }

    #[test]
    fn malformed_entries_are_typed_errors() {
        let key = encode_multikey(&bls_key());
        for entry in [
            serde_json::json!(7),
            serde_json::json!([]),
            serde_json::json!(["z6Mk"]),
            serde_json::json!({"relationships": ["assertionMethod"]}),
            serde_json::json!({"publicKeyMultibase": key, "relationships": []}),
            serde_json::json!({"publicKeyMultibase": key, "relationships": ["keyAgreement"]}),
            serde_json::json!({"publicKeyMultibase": key, "validFrom": "yesterday"}),
            serde_json::json!({"publicKeyMultibase": key, "validUntil": 5}),
            serde_json::json!({"publicKeyMultibase": key, "controller": "did:example:x"}),
            serde_json::json!({"publicKeyMultibase": key,
                "validFrom": "2026-06-01T00:00:00Z", "validUntil": "2026-01-01T00:00:00Z"}),
        ] {
            let text = serde_json::json!({ "verificationMethods": { VM: entry } }).to_string();
            assert!(
                matches!(
                    TrustCache::from_json(&text),
                    Err(TrustCacheError::InvalidEntry { .. })
                ),
                "{entry}"
            );
        }
    }
}
