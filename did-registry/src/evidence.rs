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
//! Merkle root ([`crate::merkle`]) of the batch's **anchor leaves** in issuance order, and
//! each credential travels with its [`AnchorReceipt`] (inclusion path):
//!
//! ```text
//! anchor_leaf = H( "crosscode anchor leaf v1" 0x00 || UTF-8(credential id) 0x00 || credential_hash )
//! ```
//!
//! The leaf binds the hash to the credential's `id`, so a holder who discloses only some
//! claims (a `bbs-jcs-2026`-derived credential revealing its `id`) can show that *this*
//! credential was anchored, without disclosing what the hash covers.

use crosscode_core::anchor::AnchorReceipt;
use crosscode_core::jcs::{JcsError, canonicalize_to_bytes};
use serde_json::Value;

use crate::merkle::{InclusionPath, MerkleError};
use crate::profile::CryptoProfile;

/// The domain prefix of an anchor leaf.
pub const ANCHOR_LEAF_DOMAIN: &[u8] = b"crosscode anchor leaf v1\0";

/// The credential hash of a secured credential (see the module documentation).
pub fn credential_hash(profile: CryptoProfile, credential: &Value) -> Result<[u8; 32], JcsError> {
    let canonical = canonicalize_to_bytes(credential)?;
    Ok(profile.hash(&[&canonical]))
}

/// The anchor leaf of the credential `credential_id` whose credential hash is
/// `credential_hash` (see the module documentation).
pub fn anchor_leaf(
    profile: CryptoProfile,
    credential_id: &str,
    credential_hash: &[u8; 32],
) -> [u8; 32] {
    profile.hash(&[
        ANCHOR_LEAF_DOMAIN,
        credential_id.as_bytes(),
        &[0],
        credential_hash,
    ])
}

/// Why an anchor receipt does not prove an anchor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    /// A hash of the receipt is not 32 bytes of hex.
    #[error("the receipt's {0} is not a 32-byte hex hash")]
    Malformed(&'static str),
    /// The inclusion path does not lead from the leaf to the receipt's root.
    #[error(transparent)]
    Path(#[from] MerkleError),
}

/// Checks that `receipt`'s path leads from the anchor leaf of `credential_id` and the
/// receipt's credential hash to its Merkle root; answers the root (whose `batch/<root>` entry
/// on the chain says who anchored it, and when).
pub fn verify_receipt(
    profile: CryptoProfile,
    receipt: &AnchorReceipt,
    credential_id: &str,
) -> Result<[u8; 32], ReceiptError> {
    let hash = receipt
        .credential_hash()
        .ok_or(ReceiptError::Malformed("credentialHash"))?;
    let root = receipt
        .root()
        .ok_or(ReceiptError::Malformed("merkleRoot"))?;
    let siblings = receipt.siblings().ok_or(ReceiptError::Malformed("path"))?;
    let path = InclusionPath {
        index: receipt.index,
        size: receipt.size,
        siblings,
    };
    path.verify(profile, &root, &anchor_leaf(profile, credential_id, &hash))?;
    Ok(root)
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

    #[test]
    fn a_receipt_proves_the_leaf_of_its_credential_id_and_no_other() {
        let profile = CryptoProfile::Standard;
        let hashes = [[1u8; 32], [2u8; 32], [3u8; 32]];
        let ids = ["urn:a", "urn:b", "urn:c"];
        let leaves: Vec<[u8; 32]> = ids
            .iter()
            .zip(&hashes)
            .map(|(id, hash)| anchor_leaf(profile, id, hash))
            .collect();
        let tree = crate::merkle::MerkleTree::new(profile, &leaves);
        let path = tree.path(1).unwrap();
        let mut receipt = AnchorReceipt {
            credential_hash: hex::encode(hashes[1]),
            chain_id: "c".into(),
            merkle_root: hex::encode(tree.root()),
            index: path.index,
            size: path.size,
            path: path.siblings.iter().map(hex::encode).collect(),
            height: 1,
            transaction: hex::encode([0u8; 32]),
        };
        assert_eq!(verify_receipt(profile, &receipt, "urn:b"), Ok(tree.root()));
        assert!(matches!(
            verify_receipt(profile, &receipt, "urn:a"),
            Err(ReceiptError::Path(MerkleError::RootMismatch))
        ));
        receipt.credential_hash = hex::encode(hashes[0]);
        assert!(verify_receipt(profile, &receipt, "urn:b").is_err());
        receipt.merkle_root = "00".into();
        assert_eq!(
            verify_receipt(profile, &receipt, "urn:b"),
            Err(ReceiptError::Malformed("merkleRoot"))
        );
    }
}
