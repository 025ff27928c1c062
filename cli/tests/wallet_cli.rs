//! `crosscode wallet` end to end as real child processes on loopback: a `crosscode node --dev`
//! and `crosscode issuer serve --dev MO` against it; a wallet made with `wallet init` receives
//! two offers (trusting the node's admitted issuers with --node, then a trust-cache file with
//! --trust), lists them, presents one as a dynamic, selective CC1 QR code that
//! `crosscode qr decode` accepts, and deletes it; the refusals a holder can hit (a wrong
//! passphrase, an unknown id, a replayed offer) exit 1 with the wallet core's error code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::{Http, assert_clean_failure, new_offer, start_issuer, start_node, success_stdout};
use common::{assert_refused, wallet};
use common::{crosscode, json_of, stderr, stdout};
use crosscode_core::did::TrustCache;
use crosscode_registry_client::RegistryClient;
use crosscode_testing::temp_dir;
use serde_json::json;

use common::WALLET_PASSPHRASE as PASSPHRASE;

#[test]
fn a_wallet_receives_lists_presents_and_deletes_credentials_and_refuses_with_typed_errors() {
    let dir = temp_dir("wallet-cli");
    let node = start_node(&dir.join("chain"));
    let issuer_dir = dir.join("issuer");
    let issuer = start_issuer(&node.url, &issuer_dir);
    let issuer_did = issuer
        .ready_line
        .split_whitespace()
        .last()
        .unwrap()
        .to_owned();
    let token = std::fs::read_to_string(issuer_dir.join("back-office.token"))
        .unwrap()
        .trim()
        .to_owned();
    let http = Http::new();
    let wallet_dir = dir.join("wallet");

    // A directory without a wallet is refused before anything happens; init creates one once.
    let output = wallet(&wallet_dir, &["list"], PASSPHRASE);
    assert_clean_failure(&output, "holds no wallet");
    success_stdout(&wallet(&wallet_dir, &["init"], PASSPHRASE));
    assert!(wallet_dir.join("wallet.key").is_file());
    assert!(wallet_dir.join("keys").is_dir());
    assert_clean_failure(
        &wallet(&wallet_dir, &["init"], PASSPHRASE),
        "already holds a wallet",
    );

    // Receiving with the node's admitted issuers as the trust.
    let (uri, code) = new_offer(&http, &issuer.url, &token, "Wallet Holder");
    let first = json_of(&wallet(
        &wallet_dir,
        &["receive", "--tx-code", &code, "--node", &node.url, &uri],
        PASSPHRASE,
    ));
    let first_id = first["id"].as_str().unwrap().to_owned();
    assert!(
        first["types"]
            .as_array()
            .unwrap()
            .contains(&json!("HealthCode")),
        "{first}"
    );
    assert_eq!(first["issuer"], issuer_did.as_str());
    assert!(first["holderDid"].as_str().unwrap().starts_with("did:key:"));
    assert_eq!(first["status"], "good");

    // The same offer again is refused by the issuer.
    let replayed = wallet(
        &wallet_dir,
        &["receive", "--tx-code", &code, "--node", &node.url, &uri],
        PASSPHRASE,
    );
    assert_refused(&replayed, "offer_not_redeemable");

    // A trust-cache file of the node's admitted issuers works as well.
    let trust = http.runtime.block_on(async {
        RegistryClient::new(&node.url)
            .unwrap()
            .trust_cache_of_admitted_issuers()
            .await
            .unwrap()
    });
    assert!(!trust.is_empty());
    let trust_path = dir.join("trust.json");
    std::fs::write(&trust_path, trust.to_json().to_string()).unwrap();
    let trust_file = trust_path.to_str().unwrap();
    let (uri, code) = new_offer(&http, &issuer.url, &token, "Second Holder");
    let second = json_of(&wallet(
        &wallet_dir,
        &["receive", "--tx-code", &code, "--trust", trust_file, &uri],
        PASSPHRASE,
    ));
    let second_id = second["id"].as_str().unwrap().to_owned();
    assert_ne!(first["holderDid"], second["holderDid"]);

    // An empty trust cache trusts no issuer: the credential is refused on arrival.
    let empty_path = dir.join("empty-trust.json");
    std::fs::write(&empty_path, TrustCache::new().to_json().to_string()).unwrap();
    let (uri, code) = new_offer(&http, &issuer.url, &token, "Third Holder");
    let untrusted = wallet(
        &wallet_dir,
        &[
            "receive",
            "--tx-code",
            &code,
            "--trust",
            empty_path.to_str().unwrap(),
            &uri,
        ],
        PASSPHRASE,
    );
    assert_refused(&untrusted, "unverified_credential");

    // One line per credential.
    let listed = success_stdout(&wallet(&wallet_dir, &["list"], PASSPHRASE));
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(lines.iter().any(|line| line.starts_with(&first_id)));
    assert!(lines.iter().any(|line| line.starts_with(&second_id)));
    assert!(lines.iter().all(|line| line.contains(&issuer_did)));

    // A dynamic, selective presentation: a CC1 payload and a PNG that the checkpoint accepts.
    let png = dir.join("code.png");
    let presented = wallet(
        &wallet_dir,
        &[
            "present",
            "--id",
            &first_id,
            "--disclose",
            "statusColour,statusDate",
            "--audience",
            "checkpoint-7",
            "--dynamic",
            "--png",
            png.to_str().unwrap(),
        ],
        PASSPHRASE,
    );
    let payload = success_stdout(&presented).trim().to_owned();
    assert!(payload.starts_with("CC1:"), "{payload}");
    assert!(
        stderr(&presented).contains(&format!("{} characters", payload.len())),
        "{}",
        stderr(&presented)
    );
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    let decoded = crosscode(
        &[
            "qr",
            "decode",
            png.to_str().unwrap(),
            "--trust-cache",
            trust_file,
        ],
        None,
    );
    let document = json_of(&decoded);
    assert_eq!(document["holder"], first["holderDid"]);
    assert_eq!(document["domain"], "checkpoint-7");
    assert!(document["timeSlot"].is_u64(), "{document}");
    let text = crosscode(
        &[
            "qr",
            "decode",
            "--text",
            &payload,
            "--trust-cache",
            trust_file,
        ],
        None,
    );
    assert_eq!(json_of(&text), document);

    // Typed refusals: a wrong passphrase, an unknown id.
    assert_refused(
        &wallet(&wallet_dir, &["list"], "not the passphrase"),
        "wrong_passphrase",
    );
    assert_refused(
        &wallet(
            &wallet_dir,
            &["present", "--id", "00000000000000000000000000000000"],
            PASSPHRASE,
        ),
        "not_found",
    );

    // Deleting one leaves the other; the deleted id is then unknown.
    let deleted = success_stdout(&wallet(
        &wallet_dir,
        &["delete", "--id", &first_id],
        PASSPHRASE,
    ));
    assert!(deleted.contains(&first_id));
    let listed = success_stdout(&wallet(&wallet_dir, &["list"], PASSPHRASE));
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.starts_with(&second_id));
    assert_refused(
        &wallet(&wallet_dir, &["delete", "--id", &first_id], PASSPHRASE),
        "not_found",
    );
    assert_refused(
        &wallet(&wallet_dir, &["present", "--id", &first_id], PASSPHRASE),
        "not_found",
    );
    assert!(stdout(&replayed).is_empty());
}
