//! Two jurisdictions on one chain, in process: a dev registry node (the embedded chain), the
//! issuer service of **CN-GD** (the source, signing with SM2 and BBS) and the issuer service of
//! **MO** (the converting authority, Ed25519 and BBS, with a conversion desk), each on its own
//! loopback port — and, when a [`Recording`] is given, a [`RecordingProxy`] in front of every
//! party, so every HTTP body between the wallet, CN-GD, MO and the chain crosses a proxy:
//!
//! ```text
//! wallet ──▶ proxy "CN-GD" ──▶ CN-GD issuer ──▶ proxy "CN-GD→chain" ──▶ node
//! wallet ──▶ proxy "MO"    ──▶ MO issuer    ──▶ proxy "MO→chain"    ──▶ node
//! ```
//!
//! The issuers' public base URLs are their proxies' (the OpenID4VCI metadata and status list
//! URLs name them), and each issuer talks to the chain through its own proxy.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crosscode_core::crossborder::ConversionPolicy;
use crosscode_core::did::TrustCache;
use crosscode_core::keys::{KdfParams, SecretKey};
use crosscode_did_registry::dev::{DevAuthority, DevConsortium};
use crosscode_did_registry::document::RegistryDid;
use crosscode_did_registry::governance::GovernanceAction;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::proof::TrustedChain;
use crosscode_issuer::conversion::ConversionDesk;
use crosscode_issuer::http::AppState;
use crosscode_issuer::sealing::RecordKey;
use crosscode_issuer::server::RunningIssuer;
use crosscode_issuer::service::{IssuerService, ServiceConfig};
use crosscode_issuer::status::StatusAction;
use crosscode_issuer::store::IssuerStore;
use crosscode_issuer::store::embedded::EmbeddedStore;
use crosscode_issuer::token::BackOfficeToken;
use crosscode_registry_client::RegistryClient;
use crosscode_registry_node::{Node, NodeConfig, RunningNode};
use crosscode_verifier::chain_trust::ChainTrust;
use crosscode_wallet_core::Wallet;
use crosscode_wallet_core::keystore::SoftwareKeystore;
use crosscode_wallet_core::transport::HttpTransport;
use serde_json::{Value, json};

use crate::recording::Recording;
use crate::recording_proxy::RecordingProxy;

/// Why the two jurisdictions could not be set up or driven.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    /// A step failed (what, and why).
    #[error("{0}")]
    Step(String),
}

fn step<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> WorldError {
    move |err| WorldError::Step(format!("{what}: {err}"))
}

/// A traveller's wallet in `dir` with its software keystore in `dir/keys`, both sealed under
/// `passphrase` with the tests' argon2id parameters, talking HTTP; answers the keystore too
/// (a test may sign with the holder keys directly).
pub fn open_wallet(
    dir: &Path,
    passphrase: &[u8],
) -> Result<(Wallet, Arc<SoftwareKeystore>), WorldError> {
    let keystore = Arc::new(
        SoftwareKeystore::open_with_kdf(
            &dir.join("keys"),
            passphrase,
            KdfParams::INSECURE_FOR_TESTS,
        )
        .map_err(step("the wallet's keystore"))?,
    );
    let wallet = Wallet::open_with_kdf(
        dir,
        passphrase,
        KdfParams::INSECURE_FOR_TESTS,
        keystore.clone(),
        Arc::new(HttpTransport::new().map_err(step("the wallet's transport"))?),
    )
    .map_err(step("the wallet"))?;
    Ok((wallet, keystore))
}

/// The source jurisdiction.
pub const SOURCE: &str = "CN-GD";
/// The converting jurisdiction.
pub const TARGET: &str = "MO";
/// The passphrase the fixture's record keys are sealed with.
const ISSUER_PASSPHRASE: &[u8] = b"issuer passphrase";

/// One jurisdiction's issuer service.
pub struct Jurisdiction {
    /// Its jurisdiction code.
    pub code: &'static str,
    /// Its authority's DID.
    pub did: RegistryDid,
    /// Its public base URL (its proxy's when recording).
    pub url: String,
    /// Its back-office bearer token.
    pub token: String,
    /// The service (for back-office operations such as a revocation).
    pub service: Arc<IssuerService>,
    /// The conversion desk (the converting jurisdiction's).
    pub desk: Option<Arc<ConversionDesk>>,
    pending: Option<(tokio::net::TcpListener, BackOfficeToken)>,
    running: Option<RunningIssuer>,
}

impl Jurisdiction {
    /// Stops the issuer's HTTP service (the other jurisdiction must then do without it).
    pub async fn stop_service(&mut self) -> Result<(), WorldError> {
        if let Some(running) = self.running.take() {
            running.stop().await.map_err(step("stopping an issuer"))?;
        }
        Ok(())
    }

    /// Revokes (or suspends) the credential `id` the service issued.
    pub async fn change_status(&self, id: &str, action: StatusAction) -> Result<(), WorldError> {
        self.service
            .change_status(id, action)
            .await
            .map(|_| ())
            .map_err(step("changing a credential's status"))
    }
}

/// The world of the conversion tests (see the module documentation).
pub struct TwoJurisdictions {
    /// The chain node.
    pub node: RunningNode,
    /// A client of the node, direct (not recorded).
    pub chain: RegistryClient,
    /// The validator set the parties pin.
    pub pinned: TrustedChain,
    /// The consortium (its members vote).
    pub consortium: DevConsortium,
    /// CN-GD.
    pub source: Jurisdiction,
    /// MO.
    pub target: Jurisdiction,
    /// The working directory: the chain's data in `chain/db`, each issuer's in `<code>/`.
    pub dir: PathBuf,
    proxies: Vec<RecordingProxy>,
    /// The temporary directory removed when the world is dropped (none when kept).
    _temporary: Option<crosscode_testing::TempDir>,
}

/// How to set the world up.
#[derive(Default)]
pub struct WorldOptions {
    /// Keep the data in this directory (default: a temporary one, removed at the end).
    pub keep: Option<PathBuf>,
    /// The consortium (default: a fresh dev consortium of CN-GD, MO and HK).
    pub consortium: Option<DevConsortium>,
    /// Put every party behind a recording proxy recording into this.
    pub recording: Option<Recording>,
    /// MO's conversion policy (default: [`default_policy`]).
    pub policy: Option<ConversionPolicy>,
}

/// The conversion policy MO publishes by default: CN-GD health codes, disclosing the type,
/// jurisdiction, status colour and status date; the colour must be green.
pub fn default_policy(issuer: &RegistryDid) -> Result<ConversionPolicy, WorldError> {
    serde_json::from_value(json!({
        "version": "2026-12-01",
        "issuer": issuer.as_str(),
        "jurisdiction": TARGET,
        "issues": "HealthCode",
        "accepts": [{"jurisdiction": SOURCE, "credentialType": "HealthCode"}],
        "claims": ["type", "jurisdiction", "statusColour", "statusDate"],
        "rules": [{
            "Identifier": "CV-MO-0001",
            "Type": "Acceptance",
            "CertificateType": "General",
            "Description": "the health code is green",
            "AffectedFields": ["credentialSubject.statusColour"],
            "Logic": {"===": [{"var": "payload.credentialSubject.statusColour"}, "green"]}
        }],
        "challengeSeconds": 300
    }))
    .map_err(step("the default policy"))
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs())
        .unwrap_or_default()
}

impl TwoJurisdictions {
    /// Starts the chain and both issuers as `options` say.
    pub async fn start(options: WorldOptions) -> Result<TwoJurisdictions, WorldError> {
        let WorldOptions {
            keep,
            consortium,
            recording,
            policy,
        } = options;
        let (dir, temporary) = match keep {
            Some(dir) => (dir, None),
            None => {
                let temporary = crosscode_testing::temp_dir("two-jurisdictions");
                (temporary.to_path_buf(), Some(temporary))
            }
        };
        let consortium = match consortium {
            Some(consortium) => consortium,
            None => DevConsortium::generate_default(CryptoProfile::Standard, now_secs() - 60)
                .map_err(step("the dev consortium"))?,
        };
        let validator = SecretKey::from_bytes(
            consortium.validator_key.algorithm(),
            &consortium.validator_key.to_bytes(),
        )
        .map_err(step("the validator key"))?;
        let mut config = NodeConfig::new(dir.join("chain"), SocketAddr::from(([127, 0, 0, 1], 0)));
        config.heartbeat = Duration::from_millis(200);
        let node = Node::start(&consortium.genesis, validator, config)
            .await
            .map_err(step("the node"))?;
        let node_addr = node.local_addr();
        let chain = RegistryClient::new(&format!("http://{node_addr}"))
            .map_err(step("the node client"))?
            .with_commit_timeout(Duration::from_secs(60));
        chain
            .admit_dev_authorities(&consortium.members, consortium.genesis.genesis_time)
            .await
            .map_err(step("admitting the dev authorities"))?;
        let pinned = chain.validators().await.map_err(step("the validators"))?;

        let mut proxies = Vec::new();
        let mut source =
            start_issuer(SOURCE, &dir, node_addr, recording.as_ref(), &mut proxies).await?;
        let mut target =
            start_issuer(TARGET, &dir, node_addr, recording.as_ref(), &mut proxies).await?;
        let policy = match policy {
            Some(policy) => policy,
            None => default_policy(&target.did)?,
        };
        let chain_url = target.service.writer().client().base_url().to_owned();
        let desk_client = RegistryClient::new(&chain_url)
            .map_err(step("the desk's client"))?
            .with_commit_timeout(Duration::from_secs(60));
        let desk = ConversionDesk::open(&target.service, policy, desk_client, pinned.clone())
            .await
            .map_err(step("the conversion desk"))?;
        target.desk = Some(Arc::new(desk));
        source.serve().await?;
        target.serve().await?;
        Ok(TwoJurisdictions {
            node,
            chain,
            pinned,
            consortium,
            source,
            target,
            dir,
            proxies,
            _temporary: temporary,
        })
    }

    /// The trust a wallet app gives: the admitted authorities' keys as the chain resolves
    /// them.
    pub async fn wallet_trust(&self) -> Result<TrustCache, WorldError> {
        self.chain
            .trust_cache_of_admitted_issuers()
            .await
            .map_err(step("the wallet's trust"))
    }

    /// What a checkpoint syncs from the chain from scratch: the chain's data replicated to
    /// it, proven against the pinned validators.
    pub async fn checkpoint_trust(&self) -> Result<ChainTrust, WorldError> {
        crosscode_verifier::sync::sync(&self.chain, &self.pinned, None, &mut |_| {})
            .await
            .map(|(trust, _)| trust)
            .map_err(step("a checkpoint's sync"))
    }

    /// Stores `record` at CN-GD and answers an OpenID4VCI offer of its health code (no
    /// transaction code).
    pub async fn offer(&self, record: &Value) -> Result<String, WorldError> {
        let http = reqwest::Client::new();
        let post = |path: &str, body: Value| {
            http.post(format!("{}{path}", self.source.url))
                .bearer_auth(&self.source.token)
                .json(&body)
                .send()
        };
        let created: Value = post("/v1/records", json!({ "record": record }))
            .await
            .map_err(step("storing the record"))?
            .json()
            .await
            .map_err(step("the record's answer"))?;
        let offer: Value = post(
            "/v1/offers",
            json!({"recordId": created["id"], "txCode": false}),
        )
        .await
        .map_err(step("making the offer"))?
        .json()
        .await
        .map_err(step("the offer's answer"))?;
        offer["uri"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| WorldError::Step(format!("no offer URI in {offer}")))
    }

    /// The consortium suspends `issuer` (a proposal and the votes it needs).
    pub async fn suspend_issuer(&self, issuer: &RegistryDid) -> Result<(), WorldError> {
        let members = &self.consortium.members;
        let (first, others) = members
            .split_first()
            .ok_or_else(|| WorldError::Step("no consortium members".into()))?;
        let action = GovernanceAction::SuspendIssuer {
            issuer: issuer.clone(),
        };
        let proposed = self
            .chain
            .propose(&first.key, Some(&first.did), action, 1_000)
            .await
            .map_err(step("proposing the suspension"))?;
        let mut status = proposed.status;
        for voter in others {
            if status != crosscode_did_registry::records::ProposalStatus::Open {
                break;
            }
            status = self
                .chain
                .vote(&voter.key, Some(&voter.did), proposed.id, true)
                .await
                .map_err(step("voting"))?
                .status;
        }
        Ok(())
    }

    /// Stops everything.
    pub async fn stop(mut self) -> Result<(), WorldError> {
        self.source.stop_service().await?;
        self.target.stop_service().await?;
        self.target.desk = None;
        for proxy in self.proxies.drain(..) {
            proxy.stop();
        }
        self.node
            .shutdown()
            .await
            .map_err(step("the node's shutdown"))
    }
}

impl Jurisdiction {
    /// Serves the issuer's HTTP API (with its desk, if any) on the port it bound.
    async fn serve(&mut self) -> Result<(), WorldError> {
        if let Some((listener, token)) = self.pending.take() {
            let state = Arc::new(AppState {
                service: self.service.clone(),
                token,
                conversion: self.desk.clone(),
            });
            self.running =
                Some(RunningIssuer::serve(listener, state).map_err(step("serving an issuer"))?);
        }
        Ok(())
    }
}

/// Starts the issuer service of `code` (its keys: the dev authority's; CN-GD signs with SM2
/// and BBS, MO with Ed25519 and BBS), not yet serving HTTP.
async fn start_issuer(
    code: &'static str,
    dir: &std::path::Path,
    node: SocketAddr,
    recording: Option<&Recording>,
    proxies: &mut Vec<RecordingProxy>,
) -> Result<Jurisdiction, WorldError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(step("an issuer's port"))?;
    let local = listener.local_addr().map_err(step("an issuer's address"))?;
    let (url, chain_url) = match recording {
        Some(recording) => {
            let front = RecordingProxy::start(code, local, recording.clone())
                .map_err(step("an issuer's proxy"))?;
            let to_chain = RecordingProxy::start(&format!("{code}→chain"), node, recording.clone())
                .map_err(step("a chain proxy"))?;
            let urls = (front.base_url(), to_chain.base_url());
            proxies.push(front);
            proxies.push(to_chain);
            urls
        }
        None => (format!("http://{local}"), format!("http://{node}")),
    };
    let client = RegistryClient::new(&chain_url)
        .map_err(step("an issuer's chain client"))?
        .with_commit_timeout(Duration::from_secs(60));
    let issuer_dir = dir.join(code);
    std::fs::create_dir_all(&issuer_dir).map_err(step("an issuer's directory"))?;
    let authority = DevAuthority::derive(CryptoProfile::Standard, code);
    let did = authority.did.clone();
    let keys = if code == SOURCE {
        vec![authority.chain_key, authority.sm2, authority.bbs]
    } else {
        vec![authority.chain_key, authority.ed25519, authority.bbs]
    };
    let store: Arc<dyn IssuerStore> =
        Arc::new(EmbeddedStore::open(&issuer_dir.join("db")).map_err(step("an issuer's store"))?);
    let record_key = RecordKey::open_or_create(
        &issuer_dir.join("records.key"),
        "crosscode-issuer-records",
        ISSUER_PASSPHRASE,
        KdfParams::INSECURE_FOR_TESTS,
    )
    .map_err(step("an issuer's record key"))?;
    let mut config = ServiceConfig::new(&url);
    config.credential_types = vec!["HealthCode".to_owned()];
    let service = IssuerService::start(config, client, keys, store, Arc::new(record_key))
        .await
        .map_err(step("an issuer service"))?;
    let token = BackOfficeToken::load_or_create(&issuer_dir).map_err(step("a token"))?;
    Ok(Jurisdiction {
        code,
        did,
        url,
        token: token.as_str().to_owned(),
        service: Arc::new(service),
        desk: None,
        pending: Some((listener, token)),
        running: None,
    })
}
