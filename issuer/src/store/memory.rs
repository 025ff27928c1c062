//! The in-memory adapter of [`IssuerStore`], for tests and development: one `BTreeMap` per
//! table behind a mutex. Nothing survives the process; every other guarantee of the port holds
//! (atomic `insert_new` / `take` / `write`, ascending `scan`).

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use super::{IssuerStore, StoreError, Table, WriteOp};

type Tables = BTreeMap<Table, BTreeMap<Vec<u8>, Vec<u8>>>;

/// The in-memory [`IssuerStore`] adapter (tests and development; nothing is persisted).
#[derive(Debug, Default)]
pub struct MemoryStore {
    tables: Mutex<Tables>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn lock(
        &self,
        operation: &'static str,
        table: Table,
    ) -> Result<MutexGuard<'_, Tables>, StoreError> {
        self.tables.lock().map_err(|_| StoreError::Backend {
            operation,
            table: table.name(),
            message: "a writer panicked while holding the lock".to_owned(),
        })
    }
}

impl IssuerStore for MemoryStore {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let tables = self.lock("get", table)?;
        Ok(tables.get(&table).and_then(|rows| rows.get(key)).cloned())
    }

    fn put(&self, table: Table, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let mut tables = self.lock("put", table)?;
        tables
            .entry(table)
            .or_default()
            .insert(key.to_vec(), value.to_vec());
        Ok(())
    }

    fn insert_new(&self, table: Table, key: &[u8], value: &[u8]) -> Result<bool, StoreError> {
        let mut tables = self.lock("insert_new", table)?;
        let rows = tables.entry(table).or_default();
        if rows.contains_key(key) {
            return Ok(false);
        }
        rows.insert(key.to_vec(), value.to_vec());
        Ok(true)
    }

    fn take(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let mut tables = self.lock("take", table)?;
        Ok(tables.get_mut(&table).and_then(|rows| rows.remove(key)))
    }

    fn delete(&self, table: Table, key: &[u8]) -> Result<bool, StoreError> {
        let mut tables = self.lock("delete", table)?;
        Ok(tables
            .get_mut(&table)
            .is_some_and(|rows| rows.remove(key).is_some()))
    }

    fn scan(
        &self,
        table: Table,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        use std::ops::Bound;
        let tables = self.lock("scan", table)?;
        let Some(rows) = tables.get(&table) else {
            return Ok(Vec::new());
        };
        let lower = match after {
            Some(after) => Bound::Excluded(after.to_vec()),
            None => Bound::Unbounded,
        };
        Ok(rows
            .range((lower, Bound::Unbounded))
            .take(limit)
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect())
    }

    fn count(&self, table: Table) -> Result<u64, StoreError> {
        let tables = self.lock("count", table)?;
        Ok(tables.get(&table).map_or(0, |rows| rows.len() as u64))
    }

    fn write(&self, ops: &[WriteOp]) -> Result<(), StoreError> {
        let first = match ops.first() {
            Some(WriteOp::Put { table, .. } | WriteOp::Delete { table, .. }) => *table,
            None => return Ok(()),
        };
        let mut tables = self.lock("write", first)?;
        for op in ops {
            match op {
                WriteOp::Put { table, key, value } => {
                    tables
                        .entry(*table)
                        .or_default()
                        .insert(key.clone(), value.clone());
                }
                WriteOp::Delete { table, key } => {
                    if let Some(rows) = tables.get_mut(table) {
                        rows.remove(key);
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_answers_the_value_once_and_insert_new_refuses_a_present_key() {
        let store = MemoryStore::new();
        assert!(store.insert_new(Table::Offers, b"k", b"v").unwrap());
        assert!(!store.insert_new(Table::Offers, b"k", b"w").unwrap());
        assert_eq!(
            store.take(Table::Offers, b"k").unwrap(),
            Some(b"v".to_vec())
        );
        assert_eq!(store.take(Table::Offers, b"k").unwrap(), None);
    }

    #[test]
    fn scan_returns_keys_strictly_after_the_cursor_in_ascending_order() {
        let store = MemoryStore::new();
        for key in [b"c", b"a", b"b"] {
            store.put(Table::Nonces, key, b"").unwrap();
        }
        let keys: Vec<_> = store
            .scan(Table::Nonces, Some(b"a"), 10)
            .unwrap()
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        assert_eq!(keys, vec![b"b".to_vec(), b"c".to_vec()]);
        assert_eq!(store.count(Table::Nonces).unwrap(), 3);
        assert_eq!(store.count(Table::Tokens).unwrap(), 0);
    }
}
