//! Registry writes as library calls.
//!
//! [`RegistryClient::send`] performs a whole write: it resolves the sender's DID at the head
//! and finds the capability-invocation method holding the signer's public key
//! ([`RegistryClient::sender`]), takes the sender's next sequence number, has the signer sign
//! the transaction (any `crosscode_core::keys::Signer`: an in-memory key, a platform keystore
//! or an HSM; the key never leaves it), submits it and waits for the commit (at most the client's
//! [`commit timeout`](RegistryClient::with_commit_timeout)), and returns the [`Committed`]
//! transaction with its events. The typed writes build the payloads of the common cases:
//! [`register_did`](RegistryClient::register_did), [`anchor_evidence`](RegistryClient::anchor_evidence),
//! [`anchor_batch`](RegistryClient::anchor_batch), [`set_status`](RegistryClient::set_status),
//! [`register_schema`](RegistryClient::register_schema), [`propose`](RegistryClient::propose)
//! and [`vote`](RegistryClient::vote).
//!
//! The sequence number is the sender's at the head, so one sender's writes go one after the
//! other (each waits for its commit); two at once would take the same number and one would be
//! refused (`replayed-sequence`).

use crosscode_core::keys::Signer;
use crosscode_did_registry::api::ChainInfo;
use crosscode_did_registry::codec::Decode as _;
use crosscode_did_registry::document::{DocumentContent, RegistryDid, Relationships};
use crosscode_did_registry::governance::GovernanceAction;
use crosscode_did_registry::records::{Namespace, ProposalRecord, ProposalStatus};
use crosscode_did_registry::state::Event;
use crosscode_did_registry::transaction::{
    Payload, SignedTransaction, StatusChange, StatusKey, Transaction, batch_message,
    evidence_message,
};

use crate::{ClientError, Committed, RegistryClient, ResolutionErrorCode};

/// The registered DID a signer acts for, as resolved at the head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// The chain's id (what the sender's transactions are signed for).
    pub chain_id: String,
    /// The DID.
    pub did: RegistryDid,
    /// Its document at the head.
    pub document: DocumentContent,
    /// Fragment of the capability-invocation method that holds the signer's key.
    pub fragment: String,
}

impl Sender {
    /// The fragment of the first method of the sender's document holding `key` with
    /// `relationship` (e.g. the assertion method that signs evidence).
    pub fn method_holding<S: Signer + ?Sized>(
        &self,
        key: &S,
        relationship: Relationships,
    ) -> Option<&str> {
        method_fragment(&self.document, key, relationship)
    }
}

/// The fragment of the first method of `document` holding `key` with `relationship`.
fn method_fragment<'a, S: Signer + ?Sized>(
    document: &'a DocumentContent,
    key: &S,
    relationship: Relationships,
) -> Option<&'a str> {
    let public = key.public_key();
    document
        .verification_methods
        .iter()
        .find(|vm| vm.relationships.contains(relationship) && vm.key.0 == public)
        .map(|vm| vm.fragment.as_str())
}

/// A proposal opened by [`RegistryClient::propose`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposed {
    /// The proposal's number (from the `ProposalOpened` event).
    pub id: u64,
    /// `Executed` when the proposer's approval reached the threshold, else `Open`.
    pub status: ProposalStatus,
    /// The committed transaction.
    pub committed: Committed,
}

/// A vote cast by [`RegistryClient::vote`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voted {
    /// The proposal's status after the vote (`Executed` when this vote reached the threshold,
    /// `Rejected` when it can no longer reach it, else `Open`).
    pub status: ProposalStatus,
    /// The committed transaction.
    pub committed: Committed,
}

/// The name of a relationship in errors.
fn relationship_name(relationship: Relationships) -> &'static str {
    relationship.names().next().unwrap_or("verification")
}

impl RegistryClient {
    /// Checks that `signer` holds a key of the chain's signature algorithm.
    fn check_chain_key<S: Signer + ?Sized>(
        chain: &ChainInfo,
        signer: &S,
    ) -> Result<(), ClientError> {
        let expected = chain.profile.key_algorithm();
        if signer.algorithm() == expected {
            Ok(())
        } else {
            Err(ClientError::WrongKeyAlgorithm {
                found: signer.algorithm(),
                expected,
            })
        }
    }

    /// The registered DID `signer` acts for — `did`, or the DID derived from the signer's key
    /// on this chain — resolved at the head, with the fragment of its capability-invocation
    /// method holding the signer's key. Fails with [`ClientError::WrongKeyAlgorithm`],
    /// [`ClientError::NotRegistered`], [`ClientError::DidDeactivated`] or
    /// [`ClientError::KeyNotAuthorised`].
    pub async fn sender<S: Signer + ?Sized>(
        &self,
        signer: &S,
        did: Option<&RegistryDid>,
    ) -> Result<Sender, ClientError> {
        let chain = self.chain_info().await?;
        Self::check_chain_key(&chain, signer)?;
        let did = match did {
            Some(did) => did.clone(),
            None => RegistryDid::derive(chain.profile, &chain.network, &signer.public_key()),
        };
        let resolved = match self.resolve_document(did.as_str(), None).await {
            Ok(resolved) => resolved,
            Err(ClientError::Resolution {
                error: ResolutionErrorCode::NotFound,
                ..
            }) => return Err(ClientError::NotRegistered { did }),
            Err(err) => return Err(err),
        };
        if resolved.deactivated {
            return Err(ClientError::DidDeactivated { did });
        }
        let fragment = method_fragment(
            &resolved.document,
            signer,
            Relationships::CAPABILITY_INVOCATION,
        )
        .ok_or_else(|| ClientError::KeyNotAuthorised {
            did: did.clone(),
            relationship: relationship_name(Relationships::CAPABILITY_INVOCATION),
        })?
        .to_owned();
        Ok(Sender {
            chain_id: chain.chain_id,
            did,
            document: resolved.document,
            fragment,
        })
    }

    /// Signs `payload` as `sender` with `signer` at the sender's next sequence number, submits
    /// it and waits for its commit. A refusal by the state machine is
    /// [`ClientError::Rejected`], no outcome within the commit timeout [`ClientError::Timeout`].
    pub async fn send_as<S: Signer + ?Sized>(
        &self,
        sender: &Sender,
        signer: &S,
        payload: Payload,
    ) -> Result<Committed, ClientError> {
        let sequence = self.next_sequence(&sender.did).await?;
        let tx = sign(
            Transaction {
                chain_id: sender.chain_id.clone(),
                sender: sender.did.clone(),
                key: sender.fragment.clone(),
                sequence,
                payload,
            },
            signer,
        )?;
        self.submit_and_wait(&tx).await
    }

    /// [`RegistryClient::sender`] then [`RegistryClient::send_as`]: the whole write of
    /// `payload` by the DID `signer` acts for (`did`, or the one derived from its key).
    pub async fn send<S: Signer + ?Sized>(
        &self,
        signer: &S,
        did: Option<&RegistryDid>,
        payload: Payload,
    ) -> Result<Committed, ClientError> {
        let sender = self.sender(signer, did).await?;
        self.send_as(&sender, signer, payload).await
    }

    /// Submits `tx` and waits for its commit.
    async fn submit_and_wait(&self, tx: &SignedTransaction) -> Result<Committed, ClientError> {
        let hash = self.submit(tx).await?;
        self.wait_committed(&hash, self.commit_timeout()).await
    }

    /// Registers the DID of `signer`'s key (the DID derived from it on this chain) with a
    /// document of one method, `fragment`, holding the key for capability invocation (it signs
    /// the DID's transactions) and assertion (it signs credentials and evidence). Returns the DID
    /// and the committed transaction; a DID registered already is
    /// [`ClientError::Rejected`] with `did-exists`.
    pub async fn register_did<S: Signer + ?Sized>(
        &self,
        signer: &S,
        fragment: &str,
    ) -> Result<(RegistryDid, Committed), ClientError> {
        let document = DocumentContent::single_key(fragment, signer.public_key());
        self.register_document(signer, fragment, document).await
    }

    /// Registers the DID of `signer`'s key with `document`, in which `fragment` is the
    /// capability-invocation method holding the key.
    pub async fn register_document<S: Signer + ?Sized>(
        &self,
        signer: &S,
        fragment: &str,
        document: DocumentContent,
    ) -> Result<(RegistryDid, Committed), ClientError> {
        let chain = self.chain_info().await?;
        Self::check_chain_key(&chain, signer)?;
        let did = RegistryDid::derive(chain.profile, &chain.network, &signer.public_key());
        // The DID's next sequence number rather than 0: a DID registered already makes a new
        // transaction the chain refuses (`did-exists`), not the committed one again.
        let sequence = self.next_sequence(&did).await?;
        let tx = sign(
            Transaction {
                chain_id: chain.chain_id,
                sender: did.clone(),
                key: fragment.to_owned(),
                sequence,
                payload: Payload::DidCreate { document },
            },
            signer,
        )?;
        let committed = self.submit_and_wait(&tx).await?;
        Ok((did, committed))
    }

    /// Anchors `credential_hash` as the issuer `signer` acts for (`did`, or the one derived
    /// from its key): the signer signs the evidence message with the key's assertion method and
    /// sends the anchor. The issuer must be admitted, unsuspended and inside its validity
    /// window (else [`ClientError::Rejected`] with `not-authorised`).
    pub async fn anchor_evidence<S: Signer + ?Sized>(
        &self,
        signer: &S,
        did: Option<&RegistryDid>,
        credential_hash: &[u8; 32],
    ) -> Result<Committed, ClientError> {
        let sender = self.sender(signer, did).await?;
        self.anchor_evidence_as(&sender, signer, credential_hash)
            .await
    }

    /// [`RegistryClient::anchor_evidence`] as a sender already resolved: the signer's key must
    /// be one of the sender's assertion methods (else [`ClientError::KeyNotAuthorised`]).
    pub async fn anchor_evidence_as<S: Signer + ?Sized>(
        &self,
        sender: &Sender,
        signer: &S,
        credential_hash: &[u8; 32],
    ) -> Result<Committed, ClientError> {
        let method = assertion_method(sender, signer)?;
        let signature = signer
            .sign(&evidence_message(&sender.chain_id, credential_hash))
            .map_err(ClientError::Signing)?;
        let payload = Payload::AnchorEvidence {
            credential_hash: *credential_hash,
            method,
            signature,
        };
        self.send_as(sender, signer, payload).await
    }

    /// Anchors the Merkle root of a batch of `count` credential hashes (see
    /// `crosscode_did_registry::merkle`) as the issuer `signer` acts for.
    pub async fn anchor_batch<S: Signer + ?Sized>(
        &self,
        signer: &S,
        did: Option<&RegistryDid>,
        merkle_root: &[u8; 32],
        count: u64,
    ) -> Result<Committed, ClientError> {
        let sender = self.sender(signer, did).await?;
        self.anchor_batch_as(&sender, signer, merkle_root, count)
            .await
    }

    /// [`RegistryClient::anchor_batch`] as a sender already resolved: the signer's key must be
    /// one of the sender's assertion methods (else [`ClientError::KeyNotAuthorised`]).
    pub async fn anchor_batch_as<S: Signer + ?Sized>(
        &self,
        sender: &Sender,
        signer: &S,
        merkle_root: &[u8; 32],
        count: u64,
    ) -> Result<Committed, ClientError> {
        let method = assertion_method(sender, signer)?;
        let signature = signer
            .sign(&batch_message(&sender.chain_id, merkle_root, count))
            .map_err(ClientError::Signing)?;
        let payload = Payload::AnchorBatch {
            merkle_root: *merkle_root,
            count,
            method,
            signature,
        };
        self.send_as(sender, signer, payload).await
    }

    /// Revokes, suspends or reinstates the status entry `key` of the credentials of the issuer
    /// `signer` acts for.
    pub async fn set_status<S: Signer + ?Sized>(
        &self,
        signer: &S,
        did: Option<&RegistryDid>,
        key: StatusKey,
        change: StatusChange,
    ) -> Result<Committed, ClientError> {
        self.send(signer, did, Payload::SetStatus { key, change })
            .await
    }

    /// Registers a credential schema (JSON Schema text) as the issuer or member `signer` acts
    /// for; returns its content hash (the schema's state key) and the committed transaction.
    pub async fn register_schema<S: Signer + ?Sized>(
        &self,
        signer: &S,
        did: Option<&RegistryDid>,
        name: &str,
        version: &str,
        schema_json: &str,
    ) -> Result<([u8; 32], Committed), ClientError> {
        let payload = Payload::RegisterSchema {
            name: name.to_owned(),
            version: version.to_owned(),
            schema_json: schema_json.to_owned(),
        };
        let committed = self.send(signer, did, payload).await?;
        let hash = committed
            .events
            .iter()
            .find_map(|event| match event {
                Event::SchemaRegistered { hash } => Some(*hash),
                _ => None,
            })
            .ok_or(ClientError::MissingEvent {
                expected: "schemaRegistered",
            })?;
        Ok((hash, committed))
    }

    /// Proposes `action` as the consortium member `signer` acts for, open for votes for
    /// `voting_period` blocks; returns the proposal's number (from the transaction's events)
    /// and whether it executed at once (a threshold of 1).
    pub async fn propose<S: Signer + ?Sized>(
        &self,
        signer: &S,
        did: Option<&RegistryDid>,
        action: GovernanceAction,
        voting_period: u64,
    ) -> Result<Proposed, ClientError> {
        let payload = Payload::Propose {
            action,
            voting_period,
        };
        let committed = self.send(signer, did, payload).await?;
        let id = committed
            .events
            .iter()
            .find_map(|event| match event {
                Event::ProposalOpened { id } => Some(*id),
                _ => None,
            })
            .ok_or(ClientError::MissingEvent {
                expected: "proposalOpened",
            })?;
        Ok(Proposed {
            id,
            status: proposal_status(&committed.events, id),
            committed,
        })
    }

    /// Votes on proposal `id` as the consortium member `signer` acts for; returns the
    /// proposal's status after the vote (from the transaction's events).
    pub async fn vote<S: Signer + ?Sized>(
        &self,
        signer: &S,
        did: Option<&RegistryDid>,
        id: u64,
        approve: bool,
    ) -> Result<Voted, ClientError> {
        let committed = self
            .send(
                signer,
                did,
                Payload::Vote {
                    proposal: id,
                    approve,
                },
            )
            .await?;
        Ok(Voted {
            status: proposal_status(&committed.events, id),
            committed,
        })
    }

    /// Proposal `id` as of `height` (`None`: the head); `None` when there is no such proposal.
    pub async fn proposal(
        &self,
        id: u64,
        height: Option<u64>,
    ) -> Result<Option<ProposalRecord>, ClientError> {
        let answer = self
            .state(Namespace::Proposal, &id.to_be_bytes(), false, height)
            .await?;
        answer
            .value
            .map(|bytes| ProposalRecord::from_bytes(&bytes))
            .transpose()
            .map_err(|err| ClientError::UnexpectedResponse {
                status: 200,
                reason: format!("proposal {id}: {err}"),
            })
    }
}

/// The status of proposal `id` after a transaction with `events`.
fn proposal_status(events: &[Event], id: u64) -> ProposalStatus {
    events
        .iter()
        .find_map(|event| match event {
            Event::ProposalExecuted { id: executed } if *executed == id => {
                Some(ProposalStatus::Executed)
            }
            Event::ProposalRejected { id: rejected } if *rejected == id => {
                Some(ProposalStatus::Rejected)
            }
            _ => None,
        })
        .unwrap_or(ProposalStatus::Open)
}

/// The fragment of the sender's assertion method holding the signer's key.
fn assertion_method<S: Signer + ?Sized>(
    sender: &Sender,
    signer: &S,
) -> Result<String, ClientError> {
    sender
        .method_holding(signer, Relationships::ASSERTION_METHOD)
        .map(str::to_owned)
        .ok_or_else(|| ClientError::KeyNotAuthorised {
            did: sender.did.clone(),
            relationship: relationship_name(Relationships::ASSERTION_METHOD),
        })
}

/// `tx` signed by `signer`.
fn sign<S: Signer + ?Sized>(tx: Transaction, signer: &S) -> Result<SignedTransaction, ClientError> {
    tx.sign(signer).map_err(ClientError::Signing)
}
