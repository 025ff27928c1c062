//! Consortium governance: authority-issuer scopes and the actions a proposal can carry.

use crate::codec::{Decode, DecodeError, Encode, MAX_NAME_LEN, Reader, Writer};
use crate::document::RegistryDid;
use crate::validators::Validator;

/// Most credential types in one issuer scope.
pub const MAX_SCOPE_TYPES: usize = 32;
/// Most validators in a validator set.
pub const MAX_VALIDATORS: usize = 128;

/// What an admitted authority issuer may issue: credential types, its jurisdiction and the
/// window (Unix seconds, `valid_from <= t < valid_until`) in which it may anchor evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerScope {
    /// Credential types it may issue (e.g. `HealthCode`, `NucleicAcidTestResult`).
    pub credential_types: Vec<String>,
    /// Its jurisdiction code (e.g. `CN-GD`, `MO`).
    pub jurisdiction: String,
    /// Start of the validity window (Unix seconds, inclusive).
    pub valid_from: u64,
    /// End of the validity window (Unix seconds, exclusive).
    pub valid_until: u64,
}

impl IssuerScope {
    /// Checks the scope: 1–32 non-empty types of at most 128 bytes without duplicates, a
    /// non-empty jurisdiction, and `valid_from < valid_until`.
    pub fn check(&self) -> Result<(), &'static str> {
        if self.credential_types.is_empty() || self.credential_types.len() > MAX_SCOPE_TYPES {
            return Err("scope needs 1 to 32 credential types");
        }
        if self
            .credential_types
            .iter()
            .any(|t| t.is_empty() || t.len() > MAX_NAME_LEN)
        {
            return Err("invalid credential type");
        }
        let mut sorted: Vec<&String> = self.credential_types.iter().collect();
        sorted.sort_unstable();
        if sorted.windows(2).any(|w| w.first() == w.get(1)) {
            return Err("duplicate credential type");
        }
        if self.jurisdiction.is_empty() || self.jurisdiction.len() > MAX_NAME_LEN {
            return Err("invalid jurisdiction");
        }
        if self.valid_from >= self.valid_until {
            return Err("empty validity window");
        }
        Ok(())
    }

    /// Whether `time` (Unix seconds) lies in the validity window.
    pub fn is_valid_at(&self, time: u64) -> bool {
        self.valid_from <= time && time < self.valid_until
    }
}

impl Encode for IssuerScope {
    fn encode(&self, writer: &mut Writer) {
        writer.seq(&self.credential_types);
        writer.str(&self.jurisdiction);
        writer.u64(self.valid_from);
        writer.u64(self.valid_until);
    }
}

impl Decode for IssuerScope {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            credential_types: reader.seq("credential types", MAX_SCOPE_TYPES)?,
            jurisdiction: reader.str("jurisdiction", MAX_NAME_LEN)?,
            valid_from: reader.u64("valid from")?,
            valid_until: reader.u64("valid until")?,
        })
    }
}

/// What a governance proposal does once it has the genesis threshold of approvals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GovernanceAction {
    /// Admit a registry DID as an authority issuer with a scope.
    AdmitIssuer {
        /// The issuer's DID.
        issuer: RegistryDid,
        /// Its scope.
        scope: IssuerScope,
    },
    /// Suspend an admitted issuer (it can no longer anchor evidence or register schemas).
    SuspendIssuer {
        /// The issuer's DID.
        issuer: RegistryDid,
    },
    /// Lift a suspension.
    ReinstateIssuer {
        /// The issuer's DID.
        issuer: RegistryDid,
    },
    /// Replace an admitted issuer's scope.
    RescopeIssuer {
        /// The issuer's DID.
        issuer: RegistryDid,
        /// The new scope.
        scope: IssuerScope,
    },
    /// Replace the validator set (it signs from the block after the one that executes this).
    SetValidators {
        /// The new validators.
        validators: Vec<Validator>,
    },
}

impl Encode for GovernanceAction {
    fn encode(&self, writer: &mut Writer) {
        match self {
            GovernanceAction::AdmitIssuer { issuer, scope } => {
                writer.u8(1);
                issuer.encode(writer);
                scope.encode(writer);
            }
            GovernanceAction::SuspendIssuer { issuer } => {
                writer.u8(2);
                issuer.encode(writer);
            }
            GovernanceAction::ReinstateIssuer { issuer } => {
                writer.u8(3);
                issuer.encode(writer);
            }
            GovernanceAction::RescopeIssuer { issuer, scope } => {
                writer.u8(4);
                issuer.encode(writer);
                scope.encode(writer);
            }
            GovernanceAction::SetValidators { validators } => {
                writer.u8(5);
                writer.seq(validators);
            }
        }
    }
}

impl Decode for GovernanceAction {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match reader.u8("governance action")? {
            1 => Ok(GovernanceAction::AdmitIssuer {
                issuer: RegistryDid::decode(reader)?,
                scope: IssuerScope::decode(reader)?,
            }),
            2 => Ok(GovernanceAction::SuspendIssuer {
                issuer: RegistryDid::decode(reader)?,
            }),
            3 => Ok(GovernanceAction::ReinstateIssuer {
                issuer: RegistryDid::decode(reader)?,
            }),
            4 => Ok(GovernanceAction::RescopeIssuer {
                issuer: RegistryDid::decode(reader)?,
                scope: IssuerScope::decode(reader)?,
            }),
            5 => Ok(GovernanceAction::SetValidators {
                validators: reader.seq("validators", MAX_VALIDATORS)?,
            }),
            tag => Err(DecodeError::UnknownTag {
                what: "governance action",
                tag,
            }),
        }
    }
}
