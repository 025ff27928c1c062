//! Fuzz target: the whole checkpoint pipeline on arbitrary QR text (`HC1:`, `shc:/` and `CC1:`
//! prefixes are prepended to most inputs, and for `HC1:` / `CC1:` valid base45 — for `CC1:` of
//! zlib-deflated bytes — so the decoders behind them are reached) never panics, and its report
//! always serialises.
#![no_main]

use std::sync::OnceLock;

use crosscode_verifier::{TrustStore, Verifier};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let body = String::from_utf8_lossy(rest);
    let text = match selector % 6 {
        0 => format!("HC1:{body}"),
        1 => format!("shc:/{body}"),
        2 => {
            // Valid base45 of arbitrary bytes: reaches zlib and COSE parsing.
            format!("HC1:{}", base45::encode(rest))
        }
        3 => format!("CC1:{body}"),
        4 => {
            // Arbitrary bytes deflated and base45-encoded as a CC1 payload: reaches the CBOR
            // envelope, COSE and the compact JSON decoder.
            match crosscode_core::envelope::payload::to_text(rest) {
                Ok(text) => text,
                Err(_) => return,
            }
        }
        _ => body.into_owned(),
    };
    static VERIFIER: OnceLock<Verifier> = OnceLock::new();
    let verifier = VERIFIER.get_or_init(|| Verifier::new(TrustStore::new()));
    let report = verifier.verify_text(&text, time::OffsetDateTime::UNIX_EPOCH);
    let _ = report.to_json();
    let _ = report.verdict();
});
