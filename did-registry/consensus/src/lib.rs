//! The registry chain's **consensus context** for Malachite BFT (`arc-malachitebft-*`, pinned
//! at 0.8.2), without I/O: the types a Tendermint-style engine orders blocks with, signed with
//! the chain's own keys (Ed25519 on the standard profile, SM2 on the GuoMi profile), and the
//! conversion between the engine's commit certificate and the one proof bundles carry.
//!
//! | Malachite | here | format |
//! |---|---|---|
//! | height | [`Height`] | `u64`; genesis is 0, the first decided block 1 |
//! | address | [`Address`] | 20 bytes: `H("crosscode-validator-address-v1" ‖ 0x00 ‖ ChainKey)[..20]` (the profile's hash, the key's codec encoding) |
//! | validator set | [`Validators`] | the chain's [`ValidatorSet`](crosscode_did_registry::validators::ValidatorSet) in its order: a certificate names signers by position |
//! | value / value id | [`ProposedBlock`] / [`ValueId`] | an encoded block (header ‖ transactions); its id is the header hash |
//! | proposal part | [`BlockPart`] | the whole block with the previous certificate it carries, signed by its proposer over the part message (one part per proposal) |
//! | vote | [`Vote`] | signed as [`crosscode_did_registry::vote`]'s vote message |
//! | proposal | [`Proposal`] | signed as the proposal message below |
//! | signing scheme | [`ChainScheme`] | chain keys and their signatures |
//! | commit certificate | [`certificate`] | the registry's `CommitCertificate` (version 2) |
//! | wire encodings | borsh | see `wire.rs`: what the engine's network, WAL and sync codecs carry |
//!
//! ```text
//! proposal message  = "crosscode-proposal-v1" || 0x00 || str chain_id || u64 height
//!                     || u32 round || (0x00 | 0x01 || u32 pol_round) || value_id || address
//! extension message = "crosscode-vote-extension-v1" || 0x00 || str chain_id || u64 height
//!                     || u32 round || value_id || address || bytes extension
//! validator proof   = Malachite's ValidatorProof::signing_bytes(ChainKey encoding, peer id)
//! ```
//!
//! The proposer of round `r` at height `h` is the validator at position `(h + r) mod n`. Votes
//! carry no extensions (`()`); the signed messages leave them out, as Malachite requires.

pub mod certificate;
mod context;
mod messages;
mod signing;
mod value;
mod wire;

pub use context::{
    ADDRESS_DOMAIN, Address, Height, RegistryContext, Validator, Validators, ValidatorsError,
};
pub use messages::{PROPOSAL_DOMAIN, Proposal, Vote, proposal_message};
pub use signing::{
    ChainScheme, ChainSignature, ChainSigner, ChainVerifier, EXTENSION_DOMAIN, NoRound, SchemeError,
};
pub use value::{BlockPart, PART_DOMAIN, ProposedBlock, ValueError, ValueId, part_message};
