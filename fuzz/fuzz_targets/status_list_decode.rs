//! Fuzz target: decoding a W3C Bitstring Status List (`encodedList`) and parsing a status entry
//! from arbitrary input never panics and gives a typed error; what decodes round-trips.
#![no_main]

use crosscode_core::envelope::inflate;
use crosscode_core::status_list::{Bitstring, BitstringStatusListEntry, MAX_DECODED_BYTES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        // 1. The input as `encodedList` text: a decoded list re-encodes to the same list.
        if let Ok(list) = Bitstring::decode(text) {
            let again = list.encode().expect("a decoded list encodes");
            assert_eq!(Bitstring::decode(&again).as_ref(), Ok(&list));
        }
        // 2. The input as a `credentialStatus` entry: a parsed entry round-trips.
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(text)
            && let Ok(entry) = BitstringStatusListEntry::from_value(&value)
        {
            assert_eq!(
                BitstringStatusListEntry::from_value(&entry.to_value()).as_ref(),
                Ok(&entry)
            );
        }
    }
    // 3. The input as the GZIP stream behind the base64url (the bounded inflate, then the
    //    length check).
    if let Ok(bytes) = inflate::inflate_gzip(data, MAX_DECODED_BYTES) {
        assert!(bytes.len() <= MAX_DECODED_BYTES);
        if let Ok(list) = Bitstring::from_bytes(bytes) {
            assert!(list.len() >= crosscode_core::status_list::MIN_ENTRIES);
        }
    }
});
