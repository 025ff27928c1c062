//! Votes: what a validator signs. The chain is ordered by a Tendermint-style BFT engine
//! (Malachite; the `solo` adapter for one validator): in each round of a height, validators
//! **prevote** and then **precommit** for a proposed value or for nil. A value is decided when
//! precommits for it in one round carry more than 2/3 of the voting power; those precommits are
//! the block's [`CommitCertificate`](crate::block::CommitCertificate). The value id is the
//! header hash, so a precommit commits to the whole header (transactions root, state root,
//! validator sets).
//!
//! ```text
//! vote message = "crosscode-vote-v1" || 0x00 || str chain_id || u8 kind
//!                || u64 height || u32 round || value
//! kind         = 1 (prevote) / 2 (precommit)
//! value        = 0x00 (nil) / 0x01 || value_id (32 bytes: the header hash)
//! ```
//!
//! (`str` is the codec's length-prefixed UTF-8, integers big-endian; [`crate::codec`].) The
//! chain id keeps one chain's votes out of another's, the kind keeps a prevote from counting
//! as a precommit, and the round keeps a vote from one round out of another. A validator signs
//! the message with its chain key (Ed25519 or SM2, by the chain's profile). Uses only
//! `core`/`alloc`.

use alloc::vec::Vec;

use crate::codec::Writer;

/// Domain tag of vote messages.
pub const VOTE_DOMAIN: &[u8] = b"crosscode-vote-v1\0";

/// The two votes of a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VoteKind {
    /// The first vote of a round.
    Prevote,
    /// The second vote: a value is decided by more than 2/3 of precommits for it.
    Precommit,
}

impl VoteKind {
    /// The kind's byte in a vote message.
    pub fn code(self) -> u8 {
        match self {
            VoteKind::Prevote => 1,
            VoteKind::Precommit => 2,
        }
    }
}

/// The message a validator signs to vote `kind` at `height` and `round` of chain `chain_id`
/// for `value` (a header hash), or for nil when `value` is `None`.
pub fn vote_message(
    chain_id: &str,
    kind: VoteKind,
    height: u64,
    round: u32,
    value: Option<&[u8; 32]>,
) -> Vec<u8> {
    let mut w = Writer::new();
    w.raw(VOTE_DOMAIN);
    w.str(chain_id);
    w.u8(kind.code());
    w.u64(height);
    w.u32(round);
    match value {
        None => w.u8(0),
        Some(value_id) => {
            w.u8(1);
            w.hash(value_id);
        }
    }
    w.into_bytes()
}

/// The message of a precommit for `value_id` (what a commit certificate's signatures sign).
pub fn precommit_message(chain_id: &str, height: u64, round: u32, value_id: &[u8; 32]) -> Vec<u8> {
    vote_message(chain_id, VoteKind::Precommit, height, round, Some(value_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vote_message_is_the_documented_bytes() {
        let message = precommit_message("cc", 7, 2, &[0xab; 32]);
        let mut expected = b"crosscode-vote-v1\0".to_vec();
        expected.extend_from_slice(&[0, 0, 0, 2]); // str length (u32 BE), as the codec writes it
        expected.extend_from_slice(b"cc");
        expected.push(2);
        expected.extend_from_slice(&7u64.to_be_bytes());
        expected.extend_from_slice(&2u32.to_be_bytes());
        expected.push(1);
        expected.extend_from_slice(&[0xab; 32]);
        assert_eq!(message, expected);
    }

    #[test]
    fn prevotes_precommits_rounds_chains_and_nil_sign_different_messages() {
        let value = [1u8; 32];
        let base = precommit_message("cc", 7, 0, &value);
        for other in [
            vote_message("cc", VoteKind::Prevote, 7, 0, Some(&value)),
            vote_message("cc", VoteKind::Precommit, 7, 0, None),
            precommit_message("cc", 7, 1, &value),
            precommit_message("cc", 8, 0, &value),
            precommit_message("cd", 7, 0, &value),
            precommit_message("cc", 7, 0, &[2u8; 32]),
        ] {
            assert_ne!(base, other);
        }
    }
}
