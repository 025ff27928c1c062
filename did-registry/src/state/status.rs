//! The status family: an admitted issuer revokes (final), suspends or reinstates its
//! credentials. An entry exists only while a credential is revoked or suspended, so "not
//! revoked" is an exclusion proof.

use super::{BlockContext, Event, Pending, Rejection};
use crate::document::RegistryDid;
use crate::records::{CredentialStatus, IssuerRecord, StateKey, StatusRecord};
use crate::transaction::{StatusChange, StatusKey};

/// `SetStatus`: `change` of the status entry `key` of `sender`'s credentials.
pub(super) fn set(
    pending: &mut Pending<'_>,
    ctx: &BlockContext,
    sender: &RegistryDid,
    key: &StatusKey,
    change: StatusChange,
) -> Result<Vec<Event>, Rejection> {
    let issuer: IssuerRecord =
        pending
            .read(&StateKey::issuer(sender))?
            .ok_or(Rejection::NotAuthorised {
                reason: "not an admitted issuer",
            })?;
    let state_key = StateKey::status(sender, key);
    let current: Option<StatusRecord> = pending.read(&state_key)?;
    let current = current.map(|r| r.status);
    if current == Some(CredentialStatus::Revoked) {
        return Err(Rejection::StatusTransition {
            reason: "revoked is final",
        });
    }
    let new_record = |status| StatusRecord {
        status,
        height: ctx.height,
        time: ctx.time,
    };
    match change {
        StatusChange::Revoke => {
            pending.put(state_key, &new_record(CredentialStatus::Revoked));
        }
        StatusChange::Suspend => {
            if current == Some(CredentialStatus::Suspended) {
                return Err(Rejection::StatusTransition {
                    reason: "already suspended",
                });
            }
            pending.put(state_key, &new_record(CredentialStatus::Suspended));
        }
        StatusChange::Reinstate => {
            if issuer.suspended {
                return Err(Rejection::NotAuthorised {
                    reason: "issuer suspended",
                });
            }
            if current.is_none() {
                return Err(Rejection::StatusTransition {
                    reason: "not suspended",
                });
            }
            pending.delete(state_key);
        }
    }
    Ok(vec![Event::StatusChanged { change }])
}
