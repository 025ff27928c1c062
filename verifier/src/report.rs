//! The verification report: every step's typed outcome, the verdict, the deciding step and the
//! claims the holder disclosed.

use serde::Serialize;
use serde_json::{Value, json};

use crate::cose::CoseError;
use crate::jws::JwsError;
use crate::prefix::{CredentialFormat, PrefixError};
use crate::rules::RuleFailure;
use crate::shc_numeric::NumericError;
use crate::signature::SignatureError;
use crate::x5c::X5cError;
use crosscode_core::VerificationStep;
use crosscode_core::envelope::EnvelopeError;
use crosscode_core::envelope::inflate::InflateError;
use crosscode_core::envelope::qr_image::ImageError;

/// The steps this pipeline runs, in order: a subset of core's one list of verification steps
/// ([`VerificationStep`], whose names the report prints).
///
/// - `ReadImage`: the QR code from a PNG / JPEG image;
/// - `Prefix`: format detection and context-prefix removal;
/// - `Decode`: base45 (DCC) or numeric mode (SHC);
/// - `Decompress`: zlib (DCC) or raw DEFLATE (SHC);
/// - `ParseEnvelope`: COSE_Sign1 / CWT (DCC) or compact JWS / JSON payload (SHC);
/// - `KeyResolution`: the trusted key(s) for the kid (and issuer; an SHC key's `x5c` chain);
/// - `Signature`: the cryptographic signature;
/// - `ValidityWindow`: the validity window at the validation clock (DCC: also the DSC's
///   notBefore / notAfter; SHC under the `x5c` validity policy: the certificates at `nbf`);
/// - `KeyUsage`: the DSC's extended key usage vs the payload type (DCC);
/// - `Schema`: the JSON schema (advisory);
/// - `Status`: revocation lists;
/// - `BusinessRules`: CertLogic business rules.
pub const PIPELINE_STEPS: [VerificationStep; 12] = [
    VerificationStep::ReadImage,
    VerificationStep::Prefix,
    VerificationStep::Decode,
    VerificationStep::Decompress,
    VerificationStep::ParseEnvelope,
    VerificationStep::KeyResolution,
    VerificationStep::Signature,
    VerificationStep::ValidityWindow,
    VerificationStep::KeyUsage,
    VerificationStep::Schema,
    VerificationStep::Status,
    VerificationStep::BusinessRules,
];

/// Why a step failed: one typed variant per failure class.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VerificationError {
    /// No QR text could be read from the image.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// Unknown or unsupported prefix.
    #[error(transparent)]
    Prefix(#[from] PrefixError),
    /// base45 decoding failed.
    #[error("base45: {0}")]
    Base45(String),
    /// SHC numeric decoding failed.
    #[error(transparent)]
    Numeric(#[from] NumericError),
    /// Decompression failed.
    #[error(transparent)]
    Inflate(#[from] InflateError),
    /// COSE / CWT parsing failed.
    #[error(transparent)]
    Cose(#[from] CoseError),
    /// JWS parsing failed.
    #[error(transparent)]
    Jws(#[from] JwsError),
    /// The SHC payload is not the expected JSON.
    #[error("payload: {0}")]
    Payload(String),
    /// The envelope names no kid.
    #[error("no kid in the envelope")]
    MissingKid,
    /// The SHC issuer is not in the trust store.
    #[error("issuer {0:?} is not trusted")]
    UnknownIssuer(String),
    /// No trusted key has this kid.
    #[error("no trusted key with kid {0}")]
    UnknownKid(String),
    /// The signature algorithm is missing or not supported.
    #[error("unsupported signature algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// The `x5c` certificate chain of a SMART Health Card issuer key was refused (broken,
    /// not anchored at a configured root, not naming the issuer, or — under the checkpoint's
    /// validity policy — not valid when the card was issued).
    #[error(transparent)]
    X5c(#[from] X5cError),
    /// No key with the kid verified the signature.
    #[error("signature does not verify under any of the {tried} key(s) with this kid: {last}")]
    Signature {
        /// Keys tried.
        tried: usize,
        /// The last key's error.
        last: SignatureError,
    },
    /// A required time claim is missing.
    #[error("missing time claim {0}")]
    MissingTimeClaim(&'static str),
    /// The credential is not yet valid.
    #[error("not valid before {not_before} (clock {now})")]
    NotYetValid {
        /// iat / nbf, Unix seconds.
        not_before: i64,
        /// The clock, Unix seconds.
        now: i64,
    },
    /// The credential has expired.
    #[error("expired at {expired} (clock {now})")]
    Expired {
        /// exp, Unix seconds.
        expired: i64,
        /// The clock, Unix seconds.
        now: i64,
    },
    /// The document-signer certificate is not yet valid at the validation clock.
    #[error("document signer certificate not valid before {not_before} (clock {now})")]
    DocumentSignerNotYetValid {
        /// The DSC's notBefore, Unix seconds.
        not_before: i64,
        /// The clock, Unix seconds.
        now: i64,
    },
    /// The document-signer certificate has expired at the validation clock.
    #[error("document signer certificate expired at {not_after} (clock {now})")]
    DocumentSignerExpired {
        /// The DSC's notAfter, Unix seconds.
        not_after: i64,
        /// The clock, Unix seconds.
        now: i64,
    },
    /// The DSC may not sign this payload type.
    #[error("document signer may sign {allowed} only, payload is {payload}")]
    KeyUsage {
        /// Allowed types.
        allowed: String,
        /// Payload types.
        payload: String,
    },
    /// The payload has no (or an ambiguous) certificate type.
    #[error("payload type: {0}")]
    PayloadType(String),
    /// The credential is revoked.
    #[error("revoked: {0}")]
    Revoked(String),
    /// The credential is suspended by its issuer.
    #[error("suspended: {0}")]
    Suspended(String),
    /// The credential's issuer is not an admitted authority on the synced chain.
    #[error("issuer {0} is not an admitted authority")]
    IssuerNotAdmitted(String),
    /// The credential's issuer is suspended by the consortium.
    #[error("issuer {0} is suspended by the consortium")]
    IssuerSuspended(String),
    /// The credential is outside its issuer's admitted scope (type, jurisdiction or time).
    #[error("outside the issuer's scope: {0}")]
    OutOfScope(String),
    /// The code's anchor receipt does not prove its credential anchored by its issuer on the
    /// synced chain, or the checkpoint requires a receipt and the code carries none.
    #[error("not anchored: {0}")]
    NotAnchored(String),
    /// A dynamic presentation was shown again while its time slot is still accepted.
    #[error("this code was already shown at this checkpoint in its time slot")]
    Replayed,
    /// The trust cache is older than the checkpoint's policy allows (`--max-age`).
    #[error("the trust cache is {age} s old, more than the {max} s allowed")]
    StaleTrustCache {
        /// Its age at the verification time, in seconds.
        age: i64,
        /// The most allowed, in seconds.
        max: i64,
    },
    /// A business rule failed.
    #[error(transparent)]
    Rule(#[from] RuleFailure),
    /// A `CC1` envelope failed core's verification (the error names its step).
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
}

impl VerificationError {
    /// A short, stable machine code for reports.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Image(_) => "IMAGE_UNREADABLE",
            Self::Prefix(PrefixError::UnsupportedContext { .. }) => "UNSUPPORTED_CONTEXT",
            Self::Prefix(_) => "UNKNOWN_FORMAT",
            Self::Base45(_) => "BASE45_INVALID",
            Self::Numeric(_) => "NUMERIC_INVALID",
            Self::Inflate(_) => "DECOMPRESSION_FAILED",
            Self::Cose(_) => "COSE_INVALID",
            Self::Jws(_) => "JWS_INVALID",
            Self::Payload(_) => "PAYLOAD_INVALID",
            Self::MissingKid => "MISSING_KID",
            Self::UnknownIssuer(_) => "UNKNOWN_ISSUER",
            Self::UnknownKid(_) => "UNKNOWN_KID",
            Self::UnsupportedAlgorithm(_) => "UNSUPPORTED_ALGORITHM",
            Self::X5c(error) => error.code(),
            Self::Signature { .. } => "SIGNATURE_INVALID",
            Self::MissingTimeClaim(_) => "MISSING_TIME_CLAIM",
            Self::NotYetValid { .. } => "NOT_YET_VALID",
            Self::Expired { .. } => "EXPIRED",
            Self::DocumentSignerNotYetValid { .. } => "DSC_NOT_YET_VALID",
            Self::DocumentSignerExpired { .. } => "DSC_EXPIRED",
            Self::KeyUsage { .. } => "KEY_USAGE_MISMATCH",
            Self::PayloadType(_) => "PAYLOAD_TYPE",
            Self::Revoked(_) => "REVOKED",
            Self::Suspended(_) => "SUSPENDED",
            Self::IssuerNotAdmitted(_) => "ISSUER_NOT_ADMITTED",
            Self::IssuerSuspended(_) => "ISSUER_SUSPENDED",
            Self::OutOfScope(_) => "OUT_OF_SCOPE",
            Self::StaleTrustCache { .. } => "STALE_TRUST_CACHE",
            Self::NotAnchored(_) => "NOT_ANCHORED",
            Self::Replayed => "REPLAYED",
            Self::Rule(_) => "RULE_FAILED",
            Self::Envelope(error) => envelope_code(error),
        }
    }
}

/// The report code of a `CC1` failure: the code of the same failure in the other formats where
/// there is one.
fn envelope_code(error: &EnvelopeError) -> &'static str {
    match error {
        EnvelopeError::MissingPrefix | EnvelopeError::UnsupportedVersion(_) => {
            "UNSUPPORTED_CONTEXT"
        }
        EnvelopeError::Base45(_) => "BASE45_INVALID",
        EnvelopeError::Inflate(_) | EnvelopeError::TooLarge { .. } => "DECOMPRESSION_FAILED",
        EnvelopeError::Cose(_) => "COSE_INVALID",
        EnvelopeError::UnsupportedAlgorithm(_) | EnvelopeError::AlgorithmMismatch { .. } => {
            "UNSUPPORTED_ALGORITHM"
        }
        EnvelopeError::InvalidKid(_) | EnvelopeError::KeyResolution(_) => "UNKNOWN_KID",
        EnvelopeError::Signature(_) => "SIGNATURE_INVALID",
        EnvelopeError::SignerNotAuthorised { .. }
        | EnvelopeError::SignerNotInForce { .. }
        | EnvelopeError::SignerMismatch { .. } => "SIGNER_NOT_BOUND",
        EnvelopeError::SubjectNotHolder { .. } => "SUBJECT_NOT_HOLDER",
        EnvelopeError::WrongAudience => "WRONG_AUDIENCE",
        EnvelopeError::InvalidDateTime(_) => "MISSING_TIME_CLAIM",
        EnvelopeError::NotYetValid => "NOT_YET_VALID",
        EnvelopeError::Expired => "EXPIRED",
        EnvelopeError::StaleTimeSlot { .. } => "STALE_TIME_SLOT",
        EnvelopeError::FutureTimeSlot { .. } => "FUTURE_TIME_SLOT",
        EnvelopeError::InvalidTimeSlot => "INVALID_TIME_SLOT",
        EnvelopeError::DataIntegrity { failure, .. } => match failure.step {
            VerificationStep::Signature => "SIGNATURE_INVALID",
            VerificationStep::KeyResolution => "UNKNOWN_KID",
            VerificationStep::IssuerBinding | VerificationStep::HolderBinding => "SIGNER_NOT_BOUND",
            VerificationStep::ValidityWindow => match &failure.error {
                crosscode_core::data_integrity::VerificationError::Validity(
                    crosscode_core::vc::ValidityError::NotYetValid { .. },
                ) => "NOT_YET_VALID",
                _ => "EXPIRED",
            },
            _ => "PROOF_INVALID",
        },
        _ => "PAYLOAD_INVALID",
    }
}

/// The outcome of one step.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    /// The step ran and passed.
    Passed(String),
    /// The step ran and failed; the verdict is REJECT.
    Failed(VerificationError),
    /// An advisory step found problems; the verdict is not affected.
    Warning(String),
    /// The step does not apply or is not configured (e.g. no rule set, no CRL).
    Skipped(String),
    /// An earlier step failed.
    NotReached,
}

impl StepOutcome {
    /// Status word for reports.
    pub fn status(&self) -> &'static str {
        match self {
            Self::Passed(_) => "PASSED",
            Self::Failed(_) => "FAILED",
            Self::Warning(_) => "WARNING",
            Self::Skipped(_) => "SKIPPED",
            Self::NotReached => "NOT_REACHED",
        }
    }
}

/// The verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    /// Every mandatory step passed.
    Accept,
    /// A step failed.
    Reject,
}

/// One step's record.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    /// Which step.
    pub step: VerificationStep,
    /// Its outcome.
    pub outcome: StepOutcome,
}

/// The full verification report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The detected format, once known.
    pub format: Option<CredentialFormat>,
    /// Every step, in order.
    pub steps: Vec<StepRecord>,
    /// What the holder disclosed (decoded payload claims); `None` before the payload is parsed.
    pub claims: Option<Value>,
    /// Issuer (DCC: CWT `iss` country; SHC: `iss` URL; CC1: the credential's issuer DID), once
    /// known.
    pub issuer: Option<String>,
    /// How fresh the chain trust a `CC1` code was checked against is: the synced height and
    /// its block time (Unix seconds); `None` without a synced trust cache.
    pub trust_as_of: Option<(u64, u64)>,
}

impl Report {
    pub(crate) fn new() -> Self {
        Self {
            format: None,
            steps: PIPELINE_STEPS
                .iter()
                .map(|&step| StepRecord {
                    step,
                    outcome: StepOutcome::NotReached,
                })
                .collect(),
            claims: None,
            issuer: None,
            trust_as_of: None,
        }
    }

    /// Records `outcome` for `step`; a step outside [`PIPELINE_STEPS`] (a format's own, e.g.
    /// `CC1`'s IssuerBinding) is added at its place in [`VerificationStep::ALL`]'s order.
    pub(crate) fn set(&mut self, step: VerificationStep, outcome: StepOutcome) {
        if let Some(r) = self.steps.iter_mut().find(|r| r.step == step) {
            r.outcome = outcome;
            return;
        }
        let order = |step: VerificationStep| VerificationStep::ALL.iter().position(|s| *s == step);
        let at = self
            .steps
            .iter()
            .position(|r| order(r.step) > order(step))
            .unwrap_or(self.steps.len());
        self.steps.insert(at, StepRecord { step, outcome });
    }

    /// The outcome of a step.
    pub fn outcome(&self, step: VerificationStep) -> &StepOutcome {
        self.steps
            .iter()
            .find(|r| r.step == step)
            .map(|r| &r.outcome)
            .unwrap_or(&StepOutcome::NotReached)
    }

    /// Whether a step passed.
    pub fn passed(&self, step: VerificationStep) -> bool {
        matches!(self.outcome(step), StepOutcome::Passed(_))
    }

    /// The first failed step and its error.
    pub fn failure(&self) -> Option<(VerificationStep, &VerificationError)> {
        self.steps.iter().find_map(|r| match &r.outcome {
            StepOutcome::Failed(e) => Some((r.step, e)),
            _ => None,
        })
    }

    /// ACCEPT when no step failed and the signature was verified.
    pub fn verdict(&self) -> Verdict {
        if self.failure().is_none() && self.passed(VerificationStep::Signature) {
            Verdict::Accept
        } else {
            Verdict::Reject
        }
    }

    /// The step that decided the verdict: the first failed step on REJECT, the last passed
    /// step on ACCEPT.
    pub fn deciding_step(&self) -> VerificationStep {
        if let Some((step, _)) = self.failure() {
            return step;
        }
        self.steps
            .iter()
            .rev()
            .find(|r| matches!(r.outcome, StepOutcome::Passed(_)))
            .map(|r| r.step)
            .unwrap_or(VerificationStep::Prefix)
    }

    /// True when the input was not a usable credential at all (no QR code in the image, or no
    /// known format), as opposed to a credential that was rejected.
    pub fn is_unusable_input(&self) -> bool {
        matches!(
            self.failure(),
            Some((_, VerificationError::Image(_)))
                | Some((
                    _,
                    VerificationError::Prefix(PrefixError::Missing | PrefixError::Empty)
                ))
        )
    }

    /// The report as JSON (format, verdict, deciding step, every step, disclosed claims).
    pub fn to_json(&self) -> Value {
        let steps: Vec<Value> = self
            .steps
            .iter()
            .map(|r| {
                let mut o = json!({"step": r.step.name(), "status": r.outcome.status()});
                match &r.outcome {
                    StepOutcome::Passed(d) | StepOutcome::Warning(d) | StepOutcome::Skipped(d)
                        if !d.is_empty() =>
                    {
                        o["detail"] = Value::String(d.clone());
                    }
                    StepOutcome::Failed(e) => {
                        o["error"] = json!({"code": e.code(), "message": e.to_string()});
                    }
                    _ => {}
                }
                o
            })
            .collect();
        let deciding = self.deciding_step();
        json!({
            "format": self.format,
            "verdict": self.verdict(),
            "deciding_step": deciding.name(),
            "reason": match self.failure() {
                Some((_, e)) => e.to_string(),
                None => "all mandatory steps passed".into(),
            },
            "issuer": self.issuer,
            "steps": steps,
            "disclosed_claims": self.claims,
            "trust": self.trust_as_of.map(|(height, time)| json!({
                "height": height,
                "time": i64::try_from(time)
                    .ok()
                    .and_then(|time| time::OffsetDateTime::from_unix_timestamp(time).ok())
                    .and_then(|time| time.format(&time::format_description::well_known::Rfc3339).ok()),
            })),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{PIPELINE_STEPS, Report};
    use crosscode_core::VerificationStep;

    #[test]
    fn the_pipeline_runs_its_steps_in_the_order_of_cores_list() {
        let positions: Vec<usize> = PIPELINE_STEPS
            .iter()
            .map(|step| {
                VerificationStep::ALL
                    .iter()
                    .position(|known| known == step)
                    .unwrap()
            })
            .collect();
        assert!(positions.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn the_json_report_names_every_step_by_its_core_wire_name() {
        let json = Report::new().to_json();
        let names: Vec<&str> = json["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|step| step["step"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "ReadImage",
                "Prefix",
                "Decode",
                "Decompress",
                "ParseEnvelope",
                "KeyResolution",
                "Signature",
                "ValidityWindow",
                "KeyUsage",
                "Schema",
                "Status",
                "BusinessRules",
            ]
        );
        assert_eq!(json["deciding_step"], "Prefix");
    }
}
