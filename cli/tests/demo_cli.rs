//! `crosscode demo` runs the two-jurisdiction scenario and checks every outcome itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

#[test]
fn the_demo_converts_across_the_border_audits_what_crossed_and_keeps_a_chain_node_serves_again() {
    let dir = crosscode_testing::temp_dir("demo-cli");
    let output = common::command(&["demo", "--out-dir"])
        .arg(dir.join("qr"))
        .arg("--keep")
        .arg(dir.join("kept"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "demo failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for step in 1..=8 {
        assert!(
            stdout.contains(&format!("\n{step}. ")),
            "step {step}: {stdout}"
        );
    }
    assert!(!stdout.contains("FAILED"), "{stdout}");
    assert!(stdout.contains("REVOKED"), "{stdout}");
    assert!(stdout.contains("hits        0 in what crossed"), "{stdout}");
    assert!(
        stdout.contains("All steps gave the expected outcome"),
        "{stdout}"
    );
    // The sample traveller's name is printed nowhere.
    assert!(!stdout.contains("Wong Ka Yan"), "{stdout}");

    // The QR codes it wrote are real QR codes of CC1 presentations.
    for image in ["cn-gd-exit.png", "mo-entry.png"] {
        let png = std::fs::read(dir.join("qr").join(image)).unwrap();
        let payload = crosscode_core::envelope::qr_image::read_qr_text(&png).unwrap();
        assert!(payload.starts_with("CC1:"), "{image}");
    }
    // The kept chain is a dev chain directory with its store.
    let chain = dir.join("kept").join("chain");
    assert!(chain.join("genesis.json").is_file());
    assert!(chain.join("db").is_dir());
}
