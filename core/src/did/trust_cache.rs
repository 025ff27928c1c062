//! The checkpoint **trust cache**: a [`KeyResolver`] over a static map of verification-method
//! DID URLs (e.g. an authority's registry key `did:crosscode:<network>:<id>#key-1`) to public
//! keys, falling back to offline `did:key` resolution for every other method.
//!
//! Until the registry chain serves keys, a checkpoint loads the map from a JSON file
//! (docs/trust-cache.md):
//!
//! ```json
//! {"verificationMethods": {"did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB#key-1": "zUC7…"}}
//! ```
//!
//! Each value is the key's `Multikey` `publicKeyMultibase`. Other top-level members are
//! ignored (room for the chain's proofs later). Every entry is validated when the file is
//! loaded, so resolution itself never decodes untrusted text.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{DidError, DidKeyResolver, DidUrl, KeyResolver};
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
    verification_methods: BTreeMap<String, String>,
}

/// A [`KeyResolver`] over a static map of verification-method DID URLs to public keys (the
/// checkpoint's trust cache); a method not in the map is resolved as `did:key` (so a cache
/// never stops holder keys from resolving), and any other method is refused with the
/// `did:key` resolver's typed error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustCache {
    methods: BTreeMap<String, PublicKey>,
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

    /// Adds (or replaces) the key of the verification method `vm`; returns the key it
    /// replaced. `vm` must be `DID#fragment`.
    pub fn insert(
        &mut self,
        vm: &DidUrl,
        key: PublicKey,
    ) -> Result<Option<PublicKey>, TrustCacheError> {
        Self::check_method(vm)?;
        Ok(self.methods.insert(vm.as_str().to_owned(), key))
    }

    /// The key the cache holds for `vm` (no `did:key` fallback).
    pub fn get(&self, vm: &DidUrl) -> Option<&PublicKey> {
        self.methods.get(vm.as_str())
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
        for (id, multibase) in file.verification_methods {
            let vm = DidUrl::parse(&id).map_err(|source| {
                TrustCacheError::InvalidVerificationMethod {
                    id: shorten(&id),
                    source,
                }
            })?;
            let key = decode_multikey(&multibase).map_err(|source| {
                TrustCacheError::InvalidPublicKey {
                    id: shorten(&id),
                    source,
                }
            })?;
            cache.insert(&vm, key)?;
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
        let methods: serde_json::Map<String, serde_json::Value> = self
            .methods
            .iter()
            .map(|(id, key)| (id.clone(), serde_json::Value::String(encode_multikey(key))))
            .collect();
        serde_json::json!({ VERIFICATION_METHODS_MEMBER: methods })
    }
}

impl KeyResolver for TrustCache {
    fn resolve_verification_method(&self, vm: &DidUrl) -> Result<PublicKey, DidError> {
        match self.methods.get(vm.as_str()) {
            Some(key) => Ok(key.clone()),
            None => DidKeyResolver.resolve_verification_method(vm),
        }
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
        assert_eq!(cache.resolve_verification_method(&vm).unwrap(), key);
        assert_eq!(cache.get(&vm), Some(&key));

        let holder = SecretKey::generate(KeyAlgorithm::Ed25519).public_key();
        let did_key = DidKey::from_public_key(&holder);
        assert_eq!(
            cache
                .resolve_verification_method(&did_key.verification_method_id())
                .unwrap(),
            holder
        );

        let unknown = DidUrl::parse("did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB#key-2").unwrap();
        assert!(matches!(
            cache.resolve_verification_method(&unknown),
            Err(DidError::MethodNotSupported { .. })
        ));
        assert!(matches!(
            TrustCache::new().resolve_verification_method(&vm),
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
        for text in [
            "",
            "[]",
            "{}",
            r#"{"verificationMethods": []}"#,
            r#"{"verificationMethods": {"did:crosscode:dev:a#key-1": 7}}"#,
        ] {
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
}
