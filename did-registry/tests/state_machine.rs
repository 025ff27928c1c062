//! The registry state machine: one test per transaction kind and per rejection reason, on both
//! crypto profiles where the profile matters.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_core::did::{DidError, DidUrl, KeyResolver, VerificationRelationship};
use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use crosscode_did_registry::codec::{Decode, Encode};
use crosscode_did_registry::document::{RegistryDid, Relationships, Service, VerificationMethod};
use crosscode_did_registry::governance::GovernanceAction;
use crosscode_did_registry::merkle::MerkleTree;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::records::{
    CredentialStatus, EvidenceRecord, IssuerRecord, ProposalRecord, ProposalStatus, SchemaRecord,
    StateKey, StatusRecord,
};
use crosscode_did_registry::state::{Event, Rejection};
use crosscode_did_registry::transaction::{
    Payload, SignedTransaction, StatusChange, StatusKey, evidence_message,
};
use crosscode_did_registry::validators::ValidatorSetError;
use crosscode_testing::registry::{
    Actor, CHAIN_ID, Chain, GENESIS_TIME, key_algorithm, scope, validator_of,
};

fn assert_rejected(chain: &mut Chain, tx: &SignedTransaction, check: impl Fn(&Rejection) -> bool) {
    let before: Vec<(Vec<u8>, Vec<u8>)> = chain
        .state
        .entries()
        .map(|(k, v)| (k.to_vec(), v.to_vec()))
        .collect();
    match chain.apply(tx) {
        Ok(_) => panic!("accepted, expected a rejection"),
        Err(rejection) => assert!(check(&rejection), "unexpected rejection {rejection:?}"),
    }
    let after: Vec<(Vec<u8>, Vec<u8>)> = chain
        .state
        .entries()
        .map(|(k, v)| (k.to_vec(), v.to_vec()))
        .collect();
    assert_eq!(before, after, "a rejected transaction changed the state");
}

// ---- transaction kinds ----

#[test]
fn did_create_and_resolve_on_both_profiles() {
    for profile in CryptoProfile::ALL {
        let mut chain = Chain::new(profile);
        let mut actor = Actor::new(profile);
        let tx = actor.create();
        let effects = chain.ok(&tx);
        assert_eq!(effects.tx_hash, tx.hash(profile));
        assert_eq!(
            effects.events,
            vec![Event::DidCreated {
                did: actor.did.clone()
            }]
        );
        let resolved = chain.state.resolve(&actor.did, None).unwrap();
        assert_eq!(resolved.document, actor.document());
        assert!(!resolved.deactivated);
        assert_eq!(resolved.version, 0);
        assert_eq!(chain.state.next_sequence(&actor.did), 1);
        // The encoding round-trips and re-encodes byte for byte.
        let bytes = tx.to_bytes();
        assert_eq!(SignedTransaction::decode_bytes(&bytes).unwrap(), tx);
    }
}

#[test]
fn did_update_adds_and_removes_methods_and_services() {
    let mut chain = Chain::new(CryptoProfile::Standard);
    let mut actor = Actor::new(CryptoProfile::Standard);
    let create = actor.create();
    chain.ok(&create);
    let bbs = SecretKey::generate(KeyAlgorithm::Bls12381G2).public_key();
    let sm2 = SecretKey::generate(KeyAlgorithm::Sm2).public_key();
    let update = actor.tx(Payload::DidUpdate {
        add_methods: vec![
            VerificationMethod::new("bbs-1", bbs, Relationships::ASSERTION_METHOD),
            VerificationMethod::new("sm2-1", sm2, Relationships::ASSERTION_METHOD),
        ],
        remove_methods: vec!["assert-1".into()],
        add_services: vec![Service {
            fragment: "status".into(),
            service_type: "StatusList".into(),
            endpoint: "https://health.example/status".into(),
        }],
        remove_services: vec!["issuer".into()],
    });
    let effects = chain.ok(&update);
    assert_eq!(
        effects.events,
        vec![Event::DidUpdated {
            did: actor.did.clone(),
            version: 1
        }]
    );
    let doc = chain.state.resolve(&actor.did, None).unwrap().document;
    let fragments: Vec<&str> = doc
        .verification_methods
        .iter()
        .map(|vm| vm.fragment.as_str())
        .collect();
    assert_eq!(fragments, ["control", "bbs-1", "sm2-1"]);
    assert_eq!(doc.services.len(), 1);
    assert_eq!(doc.services[0].fragment, "status");
}

#[test]
fn key_rotation_keeps_history_so_old_signatures_resolve_at_their_height() {
    for profile in CryptoProfile::ALL {
        let mut chain = Chain::new(profile);
        let mut actor = Actor::new(profile);
        let create = actor.create();
        chain.ok(&create);
        let issued_at = chain.height;
        let old_assertion = actor.assertion.public_key();
        let new_control = SecretKey::generate(key_algorithm(profile));
        let new_assertion = SecretKey::generate(key_algorithm(profile));
        let rotate = actor.tx(Payload::DidRotateKeys {
            methods: vec![
                VerificationMethod::new(
                    "control-2",
                    new_control.public_key(),
                    Relationships::CAPABILITY_INVOCATION,
                ),
                VerificationMethod::new(
                    "assert-2",
                    new_assertion.public_key(),
                    Relationships::ASSERTION_METHOD,
                ),
            ],
        });
        chain.ok(&rotate);
        let rotated_at = chain.height;

        let vm_old = DidUrl::parse(&format!("{}#assert-1", actor.did)).unwrap();
        let vm_new = DidUrl::parse(&format!("{}#assert-2", actor.did)).unwrap();
        let at_issuance = chain.state.key_resolver(Some(issued_at));
        assert_eq!(
            at_issuance
                .resolve_verification_method(
                    &vm_old,
                    VerificationRelationship::AssertionMethod,
                    None
                )
                .unwrap(),
            old_assertion
        );
        assert!(
            at_issuance
                .resolve_verification_method(
                    &vm_new,
                    VerificationRelationship::AssertionMethod,
                    None
                )
                .is_err()
        );
        let now = chain.state.key_resolver(None);
        assert!(matches!(
            now.resolve_verification_method(
                &vm_old,
                VerificationRelationship::AssertionMethod,
                None
            ),
            Err(DidError::NotInForce { .. })
        ));
        assert_eq!(
            now.resolve_verification_method(
                &vm_new,
                VerificationRelationship::AssertionMethod,
                None
            )
            .unwrap(),
            new_assertion.public_key()
        );
        // As of a time: the key in force when a credential was issued, not the latest one.
        let resolver = chain.state.key_resolver(None);
        let time_of = |height: u64| {
            time::OffsetDateTime::from_unix_timestamp((GENESIS_TIME + 5 * height) as i64).unwrap()
        };
        let assertion = VerificationRelationship::AssertionMethod;
        assert_eq!(
            resolver
                .resolve_verification_method(&vm_old, assertion, Some(time_of(issued_at)))
                .unwrap(),
            old_assertion
        );
        assert!(matches!(
            resolver.resolve_verification_method(&vm_old, assertion, Some(time_of(rotated_at))),
            Err(DidError::NotInForce { .. })
        ));
        assert!(matches!(
            resolver.resolve_verification_method(&vm_new, assertion, Some(time_of(issued_at))),
            Err(DidError::NotInForce { .. })
        ));
        assert_eq!(
            resolver
                .resolve_verification_method(&vm_new, assertion, Some(time_of(rotated_at)))
                .unwrap(),
            new_assertion.public_key()
        );
        // The control key is not an assertion key.
        let vm_control = DidUrl::parse(&format!("{}#control-2", actor.did)).unwrap();
        assert!(matches!(
            resolver.resolve_verification_method(&vm_control, assertion, None),
            Err(DidError::NotAuthorised { .. })
        ));
        // Before the DID existed nothing of it was in force; an unknown DID is not found.
        assert!(matches!(
            resolver.resolve_verification_method(&vm_old, assertion, Some(time_of(0))),
            Err(DidError::NotInForce { .. })
        ));
        // Before creation the DID does not resolve; by time works like by height.
        assert!(
            chain
                .state
                .resolve(&actor.did, Some(issued_at - 1))
                .is_err()
        );
        let by_time = chain
            .state
            .resolve_at_time(&actor.did, GENESIS_TIME + 5 * issued_at)
            .unwrap();
        assert_eq!(by_time.version, 0);
        assert_eq!(
            chain
                .state
                .resolve(&actor.did, Some(rotated_at))
                .unwrap()
                .version,
            1
        );

        // The old control key no longer signs; the new one does.
        let stale = actor.tx(Payload::DidDeactivate);
        assert_rejected(&mut chain, &stale, |r| {
            matches!(r, Rejection::UnknownKey { .. })
        });
        actor.sequence -= 1;
        actor.control = new_control;
        actor.control_fragment = "control-2".into();
        let deactivate = actor.tx(Payload::DidDeactivate);
        chain.ok(&deactivate);
    }
}

#[test]
fn did_deactivate_is_final_and_history_stays() {
    let mut chain = Chain::new(CryptoProfile::Standard);
    let mut actor = Actor::new(CryptoProfile::Standard);
    let create = actor.create();
    chain.ok(&create);
    let created_at = chain.height;
    let deactivate = actor.tx(Payload::DidDeactivate);
    let effects = chain.ok(&deactivate);
    assert_eq!(
        effects.events,
        vec![Event::DidDeactivated {
            did: actor.did.clone()
        }]
    );
    assert!(chain.state.resolve(&actor.did, None).unwrap().deactivated);
    assert!(
        !chain
            .state
            .resolve(&actor.did, Some(created_at))
            .unwrap()
            .deactivated
    );
    let vm = DidUrl::parse(&format!("{}#assert-1", actor.did)).unwrap();
    assert!(
        chain
            .state
            .key_resolver(None)
            .resolve_verification_method(&vm, VerificationRelationship::AssertionMethod, None)
            .is_err()
    );
    assert!(
        chain
            .state
            .key_resolver(Some(created_at))
            .resolve_verification_method(&vm, VerificationRelationship::AssertionMethod, None)
            .is_ok()
    );
}

#[test]
fn governance_admits_suspends_reinstates_and_rescopes_an_issuer() {
    for profile in CryptoProfile::ALL {
        let mut chain = Chain::new(profile);
        let mut issuer = Actor::new(profile);
        let create = issuer.create();
        chain.ok(&create);
        let propose = chain.members[0].tx(Payload::Propose {
            action: GovernanceAction::AdmitIssuer {
                issuer: issuer.did.clone(),
                scope: scope(),
            },
            voting_period: 10,
        });
        let effects = chain.ok(&propose);
        assert_eq!(effects.events, vec![Event::ProposalOpened { id: 0 }]);
        assert!(chain.state.get(&StateKey::issuer(&issuer.did)).is_none());
        let vote = chain.members[2].tx(Payload::Vote {
            proposal: 0,
            approve: true,
        });
        let effects = chain.ok(&vote);
        assert_eq!(
            effects.events,
            vec![
                Event::Voted {
                    id: 0,
                    approve: true
                },
                Event::ProposalExecuted { id: 0 }
            ]
        );
        let record: IssuerRecord = chain
            .state
            .record(&StateKey::issuer(&issuer.did))
            .unwrap()
            .unwrap();
        assert_eq!(record.scope, scope());
        assert!(!record.suspended);
        let proposal: ProposalRecord = chain.state.record(&StateKey::proposal(0)).unwrap().unwrap();
        assert_eq!(proposal.status, ProposalStatus::Executed);

        chain.govern(GovernanceAction::SuspendIssuer {
            issuer: issuer.did.clone(),
        });
        let record: IssuerRecord = chain
            .state
            .record(&StateKey::issuer(&issuer.did))
            .unwrap()
            .unwrap();
        assert!(record.suspended);
        let anchor = issuer.anchor([1; 32]);
        assert_rejected(&mut chain, &anchor, |r| {
            matches!(r, Rejection::NotAuthorised { .. })
        });
        issuer.sequence -= 1;

        chain.govern(GovernanceAction::ReinstateIssuer {
            issuer: issuer.did.clone(),
        });
        let mut new_scope = scope();
        new_scope.credential_types = vec!["Vaccination".into()];
        new_scope.jurisdiction = "MO".into();
        chain.govern(GovernanceAction::RescopeIssuer {
            issuer: issuer.did.clone(),
            scope: new_scope.clone(),
        });
        let record: IssuerRecord = chain
            .state
            .record(&StateKey::issuer(&issuer.did))
            .unwrap()
            .unwrap();
        assert_eq!(record.scope, new_scope);
        assert!(!record.suspended);
        let anchor = issuer.anchor([1; 32]);
        chain.ok(&anchor);
    }
}

#[test]
fn governance_changes_the_validator_set() {
    let mut chain = Chain::new(CryptoProfile::GuoMi);
    let keys: Vec<SecretKey> = (0..4)
        .map(|_| SecretKey::generate(KeyAlgorithm::Sm2))
        .collect();
    let validators: Vec<_> = keys
        .iter()
        .map(|k| validator_of(CryptoProfile::GuoMi, k))
        .collect();
    let id = chain.next_proposal();
    let propose = chain.members[1].tx(Payload::Propose {
        action: GovernanceAction::SetValidators {
            validators: validators.clone(),
        },
        voting_period: 5,
    });
    chain.ok(&propose);
    let vote = chain.members[0].tx(Payload::Vote {
        proposal: id,
        approve: true,
    });
    let effects = chain.ok(&vote);
    assert!(effects.events.contains(&Event::ValidatorSetChanged));
    assert_eq!(
        chain.state.validator_set().unwrap().validators(),
        validators.as_slice()
    );
}

#[test]
fn a_proposal_is_rejected_once_the_threshold_is_unreachable() {
    let mut chain = Chain::new(CryptoProfile::Standard);
    let mut issuer = Actor::new(CryptoProfile::Standard);
    let create = issuer.create();
    chain.ok(&create);
    let propose = chain.members[0].tx(Payload::Propose {
        action: GovernanceAction::AdmitIssuer {
            issuer: issuer.did.clone(),
            scope: scope(),
        },
        voting_period: 10,
    });
    chain.ok(&propose);
    let no1 = chain.members[1].tx(Payload::Vote {
        proposal: 0,
        approve: false,
    });
    let effects = chain.ok(&no1);
    assert_eq!(
        effects.events,
        vec![Event::Voted {
            id: 0,
            approve: false
        }]
    );
    let no2 = chain.members[2].tx(Payload::Vote {
        proposal: 0,
        approve: false,
    });
    let effects = chain.ok(&no2);
    assert!(effects.events.contains(&Event::ProposalRejected { id: 0 }));
    assert!(chain.state.get(&StateKey::issuer(&issuer.did)).is_none());
}

#[test]
fn schemas_are_stored_canonically_under_their_content_hash() {
    for profile in CryptoProfile::ALL {
        let mut chain = Chain::new(profile);
        let mut issuer = chain.admitted_issuer();
        let schema = r#"{ "type": "object", "$schema": "https://json-schema.org/draft/2020-12/schema",
            "properties": { "status": { "enum": ["green", "yellow", "red"] } } }"#;
        let tx = issuer.tx(Payload::RegisterSchema {
            name: "HealthCode".into(),
            version: "1.0".into(),
            schema_json: schema.into(),
        });
        let effects = chain.ok(&tx);
        let value: serde_json::Value = serde_json::from_str(schema).unwrap();
        let canonical = crosscode_core::jcs::canonicalize(&value).unwrap();
        let hash = profile.hash(&[canonical.as_bytes()]);
        assert_eq!(effects.events, vec![Event::SchemaRegistered { hash }]);
        let record: SchemaRecord = chain
            .state
            .record(&StateKey::schema(&hash))
            .unwrap()
            .unwrap();
        assert_eq!(record.canonical_json, canonical);
        assert_eq!(record.author, issuer.did);
        // Members may register schemas too.
        let tx = chain.members[0].tx(Payload::RegisterSchema {
            name: "Vaccination".into(),
            version: "1".into(),
            schema_json: r#"{"type":"object"}"#.into(),
        });
        chain.ok(&tx);
    }
}

#[test]
fn status_entries_revoke_suspend_and_reinstate() {
    let mut chain = Chain::new(CryptoProfile::Standard);
    let mut issuer = chain.admitted_issuer();
    let by_index = StatusKey::Index { list: 3, index: 42 };
    let by_hash = StatusKey::CredentialHash([7; 32]);

    let suspend = issuer.tx(Payload::SetStatus {
        key: by_index.clone(),
        change: StatusChange::Suspend,
    });
    chain.ok(&suspend);
    let record: StatusRecord = chain
        .state
        .record(&StateKey::status(&issuer.did, &by_index))
        .unwrap()
        .unwrap();
    assert_eq!(record.status, CredentialStatus::Suspended);
    let reinstate = issuer.tx(Payload::SetStatus {
        key: by_index.clone(),
        change: StatusChange::Reinstate,
    });
    let effects = chain.ok(&reinstate);
    assert_eq!(
        effects.events,
        vec![Event::StatusChanged {
            change: StatusChange::Reinstate
        }]
    );
    assert!(
        chain
            .state
            .get(&StateKey::status(&issuer.did, &by_index))
            .is_none()
    );

    let revoke = issuer.tx(Payload::SetStatus {
        key: by_hash.clone(),
        change: StatusChange::Revoke,
    });
    chain.ok(&revoke);
    let record: StatusRecord = chain
        .state
        .record(&StateKey::status(&issuer.did, &by_hash))
        .unwrap()
        .unwrap();
    assert_eq!(record.status, CredentialStatus::Revoked);
}

#[test]
fn evidence_anchor_single_hash() {
    for profile in CryptoProfile::ALL {
        let mut chain = Chain::new(profile);
        let mut issuer = chain.admitted_issuer();
        let hash = profile.hash(&[b"credential"]);
        let tx = issuer.anchor(hash);
        let effects = chain.ok(&tx);
        assert_eq!(effects.events, vec![Event::EvidenceAnchored { hash }]);
        let record: EvidenceRecord = chain
            .state
            .record(&StateKey::evidence(&hash))
            .unwrap()
            .unwrap();
        assert_eq!(record.issuer, issuer.did);
        assert_eq!(record.count, 1);
        assert_eq!(record.height, chain.height);
        // The stored signature verifies against the issuer's key resolved at that height.
        let vm = DidUrl::parse(&format!("{}#{}", record.issuer, record.method)).unwrap();
        let key = chain
            .state
            .key_resolver(Some(record.height))
            .resolve_verification_method(&vm, VerificationRelationship::AssertionMethod, None)
            .unwrap();
        key.verify(&evidence_message(CHAIN_ID, &hash), &record.signature)
            .unwrap();
    }
}

#[test]
fn evidence_anchor_batch_with_inclusion_paths() {
    for profile in CryptoProfile::ALL {
        let mut chain = Chain::new(profile);
        let mut issuer = chain.admitted_issuer();
        let hashes: Vec<[u8; 32]> = (0u32..1000)
            .map(|i| profile.hash(&[&i.to_be_bytes()]))
            .collect();
        let tree = MerkleTree::new(profile, &hashes);
        let tx = issuer.anchor_batch(tree.root(), hashes.len() as u64);
        let effects = chain.ok(&tx);
        assert_eq!(
            effects.events,
            vec![Event::BatchAnchored {
                root: tree.root(),
                count: 1000
            }]
        );
        let record: EvidenceRecord = chain
            .state
            .record(&StateKey::batch(&tree.root()))
            .unwrap()
            .unwrap();
        assert_eq!(record.count, 1000);
        for index in [0usize, 1, 511, 998, 999] {
            let path = tree.path(index as u64).unwrap();
            path.verify(profile, &tree.root(), &hashes[index]).unwrap();
            assert!(path.verify(profile, &tree.root(), &[0; 32]).is_err());
        }
    }
}

// ---- rejections ----

#[test]
fn rejects_bad_signature() {
    let mut chain = Chain::new(CryptoProfile::Standard);
    let mut actor = Actor::new(CryptoProfile::Standard);
    let mut tx = actor.create();
    tx.signature[0] ^= 1;
    assert_rejected(&mut chain, &tx, |r| matches!(r, Rejection::BadSignature));
    // A signature by another key of the right algorithm.
    let mut member = Actor::new(CryptoProfile::Standard);
    member.did = chain.members[0].did.clone();
    let tx = member.tx(Payload::DidDeactivate);
    assert_rejected(&mut chain, &tx, |r| matches!(r, Rejection::BadSignature));
}

#[test]
fn rejects_unknown_sender() {
    let mut chain = Chain::new(CryptoProfile::Standard);
    let mut stranger = Actor::new(CryptoProfile::Standard);
    let tx = stranger.tx(Payload::DidDeactivate);
    assert_rejected(&mut chain, &tx, |r| matches!(r, Rejection::UnknownSender));
}

#[test]
fn rejects_replayed_and_skipped_sequences() {
    let mut chain = Chain::new(CryptoProfile::Standard);
    let mut actor = Actor::new(CryptoProfile::Standard);
    let create = actor.create();
    chain.ok(&create);
    let update = actor.tx(Payload::DidUpdate {
        add_methods: vec![],
        remove_methods: vec![],
        add_services: vec![],
        remove_services: vec!["issuer".into()],
    });
    chain.ok(&update);
    // The same transaction again.
    assert_rejected(&mut chain, &update, |r| {
        matches!(
            r,
            Rejection::ReplayedSequence {
                expected: 2,
                found: 1
            }
        )
    });
    // The create again: the DID exists.
    assert_rejected(&mut chain, &create, |r| matches!(r, Rejection::DidExists));
    actor.sequence = 5;
    let skip = actor.tx(Payload::DidDeactivate);
    assert_rejected(&mut chain, &skip, |r| {
        matches!(
            r,
            Rejection::SkippedSequence {
                expected: 2,
                found: 5
            }
        )
    });
    // A create must use sequence 0.
    let mut late = Actor::new(CryptoProfile::Standard);
    late.sequence = 1;
    let tx = late.create();
    assert_rejected(&mut chain, &tx, |r| {
        matches!(
            r,
            Rejection::SkippedSequence {
                expected: 0,
                found: 1
            }
        )
    });
}

#[test]
fn rejects_wrong_chain_id_and_network() {
    let mut chain = Chain::new(CryptoProfile::Standard);
    let mut actor = Actor::new(CryptoProfile::Standard);
    let mut unsigned = actor.unsigned(Payload::DidCreate {
        document: actor.document(),
    });
    unsigned.chain_id = "crosscode-other-1".into();
    let tx = unsigned.sign(&actor.control).unwrap();
    assert_rejected(&mut chain, &tx, |r| {
        matches!(r, Rejection::WrongChainId { .. })
    });

    let other_did =
        RegistryDid::derive(CryptoProfile::Standard, "prod", &actor.control.public_key());
    actor.did = other_did;
    let tx = actor.create();
    assert_rejected(&mut chain, &tx, |r| {
        matches!(r, Rejection::WrongNetwork { .. })
    });
}

#[test]
fn rejects_malformed_payloads() {
    let mut chain = Chain::new(CryptoProfile::Standard);
    let mut issuer = chain.admitted_issuer();
    let empty = issuer.tx(Payload::DidUpdate {
        add_methods: vec![],
        remove_methods: vec![],
        add_services: vec![],
        remove_services: vec![],
    });
    assert_rejected(&mut chain, &empty, |r| {
        matches!(
            r,
            Rejection::MalformedPayload {
                reason: "empty update"
            }
        )
    });
    issuer.sequence -= 1;
    let dup = issuer.tx(Payload::DidUpdate {
        add_methods: vec![VerificationMethod::new(
            "control",
            issuer.assertion.public_key(),
            Relationships::ASSERTION_METHOD,
        )],
        remove_methods: vec![],
        add_services: vec![],
        remove_services: vec![],
    });
    assert_rejected(&mut chain, &dup, |r| {
        matches!(
            r,
            Rejection::MalformedPayload {
                reason: "duplicate fragment"
            }
        )
    });
    issuer.sequence -= 1;
    let not_json = issuer.tx(Payload::RegisterSchema {
        name: "x".into(),
        version: "1".into(),
        schema_json: "{not json".into(),
    });
    assert_rejected(&mut chain, &not_json, |r| {
        matches!(r, Rejection::MalformedPayload { .. })
    });
    issuer.sequence -= 1;
    let empty_batch = issuer.anchor_batch([1; 32], 0);
    assert_rejected(&mut chain, &empty_batch, |r| {
        matches!(
            r,
            Rejection::MalformedPayload {
                reason: "empty batch"
            }
        )
    });
    let period = chain.members[0].tx(Payload::Propose {
        action: GovernanceAction::SuspendIssuer {
            issuer: issuer.did.clone(),
        },
        voting_period: 0,
    });
    assert_rejected(&mut chain, &period, |r| {
        matches!(r, Rejection::MalformedPayload { .. })
    });
    chain.members[0].sequence -= 1;
    let mut bad_scope = scope();
    bad_scope.valid_until = bad_scope.valid_from;
    let mut other = Actor::new(CryptoProfile::Standard);
    let create = other.create();
    chain.ok(&create);
    let tx = chain.members[0].tx(Payload::Propose {
        action: GovernanceAction::AdmitIssuer {
            issuer: other.did.clone(),
            scope: bad_scope,
        },
        voting_period: 3,
    });
    assert_rejected(&mut chain, &tx, |r| {
        matches!(
            r,
            Rejection::MalformedPayload {
                reason: "empty validity window"
            }
        )
    });
}

#[test]
fn rejects_undecodable_bytes() {
    let mut chain = Chain::new(CryptoProfile::Standard);
    let mut actor = Actor::new(CryptoProfile::Standard);
    let tx = actor.create();
    let bytes = tx.to_bytes();
    let ctx = chain.next_block();
    assert!(matches!(
        chain.state.apply_bytes(&ctx, &bytes[..bytes.len() - 1]),
        Err(Rejection::Decode(_))
    ));
    let mut versioned = bytes.clone();
    versioned[0] = 2;
    assert!(matches!(
        chain.state.apply_bytes(&ctx, &versioned),
        Err(Rejection::Decode(_))
    ));
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(matches!(
        chain.state.apply_bytes(&ctx, &trailing),
        Err(Rejection::Decode(_))
    ));
    assert!(chain.state.apply_bytes(&ctx, &bytes).is_ok());
}

#[test]
fn rejects_creates_not_derived_from_the_key() {
    let mut chain = Chain::new(CryptoProfile::Standard);
    let mut actor = Actor::new(CryptoProfile::Standard);
    actor.did = Actor::new(CryptoProfile::Standard).did;
    let tx = actor.create();
    assert_rejected(&mut chain, &tx, |r| {
        matches!(r, Rejection::DidDoesNotMatchKey)
    });
}

#[test]
fn rejects_unknown_and_disallowed_keys() {
    let mut chain = Chain::new(CryptoProfile::Standard);
    let mut actor = Actor::new(CryptoProfile::Standard);
    let create = actor.create();
    chain.ok(&create);
    actor.control_fragment = "nope".into();
    let tx = actor.tx(Payload::DidDeactivate);
    assert_rejected(&mut chain, &tx, |r| {
        matches!(r, Rejection::UnknownKey { .. })
    });
    // An assertion key may not sign transactions.
    actor.sequence -= 1;
    actor.control_fragment = "assert-1".into();
    let tx = actor
        .unsigned(Payload::DidDeactivate)
        .sign(&actor.assertion)
        .unwrap();
    assert_rejected(&mut chain, &tx, |r| {
        matches!(r, Rejection::KeyNotAllowed { .. })
    });
    // On a GuoMi chain an Ed25519 control key is not allowed.
    let mut guomi = Chain::new(CryptoProfile::GuoMi);
    let mut ed = Actor::new(CryptoProfile::Standard);
    ed.did = RegistryDid::derive(
        CryptoProfile::GuoMi,
        crosscode_testing::registry::NETWORK,
        &ed.control.public_key(),
    );
    let tx = ed.create();
    assert_rejected(&mut guomi, &tx, |r| {
        matches!(r, Rejection::KeyNotAllowed { .. })
    });
}

#[test]
fn rejects_changes_that_lose_control_or_remove_missing_items() {
    let mut chain = Chain::new(CryptoProfile::Standard);
    let mut actor = Actor::new(CryptoProfile::Standard);
    let create = actor.create();
    chain.ok(&create);
    let tx = actor.tx(Payload::DidUpdate {
        add_methods: vec![],
        remove_methods: vec!["control".into()],
        add_services: vec![],
        remove_services: vec![],
    });
    assert_rejected(&mut chain, &tx, |r| {
        matches!(r, Rejection::WouldLoseControl)
    });
    actor.sequence -= 1;
    let tx = actor.tx(Payload::DidRotateKeys {
        methods: vec![VerificationMethod::new(
            "a",
            actor.assertion.public_key(),
            Relationships::ASSERTION_METHOD,
        )],
    });
    assert_rejected(&mut chain, &tx, |r| {
        matches!(r, Rejection::WouldLoseControl)
    });
    actor.sequence -= 1;
    let tx = actor.tx(Payload::DidUpdate {
        add_methods: vec![],
        remove_methods: vec!["missing".into()],
        add_services: vec![],
        remove_services: vec![],
    });
    assert_rejected(&mut chain, &tx, |r| {
        matches!(
            r,
            Rejection::NotFound {
                what: "verification method",
                ..
            }
        )
    });
    actor.sequence -= 1;
    let tx = actor.tx(Payload::DidUpdate {
        add_methods: vec![],
        remove_methods: vec![],
        add_services: vec![],
        remove_services: vec!["missing".into()],
    });
    assert_rejected(&mut chain, &tx, |r| {
        matches!(
            r,
            Rejection::NotFound {
                what: "service",
                ..
            }
        )
    });
}

#[test]
fn rejects_transactions_from_deactivated_dids() {
    let mut chain = Chain::new(CryptoProfile::Standard);
    let mut actor = Actor::new(CryptoProfile::Standard);
    let create = actor.create();
    chain.ok(&create);
    let deactivate = actor.tx(Payload::DidDeactivate);
    chain.ok(&deactivate);
    let again = actor.tx(Payload::DidDeactivate);
    assert_rejected(&mut chain, &again, |r| {
        matches!(r, Rejection::DidDeactivated)
    });
    // Governance cannot admit a deactivated DID.
    let tx = chain.members[0].tx(Payload::Propose {
        action: GovernanceAction::AdmitIssuer {
            issuer: actor.did.clone(),
            scope: scope(),
        },
        voting_period: 3,
    });
    assert_rejected(&mut chain, &tx, |r| matches!(r, Rejection::DidDeactivated));
}

#[test]
fn rejects_unauthorised_senders() {
    let mut chain = Chain::new(CryptoProfile::Standard);
    let mut outsider = Actor::new(CryptoProfile::Standard);
    let create = outsider.create();
    chain.ok(&create);
    // Not a member: no proposals, no votes.
    let tx = outsider.tx(Payload::Propose {
        action: GovernanceAction::AdmitIssuer {
            issuer: outsider.did.clone(),
            scope: scope(),
        },
        voting_period: 3,
    });
    assert_rejected(&mut chain, &tx, |r| {
        matches!(r, Rejection::NotAuthorised { .. })
    });
    outsider.sequence -= 1;
    let tx = outsider.tx(Payload::Vote {
        proposal: 0,
        approve: true,
    });
    assert_rejected(&mut chain, &tx, |r| {
        matches!(r, Rejection::NotAuthorised { .. })
    });
    // Not an admitted issuer: no anchors, status entries or schemas.
    outsider.sequence -= 1;
    let tx = outsider.anchor([9; 32]);
    assert_rejected(&mut chain, &tx, |r| {
        matches!(r, Rejection::NotAuthorised { .. })
    });
    outsider.sequence -= 1;
    let tx = outsider.tx(Payload::SetStatus {
        key: StatusKey::Index { list: 0, index: 1 },
        change: StatusChange::Revoke,
    });
    assert_rejected(&mut chain, &tx, |r| {
        matches!(r, Rejection::NotAuthorised { .. })
    });
    outsider.sequence -= 1;
    let tx = outsider.tx(Payload::RegisterSchema {
        name: "x".into(),
        version: "1".into(),
        schema_json: "{}".into(),
    });
    assert_rejected(&mut chain, &tx, |r| {
        matches!(r, Rejection::NotAuthorised { .. })
    });
}

#[test]
fn rejects_anchors_outside_the_validity_window() {
    let mut chain = Chain::new(CryptoProfile::Standard);
    let mut issuer = Actor::new(CryptoProfile::Standard);
    let create = issuer.create();
    chain.ok(&create);
    let mut future = scope();
    future.valid_from = GENESIS_TIME + 1_000_000;
    future.valid_until = GENESIS_TIME + 2_000_000;
    chain.govern(GovernanceAction::AdmitIssuer {
        issuer: issuer.did.clone(),
        scope: future,
    });
    let tx = issuer.anchor([3; 32]);
    assert_rejected(&mut chain, &tx, |r| {
        matches!(
            r,
            Rejection::NotAuthorised {
                reason: "outside the issuer's validity window"
            }
        )
    });
}

#[test]
fn rejects_votes_on_closed_unknown_or_already_voted_proposals() {
    let mut chain = Chain::new(CryptoProfile::Standard);
    let mut issuer = Actor::new(CryptoProfile::Standard);
    let create = issuer.create();
    chain.ok(&create);
    chain.govern(GovernanceAction::AdmitIssuer {
        issuer: issuer.did.clone(),
        scope: scope(),
    });
    // Executed: closed.
    let tx = chain.members[2].tx(Payload::Vote {
        proposal: 0,
        approve: true,
    });
    assert_rejected(&mut chain, &tx, |r| {
        matches!(r, Rejection::ProposalClosed { id: 0 })
    });
    chain.members[2].sequence -= 1;
    let tx = chain.members[2].tx(Payload::Vote {
        proposal: 99,
        approve: true,
    });
    assert_rejected(&mut chain, &tx, |r| {
        matches!(r, Rejection::UnknownProposal { id: 99 })
    });
    chain.members[2].sequence -= 1;
    // Voting twice (the proposer's approval counts as its vote).
    let tx = chain.members[0].tx(Payload::Propose {
        action: GovernanceAction::SuspendIssuer {
            issuer: issuer.did.clone(),
        },
        voting_period: 2,
    });
    chain.ok(&tx);
    let tx = chain.members[0].tx(Payload::Vote {
        proposal: 1,
        approve: true,
    });
    assert_rejected(&mut chain, &tx, |r| {
        matches!(r, Rejection::AlreadyVoted { id: 1 })
    });
    chain.members[0].sequence -= 1;
    // Past the voting period: closed.
    chain.next_block();
    chain.next_block();
    let tx = chain.members[1].tx(Payload::Vote {
        proposal: 1,
        approve: true,
    });
    assert_rejected(&mut chain, &tx, |r| {
        matches!(r, Rejection::ProposalClosed { id: 1 })
    });
}

#[test]
fn rejects_governance_actions_that_cannot_apply() {
    let mut chain = Chain::new(CryptoProfile::Standard);
    let mut issuer = chain.admitted_issuer();
    let stranger = Actor::new(CryptoProfile::Standard);
    type Check = fn(&Rejection) -> bool;
    let cases: Vec<(GovernanceAction, Check)> = vec![
        (
            GovernanceAction::AdmitIssuer {
                issuer: issuer.did.clone(),
                scope: scope(),
            },
            |r| matches!(r, Rejection::IssuerAlreadyAdmitted),
        ),
        (
            GovernanceAction::AdmitIssuer {
                issuer: stranger.did.clone(),
                scope: scope(),
            },
            |r| matches!(r, Rejection::UnknownDid),
        ),
        (
            GovernanceAction::SuspendIssuer {
                issuer: stranger.did.clone(),
            },
            |r| matches!(r, Rejection::IssuerNotAdmitted),
        ),
        (
            GovernanceAction::ReinstateIssuer {
                issuer: issuer.did.clone(),
            },
            |r| matches!(r, Rejection::IssuerSuspension),
        ),
        (
            GovernanceAction::SetValidators { validators: vec![] },
            |r| matches!(r, Rejection::InvalidValidatorSet(ValidatorSetError::Empty)),
        ),
        (
            GovernanceAction::SetValidators {
                validators: vec![validator_of(
                    CryptoProfile::GuoMi,
                    &SecretKey::generate(KeyAlgorithm::Sm2),
                )],
            },
            |r| {
                matches!(
                    r,
                    Rejection::InvalidValidatorSet(ValidatorSetError::WrongAlgorithm)
                )
            },
        ),
    ];
    for (action, check) in cases {
        let tx = chain.members[0].tx(Payload::Propose {
            action,
            voting_period: 3,
        });
        assert_rejected(&mut chain, &tx, check);
        chain.members[0].sequence -= 1;
    }
    // Suspending twice.
    chain.govern(GovernanceAction::SuspendIssuer {
        issuer: issuer.did.clone(),
    });
    let tx = chain.members[0].tx(Payload::Propose {
        action: GovernanceAction::SuspendIssuer {
            issuer: issuer.did.clone(),
        },
        voting_period: 3,
    });
    assert_rejected(&mut chain, &tx, |r| {
        matches!(r, Rejection::IssuerSuspension)
    });
    // A suspended issuer may still revoke, but not reinstate.
    let revoke = issuer.tx(Payload::SetStatus {
        key: StatusKey::Index { list: 0, index: 7 },
        change: StatusChange::Suspend,
    });
    chain.ok(&revoke);
    let reinstate = issuer.tx(Payload::SetStatus {
        key: StatusKey::Index { list: 0, index: 7 },
        change: StatusChange::Reinstate,
    });
    assert_rejected(&mut chain, &reinstate, |r| {
        matches!(r, Rejection::NotAuthorised { .. })
    });
}

#[test]
fn rejects_duplicate_schema_and_evidence_and_bad_evidence_signatures() {
    let mut chain = Chain::new(CryptoProfile::Standard);
    let mut issuer = chain.admitted_issuer();
    let schema = |json: &str| Payload::RegisterSchema {
        name: "HealthCode".into(),
        version: "1".into(),
        schema_json: json.into(),
    };
    let tx = issuer.tx(schema(r#"{"type":"object","title":"x"}"#));
    chain.ok(&tx);
    // The same schema with other whitespace and key order has the same content hash.
    let tx = issuer.tx(schema(r#"{ "title": "x", "type": "object" }"#));
    assert_rejected(&mut chain, &tx, |r| matches!(r, Rejection::SchemaExists));
    issuer.sequence -= 1;

    let anchor = issuer.anchor([5; 32]);
    chain.ok(&anchor);
    let again = issuer.anchor([5; 32]);
    assert_rejected(&mut chain, &again, |r| {
        matches!(r, Rejection::EvidenceExists)
    });
    issuer.sequence -= 1;
    let batch = issuer.anchor_batch([6; 32], 10);
    chain.ok(&batch);
    let again = issuer.anchor_batch([6; 32], 10);
    assert_rejected(&mut chain, &again, |r| {
        matches!(r, Rejection::EvidenceExists)
    });
    issuer.sequence -= 1;

    // Signed over another hash.
    let signature = issuer
        .assertion
        .sign(&evidence_message(CHAIN_ID, &[8; 32]))
        .unwrap();
    let tx = issuer.tx(Payload::AnchorEvidence {
        credential_hash: [9; 32],
        method: "assert-1".into(),
        signature,
    });
    assert_rejected(&mut chain, &tx, |r| {
        matches!(r, Rejection::BadEvidenceSignature)
    });
    issuer.sequence -= 1;
    // Signed with the control key, which is not an assertion method.
    let signature = issuer
        .control
        .sign(&evidence_message(CHAIN_ID, &[9; 32]))
        .unwrap();
    let tx = issuer.tx(Payload::AnchorEvidence {
        credential_hash: [9; 32],
        method: "control".into(),
        signature,
    });
    assert_rejected(&mut chain, &tx, |r| {
        matches!(r, Rejection::KeyNotAllowed { .. })
    });
    issuer.sequence -= 1;
    let tx = issuer.tx(Payload::AnchorEvidence {
        credential_hash: [9; 32],
        method: "missing".into(),
        signature: vec![0; 64],
    });
    assert_rejected(&mut chain, &tx, |r| {
        matches!(r, Rejection::UnknownKey { .. })
    });
}

#[test]
fn rejects_status_transitions_after_revocation() {
    let mut chain = Chain::new(CryptoProfile::Standard);
    let mut issuer = chain.admitted_issuer();
    let key = StatusKey::CredentialHash([1; 32]);
    let set = |issuer: &mut Actor, change| {
        issuer.tx(Payload::SetStatus {
            key: key.clone(),
            change,
        })
    };
    let tx = set(&mut issuer, StatusChange::Reinstate);
    assert_rejected(&mut chain, &tx, |r| {
        matches!(
            r,
            Rejection::StatusTransition {
                reason: "not suspended"
            }
        )
    });
    issuer.sequence -= 1;
    let tx = set(&mut issuer, StatusChange::Suspend);
    chain.ok(&tx);
    let tx = set(&mut issuer, StatusChange::Suspend);
    assert_rejected(&mut chain, &tx, |r| {
        matches!(
            r,
            Rejection::StatusTransition {
                reason: "already suspended"
            }
        )
    });
    issuer.sequence -= 1;
    let tx = set(&mut issuer, StatusChange::Revoke);
    chain.ok(&tx);
    for change in [
        StatusChange::Reinstate,
        StatusChange::Suspend,
        StatusChange::Revoke,
    ] {
        let tx = set(&mut issuer, change);
        assert_rejected(&mut chain, &tx, |r| {
            matches!(
                r,
                Rejection::StatusTransition {
                    reason: "revoked is final"
                }
            )
        });
        issuer.sequence -= 1;
    }
}

#[test]
fn genesis_rules() {
    use crosscode_did_registry::genesis::GenesisError;
    use crosscode_did_registry::state::State;
    let chain = Chain::new(CryptoProfile::Standard);
    let mut g = chain.genesis.clone();
    g.governance_threshold = 4;
    assert!(matches!(
        State::genesis(&g),
        Err(GenesisError::InvalidThreshold)
    ));
    let mut g = chain.genesis.clone();
    g.chain_id = "has space".into();
    assert!(matches!(
        State::genesis(&g),
        Err(GenesisError::InvalidChainId)
    ));
    let mut g = chain.genesis.clone();
    g.network = "Upper".into();
    assert!(matches!(
        State::genesis(&g),
        Err(GenesisError::InvalidNetwork)
    ));
    let mut g = chain.genesis.clone();
    g.members.clear();
    assert!(matches!(State::genesis(&g), Err(GenesisError::MemberCount)));
    let mut g = chain.genesis.clone();
    g.members.push(g.members[0].clone());
    assert!(matches!(
        State::genesis(&g),
        Err(GenesisError::DuplicateMember)
    ));
    let mut g = chain.genesis.clone();
    g.validators.clear();
    assert!(matches!(
        State::genesis(&g),
        Err(GenesisError::Validators(ValidatorSetError::Empty))
    ));
    let mut g = chain.genesis.clone();
    g.profile = CryptoProfile::GuoMi;
    assert!(matches!(
        State::genesis(&g),
        Err(GenesisError::Validators(ValidatorSetError::WrongAlgorithm))
    ));
    g.validators = vec![validator_of(
        CryptoProfile::GuoMi,
        &SecretKey::generate(KeyAlgorithm::Sm2),
    )];
    assert!(matches!(
        State::genesis(&g),
        Err(GenesisError::MemberWithoutGovernanceKey { index: 0 })
    ));
    let mut g = chain.genesis.clone();
    g.max_voting_period = 0;
    assert!(matches!(
        State::genesis(&g),
        Err(GenesisError::InvalidVotingPeriod)
    ));
    let mut g = chain.genesis.clone();
    g.members[1].document.services[0].endpoint = "ftp://x".into();
    assert!(matches!(
        State::genesis(&g),
        Err(GenesisError::MemberDocument { index: 1, .. })
    ));
    // Genesis encodes canonically.
    let bytes = chain.genesis.to_bytes();
    assert_eq!(
        crosscode_did_registry::genesis::Genesis::from_bytes(&bytes).unwrap(),
        chain.genesis
    );
}

#[test]
fn every_decodable_mutation_re_encodes_to_the_same_bytes() {
    for profile in CryptoProfile::ALL {
        let mut chain = Chain::new(profile);
        let mut issuer = chain.admitted_issuer();
        let txs = [
            issuer.anchor([3; 32]),
            issuer.tx(Payload::SetStatus {
                key: StatusKey::Index { list: 1, index: 2 },
                change: StatusChange::Suspend,
            }),
            chain.members[0].tx(Payload::Propose {
                action: GovernanceAction::RescopeIssuer {
                    issuer: issuer.did.clone(),
                    scope: scope(),
                },
                voting_period: 4,
            }),
        ];
        for tx in txs {
            let bytes = tx.to_bytes();
            for i in 0..bytes.len() {
                for flip in [0x01u8, 0x80, 0xff] {
                    let mut mutated = bytes.clone();
                    mutated[i] ^= flip;
                    if let Ok(decoded) = SignedTransaction::decode_bytes(&mutated) {
                        assert_eq!(decoded.to_bytes(), mutated, "byte {i}");
                    }
                }
            }
        }
    }
}

#[test]
fn block_changes_leave_out_writes_that_end_where_they_started() {
    let mut chain = Chain::new(CryptoProfile::Standard);
    let mut issuer = chain.admitted_issuer();
    chain.state.take_changes();
    let ctx = chain.next_block();
    let key = StatusKey::Index { list: 9, index: 9 };
    for change in [StatusChange::Suspend, StatusChange::Reinstate] {
        let tx = issuer.tx(Payload::SetStatus {
            key: key.clone(),
            change,
        });
        chain.state.apply(&ctx, &tx).unwrap();
    }
    let changes = chain.state.take_changes();
    // Only the sequence number changed; the suspension came and went within the block.
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].0, StateKey::sequence(&issuer.did).0);
}

#[test]
fn corrupt_stored_records_are_typed_errors_not_panics() {
    use crosscode_did_registry::state::{ResolveError, State};
    let mut chain = Chain::new(CryptoProfile::Standard);
    let member = chain.members[0].did.clone();
    let did_key = StateKey::did(&member).0;
    let entries: Vec<(Vec<u8>, Vec<u8>)> = chain
        .state
        .entries()
        .map(|(k, v)| {
            let v = if k == did_key.as_slice() {
                vec![0xff; 3]
            } else {
                v.to_vec()
            };
            (k.to_vec(), v)
        })
        .collect();
    let mut corrupt = State::from_entries(entries).unwrap();
    let tx = chain.members[0].tx(Payload::DidDeactivate);
    let ctx = chain.next_block();
    assert!(matches!(
        corrupt.apply(&ctx, &tx),
        Err(Rejection::CorruptState)
    ));
    assert!(matches!(
        corrupt.resolve(&member, None),
        Err(ResolveError::CorruptState)
    ));
    // Without a configuration there is no state.
    assert!(State::from_entries(vec![]).is_err());
}
