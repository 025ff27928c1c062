//! Running one file of the EU DCC test-data format (`dgc-testdata`): the DSC in
//! `TESTCTX.CERTIFICATE` is the only trust anchor, `TESTCTX.VALIDATIONCLOCK` is "now", and each
//! `EXPECTED*` step is evaluated with its upstream meaning.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::certificate::DocumentSigner;
use crate::clock;
use crate::cose;
use crate::dcc_schema::DccSchemas;
use crate::format::{MAX_INFLATED_LEN, eu_dcc};
use crate::pipeline::Verifier;
use crate::report::{Report, Verdict};
use crate::schema::JsonSchema;
use crate::trust::TrustStore;
use crosscode_core::envelope::{inflate, qr_image};

/// The step names of the test-file output, in the order of the issue.
pub const STEP_NAMES: [&str; 10] = [
    "UNPREFIX",
    "B45DECODE",
    "COMPRESSION",
    "DECODE",
    "VERIFY",
    "VALIDJSON",
    "SCHEMAVALIDATION",
    "EXPIRATIONCHECK",
    "KEYUSAGE",
    "PICTUREDECODE",
];

/// Why a test file could not be used at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TestFileError {
    /// Not a JSON object.
    #[error("test file is not a JSON object")]
    NotAnObject,
}

/// The result of running one test file.
#[derive(Debug, Clone)]
pub struct TestFileOutcome {
    /// ACCEPT when the pipeline accepts `PREFIX` and every evaluated step is true.
    pub overall: Verdict,
    /// Each step's result (`false` also when it could not be reached).
    pub steps: BTreeMap<&'static str, bool>,
    /// The full pipeline report for `PREFIX`.
    pub report: Report,
    /// Generation-side checks (`VALIDOBJECT`: `JSON` validates against the schema; `ENCODE`:
    /// `JSON` and `CBOR` hold the same content), when the file has the fields.
    pub issuer_checks: BTreeMap<&'static str, bool>,
}

impl TestFileOutcome {
    /// `{"overall": …, "steps": {…}}` as printed by `crosscode verify dcc-testfile`.
    pub fn to_json(&self) -> Value {
        json!({ "overall": self.overall, "steps": self.steps })
    }
}

fn text<'a>(file: &'a Value, key: &str) -> Option<&'a str> {
    file.get(key).and_then(Value::as_str)
}

fn hex_field(file: &Value, key: &str) -> Option<Result<Vec<u8>, ()>> {
    text(file, key).map(|h| hex::decode(h.trim()).map_err(|_| ()))
}

/// Run a parsed test file. `schema` is the DCC schema for SCHEMAVALIDATION and VALIDOBJECT
/// (`None`: the published schema of the version the payload declares in `ver`).
pub fn run(file: &Value, schema: Option<&JsonSchema>) -> Result<TestFileOutcome, TestFileError> {
    if !file.is_object() {
        return Err(TestFileError::NotAnObject);
    }
    let ctx = file.get("TESTCTX").cloned().unwrap_or(Value::Null);
    let now = ctx
        .get("VALIDATIONCLOCK")
        .and_then(Value::as_str)
        .map(clock::parse_clock)
        .unwrap_or_else(|| Ok(OffsetDateTime::now_utc()));
    let dsc = ctx
        .get("CERTIFICATE")
        .and_then(Value::as_str)
        .and_then(|b| {
            // Base64 DER; tolerate PEM armour and line breaks.
            let body: String = b
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
                .collect();
            STANDARD.decode(body).ok()
        })
        .and_then(|der| DocumentSigner::from_der(&der).ok());
    // SCHEMAVALIDATION / VALIDOBJECT: the given schema, else the published schema of the
    // version the payload declares (`ver`).
    let schema_valid = |dcc: &Value| match schema {
        Some(s) => s.validate(dcc).is_empty(),
        None => DccSchemas::published()
            .validate(dcc)
            .is_ok_and(|check| check.violations.is_empty()),
    };
    let mut steps: BTreeMap<&'static str, bool> = STEP_NAMES.iter().map(|n| (*n, false)).collect();

    // UNPREFIX
    let prefix_text = text(file, "PREFIX");
    let unprefixed = prefix_text.and_then(|p| p.trim().strip_prefix(eu_dcc::PREFIX));
    steps.insert(
        "UNPREFIX",
        unprefixed.is_some_and(|rest| text(file, "BASE45").is_none_or(|b| b.trim() == rest)),
    );

    // B45DECODE: BASE45 (or the unprefixed PREFIX) decodes, and equals COMPRESSED.
    let b45_input = text(file, "BASE45").or(unprefixed);
    let compressed = b45_input.and_then(|b| eu_dcc::decode_base45(b.trim()).ok());
    steps.insert(
        "B45DECODE",
        compressed
            .as_ref()
            .is_some_and(|c| match hex_field(file, "COMPRESSED") {
                None => true,
                Some(Ok(expected)) => &expected == c,
                Some(Err(())) => false,
            }),
    );

    // COMPRESSION: COMPRESSED (or the decoded base45) inflates with zlib, and equals COSE.
    let zlib_input = match hex_field(file, "COMPRESSED") {
        Some(Ok(bytes)) => Some(bytes),
        Some(Err(())) => None,
        None => compressed.clone(),
    };
    let inflated = zlib_input.and_then(|z| inflate::inflate_zlib(&z, MAX_INFLATED_LEN).ok());
    steps.insert(
        "COMPRESSION",
        inflated
            .as_ref()
            .is_some_and(|c| match hex_field(file, "COSE") {
                None => true,
                Some(Ok(expected)) => &expected == c,
                Some(Err(())) => false,
            }),
    );

    // The COSE under test: the file's COSE field, else what the chain produced.
    let cose_bytes = match hex_field(file, "COSE") {
        Some(Ok(bytes)) => Some(bytes),
        Some(Err(())) => None,
        None => inflated.clone(),
    };
    let envelope = cose_bytes
        .as_deref()
        .and_then(|c| cose::parse_sign1(c).ok());
    let claims = envelope
        .as_ref()
        .and_then(|e| cose::parse_cwt(&e.payload).ok());

    // DECODE: the payload is a CWT whose CBOR equals CBOR (whole payload or the hcert DCC).
    let decode_ok = match (&envelope, &claims) {
        (Some(env), Some(claims)) => match hex_field(file, "CBOR") {
            None => true,
            Some(Err(())) => false,
            Some(Ok(expected)) => cose::decode_cbor(&expected).is_ok_and(|exp| {
                cose::cbor_equivalent(&exp, &claims.raw)
                    || cose::decode_cbor(&env.payload)
                        .is_ok_and(|p| cose::cbor_equivalent(&exp, &p))
                    || hcert_value(&claims.raw).is_some_and(|h| cose::cbor_equivalent(&exp, h))
            }),
        },
        _ => false,
    };
    steps.insert("DECODE", decode_ok);

    // VERIFY: signature under the file's DSC, kid matching (protected header wins).
    let mut trust = TrustStore::new();
    if let Some(d) = &dsc {
        trust.add_document_signer(d.clone());
    }
    let verify_ok = envelope.as_ref().is_some_and(|env| {
        eu_dcc::key_candidates(env, &trust)
            .and_then(|c| eu_dcc::verify_signature(env, c))
            .is_ok()
    });
    steps.insert("VERIFY", verify_ok);

    // The pipeline on PREFIX (the verifier's input), and on the 2DCODE picture.
    let verifier = Verifier::new(trust).with_dcc_schema(None);
    let clock_now = now.clone().unwrap_or_else(|_| OffsetDateTime::now_utc());
    let report = verifier.verify_text(prefix_text.unwrap_or_default(), clock_now);
    let picture_text = text(file, "2DCODE").map(|b64| {
        STANDARD
            .decode(b64.trim())
            .ok()
            .and_then(|png| qr_image::read_qr_texts(&png).ok())
            .unwrap_or_default()
    });
    // Without a 2DCODE there is no picture to contradict PREFIX (upstream IE/1 expects true).
    let picture_ok = match (&picture_text, prefix_text) {
        (Some(texts), Some(p)) => texts.iter().any(|t| t.trim() == p.trim()),
        (Some(_), None) => false,
        (None, _) => true,
    };
    steps.insert("PICTUREDECODE", picture_ok);

    // VALIDJSON: the whole chain from PREFIX (or the picture) decodes, and equals JSON.
    let chain_dcc = report
        .claims
        .as_ref()
        .and_then(|c| c.get("hcert").cloned())
        .or_else(|| {
            picture_text.as_ref().and_then(|texts| {
                texts.iter().find_map(|t| {
                    verifier
                        .verify_text(t, clock_now)
                        .claims
                        .and_then(|c| c.get("hcert").cloned())
                })
            })
        });
    steps.insert(
        "VALIDJSON",
        chain_dcc
            .as_ref()
            .is_some_and(|dcc| match file.get("JSON") {
                None => true,
                Some(expected) => cose::json_equivalent(expected, dcc),
            }),
    );

    // The DCC content for the content checks: the file's COSE chain, else the PREFIX chain.
    let dcc = claims.as_ref().map(|c| c.dcc.clone()).or(chain_dcc);
    steps.insert("SCHEMAVALIDATION", dcc.as_ref().is_some_and(schema_valid));
    steps.insert(
        "EXPIRATIONCHECK",
        match (&claims, &now) {
            (Some(c), Ok(now)) => {
                eu_dcc::time_window(c, *now).is_ok()
                    && dsc
                        .as_ref()
                        .is_none_or(|d| eu_dcc::document_signer_validity(d, *now).is_ok())
            }
            _ => false,
        },
    );
    steps.insert(
        "KEYUSAGE",
        match (&dsc, &dcc) {
            (Some(d), Some(dcc)) => eu_dcc::key_usage(d, dcc).is_ok(),
            _ => false,
        },
    );

    let all_steps_ok = steps.values().all(|ok| *ok);
    let overall = if report.verdict() == Verdict::Accept && all_steps_ok {
        Verdict::Accept
    } else {
        Verdict::Reject
    };
    let mut issuer_checks = BTreeMap::new();
    if let Some(expected_json) = file.get("JSON") {
        issuer_checks.insert("VALIDOBJECT", schema_valid(expected_json));
        if hex_field(file, "CBOR").is_none() {
            // No CBOR in the file: compare JSON with what the QR chain decodes to.
            let same = report
                .claims
                .as_ref()
                .and_then(|c| c.get("hcert"))
                .is_some_and(|d| cose::json_equivalent(d, expected_json));
            issuer_checks.insert("ENCODE", same);
        }
        if let Some(cbor) = hex_field(file, "CBOR") {
            let same = cbor
                .ok()
                .and_then(|c| cose::decode_cbor(&c).ok())
                .is_some_and(|v| {
                    let direct = cose::cbor_to_json(&v, 0).ok();
                    let inner = hcert_value(&v).and_then(|h| cose::cbor_to_json(h, 0).ok());
                    direct.is_some_and(|d| cose::json_equivalent(&d, expected_json))
                        || inner.is_some_and(|d| cose::json_equivalent(&d, expected_json))
                });
            issuer_checks.insert("ENCODE", same);
        }
    }
    Ok(TestFileOutcome {
        overall,
        steps,
        report,
        issuer_checks,
    })
}

fn hcert_value(raw: &ciborium::value::Value) -> Option<&ciborium::value::Value> {
    let ciborium::value::Value::Map(entries) = raw else {
        return None;
    };
    let (_, hcert) = entries.iter().find(|(k, _)| {
        k.as_integer().and_then(|i| i64::try_from(i).ok()) == Some(cose::CLAIM_HCERT)
    })?;
    let ciborium::value::Value::Map(inner) = hcert else {
        return None;
    };
    inner
        .iter()
        .find(|(k, _)| k.as_integer().and_then(|i| i64::try_from(i).ok()) == Some(1))
        .map(|(_, v)| v)
}
