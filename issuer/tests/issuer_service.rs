//! The issuer service end to end over loopback: a dev chain node in process, the dev authority
//! of MO admitted by the dev consortium, the service on an embedded store behind its HTTP API.
//! Every route's happy path and typed failures; credentials verified by core's verifier with
//! the issuer bound at issuance; inclusion paths checked against proof bundles from the node;
//! status flips in the next list version and on chain; OpenID4VCI; restarts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use crosscode_core::data_integrity::verify_document;
use crosscode_core::did::DidKey;
use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use crosscode_core::status_list::Bitstring;
use crosscode_did_registry::dev::{DevAuthority, DevConsortium};
use crosscode_did_registry::evidence::{credential_hash, verify_receipt};
use crosscode_did_registry::governance::{GovernanceAction, IssuerScope};
use crosscode_did_registry::ordering::CoreSignatureVerifier;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::proof::verify_bundle_for_keys;
use crosscode_did_registry::records::{Namespace, StateKey};
use crosscode_did_registry::transaction::StatusKey;
use crosscode_issuer::anchoring::AnchorReceipt;
use crosscode_issuer::authority::StartupError;
use crosscode_issuer::http::AppState;
use crosscode_issuer::sealing::open_or_create_record_key;
use crosscode_issuer::server::RunningIssuer;
use crosscode_issuer::service::{IssuerService, ServiceConfig, ServiceError};
use crosscode_issuer::store::embedded::EmbeddedStore;
use crosscode_issuer::store::{IssuerStore, Table};
use crosscode_issuer::token::BackOfficeToken;
use crosscode_registry_client::RegistryClient;
use crosscode_registry_node::{Node, NodeConfig, RunningNode};
use crosscode_testing::temp_dir;
use serde_json::{Value, json};
use time::OffsetDateTime;

/// A dev chain with its authorities admitted, and an issuer for MO over HTTP.
struct Fixture {
    node: RunningNode,
    client: RegistryClient,
    dev: DevConsortium,
    issuer: Option<RunningIssuer>,
    service: Option<Arc<IssuerService>>,
    token: String,
    url: String,
    dir: crosscode_testing::TempDir,
    http: reqwest::Client,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn authority_keys(profile: CryptoProfile, jurisdiction: &str) -> Vec<SecretKey> {
    let authority = DevAuthority::derive(profile, jurisdiction);
    vec![
        authority.chain_key,
        authority.ed25519,
        authority.sm2,
        authority.bbs,
    ]
}

async fn start_service(
    client: &RegistryClient,
    dir: &std::path::Path,
    keys: Vec<SecretKey>,
    types: &[&str],
    base_url: &str,
) -> Result<IssuerService, ServiceError> {
    let store: Arc<dyn IssuerStore> = Arc::new(EmbeddedStore::open(&dir.join("db")).unwrap());
    let record_key = open_or_create_record_key(dir, b"issuer test passphrase").unwrap();
    let mut config = ServiceConfig::new(base_url);
    config.credential_types = types.iter().map(|t| (*t).to_owned()).collect();
    IssuerService::start(config, client.clone(), keys, store, Arc::new(record_key)).await
}

impl Fixture {
    async fn start() -> Fixture {
        let dir = temp_dir("issuer-service");
        let dev =
            DevConsortium::generate_default(CryptoProfile::Standard, now_secs() - 60).unwrap();
        let validator =
            SecretKey::from_bytes(dev.validator_key.algorithm(), &dev.validator_key.to_bytes())
                .unwrap();
        let mut config = NodeConfig::new(dir.join("chain"), "127.0.0.1:0".parse().unwrap());
        config.heartbeat = Duration::from_millis(300);
        let node = Node::start(&dev.genesis, validator, config).await.unwrap();
        let client = RegistryClient::new(&format!("http://{}", node.local_addr()))
            .unwrap()
            .with_commit_timeout(Duration::from_secs(60));
        client
            .admit_dev_authorities(&dev.members, dev.genesis.genesis_time)
            .await
            .unwrap();
        let mut fixture = Fixture {
            node,
            client,
            dev,
            issuer: None,
            service: None,
            token: String::new(),
            url: String::new(),
            dir,
            http: reqwest::Client::new(),
        };
        fixture.listen().await;
        fixture
    }

    /// Starts (or restarts) the issuer on its data directory.
    async fn listen(&mut self) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let issuer_dir = self.dir.join("issuer");
        std::fs::create_dir_all(&issuer_dir).unwrap();
        let service = Arc::new(
            start_service(
                &self.client,
                &issuer_dir,
                authority_keys(CryptoProfile::Standard, "MO"),
                &["HealthCode"],
                &url,
            )
            .await
            .unwrap(),
        );
        let token = BackOfficeToken::load_or_create(&issuer_dir).unwrap();
        self.token = token.as_str().to_owned();
        let state = Arc::new(AppState {
            service: service.clone(),
            token,
            conversion: None,
        });
        self.issuer = Some(RunningIssuer::serve(listener, state).unwrap());
        self.service = Some(service);
        self.url = url;
    }

    async fn restart(&mut self) {
        if let Some(issuer) = self.issuer.take() {
            issuer.stop().await.unwrap();
        }
        self.service = None;
        self.listen().await;
    }

    fn service(&self) -> &IssuerService {
        self.service.as_ref().unwrap()
    }

    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let answer = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        let text = answer.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let answer = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        (status, answer.json().await.unwrap_or(Value::Null))
    }

    async fn stop(mut self) {
        if let Some(issuer) = self.issuer.take() {
            issuer.stop().await.unwrap();
        }
        self.service = None;
        self.node.shutdown().await.unwrap();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn holder() -> (SecretKey, String) {
    let key = SecretKey::generate(KeyAlgorithm::Ed25519);
    let did = DidKey::from_public_key(&key.public_key())
        .did()
        .as_str()
        .to_owned();
    (key, did)
}

fn unsigned_health_code(holder: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "HealthCode"],
        "credentialSubject": {
            "id": holder,
            "type": "HealthCode",
            "statusColour": "green",
            "statusDate": "2026-12-05"
        }
    })
}

fn record(name: &str) -> Value {
    json!({
        "name": name,
        "birthDate": "1990-02-03",
        "documentNumber": "MO1234567",
        "healthStatus": "green",
        "testResults": [{"testType": "nucleic-acid", "result": "negative", "sampledAt": "2026-12-04T08:00:00Z"}],
        "vaccinations": []
    })
}

/// Checks `receipt` against a proof bundle of the chain's `batch/<root>` entry verified
/// offline against the validator set, and the credential's hash against the path.
async fn check_anchor(client: &RegistryClient, credential: &Value, receipt: &AnchorReceipt) {
    let hash = credential_hash(CryptoProfile::Standard, credential).unwrap();
    assert_eq!(receipt.credential_hash(), Some(hash));
    let id = credential["id"].as_str().unwrap();
    let root = verify_receipt(CryptoProfile::Standard, receipt, id).unwrap();
    assert_eq!(receipt.root(), Some(root));
    assert!(
        verify_receipt(
            CryptoProfile::Standard,
            receipt,
            "urn:crosscode:credential:another"
        )
        .is_err(),
        "the leaf binds the credential's id"
    );
    let trusted = client.validators().await.unwrap();
    let answer = client
        .state(Namespace::Batch, &root, true, None)
        .await
        .unwrap();
    let key = StateKey::batch(&root);
    let verified = verify_bundle_for_keys(
        answer.bundle.as_ref().unwrap(),
        &trusted,
        &CoreSignatureVerifier,
        &[key.as_bytes()],
    )
    .unwrap();
    assert!(
        verified.entries[0].1.is_some(),
        "the batch root is on chain"
    );
}

#[tokio::test]
async fn an_authority_issues_a_health_code_that_verifies_proof_by_proof_and_is_anchored() {
    let fixture = Fixture::start().await;
    let (_, holder) = holder();
    let (status, answer) = fixture
        .post(
            "/credentials/issue",
            &json!({"credential": unsigned_health_code(&holder)}),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    let credential = answer["verifiableCredential"].clone();
    let authority = fixture.service().authority().did.clone();
    assert_eq!(credential["issuer"], authority.as_str());
    let id = credential["id"].as_str().unwrap();
    assert!(id.starts_with("urn:crosscode:credential:") && id.len() == 25 + 32);
    assert_eq!(credential["credentialStatus"].as_array().unwrap().len(), 2);
    assert_eq!(credential["evidence"][0]["anchoredBy"], authority.as_str());
    assert!(
        credential["credentialSchema"]["id"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/schemas/", fixture.url))
    );
    // The whole proof set, then each proof alone, verifies with the issuer bound at issuance.
    let resolver = fixture.client.trust_cache_for(&credential).await.unwrap();
    let at = OffsetDateTime::now_utc();
    let report = verify_document(&credential, &resolver, at);
    assert!(report.verified, "{report:?}");
    let proofs = credential["proof"].as_array().unwrap().clone();
    assert_eq!(proofs.len(), 2);
    for proof in proofs {
        let mut alone = credential.clone();
        alone["proof"] = proof;
        assert!(verify_document(&alone, &resolver, at).verified);
    }
    let receipt: AnchorReceipt = serde_json::from_value(answer["anchor"].clone()).unwrap();
    check_anchor(&fixture.client, &credential, &receipt).await;
    // The schema it names is served and is the one registered on chain.
    let schema_url = credential["credentialSchema"]["id"].as_str().unwrap();
    let (status, schema) = fixture
        .get(schema_url.trim_start_matches(&fixture.url))
        .await;
    assert_eq!(status, 200);
    assert_eq!(schema["title"], "HealthCode");
    fixture.stop().await;
}

#[tokio::test]
async fn every_issuance_refusal_is_typed_and_signs_nothing() {
    let fixture = Fixture::start().await;
    let (_, holder) = holder();
    let mut vaccination = unsigned_health_code(&holder);
    vaccination["type"] = json!(["VerifiableCredential", "Vaccination"]);
    let mut other_issuer = unsigned_health_code(&holder);
    other_issuer["issuer"] = json!("did:crosscode:dev:someoneelse");
    let mut with_id = unsigned_health_code(&holder);
    with_id["id"] = json!("urn:x");
    let mut https_holder = unsigned_health_code(&holder);
    https_holder["credentialSubject"]["id"] = json!("https://example.com/me");
    let mut other_jurisdiction = unsigned_health_code(&holder);
    other_jurisdiction["credentialSubject"]["jurisdiction"] = json!("HK");
    let cases = [
        (
            json!({"credential": vaccination}),
            403,
            "type-outside-scope",
        ),
        (json!({"credential": other_issuer}), 400, "issuer-mismatch"),
        (json!({"credential": with_id}), 400, "issuer-sets-member"),
        (
            json!({"credential": https_holder}),
            400,
            "holder-not-did-key",
        ),
        (
            json!({"credential": other_jurisdiction}),
            400,
            "jurisdiction-mismatch",
        ),
        (
            json!({"credential": unsigned_health_code(&holder), "options": {"cryptosuites": ["nope"]}}),
            400,
            "suite-unavailable",
        ),
        (json!({"credential": 3}), 400, "invalid-credential"),
        (json!({"nope": 1}), 400, "invalid-request"),
    ];
    for (body, status, code) in cases {
        let (got, answer) = fixture.post("/credentials/issue", &body).await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (status, Some(code)),
            "{body}"
        );
    }
    let store = fixture.service().store();
    assert_eq!(store.count(Table::Credentials).unwrap(), 0);
    assert_eq!(store.count(Table::StatusIndexes).unwrap(), 0);
    // Without the back-office token.
    let answer = fixture
        .http
        .post(format!("{}/credentials/issue", fixture.url))
        .json(&json!({"credential": unsigned_health_code(&holder)}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 401);
    fixture.stop().await;
}

#[tokio::test]
async fn a_proof_set_of_any_suites_the_authority_holds_can_be_asked_for() {
    let fixture = Fixture::start().await;
    let (_, holder) = holder();
    for (suites, count) in [
        (json!(["eddsa-jcs-2022"]), 1),
        (json!(["sm2-jcs-2026"]), 1),
        (json!(["bbs-jcs-2026"]), 1),
        (json!(["sm2-jcs-2026", "eddsa-jcs-2022", "bbs-jcs-2026"]), 3),
    ] {
        let (status, answer) = fixture
            .post(
                "/credentials/issue",
                &json!({"credential": unsigned_health_code(&holder), "options": {"cryptosuites": suites}}),
            )
            .await;
        assert_eq!(status, 201, "{answer}");
        let credential = &answer["verifiableCredential"];
        let proofs = match &credential["proof"] {
            Value::Array(set) => set.len(),
            _ => 1,
        };
        assert_eq!(proofs, count);
        let resolver = fixture.client.trust_cache_for(credential).await.unwrap();
        let report = verify_document(credential, &resolver, OffsetDateTime::now_utc());
        assert!(report.verified, "{suites}: {report:?}");
    }
    fixture.stop().await;
}

fn decoded_bit(list: &Value, index: usize) -> bool {
    let encoded = list["credentialSubject"]["encodedList"].as_str().unwrap();
    Bitstring::decode(encoded)
        .unwrap()
        .get(index as u64)
        .unwrap()
}

#[tokio::test]
async fn a_revocation_shows_in_the_next_list_version_and_on_chain() {
    let fixture = Fixture::start().await;
    let (_, holder) = holder();
    let (_, answer) = fixture
        .post(
            "/credentials/issue",
            &json!({"credential": unsigned_health_code(&holder)}),
        )
        .await;
    let credential = answer["verifiableCredential"].clone();
    let id = credential["id"].as_str().unwrap();
    let revocation = credential["credentialStatus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["statusPurpose"] == "revocation")
        .unwrap()
        .clone();
    let list_url = revocation["statusListCredential"].as_str().unwrap();
    let index: usize = revocation["statusListIndex"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let path = list_url.trim_start_matches(&fixture.url);
    let (status, before) = fixture.get(path).await;
    assert_eq!(status, 200, "{before}");
    assert!(!decoded_bit(&before, index));
    let (status, changed) = fixture
        .post(
            "/credentials/status",
            &json!({"credentialId": id, "credentialStatus": [{"type": "BitstringStatusListCredential", "status": "revoked"}]}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    let (_, after) = fixture.get(path).await;
    assert!(decoded_bit(&after, index));
    assert_ne!(before["proof"], after["proof"]);
    // The list version is signed by the authority and its hash anchored.
    let resolver = fixture.client.trust_cache_for(&after).await.unwrap();
    assert!(verify_document(&after, &resolver, OffsetDateTime::now_utc()).verified);
    let hash = credential_hash(CryptoProfile::Standard, &after).unwrap();
    let anchored = fixture
        .client
        .state(Namespace::Evidence, &hash, false, None)
        .await
        .unwrap();
    assert!(anchored.value.is_some());
    // The chain's status entry of the credential is set.
    let list: u32 = path
        .trim_start_matches("/status-lists/")
        .split('-')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let key = StateKey::status(
        &fixture.service().authority().did,
        &StatusKey::Index {
            list,
            index: index as u64,
        },
    );
    let entry = fixture
        .client
        .state(Namespace::Status, &key.as_bytes()[1..], false, None)
        .await
        .unwrap();
    assert!(entry.value.is_some());
    // Revocation is final: reinstating is a typed conflict; an unknown id is 404.
    let (status, answer) = fixture
        .post(
            "/credentials/status",
            &json!({"credentialId": id, "credentialStatus": [{"type": "BitstringStatusListCredential", "status": "reinstated"}]}),
        )
        .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (409, Some("status-conflict"))
    );
    let (status, answer) = fixture
        .post(
            "/credentials/status",
            &json!({"credentialId": "urn:crosscode:credential:00", "credentialStatus": [{"type": "BitstringStatusListCredential", "status": "revoked"}]}),
        )
        .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (404, Some("unknown-credential"))
    );
    fixture.stop().await;
}

#[tokio::test]
async fn a_batch_is_anchored_by_one_transaction_and_every_inclusion_path_checks() {
    let fixture = Fixture::start().await;
    let records: Vec<Value> = (0..40)
        .map(|n| json!({"holder": holder().1, "record": record(&format!("Person {n}"))}))
        .collect();
    let (status, answer) = fixture
        .post("/v1/batches", &json!({"records": records}))
        .await;
    assert_eq!(status, 201, "{answer}");
    let credentials = answer["credentials"].as_array().unwrap();
    assert_eq!(credentials.len(), 40);
    let first: AnchorReceipt = serde_json::from_value(credentials[0]["anchor"].clone()).unwrap();
    for item in credentials {
        let receipt: AnchorReceipt = serde_json::from_value(item["anchor"].clone()).unwrap();
        assert_eq!(
            receipt.transaction, first.transaction,
            "one anchor transaction"
        );
        assert_eq!(receipt.size, 40);
        check_anchor(&fixture.client, &item["verifiableCredential"], &receipt).await;
        assert!(
            item["verifiableCredential"]["evidence"][0]["batch"]
                .as_str()
                .unwrap()
                .starts_with("urn:crosscode:batch:")
        );
    }
    fixture.stop().await;
}

/// A proof-of-possession JWT of `key` (Ed25519) for `audience` and `nonce`.
fn proof_jwt(key: &SecretKey, audience: &str, nonce: &str) -> String {
    let did_key = DidKey::from_public_key(&key.public_key());
    let header = json!({"alg": "EdDSA", "typ": "openid4vci-proof+jwt", "kid": did_key.verification_method_id().as_str()});
    let claims = json!({"aud": audience, "iat": now_secs(), "nonce": nonce});
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = key.sign(signing_input.as_bytes()).unwrap();
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

#[tokio::test]
async fn a_wallet_receives_a_health_code_through_openid4vci_with_a_transaction_code() {
    let mut fixture = Fixture::start().await;
    let (status, created) = fixture
        .post("/v1/records", &json!({"record": record("Chan Tai Man")}))
        .await;
    assert_eq!(status, 201, "{created}");
    let record_id = created["id"].as_str().unwrap().to_owned();
    let (status, offer) = fixture
        .post(
            "/v1/offers",
            &json!({"recordId": record_id, "txCode": true}),
        )
        .await;
    assert_eq!(status, 201, "{offer}");
    let uri = offer["uri"].as_str().unwrap().to_owned();
    assert!(uri.starts_with("openid-credential-offer://?credential_offer="));
    let png = base64::engine::general_purpose::STANDARD
        .decode(offer["qrPng"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        crosscode_core::envelope::qr_image::read_qr_text(&png).unwrap(),
        uri
    );
    let tx_code = offer["txCode"].as_str().unwrap().to_owned();
    // Offers survive a restart.
    fixture.restart().await;
    let parsed = crosscode_issuer::oid4vci::CredentialOffer::from_uri(&uri).unwrap();
    let code = parsed
        .pre_authorized_code_grant()
        .unwrap()
        .pre_authorized_code
        .clone();
    let (status, metadata) = fixture.get("/.well-known/openid-credential-issuer").await;
    assert_eq!(status, 200);
    let token_endpoint = format!("{}/token", fixture.url);
    let form = |tx: &str| {
        format!(
            "grant_type={}&pre-authorized_code={}&tx_code={tx}",
            "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code", code
        )
    };
    let wrong = fixture
        .http
        .post(&token_endpoint)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form("000000x"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 400);
    let token: Value = fixture
        .http
        .post(&token_endpoint)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&tx_code))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access_token = token["access_token"].as_str().unwrap().to_owned();
    // The pre-authorized code is single use.
    let again = fixture
        .http
        .post(&token_endpoint)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&tx_code))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 400);
    let (_, nonce) = fixture.post("/nonce", &json!({})).await;
    let c_nonce = nonce["c_nonce"].as_str().unwrap();
    let (holder_key, holder_did) = holder();
    let answer = fixture
        .http
        .post(metadata["credential_endpoint"].as_str().unwrap())
        .bearer_auth(&access_token)
        .json(&json!({
            "credential_configuration_id": "HealthCode",
            "proofs": {"jwt": [proof_jwt(&holder_key, &fixture.url, c_nonce)]}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let body: Value = answer.json().await.unwrap();
    let credential = &body["credentials"][0]["credential"];
    assert_eq!(credential["credentialSubject"]["id"], holder_did.as_str());
    assert_eq!(credential["credentialSubject"]["name"], "Chan Tai Man");
    let resolver = fixture.client.trust_cache_for(credential).await.unwrap();
    assert!(verify_document(credential, &resolver, OffsetDateTime::now_utc()).verified);
    fixture.stop().await;
}

#[tokio::test]
async fn start_up_refuses_an_authority_that_is_not_admitted_or_not_scoped() {
    let fixture = Fixture::start().await;
    let dir = temp_dir("issuer-refused");
    // A registered-nowhere key.
    let stranger = vec![SecretKey::generate(KeyAlgorithm::Ed25519)];
    let err = start_service(&fixture.client, &dir, stranger, &["HealthCode"], "http://x")
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        ServiceError::Startup(StartupError::NotRegistered { .. })
    ));
    // A registered DID that the consortium never admitted.
    let outsider = SecretKey::generate(KeyAlgorithm::Ed25519);
    fixture
        .client
        .register_did(&outsider, "key-1")
        .await
        .unwrap();
    let err = start_service(
        &fixture.client,
        &dir.join("b"),
        vec![outsider],
        &["HealthCode"],
        "http://x",
    )
    .await
    .unwrap_err();
    assert!(matches!(
        err,
        ServiceError::Startup(StartupError::NotAdmitted { .. })
    ));
    // An admitted authority whose scope does not cover a configured type.
    let tests_only = SecretKey::generate(KeyAlgorithm::Ed25519);
    let (did, _) = fixture
        .client
        .register_did(&tests_only, "key-1")
        .await
        .unwrap();
    let members = &fixture.dev.members;
    let action = GovernanceAction::AdmitIssuer {
        issuer: did,
        scope: IssuerScope {
            credential_types: vec!["NucleicAcidTestResult".into()],
            jurisdiction: "MO".into(),
            valid_from: 0,
            valid_until: u64::MAX,
        },
    };
    let proposed = fixture
        .client
        .propose(&members[0].key, Some(&members[0].did), action, 100)
        .await
        .unwrap();
    fixture
        .client
        .vote(&members[1].key, Some(&members[1].did), proposed.id, true)
        .await
        .unwrap();
    let err = start_service(
        &fixture.client,
        &dir.join("c"),
        vec![tests_only],
        &["HealthCode"],
        "http://x",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, ServiceError::Startup(StartupError::ScopeDoesNotCover { missing, .. }) if missing == &vec!["HealthCode".to_owned()]),
        "{err:?}"
    );
    // A key that is not a method of the authority's document.
    let mut keys = authority_keys(CryptoProfile::Standard, "MO");
    keys.push(SecretKey::generate(KeyAlgorithm::Sm2));
    let err = start_service(
        &fixture.client,
        &dir.join("e"),
        keys,
        &["HealthCode"],
        "http://x",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            ServiceError::Startup(StartupError::KeyNotInDocument {
                algorithm: KeyAlgorithm::Sm2,
                ..
            })
        ),
        "{err:?}"
    );
    // A P-256 key: a holder's key, which the issuer does not sign credentials with.
    let mut keys = authority_keys(CryptoProfile::Standard, "MO");
    keys.push(SecretKey::generate(KeyAlgorithm::P256));
    let err = start_service(
        &fixture.client,
        &dir.join("p"),
        keys,
        &["HealthCode"],
        "http://x",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            ServiceError::Startup(StartupError::UnsupportedCredentialKey {
                algorithm: KeyAlgorithm::P256
            })
        ),
        "{err:?}"
    );
    // An authority the consortium suspended.
    let hk = DevAuthority::derive(CryptoProfile::Standard, "HK").did;
    let proposed = fixture
        .client
        .propose(
            &members[0].key,
            Some(&members[0].did),
            GovernanceAction::SuspendIssuer { issuer: hk },
            100,
        )
        .await
        .unwrap();
    fixture
        .client
        .vote(&members[1].key, Some(&members[1].did), proposed.id, true)
        .await
        .unwrap();
    let err = start_service(
        &fixture.client,
        &dir.join("f"),
        authority_keys(CryptoProfile::Standard, "HK"),
        &["HealthCode"],
        "http://x",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ServiceError::Startup(StartupError::Suspended { .. })),
        "{err:?}"
    );
    // A credential type the issuer does not know is refused before the chain is asked.
    let err = start_service(
        &fixture.client,
        &dir.join("d"),
        authority_keys(CryptoProfile::Standard, "HK"),
        &["PassportStamp"],
        "http://x",
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ServiceError::UnknownType(_)));
    let _ = std::fs::remove_dir_all(&dir);
    fixture.stop().await;
}

#[tokio::test]
async fn a_restart_keeps_records_allocations_and_published_lists() {
    let mut fixture = Fixture::start().await;
    let (_, holder) = holder();
    let (_, first) = fixture
        .post(
            "/credentials/issue",
            &json!({"credential": unsigned_health_code(&holder)}),
        )
        .await;
    let (status, created) = fixture
        .post("/v1/records", &json!({"record": record("Lee Ka Yan")}))
        .await;
    assert_eq!(status, 201);
    let list_url = first["verifiableCredential"]["credentialStatus"][0]["statusListCredential"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = list_url.trim_start_matches(&fixture.url).to_owned();
    let (_, before) = fixture.get(&path).await;
    fixture.restart().await;
    let store = fixture.service().store();
    assert_eq!(store.count(Table::StatusIndexes).unwrap(), 1);
    assert_eq!(store.count(Table::Records).unwrap(), 1);
    // The same signed list version is served after the restart (nothing re-signed).
    let path = format!("/status-lists/{}", path.rsplit('/').next().unwrap());
    let (_, after) = fixture.get(&path).await;
    assert_eq!(before, after);
    // New credentials never get an index handed out before the restart.
    let (_, second) = fixture
        .post(
            "/credentials/issue",
            &json!({"credential": unsigned_health_code(&holder)}),
        )
        .await;
    assert_ne!(
        first["verifiableCredential"]["credentialStatus"][0]["id"],
        second["verifiableCredential"]["credentialStatus"][0]["id"]
    );
    assert_eq!(
        fixture
            .service()
            .store()
            .count(Table::StatusIndexes)
            .unwrap(),
        2
    );
    // The record stored before the restart still makes offers.
    let (status, _) = fixture
        .post("/v1/offers", &json!({"recordId": created["id"]}))
        .await;
    assert_eq!(status, 201);
    fixture.stop().await;
}

#[tokio::test]
async fn the_other_routes_answer_their_typed_failures() {
    let fixture = Fixture::start().await;
    // Records: an invalid record, then delete (once).
    let mut bad = record("Someone");
    bad["birthDate"] = json!("1990-13-45");
    let (status, answer) = fixture.post("/v1/records", &json!({"record": bad})).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("invalid-record"))
    );
    let (_, created) = fixture
        .post("/v1/records", &json!({"record": record("Someone")}))
        .await;
    let id = created["id"].as_str().unwrap();
    let delete = |id: String| {
        let request = fixture
            .http
            .delete(format!("{}/v1/records/{id}", fixture.url))
            .bearer_auth(&fixture.token);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(delete(id.to_owned()).await, 204);
    assert_eq!(delete(id.to_owned()).await, 404);
    assert_eq!(delete("not-a-record-id".to_owned()).await, 404);
    // Offers for a record that does not exist, or an unknown configuration.
    let (status, answer) = fixture.post("/v1/offers", &json!({"recordId": id})).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (404, Some("unknown-record"))
    );
    let (_, other) = fixture
        .post("/v1/records", &json!({"record": record("Other")}))
        .await;
    let (status, answer) = fixture
        .post(
            "/v1/offers",
            &json!({"recordId": other["id"], "credentialConfigurationId": "Passport"}),
        )
        .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("unknown-configuration"))
    );
    // Batches: empty, and a holder that is not a did:key.
    let (status, answer) = fixture.post("/v1/batches", &json!({"records": []})).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("batch-size"))
    );
    let (status, answer) = fixture
        .post(
            "/v1/batches",
            &json!({"records": [{"holder": "did:web:example.com", "record": record("X")}]}),
        )
        .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("holder-not-did-key"))
    );
    // Status lists and schemas that do not exist; a body that is not JSON.
    assert_eq!(fixture.get("/status-lists/7-revocation").await.0, 404);
    assert_eq!(fixture.get("/status-lists/nonsense").await.0, 404);
    assert_eq!(
        fixture
            .get(&format!("/schemas/{}", "ab".repeat(32)))
            .await
            .0,
        404
    );
    assert_eq!(fixture.get("/schemas/xyz").await.0, 404);
    let answer = fixture
        .http
        .post(format!("{}/credentials/issue", fixture.url))
        .bearer_auth(&fixture.token)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 415);
    assert_eq!(fixture.get("/no/such/route").await.0, 404);
    fixture.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_issuing_one_after_another_share_their_anchors() {
    let fixture = Fixture::start().await;
    let service = fixture.service.clone().unwrap();
    // Eight clients, each issuing four credentials one after another: a steady load, where a
    // requester must not wait for the writer once another anchor has taken its hash.
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let service = service.clone();
            tokio::spawn(async move {
                let mut issued = Vec::new();
                for _ in 0..4 {
                    let credential = unsigned_health_code(&holder().1);
                    issued.push(service.issue(credential, Default::default()).await.unwrap());
                }
                issued
            })
        })
        .collect();
    let mut transactions = std::collections::BTreeSet::new();
    for client in clients {
        for issued in client.await.unwrap() {
            check_anchor(
                &fixture.client,
                &issued.verifiable_credential,
                &issued.anchor,
            )
            .await;
            transactions.insert(issued.anchor.transaction.clone());
        }
    }
    assert!(
        transactions.len() <= 16,
        "{} anchors for 32 credentials",
        transactions.len()
    );
    drop(service);
    fixture.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_runs_on_postgresql_without_blocking_its_async_workers() {
    // The PostgreSQL client blocks on a runtime of its own: called from an async task it would
    // panic, so this fails if any service path touches the store on an async worker.
    let fixture = Fixture::start().await;
    let cluster = crosscode_testing::postgres::PostgresCluster::start();
    let url = cluster.url();
    let store: Arc<dyn IssuerStore> = Arc::new(
        tokio::task::spawn_blocking(move || {
            crosscode_issuer::store::postgres::PostgresStore::connect(&url).unwrap()
        })
        .await
        .unwrap(),
    );
    let dir = temp_dir("issuer-postgres");
    let record_key = open_or_create_record_key(&dir, b"issuer test passphrase").unwrap();
    let mut config = ServiceConfig::new("http://127.0.0.1:9");
    config.credential_types = vec!["HealthCode".into()];
    let service = IssuerService::start(
        config,
        fixture.client.clone(),
        authority_keys(CryptoProfile::Standard, "MO"),
        store,
        Arc::new(record_key),
    )
    .await
    .unwrap();
    let issued = service
        .issue(unsigned_health_code(&holder().1), Default::default())
        .await
        .unwrap();
    let id = issued.verifiable_credential["id"].as_str().unwrap();
    assert!(service.issued(id).await.unwrap().is_some());
    service
        .change_status(id, crosscode_issuer::status::StatusAction::Suspend)
        .await
        .unwrap();
    let list = service.status_list("0-suspension").await.unwrap();
    assert_eq!(list["credentialSubject"]["statusPurpose"], "suspension");
    let subject: crosscode_issuer::records::SubjectRecord =
        serde_json::from_value(record("Postgres Person")).unwrap();
    let record_id = service.put_record(subject).await.unwrap();
    assert!(service.has_record(record_id.clone()).await.unwrap());
    let from_record = service
        .issue_from_record(&record_id, "HealthCode", &holder().1)
        .await
        .unwrap();
    assert_eq!(
        from_record.verifiable_credential["credentialSubject"]["name"],
        "Postgres Person"
    );
    assert!(service.delete_record(record_id).await.unwrap());
    let batch: Vec<crosscode_issuer::service::BatchRecord> = (0..3)
        .map(|n| {
            serde_json::from_value(
                json!({"holder": holder().1, "record": record(&format!("Batch {n}"))}),
            )
            .unwrap()
        })
        .collect();
    assert_eq!(
        service
            .issue_records(batch, Default::default(), |_| {})
            .await
            .unwrap()
            .len(),
        3
    );
    drop(service);
    let _ = std::fs::remove_dir_all(&dir);
    fixture.stop().await;
}
