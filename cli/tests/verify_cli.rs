//! `crosscode verify`: DCC test files, SHC texts, photos of QR codes, exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::path::PathBuf;

use base64::Engine as _;
use crosscode_testing::vectors::vector_path;

fn run(args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let output = common::command(args).output().unwrap();
    let json = serde_json::from_str(&common::stdout(&output)).unwrap_or(serde_json::Value::Null);
    (output.status.code(), json, common::stderr(&output))
}

/// A path `name` in a fresh directory (removed with the directory when the test passes).
fn tmp(name: &str) -> (crosscode_testing::TempDir, PathBuf) {
    let dir = crosscode_testing::temp_dir("verify");
    let path = dir.join(name);
    (dir, path)
}

fn p(path: &std::path::Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn dcc_testfile_prints_overall_and_steps() {
    for (file, overall, failing) in [
        ("dcc/common/2DCode/raw/CO3.json", "ACCEPT", None),
        ("dcc/CH/2DCode/raw/1.json", "ACCEPT", None),
        ("dcc/common/2DCode/raw/CO9.json", "REJECT", Some("KEYUSAGE")),
        ("dcc/common/2DCode/raw/H1.json", "REJECT", Some("UNPREFIX")),
        (
            "dcc/common/2DCode/raw/Z1.json",
            "REJECT",
            Some("COMPRESSION"),
        ),
    ] {
        let (code, json, stderr) = run(&["verify", "dcc-testfile", p(&vector_path(file))]);
        assert_eq!(code, Some(0), "{file}: {stderr}");
        assert_eq!(json["overall"], overall, "{file}: {json}");
        let steps = json["steps"].as_object().unwrap();
        assert_eq!(steps.len(), 10);
        if let Some(step) = failing {
            assert_eq!(steps[step], false, "{file}");
        }
    }
    // A readable file that is not a test file: exit 0, REJECT, all false.
    let (_dir, junk) = tmp("junk.json");
    std::fs::write(&junk, b"not json").unwrap();
    let (code, json, _) = run(&["verify", "dcc-testfile", p(&junk)]);
    assert_eq!(code, Some(0));
    assert_eq!(json["overall"], "REJECT");
    // An unreadable file: one error line, exit 2.
    let (code, _, stderr) = run(&["verify", "dcc-testfile", "/nonexistent/x.json"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.starts_with("error:") && stderr.lines().count() == 1,
        "{stderr}"
    );
}

/// The document signer certificate of a DCC test file, written to a DER file (in a directory
/// that lives as long as the returned guard), and the test file.
fn dsc_file(test_file: &str) -> (crosscode_testing::TempDir, PathBuf, serde_json::Value) {
    let f: serde_json::Value =
        serde_json::from_slice(&std::fs::read(vector_path(test_file)).unwrap()).unwrap();
    let der = base64::engine::general_purpose::STANDARD
        .decode(f["TESTCTX"]["CERTIFICATE"].as_str().unwrap())
        .unwrap();
    let (dir, path) = tmp(&format!("{}.der", test_file.replace('/', "_")));
    std::fs::write(&path, der).unwrap();
    (dir, path, f)
}

#[test]
fn verify_text_exit_codes() {
    let (_dsc_dir, dsc, f) = dsc_file("dcc/common/2DCode/raw/CO3.json");
    let clock = f["TESTCTX"]["VALIDATIONCLOCK"].as_str().unwrap();
    let prefix = f["PREFIX"].as_str().unwrap();
    let (code, json, _) = run(&[
        "verify",
        "--trust",
        p(&dsc),
        "--at",
        clock,
        "--text",
        prefix,
    ]);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(json["verdict"], "ACCEPT");
    assert_eq!(json["format"], "EU_DCC");
    // Wrong clock: REJECT, exit 1, deciding ValidityWindow.
    let (code, json, _) = run(&[
        "verify",
        "--trust",
        p(&dsc),
        "--at",
        "2030-01-01T00:00:00Z",
        "--text",
        prefix,
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(json["deciding_step"], "ValidityWindow");
    // Not a credential: exit 2.
    let (code, json, _) = run(&["verify", "--text", "hello"]);
    assert_eq!(code, Some(2));
    assert_eq!(json["deciding_step"], "Prefix");
    // Bad trust file: exit 2 with one error line.
    let (code, _, stderr) = run(&["verify", "--trust", "/nonexistent.pem", "--text", prefix]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("error:"), "{stderr}");
}

#[test]
fn rules_apply_by_the_checkpoints_country_and_name_their_affected_fields() {
    let (_dsc_dir, dsc, f) = dsc_file("dcc/common/2DCode/raw/CO3.json");
    let clock = f["TESTCTX"]["VALIDATIONCLOCK"].as_str().unwrap();
    let prefix = f["PREFIX"].as_str().unwrap();
    let (_dir, rules) = tmp("rules-de.json");
    std::fs::write(
        &rules,
        serde_json::json!([{
            "Identifier": "VR-DE-0001", "Type": "Acceptance", "Country": "DE",
            "CertificateType": "Vaccination", "AffectedFields": ["v.0.dn", "v.0.sd"],
            "Logic": false
        }])
        .to_string(),
    )
    .unwrap();
    let at = |country: &str| {
        run(&[
            "verify",
            "--trust",
            p(&dsc),
            "--rules",
            p(&rules),
            "--country",
            country,
            "--at",
            clock,
            "--text",
            prefix,
        ])
    };
    let (code, json, _) = at("de");
    assert_eq!(code, Some(1), "{json}");
    assert_eq!(json["deciding_step"], "BusinessRules");
    assert_eq!(
        json["reason"],
        "rule VR-DE-0001 failed (affected fields: v.0.dn, v.0.sd)"
    );
    let (code, json, _) = at("NL");
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(
        json["steps"][11]["detail"],
        "0 rule(s) passed; 1 rule(s) of other countries not applied"
    );
    // Without --country, the rule naming DE is set aside, and the report says so.
    let (code, json, _) = run(&[
        "verify",
        "--trust",
        p(&dsc),
        "--rules",
        p(&rules),
        "--at",
        clock,
        "--text",
        prefix,
    ]);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(json["steps"][11]["status"], "WARNING", "{json}");
    assert!(
        json["steps"][11]["detail"]
            .as_str()
            .unwrap()
            .contains("no checkpoint country set"),
        "{json}"
    );
    let (code, _, stderr) = at("DEU");
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("not an ISO 3166-1 alpha-2 code"),
        "{stderr}"
    );
}

#[test]
fn rules_read_value_sets_loaded_from_files() {
    let (_dsc_dir, dsc, f) = dsc_file("dcc/common/2DCode/raw/CO3.json");
    let clock = f["TESTCTX"]["VALIDATIONCLOCK"].as_str().unwrap();
    let prefix = f["PREFIX"].as_str().unwrap();
    let (_dir, rules) = tmp("rules-mp.json");
    std::fs::write(
        &rules,
        serde_json::json!([{
            "Identifier": "VR-XX-0001", "CertificateType": "Vaccination",
            "AffectedFields": ["v.0.mp"],
            "Logic": {"in": [{"var": "payload.v.0.mp"},
                             {"var": "external.valueSets.vaccines-covid-19-names"}]}
        }])
        .to_string(),
    )
    .unwrap();
    let value_set = |name: &str, codes: &[&str]| {
        let (dir, path) = tmp(name);
        let values: serde_json::Map<String, serde_json::Value> = codes
            .iter()
            .map(|c| {
                (
                    (*c).to_owned(),
                    serde_json::json!({"display": c, "active": true}),
                )
            })
            .collect();
        std::fs::write(
            &path,
            serde_json::json!({"valueSetId": "vaccines-covid-19-names",
                               "valueSetDate": "2021-04-27", "valueSetValues": values})
            .to_string(),
        )
        .unwrap();
        (dir, path)
    };
    let with = |(_dir, file): &(crosscode_testing::TempDir, PathBuf)| {
        run(&[
            "verify",
            "--trust",
            p(&dsc),
            "--rules",
            p(&rules),
            "--value-sets",
            p(file),
            "--at",
            clock,
            "--text",
            prefix,
        ])
    };
    // CO3 is a Comirnaty (EU/1/20/1528) vaccination.
    let (code, json, stderr) = with(&value_set(
        "vs-with.json",
        &["EU/1/20/1528", "EU/1/20/1507"],
    ));
    assert_eq!(code, Some(0), "{json} {stderr}");
    assert!(stderr.contains("1 value set(s)"), "{stderr}");
    let (code, json, _) = with(&value_set("vs-without.json", &["EU/1/20/1507"]));
    assert_eq!(code, Some(1));
    assert_eq!(
        json["reason"],
        "rule VR-XX-0001 failed (affected fields: v.0.mp)"
    );
    let bad = tmp("vs-bad.json");
    std::fs::write(&bad.1, r#"{"valueSetId": "x"}"#).unwrap();
    let (code, _, stderr) = with(&bad);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("valueSetValues must be an object"),
        "{stderr}"
    );
}

#[test]
fn verify_shc_with_iss_bound_jwks_and_crl() {
    let iss = "https://spec.smarthealth.cards/examples/issuer";
    let jwks = format!(
        "{iss}={}",
        p(&vector_path("shc/examples/issuer/.well-known/jwks.json"))
    );
    let crl = format!(
        "{iss}={}",
        p(&vector_path(
            "shc/examples/issuer/.well-known/crl/3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s.json"
        ))
    );
    let qr = |n: &str| {
        std::fs::read_to_string(vector_path(&format!("shc/examples/example-{n}")))
            .unwrap()
            .trim()
            .to_owned()
    };
    let at = "2023-07-01T00:00:00Z";
    let (code, json, _) = run(&[
        "verify",
        "--trust",
        &jwks,
        "--trust",
        &crl,
        "--at",
        at,
        "--text",
        &qr("00-f-qr-code-numeric-value-0.txt"),
    ]);
    assert_eq!(code, Some(0), "{json}");
    let (code, json, _) = run(&[
        "verify",
        "--trust",
        &jwks,
        "--trust",
        &crl,
        "--at",
        at,
        "--text",
        &qr("03-f-qr-code-numeric-value-0.txt"),
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(json["deciding_step"], "Status");
    let (code, _, _) = run(&[
        "verify",
        "--trust",
        &jwks,
        "--at",
        at,
        "--text",
        &qr("02-f-qr-code-numeric-value-2.txt"),
        "--text",
        &qr("02-f-qr-code-numeric-value-0.txt"),
        "--text",
        &qr("02-f-qr-code-numeric-value-1.txt"),
    ]);
    assert_eq!(code, Some(0));
}

#[test]
fn verify_shc_with_x5c_roots_and_the_validity_policy() {
    let iss = "https://spec.smarthealth.cards/examples/issuer";
    let jwks_path = vector_path("shc/examples/issuer/.well-known/jwks.json");
    let jwks = format!("{iss}={}", p(&jwks_path));
    let qr = std::fs::read_to_string(vector_path(
        "shc/examples/example-01-f-qr-code-numeric-value-0.txt",
    ))
    .unwrap()
    .trim()
    .to_owned();
    // The example chain's root and intermediate, as DER files.
    let chain: Vec<Vec<u8>> = serde_json::from_slice::<serde_json::Value>(
        &std::fs::read(&jwks_path).unwrap(),
    )
    .unwrap()["keys"][1]["x5c"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            base64::engine::general_purpose::STANDARD
                .decode(c.as_str().unwrap())
                .unwrap()
        })
        .collect();
    let (dir, root) = tmp("root.der");
    std::fs::write(&root, &chain[2]).unwrap();
    let verify = |extra: &[&str]| {
        let mut args = vec!["verify", "--trust", &jwks, "--at", "2023-07-01T00:00:00Z"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--text", &qr]);
        run(&args)
    };
    // JWKS trust: accepted.
    let (code, json, _) = verify(&[]);
    assert_eq!(code, Some(0), "{json}");
    // The example root configured: accepted, the path named.
    let (code, json, stderr) = verify(&["--shc-root", p(&root)]);
    assert_eq!(code, Some(0), "{json}");
    assert!(stderr.contains("1 SHC x5c root certificate(s)"), "{stderr}");
    assert!(
        json["steps"][5]["detail"]
            .as_str()
            .unwrap()
            .ends_with("to the SHC root CN=SMART Health Card Example Root CA")
    );
    // Another root (the VCI directory signer): REJECT at KeyResolution.
    let other = vector_path("vci-directory/vci_snapshot.crt");
    let (code, json, _) = verify(&["--shc-root", p(&other)]);
    assert_eq!(code, Some(1));
    assert_eq!(json["deciding_step"], "KeyResolution");
    assert_eq!(json["steps"][5]["error"]["code"], "X5C_UNTRUSTED_ROOT");
    // The validity policy: the leaf expired before the card was issued.
    let (code, json, _) = verify(&["--shc-root", p(&root), "--shc-x509-validity"]);
    assert_eq!(code, Some(1));
    assert_eq!(json["deciding_step"], "ValidityWindow");
    assert_eq!(json["steps"][7]["error"]["code"], "X5C_EXPIRED");
    // A root file that is not a certificate: unusable trust (exit 2).
    let bad = dir.join("bad.pem");
    std::fs::write(
        &bad,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let (code, _, stderr) = verify(&["--shc-root", p(&bad)]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("SHC root file"), "{stderr}");
}

/// Make a "photo" of a QR PNG: scaled up, on a larger unevenly lit noisy background, blurred
/// and JPEG-compressed.
fn photo_of(png: &[u8]) -> Vec<u8> {
    let qr = image::load_from_memory(png).unwrap().to_luma8();
    let (w, h) = qr.dimensions();
    let scaled = image::imageops::resize(&qr, w * 2, h * 2, image::imageops::FilterType::Triangle);
    let (cw, ch) = (scaled.width() + 300, scaled.height() + 200);
    let mut seed: u32 = 12345;
    let mut canvas = image::GrayImage::from_fn(cw, ch, |x, y| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let noise = (seed >> 16) % 25;
        let light = 170 + x * 60 / cw;
        image::Luma([(light.saturating_sub(noise) + y % 3) as u8])
    });
    image::imageops::overlay(&mut canvas, &scaled, 170, 90);
    // Dim the whole code a bit as a photo would.
    for px in canvas.pixels_mut() {
        px.0[0] = (u32::from(px.0[0]) * 9 / 10 + 10) as u8;
    }
    let blurred = image::imageops::blur(&canvas, 1.2);
    let mut jpeg = Vec::new();
    let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 70);
    enc.encode_image(&blurred).unwrap();
    jpeg
}

#[test]
fn verify_a_photo_of_a_dcc_qr_code() {
    let (_dsc_dir, dsc, f) = dsc_file("dcc/BE/2DCode/raw/1.json");
    let png = base64::engine::general_purpose::STANDARD
        .decode(f["2DCODE"].as_str().unwrap())
        .unwrap();
    let (_dir, photo) = tmp("be-photo.jpg");
    std::fs::write(&photo, photo_of(&png)).unwrap();
    let clock = f["TESTCTX"]["VALIDATIONCLOCK"].as_str().unwrap();
    let (code, json, stderr) = run(&["verify", "--trust", p(&dsc), "--at", clock, p(&photo)]);
    assert_eq!(code, Some(0), "{json} {stderr}");
    assert_eq!(json["steps"][0]["step"], "ReadImage");
    assert_eq!(json["steps"][0]["status"], "PASSED");
    assert_eq!(json["disclosed_claims"]["iss"], "BE");
    // A photo without a QR code: unusable input, exit 2.
    let (_dir, blank) = tmp("blank.png");
    image::GrayImage::from_pixel(200, 200, image::Luma([200u8]))
        .save(&blank)
        .unwrap();
    let (code, json, _) = run(&["verify", p(&blank)]);
    assert_eq!(code, Some(2));
    assert_eq!(json["deciding_step"], "ReadImage");
}
