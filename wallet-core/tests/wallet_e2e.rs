//! The wallet end to end against the issuer service on loopback (a dev chain node in process,
//! the MO authority admitted): receive over OpenID4VCI with verification on arrival, list,
//! present a selective-disclosure dynamic QR code, and the checkpoint side (core's CC1 decoder)
//! accepting it until its time slot is stale; every refusal a typed error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use std::sync::Arc;

use crosscode_core::data_integrity::VerificationStep;
use crosscode_core::did::{DidUrl, TrustCache};
use crosscode_core::envelope::{self, EnvelopeError, SecuringForm, time_slot};
use crosscode_core::keys::{KeyAlgorithm, PublicKey, SecretKey};
use crosscode_testing::temp_dir;
use crosscode_wallet_core::WalletError;
use crosscode_wallet_core::keystore::{KeyHandle, Keystore, KeystoreError, SoftwareKeystore};
use crosscode_wallet_core::present::PresentError;
use crosscode_wallet_core::receive::{ReceiveError, check_status};
use crosscode_wallet_core::store::StatusCheck;
use crosscode_wallet_core::transport::{HttpRequest, HttpTransport, Transport, TransportFuture};
use serde_json::Value;
use support::*;
use time::{Duration, OffsetDateTime};

/// Regression bound of the selective health-code presentation (characters of the CC1 payload):
/// measured 1,732 with the issuer service's health code (10 hidden claims cost 320 bytes of
/// BBS proof on top of its fixed 272; two status entries and a schema URL are mandatory). The
/// issue's target of 1,000 needs a more compact credential from the issuer (`docs/wallet.md`,
/// "Sizes").
const SELECTIVE_BOUND: usize = 1_800;
/// Regression bound of the non-selective signed form: measured 1,084 (target 600, same cause:
/// the whole credential with its personal claims travels).
const NON_SELECTIVE_BOUND: usize = 1_150;

#[tokio::test]
async fn a_wallet_receives_a_health_code_and_presents_a_dynamic_qr_that_expires_with_its_slot() {
    let fixture = Fixture::start().await;
    let trust = fixture.trust().await;
    let dir = temp_dir("wallet-e2e-holder");
    let wallet = wallet(&dir);

    let (uri, tx_code) = fixture.offer(true).await;
    // The offer asks for its transaction code: without it nothing is sent.
    let err = wallet
        .receive(&uri, None, &trust, OffsetDateTime::now_utc())
        .await
        .unwrap_err();
    assert!(
        matches!(err, WalletError::Receive(ReceiveError::TxCodeRequired)),
        "{err}"
    );
    let summary = wallet
        .receive(&uri, tx_code.as_deref(), &trust, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert!(summary.types.contains(&"HealthCode".to_owned()));
    assert!(summary.issuer.starts_with("did:crosscode:"));
    assert!(summary.selective);
    assert_eq!(summary.status, StatusCheck::Good);
    assert_eq!(wallet.list().unwrap(), vec![summary.clone()]);
    let stored = wallet.get(&summary.id).unwrap();
    assert_eq!(
        stored.credential["credentialSubject"]["id"],
        stored.holder_did.as_str()
    );

    // The same offer again: the pre-authorized code is single use.
    let err = wallet
        .receive(&uri, tx_code.as_deref(), &trust, OffsetDateTime::now_utc())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            WalletError::Receive(ReceiveError::OfferNotRedeemable(_))
        ),
        "{err}"
    );
    assert_eq!(err.code(), "offer_not_redeemable");
    // A second credential has its own holder did:key.
    let (uri, _) = fixture.offer(false).await;
    let second = wallet
        .receive(&uri, None, &trust, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_ne!(second.holder_did, summary.holder_did);
    assert_eq!(wallet.list().unwrap().len(), 2);

    // Present: only the status colour and date, for checkpoint-7, for the current slot.
    let now = OffsetDateTime::now_utc();
    let disclose = vec!["statusColour".to_owned(), "statusDate".to_owned()];
    let shown = wallet
        .present(&summary.id, &disclose, Some("checkpoint-7"), true, now)
        .unwrap();
    println!(
        "selective dynamic presentation: {} characters",
        shown.payload.len()
    );
    assert_eq!(shown.time_slot, Some(time_slot::slot_at(now)));
    assert_eq!(
        crosscode_core::envelope::qr_image::read_qr_text(&shown.png).unwrap(),
        shown.payload
    );

    // The checkpoint: core's CC1 decoder with the trust of the chain.
    let verified = envelope::decode(&shown.payload, &trust, now).unwrap();
    assert!(matches!(verified.form, SecuringForm::CoseSign1 { .. }));
    let presentation = &verified.document;
    assert_eq!(presentation["holder"], summary.holder_did.as_str());
    time_slot::check_audience(presentation, "checkpoint-7").unwrap();
    assert_eq!(
        time_slot::require_dynamic(presentation, now),
        Ok(time_slot::slot_at(now))
    );
    let subject = &presentation["verifiableCredential"]["credentialSubject"];
    assert_eq!(subject["statusColour"], "green");
    assert!(subject.get("statusDate").is_some());
    for hidden in ["name", "birthDate", "documentNumber", "latestTest"] {
        assert!(subject.get(hidden).is_none(), "{hidden} is disclosed");
    }
    assert!(!shown.payload.contains("CHAN"));
    // Half a minute later it still passes; a screenshot two slots old is refused.
    envelope::decode(&shown.payload, &trust, now + Duration::seconds(30)).unwrap();
    let stale = envelope::decode(&shown.payload, &trust, now + Duration::seconds(90)).unwrap_err();
    assert!(
        matches!(stale, EnvelopeError::StaleTimeSlot { .. }),
        "{stale}"
    );
    assert_eq!(stale.step(), Some(VerificationStep::ValidityWindow));
    assert_eq!(
        time_slot::check_audience(presentation, "checkpoint-8"),
        Err(EnvelopeError::WrongAudience)
    );

    // A static presentation of the whole credential with one proof (non-selective form).
    let whole = crosscode_wallet_core::present::present(
        &strip_bbs(stored.clone()),
        support::software_keystore(&dir).as_ref(),
        &[],
        None,
        false,
        now,
    )
    .unwrap();
    println!(
        "non-selective signed presentation: {} characters",
        whole.payload.len()
    );
    envelope::decode(&whole.payload, &trust, now + Duration::days(1)).unwrap();
    assert!(matches!(
        crosscode_wallet_core::present::present(
            &strip_bbs(stored),
            support::software_keystore(&dir).as_ref(),
            &disclose,
            None,
            false,
            now,
        ),
        Err(PresentError::NotSelective)
    ));
    assert!(
        shown.payload.len() <= SELECTIVE_BOUND,
        "selective presentation of {} characters (bound {SELECTIVE_BOUND})",
        shown.payload.len()
    );
    assert!(
        whole.payload.len() <= NON_SELECTIVE_BOUND,
        "non-selective presentation of {} characters (bound {NON_SELECTIVE_BOUND})",
        whole.payload.len()
    );

    // Delete removes the credential and its holder key.
    wallet.delete(&summary.id).unwrap();
    assert_eq!(wallet.list().unwrap(), vec![second]);
    let err = wallet
        .present(&summary.id, &disclose, None, true, now)
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
    fixture.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// The stored credential without its BBS proof (a credential issued without one).
fn strip_bbs(
    mut stored: crosscode_wallet_core::store::StoredCredential,
) -> crosscode_wallet_core::store::StoredCredential {
    if let Some(Value::Array(proofs)) = stored.credential.get_mut("proof") {
        proofs.retain(|proof| proof["cryptosuite"] != "bbs-jcs-2026");
    }
    stored
}

/// A transport that changes the credential the issuer answers (a man in the middle, or a
/// faulty issuer).
struct TamperingTransport(HttpTransport);

impl Transport for TamperingTransport {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        Box::pin(async move {
            let credential_endpoint = request.url.ends_with("/credential");
            let mut answer = self.0.send(request).await?;
            if credential_endpoint && answer.status == 200 {
                let mut body: Value = serde_json::from_slice(&answer.body).unwrap();
                body["credentials"][0]["credential"]["credentialSubject"]["statusColour"] =
                    Value::from("red");
                answer.body = body.to_string().into_bytes();
            }
            Ok(answer)
        })
    }
}

/// A platform keystore whose signing fails (a cancelled biometric prompt).
struct FailingKeystore(Arc<SoftwareKeystore>);

impl Keystore for FailingKeystore {
    fn generate(&self, algorithm: KeyAlgorithm) -> Result<KeyHandle, KeystoreError> {
        self.0.generate(algorithm)
    }
    fn public_key(&self, handle: &KeyHandle) -> Result<PublicKey, KeystoreError> {
        self.0.public_key(handle)
    }
    fn sign(&self, _: &KeyHandle, _: &[u8]) -> Result<Vec<u8>, KeystoreError> {
        Err(KeystoreError::Platform("the user cancelled".to_owned()))
    }
    fn delete(&self, handle: &KeyHandle) -> Result<(), KeystoreError> {
        self.0.delete(handle)
    }
}

/// `trust` with every verification method holding another key of its algorithm.
fn wrong_keys(trust: &TrustCache) -> TrustCache {
    let mut wrong = TrustCache::new();
    let json = trust.to_json();
    for method in json["verificationMethods"].as_object().unwrap().keys() {
        let method = DidUrl::parse(method).unwrap();
        let algorithm = trust.get(&method).unwrap().algorithm();
        wrong
            .insert(&method, SecretKey::generate(algorithm).public_key())
            .unwrap();
    }
    wrong
}

fn key_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("keys")).unwrap().count()
}

#[tokio::test]
async fn credentials_that_do_not_verify_and_failing_keystores_are_typed_refusals_that_store_nothing()
 {
    let fixture = Fixture::start().await;
    let trust = fixture.trust().await;
    let dir = temp_dir("wallet-e2e-refusals");
    let wallet = wallet(&dir);
    let now = OffsetDateTime::now_utc;

    // An issuer the app's trust does not know (not admitted): refused at key resolution.
    let (uri, _) = fixture.offer(false).await;
    let err = wallet
        .receive(&uri, None, &TrustCache::new(), now())
        .await
        .unwrap_err();
    match &err {
        WalletError::Receive(ReceiveError::Unverified(failure)) => {
            assert_eq!(failure.step, VerificationStep::KeyResolution, "{err}")
        }
        other => panic!("expected an unverified credential, got {other}"),
    }
    assert_eq!(err.code(), "unverified_credential");

    // The issuer's methods with other keys: refused at the signature.
    let (uri, _) = fixture.offer(false).await;
    let err = wallet
        .receive(&uri, None, &wrong_keys(&trust), now())
        .await
        .unwrap_err();
    match &err {
        WalletError::Receive(ReceiveError::Unverified(failure)) => {
            assert_eq!(failure.step, VerificationStep::Signature, "{err}")
        }
        other => panic!("expected an unverified credential, got {other}"),
    }

    // A credential changed on the way.
    let tampering = wallet_with(
        &dir,
        software_keystore(&dir),
        Arc::new(TamperingTransport(HttpTransport::new().unwrap())),
    );
    let (uri, _) = fixture.offer(false).await;
    let err = tampering
        .receive(&uri, None, &trust, now())
        .await
        .unwrap_err();
    assert!(
        matches!(err, WalletError::Receive(ReceiveError::Unverified(_))),
        "{err}"
    );

    // A keystore that fails to sign the proof of possession.
    let failing = wallet_with(
        &dir,
        Arc::new(FailingKeystore(software_keystore(&dir))),
        Arc::new(HttpTransport::new().unwrap()),
    );
    let (uri, _) = fixture.offer(false).await;
    let err = failing
        .receive(&uri, None, &trust, now())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            WalletError::Receive(ReceiveError::Keystore(KeystoreError::Platform(_)))
        ),
        "{err}"
    );
    assert_eq!(err.code(), "keystore");

    // Nothing was stored, and every holder key made on the way was deleted.
    assert!(wallet.list().unwrap().is_empty());
    assert_eq!(key_files(&dir), 0);
    // The keystore failed before the offer was redeemed: the citizen can try again.
    let again = wallet.receive(&uri, None, &trust, now()).await.unwrap();
    wallet.delete(&again.id).unwrap();
    assert_eq!(key_files(&dir), 0);

    // A credential received normally, then a keystore that fails when presenting.
    let (uri, _) = fixture.offer(false).await;
    let summary = wallet.receive(&uri, None, &trust, now()).await.unwrap();
    let err = failing
        .present(&summary.id, &["statusColour".to_owned()], None, true, now())
        .unwrap_err();
    assert!(
        matches!(
            err,
            WalletError::Present(PresentError::Keystore(KeystoreError::Platform(_)))
        ),
        "{err}"
    );
    let err = wallet
        .present(&summary.id, &["noSuchClaim".to_owned()], None, true, now())
        .unwrap_err();
    assert_eq!(err.code(), "invalid_disclosure", "{err}");

    // The wallet does not open with another passphrase; a corrupted file is a typed error
    // and the other credentials stay readable.
    let err = crosscode_wallet_core::Wallet::open_with_kdf(
        &dir,
        b"not the passphrase",
        crosscode_core::keys::KdfParams::INSECURE_FOR_TESTS,
        software_keystore(&dir),
        Arc::new(HttpTransport::new().unwrap()),
    )
    .unwrap_err();
    assert_eq!(err.code(), "wrong_passphrase");
    let (uri, _) = fixture.offer(false).await;
    let kept = wallet.receive(&uri, None, &trust, now()).await.unwrap();
    let file = dir.join("credentials").join(format!("{}.cred", summary.id));
    std::fs::write(&file, b"\x01truncated").unwrap();
    let err = wallet.get(&summary.id).unwrap_err();
    assert_eq!(err.code(), "corrupted_store");
    wallet.delete(&summary.id).unwrap();
    assert_eq!(wallet.list().unwrap(), vec![kept.clone()]);

    // Status: a list that cannot be fetched is recorded as unreachable; once the authority
    // revokes the credential, the check refuses it.
    let credential = wallet.get(&kept.id).unwrap().credential;
    let transport = HttpTransport::new().unwrap();
    let mut offline = credential.clone();
    for entry in offline["credentialStatus"].as_array_mut().unwrap() {
        entry["statusListCredential"] = Value::from("http://127.0.0.1:9/status-lists/0");
    }
    assert_eq!(
        check_status(&offline, &transport, &trust, now())
            .await
            .unwrap(),
        StatusCheck::Unreachable
    );
    let (status, changed) = fixture
        .post(
            "/credentials/status",
            &serde_json::json!({"credentialId": credential["id"], "credentialStatus":
                [{"type": "BitstringStatusListCredential", "status": "revoked"}]}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    let err = check_status(&credential, &transport, &trust, now())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ReceiveError::Revoked { purpose } if purpose == "revocation"),
        "{err}"
    );
    fixture.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
