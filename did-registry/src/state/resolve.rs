//! DID resolution over the state: the document version in force at a height or a time, and
//! the [`RegistryKeyResolver`] that credential verification uses, so a credential signed before
//! a key rotation verifies against the key in force when it was issued, and a retired key used
//! after the rotation does not.

use crosscode_core::did::{DidError, DidUrl, KeyResolver, VerificationRelationship};
use crosscode_core::keys::PublicKey;
use time::OffsetDateTime;

use super::State;
use crate::document::{DocumentContent, RegistryDid, Relationships};
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
    /// The key of `vm` in the DID document in force at `at` (its version with the latest
    /// time not after `at`), else at this resolver's height: [`DidError::NotInForce`] when the
    /// DID exists but that version does not list the method (or the DID was deactivated), and
    /// [`DidError::NotAuthorised`] when the method lacks `relationship`;
    /// [`DidError::VerificationMethodNotFound`] for a DID the chain does not know.
    fn resolve_verification_method(
        &self,
        vm: &DidUrl,
        relationship: VerificationRelationship,
        at: Option<OffsetDateTime>,
    ) -> Result<PublicKey, DidError> {
        let shortened = || vm.as_str().chars().take(80).collect::<String>();
        let not_found = || DidError::VerificationMethodNotFound { id: shortened() };
        let not_in_force = || DidError::NotInForce { id: shortened() };
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
        // A DID the chain knows, without this method in force then: not in force (its document
        // did not list the method at that time); a DID it does not know: not found.
        let known = || self.state.resolve(&did, None).is_ok();
        let resolved = match at {
            Some(at) => self
                .state
                .resolve_at_time(&did, u64::try_from(at.unix_timestamp()).unwrap_or(0)),
            None => self.state.resolve(&did, self.height),
        };
        let resolved = match resolved {
            Ok(resolved) => resolved,
            Err(_) if known() => return Err(not_in_force()),
            Err(_) => return Err(not_found()),
        };
        if resolved.deactivated {
            return Err(not_in_force());
        }
        let Some(method) = resolved.document.method(fragment) else {
            return Err(not_in_force());
        };
        let wanted = Relationships::from_name(relationship.name()).ok_or_else(not_found)?;
        if !method.relationships.contains(wanted) {
            return Err(DidError::NotAuthorised {
                id: shortened(),
                relationship,
            });
        }
        Ok(method.key.0.clone())
    }
}
