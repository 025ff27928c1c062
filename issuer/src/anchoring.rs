//! Anchoring on the chain: every issued credential's hash goes into a batch anchor, and every
//! chain write of the authority goes through one [`ChainWriter`].
//!
//! The authority's transactions carry consecutive sequence numbers, so its writes are made one
//! at a time. Credentials issued one by one are **group-committed**: a credential's hash waits
//! in a queue while the previous anchor commits; the next anchor takes everything that waited
//! (one `AnchorBatch` transaction over the Merkle root of those hashes, in queue order). A
//! batch of N records is one anchor of its own N hashes. Either way each credential gets an
//! [`AnchorReceipt`]: the root, its leaf index and inclusion path, and the block that
//! committed the anchor — enough for anyone holding a proof of the chain's `batch/<root>`
//! entry to check offline that the credential was anchored, by this issuer, at that height.
//!
//! The receipt's JSON form (what the issuance answers carry beside the credential):
//!
//! ```json
//! {"chainId": "crosscode-dev", "merkleRoot": "<64 hex>", "index": 3, "size": 8,
//!  "path": ["<64 hex>", …], "height": 42, "transaction": "<64 hex>"}
//! ```

use std::sync::Mutex;

use crosscode_did_registry::merkle::{InclusionPath, MerkleTree};
use crosscode_did_registry::transaction::{StatusChange, StatusKey};
use crosscode_registry_client::{ClientError, Committed, RegistryClient, Sender};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::authority::Authority;

/// Proof that a credential hash is a leaf of an anchored batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnchorReceipt {
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
    /// The inclusion path, or `None` when a hash is not 32 bytes of hex.
    pub fn inclusion_path(&self) -> Option<InclusionPath> {
        let siblings = self
            .path
            .iter()
            .map(|hex_hash| parse_hash(hex_hash))
            .collect::<Option<Vec<_>>>()?;
        Some(InclusionPath {
            index: self.index,
            size: self.size,
            siblings,
        })
    }

    /// The Merkle root, or `None` when it is not 32 bytes of hex.
    pub fn root(&self) -> Option<[u8; 32]> {
        parse_hash(&self.merkle_root)
    }
}

fn parse_hash(text: &str) -> Option<[u8; 32]> {
    let bytes = hex::decode(text).ok()?;
    bytes.try_into().ok()
}

/// Why an anchor was not made.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AnchorError {
    /// The chain refused the anchor or could not be reached.
    #[error("chain: {0}")]
    Chain(String),
    /// Nothing to anchor.
    #[error("no credential hash to anchor")]
    Empty,
    /// The writer stopped before answering.
    #[error("the chain writer stopped")]
    Stopped,
}

impl From<ClientError> for AnchorError {
    fn from(err: ClientError) -> Self {
        AnchorError::Chain(err.to_string())
    }
}

type Reply = oneshot::Sender<Result<AnchorReceipt, AnchorError>>;

/// The one writer of the authority's transactions (see the module documentation).
pub struct ChainWriter {
    client: RegistryClient,
    authority: Authority,
    sender: Sender,
    /// Held while a transaction is signed, submitted and committed.
    write: tokio::sync::Mutex<()>,
    /// Credential hashes waiting for the next group anchor.
    queue: Mutex<Vec<([u8; 32], Reply)>>,
}

impl std::fmt::Debug for ChainWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainWriter")
            .field("did", &self.authority.did)
            .finish_non_exhaustive()
    }
}

impl ChainWriter {
    /// The writer of `authority`'s transactions on the chain of `client`.
    pub async fn new(
        client: RegistryClient,
        authority: Authority,
    ) -> Result<ChainWriter, ClientError> {
        let sender = client
            .sender(authority.chain_key.as_ref(), Some(&authority.did))
            .await?;
        Ok(ChainWriter {
            client,
            authority,
            sender,
            write: tokio::sync::Mutex::new(()),
            queue: Mutex::new(Vec::new()),
        })
    }

    /// The registry client.
    pub fn client(&self) -> &RegistryClient {
        &self.client
    }

    /// Anchors one credential hash with whatever else waits (group commit).
    pub async fn anchor_one(&self, hash: [u8; 32]) -> Result<AnchorReceipt, AnchorError> {
        let (reply, mut answer) = oneshot::channel();
        self.queue
            .lock()
            .map_err(|_| AnchorError::Stopped)?
            .push((hash, reply));
        // Another requester's anchor may take this hash while this one waits for the writer:
        // then its receipt is the answer, and waiting on for the writer (to anchor later
        // requesters' hashes) would chain every request behind one anchor each.
        let guard = tokio::select! {
            biased;
            receipt = &mut answer => return receipt.map_err(|_| AnchorError::Stopped)?,
            guard = self.write.lock() => guard,
        };
        let waiting = std::mem::take(&mut *self.queue.lock().map_err(|_| AnchorError::Stopped)?);
        if !waiting.is_empty() {
            let (hashes, replies): (Vec<[u8; 32]>, Vec<Reply>) = waiting.into_iter().unzip();
            let outcome = self.anchor_locked(&hashes).await;
            for (position, reply) in replies.into_iter().enumerate() {
                let answer = match &outcome {
                    Ok(receipts) => receipts.get(position).cloned().ok_or(AnchorError::Stopped),
                    Err(err) => Err(err.clone()),
                };
                // A requester that went away no longer needs its receipt.
                let _ = reply.send(answer);
            }
        }
        drop(guard);
        answer.await.map_err(|_| AnchorError::Stopped)?
    }

    /// Anchors `hashes` as one batch (in this order) and answers one receipt per hash.
    pub async fn anchor_batch(
        &self,
        hashes: &[[u8; 32]],
    ) -> Result<Vec<AnchorReceipt>, AnchorError> {
        let _guard = self.write.lock().await;
        self.anchor_locked(hashes).await
    }

    async fn anchor_locked(&self, hashes: &[[u8; 32]]) -> Result<Vec<AnchorReceipt>, AnchorError> {
        if hashes.is_empty() {
            return Err(AnchorError::Empty);
        }
        let tree = MerkleTree::new(self.authority.profile, hashes);
        let root = tree.root();
        let committed = self
            .client
            .anchor_batch_as(
                &self.sender,
                self.authority.chain_key.as_ref(),
                &root,
                tree.len(),
            )
            .await?;
        let receipts = (0..tree.len())
            .filter_map(|index| tree.path(index))
            .map(|path| AnchorReceipt {
                chain_id: self.authority.chain_id.clone(),
                merkle_root: hex::encode(root),
                index: path.index,
                size: path.size,
                path: path.siblings.iter().map(hex::encode).collect(),
                height: committed.height,
                transaction: hex::encode(committed.hash),
            })
            .collect();
        Ok(receipts)
    }

    /// Anchors one hash on its own (`AnchorEvidence`), e.g. a status list version.
    pub async fn anchor_single(&self, hash: &[u8; 32]) -> Result<Committed, AnchorError> {
        let _guard = self.write.lock().await;
        Ok(self
            .client
            .anchor_evidence_as(&self.sender, self.authority.chain_key.as_ref(), hash)
            .await?)
    }

    /// Sets the chain's status entry `key` of the authority's credentials.
    pub async fn set_status(
        &self,
        key: StatusKey,
        change: StatusChange,
    ) -> Result<Committed, AnchorError> {
        let _guard = self.write.lock().await;
        Ok(self
            .client
            .send_as(
                &self.sender,
                self.authority.chain_key.as_ref(),
                crosscode_did_registry::transaction::Payload::SetStatus { key, change },
            )
            .await?)
    }

    /// Registers a credential schema unless the chain holds it already; answers its hash.
    pub async fn ensure_schema(
        &self,
        name: &str,
        version: &str,
        schema_json: &str,
    ) -> Result<[u8; 32], AnchorError> {
        let _guard = self.write.lock().await;
        let value: serde_json::Value = serde_json::from_str(schema_json)
            .map_err(|_| AnchorError::Chain("the schema is not JSON".into()))?;
        let canonical = crosscode_core::jcs::canonicalize(&value)
            .map_err(|err| AnchorError::Chain(err.to_string()))?;
        let hash = self.authority.profile.hash(&[canonical.as_bytes()]);
        let existing = self
            .client
            .state(
                crosscode_did_registry::records::Namespace::Schema,
                &hash,
                false,
                None,
            )
            .await?;
        if existing.value.is_none() {
            self.client
                .register_schema(
                    self.authority.chain_key.as_ref(),
                    Some(&self.authority.did),
                    name,
                    version,
                    schema_json,
                )
                .await?;
        }
        Ok(hash)
    }
}
