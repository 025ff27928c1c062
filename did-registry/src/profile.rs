//! The crypto profile chosen in genesis: which hash function the chain uses and which signature
//! algorithm its transaction, governance and validator keys use.
//!
//! - [`CryptoProfile::Standard`]: SHA-256 and Ed25519;
//! - [`CryptoProfile::GuoMi`]: SM3 and SM2 (with SM3 and the default distinguishing ID), as
//!   FISCO BCOS offers.
//!
//! Every hash on the chain (transaction hashes, Merkle trees, the state tree, header hashes)
//! uses the profile's hash function. The module uses only `core`/`alloc` and no-`std` hash crates.

use crate::codec::{Decode, DecodeError, Encode, Reader, Writer};

/// The chain's crypto profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CryptoProfile {
    /// SHA-256 hashes, Ed25519 signatures.
    Standard,
    /// SM3 hashes, SM2 signatures.
    GuoMi,
}

impl CryptoProfile {
    /// Both profiles.
    pub const ALL: [CryptoProfile; 2] = [CryptoProfile::Standard, CryptoProfile::GuoMi];

    /// The profile's name: `standard` or `guomi`.
    pub fn as_str(self) -> &'static str {
        match self {
            CryptoProfile::Standard => "standard",
            CryptoProfile::GuoMi => "guomi",
        }
    }

    /// The signature algorithm of chain keys (transaction senders, governance, validators).
    pub fn signature_algorithm(self) -> SignatureAlgorithm {
        match self {
            CryptoProfile::Standard => SignatureAlgorithm::Ed25519,
            CryptoProfile::GuoMi => SignatureAlgorithm::Sm2,
        }
    }

    /// The key algorithm of chain keys (a sender's signing key must be of it).
    pub fn key_algorithm(self) -> crosscode_core::keys::KeyAlgorithm {
        match self.signature_algorithm() {
            SignatureAlgorithm::Ed25519 => crosscode_core::keys::KeyAlgorithm::Ed25519,
            SignatureAlgorithm::Sm2 => crosscode_core::keys::KeyAlgorithm::Sm2,
        }
    }

    /// A fresh incremental hasher of the profile.
    pub fn hasher(self) -> ProfileHasher {
        match self {
            CryptoProfile::Standard => ProfileHasher::Sha256(<sha2::Sha256 as sha2::Digest>::new()),
            CryptoProfile::GuoMi => ProfileHasher::Sm3(<sm3::Sm3 as sm3::Digest>::new()),
        }
    }

    /// The hash of the concatenation of `parts`.
    pub fn hash(self, parts: &[&[u8]]) -> [u8; 32] {
        let mut hasher = self.hasher();
        for part in parts {
            hasher.update(part);
        }
        hasher.finalize()
    }
}

impl Encode for CryptoProfile {
    fn encode(&self, writer: &mut Writer) {
        writer.u8(match self {
            CryptoProfile::Standard => 1,
            CryptoProfile::GuoMi => 2,
        });
    }
}

impl Decode for CryptoProfile {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match reader.u8("crypto profile")? {
            1 => Ok(CryptoProfile::Standard),
            2 => Ok(CryptoProfile::GuoMi),
            tag => Err(DecodeError::UnknownTag {
                what: "crypto profile",
                tag,
            }),
        }
    }
}

/// An incremental hasher of one of the profiles.
#[derive(Debug, Clone)]
pub enum ProfileHasher {
    /// SHA-256.
    Sha256(sha2::Sha256),
    /// SM3.
    Sm3(sm3::Sm3),
}

impl ProfileHasher {
    /// Absorbs `data`.
    pub fn update(&mut self, data: &[u8]) {
        match self {
            ProfileHasher::Sha256(h) => sha2::Digest::update(h, data),
            ProfileHasher::Sm3(h) => sm3::Digest::update(h, data),
        }
    }

    /// The 32-byte digest.
    pub fn finalize(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        match self {
            ProfileHasher::Sha256(h) => out.copy_from_slice(&sha2::Digest::finalize(h)),
            ProfileHasher::Sm3(h) => out.copy_from_slice(&sm3::Digest::finalize(h)),
        }
        out
    }
}

/// A signature algorithm of chain keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SignatureAlgorithm {
    /// Ed25519 (RFC 8032, strict verification).
    Ed25519,
    /// SM2 with SM3 and the default distinguishing ID.
    Sm2,
}

impl SignatureAlgorithm {
    /// The name: `ed25519` or `sm2`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureAlgorithm::Ed25519 => "ed25519",
            SignatureAlgorithm::Sm2 => "sm2",
        }
    }

    /// The wire tag (shared with [`crate::document::VerificationKey`]): 1 Ed25519, 2 SM2.
    pub fn tag(self) -> u8 {
        match self {
            SignatureAlgorithm::Ed25519 => 1,
            SignatureAlgorithm::Sm2 => 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_hashes_match_known_digests() {
        // SHA-256("abc") and SM3("abc") (GB/T 32905 example 1).
        assert_eq!(
            hex::encode(CryptoProfile::Standard.hash(&[b"a", b"bc"])),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex::encode(CryptoProfile::GuoMi.hash(&[b"ab", b"c"])),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }

    #[test]
    fn profile_tags_round_trip_and_unknown_fails() {
        for profile in CryptoProfile::ALL {
            assert_eq!(
                CryptoProfile::from_bytes(&profile.to_bytes()).unwrap(),
                profile
            );
        }
        assert!(matches!(
            CryptoProfile::from_bytes(&[9]),
            Err(DecodeError::UnknownTag { tag: 9, .. })
        ));
    }
}
