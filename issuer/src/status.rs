//! Credential status: W3C Bitstring Status List v1.0 allocation, changes and publication
//! (the list format itself is [`crosscode_core::status_list`]).
//!
//! Every issued credential gets one **allocation**: a list number and an index drawn uniformly
//! at random (from the OS's generator) among the list's free indexes, so that an index says
//! nothing about when or to whom the credential was issued. It carries two `credentialStatus`
//! entries ([`entries`]) pointing at the same index of two published lists, one per purpose:
//! `{base}/status-lists/{list}-revocation` and `{base}/status-lists/{list}-suspension`
//! (`statusSize` 1). Revocation is final; a suspension can be lifted ([`StatusAction`]).
//!
//! Every change bumps the **version** of the list (of the purpose) it changes, in the same
//! store write as the bit. The service then signs [`StatusRegistry::list_credential`], anchors
//! its hash on the chain and sets the chain's status entry, and records that anchor here
//! ([`StatusRegistry::record_published`]), so that a checkpoint holding a block header can
//! prove which version was current at a height. [`StatusRegistry::pending`] lists the versions
//! not yet recorded (after a crash between a change and its publication).
//!
//! **An index is never reused**, across restarts too: under the registry's lock, a drawn index
//! is checked free in the store, and its reservation is written — together with the list's
//! count and the credential's record, one atomic synced [`IssuerStore::write`] for one
//! credential or a whole batch ([`StatusRegistry::allocate_many`]) — before it is handed out;
//! a reservation is never deleted. A list takes
//! allocations until [`FILL_NUMERATOR`]/[`FILL_DENOMINATOR`] of its capacity is reserved (so a
//! random draw finds a free index in a few tries); then allocation moves on to the next list.
//!
//! # Store encodings
//!
//! | table | key | value |
//! | --- | --- | --- |
//! | `StatusIndexes` | list (u32 BE) ‖ index (u32 BE) | the credential id (UTF-8) holding it |
//! | `StatusLists` | list (u32 BE) | the list's state (below) |
//! | `Meta` | `status/current-list` | the list allocations are taken from (u32 BE) |
//! | `Meta` | `status/allocated/` ‖ list (u32 BE) | indexes reserved in the list (u32 BE) |
//! | `Credentials` | credential id (UTF-8) | a JSON object; this module owns its member `"status": {"list": n, "index": n}` |
//!
//! The list state (format 1), all integers big-endian:
//!
//! ```text
//! state     = 0x01 capacity:u32 entries:u32 revocation suspension
//! purpose   = version:u64 count:u8 count*published bits:(entries/8 bytes)
//! published = version:u64 hash:[32] height:u64        ; oldest first, at most 8 kept
//! ```
//!
//! `capacity` is how many indexes the list hands out (`[0, capacity)`), `entries` the length of
//! the published list (`capacity` rounded up to whole bytes, at least 131,072); `bits` are the
//! list's bytes exactly as published (index 0 the left-most bit). The allocated count in
//! `Meta` is written with the reservations; were it ever short, it only decides when to move
//! to the next list, never whether an index is free.
//!
//! Read-modify-writes of one list are serialized by the registry's lock: one registry (one
//! service process) per store.

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crosscode_core::status_list::{BitstringStatusListEntry, StatusListError, StatusPurpose};
use crosscode_core::vc::{Credential, VC_V2_CONTEXT, VcError};
use rand::Rng as _;
use rand::rngs::OsRng;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::store::{IssuerStore, StoreError, Table, WriteOp};

mod state;
use state::ListState;

/// The default number of indexes of a list (the specification's minimum list length).
pub const DEFAULT_CAPACITY: u32 = 131_072;
/// A list takes allocations until `FILL_NUMERATOR / FILL_DENOMINATOR` of it is reserved.
pub const FILL_NUMERATOR: u64 = 3;
/// See [`FILL_NUMERATOR`].
pub const FILL_DENOMINATOR: u64 = 4;
/// How many published versions of each list and purpose the state keeps.
pub const PUBLISHED_KEPT: usize = 8;
/// Random draws per list before it is taken as full (each draw finds a free index with
/// probability at least 1/4, so 64 failures mean the count was wrong).
const DRAWS: usize = 64;
const META_CURRENT_LIST: &[u8] = b"status/current-list";
const META_ALLOCATED: &[u8] = b"status/allocated/";

/// Why a status operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No credential with this id was issued.
    #[error("unknown credential {0}")]
    UnknownCredential(String),
    /// The credential was issued without a status entry.
    #[error("credential {0} has no status entry")]
    NoStatus(String),
    /// A status was already allocated to this credential id.
    #[error("credential {0} already has a status allocation")]
    CredentialExists(String),
    /// The credential is revoked: revocation is final (no suspension, no reinstatement).
    #[error("the credential is revoked; revocation is final")]
    Revoked,
    /// The credential is already suspended.
    #[error("the credential is already suspended")]
    AlreadySuspended,
    /// Reinstating a credential that is not suspended.
    #[error("the credential is not suspended")]
    NotSuspended,
    /// No list with this number exists (nothing was allocated from it).
    #[error("unknown status list {0}")]
    UnknownList(u32),
    /// A list id is not `{list}-revocation` or `{list}-suspension`.
    #[error("invalid status list id (expected `<number>-revocation` or `<number>-suspension`)")]
    InvalidListId,
    /// Recording a version the list has not reached.
    #[error("version {version} of the list is in the future (current {current})")]
    FutureVersion {
        /// The version given.
        version: u64,
        /// The list's current version.
        current: u64,
    },
    /// Recording a version older than the newest recorded one, or one recorded with another
    /// hash.
    #[error("version {version} conflicts with the recorded publications (newest {newest})")]
    VersionConflict {
        /// The version given.
        version: u64,
        /// The newest recorded version.
        newest: u64,
    },
    /// Every list number is used.
    #[error("no status list number left")]
    Exhausted,
    /// The registry's capacity is not usable (0).
    #[error("a status list capacity must be at least 1")]
    InvalidCapacity,
    /// A stored value does not decode.
    #[error("corrupt {table} value: {reason}")]
    Corrupt {
        /// The table's name.
        table: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The list does not encode (never expected).
    #[error(transparent)]
    List(#[from] StatusListError),
    /// The list credential is not a valid credential (an invalid issuer DID or base URL).
    #[error("the status list credential is invalid: {0}")]
    Credential(#[from] VcError),
}

/// Where a credential's status lives: a list and an index in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct StatusAllocation {
    /// The list number.
    pub list: u32,
    /// The index in the list.
    pub index: u32,
}

/// The purpose of a published list: what its set bits mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListPurpose {
    /// Revoked (final).
    Revocation,
    /// Suspended (may be reinstated).
    Suspension,
}

impl ListPurpose {
    /// Both purposes, in the order of the `credentialStatus` entries and the stored state.
    pub const ALL: [ListPurpose; 2] = [ListPurpose::Revocation, ListPurpose::Suspension];

    /// The `statusPurpose` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ListPurpose::Revocation => "revocation",
            ListPurpose::Suspension => "suspension",
        }
    }

    /// The core model's purpose.
    pub fn status_purpose(self) -> StatusPurpose {
        match self {
            ListPurpose::Revocation => StatusPurpose::Revocation,
            ListPurpose::Suspension => StatusPurpose::Suspension,
        }
    }

    fn slot(self) -> usize {
        match self {
            ListPurpose::Revocation => 0,
            ListPurpose::Suspension => 1,
        }
    }
}

/// A status change (`POST /credentials/status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAction {
    /// Revoke for good (sets the revocation bit).
    Revoke,
    /// Suspend (sets the suspension bit).
    Suspend,
    /// Lift a suspension (clears the suspension bit).
    Reinstate,
}

/// What a change did: the bit it changed and the list version that now holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChanged {
    /// The list number.
    pub list: u32,
    /// The index in the list.
    pub index: u32,
    /// The list (purpose) that changed.
    pub purpose: ListPurpose,
    /// The new version of that list.
    pub version: u64,
}

/// A credential's current status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialState {
    /// Where it lives.
    pub allocation: StatusAllocation,
    /// Its revocation bit.
    pub revoked: bool,
    /// Its suspension bit.
    pub suspended: bool,
}

/// One anchored version of a list: the hash of the signed list credential and the height of
/// the block that anchored it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishedVersion {
    /// The list version.
    pub version: u64,
    /// The anchored hash of the signed list credential.
    pub hash: [u8; 32],
    /// The height of the anchoring block.
    pub height: u64,
}

/// A list version to publish: the list, the purpose and its current version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListVersion {
    /// The list number.
    pub list: u32,
    /// The purpose.
    pub purpose: ListPurpose,
    /// The version.
    pub version: u64,
}

/// An unsigned list credential and the version it shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ListCredential {
    /// The `BitstringStatusListCredential` (unsigned).
    pub credential: Credential,
    /// The list version it shows.
    pub version: u64,
}

/// The status registry: allocation, changes and publication records over an [`IssuerStore`]
/// (see the module docs).
#[derive(Debug)]
pub struct StatusRegistry {
    capacity: u32,
    /// Serializes read-modify-writes; holds the capacity of the last list allocated from
    /// (`(list, capacity)`: a list's capacity never changes once stored), so that allocation
    /// does not read and decode the list's whole state every time.
    lock: Mutex<Option<(u32, u32)>>,
}

impl Default for StatusRegistry {
    fn default() -> StatusRegistry {
        StatusRegistry {
            capacity: DEFAULT_CAPACITY,
            lock: Mutex::new(None),
        }
    }
}

impl StatusRegistry {
    /// A registry whose new lists hand out [`DEFAULT_CAPACITY`] indexes.
    pub fn new() -> StatusRegistry {
        StatusRegistry::default()
    }

    /// A registry whose new lists hand out `capacity` indexes (lists already in the store keep
    /// theirs). A capacity under 131,072 still publishes lists of 131,072 entries.
    pub fn with_capacity(capacity: u32) -> Result<StatusRegistry, StatusError> {
        if capacity == 0 {
            return Err(StatusError::InvalidCapacity);
        }
        Ok(StatusRegistry {
            capacity,
            lock: Mutex::new(None),
        })
    }

    /// The capacity of new lists.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    fn lock(&self) -> MutexGuard<'_, Option<(u32, u32)>> {
        // The guarded state is in the store; a panic elsewhere leaves nothing half-written here.
        self.lock.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// [`StatusRegistry::allocate`] for many new credentials at once (a batch): the same
    /// random draws and list moves, but every reservation, count and `Credentials` record is
    /// written in **one** atomic [`IssuerStore::write`] — one synced write instead of three per
    /// credential — before any allocation is handed out. Either every id of `credential_ids`
    /// gets an allocation (in order) or none does (and nothing is written).
    pub fn allocate_many<S: IssuerStore + ?Sized>(
        &self,
        store: &S,
        credential_ids: &[String],
    ) -> Result<Vec<StatusAllocation>, StatusError> {
        let mut known_capacity = self.lock();
        let mut ids = HashSet::with_capacity(credential_ids.len());
        for id in credential_ids {
            if !ids.insert(id.as_str()) || store.get(Table::Credentials, id.as_bytes())?.is_some() {
                return Err(StatusError::CredentialExists(id.clone()));
            }
        }
        let put = |table, key: Vec<u8>, value: Vec<u8>| WriteOp::Put { table, key, value };
        let mut ops = Vec::with_capacity(2 * credential_ids.len() + 4);
        let first_list = read_u32(store.get(Table::Meta, META_CURRENT_LIST)?, "meta")?.unwrap_or(0);
        let mut list = first_list;
        // (capacity, allocated) of `list` once read
        let mut current: Option<(u32, u32)> = None;
        let mut drawn = HashSet::with_capacity(credential_ids.len());
        let mut allocations = Vec::with_capacity(credential_ids.len());
        for id in credential_ids {
            let allocation = loop {
                let (capacity, allocated) = match current {
                    Some(state) => state,
                    None => {
                        let capacity = match *known_capacity {
                            Some((known, capacity)) if known == list => capacity,
                            _ => match read_state(store, list)? {
                                Some(state) => state.capacity,
                                None => {
                                    let state = ListState::new(self.capacity)?;
                                    ops.push(put(
                                        Table::StatusLists,
                                        list.to_be_bytes().to_vec(),
                                        state.encode(),
                                    ));
                                    self.capacity
                                }
                            },
                        };
                        let allocated =
                            read_u32(store.get(Table::Meta, &allocated_key(list))?, "meta")?
                                .unwrap_or(0);
                        (capacity, allocated)
                    }
                };
                let mut count = allocated;
                if u64::from(allocated) * FILL_DENOMINATOR < u64::from(capacity) * FILL_NUMERATOR {
                    if let Some(index) = draw_free(store, list, capacity, &mut drawn)? {
                        current = Some((capacity, allocated.saturating_add(1)));
                        ops.push(put(
                            Table::StatusIndexes,
                            index_key(list, index),
                            id.as_bytes().to_vec(),
                        ));
                        break StatusAllocation { list, index };
                    }
                    // every draw hit a reserved index: the count was short; the list is full
                    count = capacity;
                }
                ops.push(put(
                    Table::Meta,
                    allocated_key(list),
                    count.to_be_bytes().to_vec(),
                ));
                list = list.checked_add(1).ok_or(StatusError::Exhausted)?;
                current = None;
            };
            allocations.push(allocation);
            ops.push(put(
                Table::Credentials,
                id.as_bytes().to_vec(),
                json!({ "status": allocation }).to_string().into_bytes(),
            ));
        }
        if let Some((_, allocated)) = current {
            ops.push(put(
                Table::Meta,
                allocated_key(list),
                allocated.to_be_bytes().to_vec(),
            ));
        }
        if list != first_list {
            ops.push(put(
                Table::Meta,
                META_CURRENT_LIST.to_vec(),
                list.to_be_bytes().to_vec(),
            ));
        }
        store.write(&ops)?;
        if let Some((capacity, _)) = current {
            *known_capacity = Some((list, capacity));
        }
        Ok(allocations)
    }

    /// Allocates a status for a new credential: a random free index of the current list,
    /// reserved for good, and the credential's record in `Credentials` (holding only the
    /// allocation; the issuance adds its members to it) — one synced write
    /// ([`StatusRegistry::allocate_many`] of one id).
    pub fn allocate<S: IssuerStore + ?Sized>(
        &self,
        store: &S,
        credential_id: &str,
    ) -> Result<StatusAllocation, StatusError> {
        self.allocate_many(store, &[credential_id.to_owned()])?
            .pop()
            .ok_or(StatusError::CredentialExists(credential_id.to_owned()))
    }

    /// The allocation of a credential (from its `Credentials` record).
    pub fn allocation_of<S: IssuerStore + ?Sized>(
        &self,
        store: &S,
        credential_id: &str,
    ) -> Result<StatusAllocation, StatusError> {
        let record = store
            .get(Table::Credentials, credential_id.as_bytes())?
            .ok_or_else(|| StatusError::UnknownCredential(credential_id.to_owned()))?;
        let record: Value = serde_json::from_slice(&record).map_err(|_| StatusError::Corrupt {
            table: "credentials",
            reason: "not JSON",
        })?;
        let status = record
            .get("status")
            .ok_or_else(|| StatusError::NoStatus(credential_id.to_owned()))?;
        serde_json::from_value(status.clone()).map_err(|_| StatusError::Corrupt {
            table: "credentials",
            reason: "status is not {list, index}",
        })
    }

    /// A credential's current revocation and suspension bits.
    pub fn state_of<S: IssuerStore + ?Sized>(
        &self,
        store: &S,
        credential_id: &str,
    ) -> Result<CredentialState, StatusError> {
        let allocation = self.allocation_of(store, credential_id)?;
        let state =
            read_state(store, allocation.list)?.ok_or(StatusError::UnknownList(allocation.list))?;
        Ok(CredentialState {
            allocation,
            revoked: state.bit(ListPurpose::Revocation, allocation.index)?,
            suspended: state.bit(ListPurpose::Suspension, allocation.index)?,
        })
    }

    /// Revokes, suspends or reinstates a credential: the bit and the version bump of its list
    /// in one atomic store write.
    pub fn change<S: IssuerStore + ?Sized>(
        &self,
        store: &S,
        credential_id: &str,
        action: StatusAction,
    ) -> Result<StatusChanged, StatusError> {
        let _guard = self.lock();
        let StatusAllocation { list, index } = self.allocation_of(store, credential_id)?;
        let holder = store.get(Table::StatusIndexes, &index_key(list, index))?;
        if holder.as_deref() != Some(credential_id.as_bytes()) {
            return Err(StatusError::Corrupt {
                table: "status-indexes",
                reason: "the index is not reserved for the credential",
            });
        }
        let mut state = read_state(store, list)?.ok_or(StatusError::UnknownList(list))?;
        let revoked = state.bit(ListPurpose::Revocation, index)?;
        let suspended = state.bit(ListPurpose::Suspension, index)?;
        if revoked {
            return Err(StatusError::Revoked);
        }
        let (purpose, value) = match action {
            StatusAction::Revoke => (ListPurpose::Revocation, true),
            StatusAction::Suspend if suspended => return Err(StatusError::AlreadySuspended),
            StatusAction::Suspend => (ListPurpose::Suspension, true),
            StatusAction::Reinstate if !suspended => return Err(StatusError::NotSuspended),
            StatusAction::Reinstate => (ListPurpose::Suspension, false),
        };
        let lane = &mut state.lanes[purpose.slot()];
        lane.bits.set(u64::from(index), value)?;
        lane.version += 1;
        let version = lane.version;
        store.write(&[WriteOp::Put {
            table: Table::StatusLists,
            key: list.to_be_bytes().to_vec(),
            value: state.encode(),
        }])?;
        Ok(StatusChanged {
            list,
            index,
            purpose,
            version,
        })
    }

    /// The current version of a list.
    pub fn version<S: IssuerStore + ?Sized>(
        &self,
        store: &S,
        list: u32,
        purpose: ListPurpose,
    ) -> Result<u64, StatusError> {
        let state = read_state(store, list)?.ok_or(StatusError::UnknownList(list))?;
        Ok(state.lanes[purpose.slot()].version)
    }

    /// The unsigned `BitstringStatusListCredential` of a list's current version, with `id`
    /// `{base_url}/status-lists/{list}-{purpose}` (see [`list_url`]).
    pub fn list_credential<S: IssuerStore + ?Sized>(
        &self,
        store: &S,
        issuer_did: &str,
        base_url: &str,
        list: u32,
        purpose: ListPurpose,
        valid_from: OffsetDateTime,
    ) -> Result<ListCredential, StatusError> {
        let state = read_state(store, list)?.ok_or(StatusError::UnknownList(list))?;
        let lane = &state.lanes[purpose.slot()];
        let url = list_url(base_url, list, purpose);
        let valid_from = crosscode_core::vc::DateTimeStamp::from_instant(valid_from);
        let document = json!({
            "@context": [VC_V2_CONTEXT],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": issuer_did,
            "validFrom": valid_from.as_str(),
            "credentialSubject": {
                "id": format!("{url}#list"),
                "type": "BitstringStatusList",
                "statusPurpose": purpose.as_str(),
                "encodedList": lane.bits.encode()?,
            }
        });
        Ok(ListCredential {
            credential: Credential::from_value(&document)?,
            version: lane.version,
        })
    }

    /// Records that `version` of a list was published: its signed credential's `hash`,
    /// anchored at block `height`. Recording the same version and hash again is a no-op; the
    /// last [`PUBLISHED_KEPT`] versions are kept.
    pub fn record_published<S: IssuerStore + ?Sized>(
        &self,
        store: &S,
        list: u32,
        purpose: ListPurpose,
        version: u64,
        hash: [u8; 32],
        height: u64,
    ) -> Result<(), StatusError> {
        let _guard = self.lock();
        let mut state = read_state(store, list)?.ok_or(StatusError::UnknownList(list))?;
        let lane = &mut state.lanes[purpose.slot()];
        if version > lane.version {
            return Err(StatusError::FutureVersion {
                version,
                current: lane.version,
            });
        }
        let published = PublishedVersion {
            version,
            hash,
            height,
        };
        if let Some(newest) = lane.published.last() {
            if *newest == published {
                return Ok(());
            }
            if version <= newest.version {
                return Err(StatusError::VersionConflict {
                    version,
                    newest: newest.version,
                });
            }
        }
        lane.published.push(published);
        if lane.published.len() > PUBLISHED_KEPT {
            lane.published.remove(0);
        }
        store.write(&[WriteOp::Put {
            table: Table::StatusLists,
            key: list.to_be_bytes().to_vec(),
            value: state.encode(),
        }])?;
        Ok(())
    }

    /// The recorded publications of a list, oldest first.
    pub fn published<S: IssuerStore + ?Sized>(
        &self,
        store: &S,
        list: u32,
        purpose: ListPurpose,
    ) -> Result<Vec<PublishedVersion>, StatusError> {
        let state = read_state(store, list)?.ok_or(StatusError::UnknownList(list))?;
        Ok(state.lanes[purpose.slot()].published.clone())
    }

    /// The list versions not yet recorded as published (a new list's version 0 included), in
    /// list order.
    pub fn pending<S: IssuerStore + ?Sized>(
        &self,
        store: &S,
    ) -> Result<Vec<ListVersion>, StatusError> {
        let mut pending = Vec::new();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let rows = store.scan(Table::StatusLists, after.as_deref(), 64)?;
            let Some((last, _)) = rows.last() else {
                break;
            };
            after = Some(last.clone());
            for (key, value) in &rows {
                let list =
                    read_u32(Some(key.clone()), "status-lists")?.ok_or(StatusError::Corrupt {
                        table: "status-lists",
                        reason: "empty key",
                    })?;
                let state = ListState::decode(value)?;
                for purpose in ListPurpose::ALL {
                    let lane = &state.lanes[purpose.slot()];
                    if lane.published.last().map(|p| p.version) != Some(lane.version) {
                        pending.push(ListVersion {
                            list,
                            purpose,
                            version: lane.version,
                        });
                    }
                }
            }
        }
        Ok(pending)
    }
}

/// The URL of a published list: `{base_url}/status-lists/{list}-{purpose}` (a trailing `/` of
/// the base is dropped).
pub fn list_url(base_url: &str, list: u32, purpose: ListPurpose) -> String {
    format!(
        "{}/status-lists/{}",
        base_url.trim_end_matches('/'),
        list_id(list, purpose)
    )
}

/// The route id of a list: `{list}-{purpose}`, e.g. `3-revocation`.
pub fn list_id(list: u32, purpose: ListPurpose) -> String {
    format!("{list}-{}", purpose.as_str())
}

/// Parses a route id `{list}-revocation` / `{list}-suspension` (the list in base-10 digits).
pub fn parse_list_id(id: &str) -> Result<(u32, ListPurpose), StatusError> {
    let (number, purpose) = id.split_once('-').ok_or(StatusError::InvalidListId)?;
    if number.is_empty() || !number.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(StatusError::InvalidListId);
    }
    let list = number.parse().map_err(|_| StatusError::InvalidListId)?;
    let purpose = match purpose {
        "revocation" => ListPurpose::Revocation,
        "suspension" => ListPurpose::Suspension,
        _ => return Err(StatusError::InvalidListId),
    };
    Ok((list, purpose))
}

/// The two `credentialStatus` entries of an allocation: revocation, then suspension; each
/// with `id` `{statusListCredential}#{index}`.
pub fn entries(base_url: &str, allocation: StatusAllocation) -> [Value; 2] {
    ListPurpose::ALL.map(|purpose| {
        let url = list_url(base_url, allocation.list, purpose);
        BitstringStatusListEntry {
            id: Some(format!("{url}#{}", allocation.index)),
            status_purpose: purpose.status_purpose(),
            status_list_index: allocation.index,
            status_list_credential: url,
        }
        .to_value()
    })
}

/// Draws random indexes of `[0, capacity)` until one is neither reserved in the store nor
/// drawn already (`drawn`, which it joins); `None` after [`DRAWS`] misses.
fn draw_free<S: IssuerStore + ?Sized>(
    store: &S,
    list: u32,
    capacity: u32,
    drawn: &mut HashSet<(u32, u32)>,
) -> Result<Option<u32>, StatusError> {
    for _ in 0..DRAWS {
        let index = OsRng.gen_range(0..capacity);
        if drawn.contains(&(list, index))
            || store
                .get(Table::StatusIndexes, &index_key(list, index))?
                .is_some()
        {
            continue;
        }
        drawn.insert((list, index));
        return Ok(Some(index));
    }
    Ok(None)
}

fn index_key(list: u32, index: u32) -> Vec<u8> {
    let mut key = list.to_be_bytes().to_vec();
    key.extend_from_slice(&index.to_be_bytes());
    key
}

fn allocated_key(list: u32) -> Vec<u8> {
    let mut key = META_ALLOCATED.to_vec();
    key.extend_from_slice(&list.to_be_bytes());
    key
}

fn read_u32(value: Option<Vec<u8>>, table: &'static str) -> Result<Option<u32>, StatusError> {
    value
        .map(|bytes| {
            <[u8; 4]>::try_from(bytes.as_slice())
                .map(u32::from_be_bytes)
                .map_err(|_| StatusError::Corrupt {
                    table,
                    reason: "not a 4-byte number",
                })
        })
        .transpose()
}

fn read_state<S: IssuerStore + ?Sized>(
    store: &S,
    list: u32,
) -> Result<Option<ListState>, StatusError> {
    store
        .get(Table::StatusLists, &list.to_be_bytes())?
        .map(|bytes| ListState::decode(&bytes))
        .transpose()
}

#[cfg(test)]
mod tests;
