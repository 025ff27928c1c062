//! Registry writes as library calls, over loopback against a real in-process node: what an
//! issuer service does (register its DID, get admitted, anchor evidence, set a status, register
//! a schema) and what consortium members do (propose, vote), each a single client call that
//! returns the committed transaction with its events; and every failure a caller can hit, as
//! its typed error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use crosscode_did_registry::api::RejectionCode;
use crosscode_did_registry::dev::DevConsortium;
use crosscode_did_registry::document::{
    DocumentContent, RegistryDid, Relationships, VerificationMethod,
};
use crosscode_did_registry::governance::{GovernanceAction, IssuerScope};
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::records::ProposalStatus;
use crosscode_did_registry::state::Event;
use crosscode_did_registry::transaction::{Payload, StatusChange, StatusKey};
use crosscode_registry_client::{ClientError, RegistryClient};
use crosscode_registry_node::{Node, NodeConfig, RunningNode};
use crosscode_testing::keystore::Keystore;
use crosscode_testing::temp_dir;

/// A dev chain's node in a fresh directory, its client and its consortium.
struct DevNode {
    node: RunningNode,
    client: RegistryClient,
    dev: DevConsortium,
    dir: crosscode_testing::TempDir,
}

impl DevNode {
    async fn start(profile: CryptoProfile) -> DevNode {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let dir = temp_dir("client-writes");
        let dev = DevConsortium::generate_default(profile, now.as_secs() - 60).unwrap();
        let validator =
            SecretKey::from_bytes(dev.validator_key.algorithm(), &dev.validator_key.to_bytes())
                .unwrap();
        let mut config = NodeConfig::new(dir.to_path_buf(), "127.0.0.1:0".parse().unwrap());
        config.heartbeat = Duration::from_millis(500);
        let node = Node::start(&dev.genesis, validator, config).await.unwrap();
        let client = RegistryClient::new(&format!("http://{}", node.local_addr()))
            .unwrap()
            .with_commit_timeout(Duration::from_secs(60));
        DevNode {
            node,
            client,
            dev,
            dir,
        }
    }

    fn member(&self, index: usize) -> &SecretKey {
        &self.dev.members[index].key
    }

    async fn stop(self) {
        self.node.shutdown().await.unwrap();
        std::fs::remove_dir_all(&self.dir).unwrap();
    }
}

fn scope() -> IssuerScope {
    IssuerScope {
        credential_types: vec!["HealthCode".into()],
        jurisdiction: "MO".into(),
        valid_from: 0,
        valid_until: u64::MAX,
    }
}

fn rejection(result: Result<impl std::fmt::Debug, ClientError>) -> RejectionCode {
    match result {
        Err(ClientError::Rejected { code, .. }) => code,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// The whole issuer workflow with library calls alone, on one profile.
async fn issuer_workflow(profile: CryptoProfile) {
    let chain = DevNode::start(profile).await;
    let client = &chain.client;
    // The issuer's key is in its keystore: the client only asks it to sign.
    let issuer = Keystore(SecretKey::generate(profile.key_algorithm()));

    // Register the issuer's DID.
    let (did, committed) = client.register_did(&issuer, "key-1").await.unwrap();
    assert_eq!(
        committed.events,
        vec![Event::DidCreated { did: did.clone() }]
    );
    assert_eq!(
        client.tx_status(&committed.hash).await.unwrap().location(),
        Some((committed.height, committed.index))
    );
    let sender = client.sender(&issuer, None).await.unwrap();
    assert_eq!(sender.did, did);
    assert_eq!(sender.fragment, "key-1");

    // Members admit it: a proposal (its number from the events) and a second vote (2 of 3).
    let action = GovernanceAction::AdmitIssuer {
        issuer: did.clone(),
        scope: scope(),
    };
    let proposed = client
        .propose(chain.member(0), None, action.clone(), 100)
        .await
        .unwrap();
    assert_eq!(proposed.status, ProposalStatus::Open);
    assert!(
        proposed
            .committed
            .events
            .contains(&Event::ProposalOpened { id: proposed.id })
    );
    let record = client
        .proposal(proposed.id, Some(proposed.committed.height))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.action, action);
    assert_eq!(record.closes_height, proposed.committed.height + 100);
    assert_eq!(client.proposal(proposed.id + 1, None).await.unwrap(), None);
    let voted = client
        .vote(chain.member(1), None, proposed.id, true)
        .await
        .unwrap();
    assert_eq!(voted.status, ProposalStatus::Executed);
    assert_eq!(
        voted.committed.events,
        vec![
            Event::Voted {
                id: proposed.id,
                approve: true
            },
            Event::ProposalExecuted { id: proposed.id }
        ]
    );

    // Anchor evidence, a batch, set a status, register a schema.
    let hash = [0x5a; 32];
    let anchored = client.anchor_evidence(&issuer, None, &hash).await.unwrap();
    assert_eq!(anchored.events, vec![Event::EvidenceAnchored { hash }]);
    let batch = client
        .anchor_batch(&issuer, Some(&did), &[0x5b; 32], 1000)
        .await
        .unwrap();
    assert_eq!(
        batch.events,
        vec![Event::BatchAnchored {
            root: [0x5b; 32],
            count: 1000
        }]
    );
    let suspended = client
        .set_status(
            &issuer,
            None,
            StatusKey::CredentialHash(hash),
            StatusChange::Suspend,
        )
        .await
        .unwrap();
    assert_eq!(
        suspended.events,
        vec![Event::StatusChanged {
            change: StatusChange::Suspend
        }]
    );
    let (schema_hash, schema) = client
        .register_schema(&issuer, None, "HealthCode", "1.0", r#"{"type": "object"}"#)
        .await
        .unwrap();
    assert_eq!(
        schema.events,
        vec![Event::SchemaRegistered { hash: schema_hash }]
    );

    // The chain's refusals, typed.
    assert_eq!(
        rejection(client.register_did(&issuer, "key-1").await),
        RejectionCode::DidExists
    );
    assert_eq!(
        rejection(client.anchor_evidence(&issuer, None, &hash).await),
        RejectionCode::EvidenceExists
    );
    assert_eq!(
        rejection(client.vote(chain.member(2), None, proposed.id, true).await),
        RejectionCode::ProposalClosed
    );
    assert_eq!(
        rejection(client.vote(chain.member(2), None, 99, true).await),
        RejectionCode::UnknownProposal
    );
    assert_eq!(
        rejection(client.propose(&issuer, None, action, 100).await),
        RejectionCode::NotAuthorised
    );
    chain.stop().await;
}

#[tokio::test]
async fn an_issuer_registers_is_admitted_anchors_sets_a_status_and_members_vote_with_library_calls()
{
    issuer_workflow(CryptoProfile::Standard).await;
}

#[tokio::test]
async fn the_issuer_workflow_runs_on_a_guomi_chain_too() {
    issuer_workflow(CryptoProfile::GuoMi).await;
}

#[tokio::test]
async fn writes_refuse_senders_they_cannot_sign_for() {
    let chain = DevNode::start(CryptoProfile::Standard).await;
    let client = &chain.client;

    // A key of another algorithm than the chain's.
    let sm2 = SecretKey::generate(KeyAlgorithm::Sm2);
    for result in [
        client.register_did(&sm2, "key-1").await.map(|_| ()),
        client.sender(&sm2, None).await.map(|_| ()),
    ] {
        assert!(matches!(
            result,
            Err(ClientError::WrongKeyAlgorithm {
                found: KeyAlgorithm::Sm2,
                expected: KeyAlgorithm::Ed25519
            })
        ));
    }

    // A key whose DID is not registered.
    let stranger = SecretKey::generate(KeyAlgorithm::Ed25519);
    let stranger_did = RegistryDid::derive(CryptoProfile::Standard, "dev", &stranger.public_key());
    match client.anchor_evidence(&stranger, None, &[1; 32]).await {
        Err(ClientError::NotRegistered { did }) => assert_eq!(did, stranger_did),
        other => panic!("{other:?}"),
    }

    // A key that is only an authentication key of the DID it names.
    let control = SecretKey::generate(KeyAlgorithm::Ed25519);
    let login = SecretKey::generate(KeyAlgorithm::Ed25519);
    let document = DocumentContent {
        verification_methods: vec![
            VerificationMethod::new(
                "key-1",
                control.public_key(),
                Relationships::CAPABILITY_INVOCATION,
            ),
            VerificationMethod::new("login", login.public_key(), Relationships::AUTHENTICATION),
        ],
        services: vec![],
    };
    let (did, _) = client
        .register_document(&control, "key-1", document)
        .await
        .unwrap();
    match client
        .send(&login, Some(&did), Payload::DidDeactivate)
        .await
    {
        Err(ClientError::KeyNotAuthorised {
            did: named,
            relationship: "capabilityInvocation",
        }) => assert_eq!(named, did),
        other => panic!("{other:?}"),
    }
    // The control key is no assertion method: it cannot sign evidence.
    match client.anchor_evidence(&control, None, &[2; 32]).await {
        Err(ClientError::KeyNotAuthorised {
            relationship: "assertionMethod",
            ..
        }) => {}
        other => panic!("{other:?}"),
    }

    // A deactivated DID sends nothing more.
    let deactivated = client
        .send(&control, None, Payload::DidDeactivate)
        .await
        .unwrap();
    assert_eq!(
        deactivated.events,
        vec![Event::DidDeactivated { did: did.clone() }]
    );
    match client.sender(&control, None).await {
        Err(ClientError::DidDeactivated { did: named }) => assert_eq!(named, did),
        other => panic!("{other:?}"),
    }
    chain.stop().await;
}

/// Members carry out `action` (a proposal and a second vote, 2 of 3).
async fn admit_by_vote(chain: &DevNode, action: GovernanceAction) {
    let proposed = chain
        .client
        .propose(chain.member(0), None, action, 100)
        .await
        .unwrap();
    let voted = chain
        .client
        .vote(chain.member(1), None, proposed.id, true)
        .await
        .unwrap();
    assert_eq!(voted.status, ProposalStatus::Executed);
}

#[tokio::test]
async fn the_admitted_issuers_trust_cache_holds_their_keys_and_leaves_suspended_ones_out() {
    let chain = DevNode::start(CryptoProfile::Standard).await;
    let client = &chain.client;
    let key = SecretKey::generate(CryptoProfile::Standard.key_algorithm());
    let public = key.public_key();
    let issuer = Keystore(key);
    let (did, _) = client.register_did(&issuer, "key-1").await.unwrap();
    let method = crosscode_core::did::DidUrl::parse(&format!("{}#key-1", did.as_str())).unwrap();

    // Registered but not admitted: not trusted.
    let trust = client.trust_cache_of_admitted_issuers().await.unwrap();
    assert_eq!(trust.get(&method), None);

    // Admitted: its key, as an assertion method.
    admit_by_vote(
        &chain,
        GovernanceAction::AdmitIssuer {
            issuer: did.clone(),
            scope: scope(),
        },
    )
    .await;
    let trust = client.trust_cache_of_admitted_issuers().await.unwrap();
    assert_eq!(trust.get(&method), Some(&public));
    assert!(
        trust.entries(&method)[0]
            .relationships
            .contains(&crosscode_core::did::VerificationRelationship::AssertionMethod)
    );

    // Suspended: left out again.
    admit_by_vote(&chain, GovernanceAction::SuspendIssuer { issuer: did }).await;
    let trust = client.trust_cache_of_admitted_issuers().await.unwrap();
    assert_eq!(trust.get(&method), None);
    chain.stop().await;
}
