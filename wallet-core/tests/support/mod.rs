//! What the wallet's end-to-end tests share: a dev chain node in process with the dev
//! authorities admitted, the issuer service of MO over loopback HTTP, the trust a wallet app
//! gives (the authority's keys from the chain), and wallets over a software keystore.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crosscode_core::did::{DidKey, TrustCache};
use crosscode_core::keys::{KdfParams, KeyAlgorithm, SecretKey};
use crosscode_did_registry::dev::{DevAuthority, DevConsortium};
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_issuer::http::AppState;
use crosscode_issuer::sealing::RecordKey;
use crosscode_issuer::server::RunningIssuer;
use crosscode_issuer::service::{IssuerService, ServiceConfig};
use crosscode_issuer::store::IssuerStore;
use crosscode_issuer::store::embedded::EmbeddedStore;
use crosscode_issuer::token::BackOfficeToken;
use crosscode_registry_client::RegistryClient;
use crosscode_registry_node::{Node, NodeConfig, RunningNode};
use crosscode_testing::temp_dir;
use crosscode_wallet_core::Wallet;
use crosscode_wallet_core::keystore::{Keystore, SoftwareKeystore};
use crosscode_wallet_core::transport::{HttpTransport, Transport};
use serde_json::{Value, json};

pub const PASSPHRASE: &[u8] = b"citizen passphrase";

/// A dev chain and the issuer of MO over HTTP.
pub struct Fixture {
    pub node: RunningNode,
    pub client: RegistryClient,
    pub issuer: Option<RunningIssuer>,
    pub token: String,
    pub url: String,
    pub dir: crosscode_testing::TempDir,
    pub http: reqwest::Client,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

impl Fixture {
    pub async fn start() -> Fixture {
        let dir = temp_dir("wallet-e2e");
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

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let issuer_dir = dir.join("issuer");
        std::fs::create_dir_all(&issuer_dir).unwrap();
        let authority = DevAuthority::derive(CryptoProfile::Standard, "MO");
        let keys = vec![
            authority.chain_key,
            authority.ed25519,
            authority.sm2,
            authority.bbs,
        ];
        let store: Arc<dyn IssuerStore> =
            Arc::new(EmbeddedStore::open(&issuer_dir.join("db")).unwrap());
        let record_key = RecordKey::open_or_create(
            &issuer_dir.join("records.key"),
            "crosscode-issuer-records",
            b"issuer passphrase",
            KdfParams::INSECURE_FOR_TESTS,
        )
        .unwrap();
        let mut service_config = ServiceConfig::new(&url);
        service_config.credential_types = vec!["HealthCode".to_owned()];
        let service = IssuerService::start(
            service_config,
            client.clone(),
            keys,
            store,
            Arc::new(record_key),
        )
        .await
        .unwrap();
        let token = BackOfficeToken::load_or_create(&issuer_dir).unwrap();
        let state = Arc::new(AppState {
            service: Arc::new(service),
            token: token.clone(),
            conversion: None,
        });
        let issuer = RunningIssuer::serve(listener, state).unwrap();
        Fixture {
            node,
            client,
            issuer: Some(issuer),
            token: token.as_str().to_owned(),
            url,
            dir,
            http: reqwest::Client::new(),
        }
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let answer = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        (status, answer.json().await.unwrap_or(Value::Null))
    }

    /// A subject record of a citizen, and an offer of its health code: the offer URI and the
    /// transaction code (when asked for).
    pub async fn offer(&self, with_tx_code: bool) -> (String, Option<String>) {
        let (status, created) = self
            .post(
                "/v1/records",
                &json!({"record": {
                    "name": "Chan Tai Man",
                    "birthDate": "1990-02-03",
                    "documentNumber": "MO1234567",
                    "healthStatus": "green",
                    "testResults": [{"testType": "nucleic-acid", "result": "negative",
                                     "sampledAt": "2026-12-04T08:00:00Z"}],
                    "vaccinations": []
                }}),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        let (status, offer) = self
            .post(
                "/v1/offers",
                &json!({"recordId": created["id"], "txCode": with_tx_code}),
            )
            .await;
        assert_eq!(status, 201, "{offer}");
        (
            offer["uri"].as_str().unwrap().to_owned(),
            offer["txCode"].as_str().map(str::to_owned),
        )
    }

    /// The trust a wallet app gives: the MO authority's credential keys as the chain resolves
    /// them (through the registry client, as `crosscode vc verify --node` does).
    pub async fn trust(&self) -> TrustCache {
        let holder =
            DidKey::from_public_key(&SecretKey::generate(KeyAlgorithm::Ed25519).public_key());
        let (status, issued) = self
            .post(
                "/credentials/issue",
                &json!({
                    "credential": {
                        "@context": ["https://www.w3.org/ns/credentials/v2"],
                        "type": ["VerifiableCredential", "HealthCode"],
                        "credentialSubject": {"id": holder.did().as_str(), "type": "HealthCode",
                                              "statusColour": "green"}
                    },
                    "options": {"cryptosuites": ["sm2-jcs-2026", "eddsa-jcs-2022", "bbs-jcs-2026"]}
                }),
            )
            .await;
        assert_eq!(status, 201, "{issued}");
        self.client
            .trust_cache_for(&issued["verifiableCredential"])
            .await
            .unwrap()
    }

    pub async fn stop(mut self) {
        if let Some(issuer) = self.issuer.take() {
            issuer.stop().await.unwrap();
        }
        self.node.shutdown().await.unwrap();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The software keystore of wallet directory `dir`.
pub fn software_keystore(dir: &Path) -> Arc<SoftwareKeystore> {
    Arc::new(
        SoftwareKeystore::open_with_kdf(
            &dir.join("keys"),
            PASSPHRASE,
            KdfParams::INSECURE_FOR_TESTS,
        )
        .unwrap(),
    )
}

/// A wallet in `dir` over `keystore` and `transport`.
pub fn wallet_with(
    dir: &Path,
    keystore: Arc<dyn Keystore>,
    transport: Arc<dyn Transport>,
) -> Wallet {
    Wallet::open_with_kdf(
        dir,
        PASSPHRASE,
        KdfParams::INSECURE_FOR_TESTS,
        keystore,
        transport,
    )
    .unwrap()
}

/// A wallet in `dir` with the software keystore and the HTTP transport.
pub fn wallet(dir: &Path) -> Wallet {
    wallet_with(
        dir,
        software_keystore(dir),
        Arc::new(HttpTransport::new().unwrap()),
    )
}
