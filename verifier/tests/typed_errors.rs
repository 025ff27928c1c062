//! The remaining typed error paths, each asserted by variant: COSE/CWT structure errors, kid and
//! algorithm problems, DCC time and payload-type errors, certificates, images, test files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use base64::Engine as _;
use ciborium::value::Value;
use coset::{CoseSign1Builder, HeaderBuilder, TaggedCborSerializable as _, iana};
use crosscode_core::VerificationStep;
use crosscode_verifier::certificate::{CertificateError, DocumentSigner};
use crosscode_verifier::cose::{self, CoseError, CwtClaims};
use crosscode_verifier::dcc_testfile::{self, TestFileError};
use crosscode_verifier::format::eu_dcc;
use crosscode_verifier::report::VerificationError;
use crosscode_verifier::signature::{KeyError, VerificationKey};
use crosscode_verifier::{TrustStore, Verifier};
use std::io::Write as _;

fn co3_dsc() -> Vec<u8> {
    let f = common::read_json("dcc/common/2DCode/raw/CO3.json");
    base64::engine::general_purpose::STANDARD
        .decode(f["TESTCTX"]["CERTIFICATE"].as_str().unwrap())
        .unwrap()
}

fn cwt(hcert: Option<Value>, exp: Option<i64>) -> Vec<u8> {
    let mut entries = vec![
        (Value::from(1), Value::from("AT")),
        (Value::from(6), Value::from(1_600_000_000)),
    ];
    if let Some(e) = exp {
        entries.push((Value::from(4), Value::from(e)));
    }
    if let Some(h) = hcert {
        entries.push((Value::from(-260), Value::Map(vec![(Value::from(1), h)])));
    }
    let mut out = Vec::new();
    ciborium::ser::into_writer(&Value::Map(entries), &mut out).unwrap();
    out
}

fn dcc_value() -> Value {
    Value::Map(vec![
        (Value::from("ver"), Value::from("1.3.0")),
        (
            Value::from("v"),
            Value::Array(vec![Value::Map(vec![(
                Value::from("ci"),
                Value::from("URN:UVCI:01:AT:X"),
            )])]),
        ),
    ])
}

fn sign1(alg: iana::Algorithm, kid: Option<Vec<u8>>, payload: Option<Vec<u8>>) -> Vec<u8> {
    let mut h = HeaderBuilder::new().algorithm(alg);
    if let Some(k) = kid {
        h = h.key_id(k);
    }
    let mut b = CoseSign1Builder::new()
        .protected(h.build())
        .signature(vec![0u8; 64]);
    if let Some(p) = payload {
        b = b.payload(p);
    }
    b.build().to_tagged_vec().unwrap()
}

fn qr_text(cose: &[u8]) -> String {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(cose).unwrap();
    format!("HC1:{}", base45::encode(z.finish().unwrap()))
}

fn failure(report: &crosscode_verifier::Report) -> (VerificationStep, VerificationError) {
    let (s, e) = report
        .failure()
        .unwrap_or_else(|| panic!("no failure: {}", report.to_json()));
    (s, e.clone())
}

#[test]
fn cose_and_cwt_structure_errors() {
    assert!(matches!(
        cose::parse_sign1(&sign1(iana::Algorithm::ES256, None, None)),
        Err(CoseError::DetachedPayload)
    ));
    assert!(matches!(
        cose::parse_cwt(&[0x80]),
        Err(CoseError::NotCwt(_))
    ));
    assert!(matches!(
        cose::parse_cwt(&cwt(None, Some(1))),
        Err(CoseError::MissingHcert)
    ));
    let bytes_inside = Value::Map(vec![(Value::from("x"), Value::Bytes(vec![1, 2]))]);
    assert!(matches!(
        cose::parse_cwt(&cwt(Some(bytes_inside), Some(1))),
        Err(CoseError::NotJson(_))
    ));
    assert!(matches!(cose::parse_cwt(&[0xff]), Err(CoseError::Cbor(_))));
    let claims = cose::parse_cwt(&cwt(Some(dcc_value()), Some(2_000_000_000))).unwrap();
    assert_eq!(claims.issuer.as_deref(), Some("AT"));
}

#[test]
fn missing_kid_and_unsupported_algorithm_through_the_pipeline() {
    let now = time::macros::datetime!(2021-01-01 0:00 UTC);
    let payload = cwt(Some(dcc_value()), Some(2_000_000_000));
    let mut trust = TrustStore::new();
    trust.add_dsc_der(&co3_dsc()).unwrap();
    let verifier = Verifier::new(trust);
    let r = verifier.verify_text(
        &qr_text(&sign1(iana::Algorithm::ES256, None, Some(payload.clone()))),
        now,
    );
    assert!(matches!(
        failure(&r),
        (
            VerificationStep::KeyResolution,
            VerificationError::MissingKid
        )
    ));
    let kid = DocumentSigner::from_der(&co3_dsc()).unwrap().kid.to_vec();
    let r = verifier.verify_text(
        &qr_text(&sign1(
            iana::Algorithm::ES384,
            Some(kid.clone()),
            Some(payload.clone()),
        )),
        now,
    );
    assert!(matches!(
        failure(&r),
        (
            VerificationStep::Signature,
            VerificationError::UnsupportedAlgorithm(_)
        )
    ));
    // A kid of the wrong length (CO25/CO26 class) is simply unknown.
    let r = verifier.verify_text(
        &qr_text(&sign1(
            iana::Algorithm::ES256,
            Some(kid[..5].to_vec()),
            Some(payload.clone()),
        )),
        now,
    );
    assert!(matches!(
        failure(&r),
        (
            VerificationStep::KeyResolution,
            VerificationError::UnknownKid(_)
        )
    ));
    // A zero signature with the right kid: invalid, never a panic.
    let r = verifier.verify_text(
        &qr_text(&sign1(iana::Algorithm::ES256, Some(kid), Some(payload))),
        now,
    );
    assert!(matches!(
        failure(&r),
        (
            VerificationStep::Signature,
            VerificationError::Signature { .. }
        )
    ));
}

#[test]
fn dcc_validity_window_and_payload_type_errors() {
    let claims = |iat: Option<i64>, exp: Option<i64>, dcc: serde_json::Value| CwtClaims {
        issuer: Some("AT".into()),
        expires: exp,
        issued_at: iat,
        dcc,
        raw: Value::Null,
    };
    let now = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
    let v = serde_json::json!({"v": [{}]});
    assert!(matches!(
        eu_dcc::time_window(&claims(Some(1), None, v.clone()), now),
        Err(VerificationError::MissingTimeClaim("exp"))
    ));
    assert!(matches!(
        eu_dcc::time_window(&claims(None, Some(2_000_000_000), v.clone()), now),
        Err(VerificationError::MissingTimeClaim("iat"))
    ));
    assert!(matches!(
        eu_dcc::time_window(
            &claims(Some(1_800_000_000), Some(2_000_000_000), v.clone()),
            now
        ),
        Err(VerificationError::NotYetValid { .. })
    ));
    assert!(matches!(
        eu_dcc::time_window(&claims(Some(1), Some(2), v), now),
        Err(VerificationError::Expired { .. })
    ));
    let dsc = DocumentSigner::from_der(&co3_dsc()).unwrap();
    assert!(matches!(
        eu_dcc::key_usage(&dsc, &serde_json::json!({"v": []})),
        Err(VerificationError::PayloadType(_))
    ));
    assert_eq!(
        eu_dcc::key_usage(&dsc, &serde_json::json!({"v": [{}], "t": [{}]})).unwrap(),
        "test+vaccination"
    );
}

#[test]
fn certificate_and_key_errors() {
    assert!(matches!(
        DocumentSigner::from_pem("no certificate here"),
        Err(CertificateError::NoPem) | Err(CertificateError::Der(_))
    ));
    assert!(matches!(
        DocumentSigner::from_der(b"\x30\x00"),
        Err(CertificateError::Der(_))
    ));
    // The SHC example's intermediate CA has a P-384 key: not a usable signer key.
    let jwks = common::read_json("shc/examples/issuer/.well-known/jwks.json");
    let ca = jwks["keys"][1]["x5c"][1].as_str().unwrap();
    let der = base64::engine::general_purpose::STANDARD
        .decode(ca)
        .unwrap();
    assert!(matches!(
        DocumentSigner::from_der(&der),
        Err(CertificateError::Key(KeyError::Unsupported(_)))
    ));
    assert!(matches!(
        VerificationKey::p256_from_sec1(&[4u8; 65]),
        Err(KeyError::Malformed(_))
    ));
}

#[test]
fn test_file_errors_and_unreachable_steps() {
    assert!(matches!(
        dcc_testfile::run(&serde_json::json!([1]), None),
        Err(TestFileError::NotAnObject)
    ));
    // An empty object: every step unreachable (false) except the vacuous PICTUREDECODE; REJECT.
    let out = dcc_testfile::run(&serde_json::json!({}), None).unwrap();
    assert_eq!(out.overall, crosscode_verifier::Verdict::Reject);
    assert!(
        out.steps.iter().all(|(k, v)| *v == (*k == "PICTUREDECODE")),
        "{:?}",
        out.steps
    );
}

#[test]
fn shc_payload_errors() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let keys = common::read_json("shc/generate-examples/src/config/issuer.jwks.private.json");
    let jwk = &keys["keys"][0];
    let sk = p256::ecdsa::SigningKey::from_slice(
        &URL_SAFE_NO_PAD.decode(jwk["d"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    let mint = |payload: &[u8]| {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(payload).unwrap();
        let header = format!(
            r#"{{"zip":"DEF","alg":"ES256","kid":"{}"}}"#,
            jwk["kid"].as_str().unwrap()
        );
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(e.finish().unwrap())
        );
        let sig: p256::ecdsa::Signature =
            p256::ecdsa::signature::Signer::sign(&sk, input.as_bytes());
        let jws = format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()));
        format!(
            "shc:/{}",
            jws.bytes()
                .map(|b| format!("{:02}", b - 45))
                .collect::<String>()
        )
    };
    let verifier = Verifier::new(TrustStore::new());
    let now = time::OffsetDateTime::now_utc();
    let r = verifier.verify_text(&mint(b"not json"), now);
    assert!(matches!(
        failure(&r),
        (
            VerificationStep::ParseEnvelope,
            VerificationError::Payload(_)
        )
    ));
    let r = verifier.verify_text(&mint(br#"{"iss":"https://x","vc":{}}"#), now);
    assert!(matches!(
        failure(&r),
        (
            VerificationStep::ParseEnvelope,
            VerificationError::MissingTimeClaim("nbf")
        )
    ));
    let r = verifier.verify_text(&mint(br#"{"iss":"https://x","nbf":1,"vc":{}}"#), now);
    assert!(matches!(
        failure(&r),
        (
            VerificationStep::KeyResolution,
            VerificationError::UnknownIssuer(_)
        )
    ));
}

#[test]
fn a_certificate_with_a_malformed_time_is_read_leniently() {
    let der = co3_dsc();
    let strict = DocumentSigner::from_der(&der).unwrap();
    // Corrupt one digit of the first UTCTime (tag 0x17, length 0x0d) outside the key.
    let at = der.windows(2).position(|w| w == [0x17, 0x0d]).unwrap() + 3;
    let mut bent = der.clone();
    bent[at] = b'X';
    assert!(<x509_cert::Certificate as x509_cert::der::Decode>::from_der(&bent).is_err());
    let lenient = DocumentSigner::from_der(&bent).unwrap();
    assert_eq!(lenient.key, strict.key);
    assert!(lenient.extended_key_usage.is_empty());
}
