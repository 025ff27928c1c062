//! The checkpoint's **light client**: syncs a [`ChainTrust`] from a registry node without
//! trusting the node — only the validator set the checkpoint pinned.
//!
//! From the last synced header (or, the first time, from genesis with the pinned set), for
//! every height up to the node's last certified block:
//!
//! 1. the header and its commit certificate (`GET /v1/blocks/{h}`): the header must be of the
//!    pinned chain, at `h`, link to the previous header's hash, name the current validator set
//!    and carry signatures of more than 2/3 of its power;
//! 2. the block's transactions (`GET /v1/blocks/{h}/transactions`): they must be exactly those
//!    the header's transactions root commits to. They say which state entries may have changed
//!    — a status set by an issuer, a DID updated, a schema registered, evidence anchored, a
//!    governance proposal naming an issuer (the issuer records of every candidate are proven
//!    at each sync, so a vote that executes a proposal is never missed);
//! 3. when the header's next validator set differs from the current one, the `meta/validators`
//!    entry proven at `h` must hash to it, and it signs from `h + 1` on.
//!
//! Then every entry that may have changed is fetched with its proof at the last height
//! (`POST /v1/proofs`, 256 keys per bundle), and each bundle must be of exactly that header and
//! verify against its signers. Only then is the new [`ChainTrust`] returned; any refusal
//! returns an error and leaves the caller's previous trust as it was. A node that alters one
//! byte of any answer is refused at one of these checks (a header, a certificate, a
//! transactions root, a Merkle proof or a decoding).
//!
//! Which issuer records to prove comes from the chain alone: every governance proposal naming
//! an issuer since genesis (genesis admits none). The node's list of issuers
//! (`GET /v1/issuers`) is only checked against the proofs — every proven issuer must be in it,
//! and a listed record unchanged since the synced height must be the proven one — so a node
//! cannot make the checkpoint prove (and keep) DIDs of its choosing.

pub mod follower;
pub mod registry;

/// Proof requests a sync keeps in flight at once.
pub const PROOF_REQUESTS_IN_FLIGHT: usize = 2;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use futures_util::StreamExt as _;

use crate::chain_trust::{ChainTrust, DidHistory};
use crosscode_did_registry::api::{BlockTransactions, BlockTransactionsError};
use crosscode_did_registry::block::{
    CertificateError, CommitCertificate, Header, verify_certificate,
};
use crosscode_did_registry::codec::{Decode, DecodeError};
use crosscode_did_registry::document::RegistryDid;
use crosscode_did_registry::governance::GovernanceAction;
use crosscode_did_registry::ordering::CoreSignatureVerifier;
use crosscode_did_registry::proof::{
    BundleError, MAX_BUNDLE_ENTRIES, ProofBundle, TrustedChain, verify_bundle_for_keys,
};
use crosscode_did_registry::records::{
    DidRecord, DidVersion, EvidenceRecord, IssuerRecord, SchemaRecord, StateKey, StatusRecord,
};
use crosscode_did_registry::state::META_VALIDATORS;
use crosscode_did_registry::transaction::{Payload, SignedTransaction, StatusKey};
use crosscode_did_registry::validators::ValidatorSet;

/// Where a sync reads the chain: a registry node (the HTTP adapter is [`registry`]), or a test
/// double. Nothing it answers is trusted.
pub trait ChainSource {
    /// The height of the node's latest committed block and that block's header hash.
    fn head(&self) -> impl Future<Output = Result<(u64, [u8; 32]), SyncError>> + Send;
    /// The block at `height`: its header, its certificate (`None`: not certified yet) and the
    /// hashes of its transactions.
    fn block(&self, height: u64) -> impl Future<Output = Result<SourceBlock, SyncError>> + Send;
    /// The transactions of the block at `height`.
    fn transactions(
        &self,
        height: u64,
    ) -> impl Future<Output = Result<BlockTransactions, SyncError>> + Send;
    /// Up to 256 state entries (full state keys) with their proofs at `height`.
    fn prove(
        &self,
        keys: &[Vec<u8>],
        height: u64,
    ) -> impl Future<Output = Result<ProofBundle, SyncError>> + Send;
    /// The admitted issuers as the node lists them at its head, with their records (checked
    /// against the proofs; see the module documentation).
    fn listed_issuers(
        &self,
    ) -> impl Future<Output = Result<Vec<(RegistryDid, IssuerRecord)>, SyncError>> + Send;
}

/// A block as a source answers it (nothing in it is trusted before the sync checks it).
#[derive(Debug, Clone)]
pub struct SourceBlock {
    /// The header.
    pub header: Header,
    /// Its certificate (`None`: not certified yet).
    pub certificate: Option<CommitCertificate>,
    /// The hashes of its transactions, in order.
    pub transactions: Vec<[u8; 32]>,
}

/// Why a sync was refused (the previous trust stays in force).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The node could not be reached or answered an error.
    #[error("the node: {0}")]
    Source(String),
    /// The cache was synced under another pin (chain, profile or validator set) than the
    /// validators file given.
    #[error(
        "the trust cache was synced for chain {cached:?} under another pin than the validators of {pinned:?}"
    )]
    PinMismatch {
        /// The cache's chain id.
        cached: String,
        /// The pinned one.
        pinned: String,
    },
    /// The node answered a header of another height or chain than asked.
    #[error("the node answered another header than the one at height {height}")]
    WrongHeader {
        /// The height asked for.
        height: u64,
    },
    /// A header does not link to the previous one.
    #[error("the header at height {height} does not follow the previous header")]
    BrokenChain {
        /// Its height.
        height: u64,
    },
    /// A certificate does not verify against the current validator set.
    #[error("the certificate at height {height}: {error}")]
    Certificate {
        /// The height.
        height: u64,
        /// Why.
        error: CertificateError,
    },
    /// A block's transactions are not the ones its header commits to.
    #[error("the transactions at height {height}: {error}")]
    Transactions {
        /// The height.
        height: u64,
        /// Why.
        error: BlockTransactionsError,
    },
    /// A proof bundle does not verify.
    #[error("a proof bundle at height {height}: {error}")]
    Bundle {
        /// The height it was asked at.
        height: u64,
        /// Why.
        error: BundleError,
    },
    /// A proof bundle is of another header than the synced one.
    #[error("a proof bundle is not of the synced header at height {height}")]
    BundleHeader {
        /// The synced height.
        height: u64,
    },
    /// The proven next validator set is not the one the header names.
    #[error("the validator set proven at height {height} is not the one its header names")]
    ValidatorSet {
        /// The height.
        height: u64,
    },
    /// The node's head, block or issuer list contradicts what the chain proved.
    #[error("the node's {what} contradicts the proven chain")]
    Contradiction {
        /// Which answer.
        what: &'static str,
    },
    /// A proven value does not decode as its record.
    #[error("a proven {what} does not decode: {error}")]
    Undecodable {
        /// Which record.
        what: &'static str,
        /// Why.
        error: DecodeError,
    },
}

/// How far a sync has come (for a progress display).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncProgress {
    /// Headers and transactions checked up to `height` of `head`.
    Blocks {
        /// The last height checked.
        height: u64,
        /// The node's head.
        head: u64,
    },
    /// Entries proven at the synced height so far.
    Entries {
        /// How many.
        proven: usize,
    },
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSummary {
    /// The height the trust was synced from (0: first sync).
    pub from_height: u64,
    /// The height it is synced to.
    pub height: u64,
    /// Blocks checked.
    pub blocks: u64,
    /// Entries proven.
    pub entries: usize,
}

/// The state entries a range of blocks may have changed (issuer records are proven at every
/// sync; the blocks only add candidates).
#[derive(Debug, Default)]
struct Touched {
    issuer_candidates: BTreeSet<RegistryDid>,
    dids: BTreeSet<RegistryDid>,
    schemas: BTreeSet<[u8; 32]>,
    statuses: BTreeSet<(RegistryDid, StatusKey)>,
    evidence: BTreeSet<[u8; 32]>,
    batches: BTreeSet<[u8; 32]>,
}

impl Touched {
    fn record(
        &mut self,
        tx: &SignedTransaction,
        profile: crosscode_did_registry::profile::CryptoProfile,
    ) {
        let sender = &tx.transaction.sender;
        match &tx.transaction.payload {
            Payload::DidCreate { .. }
            | Payload::DidUpdate { .. }
            | Payload::DidRotateKeys { .. }
            | Payload::DidDeactivate => {
                self.dids.insert(sender.clone());
            }
            Payload::Propose { action, .. } => match action {
                GovernanceAction::AdmitIssuer { issuer, .. }
                | GovernanceAction::SuspendIssuer { issuer }
                | GovernanceAction::ReinstateIssuer { issuer }
                | GovernanceAction::RescopeIssuer { issuer, .. } => {
                    self.issuer_candidates.insert(issuer.clone());
                }
                GovernanceAction::SetValidators { .. } => {}
            },
            // A vote changes what its proposal names: every candidate is proven at each sync.
            Payload::Vote { .. } => {}
            Payload::RegisterSchema { schema_json, .. } => {
                // The state keys a schema by the hash of its JCS form; a schema that does not
                // canonicalize was refused by the chain and stored nowhere.
                let canonical = serde_json::from_str::<serde_json::Value>(schema_json)
                    .ok()
                    .and_then(|value| crosscode_core::jcs::canonicalize(&value).ok());
                if let Some(canonical) = canonical {
                    self.schemas.insert(profile.hash(&[canonical.as_bytes()]));
                }
            }
            Payload::SetStatus { key, .. } => {
                self.statuses.insert((sender.clone(), key.clone()));
            }
            Payload::AnchorEvidence {
                credential_hash, ..
            } => {
                self.evidence.insert(*credential_hash);
            }
            Payload::AnchorBatch { merkle_root, .. } => {
                self.batches.insert(*merkle_root);
            }
        }
    }
}

/// Syncs from `previous` (or from genesis under `pinned`) to the node's last certified block;
/// see the module documentation. `progress` hears how far it has come.
pub async fn sync<S: ChainSource>(
    source: &S,
    pinned: &TrustedChain,
    previous: Option<&ChainTrust>,
    progress: &mut (dyn FnMut(SyncProgress) + Send),
) -> Result<(ChainTrust, SyncSummary), SyncError> {
    let pinned_hash = pinned.validators.hash(pinned.profile);
    if let Some(previous) = previous
        && (previous.chain.chain_id != pinned.chain_id
            || previous.chain.profile != pinned.profile
            || previous.pinned_validators != pinned_hash)
    {
        return Err(SyncError::PinMismatch {
            cached: previous.chain.chain_id.clone(),
            pinned: pinned.chain_id.clone(),
        });
    }
    let from_height = previous.map_or(0, ChainTrust::height);
    let followed = follow(source, pinned, previous, progress).await?;
    let Followed {
        header,
        certificate,
        signers,
        validators,
        touched,
    } = followed;
    let mut trust = match previous {
        Some(previous) => previous.clone(),
        None => ChainTrust {
            chain: pinned.clone(),
            pinned_validators: pinned_hash,
            signers: signers.clone(),
            header: header.clone(),
            certificate: certificate.clone(),
            issuers: BTreeMap::new(),
            dids: BTreeMap::new(),
            schemas: BTreeMap::new(),
            statuses: BTreeMap::new(),
            evidence: BTreeMap::new(),
            batches: BTreeMap::new(),
            issuer_candidates: BTreeSet::new(),
        },
    };
    // Candidates come from the chain alone: every proposal naming an issuer since genesis
    // (genesis admits none). The node's list is only checked against what is proven.
    let listed: BTreeMap<RegistryDid, IssuerRecord> =
        source.listed_issuers().await?.into_iter().collect();
    trust
        .issuer_candidates
        .extend(touched.issuer_candidates.iter().cloned());
    let mut at = Prover {
        source,
        chain: TrustedChain {
            chain_id: pinned.chain_id.clone(),
            profile: pinned.profile,
            validators: signers.clone(),
        },
        header: &header,
        proven: 0,
        progress,
    };
    at.prove_issuers(&mut trust).await?;
    // The node lists issuers at its head, at or after the synced height: every proven issuer
    // must be listed (issuer records are never removed), and a listed record not changed
    // since the synced height must be the proven one.
    let contradicts = trust.issuers.keys().any(|did| !listed.contains_key(did))
        || listed.iter().any(|(did, record)| {
            record.updated_height <= header.height && trust.issuers.get(did) != Some(record)
        });
    if contradicts {
        return Err(SyncError::Contradiction {
            what: "issuer list",
        });
    }
    at.prove_histories(&mut trust, &touched.dids).await?;
    at.prove_touched(&mut trust, touched).await?;
    let entries = at.proven;
    let height = header.height;
    trust.chain.validators = validators;
    trust.signers = signers;
    trust.header = header;
    trust.certificate = certificate;
    Ok((
        trust,
        SyncSummary {
            from_height,
            height,
            blocks: height - from_height,
            entries,
        },
    ))
}

/// Where following the blocks ended: the last certified header, its certificate and signers,
/// the set that signs next, and what the blocks touched.
struct Followed {
    header: Header,
    certificate: CommitCertificate,
    signers: ValidatorSet,
    validators: ValidatorSet,
    touched: Touched,
}

/// Follows the certified blocks after `previous` (or genesis) to the node's head: steps 1–3 of
/// the module documentation.
async fn follow<S: ChainSource>(
    source: &S,
    pinned: &TrustedChain,
    previous: Option<&ChainTrust>,
    progress: &mut (dyn FnMut(SyncProgress) + Send),
) -> Result<Followed, SyncError> {
    let profile = pinned.profile;
    let mut validators =
        previous.map_or_else(|| pinned.validators.clone(), |p| p.chain.validators.clone());
    let mut last: Option<(Header, CommitCertificate, ValidatorSet)> =
        previous.map(|p| (p.header.clone(), p.certificate.clone(), p.signers.clone()));
    let mut touched = Touched::default();
    let (head, head_hash) = source.head().await?;
    let mut height = previous.map_or(0, ChainTrust::height);
    while height < head {
        let next = height + 1;
        let SourceBlock {
            header,
            certificate,
            transactions: hashes,
        } = source.block(next).await?;
        let Some(certificate) = certificate else {
            break; // not certified yet: the sync stops at the last certified block
        };
        if header.height != next || header.chain_id != pinned.chain_id {
            return Err(SyncError::WrongHeader { height: next });
        }
        if let Some((previous_header, _, _)) = &last
            && header.previous_hash != previous_header.hash(profile)
        {
            return Err(SyncError::BrokenChain { height: next });
        }
        verify_certificate(
            profile,
            &pinned.chain_id,
            &header,
            &certificate,
            &validators,
            &CoreSignatureVerifier,
        )
        .map_err(|error| SyncError::Certificate {
            height: next,
            error,
        })?;
        let transactions = source
            .transactions(next)
            .await?
            .verify_against(&header, profile)
            .map_err(|error| SyncError::Transactions {
                height: next,
                error,
            })?;
        if hashes.len() != transactions.len()
            || hashes
                .iter()
                .zip(&transactions)
                .any(|(hash, tx)| *hash != tx.hash(profile))
        {
            return Err(SyncError::Contradiction {
                what: "block's transaction hashes",
            });
        }
        for tx in &transactions {
            touched.record(tx, profile);
        }
        let signers = validators.clone();
        if header.next_validators_hash != validators.hash(profile) {
            validators = next_validator_set(source, pinned, &header, &signers).await?;
        }
        last = Some((header, certificate, signers));
        height = next;
        progress(SyncProgress::Blocks { height, head });
    }
    let Some((header, certificate, signers)) = last else {
        // Nothing certified yet beyond genesis: there is no header to prove anything against.
        return Err(SyncError::Source(
            "the chain has no certified block yet".into(),
        ));
    };
    if header.height == head && header.hash(profile) != head_hash {
        return Err(SyncError::Contradiction { what: "head" });
    }
    Ok(Followed {
        header,
        certificate,
        signers,
        validators,
        touched,
    })
}

/// The validator set that signs after `header` (which names another one than `signers`),
/// proven at `header`'s height.
async fn next_validator_set<S: ChainSource>(
    source: &S,
    pinned: &TrustedChain,
    header: &Header,
    signers: &ValidatorSet,
) -> Result<ValidatorSet, SyncError> {
    let mut silent = |_| {};
    let mut at = Prover {
        source,
        chain: TrustedChain {
            chain_id: pinned.chain_id.clone(),
            profile: pinned.profile,
            validators: signers.clone(),
        },
        header,
        proven: 0,
        progress: &mut silent,
    };
    let key = StateKey::meta(META_VALIDATORS).0;
    let values = at.prove_all(&[key]).await?;
    let bytes = values
        .into_iter()
        .next()
        .flatten()
        .ok_or(SyncError::ValidatorSet {
            height: header.height,
        })?;
    let set = ValidatorSet::decode_for(pinned.profile, &bytes).map_err(|error| {
        SyncError::Undecodable {
            what: "validator set",
            error,
        }
    })?;
    if set.hash(pinned.profile) != header.next_validators_hash {
        return Err(SyncError::ValidatorSet {
            height: header.height,
        });
    }
    Ok(set)
}

/// Proves entries at one verified header, counting them for the progress display.
struct Prover<'a, 'p, S> {
    source: &'a S,
    chain: TrustedChain,
    header: &'a Header,
    proven: usize,
    progress: &'p mut (dyn FnMut(SyncProgress) + Send),
}

impl<S: ChainSource> Prover<'_, '_, S> {
    /// The values of `keys` (`None`: proven absent), in order, 256 per request; each bundle
    /// must be of this header and verify.
    async fn prove_all(&mut self, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>, SyncError> {
        let height = self.header.height;
        let mut values = Vec::with_capacity(keys.len());
        let (source, header, chain) = (self.source, self.header, &self.chain);
        // Two requests in flight: the node proves the next bundle while this one is checked.
        let mut answers = futures_util::stream::iter(keys.chunks(MAX_BUNDLE_ENTRIES))
            .map(|chunk| async move { (chunk, source.prove(chunk, height).await) })
            .buffered(PROOF_REQUESTS_IN_FLIGHT);
        while let Some((chunk, bundle)) = answers.next().await {
            let bundle = bundle?;
            if bundle.header != *header {
                return Err(SyncError::BundleHeader { height });
            }
            let asked: Vec<&[u8]> = chunk.iter().map(Vec::as_slice).collect();
            let verified = verify_bundle_for_keys(&bundle, chain, &CoreSignatureVerifier, &asked)
                .map_err(|error| SyncError::Bundle { height, error })?;
            values.extend(verified.entries.into_iter().map(|(_, value)| value));
            self.proven += chunk.len();
            (self.progress)(SyncProgress::Entries {
                proven: self.proven,
            });
        }
        Ok(values)
    }

    /// The issuer record of every candidate, admitted or not (a handful of entries: proven at
    /// every sync, so a governance change is never missed).
    async fn prove_issuers(&mut self, trust: &mut ChainTrust) -> Result<(), SyncError> {
        let candidates: Vec<RegistryDid> = trust.issuer_candidates.iter().cloned().collect();
        let keys: Vec<Vec<u8>> = candidates
            .iter()
            .map(|did| StateKey::issuer(did).0)
            .collect();
        let values = self.prove_all(&keys).await?;
        trust.issuers.clear();
        for (did, value) in candidates.into_iter().zip(values) {
            if let Some(bytes) = value {
                trust
                    .issuers
                    .insert(did, decode::<IssuerRecord>("issuer", &bytes)?);
            }
        }
        Ok(())
    }

    /// The key histories of the admitted issuers: of new issuers whole, of issuers whose DID
    /// changed (`changed`) the record and the versions not yet held.
    async fn prove_histories(
        &mut self,
        trust: &mut ChainTrust,
        changed: &BTreeSet<RegistryDid>,
    ) -> Result<(), SyncError> {
        trust.dids.retain(|did, _| trust.issuers.contains_key(did));
        let stale: Vec<RegistryDid> = trust
            .issuers
            .keys()
            .filter(|did| !trust.dids.contains_key(*did) || changed.contains(*did))
            .cloned()
            .collect();
        let keys: Vec<Vec<u8>> = stale.iter().map(|did| StateKey::did(did).0).collect();
        let records = self.prove_all(&keys).await?;
        let mut version_keys = Vec::new();
        let mut updated = Vec::new();
        for (did, value) in stale.into_iter().zip(records) {
            let Some(bytes) = value else {
                trust.dids.remove(&did);
                continue;
            };
            let record = decode::<DidRecord>("DID record", &bytes)?;
            let known = trust
                .dids
                .get(&did)
                .map_or(0, |history| history.versions.len());
            let known = u32::try_from(known)
                .unwrap_or(u32::MAX)
                .min(record.versions);
            for number in known..record.versions {
                version_keys.push(StateKey::did_version(&did, number).0);
            }
            updated.push((did, record, known));
        }
        let mut versions = self.prove_all(&version_keys).await?.into_iter();
        for (did, record, known) in updated {
            let mut history = trust.dids.remove(&did).unwrap_or(DidHistory {
                record: record.clone(),
                versions: Vec::new(),
            });
            history.versions.truncate(known as usize);
            for _ in known..record.versions {
                let bytes = versions.next().flatten().ok_or(SyncError::Undecodable {
                    what: "DID version",
                    error: DecodeError::UnexpectedEnd {
                        what: "DID version",
                    },
                })?;
                history
                    .versions
                    .push(decode::<DidVersion>("DID version", &bytes)?);
            }
            history.record = record;
            trust.dids.insert(did, history);
        }
        Ok(())
    }

    /// The schemas, status entries and anchors the blocks touched.
    async fn prove_touched(
        &mut self,
        trust: &mut ChainTrust,
        touched: Touched,
    ) -> Result<(), SyncError> {
        let schemas: Vec<[u8; 32]> = touched.schemas.into_iter().collect();
        let keys: Vec<Vec<u8>> = schemas
            .iter()
            .map(|hash| StateKey::schema(hash).0)
            .collect();
        for (hash, value) in schemas.into_iter().zip(self.prove_all(&keys).await?) {
            if let Some(bytes) = value {
                trust
                    .schemas
                    .insert(hash, decode::<SchemaRecord>("schema", &bytes)?);
            }
        }
        let statuses: Vec<(RegistryDid, StatusKey)> = touched.statuses.into_iter().collect();
        let keys: Vec<Vec<u8>> = statuses
            .iter()
            .map(|(did, key)| StateKey::status(did, key).0)
            .collect();
        for ((did, key), value) in statuses.into_iter().zip(self.prove_all(&keys).await?) {
            let entries = trust.statuses.entry(did.clone()).or_default();
            match value {
                Some(bytes) => {
                    entries.insert(key, decode::<StatusRecord>("status entry", &bytes)?);
                }
                None => {
                    entries.remove(&key);
                }
            }
            if entries.is_empty() {
                trust.statuses.remove(&did);
            }
        }
        for (hashes, key_of, anchors) in [
            (
                touched.evidence,
                StateKey::evidence as fn(&[u8; 32]) -> StateKey,
                &mut trust.evidence,
            ),
            (touched.batches, StateKey::batch, &mut trust.batches),
        ] {
            let hashes: Vec<[u8; 32]> = hashes.into_iter().collect();
            let keys: Vec<Vec<u8>> = hashes.iter().map(|hash| key_of(hash).0).collect();
            for (hash, value) in hashes.into_iter().zip(self.prove_all(&keys).await?) {
                if let Some(bytes) = value {
                    anchors.insert(hash, decode::<EvidenceRecord>("anchor", &bytes)?);
                }
            }
        }
        Ok(())
    }
}

fn decode<T: Decode>(what: &'static str, bytes: &[u8]) -> Result<T, SyncError> {
    T::from_bytes(bytes).map_err(|error| SyncError::Undecodable { what, error })
}
