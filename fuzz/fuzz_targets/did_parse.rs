//! Fuzz target: DID, DID URL and did:key parsing of arbitrary text never panics.
#![no_main]

use crosscode_core::did::{Did, DidKey, DidUrl};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(did) = Did::parse(text) {
        // A DID that parses must round-trip through its text form.
        assert_eq!(Did::parse(did.as_str()).ok().as_ref(), Some(&did));
        let _ = DidKey::parse(&did);
    }
    let _ = DidUrl::parse(text);
    if let Ok(key) = DidKey::parse_str(text) {
        // Re-encoding a parsed did:key gives the same DID.
        assert_eq!(DidKey::from_public_key(key.public_key()).did(), key.did());
    }
});
