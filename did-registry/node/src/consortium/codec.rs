//! The engine's codec: what the validators' network, the write-ahead log and value sync carry,
//! in borsh — Malachite's own encodings of its messages (behind its `borsh` features) around
//! ours of the registry's types (`crosscode_registry_consensus`'s `wire` module). Decoding
//! reads the whole input (trailing bytes are refused) and checks every embedded block against
//! its transactions root.
//!
//! Two have no borsh encoding upstream, so they are ours: a validator proof (the binding of a
//! validator's chain key to its network peer id) is `Vec<u8> public key || Vec<u8> peer id ||
//! signature`; a sync response is `Height start || Vec<(Vec<u8> block || Height || Round ||
//! ValueId || Vec<(Address || signature || Option<extension>)>)>`.

use arc_malachitebft_app_channel::app::consensus::LivenessMsg;
use arc_malachitebft_app_channel::app::types::codec::{Codec, HasEncodedLen};
use arc_malachitebft_app_channel::app::types::core::{
    ExtendedCommitCertificate, ExtendedCommitSignature, PolkaCertificate, Round, SignedExtension,
    ValidatorProof,
};
use arc_malachitebft_app_channel::app::types::streaming::StreamMessage;
use arc_malachitebft_app_channel::app::types::sync::{RawDecidedValue, Request, Response, Status};
use arc_malachitebft_app_channel::app::types::{ProposedValue, SignedConsensusMsg};
use arc_malachitebft_sync::ValueResponse;
use borsh::{BorshDeserialize, BorshSerialize};
use bytes::Bytes;
use crosscode_registry_consensus::{
    Address, BlockPart, ChainSignature, Height, RegistryContext, ValueId,
};

/// Why bytes from a peer (or the write-ahead log) are not a consensus message.
#[derive(Debug, thiserror::Error)]
#[error("undecodable consensus message: {0}")]
pub struct CodecError(#[from] std::io::Error);

/// The registry's codec for the engine (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct RegistryCodec;

fn encode<T: BorshSerialize>(value: &T) -> Result<Bytes, CodecError> {
    Ok(Bytes::from(borsh::to_vec(value)?))
}

fn decode<T: BorshDeserialize>(bytes: &[u8]) -> Result<T, CodecError> {
    Ok(borsh::from_slice(bytes)?)
}

macro_rules! borsh_codec {
    ($($t:ty),* $(,)?) => {
        $(
            impl Codec<$t> for RegistryCodec {
                type Error = CodecError;

                fn decode(&self, bytes: Bytes) -> Result<$t, CodecError> {
                    decode(&bytes)
                }

                fn encode(&self, value: &$t) -> Result<Bytes, CodecError> {
                    encode(value)
                }
            }
        )*
    };
}

borsh_codec!(
    BlockPart,
    SignedConsensusMsg<RegistryContext>,
    LivenessMsg<RegistryContext>,
    StreamMessage<BlockPart>,
    ProposedValue<RegistryContext>,
    PolkaCertificate<RegistryContext>,
    Status<RegistryContext>,
    Request<RegistryContext>,
);

/// One signature of a synced certificate: the signer, its precommit signature, its extension.
type WireSignature = (
    Address,
    ChainSignature,
    Option<SignedExtension<RegistryContext>>,
);
/// One synced block: its bytes and its certificate's height, round, value id and signatures.
type WireDecided = (Vec<u8>, Height, Round, ValueId, Vec<WireSignature>);

/// A sync response's wire form (Malachite has no borsh encoding of its extended certificate).
fn response_wire(response: &Response<RegistryContext>) -> (Height, Vec<WireDecided>) {
    let Response::ValueResponse(response) = response;
    let values = response
        .values
        .iter()
        .map(|raw| {
            let certificate = &raw.certificate;
            (
                raw.value_bytes.to_vec(),
                certificate.height,
                certificate.round,
                certificate.value_id,
                certificate
                    .commit_signatures
                    .iter()
                    .map(|s| (s.address, s.signature.clone(), s.extension.clone()))
                    .collect(),
            )
        })
        .collect();
    (response.start_height, values)
}

impl Codec<Response<RegistryContext>> for RegistryCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<Response<RegistryContext>, CodecError> {
        let (start_height, values): (Height, Vec<WireDecided>) = decode(&bytes)?;
        let values = values
            .into_iter()
            .map(|(value_bytes, height, round, value_id, signatures)| {
                RawDecidedValue::new(
                    Bytes::from(value_bytes),
                    ExtendedCommitCertificate {
                        height,
                        round,
                        value_id,
                        commit_signatures: signatures
                            .into_iter()
                            .map(|(address, signature, extension)| {
                                ExtendedCommitSignature::new(address, signature, extension)
                            })
                            .collect(),
                    },
                )
            })
            .collect();
        Ok(Response::ValueResponse(ValueResponse::new(
            start_height,
            values,
        )))
    }

    fn encode(&self, response: &Response<RegistryContext>) -> Result<Bytes, CodecError> {
        encode(&response_wire(response))
    }
}

impl HasEncodedLen<Response<RegistryContext>> for RegistryCodec {
    fn encoded_len(&self, response: &Response<RegistryContext>) -> Result<usize, CodecError> {
        Ok(borsh::object_length(&response_wire(response))?)
    }
}

impl Codec<ValidatorProof<RegistryContext>> for RegistryCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<ValidatorProof<RegistryContext>, CodecError> {
        let (public_key, peer_id, signature): (Vec<u8>, Vec<u8>, ChainSignature) = decode(&bytes)?;
        Ok(ValidatorProof::new(public_key, peer_id, signature))
    }

    fn encode(&self, proof: &ValidatorProof<RegistryContext>) -> Result<Bytes, CodecError> {
        encode(&(&proof.public_key, &proof.peer_id, &proof.signature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arc_malachitebft_app_channel::Signer as _;
    use arc_malachitebft_app_channel::app::types::core::Value as _;
    use crosscode_core::keys::{KeyAlgorithm, SecretKey};
    use crosscode_did_registry::block::Header;
    use crosscode_did_registry::ledger::Block;
    use crosscode_did_registry::merkle::merkle_root;
    use crosscode_did_registry::profile::CryptoProfile;
    use crosscode_registry_consensus::{ChainSigner, ProposedBlock};

    fn signer() -> ChainSigner {
        let ctx = RegistryContext::new("codec-test", CryptoProfile::Standard);
        ChainSigner::new(&ctx, SecretKey::generate(KeyAlgorithm::Ed25519)).unwrap()
    }

    fn value() -> ProposedBlock {
        let profile = CryptoProfile::Standard;
        ProposedBlock::new(
            profile,
            &Block {
                header: Header {
                    chain_id: "codec-test".into(),
                    height: 1,
                    time: 1_700_000_000,
                    previous_hash: [1; 32],
                    transactions_root: merkle_root(profile, &[]),
                    state_root: [2; 32],
                    validators_hash: [3; 32],
                    next_validators_hash: [3; 32],
                },
                transactions: Vec::new(),
            },
        )
    }

    #[test]
    fn a_sync_response_round_trips_with_its_certificate() {
        let signer = signer();
        let value = value();
        let response = Response::ValueResponse(ValueResponse::new(
            Height(1),
            vec![RawDecidedValue::new(
                Bytes::from(borsh::to_vec(&value).unwrap()),
                ExtendedCommitCertificate {
                    height: Height(1),
                    round: Round::new(2),
                    value_id: value.id(),
                    commit_signatures: vec![ExtendedCommitSignature::new(
                        signer.address(),
                        ChainSignature(vec![5; 64]),
                        None,
                    )],
                },
            )],
        ));
        let bytes = RegistryCodec.encode(&response).unwrap();
        assert_eq!(RegistryCodec.encoded_len(&response).unwrap(), bytes.len());
        let back: Response<RegistryContext> = RegistryCodec.decode(bytes).unwrap();
        assert_eq!(back, response);
    }

    #[tokio::test]
    async fn a_validator_proof_round_trips_and_garbage_is_a_typed_error() {
        let signer = signer();
        let proof = signer
            .sign_validator_proof(vec![1, 2, 3], vec![4, 5])
            .await
            .unwrap();
        let bytes = RegistryCodec.encode(&proof).unwrap();
        let back: ValidatorProof<RegistryContext> = RegistryCodec.decode(bytes.clone()).unwrap();
        assert_eq!(back, proof);
        let mut trailing = bytes.to_vec();
        trailing.push(0);
        let refused: Result<ValidatorProof<RegistryContext>, CodecError> =
            RegistryCodec.decode(Bytes::from(trailing));
        assert!(refused.is_err());
        let garbage: Result<SignedConsensusMsg<RegistryContext>, CodecError> =
            RegistryCodec.decode(Bytes::from_static(&[0xff; 9]));
        assert!(garbage.is_err());
        let empty: Result<Response<RegistryContext>, CodecError> =
            RegistryCodec.decode(Bytes::new());
        assert!(empty.is_err());
    }
}
