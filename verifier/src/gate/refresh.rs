//! The gate's background sync: one [`Gate::refresh_from`] against the node, then a pause of
//! `every`, forever (until the task is aborted when the gate stops). A failed sync is recorded,
//! never fatal.

use std::sync::Arc;
use std::time::Duration;

use super::Gate;
use crosscode_did_registry::proof::TrustedChain;
use crosscode_registry_client::RegistryClient;

/// Syncs `gate` from `client` under `pinned` now and then every `every`.
pub(super) async fn run(
    gate: Arc<Gate>,
    client: RegistryClient,
    pinned: TrustedChain,
    every: Duration,
) {
    loop {
        gate.refresh_from(&client, &pinned).await;
        tokio::time::sleep(every).await;
    }
}
