//! The credential hash: what an evidence anchor commits to.
//!
//! ```text
//! credential_hash = H( JCS(secured credential) )
//! ```
//!
//! - `H` is the chain profile's hash: SHA-256 (`standard`) or SM3 (`guomi`), 32 bytes;
//! - `JCS` is the RFC 8785 canonical form (UTF-8) of the **whole secured credential** as
//!   issued: every member, the `proof` member (one proof or a proof set) included, the
//!   issuer's random `id` (≥ 128 bits) included.
//!
//! Because the random `id` and the signatures are inside, the hash cannot be inverted by
//! guessing personal values (a name and a birth date are guessable, 128 random bits and a
//! signature are not), so a hash can go on the public chain. A single anchor
//! (`AnchorEvidence`) records the hash itself; a batch anchor (`AnchorBatch`) records the
//! Merkle root ([`crate::merkle`]) of the batch's credential hashes in issuance order, and
//! each credential travels with its inclusion path.

use crosscode_core::jcs::{JcsError, canonicalize_to_bytes};
use serde_json::Value;

use crate::profile::CryptoProfile;

/// The credential hash of a secured credential (see the module documentation).
pub fn credential_hash(profile: CryptoProfile, credential: &Value) -> Result<[u8; 32], JcsError> {
    let canonical = canonicalize_to_bytes(credential)?;
    Ok(profile.hash(&[&canonical]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_hash_is_the_profile_hash_of_the_canonical_form_and_member_order_does_not_matter() {
        let a = json!({"id": "urn:x", "type": ["VerifiableCredential"], "proof": {"a": 1}});
        let b = json!({"proof": {"a": 1}, "type": ["VerifiableCredential"], "id": "urn:x"});
        let canonical = br#"{"id":"urn:x","proof":{"a":1},"type":["VerifiableCredential"]}"#;
        for profile in CryptoProfile::ALL {
            assert_eq!(
                credential_hash(profile, &a).unwrap(),
                profile.hash(&[canonical])
            );
            assert_eq!(credential_hash(profile, &a), credential_hash(profile, &b));
        }
        assert_ne!(
            credential_hash(CryptoProfile::Standard, &a),
            credential_hash(CryptoProfile::GuoMi, &a)
        );
    }

    #[test]
    fn a_changed_proof_changes_the_hash() {
        let a = json!({"id": "urn:x", "proof": {"proofValue": "z1"}});
        let b = json!({"id": "urn:x", "proof": {"proofValue": "z2"}});
        assert_ne!(
            credential_hash(CryptoProfile::Standard, &a),
            credential_hash(CryptoProfile::Standard, &b)
        );
    }
}
