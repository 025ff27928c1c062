//! `GET /v1/blocks/stream?from=H`: server-sent events, one `block` event per committed block
//! (header and certificate, [`BlockEvent`]) from height `H` (default: the head; the genesis
//! header, which has no certificate, is never sent): blocks already committed are replayed
//! from the store, then new ones follow as they are committed. A subscriber that falls behind
//! the live feed catches up from the store, so it never misses a height. At most
//! `max_block_streams` streams are open at once (more: `503 unavailable`).
//!
//! Replay reads each block through `LedgerStore::block`, which decodes the block's
//! transactions too (only the header, the certificate and the count are sent): the store has
//! no header-only read yet.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{OwnedSemaphorePermit, broadcast, watch};

use super::Shared;
use super::http::{HttpError, query_error};
use crosscode_did_registry::api::{ApiErrorCode, BlockEvent};
use crosscode_did_registry::ledger::LedgerStore as _;

/// `?from=`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StreamQuery {
    from: Option<String>,
}

struct Subscription {
    shared: Arc<Shared>,
    next: u64,
    live: broadcast::Receiver<Arc<BlockEvent>>,
    shutdown: watch::Receiver<bool>,
    /// Released when the stream ends.
    _permit: OwnedSemaphorePermit,
}

fn sse_event(event: &BlockEvent) -> Event {
    let data = serde_json::to_string(event).unwrap_or_default();
    Event::default()
        .event("block")
        .id(event.header.height.to_string())
        .data(data)
}

impl Subscription {
    /// The next event, or `None` when the stream ends (the node stops, or its store fails).
    async fn next_event(&mut self) -> Option<Event> {
        loop {
            if *self.shutdown.borrow() {
                return None;
            }
            if self.next <= self.shared.head().header.height {
                let store = self.shared.store.clone();
                let height = self.next;
                let committed = tokio::task::spawn_blocking(move || store.block(height))
                    .await
                    .ok()?
                    .ok()??;
                let event = BlockEvent {
                    transaction_count: u64::try_from(committed.block.transactions.len())
                        .unwrap_or(u64::MAX),
                    header: committed.block.header,
                    certificate: committed.certificate?,
                };
                self.next += 1;
                return Some(sse_event(&event));
            }
            tokio::select! {
                received = self.live.recv() => match received {
                    Ok(event) if event.header.height == self.next => {
                        self.next += 1;
                        return Some(sse_event(&event));
                    }
                    // An older block: skip it; a newer one: catch up from the store.
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return None,
                },
                changed = self.shutdown.changed() => {
                    if changed.is_err() {
                        return None;
                    }
                }
            }
        }
    }
}

pub(crate) async fn blocks_stream(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<StreamQuery>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, HttpError> {
    let Query(query) = query.map_err(query_error)?;
    let from = query
        .from
        .as_deref()
        .map(|text| {
            text.parse::<u64>().map_err(|_| {
                HttpError::api(ApiErrorCode::InvalidQuery, "from is not a block height")
            })
        })
        .transpose()?;
    let permit = Arc::clone(&shared.streams)
        .try_acquire_owned()
        .map_err(|_| {
            HttpError::api(
                ApiErrorCode::Unavailable,
                "too many block streams are open; retry later",
            )
        })?;
    // Subscribe before reading the head, so no block falls between replay and live feed.
    let live = shared.blocks.subscribe();
    let from = from.unwrap_or_else(|| shared.head().header.height);
    let subscription = Subscription {
        shutdown: shared.shutdown.clone(),
        shared,
        next: from.max(1),
        live,
        _permit: permit,
    };
    let stream = futures_util::stream::unfold(subscription, |mut subscription| async move {
        let event = subscription.next_event().await?;
        Some((Ok(event), subscription))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
