//! The checkpoint's light-client sync and the `CC1` checks that stand on it, against an
//! in-memory ledger (the registry's own block production, solo ordering and proofs) behind a
//! [`ChainSource`] that can be made to lie: every step's failure has its typed outcome —
//! a rotated-away key, an authority out of scope or suspended, a revoked or suspended
//! credential, a stale cache — and every lie is refused with its typed sync error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::fs;
use std::sync::Mutex;

use crosscode_core::VerificationStep;
use crosscode_core::data_integrity::{Cryptosuite, ProofOptions, add_proof};
use crosscode_core::did::{DidKey, DidUrl};
use crosscode_core::envelope;
use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use crosscode_did_registry::api::BlockTransactions;
use crosscode_did_registry::block::{CertificateError, CommitCertificate, Header};
use crosscode_did_registry::codec::{Decode as _, Encode as _};
use crosscode_did_registry::document::{RegistryDid, Relationships, VerificationMethod};
use crosscode_did_registry::evidence::credential_hash;
use crosscode_did_registry::governance::GovernanceAction;
use crosscode_did_registry::ledger::{Ledger, LedgerStore, MemoryStore, TxOutcome};
use crosscode_did_registry::ordering::{Ordering as _, SoloOrdering};
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::proof::{BundleError, ProofBundle, ProofEntry, TrustedChain};
use crosscode_did_registry::records::{DidRecord, IssuerRecord, Namespace, StateKey};
use crosscode_did_registry::state::META_VALIDATORS;
use crosscode_did_registry::transaction::{Payload, SignedTransaction, StatusChange, StatusKey};
use crosscode_did_registry::tree::{MemoryTreeStore, StateTree};
use crosscode_did_registry::validators::ValidatorSet;
use crosscode_testing::registry::{Actor, Chain, GENESIS_TIME, scope, validator_of, validator_set};
use crosscode_testing::temp_dir;
use crosscode_verifier::chain_trust::ChainTrust;
use crosscode_verifier::chain_trust::file::{CACHE_FILE, CacheFileError, KEY_FILE};
use crosscode_verifier::format::cc1::{Cc1, PresentationPolicy};
use crosscode_verifier::sync::{ChainSource, SourceBlock, SyncError, sync};
use crosscode_verifier::{TrustStore, Verdict, Verifier};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// How the source lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lie {
    None,
    /// A header's time changed (its certificate no longer signs it).
    HeaderTime,
    /// A block's last transaction left out.
    DroppedTransaction,
    /// Every proven value answered as absent (a revocation hidden).
    ProvenValueHidden,
    /// Bundles answered from the header before the one asked for.
    StaleBundle,
    /// A block's transaction hashes not those of its transactions.
    TransactionHashes,
    /// The issuer list says the opposite of the chain about a suspension.
    IssuerList,
    /// The issuer list adds a DID the chain never named, as changed after the synced height.
    ExtraIssuer,
    /// A block answered with the certified block before it (a stale or replaying node).
    ReplayedBlock,
    /// A header answered as of another chain (a node of another network).
    OtherChainHeader,
    /// The head answered as the header the validators certified in [`World::forge_head`],
    /// with its proofs against the state that header commits to.
    ForgedHead,
}

/// A head header the validators certified in place of the real one (see
/// [`World::forge_head`]).
struct Forged {
    header: Header,
    certificate: CommitCertificate,
    /// The state it commits to, when not the ledger's (proofs are answered at version 0).
    state: Option<StateTree<MemoryTreeStore>>,
}

/// An in-memory chain and the source a checkpoint syncs from.
struct World {
    chain: Chain,
    ledger: Mutex<Ledger<MemoryStore>>,
    ordering: Mutex<SoloOrdering>,
    time: Mutex<u64>,
    lie: Mutex<Lie>,
    forged: Mutex<Option<Forged>>,
}

impl World {
    fn new() -> World {
        let chain = Chain::new(CryptoProfile::Standard);
        let (ledger, ordering) = chain.solo_ledger();
        World {
            chain,
            ledger: Mutex::new(ledger),
            ordering: Mutex::new(ordering),
            time: Mutex::new(GENESIS_TIME),
            lie: Mutex::new(Lie::None),
            forged: Mutex::new(None),
        }
    }

    fn pinned(&self) -> TrustedChain {
        let ledger = self.ledger.lock().unwrap();
        TrustedChain {
            chain_id: ledger.config().chain_id.clone(),
            profile: ledger.config().profile,
            validators: ledger.validators().unwrap(),
        }
    }

    /// Commits `txs` in one block 10 s after the previous one; all must be accepted.
    fn commit(&self, txs: Vec<SignedTransaction>) -> u64 {
        let mut time = self.time.lock().unwrap();
        *time += 10;
        let mut ledger = self.ledger.lock().unwrap();
        let mut ordering = self.ordering.lock().unwrap();
        let (block, outcomes) = ledger.produce_block(txs, *time, &mut *ordering).unwrap();
        for outcome in outcomes {
            assert!(matches!(outcome, TxOutcome::Committed(_)), "{outcome:?}");
        }
        block.block.header.time
    }

    fn now(&self) -> u64 {
        *self.time.lock().unwrap()
    }

    /// A new issuer DID, admitted with the tests' scope by two of the three members.
    fn admitted_issuer(&mut self) -> Actor {
        let mut issuer = Actor::new(CryptoProfile::Standard);
        self.commit(vec![issuer.create()]);
        self.govern(GovernanceAction::AdmitIssuer {
            issuer: issuer.did.clone(),
            scope: scope(),
        });
        issuer
    }

    fn govern(&mut self, action: GovernanceAction) {
        let id = self
            .ledger
            .lock()
            .unwrap()
            .state()
            .record::<u64>(&StateKey::meta("next-proposal"))
            .unwrap()
            .unwrap_or(0);
        let propose = self.chain.members[0].tx(Payload::Propose {
            action,
            voting_period: 10,
        });
        self.commit(vec![propose]);
        let vote = self.chain.members[1].tx(Payload::Vote {
            proposal: id,
            approve: true,
        });
        self.commit(vec![vote]);
    }

    fn lie(&self, lie: Lie) {
        *self.lie.lock().unwrap() = lie;
    }

    fn current_lie(&self) -> Lie {
        *self.lie.lock().unwrap()
    }

    /// The header committed at `height`.
    fn header(&self, height: u64) -> Header {
        let ledger = self.ledger.lock().unwrap();
        ledger.store().block(height).unwrap().unwrap().block.header
    }

    /// Has the validators certify, in place of the head, the head header changed by `edit` —
    /// over the ledger's state with `entry` set in it when given (`None`: left out) — and
    /// makes the source answer it ([`Lie::ForgedHead`]): what a validator quorum running a
    /// faulty or hostile build signs. A node alone cannot make such a header: its certificate
    /// would not verify.
    fn forge_head(
        &self,
        entry: Option<(Vec<u8>, Option<Vec<u8>>)>,
        edit: impl FnOnce(&mut Header),
    ) {
        let ledger = self.ledger.lock().unwrap();
        let profile = ledger.config().profile;
        let mut header = ledger.head().clone();
        let state = entry.map(|(key, value)| {
            let mut changes: Vec<(Vec<u8>, Option<Vec<u8>>)> = ledger
                .state()
                .entries()
                .filter(|(existing, _)| *existing != key.as_slice())
                .map(|(key, value)| (key.to_vec(), Some(value.to_vec())))
                .collect();
            if let Some(value) = value {
                changes.push((key, Some(value)));
            }
            let tree = StateTree::new(profile, MemoryTreeStore::new());
            let update = tree.compute_update(0, &changes).unwrap();
            tree.write(&update).unwrap();
            header.state_root = update.root;
            tree
        });
        edit(&mut header);
        let certificate = self
            .ordering
            .lock()
            .unwrap()
            .decide(&header, &ledger.validators().unwrap())
            .unwrap();
        *self.forged.lock().unwrap() = Some(Forged {
            header,
            certificate,
            state,
        });
        drop(ledger);
        self.lie(Lie::ForgedHead);
    }

    /// The forged head's header and certificate when the source answers it at `height`.
    fn forged_at(&self, height: u64) -> Option<(Header, CommitCertificate)> {
        if self.current_lie() != Lie::ForgedHead {
            return None;
        }
        let forged = self.forged.lock().unwrap();
        forged
            .as_ref()
            .filter(|forged| forged.header.height == height)
            .map(|forged| (forged.header.clone(), forged.certificate.clone()))
    }
}

impl ChainSource for World {
    async fn head(&self) -> Result<(u64, [u8; 32]), SyncError> {
        let ledger = self.ledger.lock().unwrap();
        let head = ledger.head();
        if let Some((forged, _)) = self.forged_at(head.height) {
            return Ok((forged.height, forged.hash(ledger.config().profile)));
        }
        Ok((head.height, head.hash(ledger.config().profile)))
    }

    async fn block(&self, height: u64) -> Result<SourceBlock, SyncError> {
        let ledger = self.ledger.lock().unwrap();
        let profile = ledger.config().profile;
        let answered = match self.current_lie() {
            Lie::ReplayedBlock => height - 1,
            _ => height,
        };
        let mut committed = ledger.store().block(answered).unwrap().unwrap();
        let mut header = committed.block.header;
        match self.current_lie() {
            Lie::HeaderTime => header.time += 1,
            Lie::OtherChainHeader => header.chain_id = "crosscode-testnet-1".into(),
            _ => {}
        }
        if let Some((forged, certificate)) = self.forged_at(height) {
            header = forged;
            committed.certificate = Some(certificate);
        }
        let mut transactions: Vec<[u8; 32]> = committed
            .block
            .transactions
            .iter()
            .map(|tx| tx.hash(profile))
            .collect();
        if self.current_lie() == Lie::TransactionHashes {
            transactions.reverse();
            transactions.push([0; 32]);
        }
        Ok(SourceBlock {
            header,
            certificate: committed.certificate,
            transactions,
        })
    }

    async fn transactions(&self, height: u64) -> Result<BlockTransactions, SyncError> {
        let ledger = self.ledger.lock().unwrap();
        let mut transactions = ledger
            .store()
            .block(height)
            .unwrap()
            .unwrap()
            .block
            .transactions;
        if self.current_lie() == Lie::DroppedTransaction {
            transactions.pop();
        }
        Ok(BlockTransactions::new(height, &transactions))
    }

    async fn prove(&self, keys: &[Vec<u8>], height: u64) -> Result<ProofBundle, SyncError> {
        let ledger = self.ledger.lock().unwrap();
        let asked = match self.current_lie() {
            Lie::StaleBundle => height - 1,
            _ => height,
        };
        let mut bundle = ledger.prove(keys, asked).unwrap();
        if let Some((header, certificate)) = self.forged_at(height) {
            bundle.header = header;
            bundle.certificate = certificate;
            let forged = self.forged.lock().unwrap();
            if let Some(Forged {
                state: Some(tree), ..
            }) = &*forged
            {
                bundle.entries = keys
                    .iter()
                    .map(|key| {
                        let (value, proof) = tree.get_with_proof(key, 0).unwrap();
                        ProofEntry {
                            key: key.clone(),
                            value,
                            proof,
                        }
                    })
                    .collect();
            }
        }
        if self.current_lie() == Lie::ProvenValueHidden {
            for entry in &mut bundle.entries {
                entry.value = None;
            }
        }
        Ok(bundle)
    }

    async fn listed_issuers(&self) -> Result<Vec<(RegistryDid, IssuerRecord)>, SyncError> {
        let ledger = self.ledger.lock().unwrap();
        let state = ledger.state();
        let mut listed = Vec::new();
        for (key, value) in state.entries() {
            if Namespace::of_key(key) == Some(Namespace::Issuer) {
                let did = RegistryDid::parse(std::str::from_utf8(&key[1..]).unwrap()).unwrap();
                let mut record = IssuerRecord::from_bytes(value).unwrap();
                if self.current_lie() == Lie::IssuerList {
                    record.suspended = !record.suspended;
                }
                listed.push((did, record));
            }
        }
        if self.current_lie() == Lie::ExtraIssuer {
            let stranger = Actor::new(CryptoProfile::Standard);
            let mut record = IssuerRecord::from_bytes(&listed[0].1.to_bytes()).unwrap();
            record.updated_height = u64::MAX;
            listed.push((stranger.did, record));
        }
        Ok(listed)
    }
}

fn run<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

/// Syncs from `previous` (or genesis).
fn synced(world: &World, previous: Option<&ChainTrust>) -> Result<ChainTrust, SyncError> {
    run(sync(world, &world.pinned(), previous, &mut |_| {})).map(|(trust, _)| trust)
}

fn instant(seconds: u64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds as i64).unwrap()
}

fn rfc3339(seconds: u64) -> String {
    instant(seconds)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// The CC1 code of a CN-GD credential of `credential_type` by `issuer` for a fresh holder,
/// status list 0 index `index`, signed by `key` (method `fragment`) at `created`.
fn code(
    issuer: &RegistryDid,
    key: &SecretKey,
    fragment: &str,
    created: u64,
    index: u64,
    credential_type: &str,
) -> String {
    let credential = credential(issuer, created, index, &[credential_type]);
    sign_code(&credential, issuer, key, fragment, created).0
}

/// A CN-GD credential of `types` by `issuer` for a fresh holder, status list 0 index `index`.
fn credential(issuer: &RegistryDid, created: u64, index: u64, types: &[&str]) -> Value {
    let holder = DidKey::from_public_key(&SecretKey::generate(KeyAlgorithm::Ed25519).public_key());
    let status = |purpose: &str| {
        json!({
            "id": format!("https://health.example/status-lists/0-{purpose}#{index}"),
            "type": "BitstringStatusListEntry",
            "statusPurpose": purpose,
            "statusListIndex": index.to_string(),
            "statusListCredential": format!("https://health.example/status-lists/0-{purpose}"),
        })
    };
    let mut all_types = vec!["VerifiableCredential"];
    all_types.extend_from_slice(types);
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": all_types,
        "issuer": issuer.as_str(),
        "validFrom": rfc3339(created),
        "validUntil": rfc3339(created + 7 * 24 * 3600),
        "credentialStatus": [status("revocation"), status("suspension")],
        "credentialSubject": {
            "id": holder.did().as_str(),
            "jurisdiction": "CN-GD",
            "statusColour": "green"
        }
    })
}

/// `credential` signed by `key` (method `fragment`) at `created`: its CC1 code and the signed
/// credential.
fn sign_code(
    credential: &Value,
    issuer: &RegistryDid,
    key: &SecretKey,
    fragment: &str,
    created: u64,
) -> (String, Value) {
    let method = DidUrl::parse(&format!("{}#{fragment}", issuer.as_str())).unwrap();
    let options = ProofOptions {
        cryptosuite: Some(Cryptosuite::EddsaJcs2022),
        created: Some(instant(created)),
        ..ProofOptions::default()
    };
    let signed = add_proof(credential, key, &method, &options).unwrap();
    (envelope::encode_data_integrity(&signed).unwrap(), signed)
}

fn verifier(trust: &ChainTrust) -> Verifier {
    Verifier::new(TrustStore::new()).with_chain_trust(trust.clone())
}

/// The failed step and code of a report, or `None` for ACCEPT.
fn outcome(
    verifier: &Verifier,
    payload: &str,
    now: u64,
) -> Option<(VerificationStep, &'static str)> {
    let report = verifier.verify_text(payload, instant(now));
    match report.verdict() {
        Verdict::Accept => None,
        Verdict::Reject => report.failure().map(|(step, error)| (step, error.code())),
    }
}

fn set_status(issuer: &mut Actor, index: u64, change: StatusChange) -> SignedTransaction {
    issuer.tx(Payload::SetStatus {
        key: StatusKey::Index { list: 0, index },
        change,
    })
}

#[test]
fn a_synced_checkpoint_accepts_an_admitted_issuers_code_and_refuses_revoked_and_suspended_ones() {
    let mut world = World::new();
    let mut issuer = world.admitted_issuer();
    let issued = world.now();
    let good = code(
        &issuer.did,
        &issuer.assertion,
        "assert-1",
        issued,
        7,
        "HealthCode",
    );
    let revoked = code(
        &issuer.did,
        &issuer.assertion,
        "assert-1",
        issued,
        8,
        "HealthCode",
    );
    let suspended = code(
        &issuer.did,
        &issuer.assertion,
        "assert-1",
        issued,
        9,
        "HealthCode",
    );
    let trust = synced(&world, None).unwrap();
    let now = world.now() + 60;
    assert_eq!(outcome(&verifier(&trust), &good, now), None);
    assert_eq!(outcome(&verifier(&trust), &revoked, now), None);

    world.commit(vec![
        set_status(&mut issuer, 8, StatusChange::Revoke),
        set_status(&mut issuer, 9, StatusChange::Suspend),
    ]);
    let trust = synced(&world, Some(&trust)).unwrap();
    assert_eq!(trust.status_count(), 2);
    let now = world.now() + 60;
    let checkpoint = verifier(&trust);
    assert_eq!(outcome(&checkpoint, &good, now), None);
    assert_eq!(
        outcome(&checkpoint, &revoked, now),
        Some((VerificationStep::Status, "REVOKED"))
    );
    assert_eq!(
        outcome(&checkpoint, &suspended, now),
        Some((VerificationStep::Status, "SUSPENDED"))
    );
    let report = checkpoint.verify_text(&good, instant(now));
    assert_eq!(report.trust_as_of, Some((trust.height(), trust.time())));

    // Reinstated: the entry is gone, the code is accepted again.
    world.commit(vec![set_status(&mut issuer, 9, StatusChange::Reinstate)]);
    let trust = synced(&world, Some(&trust)).unwrap();
    assert_eq!(trust.status_count(), 1);
    assert_eq!(
        outcome(&verifier(&trust), &suspended, world.now() + 60),
        None
    );
}

#[test]
fn an_incremental_sync_ends_where_a_sync_from_genesis_ends() {
    let mut world = World::new();
    let mut issuer = world.admitted_issuer();
    let first = synced(&world, None).unwrap();
    world.commit(vec![set_status(&mut issuer, 1, StatusChange::Revoke)]);
    let second = world.admitted_issuer();
    world.commit(vec![
        issuer.anchor([7; 32]),
        issuer.anchor_batch([9; 32], 4),
    ]);
    let incremental = synced(&world, Some(&first)).unwrap();
    let from_genesis = synced(&world, None).unwrap();
    assert_eq!(incremental.height(), from_genesis.height());
    assert_eq!(incremental.issuers, from_genesis.issuers);
    assert_eq!(incremental.dids, from_genesis.dids);
    assert_eq!(incremental.statuses, from_genesis.statuses);
    assert_eq!(incremental.evidence, from_genesis.evidence);
    assert_eq!(incremental.batches, from_genesis.batches);
    assert!(incremental.issuers.contains_key(&second.did));
    assert!(incremental.evidence.contains_key(&[7; 32]));
    assert!(incremental.batches.contains_key(&[9; 32]));
    // Nothing new: the trust stays at its height.
    let again = synced(&world, Some(&incremental)).unwrap();
    assert_eq!(again, incremental);
}

#[test]
fn a_code_signed_before_a_key_rotation_verifies_and_one_signed_after_it_with_the_retired_key_does_not()
 {
    let mut world = World::new();
    let mut issuer = world.admitted_issuer();
    let before = world.now() + 1;
    let old_code = code(
        &issuer.did,
        &issuer.assertion,
        "assert-1",
        before,
        1,
        "HealthCode",
    );
    world.commit(vec![]);
    let new_key = SecretKey::generate(KeyAlgorithm::Ed25519);
    let rotate = issuer.tx(Payload::DidRotateKeys {
        methods: vec![
            VerificationMethod::new(
                "control",
                issuer.control.public_key(),
                Relationships::CAPABILITY_INVOCATION.with(Relationships::AUTHENTICATION),
            ),
            VerificationMethod::new(
                "assert-2",
                new_key.public_key(),
                Relationships::ASSERTION_METHOD,
            ),
        ],
    });
    let rotated_at = world.commit(vec![rotate]);
    let after = rotated_at + 5;
    let retired = code(
        &issuer.did,
        &issuer.assertion,
        "assert-1",
        after,
        2,
        "HealthCode",
    );
    let current = code(&issuer.did, &new_key, "assert-2", after, 3, "HealthCode");
    world.commit(vec![]);
    let trust = synced(&world, None).unwrap();
    assert_eq!(trust.dids[&issuer.did].versions.len(), 2);
    let checkpoint = verifier(&trust);
    let now = world.now() + 60;
    assert_eq!(outcome(&checkpoint, &old_code, now), None);
    assert_eq!(outcome(&checkpoint, &current, now), None);
    let refused = outcome(&checkpoint, &retired, now).unwrap();
    assert!(
        matches!(
            refused,
            (VerificationStep::KeyResolution, "UNKNOWN_KID")
                | (VerificationStep::IssuerBinding, "SIGNER_NOT_BOUND")
        ),
        "{refused:?}"
    );
}

#[test]
fn codes_outside_the_authoritys_scope_or_of_a_suspended_or_unadmitted_authority_are_refused_at_issuer_binding()
 {
    let mut world = World::new();
    let issuer = world.admitted_issuer();
    let mut stranger = Actor::new(CryptoProfile::Standard);
    world.commit(vec![stranger.create()]);
    let issued = world.now();
    let vaccination = code(
        &issuer.did,
        &issuer.assertion,
        "assert-1",
        issued,
        1,
        "Vaccination",
    );
    let unadmitted = code(
        &stranger.did,
        &stranger.assertion,
        "assert-1",
        issued,
        1,
        "HealthCode",
    );
    let good = code(
        &issuer.did,
        &issuer.assertion,
        "assert-1",
        issued,
        2,
        "HealthCode",
    );
    let trust = synced(&world, None).unwrap();
    let now = world.now() + 60;
    let checkpoint = verifier(&trust);
    assert_eq!(
        outcome(&checkpoint, &vaccination, now),
        Some((VerificationStep::IssuerBinding, "OUT_OF_SCOPE"))
    );
    // Not admitted: its keys are not in the cache at all.
    assert_eq!(
        outcome(&checkpoint, &unadmitted, now).map(|(_, code)| code),
        Some("UNKNOWN_KID")
    );
    // Another jurisdiction than the admitted one.
    let mut payload_mo = envelope::decode(&good, &trust.key_resolver(), instant(now))
        .unwrap()
        .document;
    payload_mo["credentialSubject"]["jurisdiction"] = json!("MO");
    payload_mo.as_object_mut().unwrap().remove("proof");
    let options = ProofOptions {
        cryptosuite: Some(Cryptosuite::EddsaJcs2022),
        created: Some(instant(issued)),
        ..ProofOptions::default()
    };
    let method = DidUrl::parse(&format!("{}#assert-1", issuer.did.as_str())).unwrap();
    let mo = envelope::encode_data_integrity(
        &add_proof(&payload_mo, &issuer.assertion, &method, &options).unwrap(),
    )
    .unwrap();
    assert_eq!(
        outcome(&checkpoint, &mo, now),
        Some((VerificationStep::IssuerBinding, "OUT_OF_SCOPE"))
    );

    world.govern(GovernanceAction::SuspendIssuer {
        issuer: issuer.did.clone(),
    });
    let trust = synced(&world, Some(&trust)).unwrap();
    assert_eq!(
        outcome(&verifier(&trust), &good, world.now() + 60),
        Some((VerificationStep::IssuerBinding, "ISSUER_SUSPENDED"))
    );
}

#[test]
fn a_sync_follows_a_validator_set_change_through_the_certificates_of_the_pinned_set() {
    let mut world = World::new();
    let mut issuer = world.admitted_issuer();
    let genesis_set = world.pinned();
    let new_validator = SecretKey::generate(KeyAlgorithm::Ed25519);
    world.govern(GovernanceAction::SetValidators {
        validators: vec![validator_of(CryptoProfile::Standard, &new_validator)],
    });
    // The block after the one that executed the change is signed by the new set.
    *world.ordering.lock().unwrap() = SoloOrdering::new(
        CryptoProfile::Standard,
        SecretKey::from_bytes(new_validator.algorithm(), &new_validator.to_bytes()).unwrap(),
    );
    world.commit(vec![set_status(&mut issuer, 5, StatusChange::Revoke)]);
    let (trust, _) = run(sync(&world, &genesis_set, None, &mut |_| {})).unwrap();
    assert_eq!(trust.chain.validators, world.pinned().validators);
    assert_ne!(trust.chain.validators, genesis_set.validators);
    assert_eq!(trust.status_count(), 1);
    // Pinning the new set alone cannot verify the chain's first blocks.
    assert!(matches!(
        run(sync(&world, &world.pinned(), None, &mut |_| {})),
        Err(SyncError::Certificate { height: 1, .. })
    ));
}

#[test]
fn a_credential_revoked_by_its_hash_is_refused_when_shown_as_issued() {
    let mut world = World::new();
    let mut issuer = world.admitted_issuer();
    let issued = world.now();
    let (payload, signed) = sign_code(
        &credential(&issuer.did, issued, 3, &["HealthCode"]),
        &issuer.did,
        &issuer.assertion,
        "assert-1",
        issued,
    );
    let hash = credential_hash(CryptoProfile::Standard, &signed).unwrap();
    world.commit(vec![issuer.tx(Payload::SetStatus {
        key: StatusKey::CredentialHash(hash),
        change: StatusChange::Revoke,
    })]);
    let trust = synced(&world, None).unwrap();
    assert_eq!(
        outcome(&verifier(&trust), &payload, world.now() + 60),
        Some((VerificationStep::Status, "REVOKED"))
    );
}

#[test]
fn every_type_and_subject_jurisdiction_must_be_in_scope_and_the_issuance_time_present() {
    let mut world = World::new();
    let issuer = world.admitted_issuer();
    let issued = world.now();
    let trust = synced(&world, None).unwrap();
    let checkpoint = verifier(&trust);
    let now = world.now() + 60;
    let show = |credential: &Value| {
        let payload = sign_code(
            credential,
            &issuer.did,
            &issuer.assertion,
            "assert-1",
            issued,
        )
        .0;
        outcome(&checkpoint, &payload, now)
    };
    let out_of_scope = Some((VerificationStep::IssuerBinding, "OUT_OF_SCOPE"));
    assert_eq!(
        show(&credential(&issuer.did, issued, 1, &["HealthCode"])),
        None
    );
    // A second type outside the scope.
    assert_eq!(
        show(&credential(
            &issuer.did,
            issued,
            1,
            &["HealthCode", "Vaccination"]
        )),
        out_of_scope
    );
    // Two subjects, the second of another jurisdiction; a jurisdiction that is not a code.
    let mut two_subjects = credential(&issuer.did, issued, 1, &["HealthCode"]);
    let mut other = two_subjects["credentialSubject"].clone();
    other["jurisdiction"] = json!("MO");
    two_subjects["credentialSubject"] = json!([two_subjects["credentialSubject"].clone(), other]);
    assert_eq!(show(&two_subjects), out_of_scope);
    let mut not_a_code = credential(&issuer.did, issued, 1, &["HealthCode"]);
    not_a_code["credentialSubject"]["jurisdiction"] = json!(["CN-GD"]);
    assert_eq!(show(&not_a_code), out_of_scope);
    // No issuance time: the admission window cannot be checked.
    let mut undated = credential(&issuer.did, issued, 1, &["HealthCode"]);
    undated.as_object_mut().unwrap().remove("validFrom");
    assert_eq!(show(&undated), out_of_scope);
}

#[test]
fn a_status_pointer_the_chain_cannot_answer_is_refused_at_status() {
    let mut world = World::new();
    let issuer = world.admitted_issuer();
    let issued = world.now();
    let trust = synced(&world, None).unwrap();
    let checkpoint = verifier(&trust);
    let now = world.now() + 60;
    let show = |credential: &Value| {
        let payload = sign_code(
            credential,
            &issuer.did,
            &issuer.assertion,
            "assert-1",
            issued,
        )
        .0;
        outcome(&checkpoint, &payload, now)
    };
    let mut elsewhere = credential(&issuer.did, issued, 1, &["HealthCode"]);
    elsewhere["credentialStatus"][0]["statusListCredential"] =
        json!("https://health.example/lists/0-revocation");
    assert_eq!(
        show(&elsewhere),
        Some((VerificationStep::Status, "PAYLOAD_INVALID"))
    );
    let mut other_type = credential(&issuer.did, issued, 1, &["HealthCode"]);
    other_type["credentialStatus"][1]["type"] = json!("StatusList2021Entry");
    assert_eq!(
        show(&other_type),
        Some((VerificationStep::Status, "PAYLOAD_INVALID"))
    );
}

#[test]
fn a_stale_cache_is_refused_at_status_under_a_max_age_policy() {
    let mut world = World::new();
    let issuer = world.admitted_issuer();
    let good = code(
        &issuer.did,
        &issuer.assertion,
        "assert-1",
        world.now(),
        1,
        "HealthCode",
    );
    let trust = synced(&world, None).unwrap();
    let checkpoint = verifier(&trust).with_format(Box::new(Cc1::with_policy(PresentationPolicy {
        max_trust_age: Some(time::Duration::hours(1)),
        ..PresentationPolicy::default()
    })));
    assert_eq!(outcome(&checkpoint, &good, trust.time() + 3500), None);
    assert_eq!(
        outcome(&checkpoint, &good, trust.time() + 3700),
        Some((VerificationStep::Status, "STALE_TRUST_CACHE"))
    );
}

#[test]
fn a_lying_source_is_refused_with_a_typed_error_and_the_previous_trust_stays() {
    let mut world = World::new();
    let mut issuer = world.admitted_issuer();
    let previous = synced(&world, None).unwrap();
    world.commit(vec![set_status(&mut issuer, 4, StatusChange::Revoke)]);

    world.lie(Lie::HeaderTime);
    assert!(matches!(
        synced(&world, Some(&previous)),
        Err(SyncError::Certificate {
            error: CertificateError::ValueMismatch,
            ..
        })
    ));
    world.lie(Lie::DroppedTransaction);
    assert!(matches!(
        synced(&world, Some(&previous)),
        Err(SyncError::Transactions { .. })
    ));
    world.lie(Lie::ProvenValueHidden);
    assert!(matches!(
        synced(&world, Some(&previous)),
        Err(SyncError::Bundle {
            error: BundleError::Entry { .. },
            ..
        })
    ));
    world.lie(Lie::StaleBundle);
    assert!(matches!(
        synced(&world, Some(&previous)),
        Err(SyncError::BundleHeader { .. })
    ));
    world.lie(Lie::TransactionHashes);
    assert!(matches!(
        synced(&world, Some(&previous)),
        Err(SyncError::Contradiction { .. })
    ));
    world.lie(Lie::ExtraIssuer);
    let padded = synced(&world, Some(&previous)).unwrap();
    assert_eq!(padded.issuer_candidates, previous.issuer_candidates);
    world.lie(Lie::IssuerList);
    assert!(matches!(
        synced(&world, Some(&previous)),
        Err(SyncError::Contradiction {
            what: "issuer list"
        })
    ));
    // A cache synced under another pinned validator set is not extended.
    let other_pin = TrustedChain {
        validators: ValidatorSet::new(
            CryptoProfile::Standard,
            vec![validator_of(
                CryptoProfile::Standard,
                &SecretKey::generate(KeyAlgorithm::Ed25519),
            )],
        )
        .unwrap(),
        ..world.pinned()
    };
    assert!(matches!(
        run(sync(&world, &other_pin, Some(&previous), &mut |_| {})),
        Err(SyncError::PinMismatch { .. })
    ));
    // A cache of another chain than the pinned one is not extended.
    let other_chain = TrustedChain {
        chain_id: "crosscode-other-1".into(),
        ..world.pinned()
    };
    assert!(matches!(
        run(sync(&world, &other_chain, Some(&previous), &mut |_| {})),
        Err(SyncError::PinMismatch { .. })
    ));
    world.lie(Lie::None);
    assert_eq!(synced(&world, Some(&previous)).unwrap().status_count(), 1);
}

#[test]
fn the_cache_file_round_trips_and_a_changed_byte_or_another_key_is_refused_at_load() {
    let mut world = World::new();
    let mut issuer = world.admitted_issuer();
    world.commit(vec![set_status(&mut issuer, 4, StatusChange::Revoke)]);
    let trust = synced(&world, None).unwrap();
    let dir = temp_dir("chain-trust-file");
    assert!(matches!(
        ChainTrust::load(&dir),
        Err(CacheFileError::NotSynced { .. })
    ));
    trust.save(&dir).unwrap();
    assert_eq!(ChainTrust::load(&dir).unwrap(), trust);
    let key = std::fs::read(dir.join("cache.key")).unwrap();
    let bytes = trust.to_file_bytes(&key);
    for at in [0, 30, bytes.len() / 2, bytes.len() - 1] {
        let mut changed = bytes.clone();
        changed[at] ^= 0x40;
        assert!(matches!(
            ChainTrust::from_file_bytes(&changed, &key),
            Err(CacheFileError::Tampered)
        ));
    }
    assert!(matches!(
        ChainTrust::from_file_bytes(&bytes, &[7; 32]),
        Err(CacheFileError::Tampered)
    ));
    assert!(matches!(
        ChainTrust::from_file_bytes(&bytes[..10], &key),
        Err(CacheFileError::NotACacheFile | CacheFileError::Tampered)
    ));
    // Written by the key holder but not a valid body: refused, never trusted.
    let mut forged = trust.to_file_bytes(&key);
    forged.truncate(forged.len() - 32);
    forged.truncate(forged.len() - 5);
    let tag = {
        use hmac::Mac as _;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(&forged);
        mac.finalize().into_bytes()
    };
    forged.extend_from_slice(&tag);
    assert!(matches!(
        ChainTrust::from_file_bytes(&forged, &key),
        Err(CacheFileError::Decode(_))
    ));
}

/// The typed refusals of a sync below: each is tried from a trust synced at the block before
/// the head, which must stay as it was and still extend once the source answers honestly.
struct Refusal {
    world: World,
    issuer: Actor,
    previous: ChainTrust,
    head: u64,
}

impl Refusal {
    /// An admitted issuer, a trust synced, then a revocation committed at the head.
    fn new() -> Refusal {
        let mut world = World::new();
        let mut issuer = world.admitted_issuer();
        let previous = synced(&world, None).unwrap();
        world.commit(vec![set_status(&mut issuer, 4, StatusChange::Revoke)]);
        let head = previous.height() + 1;
        Refusal {
            world,
            issuer,
            previous,
            head,
        }
    }

    /// The refusal of an incremental sync (it only reads the previous trust; that the trust
    /// still extends afterwards is [`Refusal::still_extends`]).
    fn refusal(&self) -> SyncError {
        synced(&self.world, Some(&self.previous)).unwrap_err()
    }

    /// The previous trust still extends to the head once the source is honest.
    fn still_extends(&self) {
        self.world.lie(Lie::None);
        let trust = synced(&self.world, Some(&self.previous)).unwrap();
        assert_eq!(trust.height(), self.head);
        assert_eq!(trust.status_count(), 1);
        assert_eq!(trust.chain.validators, self.world.pinned().validators);
    }
}

#[test]
fn a_header_of_another_height_or_chain_than_asked_is_refused_as_a_wrong_header() {
    let refusal = Refusal::new();
    // A stale or replaying node answers the certified block before the one asked for: its
    // certificate verifies, its height is not the one asked.
    refusal.world.lie(Lie::ReplayedBlock);
    let error = refusal.refusal();
    assert!(
        matches!(error, SyncError::WrongHeader { height } if height == refusal.head),
        "{error:?}"
    );
    // A node of another network (a checkpoint pointed at a test network's node) answers a
    // header of its own chain at the height asked.
    refusal.world.lie(Lie::OtherChainHeader);
    let error = refusal.refusal();
    assert!(
        matches!(error, SyncError::WrongHeader { height } if height == refusal.head),
        "{error:?}"
    );
    refusal.still_extends();
}

#[test]
fn a_header_that_does_not_link_to_the_previous_one_is_refused_as_a_broken_chain() {
    let refusal = Refusal::new();
    let world = &refusal.world;
    // The validators certify a head that follows the block before the previous one, as on a
    // fork that left the synced block out: its certificate verifies, its link does not.
    let skipped = world.header(refusal.head - 2).hash(CryptoProfile::Standard);
    world.forge_head(None, |header| header.previous_hash = skipped);
    let error = refusal.refusal();
    assert!(
        matches!(error, SyncError::BrokenChain { height } if height == refusal.head),
        "{error:?}"
    );
    // From genesis too: every header followed must link to the one before it.
    let error = synced(world, None).unwrap_err();
    assert!(
        matches!(error, SyncError::BrokenChain { height } if height == refusal.head),
        "{error:?}"
    );
    refusal.still_extends();
}

#[test]
fn a_validator_set_change_the_certified_state_does_not_prove_is_refused_and_the_current_set_keeps_signing()
 {
    let refusal = Refusal::new();
    let world = &refusal.world;
    let profile = CryptoProfile::Standard;
    let (_, outsider) = validator_set(profile, 1);
    // The head hands signing over to an outsider's set no governance vote chose: the state it
    // commits to still holds the current set, so the handover is not proven.
    world.forge_head(None, |header| {
        header.next_validators_hash = outsider.hash(profile);
    });
    let error = refusal.refusal();
    assert!(
        matches!(error, SyncError::ValidatorSet { height } if height == refusal.head),
        "{error:?}"
    );
    let error = synced(world, None).unwrap_err();
    assert!(
        matches!(error, SyncError::ValidatorSet { height } if height == refusal.head),
        "{error:?}"
    );
    // The same handover over a state that holds no validator set at all.
    world.forge_head(Some((StateKey::meta(META_VALIDATORS).0, None)), |header| {
        header.next_validators_hash = outsider.hash(profile);
    });
    let error = refusal.refusal();
    assert!(
        matches!(error, SyncError::ValidatorSet { height } if height == refusal.head),
        "{error:?}"
    );
    refusal.still_extends();
}

#[test]
fn garbage_bytes_proven_as_a_record_are_refused_as_undecodable() {
    let refusal = Refusal::new();
    let world = &refusal.world;
    let profile = CryptoProfile::Standard;
    // The issuer's record in bytes this checkpoint cannot read (a faulty build, or a record
    // format newer than the checkpoint's), certified and proven against the head.
    world.forge_head(
        Some((
            StateKey::issuer(&refusal.issuer.did).0,
            Some(b"not an issuer record".to_vec()),
        )),
        |_| {},
    );
    let error = refusal.refusal();
    assert!(
        matches!(error, SyncError::Undecodable { what: "issuer", .. }),
        "{error:?}"
    );
    // A validator set handed over to, proven in bytes that are no validator set (cut short).
    let mut cut = world.pinned().validators.to_bytes();
    cut.pop();
    world.forge_head(
        Some((StateKey::meta(META_VALIDATORS).0, Some(cut.clone()))),
        |header| header.next_validators_hash = profile.hash(&[&cut]),
    );
    let error = refusal.refusal();
    assert!(
        matches!(
            error,
            SyncError::Undecodable {
                what: "validator set",
                ..
            }
        ),
        "{error:?}"
    );
    // The issuer's DID record counts a key version the state does not hold: a first sync
    // reads its whole key history and finds the last version missing.
    let did_key = StateKey::did(&refusal.issuer.did);
    let mut record = world
        .ledger
        .lock()
        .unwrap()
        .state()
        .record::<DidRecord>(&did_key)
        .unwrap()
        .unwrap();
    record.versions += 1;
    world.forge_head(Some((did_key.0, Some(record.to_bytes()))), |_| {});
    let error = synced(world, None).unwrap_err();
    assert!(
        matches!(
            error,
            SyncError::Undecodable {
                what: "DID version",
                ..
            }
        ),
        "{error:?}"
    );
    refusal.still_extends();
}

#[test]
fn a_cache_key_file_that_is_not_32_bytes_is_refused_as_an_invalid_key_and_the_cache_is_not_overwritten()
 {
    let mut world = World::new();
    let mut issuer = world.admitted_issuer();
    let trust = synced(&world, None).unwrap();
    let dir = temp_dir("chain-trust-invalid-key");
    trust.save(&dir).unwrap();
    world.commit(vec![set_status(&mut issuer, 4, StatusChange::Revoke)]);
    let newer = synced(&world, Some(&trust)).unwrap();
    let key_path = dir.join(KEY_FILE);
    let cache_path = dir.join(CACHE_FILE);
    let key = fs::read(&key_path).unwrap();
    let cached = fs::read(&cache_path).unwrap();
    let hex: String = key.iter().map(|byte| format!("{byte:02x}")).collect();
    // Left empty by a crash or a full disk; restored with an editor's trailing newline; pasted
    // as hex by an operator.
    for malformed in [Vec::new(), [&key[..], b"\n"].concat(), hex.into_bytes()] {
        fs::write(&key_path, &malformed).unwrap();
        let loaded = ChainTrust::load(&dir);
        assert!(
            matches!(&loaded, Err(CacheFileError::InvalidKey { path }) if *path == key_path),
            "{loaded:?}"
        );
        // A newer sync is not saved under it, and no new key replaces it: the cache on disk
        // stays the one last written, and no partial file is left.
        let saved = newer.save(&dir);
        assert!(
            matches!(&saved, Err(CacheFileError::InvalidKey { path }) if *path == key_path),
            "{saved:?}"
        );
        assert_eq!(fs::read(&cache_path).unwrap(), cached);
        assert_eq!(fs::read(&key_path).unwrap(), malformed);
        let mut files: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        assert_eq!(files, [KEY_FILE, CACHE_FILE]);
    }
    // The key restored: the cache last written loads again.
    fs::write(&key_path, &key).unwrap();
    assert_eq!(ChainTrust::load(&dir).unwrap(), trust);
}

#[test]
fn a_cache_file_whose_validator_sets_are_not_the_ones_its_header_names_is_refused_as_a_validators_mismatch()
 {
    let mut world = World::new();
    let _issuer = world.admitted_issuer();
    let trust = synced(&world, None).unwrap();
    let dir = temp_dir("chain-trust-validators");
    trust.save(&dir).unwrap();
    let profile = CryptoProfile::Standard;
    let (_, outsider) = validator_set(profile, 1);
    // Someone holding the cache key puts an outsider's set in as the set that signs next —
    // the next sync would follow whatever chain that set signs — or as the header's signers.
    let mut next_swapped = trust.clone();
    next_swapped.chain.validators = outsider.clone();
    let mut signers_swapped = trust.clone();
    signers_swapped.signers = outsider.clone();
    for forged in [next_swapped, signers_swapped] {
        forged.save(&dir).unwrap();
        let loaded = ChainTrust::load(&dir);
        assert!(
            matches!(loaded, Err(CacheFileError::ValidatorsMismatch)),
            "{loaded:?}"
        );
    }
    // A cache honestly synced under other pinned validators is consistent: it loads, and the
    // sync under this checkpoint's pin refuses to extend it instead.
    let mut other_pin = trust.clone();
    other_pin.pinned_validators = outsider.hash(profile);
    other_pin.save(&dir).unwrap();
    let loaded = ChainTrust::load(&dir).unwrap();
    assert!(matches!(
        synced(&world, Some(&loaded)),
        Err(SyncError::PinMismatch { .. })
    ));
}
