//! `calculate_domain` of the draft: the scalar binding a signature or proof to the public key,
//! the generators, the ciphersuite's api_id and the header.

use blstrs::Scalar;

use crate::ciphersuite::Ciphersuite;
use crate::error::BbsError;
use crate::generators::Generators;
use crate::hash_to_scalar::{H2S_SUFFIX, hash_parts_to_scalar};
use crate::keys::PublicKey;

/// `calculate_domain(PK, Q_1, (H_1, ..., H_L), header, api_id)` where `generators` holds
/// `Q_1, H_1, ..., H_L`.
pub fn calculate_domain<C: Ciphersuite>(
    public_key: &PublicKey,
    generators: &Generators,
    header: &[u8],
) -> Result<Scalar, BbsError> {
    let compressed = generators.compressed();
    let message_count = compressed.len().saturating_sub(1) as u64;
    let header_length = header.len() as u64;
    let mut input: Vec<u8> = Vec::with_capacity(96 + 8 + 48 * compressed.len() + 64 + header.len());
    input.extend_from_slice(public_key.as_bytes());
    input.extend_from_slice(&message_count.to_be_bytes());
    for point in compressed {
        input.extend_from_slice(point);
    }
    input.extend_from_slice(C::API_ID);
    input.extend_from_slice(&header_length.to_be_bytes());
    input.extend_from_slice(header);
    hash_parts_to_scalar::<C>(&[&input], &C::dst(H2S_SUFFIX))
}
