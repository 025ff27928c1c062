//! The anchor receipt: what proves that a credential was anchored on the chain, in the JSON
//! form an issuer answers beside the credential and a wallet keeps with it.
//!
//! ```json
//! {"credentialHash": "<64 hex>", "chainId": "crosscode-dev", "merkleRoot": "<64 hex>",
//!  "index": 3, "size": 8, "path": ["<64 hex>", …], "height": 42, "transaction": "<64 hex>"}
//! ```
//!
//! `credentialHash` is the credential hash (`did-registry`'s `evidence::credential_hash`: the
//! profile hash of the whole secured credential's JCS form). The batch's leaves are the credentials' **anchor leaves** (`did-registry`'s
//! `evidence::anchor_leaf`: the chain profile's hash over the credential's `id` and its
//! credential hash), in issuance order; `path` holds the sibling hashes from the leaf to the
//! root (`did-registry`'s `merkle`). Whoever holds a proof of the chain's `batch/<merkleRoot>`
//! entry checks offline that the credential was anchored, by whom and at which height.

use serde::{Deserialize, Serialize};

/// Proof that a credential's anchor leaf is a leaf of an anchored batch (see the module
/// documentation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnchorReceipt {
    /// The credential hash (hex).
    pub credential_hash: String,
    /// The chain's id.
    pub chain_id: String,
    /// The batch's Merkle root (hex).
    pub merkle_root: String,
    /// The credential's leaf index.
    pub index: u64,
    /// The batch size.
    pub size: u64,
    /// The inclusion path's sibling hashes, leaf to root (hex).
    pub path: Vec<String>,
    /// Height of the block that committed the anchor.
    pub height: u64,
    /// Hash of the anchor transaction (hex).
    pub transaction: String,
}

impl AnchorReceipt {
    /// The credential hash, or `None` when it is not 32 bytes of hex.
    pub fn credential_hash(&self) -> Option<[u8; 32]> {
        parse_hash(&self.credential_hash)
    }

    /// The Merkle root, or `None` when it is not 32 bytes of hex.
    pub fn root(&self) -> Option<[u8; 32]> {
        parse_hash(&self.merkle_root)
    }

    /// The sibling hashes, or `None` when one is not 32 bytes of hex.
    pub fn siblings(&self) -> Option<Vec<[u8; 32]>> {
        self.path.iter().map(|hash| parse_hash(hash)).collect()
    }
}

fn parse_hash(text: &str) -> Option<[u8; 32]> {
    hex::decode(text).ok()?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_reads_its_hashes_and_refuses_a_short_one() {
        let mut receipt = AnchorReceipt {
            credential_hash: "00".repeat(32),
            chain_id: "c".into(),
            merkle_root: "11".repeat(32),
            index: 0,
            size: 2,
            path: vec!["22".repeat(32)],
            height: 1,
            transaction: "33".repeat(32),
        };
        assert_eq!(receipt.credential_hash(), Some([0; 32]));
        assert_eq!(receipt.root(), Some([0x11; 32]));
        assert_eq!(receipt.siblings(), Some(vec![[0x22; 32]]));
        receipt.path.push("44".into());
        assert_eq!(receipt.siblings(), None);
        receipt.merkle_root = "zz".into();
        assert_eq!(receipt.root(), None);
    }
}
