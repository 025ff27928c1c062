//! Fuzz target: a checkpoint's synced trust-cache file (`trust-cache.bin`, docs/checkpoint.md
//! §4) never panics its loader. By the first byte: the rest as the file under a fixed key
//! (the integrity tag refuses it unless it is a valid tag); or the rest tagged with the key, so
//! the body decoder and the header re-verification are reached. A file that loads writes back
//! to the same bytes.
#![no_main]

use crosscode_verifier::chain_trust::ChainTrust;
use libfuzzer_sys::fuzz_target;

const KEY: [u8; 32] = [7; 32];

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let file = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        // A body written by the key holder: magic and version, then the fuzzed body.
        let mut content = Vec::from(&b"crosscode-trust-cache\0\x01"[..]);
        content.extend_from_slice(rest);
        let tag = {
            use hmac::Mac as _;
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&KEY).unwrap();
            mac.update(&content);
            mac.finalize().into_bytes()
        };
        content.extend_from_slice(&tag);
        content
    };
    if let Ok(trust) = ChainTrust::from_file_bytes(&file, &KEY) {
        assert_eq!(trust.to_file_bytes(&KEY), file);
        let _ = trust.key_resolver();
    }
});
