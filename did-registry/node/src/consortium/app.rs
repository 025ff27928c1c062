//! The application side of the engine: answers every message Malachite sends (see
//! `AppMsg`) with the ledger, the mempool and the values store.

use std::collections::HashSet;
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_malachitebft_app_channel::app::engine::host::{HeightParams, Next, SyncedValueOutcome};
use arc_malachitebft_app_channel::app::streaming::{StreamContent, StreamId, StreamMessage};
use arc_malachitebft_app_channel::app::types::core::{
    CommitCertificate, Context, ExtendedCommitCertificate, LinearTimeouts, Round, Validity, Value,
    VoteExtensions,
};
use arc_malachitebft_app_channel::app::types::sync::RawDecidedValue;
use arc_malachitebft_app_channel::app::types::{LocallyProposedValue, ProposedValue};
use arc_malachitebft_app_channel::{AppMsg, Channels, EngineHandle, NetworkMsg};
use bytes::Bytes;
use crosscode_did_registry::codec::Encode;
use crosscode_did_registry::ledger::{CommittedBlock, LedgerError, LedgerStore};
use crosscode_did_registry::ordering::CoreSignatureVerifier;
use crosscode_did_registry::transaction::SignedTransaction;
use crosscode_did_registry::validators::ValidatorSet;
use crosscode_registry_consensus::certificate::{ConversionError, to_engine, to_registry};
use crosscode_registry_consensus::{
    BlockPart, ChainSigner, ChainVerifier, Height, ProposedBlock, RegistryContext, Validators,
    ValidatorsError, ValueError,
};
use tokio::sync::mpsc;

use super::MAX_CLOCK_SKEW_SECS;
use super::values::{Seen, Values};
use crate::Shared;
use crate::mempool::Submission;
use crate::producer::{ProducerExit, next_head, publish, rejections, unix_now};

/// Most decided blocks served in one sync answer.
const MAX_SYNC_BATCH: u64 = 16;

/// How often a proposer with nothing to propose looks at its mempool again.
const MEMPOOL_POLL: Duration = Duration::from_millis(10);

/// Why a decided or proposed block could not be handled.
#[derive(Debug, thiserror::Error)]
enum AppError {
    #[error("{0}")]
    Ledger(#[from] LedgerError),
    #[error("{0}")]
    Value(#[from] ValueError),
    #[error("{0}")]
    Validators(#[from] ValidatorsError),
    #[error("certificate: {0}")]
    Certificate(#[from] ConversionError),
    #[error("the decided value was never seen")]
    UnknownValue,
    #[error("signing failed")]
    Signing,
    #[error("cannot keep the proposal: {0}")]
    Keep(std::io::Error),
    #[error("a ledger task failed: {0}")]
    Task(String),
    #[error("the engine's channel is closed")]
    Closed,
    #[error("cannot encode a decided block: {0}")]
    Encode(#[from] std::io::Error),
}

impl AppError {
    /// An error after which the engine cannot go on (it waits for an answer it will not get):
    /// the node stops rather than stall.
    fn is_fatal(&self) -> bool {
        matches!(self, AppError::Validators(_) | AppError::Closed)
    }
}

/// The application state (see the module docs).
pub(super) struct Consortium {
    shared: Arc<Shared>,
    ctx: RegistryContext,
    signer: ChainSigner,
    verifier: ChainVerifier,
    timeouts: LinearTimeouts,
    values: Values,
    height: Height,
    /// This validator's transactions in its proposals at the current height.
    taken: Vec<([u8; 32], SignedTransaction)>,
    /// Streams published so far (each gets its own id).
    streams: u64,
}

impl Consortium {
    pub(super) fn new(
        shared: Arc<Shared>,
        ctx: RegistryContext,
        signer: ChainSigner,
        timeouts: LinearTimeouts,
        values: Values,
    ) -> Consortium {
        Consortium {
            verifier: ChainVerifier::new(&ctx),
            shared,
            ctx,
            signer,
            timeouts,
            values,
            height: Height(0),
            taken: Vec::new(),
            streams: 0,
        }
    }

    /// Answers the engine until the node stops or the engine ends, then stops the engine.
    pub(super) async fn run(
        mut self,
        mut channels: Channels<RegistryContext>,
        engine: EngineHandle,
    ) {
        let shared = Arc::clone(&self.shared);
        let _exit = ProducerExit { shared: &shared };
        let mut shutdown = shared.shutdown.clone();
        loop {
            let msg = tokio::select! {
                msg = channels.consensus.recv() => msg,
                _ = shutdown.wait_for(|stop| *stop) => None,
            };
            let Some(msg) = msg else {
                break;
            };
            if let Err(err) = self.handle(msg, &channels.network).await {
                tracing::error!(height = self.height.0, error = %err, "consortium: engine message not handled");
                if err.is_fatal() {
                    break;
                }
            }
            if shared.is_stopping() {
                break;
            }
        }
        engine.actor.stop(None);
        let _ = tokio::time::timeout(Duration::from_secs(5), engine.handle).await;
        tracing::info!(
            height = shared.head().header.height,
            "consortium: engine stopped"
        );
    }

    async fn handle(
        &mut self,
        msg: AppMsg<RegistryContext>,
        network: &mpsc::Sender<NetworkMsg<RegistryContext>>,
    ) -> Result<(), AppError> {
        match msg {
            AppMsg::ConsensusReady { reply } => {
                let head = self.shared.head();
                // Start after the last committed block (the store, not the write-ahead log,
                // says what is committed).
                self.height = Height(head.header.height + 1);
                tracing::info!(height = self.height.0, "consortium: consensus ready");
                let _ = reply.send((self.height, self.params(&head.validators)?));
            }
            AppMsg::StartedRound {
                height,
                round,
                reply_value,
                ..
            } => {
                self.height = height;
                for part in self.values.take_early(height) {
                    self.receive(part).await;
                }
                let _ = reply_value.send(self.values.at_round(height, round));
            }
            AppMsg::GetValue {
                height,
                round,
                timeout,
                reply,
            } => {
                let part = match self.values.own(height, round) {
                    Some(part) => part,
                    None => self.propose(height, round, timeout).await?,
                };
                let value = part.value.clone();
                self.values.insert(Seen {
                    proposed: ProposedValue {
                        height,
                        round,
                        valid_round: Round::Nil,
                        proposer: self.signer.address(),
                        value: value.clone(),
                        validity: Validity::Valid,
                    },
                    part: Some(part.clone()),
                });
                let _ = reply.send(LocallyProposedValue::new(height, round, value));
                self.stream(network, part).await?;
            }
            AppMsg::ExtendVote { reply, .. } => {
                let _ = reply.send(None);
            }
            AppMsg::VerifyVoteExtensions {
                extensions, reply, ..
            } => {
                let _ = reply.send(
                    extensions
                        .into_iter()
                        .map(|(address, _)| (address, Ok(())))
                        .collect(),
                );
            }
            AppMsg::RestreamProposal {
                height,
                round,
                valid_round,
                address,
                value_id,
            } => {
                let Some(seen) = self.values.get(height, &value_id) else {
                    return Ok(());
                };
                let part = if address == self.signer.address() {
                    self.signer
                        .sign_part(height, round, valid_round, seen.proposed.value.clone())
                        .map_err(|_| AppError::Signing)?
                } else if let Some(part) = &seen.part {
                    part.clone()
                } else {
                    return Ok(());
                };
                self.stream(network, part).await?;
            }
            AppMsg::GetHistoryMinHeight { reply } => {
                let _ = reply.send(Height(1));
            }
            AppMsg::ReceivedProposalPart { part, reply, .. } => {
                let proposed = match part.content {
                    StreamContent::Data(part) => self.receive(part).await,
                    StreamContent::Fin => None,
                };
                let _ = reply.send(proposed);
            }
            AppMsg::Decided {
                certificate, reply, ..
            } => {
                if let Err(err) = self.commit(&certificate).await {
                    tracing::error!(
                        height = certificate.height.0,
                        error = %err,
                        "consortium: decided block not committed"
                    );
                }
                let _ = reply.send(());
            }
            AppMsg::Finalized {
                certificate, reply, ..
            } => {
                let head = self.shared.head();
                let params = self.params(&head.validators)?;
                let next = if head.header.height >= certificate.height.0 {
                    Next::Start(Height(head.header.height + 1), params)
                } else {
                    // Not committed (e.g. the block never arrived): the height again, which
                    // value sync completes.
                    Next::Restart(certificate.height, params)
                };
                let _ = reply.send(next);
            }
            AppMsg::GetDecidedValues { range, reply } => {
                let values = self.decided_values(range).await?;
                let _ = reply.send(values);
            }
            AppMsg::ProcessSyncedValue {
                height,
                round,
                proposer,
                value_bytes,
                reply,
            } => {
                let decoded = borsh::from_slice::<ProposedBlock>(&value_bytes)
                    .ok()
                    .filter(|value| value.profile() == self.ctx.profile());
                let outcome = match decoded {
                    Some(value) => {
                        // The engine checks the certificate that comes with it; applying it
                        // re-executes it.
                        let proposed = ProposedValue {
                            height,
                            round,
                            valid_round: Round::Nil,
                            proposer,
                            value,
                            validity: Validity::Valid,
                        };
                        // A value already seen keeps the part it came in (to restream it).
                        if self
                            .values
                            .get(height, &Value::id(&proposed.value))
                            .is_none()
                        {
                            self.values.insert(Seen {
                                proposed: proposed.clone(),
                                part: None,
                            });
                        }
                        SyncedValueOutcome::Verdict(proposed)
                    }
                    None => {
                        tracing::warn!(
                            height = height.0,
                            "consortium: a synced block does not decode"
                        );
                        SyncedValueOutcome::PeerFault
                    }
                };
                let _ = reply.send(outcome);
            }
        }
        Ok(())
    }

    /// The engine's parameters for a height signed by `validators`.
    fn params(&self, validators: &ValidatorSet) -> Result<HeightParams<RegistryContext>, AppError> {
        Ok(HeightParams::new(
            Validators::new(self.ctx.profile(), validators)?,
            self.timeouts,
            None,
        ))
    }

    /// Builds this validator's block for `height` and `round` from its mempool (after waiting
    /// up to the heartbeat, within half the engine's `timeout`, for a transaction), signs it
    /// as a part and keeps it on disk.
    async fn propose(
        &mut self,
        height: Height,
        round: Round,
        timeout: Duration,
    ) -> Result<BlockPart, AppError> {
        let deadline = Instant::now() + self.shared.node.heartbeat.min(timeout / 2);
        while self.shared.lock_mempool().is_empty() && Instant::now() < deadline {
            tokio::time::sleep(MEMPOOL_POLL).await;
        }
        let batch = self
            .shared
            .lock_mempool()
            .take(self.shared.node.max_block_transactions);
        let candidates: Vec<SignedTransaction> = batch.iter().map(|(_, tx)| tx.clone()).collect();
        let shared = Arc::clone(&self.shared);
        let requeue = batch.clone();
        let built = tokio::task::spawn_blocking(move || {
            let mut ledger = shared.ledger.blocking_write();
            let time = unix_now().max(ledger.head().time);
            let previous = ledger
                .store()
                .certified_header(ledger.head().height)
                .map_err(LedgerError::from)?
                .and_then(|(_, certificate)| certificate);
            let (block, outcomes) = ledger.build_block(candidates, time)?;
            Ok::<_, LedgerError>((block, outcomes, previous))
        })
        .await
        .map_err(|e| AppError::Task(e.to_string()))
        .and_then(|built| built.map_err(AppError::from));
        let (block, outcomes, previous) = match built {
            Ok(built) => built,
            Err(err) => {
                // Not proposed: the transactions wait for the next block.
                self.shared.lock_mempool().requeue(submissions(requeue));
                return Err(err);
            }
        };
        let rejected = rejections(outcomes);
        let rejected_hashes: HashSet<[u8; 32]> = rejected.iter().map(|(hash, _)| *hash).collect();
        self.shared
            .lock_mempool()
            .finish(rejected_hashes.iter().copied(), rejected);
        self.taken.extend(
            batch
                .into_iter()
                .filter(|(hash, _)| !rejected_hashes.contains(hash)),
        );
        #[cfg(feature = "byzantine-proposer")]
        let block = lie(block);
        let value = ProposedBlock::new(self.ctx.profile(), &block).with_previous(previous.as_ref());
        let part = self
            .signer
            .sign_part(height, round, Round::Nil, value)
            .map_err(|_| AppError::Signing)?;
        self.values.keep_own(&part).map_err(AppError::Keep)?;
        tracing::debug!(
            height = height.0,
            round = round.as_i64(),
            transactions = block.transactions.len(),
            "consortium: proposing"
        );
        Ok(part)
    }

    /// Publishes `part` as one stream: the part, then its end.
    async fn stream(
        &mut self,
        network: &mpsc::Sender<NetworkMsg<RegistryContext>>,
        part: BlockPart,
    ) -> Result<(), AppError> {
        self.streams += 1;
        let mut id = Vec::with_capacity(16);
        id.extend_from_slice(&part.height.0.to_be_bytes());
        id.extend_from_slice(&self.streams.to_be_bytes());
        let stream_id = StreamId::new(Bytes::from(id));
        let messages = [
            StreamMessage::new(stream_id.clone(), 0, StreamContent::Data(part)),
            StreamMessage::new(stream_id, 1, StreamContent::Fin),
        ];
        for message in messages {
            network
                .send(NetworkMsg::PublishProposalPart(message))
                .await
                .map_err(|_| AppError::Closed)?;
        }
        Ok(())
    }

    /// A part from a peer: kept for later if its height has not started, dropped if it is not
    /// signed by its round's proposer, otherwise its block re-executed.
    async fn receive(&mut self, part: BlockPart) -> Option<ProposedValue<RegistryContext>> {
        // Only parts of this height or the next two, signed by their round's proposer (for a
        // later height, under the set in force now: a part the set change makes stale is
        // dropped and the block comes through value sync).
        if part.height < self.height || part.height.0 > self.height.0.saturating_add(2) {
            return None;
        }
        let validators =
            Validators::new(self.ctx.profile(), &self.shared.head().validators).ok()?;
        let proposer = self
            .ctx
            .select_proposer(&validators, part.height, part.round);
        if proposer.address != part.proposer || !self.verifier.verify_part(&part, &proposer.key) {
            tracing::warn!(
                height = part.height.0,
                round = part.round.as_i64(),
                "consortium: a proposal part not signed by its round's proposer is dropped"
            );
            return None;
        }
        if part.height > self.height {
            self.values.park(part);
            return None;
        }
        let id = part.value.id();
        let earlier = self.values.at_round(part.height, part.round);
        if let Some(seen) = earlier.iter().find(|seen| seen.value.id() == id) {
            return Some(seen.clone());
        }
        if earlier.iter().any(|seen| seen.proposer == part.proposer) {
            // One block per proposer and round: another one is equivocation, not re-executed.
            tracing::warn!(
                height = part.height.0,
                round = part.round.as_i64(),
                "consortium: a second block from one proposer in one round is dropped"
            );
            return None;
        }
        let validity = self.check(&part.value).await;
        let proposed = ProposedValue {
            height: part.height,
            round: part.round,
            valid_round: part.pol_round,
            proposer: part.proposer,
            value: part.value.clone(),
            validity,
        };
        self.values.insert(Seen {
            proposed: proposed.clone(),
            part: Some(part),
        });
        Some(proposed)
    }

    /// Whether a proposed block is valid here: of this chain's profile, not ahead of this
    /// clock by more than the skew allowed, and re-executed to the very header it carries.
    async fn check(&self, value: &ProposedBlock) -> Validity {
        let (block, previous) = match (value.block(), value.previous()) {
            (Ok(block), Ok(previous)) if value.profile() == self.ctx.profile() => (block, previous),
            _ => return Validity::Invalid,
        };
        let height = block.header.height;
        if previous.is_none() && height > 1 {
            tracing::warn!(
                height,
                "consortium: a proposed block carries no certificate of the block before"
            );
            return Validity::Invalid;
        }
        if block.header.time > unix_now().saturating_add(MAX_CLOCK_SKEW_SECS) {
            tracing::warn!(
                height,
                "consortium: a proposed block is timed in the future"
            );
            return Validity::Invalid;
        }
        let shared = Arc::clone(&self.shared);
        let checked = tokio::task::spawn_blocking(move || {
            shared.ledger.blocking_write().check_block(
                &block,
                previous.as_ref(),
                &CoreSignatureVerifier,
            )
        })
        .await;
        match checked {
            Ok(Ok(())) => Validity::Valid,
            Ok(Err(err)) => {
                tracing::warn!(height, error = %err, "consortium: a proposed block is refused");
                Validity::Invalid
            }
            Err(err) => {
                tracing::error!(height, error = %err, "consortium: a proposal check failed");
                Validity::Invalid
            }
        }
    }

    /// Commits the decided block with its certificate and publishes it; this validator's
    /// transactions it does not hold go back to the mempool.
    async fn commit(
        &mut self,
        certificate: &CommitCertificate<RegistryContext>,
    ) -> Result<(), AppError> {
        let seen = self
            .values
            .get(certificate.height, &certificate.value_id)
            .ok_or(AppError::UnknownValue)?;
        let value = seen.proposed.value.clone();
        let shared = Arc::clone(&self.shared);
        let engine_certificate = certificate.clone();
        let profile = self.ctx.profile();
        let committed = tokio::task::spawn_blocking(move || {
            let block = value.block()?;
            let previous_certificate = value.previous()?;
            let previous = shared.head();
            let mut ledger = shared.ledger.blocking_write();
            let validators = Validators::new(profile, &ledger.validators()?)?;
            let registry_certificate = to_registry(&engine_certificate, &validators)?;
            ledger.apply_decided_block(
                &block,
                &registry_certificate,
                previous_certificate.as_ref(),
                &CoreSignatureVerifier,
            )?;
            let committed = CommittedBlock {
                block,
                certificate: Some(registry_certificate),
            };
            let head = next_head(&shared, &previous, &ledger, &committed);
            Ok::<_, AppError>((committed, head))
        })
        .await
        .map_err(|e| AppError::Task(e.to_string()))??;
        let (committed, head) = committed;
        let included: HashSet<[u8; 32]> = committed
            .block
            .transactions
            .iter()
            .map(|tx| tx.hash(profile))
            .collect();
        let (ours, others): (Vec<_>, Vec<_>) = std::mem::take(&mut self.taken)
            .into_iter()
            .partition(|(hash, _)| included.contains(hash));
        tracing::info!(
            height = committed.block.header.height,
            transactions = committed.block.transactions.len(),
            "consortium: block committed"
        );
        publish(
            &self.shared,
            head,
            &committed,
            ours.into_iter().map(|(hash, _)| hash).collect(),
            Vec::new(),
        );
        let mut pool = self.shared.lock_mempool();
        pool.committed_elsewhere(&included);
        pool.requeue(submissions(others));
        drop(pool);
        self.values.decided(certificate.height.0);
        Ok(())
    }

    /// The decided blocks of `range` this validator holds (at most [`MAX_SYNC_BATCH`]), with
    /// their certificates in the engine's form.
    async fn decided_values(
        &self,
        range: RangeInclusive<Height>,
    ) -> Result<Vec<RawDecidedValue<RegistryContext>>, AppError> {
        let shared = Arc::clone(&self.shared);
        let profile = self.ctx.profile();
        let (start, end) = (range.start().0.max(1), range.end().0);
        tokio::task::spawn_blocking(move || {
            let ledger = shared.ledger.blocking_read();
            let end = end
                .min(ledger.head().height)
                .min(start.saturating_add(MAX_SYNC_BATCH - 1));
            let mut values = Vec::new();
            for height in start..=end {
                let Some(committed) = ledger.store().block(height).map_err(LedgerError::from)?
                else {
                    break;
                };
                let Some(certificate) = committed.certificate else {
                    break;
                };
                let validators = Validators::new(profile, &ledger.validators_at(height)?)?;
                let engine = to_engine(&certificate, &validators)?;
                let previous = ledger
                    .store()
                    .certified_header(height - 1)
                    .map_err(LedgerError::from)?
                    .and_then(|(_, certificate)| certificate);
                let value =
                    ProposedBlock::new(profile, &committed.block).with_previous(previous.as_ref());
                values.push(RawDecidedValue::new(
                    Bytes::from(borsh::to_vec(&value)?),
                    ExtendedCommitCertificate::from_commit_certificate_and_extensions(
                        engine,
                        VoteExtensions {
                            extensions: Vec::new(),
                        },
                    ),
                ));
            }
            Ok(values)
        })
        .await
        .map_err(|e| AppError::Task(e.to_string()))?
    }
}

/// Test-only (feature `byzantine-proposer`): a validator started with
/// `CROSSCODE_BYZANTINE_PROPOSER=state-root` proposes blocks whose header names a wrong state
/// root, so that the scenario tests can check that the others refuse them.
#[cfg(feature = "byzantine-proposer")]
fn lie(mut block: crosscode_did_registry::ledger::Block) -> crosscode_did_registry::ledger::Block {
    if std::env::var_os("CROSSCODE_BYZANTINE_PROPOSER").is_some_and(|v| v == "state-root") {
        block.header.state_root[0] ^= 0x01;
        tracing::warn!(
            height = block.header.height,
            "consortium: BYZANTINE (test build): proposing a wrong state root"
        );
    }
    block
}

/// Taken transactions as the mempool holds them.
fn submissions(txs: Vec<([u8; 32], SignedTransaction)>) -> Vec<Submission> {
    txs.into_iter()
        .map(|(hash, tx)| Submission {
            hash,
            bytes: tx.to_bytes().len(),
            tx,
        })
        .collect()
}
