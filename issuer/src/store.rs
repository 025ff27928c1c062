//! The authority's own database: the [`IssuerStore`] port and its adapters.
//!
//! The issuer keeps everything it must remember in tables of byte keys and byte values:
//!
//! | [`Table`] | key | value |
//! | --- | --- | --- |
//! | `Records` | record id (UTF-8) | a subject record, **sealed** ([`crate::sealing`]) |
//! | `Credentials` | credential id (UTF-8) | what was issued: hash, status entries, anchor (no personal data) |
//! | `StatusIndexes` | list number (u32 BE) ‖ index (u32 BE) | the credential id holding it |
//! | `StatusLists` | list number (u32 BE) | the list's state: bits, version, anchors |
//! | `Offers` | SHA-256 of a pre-authorized code | a credential offer (single use) |
//! | `Tokens` | SHA-256 of an access token | what the token may fetch (single use) |
//! | `Nonces` | SHA-256 of a `c_nonce` | its expiry (single use) |
//! | `Batches` | batch id (UTF-8) | a batch's anchor |
//! | `Meta` | name (UTF-8) | counters and settings |
//!
//! Only `Records` holds personal data, and only sealed: an adapter never sees a personal value
//! in clear, so neither its files nor its logs can leak one. The typed layer above the port
//! (the service's modules) owns the value encodings.
//!
//! Every adapter gives the same guarantees, checked by one shared test suite: a write is
//! durable when it returns; [`IssuerStore::insert_new`] and [`IssuerStore::take`] are atomic
//! (of two concurrent callers exactly one wins — this is what makes offers single-use and
//! status indexes never reused, across restarts too); [`IssuerStore::write`] applies all its
//! operations or none; [`IssuerStore::scan`] returns keys in ascending byte order.
//!
//! Adapters: embedded (RocksDB, the default) and PostgreSQL (what an authority runs in
//! production); [`memory::MemoryStore`] for tests (not durable).

pub mod memory;

/// The tables of the issuer's store (see the module documentation for their keys and values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// Subject records, sealed.
    Records,
    /// Issued credentials' metadata.
    Credentials,
    /// Allocated status-list indexes.
    StatusIndexes,
    /// Status lists' state.
    StatusLists,
    /// OpenID4VCI credential offers, by pre-authorized code hash.
    Offers,
    /// OpenID4VCI access tokens, by token hash.
    Tokens,
    /// OpenID4VCI nonces, by nonce hash.
    Nonces,
    /// Batch anchors.
    Batches,
    /// Counters and settings.
    Meta,
}

impl Table {
    /// Every table.
    pub const ALL: [Table; 9] = [
        Table::Records,
        Table::Credentials,
        Table::StatusIndexes,
        Table::StatusLists,
        Table::Offers,
        Table::Tokens,
        Table::Nonces,
        Table::Batches,
        Table::Meta,
    ];

    /// The table's stable name (a RocksDB column family, a PostgreSQL `tbl` value).
    pub fn name(self) -> &'static str {
        match self {
            Table::Records => "records",
            Table::Credentials => "credentials",
            Table::StatusIndexes => "status-indexes",
            Table::StatusLists => "status-lists",
            Table::Offers => "offers",
            Table::Tokens => "tokens",
            Table::Nonces => "nonces",
            Table::Batches => "batches",
            Table::Meta => "meta",
        }
    }
}

/// One write of an atomic [`IssuerStore::write`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    /// Set `key` to `value` (insert or overwrite).
    Put {
        /// The table.
        table: Table,
        /// The key.
        key: Vec<u8>,
        /// The value.
        value: Vec<u8>,
    },
    /// Remove `key` (no error when absent).
    Delete {
        /// The table.
        table: Table,
        /// The key.
        key: Vec<u8>,
    },
}

/// Why a store operation failed. Messages name the operation and the table, never a key or a
/// value (keys may be derived from personal data by a careless caller; values may be records).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store could not be opened (path, permissions, connection, schema).
    #[error("cannot open the store: {0}")]
    Open(String),
    /// The backend failed while reading or writing.
    #[error("store {operation} on {table} failed: {message}")]
    Backend {
        /// The operation (`get`, `put`, …).
        operation: &'static str,
        /// The table's name.
        table: &'static str,
        /// The backend's message (without keys or values).
        message: String,
    },
}

/// The issuer's storage port (see the module documentation for the guarantees).
pub trait IssuerStore: Send + Sync {
    /// The value of `key`, if any.
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Sets `key` to `value` (insert or overwrite).
    fn put(&self, table: Table, key: &[u8], value: &[u8]) -> Result<(), StoreError>;
    /// Inserts `key` only when absent; `false` when it was present (nothing written). Atomic.
    fn insert_new(&self, table: Table, key: &[u8], value: &[u8]) -> Result<bool, StoreError>;
    /// Removes `key` and answers its value, if any. Atomic: of concurrent takers of one key,
    /// exactly one gets the value.
    fn take(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Removes `key`; `false` when it was absent.
    fn delete(&self, table: Table, key: &[u8]) -> Result<bool, StoreError>;
    /// Up to `limit` entries with keys strictly after `after` (from the first when `None`), in
    /// ascending key order.
    #[allow(clippy::type_complexity, reason = "key-value pairs")]
    fn scan(
        &self,
        table: Table,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError>;
    /// How many entries `table` holds.
    fn count(&self, table: Table) -> Result<u64, StoreError>;
    /// Applies every operation or none.
    fn write(&self, ops: &[WriteOp]) -> Result<(), StoreError>;
}
