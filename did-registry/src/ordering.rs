//! Ordering: the port through which a consensus engine decides blocks, and the `solo` adapter
//! (one validator precommits every proposed header in round 0: a 1-of-1 certificate in the
//! format a multi-validator engine certifies, [`crate::vote`]). A multi-validator engine (Malachite) plugs in behind [`Ordering`]
//! without changes to the state machine, the storage or the proof format.

use crosscode_core::keys::{KeyAlgorithm, PublicKey, SecretKey, SignatureError};

use crate::block::{CommitCertificate, CommitSignature, Header, SignatureVerifier};
use crate::profile::{CryptoProfile, SignatureAlgorithm};
use crate::validators::{ChainKey, ValidatorSet};
use crate::vote::precommit_message;

/// Why ordering could not decide a block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderingError {
    /// The solo validator's key is not in the validator set.
    #[error("this node's key is not in the validator set")]
    NotAValidator,
    /// The solo validator's power is not more than 2/3 of the set.
    #[error("this node alone does not hold more than 2/3 of the voting power")]
    InsufficientPower,
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(SignatureError),
}

/// Decides proposed blocks and returns their commit certificates.
pub trait Ordering {
    /// Orders the block whose header is `header`, signed by `validators`, and returns its
    /// commit certificate once decided.
    fn decide(
        &mut self,
        header: &Header,
        validators: &ValidatorSet,
    ) -> Result<CommitCertificate, OrderingError>;
}

/// The single-validator adapter: it decides every proposal by signing it.
#[derive(Debug)]
pub struct SoloOrdering {
    profile: CryptoProfile,
    key: SecretKey,
}

/// The chain key of a secret key.
pub fn chain_key(profile: CryptoProfile, key: &SecretKey) -> ChainKey {
    ChainKey {
        algorithm: profile.signature_algorithm(),
        bytes: key.public_key().to_bytes(),
    }
}

impl SoloOrdering {
    /// The solo adapter signing with `key` on a chain of `profile`.
    pub fn new(profile: CryptoProfile, key: SecretKey) -> Self {
        Self { profile, key }
    }
}

impl Ordering for SoloOrdering {
    fn decide(
        &mut self,
        header: &Header,
        validators: &ValidatorSet,
    ) -> Result<CommitCertificate, OrderingError> {
        let own = chain_key(self.profile, &self.key);
        let (index, validator) = validators
            .validators()
            .iter()
            .enumerate()
            .find(|(_, v)| v.key == own)
            .ok_or(OrderingError::NotAValidator)?;
        if u128::from(validator.power) * 3 <= u128::from(validators.total_power()) * 2 {
            return Err(OrderingError::InsufficientPower);
        }
        // One validator decides in the first round: its precommit alone is > 2/3.
        let round = 0;
        let value_id = header.hash(self.profile);
        let signature = self
            .key
            .sign(&precommit_message(
                &header.chain_id,
                header.height,
                round,
                &value_id,
            ))
            .map_err(OrderingError::Signing)?;
        Ok(CommitCertificate {
            height: header.height,
            round,
            value_id,
            signatures: vec![CommitSignature {
                validator: u32::try_from(index).map_err(|_| OrderingError::NotAValidator)?,
                signature,
            }],
        })
    }
}

/// Signature verification with `crosscode-core` keys (strict Ed25519; SM2 with SM3 and the
/// default distinguishing ID).
#[derive(Debug, Clone, Copy, Default)]
pub struct CoreSignatureVerifier;

impl SignatureVerifier for CoreSignatureVerifier {
    fn verify(&self, key: &ChainKey, message: &[u8], signature: &[u8]) -> bool {
        let algorithm = match key.algorithm {
            SignatureAlgorithm::Ed25519 => KeyAlgorithm::Ed25519,
            SignatureAlgorithm::Sm2 => KeyAlgorithm::Sm2,
        };
        PublicKey::from_bytes(algorithm, &key.bytes)
            .map(|k| k.verify(message, signature).is_ok())
            .unwrap_or(false)
    }
}
