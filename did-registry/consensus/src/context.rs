//! The context: heights, addresses, validators and the proposer rotation.

use std::fmt;
use std::sync::Arc;

use arc_malachitebft_core_types::{self as malachite, NilOrVal, Round, VotingPower};
use crosscode_did_registry::codec::Encode;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::validators::{ChainKey, ValidatorSet};

use crate::messages::{Proposal, Vote};
use crate::signing::ChainScheme;
use crate::value::{BlockPart, ProposedBlock, ValueId};

/// Domain tag of validator addresses.
pub const ADDRESS_DOMAIN: &[u8] = b"crosscode-validator-address-v1\0";

/// The registry chain as Malachite sees it: its id (which every signed message names) and
/// its crypto profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryContext {
    chain_id: Arc<str>,
    profile: CryptoProfile,
}

impl RegistryContext {
    /// The context of chain `chain_id` of `profile`.
    pub fn new(chain_id: &str, profile: CryptoProfile) -> RegistryContext {
        RegistryContext {
            chain_id: Arc::from(chain_id),
            profile,
        }
    }

    /// The chain id.
    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// The crypto profile.
    pub fn profile(&self) -> CryptoProfile {
        self.profile
    }
}

/// A block height (genesis is 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Height(pub u64);

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl malachite::Height for Height {
    const ZERO: Self = Height(0);
    const INITIAL: Self = Height(1);

    fn increment_by(&self, n: u64) -> Self {
        Height(self.0.saturating_add(n))
    }

    fn decrement_by(&self, n: u64) -> Option<Self> {
        self.0.checked_sub(n).map(Height)
    }

    fn as_u64(&self) -> u64 {
        self.0
    }
}

/// A validator's address: the first 20 bytes of the hash of its chain key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address(pub [u8; 20]);

impl Address {
    /// The address of `key` on a chain of `profile`.
    pub fn of(profile: CryptoProfile, key: &ChainKey) -> Address {
        let digest = profile.hash(&[ADDRESS_DOMAIN, &key.to_bytes()]);
        let mut address = [0u8; 20];
        address.copy_from_slice(&digest[..20]);
        Address(address)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl malachite::Address for Address {}

/// A validator: its address, chain key and voting power.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validator {
    /// The address.
    pub address: Address,
    /// The key that signs its votes and proposals.
    pub key: ChainKey,
    /// Its voting power.
    pub power: VotingPower,
}

impl malachite::Validator<RegistryContext> for Validator {
    fn address(&self) -> &Address {
        &self.address
    }

    fn public_key(&self) -> &ChainKey {
        &self.key
    }

    fn voting_power(&self) -> VotingPower {
        self.power
    }
}

/// Why a chain's validator set cannot be the engine's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ValidatorsError {
    /// Two validators' keys hash to the same address.
    #[error("two validators share an address")]
    DuplicateAddress,
}

/// The chain's validator set, in the chain's order (a certificate names signers by position).
/// Never empty, and its total power is at most a third of `u64::MAX` (the chain refuses other
/// sets, `did_registry::validators::MAX_TOTAL_POWER`), so the engine's 3 × power never
/// overflows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validators {
    validators: Vec<Validator>,
    total: VotingPower,
}

impl Validators {
    /// The engine's view of `set` on a chain of `profile`.
    pub fn new(profile: CryptoProfile, set: &ValidatorSet) -> Result<Validators, ValidatorsError> {
        let validators: Vec<Validator> = set
            .validators()
            .iter()
            .map(|validator| Validator {
                address: Address::of(profile, &validator.key),
                key: validator.key.clone(),
                power: validator.power,
            })
            .collect();
        let mut addresses: Vec<Address> = validators.iter().map(|v| v.address).collect();
        addresses.sort_unstable();
        if addresses.windows(2).any(|pair| pair[0] == pair[1]) {
            return Err(ValidatorsError::DuplicateAddress);
        }
        Ok(Validators {
            validators,
            total: set.total_power(),
        })
    }

    /// The validators, in the chain's order.
    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }

    /// The position of the validator with `address`.
    pub fn position(&self, address: &Address) -> Option<usize> {
        self.validators.iter().position(|v| &v.address == address)
    }
}

impl malachite::ValidatorSet<RegistryContext> for Validators {
    fn count(&self) -> usize {
        self.validators.len()
    }

    fn total_voting_power(&self) -> VotingPower {
        self.total
    }

    fn get_by_address(&self, address: &Address) -> Option<&Validator> {
        self.validators.iter().find(|v| &v.address == address)
    }

    fn get_by_index(&self, index: usize) -> Option<&Validator> {
        self.validators.get(index)
    }
}

impl malachite::Context for RegistryContext {
    type Address = Address;
    type Height = Height;
    type ProposalPart = BlockPart;
    type Proposal = Proposal;
    type Validator = Validator;
    type ValidatorSet = Validators;
    type Timeouts = malachite::LinearTimeouts;
    type Value = ProposedBlock;
    type Vote = Vote;
    type Extension = ();
    type SigningScheme = ChainScheme;

    fn select_proposer<'a>(
        &self,
        validator_set: &'a Validators,
        height: Height,
        round: Round,
    ) -> &'a Validator {
        let count = validator_set.validators.len() as u64;
        let round = u64::from(round.as_u32().unwrap_or(0));
        let position = height.0.wrapping_add(round) % count.max(1);
        // `Validators` is never empty.
        &validator_set.validators[usize::try_from(position).unwrap_or(0)]
    }

    fn new_proposal(
        &self,
        height: Height,
        round: Round,
        value: ProposedBlock,
        pol_round: Round,
        address: Address,
    ) -> Proposal {
        Proposal {
            height,
            round,
            value,
            pol_round,
            proposer: address,
        }
    }

    fn new_prevote(
        &self,
        height: Height,
        round: Round,
        value_id: NilOrVal<ValueId>,
        address: Address,
    ) -> Vote {
        Vote::new(
            malachite::VoteType::Prevote,
            height,
            round,
            value_id,
            address,
        )
    }

    fn new_precommit(
        &self,
        height: Height,
        round: Round,
        value_id: NilOrVal<ValueId>,
        address: Address,
    ) -> Vote {
        Vote::new(
            malachite::VoteType::Precommit,
            height,
            round,
            value_id,
            address,
        )
    }
}
