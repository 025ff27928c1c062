//! The credential formats the checkpoint verifies, one module each behind the [`Format`] trait.
//!
//! A format is recognised by the context prefix of its QR text (`HC1:` for an EU DCC, `shc:/`
//! for a SMART Health Card). The [`crate::Verifier`] removes the prefix (the Prefix step) and
//! hands the rest to the format, which runs every step from Decode on and records each outcome
//! in the [`Report`]; a step that ends the verification is returned as a [`StepFailure`] and
//! recorded by the pipeline. Adding a format is adding a module that implements [`Format`] and
//! registering it ([`crate::Verifier::with_format`]).

pub mod cc1;
pub mod eu_dcc;
pub mod smart_health_card;

use std::fmt;

use serde_json::Value;
use time::OffsetDateTime;

use crate::chain_trust::ChainTrust;
use crate::prefix::{self, CredentialFormat, PrefixError};
use crate::report::{Report, StepOutcome, VerificationError};
use crate::rules::RuleSet;
use crate::trust::TrustStore;
use crosscode_core::VerificationStep;
use crosscode_core::did::TrustCache;

/// Largest decompressed DCC / SHC payload accepted, in bytes (a QR code holds under 3 KiB; this
/// leaves room and refuses decompression bombs).
pub const MAX_INFLATED_LEN: usize = 256 * 1024;

/// One credential format: how its QR texts are recognised and how they are verified.
pub trait Format: fmt::Debug + Send + Sync {
    /// The format's name in reports.
    fn id(&self) -> CredentialFormat;

    /// The context prefix of its QR texts (`HC1:`, `shc:/`), matched case-sensitively.
    fn prefix(&self) -> &'static str;

    /// Whether several QR codes in one image are the parts of one credential (SMART Health Card
    /// chunks) rather than separate credentials.
    fn is_chunked(&self) -> bool {
        false
    }

    /// The text after the prefix when `text` (surrounding whitespace ignored) is of this format.
    fn strip_prefix<'t>(&self, text: &'t str) -> Option<&'t str> {
        text.trim().strip_prefix(self.prefix())
    }

    /// Verifies the texts after the prefix (one per scanned QR code) at the clock `now`,
    /// recording every step from Decode on in `report`. A step that ends the verification is
    /// returned, and recorded as failed by the pipeline; later steps stay NOT_REACHED.
    fn verify(
        &self,
        bodies: &[&str],
        context: &VerificationContext<'_>,
        now: OffsetDateTime,
        report: &mut Report,
    ) -> Result<(), StepFailure>;
}

/// The built-in formats, in the order they are tried: EU DCC (with the embedded schema),
/// SMART Health Cards and Crosscode's `CC1`.
pub fn built_in() -> Vec<Box<dyn Format>> {
    vec![
        Box::new(eu_dcc::EuDcc::new()),
        Box::new(smart_health_card::SmartHealthCard::new()),
        Box::new(cc1::Cc1::default()),
    ]
}

/// What every format verifies against: the offline trust store and the optional business rules.
#[derive(Debug, Clone, Copy)]
pub struct VerificationContext<'v> {
    /// Trusted keys, issuers and revocation lists.
    pub trust: &'v TrustStore,
    /// The Crosscode authorities' verification methods (`CC1`; holders' `did:key` always
    /// resolve).
    pub crosscode: &'v TrustCache,
    /// The trust synced from the chain (`CC1`: issuer admission and scope, status entries),
    /// when the checkpoint has one.
    pub chain: Option<&'v ChainTrust>,
    /// The CertLogic rule set, when one is loaded.
    pub rules: Option<&'v RuleSet>,
}

impl VerificationContext<'_> {
    /// The BusinessRules outcome of `payload`: skipped without a rule set, else the CertLogic
    /// verdict of the rules for `certificate_type` that apply at this checkpoint and to a
    /// credential of `issuer_country` (see [`RuleSet::evaluate`]) — a WARNING when rules naming
    /// a country were set aside because the checkpoint's country is not set.
    pub fn apply_rules(
        &self,
        payload: &Value,
        certificate_type: Option<&str>,
        issuer_country: Option<&str>,
        now: OffsetDateTime,
        external: Value,
    ) -> StepOutcome {
        match self.rules {
            None => StepOutcome::Skipped("no rule set loaded".into()),
            Some(rules) => {
                match rules.evaluate(payload, certificate_type, issuer_country, now, external) {
                    Ok(outcome) if outcome.other_countries == 0 => {
                        StepOutcome::Passed(format!("{} rule(s) passed", outcome.passed.len()))
                    }
                    Ok(outcome) if rules.checkpoint_country.is_some() => {
                        StepOutcome::Passed(format!(
                            "{} rule(s) passed; {} rule(s) of other countries not applied",
                            outcome.passed.len(),
                            outcome.other_countries
                        ))
                    }
                    // No checkpoint country: rules that name one were not applied at all,
                    // which the operator must see (the verdict stands on the other steps).
                    Ok(outcome) => StepOutcome::Warning(format!(
                        "{} rule(s) passed; {} country rule(s) not applied: no checkpoint \
                         country set (--country)",
                        outcome.passed.len(),
                        outcome.other_countries
                    )),
                    Err(failure) => StepOutcome::Failed(failure.into()),
                }
            }
        }
    }
}

/// The step that ended a verification, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct StepFailure {
    /// The failed step.
    pub step: VerificationStep,
    /// Its error.
    pub error: VerificationError,
}

/// Names the step of a fallible operation: `decode(body).at_step(VerificationStep::Decode)?`.
pub trait AtStep<T> {
    /// The value, or a [`StepFailure`] of `step` with the error.
    fn at_step(self, step: VerificationStep) -> Result<T, StepFailure>;
}

impl<T, E: Into<VerificationError>> AtStep<T> for Result<T, E> {
    fn at_step(self, step: VerificationStep) -> Result<T, StepFailure> {
        self.map_err(|error| StepFailure {
            step,
            error: error.into(),
        })
    }
}

/// Finds the format of a scanned QR text among `formats` and returns it with the text after its
/// prefix. Surrounding whitespace (a trailing newline from a scanner) is ignored; an empty text,
/// another context prefix (`HL0:`, `HC2:`) or none at all is a [`PrefixError`].
pub fn unprefix<'f, 't>(
    formats: &'f [Box<dyn Format>],
    text: &'t str,
) -> Result<(&'f dyn Format, &'t str), PrefixError> {
    if text.trim().is_empty() {
        return Err(PrefixError::Empty);
    }
    formats
        .iter()
        .find_map(|format| {
            format
                .strip_prefix(text)
                .map(|rest| (format.as_ref(), rest))
        })
        .ok_or_else(|| prefix::unrecognised(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(text: &str) -> Result<(CredentialFormat, &str), PrefixError> {
        let formats = built_in();
        unprefix(&formats, text).map(|(format, rest)| (format.id(), rest))
    }

    #[test]
    fn detects_formats_and_rejects_other_contexts() {
        assert_eq!(detect("HC1:ABC").unwrap(), (CredentialFormat::EuDcc, "ABC"));
        assert_eq!(
            detect("shc:/5676\n").unwrap(),
            (CredentialFormat::SmartHealthCard, "5676")
        );
        assert!(matches!(
            detect("HL0:ABC"),
            Err(PrefixError::UnsupportedContext { .. })
        ));
        assert!(matches!(
            detect("HC2:ABC"),
            Err(PrefixError::UnsupportedContext { .. })
        ));
        assert!(matches!(detect("NCFOXN"), Err(PrefixError::Missing)));
        assert!(matches!(detect("  "), Err(PrefixError::Empty)));
    }

    #[test]
    fn only_smart_health_cards_come_in_chunks() {
        let chunked: Vec<CredentialFormat> = built_in()
            .iter()
            .filter(|format| format.is_chunked())
            .map(|format| format.id())
            .collect();
        assert_eq!(chunked, vec![CredentialFormat::SmartHealthCard]);
    }
}
