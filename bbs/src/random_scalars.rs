//! Sources of the random scalars of ProofGen (`calculate_random_scalars`): the OS RNG for
//! production, and the draft's seeded mock (`seeded_random_scalars`) that makes ProofGen
//! reproduce the fixture bytes. Only [`crate::proof::proof_gen_with_random_scalars`] takes a
//! source; [`crate::proof::proof_gen`] always uses [`OsRandomScalars`].

use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use crate::ciphersuite::{Ciphersuite, EXPAND_LENGTH};
use crate::error::BbsError;
use crate::scalar::{SecretScalar, scalar_from_wide_be};

/// A source of `count` uniformly random scalars.
pub trait RandomScalars {
    /// `calculate_random_scalars(count)` for ciphersuite `C`.
    fn random_scalars<C: Ciphersuite>(
        &mut self,
        count: usize,
    ) -> Result<Vec<SecretScalar>, BbsError>;
}

/// Random scalars from the operating system's RNG: `OS2IP(get_random(48)) mod r` each.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandomScalars;

impl RandomScalars for OsRandomScalars {
    fn random_scalars<C: Ciphersuite>(
        &mut self,
        count: usize,
    ) -> Result<Vec<SecretScalar>, BbsError> {
        let mut bytes = Zeroizing::new([0u8; EXPAND_LENGTH]);
        Ok((0..count)
            .map(|_| {
                OsRng.fill_bytes(bytes.as_mut());
                SecretScalar::new(scalar_from_wide_be(bytes.as_ref()))
            })
            .collect())
    }
}

/// The draft's deterministic mock of `calculate_random_scalars` (`seeded_random_scalars`):
/// `expand_message(seed, dst, 48 * count)` cut into 48-byte pieces, each reduced mod r.
/// **For conformance tests only** — a proof made with it is linkable and leaks the signature.
#[derive(Debug, Clone)]
pub struct SeededRandomScalars {
    seed: Vec<u8>,
    dst: Option<Vec<u8>>,
}

/// The seed used for the draft's proof fixtures: the ASCII of `3.141592653589793238462643383279`.
pub const DRAFT_FIXTURE_SEED: &[u8] = b"3.141592653589793238462643383279";

impl SeededRandomScalars {
    /// A mock with the given seed and DST (`None`: `api_id || "MOCK_RANDOM_SCALARS_DST_"`).
    pub fn new(seed: &[u8], dst: Option<&[u8]>) -> Self {
        Self {
            seed: seed.to_vec(),
            dst: dst.map(<[u8]>::to_vec),
        }
    }

    /// The mock with which the draft's proof fixtures were generated.
    pub fn draft_fixture() -> Self {
        Self::new(DRAFT_FIXTURE_SEED, None)
    }
}

impl RandomScalars for SeededRandomScalars {
    fn random_scalars<C: Ciphersuite>(
        &mut self,
        count: usize,
    ) -> Result<Vec<SecretScalar>, BbsError> {
        let dst = match &self.dst {
            Some(dst) => dst.clone(),
            None => C::dst(b"MOCK_RANDOM_SCALARS_DST_"),
        };
        let length = count
            .checked_mul(EXPAND_LENGTH)
            .ok_or(BbsError::ExpandLengthTooLarge { length: usize::MAX })?;
        if count == 0 {
            return Ok(Vec::new());
        }
        let bytes = Zeroizing::new(C::expand_message(&[&self.seed], &dst, length)?);
        Ok(bytes
            .chunks_exact(EXPAND_LENGTH)
            .map(|chunk| SecretScalar::new(scalar_from_wide_be(chunk)))
            .collect())
    }
}
