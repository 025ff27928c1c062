//! The gate's background sync: one [`Gate::refresh_from`] against the node, then a pause of
//! `every`, until the gate stops. A failed sync is recorded, never fatal.
//!
//! It runs on a thread of its own with a single-threaded runtime: the light client's future
//! ([`crate::sync::sync`]) keeps borrowed proof requests in flight and is not `Send`, so it
//! cannot go to the server's multi-threaded runtime.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::watch;

use super::Gate;
use crosscode_did_registry::proof::TrustedChain;
use crosscode_registry_client::RegistryClient;

/// Starts syncing `gate` from `client` under `pinned` now and then every `every`, until `stop`
/// turns true (or its sender is dropped).
pub(super) fn start(
    gate: Arc<Gate>,
    client: RegistryClient,
    pinned: TrustedChain,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<JoinHandle<()>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("gate-sync".into())
        .spawn(move || {
            runtime.block_on(async move {
                loop {
                    tokio::select! {
                        _ = gate.refresh_from(&client, &pinned) => {}
                        _ = stop.wait_for(|stop| *stop) => return,
                    }
                    tokio::select! {
                        () = tokio::time::sleep(every) => {}
                        _ = stop.wait_for(|stop| *stop) => return,
                    }
                }
            });
        })
}
