//! Presenting a health code, on one core: [`present`] of a stored credential shaped like the
//! issuer service's OpenID4VCI health code (the same members, two status entries, a schema,
//! evidence, personal claims, a BBS base proof by a registry DID), with the software keystore:
//! (a) the selective dynamic presentation (`statusColour` + `statusDate` disclosed: BBS
//! derivation, the holder's COSE signature, the CC1 envelope, the QR PNG), (b) the
//! non-selective static presentation of an Ed25519-signed copy — beside the raw operations
//! measured in the same run: the BBS derivation alone (core `derive_credential`), the QR PNG of
//! the payload alone, an Ed25519 signature.
//!
//! First it prints the sizes of the presentations of that credential and of slimmer ones
//! (docs/wallet.md §6): members taken out one after the other.
//!
//! `cargo bench --workspace --bench presentation`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use crosscode_core::data_integrity::bbs::{DeriveOptions, derive_credential};
use crosscode_core::did::{DidKey, TrustCache};
use crosscode_core::envelope::qr;
use crosscode_core::keys::{KdfParams, KeyAlgorithm, SecretKey};
use crosscode_testing::{health_code, temp_dir};
use crosscode_wallet_core::keystore::{Keystore, SoftwareKeystore};
use crosscode_wallet_core::present::present;
use crosscode_wallet_core::store::{StatusCheck, StoredCredential};
use serde_json::Value;
use time::OffsetDateTime;

/// A slimmer credential: `document` with one more member taken out.
type Slimming = fn(&mut Value);

/// The credential's members taken out one after the other (docs/wallet.md §6).
const SLIMMINGS: [(&str, Slimming); 7] = [
    ("as issued", |_| {}),
    ("no credentialSchema", |v| {
        drop(v.as_object_mut().map(|o| o.remove("credentialSchema")))
    }),
    ("one status entry", |v| {
        v["credentialStatus"] = v["credentialStatus"][0].clone()
    }),
    ("no credential id", |v| {
        drop(v.as_object_mut().map(|o| o.remove("id")))
    }),
    ("no evidence", |v| {
        drop(v.as_object_mut().map(|o| o.remove("evidence")))
    }),
    ("no latestTest, vaccinationDoses", |v| {
        if let Some(subject) = v["credentialSubject"].as_object_mut() {
            subject.remove("latestTest");
            subject.remove("vaccinationDoses");
        }
    }),
    ("no name, birthDate, documentNumber", |v| {
        if let Some(subject) = v["credentialSubject"].as_object_mut() {
            subject.remove("name");
            subject.remove("birthDate");
            subject.remove("documentNumber");
        }
    }),
];

/// Prints the presentation sizes of the credential as issued and slimmed step by step:
/// selective (`statusColour`, `statusDate`; and with `type`, `jurisdiction` too) dynamic for
/// an audience, and the non-selective static form.
fn print_sizes(
    keystore: &SoftwareKeystore,
    holder: &str,
    stored: &dyn Fn(&Value, &TrustCache) -> StoredCredential,
) {
    let now = OffsetDateTime::now_utc();
    let mut document = health_code::unsigned(holder);
    println!("| credential | selective, 2 claims | selective, 4 claims | non-selective |");
    println!("|---|---:|---:|---:|");
    for (name, slim) in SLIMMINGS {
        slim(&mut document);
        let issued = health_code::sign(&document);
        let size = |credential: &Value, disclose: &[&str], dynamic: bool| {
            let disclose: Vec<String> = disclose.iter().map(|c| (*c).to_owned()).collect();
            let audience = dynamic.then_some("checkpoint-7");
            let stored = stored(credential, &issued.issuer_keys);
            present(&stored, keystore, &disclose, audience, dynamic, now)
                .unwrap()
                .payload
                .len()
        };
        println!(
            "| {name} | {} | {} | {} |",
            size(&issued.bbs, &["statusColour", "statusDate"], true),
            size(
                &issued.bbs,
                &["statusColour", "statusDate", "type", "jurisdiction"],
                true
            ),
            size(&issued.ed25519, &[], false),
        );
    }
}

fn presentation(c: &mut Criterion) {
    // A test runner listing benchmarks (`--list`) must not get the size table on stdout.
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    let dir = temp_dir("wallet-bench");
    let keystore =
        SoftwareKeystore::open_with_kdf(&dir, b"bench", KdfParams::INSECURE_FOR_TESTS).unwrap();
    let handle = keystore.generate(KeyAlgorithm::Ed25519).unwrap();
    let holder_did = DidKey::from_public_key(&keystore.public_key(&handle).unwrap())
        .did()
        .as_str()
        .to_owned();
    let stored = |credential: &Value, issuer_keys: &TrustCache| StoredCredential {
        id: "0123456789abcdef0123456789abcdef".to_owned(),
        credential: credential.clone(),
        key_handle: handle.clone(),
        holder_did: holder_did.clone(),
        issuer: health_code::ISSUER.to_owned(),
        types: vec!["VerifiableCredential".to_owned(), "HealthCode".to_owned()],
        received_at: 0,
        issuer_keys: issuer_keys.to_json(),
        status: StatusCheck::Good,
        anchor: None,
    };
    print_sizes(&keystore, &holder_did, &stored);
    let issued = health_code::issue(&holder_did);
    let trust = &issued.issuer_keys;
    let selective = stored(&issued.bbs, trust);
    let whole = stored(&issued.ed25519, trust);
    let disclose = vec!["statusColour".to_owned(), "statusDate".to_owned()];
    let now = OffsetDateTime::now_utc();
    let shown = present(
        &selective,
        &keystore,
        &disclose,
        Some("checkpoint-7"),
        true,
        now,
    )
    .unwrap();
    let reveal = DeriveOptions {
        reveal: vec![
            "/credentialSubject/statusColour".to_owned(),
            "/credentialSubject/statusDate".to_owned(),
            "/credentialSubject/id".to_owned(),
        ],
        nonce: None,
        holder_key: None,
    };

    let mut group = c.benchmark_group("presentation");
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("present/selective_dynamic", |b| {
        b.iter(|| {
            present(
                &selective,
                &keystore,
                &disclose,
                Some("checkpoint-7"),
                true,
                now,
            )
            .unwrap()
        })
    });
    group.bench_function("raw/bbs_derive", |b| {
        b.iter(|| derive_credential(black_box(&selective.credential), trust, &reveal).unwrap())
    });
    group.bench_function("raw/qr_png", |b| {
        b.iter(|| qr::render_png(black_box(&shown.payload)).unwrap())
    });
    group.bench_function("present/whole_static", |b| {
        b.iter(|| present(&whole, &keystore, &[], None, false, now).unwrap())
    });
    group.bench_function("raw/ed25519_sign", |b| {
        let key = SecretKey::generate(KeyAlgorithm::Ed25519);
        b.iter(|| key.sign(black_box(&[7u8; 32])).unwrap())
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, presentation);
criterion_main!(benches);
