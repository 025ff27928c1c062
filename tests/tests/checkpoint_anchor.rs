//! Anchor inclusion at the checkpoint: a wallet carries its credential's anchor receipt beside
//! the dynamic presentation, and a checkpoint holding a trust cache synced from the chain
//! checks offline that the receipt's path leads from the credential's anchor leaf to a batch
//! its issuer anchored — and refuses a code whose receipt is missing (when required), altered,
//! made up, or another credential's, and one whose credential hash the receipt proves is
//! revoked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;

use crosscode_core::VerificationStep;
use crosscode_core::anchor::AnchorReceipt;
use crosscode_did_registry::dev::DevAuthority;
use crosscode_did_registry::evidence::anchor_leaf;
use crosscode_did_registry::merkle::merkle_root;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::transaction::{StatusChange, StatusKey};
use crosscode_tests::jurisdictions::{SOURCE, TARGET, TwoJurisdictions, WorldOptions, open_wallet};
use crosscode_tests::scenario::sample_subject;
use crosscode_verifier::chain_trust::ChainTrust;
use crosscode_verifier::format::cc1::{Cc1, PresentationPolicy};
use crosscode_verifier::report::StepOutcome;
use crosscode_verifier::{Report, TrustStore, Verdict, Verifier};
use crosscode_wallet_core::Wallet;
use crosscode_wallet_core::keystore::SoftwareKeystore;
use crosscode_wallet_core::present::present_with_anchor;
use crosscode_wallet_core::store::StoredCredential;
use time::OffsetDateTime;

const DISCLOSE: [&str; 2] = ["statusColour", "statusDate"];

struct Setup {
    world: TwoJurisdictions,
    wallet: Wallet,
    keystore: Arc<SoftwareKeystore>,
    /// Two CN-GD health codes in the wallet, each with its receipt.
    first: StoredCredential,
    second: StoredCredential,
    trust: ChainTrust,
    _dir: crosscode_testing::TempDir,
}

async fn setup() -> Setup {
    let world = TwoJurisdictions::start(WorldOptions::default())
        .await
        .unwrap();
    let dir = crosscode_testing::temp_dir("anchor-wallet");
    let (wallet, keystore) = open_wallet(&dir, b"pass").unwrap();
    let wallet = wallet.with_anchor_receipts(true);
    let wallet_trust = world.wallet_trust().await.unwrap();
    let mut stored = Vec::new();
    for _ in 0..2 {
        let offer = world.offer(&sample_subject()).await.unwrap();
        let summary = wallet
            .receive(&offer, None, &wallet_trust, OffsetDateTime::now_utc())
            .await
            .unwrap();
        let credential = wallet.get(&summary.id).unwrap();
        assert!(credential.anchor.is_some(), "the issuer gave a receipt");
        stored.push(credential);
    }
    let trust = world.checkpoint_trust().await.unwrap();
    let second = stored.pop().unwrap();
    let first = stored.pop().unwrap();
    Setup {
        world,
        wallet,
        keystore,
        first,
        second,
        trust,
        _dir: dir,
    }
}

impl Setup {
    fn checkpoint(&self, require_anchor: bool) -> Verifier {
        Verifier::new(TrustStore::new())
            .with_format(Box::new(Cc1::with_policy(PresentationPolicy {
                require_dynamic: true,
                require_anchor,
                ..PresentationPolicy::default()
            })))
            .with_chain_trust(self.trust.clone())
    }

    /// The first credential's dynamic presentation carrying `anchor` at `now`: its payload.
    fn payload_with(&self, anchor: Option<&AnchorReceipt>, now: OffsetDateTime) -> String {
        let disclose: Vec<String> = DISCLOSE.iter().map(|claim| (*claim).to_owned()).collect();
        present_with_anchor(
            &self.first,
            self.keystore.as_ref(),
            &disclose,
            None,
            true,
            now,
            anchor,
        )
        .unwrap()
        .payload
    }

    /// [`Setup::payload_with`] verified by a checkpoint that requires a receipt (or not).
    fn shown_with(&self, anchor: Option<&AnchorReceipt>, require_anchor: bool) -> Report {
        let now = OffsetDateTime::now_utc();
        self.checkpoint(require_anchor)
            .verify_text(&self.payload_with(anchor, now), now)
    }

    fn receipt(&self) -> AnchorReceipt {
        self.first.anchor.clone().unwrap()
    }
}

fn assert_not_anchored(report: &Report) {
    assert_eq!(report.verdict(), Verdict::Reject, "{report:?}");
    let (step, error) = report.failure().unwrap();
    assert_eq!(step, VerificationStep::AnchorInclusion, "{error}");
    assert_eq!(error.code(), "NOT_ANCHORED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dynamic_code_carrying_its_receipt_is_accepted_with_anchor_inclusion_passed() {
    let setup = setup().await;
    let disclose: Vec<String> = DISCLOSE.iter().map(|claim| (*claim).to_owned()).collect();
    let now = OffsetDateTime::now_utc();
    // Through the wallet, which carries the receipt when asked to.
    let shown = setup
        .wallet
        .present(&setup.first.id, &disclose, None, true, now)
        .unwrap();
    let report = setup.checkpoint(true).verify_text(&shown.payload, now);
    assert_eq!(report.verdict(), Verdict::Accept, "{report:?}");
    let StepOutcome::Passed(detail) = report.outcome(VerificationStep::AnchorInclusion) else {
        panic!("{report:?}")
    };
    assert!(
        detail.contains(&format!("height {}", setup.receipt().height)),
        "{detail}"
    );
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_code_without_a_receipt_is_refused_when_required_and_skips_the_step_otherwise() {
    let setup = setup().await;
    assert_not_anchored(&setup.shown_with(None, true));
    let report = setup.shown_with(None, false);
    assert_eq!(report.verdict(), Verdict::Accept, "{report:?}");
    assert!(matches!(
        report.outcome(VerificationStep::AnchorInclusion),
        StepOutcome::Skipped(_)
    ));
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_altered_receipt_is_refused_even_when_not_required() {
    let setup = setup().await;
    let mut other_hash = setup.receipt();
    other_hash.credential_hash = "00".repeat(32);
    let mut other_height = setup.receipt();
    other_height.height += 1;
    let mut other_chain = setup.receipt();
    other_chain.chain_id = "another-chain".into();
    let mut other_size = setup.receipt();
    other_size.size += 1;
    for altered in [other_hash, other_height, other_chain, other_size] {
        assert_not_anchored(&setup.shown_with(Some(&altered), false));
    }
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_credential_never_anchored_is_refused_with_a_receipt_made_up_for_it() {
    let setup = setup().await;
    // A one-leaf batch of this credential's own leaf: the path checks, but no batch with that
    // root was ever anchored on the chain.
    let id = setup.first.credential["id"].as_str().unwrap();
    let profile = setup.trust.chain.profile;
    let hash = [7; 32];
    let made_up = AnchorReceipt {
        credential_hash: hex::encode(hash),
        merkle_root: hex::encode(merkle_root(profile, &[anchor_leaf(profile, id, &hash)])),
        index: 0,
        size: 1,
        path: Vec::new(),
        ..setup.receipt()
    };
    assert_not_anchored(&setup.shown_with(Some(&made_up), false));
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_credentials_receipt_does_not_prove_this_one_anchored() {
    let setup = setup().await;
    let theirs = setup.second.anchor.clone().unwrap();
    assert_not_anchored(&setup.shown_with(Some(&theirs), false));
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_checkpoint_requiring_receipts_without_a_synced_cache_refuses_even_a_carried_one() {
    let setup = setup().await;
    let now = OffsetDateTime::now_utc();
    let payload = setup.payload_with(setup.first.anchor.as_ref(), now);
    // The authorities' keys from trust-cache files, no chain to check the receipt against.
    let keys_only = |require_anchor| {
        Verifier::new(TrustStore::new())
            .with_format(Box::new(Cc1::with_policy(PresentationPolicy {
                require_anchor,
                ..PresentationPolicy::default()
            })))
            .with_crosscode_trust(setup.trust.key_resolver())
    };
    assert_not_anchored(&keys_only(true).verify_text(&payload, now));
    let report = keys_only(false).verify_text(&payload, now);
    assert_eq!(report.verdict(), Verdict::Accept, "{report:?}");
    assert!(matches!(
        report.outcome(VerificationStep::AnchorInclusion),
        StepOutcome::Skipped(_)
    ));
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_derived_code_is_refused_at_status_when_its_credential_hash_is_revoked_through_the_receipt()
 {
    let mut setup = setup().await;
    let receipt = setup.receipt();
    // CN-GD revokes the credential by its hash — an entry a derived form alone cannot be
    // looked up by.
    let cn_gd = DevAuthority::derive(CryptoProfile::Standard, SOURCE);
    setup
        .world
        .chain
        .set_status(
            &cn_gd.chain_key,
            Some(&cn_gd.did),
            StatusKey::CredentialHash(receipt.credential_hash().unwrap()),
            StatusChange::Revoke,
        )
        .await
        .unwrap();
    setup.trust = setup.world.checkpoint_trust().await.unwrap();
    let report = setup.shown_with(Some(&receipt), false);
    assert_eq!(
        report.failure().map(|(step, error)| (step, error.code())),
        Some((VerificationStep::Status, "REVOKED")),
        "{report:?}"
    );
    // Without the receipt the checkpoint has no hash to look up: the status pointers alone.
    assert_eq!(setup.shown_with(None, false).verdict(), Verdict::Accept);
    setup.world.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_receipt_for_a_batch_another_authority_anchored_is_refused() {
    let mut setup = setup().await;
    // MO anchors a one-leaf batch of CN-GD's credential id (with another hash: the chain
    // refuses a root anchored before): the path checks, the batch is on the chain, but it is
    // not the credential issuer's anchor.
    let id = setup.first.credential["id"].as_str().unwrap();
    let profile = setup.trust.chain.profile;
    let hash = [9; 32];
    let root = merkle_root(profile, &[anchor_leaf(profile, id, &hash)]);
    let mo = DevAuthority::derive(CryptoProfile::Standard, TARGET);
    let committed = setup
        .world
        .chain
        .anchor_batch(&mo.chain_key, Some(&mo.did), &root, 1)
        .await
        .unwrap();
    setup.trust = setup.world.checkpoint_trust().await.unwrap();
    let by_another = AnchorReceipt {
        credential_hash: hex::encode(hash),
        merkle_root: hex::encode(root),
        index: 0,
        size: 1,
        path: Vec::new(),
        height: committed.height,
        transaction: hex::encode(committed.hash),
        ..setup.receipt()
    };
    let report = setup.shown_with(Some(&by_another), false);
    assert_not_anchored(&report);
    assert!(
        format!("{:?}", report.failure()).contains("not the credential issuer's"),
        "{report:?}"
    );
    setup.world.stop().await.unwrap();
}
