//! Genesis: the chain id, DID network, crypto profile, consortium members with their
//! governance keys, the M-of-N threshold and the first validator set.

use crate::codec::{Decode, DecodeError, Encode, MAX_NAME_LEN, Reader, Writer};
use crate::document::DocumentContent;
use crate::profile::CryptoProfile;
use crate::records::MAX_MEMBERS;
use crate::transaction::MAX_CHAIN_ID_LEN;
use crate::validators::{Validator, ValidatorSetError};

/// Default longest voting period (blocks).
pub const DEFAULT_MAX_VOTING_PERIOD: u64 = 1_000_000;

/// A consortium member at genesis: its jurisdiction and its DID document, whose first
/// capability-invocation key of the profile's algorithm (its governance key) determines the
/// member's DID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisMember {
    /// Jurisdiction code (e.g. `CN-GD`).
    pub jurisdiction: String,
    /// Its DID document.
    pub document: DocumentContent,
}

impl Encode for GenesisMember {
    fn encode(&self, w: &mut Writer) {
        w.str(&self.jurisdiction);
        self.document.encode(w);
    }
}

impl Decode for GenesisMember {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            jurisdiction: r.str("jurisdiction", MAX_NAME_LEN)?,
            document: DocumentContent::decode(r)?,
        })
    }
}

/// The genesis of a registry chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Genesis {
    /// The chain id.
    pub chain_id: String,
    /// The DID network name.
    pub network: String,
    /// The crypto profile.
    pub profile: CryptoProfile,
    /// Genesis time (Unix seconds).
    pub genesis_time: u64,
    /// Approvals a proposal needs (M).
    pub governance_threshold: u32,
    /// Longest voting period, in blocks.
    pub max_voting_period: u64,
    /// The consortium members (N).
    pub members: Vec<GenesisMember>,
    /// The first validator set.
    pub validators: Vec<Validator>,
}

impl Encode for Genesis {
    fn encode(&self, w: &mut Writer) {
        w.u8(1);
        w.str(&self.chain_id);
        w.str(&self.network);
        self.profile.encode(w);
        w.u64(self.genesis_time);
        w.u32(self.governance_threshold);
        w.u64(self.max_voting_period);
        w.seq(&self.members);
        w.seq(&self.validators);
    }
}

impl Decode for Genesis {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let version = r.u8("genesis version")?;
        if version != 1 {
            return Err(DecodeError::UnsupportedVersion {
                what: "genesis",
                version,
            });
        }
        Ok(Self {
            chain_id: r.str("chain id", MAX_CHAIN_ID_LEN)?,
            network: r.str("network", crate::document::MAX_NETWORK_LEN)?,
            profile: CryptoProfile::decode(r)?,
            genesis_time: r.u64("genesis time")?,
            governance_threshold: r.u32("threshold")?,
            max_voting_period: r.u64("max voting period")?,
            members: r.seq("members", MAX_MEMBERS)?,
            validators: r.seq("validators", crate::governance::MAX_VALIDATORS)?,
        })
    }
}

/// Why a genesis is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenesisError {
    /// The chain id is empty, too long or not printable ASCII.
    #[error("invalid chain id")]
    InvalidChainId,
    /// The network name is not 1–32 of `a-z 0-9 -`.
    #[error("invalid network name")]
    InvalidNetwork,
    /// No members, or more than 64.
    #[error("a consortium needs 1 to 64 members")]
    MemberCount,
    /// The threshold is 0 or above the number of members.
    #[error("governance threshold must be between 1 and the number of members")]
    InvalidThreshold,
    /// The maximum voting period is 0.
    #[error("max voting period must be positive")]
    InvalidVotingPeriod,
    /// A member's document breaks the document rules.
    #[error("member {index}: {reason}")]
    MemberDocument {
        /// The member's index.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A member has no capability-invocation key of the profile's algorithm.
    #[error("member {index} has no governance key of the profile's algorithm")]
    MemberWithoutGovernanceKey {
        /// The member's index.
        index: usize,
    },
    /// Two members have the same DID.
    #[error("two members have the same DID")]
    DuplicateMember,
    /// The validator set is invalid.
    #[error("validator set: {0}")]
    Validators(#[from] ValidatorSetError),
}

/// Whether `chain_id` is 1–64 printable ASCII characters without spaces.
pub fn is_valid_chain_id(chain_id: &str) -> bool {
    !chain_id.is_empty()
        && chain_id.len() <= MAX_CHAIN_ID_LEN
        && chain_id.bytes().all(|b| b.is_ascii_graphic())
}
