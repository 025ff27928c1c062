//! A [`TrustFollower`] keeps a [`ChainTrust`] synced for a service that must decide on the
//! chain's **current** state — a converting authority checking that a credential is not
//! revoked *now* — rather than on a cache synced now and then.
//!
//! [`TrustFollower::fresh`] answers a trust synced by a sync that **started after the call**:
//! requests that arrive while a sync runs wait for the next one, and one sync answers every
//! request waiting when it starts (so 100 concurrent requests cost one or two incremental
//! syncs, not 100). A failed sync answers its waiting requests with the error and keeps the
//! previous trust for the next. The syncs run on a thread of their own with a single-threaded
//! runtime: the light client's future ([`super::sync`]) is not `Send`.

use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};

use super::{ChainSource, sync};
use crate::chain_trust::ChainTrust;
use crosscode_did_registry::proof::TrustedChain;

/// Why no fresh trust could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FollowError {
    /// The sync was refused (the node unreachable, or its answers did not verify).
    #[error("sync with the chain failed: {0}")]
    Sync(String),
    /// The follower stopped.
    #[error("the chain follower stopped")]
    Stopped,
}

type Waiter = oneshot::Sender<Result<Arc<ChainTrust>, FollowError>>;

/// Syncs a [`ChainTrust`] on demand (see the module documentation).
#[derive(Debug)]
pub struct TrustFollower {
    requests: Option<mpsc::UnboundedSender<Waiter>>,
    latest: Arc<Mutex<Option<Arc<ChainTrust>>>>,
    thread: Option<JoinHandle<()>>,
}

impl TrustFollower {
    /// Starts following the chain of `source` under `pinned`, from `initial` (or genesis).
    pub fn start<S: ChainSource + Send + 'static>(
        source: S,
        pinned: TrustedChain,
        initial: Option<ChainTrust>,
    ) -> std::io::Result<TrustFollower> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (requests, mut incoming) = mpsc::unbounded_channel::<Waiter>();
        let latest = Arc::new(Mutex::new(initial.map(Arc::new)));
        let shared = latest.clone();
        let thread = std::thread::Builder::new()
            .name("trust-follower".into())
            .spawn(move || {
                runtime.block_on(async move {
                    while let Some(first) = incoming.recv().await {
                        let mut waiting = vec![first];
                        while let Ok(more) = incoming.try_recv() {
                            waiting.push(more);
                        }
                        let previous = shared
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .clone();
                        let outcome =
                            match sync(&source, &pinned, previous.as_deref(), &mut |_| {}).await {
                                Ok((trust, _)) => {
                                    let trust = Arc::new(trust);
                                    *shared.lock().unwrap_or_else(PoisonError::into_inner) =
                                        Some(trust.clone());
                                    Ok(trust)
                                }
                                Err(error) => Err(FollowError::Sync(error.to_string())),
                            };
                        for waiter in waiting {
                            // A requester that went away no longer needs the answer.
                            let _ = waiter.send(outcome.clone());
                        }
                    }
                });
            })?;
        Ok(TrustFollower {
            requests: Some(requests),
            latest,
            thread: Some(thread),
        })
    }

    /// A trust synced by a sync that started after this call.
    pub async fn fresh(&self) -> Result<Arc<ChainTrust>, FollowError> {
        let (waiter, answer) = oneshot::channel();
        self.requests
            .as_ref()
            .ok_or(FollowError::Stopped)?
            .send(waiter)
            .map_err(|_| FollowError::Stopped)?;
        answer.await.map_err(|_| FollowError::Stopped)?
    }

    /// The last trust synced (or the initial one), without syncing.
    pub fn latest(&self) -> Option<Arc<ChainTrust>> {
        self.latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for TrustFollower {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop after the sync in progress.
        self.requests = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
