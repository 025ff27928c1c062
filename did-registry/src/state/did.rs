//! The DID family: create (self-certifying: the DID is derived from the signing key), update,
//! key rotation and deactivation. Every change writes a new document version, so resolution as
//! of any earlier height or time finds the document in force then.

use crosscode_core::keys::PublicKey;

use super::{
    BlockContext, Event, Pending, Rejection, check_sequence, check_signer, has_control_key,
    malformed,
};
use crate::document::{DocumentContent, RegistryDid};
use crate::records::{ChainConfig, DidRecord, DidVersion, StateKey};
use crate::transaction::{Payload, SignedTransaction};

/// `DidCreate` of `tx`: the DID must not exist, be derived from the signing key (a control key
/// of `document`), and the sequence must be 0.
pub(super) fn create(
    pending: &mut Pending<'_>,
    config: &ChainConfig,
    ctx: &BlockContext,
    tx: &SignedTransaction,
    document: &DocumentContent,
    checked: Option<(&PublicKey, bool)>,
) -> Result<Vec<Event>, Rejection> {
    let t = &tx.transaction;
    let sender = &t.sender;
    if pending.exists(&StateKey::did(sender)) {
        return Err(Rejection::DidExists);
    }
    check_signer(config, document, tx, checked)?;
    let key = document
        .method(&t.key)
        .map(|vm| vm.key.0.clone())
        .ok_or_else(|| Rejection::UnknownKey {
            fragment: t.key.clone(),
        })?;
    if RegistryDid::derive(config.profile, &config.network, &key) != *sender {
        return Err(Rejection::DidDoesNotMatchKey);
    }
    check_sequence(0, t.sequence)?;
    document.check().map_err(malformed)?;
    write_new_did(pending, sender, document, ctx.height, ctx.time);
    pending.put(StateKey::sequence(sender), &1u64);
    Ok(vec![Event::DidCreated {
        did: sender.clone(),
    }])
}

/// `DidUpdate`, `DidRotateKeys` or `DidDeactivate` of `sender` (whose current record is
/// `record`): a new document version. Other payloads are not DID changes.
pub(super) fn change(
    pending: &mut Pending<'_>,
    config: &ChainConfig,
    ctx: &BlockContext,
    sender: &RegistryDid,
    record: DidRecord,
    payload: &Payload,
) -> Result<Vec<Event>, Rejection> {
    match payload {
        Payload::DidUpdate {
            add_methods,
            remove_methods,
            add_services,
            remove_services,
        } => {
            if add_methods.is_empty()
                && remove_methods.is_empty()
                && add_services.is_empty()
                && remove_services.is_empty()
            {
                return Err(malformed("empty update"));
            }
            let mut document = record.document.clone();
            for fragment in remove_methods {
                let before = document.verification_methods.len();
                document
                    .verification_methods
                    .retain(|vm| &vm.fragment != fragment);
                if document.verification_methods.len() == before {
                    return Err(Rejection::NotFound {
                        what: "verification method",
                        fragment: fragment.clone(),
                    });
                }
            }
            for fragment in remove_services {
                let before = document.services.len();
                document.services.retain(|s| &s.fragment != fragment);
                if document.services.len() == before {
                    return Err(Rejection::NotFound {
                        what: "service",
                        fragment: fragment.clone(),
                    });
                }
            }
            document
                .verification_methods
                .extend(add_methods.iter().cloned());
            document.services.extend(add_services.iter().cloned());
            document.check().map_err(malformed)?;
            if !has_control_key(config, &document) {
                return Err(Rejection::WouldLoseControl);
            }
            let version = write_did_version(pending, sender, record, document, false, ctx)?;
            Ok(vec![Event::DidUpdated {
                did: sender.clone(),
                version,
            }])
        }
        Payload::DidRotateKeys { methods } => {
            let document = DocumentContent {
                verification_methods: methods.clone(),
                services: record.document.services.clone(),
            };
            document.check().map_err(malformed)?;
            if !has_control_key(config, &document) {
                return Err(Rejection::WouldLoseControl);
            }
            let version = write_did_version(pending, sender, record, document, false, ctx)?;
            Ok(vec![Event::DidUpdated {
                did: sender.clone(),
                version,
            }])
        }
        Payload::DidDeactivate => {
            let document = record.document.clone();
            write_did_version(pending, sender, record, document, true, ctx)?;
            Ok(vec![Event::DidDeactivated {
                did: sender.clone(),
            }])
        }
        _ => Err(malformed("not a DID change")),
    }
}

/// Writes a new DID's record and its version 0.
pub(super) fn write_new_did(
    pending: &mut Pending<'_>,
    did: &RegistryDid,
    document: &DocumentContent,
    height: u64,
    time: u64,
) {
    pending.put_did_record(
        did,
        DidRecord {
            document: document.clone(),
            versions: 1,
            deactivated: false,
            created_height: height,
            created_time: time,
            updated_height: height,
            updated_time: time,
        },
    );
    pending.put(
        StateKey::did_version(did, 0),
        &DidVersion {
            document: document.clone(),
            deactivated: false,
            height,
            time,
        },
    );
}

/// Writes `document` as the next version of `did` (and the record pointing at it); its number.
fn write_did_version(
    pending: &mut Pending<'_>,
    did: &RegistryDid,
    mut record: DidRecord,
    document: DocumentContent,
    deactivated: bool,
    ctx: &BlockContext,
) -> Result<u32, Rejection> {
    let number = record.versions;
    record.versions = number
        .checked_add(1)
        .ok_or(malformed("too many versions"))?;
    record.document = document.clone();
    record.deactivated = deactivated;
    record.updated_height = ctx.height;
    record.updated_time = ctx.time;
    pending.put_did_record(did, record);
    pending.put(
        StateKey::did_version(did, number),
        &DidVersion {
            document,
            deactivated,
            height: ctx.height,
            time: ctx.time,
        },
    );
    Ok(number)
}
