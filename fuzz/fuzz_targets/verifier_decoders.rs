//! Fuzz target: each decoder of the verifier on arbitrary bytes (the first byte selects it):
//! zlib / raw DEFLATE, COSE_Sign1 + CWT, compact JWS, SHC numeric chunks, CertLogic evaluation,
//! JSON-schema validation, trust-list and rule-set loading, the clock parser, certificates (DSC,
//! VCI snapshot signer, SHC `x5c` chains and roots). Never a panic.
#![no_main]

use std::sync::OnceLock;

use crosscode_core::envelope::inflate;
use crosscode_verifier::certificate::DocumentSigner;
use crosscode_verifier::format::{MAX_INFLATED_LEN, eu_dcc};
use crosscode_verifier::signature::VerificationKey;
use crosscode_verifier::x5c::{TrustAnchor, X5cChain};
use crosscode_verifier::{certlogic, clock, cose, jws, rules, schema, shc_numeric, trust};
use libfuzzer_sys::fuzz_target;

fn dcc_schema() -> &'static Option<schema::JsonSchema> {
    static S: OnceLock<Option<schema::JsonSchema>> = OnceLock::new();
    S.get_or_init(eu_dcc::embedded_schema)
}

/// The input as an `x5c` chain: DER certificates, each after its 2-byte big-endian length,
/// certifying the key of the first one (so the checks past the leaf key are reached); each
/// certificate also as an SHC root, and the chain anchored at them; the input as the JSON
/// `x5c` member.
fn x5c_chain(input: &[u8]) {
    let mut certificates = Vec::new();
    let mut rest = input;
    while let [high, low, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*high, *low])).min(tail.len());
        let (der, after) = tail.split_at(len);
        certificates.push(der.to_vec());
        rest = after;
    }
    let roots: Vec<TrustAnchor> = certificates
        .iter()
        .filter_map(|der| TrustAnchor::from_der(der).ok())
        .collect();
    let key = certificates
        .first()
        .and_then(|der| DocumentSigner::from_der(der).ok())
        .map(|leaf| leaf.key)
        .or_else(|| VerificationKey::p256_from_coordinates(&[1; 32], &[2; 32]).ok());
    let Some(key) = key else {
        return;
    };
    if let Ok(chain) = X5cChain::from_der(&certificates, &key) {
        let _ = chain.names_issuer("https://issuer.example");
        let _ = chain.unanchored().valid_at(1_687_450_764.657);
        if let Ok(path) = chain.anchor(&roots) {
            let _ = path.valid_at(f64::NAN);
            let _ = path.to_string();
        }
    }
    if let Ok(member) = serde_json::from_slice::<serde_json::Value>(input) {
        let _ = X5cChain::from_jwk_member(&member, &key);
    }
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
            let _ = DocumentSigner::from_der(input);
            let _ = crosscode_verifier::vci::load_snapshot(input, input, input);
            x5c_chain(input);
        }
    }
});
