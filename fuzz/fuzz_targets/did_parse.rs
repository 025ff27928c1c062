//! Fuzz target: DID, DID URL and did:key parsing of arbitrary text never panics; nor does
//! the multikey decoder on arbitrary multicodec bytes (varint code ‖ key bytes), which reaches
//! every key type's point decoding (Ed25519, SM2, P-256, BLS12-381 G2) without the input
//! having to be base58 text first.
#![no_main]

use crosscode_core::did::{Did, DidKey, DidUrl};
use crosscode_core::multicodec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let multibase = multicodec::encode_base58btc(data);
    if let Ok(key) = multicodec::decode_multikey(&multibase) {
        // Only canonical key bytes decode: re-encoding gives the same text.
        assert_eq!(multicodec::encode_multikey(&key), multibase);
    }
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
