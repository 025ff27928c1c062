//! DID resolution over the state: the document version in force at a height or a time, and
//! the [`RegistryKeyResolver`] that credential verification uses, so a credential signed before
//! a key rotation verifies against the key valid at its issuance height.

use crosscode_core::did::{DidError, DidUrl, KeyResolver};
use crosscode_core::keys::PublicKey;

use super::State;
use crate::document::{DocumentContent, RegistryDid};
use crate::records::{DidRecord, DidVersion, StateKey};

/// A DID resolved at some height.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedDid {
    /// The DID.
    pub did: RegistryDid,
    /// The document valid then.
    pub document: DocumentContent,
    /// Whether the DID was deactivated then.
    pub deactivated: bool,
    /// The version number.
    pub version: u32,
    /// Height at which this version took effect.
    pub version_height: u64,
    /// Time at which this version took effect (Unix seconds).
    pub version_time: u64,
    /// Height at which the DID was created.
    pub created_height: u64,
    /// Time at which the DID was created.
    pub created_time: u64,
}

/// Why a DID does not resolve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// No such DID (at that height).
    #[error("DID not found")]
    NotFound,
    /// A stored record does not decode.
    #[error("corrupt state record")]
    CorruptState,
}

impl State {
    /// Resolves `did` as of `height` (`None`: now): the document version in force after the
    /// block at that height.
    pub fn resolve(
        &self,
        did: &RegistryDid,
        height: Option<u64>,
    ) -> Result<ResolvedDid, ResolveError> {
        self.resolve_where(did, |version| height.is_none_or(|h| version.height <= h))
    }

    /// Resolves `did` as of a time (Unix seconds): the version in force at `time`.
    pub fn resolve_at_time(
        &self,
        did: &RegistryDid,
        time: u64,
    ) -> Result<ResolvedDid, ResolveError> {
        self.resolve_where(did, |version| version.time <= time)
    }

    fn resolve_where(
        &self,
        did: &RegistryDid,
        in_force: impl Fn(&DidVersion) -> bool,
    ) -> Result<ResolvedDid, ResolveError> {
        let record: DidRecord = self
            .record(&StateKey::did(did))
            .map_err(|_| ResolveError::CorruptState)?
            .ok_or(ResolveError::NotFound)?;
        for number in (0..record.versions).rev() {
            let version: DidVersion = self
                .record(&StateKey::did_version(did, number))
                .map_err(|_| ResolveError::CorruptState)?
                .ok_or(ResolveError::CorruptState)?;
            if in_force(&version) {
                return Ok(ResolvedDid {
                    did: did.clone(),
                    document: version.document,
                    deactivated: version.deactivated,
                    version: number,
                    version_height: version.height,
                    version_time: version.time,
                    created_height: record.created_height,
                    created_time: record.created_time,
                });
            }
        }
        Err(ResolveError::NotFound)
    }

    /// A [`KeyResolver`] over this state as of `height` (`None`: now), so a credential signed
    /// before a key rotation verifies against the key valid at its issuance height.
    pub fn key_resolver(&self, height: Option<u64>) -> RegistryKeyResolver<'_> {
        RegistryKeyResolver {
            state: self,
            height,
        }
    }
}

/// Resolves `did:crosscode` verification methods against the registry state at a height.
#[derive(Debug, Clone, Copy)]
pub struct RegistryKeyResolver<'a> {
    state: &'a State,
    height: Option<u64>,
}

impl KeyResolver for RegistryKeyResolver<'_> {
    fn resolve_verification_method(&self, vm: &DidUrl) -> Result<PublicKey, DidError> {
        let not_found = || DidError::VerificationMethodNotFound {
            id: vm.as_str().chars().take(80).collect(),
        };
        if vm.did().method() != crate::document::DID_METHOD {
            return Err(DidError::MethodNotSupported {
                method: vm.did().method().chars().take(32).collect(),
            });
        }
        let did = RegistryDid::parse(vm.did().as_str()).map_err(|_| DidError::InvalidDid {
            input: vm.did().as_str().chars().take(80).collect(),
            reason: "not a valid did:crosscode DID",
        })?;
        if vm.path().is_some() || vm.query().is_some() {
            return Err(not_found());
        }
        let fragment = vm.fragment().ok_or_else(not_found)?;
        let resolved = self
            .state
            .resolve(&did, self.height)
            .map_err(|_| not_found())?;
        if resolved.deactivated {
            return Err(not_found());
        }
        resolved
            .document
            .method(fragment)
            .map(|m| m.key.0.clone())
            .ok_or_else(not_found)
    }
}
