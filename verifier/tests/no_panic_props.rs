//! No input panics: property tests over mutated DCC and SHC payloads and raw decoder input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::sync::OnceLock;

use base64::Engine as _;
use crosscode_verifier::{TrustStore, Verdict, Verifier};
use proptest::prelude::*;

struct Fixture {
    verifier: Verifier,
    dcc: String,
    shc: String,
    cose: Vec<u8>,
    clock: time::OffsetDateTime,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let f = common::read_json("dcc/common/2DCode/raw/CO3.json");
        let mut trust = TrustStore::new();
        trust
            .add_dsc_der(
                &base64::engine::general_purpose::STANDARD
                    .decode(f["TESTCTX"]["CERTIFICATE"].as_str().unwrap())
                    .unwrap(),
            )
            .unwrap();
        trust
            .add_shc_jwks(
                "https://spec.smarthealth.cards/examples/issuer",
                &common::read_json("shc/examples/issuer/.well-known/jwks.json"),
            )
            .unwrap();
        let shc = String::from_utf8(common::read_vector(
            "shc/examples/example-00-f-qr-code-numeric-value-0.txt",
        ))
        .unwrap();
        Fixture {
            verifier: Verifier::new(trust),
            dcc: f["PREFIX"].as_str().unwrap().to_owned(),
            shc: shc.trim().to_owned(),
            cose: hex::decode(f["COSE"].as_str().unwrap()).unwrap(),
            clock: time::macros::datetime!(2021-05-03 18:00 UTC),
        }
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Replace(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation, alphabet: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    let n = bytes.len();
    match *m {
        Mutation::Replace(i, b) => bytes[i % n] = alphabet[b as usize % alphabet.len()],
        Mutation::Insert(i, b) => bytes.insert(i % (n + 1), alphabet[b as usize % alphabet.len()]),
        Mutation::Delete(i) => {
            bytes.remove(i % n);
        }
        Mutation::Truncate(i) => bytes.truncate(i % n),
    }
}

const B45: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const DIGITS: &[u8] = b"0123456789/";

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn mutated_dcc_text_never_panics(ms in proptest::collection::vec(mutation(), 1..4)) {
        let f = fixture();
        let mut bytes = f.dcc.clone().into_bytes();
        for m in &ms { apply(&mut bytes, m, B45); }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let report = f.verifier.verify_text(&text, f.clock);
        let _ = report.to_json();
        if text != f.dcc && text.trim() != f.dcc {
            // A changed payload may still decode, but never to an ACCEPT of different content
            // unless only the (unsigned) base45 padding changed.
            if report.verdict() == Verdict::Accept {
                prop_assert_eq!(base45::decode(text.trim().trim_start_matches("HC1:")).ok(), base45::decode(&f.dcc[4..]).ok());
            }
        }
    }

    #[test]
    fn mutated_shc_text_never_panics(ms in proptest::collection::vec(mutation(), 1..4)) {
        let f = fixture();
        let mut bytes = f.shc.clone().into_bytes();
        for m in &ms { apply(&mut bytes, m, DIGITS); }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let report = f.verifier.verify_text(&text, time::macros::datetime!(2023-07-01 0:00 UTC));
        let _ = report.to_json();
        if text != f.shc && report.verdict() == Verdict::Accept {
            prop_assert!(false, "mutated SHC accepted");
        }
    }

    #[test]
    fn mutated_cose_never_panics(ms in proptest::collection::vec(mutation(), 1..4)) {
        let f = fixture();
        let mut bytes = f.cose.clone();
        let all: Vec<u8> = (0..=255).collect();
        for m in &ms { apply(&mut bytes, m, &all); }
        if let Ok(env) = crosscode_verifier::cose::parse_sign1(&bytes) {
            let _ = crosscode_verifier::cose::parse_cwt(&env.payload);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_any_decoder(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let limit = crosscode_verifier::format::MAX_INFLATED_LEN;
        let _ = crosscode_core::envelope::inflate::inflate_zlib(&data, limit);
        let _ = crosscode_core::envelope::inflate::inflate_raw(&data, limit);
        let _ = crosscode_verifier::cose::parse_sign1(&data);
        let _ = crosscode_verifier::cose::parse_cwt(&data);
        let _ = crosscode_core::envelope::qr_image::read_qr_texts(&data);
        let text = String::from_utf8_lossy(&data);
        let _ = crosscode_verifier::jws::parse_compact(&text);
        let _ = crosscode_verifier::shc_numeric::decode_chunks(&[&text]);
        let _ = crosscode_verifier::clock::parse_clock(&text);
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&data) {
            let _ = crosscode_verifier::certlogic::evaluate(&v, &serde_json::json!({}));
            let _ = crosscode_verifier::rules::RuleSet::from_json(&v);
            let _ = TrustStore::new().add_dcc_trust_list(&v);
        }
    }
}
