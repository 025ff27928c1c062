//! Fuzz target: a checkpoint's trust-cache file (docs/trust-cache.md) never panics the parser;
//! a cache that parses round-trips through its JSON form, and resolving any of its methods
//! for any relationship and instant gives a key or a typed error.
#![no_main]

use crosscode_core::did::{DidUrl, KeyResolver, TrustCache, VerificationRelationship};
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(cache) = TrustCache::from_json(text) else {
        return;
    };
    let again = TrustCache::from_json(&cache.to_json().to_string());
    assert_eq!(again.as_ref().ok(), Some(&cache));
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let Some(methods) = value
        .get("verificationMethods")
        .and_then(serde_json::Value::as_object)
    else {
        return;
    };
    for id in methods.keys() {
        let Ok(vm) = DidUrl::parse(id) else { continue };
        for relationship in VerificationRelationship::ALL {
            for at in [None, Some(OffsetDateTime::UNIX_EPOCH)] {
                let _ = cache.resolve_verification_method(&vm, relationship, at);
            }
        }
    }
});
