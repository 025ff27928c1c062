//! The verification pipeline: QR text (or image) → verdict, as explicit steps with typed
//! outcomes recorded in a [`Report`].
//!
//! ReadImage (for an image) and Prefix are the pipeline's; every later step is the
//! recognised [`Format`]'s (see [`crate::format`]).

use time::OffsetDateTime;

use crate::chain_trust::ChainTrust;
use crate::format::{self, Format, StepFailure, VerificationContext, eu_dcc};
use crate::prefix::PrefixError;
use crate::report::{Report, StepOutcome, VerificationError};
use crate::rules::RuleSet;
use crate::schema::JsonSchema;
use crate::trust::TrustStore;
use crosscode_core::VerificationStep;
use crosscode_core::did::TrustCache;
use crosscode_core::envelope::qr_image;

/// The checkpoint verifier: a trust store, the Crosscode authorities' keys, an optional rule
/// set, and the formats it verifies.
#[derive(Debug)]
pub struct Verifier {
    trust: TrustStore,
    crosscode: TrustCache,
    chain: Option<ChainTrust>,
    rules: Option<RuleSet>,
    formats: Vec<Box<dyn Format>>,
}

impl Verifier {
    /// A verifier over `trust` for the built-in formats (EU DCC with the published DCC schemas,
    /// SMART Health Cards, CC1 — no authority trusted until [`Verifier::with_crosscode_trust`]),
    /// with no business rules.
    pub fn new(trust: TrustStore) -> Self {
        Self {
            trust,
            crosscode: TrustCache::new(),
            chain: None,
            rules: None,
            formats: format::built_in(),
        }
    }

    /// Trust these Crosscode authorities' verification methods for `CC1` codes (a trust
    /// cache, `docs/trust-cache.md`; without one only holders' `did:key` resolve).
    pub fn with_crosscode_trust(mut self, cache: TrustCache) -> Self {
        self.crosscode = cache;
        self
    }

    /// Verify `CC1` codes against a trust cache synced from the chain ([`crate::sync`]): the
    /// admitted authorities' key histories (replacing [`Verifier::with_crosscode_trust`]'s
    /// cache), their scopes and suspensions, and the status entries, as of its synced height.
    pub fn with_chain_trust(mut self, chain: ChainTrust) -> Self {
        self.crosscode = chain.key_resolver();
        self.chain = Some(chain);
        self
    }

    /// The chain trust, when one is loaded.
    pub fn chain_trust(&self) -> Option<&ChainTrust> {
        self.chain.as_ref()
    }

    /// Apply a CertLogic rule set.
    pub fn with_rules(mut self, rules: RuleSet) -> Self {
        self.rules = Some(rules);
        self
    }

    /// Validate every DCC against one schema (`Some`) instead of the published schema of the
    /// version it declares, or skip the advisory Schema step (`None`).
    pub fn with_dcc_schema(self, schema: Option<JsonSchema>) -> Self {
        self.with_format(Box::new(eu_dcc::EuDcc::with_schema(schema)))
    }

    /// Registers a format; it replaces a registered format of the same name, else it is tried
    /// after the others.
    pub fn with_format(mut self, format: Box<dyn Format>) -> Self {
        match self
            .formats
            .iter_mut()
            .find(|registered| registered.id() == format.id())
        {
            Some(registered) => *registered = format,
            None => self.formats.push(format),
        }
        self
    }

    /// The trust store.
    pub fn trust(&self) -> &TrustStore {
        &self.trust
    }

    /// Verify the QR code(s) in a PNG/JPEG image. Several QR codes in one image are treated as
    /// the parts of one credential when they are all of one chunked format (SMART Health Card
    /// chunks); otherwise the first one is verified.
    pub fn verify_image(&self, image: &[u8], now: OffsetDateTime) -> Report {
        let texts = match qr_image::read_qr_texts(image) {
            Ok(t) => t,
            Err(e) => {
                let mut report = Report::new();
                report.set(VerificationStep::ReadImage, StepOutcome::Failed(e.into()));
                return report;
            }
        };
        let detail = format!("{} QR code(s)", texts.len());
        let all_chunks_of_one_credential = texts.len() > 1
            && self.formats.iter().any(|format| {
                format.is_chunked() && texts.iter().all(|t| format.strip_prefix(t).is_some())
            });
        let mut report = if all_chunks_of_one_credential {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            self.verify_texts(&refs, now)
        } else {
            self.verify_text(texts.first().map(String::as_str).unwrap_or_default(), now)
        };
        report.set(VerificationStep::ReadImage, StepOutcome::Passed(detail));
        report
    }

    /// Verify one scanned QR text.
    pub fn verify_text(&self, text: &str, now: OffsetDateTime) -> Report {
        self.verify_texts(&[text], now)
    }

    /// Verify QR texts: one text, or every chunk of a chunked SMART Health Card (any order).
    pub fn verify_texts(&self, texts: &[&str], now: OffsetDateTime) -> Report {
        let mut report = Report::new();
        report.set(
            VerificationStep::ReadImage,
            StepOutcome::Skipped("text input".into()),
        );
        let mut bodies = Vec::with_capacity(texts.len());
        let mut recognised: Option<&dyn Format> = None;
        for text in texts {
            match format::unprefix(&self.formats, text) {
                Ok((format, body)) => {
                    if recognised.is_some_and(|first| first.id() != format.id()) {
                        report.set(
                            VerificationStep::Prefix,
                            StepOutcome::Failed(VerificationError::Payload("mixed formats".into())),
                        );
                        return report;
                    }
                    recognised = Some(format);
                    bodies.push(body);
                }
                Err(e) => {
                    report.set(VerificationStep::Prefix, StepOutcome::Failed(e.into()));
                    return report;
                }
            }
        }
        report.format = recognised.map(|format| format.id());
        let Some(format) = recognised else {
            report.set(
                VerificationStep::Prefix,
                StepOutcome::Failed(PrefixError::Empty.into()),
            );
            return report;
        };
        report.set(
            VerificationStep::Prefix,
            StepOutcome::Passed(format.prefix().into()),
        );
        let context = VerificationContext {
            trust: &self.trust,
            crosscode: &self.crosscode,
            chain: self.chain.as_ref(),
            rules: self.rules.as_ref(),
        };
        if let Err(StepFailure { step, error }) = format.verify(&bodies, &context, now, &mut report)
        {
            report.set(step, StepOutcome::Failed(error));
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prefix::CredentialFormat;

    /// A stand-in EU DCC format that refuses every text at Decompress.
    #[derive(Debug)]
    struct RefusingDcc;

    impl Format for RefusingDcc {
        fn id(&self) -> CredentialFormat {
            CredentialFormat::EuDcc
        }

        fn prefix(&self) -> &'static str {
            eu_dcc::PREFIX
        }

        fn verify(
            &self,
            bodies: &[&str],
            _context: &VerificationContext<'_>,
            _now: OffsetDateTime,
            _report: &mut Report,
        ) -> Result<(), StepFailure> {
            Err(StepFailure {
                step: VerificationStep::Decompress,
                error: VerificationError::Payload(format!("{} text(s)", bodies.len())),
            })
        }
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap()
    }

    #[test]
    fn a_registered_format_replaces_the_one_of_its_name_and_its_failure_ends_the_report() {
        let verifier = Verifier::new(TrustStore::new()).with_format(Box::new(RefusingDcc));
        let report = verifier.verify_text("HC1:ABC", now());
        assert_eq!(report.format, Some(CredentialFormat::EuDcc));
        assert_eq!(
            report.outcome(VerificationStep::Prefix),
            &StepOutcome::Passed("HC1:".into())
        );
        assert_eq!(
            report.failure(),
            Some((
                VerificationStep::Decompress,
                &VerificationError::Payload("1 text(s)".into())
            ))
        );
        assert_eq!(
            report.outcome(VerificationStep::Signature),
            &StepOutcome::NotReached
        );
        // The other built-in format is still registered.
        let card = verifier.verify_text("shc:/5676", now());
        assert_eq!(card.format, Some(CredentialFormat::SmartHealthCard));
    }

    #[test]
    fn texts_of_two_formats_are_refused_at_prefix() {
        let report = Verifier::new(TrustStore::new()).verify_texts(&["shc:/56", "HC1:ABC"], now());
        assert_eq!(
            report.failure(),
            Some((
                VerificationStep::Prefix,
                &VerificationError::Payload("mixed formats".into())
            ))
        );
    }

    #[test]
    fn no_text_at_all_is_refused_as_empty() {
        let report = Verifier::new(TrustStore::new()).verify_texts(&[], now());
        assert_eq!(
            report.failure(),
            Some((
                VerificationStep::Prefix,
                &VerificationError::Prefix(PrefixError::Empty)
            ))
        );
    }
}
