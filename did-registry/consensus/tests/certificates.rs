//! Four validators sign through the consensus context as the engine would; their precommits
//! make one certificate that Malachite's verifier and the registry's offline verifier judge
//! alike. Scenario names follow malachite's habit: `n4f1` = four validators, one faulty.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use arc_malachitebft_core_types::{
    CertificateError as EngineError, Context, NilOrVal, Round, SignedVote, ThresholdParams,
    Value as _,
};
use arc_malachitebft_signing::{Signer, Verifier, VerifierExt};
use crosscode_core::keys::SecretKey;
use crosscode_did_registry::block::{CertificateError, Header, verify_certificate};
use crosscode_did_registry::codec::Encode;
use crosscode_did_registry::ledger::Block;
use crosscode_did_registry::merkle::merkle_root;
use crosscode_did_registry::ordering::CoreSignatureVerifier;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::validators::ValidatorSet;
use crosscode_registry_consensus::certificate::{
    ConversionError, EngineCertificate, to_engine, to_registry,
};
use crosscode_registry_consensus::{
    Address, ChainScheme, ChainSigner, ChainVerifier, Height, NoRound, ProposedBlock,
    RegistryContext, SchemeError, Validators, ValueError, ValueId,
};
use crosscode_testing::registry::{CHAIN_ID, key_algorithm, validator_set};

/// Four validators of equal power, a block at height 1 for them to decide, and the context.
struct Four {
    profile: CryptoProfile,
    ctx: RegistryContext,
    set: ValidatorSet,
    validators: Validators,
    signers: Vec<ChainSigner>,
    header: Header,
    value: ProposedBlock,
}

fn header(set: &ValidatorSet, profile: CryptoProfile, state_root: [u8; 32]) -> Header {
    Header {
        chain_id: CHAIN_ID.into(),
        height: 1,
        time: 1_700_000_000,
        previous_hash: [1; 32],
        transactions_root: merkle_root(profile, &[]),
        state_root,
        validators_hash: set.hash(profile),
        next_validators_hash: set.hash(profile),
    }
}

fn four(profile: CryptoProfile) -> Four {
    let (keys, set) = validator_set(profile, 4);
    let header = header(&set, profile, [3; 32]);
    let value = ProposedBlock::new(
        profile,
        &Block {
            header: header.clone(),
            transactions: Vec::new(),
        },
    );
    let ctx = RegistryContext::new(CHAIN_ID, profile);
    Four {
        profile,
        validators: Validators::new(profile, &set).unwrap(),
        signers: keys
            .into_iter()
            .map(|key| ChainSigner::new(&ctx, key).unwrap())
            .collect(),
        ctx,
        set,
        header,
        value,
    }
}

impl Four {
    /// Precommits of the validators at `who` for `value_id` in `round`.
    async fn precommits(
        &self,
        round: u32,
        value_id: ValueId,
        who: &[usize],
    ) -> Vec<SignedVote<RegistryContext>> {
        let mut votes = Vec::new();
        for &i in who {
            let signer = &self.signers[i];
            let vote = self.ctx.new_precommit(
                Height(1),
                Round::new(round),
                NilOrVal::Val(value_id),
                signer.address(),
            );
            votes.push(signer.sign_vote(vote).await.unwrap());
        }
        votes
    }

    /// The engine's certificate from the precommits of `who` for the block, in `round`.
    async fn certificate(&self, round: u32, who: &[usize]) -> EngineCertificate {
        let id = self.value.id();
        EngineCertificate::new(
            Height(1),
            Round::new(round),
            id,
            self.precommits(round, id, who).await,
        )
    }

    async fn engine_verdict(
        &self,
        certificate: &EngineCertificate,
    ) -> Result<(), EngineError<RegistryContext>> {
        ChainVerifier::new(&self.ctx)
            .verify_commit_certificate(
                &self.ctx,
                certificate,
                &self.validators,
                ThresholdParams::default(),
            )
            .await
    }

    fn registry_verdict(&self, certificate: &EngineCertificate) -> Result<(), CertificateError> {
        let converted = to_registry(certificate, &self.validators).unwrap();
        verify_certificate(
            self.profile,
            CHAIN_ID,
            &self.header,
            &converted,
            &self.set,
            &CoreSignatureVerifier,
        )
    }
}

#[tokio::test]
async fn n4f0_four_precommits_certify_the_block_for_the_engine_and_for_the_offline_verifier() {
    for profile in [CryptoProfile::Standard, CryptoProfile::GuoMi] {
        let four = four(profile);
        let certificate = four.certificate(0, &[0, 1, 2, 3]).await;
        assert_eq!(certificate.value_id, ValueId(four.header.hash(profile)));
        four.engine_verdict(&certificate).await.unwrap();
        four.registry_verdict(&certificate).unwrap();
    }
}

#[tokio::test]
async fn n4f1_three_precommits_in_a_later_round_still_certify_the_block() {
    let four = four(CryptoProfile::Standard);
    let certificate = four.certificate(3, &[3, 0, 2]).await;
    four.engine_verdict(&certificate).await.unwrap();
    four.registry_verdict(&certificate).unwrap();
    let converted = to_registry(&certificate, &four.validators).unwrap();
    assert_eq!(converted.round, 3);
    let positions: Vec<u32> = converted.signatures.iter().map(|s| s.validator).collect();
    assert_eq!(
        positions,
        [0, 2, 3],
        "by position, whatever order the votes came in"
    );
}

#[tokio::test]
async fn n4f2_two_precommits_certify_nothing() {
    let four = four(CryptoProfile::GuoMi);
    let certificate = four.certificate(0, &[1, 2]).await;
    let power = four.set.validators()[0].power;
    let verdict = four.engine_verdict(&certificate).await;
    assert!(
        matches!(
            verdict,
            Err(EngineError::NotEnoughVotingPower { signed, total, .. })
                if signed == 2 * power && total == 4 * power
        ),
        "{verdict:?}"
    );
    assert_eq!(
        four.registry_verdict(&certificate),
        Err(CertificateError::InsufficientPower {
            signed: 2 * power,
            total: 4 * power
        })
    );
}

#[tokio::test]
async fn n4f1_byzantine_a_precommit_for_a_header_with_another_state_root_does_not_count() {
    let four = four(CryptoProfile::Standard);
    // Validator 3 re-executed nothing and precommitted a header with a wrong state root.
    let forged = ValueId(header(&four.set, four.profile, [9; 32]).hash(four.profile));
    let id = four.value.id();
    let mut votes = four.precommits(0, id, &[0, 1]).await;
    votes.extend(four.precommits(0, forged, &[3]).await);
    // The engine leaves a precommit for another value out of the certificate…
    let certificate = EngineCertificate::new(Height(1), Round::new(0), id, votes.clone());
    assert_eq!(certificate.commit_signatures.len(), 2);
    let power = four.set.validators()[0].power;
    let verdict = four.engine_verdict(&certificate).await;
    assert!(
        matches!(verdict, Err(EngineError::NotEnoughVotingPower { signed, .. }) if signed == 2 * power),
        "{verdict:?}"
    );
    // …and a certificate that counts it anyway is refused by both verifiers.
    let mut padded = certificate.clone();
    padded
        .commit_signatures
        .push(arc_malachitebft_core_types::CommitSignature::new(
            votes[2].message.validator,
            votes[2].signature.clone(),
        ));
    assert!(matches!(
        four.engine_verdict(&padded).await,
        Err(EngineError::InvalidCommitSignature(_))
    ));
    assert_eq!(
        four.registry_verdict(&padded),
        Err(CertificateError::BadSignature { index: 3 })
    );
}

#[tokio::test]
async fn a_certificate_converts_to_the_registry_format_and_back_unchanged() {
    let four = four(CryptoProfile::GuoMi);
    let certificate = four.certificate(1, &[0, 1, 3]).await;
    let registry = to_registry(&certificate, &four.validators).unwrap();
    let back = to_engine(&registry, &four.validators).unwrap();
    assert_eq!(back, certificate);
    assert_eq!(
        to_registry(&back, &four.validators).unwrap().to_bytes(),
        registry.to_bytes()
    );
}

#[tokio::test]
async fn a_certificate_naming_a_stranger_twice_or_no_round_does_not_convert() {
    let four = four(CryptoProfile::Standard);
    let mut stranger = four.certificate(0, &[0, 1, 2]).await;
    stranger.commit_signatures[0].address = Address([7; 20]);
    assert_eq!(
        to_registry(&stranger, &four.validators),
        Err(ConversionError::UnknownValidator)
    );
    let mut twice = four.certificate(0, &[0, 1, 2]).await;
    let first = twice.commit_signatures[0].clone();
    twice.commit_signatures.push(first);
    assert_eq!(
        to_registry(&twice, &four.validators),
        Err(ConversionError::DuplicateValidator)
    );
    let mut no_round = four.certificate(0, &[0, 1, 2]).await;
    no_round.round = Round::Nil;
    assert_eq!(
        to_registry(&no_round, &four.validators),
        Err(ConversionError::NoRound)
    );
    let mut registry =
        to_registry(&four.certificate(0, &[0, 1, 2]).await, &four.validators).unwrap();
    let mut beyond = registry.clone();
    beyond.signatures[2].validator = 4;
    assert_eq!(
        to_engine(&beyond, &four.validators),
        Err(ConversionError::UnknownValidator)
    );
    // Out of position order: the offline verifier would refuse it, so it does not convert.
    registry.signatures.swap(0, 1);
    assert_eq!(
        to_engine(&registry, &four.validators),
        Err(ConversionError::UnorderedSignatures)
    );
}

#[tokio::test]
async fn a_proposal_verifies_under_its_proposers_key_only_as_signed() {
    let four = four(CryptoProfile::GuoMi);
    let proposer = &four.signers[1];
    let proposal = four.ctx.new_proposal(
        Height(1),
        Round::new(0),
        four.value.clone(),
        Round::Nil,
        proposer.address(),
    );
    let signed = proposer.sign_proposal(proposal.clone()).await.unwrap();
    let verifier = ChainVerifier::new(&four.ctx);
    let verify = |proposal, key| {
        let verifier = verifier.clone();
        let signature = signed.signature.clone();
        async move {
            verifier
                .verify_signed_proposal(&proposal, &signature, key)
                .await
                .unwrap()
                .is_valid()
        }
    };
    assert!(verify(proposal.clone(), proposer.public_key()).await);
    assert!(
        !verify(proposal.clone(), four.signers[2].public_key()).await,
        "another validator's key"
    );
    let relabelled = crosscode_registry_consensus::Proposal {
        proposer: four.signers[2].address(),
        ..proposal.clone()
    };
    assert!(
        !verify(relabelled, proposer.public_key()).await,
        "claimed by another proposer"
    );
    let relocked = crosscode_registry_consensus::Proposal {
        pol_round: Round::new(0),
        ..proposal.clone()
    };
    assert!(
        !verify(relocked, proposer.public_key()).await,
        "another proof-of-lock round"
    );
    let elsewhere = ChainVerifier::new(&RegistryContext::new("another-chain", four.profile))
        .verify_signed_proposal(&proposal, &signed.signature, proposer.public_key())
        .await
        .unwrap();
    assert!(elsewhere.is_invalid(), "a proposal of another chain");
}

#[tokio::test]
async fn a_prevote_signature_does_not_verify_as_a_precommit() {
    let four = four(CryptoProfile::Standard);
    let signer = &four.signers[0];
    let id = NilOrVal::Val(four.value.id());
    let prevote = four
        .ctx
        .new_prevote(Height(1), Round::new(0), id, signer.address());
    let signed = signer.sign_vote(prevote).await.unwrap();
    let precommit = four
        .ctx
        .new_precommit(Height(1), Round::new(0), id, signer.address());
    let verifier = ChainVerifier::new(&four.ctx);
    assert!(
        verifier
            .verify_signed_vote(&signed.message, &signed.signature, signer.public_key())
            .await
            .unwrap()
            .is_valid()
    );
    assert!(
        verifier
            .verify_signed_vote(&precommit, &signed.signature, signer.public_key())
            .await
            .unwrap()
            .is_invalid()
    );
}

#[tokio::test]
async fn a_vote_of_no_round_is_not_signed() {
    let four = four(CryptoProfile::Standard);
    let signer = &four.signers[0];
    let vote = four
        .ctx
        .new_precommit(Height(1), Round::Nil, NilOrVal::Nil, signer.address());
    let refused = signer.sign_vote(vote).await.unwrap_err();
    assert!(
        refused
            .into_source()
            .unwrap()
            .0
            .downcast_ref::<NoRound>()
            .is_some()
    );
}

#[tokio::test]
async fn a_validator_proof_binds_its_chain_key_to_one_peer_id() {
    let four = four(CryptoProfile::GuoMi);
    let signer = &four.signers[0];
    let key_bytes = signer.public_key().to_bytes();
    let proof = signer
        .sign_validator_proof(key_bytes.clone(), b"peer-a".to_vec())
        .await
        .unwrap();
    let verifier = ChainVerifier::new(&four.ctx);
    assert!(
        verifier
            .verify_validator_proof(&proof)
            .await
            .unwrap()
            .is_valid()
    );
    let mut moved = proof.clone();
    moved.peer_id = b"peer-b".to_vec();
    assert!(
        verifier
            .verify_validator_proof(&moved)
            .await
            .unwrap()
            .is_invalid()
    );
    let mut garbage = proof;
    garbage.public_key = vec![9; 5];
    assert!(
        verifier
            .verify_validator_proof(&garbage)
            .await
            .unwrap()
            .is_invalid()
    );
}

#[test]
fn the_proposer_rotates_through_all_four_validators_by_height_and_round() {
    let four = four(CryptoProfile::Standard);
    let proposers: Vec<Address> = (0..4)
        .map(|round| {
            four.ctx
                .select_proposer(&four.validators, Height(1), Round::new(round))
                .address
        })
        .collect();
    let mut distinct = proposers.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 4);
    assert_eq!(
        four.ctx
            .select_proposer(&four.validators, Height(2), Round::new(0))
            .address,
        proposers[1],
        "the next height starts with the next validator"
    );
}

#[test]
fn a_block_received_as_bytes_is_identified_by_its_header_hash_and_garbage_is_a_typed_error() {
    let four = four(CryptoProfile::GuoMi);
    let received = ProposedBlock::from_bytes(four.profile, four.value.encoded()).unwrap();
    assert_eq!(received, four.value);
    assert_eq!(received.block().unwrap().header, four.header);
    assert!(matches!(
        ProposedBlock::from_bytes(four.profile, &four.value.encoded()[..10]),
        Err(ValueError::Decode(_))
    )); // A peer that relays the proposal with other transactions than the header names.
    let mut swapped = four.header.clone();
    swapped.transactions_root = [2; 32];
    let block = Block {
        header: swapped,
        transactions: Vec::new(),
    };
    assert_eq!(
        ProposedBlock::from_bytes(four.profile, &block.to_bytes()),
        Err(ValueError::TransactionsRoot)
    );
}

#[test]
fn a_signer_whose_key_is_not_of_the_chains_algorithm_is_refused() {
    let ctx = RegistryContext::new(CHAIN_ID, CryptoProfile::GuoMi);
    let ed25519 = SecretKey::generate(key_algorithm(CryptoProfile::Standard));
    assert!(matches!(
        ChainSigner::new(&ctx, ed25519),
        Err(SchemeError::WrongAlgorithm)
    ));
}

#[test]
fn a_signature_or_key_of_the_wrong_shape_does_not_decode() {
    use arc_malachitebft_core_types::SigningScheme as _;
    assert_eq!(
        ChainScheme::decode_signature(&[0; 63]),
        Err(SchemeError::Signature(63))
    );
    assert!(ChainScheme::decode_signature(&[0; 64]).is_ok());
    assert!(matches!(
        ChainScheme::decode_public_key(&[9; 5]),
        Err(SchemeError::Key(_))
    ));
}
