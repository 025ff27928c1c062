//! Cross-border conversion with the shipped binary, as real child processes on loopback: a
//! `crosscode node --dev`, CN-GD's `crosscode issuer serve --dev CN-GD`, and MO's with its
//! conversion desk open (`--conversion-policy` and `--validators`); a wallet receives a CN-GD
//! health code and converts it with `crosscode wallet convert` into an MO one — and a
//! conversion asked of a service without a desk is refused with the wallet core's typed error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::WALLET_PASSPHRASE as PASSPHRASE;
use common::{Http, assert_refused, json_of, new_offer, start_issuer_of, start_node};
use common::{success_stdout, wallet};
use crosscode_did_registry::dev::DevAuthority;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_testing::temp_dir;
use crosscode_tests::jurisdictions::default_policy;
use serde_json::Value;

fn token(dir: &std::path::Path) -> String {
    std::fs::read_to_string(dir.join("back-office.token"))
        .unwrap()
        .trim()
        .to_owned()
}

#[test]
fn a_wallet_converts_a_cn_gd_health_code_at_mos_desk_opened_from_the_command_line() {
    let dir = temp_dir("conversion-cli");
    let node = start_node(&dir.join("chain"));
    let validators = dir.join("chain").join("validators.json");
    assert!(validators.is_file());

    let mo = DevAuthority::derive(CryptoProfile::Standard, "MO");
    let policy_file = dir.join("policy.json");
    std::fs::write(
        &policy_file,
        serde_json::to_vec_pretty(&default_policy(&mo.did).unwrap()).unwrap(),
    )
    .unwrap();
    let source_dir = dir.join("cn-gd");
    let source = start_issuer_of("CN-GD", &node.url, &source_dir, &[]);
    let target = start_issuer_of(
        "MO",
        &node.url,
        &dir.join("mo"),
        &[
            "--conversion-policy",
            policy_file.to_str().unwrap(),
            "--validators",
            validators.to_str().unwrap(),
        ],
    );
    assert!(
        target.ready_line.ends_with(mo.did.as_str()),
        "{}",
        target.ready_line
    );

    let http = Http::new();
    let wallet_dir = dir.join("wallet");
    success_stdout(&wallet(&wallet_dir, &["init"], PASSPHRASE));
    let (uri, code) = new_offer(&http, &source.url, &token(&source_dir), "Traveller");
    let received = json_of(&wallet(
        &wallet_dir,
        &["receive", "--tx-code", &code, "--node", &node.url, &uri],
        PASSPHRASE,
    ));
    let source_id = received["id"].as_str().unwrap().to_owned();

    // MO's desk converts it: an MO health code for a fresh holder key, stored beside the source.
    let converted = json_of(&wallet(
        &wallet_dir,
        &[
            "convert",
            "--id",
            &source_id,
            "--to",
            &target.url,
            "--node",
            &node.url,
        ],
        PASSPHRASE,
    ));
    assert_eq!(converted["issuer"], mo.did.as_str(), "{converted}");
    assert_ne!(converted["holderDid"], received["holderDid"]);
    assert!(
        converted["types"]
            .as_array()
            .unwrap()
            .contains(&Value::from("HealthCode"))
    );
    let listed = success_stdout(&wallet(&wallet_dir, &["list"], PASSPHRASE));
    assert_eq!(listed.lines().count(), 2, "{listed}");

    // CN-GD runs no desk: asking it to convert is refused with the wallet's typed error, and
    // nothing is stored.
    let no_desk = wallet(
        &wallet_dir,
        &[
            "convert",
            "--id",
            &source_id,
            "--to",
            &source.url,
            "--node",
            &node.url,
        ],
        PASSPHRASE,
    );
    assert_refused(&no_desk, "issuer_refused");
    let listed = success_stdout(&wallet(&wallet_dir, &["list"], PASSPHRASE));
    assert_eq!(listed.lines().count(), 2, "{listed}");
}
