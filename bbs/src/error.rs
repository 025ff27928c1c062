//! The typed errors of the BBS operations.

use thiserror::Error;

/// Everything that can go wrong in a BBS operation. Decoding errors name the component that
/// failed (`"public key"`, `"signature A"`, `"proof A_bar"`, ...), verification failures are
/// [`BbsError::InvalidSignature`] and [`BbsError::InvalidProof`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BbsError {
    /// An encoded value has the wrong number of bytes.
    #[error("{what}: expected {expected} bytes, got {actual}")]
    InvalidLength {
        /// Which value was being decoded.
        what: &'static str,
        /// The required length.
        expected: usize,
        /// The length that was given.
        actual: usize,
    },
    /// A proof's length is not `3 * 48 + 32 * (4 + U)` bytes for any `U >= 0`.
    #[error("proof: {actual} bytes is not 144 + 32 * (4 + U) for any U >= 0")]
    InvalidProofLength {
        /// The length that was given.
        actual: usize,
    },
    /// A compressed point has invalid flag bits or a coordinate that is not below the field modulus.
    #[error("{what}: invalid compressed point encoding")]
    InvalidPointEncoding {
        /// Which point was being decoded.
        what: &'static str,
    },
    /// The encoded x coordinate has no point on the curve.
    #[error("{what}: point is not on the curve")]
    PointNotOnCurve {
        /// Which point was being decoded.
        what: &'static str,
    },
    /// The point is on the curve but not in the prime-order subgroup.
    #[error("{what}: point is not in the prime-order subgroup")]
    PointNotInSubgroup {
        /// Which point was being decoded.
        what: &'static str,
    },
    /// The point is the identity (point at infinity), which is never valid here.
    #[error("{what}: point is the identity")]
    IdentityPoint {
        /// Which point was being decoded.
        what: &'static str,
    },
    /// A scalar is not below the group order r.
    #[error("{what}: scalar is not below the group order")]
    ScalarOutOfRange {
        /// Which scalar was being decoded.
        what: &'static str,
    },
    /// A scalar is zero where zero is not allowed.
    #[error("{what}: scalar is zero")]
    ZeroScalar {
        /// Which scalar was being decoded or derived.
        what: &'static str,
    },
    /// KeyGen needs at least 32 bytes of key material.
    #[error("key material has {length} bytes, at least 32 are required")]
    KeyMaterialTooShort {
        /// The length that was given.
        length: usize,
    },
    /// KeyGen's key_info must be at most 65535 bytes.
    #[error("key info has {length} bytes, at most 65535 are allowed")]
    KeyInfoTooLong {
        /// The length that was given.
        length: usize,
    },
    /// A domain separation tag longer than 255 bytes.
    #[error("domain separation tag has {length} bytes, at most 255 are allowed")]
    DstTooLong {
        /// The length that was given.
        length: usize,
    },
    /// expand_message was asked for more bytes than it can produce.
    #[error("expand_message cannot produce {length} bytes")]
    ExpandLengthTooLarge {
        /// The requested length.
        length: usize,
    },
    /// A disclosed index is not below the number of messages.
    #[error("disclosed index {index} is out of range for {message_count} messages")]
    DisclosedIndexOutOfRange {
        /// The offending index.
        index: usize,
        /// The number of messages.
        message_count: usize,
    },
    /// Disclosed indexes must be strictly increasing (sorted, no duplicates).
    #[error("disclosed indexes are not strictly increasing")]
    DisclosedIndexesNotSorted,
    /// The number of disclosed messages differs from the number of disclosed indexes.
    #[error("{messages} disclosed messages but {indexes} disclosed indexes")]
    DisclosedCountMismatch {
        /// Number of disclosed messages.
        messages: usize,
        /// Number of disclosed indexes.
        indexes: usize,
    },
    /// The signature does not verify.
    #[error("signature is invalid")]
    InvalidSignature,
    /// The proof does not verify.
    #[error("proof is invalid")]
    InvalidProof,
}
