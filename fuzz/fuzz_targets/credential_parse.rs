//! Fuzz target: credential / presentation parsing, canonicalization and Data Integrity
//! verification of arbitrary JSON text never panic.
#![no_main]

use crosscode_core::data_integrity::verify_document;
use crosscode_core::did::DidKeyResolver;
use crosscode_core::jcs;
use crosscode_core::vc::{Credential, Presentation};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(credential) = Credential::from_json(text) {
        // A credential that parses re-parses from its own JSON form.
        let again = Credential::from_value(&credential.to_value());
        assert!(again.is_ok());
    }
    let _ = Presentation::from_json(text);
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        if let Ok(canonical) = jcs::canonicalize(&value) {
            // Canonicalization is idempotent.
            let reparsed: serde_json::Value = serde_json::from_str(&canonical).unwrap_or_default();
            assert_eq!(jcs::canonicalize(&reparsed).ok().as_deref(), Some(canonical.as_str()));
        }
        let at = time::OffsetDateTime::UNIX_EPOCH;
        let _ = verify_document(&value, &DidKeyResolver, at);
    }
});
