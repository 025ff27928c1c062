//! The registry node (`crosscode-registry-node`): the ledger of `crosscode-did-registry` over
//! RocksDB ([`rocks`]), block production and the HTTP API (axum).
//!
//! [`Node::start`] opens (or initialises) the chain in `data_dir/db`, starts the block
//! producer on a thread of its own (applying transactions and updating the state tree is
//! synchronous, CPU-heavy work) and serves the HTTP API on the caller's tokio runtime. With
//! [`NodeConfig::consortium`] set, blocks are decided by a consortium of validators on
//! Malachite BFT instead ([`consortium`]); everything below holds, except the drain on stop.
//!
//! - Submissions are admitted into a mempool bounded in count and bytes (strict decode,
//!   chain-id check, deduplicated by transaction hash), at most `max_concurrent_submissions`
//!   submission requests at a time. The producer takes whatever is waiting (up to
//!   `max_block_transactions`) and produces one block; what arrives meanwhile waits for the
//!   next one, so blocks batch naturally under load.
//! - With nothing to do for `heartbeat`, the producer makes an empty block (keeps proofs fresh).
//! - Each committed header and certificate is published to the `GET /v1/blocks/stream`
//!   subscribers.
//! - Transaction status: pending (mempool or block in progress), committed (the store's
//!   transaction index, so it survives restarts), or rejected (a bounded in-memory map).
//! - Stopping: submissions are refused (`503 unavailable`) from the moment a stop is asked;
//!   what was admitted before is committed (the producer drains the mempool, for at most
//!   `drain_timeout`) before the store is closed. Should the producer thread end without a
//!   stop (a panic), the node refuses submissions and [`RunningNode::wait`] returns
//!   [`NodeError::ProducerStopped`].
//! - Reads that touch the store or scan the state run on tokio's blocking pool, not on the
//!   async workers.
//!
//! Logs (stderr) name heights, hashes and counts only: there is no personal data on chain.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod consortium;
pub(crate) mod http;
mod issuers;
mod mempool;
mod producer;
pub mod rocks;
mod store;
mod stream;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crosscode_core::keys::SecretKey;
use tokio::sync::{Notify, RwLock, Semaphore, broadcast, watch};

use crate::consortium::ConsortiumConfig;
use crate::rocks::{RocksOptions, RocksStore};
use crosscode_did_registry::api::{BlockEvent, IssuerEntry};
use crosscode_did_registry::block::Header;
use crosscode_did_registry::genesis::Genesis;
use crosscode_did_registry::ledger::{Ledger, LedgerError, MAX_BLOCK_TRANSACTIONS};
use crosscode_did_registry::ordering::{OrderingError, chain_key};
use crosscode_did_registry::records::ChainConfig;
use crosscode_did_registry::tree::TreeError;
use crosscode_did_registry::validators::ValidatorSet;

pub use http::{OPENAPI_JSON, ROUTES};
pub use store::SharedStore;

use mempool::Mempool;

/// Default listen address of `crosscode node`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8700";
/// Rejected transaction statuses kept in memory (the oldest are forgotten first).
pub const REJECTED_STATUSES_KEPT: usize = 100_000;

/// The node's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConfig {
    /// Where the node keeps its data (`db/` holds the RocksDB store).
    pub data_dir: PathBuf,
    /// The HTTP listen address (port 0: any free port, see [`RunningNode::local_addr`]).
    pub listen: SocketAddr,
    /// How long without transactions before an empty heartbeat block.
    pub heartbeat: Duration,
    /// Most transactions in one block.
    pub max_block_transactions: usize,
    /// Largest request body accepted (bytes).
    pub max_body_bytes: usize,
    /// Most transactions waiting in the mempool.
    pub mempool_capacity: usize,
    /// Most bytes (canonical encodings) of the transactions waiting in the mempool.
    pub mempool_bytes: usize,
    /// Most submission requests (`POST /v1/tx`, `POST /v1/txs`) handled at once; more wait
    /// (without their bodies being read) until one finishes.
    pub max_concurrent_submissions: usize,
    /// Most `GET /v1/blocks/stream` streams open at once; more get `503 unavailable`.
    pub max_block_streams: usize,
    /// How long a stopping node keeps producing blocks of the transactions it admitted before
    /// the stop (what is left after it is not committed). Solo mode only.
    pub drain_timeout: Duration,
    /// `None`: the node orders blocks alone (solo). `Some`: it is one validator of a
    /// consortium chain on Malachite BFT ([`consortium`]); `heartbeat` is then how long a
    /// proposer with nothing to propose waits for transactions.
    pub consortium: Option<ConsortiumConfig>,
}

impl NodeConfig {
    /// The defaults for a node keeping its data in `data_dir` and listening on `listen`:
    /// 5 s heartbeat, blocks of up to 20,000 transactions, 32 MiB bodies, a mempool of 200,000
    /// transactions and 256 MiB, 16 submission requests at once, 256 block streams, 30 s to
    /// drain the mempool when stopping.
    pub fn new(data_dir: PathBuf, listen: SocketAddr) -> Self {
        Self {
            data_dir,
            listen,
            heartbeat: Duration::from_secs(5),
            max_block_transactions: 20_000,
            max_body_bytes: 32 * 1024 * 1024,
            mempool_capacity: 200_000,
            mempool_bytes: 256 * 1024 * 1024,
            max_concurrent_submissions: 16,
            max_block_streams: 256,
            drain_timeout: Duration::from_secs(30),
            consortium: None,
        }
    }

    fn check(&self) -> Result<(), NodeError> {
        if self.heartbeat.is_zero() {
            return Err(NodeError::Config("heartbeat must be positive"));
        }
        if self.max_block_transactions == 0 || self.max_block_transactions > MAX_BLOCK_TRANSACTIONS
        {
            return Err(NodeError::Config(
                "max_block_transactions must be between 1 and 100000",
            ));
        }
        if self.max_body_bytes == 0 {
            return Err(NodeError::Config("max_body_bytes must be positive"));
        }
        if self.mempool_capacity == 0 || self.mempool_bytes == 0 {
            return Err(NodeError::Config(
                "mempool_capacity and mempool_bytes must be positive",
            ));
        }
        if self.max_concurrent_submissions == 0 || self.max_block_streams == 0 {
            return Err(NodeError::Config(
                "max_concurrent_submissions and max_block_streams must be positive",
            ));
        }
        Ok(())
    }
}

/// Why the node could not start (or stopped).
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// A setting is out of range.
    #[error("invalid node configuration: {0}")]
    Config(&'static str),
    /// The data directory cannot be created.
    #[error("cannot create the data directory: {0}")]
    DataDir(#[source] std::io::Error),
    /// The store cannot be opened.
    #[error("cannot open the store: {0}")]
    Store(#[from] TreeError),
    /// The chain cannot be opened or started (e.g. the store holds another chain).
    #[error("cannot open the chain: {0}")]
    Ledger(#[from] LedgerError),
    /// The validator key cannot produce blocks for this chain.
    #[error("the validator key cannot sign this chain's blocks: {0}")]
    Validator(#[from] OrderingError),
    /// The listen address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The block producer thread cannot be started.
    #[error("cannot start the block producer: {0}")]
    Producer(#[source] std::io::Error),
    /// A task of the node failed.
    #[error("node task failed: {0}")]
    Task(String),
    /// The block producer stopped without a stop being asked for (it panicked, or the
    /// consensus engine ended).
    #[error("the block producer stopped")]
    ProducerStopped,
    /// The consensus engine could not start.
    #[error("cannot start the consensus engine: {0}")]
    Engine(String),
}

/// The head as last committed, readable without the ledger lock.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    pub(crate) header: Header,
    pub(crate) hash: [u8; 32],
    /// The validator set that signs the next block.
    pub(crate) validators: ValidatorSet,
    /// The admitted issuers, by DID.
    pub(crate) issuers: Arc<Vec<IssuerEntry>>,
}

/// What the HTTP handlers and the producer share.
pub(crate) struct Shared {
    pub(crate) config: ChainConfig,
    pub(crate) node: NodeConfig,
    pub(crate) ledger: RwLock<Ledger<SharedStore>>,
    pub(crate) store: SharedStore,
    pub(crate) head: std::sync::RwLock<Head>,
    pub(crate) mempool: Mutex<Mempool>,
    pub(crate) wake: Condvar,
    pub(crate) blocks: broadcast::Sender<Arc<BlockEvent>>,
    /// Set (under the mempool lock) when a stop is asked: submissions are refused.
    pub(crate) stopping: AtomicBool,
    /// Set when the producer thread ended without a stop being asked for.
    pub(crate) producer_failed: AtomicBool,
    /// Notified when the producer thread ends.
    pub(crate) producer_exit: Notify,
    /// Permits of the submission requests being handled.
    pub(crate) submissions: Semaphore,
    /// Permits of the open block streams.
    pub(crate) streams: Arc<Semaphore>,
    pub(crate) shutdown: watch::Receiver<bool>,
}

impl Shared {
    pub(crate) fn head(&self) -> Head {
        match self.head.read() {
            Ok(head) => head.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub(crate) fn lock_mempool(&self) -> std::sync::MutexGuard<'_, Mempool> {
        match self.mempool.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.load(AtomicOrdering::SeqCst)
    }

    /// Asks the producer to stop: closes the mempool and sets `stopping` under the mempool
    /// lock, then wakes the producer (which checks under the same lock before it waits, so
    /// the wake-up cannot be lost).
    pub(crate) fn request_stop(&self) {
        let mut pool = self.lock_mempool();
        pool.close();
        self.stopping.store(true, AtomicOrdering::SeqCst);
        drop(pool);
        self.wake.notify_all();
    }
}

/// The registry node.
#[derive(Debug)]
pub struct Node;

impl Node {
    /// Starts a node of the chain of `genesis` signing blocks with `validator_key`: opens or
    /// initialises the store in `config.data_dir/db`, starts the block producer and serves
    /// the HTTP API on `config.listen` (on the caller's tokio runtime).
    pub async fn start(
        genesis: &Genesis,
        validator_key: SecretKey,
        config: NodeConfig,
    ) -> Result<RunningNode, NodeError> {
        config.check()?;
        let db_dir = config.data_dir.join("db");
        std::fs::create_dir_all(&db_dir).map_err(NodeError::DataDir)?;
        let genesis = genesis.clone();
        let (ledger, issuers) = tokio::task::spawn_blocking(move || {
            let store = SharedStore::new(RocksStore::open(&db_dir, RocksOptions::default())?);
            let ledger = Ledger::open_or_init(&genesis, store)?;
            let issuers = issuers::scan_issuers(ledger.state()).map_err(LedgerError::Corrupt)?;
            Ok::<_, NodeError>((ledger, issuers))
        })
        .await
        .map_err(|e| NodeError::Task(e.to_string()))??;
        let chain = ledger.config().clone();
        let validators = ledger.validators()?;
        if config.consortium.is_some() && validator_key.algorithm() != chain.profile.key_algorithm()
        {
            return Err(NodeError::Config(
                "the validator key is not of the chain's algorithm",
            ));
        }
        let own = chain_key(chain.profile, &validator_key);
        let validator = validators.validators().iter().find(|v| v.key == own);
        match (&config.consortium, validator) {
            (None, None) => return Err(OrderingError::NotAValidator.into()),
            (None, Some(validator))
                if u128::from(validator.power) * 3 <= u128::from(validators.total_power()) * 2 =>
            {
                return Err(OrderingError::InsufficientPower.into());
            }
            (Some(_), None) => tracing::warn!(
                "node: this key is not in the validator set; following the chain without \
                 voting until a governance vote adds it"
            ),
            _ => {}
        }
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| NodeError::Listen {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| NodeError::Listen {
            addr: config.listen,
            source,
        })?;
        let head = ledger.head().clone();
        let head_hash = head.hash(chain.profile);
        let store = ledger.store().clone();
        let (blocks, _) = broadcast::channel(1024);
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            mempool: Mutex::new(Mempool::new(
                config.mempool_capacity,
                config.mempool_bytes,
                REJECTED_STATUSES_KEPT,
            )),
            submissions: Semaphore::new(config.max_concurrent_submissions),
            streams: Arc::new(Semaphore::new(config.max_block_streams)),
            config: chain,
            node: config,
            ledger: RwLock::new(ledger),
            store,
            head: std::sync::RwLock::new(Head {
                header: head,
                hash: head_hash,
                validators,
                issuers: Arc::new(issuers),
            }),
            wake: Condvar::new(),
            blocks,
            stopping: AtomicBool::new(false),
            producer_failed: AtomicBool::new(false),
            producer_exit: Notify::new(),
            shutdown: shutdown_rx,
        });
        let producer = match shared.node.consortium.clone() {
            None => Producer::Thread(producer::spawn(Arc::clone(&shared), validator_key)?),
            Some(consortium) => Producer::Task(
                consortium::start(Arc::clone(&shared), validator_key, consortium).await?,
            ),
        };
        let app = http::router(Arc::clone(&shared));
        let mut server_shutdown = shared.shutdown.clone();
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = server_shutdown.wait_for(|stop| *stop).await;
                })
                .await
        });
        tracing::info!(
            chain = %shared.config.chain_id,
            height = shared.head().header.height,
            listen = %addr,
            "node: started"
        );
        Ok(RunningNode {
            addr,
            shared,
            server: Some(server),
            producer: Some(producer),
            shutdown: shutdown_tx,
        })
    }
}

/// What orders blocks: the solo producer's thread or the consortium engine's task.
enum Producer {
    Thread(std::thread::JoinHandle<()>),
    Task(tokio::task::JoinHandle<()>),
}

/// A started node.
pub struct RunningNode {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    producer: Option<Producer>,
    shutdown: watch::Sender<bool>,
}

impl std::fmt::Debug for RunningNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningNode")
            .field("addr", &self.addr)
            .field("chain_id", &self.shared.config.chain_id)
            .finish()
    }
}

impl RunningNode {
    /// The address the HTTP API listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The chain configuration.
    pub fn chain(&self) -> &ChainConfig {
        &self.shared.config
    }

    /// The latest committed header.
    pub fn head(&self) -> Header {
        self.shared.head().header
    }

    /// Stops the node: no new submissions; the transactions admitted before are committed
    /// (within `drain_timeout`); open connections and block streams are closed, and the store
    /// is closed. [`NodeError::ProducerStopped`] if the producer had stopped by itself.
    pub async fn shutdown(mut self) -> Result<(), NodeError> {
        self.stop().await
    }

    /// Runs until SIGINT (ctrl-c) or SIGTERM, until the HTTP server fails or until the block
    /// producer stops by itself ([`NodeError::ProducerStopped`]), then shuts down as
    /// [`RunningNode::shutdown`] does. The signal handlers are installed when this is first
    /// polled; to catch a signal sent earlier, install them first with [`termination_signal`]
    /// and use [`RunningNode::wait_until`].
    pub async fn wait(self) -> Result<(), NodeError> {
        self.wait_until(termination_signal()).await
    }

    /// Runs until `stop` completes, until the HTTP server fails or until the block producer
    /// stops by itself, then shuts down as [`RunningNode::shutdown`] does.
    pub async fn wait_until(
        mut self,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<(), NodeError> {
        let Some(mut server) = self.server.take() else {
            return self.stop().await;
        };
        let shared = Arc::clone(&self.shared);
        let server_result = tokio::select! {
            _ = stop => None,
            _ = shared.producer_exit.notified() => None,
            result = &mut server => Some(result),
        };
        drop(shared);
        match server_result {
            None => {
                self.server = Some(server);
                self.stop().await
            }
            Some(result) => {
                let stopped = self.stop().await;
                result
                    .map_err(|e| NodeError::Task(e.to_string()))?
                    .map_err(|e| NodeError::Task(e.to_string()))?;
                stopped
            }
        }
    }

    async fn stop(&mut self) -> Result<(), NodeError> {
        self.shared.request_stop();
        let _ = self.shutdown.send(true);
        let mut outcome = Ok(());
        if let Some(server) = self.server.take() {
            match server.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => outcome = Err(NodeError::Task(e.to_string())),
                Err(e) => outcome = Err(NodeError::Task(e.to_string())),
            }
        }
        if let Some(producer) = self.producer.take() {
            let joined = match producer {
                Producer::Thread(thread) => {
                    matches!(
                        tokio::task::spawn_blocking(move || thread.join()).await,
                        Ok(Ok(()))
                    )
                }
                Producer::Task(task) => task.await.is_ok(),
            };
            if !joined {
                self.shared
                    .producer_failed
                    .store(true, AtomicOrdering::SeqCst);
            }
        }
        if self.shared.producer_failed.load(AtomicOrdering::SeqCst) {
            outcome = Err(NodeError::ProducerStopped);
        }
        // Wait until the last request task lets go of the store, so that it is closed (and
        // its lock released) when this returns.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while Arc::strong_count(&self.shared) > 1 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tracing::info!(height = self.shared.head().header.height, "node: stopped");
        outcome
    }
}

impl Drop for RunningNode {
    fn drop(&mut self) {
        // Dropped without `shutdown`: still stop the producer and the server.
        self.shared.request_stop();
        let _ = self.shutdown.send(true);
    }
}

/// A future that completes on SIGINT or SIGTERM (ctrl-c elsewhere). On Unix the handlers are
/// installed when this is called, so a signal that arrives before the future is polled is not
/// lost. Call it inside a tokio runtime.
pub fn termination_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let terminate = signal(SignalKind::terminate());
        let interrupt = signal(SignalKind::interrupt());
        async move {
            match (terminate, interrupt) {
                (Ok(mut terminate), Ok(mut interrupt)) => {
                    tokio::select! {
                        _ = terminate.recv() => {}
                        _ = interrupt.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crosscode_did_registry::dev::DevConsortium;
    use crosscode_did_registry::profile::CryptoProfile;
    use crosscode_did_registry::transaction::{Payload, Transaction};
    use crosscode_registry_client::{ApiErrorCode, ClientError, RegistryClient};

    #[tokio::test]
    async fn a_producer_that_ends_unasked_stops_submissions_and_wakes_wait() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "crosscode-node-producer-exit-{}-{nanos}",
            std::process::id()
        ));
        let dev = DevConsortium::generate_default(CryptoProfile::Standard, 1_700_000_000).unwrap();
        let config = NodeConfig::new(dir.clone(), "127.0.0.1:0".parse().unwrap());
        let node = Node::start(&dev.genesis, dev.validator_key, config)
            .await
            .unwrap();
        let client = RegistryClient::new(&format!("http://{}", node.local_addr())).unwrap();
        let member = &dev.members[0];
        let tx = |sequence| {
            Transaction {
                chain_id: dev.genesis.chain_id.clone(),
                sender: member.did.clone(),
                key: crosscode_did_registry::dev::MEMBER_KEY_FRAGMENT.into(),
                sequence,
                payload: Payload::DidDeactivate,
            }
            .sign(&member.key)
            .unwrap()
        };
        client.submit(&tx(0)).await.unwrap();

        // What the producer thread's guard does when the thread ends without a stop being
        // asked for (a panic unwinding through `run`).
        let shared = Arc::clone(&node.shared);
        std::thread::spawn(move || drop(producer::ProducerExit { shared: &shared }))
            .join()
            .unwrap();

        // Submissions are refused; reads still answer.
        assert!(matches!(
            client.submit(&tx(1)).await,
            Err(ClientError::Api {
                status: 503,
                code: ApiErrorCode::Unavailable,
                ..
            })
        ));
        client.chain_info().await.unwrap();
        // `wait` returns (without any signal) with the typed error.
        assert!(matches!(
            node.wait_until(std::future::pending()).await,
            Err(NodeError::ProducerStopped)
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
