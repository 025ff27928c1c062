//! Why a transaction is refused ([`Rejection`]): one typed variant per rule, so callers (and
//! the node's `RejectionCode`) can tell them apart. A rejected transaction leaves the state
//! unchanged.

use crate::codec::DecodeError;
use crate::validators::ValidatorSetError;

/// Why a transaction is refused. The state is unchanged after a rejection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The transaction bytes do not decode.
    #[error("malformed transaction: {0}")]
    Decode(#[from] DecodeError),
    /// The transaction is for another chain.
    #[error("wrong chain id {found:?} (this chain is {expected:?})")]
    WrongChainId {
        /// This chain's id.
        expected: String,
        /// The id in the transaction.
        found: String,
    },
    /// The DID is of another network.
    #[error("DID of network {found:?}, this chain's network is {expected:?}")]
    WrongNetwork {
        /// This chain's network.
        expected: String,
        /// The DID's network.
        found: String,
    },
    /// The sender DID does not exist.
    #[error("unknown sender")]
    UnknownSender,
    /// The sender (or the DID acted on) is deactivated.
    #[error("DID deactivated")]
    DidDeactivated,
    /// The signing key fragment names no verification method of the sender.
    #[error("unknown key {fragment:?}")]
    UnknownKey {
        /// The fragment.
        fragment: String,
    },
    /// The key is not a capability-invocation key of the profile's algorithm (or, for evidence,
    /// not an assertion method).
    #[error("key {fragment:?} may not sign this")]
    KeyNotAllowed {
        /// The fragment.
        fragment: String,
    },
    /// The transaction signature does not verify.
    #[error("bad signature")]
    BadSignature,
    /// The sequence number was already used.
    #[error("replayed sequence {found} (next is {expected})")]
    ReplayedSequence {
        /// The next sequence number.
        expected: u64,
        /// The one in the transaction.
        found: u64,
    },
    /// The sequence number skips ahead.
    #[error("skipped sequence {found} (next is {expected})")]
    SkippedSequence {
        /// The next sequence number.
        expected: u64,
        /// The one in the transaction.
        found: u64,
    },
    /// The payload breaks a rule.
    #[error("malformed payload: {reason}")]
    MalformedPayload {
        /// What is wrong.
        reason: &'static str,
    },
    /// The DID already exists.
    #[error("DID exists")]
    DidExists,
    /// The sender DID is not the one derived from the signing key.
    #[error("the DID is not derived from the signing key")]
    DidDoesNotMatchKey,
    /// The DID acted on does not exist.
    #[error("unknown DID")]
    UnknownDid,
    /// The change would leave the DID without a capability-invocation key of the profile.
    #[error("the DID would lose its last capability-invocation key")]
    WouldLoseControl,
    /// A verification method or service to remove does not exist.
    #[error("no {what} {fragment:?}")]
    NotFound {
        /// What was looked for.
        what: &'static str,
        /// The fragment.
        fragment: String,
    },
    /// The sender may not do this.
    #[error("not authorised: {reason}")]
    NotAuthorised {
        /// Why not.
        reason: &'static str,
    },
    /// No proposal with this number.
    #[error("unknown proposal {id}")]
    UnknownProposal {
        /// The number.
        id: u64,
    },
    /// The proposal is executed, rejected or past its closing height.
    #[error("proposal {id} is closed")]
    ProposalClosed {
        /// The number.
        id: u64,
    },
    /// The member has already voted on the proposal.
    #[error("already voted on proposal {id}")]
    AlreadyVoted {
        /// The number.
        id: u64,
    },
    /// The issuer is not admitted.
    #[error("issuer not admitted")]
    IssuerNotAdmitted,
    /// The issuer is already admitted.
    #[error("issuer already admitted")]
    IssuerAlreadyAdmitted,
    /// The issuer is suspended (or, to reinstate, not suspended).
    #[error("issuer suspension state does not allow this")]
    IssuerSuspension,
    /// The proposed validator set is invalid.
    #[error("invalid validator set: {0}")]
    InvalidValidatorSet(ValidatorSetError),
    /// A schema with the same content hash exists.
    #[error("schema exists")]
    SchemaExists,
    /// The credential hash or batch root is already anchored.
    #[error("evidence already anchored")]
    EvidenceExists,
    /// The issuer's evidence signature does not verify.
    #[error("bad evidence signature")]
    BadEvidenceSignature,
    /// The credential is revoked (final) or already in the requested status.
    #[error("status change not allowed: {reason}")]
    StatusTransition {
        /// Why not.
        reason: &'static str,
    },
    /// A stored record does not decode (never expected; the state is corrupt).
    #[error("corrupt state record")]
    CorruptState,
}
