//! Dynamic presentations: the holder signs the current **time slot** so that a screenshot of the
//! QR code expires (`docs/wallet.md`, "Dynamic QR").
//!
//! A slot is [`TIME_SLOT_SECONDS`] (30) seconds of Unix time: slot `n` = `floor(unix_seconds /
//! 30)`, covering `[30·n, 30·n + 30)`. A dynamic presentation carries its slot as the top-level
//! member `"timeSlot": n` (a JSON integer) of the presentation the holder signs (inside the
//! COSE_Sign1 payload of form (a), or under the holder's Data Integrity proof in form (b)), and
//! its audience as `"domain"`. A verifier at time `t` accepts the slot when
//! `current − TOLERANCE ≤ n ≤ current + TOLERANCE`, `current = floor(t / 30)` and
//! [`TIME_SLOT_TOLERANCE`] = 1: a code is good for 30 to 60 seconds after it was drawn, and a
//! verifier's clock may be one slot behind the phone's. An older slot is
//! [`EnvelopeError::StaleTimeSlot`], a newer one [`EnvelopeError::FutureTimeSlot`] (both step
//! `ValidityWindow`).

use serde_json::Value as Json;
use time::OffsetDateTime;

use super::EnvelopeError;

/// Length of a time slot in seconds.
pub const TIME_SLOT_SECONDS: i64 = 30;
/// Slots a verifier accepts on either side of its current slot.
pub const TIME_SLOT_TOLERANCE: i64 = 1;
/// The presentation member carrying the slot.
pub const TIME_SLOT_MEMBER: &str = "timeSlot";
/// The presentation member carrying the audience (the verifier the holder shows the code to).
pub const AUDIENCE_MEMBER: &str = "domain";

/// The slot of `at`: `floor(unix_seconds / 30)`.
pub fn slot_at(at: OffsetDateTime) -> i64 {
    at.unix_timestamp().div_euclid(TIME_SLOT_SECONDS)
}

/// The slot a presentation carries: `Ok(None)` without `timeSlot` (a static presentation).
pub fn slot_of(document: &Json) -> Result<Option<i64>, EnvelopeError> {
    match document.get(TIME_SLOT_MEMBER) {
        None => Ok(None),
        Some(value) => value
            .as_i64()
            .filter(|slot| *slot >= 0)
            .map(Some)
            .ok_or(EnvelopeError::InvalidTimeSlot),
    }
}

/// Checks a presentation's `timeSlot`, when it has one, against the slot of `at` (see the
/// module documentation); a presentation without one passes.
pub fn check(document: &Json, at: OffsetDateTime) -> Result<(), EnvelopeError> {
    let Some(slot) = slot_of(document)? else {
        return Ok(());
    };
    let current = slot_at(at);
    if slot < current - TIME_SLOT_TOLERANCE {
        return Err(EnvelopeError::StaleTimeSlot { slot, current });
    }
    if slot > current + TIME_SLOT_TOLERANCE {
        return Err(EnvelopeError::FutureTimeSlot { slot, current });
    }
    Ok(())
}

/// For a checkpoint that accepts only dynamic presentations: the slot, checked against `at`;
/// a presentation without `timeSlot` is [`EnvelopeError::InvalidTimeSlot`].
pub fn require_dynamic(document: &Json, at: OffsetDateTime) -> Result<i64, EnvelopeError> {
    check(document, at)?;
    slot_of(document)?.ok_or(EnvelopeError::InvalidTimeSlot)
}

/// Checks that the presentation names `audience` as its `domain`.
pub fn check_audience(document: &Json, audience: &str) -> Result<(), EnvelopeError> {
    match document.get(AUDIENCE_MEMBER).and_then(Json::as_str) {
        Some(domain) if domain == audience => Ok(()),
        _ => Err(EnvelopeError::WrongAudience),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(seconds).unwrap()
    }

    #[test]
    fn the_current_and_neighbouring_slots_pass_and_older_or_newer_ones_are_refused() {
        let now = at(1_800_000_015);
        let current = slot_at(now);
        assert_eq!(current, 60_000_000);
        for slot in [current - 1, current, current + 1] {
            check(&json!({"timeSlot": slot}), now).unwrap();
        }
        assert_eq!(
            check(&json!({"timeSlot": current - 2}), now),
            Err(EnvelopeError::StaleTimeSlot {
                slot: current - 2,
                current
            })
        );
        assert_eq!(
            check(&json!({"timeSlot": current + 2}), now),
            Err(EnvelopeError::FutureTimeSlot {
                slot: current + 2,
                current
            })
        );
    }

    #[test]
    fn a_malformed_slot_is_refused_and_a_static_presentation_passes_unless_dynamic_is_required() {
        for bad in [json!("60000000"), json!(-1), json!(1.5)] {
            assert_eq!(
                check(&json!({"timeSlot": bad}), at(0)),
                Err(EnvelopeError::InvalidTimeSlot)
            );
        }
        check(&json!({}), at(0)).unwrap();
        assert_eq!(
            require_dynamic(&json!({}), at(0)),
            Err(EnvelopeError::InvalidTimeSlot)
        );
        assert_eq!(require_dynamic(&json!({"timeSlot": 0}), at(29)), Ok(0));
    }

    #[test]
    fn a_signed_dynamic_presentation_decodes_in_its_slot_and_is_refused_when_stale() {
        use crate::did::{DidKey, DidKeyResolver};
        use crate::keys::{KeyAlgorithm, SecretKey};
        let holder = SecretKey::generate(KeyAlgorithm::Ed25519);
        let did = DidKey::from_public_key(&holder.public_key());
        let now = at(1_800_000_015);
        let presentation = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": did.did().as_str(),
            "domain": "checkpoint-7",
            "timeSlot": slot_at(now),
        });
        let payload =
            super::super::encode_signed(&presentation, &holder, &did.verification_method_id())
                .unwrap();
        let fresh = super::super::decode(&payload, &DidKeyResolver, now).unwrap();
        assert_eq!(require_dynamic(&fresh.document, now), Ok(slot_at(now)));
        let stale =
            super::super::decode(&payload, &DidKeyResolver, at(1_800_000_015 + 90)).unwrap_err();
        assert_eq!(
            stale,
            EnvelopeError::StaleTimeSlot {
                slot: slot_at(now),
                current: slot_at(now) + 3
            }
        );
        assert_eq!(stale.step(), Some(crate::VerificationStep::ValidityWindow));
    }

    #[test]
    fn the_audience_must_be_the_domain() {
        check_audience(&json!({"domain": "checkpoint-1"}), "checkpoint-1").unwrap();
        assert_eq!(
            check_audience(&json!({"domain": "checkpoint-2"}), "checkpoint-1"),
            Err(EnvelopeError::WrongAudience)
        );
        assert_eq!(
            check_audience(&json!({}), "checkpoint-1"),
            Err(EnvelopeError::WrongAudience)
        );
    }
}
