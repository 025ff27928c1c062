//! Preparing transactions ahead of apply: hashes and signature checks against the keys the
//! state names now, done read-only (so on any core), and used by apply only while they still
//! hold. The ledger schedules a block's preparation (`ledger/schedule.rs`).

use crosscode_core::keys::PublicKey;

use super::{BlockContext, Effects, Rejection, State, is_control_key};
use crate::codec::{Decode, Encode, Writer};
use crate::document::{DocumentContent, Relationships};
use crate::records::{DidRecord, StateKey};
use crate::transaction::{
    Payload, SignedTransaction, TX_HASH_DOMAIN, TX_SIGNING_DOMAIN, batch_message, evidence_message,
};

/// A signature verified ahead of apply: the key it was verified against and the outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CheckedSignature {
    pub(super) key: PublicKey,
    pub(super) valid: bool,
}

impl CheckedSignature {
    /// The outcome if it was verified against exactly `key` (`None`: verify again).
    pub(super) fn outcome_for(
        checked: Option<(&PublicKey, bool)>,
        key: &PublicKey,
    ) -> Option<bool> {
        checked
            .filter(|(checked, _)| *checked == key)
            .map(|(_, valid)| valid)
    }
}

/// A transaction prepared for [`State::apply_prepared`]: its hash, its signatures verified
/// against the keys the state named when it was prepared, and the sender's DID record as
/// decoded then.
///
/// Preparing is read-only ([`State::prepare`] takes `&self`), so a block's transactions can be
/// prepared on every core before they are applied in order. Apply uses a verified signature only
/// when the key it resolves at that point is exactly the key verified, and the decoded record
/// only when the stored bytes are still exactly the bytes decoded; otherwise (a key rotated or
/// a record rewritten by an earlier transaction of the block) it checks again, so the outcome
/// is always the one [`State::apply`] gives.
#[derive(Debug, Clone)]
pub struct PreparedTransaction {
    tx: SignedTransaction,
    hash: [u8; 32],
    profile: crate::profile::CryptoProfile,
    signature: Option<CheckedSignature>,
    evidence: Option<CheckedSignature>,
    sender: Option<(Vec<u8>, DidRecord)>,
}

impl PreparedTransaction {
    /// The transaction.
    pub fn transaction(&self) -> &SignedTransaction {
        &self.tx
    }

    /// The transaction hash (of the profile of the state that prepared it).
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// Gives the transaction back.
    pub fn into_transaction(self) -> SignedTransaction {
        self.tx
    }
}

/// A transaction being prepared: its hash, the sender's record as decoded now, and the
/// signatures still to check, each as (key, message). The ledger checks a block's drafts
/// together (see `ledger/schedule.rs`) and settles each with its verdicts.
pub(crate) struct Draft {
    prepared: PreparedTransaction,
    /// The transaction signature to check: the sender's control key and the signed bytes.
    pub(crate) signature: Option<(PublicKey, Vec<u8>)>,
    /// The issuer signature of an anchor to check: the assertion key and the signed message.
    pub(crate) evidence: Option<(PublicKey, Vec<u8>)>,
}

impl Draft {
    /// The transaction.
    pub(crate) fn transaction(&self) -> &SignedTransaction {
        &self.prepared.tx
    }

    /// The transaction hash.
    pub(crate) fn hash(&self) -> [u8; 32] {
        self.prepared.hash
    }

    /// The issuer signature inside an anchor's payload.
    pub(crate) fn evidence_signature(&self) -> Option<&[u8]> {
        evidence_signature(&self.prepared.tx)
    }

    /// Takes the sender's decoded record out (for [`State::apply_assuming_valid`]).
    pub(crate) fn take_sender(&mut self) -> Option<(Vec<u8>, DidRecord)> {
        self.prepared.sender.take()
    }

    /// The prepared transaction, with the verdicts of the transaction signature and of the
    /// evidence signature (`None`: not checked, apply checks it).
    pub(crate) fn settle(
        mut self,
        signature: Option<bool>,
        evidence: Option<bool>,
    ) -> PreparedTransaction {
        if let (Some(valid), Some((key, _))) = (signature, self.signature.take()) {
            self.prepared.signature = Some(CheckedSignature { key, valid });
        }
        if let (Some(valid), Some((key, _))) = (evidence, self.evidence.take()) {
            self.prepared.evidence = Some(CheckedSignature { key, valid });
        }
        self.prepared
    }
}

/// The issuer signature inside an anchor's payload.
fn evidence_signature(tx: &SignedTransaction) -> Option<&[u8]> {
    match &tx.transaction.payload {
        Payload::AnchorEvidence { signature, .. } | Payload::AnchorBatch { signature, .. } => {
            Some(signature)
        }
        _ => None,
    }
}

/// What apply may take from a [`PreparedTransaction`] (or a speculation): a verdict for each
/// signature with the key it is for, and the sender's decoded record.
#[derive(Default)]
pub(super) struct Prechecked<'a> {
    pub(super) signature: Option<(&'a PublicKey, bool)>,
    pub(super) evidence: Option<(&'a PublicKey, bool)>,
    pub(super) sender: Option<(Vec<u8>, DidRecord)>,
}

impl State {
    /// Prepares `tx` for [`State::apply_prepared`]: computes its hash and verifies its
    /// signatures against the keys this state names now (read-only; see
    /// [`PreparedTransaction`]).
    pub fn prepare(&self, tx: SignedTransaction) -> PreparedTransaction {
        let Draft {
            mut prepared,
            signature,
            evidence,
        } = self.draft(tx);
        prepared.signature = signature.map(|(key, message)| CheckedSignature {
            valid: key.verify(&message, &prepared.tx.signature).is_ok(),
            key,
        });
        prepared.evidence = match (evidence, evidence_signature(&prepared.tx)) {
            (Some((key, message)), Some(signature)) => Some(CheckedSignature {
                valid: key.verify(&message, signature).is_ok(),
                key,
            }),
            _ => None,
        };
        prepared
    }

    /// The hash of `tx` and the signatures to check for it, against the keys this state names
    /// now (nothing verified yet).
    pub(crate) fn draft(&self, tx: SignedTransaction) -> Draft {
        let profile = self.config.profile;
        let mut signing = Writer::new();
        signing.raw(TX_SIGNING_DOMAIN);
        tx.transaction.encode(&mut signing);
        let signing = signing.into_bytes();
        let mut signature_part = Writer::new();
        signature_part.bytes(&tx.signature);
        let hash = profile.hash(&[
            TX_HASH_DOMAIN,
            signing.get(TX_SIGNING_DOMAIN.len()..).unwrap_or_default(),
            &signature_part.into_bytes(),
        ]);
        let mut draft = Draft {
            prepared: PreparedTransaction {
                tx,
                hash,
                profile,
                signature: None,
                evidence: None,
                sender: None,
            },
            signature: None,
            evidence: None,
        };
        let t = &draft.prepared.tx.transaction;
        if t.chain_id != self.config.chain_id || t.sender.network() != self.config.network {
            return draft;
        }
        let control_key = |document: &DocumentContent| {
            document
                .method(&t.key)
                .filter(|vm| is_control_key(&self.config, vm))
                .map(|vm| vm.key.0.clone())
        };
        if let Payload::DidCreate { document } = &t.payload {
            draft.signature = control_key(document).map(|key| (key, signing));
            return draft;
        }
        let sender_key = StateKey::did(&t.sender);
        let Some(raw) = self.kv.get(sender_key.as_bytes()) else {
            return draft;
        };
        let Some(record) = self
            .cached_record(&sender_key, raw)
            .or_else(|| DidRecord::from_bytes(raw).ok())
        else {
            return draft;
        };
        if record.deactivated {
            return draft;
        }
        let anchor = match &t.payload {
            Payload::AnchorEvidence {
                credential_hash,
                method,
                ..
            } => Some((
                method,
                evidence_message(&self.config.chain_id, credential_hash),
            )),
            Payload::AnchorBatch {
                merkle_root,
                count,
                method,
                ..
            } => Some((
                method,
                batch_message(&self.config.chain_id, merkle_root, *count),
            )),
            _ => None,
        };
        let signature = control_key(&record.document).map(|key| (key, signing));
        let evidence = anchor.and_then(|(method, message)| {
            record
                .document
                .method(method)
                .filter(|vm| vm.relationships.contains(Relationships::ASSERTION_METHOD))
                .map(|vm| (vm.key.0.clone(), message))
        });
        draft.signature = signature;
        draft.evidence = evidence;
        draft.prepared.sender = Some((raw.clone(), record));
        draft
    }

    /// Applies a prepared transaction in block `ctx`: the same outcome as [`State::apply`],
    /// without verifying again the signatures [`State::prepare`] verified against the keys
    /// still in force.
    pub fn apply_prepared(
        &mut self,
        ctx: &BlockContext,
        prepared: &mut PreparedTransaction,
    ) -> Result<Effects, Rejection> {
        let tx_hash = if prepared.profile == self.config.profile {
            prepared.hash
        } else {
            prepared.tx.hash(self.config.profile)
        };
        let checks = Prechecked {
            signature: prepared.signature.as_ref().map(|c| (&c.key, c.valid)),
            evidence: prepared.evidence.as_ref().map(|c| (&c.key, c.valid)),
            sender: prepared.sender.take(),
        };
        let events = self.execute_and_commit(ctx, &prepared.tx, checks)?;
        Ok(Effects { tx_hash, events })
    }

    /// Applies a drafted transaction in block `ctx` *as if* the signatures it asks to check
    /// were valid (the speculation of `ledger/schedule.rs`: right whenever they are, which the
    /// ledger checks meanwhile), with the sender record taken from the draft.
    pub(crate) fn apply_assuming_valid(
        &mut self,
        ctx: &BlockContext,
        draft: &Draft,
        sender: Option<(Vec<u8>, DidRecord)>,
    ) -> Result<Effects, Rejection> {
        let checks = Prechecked {
            signature: draft.signature.as_ref().map(|(key, _)| (key, true)),
            evidence: draft.evidence.as_ref().map(|(key, _)| (key, true)),
            sender,
        };
        let events = self.execute_and_commit(ctx, draft.transaction(), checks)?;
        Ok(Effects {
            tx_hash: draft.hash(),
            events,
        })
    }
}
