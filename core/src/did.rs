//! Decentralized identifiers: [`Did`] / [`DidUrl`] syntax, the `did:key` method
//! ([`DidKey`]), DID documents with `Multikey` verification methods, DID resolution results,
//! and the [`KeyResolver`] trait that proof verification uses to turn a verification-method
//! DID URL into a public key.

mod document;
mod key;
mod relationship;
mod syntax;
mod trust_cache;

pub use self::document::{
    DID_LD_JSON, DID_RESOLUTION_V1_CONTEXT, DID_V1_CONTEXT, DidDocument, DidDocumentMetadata,
    DidResolutionMetadata, DidResolutionResult, MULTIKEY_TYPE, MULTIKEY_V1_CONTEXT, Service,
    VerificationMethod,
};
pub use self::key::{DID_KEY_METHOD, DidKey, resolve};
pub use self::relationship::VerificationRelationship;
pub use self::syntax::{Did, DidUrl, MAX_DID_LEN};
pub use self::trust_cache::{TrustCache, TrustCacheError, TrustedKey, VERIFICATION_METHODS_MEMBER};

use time::OffsetDateTime;

use crate::keys::PublicKey;
use crate::multicodec::MulticodecError;

/// Errors of DID parsing, `did:key` decoding and resolution.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DidError {
    /// The text is not a syntactically valid DID.
    #[error("invalid DID {input:?}: {reason}")]
    InvalidDid {
        /// The input (at most 80 characters of it).
        input: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The text is not a syntactically valid DID URL.
    #[error("invalid DID URL {input:?}: {reason}")]
    InvalidDidUrl {
        /// The input (at most 80 characters of it).
        input: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The DID method is not supported by this resolver.
    #[error("DID method {method:?} is not supported")]
    MethodNotSupported {
        /// The method name.
        method: String,
    },
    /// The `did:key` method-specific id is not a single multibase value.
    #[error("invalid did:key: {reason}")]
    InvalidDidKey {
        /// What is wrong.
        reason: &'static str,
    },
    /// The multibase / multicodec key is undecodable, of an unsupported key type
    /// (`MulticodecError::UnsupportedKeyType { codec }`) or not a valid key.
    #[error("did:key public key: {0}")]
    Multicodec(MulticodecError),
    /// The DID URL does not name a verification method of the DID document.
    #[error("verification method {id:?} not found")]
    VerificationMethodNotFound {
        /// The DID URL asked for (at most 80 characters of it).
        id: String,
    },
    /// The verification method exists but the DID document does not list it under the
    /// relationship the proof needs (e.g. an `authentication` key used to issue a
    /// credential).
    #[error("verification method {id:?} is not authorised for {relationship}")]
    NotAuthorised {
        /// The DID URL asked for (at most 80 characters of it).
        id: String,
        /// The relationship the proof needs.
        relationship: VerificationRelationship,
    },
    /// The verification method is known but was not in the DID document in force at the
    /// instant asked (a key added later, or retired by a rotation before it).
    #[error("verification method {id:?} was not in force at that time")]
    NotInForce {
        /// The DID URL asked for (at most 80 characters of it).
        id: String,
    },
}

impl From<MulticodecError> for DidError {
    fn from(err: MulticodecError) -> Self {
        DidError::Multicodec(err)
    }
}

/// Turns a verification-method DID URL (e.g. a proof's `verificationMethod`) into the public
/// key it names, provided the DID's controller authorised it for the use asked.
///
/// A resolver answers for the DID document **in force at `at`** (`None`: the latest), so a
/// credential signed before a key rotation still verifies with the key of its time, and a
/// proof made with a retired key after the rotation does not. It refuses a method that the
/// document does not list under `relationship` ([`DidError::NotAuthorised`]) and a method
/// that exists but was not in force at `at` ([`DidError::NotInForce`]).
pub trait KeyResolver {
    /// The public key of the verification method `vm`, authorised for `relationship` by the
    /// DID document of `vm`'s DID as of `at`.
    fn resolve_verification_method(
        &self,
        vm: &DidUrl,
        relationship: VerificationRelationship,
        at: Option<OffsetDateTime>,
    ) -> Result<PublicKey, DidError>;
}

/// The `did:key` resolver: `did:key:z…#z…` resolves offline to the key encoded in the DID.
/// The fragment must equal the method-specific id (the only verification method of a
/// did:key document); a path or query is refused. A did:key document never changes and
/// lists its key under every verification relationship, so `relationship` and `at` never
/// refuse a method.
#[derive(Debug, Clone, Copy, Default)]
pub struct DidKeyResolver;

impl KeyResolver for DidKeyResolver {
    fn resolve_verification_method(
        &self,
        vm: &DidUrl,
        _relationship: VerificationRelationship,
        _at: Option<OffsetDateTime>,
    ) -> Result<PublicKey, DidError> {
        let did_key = DidKey::parse(vm.did())?;
        let not_found = || DidError::VerificationMethodNotFound {
            id: vm.as_str().chars().take(80).collect(),
        };
        if vm.path().is_some() || vm.query().is_some() {
            return Err(not_found());
        }
        match vm.fragment() {
            Some(fragment) if fragment == did_key.multibase() => Ok(did_key.public_key().clone()),
            _ => Err(not_found()),
        }
    }
}

impl<T: KeyResolver + ?Sized> KeyResolver for &T {
    fn resolve_verification_method(
        &self,
        vm: &DidUrl,
        relationship: VerificationRelationship,
        at: Option<OffsetDateTime>,
    ) -> Result<PublicKey, DidError> {
        (**self).resolve_verification_method(vm, relationship, at)
    }
}
