//! The evidence family: an admitted issuer, inside its validity window, anchors a credential
//! hash or the Merkle root of a batch, signed by one of its assertion methods over the chain id
//! (`evidence_message` / `batch_message`); an anchor is written once.

use crosscode_core::keys::PublicKey;

use super::governance::active_issuer;
use super::prepared::CheckedSignature;
use super::{BlockContext, Event, Pending, Rejection, malformed};
use crate::document::{DocumentContent, RegistryDid, Relationships};
use crate::governance::IssuerScope;
use crate::records::{ChainConfig, DidRecord, EvidenceRecord, StateKey};
use crate::transaction::{Payload, batch_message, evidence_message};

/// `AnchorEvidence` or `AnchorBatch` of `sender` (whose current record is `record`; `checked`:
/// a verdict of its evidence signature checked ahead). Other payloads are not anchors.
pub(super) fn anchor(
    pending: &mut Pending<'_>,
    config: &ChainConfig,
    ctx: &BlockContext,
    sender: &RegistryDid,
    record: &DidRecord,
    payload: &Payload,
    checked: Option<(&PublicKey, bool)>,
) -> Result<Vec<Event>, Rejection> {
    match payload {
        Payload::AnchorEvidence {
            credential_hash,
            method,
            signature,
        } => {
            let anchor = EvidenceAnchor {
                key: StateKey::evidence(credential_hash),
                message: evidence_message(&config.chain_id, credential_hash),
                count: 1,
            };
            anchor_evidence(
                pending, ctx, sender, record, method, signature, anchor, checked,
            )?;
            Ok(vec![Event::EvidenceAnchored {
                hash: *credential_hash,
            }])
        }
        Payload::AnchorBatch {
            merkle_root,
            count,
            method,
            signature,
        } => {
            if *count == 0 {
                return Err(malformed("empty batch"));
            }
            let anchor = EvidenceAnchor {
                key: StateKey::batch(merkle_root),
                message: batch_message(&config.chain_id, merkle_root, *count),
                count: *count,
            };
            anchor_evidence(
                pending, ctx, sender, record, method, signature, anchor, checked,
            )?;
            Ok(vec![Event::BatchAnchored {
                root: *merkle_root,
                count: *count,
            }])
        }
        _ => Err(malformed("not an anchor")),
    }
}

/// One evidence anchor (a single credential hash or a batch root) before it is recorded.
struct EvidenceAnchor {
    /// Where the evidence record goes.
    key: StateKey,
    /// The message the issuer signed (`evidence_message` / `batch_message`).
    message: Vec<u8>,
    /// How many credential hashes it anchors.
    count: u64,
}

/// Records `anchor` for `sender`: an admitted issuer, inside its validity window, whose
/// assertion method `method` signed the anchor's message; an anchor is written only once.
#[allow(clippy::too_many_arguments)]
fn anchor_evidence(
    pending: &mut Pending<'_>,
    ctx: &BlockContext,
    sender: &RegistryDid,
    sender_record: &DidRecord,
    method: &str,
    signature: &[u8],
    anchor: EvidenceAnchor,
    checked: Option<(&PublicKey, bool)>,
) -> Result<(), Rejection> {
    check_anchoring_issuer(pending, ctx, sender)?;
    check_evidence_signature(
        &sender_record.document,
        method,
        &anchor.message,
        signature,
        checked,
    )?;
    if pending.exists(&anchor.key) {
        return Err(Rejection::EvidenceExists);
    }
    pending.put(
        anchor.key,
        &EvidenceRecord {
            issuer: sender.clone(),
            method: method.to_owned(),
            signature: signature.to_vec(),
            count: anchor.count,
            height: ctx.height,
            time: ctx.time,
        },
    );
    Ok(())
}

fn check_anchoring_issuer(
    pending: &Pending<'_>,
    ctx: &BlockContext,
    sender: &RegistryDid,
) -> Result<IssuerScope, Rejection> {
    let record = active_issuer(pending, sender)?;
    if !record.scope.is_valid_at(ctx.time) {
        return Err(Rejection::NotAuthorised {
            reason: "outside the issuer's validity window",
        });
    }
    Ok(record.scope)
}

fn check_evidence_signature(
    document: &DocumentContent,
    method: &str,
    message: &[u8],
    signature: &[u8],
    checked: Option<(&PublicKey, bool)>,
) -> Result<(), Rejection> {
    let vm = document
        .method(method)
        .ok_or_else(|| Rejection::UnknownKey {
            fragment: method.to_owned(),
        })?;
    if !vm.relationships.contains(Relationships::ASSERTION_METHOD) {
        return Err(Rejection::KeyNotAllowed {
            fragment: method.to_owned(),
        });
    }
    let valid = match CheckedSignature::outcome_for(checked, &vm.key.0) {
        Some(valid) => valid,
        None => vm.key.0.verify(message, signature).is_ok(),
    };
    if valid {
        Ok(())
    } else {
        Err(Rejection::BadEvidenceSignature)
    }
}
