//! The borsh encodings of the context's types, through which Malachite's own borsh encodings
//! (its messages, write-ahead log entries and sync messages) carry them. Fixed-size values are
//! their bytes; variable-size ones are borsh's `u32` length then the bytes.
//!
//! ```text
//! Height        = u64 (little-endian, as borsh)
//! Address       = [u8; 20]
//! ValueId       = [u8; 32]
//! ChainSignature = Vec<u8>  (64 bytes; any other length is refused)
//! ProposedBlock = u8 profile (0 standard, 1 guomi) || Vec<u8> block encoding
//!                 || Option<Vec<u8>> the previous block's certificate (registry encoding)
//! Vote          = VoteType || Height || Round || NilOrVal<ValueId> || Address
//!                 || Option<SignedMessage<()>> extension
//! Proposal      = Height || Round || ProposedBlock || Round pol_round || Address
//! BlockPart     = Height || Round || Round pol_round || Address || ProposedBlock
//!                 || ChainSignature
//! ```
//!
//! A decoded block is checked as [`ProposedBlock::from_bytes`] checks it (transactions against
//! the header's transactions root) and its id recomputed: a peer cannot attach a block to
//! another id.

use arc_malachitebft_core_types::{NilOrVal, Round, SignedExtension, SigningScheme, VoteType};
use borsh::io::{Error, ErrorKind, Read, Result, Write};
use borsh::{BorshDeserialize, BorshSerialize};
use crosscode_did_registry::block::CommitCertificate;
use crosscode_did_registry::codec::Decode;
use crosscode_did_registry::profile::CryptoProfile;

use crate::context::{Address, Height};
use crate::messages::{Proposal, Vote};
use crate::signing::{ChainScheme, ChainSignature};
use crate::value::{BlockPart, ProposedBlock, ValueId};

fn invalid(message: &'static str) -> Error {
    Error::new(ErrorKind::InvalidData, message)
}

impl BorshSerialize for Height {
    fn serialize<W: Write>(&self, writer: &mut W) -> Result<()> {
        self.0.serialize(writer)
    }
}

impl BorshDeserialize for Height {
    fn deserialize_reader<R: Read>(reader: &mut R) -> Result<Self> {
        Ok(Height(u64::deserialize_reader(reader)?))
    }
}

impl BorshSerialize for Address {
    fn serialize<W: Write>(&self, writer: &mut W) -> Result<()> {
        self.0.serialize(writer)
    }
}

impl BorshDeserialize for Address {
    fn deserialize_reader<R: Read>(reader: &mut R) -> Result<Self> {
        Ok(Address(<[u8; 20]>::deserialize_reader(reader)?))
    }
}

impl BorshSerialize for ValueId {
    fn serialize<W: Write>(&self, writer: &mut W) -> Result<()> {
        self.0.serialize(writer)
    }
}

impl BorshDeserialize for ValueId {
    fn deserialize_reader<R: Read>(reader: &mut R) -> Result<Self> {
        Ok(ValueId(<[u8; 32]>::deserialize_reader(reader)?))
    }
}

impl BorshSerialize for ChainSignature {
    fn serialize<W: Write>(&self, writer: &mut W) -> Result<()> {
        self.0.serialize(writer)
    }
}

impl BorshDeserialize for ChainSignature {
    fn deserialize_reader<R: Read>(reader: &mut R) -> Result<Self> {
        let bytes = Vec::<u8>::deserialize_reader(reader)?;
        ChainScheme::decode_signature(&bytes).map_err(|_| invalid("not a chain signature"))
    }
}

fn profile_tag(profile: CryptoProfile) -> u8 {
    match profile {
        CryptoProfile::Standard => 0,
        CryptoProfile::GuoMi => 1,
    }
}

impl BorshSerialize for ProposedBlock {
    fn serialize<W: Write>(&self, writer: &mut W) -> Result<()> {
        profile_tag(self.profile()).serialize(writer)?;
        self.encoded().to_vec().serialize(writer)?;
        self.previous_encoded()
            .map(<[u8]>::to_vec)
            .serialize(writer)
    }
}

impl BorshDeserialize for ProposedBlock {
    fn deserialize_reader<R: Read>(reader: &mut R) -> Result<Self> {
        let profile = match u8::deserialize_reader(reader)? {
            0 => CryptoProfile::Standard,
            1 => CryptoProfile::GuoMi,
            _ => return Err(invalid("unknown crypto profile")),
        };
        let bytes = Vec::<u8>::deserialize_reader(reader)?;
        let previous = Option::<Vec<u8>>::deserialize_reader(reader)?
            .map(|bytes| CommitCertificate::from_bytes(&bytes))
            .transpose()
            .map_err(|_| invalid("not a certificate"))?;
        Ok(ProposedBlock::from_bytes(profile, &bytes)
            .map_err(|_| invalid("not a proposed block"))?
            .with_previous(previous.as_ref()))
    }
}

impl BorshSerialize for Vote {
    fn serialize<W: Write>(&self, writer: &mut W) -> Result<()> {
        self.kind.serialize(writer)?;
        self.height.serialize(writer)?;
        self.round.serialize(writer)?;
        self.value.serialize(writer)?;
        self.validator.serialize(writer)?;
        self.extension.serialize(writer)
    }
}

impl BorshDeserialize for Vote {
    fn deserialize_reader<R: Read>(reader: &mut R) -> Result<Self> {
        Ok(Vote {
            kind: VoteType::deserialize_reader(reader)?,
            height: Height::deserialize_reader(reader)?,
            round: Round::deserialize_reader(reader)?,
            value: NilOrVal::<ValueId>::deserialize_reader(reader)?,
            validator: Address::deserialize_reader(reader)?,
            extension: Option::<SignedExtension<crate::RegistryContext>>::deserialize_reader(
                reader,
            )?,
        })
    }
}

impl BorshSerialize for Proposal {
    fn serialize<W: Write>(&self, writer: &mut W) -> Result<()> {
        self.height.serialize(writer)?;
        self.round.serialize(writer)?;
        self.value.serialize(writer)?;
        self.pol_round.serialize(writer)?;
        self.proposer.serialize(writer)
    }
}

impl BorshDeserialize for Proposal {
    fn deserialize_reader<R: Read>(reader: &mut R) -> Result<Self> {
        Ok(Proposal {
            height: Height::deserialize_reader(reader)?,
            round: Round::deserialize_reader(reader)?,
            value: ProposedBlock::deserialize_reader(reader)?,
            pol_round: Round::deserialize_reader(reader)?,
            proposer: Address::deserialize_reader(reader)?,
        })
    }
}

impl BorshSerialize for BlockPart {
    fn serialize<W: Write>(&self, writer: &mut W) -> Result<()> {
        self.height.serialize(writer)?;
        self.round.serialize(writer)?;
        self.pol_round.serialize(writer)?;
        self.proposer.serialize(writer)?;
        self.value.serialize(writer)?;
        self.signature.serialize(writer)
    }
}

impl BorshDeserialize for BlockPart {
    fn deserialize_reader<R: Read>(reader: &mut R) -> Result<Self> {
        Ok(BlockPart {
            height: Height::deserialize_reader(reader)?,
            round: Round::deserialize_reader(reader)?,
            pol_round: Round::deserialize_reader(reader)?,
            proposer: Address::deserialize_reader(reader)?,
            value: ProposedBlock::deserialize_reader(reader)?,
            signature: ChainSignature::deserialize_reader(reader)?,
        })
    }
}
