//! The verification pipeline: QR text (or image) → verdict, as explicit steps with typed
//! outcomes recorded in a [`Report`].

use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::certificate::{DccType, DocumentSigner};
use crate::cose::{self, CwtClaims, SignedEnvelope};
use crate::jws;
use crate::prefix::{self, CredentialFormat};
use crate::report::{Report, Step, StepOutcome, VerificationError};
use crate::revocation::DccRevocationHashes;
use crate::rules::RuleSet;
use crate::schema::JsonSchema;
use crate::shc_numeric;
use crate::signature::SignatureError;
use crate::trust::TrustStore;
use crosscode_core::envelope::{inflate, qr_image};

/// Largest decompressed DCC / SHC payload accepted, in bytes (a QR code holds under 3 KiB; this
/// leaves room and refuses decompression bombs).
pub const MAX_INFLATED_LEN: usize = 256 * 1024;

/// The EU DCC JSON schema 1.3.3, embedded (see `verifier/schema/README.md`).
pub const DCC_SCHEMA_JSON: &str = include_str!("../schema/DCC.combined-schema.json");

/// The checkpoint verifier: a trust store, an optional rule set, the DCC schema.
#[derive(Debug)]
pub struct Verifier {
    trust: TrustStore,
    rules: Option<RuleSet>,
    dcc_schema: Option<JsonSchema>,
}

/// Load the embedded DCC schema.
pub fn embedded_dcc_schema() -> Option<JsonSchema> {
    JsonSchema::from_slice(DCC_SCHEMA_JSON.as_bytes()).ok()
}

impl Verifier {
    /// A verifier over `trust`, with the embedded DCC schema and no business rules.
    pub fn new(trust: TrustStore) -> Self {
        Self {
            trust,
            rules: None,
            dcc_schema: embedded_dcc_schema(),
        }
    }

    /// Apply a CertLogic rule set.
    pub fn with_rules(mut self, rules: RuleSet) -> Self {
        self.rules = Some(rules);
        self
    }

    /// Replace (or remove) the DCC schema used by the advisory SCHEMA step.
    pub fn with_dcc_schema(mut self, schema: Option<JsonSchema>) -> Self {
        self.dcc_schema = schema;
        self
    }

    /// The trust store.
    pub fn trust(&self) -> &TrustStore {
        &self.trust
    }

    /// Verify the QR code(s) in a PNG/JPEG image. Several QR codes in one image are treated as
    /// the chunks of one SMART Health Card; otherwise the first one is verified.
    pub fn verify_image(&self, image: &[u8], now: OffsetDateTime) -> Report {
        let texts = match qr_image::read_qr_texts(image) {
            Ok(t) => t,
            Err(e) => {
                let mut report = Report::new();
                report.set(Step::ReadImage, StepOutcome::Failed(e.into()));
                return report;
            }
        };
        let detail = format!("{} QR code(s)", texts.len());
        let all_shc_chunks = texts.len() > 1 && texts.iter().all(|t| t.trim().starts_with("shc:/"));
        let mut report = if all_shc_chunks {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            self.verify_texts(&refs, now)
        } else {
            self.verify_text(texts.first().map(String::as_str).unwrap_or_default(), now)
        };
        report.set(Step::ReadImage, StepOutcome::Passed(detail));
        report
    }

    /// Verify one scanned QR text.
    pub fn verify_text(&self, text: &str, now: OffsetDateTime) -> Report {
        self.verify_texts(&[text], now)
    }

    /// Verify QR texts: one text, or every chunk of a chunked SMART Health Card (any order).
    pub fn verify_texts(&self, texts: &[&str], now: OffsetDateTime) -> Report {
        let mut report = Report::new();
        report.set(Step::ReadImage, StepOutcome::Skipped("text input".into()));
        let mut bodies = Vec::with_capacity(texts.len());
        let mut format = None;
        for text in texts {
            match prefix::unprefix(text) {
                Ok((f, body)) => {
                    if format.is_some_and(|g| g != f) {
                        report.set(
                            Step::Unprefix,
                            StepOutcome::Failed(VerificationError::Payload("mixed formats".into())),
                        );
                        return report;
                    }
                    format = Some(f);
                    bodies.push(body);
                }
                Err(e) => {
                    report.set(Step::Unprefix, StepOutcome::Failed(e.into()));
                    return report;
                }
            }
        }
        report.format = format;
        match format {
            Some(CredentialFormat::EuDcc) => {
                report.set(Step::Unprefix, StepOutcome::Passed("HC1:".into()));
                match bodies.as_slice() {
                    [body] => self.verify_dcc(body, now, &mut report),
                    _ => report.set(
                        Step::Decode,
                        StepOutcome::Failed(VerificationError::Payload(
                            "one DCC QR expected".into(),
                        )),
                    ),
                }
            }
            Some(CredentialFormat::SmartHealthCard) => {
                report.set(Step::Unprefix, StepOutcome::Passed("shc:/".into()));
                self.verify_shc(&bodies, now, &mut report);
            }
            None => report.set(
                Step::Unprefix,
                StepOutcome::Failed(crate::prefix::PrefixError::Empty.into()),
            ),
        }
        report
    }

    fn verify_dcc(&self, body: &str, now: OffsetDateTime, report: &mut Report) {
        macro_rules! step {
            ($step:expr, $result:expr) => {
                match $result {
                    Ok(v) => v,
                    Err(e) => {
                        report.set($step, StepOutcome::Failed(e));
                        return;
                    }
                }
            };
        }
        let compressed = step!(Step::Decode, decode_base45(body));
        report.set(
            Step::Decode,
            StepOutcome::Passed(format!("base45, {} bytes", compressed.len())),
        );
        let cose_bytes = step!(
            Step::Decompress,
            inflate::inflate_zlib(&compressed, MAX_INFLATED_LEN).map_err(VerificationError::from)
        );
        report.set(
            Step::Decompress,
            StepOutcome::Passed(format!("zlib, {} bytes", cose_bytes.len())),
        );
        let (envelope, claims) = step!(Step::ParseEnvelope, parse_dcc_envelope(&cose_bytes));
        report.issuer = claims.issuer.clone();
        report.claims = Some(dcc_disclosed_claims(&claims));
        report.set(
            Step::ParseEnvelope,
            StepOutcome::Passed(format!(
                "COSE_Sign1 tags {:?}, CWT with hcert",
                envelope.tags
            )),
        );
        let candidates = step!(Step::KeyLookup, dcc_key_candidates(&envelope, &self.trust));
        report.set(
            Step::KeyLookup,
            StepOutcome::Passed(format!(
                "{} DSC(s) with kid {}",
                candidates.len(),
                kid_hex(&envelope)
            )),
        );
        let dsc = step!(Step::Signature, dcc_verify_signature(&envelope, candidates));
        report.set(
            Step::Signature,
            StepOutcome::Passed(format!(
                "{} by {}",
                envelope
                    .algorithm
                    .map(|a| a.to_string())
                    .unwrap_or_default(),
                dsc.subject
            )),
        );
        report.set(
            Step::TimeWindow,
            match dcc_time_window(&claims, now) {
                Ok(()) => StepOutcome::Passed("iat <= clock <= exp".into()),
                Err(e) => StepOutcome::Failed(e),
            },
        );
        report.set(
            Step::KeyUsage,
            match dcc_key_usage(dsc, &claims.dcc) {
                Ok(types) => StepOutcome::Passed(format!("payload type {types}")),
                Err(e) => StepOutcome::Failed(e),
            },
        );
        report.set(
            Step::Schema,
            match &self.dcc_schema {
                None => StepOutcome::Skipped("no DCC schema loaded".into()),
                Some(schema) => {
                    let violations = schema.validate(&claims.dcc);
                    if violations.is_empty() {
                        StepOutcome::Passed(schema.comment().unwrap_or("DCC schema").to_owned())
                    } else {
                        StepOutcome::Warning(format!(
                            "advisory: {}",
                            violations
                                .iter()
                                .take(3)
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join("; ")
                        ))
                    }
                }
            },
        );
        report.set(Step::Revocation, self.dcc_revocation(&envelope, &claims));
        let certificate_type = dcc_types(&claims.dcc)
            .ok()
            .and_then(|t| t.first().copied())
            .map(|t| match t {
                DccType::Test => "Test",
                DccType::Vaccination => "Vaccination",
                DccType::Recovery => "Recovery",
            });
        let external = json!({
            "countryCode": claims.issuer,
            "exp": claims.expires.and_then(|e| OffsetDateTime::from_unix_timestamp(e).ok()).and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
            "iat": claims.issued_at.and_then(|e| OffsetDateTime::from_unix_timestamp(e).ok()).and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
        });
        report.set(
            Step::BusinessRules,
            self.apply_rules(&claims.dcc, certificate_type, now, external),
        );
    }

    fn dcc_revocation(&self, envelope: &SignedEnvelope, claims: &CwtClaims) -> StepOutcome {
        let list = self.trust.dcc_revocations();
        if list.is_empty() {
            return StepOutcome::Skipped("no DCC revocation list loaded".into());
        }
        let Some(hashes) = dcc_revocation_hashes(envelope, claims) else {
            return StepOutcome::Failed(VerificationError::PayloadType(
                "no UCI to check revocation".into(),
            ));
        };
        match list.check(&hashes) {
            Some(t) => {
                StepOutcome::Failed(VerificationError::Revoked(format!("{t:?} hash listed")))
            }
            None => StepOutcome::Passed(format!("not among {} revoked hashes", list.len())),
        }
    }

    fn apply_rules(
        &self,
        payload: &Value,
        certificate_type: Option<&str>,
        now: OffsetDateTime,
        external: Value,
    ) -> StepOutcome {
        match &self.rules {
            None => StepOutcome::Skipped("no rule set loaded".into()),
            Some(rules) => match rules.evaluate(payload, certificate_type, now, external) {
                Ok(passed) => StepOutcome::Passed(format!("{} rule(s) passed", passed.len())),
                Err(failure) => StepOutcome::Failed(failure.into()),
            },
        }
    }

    fn verify_shc(&self, bodies: &[&str], now: OffsetDateTime, report: &mut Report) {
        macro_rules! step {
            ($step:expr, $result:expr) => {
                match $result {
                    Ok(v) => v,
                    Err(e) => {
                        report.set($step, StepOutcome::Failed(e));
                        return;
                    }
                }
            };
        }
        let jws_text = step!(
            Step::Decode,
            shc_numeric::decode_chunks(bodies).map_err(VerificationError::from)
        );
        report.set(
            Step::Decode,
            StepOutcome::Passed(format!(
                "numeric mode, {} chunk(s), {} JWS chars",
                bodies.len(),
                jws_text.len()
            )),
        );
        let parsed = step!(
            Step::ParseEnvelope,
            jws::parse_compact(&jws_text).map_err(VerificationError::from)
        );
        if !parsed.deflated {
            report.set(
                Step::ParseEnvelope,
                StepOutcome::Failed(jws::JwsError::UnsupportedZip("(none)".into()).into()),
            );
            return;
        }
        let payload_bytes = step!(
            Step::Decompress,
            inflate::inflate_raw(&parsed.payload, MAX_INFLATED_LEN)
                .map_err(VerificationError::from)
        );
        report.set(
            Step::Decompress,
            StepOutcome::Passed(format!("raw DEFLATE, {} bytes", payload_bytes.len())),
        );
        let payload = step!(Step::ParseEnvelope, parse_shc_payload(&payload_bytes));
        report.issuer = Some(payload.iss.clone());
        report.claims = Some(shc_disclosed_claims(&payload.json));
        report.set(
            Step::ParseEnvelope,
            StepOutcome::Passed("compact JWS ES256, SHC payload".into()),
        );
        if !self.trust.knows_shc_issuer(&payload.iss) {
            report.set(
                Step::KeyLookup,
                StepOutcome::Failed(VerificationError::UnknownIssuer(payload.iss.clone())),
            );
            return;
        }
        let keys = self.trust.shc_keys(&payload.iss, &parsed.kid);
        if keys.is_empty() {
            report.set(
                Step::KeyLookup,
                StepOutcome::Failed(VerificationError::UnknownKid(parsed.kid.clone())),
            );
            return;
        }
        report.set(
            Step::KeyLookup,
            StepOutcome::Passed(format!("{} key(s) with kid {}", keys.len(), parsed.kid)),
        );
        let mut last = SignatureError::Invalid;
        let mut verified = None;
        for key in &keys {
            match key
                .key
                .verify(parsed.algorithm, &parsed.signing_input, &parsed.signature)
            {
                Ok(()) => {
                    verified = Some(*key);
                    break;
                }
                Err(e) => last = e,
            }
        }
        if verified.is_none() {
            report.set(
                Step::Signature,
                StepOutcome::Failed(VerificationError::Signature {
                    tried: keys.len(),
                    last,
                }),
            );
            return;
        }
        report.set(
            Step::Signature,
            StepOutcome::Passed(format!("ES256 by {}", payload.iss)),
        );
        report.set(
            Step::TimeWindow,
            match shc_time_window(payload.nbf, payload.exp, now) {
                Ok(()) => StepOutcome::Passed("nbf <= clock (<= exp)".into()),
                Err(e) => StepOutcome::Failed(e),
            },
        );
        report.set(
            Step::KeyUsage,
            StepOutcome::Skipped("not applicable to SMART Health Cards".into()),
        );
        report.set(Step::Schema, shc_structure(&payload.json));
        report.set(
            Step::Revocation,
            self.shc_revocation(&payload, &parsed.kid, verified.and_then(|k| k.crl_version)),
        );
        report.set(
            Step::BusinessRules,
            self.apply_rules(&payload.json, None, now, json!({"iss": payload.iss})),
        );
    }

    fn shc_revocation(
        &self,
        payload: &ShcPayload,
        kid: &str,
        crl_version: Option<u64>,
    ) -> StepOutcome {
        let crl = self.trust.shc_crl(&payload.iss, kid);
        match (&payload.rid, crl) {
            (Some(rid), Some(crl)) => {
                if crl.is_revoked(rid, payload.nbf) {
                    StepOutcome::Failed(VerificationError::Revoked(format!(
                        "rid {rid} listed in CRL ctr {}",
                        crl.counter
                    )))
                } else {
                    StepOutcome::Passed(format!("rid not in CRL ctr {}", crl.counter))
                }
            }
            (Some(_), None) if crl_version.is_some() => StepOutcome::Skipped(
                "issuer publishes a CRL for this key but none is loaded".into(),
            ),
            (Some(_), None) => StepOutcome::Passed("issuer publishes no CRL for this key".into()),
            (None, _) => StepOutcome::Passed("card has no rid (not revocable by rid)".into()),
        }
    }
}

/// base45-decode the text after `HC1:`.
pub fn decode_base45(body: &str) -> Result<Vec<u8>, VerificationError> {
    base45::decode(body).map_err(|e| VerificationError::Base45(e.to_string()))
}

/// Parse the COSE_Sign1 and its CWT (with the hcert claim).
pub fn parse_dcc_envelope(
    cose_bytes: &[u8],
) -> Result<(SignedEnvelope, CwtClaims), VerificationError> {
    let envelope = cose::parse_sign1(cose_bytes)?;
    let claims = cose::parse_cwt(&envelope.payload)?;
    Ok((envelope, claims))
}

fn kid_hex(envelope: &SignedEnvelope) -> String {
    envelope
        .kid
        .as_ref()
        .map(|(k, _)| hex::encode(k))
        .unwrap_or_default()
}

/// The trusted DSCs for the envelope's kid (protected header first, unprotected allowed).
pub fn dcc_key_candidates<'t>(
    envelope: &SignedEnvelope,
    trust: &'t TrustStore,
) -> Result<&'t [DocumentSigner], VerificationError> {
    let (kid, _) = envelope.kid.as_ref().ok_or(VerificationError::MissingKid)?;
    let candidates = trust.document_signers(kid);
    if candidates.is_empty() {
        return Err(VerificationError::UnknownKid(hex::encode(kid)));
    }
    Ok(candidates)
}

/// Try every candidate DSC; the first that verifies wins.
pub fn dcc_verify_signature<'t>(
    envelope: &SignedEnvelope,
    candidates: &'t [DocumentSigner],
) -> Result<&'t DocumentSigner, VerificationError> {
    let alg = envelope.algorithm.ok_or_else(|| {
        VerificationError::UnsupportedAlgorithm(
            envelope
                .algorithm_label
                .clone()
                .unwrap_or_else(|| "(none)".into()),
        )
    })?;
    let mut last = SignatureError::Invalid;
    for dsc in candidates {
        match dsc
            .key
            .verify(alg, &envelope.signed_data, &envelope.signature)
        {
            Ok(()) => return Ok(dsc),
            Err(e) => last = e,
        }
    }
    Err(VerificationError::Signature {
        tried: candidates.len(),
        last,
    })
}

/// `iat <= now <= exp` (both claims required by the hcert spec).
pub fn dcc_time_window(claims: &CwtClaims, now: OffsetDateTime) -> Result<(), VerificationError> {
    let now = now.unix_timestamp();
    let iat = claims
        .issued_at
        .ok_or(VerificationError::MissingTimeClaim("iat"))?;
    let exp = claims
        .expires
        .ok_or(VerificationError::MissingTimeClaim("exp"))?;
    if now < iat {
        return Err(VerificationError::NotYetValid {
            not_before: iat,
            now,
        });
    }
    if now > exp {
        return Err(VerificationError::Expired { expired: exp, now });
    }
    Ok(())
}

/// The payload types present in a DCC (non-empty `v` / `t` / `r` arrays).
pub fn dcc_types(dcc: &Value) -> Result<Vec<DccType>, VerificationError> {
    let types: Vec<DccType> = [DccType::Test, DccType::Vaccination, DccType::Recovery]
        .into_iter()
        .filter(|t| {
            dcc.get(t.key())
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty())
        })
        .collect();
    if types.is_empty() {
        return Err(VerificationError::PayloadType("no v, t or r entry".into()));
    }
    Ok(types)
}

/// Check the DSC's extended key usage against every payload type present.
pub fn dcc_key_usage(dsc: &DocumentSigner, dcc: &Value) -> Result<String, VerificationError> {
    let types = dcc_types(dcc)?;
    let names = types
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("+");
    if types.iter().all(|t| dsc.allows(*t)) {
        Ok(names)
    } else {
        let allowed = dsc
            .allowed_types()
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("+");
        Err(VerificationError::KeyUsage {
            allowed: if allowed.is_empty() {
                "nothing".into()
            } else {
                allowed
            },
            payload: names,
        })
    }
}

/// The DCC revocation hashes (UCI of the first entry; country = CWT `iss`, else the entry's `co`).
pub fn dcc_revocation_hashes(
    envelope: &SignedEnvelope,
    claims: &CwtClaims,
) -> Option<DccRevocationHashes> {
    let entry = dcc_types(&claims.dcc)
        .ok()?
        .first()
        .and_then(|t| claims.dcc.get(t.key()))
        .and_then(|a| a.get(0))?;
    let uci = entry.get("ci")?.as_str()?;
    let country = claims
        .issuer
        .clone()
        .or_else(|| entry.get("co").and_then(Value::as_str).map(str::to_owned))?;
    Some(DccRevocationHashes::compute(
        uci,
        &country,
        envelope.algorithm?,
        &envelope.signature,
    ))
}

fn dcc_disclosed_claims(claims: &CwtClaims) -> Value {
    json!({ "iss": claims.issuer, "iat": claims.issued_at, "exp": claims.expires, "hcert": claims.dcc })
}

/// The SHC payload fields the pipeline uses.
#[derive(Debug, Clone, PartialEq)]
pub struct ShcPayload {
    /// Issuer URL.
    pub iss: String,
    /// Not-before (Unix seconds, may be fractional).
    pub nbf: f64,
    /// Expiry, when present.
    pub exp: Option<f64>,
    /// Revocation id, when present.
    pub rid: Option<String>,
    /// The whole payload.
    pub json: Value,
}

/// Parse an inflated SHC payload.
pub fn parse_shc_payload(bytes: &[u8]) -> Result<ShcPayload, VerificationError> {
    let json: Value =
        serde_json::from_slice(bytes).map_err(|e| VerificationError::Payload(e.to_string()))?;
    let iss = json
        .get("iss")
        .and_then(Value::as_str)
        .ok_or_else(|| VerificationError::Payload("missing iss".into()))?
        .to_owned();
    let vc = json
        .get("vc")
        .filter(|v| v.is_object())
        .ok_or_else(|| VerificationError::Payload("missing vc".into()))?;
    let nbf = json
        .get("nbf")
        .and_then(Value::as_f64)
        .ok_or(VerificationError::MissingTimeClaim("nbf"))?;
    let exp = match json.get("exp") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_f64()
                .ok_or_else(|| VerificationError::Payload("exp is not a number".into()))?,
        ),
    };
    let rid = vc.get("rid").and_then(Value::as_str).map(str::to_owned);
    Ok(ShcPayload {
        iss,
        nbf,
        exp,
        rid,
        json,
    })
}

/// `nbf <= now` and, when present, `now <= exp`.
pub fn shc_time_window(
    nbf: f64,
    exp: Option<f64>,
    now: OffsetDateTime,
) -> Result<(), VerificationError> {
    let now_s = now.unix_timestamp();
    let now_f = now_s as f64;
    if now_f < nbf {
        return Err(VerificationError::NotYetValid {
            not_before: nbf.ceil() as i64,
            now: now_s,
        });
    }
    if let Some(exp) = exp
        && now_f > exp
    {
        return Err(VerificationError::Expired {
            expired: exp.floor() as i64,
            now: now_s,
        });
    }
    Ok(())
}

fn shc_structure(payload: &Value) -> StepOutcome {
    let vc = payload.get("vc");
    let is_card = vc
        .and_then(|v| v.get("type"))
        .and_then(Value::as_array)
        .is_some_and(|t| {
            t.iter()
                .any(|x| x == "https://smarthealth.cards#health-card")
        });
    let bundle = vc
        .and_then(|v| v.get("credentialSubject"))
        .and_then(|s| s.get("fhirBundle"))
        .and_then(|b| b.get("resourceType"))
        .and_then(Value::as_str);
    if is_card && bundle == Some("Bundle") {
        StepOutcome::Passed("SMART Health Card with FHIR Bundle".into())
    } else {
        StepOutcome::Warning("advisory: not a health-card type with a FHIR Bundle".into())
    }
}

fn shc_disclosed_claims(payload: &Value) -> Value {
    json!({
        "iss": payload.get("iss"),
        "nbf": payload.get("nbf"),
        "exp": payload.get("exp"),
        "type": payload.get("vc").and_then(|v| v.get("type")),
        "credentialSubject": payload.get("vc").and_then(|v| v.get("credentialSubject")),
    })
}
