//! Consortium ordering: the registry chain decided by several validators — one per government
//! — on Malachite BFT (`arc-malachitebft-app-channel`, pinned at 0.8.2), in place of the solo
//! producer. The state machine, the store and the proofs do not change: a block is decided
//! with a commit certificate of more than 2/3 of the voting power in the format solo mode
//! writes (`crosscode_did_registry::vote`), and committed with it in one RocksDB batch.
//!
//! - **Network**: the engine's libp2p network on `p2p_listen` (TCP, Noise), dialling `peers`
//!   (no discovery). Inbound connections are not restricted to the peers listed: every
//!   message is checked (votes and proposals by the engine, parts here, synced blocks by their
//!   certificates), so a stranger can cost bandwidth and checks, not safety. The network key is derived from the validator key
//!   (`SHA-256("crosscode-p2p-key-v1" ‖ 0x00 ‖ secret key)` as an Ed25519 seed); a signed
//!   validator proof binds it to the chain key. A node whose key is not (yet) in the validator
//!   set follows the chain without voting until a governance vote adds it.
//! - **Proposing** (`app.rs`): the round's proposer takes what waits in its own mempool (or,
//!   after waiting up to the node's `heartbeat` for transactions, nothing: an empty block),
//!   builds the block without committing it, keeps it on disk before it answers (a restarted
//!   validator proposes the same block for the same height and round), and streams it as one
//!   signed part ([`crosscode_registry_consensus::BlockPart`]).
//! - **Validating**: every validator checks a part's signature by the round's proposer, then
//!   re-executes the block against its state (`Ledger::check_block`: transactions root, state
//!   root, validator sets, header) and refuses a block timed more than
//!   [`MAX_CLOCK_SKEW_SECS`] ahead of its clock; the engine hears `Invalid` and prevotes nil.
//! - **Deciding**: the engine's certificate becomes the registry's and the block is applied
//!   with it; a validator that missed the block gets it through the engine's value sync (from
//!   any peer's store) and applies it the same way. The engine's write-ahead log lives in
//!   `data_dir/consensus/`.
//!
//! Transactions stay in the mempool of the validator they were submitted to until it
//! proposes; a client that wants the next block submits to several (duplicates are dropped).

mod app;
mod codec;
mod values;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arc_malachitebft_app_channel::app::config::{
    ConsensusConfig, DiscoveryConfig, NodeConfig as EngineNodeConfig, P2pConfig, ValueSyncConfig,
};
use arc_malachitebft_app_channel::app::types::Keypair;
use arc_malachitebft_app_channel::app::types::codec::Codec;
use arc_malachitebft_app_channel::app::types::core::LinearTimeouts;
use arc_malachitebft_app_channel::{
    ConsensusContext, NetworkContext, NetworkIdentity, RequestContext, Signer, SyncContext,
    WalContext, start_engine,
};
use crosscode_core::keys::SecretKey;
use crosscode_did_registry::codec::Encode;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_registry_consensus::{ChainSigner, ChainVerifier, RegistryContext};

use super::{NodeError, Shared};

pub use codec::{CodecError, RegistryCodec};

/// Most seconds a proposed block's time may be ahead of a validator's clock.
pub const MAX_CLOCK_SKEW_SECS: u64 = 30;

/// Domain tag of the network key derivation.
const P2P_KEY_DOMAIN: &[u8] = b"crosscode-p2p-key-v1\0";

/// Largest gossip message and sync response (a block travels in its proposal and its part).
const MAX_MESSAGE_BYTES: u64 = 64 * 1024 * 1024;

/// How a validator takes part in a consortium chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsortiumConfig {
    /// Where its peer-to-peer network listens (TCP).
    pub p2p_listen: SocketAddr,
    /// The other validators' peer-to-peer addresses.
    pub peers: Vec<SocketAddr>,
    /// The engine's round timeouts (propose, prevote, precommit, their growth per round).
    pub timeouts: LinearTimeouts,
}

impl ConsortiumConfig {
    /// A validator listening on `p2p_listen` and dialling `peers`, with Malachite's default
    /// timeouts (propose 3 s, prevote and precommit 1 s, each +0.5 s per round).
    pub fn new(p2p_listen: SocketAddr, peers: Vec<SocketAddr>) -> ConsortiumConfig {
        ConsortiumConfig {
            p2p_listen,
            peers,
            timeouts: LinearTimeouts::default(),
        }
    }
}

/// The engine's configuration (Malachite's `NodeConfig`).
#[derive(Debug, Clone)]
struct EngineConfig {
    moniker: String,
    consensus: ConsensusConfig,
    value_sync: ValueSyncConfig,
}

impl EngineNodeConfig for EngineConfig {
    fn moniker(&self) -> &str {
        &self.moniker
    }

    fn consensus(&self) -> &ConsensusConfig {
        &self.consensus
    }

    fn consensus_mut(&mut self) -> &mut ConsensusConfig {
        &mut self.consensus
    }

    fn value_sync(&self) -> &ValueSyncConfig {
        &self.value_sync
    }

    fn value_sync_mut(&mut self) -> &mut ValueSyncConfig {
        &mut self.value_sync
    }
}

fn multiaddr(
    addr: SocketAddr,
) -> Result<arc_malachitebft_app_channel::app::engine::network::Multiaddr, NodeError> {
    let text = match addr.ip() {
        IpAddr::V4(ip) => format!("/ip4/{ip}/tcp/{}", addr.port()),
        IpAddr::V6(ip) => format!("/ip6/{ip}/tcp/{}", addr.port()),
    };
    text.parse()
        .map_err(|_| NodeError::Config("a peer-to-peer address is not a TCP address"))
}

fn engine_config(
    moniker: String,
    consortium: &ConsortiumConfig,
) -> Result<EngineConfig, NodeError> {
    let mut p2p = P2pConfig {
        listen_addr: multiaddr(consortium.p2p_listen)?,
        persistent_peers: consortium
            .peers
            .iter()
            .map(|peer| multiaddr(*peer))
            .collect::<Result<_, _>>()?,
        discovery: DiscoveryConfig {
            enabled: false,
            ..DiscoveryConfig::default()
        },
        ..P2pConfig::default()
    };
    p2p.pubsub_max_size = bytesize(MAX_MESSAGE_BYTES);
    p2p.rpc_max_size = bytesize(MAX_MESSAGE_BYTES);
    let consensus = ConsensusConfig {
        p2p,
        ..ConsensusConfig::default()
    };
    let value_sync = ValueSyncConfig {
        max_response_size: bytesize(MAX_MESSAGE_BYTES),
        status_update_interval: Duration::from_secs(1),
        request_timeout: Duration::from_secs(5),
        ..ValueSyncConfig::default()
    };
    Ok(EngineConfig {
        moniker,
        consensus,
        value_sync,
    })
}

fn bytesize(bytes: u64) -> bytesize::ByteSize {
    bytesize::ByteSize::b(bytes)
}

/// The validator's network key (see the module docs).
fn network_keypair(key: &SecretKey) -> Result<Keypair, NodeError> {
    let secret = key.to_bytes();
    let mut seed = CryptoProfile::Standard.hash(&[P2P_KEY_DOMAIN, &secret]);
    Keypair::ed25519_from_bytes(&mut seed)
        .map_err(|_| NodeError::Config("cannot derive the network key"))
}

/// Starts the engine and the task that answers it; the task ends when the node stops (or the
/// engine fails).
pub(crate) async fn start(
    shared: Arc<Shared>,
    key: SecretKey,
    consortium: ConsortiumConfig,
) -> Result<tokio::task::JoinHandle<()>, NodeError> {
    let ctx = RegistryContext::new(&shared.config.chain_id, shared.config.profile);
    let keypair = network_keypair(&key)?;
    let signer = ChainSigner::new(&ctx, key)
        .map_err(|_| NodeError::Config("the validator key is not of the chain's algorithm"))?;
    let peer_id = keypair.public().to_peer_id().to_bytes();
    let proof = signer
        .sign_validator_proof(signer.public_key().to_bytes(), peer_id)
        .await
        .map_err(|e| NodeError::Engine(format!("validator proof: {e:?}")))?;
    let proof_bytes = RegistryCodec
        .encode(&proof)
        .map_err(|e| NodeError::Engine(e.to_string()))?;
    let address = signer.address();
    let identity = NetworkIdentity::new_validator(
        address.to_string(),
        keypair,
        address.to_string(),
        proof_bytes,
    );
    let wal_dir: PathBuf = shared.node.data_dir.join("consensus");
    std::fs::create_dir_all(&wal_dir).map_err(NodeError::DataDir)?;
    let config = engine_config(address.to_string(), &consortium)?;
    let (channels, engine) = start_engine(
        ctx.clone(),
        config,
        WalContext::new(wal_dir.join("consensus.wal"), RegistryCodec),
        NetworkContext::new(identity, RegistryCodec),
        ConsensusContext::new_validator(
            address,
            Box::new(ChainVerifier::new(&ctx)),
            Box::new(signer.clone()),
        ),
        SyncContext::new(RegistryCodec),
        RequestContext::new(100),
    )
    .await
    .map_err(|e| NodeError::Engine(e.to_string()))?;
    let values = values::Values::open(wal_dir.join("proposals")).map_err(NodeError::DataDir)?;
    let app = app::Consortium::new(shared, ctx, signer, consortium.timeouts, values);
    Ok(tokio::spawn(app.run(channels, engine)))
}
