//! The **gate**: the checkpoint's web page and its small JSON API, served on loopback by
//! `crosscode checkpoint serve` (`docs/checkpoint.md`, "The gate page").
//!
//! An officer opens the page in a browser on the checkpoint's machine. Everything it needs —
//! the page, its script and style sheet — is embedded in this crate (`verifier/assets/gate/`):
//! no CDN, no external asset, the gate may be offline. The routes ([`http::ROUTES`],
//! described by `GET /openapi.json`):
//!
//! | route | answer |
//! | --- | --- |
//! | `GET /`, `GET /gate.js`, `GET /gate.css` | the page |
//! | `POST /v1/verify` `{"payload": "CC1:…"}` | 200: the [`Report`](crate::Report) as JSON (`Report::to_json`) |
//! | `POST /v1/scan` (`image/png` or `image/jpeg`: a camera frame) | 200: the report of the QR code core's one reader found in it; 422 `no-qr-code` when it holds none |
//! | `GET /v1/status` | how fresh the trust is ([`GateStatus`]) |
//! | `GET /openapi.json` | the OpenAPI 3.1 description of these routes |
//!
//! Every refusal is a 4xx with `{"error": "<code>", "message": "…"}`, the codes those of
//! [`http::GateErrorCode`]. There is one QR reader: the page's camera sends frames to
//! `/v1/scan`, where [`Verifier::verify_image`] reads them with
//! `crosscode_core::envelope::qr_image`.
//!
//! The trust is the checkpoint's synced cache ([`ChainTrust`], loaded from `DIR` at start).
//! With a node and the pinned validators ([`RefreshConfig`]), a background task syncs every
//! `every` ([`crate::sync::sync`], the light client): a sync that succeeds is written to `DIR`
//! first and only then swapped in; a sync that fails — node unreachable, an answer refused, the
//! cache not writable — leaves the verifier as it was and is reported in `lastSync`. The gate
//! never logs a payload, an image or a claim.

pub mod http;
mod refresh;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::chain_trust::ChainTrust;
use crate::chain_trust::file::CacheFileError;
use crate::format::cc1::{Cc1, PresentationPolicy};
use crate::sync::{ChainSource, SyncError};
use crate::{TrustStore, Verifier};
use crosscode_did_registry::proof::TrustedChain;
use crosscode_registry_client::{ClientError, RegistryClient};

/// The address the gate listens on by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7780";

/// How often the gate syncs by default.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(30);

/// What a gate serves and from where it refreshes its trust.
#[derive(Debug, Clone)]
pub struct GateConfig {
    /// The checkpoint's cache directory (`crosscode checkpoint sync --cache DIR`).
    pub cache_dir: PathBuf,
    /// The loopback address to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// What the checkpoint demands of the codes (audience, dynamic codes only, oldest trust).
    pub policy: PresentationPolicy,
    /// The background sync, if any.
    pub refresh: Option<RefreshConfig>,
}

/// The background sync of a gate: the node, the pinned validator set, how often.
#[derive(Debug, Clone)]
pub struct RefreshConfig {
    /// The registry node's URL (`http://host:port`).
    pub node: String,
    /// The validator set the checkpoint pinned (`validators.json`).
    pub pinned: TrustedChain,
    /// The time between the end of one sync and the start of the next.
    pub every: Duration,
}

/// Why a gate cannot start.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// The cache directory cannot be used (altered, unreadable, or never synced and no node to
    /// sync from).
    #[error("the cache in {dir} cannot be used: {source}")]
    Cache {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: CacheFileError,
    },
    /// The listen address is not a loopback address: the page shows the claims holders
    /// disclose and has no login, so it is served to this machine only.
    #[error("the gate listens on loopback only (127.0.0.1, ::1), not {address}")]
    NotLoopback {
        /// The address asked for.
        address: SocketAddr,
    },
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The node URL is not usable.
    #[error("the node URL: {0}")]
    Node(#[from] ClientError),
    /// The background sync's thread could not be started.
    #[error("cannot start the background sync: {0}")]
    Refresh(std::io::Error),
}

/// The outcome of the last background sync (`lastSync` in `GET /v1/status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncRecord {
    /// When the sync ended (RFC 3339).
    pub at: String,
    /// Whether it succeeded (its trust is the one in force).
    pub succeeded: bool,
    /// The height of the trust in force after it (`None`: no trust yet).
    pub height: Option<u64>,
    /// Why it failed (`None` when it succeeded); the trust in force stayed as it was.
    pub error: Option<String>,
}

/// How fresh the gate's trust is (`GET /v1/status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GateStatus {
    /// The chain the trust is of (`None`: not synced yet).
    pub chain_id: Option<String>,
    /// The synced height.
    pub height: Option<u64>,
    /// The synced header's time (RFC 3339): the status entries are as of this instant.
    pub time: Option<String>,
    /// The admitted authorities.
    pub authorities: usize,
    /// The status entries (revoked or suspended credentials).
    pub status_entries: usize,
    /// The last background sync (`None`: none has ended yet, or there is no node).
    pub last_sync: Option<SyncRecord>,
}

/// The gate's shared state: the verifier in force and the outcome of the last sync.
#[derive(Debug)]
pub struct Gate {
    verifier: RwLock<Arc<Verifier>>,
    last_sync: RwLock<Option<SyncRecord>>,
    /// The CC1 format with the checkpoint's policy: one instance, so the codes it has seen
    /// (replay refusal) are remembered across trust swaps.
    cc1: Cc1,
    cache_dir: PathBuf,
}

impl Gate {
    /// A gate over the cache in `cache_dir`; with `may_start_empty` (a node to sync from) a
    /// directory never synced is allowed, and CC1 codes are refused until the first sync.
    pub fn open(
        cache_dir: PathBuf,
        policy: PresentationPolicy,
        may_start_empty: bool,
    ) -> Result<Gate, GateError> {
        let chain = match ChainTrust::load(&cache_dir) {
            Ok(chain) => Some(chain),
            Err(CacheFileError::NotSynced { .. }) if may_start_empty => None,
            Err(source) => {
                return Err(GateError::Cache {
                    dir: cache_dir,
                    source,
                });
            }
        };
        // A gate remembers what it saw: a dynamic code shown twice in its slot is refused.
        let cc1 = Cc1::with_policy(PresentationPolicy {
            refuse_replays: true,
            ..policy
        });
        Ok(Gate {
            verifier: RwLock::new(Arc::new(verifier_of(chain, &cc1))),
            last_sync: RwLock::new(None),
            cc1,
            cache_dir,
        })
    }

    /// The verifier in force (a sync swaps it; a verification holds the one it started with).
    pub fn verifier(&self) -> Arc<Verifier> {
        Arc::clone(&self.verifier.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// How fresh the trust is.
    pub fn status(&self) -> GateStatus {
        let verifier = self.verifier();
        let chain = verifier.chain_trust();
        GateStatus {
            chain_id: chain.map(|chain| chain.chain.chain_id.clone()),
            height: chain.map(ChainTrust::height),
            time: chain.and_then(ChainTrust::as_of).and_then(rfc3339),
            authorities: chain.map_or(0, |chain| chain.issuers.len()),
            status_entries: chain.map_or(0, ChainTrust::status_count),
            last_sync: self
                .last_sync
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        }
    }

    /// Syncs once from `source` under `pinned` (see the module documentation): on success the
    /// new trust is written to the cache directory, then swapped in; on failure the trust in
    /// force stays. The outcome is recorded for `GET /v1/status` and returned.
    pub async fn refresh_from<S: ChainSource>(
        &self,
        source: &S,
        pinned: &TrustedChain,
    ) -> SyncRecord {
        let current = self.verifier();
        let previous = current.chain_trust();
        let outcome = match crate::sync::sync(source, pinned, previous, &mut |_| {}).await {
            Ok((trust, _)) if previous == Some(&trust) => Ok(trust.height()),
            Ok((trust, _)) => self.save_and_install(trust).await,
            Err(error) => Err(RefreshError::Sync(error)),
        };
        let record = match outcome {
            Ok(height) => {
                tracing::info!(height, "gate: trust synced");
                SyncRecord {
                    at: now_rfc3339(),
                    succeeded: true,
                    height: Some(height),
                    error: None,
                }
            }
            Err(error) => {
                let height = previous.map(ChainTrust::height);
                tracing::warn!(
                    in_force = ?height,
                    error = %error,
                    "gate: sync failed, the trust in force stays"
                );
                SyncRecord {
                    at: now_rfc3339(),
                    succeeded: false,
                    height,
                    error: Some(error.to_string()),
                }
            }
        };
        *self
            .last_sync
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(record.clone());
        record
    }

    /// Writes `trust` to the cache directory (off the async workers), then swaps in a
    /// verifier over it: what the gate serves is what is on disk.
    async fn save_and_install(&self, trust: ChainTrust) -> Result<u64, RefreshError> {
        let dir = self.cache_dir.clone();
        let trust = tokio::task::spawn_blocking(move || trust.save(&dir).map(|()| trust))
            .await
            .map_err(|error| RefreshError::Interrupted(error.to_string()))?
            .map_err(RefreshError::Save)?;
        let height = trust.height();
        let verifier = Arc::new(verifier_of(Some(trust), &self.cc1));
        *self
            .verifier
            .write()
            .unwrap_or_else(PoisonError::into_inner) = verifier;
        Ok(height)
    }
}

/// Why a background sync changed nothing.
#[derive(Debug, thiserror::Error)]
enum RefreshError {
    /// The sync was refused or the node could not be reached.
    #[error("{0}")]
    Sync(SyncError),
    /// The synced trust could not be written to the cache directory.
    #[error("cannot write the cache: {0}")]
    Save(CacheFileError),
    /// The task writing the cache did not finish.
    #[error("the cache writer stopped: {0}")]
    Interrupted(String),
}

/// A verifier with the checkpoint's CC1 format over `chain` (none: CC1 codes are refused,
/// their authorities unknown).
fn verifier_of(chain: Option<ChainTrust>, cc1: &Cc1) -> Verifier {
    let verifier = Verifier::new(TrustStore::new()).with_format(Box::new(cc1.clone()));
    match chain {
        Some(chain) => verifier.with_chain_trust(chain),
        None => verifier,
    }
}

fn rfc3339(time: OffsetDateTime) -> Option<String> {
    time.format(&Rfc3339).ok()
}

fn now_rfc3339() -> String {
    rfc3339(OffsetDateTime::now_utc()).unwrap_or_default()
}

/// A gate serving on loopback (and syncing in the background when configured).
#[derive(Debug)]
pub struct RunningGate {
    local_addr: SocketAddr,
    gate: Arc<Gate>,
    stop: tokio::sync::watch::Sender<bool>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    refresh: Option<std::thread::JoinHandle<()>>,
}

impl RunningGate {
    /// Opens the cache, binds the loopback address and starts serving (and the background sync,
    /// whose first run starts at once). Call within a tokio runtime.
    pub async fn start(config: GateConfig) -> Result<RunningGate, GateError> {
        if !config.listen.ip().is_loopback() {
            return Err(GateError::NotLoopback {
                address: config.listen,
            });
        }
        let client = match &config.refresh {
            Some(refresh) => Some(RegistryClient::new(&refresh.node)?),
            None => None,
        };
        let gate = Arc::new(Gate::open(
            config.cache_dir,
            config.policy,
            config.refresh.is_some(),
        )?);
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| GateError::Listen {
                address: config.listen,
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| GateError::Listen {
            address: config.listen,
            source,
        })?;
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let app = http::router(Arc::clone(&gate));
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                })
                .await
        });
        let refresh = match config.refresh.zip(client) {
            Some((refresh, client)) => Some(
                refresh::start(
                    Arc::clone(&gate),
                    client,
                    refresh.pinned,
                    refresh.every,
                    stop.subscribe(),
                )
                .map_err(GateError::Refresh)?,
            ),
            None => None,
        };
        Ok(RunningGate {
            local_addr,
            gate,
            stop,
            server,
            refresh,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Its base URL (`http://ADDR`).
    pub fn url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// The shared state (its status, its verifier).
    pub fn gate(&self) -> &Arc<Gate> {
        &self.gate
    }

    /// Serves until `signal` completes, then stops.
    pub async fn wait_until(self, signal: impl Future<Output = ()>) -> std::io::Result<()> {
        signal.await;
        self.stop().await
    }

    /// Stops the background sync and the server (requests in flight finish) and waits for
    /// both.
    pub async fn stop(self) -> std::io::Result<()> {
        let _ = self.stop.send(true);
        let served = match self.server.await {
            Ok(outcome) => outcome,
            Err(error) => Err(std::io::Error::other(error.to_string())),
        };
        if let Some(refresh) = self.refresh {
            tokio::task::spawn_blocking(move || refresh.join())
                .await
                .map_err(|error| std::io::Error::other(error.to_string()))?
                .map_err(|_| std::io::Error::other("the background sync panicked"))?;
        }
        served
    }
}
