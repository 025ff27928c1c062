//! The two ciphersuites of the draft, BLS12-381-SHA-256 and BLS12-381-SHAKE-256, as types
//! implementing [`Ciphersuite`], plus [`CiphersuiteId`] for choosing one at run time.

use std::fmt;
use std::str::FromStr;

use blstrs::G1Projective;

use crate::error::BbsError;
use crate::expand_message::{expand_message_xmd_sha256, expand_message_xof_shake256};
use crate::generators::GeneratorCache;

/// `expand_len`: bytes of `expand_message` output per scalar (ceil((ceil(log2(r)) + k) / 8)).
pub const EXPAND_LENGTH: usize = 48;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Bls12381Sha256 {}
    impl Sealed for super::Bls12381Shake256 {}
}

/// A BBS ciphersuite of the draft: its identifiers, `expand_message`, `hash_to_curve` and the
/// base point P1. Sealed: only the two draft ciphersuites implement it.
pub trait Ciphersuite: sealed::Sealed + Send + Sync + 'static {
    /// The run-time identifier of this ciphersuite.
    const ID: CiphersuiteId;
    /// `ciphersuite_id`, e.g. `BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_`.
    const CIPHERSUITE_ID: &'static [u8];
    /// `api_id` = `ciphersuite_id || "H2G_HM2S_"` (the interface with hash-to-scalar message mapping).
    const API_ID: &'static [u8];
    /// The compressed base point P1 of the ciphersuite.
    const P1: [u8; 48];

    /// `expand_message(msg, dst, len)`; the message is the concatenation of `msg`.
    fn expand_message(msg: &[&[u8]], dst: &[u8], len: usize) -> Result<Vec<u8>, BbsError>;

    /// `hash_to_curve_g1(msg, dst)` (RFC 9380 `BLS12381G1_XMD:SHA-256_SSWU_RO_` or
    /// `BLS12381G1_XOF:SHAKE-256_SSWU_RO_`).
    fn hash_to_curve_g1(msg: &[u8], dst: &[u8]) -> Result<G1Projective, BbsError>;

    /// The process-wide cache of this ciphersuite's generators.
    fn generator_cache() -> &'static GeneratorCache;

    /// `api_id || suffix`, a domain separation tag of this interface.
    fn dst(suffix: &[u8]) -> Vec<u8> {
        let mut dst = Vec::with_capacity(Self::API_ID.len() + suffix.len());
        dst.extend_from_slice(Self::API_ID);
        dst.extend_from_slice(suffix);
        dst
    }
}

/// The BLS12-381-SHA-256 ciphersuite (`expand_message_xmd` with SHA-256).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bls12381Sha256;

/// The BLS12-381-SHAKE-256 ciphersuite (`expand_message_xof` with SHAKE-256).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bls12381Shake256;

impl Ciphersuite for Bls12381Sha256 {
    const ID: CiphersuiteId = CiphersuiteId::Bls12381Sha256;
    const CIPHERSUITE_ID: &'static [u8] = b"BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_";
    const API_ID: &'static [u8] = b"BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_H2G_HM2S_";
    const P1: [u8; 48] = [
        0xa8, 0xce, 0x25, 0x61, 0x02, 0x84, 0x08, 0x21, 0xa3, 0xe9, 0x4e, 0xa9, 0x02, 0x5e, 0x46,
        0x62, 0xb2, 0x05, 0x76, 0x2f, 0x97, 0x76, 0xb3, 0xa7, 0x66, 0xc8, 0x72, 0xb9, 0x48, 0xf1,
        0xfd, 0x22, 0x5e, 0x7c, 0x59, 0x69, 0x85, 0x88, 0xe7, 0x0d, 0x11, 0x40, 0x6d, 0x16, 0x1b,
        0x4e, 0x28, 0xc9,
    ];

    fn expand_message(msg: &[&[u8]], dst: &[u8], len: usize) -> Result<Vec<u8>, BbsError> {
        expand_message_xmd_sha256(msg, dst, len)
    }

    fn hash_to_curve_g1(msg: &[u8], dst: &[u8]) -> Result<G1Projective, BbsError> {
        if dst.len() > crate::expand_message::MAX_DST_LENGTH {
            return Err(BbsError::DstTooLong { length: dst.len() });
        }
        Ok(G1Projective::hash_to_curve(msg, dst, &[]))
    }

    fn generator_cache() -> &'static GeneratorCache {
        static CACHE: GeneratorCache = GeneratorCache::new();
        &CACHE
    }
}

impl Ciphersuite for Bls12381Shake256 {
    const ID: CiphersuiteId = CiphersuiteId::Bls12381Shake256;
    const CIPHERSUITE_ID: &'static [u8] = b"BBS_BLS12381G1_XOF:SHAKE-256_SSWU_RO_";
    const API_ID: &'static [u8] = b"BBS_BLS12381G1_XOF:SHAKE-256_SSWU_RO_H2G_HM2S_";
    const P1: [u8; 48] = [
        0x89, 0x29, 0xdf, 0xbc, 0x7e, 0x66, 0x42, 0xc4, 0xed, 0x9c, 0xba, 0x08, 0x56, 0xe4, 0x93,
        0xf8, 0xb9, 0xd7, 0xd5, 0xfc, 0xb0, 0xc3, 0x1e, 0xf8, 0xfd, 0xcd, 0x34, 0xd5, 0x06, 0x48,
        0xa5, 0x6c, 0x79, 0x5e, 0x10, 0x6e, 0x9e, 0xad, 0xa6, 0xe0, 0xbd, 0xa3, 0x86, 0xb4, 0x14,
        0x15, 0x07, 0x55,
    ];

    fn expand_message(msg: &[&[u8]], dst: &[u8], len: usize) -> Result<Vec<u8>, BbsError> {
        expand_message_xof_shake256(msg, dst, len)
    }

    fn hash_to_curve_g1(msg: &[u8], dst: &[u8]) -> Result<G1Projective, BbsError> {
        use bls12_381_plus::elliptic_curve::hash2curve::ExpandMsgXof;
        if dst.len() > crate::expand_message::MAX_DST_LENGTH {
            return Err(BbsError::DstTooLong { length: dst.len() });
        }
        // blst implements only the XMD expander; the SHAKE-256 suite maps with bls12_381_plus
        // (used only for generator creation, whose results are cached) and converts the
        // compressed point, re-checking it.
        let point = bls12_381_plus::G1Projective::hash::<ExpandMsgXof<sha3::Shake256>>(msg, dst);
        let bytes = bls12_381_plus::G1Affine::from(point).to_compressed();
        let affine = crate::point::g1_from_bytes(&bytes, "hash_to_curve output")?;
        Ok(G1Projective::from(affine))
    }

    fn generator_cache() -> &'static GeneratorCache {
        static CACHE: GeneratorCache = GeneratorCache::new();
        &CACHE
    }
}

/// A ciphersuite chosen at run time (from a fixture file, a CLI flag, a proof's metadata).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CiphersuiteId {
    /// BLS12-381-SHA-256.
    Bls12381Sha256,
    /// BLS12-381-SHAKE-256.
    Bls12381Shake256,
}

impl CiphersuiteId {
    /// The draft's `ciphersuite_id` string.
    pub fn ciphersuite_id(self) -> &'static [u8] {
        match self {
            Self::Bls12381Sha256 => Bls12381Sha256::CIPHERSUITE_ID,
            Self::Bls12381Shake256 => Bls12381Shake256::CIPHERSUITE_ID,
        }
    }

    /// The short name used in fixture folders and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Bls12381Sha256 => "bls12-381-sha-256",
            Self::Bls12381Shake256 => "bls12-381-shake-256",
        }
    }
}

impl fmt::Display for CiphersuiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The string is not a known ciphersuite name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown BBS ciphersuite {0:?} (expected bls12-381-sha-256 or bls12-381-shake-256)")]
pub struct UnknownCiphersuite(pub String);

impl FromStr for CiphersuiteId {
    type Err = UnknownCiphersuite;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "bls12-381-sha-256" | "bls12381sha256" | "sha-256" | "sha256" => {
                Ok(Self::Bls12381Sha256)
            }
            "bls12-381-shake-256" | "bls12381shake256" | "shake-256" | "shake256" => {
                Ok(Self::Bls12381Shake256)
            }
            _ => Err(UnknownCiphersuite(s.to_owned())),
        }
    }
}
