//! The client's typed failures against servers that answer what a node never answers (bad
//! URLs, silence, malformed or oversized bodies, a transaction that stays pending, a commit
//! without events) and against a closed port.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::Duration;

use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use crosscode_did_registry::governance::GovernanceAction;
use crosscode_registry_client::{ClientError, Committed, RegistryClient};
use crosscode_testing::fixed_answer::{fixed_answer_server, fixed_answer_server_with};

#[tokio::test]
async fn client_failures_are_typed() {
    // Not an http:// URL with a host.
    for url in [
        "not a url",
        "https://registry.example",
        "http://host:1/?q=1",
        "ftp://x",
    ] {
        assert!(
            matches!(
                RegistryClient::new(url),
                Err(ClientError::InvalidUrl { .. })
            ),
            "{url}"
        );
    }
    // No answer within the request timeout.
    let silent = fixed_answer_server(200, "{}".into(), Some(Duration::from_secs(600)));
    let client = RegistryClient::new(&silent)
        .unwrap()
        .with_timeout(Duration::from_millis(200));
    assert!(matches!(
        client.chain_info().await,
        Err(ClientError::Timeout)
    ));
    // A transaction that stays pending past the wait's timeout.
    let pending = fixed_answer_server(200, r#"{"status":"pending"}"#.into(), None);
    let client = RegistryClient::new(&pending).unwrap();
    assert!(matches!(
        client.wait_committed(&[1; 32], Duration::ZERO).await,
        Err(ClientError::Timeout)
    ));
    // An unrepresentable timeout waits (and here gets the answer it polls for).
    let committed = fixed_answer_server(
        200,
        r#"{"status":"committed","height":3,"index":1}"#.into(),
        None,
    );
    assert_eq!(
        RegistryClient::new(&committed)
            .unwrap()
            .wait_committed(&[1; 32], Duration::MAX)
            .await
            .unwrap(),
        Committed {
            hash: [1; 32],
            height: 3,
            index: 1,
            events: vec![]
        }
    );
    // Answers that are not what the API specifies.
    for (status, body) in [
        (200, "not json"),
        (200, r#"{"chainId":"x"}"#),
        (500, "plain text"),
    ] {
        let server = fixed_answer_server(status, body.into(), None);
        let err = RegistryClient::new(&server)
            .unwrap()
            .chain_info()
            .await
            .unwrap_err();
        assert!(
            matches!(err, ClientError::UnexpectedResponse { status: s, .. } if s == status),
            "{body}: {err:?}"
        );
    }
    // A body larger than the client reads (announced: refused before it is read).
    let huge = fixed_answer_server_with(
        200,
        crosscode_registry_client::MAX_RESPONSE_BYTES + 1,
        "{}".into(),
        None,
    );
    assert!(matches!(
        RegistryClient::new(&huge).unwrap().chain_info().await,
        Err(ClientError::TooLarge { what: "answer", .. })
    ));
    // A node that is not there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    assert!(matches!(
        RegistryClient::new(&closed).unwrap().chain_info().await,
        Err(ClientError::Transport(_))
    ));
}

/// A scripted node serving a standard chain on which `key`'s DID (fragment `key-1`) is
/// registered, admitting every submission, and answering `status` for every transaction.
fn scripted_node(key: &SecretKey, status: &str) -> String {
    use crosscode_did_registry::api::{ChainInfo, StateResponse};
    use crosscode_did_registry::document::{DocumentContent, RegistryDid};
    use crosscode_did_registry::profile::CryptoProfile;
    use crosscode_did_registry::records::Namespace;
    use crosscode_did_registry::resolution::resolution_result;
    use crosscode_did_registry::state::ResolvedDid;

    let did = RegistryDid::derive(CryptoProfile::Standard, "dev", &key.public_key());
    let chain = ChainInfo {
        chain_id: "crosscode-dev".into(),
        network: "dev".into(),
        profile: CryptoProfile::Standard,
        height: 1,
        time: 1_700_000_000,
        state_root: [0; 32],
        header_hash: [0; 32],
        pending: 0,
    };
    let resolved = ResolvedDid {
        did: did.clone(),
        document: DocumentContent::single_key("key-1", key.public_key()),
        deactivated: false,
        version: 0,
        version_height: 1,
        version_time: 1_700_000_000,
        created_height: 1,
        created_time: 1_700_000_000,
    };
    let sequence = StateResponse {
        namespace: Namespace::Sequence,
        key: did.as_str().as_bytes().to_vec(),
        height: 1,
        value: None,
        bundle: None,
    };
    crosscode_testing::fixed_answer::routed_server(vec![
        ("GET /v1/chain", 200, serde_json::to_string(&chain).unwrap()),
        (
            "GET /1.0/identifiers/",
            200,
            serde_json::to_string(&resolution_result(&resolved).unwrap()).unwrap(),
        ),
        (
            "GET /v1/state/sequence/",
            200,
            serde_json::to_string(&sequence).unwrap(),
        ),
        (
            "POST /v1/tx ",
            202,
            format!(r#"{{"hash":"{}"}}"#, "ab".repeat(32)),
        ),
        ("GET /v1/tx/", 200, status.to_owned()),
    ])
}

fn admit() -> GovernanceAction {
    GovernanceAction::SuspendIssuer {
        issuer: crosscode_did_registry::document::RegistryDid::parse(
            "did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB",
        )
        .unwrap(),
    }
}

#[tokio::test]
async fn a_write_whose_commit_does_not_come_in_time_is_a_timeout() {
    let key = SecretKey::generate(KeyAlgorithm::Ed25519);
    let node = scripted_node(&key, r#"{"status":"pending"}"#);
    let client = RegistryClient::new(&node)
        .unwrap()
        .with_commit_timeout(Duration::from_millis(50));
    assert_eq!(client.commit_timeout(), Duration::from_millis(50));
    assert!(matches!(
        client.propose(&key, None, admit(), 10).await,
        Err(ClientError::Timeout)
    ));
    assert!(matches!(
        client.anchor_evidence(&key, None, &[5; 32]).await,
        Err(ClientError::Timeout)
    ));
}

#[tokio::test]
async fn a_commit_reported_without_its_events_is_missing_them() {
    let key = SecretKey::generate(KeyAlgorithm::Ed25519);
    let node = scripted_node(&key, r#"{"status":"committed","height":2,"index":0}"#);
    let client = RegistryClient::new(&node).unwrap();
    assert!(matches!(
        client.propose(&key, None, admit(), 10).await,
        Err(ClientError::MissingEvent {
            expected: "proposalOpened"
        })
    ));
    assert!(matches!(
        client
            .register_schema(&key, None, "HealthCode", "1", r#"{"type":"object"}"#)
            .await,
        Err(ClientError::MissingEvent {
            expected: "schemaRegistered"
        })
    ));
    // Writes that report no event of their own still commit.
    let committed = client.anchor_evidence(&key, None, &[5; 32]).await.unwrap();
    assert_eq!(
        committed,
        Committed {
            hash: [0xab; 32],
            height: 2,
            index: 0,
            events: vec![]
        }
    );
}
