//! Crosscode's own envelope: `CC1:` + base45(zlib(CBOR)) — an authority's credential (form (a),
//! COSE_Sign1 by the issuer; or form (b), the credential with its Data Integrity proofs) or a
//! holder's presentation (COSE_Sign1 by the holder's `did:key`, often a dynamic QR code with a
//! 30-second time slot). The format is `docs/qr-envelope.md`; the presentation and the time slot
//! are `docs/wallet.md` §5.
//!
//! Verification is core's [`envelope::decode`] against the checkpoint's Crosscode trust: a
//! trust cache of the admitted authorities' verification methods (`docs/trust-cache.md`; a
//! holder's `did:key` always resolves). Every credential carried must then be issued by such an
//! authority: a credential whose issuer is a `did:key` (which resolves without any trust: anyone
//! can make one) is refused at IssuerBinding (`UNKNOWN_ISSUER`), and so is a presentation that
//! carries no credential. Steps: Decode (base45), Decompress (zlib),
//! ParseEnvelope (CBOR, COSE), Parse (the compact JSON document), KeyResolution, Signature,
//! IssuerBinding (the signer is the credential's issuer, in force), HolderBinding (a
//! presentation is signed by its holder, about whom its credentials are), ValidityWindow
//! (`validFrom` / `validUntil`, and a presentation's time slot within one slot of the clock),
//! AnchorInclusion and Status (against the trust synced from the chain, [`chain_status`]:
//! status entries by pointer and by credential hash; the anchor receipts the envelope carries
//! beside the credentials, required under [`PresentationPolicy::require_anchor`]; both SKIPPED
//! without a synced trust) and BusinessRules (the CertLogic rules of the credential's type over the
//! credential). The disclosed claims are the credential's `credentialSubject` — for a
//! selective-disclosure presentation, only what the holder revealed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

pub(crate) mod chain_status;

use super::{Format, StepFailure, VerificationContext};
use crate::chain_trust::Anchored;
use crate::prefix::CredentialFormat;
use crate::report::{Report, StepOutcome, VerificationError};
use crosscode_core::VerificationStep;
use crosscode_core::envelope::{self, EnvelopeError, EnvelopeKind, SecuringForm, time_slot};
use crosscode_core::vc::VERIFIABLE_CREDENTIAL_TYPE;

/// The `CC1` context prefix.
pub const PREFIX: &str = envelope::PREFIX;

/// The decoding steps core's envelope decoder runs first, in order: when a later step fails,
/// these passed. (Which of the binding, key and signature steps ran before a failure depends
/// on the form, so only the failing one is recorded.)
const DECODING_STEPS: [VerificationStep; 4] = [
    VerificationStep::Decode,
    VerificationStep::Decompress,
    VerificationStep::ParseEnvelope,
    VerificationStep::Parse,
];

/// What a checkpoint demands of the codes holders show it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PresentationPolicy {
    /// The checkpoint's identifier: a presentation must name it as its `domain`
    /// (`WRONG_AUDIENCE` at HolderBinding otherwise).
    pub audience: Option<String>,
    /// Only dynamic presentations (a holder-signed `timeSlot`): a static code — a credential
    /// alone, or a presentation without a slot — could be a screenshot (`INVALID_TIME_SLOT` at
    /// ValidityWindow).
    pub require_dynamic: bool,
    /// The oldest a synced trust cache may be at the verification time (`--max-age`): an
    /// older one turns every `CC1` verdict to REJECT at Status (`STALE_TRUST_CACHE`).
    pub max_trust_age: Option<time::Duration>,
    /// Require an anchor receipt beside every carried credential (`--require-anchor`): a code
    /// without one is refused (`NOT_ANCHORED` at AnchorInclusion). Without this policy a
    /// receipt is checked when the code carries one, and the step is skipped otherwise.
    pub require_anchor: bool,
    /// Refuse a dynamic presentation shown a second time while its time slot is still
    /// accepted (`REPLAYED` at Challenge): a gate that remembers what it saw stops a code
    /// photographed over the holder's shoulder and shown again within the same minute.
    pub refuse_replays: bool,
}

/// The `CC1` format, with the checkpoint's [`PresentationPolicy`].
#[derive(Debug, Clone, Default)]
pub struct Cc1 {
    policy: PresentationPolicy,
    seen: Arc<Mutex<SeenPresentations>>,
}

/// The dynamic presentations accepted while their slot is still accepted: the SHA-256 of the
/// holder's DID and the slot (what the holder signed, whatever the envelope's encoding — a
/// re-compressed or re-encoded copy is the same showing) and the Unix second after which the
/// slot no longer verifies.
type SeenPresentations = HashMap<[u8; 32], i64>;

impl Cc1 {
    /// The format demanding `policy` of presentations.
    pub fn with_policy(policy: PresentationPolicy) -> Self {
        Self {
            policy,
            seen: Arc::default(),
        }
    }

    /// Records an accepted dynamic presentation of `holder` in slot `slot`, refusing one seen
    /// before.
    fn refuse_replay(
        &self,
        holder: &str,
        slot: i64,
        now: OffsetDateTime,
    ) -> Result<(), StepFailure> {
        let mut hasher = Sha256::new();
        hasher.update(holder.as_bytes());
        hasher.update([0]);
        hasher.update(slot.to_be_bytes());
        let digest: [u8; 32] = hasher.finalize().into();
        // A slot verifies until the tolerance after its end (docs/wallet.md §5).
        let expires = slot
            .saturating_add(1 + time_slot::TIME_SLOT_TOLERANCE)
            .saturating_mul(time_slot::TIME_SLOT_SECONDS);
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = now.unix_timestamp();
        seen.retain(|_, until| *until >= now);
        if seen.insert(digest, expires).is_some() {
            return Err(StepFailure {
                step: VerificationStep::Challenge,
                error: VerificationError::Replayed,
            });
        }
        Ok(())
    }

    /// The checkpoint's policy on a verified document of `kind` at `now`.
    fn check_policy(
        &self,
        kind: EnvelopeKind,
        document: &Value,
        now: OffsetDateTime,
    ) -> Result<(), StepFailure> {
        let refused = |step, error: EnvelopeError| StepFailure {
            step,
            error: VerificationError::Envelope(error),
        };
        if let Some(audience) = &self.policy.audience {
            let checked = match kind {
                EnvelopeKind::Presentation => time_slot::check_audience(document, audience),
                EnvelopeKind::Credential => Err(EnvelopeError::WrongAudience),
            };
            checked.map_err(|error| refused(VerificationStep::HolderBinding, error))?;
        }
        if self.policy.require_dynamic {
            let checked = match kind {
                EnvelopeKind::Presentation => time_slot::require_dynamic(document, now).map(drop),
                EnvelopeKind::Credential => Err(EnvelopeError::InvalidTimeSlot),
            };
            checked.map_err(|error| refused(VerificationStep::ValidityWindow, error))?;
        }
        Ok(())
    }
}

impl Format for Cc1 {
    fn id(&self) -> CredentialFormat {
        CredentialFormat::Cc1
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
                error: VerificationError::Payload(format!(
                    "one CC1 code expected, {} given",
                    bodies.len()
                )),
            });
        };
        let payload = format!("{PREFIX}{}", body.trim());
        let verified = match envelope::decode(&payload, context.crosscode, now) {
            Ok(verified) => verified,
            Err(error) => {
                let step = error.step().unwrap_or(VerificationStep::Parse);
                let decoded = DECODING_STEPS
                    .iter()
                    .position(|s| *s == step)
                    .unwrap_or(DECODING_STEPS.len());
                for passed in &DECODING_STEPS[..decoded] {
                    report.set(*passed, StepOutcome::Passed(String::new()));
                }
                if step == VerificationStep::Signature {
                    // A signature is only checked with a resolved key.
                    report.set(
                        VerificationStep::KeyResolution,
                        StepOutcome::Passed(String::new()),
                    );
                }
                return Err(StepFailure {
                    step,
                    error: VerificationError::Envelope(error),
                });
            }
        };
        let credential = carried_credential(verified.kind, &verified.document);
        report.issuer = credential
            .and_then(|credential| credential.get("issuer"))
            .and_then(issuer_id)
            .map(str::to_owned);
        report.claims =
            credential.and_then(|credential| credential.get("credentialSubject").cloned());
        record_verified(&verified, report);
        self.check_policy(verified.kind, &verified.document, now)?;
        // Core checked every signature and that each signer is its credential's issuer; a
        // did:key resolves without any trust, so only an authority whose keys the checkpoint
        // trusts (a registry DID, resolvable only through the trust cache) may issue.
        let untrusted = |issuer: Option<&str>| {
            issuer.is_none_or(|did| did.starts_with("did:key:") || !did.starts_with("did:"))
        };
        let credentials = carried_credentials(verified.kind, &verified.document);
        if credentials.is_empty() {
            return Err(StepFailure {
                step: VerificationStep::IssuerBinding,
                error: VerificationError::Payload("the presentation carries no credential".into()),
            });
        }
        for credential in &credentials {
            let issuer = credential.get("issuer").and_then(issuer_id);
            if untrusted(issuer) {
                return Err(StepFailure {
                    step: VerificationStep::IssuerBinding,
                    error: VerificationError::UnknownIssuer(
                        issuer.unwrap_or("(none)").chars().take(120).collect(),
                    ),
                });
            }
        }
        match context.chain {
            Some(chain) => {
                report.trust_as_of = Some((chain.height(), chain.time()));
                let as_issued = verified.kind == EnvelopeKind::Credential
                    && matches!(verified.form, SecuringForm::DataIntegrity { .. });
                for credential in &credentials {
                    chain_status::check_admission(chain, credential)?;
                }
                report.set(
                    VerificationStep::IssuerBinding,
                    StepOutcome::Passed(format!(
                        "{}; admitted and in scope as of height {}",
                        report.issuer.clone().unwrap_or_default(),
                        chain.height()
                    )),
                );
                chain_status::check_freshness(chain, self.policy.max_trust_age, now)?;
                let anchored = chain_status::check_anchors(
                    chain,
                    &credentials,
                    &verified.anchors,
                    as_issued,
                    self.policy.require_anchor,
                )?;
                report.set(VerificationStep::AnchorInclusion, anchor_outcome(&anchored));
                let checked = credentials
                    .iter()
                    .zip(&anchored)
                    .map(|(credential, anchored)| {
                        // A receipt checked for a credential shown as issued proved the very
                        // hash `as_issued` would recompute: it is not canonicalised twice.
                        chain_status::check_status(
                            chain,
                            credential,
                            as_issued && anchored.is_none(),
                            anchored.map(|anchored| anchored.credential_hash),
                        )
                    })
                    .sum::<Result<usize, StepFailure>>()?;
                report.set(
                    VerificationStep::Status,
                    StepOutcome::Passed(format!(
                        "{checked} status entr{} not revoked or suspended, as of height {} ({})",
                        if checked == 1 { "y" } else { "ies" },
                        chain.height(),
                        chain_status::as_of_text(chain)
                    )),
                );
            }
            None => {
                let unsynced = "no trust cache synced from the chain (crosscode checkpoint sync)";
                report.set(
                    VerificationStep::Status,
                    StepOutcome::Skipped(unsynced.into()),
                );
                if self.policy.require_anchor {
                    return Err(StepFailure {
                        step: VerificationStep::AnchorInclusion,
                        error: VerificationError::NotAnchored(
                            "no trust synced from the chain to check anchor receipts against"
                                .into(),
                        ),
                    });
                }
                report.set(
                    VerificationStep::AnchorInclusion,
                    StepOutcome::Skipped(unsynced.into()),
                );
            }
        }
        if self.policy.refuse_replays
            && let Some(slot) = verified
                .document
                .get(time_slot::TIME_SLOT_MEMBER)
                .and_then(Value::as_i64)
        {
            let holder = verified
                .document
                .get("holder")
                .and_then(issuer_id)
                .unwrap_or_default();
            self.refuse_replay(holder, slot, now)?;
            report.set(
                VerificationStep::Challenge,
                StepOutcome::Passed("first showing of this code".into()),
            );
        }
        let certificate_type = credential.and_then(credential_type);
        report.set(
            VerificationStep::BusinessRules,
            context.apply_rules(
                credential.unwrap_or(&Value::Null),
                certificate_type,
                None,
                now,
                json!({"issuer": report.issuer}),
            ),
        );
        Ok(())
    }
}

/// The AnchorInclusion outcome of anchors that verified: where each was anchored, or skipped
/// when the code carries no receipt.
fn anchor_outcome(anchored: &[Option<Anchored>]) -> StepOutcome {
    if anchored.iter().all(Option::is_none) {
        return StepOutcome::Skipped("the code carries no anchor receipt".into());
    }
    let each = |anchored: &Option<Anchored>| match anchored {
        Some(anchored) => format!(
            "anchored by its issuer at height {} (batch {})",
            anchored.height,
            &hex::encode(anchored.root)[..16]
        ),
        None => "no anchor receipt".to_owned(),
    };
    StepOutcome::Passed(match anchored {
        [single] => each(single),
        several => several
            .iter()
            .enumerate()
            .map(|(index, anchored)| format!("credential {index}: {}", each(anchored)))
            .collect::<Vec<_>>()
            .join("; "),
    })
}

/// Records the steps core's decoder passed for a verified envelope.
fn record_verified(verified: &envelope::VerifiedEnvelope, report: &mut Report) {
    let (signer, suite) = match &verified.form {
        SecuringForm::CoseSign1 {
            verification_method,
            algorithm,
        } => (
            verification_method.as_str().to_owned(),
            format!("COSE_Sign1 {}", algorithm.as_str()),
        ),
        SecuringForm::DataIntegrity { report } => {
            let verified = report.proofs.iter().filter(|proof| proof.verified);
            let (methods, suites): (Vec<_>, Vec<_>) = verified
                .map(|proof| {
                    (
                        proof.verification_method.clone().unwrap_or_default(),
                        proof.cryptosuite.clone().unwrap_or_default(),
                    )
                })
                .unzip();
            (
                methods.join(", "),
                format!("Data Integrity {}", suites.join(" + ")),
            )
        }
    };
    report.set(
        VerificationStep::Decode,
        StepOutcome::Passed("base45".into()),
    );
    report.set(
        VerificationStep::Decompress,
        StepOutcome::Passed("zlib".into()),
    );
    report.set(
        VerificationStep::ParseEnvelope,
        StepOutcome::Passed(format!("{:?}, {suite}", verified.kind).to_lowercase()),
    );
    report.set(
        VerificationStep::Parse,
        StepOutcome::Passed("compact JSON".into()),
    );
    report.set(VerificationStep::KeyResolution, StepOutcome::Passed(signer));
    report.set(VerificationStep::Signature, StepOutcome::Passed(suite));
    report.set(
        VerificationStep::IssuerBinding,
        StepOutcome::Passed(report.issuer.clone().unwrap_or_default()),
    );
    report.set(
        VerificationStep::HolderBinding,
        match verified.kind {
            EnvelopeKind::Presentation => {
                StepOutcome::Passed("signed by the credential's holder".into())
            }
            EnvelopeKind::Credential => StepOutcome::Skipped("not a presentation".into()),
        },
    );
    let slot = verified
        .document
        .get(time_slot::TIME_SLOT_MEMBER)
        .and_then(Value::as_i64);
    report.set(
        VerificationStep::ValidityWindow,
        StepOutcome::Passed(match slot {
            Some(slot) => format!("valid now; time slot {slot} (dynamic QR)"),
            None => "valid now".into(),
        }),
    );
}

/// Every credential a verified document carries: itself, or a presentation's credentials.
fn carried_credentials(kind: EnvelopeKind, document: &Value) -> Vec<&Value> {
    match kind {
        EnvelopeKind::Credential => vec![document],
        EnvelopeKind::Presentation => match document.get("verifiableCredential") {
            Some(Value::Array(credentials)) => credentials.iter().collect(),
            Some(credential @ Value::Object(_)) => vec![credential],
            _ => Vec::new(),
        },
    }
}

/// The credential whose claims the report shows: the first one carried.
fn carried_credential(kind: EnvelopeKind, document: &Value) -> Option<&Value> {
    carried_credentials(kind, document).into_iter().next()
}

/// The issuer's DID of an `issuer` member (a string or an object with `id`).
pub(crate) fn issuer_id(issuer: &Value) -> Option<&str> {
    issuer
        .as_str()
        .or_else(|| issuer.get("id").and_then(Value::as_str))
}

/// The credential's own type (the one beside `VerifiableCredential`).
pub(crate) fn credential_type(credential: &Value) -> Option<&str> {
    credential
        .get("type")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .find(|name| *name != VERIFIABLE_CREDENTIAL_TYPE)
}
