//! `crosscode demo` runs the whole scenario and checks every outcome itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

#[test]
fn demo_runs_end_to_end_and_leaves_a_readable_qr_image() {
    let dir = std::env::temp_dir().join(format!("crosscode-demo-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let output = common::command(&["demo", "--out-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "demo failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("REJECT at step Signature"), "{stdout}");
    assert!(stdout.contains("REJECT at step ValidityWindow"), "{stdout}");
    assert!(stdout.contains("REJECT at step IssuerBinding"), "{stdout}");
    assert!(
        stdout.contains("All steps gave the expected outcome."),
        "{stdout}"
    );

    // The PNG it wrote is a real QR code carrying the credential it wrote.
    let png = std::fs::read(dir.join("health-code.png")).unwrap();
    let payload = crosscode_core::envelope::qr_image::read_qr_text(&png).unwrap();
    assert!(payload.starts_with("CC1:"));
    let signed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("health-code.signed.json")).unwrap(),
    )
    .unwrap();
    let trust_cache = crosscode_core::did::TrustCache::read(dir.join("trust-cache.json")).unwrap();
    let verified =
        crosscode_core::envelope::decode(&payload, &trust_cache, time::OffsetDateTime::now_utc())
            .unwrap();
    assert_eq!(verified.document, signed);
    // Without the authority's keys the checkpoint cannot bind the proofs to the issuer.
    assert!(
        crosscode_core::envelope::decode(
            &payload,
            &crosscode_core::did::DidKeyResolver,
            time::OffsetDateTime::now_utc(),
        )
        .is_err()
    );
    // The key files on disk are encrypted: no secret in clear, only the public DID.
    let key_file = std::fs::read_to_string(dir.join("authority-sm2.key")).unwrap();
    assert!(key_file.contains("did:key:"));
    std::fs::remove_dir_all(&dir).unwrap();
}
