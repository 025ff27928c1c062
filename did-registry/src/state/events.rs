//! What an accepted transaction did: its [`Effects`] (hash and typed [`Event`]s). Events have a
//! canonical encoding (a tag, then the fields), in which a ledger store keeps them in its
//! transaction index.

use crate::codec::{Decode, DecodeError, Encode, Reader, Writer};
use crate::document::RegistryDid;
use crate::transaction::StatusChange;

/// Something a transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A DID was created.
    DidCreated {
        /// The DID.
        did: RegistryDid,
    },
    /// A DID got a new document version (update or key rotation).
    DidUpdated {
        /// The DID.
        did: RegistryDid,
        /// The new version number.
        version: u32,
    },
    /// A DID was deactivated.
    DidDeactivated {
        /// The DID.
        did: RegistryDid,
    },
    /// A proposal was opened.
    ProposalOpened {
        /// Its number.
        id: u64,
    },
    /// A member voted.
    Voted {
        /// The proposal.
        id: u64,
        /// Approve or reject.
        approve: bool,
    },
    /// A proposal reached its threshold and its action took effect.
    ProposalExecuted {
        /// Its number.
        id: u64,
    },
    /// A proposal can no longer reach its threshold.
    ProposalRejected {
        /// Its number.
        id: u64,
    },
    /// The validator set changes from the next block on.
    ValidatorSetChanged,
    /// A schema was registered.
    SchemaRegistered {
        /// Its content hash.
        hash: [u8; 32],
    },
    /// A status entry changed.
    StatusChanged {
        /// The change.
        change: StatusChange,
    },
    /// A credential hash was anchored.
    EvidenceAnchored {
        /// The hash.
        hash: [u8; 32],
    },
    /// A batch root was anchored.
    BatchAnchored {
        /// The root.
        root: [u8; 32],
        /// The number of hashes.
        count: u64,
    },
}

/// What an accepted transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effects {
    /// The transaction hash.
    pub tx_hash: [u8; 32],
    /// Its events.
    pub events: Vec<Event>,
}

/// Event tags of the canonical encoding (the transaction index of a store keeps each
/// transaction's events in it).
mod tag {
    pub const DID_CREATED: u8 = 1;
    pub const DID_UPDATED: u8 = 2;
    pub const DID_DEACTIVATED: u8 = 3;
    pub const PROPOSAL_OPENED: u8 = 4;
    pub const VOTED: u8 = 5;
    pub const PROPOSAL_EXECUTED: u8 = 6;
    pub const PROPOSAL_REJECTED: u8 = 7;
    pub const VALIDATOR_SET_CHANGED: u8 = 8;
    pub const SCHEMA_REGISTERED: u8 = 9;
    pub const STATUS_CHANGED: u8 = 10;
    pub const EVIDENCE_ANCHORED: u8 = 11;
    pub const BATCH_ANCHORED: u8 = 12;
}

/// Most events one transaction has (a vote: voted, then executed with its action's events).
pub const MAX_EVENTS_PER_TRANSACTION: usize = 16;

impl Encode for Event {
    fn encode(&self, w: &mut Writer) {
        match self {
            Event::DidCreated { did } => {
                w.u8(tag::DID_CREATED);
                did.encode(w);
            }
            Event::DidUpdated { did, version } => {
                w.u8(tag::DID_UPDATED);
                did.encode(w);
                w.u32(*version);
            }
            Event::DidDeactivated { did } => {
                w.u8(tag::DID_DEACTIVATED);
                did.encode(w);
            }
            Event::ProposalOpened { id } => {
                w.u8(tag::PROPOSAL_OPENED);
                w.u64(*id);
            }
            Event::Voted { id, approve } => {
                w.u8(tag::VOTED);
                w.u64(*id);
                w.bool(*approve);
            }
            Event::ProposalExecuted { id } => {
                w.u8(tag::PROPOSAL_EXECUTED);
                w.u64(*id);
            }
            Event::ProposalRejected { id } => {
                w.u8(tag::PROPOSAL_REJECTED);
                w.u64(*id);
            }
            Event::ValidatorSetChanged => w.u8(tag::VALIDATOR_SET_CHANGED),
            Event::SchemaRegistered { hash } => {
                w.u8(tag::SCHEMA_REGISTERED);
                w.hash(hash);
            }
            Event::StatusChanged { change } => {
                w.u8(tag::STATUS_CHANGED);
                change.encode(w);
            }
            Event::EvidenceAnchored { hash } => {
                w.u8(tag::EVIDENCE_ANCHORED);
                w.hash(hash);
            }
            Event::BatchAnchored { root, count } => {
                w.u8(tag::BATCH_ANCHORED);
                w.hash(root);
                w.u64(*count);
            }
        }
    }
}

impl Decode for Event {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match r.u8("event")? {
            tag::DID_CREATED => Event::DidCreated {
                did: RegistryDid::decode(r)?,
            },
            tag::DID_UPDATED => Event::DidUpdated {
                did: RegistryDid::decode(r)?,
                version: r.u32("version")?,
            },
            tag::DID_DEACTIVATED => Event::DidDeactivated {
                did: RegistryDid::decode(r)?,
            },
            tag::PROPOSAL_OPENED => Event::ProposalOpened {
                id: r.u64("proposal")?,
            },
            tag::VOTED => Event::Voted {
                id: r.u64("proposal")?,
                approve: r.bool("approve")?,
            },
            tag::PROPOSAL_EXECUTED => Event::ProposalExecuted {
                id: r.u64("proposal")?,
            },
            tag::PROPOSAL_REJECTED => Event::ProposalRejected {
                id: r.u64("proposal")?,
            },
            tag::VALIDATOR_SET_CHANGED => Event::ValidatorSetChanged,
            tag::SCHEMA_REGISTERED => Event::SchemaRegistered {
                hash: r.hash("schema hash")?,
            },
            tag::STATUS_CHANGED => Event::StatusChanged {
                change: StatusChange::decode(r)?,
            },
            tag::EVIDENCE_ANCHORED => Event::EvidenceAnchored {
                hash: r.hash("credential hash")?,
            },
            tag::BATCH_ANCHORED => Event::BatchAnchored {
                root: r.hash("merkle root")?,
                count: r.u64("count")?,
            },
            tag => return Err(DecodeError::UnknownTag { what: "event", tag }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::CryptoProfile;
    use crosscode_core::keys::{KeyAlgorithm, SecretKey};

    #[test]
    fn every_event_survives_its_canonical_encoding() {
        let did = RegistryDid::derive(
            CryptoProfile::GuoMi,
            "dev",
            &SecretKey::generate(KeyAlgorithm::Sm2).public_key(),
        );
        let events = [
            Event::DidCreated { did: did.clone() },
            Event::DidUpdated {
                did: did.clone(),
                version: u32::MAX,
            },
            Event::DidDeactivated { did },
            Event::ProposalOpened { id: 0 },
            Event::Voted {
                id: 1,
                approve: true,
            },
            Event::ProposalExecuted { id: 2 },
            Event::ProposalRejected { id: u64::MAX },
            Event::ValidatorSetChanged,
            Event::SchemaRegistered { hash: [9; 32] },
            Event::StatusChanged {
                change: StatusChange::Reinstate,
            },
            Event::EvidenceAnchored { hash: [8; 32] },
            Event::BatchAnchored {
                root: [7; 32],
                count: 3,
            },
        ];
        for event in events {
            let bytes = event.to_bytes();
            assert_eq!(Event::from_bytes(&bytes).unwrap(), event);
        }
        assert!(matches!(
            Event::from_bytes(&[13]),
            Err(DecodeError::UnknownTag {
                what: "event",
                tag: 13
            })
        ));
        assert!(Event::from_bytes(&[tag::PROPOSAL_OPENED, 0, 0]).is_err());
    }
}
