//! Cross-border conversion end to end on one chain: CN-GD issues a health code to a wallet,
//! the wallet converts it into an MO health code with MO's service alone (CN-GD's service
//! stopped), and every refusal of the protocol is a typed answer that issues and anchors
//! nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;

use crosscode_core::crossborder::{ConversionPolicy, PolicyRules, RefusalCode};
use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use crosscode_did_registry::evidence::verify_receipt;
use crosscode_did_registry::governance::GovernanceAction;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::records::Namespace;
use crosscode_issuer::conversion::{ConversionDesk, DeskError};
use crosscode_issuer::status::StatusAction;
use crosscode_issuer::store::Table;
use crosscode_tests::conversion_client::{Crafting, craft, post_conversion, resign, terms};
use crosscode_tests::jurisdictions::{
    SOURCE, TARGET, TwoJurisdictions, WorldOptions, default_policy, open_wallet,
};
use crosscode_wallet_core::Wallet;
use crosscode_wallet_core::convert::ConvertError;
use crosscode_wallet_core::keystore::SoftwareKeystore;
use crosscode_wallet_core::store::StoredCredential;
use crosscode_wallet_core::wallet::WalletError;
use serde_json::{Value, json};
use time::OffsetDateTime;

fn record(colour: &str) -> Value {
    json!({
        "name": "Chan Siu Ming",
        "birthDate": "1988-07-14",
        "documentNumber": "H87654321",
        "healthStatus": colour,
        "testResults": [{"testType": "nucleic-acid", "result": "negative",
                         "sampledAt": "2026-12-05T08:00:00Z"}],
        "vaccinations": []
    })
}

/// A world, a wallet with its keystore, and a CN-GD health code received in it.
struct Setup {
    world: TwoJurisdictions,
    wallet: Wallet,
    keystore: Arc<SoftwareKeystore>,
    stored: StoredCredential,
    _dir: crosscode_testing::TempDir,
}

async fn setup_with(policy: Option<ConversionPolicy>, colour: &str) -> Setup {
    let world = TwoJurisdictions::start(WorldOptions {
        policy,
        ..WorldOptions::default()
    })
    .await
    .unwrap();
    let dir = crosscode_testing::temp_dir("conversion-wallet");
    let (wallet, keystore) = open_wallet(&dir, b"pass").unwrap();
    let offer = world.offer(&record(colour)).await.unwrap();
    let trust = world.wallet_trust().await.unwrap();
    let summary = wallet
        .receive(&offer, None, &trust, OffsetDateTime::now_utc())
        .await
        .unwrap();
    let stored = wallet.get(&summary.id).unwrap();
    Setup {
        world,
        wallet,
        keystore,
        stored,
        _dir: dir,
    }
}

async fn setup() -> Setup {
    setup_with(None, "green").await
}

impl Setup {
    /// What MO has issued and sent to the chain: its credentials and its transactions.
    async fn target_output(&self) -> (u64, u64) {
        let target = &self.world.target;
        let credentials = target.service.store().count(Table::Credentials).unwrap();
        let sent = self.world.chain.next_sequence(&target.did).await.unwrap();
        (credentials, sent)
    }

    fn source_id(&self) -> String {
        self.stored.credential["id"].as_str().unwrap().to_owned()
    }

    /// Crafts a request as `crafting` says, posts it, and checks it is refused with `code`
    /// and that MO issued and anchored nothing.
    async fn assert_refused_with(&self, crafting: Crafting<'_>, code: RefusalCode) {
        let terms = terms(&self.world.target.url).await.unwrap();
        let request = craft(
            &self.stored,
            self.keystore.as_ref(),
            &terms,
            &crafting,
            OffsetDateTime::now_utc(),
        )
        .unwrap();
        self.assert_body_refused(&serde_json::to_value(&request).unwrap(), code)
            .await;
    }

    /// Crafts an honest request, lets `edit` change its JSON, signs the consent anew at
    /// `signed_at` (the consent covers the request's hash, so the change reaches the later
    /// checks), posts it and checks it is refused with `code`, nothing issued.
    async fn assert_edited_refused(
        &self,
        edit: impl FnOnce(&mut Value),
        signed_at: OffsetDateTime,
        code: RefusalCode,
    ) {
        let terms = terms(&self.world.target.url).await.unwrap();
        let request = craft(
            &self.stored,
            self.keystore.as_ref(),
            &terms,
            &Crafting::default(),
            OffsetDateTime::now_utc(),
        )
        .unwrap();
        let mut body = serde_json::to_value(&request).unwrap();
        edit(&mut body);
        let resigned = resign(
            body,
            &self.stored,
            self.keystore.as_ref(),
            &terms,
            signed_at,
        )
        .unwrap();
        self.assert_body_refused(&serde_json::to_value(&resigned).unwrap(), code)
            .await;
    }

    async fn assert_body_refused(&self, body: &Value, code: RefusalCode) {
        let before = self.target_output().await;
        let (status, answer) = post_conversion(&self.world.target.url, body).await.unwrap();
        assert_eq!(answer["code"], code.as_str(), "{status} {answer}");
        assert_eq!(status, code.http_status(), "{answer}");
        assert_eq!(
            self.target_output().await,
            before,
            "a refused conversion issues and anchors nothing"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cn_gd_health_code_converts_into_an_mo_one_without_cn_gd_being_reachable() {
    let mut setup = setup().await;
    // B never contacts A: CN-GD's service is down for the whole conversion.
    setup.world.source.stop_service().await.unwrap();
    let trust = setup.world.wallet_trust().await.unwrap();
    let summary = setup
        .wallet
        .convert(
            &setup.stored.id,
            &setup.world.target.url,
            &trust,
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(summary.issuer, setup.world.target.did.as_str());
    assert!(
        summary.selective,
        "the converted code can disclose only some claims"
    );
    assert_ne!(
        summary.holder_did, setup.stored.holder_did,
        "a fresh holder key"
    );

    let converted = setup.wallet.get(&summary.id).unwrap();
    let subject = &converted.credential["credentialSubject"];
    assert_eq!(subject["jurisdiction"], TARGET);
    assert_eq!(subject["statusColour"], "green");
    assert_eq!(
        subject["statusDate"],
        setup.stored.credential["credentialSubject"]["statusDate"]
    );
    for personal in ["name", "birthDate", "documentNumber", "latestTest"] {
        assert!(
            subject.get(personal).is_none(),
            "{personal} stayed in CN-GD"
        );
    }
    let provenance = &converted.credential["evidence"][1];
    assert_eq!(provenance["type"][0], "CrosscodeConversion");
    assert_eq!(provenance["sourceIssuer"], setup.world.source.did.as_str());
    assert_eq!(
        provenance["sourceCredentialHash"],
        setup.stored.anchor.as_ref().unwrap().credential_hash
    );
    let desk = setup.world.target.desk.as_ref().unwrap();
    assert_eq!(
        provenance["policy"],
        hex::encode(desk.published().policy_hash.0)
    );

    // C_B is anchored by MO: its receipt leads to a batch root on the chain.
    let receipt = converted.anchor.as_ref().unwrap();
    let id = converted.credential["id"].as_str().unwrap();
    let root = verify_receipt(CryptoProfile::Standard, receipt, id).unwrap();
    let batch = setup
        .world
        .chain
        .state(Namespace::Batch, &root, false, None)
        .await
        .unwrap();
    assert!(batch.value.is_some(), "C_B's batch root is on the chain");
    // The policy's hash is anchored too.
    let policy = setup
        .world
        .chain
        .state(
            Namespace::Evidence,
            &desk.published().policy_hash.0,
            false,
            None,
        )
        .await
        .unwrap();
    assert!(policy.value.is_some());

    // CN-GD revokes C_A: a second conversion is refused at the status step.
    setup
        .world
        .source
        .change_status(&setup.source_id(), StatusAction::Revoke)
        .await
        .unwrap();
    let refused = setup
        .wallet
        .convert(
            &setup.stored.id,
            &setup.world.target.url,
            &trust,
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            &refused,
            WalletError::Convert(ConvertError::Refused {
                code: RefusalCode::Revoked,
                ..
            })
        ),
        "{refused}"
    );
    assert_eq!(setup.wallet.list().unwrap().len(), 2, "nothing more stored");
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replayed_challenge_is_refused() {
    let setup = setup().await;
    let terms = terms(&setup.world.target.url).await.unwrap();
    let request = craft(
        &setup.stored,
        setup.keystore.as_ref(),
        &terms,
        &Crafting::default(),
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    let body = serde_json::to_value(&request).unwrap();
    let (status, answer) = post_conversion(&setup.world.target.url, &body)
        .await
        .unwrap();
    assert_eq!(status, 200, "{answer}");
    setup
        .assert_body_refused(&body, RefusalCode::ChallengeReplayed)
        .await;
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expired_challenge_is_refused() {
    let world_policy = {
        // A policy whose challenges live one second.
        let issuer =
            crosscode_did_registry::dev::DevAuthority::derive(CryptoProfile::Standard, TARGET).did;
        let mut policy = default_policy(&issuer).unwrap();
        policy.challenge_seconds = 1;
        policy
    };
    let setup = setup_with(Some(world_policy), "green").await;
    let terms = terms(&setup.world.target.url).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let request = craft(
        &setup.stored,
        setup.keystore.as_ref(),
        &terms,
        &Crafting::default(),
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    setup
        .assert_body_refused(
            &serde_json::to_value(&request).unwrap(),
            RefusalCode::ChallengeExpired,
        )
        .await;
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_consent_signed_by_another_key_is_refused() {
    let setup = setup().await;
    let stranger = SecretKey::generate(KeyAlgorithm::Ed25519);
    setup
        .assert_refused_with(
            Crafting {
                consent_signer: Some(&stranger),
                ..Crafting::default()
            },
            RefusalCode::ConsentInvalid,
        )
        .await;
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_disclosing_more_than_the_policy_names_is_refused() {
    let setup = setup().await;
    setup
        .assert_refused_with(
            Crafting {
                extra_claims: &["vaccinationDoses"],
                ..Crafting::default()
            },
            RefusalCode::DisclosesTooMuch,
        )
        .await;
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_carrying_a_personal_claim_is_refused_as_personal_data() {
    let setup = setup().await;
    let terms = terms(&setup.world.target.url).await.unwrap();
    let request = craft(
        &setup.stored,
        setup.keystore.as_ref(),
        &terms,
        &Crafting::default(),
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    let mut body = serde_json::to_value(&request).unwrap();
    body["source"]["credential"]["credentialSubject"]["documentNumber"] = json!("X");
    setup
        .assert_body_refused(&body, RefusalCode::PersonalData)
        .await;
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revoked_or_suspended_source_is_refused_at_the_status_step() {
    let setup = setup().await;
    setup
        .world
        .source
        .change_status(&setup.source_id(), StatusAction::Suspend)
        .await
        .unwrap();
    setup
        .assert_refused_with(Crafting::default(), RefusalCode::Suspended)
        .await;
    setup
        .world
        .source
        .change_status(&setup.source_id(), StatusAction::Revoke)
        .await
        .unwrap();
    setup
        .assert_refused_with(Crafting::default(), RefusalCode::Revoked)
        .await;
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_source_issuer_no_longer_scoped_for_the_type_is_refused() {
    let setup = setup().await;
    let world = &setup.world;
    let authority =
        crosscode_did_registry::dev::DevAuthority::derive(CryptoProfile::Standard, SOURCE);
    let mut scope = authority.scope(world.consortium.genesis.genesis_time);
    scope.credential_types = vec!["Vaccination".to_owned()];
    let members = &world.consortium.members;
    let proposed = world
        .chain
        .propose(
            &members[0].key,
            Some(&members[0].did),
            GovernanceAction::RescopeIssuer {
                issuer: authority.did.clone(),
                scope,
            },
            1_000,
        )
        .await
        .unwrap();
    world
        .chain
        .vote(&members[1].key, Some(&members[1].did), proposed.id, true)
        .await
        .unwrap();
    setup
        .assert_refused_with(Crafting::default(), RefusalCode::OutOfScope)
        .await;
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_suspended_source_issuer_is_refused() {
    let setup = setup().await;
    setup
        .world
        .suspend_issuer(&setup.world.source.did)
        .await
        .unwrap();
    setup
        .assert_refused_with(Crafting::default(), RefusalCode::IssuerSuspended)
        .await;
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tampered_proof_is_refused() {
    let setup = setup().await;
    // The disclosed status date moved: the BBS proof no longer verifies.
    setup
        .assert_edited_refused(
            |body| {
                body["source"]["credential"]["credentialSubject"]["statusDate"] =
                    json!("2001-01-01")
            },
            OffsetDateTime::now_utc(),
            RefusalCode::ProofInvalid,
        )
        .await;
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_under_a_policy_version_that_is_not_the_anchored_one_is_refused() {
    let setup = setup().await;
    let mut terms = terms(&setup.world.target.url).await.unwrap();
    // The wallet holds another version of the policy (stricter rules, say): its hash is not
    // the one MO anchored and applies.
    let mut other = terms.published.policy.clone();
    other.rules = PolicyRules::new(json!([])).unwrap();
    terms.published.policy_hash = other.hash().unwrap();
    let request = craft(
        &setup.stored,
        setup.keystore.as_ref(),
        &terms,
        &Crafting::default(),
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    setup
        .assert_body_refused(
            &serde_json::to_value(&request).unwrap(),
            RefusalCode::PolicyMismatch,
        )
        .await;
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_health_code_that_fails_the_policy_rules_is_refused() {
    let setup = setup_with(None, "yellow").await;
    setup
        .assert_refused_with(Crafting::default(), RefusalCode::RulesFailed)
        .await;
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unknown_challenge_and_a_malformed_request_are_refused() {
    let setup = setup().await;
    let terms = terms(&setup.world.target.url).await.unwrap();
    let request = craft(
        &setup.stored,
        setup.keystore.as_ref(),
        &terms,
        &Crafting::default(),
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    let mut body = serde_json::to_value(&request).unwrap();
    body["challenge"] = json!(crosscode_core::crossborder::Challenge::random().as_str());
    setup
        .assert_body_refused(&body, RefusalCode::ChallengeUnknown)
        .await;
    setup
        .assert_body_refused(&json!({"policyHash": "00"}), RefusalCode::MalformedRequest)
        .await;
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_source_whose_receipt_does_not_prove_its_anchor_is_refused() {
    let setup = setup().await;
    // Another credential hash under the same id: the leaf is not in the anchored batch.
    setup
        .assert_edited_refused(
            |body| body["source"]["anchor"]["credentialHash"] = json!("ab".repeat(32)),
            OffsetDateTime::now_utc(),
            RefusalCode::NotAnchored,
        )
        .await;
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_consent_signed_long_ago_is_refused() {
    let setup = setup().await;
    setup
        .assert_edited_refused(
            |_| {},
            OffsetDateTime::now_utc() - time::Duration::minutes(10),
            RefusalCode::ConsentInvalid,
        )
        .await;
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_leaving_out_a_claim_the_policy_needs_is_refused() {
    let setup = setup().await;
    setup
        .assert_refused_with(
            Crafting {
                omitted_claims: &["statusDate"],
                ..Crafting::default()
            },
            RefusalCode::ClaimMissing,
        )
        .await;
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_source_the_policy_does_not_accept_is_refused_by_the_wallet_and_by_the_authority() {
    // MO converts only Hong Kong's health codes.
    let mo = crosscode_did_registry::dev::DevAuthority::derive(CryptoProfile::Standard, TARGET);
    let mut policy = serde_json::to_value(default_policy(&mo.did).unwrap()).unwrap();
    policy["accepts"] = json!([{"jurisdiction": "HK", "credentialType": "HealthCode"}]);
    let setup = setup_with(Some(serde_json::from_value(policy).unwrap()), "green").await;

    // The wallet reads the policy and does not even ask.
    let trust = setup.world.wallet_trust().await.unwrap();
    let err = setup
        .wallet
        .convert(
            &setup.stored.id,
            &setup.world.target.url,
            &trust,
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, WalletError::Convert(ConvertError::NotAccepted)),
        "{err:?}"
    );
    // A client that asks anyway is refused, and nothing is issued.
    setup
        .assert_refused_with(Crafting::default(), RefusalCode::SourceNotAccepted)
        .await;
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_prepared_conversion_dropped_unsent_leaves_no_key_and_one_sent_later_converts() {
    let setup = setup().await;
    let keys = || std::fs::read_dir(setup._dir.join("keys")).unwrap().count();
    let trust = setup.world.wallet_trust().await.unwrap();
    let url = setup.world.target.url.as_str();
    let (keys_before, output_before) = (keys(), setup.target_output().await);

    let prepared = setup
        .wallet
        .prepare_conversion(&setup.stored.id, url, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(keys(), keys_before + 1, "the new holder key is made");
    drop(prepared);
    assert_eq!(keys(), keys_before, "an unsent request's key is deleted");
    assert_eq!(
        setup.target_output().await,
        output_before,
        "nothing was sent"
    );

    let prepared = setup
        .wallet
        .prepare_conversion(&setup.stored.id, url, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert!(
        !format!("{prepared:?}").contains("green"),
        "a prepared request does not print what it discloses"
    );
    let summary = setup
        .wallet
        .send_conversion(prepared, &trust, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(summary.issuer, setup.world.target.did.as_str());
    assert_eq!(keys(), keys_before + 1, "the sent request's key is kept");
    assert_eq!(setup.wallet.list().unwrap().len(), 2);

    // A request prepared by this wallet and sent through another is refused; its key goes.
    let other_dir = crosscode_testing::temp_dir("conversion-other-wallet");
    let (other, _) = open_wallet(&other_dir, b"pass").unwrap();
    let prepared = setup
        .wallet
        .prepare_conversion(&setup.stored.id, url, OffsetDateTime::now_utc())
        .await
        .unwrap();
    let err = other
        .send_conversion(prepared, &trust, OffsetDateTime::now_utc())
        .await
        .unwrap_err();
    assert!(
        matches!(err, WalletError::Convert(ConvertError::OtherWallet)),
        "{err:?}"
    );
    assert_eq!(err.code(), "other_wallet");
    assert_eq!(
        keys(),
        keys_before + 1,
        "the refused request's key is deleted"
    );
    assert!(other.list().unwrap().is_empty());
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_source_naming_an_issuer_the_chain_never_admitted_is_refused() {
    // A forged issuer: the source claims to come from a DID on the chain that is no
    // admitted authority (a consortium member's own DID).
    let setup = setup().await;
    let member = setup.world.consortium.members[0].did.as_str().to_owned();
    setup
        .assert_edited_refused(
            |body| body["source"]["credential"]["issuer"] = json!(member),
            OffsetDateTime::now_utc(),
            RefusalCode::IssuerNotAdmitted,
        )
        .await;
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_while_the_chain_is_unreachable_is_refused_as_trust_unavailable() {
    let setup = setup().await;
    let terms = terms(&setup.world.target.url).await.unwrap();
    let request = craft(
        &setup.stored,
        setup.keystore.as_ref(),
        &terms,
        &Crafting::default(),
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    let issued_before = setup
        .world
        .target
        .service
        .store()
        .count(Table::Credentials)
        .unwrap();
    // MO cannot check anything against a chain it cannot reach: it refuses, and issues
    // nothing on a stale view.
    let Setup { world, .. } = setup;
    let TwoJurisdictions { node, target, .. } = world;
    node.shutdown().await.unwrap();
    let (status, answer) = post_conversion(&target.url, &serde_json::to_value(&request).unwrap())
        .await
        .unwrap();
    assert_eq!(
        answer["code"],
        RefusalCode::TrustUnavailable.as_str(),
        "{status} {answer}"
    );
    assert_eq!(status, RefusalCode::TrustUnavailable.http_status());
    assert_eq!(
        target.service.store().count(Table::Credentials).unwrap(),
        issued_before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_wallet_refuses_a_policy_whose_published_hash_is_not_its_own_and_sends_nothing() {
    let setup = setup().await;
    let trust = setup.world.wallet_trust().await.unwrap();
    // A service (or a proxy in the way) answers MO's policy under another hash.
    let terms = terms(&setup.world.target.url).await.unwrap();
    let mut published = serde_json::to_value(&terms.published).unwrap();
    published["policyHash"] = json!(hex::encode([7u8; 32]));
    // No challenge route: had the wallet asked for one, it would fail otherwise.
    let url = crosscode_testing::fixed_answer::routed_server(vec![(
        "GET /v1/conversion/policy",
        200,
        published.to_string(),
    )]);
    let keys = || std::fs::read_dir(setup._dir.join("keys")).unwrap().count();
    let keys_before = keys();
    let err = setup
        .wallet
        .convert(&setup.stored.id, &url, &trust, OffsetDateTime::now_utc())
        .await
        .unwrap_err();
    assert!(
        matches!(err, WalletError::Convert(ConvertError::PolicyHashMismatch)),
        "{err:?}"
    );
    assert_eq!(err.code(), "issuer_refused");
    assert_eq!(keys(), keys_before, "no holder key was made");
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_credential_stored_without_an_anchor_receipt_cannot_be_converted() {
    let setup = setup().await;
    let trust = setup.world.wallet_trust().await.unwrap();
    // A credential whose issuer answered no receipt (as an issuer without the chain does).
    let store = crosscode_wallet_core::store::CredentialStore::open(
        &setup._dir,
        b"pass",
        crosscode_core::keys::KdfParams::INSECURE_FOR_TESTS,
    )
    .unwrap();
    let unanchored = StoredCredential {
        id: crosscode_wallet_core::store::CredentialStore::new_id(),
        anchor: None,
        ..setup.stored.clone()
    };
    store.put(&unanchored).unwrap();
    let err = setup
        .wallet
        .convert(
            &unanchored.id,
            &setup.world.target.url,
            &trust,
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, WalletError::Convert(ConvertError::NoAnchorReceipt)),
        "{err:?}"
    );
    assert_eq!(err.code(), "no_anchor_receipt");
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_desk_opened_with_a_policy_that_does_not_fit_the_authority_is_refused_and_anchors_nothing()
 {
    let world = TwoJurisdictions::start(WorldOptions::default())
        .await
        .unwrap();
    let target = &world.target;
    let chain_url = target.service.writer().client().base_url().to_owned();
    let sent_before = world.chain.next_sequence(&target.did).await.unwrap();
    let policy = serde_json::to_value(default_policy(&target.did).unwrap()).unwrap();
    let altered = |edit: &dyn Fn(&mut Value)| {
        let mut policy = policy.clone();
        edit(&mut policy);
        serde_json::from_value::<ConversionPolicy>(policy).unwrap()
    };
    let cases: Vec<(&str, ConversionPolicy)> = vec![
        (
            "its issuer is another DID",
            altered(&|p| p["issuer"] = json!(world.source.did.as_str())),
        ),
        (
            "its jurisdiction is not the authority's",
            altered(&|p| p["jurisdiction"] = json!("HK")),
        ),
        (
            "it issues a type this service is not configured for",
            altered(&|p| p["issues"] = json!("VaccinationCertificate")),
        ),
        (
            "its claims must name `jurisdiction`",
            altered(&|p| p["claims"] = json!(["type", "statusColour", "statusDate"])),
        ),
    ];
    for (reason, policy) in cases {
        let client = crosscode_registry_client::RegistryClient::new(&chain_url).unwrap();
        let refused = ConversionDesk::open(&target.service, policy, client, world.pinned.clone())
            .await
            .unwrap_err();
        assert!(
            matches!(refused, DeskError::PolicyMismatch(why) if why.starts_with(reason)),
            "{reason}: {refused}"
        );
    }
    let client = crosscode_registry_client::RegistryClient::new(&chain_url).unwrap();
    let rules = altered(&|p| {
        p["rules"] = json!([{"Identifier": "CV-MO-0002", "Type": "Sometimes", "Logic": true}])
    });
    let refused = ConversionDesk::open(&target.service, rules, client, world.pinned.clone())
        .await
        .unwrap_err();
    assert!(matches!(refused, DeskError::Rules(_)), "{refused}");
    assert_eq!(
        world.chain.next_sequence(&target.did).await.unwrap(),
        sent_before,
        "no policy hash was anchored"
    );
    world.stop().await.unwrap();
}
