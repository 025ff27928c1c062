//! The embedded adapter of the [`IssuerStore`] port: one RocksDB database in a directory of
//! the authority's machine (the default; no server to run).
//!
//! Layout: one column family per [`Table`], named [`Table::name`]; keys and values are the
//! port's bytes unchanged (records arrive sealed). Every write is synced (`fsync` of the
//! write-ahead log) before it returns, so it survives a power loss, not only a killed process.
//!
//! Atomicity: [`IssuerStore::write`] is one `WriteBatch` (all or nothing, also across a crash).
//! [`IssuerStore::insert_new`], [`IssuerStore::take`] and [`IssuerStore::delete`] are
//! read-modify-writes; every write (these, `put` and `write`) holds one mutex of the process,
//! so no write lands between such a read and its write. RocksDB's `LOCK` file keeps a second
//! process from opening the same directory, so the mutex is enough. Reads take no lock.
//!
//! [`IssuerStore::count`] walks the table (RocksDB keeps no exact key count): fine for the
//! small tables, linear in the number of records for `Records`.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rocksdb::{ColumnFamilyDescriptor, DB, Direction, IteratorMode, Options, WriteBatch};

use super::{IssuerStore, StoreError, Table, WriteOp};

/// The RocksDB [`IssuerStore`].
pub struct EmbeddedStore {
    db: DB,
    /// Serializes the writes (so a read-modify-write sees no write in between).
    exclusive: Mutex<()>,
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore")
            .field("path", &self.db.path())
            .finish_non_exhaustive()
    }
}

fn backend(operation: &'static str, table: Table) -> impl FnOnce(rocksdb::Error) -> StoreError {
    // RocksDB's messages name files and states, never the keys or values written.
    move |err| StoreError::Backend {
        operation,
        table: table.name(),
        message: err.into_string(),
    }
}

fn synced() -> rocksdb::WriteOptions {
    let mut options = rocksdb::WriteOptions::default();
    options.set_sync(true);
    options
}

impl EmbeddedStore {
    /// Opens (creating if needed) the store in directory `path`, with a column family per
    /// table.
    pub fn open(path: &Path) -> Result<EmbeddedStore, StoreError> {
        let mut options = Options::default();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        let families = Table::ALL
            .iter()
            .map(|table| ColumnFamilyDescriptor::new(table.name(), Options::default()));
        let db = DB::open_cf_descriptors(&options, path, families)
            .map_err(|err| StoreError::Open(err.into_string()))?;
        Ok(EmbeddedStore {
            db,
            exclusive: Mutex::new(()),
        })
    }

    fn cf(
        &self,
        operation: &'static str,
        table: Table,
    ) -> Result<&rocksdb::ColumnFamily, StoreError> {
        self.db
            .cf_handle(table.name())
            .ok_or_else(|| StoreError::Backend {
                operation,
                table: table.name(),
                message: "missing column family".into(),
            })
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        // The guarded unit holds no state a panicking holder could have left half-changed.
        self.exclusive
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get_in(
        &self,
        operation: &'static str,
        table: Table,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.db
            .get_cf(self.cf(operation, table)?, key)
            .map_err(backend(operation, table))
    }

    fn delete_in(
        &self,
        operation: &'static str,
        table: Table,
        key: &[u8],
    ) -> Result<(), StoreError> {
        self.db
            .delete_cf_opt(self.cf(operation, table)?, key, &synced())
            .map_err(backend(operation, table))
    }
}

impl IssuerStore for EmbeddedStore {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.get_in("get", table, key)
    }

    fn put(&self, table: Table, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let _guard = self.lock();
        self.db
            .put_cf_opt(self.cf("put", table)?, key, value, &synced())
            .map_err(backend("put", table))
    }

    fn insert_new(&self, table: Table, key: &[u8], value: &[u8]) -> Result<bool, StoreError> {
        let _guard = self.lock();
        if self.get_in("insert_new", table, key)?.is_some() {
            return Ok(false);
        }
        self.db
            .put_cf_opt(self.cf("insert_new", table)?, key, value, &synced())
            .map_err(backend("insert_new", table))?;
        Ok(true)
    }

    fn take(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let _guard = self.lock();
        let value = self.get_in("take", table, key)?;
        if value.is_some() {
            self.delete_in("take", table, key)?;
        }
        Ok(value)
    }

    fn delete(&self, table: Table, key: &[u8]) -> Result<bool, StoreError> {
        let _guard = self.lock();
        let present = self.get_in("delete", table, key)?.is_some();
        if present {
            self.delete_in("delete", table, key)?;
        }
        Ok(present)
    }

    fn scan(
        &self,
        table: Table,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        let mode = match after {
            Some(key) => IteratorMode::From(key, Direction::Forward),
            None => IteratorMode::Start,
        };
        let mut entries = Vec::new();
        for item in self.db.iterator_cf(self.cf("scan", table)?, mode) {
            if entries.len() >= limit {
                break;
            }
            let (key, value) = item.map_err(backend("scan", table))?;
            if after.is_some_and(|after| *key == *after) {
                continue;
            }
            entries.push((key.into_vec(), value.into_vec()));
        }
        Ok(entries)
    }

    fn count(&self, table: Table) -> Result<u64, StoreError> {
        let mut count = 0u64;
        for item in self
            .db
            .iterator_cf(self.cf("count", table)?, IteratorMode::Start)
        {
            item.map_err(backend("count", table))?;
            count += 1;
        }
        Ok(count)
    }

    fn write(&self, ops: &[WriteOp]) -> Result<(), StoreError> {
        let mut batch = WriteBatch::default();
        for op in ops {
            match op {
                WriteOp::Put { table, key, value } => {
                    batch.put_cf(self.cf("write", *table)?, key, value);
                }
                WriteOp::Delete { table, key } => {
                    batch.delete_cf(self.cf("write", *table)?, key);
                }
            }
        }
        let _guard = self.lock();
        self.db
            .write_opt(batch, &synced())
            .map_err(|err| StoreError::Backend {
                operation: "write",
                table: "(batch)",
                message: err.into_string(),
            })
    }
}
