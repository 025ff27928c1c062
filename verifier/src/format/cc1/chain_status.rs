//! The `CC1` checks that need the chain: every carried credential's issuer admitted, not
//! suspended and scoped for it (IssuerBinding), the trust cache fresh enough, no status
//! entry revoking or suspending the credential (Status), and the anchor receipts the code
//! carries leading to batches its issuer anchored (AnchorInclusion) — all against the
//! [`ChainTrust`] synced with proofs, offline.
//!
//! A credential's status pointers are its `credentialStatus` entries of type
//! `BitstringStatusListEntry` (`docs/issuer.md` §4): `statusListCredential` ends in
//! `/status-lists/<list>-revocation` or `…-suspension`, and the chain's entry is
//! `status/<issuer>/<list, statusListIndex>` (revoked or suspended; absent: neither). A pointer
//! of another shape cannot be checked against the chain, so it is refused: a checkpoint fails
//! closed. An authority may also set a status by credential hash
//! (`status/<issuer>/<credential hash>`); that entry is checked for a credential code carrying
//! the credential exactly as issued (the hash covers the whole secured credential, so a
//! holder's derived or re-signed form cannot be looked up by it).

use std::collections::BTreeSet;

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::issuer_id;
use crate::chain_trust::{AdmissionError, Anchored, ChainTrust};
use crate::format::StepFailure;
use crate::report::VerificationError;
use crosscode_core::VerificationStep;
use crosscode_core::anchor::AnchorReceipt;
use crosscode_core::status_list::BitstringStatusListEntry;
use crosscode_core::vc::VERIFIABLE_CREDENTIAL_TYPE;
use crosscode_did_registry::document::RegistryDid;
use crosscode_did_registry::evidence::credential_hash;
use crosscode_did_registry::records::CredentialStatus;
use crosscode_did_registry::transaction::StatusKey;

fn at(step: VerificationStep, error: VerificationError) -> StepFailure {
    StepFailure { step, error }
}

fn shortened(text: &str) -> String {
    text.chars().take(120).collect()
}

/// The credential's issuer DID as a registry DID (an issuer that is not one was refused
/// before, as untrusted).
fn issuer_of(credential: &Value) -> Result<RegistryDid, StepFailure> {
    let text = credential
        .get("issuer")
        .and_then(issuer_id)
        .unwrap_or_default();
    RegistryDid::parse(text).map_err(|_| {
        at(
            VerificationStep::IssuerBinding,
            VerificationError::IssuerNotAdmitted(shortened(text)),
        )
    })
}

/// The issuer of `credential` is admitted, not suspended, and its scope covers the
/// credential: every type beside `VerifiableCredential`, the `jurisdiction` of every subject
/// that names one, and its issuance time (`validFrom`, which a credential checked against the
/// chain must carry).
pub(crate) fn check_admission(chain: &ChainTrust, credential: &Value) -> Result<(), StepFailure> {
    let issuer = issuer_of(credential)?;
    let refused = |error| at(VerificationStep::IssuerBinding, error);
    let out_of_scope = |reason: &str| refused(VerificationError::OutOfScope(reason.into()));
    let types: Vec<&str> = match credential.get("type") {
        Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(name)) => vec![name.as_str()],
        _ => Vec::new(),
    };
    let types: Vec<&str> = types
        .into_iter()
        .filter(|name| *name != VERIFIABLE_CREDENTIAL_TYPE)
        .collect();
    let subjects: Vec<&Value> = match credential.get("credentialSubject") {
        Some(Value::Array(subjects)) => subjects.iter().collect(),
        Some(subject) => vec![subject],
        None => Vec::new(),
    };
    let mut jurisdictions = Vec::new();
    for subject in subjects {
        match subject.get("jurisdiction") {
            None => {}
            Some(Value::String(jurisdiction)) => jurisdictions.push(jurisdiction.as_str()),
            Some(_) => return Err(out_of_scope("a subject's jurisdiction is not a code")),
        }
    }
    let issued_at = credential
        .get("validFrom")
        .and_then(Value::as_str)
        .and_then(|text| OffsetDateTime::parse(text, &Rfc3339).ok())
        .map(OffsetDateTime::unix_timestamp)
        .ok_or_else(|| {
            out_of_scope("no issuance time (validFrom) to check the admission window")
        })?;
    let refused = |error| at(VerificationStep::IssuerBinding, error);
    match chain.check_admission(&issuer, &types, &jurisdictions, issued_at) {
        Ok(_) => Ok(()),
        Err(AdmissionError::NotAdmitted) => Err(refused(VerificationError::IssuerNotAdmitted(
            issuer.as_str().to_owned(),
        ))),
        Err(AdmissionError::Suspended) => Err(refused(VerificationError::IssuerSuspended(
            issuer.as_str().to_owned(),
        ))),
        Err(AdmissionError::TypeOutOfScope { credential_type }) => {
            Err(refused(VerificationError::OutOfScope(format!(
                "credential type {credential_type:?} is not in the scope of {issuer}"
            ))))
        }
        Err(AdmissionError::JurisdictionOutOfScope {
            jurisdiction,
            scope,
        }) => Err(refused(VerificationError::OutOfScope(format!(
            "jurisdiction {jurisdiction:?} is not the issuer's ({scope})"
        )))),
        Err(AdmissionError::IssuedOutsideWindow) => Err(refused(VerificationError::OutOfScope(
            format!("issued outside the validity window of {issuer}'s admission"),
        ))),
    }
}

/// The trust cache is not older than `max_age` at `now`.
pub(super) fn check_freshness(
    chain: &ChainTrust,
    max_age: Option<time::Duration>,
    now: OffsetDateTime,
) -> Result<(), StepFailure> {
    let Some(max_age) = max_age else {
        return Ok(());
    };
    let synced = i64::try_from(chain.time()).unwrap_or(i64::MAX);
    let age = now.unix_timestamp().saturating_sub(synced);
    if age > max_age.whole_seconds() {
        return Err(at(
            VerificationStep::Status,
            VerificationError::StaleTrustCache {
                age,
                max: max_age.whole_seconds(),
            },
        ));
    }
    Ok(())
}

/// The chain status key a `BitstringStatusListEntry` points at: `(list, index)` from a list
/// URL ending in `/status-lists/<list>-<purpose>`.
fn chain_key(entry: &BitstringStatusListEntry) -> Option<StatusKey> {
    let url = entry.status_list_credential.split(['#', '?']).next()?;
    let (base, id) = url.rsplit_once('/')?;
    if !base.ends_with("/status-lists") {
        return None;
    }
    let (number, _purpose) = id.split_once('-')?;
    if number.is_empty() || !number.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    Some(StatusKey::Index {
        list: number.parse().ok()?,
        index: u64::from(entry.status_list_index),
    })
}

/// No status entry of the chain revokes or suspends `credential`; answers how many status
/// pointers were checked. A credential carried exactly as issued (`as_issued`: a credential
/// code with its Data Integrity proofs) is also looked up by its credential hash, the other
/// key an authority may revoke by; a derived or re-signed form has another hash.
///
/// `anchored` is the credential hash its anchor receipt proved anchored
/// ([`check_anchors`]), looked up too: a receipt lets a checkpoint check a derived form by
/// the hash of the credential as issued.
pub(crate) fn check_status(
    chain: &ChainTrust,
    credential: &Value,
    as_issued: bool,
    anchored: Option<[u8; 32]>,
) -> Result<usize, StepFailure> {
    let issuer = issuer_of(credential)?;
    let refused = |error| at(VerificationStep::Status, error);
    let entries: Vec<&Value> = match credential.get("credentialStatus") {
        None => Vec::new(),
        Some(Value::Array(entries)) => entries.iter().collect(),
        Some(entry) => vec![entry],
    };
    let mut keys = BTreeSet::new();
    for entry in entries {
        // Core's parser refuses an entry of another type (a pointer the chain cannot answer).
        let parsed = BitstringStatusListEntry::from_value(entry)
            .map_err(|error| refused(VerificationError::Payload(error.to_string())))?;
        let key = chain_key(&parsed).ok_or_else(|| {
            refused(VerificationError::Payload(
                "a status list URL is not a registry issuer's (…/status-lists/<list>-<purpose>)"
                    .into(),
            ))
        })?;
        keys.insert(key);
    }
    if as_issued {
        let hash = credential_hash(chain.chain.profile, credential)
            .map_err(|error| refused(VerificationError::Payload(error.to_string())))?;
        keys.insert(StatusKey::CredentialHash(hash));
    }
    keys.extend(anchored.map(StatusKey::CredentialHash));
    for key in &keys {
        if let Some(record) = chain.status(&issuer, key) {
            let detail = format!("at height {} ({})", record.height, time_text(record.time));
            return Err(refused(match record.status {
                CredentialStatus::Revoked => VerificationError::Revoked(detail),
                CredentialStatus::Suspended => VerificationError::Suspended(detail),
            }));
        }
    }
    Ok(keys.len())
}

/// The anchor receipts the code carries (`anchors`, one entry per carried credential or none
/// at all) checked against the chain: each proves its credential — by its `id`, and for a
/// credential shown as issued (`as_issued`) by its recomputed credential hash too — anchored
/// by the credential's issuer ([`ChainTrust::check_anchor`]). A credential without a receipt
/// is refused when the checkpoint requires one (`required`). Answers the anchored credential
/// hash of each credential (`None`: no receipt).
pub(crate) fn check_anchors(
    chain: &ChainTrust,
    credentials: &[&Value],
    anchors: &[Option<AnchorReceipt>],
    as_issued: bool,
    required: bool,
) -> Result<Vec<Option<Anchored>>, StepFailure> {
    let refused = |why: String| {
        at(
            VerificationStep::AnchorInclusion,
            VerificationError::NotAnchored(why),
        )
    };
    if !anchors.is_empty() && anchors.len() != credentials.len() {
        return Err(refused(format!(
            "the code carries {} anchor receipts for {} credentials",
            anchors.len(),
            credentials.len()
        )));
    }
    let mut anchored = Vec::with_capacity(credentials.len());
    for (index, credential) in credentials.iter().enumerate() {
        let Some(receipt) = anchors.get(index).and_then(Option::as_ref) else {
            if required {
                return Err(refused(format!(
                    "credential {index} is shown without an anchor receipt"
                )));
            }
            anchored.push(None);
            continue;
        };
        let issuer = issuer_of(credential)?;
        let id = credential
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| refused(format!("credential {index} shows no id")))?;
        let proven = chain
            .check_anchor(receipt, &issuer, id)
            .map_err(|error| refused(error.to_string()))?;
        if as_issued {
            let hash = credential_hash(chain.chain.profile, credential).map_err(|error| {
                at(
                    VerificationStep::AnchorInclusion,
                    VerificationError::Payload(error.to_string()),
                )
            })?;
            if hash != proven.credential_hash {
                return Err(refused(
                    "the anchor receipt is for another credential hash".into(),
                ));
            }
        }
        anchored.push(Some(proven));
    }
    Ok(anchored)
}

/// The synced header's time, RFC 3339.
pub(super) fn as_of_text(chain: &ChainTrust) -> String {
    time_text(chain.time())
}

fn time_text(seconds: u64) -> String {
    i64::try_from(seconds)
        .ok()
        .and_then(|seconds| OffsetDateTime::from_unix_timestamp(seconds).ok())
        .and_then(|instant| instant.format(&Rfc3339).ok())
        .unwrap_or_else(|| seconds.to_string())
}
