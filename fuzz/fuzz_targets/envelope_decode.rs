//! Fuzz target: decoding a `CC1` QR envelope from arbitrary input never panics, and the compact
//! JSON encoding stays lossless for every document it decodes.
#![no_main]

use crosscode_core::did::DidKeyResolver;
use crosscode_core::envelope::{self, compact, payload};
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

fuzz_target!(|data: &[u8]| {
    let at = OffsetDateTime::UNIX_EPOCH;
    // 1. The input as payload text (what a QR scanner hands over).
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = envelope::decode(text, &DidKeyResolver, at);
    }
    // 2. The input as the inflated envelope bytes (past base45 / zlib).
    if let Ok(text) = payload::to_text(data) {
        let _ = envelope::decode(&text, &DidKeyResolver, at);
    }
    // 3. The input as one compact-JSON CBOR item: what decodes must re-encode losslessly.
    if let Ok(item) = ciborium::from_reader::<ciborium::Value, _>(data)
        && let Ok(json) = compact::from_compact(&item)
    {
        let again = compact::to_compact(&json).expect("decoded JSON re-encodes");
        assert_eq!(compact::from_compact(&again).ok().as_ref(), Some(&json));
    }
});
