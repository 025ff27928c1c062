//! The DCC pipeline end to end: deciding steps of the negative corpus files, kid handling,
//! trust-store formats, rules, revocation and the typed errors of each step.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::read_json;
use crosscode_core::VerificationStep;
use crosscode_core::envelope::inflate::InflateError;
use crosscode_verifier::certificate::DocumentSigner;
use crosscode_verifier::clock::parse_clock;
use crosscode_verifier::cose::CoseError;
use crosscode_verifier::prefix::PrefixError;
use crosscode_verifier::report::VerificationError;
use crosscode_verifier::revocation::DccHashType;
use crosscode_verifier::rules::{RuleFailure, RuleSet};
use crosscode_verifier::signature::{SignatureError, VerificationKey};
use crosscode_verifier::trust::TrustStoreError;
use crosscode_verifier::{StepOutcome, TrustStore, Verdict, Verifier};

struct Case {
    prefix: String,
    dsc_der: Vec<u8>,
    clock: time::OffsetDateTime,
}

fn case(file: &str) -> Case {
    let f = read_json(&format!("dcc/{file}"));
    Case {
        prefix: f["PREFIX"].as_str().unwrap().to_owned(),
        dsc_der: STANDARD
            .decode(f["TESTCTX"]["CERTIFICATE"].as_str().unwrap())
            .unwrap(),
        clock: parse_clock(f["TESTCTX"]["VALIDATIONCLOCK"].as_str().unwrap()).unwrap(),
    }
}

fn run(c: &Case) -> crosscode_verifier::Report {
    let mut trust = TrustStore::new();
    trust.add_dsc_der(&c.dsc_der).unwrap();
    Verifier::new(trust).verify_text(&c.prefix, c.clock)
}

fn failure(report: &crosscode_verifier::Report) -> (VerificationStep, VerificationError) {
    let (s, e) = report
        .failure()
        .unwrap_or_else(|| panic!("no failure: {}", report.to_json()));
    (s, e.clone())
}

#[test]
fn positive_files_accept_es256_and_ps256() {
    for file in [
        "common/2DCode/raw/CO3.json",
        "CH/2DCode/raw/1.json",
        "common/2DCode/raw/CO20.json",
        "HR/2DCode/raw/1.json",
    ] {
        let report = run(&case(file));
        assert_eq!(
            report.verdict(),
            Verdict::Accept,
            "{file}: {}",
            report.to_json()
        );
        let json = report.to_json();
        assert_eq!(json["format"], "EU_DCC");
        assert_eq!(json["verdict"], "ACCEPT");
        assert!(json["disclosed_claims"]["hcert"]["nam"].is_object());
    }
}

#[test]
fn negative_files_are_decided_by_the_right_step() {
    let r = run(&case("common/2DCode/raw/H1.json"));
    assert!(matches!(
        failure(&r),
        (
            VerificationStep::Prefix,
            VerificationError::Prefix(PrefixError::UnsupportedContext { .. })
        )
    ));
    assert!(!r.is_unusable_input());
    let r = run(&case("common/2DCode/raw/Z1.json"));
    assert!(matches!(
        failure(&r),
        (VerificationStep::Decompress, VerificationError::Inflate(_))
    ));
    let r = run(&case("common/2DCode/raw/CO5.json"));
    let f = failure(&r);
    assert!(
        matches!(
            f,
            (
                VerificationStep::Signature,
                VerificationError::Signature { tried: 1, .. }
            )
        ),
        "{f:?}"
    );
    assert_eq!(r.to_json()["deciding_step"], "Signature");
    let r = run(&case("common/2DCode/raw/CO17.json"));
    assert!(matches!(
        failure(&r),
        (
            VerificationStep::ValidityWindow,
            VerificationError::Expired { .. }
        )
    ));
    let r = run(&case("common/2DCode/raw/CO9.json"));
    assert!(matches!(
        failure(&r),
        (
            VerificationStep::KeyUsage,
            VerificationError::KeyUsage { .. }
        )
    ));
}

#[test]
fn unknown_kid_and_untrusted_file() {
    let c = case("common/2DCode/raw/CO3.json");
    let r = Verifier::new(TrustStore::new()).verify_text(&c.prefix, c.clock);
    assert!(matches!(
        failure(&r),
        (
            VerificationStep::KeyResolution,
            VerificationError::UnknownKid(_)
        )
    ));
}

#[test]
fn every_dsc_sharing_a_kid_is_tried() {
    let c = case("common/2DCode/raw/CO3.json");
    let real = DocumentSigner::from_der(&c.dsc_der).unwrap();
    let mut decoy = real.clone();
    let sk = p256::ecdsa::SigningKey::from_slice(&[5u8; 32]).unwrap();
    decoy.key = VerificationKey::P256(*sk.verifying_key());
    let mut trust = TrustStore::new();
    trust.add_document_signer(decoy);
    trust.add_document_signer(real.clone());
    assert_eq!(trust.document_signers(&real.kid).len(), 2);
    let r = Verifier::new(trust).verify_text(&c.prefix, c.clock);
    assert_eq!(r.verdict(), Verdict::Accept, "{}", r.to_json());
}

#[test]
fn wrong_algorithm_for_the_key_is_rejected() {
    // An RSA DSC under the kid of an ES256 payload: PS256 key vs ES256 signature.
    let c = case("common/2DCode/raw/CO3.json");
    let ch = case("CH/2DCode/raw/1.json");
    let mut rsa = DocumentSigner::from_der(&ch.dsc_der).unwrap();
    rsa.kid = DocumentSigner::from_der(&c.dsc_der).unwrap().kid;
    let mut trust = TrustStore::new();
    trust.add_document_signer(rsa);
    let r = Verifier::new(trust).verify_text(&c.prefix, c.clock);
    assert!(matches!(
        failure(&r),
        (
            VerificationStep::Signature,
            VerificationError::Signature {
                last: SignatureError::AlgorithmKeyMismatch { .. },
                ..
            }
        )
    ));
}

#[test]
fn typed_decoding_errors() {
    let v = Verifier::new(TrustStore::new());
    let now = time::OffsetDateTime::now_utc();
    let r = v.verify_text("HC1:NCF=", now);
    assert!(matches!(
        failure(&r),
        (VerificationStep::Decode, VerificationError::Base45(_))
    ));
    let r = v.verify_text("", now);
    assert!(matches!(
        failure(&r),
        (
            VerificationStep::Prefix,
            VerificationError::Prefix(PrefixError::Empty)
        )
    ));
    assert!(r.is_unusable_input());
    let r = v.verify_text("hello world", now);
    assert!(matches!(
        failure(&r),
        (
            VerificationStep::Prefix,
            VerificationError::Prefix(PrefixError::Missing)
        )
    ));
    // Valid base45 + zlib of something that is not COSE.
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut z, &[0x83, 0x01, 0x02, 0x03]).unwrap();
    let text = format!("HC1:{}", base45::encode(z.finish().unwrap()));
    let r = v.verify_text(&text, now);
    assert!(matches!(
        failure(&r),
        (
            VerificationStep::ParseEnvelope,
            VerificationError::Cose(CoseError::NotCoseSign1(_))
        )
    ));
    // Not compressed at all (upstream Z2 class): raw COSE bytes base45-encoded.
    let c = case("common/2DCode/raw/CO3.json");
    let f = read_json("dcc/common/2DCode/raw/CO3.json");
    let cose = hex::decode(f["COSE"].as_str().unwrap()).unwrap();
    let r = v.verify_text(&format!("HC1:{}", base45::encode(&cose)), c.clock);
    assert!(matches!(
        failure(&r),
        (
            VerificationStep::Decompress,
            VerificationError::Inflate(InflateError::Corrupt { .. })
        )
    ));
}

#[test]
fn cwt_tag_61_wrapping_is_accepted() {
    let f = read_json("dcc/common/2DCode/raw/CO3.json");
    let c = case("common/2DCode/raw/CO3.json");
    let cose = hex::decode(f["COSE"].as_str().unwrap()).unwrap();
    // d8 3d = tag(61) around the tag-18 COSE_Sign1.
    let mut wrapped = vec![0xd8, 0x3d];
    wrapped.extend_from_slice(&cose);
    let env = crosscode_verifier::cose::parse_sign1(&wrapped).unwrap();
    assert_eq!(env.tags, vec![61, 18]);
    // And untagged.
    let untagged = crosscode_verifier::cose::parse_sign1(&cose[1..]).unwrap();
    assert!(untagged.tags.is_empty());
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut z, &wrapped).unwrap();
    let text = format!("HC1:{}", base45::encode(z.finish().unwrap()));
    assert_eq!(run(&Case { prefix: text, ..c }).verdict(), Verdict::Accept);
    assert!(matches!(
        crosscode_verifier::cose::parse_sign1(&[0xd8, 0x20, 0x80]),
        Err(CoseError::UnexpectedTag(32))
    ));
    assert!(matches!(
        crosscode_verifier::cose::parse_sign1(&[0x80, 0x00]),
        Err(CoseError::TrailingBytes(1))
    ));
}

#[test]
fn revocation_list_rejects_a_listed_dcc() {
    let c = case("common/2DCode/raw/CO3.json");
    let clean = run(&c);
    assert!(matches!(
        clean.outcome(VerificationStep::Status),
        StepOutcome::Skipped(_)
    ));
    let manifest = read_json("dcc/manifest.json");
    let entry = manifest
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["file"] == "common/2DCode/raw/CO3.json")
        .unwrap();
    for t in ["UCI", "COUNTRYCODEUCI", "SIGNATURE"] {
        let mut trust = TrustStore::new();
        trust.add_dsc_der(&c.dsc_der).unwrap();
        let list = serde_json::json!({"dccRevocations": [
            {"hashType": t, "hashes": [entry["revocation_hashes_derived"][t]]}
        ]});
        trust.add_dcc_revocations(&list).unwrap();
        let r = Verifier::new(trust).verify_text(&c.prefix, c.clock);
        assert!(
            matches!(
                failure(&r),
                (VerificationStep::Status, VerificationError::Revoked(_))
            ),
            "{t}"
        );
    }
    // A list that does not contain it passes.
    let mut trust = TrustStore::new();
    trust.add_dsc_der(&c.dsc_der).unwrap();
    trust
        .add_dcc_revocations(&serde_json::json!({"dccRevocations": [{"hashType": "UCI", "hashes": ["AAAAAAAAAAAAAAAAAAAAAA=="]}]}))
        .unwrap();
    let r = Verifier::new(trust).verify_text(&c.prefix, c.clock);
    assert!(r.passed(VerificationStep::Status));
    let _ = DccHashType::Uci;
}

#[test]
fn business_rules_report_the_failing_rule() {
    // DK/2 is a PCR test sampled 2021-05-19; 72 h rule at the file's clock passes, 10 days later fails.
    let c = case("DK/2DCode/raw/2.json");
    let rules = RuleSet::from_json(&serde_json::json!([{
        "Identifier": "TR-XX-0001", "CertificateType": "Test",
        "Description": [{"lang": "en", "desc": "Test sample no older than 72 h"}],
        "Logic": {"not-after": [
            {"plusTime": [{"var": "external.validationClock"}, 0, "hour"]},
            {"plusTime": [{"var": "payload.t.0.sc"}, 72, "hour"]}
        ]}
    }, {
        "Identifier": "VR-XX-0001", "CertificateType": "Vaccination", "Logic": false
    }]))
    .unwrap();
    let mut trust = TrustStore::new();
    trust.add_dsc_der(&c.dsc_der).unwrap();
    let verifier = Verifier::new(trust).with_rules(rules);
    let ok = verifier.verify_text(&c.prefix, c.clock);
    assert_eq!(ok.verdict(), Verdict::Accept, "{}", ok.to_json());
    assert!(ok.passed(VerificationStep::BusinessRules));
    // Ten days later the test is too old; the CWT itself is still valid (exp is later).
    let later = c.clock + time::Duration::days(3) + time::Duration::hours(1);
    let late = verifier.verify_text(&c.prefix, later);
    match late.failure() {
        Some((
            VerificationStep::BusinessRules,
            VerificationError::Rule(RuleFailure::Failed { identifier, .. }),
        )) => {
            assert_eq!(identifier, "TR-XX-0001");
        }
        Some((VerificationStep::ValidityWindow, _)) => {} // the CWT may already have expired; still REJECT
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(late.verdict(), Verdict::Reject);
}

#[test]
fn trust_store_file_formats_and_errors() {
    let dir = std::env::temp_dir().join(format!("crosscode-verifier-trust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let c = case("common/2DCode/raw/CO3.json");
    let b64 = STANDARD.encode(&c.dsc_der);
    let pem_lines: Vec<String> = b64
        .as_bytes()
        .chunks(64)
        .map(|l| String::from_utf8(l.to_vec()).unwrap())
        .collect();
    let files = [
        ("dsc.der", c.dsc_der.clone()),
        ("dsc.pem", format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", pem_lines.join("\n")).into_bytes()),
        ("trustlist.json", serde_json::to_vec(&serde_json::json!([{"kid": "x", "country": "AT", "certificateType": "DSC", "rawData": b64}])).unwrap()),
        ("jwks.json", {
            let mut j = read_json("shc/examples/issuer/.well-known/jwks.json");
            j["iss"] = "https://spec.smarthealth.cards/examples/issuer".into();
            serde_json::to_vec(&j).unwrap()
        }),
    ];
    for (name, bytes) in &files {
        std::fs::write(dir.join(name), bytes).unwrap();
        let mut trust = TrustStore::new();
        let what = trust.load_file(&dir.join(name)).unwrap();
        assert!(!what.is_empty());
        if *name != "jwks.json" {
            assert_eq!(trust.document_signer_count(), 1, "{name}");
            assert_eq!(run_with(&trust, &c).verdict(), Verdict::Accept, "{name}");
        } else {
            assert_eq!(trust.shc_counts(), (1, 2));
        }
    }
    // A bundle referencing them.
    std::fs::write(
        dir.join("bundle.json"),
        serde_json::to_vec(&serde_json::json!({"crosscodeTrustBundle": 1, "dcc": ["dsc.pem"], "shc": [{"iss": "https://x.example", "jwks": "jwks.json"}]})).unwrap(),
    )
    .unwrap();
    let mut trust = TrustStore::new();
    trust.load_file(&dir.join("bundle.json")).unwrap();
    assert_eq!(trust.document_signer_count(), 1);
    assert!(trust.knows_shc_issuer("https://x.example"));
    // Errors.
    std::fs::write(dir.join("junk.json"), b"{\"hello\": 1}").unwrap();
    assert!(matches!(
        TrustStore::new().load_file(&dir.join("junk.json")),
        Err(TrustStoreError::UnknownFormat(_))
    ));
    assert!(matches!(
        TrustStore::new().load_file(&dir.join("missing.pem")),
        Err(TrustStoreError::Io { .. })
    ));
    std::fs::write(dir.join("bad.der"), [0x30, 0x03, 0x01, 0x01]).unwrap();
    assert!(matches!(
        TrustStore::new().load_file(&dir.join("bad.der")),
        Err(TrustStoreError::Certificate(_))
    ));
    assert!(matches!(
        TrustStore::new().add_dcc_trust_list(&serde_json::json!([{"kid": "x"}])),
        Err(TrustStoreError::Json(_))
    ));
    assert!(matches!(
        TrustStore::new().add_dcc_revocations(
            &serde_json::json!({"dccRevocations": [{"hashType": "NOPE", "hashes": []}]})
        ),
        Err(TrustStoreError::Revocation(_))
    ));
    std::fs::remove_dir_all(&dir).ok();
}

fn run_with(trust: &TrustStore, c: &Case) -> crosscode_verifier::Report {
    Verifier::new(trust.clone()).verify_text(&c.prefix, c.clock)
}

#[test]
fn qr_images_from_the_corpus_verify() {
    // The 2DCODE PNG of a positive file goes through ReadImage to ACCEPT.
    let f = read_json("dcc/BE/2DCode/raw/1.json");
    let c = case("BE/2DCode/raw/1.json");
    let png = STANDARD.decode(f["2DCODE"].as_str().unwrap()).unwrap();
    let mut trust = TrustStore::new();
    trust.add_dsc_der(&c.dsc_der).unwrap();
    let r = Verifier::new(trust).verify_image(&png, c.clock);
    assert!(r.passed(VerificationStep::ReadImage));
    assert_eq!(r.verdict(), Verdict::Accept, "{}", r.to_json());
    let r = Verifier::new(TrustStore::new()).verify_image(b"\x89PNG garbage", c.clock);
    assert!(matches!(
        failure(&r),
        (VerificationStep::ReadImage, VerificationError::Image(_))
    ));
    assert!(r.is_unusable_input());
}

/// The newest DCC schema the verifier ships (an offline checkpoint needs it at run time) is the
/// official one in the shared vectors, byte for byte: the two cannot drift apart unnoticed.
#[test]
fn shipped_dcc_schema_is_the_official_one() {
    let official = common::read_vector("dcc/schema/DCC.combined-schema.json");
    assert_eq!(
        crosscode_verifier::format::eu_dcc::SCHEMA_JSON.as_bytes(),
        official.as_slice()
    );
    let (version, newest) = crosscode_verifier::dcc_schema::PUBLISHED.last().unwrap();
    assert_eq!(*version, "1.3.3");
    assert_eq!(newest.as_bytes(), official.as_slice());
}
