//! The issuer service's operations, as plain async functions over its parts — what the HTTP
//! routes and the command line call, testable without HTTP.
//!
//! [`IssuerService::start`] connects as the authority ([`crate::authority`]), registers the
//! configured credential schemas on the chain (idempotent) and opens the chain writer. Then:
//! - [`IssuerService::issue`]: the VC-API issuance (`POST /credentials/issue`);
//! - [`IssuerService::issue_records`]: N records → N credentials anchored by **one** batch
//!   anchor (`POST /v1/batches`, `crosscode issuer batch`);
//! - [`IssuerService::change_status`]: revoke, suspend, reinstate; publishes the next list
//!   version, anchors its hash and sets the chain's status entry (`POST /credentials/status`);
//! - [`IssuerService::status_list`]: the current signed list (`GET /status-lists/{id}`).
//!
//! Signing runs on tokio's blocking pool ([`tokio::task::spawn_blocking`]), never on the async
//! workers; the store is called there too.

use std::sync::Arc;

use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use crosscode_core::vc::{ProofKey, issue};
use crosscode_did_registry::evidence::credential_hash;
use crosscode_registry_client::RegistryClient;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::anchoring::{AnchorError, AnchorItem, AnchorReceipt, ChainWriter};
use crate::authority::{Authority, StartupError};
use crate::claims::{ClaimsError, unsigned_credential};
use crate::issuance::{
    IssuanceContext, IssueError, IssueOptions, IssuerMembers, SecuredCredential, check,
    new_credential_id, secure,
};
use crate::records::{RecordBook, RecordBookError, RecordId, SubjectRecord};
use crate::schemas::{Schemas, known_type};
use crate::sealing::RecordKey;
use crate::status::{
    ListPurpose, StatusAction, StatusChanged, StatusError, StatusRegistry, entries, list_id,
    parse_list_id,
};
use crate::store::{IssuerStore, StoreError, Table, WriteOp};
use crosscode_did_registry::transaction::{StatusChange, StatusKey};

/// How the service is configured.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The public base URL (status lists, schemas, OpenID4VCI `credential_issuer`), without a
    /// trailing `/`.
    pub base_url: String,
    /// The credential types to issue (each a known type, each in the admitted scope).
    pub credential_types: Vec<String>,
    /// Default validity of a credential, in seconds.
    pub validity_seconds: i64,
}

impl ServiceConfig {
    /// The default configuration at `base_url`: health codes, valid 7 days.
    pub fn new(base_url: &str) -> ServiceConfig {
        ServiceConfig {
            base_url: base_url.trim_end_matches('/').to_owned(),
            credential_types: vec!["HealthCode".to_owned()],
            validity_seconds: 7 * 24 * 3600,
        }
    }
}

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Start-up refused.
    #[error(transparent)]
    Startup(#[from] StartupError),
    /// The credential was refused.
    #[error(transparent)]
    Issue(#[from] IssueError),
    /// A record cannot make the credential asked for.
    #[error(transparent)]
    Claims(#[from] ClaimsError),
    /// A status change was refused.
    #[error(transparent)]
    Status(#[from] StatusError),
    /// The records could not be read or written.
    #[error(transparent)]
    Records(#[from] RecordBookError),
    /// No record has this id.
    #[error("no such record")]
    UnknownRecord,
    /// The configured credential type is not one the issuer knows.
    #[error("unknown credential type {0}")]
    UnknownType(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anchoring on the chain failed.
    #[error(transparent)]
    Anchor(#[from] AnchorError),
    /// A batch was empty or too large.
    #[error("a batch holds 1 to {max} records")]
    BatchSize {
        /// The largest batch.
        max: usize,
    },
    /// A worker task failed.
    #[error("internal: {0}")]
    Internal(String),
}

/// The largest batch of records (`POST /v1/batches`, `crosscode issuer batch`).
pub const MAX_BATCH: usize = 200_000;
/// How many records of a batch are stored, allocated and recorded per synced write.
const BATCH_WRITE: usize = 4_096;
/// The largest batch of records over HTTP (`POST /v1/batches`).
pub const MAX_HTTP_BATCH: usize = 5_000;

/// One issued credential and its anchor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedCredential {
    /// The secured credential.
    pub verifiable_credential: Value,
    /// Its anchor receipt (inclusion path in its anchored batch).
    pub anchor: AnchorReceipt,
}

/// What the issuer keeps about an issued credential (table `Credentials`; no personal data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedEntry {
    /// The credential type.
    pub credential_type: String,
    /// The credential hash (hex).
    pub hash: String,
    /// Its anchor.
    pub anchor: AnchorReceipt,
    /// Issuance time (Unix seconds).
    pub issued_at: i64,
}

/// One record of a batch: the subject and the holder's `did:key`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BatchRecord {
    /// The holder's `did:key`.
    pub holder: String,
    /// The credential type (default `HealthCode`).
    #[serde(default)]
    pub credential_type: Option<String>,
    /// The subject's record.
    pub record: SubjectRecord,
}

/// The issuer service (see the module documentation).
pub struct IssuerService {
    ctx: IssuanceContext,
    store: Arc<dyn IssuerStore>,
    record_key: Arc<RecordKey>,
    writer: ChainWriter,
    status: Arc<StatusRegistry>,
    /// Status changes and list publications are made one at a time.
    status_lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for IssuerService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerService")
            .field("authority", &self.ctx.authority.did)
            .field("base_url", &self.ctx.base_url)
            .finish_non_exhaustive()
    }
}

fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

async fn off_worker<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ServiceError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| ServiceError::Internal(err.to_string()))
}

impl IssuerService {
    /// Starts as the authority of `keys` on the chain of `client` (see the module
    /// documentation).
    pub async fn start(
        config: ServiceConfig,
        client: RegistryClient,
        keys: Vec<SecretKey>,
        store: Arc<dyn IssuerStore>,
        record_key: Arc<RecordKey>,
    ) -> Result<IssuerService, ServiceError> {
        for name in &config.credential_types {
            known_type(name).ok_or_else(|| ServiceError::UnknownType(name.clone()))?;
        }
        let authority = Authority::connect(
            &client,
            keys,
            &config.credential_types,
            now().unix_timestamp().max(0).unsigned_abs(),
        )
        .await?;
        let writer = ChainWriter::new(client, authority.clone())
            .await
            .map_err(|err| ServiceError::Anchor(err.into()))?;
        let mut schemas = Schemas::default();
        for name in &config.credential_types {
            let known = known_type(name).ok_or_else(|| ServiceError::UnknownType(name.clone()))?;
            let key = writer
                .ensure_schema(known.name, known.version, known.schema_json)
                .await?;
            schemas.insert(known.name, key);
        }
        let service = IssuerService {
            ctx: IssuanceContext {
                authority,
                base_url: config.base_url,
                schemas,
                validity_seconds: config.validity_seconds,
            },
            store,
            record_key,
            writer,
            status: Arc::new(StatusRegistry::default()),
            status_lock: tokio::sync::Mutex::new(()),
        };
        service.publish_pending().await?;
        Ok(service)
    }

    /// Publishes the list versions changed but not published (a change whose publication a
    /// crash or an unreachable chain interrupted); run at start.
    pub async fn publish_pending(&self) -> Result<usize, ServiceError> {
        let _one_at_a_time = self.status_lock.lock().await;
        let store = self.store.clone();
        let status = self.status.clone();
        let pending = off_worker(move || status.pending(store.as_ref())).await??;
        let mut published = 0;
        for version in pending {
            // A new list's version 0 is published at its first request, not here.
            if version.version > 0 {
                self.publish(version.list, version.purpose).await?;
                published += 1;
            }
        }
        Ok(published)
    }

    /// The authority the service issues as.
    pub fn authority(&self) -> &Authority {
        &self.ctx.authority
    }

    /// The issuance context (authority, base URL, schemas).
    pub fn context(&self) -> &IssuanceContext {
        &self.ctx
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn IssuerStore> {
        &self.store
    }

    /// The chain writer.
    pub fn writer(&self) -> &ChainWriter {
        &self.writer
    }

    /// Signs one credential (on the blocking pool): check, allocate a status index, secure.
    async fn sign(
        &self,
        request: Value,
        options: IssueOptions,
        batch: Option<String>,
    ) -> Result<SecuredCredential, ServiceError> {
        let ctx = self.ctx.clone();
        let store = self.store.clone();
        let status = self.status.clone();
        off_worker(move || sign_one(&ctx, store.as_ref(), &status, &request, &options, batch))
            .await?
    }

    /// The VC-API issuance: `credential` (unsigned) secured, anchored and recorded.
    pub async fn issue(
        &self,
        credential: Value,
        options: IssueOptions,
    ) -> Result<IssuedCredential, ServiceError> {
        let secured = self.sign(credential, options, None).await?;
        let item = AnchorItem::new(self.ctx.authority.profile, &secured.id, secured.hash);
        let anchor = self.writer.anchor_one(item).await?;
        // The store's synced write, like signing, off the async workers.
        let store = self.store.clone();
        let (secured, anchor) = off_worker(move || {
            let entry = issued_entry(store.as_ref(), &secured, &anchor)?;
            store.write(std::slice::from_ref(&entry))?;
            Ok::<_, ServiceError>((secured, anchor))
        })
        .await??;
        tracing::info!(
            credential_hash = %hex::encode(secured.hash),
            height = anchor.height,
            "issuer: credential issued and anchored"
        );
        Ok(IssuedCredential {
            verifiable_credential: secured.credential,
            anchor,
        })
    }

    /// Issues the credential of `credential_type` about the stored record `record` to
    /// `holder` (the OpenID4VCI path).
    pub async fn issue_from_record(
        &self,
        record: &RecordId,
        credential_type: &str,
        holder: &str,
    ) -> Result<IssuedCredential, ServiceError> {
        self.issue_from_record_with(record, credential_type, holder, IssueOptions::default())
            .await
    }

    /// [`IssuerService::issue_from_record`] with the suites of `options` (the OpenID4VCI
    /// credential endpoint adds a BBS base proof for the wallet's selective disclosure).
    pub async fn issue_from_record_with(
        &self,
        record: &RecordId,
        credential_type: &str,
        holder: &str,
        options: IssueOptions,
    ) -> Result<IssuedCredential, ServiceError> {
        let id = record.clone();
        let subject = self
            .with_records(move |book| book.get(&id))
            .await?
            .ok_or(ServiceError::UnknownRecord)?;
        let unsigned = unsigned_credential(&subject, credential_type, holder, now())?;
        self.issue(unsigned, options).await
    }

    /// Issues one credential per record and anchors them all with one batch anchor; calls
    /// `progress(done)` as credentials are signed. The records are stored (sealed).
    pub async fn issue_records(
        &self,
        records: Vec<BatchRecord>,
        options: IssueOptions,
        progress: impl Fn(usize) + Send + Sync + 'static,
    ) -> Result<Vec<IssuedCredential>, ServiceError> {
        if records.is_empty() || records.len() > MAX_BATCH {
            return Err(ServiceError::BatchSize { max: MAX_BATCH });
        }
        let batch = format!("urn:crosscode:batch:{}", &new_credential_id()[25..]);
        let ctx = self.ctx.clone();
        let store = self.store.clone();
        let status = self.status.clone();
        let record_key = self.record_key.clone();
        let secured = off_worker(move || {
            let at = now();
            let book = RecordBook::new(store.as_ref(), &record_key);
            let mut secured = Vec::with_capacity(records.len());
            // Chunk by chunk: every record of a chunk is checked before anything of it is
            // stored or allocated; its records, then its status allocations, are each one
            // synced write.
            for chunk in records.chunks(BATCH_WRITE) {
                let mut checked = Vec::with_capacity(chunk.len());
                for item in chunk {
                    let credential_type = item.credential_type.as_deref().unwrap_or("HealthCode");
                    let unsigned =
                        unsigned_credential(&item.record, credential_type, &item.holder, at)?;
                    checked.push(check(&ctx, &unsigned, &options, at)?);
                }
                book.put_many(chunk.iter().map(|item| &item.record))?;
                let ids: Vec<String> = chunk.iter().map(|_| new_credential_id()).collect();
                let allocations = status.allocate_many(store.as_ref(), &ids)?;
                for ((credential, credential_type), (id, allocation)) in
                    checked.into_iter().zip(ids.into_iter().zip(allocations))
                {
                    let members = IssuerMembers {
                        status: entries(&ctx.base_url, allocation).to_vec(),
                        id,
                        batch: Some(batch.clone()),
                    };
                    secured.push(secure(
                        &ctx,
                        credential,
                        credential_type,
                        members,
                        &options,
                        at,
                    )?);
                    progress(secured.len());
                }
            }
            Ok::<_, ServiceError>(secured)
        })
        .await??;
        let profile = self.ctx.authority.profile;
        let items: Vec<AnchorItem> = secured
            .iter()
            .map(|item| AnchorItem::new(profile, &item.id, item.hash))
            .collect();
        let receipts = self.writer.anchor_batch(&items).await?;
        let store = self.store.clone();
        off_worker(move || {
            let mut issued = Vec::with_capacity(secured.len());
            let mut entries = Vec::with_capacity(BATCH_WRITE.min(secured.len()));
            for (item, anchor) in secured.into_iter().zip(receipts) {
                entries.push(issued_entry(store.as_ref(), &item, &anchor)?);
                if entries.len() == BATCH_WRITE {
                    store.write(&entries)?;
                    entries.clear();
                }
                issued.push(IssuedCredential {
                    verifiable_credential: item.credential,
                    anchor,
                });
            }
            if !entries.is_empty() {
                store.write(&entries)?;
            }
            tracing::info!(
                credentials = issued.len(),
                "issuer: batch issued and anchored"
            );
            Ok(issued)
        })
        .await?
    }

    /// What the issuer keeps about the credential `id`, if it issued it.
    pub async fn issued(&self, id: &str) -> Result<Option<IssuedEntry>, ServiceError> {
        let store = self.store.clone();
        let key = id.as_bytes().to_vec();
        match off_worker(move || store.get(Table::Credentials, &key)).await?? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|err| ServiceError::Internal(err.to_string())),
        }
    }

    /// Stores a subject record (sealed) and answers its id.
    pub async fn put_record(&self, record: SubjectRecord) -> Result<RecordId, ServiceError> {
        self.with_records(move |book| book.put(&record)).await
    }

    /// Whether the record `id` exists.
    pub async fn has_record(&self, id: RecordId) -> Result<bool, ServiceError> {
        self.with_records(move |book| Ok(book.get(&id)?.is_some()))
            .await
    }

    /// Deletes the record `id`; `false` when there was none.
    pub async fn delete_record(&self, id: RecordId) -> Result<bool, ServiceError> {
        self.with_records(move |book| book.delete(&id)).await
    }

    /// Runs `work` on the record book, on the blocking pool (the store is synchronous).
    async fn with_records<T: Send + 'static>(
        &self,
        work: impl FnOnce(&RecordBook<'_>) -> Result<T, RecordBookError> + Send + 'static,
    ) -> Result<T, ServiceError> {
        let store = self.store.clone();
        let record_key = self.record_key.clone();
        Ok(off_worker(move || work(&RecordBook::new(store.as_ref(), &record_key))).await??)
    }

    /// Revokes, suspends or reinstates the credential `id`: the change is recorded, the
    /// list's next version is published (signed, stored, its hash anchored) and the chain's
    /// status entry set. Changes are made one at a time.
    pub async fn change_status(
        &self,
        id: &str,
        action: StatusAction,
    ) -> Result<StatusChanged, ServiceError> {
        let _one_at_a_time = self.status_lock.lock().await;
        let store = self.store.clone();
        let status = self.status.clone();
        let owned = id.to_owned();
        let changed = off_worker(move || status.change(store.as_ref(), &owned, action)).await??;
        self.publish(changed.list, changed.purpose).await?;
        let chain_change = match action {
            StatusAction::Revoke => StatusChange::Revoke,
            StatusAction::Suspend => StatusChange::Suspend,
            StatusAction::Reinstate => StatusChange::Reinstate,
        };
        let key = StatusKey::Index {
            list: changed.list,
            index: u64::from(changed.index),
        };
        self.writer.set_status(key, chain_change).await?;
        Ok(changed)
    }

    /// The current signed status list credential `list_id` (e.g. `0-revocation`): the last
    /// published version, or, for a list never published, its first version published now.
    pub async fn status_list(&self, id: &str) -> Result<Value, ServiceError> {
        let (list, purpose) = parse_list_id(id)?;
        if let Some(published) = self.published(list, purpose).await? {
            return Ok(published);
        }
        let _one_at_a_time = self.status_lock.lock().await;
        match self.published(list, purpose).await? {
            Some(published) => Ok(published),
            None => self.publish(list, purpose).await,
        }
    }

    /// The signed version of a list stored as the one served, if any.
    async fn published(
        &self,
        list: u32,
        purpose: ListPurpose,
    ) -> Result<Option<Value>, ServiceError> {
        let store = self.store.clone();
        let stored =
            off_worker(move || store.get(Table::Meta, published_key(list, purpose).as_bytes()))
                .await??;
        stored
            .map(|bytes| serde_json::from_slice(&bytes))
            .transpose()
            .map_err(|err| ServiceError::Internal(err.to_string()))
    }

    /// Signs the current version of a list, anchors its hash, records the anchor and stores
    /// it as the version served. Called with `status_lock` held.
    async fn publish(&self, list: u32, purpose: ListPurpose) -> Result<Value, ServiceError> {
        let ctx = self.ctx.clone();
        let store = self.store.clone();
        let status = self.status.clone();
        let (signed, version) = off_worker(move || {
            let unsigned = status.list_credential(
                store.as_ref(),
                ctx.authority.did.as_str(),
                &ctx.base_url,
                list,
                purpose,
                now(),
            )?;
            let keys: Vec<ProofKey<'_>> = ctx
                .authority
                .credential_keys()
                .filter(|key| key.signer.algorithm() != KeyAlgorithm::Bls12381G2)
                .map(|key| ProofKey {
                    signer: key.signer.as_ref(),
                    verification_method: key.method.clone(),
                    cryptosuite: None,
                })
                .collect();
            let signed = issue(&unsigned.credential, &keys, None).map_err(IssueError::from)?;
            Ok::<_, ServiceError>((signed.to_value(), unsigned.version))
        })
        .await??;
        let hash = credential_hash(self.ctx.authority.profile, &signed)
            .map_err(|err| ServiceError::Internal(err.to_string()))?;
        let committed = self.writer.anchor_single(&hash).await?;
        let bytes =
            serde_json::to_vec(&signed).map_err(|err| ServiceError::Internal(err.to_string()))?;
        let store = self.store.clone();
        let status = self.status.clone();
        off_worker(move || {
            status.record_published(
                store.as_ref(),
                list,
                purpose,
                version,
                hash,
                committed.height,
            )?;
            store.put(Table::Meta, published_key(list, purpose).as_bytes(), &bytes)?;
            Ok::<_, ServiceError>(())
        })
        .await??;
        Ok(signed)
    }
}

/// The write that adds what issuance knows to the credential's entry in `Credentials` (whose
/// `status` member the status registry wrote at allocation).
fn issued_entry(
    store: &dyn IssuerStore,
    secured: &SecuredCredential,
    anchor: &AnchorReceipt,
) -> Result<WriteOp, ServiceError> {
    let entry = IssuedEntry {
        credential_type: secured.credential_type.clone(),
        hash: hex::encode(secured.hash),
        anchor: anchor.clone(),
        issued_at: now().unix_timestamp(),
    };
    let internal = |err: serde_json::Error| ServiceError::Internal(err.to_string());
    let mut value = match store.get(Table::Credentials, secured.id.as_bytes())? {
        Some(bytes) => serde_json::from_slice(&bytes).map_err(internal)?,
        None => Value::Object(serde_json::Map::new()),
    };
    if let (Some(map), Value::Object(members)) = (
        value.as_object_mut(),
        serde_json::to_value(&entry).map_err(internal)?,
    ) {
        map.extend(members);
    }
    Ok(WriteOp::Put {
        table: Table::Credentials,
        key: secured.id.as_bytes().to_vec(),
        value: serde_json::to_vec(&value).map_err(internal)?,
    })
}

/// The `Meta` key of the published (signed) version of a status list.
fn published_key(list: u32, purpose: ListPurpose) -> String {
    format!("published-status-list/{}", list_id(list, purpose))
}

/// Check, allocate, secure: one credential on the current thread, not anchored and not
/// recorded beyond its status allocation — the library path of [`IssuerService::issue`] and
/// of each record of [`IssuerService::issue_records`] (the benches measure issuance with it).
/// `batch` names the batch in the credential's evidence entry.
pub fn sign_one(
    ctx: &IssuanceContext,
    store: &dyn IssuerStore,
    status: &StatusRegistry,
    request: &Value,
    options: &IssueOptions,
    batch: Option<String>,
) -> Result<SecuredCredential, ServiceError> {
    let at = now();
    let (credential, credential_type) = check(ctx, request, options, at)?;
    let id = new_credential_id();
    let allocation = status.allocate(store, &id)?;
    let members = IssuerMembers {
        status: entries(&ctx.base_url, allocation).to_vec(),
        id,
        batch,
    };
    Ok(secure(
        ctx,
        credential,
        credential_type,
        members,
        options,
        at,
    )?)
}
