//! The admitted issuers `GET /v1/issuers` serves, kept with the head: read from the state once
//! at start (one scan), then updated after each block from the records of the issuers its
//! governance transactions name (only governance actions write issuer records), so that the
//! route never scans the state.

use std::collections::BTreeSet;

use crosscode_did_registry::api::IssuerEntry;
use crosscode_did_registry::codec::{Decode, DecodeError};
use crosscode_did_registry::document::RegistryDid;
use crosscode_did_registry::governance::GovernanceAction;
use crosscode_did_registry::records::{IssuerRecord, Namespace, ProposalRecord, StateKey};
use crosscode_did_registry::state::State;
use crosscode_did_registry::transaction::{Payload, SignedTransaction};

/// Every issuer record of `state`, by DID (a full scan of the state).
pub(crate) fn scan_issuers(state: &State) -> Result<Vec<IssuerEntry>, DecodeError> {
    let tag = Namespace::Issuer.tag();
    state
        .entries()
        .skip_while(|(key, _)| key.first().is_some_and(|t| *t < tag))
        .take_while(|(key, _)| key.first() == Some(&tag))
        .map(|(key, value)| {
            let text = std::str::from_utf8(key.get(1..).unwrap_or_default()).map_err(|_| {
                DecodeError::Invalid {
                    what: "issuer key",
                    reason: "not UTF-8",
                }
            })?;
            Ok(IssuerEntry {
                did: RegistryDid::parse(text)?,
                record: IssuerRecord::from_bytes(value)?,
            })
        })
        .collect()
}

/// The issuer a governance action is about (`None` for a validator-set change).
fn action_issuer(action: &GovernanceAction) -> Option<&RegistryDid> {
    match action {
        GovernanceAction::AdmitIssuer { issuer, .. }
        | GovernanceAction::SuspendIssuer { issuer }
        | GovernanceAction::ReinstateIssuer { issuer }
        | GovernanceAction::RescopeIssuer { issuer, .. } => Some(issuer),
        GovernanceAction::SetValidators { .. } => None,
    }
}

/// The issuers after a block of `committed` transactions, applied to `state`: `previous` with
/// the records of the issuers named by the block's proposals and votes read again.
pub(crate) fn updated_issuers(
    state: &State,
    previous: &[IssuerEntry],
    committed: &[SignedTransaction],
) -> Result<Option<Vec<IssuerEntry>>, DecodeError> {
    let mut named: BTreeSet<RegistryDid> = BTreeSet::new();
    for tx in committed {
        let action = match &tx.transaction.payload {
            Payload::Propose { action, .. } => Some(action.clone()),
            Payload::Vote { proposal, .. } => state
                .record::<ProposalRecord>(&StateKey::proposal(*proposal))?
                .map(|record| record.action),
            _ => None,
        };
        if let Some(issuer) = action.as_ref().and_then(action_issuer) {
            named.insert(issuer.clone());
        }
    }
    if named.is_empty() {
        return Ok(None);
    }
    let mut issuers: Vec<IssuerEntry> = previous
        .iter()
        .filter(|entry| !named.contains(&entry.did))
        .cloned()
        .collect();
    for did in named {
        if let Some(record) = state.record::<IssuerRecord>(&StateKey::issuer(&did))? {
            issuers.push(IssuerEntry { did, record });
        }
    }
    issuers.sort_by(|a, b| a.did.as_str().cmp(b.did.as_str()));
    Ok(Some(issuers))
}
