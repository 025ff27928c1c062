//! The checkpoint's **chain trust**: what a light-client sync ([`crate::sync`]) proved from the
//! registry chain, held for offline verification of `CC1` codes.
//!
//! Everything in a [`ChainTrust`] was read from proof bundles that verified against the
//! validator set the checkpoint pinned, all at one certified header (the *synced height*):
//!
//! - the admitted authority issuers (`issuer/<did>`: scope, suspended or not);
//! - each issuer's DID record and **every version** of its document (`did/<did>`,
//!   `did-version/<did>/<n>`), so a key is trusted only for the window it was in force — from
//!   the time of the block that added it to the time of the block that replaced it;
//! - the credential schemas (`schema/<hash>`);
//! - the status entries (`status/<issuer>/<key>`: revoked or suspended — a credential without
//!   one is neither);
//! - the evidence anchors (`evidence/<hash>`, `batch/<root>`): [`ChainTrust::check_anchor`]
//!   checks a credential's anchor receipt against them.
//!
//! [`ChainTrust::key_resolver`] turns the key histories into core's [`TrustCache`] with those
//! windows, so core's verifiers resolve an issuer's method **as of the proof's creation time**:
//! a credential signed before a key rotation verifies with the key of its time, one signed with
//! the retired key after the rotation does not. The file form and its integrity protection are
//! [`crate::chain_trust::file`].

pub mod file;

use std::collections::{BTreeMap, BTreeSet};

use crosscode_core::anchor::AnchorReceipt;
use crosscode_core::did::{DidUrl, TrustCache, TrustedKey, VerificationRelationship};
use crosscode_did_registry::block::{CommitCertificate, Header};
use crosscode_did_registry::document::RegistryDid;
use crosscode_did_registry::evidence::{ReceiptError, verify_receipt};
use crosscode_did_registry::proof::TrustedChain;
use crosscode_did_registry::records::{
    DidRecord, DidVersion, EvidenceRecord, IssuerRecord, SchemaRecord, StatusRecord,
};
use crosscode_did_registry::transaction::StatusKey;
use crosscode_did_registry::validators::ValidatorSet;
use time::OffsetDateTime;

/// A DID's record and every version of its document, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidHistory {
    /// The current record (its `versions` is the number of versions below).
    pub record: DidRecord,
    /// Versions `0 .. record.versions`.
    pub versions: Vec<DidVersion>,
}

/// The synced, proven view of the chain a checkpoint verifies `CC1` codes against (see the
/// module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainTrust {
    /// The chain: id, profile and the validator set that signs the block after the synced
    /// header (the pinned set, or the one it handed over to through certificates).
    pub chain: TrustedChain,
    /// The hash of the validator set the operator pinned (`validators.json`): a sync under
    /// another pin does not extend this trust.
    pub pinned_validators: [u8; 32],
    /// The validator set that signed the synced header.
    pub signers: ValidatorSet,
    /// The synced header: every entry was proven against its state root.
    pub header: Header,
    /// Its commit certificate.
    pub certificate: CommitCertificate,
    /// Admitted authority issuers.
    pub issuers: BTreeMap<RegistryDid, IssuerRecord>,
    /// Key histories of the admitted issuers.
    pub dids: BTreeMap<RegistryDid, DidHistory>,
    /// Credential schemas by content hash.
    pub schemas: BTreeMap<[u8; 32], SchemaRecord>,
    /// Status entries by issuer, then status key.
    pub statuses: BTreeMap<RegistryDid, BTreeMap<StatusKey, StatusRecord>>,
    /// Single evidence anchors by credential hash.
    pub evidence: BTreeMap<[u8; 32], EvidenceRecord>,
    /// Batch anchors by Merkle root.
    pub batches: BTreeMap<[u8; 32], EvidenceRecord>,
    /// Registry DIDs that a governance proposal on the chain named as issuers: their issuer
    /// records are proven (admitted or absent) at every sync.
    pub issuer_candidates: BTreeSet<RegistryDid>,
}

/// Where an issuer stands for a credential, as the synced chain says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdmissionError {
    /// The DID is not an admitted authority issuer.
    NotAdmitted,
    /// The authority is suspended by the consortium.
    Suspended,
    /// The credential's type is not in the authority's scope.
    TypeOutOfScope {
        /// The credential type.
        credential_type: String,
    },
    /// The credential names another jurisdiction than the authority's.
    JurisdictionOutOfScope {
        /// The credential's jurisdiction.
        jurisdiction: String,
        /// The authority's.
        scope: String,
    },
    /// The credential was issued outside the authority's validity window.
    IssuedOutsideWindow,
}

/// Why an anchor receipt does not prove its credential anchored on the synced chain
/// ([`ChainTrust::check_anchor`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnchorError {
    /// The receipt names another chain.
    #[error("the anchor receipt is of another chain")]
    OtherChain,
    /// A hash is malformed, or the path does not lead from the credential's leaf to the root.
    #[error(transparent)]
    Receipt(#[from] ReceiptError),
    /// No batch anchor on the synced chain has the receipt's root.
    #[error("no batch anchor on the chain has the receipt's root")]
    UnknownRoot,
    /// The batch was anchored by another authority than the credential's issuer.
    #[error("the batch anchor is not the credential issuer's")]
    OtherIssuer,
    /// The batch anchor is not at the receipt's height, or not of its size.
    #[error("the batch anchor is not at the receipt's height or of its size")]
    OtherBatch,
}

/// Where a credential was anchored ([`ChainTrust::check_anchor`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchored {
    /// The batch's Merkle root.
    pub root: [u8; 32],
    /// The height of the block that committed the anchor.
    pub height: u64,
    /// The credential hash the anchor leaf commits to.
    pub credential_hash: [u8; 32],
}

impl ChainTrust {
    /// The synced height.
    pub fn height(&self) -> u64 {
        self.header.height
    }

    /// The synced header's time (Unix seconds): the trust is "as of" this instant.
    pub fn time(&self) -> u64 {
        self.header.time
    }

    /// The synced header's time as a date-time (`None`: out of range).
    pub fn as_of(&self) -> Option<OffsetDateTime> {
        i64::try_from(self.header.time)
            .ok()
            .and_then(|seconds| OffsetDateTime::from_unix_timestamp(seconds).ok())
    }

    /// Checks that `issuer` is admitted, not suspended, and scoped for a credential of
    /// every one of `credential_types`, of every one of `jurisdictions`, issued at `issued_at`
    /// (Unix seconds).
    pub fn check_admission(
        &self,
        issuer: &RegistryDid,
        credential_types: &[&str],
        jurisdictions: &[&str],
        issued_at: i64,
    ) -> Result<&IssuerRecord, AdmissionError> {
        let record = self
            .issuers
            .get(issuer)
            .ok_or(AdmissionError::NotAdmitted)?;
        if record.suspended {
            return Err(AdmissionError::Suspended);
        }
        let scope = &record.scope;
        if credential_types.is_empty() {
            return Err(AdmissionError::TypeOutOfScope {
                credential_type: String::new(),
            });
        }
        if let Some(outside) = credential_types
            .iter()
            .find(|t| !scope.credential_types.iter().any(|scoped| scoped == *t))
        {
            return Err(AdmissionError::TypeOutOfScope {
                credential_type: outside.chars().take(64).collect(),
            });
        }
        if let Some(outside) = jurisdictions.iter().find(|j| **j != scope.jurisdiction) {
            return Err(AdmissionError::JurisdictionOutOfScope {
                jurisdiction: outside.chars().take(16).collect(),
                scope: scope.jurisdiction.clone(),
            });
        }
        let inside = u64::try_from(issued_at)
            .is_ok_and(|at| scope.valid_from <= at && at < scope.valid_until);
        if !inside {
            return Err(AdmissionError::IssuedOutsideWindow);
        }
        Ok(record)
    }

    /// The status entry of `issuer`'s credential at `key`, if it has one (none: neither
    /// revoked nor suspended as of the synced height).
    pub fn status(&self, issuer: &RegistryDid, key: &StatusKey) -> Option<&StatusRecord> {
        self.statuses
            .get(issuer)
            .and_then(|entries| entries.get(key))
    }

    /// Checks that `receipt` proves `issuer`'s credential `credential_id` anchored on this
    /// chain: the receipt is of this chain, its path leads from the credential's anchor leaf to
    /// its root, and the chain's `batch/<root>` entry is `issuer`'s, of the receipt's size, at
    /// its height.
    pub fn check_anchor(
        &self,
        receipt: &AnchorReceipt,
        issuer: &RegistryDid,
        credential_id: &str,
    ) -> Result<Anchored, AnchorError> {
        if receipt.chain_id != self.chain.chain_id {
            return Err(AnchorError::OtherChain);
        }
        let transaction_is_hash = receipt.transaction.len() == 64
            && receipt
                .transaction
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
        if !transaction_is_hash {
            return Err(AnchorError::Receipt(ReceiptError::Malformed("transaction")));
        }
        let root = verify_receipt(self.chain.profile, receipt, credential_id)?;
        let credential_hash =
            receipt
                .credential_hash()
                .ok_or(AnchorError::Receipt(ReceiptError::Malformed(
                    "credentialHash",
                )))?;
        let record = self.batches.get(&root).ok_or(AnchorError::UnknownRoot)?;
        if &record.issuer != issuer {
            return Err(AnchorError::OtherIssuer);
        }
        if record.height != receipt.height || record.count != receipt.size {
            return Err(AnchorError::OtherBatch);
        }
        Ok(Anchored {
            root,
            height: record.height,
            credential_hash,
        })
    }

    /// The number of status entries.
    pub fn status_count(&self) -> usize {
        self.statuses.values().map(BTreeMap::len).sum()
    }

    /// A key resolver over the admitted issuers' key histories: each verification method of
    /// each version of an issuer's document, in force from that version's block time until
    /// the next version's (the last version of a live DID: still in force; a deactivating
    /// version: none). Only admitted issuers' DIDs are synced; a suspended issuer's keys stay,
    /// so that its credentials are refused for the suspension (`ISSUER_SUSPENDED`), not as
    /// signed by an unknown key.
    pub fn key_resolver(&self) -> TrustCache {
        let mut cache = TrustCache::new();
        for (did, history) in &self.dids {
            if !self.issuers.contains_key(did) {
                continue;
            }
            for (number, version) in history.versions.iter().enumerate() {
                if version.deactivated {
                    continue;
                }
                let from = instant(version.time);
                let until = history
                    .versions
                    .get(number + 1)
                    .map(|next| instant(next.time));
                for method in &version.document.verification_methods {
                    let relationships: Vec<VerificationRelationship> = method
                        .relationships
                        .names()
                        .filter_map(VerificationRelationship::from_name)
                        .collect();
                    let Ok(url) = DidUrl::parse(&format!("{}#{}", did.as_str(), method.fragment))
                    else {
                        continue;
                    };
                    if relationships.is_empty() || until.is_some_and(|until| until <= from) {
                        continue;
                    }
                    // A method's entry is skipped only when it cannot be a verification method
                    // URL, which a registry fragment always is.
                    let _ = cache.insert_entry(
                        &url,
                        TrustedKey {
                            key: method.key.0.clone(),
                            relationships,
                            valid_from: Some(from),
                            valid_until: until,
                        },
                    );
                }
            }
        }
        cache
    }
}

/// Unix seconds as a date-time (clamped to the representable range).
fn instant(seconds: u64) -> OffsetDateTime {
    let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(if seconds < 0 {
        OffsetDateTime::UNIX_EPOCH
    } else {
        time::PrimitiveDateTime::MAX.assume_utc()
    })
}
