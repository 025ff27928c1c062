//! QR envelope (`CC1`) benchmarks for a typical health code: payload encode, and decode +
//! verify, for both securing forms, beside the raw signature verification (the physical limit)
//! measured in the same run.
//!
//! `cargo bench -p crosscode-core --bench envelope`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use crosscode_core::data_integrity::{ProofOptions, add_proof};
use crosscode_core::did::{DidKey, DidKeyResolver, DidUrl};
use crosscode_core::envelope;
use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use serde_json::{Value as Json, json};
use time::macros::datetime;

struct Fixture {
    key: SecretKey,
    vm: DidUrl,
    credential: Json,
    secured: Json,
}

fn fixture(algorithm: KeyAlgorithm) -> Fixture {
    let key = SecretKey::generate(algorithm);
    let issuer = DidKey::from_public_key(&key.public_key());
    let holder = DidKey::from_public_key(&SecretKey::generate(KeyAlgorithm::Ed25519).public_key());
    let credential = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://crosscode.example/ns/health-code/v1"],
        "id": "urn:uuid:3f8b2c1e-7d4a-4e59-9b06-1c2d3e4f5a6b",
        "type": ["VerifiableCredential", "HealthCodeCredential"],
        "issuer": issuer.did().as_str(),
        "validFrom": "2026-11-21T00:00:00Z",
        "validUntil": "2027-11-21T00:00:00Z",
        "credentialSubject": {
            "id": holder.did().as_str(),
            "type": "HealthCode",
            "jurisdiction": "CN-GD",
            "statusColour": "green",
            "statusDate": "2026-11-21"
        },
        "credentialSchema": {"id": "https://crosscode.example/schemas/health-code/v1.json", "type": "JsonSchema"},
        "credentialStatus": {
            "id": "https://crosscode.example/status/cn-gd/1#48213",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "48213",
            "statusListCredential": "https://crosscode.example/status/cn-gd/1"
        }
    });
    let vm = issuer.verification_method_id();
    let options = ProofOptions {
        created: Some(datetime!(2026-11-21 06:00 UTC)),
        ..ProofOptions::default()
    };
    let secured = add_proof(&credential, &key, &vm, &options).unwrap();
    Fixture {
        key,
        vm,
        credential,
        secured,
    }
}

fn bench_algorithm(c: &mut Criterion, algorithm: KeyAlgorithm) {
    let at = datetime!(2026-11-21 08:00 UTC);
    let fixture = fixture(algorithm);
    let signed = envelope::encode_signed(&fixture.credential, &fixture.key, &fixture.vm).unwrap();
    let carried = envelope::encode_data_integrity(&fixture.secured).unwrap();
    // The raw operation: one signature verification over a message of the size COSE signs.
    let message = vec![0x5a_u8; 330];
    let signature = fixture.key.sign(&message).unwrap();
    let public_key = fixture.key.public_key();

    let mut group = c.benchmark_group(format!("qr_envelope/{algorithm}"));
    group.bench_function("raw_signature_verify", |b| {
        b.iter(|| {
            public_key
                .verify(black_box(&message), black_box(&signature))
                .unwrap()
        })
    });
    group.bench_function("signed_encode", |b| {
        b.iter(|| {
            envelope::encode_signed(black_box(&fixture.credential), &fixture.key, &fixture.vm)
                .unwrap()
        })
    });
    group.bench_function("signed_decode_verify", |b| {
        b.iter(|| envelope::decode(black_box(&signed), &DidKeyResolver, at).unwrap())
    });
    group.bench_function("data_integrity_encode", |b| {
        b.iter(|| envelope::encode_data_integrity(black_box(&fixture.secured)).unwrap())
    });
    group.bench_function("data_integrity_decode_verify", |b| {
        b.iter(|| envelope::decode(black_box(&carried), &DidKeyResolver, at).unwrap())
    });
    group.bench_function("parse_only", |b| {
        b.iter(|| envelope::parse(black_box(&carried)).unwrap())
    });
    // Where parsing spends its time (form (b) payload): text layer, CBOR, compact JSON.
    let inflated = envelope::payload::from_text(&carried).unwrap();
    let item: ciborium::Value = ciborium::from_reader(inflated.as_slice()).unwrap();
    group.bench_function("stage_base45_inflate", |b| {
        b.iter(|| envelope::payload::from_text(black_box(&carried)).unwrap())
    });
    group.bench_function("stage_cbor_parse", |b| {
        b.iter(|| {
            ciborium::from_reader::<ciborium::Value, _>(black_box(inflated.as_slice())).unwrap()
        })
    });
    group.bench_function("stage_compact_to_json", |b| {
        b.iter(|| envelope::compact::from_compact(black_box(&item)).unwrap())
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_algorithm(c, KeyAlgorithm::Ed25519);
    bench_algorithm(c, KeyAlgorithm::Sm2);
}

criterion_group! {
    name = envelope_benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    targets = benches
}
criterion_main!(envelope_benches);
