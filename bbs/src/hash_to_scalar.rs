//! `hash_to_scalar` and the message mapping `map_message_to_scalar_as_hash` of the draft.

use blstrs::Scalar;

use crate::ciphersuite::{Ciphersuite, EXPAND_LENGTH};
use crate::error::BbsError;
use crate::scalar::scalar_from_wide_be;

/// Suffix of the DST used for the domain, the signature's `e` and the proof challenge.
pub(crate) const H2S_SUFFIX: &[u8] = b"H2S_";
/// Suffix of the DST of `map_message_to_scalar_as_hash`.
pub(crate) const MAP_MESSAGE_SUFFIX: &[u8] = b"MAP_MSG_TO_SCALAR_AS_HASH_";

/// `hash_to_scalar(msg, dst)`: `OS2IP(expand_message(msg, dst, 48)) mod r`.
pub fn hash_to_scalar<C: Ciphersuite>(msg: &[u8], dst: &[u8]) -> Result<Scalar, BbsError> {
    hash_parts_to_scalar::<C>(&[msg], dst)
}

/// `hash_to_scalar` of the concatenation of `parts`.
pub(crate) fn hash_parts_to_scalar<C: Ciphersuite>(
    parts: &[&[u8]],
    dst: &[u8],
) -> Result<Scalar, BbsError> {
    // Wiped after use: for KeyGen these bytes determine the secret key.
    let uniform = zeroize::Zeroizing::new(C::expand_message(parts, dst, EXPAND_LENGTH)?);
    Ok(scalar_from_wide_be(&uniform))
}

/// `map_message_to_scalar_as_hash(msg, api_id)` with the default DST
/// `api_id || "MAP_MSG_TO_SCALAR_AS_HASH_"`.
pub fn map_message_to_scalar_as_hash<C: Ciphersuite>(message: &[u8]) -> Result<Scalar, BbsError> {
    hash_to_scalar::<C>(message, &C::dst(MAP_MESSAGE_SUFFIX))
}

/// `messages_to_scalars(messages, api_id)`: every message mapped with
/// [`map_message_to_scalar_as_hash`].
pub fn messages_to_scalars<C: Ciphersuite, M: AsRef<[u8]>>(
    messages: &[M],
) -> Result<Vec<Scalar>, BbsError> {
    let dst = C::dst(MAP_MESSAGE_SUFFIX);
    messages
        .iter()
        .map(|message| hash_to_scalar::<C>(message.as_ref(), &dst))
        .collect()
}
