//! Verification relationships (W3C DID Core §5.3): what a DID's controller authorises a
//! verification method for.
//!
//! Verification binds each proof to a relationship: a credential's proof needs a method of
//! the issuer listed under `assertionMethod`, a presentation's proof a method of the holder
//! listed under `authentication` (the proof's `proofPurpose` names it, and the DID document
//! in force when the proof was made must list the method under it).

use std::fmt;

use serde::{Serialize, Serializer};

/// A verification relationship of a DID document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VerificationRelationship {
    /// `authentication`: proving control of the DID (a holder signing a presentation).
    Authentication,
    /// `assertionMethod`: issuing assertions such as credentials.
    AssertionMethod,
    /// `capabilityInvocation`: invoking capabilities (e.g. updating the DID document).
    CapabilityInvocation,
    /// `capabilityDelegation`: delegating capabilities.
    CapabilityDelegation,
}

impl VerificationRelationship {
    /// Every relationship, in DID Core's order.
    pub const ALL: [VerificationRelationship; 4] = [
        VerificationRelationship::Authentication,
        VerificationRelationship::AssertionMethod,
        VerificationRelationship::CapabilityInvocation,
        VerificationRelationship::CapabilityDelegation,
    ];

    /// The property name in a DID document, which is also the `proofPurpose` of a proof
    /// made for it.
    pub fn name(self) -> &'static str {
        match self {
            VerificationRelationship::Authentication => "authentication",
            VerificationRelationship::AssertionMethod => "assertionMethod",
            VerificationRelationship::CapabilityInvocation => "capabilityInvocation",
            VerificationRelationship::CapabilityDelegation => "capabilityDelegation",
        }
    }

    /// The relationship with this property name, if any.
    pub fn from_name(name: &str) -> Option<VerificationRelationship> {
        VerificationRelationship::ALL
            .into_iter()
            .find(|relationship| relationship.name() == name)
    }
}

impl fmt::Display for VerificationRelationship {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for VerificationRelationship {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_none() {
        for relationship in VerificationRelationship::ALL {
            assert_eq!(
                VerificationRelationship::from_name(relationship.name()),
                Some(relationship)
            );
        }
        assert_eq!(VerificationRelationship::from_name("keyAgreement"), None);
        assert_eq!(VerificationRelationship::from_name("AssertionMethod"), None);
    }
}
