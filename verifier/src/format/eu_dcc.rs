//! EU Digital COVID Certificates: `HC1:` + base45( zlib( COSE_Sign1( CWT with the `hcert`
//! claim ) ) ), signed by a Document Signer Certificate (DSC) of the trust list, its kid the
//! first 8 bytes of the DSC's SHA-256.
//!
//! Steps: Decode (base45), Decompress (zlib), ParseEnvelope (COSE_Sign1, CWT), KeyResolution (DSCs
//! with the kid), Signature, then ValidityWindow (`iat <= clock <= exp`, and the DSC that verified
//! the signature within its notBefore / notAfter at the clock), KeyUsage (the DSC's
//! extended key usage against the payload types), Schema (advisory, the DCC JSON schema of the
//! version the payload declares in `ver`, see [`crate::dcc_schema`]),
//! Status (the DCC revocation hashes) and BusinessRules (CertLogic).

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{AtStep, Format, MAX_INFLATED_LEN, StepFailure, VerificationContext};
use crate::certificate::{DccType, DocumentSigner};
use crate::cose::{self, CwtClaims, SignedEnvelope};
use crate::dcc_schema::DccSchemas;
use crate::prefix::CredentialFormat;
use crate::report::{Report, StepOutcome, VerificationError};
use crate::revocation::DccRevocationHashes;
use crate::schema::{JsonSchema, SchemaViolation};
use crate::signature::SignatureError;
use crate::trust::TrustStore;
use crosscode_core::VerificationStep;
use crosscode_core::envelope::inflate;

/// The EU DCC context identifier (hcert spec: version 1 of the health certificate).
pub const PREFIX: &str = "HC1:";

/// The newest published EU DCC JSON schema (1.3.3), embedded (see [`crate::dcc_schema`]).
pub const SCHEMA_JSON: &str = include_str!("../../schema/1.3.3/DCC.combined-schema.json");

/// Loads the newest published DCC schema (1.3.3).
pub fn embedded_schema() -> Option<JsonSchema> {
    JsonSchema::from_slice(SCHEMA_JSON.as_bytes()).ok()
}

/// Which schema the advisory Schema step validates a DCC against.
#[derive(Debug)]
enum SchemaChoice {
    /// The published schema of the version the DCC declares (`ver`).
    Declared,
    /// One schema for every DCC, whatever it declares (an operator's choice).
    Fixed(JsonSchema),
    /// None: the step is skipped.
    Off,
}

/// The EU DCC format, with the JSON schema(s) of its advisory Schema step.
#[derive(Debug)]
pub struct EuDcc {
    schema: SchemaChoice,
}

impl EuDcc {
    /// The format validating each DCC against the published schema of the version it declares
    /// ([`DccSchemas::published`]).
    pub fn new() -> Self {
        Self {
            schema: SchemaChoice::Declared,
        }
    }

    /// The format with one DCC schema for every DCC, or none (the Schema step is then skipped).
    pub fn with_schema(schema: Option<JsonSchema>) -> Self {
        Self {
            schema: schema.map_or(SchemaChoice::Off, SchemaChoice::Fixed),
        }
    }

    fn schema_outcome(&self, dcc: &Value) -> StepOutcome {
        match &self.schema {
            SchemaChoice::Off => StepOutcome::Skipped("no DCC schema loaded".into()),
            SchemaChoice::Fixed(schema) => violations_outcome(
                schema.comment().unwrap_or("DCC schema").to_owned(),
                &schema.validate(dcc),
            ),
            SchemaChoice::Declared => match DccSchemas::published().validate(dcc) {
                Ok(check) => {
                    let name = if check.used == check.declared {
                        format!("DCC schema {}", check.used)
                    } else {
                        format!("DCC schema {} (declared {})", check.used, check.declared)
                    };
                    violations_outcome(name, &check.violations)
                }
                Err(e) => StepOutcome::Warning(format!("advisory: {e}")),
            },
        }
    }
}

/// Passed with the schema's name, or an advisory warning naming the first violations.
fn violations_outcome(schema_name: String, violations: &[SchemaViolation]) -> StepOutcome {
    if violations.is_empty() {
        StepOutcome::Passed(schema_name)
    } else {
        StepOutcome::Warning(format!(
            "advisory: {schema_name}: {}",
            violations
                .iter()
                .take(3)
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ))
    }
}

impl Default for EuDcc {
    fn default() -> Self {
        Self::new()
    }
}

impl Format for EuDcc {
    fn id(&self) -> CredentialFormat {
        CredentialFormat::EuDcc
    }

    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn verify(
        &self,
        bodies: &[&str],
        context: &VerificationContext<'_>,
        now: OffsetDateTime,
        report: &mut Report,
    ) -> Result<(), StepFailure> {
        let [body] = bodies else {
            return Err(StepFailure {
                step: VerificationStep::Decode,
                error: VerificationError::Payload("one DCC QR expected".into()),
            });
        };
        let compressed = decode_base45(body).at_step(VerificationStep::Decode)?;
        report.set(
            VerificationStep::Decode,
            StepOutcome::Passed(format!("base45, {} bytes", compressed.len())),
        );
        let cose_bytes = inflate::inflate_zlib(&compressed, MAX_INFLATED_LEN)
            .at_step(VerificationStep::Decompress)?;
        report.set(
            VerificationStep::Decompress,
            StepOutcome::Passed(format!("zlib, {} bytes", cose_bytes.len())),
        );
        let (envelope, claims) =
            parse_envelope(&cose_bytes).at_step(VerificationStep::ParseEnvelope)?;
        report.issuer = claims.issuer.clone();
        report.claims = Some(disclosed_claims(&claims));
        report.set(
            VerificationStep::ParseEnvelope,
            StepOutcome::Passed(format!(
                "COSE_Sign1 tags {:?}, CWT with hcert",
                envelope.tags
            )),
        );
        let candidates =
            key_candidates(&envelope, context.trust).at_step(VerificationStep::KeyResolution)?;
        report.set(
            VerificationStep::KeyResolution,
            StepOutcome::Passed(format!(
                "{} DSC(s) with kid {}",
                candidates.len(),
                kid_hex(&envelope)
            )),
        );
        let dsc = verify_signature(&envelope, candidates).at_step(VerificationStep::Signature)?;
        report.set(
            VerificationStep::Signature,
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
            VerificationStep::ValidityWindow,
            match time_window(&claims, now).and_then(|()| document_signer_validity(dsc, now)) {
                Ok(()) => StepOutcome::Passed("iat <= clock <= exp, DSC valid at clock".into()),
                Err(e) => StepOutcome::Failed(e),
            },
        );
        report.set(
            VerificationStep::KeyUsage,
            match key_usage(dsc, &claims.dcc) {
                Ok(types) => StepOutcome::Passed(format!("payload type {types}")),
                Err(e) => StepOutcome::Failed(e),
            },
        );
        report.set(VerificationStep::Schema, self.schema_outcome(&claims.dcc));
        report.set(
            VerificationStep::Status,
            revocation(context.trust, &envelope, &claims),
        );
        let certificate_type = payload_types(&claims.dcc)
            .ok()
            .and_then(|t| t.first().copied())
            .map(|t| match t {
                DccType::Test => "Test",
                DccType::Vaccination => "Vaccination",
                DccType::Recovery => "Recovery",
            });
        let external = json!({
            "issuerCountryCode": claims.issuer,
            "exp": claims.expires.and_then(|e| OffsetDateTime::from_unix_timestamp(e).ok()).and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
            "iat": claims.issued_at.and_then(|e| OffsetDateTime::from_unix_timestamp(e).ok()).and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
        });
        report.set(
            VerificationStep::BusinessRules,
            context.apply_rules(
                &claims.dcc,
                certificate_type,
                claims.issuer.as_deref(),
                now,
                external,
            ),
        );
        Ok(())
    }
}

fn revocation(trust: &TrustStore, envelope: &SignedEnvelope, claims: &CwtClaims) -> StepOutcome {
    let list = trust.dcc_revocations();
    if list.is_empty() {
        return StepOutcome::Skipped("no DCC revocation list loaded".into());
    }
    let Some(hashes) = revocation_hashes(envelope, claims) else {
        return StepOutcome::Failed(VerificationError::PayloadType(
            "no UCI to check revocation".into(),
        ));
    };
    match list.check(&hashes) {
        Some(t) => StepOutcome::Failed(VerificationError::Revoked(format!("{t:?} hash listed"))),
        None => StepOutcome::Passed(format!("not among {} revoked hashes", list.len())),
    }
}

/// base45-decodes the text after `HC1:`.
pub fn decode_base45(body: &str) -> Result<Vec<u8>, VerificationError> {
    base45::decode(body).map_err(|e| VerificationError::Base45(e.to_string()))
}

/// Parses the COSE_Sign1 and its CWT (with the hcert claim).
pub fn parse_envelope(cose_bytes: &[u8]) -> Result<(SignedEnvelope, CwtClaims), VerificationError> {
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
pub fn key_candidates<'t>(
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

/// Tries every candidate DSC; the first that verifies wins.
pub fn verify_signature<'t>(
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
pub fn time_window(claims: &CwtClaims, now: OffsetDateTime) -> Result<(), VerificationError> {
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

/// The DSC's `notBefore <= clock <= notAfter` (both inclusive, RFC 5280 §4.1.2.5), as the
/// deployed DCC verifiers check it at the validation clock (a DSC no longer valid signs nothing
/// a checkpoint accepts). A DCC whose `exp` lies after the DSC's notAfter is not refused for that
/// alone (the hcert spec asks issuers, not verifiers, to keep `exp` inside the DSC's validity),
/// nor one whose `iat` predates the DSC (the spec lets verifiers check this; it does not require
/// it). A DSC read leniently (unparsed validity) is not checked.
pub fn document_signer_validity(
    dsc: &DocumentSigner,
    now: OffsetDateTime,
) -> Result<(), VerificationError> {
    let now = now.unix_timestamp();
    let (not_before, not_after) = dsc.validity;
    if now < not_before {
        return Err(VerificationError::DocumentSignerNotYetValid { not_before, now });
    }
    if now > not_after {
        return Err(VerificationError::DocumentSignerExpired { not_after, now });
    }
    Ok(())
}

/// The payload types present in a DCC (non-empty `v` / `t` / `r` arrays).
pub fn payload_types(dcc: &Value) -> Result<Vec<DccType>, VerificationError> {
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

/// Checks the DSC's extended key usage against every payload type present.
pub fn key_usage(dsc: &DocumentSigner, dcc: &Value) -> Result<String, VerificationError> {
    let types = payload_types(dcc)?;
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
pub fn revocation_hashes(
    envelope: &SignedEnvelope,
    claims: &CwtClaims,
) -> Option<DccRevocationHashes> {
    let entry = payload_types(&claims.dcc)
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

fn disclosed_claims(claims: &CwtClaims) -> Value {
    json!({ "iss": claims.issuer, "iat": claims.issued_at, "exp": claims.expires, "hcert": claims.dcc })
}
