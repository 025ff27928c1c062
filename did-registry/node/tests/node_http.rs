//! The registry node over HTTP: a node started in-process on 127.0.0.1:0 over a temporary
//! RocksDB directory, driven with the typed client (and raw requests for malformed input).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::Path;
use std::pin::pin;
use std::time::Duration;

use crosscode_core::keys::SecretKey;
use crosscode_did_registry::api::{
    ApiError, ApiErrorCode, BlockTransactionsError, ProofsResponse, RejectionCode,
    ResolutionErrorCode, SubmitRequest, TxStatus, base64url,
};
use crosscode_did_registry::block::verify_certificate;
use crosscode_did_registry::codec::Encode;
use crosscode_did_registry::genesis::Genesis;
use crosscode_did_registry::governance::{GovernanceAction, IssuerScope};
use crosscode_did_registry::json::proof_bundle_from_json;
use crosscode_did_registry::ordering::CoreSignatureVerifier;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::proof::{
    BundleError, MAX_BUNDLE_ENTRIES, MAX_STATE_KEY_LEN, ProofBundle, TrustedChain,
    verify_bundle_bytes_for_keys, verify_bundle_for_keys,
};
use crosscode_did_registry::records::{Namespace, StateKey};
use crosscode_did_registry::state::Event;
use crosscode_did_registry::transaction::{Payload, SignedTransaction, StatusKey, Transaction};
use crosscode_registry_client::{BundleMismatch, ClientError, RegistryClient};
use crosscode_registry_node::{Node, NodeConfig, OPENAPI_JSON, ROUTES, RunningNode};
use crosscode_testing::fixed_answer::{fixed_answer_server, routed_server};
use crosscode_testing::registry::{Actor, CHAIN_ID, Chain, GENESIS_TIME, key_algorithm};
use crosscode_testing::temp_dir;
use futures_util::StreamExt as _;
use serde_json::Value;

/// Generous bound on waiting for a commit (a deadline, not a timing assertion).
const COMMIT_DEADLINE: Duration = Duration::from_secs(60);

fn copy_key(key: &SecretKey) -> SecretKey {
    SecretKey::from_bytes(key.algorithm(), &key.to_bytes()).unwrap()
}

fn config(dir: &Path) -> NodeConfig {
    let mut config = NodeConfig::new(dir.to_path_buf(), "127.0.0.1:0".parse().unwrap());
    config.heartbeat = Duration::from_millis(500);
    config
}

async fn start_with(
    genesis: &Genesis,
    key: &SecretKey,
    config: NodeConfig,
) -> (RunningNode, RegistryClient) {
    let node = Node::start(genesis, copy_key(key), config).await.unwrap();
    let client = RegistryClient::new(&format!("http://{}", node.local_addr())).unwrap();
    (node, client)
}

async fn start(chain: &Chain, dir: &Path) -> (RunningNode, RegistryClient) {
    start_with(&chain.genesis, &chain.validator, config(dir)).await
}

/// Submits and waits for the commit.
async fn commit(client: &RegistryClient, tx: &SignedTransaction) -> (u64, u32) {
    let hash = client.submit(tx).await.unwrap();
    let committed = client.wait_committed(&hash, COMMIT_DEADLINE).await.unwrap();
    (committed.height, committed.index)
}

/// A scope valid now (the node stamps blocks with the wall clock).
fn scope_now() -> IssuerScope {
    IssuerScope {
        credential_types: vec!["HealthCode".into()],
        jurisdiction: "CN-GD".into(),
        valid_from: GENESIS_TIME,
        valid_until: 4_000_000_000,
    }
}

async fn next_proposal(client: &RegistryClient) -> u64 {
    let answer = client
        .state(Namespace::Meta, b"next-proposal", false, None)
        .await
        .unwrap();
    answer
        .value
        .map(|bytes| u64::from_be_bytes(bytes.try_into().unwrap()))
        .unwrap_or(0)
}

/// A new DID created over HTTP and admitted as an issuer by two members.
async fn admitted_issuer(client: &RegistryClient, chain: &mut Chain) -> Actor {
    let mut issuer = Actor::new(chain.profile);
    commit(client, &issuer.create()).await;
    let id = next_proposal(client).await;
    let propose = chain.members[0].tx(Payload::Propose {
        action: GovernanceAction::AdmitIssuer {
            issuer: issuer.did.clone(),
            scope: scope_now(),
        },
        voting_period: 100,
    });
    commit(client, &propose).await;
    let vote = chain.members[1].tx(Payload::Vote {
        proposal: id,
        approve: true,
    });
    commit(client, &vote).await;
    issuer
}

fn api_code(err: ClientError) -> (u16, ApiErrorCode) {
    match err {
        ClientError::Api { status, code, .. } => (status, code),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn every_route_answers_its_happy_path() {
    let dir = temp_dir("node-http-routes");
    let mut chain = Chain::new(CryptoProfile::Standard);
    let (node, client) = start(&chain, &dir).await;

    let info = client.chain_info().await.unwrap();
    assert_eq!(info.chain_id, CHAIN_ID);
    assert_eq!(info.network, "test");
    assert_eq!(info.profile, CryptoProfile::Standard);

    // POST /v1/tx, GET /v1/tx/{hash}
    let mut issuer = Actor::new(CryptoProfile::Standard);
    let create = issuer.create();
    let hash = client.submit(&create).await.unwrap();
    assert_eq!(hash, create.hash(CryptoProfile::Standard));
    // A resubmission of a pending or committed transaction is not an error.
    assert_eq!(client.submit(&create).await.unwrap(), hash);
    let committed = client.wait_committed(&hash, COMMIT_DEADLINE).await.unwrap();
    let (height, index) = (committed.height, committed.index);
    assert_eq!(
        client.tx_status(&hash).await.unwrap(),
        TxStatus::Committed {
            height,
            index,
            events: vec![Event::DidCreated {
                did: issuer.did.clone()
            }]
        }
    );

    // GET /v1/blocks/{height}: the block holds the transaction, its certificate verifies.
    let trusted = client.validators().await.unwrap();
    let block = client.block(height).await.unwrap();
    assert_eq!(block.header.height, height);
    assert_eq!(block.transactions[index as usize], hash);
    verify_certificate(
        trusted.profile,
        CHAIN_ID,
        &block.header,
        block.certificate.as_ref().unwrap(),
        &trusted.validators,
        &CoreSignatureVerifier,
    )
    .unwrap();
    // GET /v1/blocks/{height}/transactions: exactly the transactions the verified header
    // commits to; a node that alters, drops or reorders one is caught by the root.
    let answered = client.block_transactions(height).await.unwrap();
    let transactions = answered
        .verify_against(&block.header, trusted.profile)
        .unwrap();
    assert_eq!(transactions[index as usize].hash(trusted.profile), hash);
    let mut dropped = answered.clone();
    dropped.transactions.remove(index as usize);
    assert_eq!(
        dropped.verify_against(&block.header, trusted.profile),
        Err(BlockTransactionsError::RootMismatch)
    );
    let mut altered = answered.clone();
    let text = &mut altered.transactions[index as usize];
    let middle = text.len() / 2;
    let flipped = if &text[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    text.replace_range(middle..=middle, flipped);
    assert!(matches!(
        altered.verify_against(&block.header, trusted.profile),
        Err(BlockTransactionsError::Undecodable { .. } | BlockTransactionsError::RootMismatch)
    ));
    assert_eq!(
        client
            .block_transactions(height - 1)
            .await
            .unwrap()
            .verify_against(&block.header, trusted.profile),
        Err(BlockTransactionsError::WrongHeight {
            header: height,
            answered: height - 1
        })
    );
    let genesis_block = client.block(0).await.unwrap();
    assert!(genesis_block.certificate.is_none());
    assert_eq!(genesis_block.header.time, GENESIS_TIME);

    // GET /v1/validators: the genesis validator set.
    let expected = chain.genesis.trusted_chain().unwrap();
    assert_eq!(trusted.chain_id, expected.chain_id);
    assert_eq!(trusted.validators, expected.validators);

    // GET /1.0/identifiers/{did}: the W3C resolution result, and the typed document.
    let result = client.resolve(issuer.did.as_str(), None).await.unwrap();
    assert_eq!(result.did_document.id.as_str(), issuer.did.as_str());
    assert_eq!(result.did_document_metadata.deactivated, Some(false));
    let resolved = client
        .resolve_document(issuer.did.as_str(), Some(height))
        .await
        .unwrap();
    assert_eq!(resolved.did, issuer.did);
    assert_eq!(resolved.document, issuer.document());
    assert_eq!(resolved.created_height, height);
    let before = client
        .resolve(issuer.did.as_str(), Some(height - 1))
        .await
        .unwrap_err();
    assert!(matches!(
        before,
        ClientError::Resolution {
            status: 404,
            error: ResolutionErrorCode::NotFound,
            ..
        }
    ));
    let by_time = client
        .resolve_at_time(issuer.did.as_str(), "2999-01-01T00:00:00Z")
        .await
        .unwrap();
    assert_eq!(by_time.did_document.id.as_str(), issuer.did.as_str());

    // GET /v1/state/{namespace}/{key}: the sequence, by DID or by hex key.
    assert_eq!(client.next_sequence(&issuer.did).await.unwrap(), 1);
    let raw: Value = reqwest::get(format!(
        "http://{}/v1/state/did/{}",
        node.local_addr(),
        issuer.did
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(raw["key"], hex::encode(issuer.did.as_str()));
    assert!(raw["value"].is_string());
    assert!(raw.get("proof").is_none());

    // GET /v1/issuers: empty, then the admitted issuer with its scope.
    assert!(client.issuers().await.unwrap().is_empty());
    let issuer = admitted_issuer(&client, &mut chain).await;
    let issuers = client.issuers().await.unwrap();
    assert_eq!(issuers.len(), 1);
    assert_eq!(issuers[0].did, issuer.did);
    assert_eq!(issuers[0].record.scope, scope_now());
    assert!(!issuers[0].record.suspended);

    // POST /v1/txs: a batch of anchors, all committed.
    let mut issuer = issuer;
    let batch: Vec<SignedTransaction> = (0..5u8).map(|i| issuer.anchor([i; 32])).collect();
    let hashes = client.submit_batch(&batch).await.unwrap();
    assert_eq!(hashes.len(), 5);
    for (tx, hash) in batch.iter().zip(&hashes) {
        assert_eq!(*hash, tx.hash(CryptoProfile::Standard));
        client.wait_committed(hash, COMMIT_DEADLINE).await.unwrap();
    }
    let anchored = client
        .state(Namespace::Evidence, &[3; 32], true, None)
        .await
        .unwrap();
    assert!(anchored.value.is_some());

    // GET /openapi.json
    let openapi: Value = reqwest::get(format!("http://{}/openapi.json", node.local_addr()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(openapi["openapi"], "3.1.0");

    node.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Sends a raw request and returns the status and the typed error body (checking it is JSON).
async fn raw_error(request: reqwest::RequestBuilder) -> (u16, ApiErrorCode) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let media_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(media_type.starts_with("application/json"), "{media_type}");
    let body: ApiError = response.json().await.unwrap();
    assert!(!body.message.is_empty());
    assert_eq!(body.error.status(), status);
    (status, body.error)
}

#[tokio::test]
async fn malformed_requests_get_typed_json_errors() {
    let dir = temp_dir("node-http-malformed");
    let chain = Chain::new(CryptoProfile::Standard);
    let mut config = config(&dir);
    config.max_body_bytes = 64 * 1024;
    let (node, client) = start_with(&chain.genesis, &chain.validator, config).await;
    let base = format!("http://{}", node.local_addr());
    let http = reqwest::Client::new();
    let post = |path: &str, body: &str| {
        http.post(format!("{base}{path}"))
            .header("content-type", "application/json")
            .body(body.to_owned())
    };

    // POST /v1/tx
    for (body, code) in [
        ("not json", ApiErrorCode::InvalidJson),
        ("{}", ApiErrorCode::InvalidJson),
        (
            r#"{"transaction":"AAAA","extra":1}"#,
            ApiErrorCode::InvalidJson,
        ),
        (r#"{"transaction":42}"#, ApiErrorCode::InvalidJson),
        (
            r#"{"transaction":"not base64!"}"#,
            ApiErrorCode::InvalidBase64,
        ),
        (r#"{"transaction":"AAE="}"#, ApiErrorCode::InvalidBase64),
    ] {
        assert_eq!(raw_error(post("/v1/tx", body)).await, (400, code), "{body}");
    }
    // Well-formed base64url (as openapi.json describes it), but no transaction: 422.
    assert_eq!(
        raw_error(post("/v1/tx", r#"{"transaction":"AQID"}"#)).await,
        (422, ApiErrorCode::InvalidTransaction)
    );
    assert_eq!(
        raw_error(
            http.post(format!("{base}/v1/tx"))
                .header("content-type", "text/plain")
                .body("{}")
        )
        .await,
        (415, ApiErrorCode::UnsupportedMediaType)
    );
    let huge = format!(r#"{{"transaction":"{}"}}"#, "A".repeat(100 * 1024));
    assert_eq!(
        raw_error(post("/v1/tx", &huge)).await,
        (413, ApiErrorCode::BodyTooLarge)
    );
    // A transaction of another chain.
    let mut stranger = Actor::new(CryptoProfile::Standard);
    let foreign = Transaction {
        chain_id: "another-chain".into(),
        ..stranger.unsigned(Payload::DidCreate {
            document: stranger.document(),
        })
    }
    .sign(&stranger.control)
    .unwrap();
    assert_eq!(
        api_code(client.submit(&foreign).await.unwrap_err()),
        (422, ApiErrorCode::WrongChainId)
    );

    // POST /v1/txs: all or nothing.
    assert_eq!(
        raw_error(post("/v1/txs", "[]")).await,
        (400, ApiErrorCode::InvalidBatch)
    );
    assert_eq!(
        raw_error(post("/v1/txs", r#"{"a":1}"#)).await,
        (400, ApiErrorCode::InvalidJson)
    );
    let good = stranger.create();
    let mixed = serde_json::to_string(&[base64url(&good.to_bytes()), "%%%".to_owned()]).unwrap();
    assert_eq!(
        raw_error(post("/v1/txs", &mixed)).await,
        (400, ApiErrorCode::InvalidBase64)
    );
    assert_eq!(
        api_code(
            client
                .tx_status(&good.hash(CryptoProfile::Standard))
                .await
                .unwrap_err()
        ),
        (404, ApiErrorCode::NotFound)
    );

    // GET /v1/tx/{hash}: 64 lowercase hex digits.
    for hash in ["xyz".to_owned(), "AB".repeat(32), "ab".repeat(31)] {
        assert_eq!(
            raw_error(http.get(format!("{base}/v1/tx/{hash}"))).await,
            (400, ApiErrorCode::InvalidHex),
            "{hash}"
        );
    }
    assert_eq!(
        api_code(client.tx_status(&[7; 32]).await.unwrap_err()),
        (404, ApiErrorCode::NotFound)
    );

    // GET /v1/state/{namespace}/{key}
    let head = client.chain_info().await.unwrap().height;
    for (path, expected) in [
        ("/v1/state/nope/00", (400, ApiErrorCode::UnknownNamespace)),
        ("/v1/state/did/xyz", (400, ApiErrorCode::InvalidHex)),
        ("/v1/state/did/ABCD", (400, ApiErrorCode::InvalidHex)),
        ("/v1/state/did/abc", (400, ApiErrorCode::InvalidHex)),
        (
            "/v1/state/did/did:crosscode:test:0",
            (400, ApiErrorCode::InvalidDid),
        ),
        (
            "/v1/state/evidence/00?proof=maybe",
            (400, ApiErrorCode::InvalidQuery),
        ),
        (
            "/v1/state/evidence/00?height=abc",
            (400, ApiErrorCode::InvalidQuery),
        ),
        (
            "/v1/state/evidence/00?bogus=1",
            (400, ApiErrorCode::InvalidQuery),
        ),
        (
            // The genesis header has no certificate: no proof at height 0.
            "/v1/state/evidence/00?proof=true&height=0",
            (404, ApiErrorCode::UnknownHeight),
        ),
        (
            "/v1/state/evidence/00?height=999999999",
            (404, ApiErrorCode::UnknownHeight),
        ),
        (
            // A key as long as the longest state key, without its namespace byte: too long.
            &*format!("/v1/state/evidence/{}", "00".repeat(MAX_STATE_KEY_LEN)),
            (400, ApiErrorCode::InvalidPath),
        ),
    ] {
        assert_eq!(
            raw_error(http.get(format!("{base}{path}"))).await,
            expected,
            "{path} (head {head})"
        );
    }

    // A query error names no parameter of the request (fixed messages).
    let body: ApiError = http
        .get(format!("{base}/v1/state/evidence/00?private-name=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body.error, ApiErrorCode::InvalidQuery);
    assert!(!body.message.contains("private-name"), "{}", body.message);

    // GET /v1/blocks/{height}, /v1/blocks/stream
    assert_eq!(
        raw_error(http.get(format!("{base}/v1/blocks/abc"))).await,
        (400, ApiErrorCode::InvalidPath)
    );
    assert_eq!(
        api_code(client.block(999_999_999).await.unwrap_err()),
        (404, ApiErrorCode::UnknownHeight)
    );
    assert_eq!(
        api_code(client.block_transactions(999_999_999).await.unwrap_err()),
        (404, ApiErrorCode::UnknownHeight)
    );
    assert_eq!(
        raw_error(http.get(format!("{base}/v1/blocks/abc/transactions"))).await,
        (400, ApiErrorCode::InvalidPath)
    );
    assert_eq!(
        raw_error(http.get(format!("{base}/v1/blocks/stream?from=x"))).await,
        (400, ApiErrorCode::InvalidQuery)
    );
    assert!(matches!(client.blocks_stream(0).await.map(|_| ()), Ok(())));

    // GET /1.0/identifiers/{did}: W3C resolution errors with the API code.
    let unknown = Actor::new(CryptoProfile::Standard);
    for (did, query, status, error) in [
        ("not-a-did", "", 400, ResolutionErrorCode::InvalidDid),
        (
            "did:crosscode:test:0OIl",
            "",
            400,
            ResolutionErrorCode::InvalidDid,
        ),
        (
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "",
            501,
            ResolutionErrorCode::MethodNotSupported,
        ),
        (unknown.did.as_str(), "", 404, ResolutionErrorCode::NotFound),
        // The documented DID syntax, but an id of 17 bytes: no DID the registry can hold.
        (
            &*format!("did:crosscode:test:{}", "z".repeat(22)),
            "",
            404,
            ResolutionErrorCode::NotFound,
        ),
        // Before 1970, before any block: no DID yet.
        (
            chain.members[0].did.as_str(),
            "?versionTime=1969-12-31T23:59:59Z",
            404,
            ResolutionErrorCode::NotFound,
        ),
        (
            unknown.did.as_str(),
            "?height=x",
            400,
            ResolutionErrorCode::InvalidOptions,
        ),
        (
            unknown.did.as_str(),
            "?versionTime=yesterday",
            400,
            ResolutionErrorCode::InvalidOptions,
        ),
        (
            unknown.did.as_str(),
            "?height=1&versionTime=2026-01-01T00:00:00Z",
            400,
            ResolutionErrorCode::InvalidOptions,
        ),
        (
            unknown.did.as_str(),
            "?color=red",
            400,
            ResolutionErrorCode::InvalidOptions,
        ),
    ] {
        let response = http
            .get(format!("{base}/1.0/identifiers/{did}{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{did}{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            serde_json::from_value::<ResolutionErrorCode>(
                body["didResolutionMetadata"]["error"].clone()
            )
            .unwrap(),
            error,
            "{did}{query}"
        );
        assert!(body["didDocument"].is_null());
        let api: ApiError = serde_json::from_value(body).unwrap();
        assert_eq!(api.error.status(), status, "{did}{query}");
        // Fixed messages: nothing of the request is echoed.
        assert!(!api.message.contains("color"), "{}", api.message);
    }
    // A height not committed yet: notFound (404), with the API code unknown-height.
    let head = client.chain_info().await.unwrap().height;
    let err = client
        .resolve(chain.members[0].did.as_str(), Some(head + 1_000_000))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Resolution {
                status: 404,
                error: ResolutionErrorCode::NotFound,
                ..
            }
        ),
        "{err:?}"
    );
    let raw: ApiError = http
        .get(format!(
            "{base}/1.0/identifiers/{}?height={}",
            chain.members[0].did,
            head + 1_000_000
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(raw.error, ApiErrorCode::UnknownHeight);
    let err = client
        .resolve(unknown.did.as_str(), None)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        ClientError::Resolution {
            status: 404,
            error: ResolutionErrorCode::NotFound,
            ..
        }
    ));

    // Unknown routes and methods.
    assert_eq!(
        raw_error(http.get(format!("{base}/v2/nothing"))).await,
        (404, ApiErrorCode::UnknownRoute)
    );
    assert_eq!(
        raw_error(http.delete(format!("{base}/v1/chain"))).await,
        (405, ApiErrorCode::MethodNotAllowed)
    );
    assert_eq!(
        raw_error(http.get(format!("{base}/v1/tx"))).await,
        (405, ApiErrorCode::MethodNotAllowed)
    );

    node.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_full_mempool_refuses_with_503() {
    let dir = temp_dir("node-http-mempool");
    let chain = Chain::new(CryptoProfile::Standard);
    let mut config = config(&dir);
    config.mempool_capacity = 2;
    let (node, client) = start_with(&chain.genesis, &chain.validator, config).await;
    let txs: Vec<SignedTransaction> = (0..3)
        .map(|_| Actor::new(CryptoProfile::Standard).create())
        .collect();
    assert_eq!(
        api_code(client.submit_batch(&txs).await.unwrap_err()),
        (503, ApiErrorCode::MempoolFull)
    );
    // Nothing of the refused batch was admitted; a batch that fits is.
    for tx in &txs {
        assert!(
            client
                .tx_status(&tx.hash(CryptoProfile::Standard))
                .await
                .is_err()
        );
    }
    let hashes = client.submit_batch(&txs[..2]).await.unwrap();
    for hash in &hashes {
        client.wait_committed(hash, COMMIT_DEADLINE).await.unwrap();
    }
    node.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn rejected_transactions_carry_their_rejection_code() {
    let dir = temp_dir("node-http-rejected");
    let chain = Chain::new(CryptoProfile::Standard);
    let (node, client) = start(&chain, &dir).await;
    let mut actor = Actor::new(CryptoProfile::Standard);
    commit(&client, &actor.create()).await;

    // Sequence 0 again, with another payload (another hash): a replay.
    actor.sequence = 0;
    let replay = actor.tx(Payload::DidDeactivate);
    let hash = client.submit(&replay).await.unwrap();
    let err = client
        .wait_committed(&hash, COMMIT_DEADLINE)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Rejected {
                code: RejectionCode::ReplayedSequence,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(matches!(
        client.tx_status(&hash).await.unwrap(),
        TxStatus::Rejected {
            code: RejectionCode::ReplayedSequence,
            ..
        }
    ));

    // A sequence from the future, and a transaction from an unknown sender.
    actor.sequence = 5;
    let skipped = actor.tx(Payload::DidDeactivate);
    let mut nobody = Actor::new(CryptoProfile::Standard);
    nobody.sequence = 1;
    let unknown = nobody.tx(Payload::DidDeactivate);
    let mut forged = Actor::new(CryptoProfile::Standard).create();
    forged.signature[0] ^= 1;
    for (tx, expected) in [
        (&skipped, RejectionCode::SkippedSequence),
        (&unknown, RejectionCode::UnknownSender),
        (&forged, RejectionCode::BadSignature),
    ] {
        let hash = client.submit(tx).await.unwrap();
        match client.wait_committed(&hash, COMMIT_DEADLINE).await {
            Err(ClientError::Rejected { code, .. }) => assert_eq!(code, expected),
            other => panic!("expected {expected:?}, got {other:?}"),
        }
    }
    node.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Checks a bundle as a checkpoint would, and that changing any byte of it breaks it.
fn check_bundle_offline(bundle: &ProofBundle, trusted: &TrustedChain, key: &[u8]) {
    verify_bundle_for_keys(bundle, trusted, &CoreSignatureVerifier, &[key]).unwrap();
    let bytes = bundle.to_bytes();
    verify_bundle_bytes_for_keys(&bytes, trusted, &CoreSignatureVerifier, &[key]).unwrap();
    for position in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut changed = bytes.clone();
            changed[position] ^= flip;
            assert!(
                verify_bundle_bytes_for_keys(&changed, trusted, &CoreSignatureVerifier, &[key])
                    .is_err(),
                "byte {position} ^ {flip:#x} still verifies"
            );
        }
    }
    // One byte more or less.
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        verify_bundle_bytes_for_keys(&longer, trusted, &CoreSignatureVerifier, &[key]),
        Err(BundleError::Decode(_))
    ));
    assert!(
        verify_bundle_bytes_for_keys(
            &bytes[..bytes.len() - 1],
            trusted,
            &CoreSignatureVerifier,
            &[key]
        )
        .is_err()
    );
}

async fn proofs_over_http_verify_offline(profile: CryptoProfile) {
    let dir = temp_dir(&format!("node-http-proof-{}", profile.as_str()));
    let mut chain = Chain::new(profile);
    let (node, client) = start(&chain, &dir).await;
    let trusted = client.validators().await.unwrap();
    let mut issuer = admitted_issuer(&client, &mut chain).await;
    let credential = [0x5a; 32];
    let anchor = issuer.anchor(credential);
    let (height, _) = commit(&client, &anchor).await;

    // Inclusion: the evidence anchor.
    let included = client
        .state(Namespace::Evidence, &credential, true, Some(height))
        .await
        .unwrap();
    assert_eq!(included.height, height);
    let bundle = included.bundle.clone().unwrap();
    let key = StateKey::evidence(&credential);
    assert_eq!(included.state_key(), key.as_bytes());
    let verified =
        verify_bundle_for_keys(&bundle, &trusted, &CoreSignatureVerifier, &[key.as_bytes()])
            .unwrap();
    assert_eq!(verified.height, height);
    assert_eq!(verified.entries[0].1, included.value);
    assert!(included.value.is_some());
    check_bundle_offline(&bundle, &trusted, key.as_bytes());

    // Exclusion: "not revoked" — no status entry for the credential.
    let status_key = StateKey::status(&issuer.did, &StatusKey::CredentialHash(credential));
    let not_revoked = client
        .state(Namespace::Status, &status_key.as_bytes()[1..], true, None)
        .await
        .unwrap();
    assert_eq!(not_revoked.value, None);
    let bundle = not_revoked.bundle.clone().unwrap();
    let verified = verify_bundle_for_keys(
        &bundle,
        &trusted,
        &CoreSignatureVerifier,
        &[status_key.as_bytes()],
    )
    .unwrap();
    assert_eq!(verified.entries[0].1, None);
    check_bundle_offline(&bundle, &trusted, status_key.as_bytes());
    // The same bundle does not answer for another key.
    let other = StateKey::evidence(&[0x5b; 32]);
    assert!(matches!(
        verify_bundle_for_keys(
            &bundle,
            &trusted,
            &CoreSignatureVerifier,
            &[other.as_bytes()]
        ),
        Err(BundleError::KeysMismatch)
    ));

    // bundle.json as served: any change to a readable member is refused.
    let raw: Value = reqwest::get(format!(
        "http://{}/v1/state/evidence/{}?proof=true&height={height}",
        node.local_addr(),
        hex::encode(credential)
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let proof_json = raw["proof"].to_string();
    assert_eq!(
        proof_bundle_from_json(&proof_json).unwrap(),
        included.bundle.unwrap()
    );
    let mut tampered = raw["proof"].clone();
    tampered["height"] = Value::from(height + 1);
    assert!(proof_bundle_from_json(&tampered.to_string()).is_err());

    // A node answering one entry with the (valid) bundle of another, or with a value its
    // bundle does not prove: the client refuses the answer.
    let absent_key = [0x5b; 32];
    let absent: Value = reqwest::get(format!(
        "http://{}/v1/state/evidence/{}?proof=true&height={height}",
        node.local_addr(),
        hex::encode(absent_key)
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let mut other_bundle = absent.clone();
    other_bundle["proof"] = raw["proof"].clone();
    let mut other_value = raw.clone();
    other_value["value"] = Value::Null;
    for (answer, key, expected) in [
        (other_bundle, absent_key, BundleMismatch::Key),
        (other_value, credential, BundleMismatch::Value),
    ] {
        let server = fixed_answer_server(200, answer.to_string(), None);
        let err = RegistryClient::new(&server)
            .unwrap()
            .state(Namespace::Evidence, &key, true, Some(height))
            .await
            .unwrap_err();
        assert!(
            matches!(err, ClientError::ProofMismatch(mismatch) if mismatch == expected),
            "{err:?}"
        );
    }

    node.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn proof_bundles_over_http_verify_offline_and_break_on_any_change() {
    proofs_over_http_verify_offline(CryptoProfile::Standard).await;
}

#[tokio::test]
async fn guomi_proof_bundles_over_http_verify_offline() {
    proofs_over_http_verify_offline(CryptoProfile::GuoMi).await;
}

#[tokio::test]
async fn the_block_stream_delivers_certified_headers() {
    let dir = temp_dir("node-http-stream");
    let chain = Chain::new(CryptoProfile::Standard);
    let (node, client) = start(&chain, &dir).await;
    let trusted = client.validators().await.unwrap();
    let mut actor = Actor::new(CryptoProfile::Standard);
    let (committed_height, _) = commit(&client, &actor.create()).await;

    // Replay from height 1, then follow: consecutive heights, every certificate verifies,
    // through the block of the transaction and two more.
    let mut stream = pin!(client.blocks_stream(1).await.unwrap());
    let mut expected = 1;
    while expected <= committed_height + 2 {
        let (header, certificate) = tokio::time::timeout(COMMIT_DEADLINE, stream.next())
            .await
            .expect("a block within the deadline")
            .expect("the stream goes on")
            .unwrap();
        assert_eq!(header.height, expected);
        verify_certificate(
            trusted.profile,
            CHAIN_ID,
            &header,
            &certificate,
            &trusted.validators,
            &CoreSignatureVerifier,
        )
        .unwrap();
        if header.height == committed_height {
            let block = client.block(committed_height).await.unwrap();
            assert_eq!(block.header, header);
            assert_eq!(block.certificate, Some(certificate));
        }
        expected += 1;
    }

    // A live subscriber sees the block of a new transaction.
    let head = client.chain_info().await.unwrap().height;
    let mut live = pin!(client.blocks_stream(head + 1).await.unwrap());
    let (height, _) = commit(&client, &Actor::new(CryptoProfile::Standard).create()).await;
    loop {
        let (header, _) = tokio::time::timeout(COMMIT_DEADLINE, live.next())
            .await
            .expect("a block within the deadline")
            .expect("the stream goes on")
            .unwrap();
        assert!(header.height > head);
        if header.height == height {
            break;
        }
    }
    node.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn heartbeat_blocks_appear_without_transactions() {
    let dir = temp_dir("node-http-heartbeat");
    let chain = Chain::new(CryptoProfile::Standard);
    let mut config = config(&dir);
    config.heartbeat = Duration::from_millis(50);
    let (node, client) = start_with(&chain.genesis, &chain.validator, config).await;
    let deadline = tokio::time::Instant::now() + COMMIT_DEADLINE;
    let mut height = 0;
    while height < 4 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no heartbeat blocks"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        height = client.chain_info().await.unwrap().height;
    }
    for h in 1..=height {
        let block = client.block(h).await.unwrap();
        assert!(block.transactions.is_empty());
        assert!(block.certificate.is_some());
        assert!(block.header.time >= GENESIS_TIME);
    }
    node.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_restarted_node_keeps_state_roots_statuses_and_proofs() {
    let dir = temp_dir("node-http-restart");
    let chain = Chain::new(CryptoProfile::Standard);
    let (node, client) = start(&chain, &dir).await;
    let mut actors: Vec<Actor> = (0..4)
        .map(|_| Actor::new(CryptoProfile::Standard))
        .collect();
    let creates: Vec<SignedTransaction> = actors.iter_mut().map(Actor::create).collect();
    let hashes = client.submit_batch(&creates).await.unwrap();
    let mut statuses = Vec::new();
    for hash in &hashes {
        let committed = client.wait_committed(hash, COMMIT_DEADLINE).await.unwrap();
        statuses.push((*hash, (committed.height, committed.index)));
    }
    let mut replay = Actor::new(CryptoProfile::Standard);
    replay.did = actors[0].did.clone();
    replay.control = copy_key(&actors[0].control);
    replay.sequence = 0;
    let rejected = replay.tx(Payload::DidDeactivate);
    let rejected_hash = client.submit(&rejected).await.unwrap();
    assert!(
        client
            .wait_committed(&rejected_hash, COMMIT_DEADLINE)
            .await
            .is_err()
    );
    let height = statuses.iter().map(|(_, (h, _))| *h).max().unwrap();
    let block = client.block(height).await.unwrap();
    let did_key = actors[0].did.as_str().as_bytes().to_vec();
    let proof = client
        .state(Namespace::Did, &did_key, true, Some(height))
        .await
        .unwrap();
    let head_before = client.chain_info().await.unwrap();
    node.shutdown().await.unwrap();

    let (node, client) = start(&chain, &dir).await;
    let head_after = client.chain_info().await.unwrap();
    assert!(head_after.height >= head_before.height);
    let same_head = client.block(head_before.height).await.unwrap();
    assert_eq!(same_head.header.state_root, head_before.state_root);
    for (hash, (h, index)) in &statuses {
        assert_eq!(
            client.tx_status(hash).await.unwrap().location(),
            Some((*h, *index))
        );
    }
    assert_eq!(client.block(height).await.unwrap(), block);
    let again = client
        .state(Namespace::Did, &did_key, true, Some(height))
        .await
        .unwrap();
    assert_eq!(
        again.bundle.as_ref().unwrap().to_bytes(),
        proof.bundle.as_ref().unwrap().to_bytes()
    );
    let trusted = client.validators().await.unwrap();
    let state_key = StateKey::did(&actors[0].did);
    verify_bundle_for_keys(
        again.bundle.as_ref().unwrap(),
        &trusted,
        &CoreSignatureVerifier,
        &[state_key.as_bytes()],
    )
    .unwrap();
    // New transactions still go through after the restart.
    commit(&client, &Actor::new(CryptoProfile::Standard).create()).await;
    node.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn openapi_describes_exactly_the_routes_served() {
    let doc: Value = serde_json::from_str(OPENAPI_JSON).unwrap();
    let mut described: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            described.push((method.to_uppercase(), path.clone()));
        }
    }
    let mut routes: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    described.sort();
    routes.sort();
    assert_eq!(described, routes);
    // The error codes it lists are the API's, and every operation but the document itself
    // declares the 500 answer.
    let codes: Vec<&str> = ApiErrorCode::ALL.iter().map(|code| code.as_str()).collect();
    assert_eq!(
        doc["components"]["schemas"]["ApiError"]["properties"]["error"]["enum"],
        serde_json::json!(codes)
    );
    for (method, path) in ROUTES {
        let responses = &doc["paths"][path][method.to_lowercase()]["responses"];
        assert_eq!(
            responses.get("500").is_some(),
            path != "/openapi.json",
            "{method} {path}"
        );
    }
    assert!(doc["paths"]["/1.0/identifiers/{did}"]["get"]["responses"]["501"].is_object());

    // Every route is served: no request to it falls through to the unknown-route fallback or
    // gets 405.
    let dir = temp_dir("node-http-openapi");
    let chain = Chain::new(CryptoProfile::Standard);
    let (node, _client) = start(&chain, &dir).await;
    let base = format!("http://{}", node.local_addr());
    let member = chain.members[0].did.as_str().to_owned();
    let http = reqwest::Client::new();
    for (method, path) in ROUTES {
        let concrete = path
            .replace("{hash}", &"00".repeat(32))
            .replace("{did}", &member)
            .replace("{namespace}", "did")
            .replace("{key}", &member)
            .replace("{height}", "0");
        let request = match method {
            "GET" => http.get(format!("{base}{concrete}")),
            "POST" => http
                .post(format!("{base}{concrete}"))
                .header("content-type", "application/json")
                .body("{}"),
            other => panic!("unexpected method {other}"),
        };
        let response = if concrete == "/v1/blocks/stream" {
            // An endless stream: its status and media type are enough.
            let response = request.send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200);
            assert!(
                response.headers()[reqwest::header::CONTENT_TYPE]
                    .to_str()
                    .unwrap()
                    .starts_with("text/event-stream")
            );
            continue;
        } else {
            request.send().await.unwrap()
        };
        let status = response.status().as_u16();
        assert_ne!(status, 405, "{method} {path}");
        if status == 404 {
            let body: ApiError = response.json().await.unwrap();
            assert_ne!(body.error, ApiErrorCode::UnknownRoute, "{method} {path}");
        }
    }
    node.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_node_refuses_a_key_that_is_not_a_validator_and_a_store_of_another_chain() {
    let dir = temp_dir("node-http-refuse");
    let chain = Chain::new(CryptoProfile::Standard);
    let stranger = SecretKey::generate(key_algorithm(CryptoProfile::Standard));
    let err = Node::start(&chain.genesis, stranger, config(&dir))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        crosscode_registry_node::NodeError::Validator(
            crosscode_did_registry::ordering::OrderingError::NotAValidator
        )
    ));
    let (node, _client) = start(&chain, &dir).await;
    node.shutdown().await.unwrap();
    let other = Chain::new(CryptoProfile::Standard);
    let err = Node::start(&other.genesis, copy_key(&other.validator), config(&dir))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        crosscode_registry_node::NodeError::Ledger(
            crosscode_did_registry::ledger::LedgerError::GenesisMismatch
        )
    ));
    let mut bad = config(&dir);
    bad.max_block_transactions = 0;
    assert!(matches!(
        Node::start(&chain.genesis, copy_key(&chain.validator), bad).await,
        Err(crosscode_registry_node::NodeError::Config(_))
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn codes_travel_by_their_wire_names() {
    for code in ApiErrorCode::ALL {
        let text = serde_json::to_string(code).unwrap();
        assert_eq!(text, format!("\"{}\"", code.as_str()));
        assert_eq!(serde_json::from_str::<ApiErrorCode>(&text).unwrap(), *code);
    }
    for code in RejectionCode::ALL {
        let text = serde_json::to_string(code).unwrap();
        assert_eq!(serde_json::from_str::<RejectionCode>(&text).unwrap(), *code);
    }
    for code in ResolutionErrorCode::ALL {
        let text = serde_json::to_string(code).unwrap();
        assert_eq!(
            serde_json::from_str::<ResolutionErrorCode>(&text).unwrap(),
            *code
        );
    }
    assert_eq!(ApiErrorCode::MethodNotSupported.status(), 501);
    assert_eq!(RejectionCode::AlreadyVoted.as_str(), "already-voted");
    assert_eq!(ResolutionErrorCode::NotFound.as_str(), "notFound");
    // A newer node's code is Unknown, not an error.
    assert_eq!(
        serde_json::from_str::<ApiErrorCode>("\"from-the-future\"").unwrap(),
        ApiErrorCode::Unknown
    );
    assert_eq!(
        serde_json::from_str::<RejectionCode>("\"from-the-future\"").unwrap(),
        RejectionCode::Unknown
    );
}

#[test]
fn submit_request_is_base64url_of_the_canonical_transaction() {
    let mut actor = Actor::new(CryptoProfile::Standard);
    let tx = actor.create();
    let request = SubmitRequest::new(&tx);
    assert_eq!(
        crosscode_did_registry::api::from_base64url(&request.transaction).unwrap(),
        tx.to_bytes()
    );
}

#[tokio::test]
async fn transactions_admitted_before_a_shutdown_are_committed() {
    let dir = temp_dir("node-http-drain");
    let chain = Chain::new(CryptoProfile::Standard);
    let mut config = config(&dir);
    // Small blocks: the admitted transactions need many blocks, most produced while stopping.
    config.max_block_transactions = 10;
    let (node, client) = start_with(&chain.genesis, &chain.validator, config.clone()).await;
    let txs: Vec<SignedTransaction> = (0..300)
        .map(|_| Actor::new(CryptoProfile::Standard).create())
        .collect();
    // Acknowledged (202) ...
    let hashes = client.submit_batch(&txs).await.unwrap();
    // ... then stopped at once.
    node.shutdown().await.unwrap();

    let (node, client) = start_with(&chain.genesis, &chain.validator, config).await;
    for hash in &hashes {
        assert!(
            matches!(
                client.tx_status(hash).await.unwrap(),
                TxStatus::Committed { .. }
            ),
            "{}",
            hex::encode(hash)
        );
    }
    node.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn block_streams_and_the_mempool_are_bounded() {
    let dir = temp_dir("node-http-bounds");
    let chain = Chain::new(CryptoProfile::Standard);
    let mut config = config(&dir);
    config.max_block_streams = 1;
    config.max_concurrent_submissions = 1;
    let one_tx = Actor::new(CryptoProfile::Standard)
        .create()
        .to_bytes()
        .len();
    config.mempool_bytes = one_tx * 2 + one_tx / 2;
    config.heartbeat = Duration::from_secs(600);
    let (node, client) = start_with(&chain.genesis, &chain.validator, config).await;
    // Past block 1 (made at once on a new chain), the producer only wakes for transactions.
    let mut stream = client.blocks_stream(1).await.unwrap();
    stream.next().await.unwrap().unwrap();

    // One stream at a time: a second one is refused until the first is dropped.
    assert_eq!(
        api_code(client.blocks_stream(1).await.map(|_| ()).unwrap_err()),
        (503, ApiErrorCode::Unavailable)
    );
    drop(stream);
    let deadline = tokio::time::Instant::now() + COMMIT_DEADLINE;
    let mut again = loop {
        match client.blocks_stream(1).await {
            Ok(stream) => break stream,
            Err(err) => {
                assert_eq!(api_code(err), (503, ApiErrorCode::Unavailable));
                assert!(tokio::time::Instant::now() < deadline);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    again.next().await.unwrap().unwrap();

    // Three transactions' worth of bytes do not fit; two do. Submissions go one at a time
    // (max_concurrent_submissions = 1) and all get their answer.
    let txs: Vec<SignedTransaction> = (0..3)
        .map(|_| Actor::new(CryptoProfile::Standard).create())
        .collect();
    assert_eq!(
        api_code(client.submit_batch(&txs).await.unwrap_err()),
        (503, ApiErrorCode::MempoolFull)
    );
    let submitted =
        futures_util::future::join_all(txs[..2].iter().map(|tx| client.submit(tx))).await;
    for (hash, tx) in submitted.into_iter().zip(&txs) {
        let hash = hash.unwrap();
        assert_eq!(hash, tx.hash(CryptoProfile::Standard));
        client.wait_committed(&hash, COMMIT_DEADLINE).await.unwrap();
    }
    node.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn issuers_follow_governance_and_survive_a_restart() {
    let dir = temp_dir("node-http-issuers");
    let mut chain = Chain::new(CryptoProfile::Standard);
    let (node, client) = start(&chain, &dir).await;
    let first = admitted_issuer(&client, &mut chain).await;
    let second = admitted_issuer(&client, &mut chain).await;
    // Suspend the first: members 0 proposes, 1 approves.
    let id = next_proposal(&client).await;
    let propose = chain.members[0].tx(Payload::Propose {
        action: GovernanceAction::SuspendIssuer {
            issuer: first.did.clone(),
        },
        voting_period: 100,
    });
    commit(&client, &propose).await;
    // Proposed, not executed yet: unchanged.
    assert!(
        client
            .issuers()
            .await
            .unwrap()
            .iter()
            .all(|e| !e.record.suspended)
    );
    let vote = chain.members[1].tx(Payload::Vote {
        proposal: id,
        approve: true,
    });
    let (suspended_at, _) = commit(&client, &vote).await;
    let issuers = client.issuers().await.unwrap();
    let mut expected: Vec<(String, bool)> = vec![
        (first.did.as_str().to_owned(), true),
        (second.did.as_str().to_owned(), false),
    ];
    expected.sort();
    let listed: Vec<(String, bool)> = issuers
        .iter()
        .map(|e| (e.did.as_str().to_owned(), e.record.suspended))
        .collect();
    assert_eq!(listed, expected);
    let suspended = issuers.iter().find(|e| e.did == first.did).unwrap();
    assert_eq!(suspended.record.updated_height, suspended_at);
    node.shutdown().await.unwrap();

    // After a restart the list is read from the state: the same.
    let (node, client) = start(&chain, &dir).await;
    assert_eq!(client.issuers().await.unwrap(), issuers);
    node.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Each key's value at `height` as the single-key state route reads it (`key` is a full state
/// key).
async fn values_by_state_route(
    client: &RegistryClient,
    keys: &[Vec<u8>],
    height: u64,
) -> Vec<Option<Vec<u8>>> {
    let mut values = Vec::new();
    for key in keys {
        let namespace = Namespace::of_key(key).unwrap();
        let answer = client
            .state(namespace, &key[1..], false, Some(height))
            .await
            .unwrap();
        values.push(answer.value);
    }
    values
}

fn key_refs(keys: &[Vec<u8>]) -> Vec<&[u8]> {
    keys.iter().map(Vec::as_slice).collect()
}

#[tokio::test]
async fn a_multi_key_proof_answers_present_and_absent_keys_at_any_height_and_verifies_offline() {
    let dir = temp_dir("node-http-proofs");
    let mut chain = Chain::new(CryptoProfile::Standard);
    let (node, client) = start(&chain, &dir).await;
    let trusted = client.validators().await.unwrap();
    let mut issuer = admitted_issuer(&client, &mut chain).await;
    let credential = [0x5a; 32];
    let (height, _) = commit(&client, &issuer.anchor(credential)).await;
    let before = height - 1;
    // What a checkpoint syncing its trust cache asks for: the anchor (absent before `height`),
    // the credential's status entry ("not revoked": absent), the issuer's admission, a
    // member, and an anchor never made.
    let keys: Vec<Vec<u8>> = [
        StateKey::evidence(&credential),
        StateKey::status(&issuer.did, &StatusKey::CredentialHash(credential)),
        StateKey::issuer(&issuer.did),
        StateKey::member(&chain.members[0].did),
        StateKey::evidence(&[0x5b; 32]),
    ]
    .iter()
    .map(|key| key.as_bytes().to_vec())
    .collect();

    let mut bundles = Vec::new();
    for at in [height, before] {
        let bundle = client.prove(&keys, at).await.unwrap();
        let verified =
            verify_bundle_for_keys(&bundle, &trusted, &CoreSignatureVerifier, &key_refs(&keys))
                .unwrap();
        assert_eq!(verified.height, at);
        let proven: Vec<Option<Vec<u8>>> = verified
            .entries
            .into_iter()
            .map(|(_, value)| value)
            .collect();
        assert_eq!(
            proven,
            values_by_state_route(&client, &keys, at).await,
            "height {at}"
        );
        bundles.push(bundle);
    }
    // The older height proves the older values: the anchor is there now, not before.
    let [now, then] = [&bundles[0], &bundles[1]];
    assert!(now.entries[0].value.is_some());
    assert_eq!(then.entries[0].value, None);
    for bundle in [now, then] {
        assert!(bundle.entries[2].value.is_some() && bundle.entries[3].value.is_some());
        assert_eq!(bundle.entries[1].value, None);
        assert_eq!(bundle.entries[4].value, None);
    }

    // On the wire: the header's height and the base64url of the bundle's canonical bytes. The
    // height may be written as any JSON number without a fraction (JSON Schema's integer).
    let hex_keys =
        serde_json::to_string(&keys.iter().map(hex::encode).collect::<Vec<_>>()).unwrap();
    for written in [height.to_string(), format!("{height}.0")] {
        let raw: Value = reqwest::Client::new()
            .post(format!("http://{}/v1/proofs", node.local_addr()))
            .header("content-type", "application/json")
            .body(format!(r#"{{"height":{written},"keys":{hex_keys}}}"#))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            raw,
            serde_json::json!({"height": height, "bundle": base64url(&now.to_bytes())}),
            "{written}"
        );
    }

    // One key: the same bundle as the state route's.
    let single = client
        .state(Namespace::Evidence, &credential, true, Some(height))
        .await
        .unwrap();
    assert_eq!(
        client.prove(&keys[..1], height).await.unwrap(),
        single.bundle.unwrap()
    );

    // As many keys as a bundle holds (here: anchors, one of them made).
    let most: Vec<Vec<u8>> = (0..MAX_BUNDLE_ENTRIES)
        .map(|i| {
            StateKey::evidence(&[u8::try_from(i).unwrap(); 32])
                .as_bytes()
                .to_vec()
        })
        .collect();
    let bundle = client.prove(&most, height).await.unwrap();
    let verified =
        verify_bundle_for_keys(&bundle, &trusted, &CoreSignatureVerifier, &key_refs(&most))
            .unwrap();
    let present: Vec<&Vec<u8>> = verified
        .entries
        .iter()
        .filter(|(_, value)| value.is_some())
        .map(|(key, _)| key)
        .collect();
    assert_eq!(present, vec![&keys[0]]);

    node.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn proof_requests_of_no_or_too_many_keys_bad_hex_or_an_uncertified_height_get_typed_codes() {
    let dir = temp_dir("node-http-proofs-refused");
    let chain = Chain::new(CryptoProfile::Standard);
    let (node, client) = start(&chain, &dir).await;
    let base = format!("http://{}", node.local_addr());
    let http = reqwest::Client::new();
    let head = client.chain_info().await.unwrap().height;
    let body = |height: u64, keys: &[&str]| {
        serde_json::json!({"height": height, "keys": keys}).to_string()
    };
    let too_many = vec!["00"; MAX_BUNDLE_ENTRIES + 1];
    let too_long = "00".repeat(MAX_STATE_KEY_LEN + 1);
    for (body, expected) in [
        (body(1, &[]), (400, ApiErrorCode::InvalidBatch)),
        (body(1, &too_many), (400, ApiErrorCode::InvalidBatch)),
        (body(1, &["00", "ABCD"]), (400, ApiErrorCode::InvalidHex)),
        (body(1, &["abc"]), (400, ApiErrorCode::InvalidHex)),
        (body(1, &["xyz0"]), (400, ApiErrorCode::InvalidHex)),
        (body(1, &[""]), (400, ApiErrorCode::InvalidHex)),
        (body(1, &[&too_long]), (400, ApiErrorCode::InvalidHex)),
        // The genesis header has no certificate; above the head nothing is certified yet.
        (body(0, &["00"]), (404, ApiErrorCode::UnknownHeight)),
        (
            body(head + 1_000_000, &["00"]),
            (404, ApiErrorCode::UnknownHeight),
        ),
        (body(u64::MAX, &["00"]), (404, ApiErrorCode::UnknownHeight)),
        ("not json".to_owned(), (400, ApiErrorCode::InvalidJson)),
        (
            r#"{"keys":["00"]}"#.to_owned(),
            (400, ApiErrorCode::InvalidJson),
        ),
        (
            r#"{"height":-1,"keys":["00"]}"#.to_owned(),
            (400, ApiErrorCode::InvalidJson),
        ),
        (
            r#"{"height":1.5,"keys":["00"]}"#.to_owned(),
            (400, ApiErrorCode::InvalidJson),
        ),
        (
            r#"{"height":1,"keys":"00"}"#.to_owned(),
            (400, ApiErrorCode::InvalidJson),
        ),
    ] {
        let request = http
            .post(format!("{base}/v1/proofs"))
            .header("content-type", "application/json")
            .body(body.clone());
        assert_eq!(raw_error(request).await, expected, "{body:.80}");
    }
    assert_eq!(
        raw_error(
            http.post(format!("{base}/v1/proofs"))
                .header("content-type", "text/plain")
                .body(body(1, &["00"]))
        )
        .await,
        (415, ApiErrorCode::UnsupportedMediaType)
    );
    // An unknown member is refused without being named.
    let refused: ApiError = http
        .post(format!("{base}/v1/proofs"))
        .header("content-type", "application/json")
        .body(r#"{"height":1,"keys":["00"],"private-name":1}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(refused.error, ApiErrorCode::InvalidJson);
    assert!(
        !refused.message.contains("private-name"),
        "{}",
        refused.message
    );

    // The typed client gets the same codes.
    let key = StateKey::member(&chain.members[0].did).as_bytes().to_vec();
    assert_eq!(
        api_code(client.prove(&[], 1).await.unwrap_err()),
        (400, ApiErrorCode::InvalidBatch)
    );
    assert_eq!(
        api_code(
            client
                .prove(std::slice::from_ref(&key), 0)
                .await
                .unwrap_err()
        ),
        (404, ApiErrorCode::UnknownHeight)
    );
    assert_eq!(
        api_code(client.prove(&[key], head + 1_000_000).await.unwrap_err()),
        (404, ApiErrorCode::UnknownHeight)
    );
    node.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn the_client_refuses_a_proof_bundle_of_other_keys_or_of_another_height() {
    let dir = temp_dir("node-http-proofs-client");
    let chain = Chain::new(CryptoProfile::Standard);
    let (node, client) = start(&chain, &dir).await;
    let (height, _) = commit(&client, &Actor::new(CryptoProfile::Standard).create()).await;
    let keys: Vec<Vec<u8>> = [
        StateKey::member(&chain.members[0].did),
        StateKey::evidence(&[1; 32]),
    ]
    .iter()
    .map(|key| key.as_bytes().to_vec())
    .collect();
    let bundle = client.prove(&keys, height).await.unwrap();
    node.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    // A scripted node answering every proof request with that bundle: right only for the keys
    // and the height it was made for.
    let answer = serde_json::to_value(ProofsResponse {
        bundle: bundle.clone(),
    })
    .unwrap();
    let scripted = RegistryClient::new(&routed_server(vec![(
        "POST /v1/proofs",
        200,
        answer.to_string(),
    )]))
    .unwrap();
    assert_eq!(scripted.prove(&keys, height).await.unwrap(), bundle);
    let reversed: Vec<Vec<u8>> = keys.iter().rev().cloned().collect();
    let more: Vec<Vec<u8>> = keys.iter().chain(&keys[..1]).cloned().collect();
    for (asked, at) in [
        (reversed, height),
        (keys[..1].to_vec(), height),
        (more, height),
        (keys.clone(), height + 1),
    ] {
        let err = scripted.prove(&asked, at).await.unwrap_err();
        assert!(
            matches!(err, ClientError::UnexpectedResponse { status: 200, .. }),
            "{err:?}"
        );
    }
    // An answer whose height is not its bundle's.
    let mut lying = answer;
    lying["height"] = Value::from(height + 1);
    let scripted = RegistryClient::new(&routed_server(vec![(
        "POST /v1/proofs",
        200,
        lying.to_string(),
    )]))
    .unwrap();
    let err = scripted.prove(&keys, height + 1).await.unwrap_err();
    assert!(
        matches!(err, ClientError::UnexpectedResponse { status: 200, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_proof_request_is_answered_while_submissions_wait_for_their_slot() {
    use std::io::Write as _;
    let dir = temp_dir("node-http-proofs-unlimited");
    let chain = Chain::new(CryptoProfile::Standard);
    let mut config = config(&dir);
    config.max_concurrent_submissions = 1;
    let (node, client) = start_with(&chain.genesis, &chain.validator, config).await;
    let (height, _) = commit(&client, &Actor::new(CryptoProfile::Standard).create()).await;
    let addr = node.local_addr();

    // A submission whose body never ends holds the only submission slot...
    let mut stalled = std::net::TcpStream::connect(addr).unwrap();
    stalled
        .write_all(
            format!(
                "POST /v1/tx HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
                 content-length: 100\r\n\r\n{{\"transaction\":"
            )
            .as_bytes(),
        )
        .unwrap();
    // ...so other submissions wait (here: until they time out) once it has it.
    let http = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + COMMIT_DEADLINE;
    loop {
        let attempt = http
            .post(format!("http://{addr}/v1/tx"))
            .header("content-type", "application/json")
            .body("{}")
            .timeout(Duration::from_millis(300))
            .send()
            .await;
        match attempt {
            Err(err) if err.is_timeout() => break,
            // Answered: the stalled request did not hold the slot yet.
            Ok(response) => assert_eq!(response.status().as_u16(), 400),
            Err(err) => panic!("{err}"),
        }
        assert!(tokio::time::Instant::now() < deadline);
    }

    // A proof request is a read: answered meanwhile.
    let keys = vec![StateKey::member(&chain.members[0].did).as_bytes().to_vec()];
    let bundle = client
        .clone()
        .with_timeout(Duration::from_secs(10))
        .prove(&keys, height)
        .await
        .unwrap();
    assert_eq!(bundle.header.height, height);

    // The slot comes back when the stalled submission goes away.
    drop(stalled);
    let tx = Actor::new(CryptoProfile::Standard).create();
    assert_eq!(
        client.submit(&tx).await.unwrap(),
        tx.hash(CryptoProfile::Standard)
    );
    node.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
