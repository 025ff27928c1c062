//! Validators and validator sets: who signs block headers, with how much voting power.
//! Uses only `core`/`alloc` (part of what the offline proof verifier needs).

use alloc::vec::Vec;

use crate::codec::{Decode, DecodeError, Encode, Reader, Writer};
use crate::profile::{CryptoProfile, SignatureAlgorithm};

/// Domain tag of the validator-set hash.
pub const VALIDATOR_SET_DOMAIN: &[u8] = b"crosscode-validator-set-v1";

/// A chain public key: the algorithm and its canonical bytes (32 bytes Ed25519, 33 bytes SEC1
/// compressed SM2). Only the length is checked here; signature verification parses the point.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChainKey {
    /// The algorithm.
    pub algorithm: SignatureAlgorithm,
    /// The canonical key bytes.
    pub bytes: Vec<u8>,
}

impl ChainKey {
    /// The canonical key length of `algorithm`.
    pub fn expected_len(algorithm: SignatureAlgorithm) -> usize {
        match algorithm {
            SignatureAlgorithm::Ed25519 => 32,
            SignatureAlgorithm::Sm2 => 33,
        }
    }
}

impl Encode for ChainKey {
    fn encode(&self, writer: &mut Writer) {
        writer.u8(self.algorithm.tag());
        writer.bytes(&self.bytes);
    }
}

impl Decode for ChainKey {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let algorithm = match reader.u8("signature algorithm")? {
            1 => SignatureAlgorithm::Ed25519,
            2 => SignatureAlgorithm::Sm2,
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "signature algorithm",
                    tag,
                });
            }
        };
        let bytes = reader.bytes("chain key", 33)?;
        if bytes.len() != ChainKey::expected_len(algorithm) {
            return Err(DecodeError::Invalid {
                what: "chain key",
                reason: "not the canonical length",
            });
        }
        Ok(ChainKey { algorithm, bytes })
    }
}

/// A validator: its header-signing key and voting power.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validator {
    /// The key that signs commit certificates.
    pub key: ChainKey,
    /// Voting power (positive).
    pub power: u64,
}

impl Encode for Validator {
    fn encode(&self, writer: &mut Writer) {
        self.key.encode(writer);
        writer.u64(self.power);
    }
}

impl Decode for Validator {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            key: ChainKey::decode(reader)?,
            power: reader.u64("voting power")?,
        })
    }
}

/// Most total voting power of a set: a BFT engine's quorum arithmetic (3 × power, e.g.
/// Malachite's) must not overflow a `u64`.
pub const MAX_TOTAL_POWER: u64 = u64::MAX / 3;

/// An ordered validator set (signatures in certificates name validators by index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatorSet {
    validators: Vec<Validator>,
}

/// Why a validator set is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ValidatorSetError {
    /// No validators.
    #[error("the validator set is empty")]
    Empty,
    /// More than the maximum number of validators.
    #[error("too many validators")]
    TooMany,
    /// A validator with zero power.
    #[error("a validator has zero voting power")]
    ZeroPower,
    /// The total power exceeds [`MAX_TOTAL_POWER`].
    #[error("total voting power exceeds a third of 2^64")]
    PowerOverflow,
    /// The same key twice.
    #[error("duplicate validator key")]
    DuplicateKey,
    /// A key of another algorithm than the profile's.
    #[error("validator key algorithm does not match the crypto profile")]
    WrongAlgorithm,
}

impl ValidatorSet {
    /// Validates and wraps a list of validators for a chain of `profile`.
    pub fn new(
        profile: CryptoProfile,
        validators: Vec<Validator>,
    ) -> Result<ValidatorSet, ValidatorSetError> {
        if validators.is_empty() {
            return Err(ValidatorSetError::Empty);
        }
        if validators.len() > crate::governance::MAX_VALIDATORS {
            return Err(ValidatorSetError::TooMany);
        }
        let mut total: u64 = 0;
        for (i, v) in validators.iter().enumerate() {
            if v.power == 0 {
                return Err(ValidatorSetError::ZeroPower);
            }
            if v.key.algorithm != profile.signature_algorithm() {
                return Err(ValidatorSetError::WrongAlgorithm);
            }
            total = total
                .checked_add(v.power)
                .ok_or(ValidatorSetError::PowerOverflow)?;
            if validators.iter().skip(i + 1).any(|o| o.key == v.key) {
                return Err(ValidatorSetError::DuplicateKey);
            }
        }
        if total > MAX_TOTAL_POWER {
            return Err(ValidatorSetError::PowerOverflow);
        }
        Ok(ValidatorSet { validators })
    }

    /// The validators, in order.
    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }

    /// The total voting power.
    pub fn total_power(&self) -> u64 {
        self.validators.iter().map(|v| v.power).sum()
    }

    /// The hash committed in headers: `H(domain || encoding)`.
    pub fn hash(&self, profile: CryptoProfile) -> [u8; 32] {
        profile.hash(&[VALIDATOR_SET_DOMAIN, &self.to_bytes()])
    }

    /// Decodes and validates a set.
    pub fn decode_for(profile: CryptoProfile, bytes: &[u8]) -> Result<ValidatorSet, DecodeError> {
        let validators = {
            let mut reader = Reader::new(bytes);
            let list = reader.seq::<Validator>("validators", crate::governance::MAX_VALIDATORS)?;
            reader.finish()?;
            list
        };
        ValidatorSet::new(profile, validators).map_err(|_| DecodeError::Invalid {
            what: "validator set",
            reason: "violates the validator-set rules",
        })
    }
}

impl Encode for ValidatorSet {
    fn encode(&self, writer: &mut Writer) {
        writer.seq(&self.validators);
    }
}
