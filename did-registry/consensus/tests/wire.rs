//! The borsh encodings the engine's network, write-ahead log and sync carry the registry's
//! types in (`wire.rs`), and proposal parts signed by their proposer: what round-trips, and
//! what a peer cannot slip through.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use arc_malachitebft_core_types::{NilOrVal, Round, Value as _, VoteType};
use crosscode_core::keys::SecretKey;
use crosscode_did_registry::block::{CommitCertificate, CommitSignature, Header};
use crosscode_did_registry::ledger::Block;
use crosscode_did_registry::merkle::merkle_root;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_registry_consensus::{
    BlockPart, ChainSignature, ChainSigner, ChainVerifier, Height, Proposal, ProposedBlock,
    RegistryContext, Vote,
};
use crosscode_testing::registry::{CHAIN_ID, key_algorithm};

fn block(profile: CryptoProfile) -> Block {
    Block {
        header: Header {
            chain_id: CHAIN_ID.into(),
            height: 2,
            time: 1_700_000_000,
            previous_hash: [1; 32],
            transactions_root: merkle_root(profile, &[]),
            state_root: [2; 32],
            validators_hash: [3; 32],
            next_validators_hash: [3; 32],
        },
        transactions: Vec::new(),
    }
}

fn certificate() -> CommitCertificate {
    CommitCertificate {
        height: 1,
        round: 0,
        value_id: [9; 32],
        signatures: vec![CommitSignature {
            validator: 0,
            signature: vec![7; 64],
        }],
    }
}

fn signer(profile: CryptoProfile) -> (RegistryContext, ChainSigner) {
    let ctx = RegistryContext::new(CHAIN_ID, profile);
    let signer = ChainSigner::new(&ctx, SecretKey::generate(key_algorithm(profile))).unwrap();
    (ctx, signer)
}

#[test]
fn a_proposed_block_with_its_previous_certificate_round_trips_on_both_profiles() {
    for profile in CryptoProfile::ALL {
        let value =
            ProposedBlock::new(profile, &block(profile)).with_previous(Some(&certificate()));
        let bytes = borsh::to_vec(&value).unwrap();
        let back: ProposedBlock = borsh::from_slice(&bytes).unwrap();
        assert_eq!(back, value);
        assert_eq!(back.id(), value.id());
        assert_eq!(back.profile(), profile);
        assert_eq!(back.previous().unwrap(), Some(certificate()));
        assert_eq!(back.block().unwrap(), block(profile));
    }
}

#[test]
fn a_block_whose_transactions_are_not_its_headers_does_not_decode() {
    let profile = CryptoProfile::Standard;
    let mut wrong = block(profile);
    wrong.header.transactions_root = [0xaa; 32];
    // Built locally it keeps the header as given; arriving from a peer it is refused.
    let value = ProposedBlock::new(profile, &wrong);
    let bytes = borsh::to_vec(&value).unwrap();
    assert!(borsh::from_slice::<ProposedBlock>(&bytes).is_err());
}

#[test]
fn unknown_profiles_trailing_bytes_and_short_signatures_are_refused() {
    let profile = CryptoProfile::Standard;
    let value = ProposedBlock::new(profile, &block(profile));
    let mut bytes = borsh::to_vec(&value).unwrap();
    let mut other_profile = bytes.clone();
    other_profile[0] = 7;
    assert!(borsh::from_slice::<ProposedBlock>(&other_profile).is_err());
    bytes.push(0);
    assert!(borsh::from_slice::<ProposedBlock>(&bytes).is_err());
    let short = borsh::to_vec(&vec![0u8; 63]).unwrap();
    assert!(borsh::from_slice::<ChainSignature>(&short).is_err());
    // A previous certificate that is not one.
    let mut garbage = borsh::to_vec(&ProposedBlock::new(profile, &block(profile))).unwrap();
    garbage.pop();
    garbage.push(1);
    garbage.extend(borsh::to_vec(&vec![1u8, 2, 3]).unwrap());
    assert!(borsh::from_slice::<ProposedBlock>(&garbage).is_err());
}

#[test]
fn votes_and_proposals_round_trip() {
    let profile = CryptoProfile::GuoMi;
    let (_, signer) = signer(profile);
    let value = ProposedBlock::new(profile, &block(profile));
    let vote = Vote::new(
        VoteType::Precommit,
        Height(2),
        Round::new(1),
        NilOrVal::Val(value.id()),
        signer.address(),
    );
    let back: Vote = borsh::from_slice(&borsh::to_vec(&vote).unwrap()).unwrap();
    assert_eq!(back, vote);
    let proposal = Proposal {
        height: Height(2),
        round: Round::new(1),
        value,
        pol_round: Round::Nil,
        proposer: signer.address(),
    };
    let back: Proposal = borsh::from_slice(&borsh::to_vec(&proposal).unwrap()).unwrap();
    assert_eq!(back, proposal);
}

#[test]
fn a_part_verifies_only_with_its_proposers_key_and_as_signed() {
    for profile in CryptoProfile::ALL {
        let (ctx, proposer) = signer(profile);
        let (_, other) = signer(profile);
        let verifier = ChainVerifier::new(&ctx);
        let value = ProposedBlock::new(profile, &block(profile));
        let part = proposer
            .sign_part(Height(2), Round::new(0), Round::Nil, value.clone())
            .unwrap();
        assert!(verifier.verify_part(&part, proposer.public_key()));
        assert!(!verifier.verify_part(&part, other.public_key()));
        let back: BlockPart = borsh::from_slice(&borsh::to_vec(&part).unwrap()).unwrap();
        assert_eq!(back, part);
        assert!(verifier.verify_part(&back, proposer.public_key()));
        // Relabelled to another round or lock round, or claimed by another proposer: refused.
        let relabelled = BlockPart {
            round: Round::new(1),
            ..part.clone()
        };
        assert!(!verifier.verify_part(&relabelled, proposer.public_key()));
        let relocked = BlockPart {
            pol_round: Round::new(0),
            ..part.clone()
        };
        assert!(!verifier.verify_part(&relocked, proposer.public_key()));
        let claimed = BlockPart {
            proposer: other.address(),
            ..part.clone()
        };
        assert!(!verifier.verify_part(&claimed, other.public_key()));
        // The previous certificate swapped by a relaying peer.
        let swapped = BlockPart {
            value: part.value.clone().with_previous(Some(&certificate())),
            ..part.clone()
        };
        assert!(!verifier.verify_part(&swapped, proposer.public_key()));
        // Another chain's part.
        let elsewhere = ChainVerifier::new(&RegistryContext::new("another-chain", profile));
        assert!(!elsewhere.verify_part(&part, proposer.public_key()));
        // A part of no round cannot be signed.
        assert!(
            proposer
                .sign_part(Height(2), Round::Nil, Round::Nil, value)
                .is_err()
        );
    }
}
