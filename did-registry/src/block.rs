//! Blocks, headers and commit certificates. Uses only `core`/`alloc` (the offline proof
//! verifier checks headers and certificates).
//!
//! A header commits to the chain id, height, time, the previous header's hash, the
//! transactions root ([`crate::merkle`] over the transaction hashes), the state root (the
//! state tree after the block), the hash of the validator set that signs this block and of the
//! one that signs the next. A [`CommitCertificate`] is what a BFT engine (Malachite) certifies:
//! the validators' **precommits** for the value id — the header hash — in one round
//! ([`crate::vote`]); it is accepted when the signers hold more than 2/3 of the voting power.
//! One validator (the `solo` adapter) makes a 1-of-1 certificate of round 0 in the same format.
//!
//! ```text
//! CommitCertificate = u8 version (2) || u64 height || u32 round || value_id (32 bytes)
//!                     || seq of (u32 validator index || bytes signature)
//! ```
//!
//! Each signature is the validator's over
//! [`precommit_message`]`(chain id, height, round, value_id)`; indexes name validators of the
//! set the header names, in strictly increasing order.

use alloc::vec::Vec;

use crate::codec::{Decode, DecodeError, Encode, Reader, Writer};
use crate::profile::CryptoProfile;
use crate::transaction::{MAX_CHAIN_ID_LEN, MAX_SIGNATURE_LEN};
use crate::validators::{ChainKey, ValidatorSet};
use crate::vote::precommit_message;

/// The header format version.
pub const HEADER_VERSION: u8 = 1;
/// Domain tag of the header hash.
pub const HEADER_DOMAIN: &[u8] = b"crosscode-header-v1\0";
/// The commit certificate format version.
pub const CERTIFICATE_VERSION: u8 = 2;

/// A block header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The chain id.
    pub chain_id: alloc::string::String,
    /// The height (genesis is 0).
    pub height: u64,
    /// Block time (Unix seconds).
    pub time: u64,
    /// Hash of the previous header (zeros at genesis).
    pub previous_hash: [u8; 32],
    /// Merkle root of the block's transaction hashes.
    pub transactions_root: [u8; 32],
    /// State root after the block.
    pub state_root: [u8; 32],
    /// Hash of the validator set that signs this block.
    pub validators_hash: [u8; 32],
    /// Hash of the validator set that signs the next block.
    pub next_validators_hash: [u8; 32],
}

impl Header {
    /// The header hash: `H("crosscode-header-v1" || 0 || encoding)`.
    pub fn hash(&self, profile: CryptoProfile) -> [u8; 32] {
        profile.hash(&[HEADER_DOMAIN, &self.to_bytes()])
    }
}

impl Encode for Header {
    fn encode(&self, w: &mut Writer) {
        w.u8(HEADER_VERSION);
        w.str(&self.chain_id);
        w.u64(self.height);
        w.u64(self.time);
        w.hash(&self.previous_hash);
        w.hash(&self.transactions_root);
        w.hash(&self.state_root);
        w.hash(&self.validators_hash);
        w.hash(&self.next_validators_hash);
    }
}

impl Decode for Header {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let version = r.u8("header version")?;
        if version != HEADER_VERSION {
            return Err(DecodeError::UnsupportedVersion {
                what: "header",
                version,
            });
        }
        Ok(Self {
            chain_id: r.str("chain id", MAX_CHAIN_ID_LEN)?,
            height: r.u64("height")?,
            time: r.u64("time")?,
            previous_hash: r.hash("previous hash")?,
            transactions_root: r.hash("transactions root")?,
            state_root: r.hash("state root")?,
            validators_hash: r.hash("validators hash")?,
            next_validators_hash: r.hash("next validators hash")?,
        })
    }
}

/// One validator's signature in a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitSignature {
    /// The validator's index in the set.
    pub validator: u32,
    /// Its signature over the certificate's [`precommit_message`].
    pub signature: Vec<u8>,
}

impl Encode for CommitSignature {
    fn encode(&self, w: &mut Writer) {
        w.u32(self.validator);
        w.bytes(&self.signature);
    }
}

impl Decode for CommitSignature {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            validator: r.u32("validator index")?,
            signature: r.bytes("signature", MAX_SIGNATURE_LEN)?,
        })
    }
}

/// Precommits for one value in one round: a block's proof of commitment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitCertificate {
    /// The height.
    pub height: u64,
    /// The round in which the value was decided (0 for the `solo` adapter).
    pub round: u32,
    /// The decided value's id: the header hash.
    pub value_id: [u8; 32],
    /// Precommit signatures, by strictly increasing validator index.
    pub signatures: Vec<CommitSignature>,
}

impl CommitCertificate {
    /// The message each of its signatures signs.
    pub fn message(&self, chain_id: &str) -> Vec<u8> {
        precommit_message(chain_id, self.height, self.round, &self.value_id)
    }
}

impl Encode for CommitCertificate {
    fn encode(&self, w: &mut Writer) {
        w.u8(CERTIFICATE_VERSION);
        w.u64(self.height);
        w.u32(self.round);
        w.hash(&self.value_id);
        w.seq(&self.signatures);
    }
}

impl Decode for CommitCertificate {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let version = r.u8("certificate version")?;
        if version != CERTIFICATE_VERSION {
            return Err(DecodeError::UnsupportedVersion {
                what: "certificate",
                version,
            });
        }
        Ok(Self {
            height: r.u64("height")?,
            round: r.u32("round")?,
            value_id: r.hash("value id")?,
            signatures: r.seq("signatures", crate::governance::MAX_VALIDATORS)?,
        })
    }
}

/// Checks signatures by chain keys (Ed25519 / SM2). Kept behind a trait so the verifier module
/// has no dependency on a particular crypto library.
pub trait SignatureVerifier {
    /// Whether `signature` by `key` over `message` is valid.
    fn verify(&self, key: &ChainKey, message: &[u8], signature: &[u8]) -> bool;
}

/// Why a certificate is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// The certificate is for another height.
    #[error("certificate height does not match the header")]
    HeightMismatch,
    /// The certificate's value id is not the header's hash: it commits another header.
    #[error("certificate value id is not the header hash")]
    ValueMismatch,
    /// The header is not signed by the validator set given.
    #[error("header names another validator set")]
    ValidatorSetMismatch,
    /// The header is of another chain.
    #[error("header of another chain")]
    WrongChain,
    /// Signatures are not in strictly increasing validator order.
    #[error("signatures out of order or duplicated")]
    UnorderedSignatures,
    /// A signature names no validator of the set.
    #[error("signature by unknown validator index {index}")]
    UnknownValidator {
        /// The index.
        index: u32,
    },
    /// A signature does not verify.
    #[error("invalid signature by validator {index}")]
    BadSignature {
        /// The index.
        index: u32,
    },
    /// The signers hold at most 2/3 of the voting power.
    #[error("signers hold {signed} of {total} voting power (need more than 2/3)")]
    InsufficientPower {
        /// Power that signed.
        signed: u64,
        /// Total power.
        total: u64,
    },
}

/// Verifies that `certificate` commits `header` of chain `chain_id` with more than 2/3 of the
/// voting power of `validators`, which must be the set the header names.
pub fn verify_certificate(
    profile: CryptoProfile,
    chain_id: &str,
    header: &Header,
    certificate: &CommitCertificate,
    validators: &ValidatorSet,
    verifier: &dyn SignatureVerifier,
) -> Result<(), CertificateError> {
    if header.chain_id != chain_id {
        return Err(CertificateError::WrongChain);
    }
    if certificate.height != header.height {
        return Err(CertificateError::HeightMismatch);
    }
    let header_hash = header.hash(profile);
    if certificate.value_id != header_hash {
        return Err(CertificateError::ValueMismatch);
    }
    if validators.hash(profile) != header.validators_hash {
        return Err(CertificateError::ValidatorSetMismatch);
    }
    let message = certificate.message(chain_id);
    let mut signed: u128 = 0;
    let mut previous: Option<u32> = None;
    for sig in &certificate.signatures {
        if previous.is_some_and(|p| sig.validator <= p) {
            return Err(CertificateError::UnorderedSignatures);
        }
        previous = Some(sig.validator);
        let validator = usize::try_from(sig.validator)
            .ok()
            .and_then(|i| validators.validators().get(i))
            .ok_or(CertificateError::UnknownValidator {
                index: sig.validator,
            })?;
        if !verifier.verify(&validator.key, &message, &sig.signature) {
            return Err(CertificateError::BadSignature {
                index: sig.validator,
            });
        }
        signed += u128::from(validator.power);
    }
    let total = u128::from(validators.total_power());
    if signed * 3 <= total * 2 {
        return Err(CertificateError::InsufficientPower {
            signed: u64::try_from(signed).unwrap_or(u64::MAX),
            total: u64::try_from(total).unwrap_or(u64::MAX),
        });
    }
    Ok(())
}
