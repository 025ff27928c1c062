//! One certificate format: Malachite's commit certificate (precommit signatures by validator
//! address, for a value id in a round) is the registry's
//! [`CommitCertificate`](crosscode_did_registry::block::CommitCertificate) (the same
//! signatures by validator position, in position order), so proof bundles carry what the
//! engine certified and the I/O-free verifier checks it against the validator set.

use arc_malachitebft_core_types::{self as malachite, CommitSignature, Round};
use crosscode_did_registry::block::{self, CommitCertificate};

use crate::context::{Height, RegistryContext, Validators};
use crate::signing::ChainSignature;
use crate::value::ValueId;

/// Malachite's commit certificate for the registry context.
pub type EngineCertificate = malachite::CommitCertificate<RegistryContext>;

/// Why a certificate does not convert.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConversionError {
    /// The certificate is of no round.
    #[error("the certificate is of no round")]
    NoRound,
    /// A signature names no validator of the set.
    #[error("a signature names no validator of the set")]
    UnknownValidator,
    /// Two signatures name the same validator.
    #[error("two signatures name the same validator")]
    DuplicateValidator,
    /// The registry certificate's signatures are not in strictly increasing position order
    /// (the offline verifier refuses such a certificate too).
    #[error("signatures out of position order or duplicated")]
    UnorderedSignatures,
}

/// The registry's certificate for the engine's `certificate` under `validators` (the set of
/// its height).
pub fn to_registry(
    certificate: &EngineCertificate,
    validators: &Validators,
) -> Result<CommitCertificate, ConversionError> {
    let round = certificate.round.as_u32().ok_or(ConversionError::NoRound)?;
    let mut signatures = certificate
        .commit_signatures
        .iter()
        .map(|signed| {
            // A set holds at most `MAX_VALIDATORS`, so a position always fits a `u32`.
            let position = validators
                .position(&signed.address)
                .and_then(|position| u32::try_from(position).ok())
                .ok_or(ConversionError::UnknownValidator)?;
            Ok(block::CommitSignature {
                validator: position,
                signature: signed.signature.0.clone(),
            })
        })
        .collect::<Result<Vec<_>, ConversionError>>()?;
    signatures.sort_by_key(|signature| signature.validator);
    if signatures
        .windows(2)
        .any(|pair| pair[0].validator == pair[1].validator)
    {
        return Err(ConversionError::DuplicateValidator);
    }
    Ok(CommitCertificate {
        height: certificate.height.0,
        round,
        value_id: certificate.value_id.0,
        signatures,
    })
}

/// The engine's certificate for the registry's `certificate` under `validators` (e.g. for a
/// validator that syncs decided blocks from a peer).
pub fn to_engine(
    certificate: &CommitCertificate,
    validators: &Validators,
) -> Result<EngineCertificate, ConversionError> {
    if certificate
        .signatures
        .windows(2)
        .any(|pair| pair[0].validator >= pair[1].validator)
    {
        return Err(ConversionError::UnorderedSignatures);
    }
    let commit_signatures = certificate
        .signatures
        .iter()
        .map(|signed| {
            let validator = usize::try_from(signed.validator)
                .ok()
                .and_then(|position| validators.validators().get(position))
                .ok_or(ConversionError::UnknownValidator)?;
            Ok(CommitSignature::new(
                validator.address,
                ChainSignature(signed.signature.clone()),
            ))
        })
        .collect::<Result<Vec<_>, ConversionError>>()?;
    Ok(EngineCertificate {
        height: Height(certificate.height),
        round: Round::new(certificate.round),
        value_id: ValueId(certificate.value_id),
        commit_signatures,
    })
}
