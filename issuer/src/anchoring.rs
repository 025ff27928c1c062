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

use crosscode_did_registry::evidence::anchor_leaf;
use crosscode_did_registry::merkle::MerkleTree;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::transaction::{StatusChange, StatusKey};
use crosscode_registry_client::{ClientError, Committed, RegistryClient, Sender};
use tokio::sync::oneshot;

use crate::authority::Authority;

pub use crosscode_core::anchor::AnchorReceipt;

/// A credential to anchor: its credential hash and its anchor leaf
/// ([`crosscode_did_registry::evidence::anchor_leaf`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnchorItem {
    /// The credential hash.
    pub hash: [u8; 32],
    /// The anchor leaf (over the credential's `id` and hash).
    pub leaf: [u8; 32],
}

impl AnchorItem {
    /// The item of the credential `credential_id` with credential hash `hash`.
    pub fn new(profile: CryptoProfile, credential_id: &str, hash: [u8; 32]) -> AnchorItem {
        AnchorItem {
            hash,
            leaf: anchor_leaf(profile, credential_id, &hash),
        }
    }
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
    queue: Mutex<Vec<(AnchorItem, Reply)>>,
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

    /// Anchors one credential with whatever else waits (group commit).
    pub async fn anchor_one(&self, item: AnchorItem) -> Result<AnchorReceipt, AnchorError> {
        let (reply, mut answer) = oneshot::channel();
        self.queue
            .lock()
            .map_err(|_| AnchorError::Stopped)?
            .push((item, reply));
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
            let (items, replies): (Vec<AnchorItem>, Vec<Reply>) = waiting.into_iter().unzip();
            let outcome = self.anchor_locked(&items).await;
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

    /// Anchors `items` as one batch (in this order) and answers one receipt per item.
    pub async fn anchor_batch(
        &self,
        items: &[AnchorItem],
    ) -> Result<Vec<AnchorReceipt>, AnchorError> {
        let _guard = self.write.lock().await;
        self.anchor_locked(items).await
    }

    async fn anchor_locked(&self, items: &[AnchorItem]) -> Result<Vec<AnchorReceipt>, AnchorError> {
        if items.is_empty() {
            return Err(AnchorError::Empty);
        }
        let leaves: Vec<[u8; 32]> = items.iter().map(|item| item.leaf).collect();
        let tree = MerkleTree::new(self.authority.profile, &leaves);
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
        let receipts = items
            .iter()
            .zip((0..tree.len()).filter_map(|index| tree.path(index)))
            .map(|(item, path)| AnchorReceipt {
                credential_hash: hex::encode(item.hash),
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
