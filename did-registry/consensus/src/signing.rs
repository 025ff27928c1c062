//! Signing with chain keys: Malachite's signing scheme and its signer / verifier ports over
//! `crosscode-core` keys (strict Ed25519; SM2 with SM3 and the default distinguishing ID).

use std::sync::Arc;

use arc_malachitebft_core_types::{
    SignedMessage, SigningScheme, ValidatorProof, VoteExtensionScope,
};
use arc_malachitebft_signing::{Error, Signer, VerificationResult, Verifier};
use async_trait::async_trait;
use crosscode_core::keys::SecretKey;
use crosscode_did_registry::block::SignatureVerifier;
use crosscode_did_registry::codec::{Decode, DecodeError, Encode, Writer};
use crosscode_did_registry::ordering::{CoreSignatureVerifier, chain_key};
use crosscode_did_registry::transaction::MAX_SIGNATURE_LEN;
use crosscode_did_registry::validators::ChainKey;

use arc_malachitebft_core_types::Round;

use crate::context::{Address, Height, RegistryContext};
use crate::messages::{Proposal, Vote};
use crate::value::{BlockPart, ProposedBlock, part_message};

/// Domain tag of vote-extension messages.
pub const EXTENSION_DOMAIN: &[u8] = b"crosscode-vote-extension-v1\0";

/// A chain key's signature: 64 bytes for both algorithms of the chain (Ed25519; SM2 `r ‖ s`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChainSignature(pub Vec<u8>);

/// Why bytes are not a chain key or signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemeError {
    /// Not a chain key.
    #[error("not a chain key: {0}")]
    Key(#[from] DecodeError),
    /// Not the 64 bytes of a chain signature.
    #[error("not a chain signature ({0} bytes, not 64)")]
    Signature(usize),
    /// A key of another algorithm than the chain's profile signs with.
    #[error("the key's algorithm is not the chain's")]
    WrongAlgorithm,
}

/// The chain's signing scheme: [`ChainKey`]s (their codec encoding on the wire) and their
/// signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainScheme;

impl SigningScheme for ChainScheme {
    type DecodingError = SchemeError;
    type Signature = ChainSignature;
    type PublicKey = ChainKey;
    type PrivateKey = Arc<SecretKey>;

    fn decode_signature(bytes: &[u8]) -> Result<ChainSignature, SchemeError> {
        if bytes.len() != MAX_SIGNATURE_LEN {
            return Err(SchemeError::Signature(bytes.len()));
        }
        Ok(ChainSignature(bytes.to_vec()))
    }

    fn encode_signature(signature: &ChainSignature) -> Vec<u8> {
        signature.0.clone()
    }

    fn decode_public_key(bytes: &[u8]) -> Result<ChainKey, SchemeError> {
        Ok(ChainKey::from_bytes(bytes)?)
    }

    fn encode_public_key(public_key: &ChainKey) -> Vec<u8> {
        public_key.to_bytes()
    }
}

/// The vote-extension message (see the crate documentation).
fn extension_message(
    chain_id: &str,
    scope: &VoteExtensionScope<RegistryContext>,
) -> Option<Vec<u8>> {
    let mut w = Writer::new();
    w.raw(EXTENSION_DOMAIN);
    w.str(chain_id);
    w.u64(scope.height.0);
    w.u32(scope.round.as_u32()?);
    w.hash(&scope.value_id.0);
    w.raw(&scope.validator_address.0);
    // The registry's extension is `()`: no bytes.
    w.bytes(&[]);
    Some(w.into_bytes())
}

/// Why the signer refused: a vote, proposal or extension of no round, which no validator may
/// sign (the source of the engine's signing error).
#[derive(Debug, thiserror::Error)]
#[error("a vote or proposal of no round cannot be signed")]
pub struct NoRound;

/// A validator's signer: its chain key, on one chain.
#[derive(Debug, Clone)]
pub struct ChainSigner {
    chain_id: String,
    key: Arc<SecretKey>,
    public: ChainKey,
    address: Address,
}

impl ChainSigner {
    /// The signer of `key` on the chain of `ctx`; the key must be of the algorithm the chain's
    /// profile signs with.
    pub fn new(ctx: &RegistryContext, key: SecretKey) -> Result<ChainSigner, SchemeError> {
        let profile = ctx.profile();
        if key.algorithm() != profile.key_algorithm() {
            return Err(SchemeError::WrongAlgorithm);
        }
        let public = chain_key(profile, &key);
        Ok(ChainSigner {
            chain_id: ctx.chain_id().to_owned(),
            address: Address::of(profile, &public),
            key: Arc::new(key),
            public,
        })
    }

    /// The validator's address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// The validator's chain key.
    pub fn public_key(&self) -> &ChainKey {
        &self.public
    }

    /// The part that carries `value` as this validator's proposal at `height` and `round`
    /// (re-proposing the value locked in `pol_round`, or nil), signed over the part message.
    pub fn sign_part(
        &self,
        height: Height,
        round: Round,
        pol_round: Round,
        value: ProposedBlock,
    ) -> Result<BlockPart, Error> {
        let message = part_message(
            &self.chain_id,
            height,
            round,
            pol_round,
            &value,
            &self.address,
        );
        Ok(BlockPart {
            height,
            round,
            pol_round,
            proposer: self.address,
            value,
            signature: self.sign(message)?,
        })
    }

    fn sign(&self, message: Option<Vec<u8>>) -> Result<ChainSignature, Error> {
        let message = message.ok_or_else(|| Error::from_source(NoRound))?;
        self.key
            .sign(&message)
            .map(ChainSignature)
            .map_err(|_| Error::new())
    }
}

#[async_trait]
impl Signer<RegistryContext> for ChainSigner {
    async fn sign_vote(&self, vote: Vote) -> Result<SignedMessage<RegistryContext, Vote>, Error> {
        let signature = self.sign(vote.message(&self.chain_id))?;
        Ok(SignedMessage::new(vote, signature))
    }

    async fn sign_proposal(
        &self,
        proposal: Proposal,
    ) -> Result<SignedMessage<RegistryContext, Proposal>, Error> {
        let signature = self.sign(proposal.message(&self.chain_id))?;
        Ok(SignedMessage::new(proposal, signature))
    }

    async fn sign_vote_extension(
        &self,
        scope: VoteExtensionScope<RegistryContext>,
        extension: (),
    ) -> Result<SignedMessage<RegistryContext, ()>, Error> {
        let signature = self.sign(extension_message(&self.chain_id, &scope))?;
        Ok(SignedMessage::new(extension, signature))
    }

    async fn sign_validator_proof(
        &self,
        public_key: Vec<u8>,
        peer_id: Vec<u8>,
    ) -> Result<ValidatorProof<RegistryContext>, Error> {
        let signature = self.sign(Some(ValidatorProof::<RegistryContext>::signing_bytes(
            &public_key,
            &peer_id,
        )))?;
        Ok(ValidatorProof::new(public_key, peer_id, signature))
    }
}

/// Verifies votes, proposals and validator proofs of one chain.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    chain_id: String,
}

impl ChainVerifier {
    /// The verifier of the chain of `ctx`.
    pub fn new(ctx: &RegistryContext) -> ChainVerifier {
        ChainVerifier {
            chain_id: ctx.chain_id().to_owned(),
        }
    }
}

impl ChainVerifier {
    /// Whether `part` is signed by `key` (its proposer's) over its proposal message.
    pub fn verify_part(&self, part: &BlockPart, key: &ChainKey) -> bool {
        verified(key, part.message(&self.chain_id), &part.signature).is_valid()
    }
}

fn verified(
    key: &ChainKey,
    message: Option<Vec<u8>>,
    signature: &ChainSignature,
) -> VerificationResult {
    VerificationResult::from_bool(
        message.is_some_and(|message| CoreSignatureVerifier.verify(key, &message, &signature.0)),
    )
}

#[async_trait]
impl Verifier<RegistryContext> for ChainVerifier {
    async fn verify_signed_vote(
        &self,
        vote: &Vote,
        signature: &ChainSignature,
        public_key: &ChainKey,
    ) -> Result<VerificationResult, Error> {
        Ok(verified(
            public_key,
            vote.message(&self.chain_id),
            signature,
        ))
    }

    async fn verify_signed_proposal(
        &self,
        proposal: &Proposal,
        signature: &ChainSignature,
        public_key: &ChainKey,
    ) -> Result<VerificationResult, Error> {
        Ok(verified(
            public_key,
            proposal.message(&self.chain_id),
            signature,
        ))
    }

    async fn verify_signed_vote_extension(
        &self,
        scope: &VoteExtensionScope<RegistryContext>,
        _extension: &(),
        signature: &ChainSignature,
        public_key: &ChainKey,
    ) -> Result<VerificationResult, Error> {
        Ok(verified(
            public_key,
            extension_message(&self.chain_id, scope),
            signature,
        ))
    }

    async fn verify_validator_proof(
        &self,
        proof: &ValidatorProof<RegistryContext>,
    ) -> Result<VerificationResult, Error> {
        let Ok(key) = ChainKey::from_bytes(&proof.public_key) else {
            return Ok(VerificationResult::Invalid);
        };
        Ok(verified(
            &key,
            Some(ValidatorProof::<RegistryContext>::signing_bytes(
                &proof.public_key,
                &proof.peer_id,
            )),
            &proof.signature,
        ))
    }
}
