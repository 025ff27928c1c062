//! Issuance through the library, per core: one credential through
//! [`crosscode_issuer::service::sign_one`] (request checks and defaults, status allocation on a
//! `MemoryStore`, issuer members, proofs, credential hash) — not anchored — with
//! (a) `eddsa-jcs-2022`, (b) `bbs-jcs-2026`, (c) the default proof set `sm2-jcs-2026` +
//! `eddsa-jcs-2022`; each beside the raw signing operation measured in the same run: an
//! Ed25519 signature over 32 bytes, a BBS signature over as many messages as the credential
//! has claims (with a 64-byte header), an SM2 signature over 32 bytes (+ the Ed25519 one for
//! the proof set). Then the steps of the Ed25519 path, to see where the time goes, and
//! interleaved rounds (raw and issuance alternate, so load from other processes hits both
//! alike; the median round gives the ratio).
//!
//! `cargo bench --workspace --bench issuance`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod fixture;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use crosscode_core::data_integrity::selective::Statements;
use crosscode_core::jcs::canonicalize;
use crosscode_core::vc::Credential;
use crosscode_did_registry::evidence::credential_hash;
use crosscode_issuer::issuance::{IssueOptions, IssuerMembers, check, new_credential_id, secure};
use crosscode_issuer::service::sign_one;
use crosscode_issuer::status::{StatusRegistry, entries};
use crosscode_issuer::store::memory::MemoryStore;
use fixture::*;
use time::OffsetDateTime;

fn options(suites: &[&str]) -> IssueOptions {
    IssueOptions {
        cryptosuites: Some(suites.iter().map(|s| (*s).to_owned()).collect()),
        ..IssueOptions::default()
    }
}

struct Workload {
    name: &'static str,
    options: IssueOptions,
    raw_name: &'static str,
}

fn issuance(c: &mut Criterion) {
    let ctx = offline_context();
    let store = MemoryStore::new();
    let status = StatusRegistry::new();
    let request = unsigned_health_code(&holder());
    let authority = &ctx.authority;
    let ed25519 = authority.ed25519.as_ref().unwrap().signer.clone();
    let sm2 = authority.sm2.as_ref().unwrap().signer.clone();
    let bbs = authority.bbs.as_ref().unwrap().signer.clone();
    let digest = [7u8; 32];

    // The BBS messages of an issued credential: one per claim (what bbs-jcs-2026 signs).
    let bbs_issued = sign_one(
        &ctx,
        &store,
        &status,
        &request,
        &options(&["bbs-jcs-2026"]),
        None,
    )
    .unwrap();
    let mut unproven = bbs_issued.credential.clone();
    unproven.as_object_mut().unwrap().remove("proof");
    let messages = Statements::of_document(&unproven)
        .unwrap()
        .messages()
        .unwrap();
    let header = [9u8; 64];
    let ed_issued = sign_one(
        &ctx,
        &store,
        &status,
        &request,
        &options(&["eddsa-jcs-2022"]),
        None,
    )
    .unwrap();
    println!(
        "health code as issued (eddsa-jcs-2022): {} canonical bytes; {} BBS messages",
        canonicalize(&ed_issued.credential).unwrap().len(),
        messages.len()
    );

    let workloads = [
        Workload {
            name: "eddsa-jcs-2022",
            options: options(&["eddsa-jcs-2022"]),
            raw_name: "raw Ed25519 sign (32 bytes)",
        },
        Workload {
            name: "bbs-jcs-2026",
            options: options(&["bbs-jcs-2026"]),
            raw_name: "raw BBS sign (same messages)",
        },
        Workload {
            name: "sm2-jcs-2026 + eddsa-jcs-2022",
            options: options(&["sm2-jcs-2026", "eddsa-jcs-2022"]),
            raw_name: "raw SM2 + Ed25519 sign (32 bytes)",
        },
    ];
    let raw = |name: &str| match name {
        "eddsa-jcs-2022" => {
            black_box(ed25519.sign(black_box(&digest)).unwrap());
        }
        "bbs-jcs-2026" => {
            black_box(
                bbs.sign_bbs(black_box(&header), black_box(&messages))
                    .unwrap(),
            );
        }
        _ => {
            black_box(sm2.sign(black_box(&digest)).unwrap());
            black_box(ed25519.sign(black_box(&digest)).unwrap());
        }
    };
    let issue = |options: &IssueOptions| {
        black_box(sign_one(&ctx, &store, &status, black_box(&request), options, None).unwrap());
    };

    for workload in &workloads {
        let mut group = c.benchmark_group(format!("issuance/{}", workload.name));
        group
            .sample_size(20)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
        group.bench_function(workload.raw_name, |b| b.iter(|| raw(workload.name)));
        group.bench_function("issue (sign_one)", |b| b.iter(|| issue(&workload.options)));
        group.finish();
    }

    // The steps of the Ed25519 path.
    let ed_options = options(&["eddsa-jcs-2022"]);
    let at = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let mut group = c.benchmark_group("issuance/steps (eddsa-jcs-2022)");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    group.bench_function("check", |b| {
        b.iter(|| check(&ctx, black_box(&request), &ed_options, at).unwrap())
    });
    group.bench_function("credential id + status allocation", |b| {
        b.iter(|| {
            let id = new_credential_id();
            status.allocate(&store, &id).unwrap()
        })
    });
    let (checked, credential_type) = check(&ctx, &request, &ed_options, at).unwrap();
    let allocation = status.allocate(&store, &new_credential_id()).unwrap();
    group.bench_function("secure (members, proof, hash)", |b| {
        b.iter(|| {
            let members = IssuerMembers {
                id: new_credential_id(),
                status: entries(&ctx.base_url, allocation).to_vec(),
                batch: None,
            };
            secure(
                &ctx,
                checked.clone(),
                credential_type.clone(),
                members,
                &ed_options,
                at,
            )
            .unwrap()
        })
    });
    let secured = &ed_issued.credential;
    group.bench_function("JCS of the issued credential", |b| {
        b.iter(|| canonicalize(black_box(secured)).unwrap())
    });
    group.bench_function("Credential::from_value + to_value", |b| {
        b.iter(|| {
            Credential::from_value(black_box(secured))
                .unwrap()
                .to_value()
        })
    });
    group.bench_function("credential hash", |b| {
        b.iter(|| credential_hash(ctx.authority.profile, black_box(secured)).unwrap())
    });
    group.bench_function("Value clone of the issued credential", |b| {
        b.iter(|| black_box(secured).clone())
    });
    group.finish();

    // Interleaved rounds: the robust ratio on a shared machine.
    println!("interleaved rounds (median of 21; per round 50 raw + 50 issued, BBS 10 + 10):");
    for workload in &workloads {
        let per_round = if workload.name == "bbs-jcs-2026" {
            10
        } else {
            50
        };
        let (mut raw_samples, mut issue_samples) = (Vec::new(), Vec::new());
        for _ in 0..21 {
            raw_samples.push(micros_per_call(per_round, &mut || raw(workload.name)));
            issue_samples.push(micros_per_call(per_round, &mut || issue(&workload.options)));
        }
        let (raw_us, issue_us) = (median(raw_samples), median(issue_samples));
        println!(
            "  {}: raw {raw_us:.1} µs ({:.0}/s), issuance {issue_us:.1} µs ({:.0} credentials/s \
             per core), ratio {:.2}x",
            workload.name,
            1e6 / raw_us,
            1e6 / issue_us,
            issue_us / raw_us
        );
    }
}

criterion_group!(benches, issuance);
criterion_main!(benches);
