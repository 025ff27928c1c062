//! Fuzz target: each decoder of the verifier on arbitrary bytes (the first byte selects it):
//! zlib / raw DEFLATE, COSE_Sign1 + CWT, compact JWS, SHC numeric chunks, CertLogic evaluation,
//! JSON-schema validation, trust-list and rule-set loading, the clock parser. Never a panic.
#![no_main]

use std::sync::OnceLock;

use crosscode_core::envelope::inflate;
use crosscode_verifier::format::{MAX_INFLATED_LEN, eu_dcc};
use crosscode_verifier::{certlogic, clock, cose, jws, rules, schema, shc_numeric, trust};
use libfuzzer_sys::fuzz_target;

fn dcc_schema() -> &'static Option<schema::JsonSchema> {
    static S: OnceLock<Option<schema::JsonSchema>> = OnceLock::new();
    S.get_or_init(eu_dcc::embedded_schema)
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(input);
    match selector % 8 {
        0 => {
            let _ = inflate::inflate_zlib(input, MAX_INFLATED_LEN);
            let _ = inflate::inflate_raw(input, MAX_INFLATED_LEN);
        }
        1 => {
            if let Ok(env) = cose::parse_sign1(input) {
                let _ = cose::parse_cwt(&env.payload);
            }
            let _ = cose::parse_cwt(input);
        }
        2 => {
            if let Ok(parsed) = jws::parse_compact(&text) {
                let _ = inflate::inflate_raw(&parsed.payload, MAX_INFLATED_LEN);
            }
        }
        3 => {
            let chunks: Vec<&str> = text.split('\n').collect();
            let _ = shc_numeric::decode_chunks(&chunks);
        }
        4 => {
            if let Ok(value) = serde_json::from_slice::<serde_json::Value>(input) {
                let data = serde_json::json!({"payload": value.clone(), "external": {}});
                let _ = certlogic::evaluate(&value, &data);
                if let Some(s) = dcc_schema() {
                    let _ = s.validate(&value);
                }
            }
        }
        5 => {
            if let Ok(value) = serde_json::from_slice::<serde_json::Value>(input) {
                let mut store = trust::TrustStore::new();
                let _ = store.add_dcc_trust_list(&value);
                let _ = store.add_shc_jwks("https://issuer.example", &value);
                let _ = store.add_shc_crl("https://issuer.example", &value);
                let _ = store.add_dcc_revocations(&value);
                let _ = rules::RuleSet::from_json(&value);
            }
        }
        6 => {
            let _ = clock::parse_clock(&text);
            let _ = eu_dcc::decode_base45(&text);
        }
        _ => {
            let _ = crosscode_verifier::certificate::DocumentSigner::from_der(input);
            let _ = crosscode_verifier::vci::load_snapshot(input, input, input);
        }
    }
});
