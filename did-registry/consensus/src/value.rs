//! The value a round decides: a proposed block, carried whole in the proposal. Its id is the
//! header hash, so votes — and the commit certificate — commit to the header, which commits to
//! the transactions, the state after them and the validator sets. A validator re-executes the
//! block before it prevotes for it (the adapter's part); here a value received as bytes is
//! checked to be a block whose transactions are the ones its header's transactions root names
//! (so a relaying peer cannot swap them under the proposer's signature), and its id is
//! recomputed from the header.

use std::fmt;
use std::sync::Arc;

use arc_malachitebft_core_types::{self as malachite};
use crosscode_did_registry::block::CommitCertificate;
use crosscode_did_registry::codec::{Decode, DecodeError, Encode};
use crosscode_did_registry::ledger::Block;
use crosscode_did_registry::merkle::merkle_root;
use crosscode_did_registry::profile::CryptoProfile;

use arc_malachitebft_core_types::Round;

use crate::context::{Address, Height, RegistryContext};
use crate::messages::proposal_message;
use crate::signing::ChainSignature;

/// A value id: the proposed block's header hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ValueId(pub [u8; 32]);

impl fmt::Display for ValueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// Why bytes are not a proposed block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// The bytes do not decode as a block.
    #[error("not a block: {0}")]
    Decode(#[from] DecodeError),
    /// The transactions are not the ones the header's transactions root names.
    #[error("the block's transactions are not the ones its header commits to")]
    TransactionsRoot,
}

/// A proposed block: its canonical encoding and its id (its header hash).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProposedBlock {
    id: ValueId,
    profile: CryptoProfile,
    encoded: Arc<[u8]>,
    /// The encoded certificate of the block before, as the proposer holds it (outside the
    /// id: see [`ProposedBlock::with_previous`]).
    previous: Option<Arc<[u8]>>,
}

impl ProposedBlock {
    /// `block` as a value on a chain of `profile`.
    pub fn new(profile: CryptoProfile, block: &Block) -> ProposedBlock {
        ProposedBlock {
            id: ValueId(block.header.hash(profile)),
            profile,
            encoded: Arc::from(block.to_bytes()),
            previous: None,
        }
    }

    /// This value carrying `certificate`, the proposer's certificate of the block before (the
    /// head it builds on). Every validator replaces the certificate it stored for that block
    /// with the one the decided value carries, so that all serve the same. It is not part of
    /// the value id (votes sign the header hash): each validator checks it before voting, and
    /// a peer that swaps it for another valid certificate can only make validators keep
    /// different valid certificates.
    pub fn with_previous(mut self, certificate: Option<&CommitCertificate>) -> ProposedBlock {
        self.previous = certificate.map(|certificate| Arc::from(certificate.to_bytes()));
        self
    }

    /// The certificate of the block before it carries, if any.
    pub fn previous(&self) -> Result<Option<CommitCertificate>, ValueError> {
        Ok(self
            .previous
            .as_deref()
            .map(CommitCertificate::from_bytes)
            .transpose()?)
    }

    /// Its encoded previous certificate, if any.
    pub fn previous_encoded(&self) -> Option<&[u8]> {
        self.previous.as_deref()
    }

    /// The value whose canonical encoding is `bytes` (as received from a peer): its
    /// transactions must be the ones its header's transactions root names; its id is
    /// recomputed.
    pub fn from_bytes(profile: CryptoProfile, bytes: &[u8]) -> Result<ProposedBlock, ValueError> {
        let block = Block::from_bytes(bytes)?;
        let hashes: Vec<[u8; 32]> = block
            .transactions
            .iter()
            .map(|transaction| transaction.hash(profile))
            .collect();
        if merkle_root(profile, &hashes) != block.header.transactions_root {
            return Err(ValueError::TransactionsRoot);
        }
        Ok(ProposedBlock::new(profile, &block))
    }

    /// The block.
    pub fn block(&self) -> Result<Block, ValueError> {
        Ok(Block::from_bytes(&self.encoded)?)
    }

    /// The canonical encoding.
    pub fn encoded(&self) -> &[u8] {
        &self.encoded
    }

    /// The profile whose hash its id is.
    pub fn profile(&self) -> CryptoProfile {
        self.profile
    }
}

impl malachite::Value for ProposedBlock {
    type Id = ValueId;

    fn id(&self) -> ValueId {
        self.id
    }
}

/// Domain tag of proposal-part messages.
pub const PART_DOMAIN: &[u8] = b"crosscode-proposal-part-v1\0";

/// A proposal part: the whole proposed block with the height, round and proposer it is
/// proposed for, signed by the proposer over the part message, so a validator knows who sent
/// a block — and the previous certificate it carries — before it spends a re-execution on it.
/// A block is always one part, first and last.
///
/// ```text
/// part message = "crosscode-proposal-part-v1" || 0x00 || proposal message
///                || (0x00 | 0x01 || H(previous certificate encoding))
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockPart {
    /// The height.
    pub height: Height,
    /// The round.
    pub round: Round,
    /// The round of the proof of lock it re-proposes, or nil.
    pub pol_round: Round,
    /// The proposer.
    pub proposer: Address,
    /// The block.
    pub value: ProposedBlock,
    /// The proposer's signature over the part message.
    pub signature: ChainSignature,
}

impl BlockPart {
    /// The message the proposer signs on chain `chain_id` (see the type's docs); `None` for a
    /// part of no round.
    pub fn message(&self, chain_id: &str) -> Option<Vec<u8>> {
        part_message(
            chain_id,
            self.height,
            self.round,
            self.pol_round,
            &self.value,
            &self.proposer,
        )
    }
}

/// The part message of `value` (see [`BlockPart`]); `None` when `round` is nil.
pub fn part_message(
    chain_id: &str,
    height: Height,
    round: Round,
    pol_round: Round,
    value: &ProposedBlock,
    proposer: &Address,
) -> Option<Vec<u8>> {
    let proposal = proposal_message(chain_id, height, round, pol_round, &value.id, proposer)?;
    let mut message = Vec::with_capacity(PART_DOMAIN.len() + proposal.len() + 33);
    message.extend_from_slice(PART_DOMAIN);
    message.extend_from_slice(&proposal);
    match value.previous_encoded() {
        None => message.push(0),
        Some(previous) => {
            message.push(1);
            message.extend_from_slice(&value.profile.hash(&[previous]));
        }
    }
    Some(message)
}

impl malachite::ProposalPart<RegistryContext> for BlockPart {
    fn is_first(&self) -> bool {
        true
    }

    fn is_last(&self) -> bool {
        true
    }
}
