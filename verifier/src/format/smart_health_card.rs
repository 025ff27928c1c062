//! SMART Health Cards: `shc:/` + the numeric-mode digits of a compact JWS (ES256, `zip: DEF`,
//! payload raw DEFLATE of the card's JSON), split into numbered chunks when it is long
//! (`shc:/2/3/…`), signed by an issuer (`iss`) whose keys the trust store holds.
//!
//! Steps: Decode (numeric chunks), ParseEnvelope (compact JWS), Decompress (raw DEFLATE),
//! ParseEnvelope (the JSON payload), KeyResolution (trusted issuer, keys with the kid, and the
//! key's `x5c` chain when it has one), Signature, then ValidityWindow (`nbf <= clock`,
//! `clock <= exp` when present, and under the [`X5cValidity::AtIssuance`] policy the `x5c`
//! certificates' dates at `nbf`), Schema (advisory: a health card with a FHIR Bundle), Status
//! (the issuer's CRL by `rid`) and BusinessRules; KeyUsage does not apply.
//!
//! A key's `x5c` chain (`crate::x5c`) must be consistent in itself — a broken chain refuses
//! the key (`X5C_INVALID`) — and, once the trust store holds SHC roots, must reach one of them
//! (`X5C_UNTRUSTED_ROOT`) with a leaf naming the card's `iss` (`X5C_ISSUER_MISMATCH`). Without
//! roots the issuer's JWKS alone decides; a key without `x5c` is always trusted by its JWKS.

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{AtStep, Format, MAX_INFLATED_LEN, StepFailure, VerificationContext};
use crate::jws;
use crate::prefix::CredentialFormat;
use crate::report::{Report, StepOutcome, VerificationError};
use crate::shc_numeric;
use crate::signature::SignatureError;
use crate::trust::{ShcKey, TrustStore};
use crate::x5c::{CertificationPath, TrustAnchor, X5cError};
use crosscode_core::VerificationStep;
use crosscode_core::envelope::inflate;

/// The SMART Health Card URI scheme prefix.
pub const PREFIX: &str = "shc:/";

/// The checkpoint's policy on the validity dates of the `x5c` certificates of an SHC key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum X5cValidity {
    /// Not enforced (the default): JWKS trust decides, as the deployed SHC verifiers do; the
    /// ValidityWindow detail says when a certificate was outside its dates at issuance.
    #[default]
    Unchecked,
    /// Every certificate of the key's path (up to the configured root, or the whole chain) must
    /// be valid at the card's issuance time `nbf` — `X5C_EXPIRED` / `X5C_NOT_YET_VALID` at
    /// ValidityWindow otherwise (CLI `--shc-x509-validity`).
    AtIssuance,
}

/// The SMART Health Card format, with the checkpoint's [`X5cValidity`] policy.
#[derive(Debug, Clone, Copy, Default)]
pub struct SmartHealthCard {
    x5c_validity: X5cValidity,
}

impl SmartHealthCard {
    /// The format with the default policy ([`X5cValidity::Unchecked`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// The format with this policy on `x5c` certificate dates.
    pub fn with_x5c_validity(x5c_validity: X5cValidity) -> Self {
        Self { x5c_validity }
    }

    /// The ValidityWindow detail once the card's own window passed: the `x5c` path's dates at
    /// `nbf`, enforced or only reported as the policy says.
    fn x5c_validity(
        &self,
        path: Option<&CertificationPath<'_>>,
        nbf: f64,
    ) -> Result<String, VerificationError> {
        let window = "nbf <= clock (<= exp)";
        let Some(path) = path else {
            return Ok(window.into());
        };
        match (path.valid_at(nbf), self.x5c_validity) {
            (Ok(()), _) => Ok(format!("{window}; x5c certificates valid at nbf")),
            (Err(error), X5cValidity::AtIssuance) => Err(error.into()),
            (Err(error), X5cValidity::Unchecked) => {
                Ok(format!("{window}; x5c dates not enforced: {error}"))
            }
        }
    }
}

/// A key of the card's issuer with the header's kid, and the path its `x5c` chain was trusted
/// by (none: the key has no `x5c`).
struct Candidate<'t> {
    key: &'t ShcKey,
    path: Option<CertificationPath<'t>>,
}

/// The keys whose `x5c` chain, when they have one, is acceptable: consistent, and with roots
/// configured naming `iss` and reaching a root. None acceptable: the first key's error.
fn usable_keys<'t>(
    keys: &[&'t ShcKey],
    iss: &str,
    roots: &'t [TrustAnchor],
) -> Result<Vec<Candidate<'t>>, X5cError> {
    let mut usable = Vec::with_capacity(keys.len());
    let mut first_error = None;
    for &key in keys {
        match x5c_path(key, iss, roots) {
            Ok(path) => usable.push(Candidate { key, path }),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) if usable.is_empty() => Err(error),
        _ => Ok(usable),
    }
}

fn x5c_path<'t>(
    key: &'t ShcKey,
    iss: &str,
    roots: &'t [TrustAnchor],
) -> Result<Option<CertificationPath<'t>>, X5cError> {
    let Some(chain) = &key.x5c else {
        return Ok(None);
    };
    let chain = chain.as_ref().map_err(Clone::clone)?;
    if roots.is_empty() {
        return Ok(Some(chain.unanchored()));
    }
    chain.names_issuer(iss)?;
    chain.anchor(roots).map(Some)
}

impl Format for SmartHealthCard {
    fn id(&self) -> CredentialFormat {
        CredentialFormat::SmartHealthCard
    }

    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn is_chunked(&self) -> bool {
        true
    }

    fn verify(
        &self,
        bodies: &[&str],
        context: &VerificationContext<'_>,
        now: OffsetDateTime,
        report: &mut Report,
    ) -> Result<(), StepFailure> {
        let jws_text = shc_numeric::decode_chunks(bodies).at_step(VerificationStep::Decode)?;
        report.set(
            VerificationStep::Decode,
            StepOutcome::Passed(format!(
                "numeric mode, {} chunk(s), {} JWS chars",
                bodies.len(),
                jws_text.len()
            )),
        );
        let parsed = jws::parse_compact(&jws_text).at_step(VerificationStep::ParseEnvelope)?;
        if !parsed.deflated {
            return Err(jws::JwsError::UnsupportedZip("(none)".into()))
                .at_step(VerificationStep::ParseEnvelope);
        }
        let payload_bytes = inflate::inflate_raw(&parsed.payload, MAX_INFLATED_LEN)
            .at_step(VerificationStep::Decompress)?;
        report.set(
            VerificationStep::Decompress,
            StepOutcome::Passed(format!("raw DEFLATE, {} bytes", payload_bytes.len())),
        );
        let payload = parse_payload(&payload_bytes).at_step(VerificationStep::ParseEnvelope)?;
        report.issuer = Some(payload.iss.clone());
        report.claims = Some(disclosed_claims(&payload.json));
        report.set(
            VerificationStep::ParseEnvelope,
            StepOutcome::Passed("compact JWS ES256, SHC payload".into()),
        );
        if !context.trust.knows_shc_issuer(&payload.iss) {
            return Err(VerificationError::UnknownIssuer(payload.iss.clone()))
                .at_step(VerificationStep::KeyResolution);
        }
        let keys = context.trust.shc_keys(&payload.iss, &parsed.kid);
        if keys.is_empty() {
            return Err(VerificationError::UnknownKid(parsed.kid.clone()))
                .at_step(VerificationStep::KeyResolution);
        }
        let candidates = usable_keys(&keys, &payload.iss, context.trust.shc_roots())
            .at_step(VerificationStep::KeyResolution)?;
        let chain = candidates
            .iter()
            .find_map(|c| c.path.as_ref())
            .map(|path| format!("; {path}"))
            .unwrap_or_default();
        report.set(
            VerificationStep::KeyResolution,
            StepOutcome::Passed(format!(
                "{} key(s) with kid {}{chain}",
                candidates.len(),
                parsed.kid
            )),
        );
        let mut last = SignatureError::Invalid;
        let mut verified = None;
        for candidate in &candidates {
            match candidate.key.key.verify(
                parsed.algorithm,
                &parsed.signing_input,
                &parsed.signature,
            ) {
                Ok(()) => {
                    verified = Some(candidate);
                    break;
                }
                Err(e) => last = e,
            }
        }
        let Some(verified) = verified else {
            return Err(VerificationError::Signature {
                tried: candidates.len(),
                last,
            })
            .at_step(VerificationStep::Signature);
        };
        report.set(
            VerificationStep::Signature,
            StepOutcome::Passed(format!("ES256 by {}", payload.iss)),
        );
        report.set(
            VerificationStep::ValidityWindow,
            match time_window(payload.nbf, payload.exp, now)
                .and_then(|()| self.x5c_validity(verified.path.as_ref(), payload.nbf))
            {
                Ok(detail) => StepOutcome::Passed(detail),
                Err(e) => StepOutcome::Failed(e),
            },
        );
        report.set(
            VerificationStep::KeyUsage,
            StepOutcome::Skipped("not applicable to SMART Health Cards".into()),
        );
        report.set(VerificationStep::Schema, structure(&payload.json));
        report.set(
            VerificationStep::Status,
            revocation(
                context.trust,
                &payload,
                &parsed.kid,
                verified.key.crl_version,
            ),
        );
        report.set(
            VerificationStep::BusinessRules,
            context.apply_rules(&payload.json, None, None, now, json!({"iss": payload.iss})),
        );
        Ok(())
    }
}

fn revocation(
    trust: &TrustStore,
    payload: &Payload,
    kid: &str,
    crl_version: Option<u64>,
) -> StepOutcome {
    let crl = trust.shc_crl(&payload.iss, kid);
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
        (Some(_), None) if crl_version.is_some() => {
            StepOutcome::Skipped("issuer publishes a CRL for this key but none is loaded".into())
        }
        (Some(_), None) => StepOutcome::Passed("issuer publishes no CRL for this key".into()),
        (None, _) => StepOutcome::Passed("card has no rid (not revocable by rid)".into()),
    }
}

/// The SHC payload fields the pipeline uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
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

/// Parses an inflated SHC payload.
pub fn parse_payload(bytes: &[u8]) -> Result<Payload, VerificationError> {
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
    Ok(Payload {
        iss,
        nbf,
        exp,
        rid,
        json,
    })
}

/// `nbf <= now` and, when present, `now <= exp`.
pub fn time_window(
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

fn structure(payload: &Value) -> StepOutcome {
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

fn disclosed_claims(payload: &Value) -> Value {
    json!({
        "iss": payload.get("iss"),
        "nbf": payload.get("nbf"),
        "exp": payload.get("exp"),
        "type": payload.get("vc").and_then(|v| v.get("type")),
        "credentialSubject": payload.get("vc").and_then(|v| v.get("credentialSubject")),
    })
}
