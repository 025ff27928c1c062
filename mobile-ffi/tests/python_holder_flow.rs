//! The Python suite (`tests/python/test_holder_flow.py`) drives the whole holder flow through
//! the generated Python bindings against the issuer service of MO on loopback, with a keystore
//! written in Python; then the checkpoint (core's CC1 decoder, the chain's trust) accepts the
//! dynamic QR it presented and refuses it once its time slot is stale.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod foreign;

use std::process::Command;

use crosscode_core::envelope;
use crosscode_did_registry::evidence::verify_receipt;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::records::Namespace;
use foreign::support::Fixture;
use foreign::{check_dynamic_presentation, generate, library, run};
use serde_json::{Value, json};
use time::OffsetDateTime;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_app_receives_lists_and_presents_with_its_own_keystore_and_the_checkpoint_accepts()
{
    let fixture = Fixture::start().await;
    let trust = fixture.trust().await;
    let work = crosscode_testing::temp_dir("ffi-python");
    let bindings = work.join("bindings");
    generate("python", &bindings);
    std::fs::copy(library(), bindings.join(library().file_name().unwrap())).unwrap();

    let mut offers = Vec::new();
    for with_tx_code in [true, false, false, false, false, false, false] {
        let (uri, tx_code) = fixture.offer(with_tx_code).await;
        offers.push(json!({"uri": uri, "txCode": tx_code}));
    }
    let trust_file = work.join("trust.json");
    std::fs::write(&trust_file, trust.to_json().to_string()).unwrap();
    let offers_file = work.join("offers.json");
    std::fs::write(&offers_file, Value::Array(offers).to_string()).unwrap();
    let out_file = work.join("presented.json");

    let suite = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/test_holder_flow.py"
    );
    let output = tokio::task::spawn_blocking({
        let (bindings, work, out_file) = (bindings.clone(), work.to_path_buf(), out_file.clone());
        move || {
            run(Command::new("python3")
                .args(["-m", "unittest", "-v", suite])
                .env("PYTHONPATH", &bindings)
                .env("CROSSCODE_FFI_TRUST", &trust_file)
                .env("CROSSCODE_FFI_OFFERS", &offers_file)
                .env("CROSSCODE_FFI_WORK", &work)
                .env("CROSSCODE_FFI_OUT", &out_file))
        }
    })
    .await
    .unwrap();
    println!("{output}");

    // The Ed25519 presentation of test 1 and the P-256 one of test 5.
    for (file, holder_prefix) in [
        (out_file.clone(), "did:key:z6Mk"),
        (out_file.with_extension("json.p256"), "did:key:zDn"),
    ] {
        let presented: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let made_at =
            OffsetDateTime::from_unix_timestamp(presented["madeAt"].as_i64().unwrap()).unwrap();
        let presentation = check_dynamic_presentation(
            presented["payload"].as_str().unwrap(),
            &trust,
            "checkpoint-7",
            made_at,
        );
        assert_eq!(presentation["holder"], presented["holderDid"]);
        assert!(
            presented["holderDid"]
                .as_str()
                .unwrap()
                .starts_with(holder_prefix)
        );
        let subject = &presentation["verifiableCredential"]["credentialSubject"];
        assert_eq!(subject["statusColour"], "green");
        for hidden in ["name", "birthDate", "documentNumber"] {
            assert!(subject.get(hidden).is_none(), "{hidden} is disclosed");
        }
    }

    // The code presented with its anchor receipt: the receipt proves the credential's anchor
    // leaf up to a batch root MO anchored on the chain.
    let presented: Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    let made_at =
        OffsetDateTime::from_unix_timestamp(presented["madeAt"].as_i64().unwrap()).unwrap();
    let anchored = presented["anchoredPayload"].as_str().unwrap();
    check_dynamic_presentation(anchored, &trust, "checkpoint-7", made_at);
    let verified = envelope::decode(anchored, &trust, made_at).unwrap();
    let [Some(receipt)] = verified.anchors.as_slice() else {
        panic!("one receipt expected: {:?}", verified.anchors);
    };
    let id = verified.document["verifiableCredential"]["id"]
        .as_str()
        .unwrap();
    let root = verify_receipt(CryptoProfile::Standard, receipt, id).unwrap();
    let batch = fixture
        .client
        .state(Namespace::Batch, &root, false, None)
        .await
        .unwrap();
    assert!(
        batch.value.is_some(),
        "the receipt's batch root is on the chain"
    );
    fixture.stop().await;
    let _ = std::fs::remove_dir_all(&work);
}
