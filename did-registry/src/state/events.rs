//! What an accepted transaction did: its [`Effects`] (hash and typed [`Event`]s).

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
