//! Votes and proposals, and the messages their signatures sign.

use arc_malachitebft_core_types::{self as malachite, NilOrVal, Round, SignedExtension, VoteType};
use crosscode_did_registry::codec::Writer;
use crosscode_did_registry::vote::{VoteKind, vote_message};

use crate::context::{Address, Height, RegistryContext};
use crate::value::{ProposedBlock, ValueId};

/// Domain tag of proposal messages.
pub const PROPOSAL_DOMAIN: &[u8] = b"crosscode-proposal-v1\0";

/// A prevote or precommit of one validator.
#[derive(Debug, Clone)]
pub struct Vote {
    /// Prevote or precommit.
    pub kind: VoteType,
    /// The height.
    pub height: Height,
    /// The round.
    pub round: Round,
    /// The value voted for, or nil.
    pub value: NilOrVal<ValueId>,
    /// The voter.
    pub validator: Address,
    /// A vote extension (never used by the registry; not signed with the vote).
    pub extension: Option<SignedExtension<RegistryContext>>,
}

impl Vote {
    /// A vote without extension.
    pub fn new(
        kind: VoteType,
        height: Height,
        round: Round,
        value: NilOrVal<ValueId>,
        validator: Address,
    ) -> Vote {
        Vote {
            kind,
            height,
            round,
            value,
            validator,
            extension: None,
        }
    }

    /// The message the voter signs on chain `chain_id` (`did_registry::vote`); `None` for a
    /// vote of no round, which no validator may sign.
    pub fn message(&self, chain_id: &str) -> Option<Vec<u8>> {
        let kind = match self.kind {
            VoteType::Prevote => VoteKind::Prevote,
            VoteType::Precommit => VoteKind::Precommit,
        };
        let value = match &self.value {
            NilOrVal::Nil => None,
            NilOrVal::Val(id) => Some(&id.0),
        };
        Some(vote_message(
            chain_id,
            kind,
            self.height.0,
            self.round.as_u32()?,
            value,
        ))
    }
}

// Malachite compares votes without their extensions.
impl PartialEq for Vote {
    fn eq(&self, other: &Vote) -> bool {
        self.kind == other.kind
            && self.height == other.height
            && self.round == other.round
            && self.value == other.value
            && self.validator == other.validator
    }
}

impl Eq for Vote {}

impl malachite::Vote<RegistryContext> for Vote {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &NilOrVal<ValueId> {
        &self.value
    }

    fn take_value(self) -> NilOrVal<ValueId> {
        self.value
    }

    fn vote_type(&self) -> VoteType {
        self.kind
    }

    fn validator_address(&self) -> &Address {
        &self.validator
    }

    fn extension(&self) -> Option<&SignedExtension<RegistryContext>> {
        self.extension.as_ref()
    }

    fn take_extension(&mut self) -> Option<SignedExtension<RegistryContext>> {
        self.extension.take()
    }

    fn extend(self, extension: SignedExtension<RegistryContext>) -> Vote {
        Vote {
            extension: Some(extension),
            ..self
        }
    }
}

/// A proposer's proposal of a block for a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// The height.
    pub height: Height,
    /// The round.
    pub round: Round,
    /// The proposed block.
    pub value: ProposedBlock,
    /// The round of the proof of lock it re-proposes, or nil.
    pub pol_round: Round,
    /// The proposer.
    pub proposer: Address,
}

impl Proposal {
    /// The message the proposer signs on chain `chain_id`; `None` for a proposal of no round.
    pub fn message(&self, chain_id: &str) -> Option<Vec<u8>> {
        proposal_message(
            chain_id,
            self.height,
            self.round,
            self.pol_round,
            &malachite::Value::id(&self.value),
            &self.proposer,
        )
    }
}

/// The proposal message (see the crate documentation); `None` when `round` is nil.
pub fn proposal_message(
    chain_id: &str,
    height: Height,
    round: Round,
    pol_round: Round,
    value_id: &ValueId,
    proposer: &Address,
) -> Option<Vec<u8>> {
    let mut w = Writer::new();
    w.raw(PROPOSAL_DOMAIN);
    w.str(chain_id);
    w.u64(height.0);
    w.u32(round.as_u32()?);
    match pol_round.as_u32() {
        None => w.u8(0),
        Some(pol_round) => {
            w.u8(1);
            w.u32(pol_round);
        }
    }
    w.hash(&value_id.0);
    w.raw(&proposer.0);
    Some(w.into_bytes())
}

impl malachite::Proposal<RegistryContext> for Proposal {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &ProposedBlock {
        &self.value
    }

    fn take_value(self) -> ProposedBlock {
        self.value
    }

    fn pol_round(&self) -> Round {
        self.pol_round
    }

    fn validator_address(&self) -> &Address {
        &self.proposer
    }
}
