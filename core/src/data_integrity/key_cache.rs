//! A memoizing [`KeyResolver`] for verifiers that check many documents from few issuers.

use std::collections::HashMap;
use std::sync::Mutex;

use time::OffsetDateTime;

use crate::did::{DidError, DidUrl, KeyResolver, VerificationRelationship};
use crate::keys::PublicKey;

/// Wraps a [`KeyResolver`] and remembers the keys it resolved (decoding a `did:key` and
/// decompressing its curve point costs about as much as a third of an Ed25519 verification).
///
/// Only for resolvers whose answers never change, such as `did:key`
/// ([`crate::did::DidKeyResolver`]); a resolver of a registry with key rotation must not be
/// wrapped (or must be keyed by registry height). Failed resolutions are not cached. The cache
/// holds at most `capacity` entries and is emptied when full.
#[derive(Debug)]
pub struct CachedKeyResolver<R> {
    inner: R,
    capacity: usize,
    cache: Mutex<HashMap<String, PublicKey>>,
}

impl<R: KeyResolver> CachedKeyResolver<R> {
    /// The default capacity (entries).
    pub const DEFAULT_CAPACITY: usize = 4096;

    /// A cache of [`Self::DEFAULT_CAPACITY`] entries in front of `inner`.
    pub fn new(inner: R) -> Self {
        Self::with_capacity(inner, Self::DEFAULT_CAPACITY)
    }

    /// A cache of `capacity` entries (at least 1) in front of `inner`.
    pub fn with_capacity(inner: R, capacity: usize) -> Self {
        CachedKeyResolver {
            inner,
            capacity: capacity.max(1),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The number of cached keys.
    pub fn len(&self) -> usize {
        self.cache.lock().map_or(0, |cache| cache.len())
    }

    /// True when no key is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<R: KeyResolver> KeyResolver for CachedKeyResolver<R> {
    fn resolve_verification_method(
        &self,
        vm: &DidUrl,
        relationship: VerificationRelationship,
        at: Option<OffsetDateTime>,
    ) -> Result<PublicKey, DidError> {
        // The answer depends on the method, the relationship and the instant: all three key
        // the cache.
        let cache_key = format!(
            "{}|{}|{}",
            relationship.name(),
            at.map_or(i128::MIN, OffsetDateTime::unix_timestamp_nanos),
            vm.as_str()
        );
        if let Ok(cache) = self.cache.lock()
            && let Some(key) = cache.get(&cache_key)
        {
            return Ok(key.clone());
        }
        let key = self
            .inner
            .resolve_verification_method(vm, relationship, at)?;
        // A poisoned lock only disables caching.
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= self.capacity {
                cache.clear();
            }
            cache.insert(cache_key, key.clone());
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::did::{DidKey, DidKeyResolver};
    use crate::keys::{KeyAlgorithm, SecretKey};

    #[test]
    fn caches_successes_only_and_stays_bounded() {
        let resolver = CachedKeyResolver::with_capacity(DidKeyResolver, 2);
        let mut methods = Vec::new();
        for _ in 0..3 {
            let key = SecretKey::generate(KeyAlgorithm::Ed25519);
            methods.push((
                DidKey::from_public_key(&key.public_key()).verification_method_id(),
                key,
            ));
        }
        for (method, key) in &methods[..2] {
            assert_eq!(
                resolver
                    .resolve_verification_method(
                        method,
                        VerificationRelationship::AssertionMethod,
                        None
                    )
                    .unwrap(),
                key.public_key()
            );
            assert_eq!(
                resolver
                    .resolve_verification_method(
                        method,
                        VerificationRelationship::AssertionMethod,
                        None
                    )
                    .unwrap(),
                key.public_key()
            );
        }
        assert_eq!(resolver.len(), 2);
        let (third, third_key) = &methods[2];
        assert_eq!(
            resolver
                .resolve_verification_method(third, VerificationRelationship::AssertionMethod, None)
                .unwrap(),
            third_key.public_key()
        );
        assert_eq!(resolver.len(), 1);
        let wrong = DidUrl::parse(&format!("{}#other", third.did().as_str())).unwrap();
        assert!(
            resolver
                .resolve_verification_method(
                    &wrong,
                    VerificationRelationship::AssertionMethod,
                    None
                )
                .is_err()
        );
        assert_eq!(resolver.len(), 1);
        assert!(!resolver.is_empty());
    }
}
