//! [`MemoryStore`]: an in-memory [`IssuerStore`] for tests and demos. **Not durable**: its
//! contents are gone when it is dropped, so it gives every guarantee of the port except
//! durability (no "across restarts").

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use super::{IssuerStore, StoreError, Table, WriteOp};

type Tables = BTreeMap<Table, BTreeMap<Vec<u8>, Vec<u8>>>;

/// An in-memory store: one ordered map per table behind one lock (see the module docs).
#[derive(Debug, Default)]
pub struct MemoryStore {
    tables: Mutex<Tables>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn lock(&self) -> MutexGuard<'_, Tables> {
        // A panic while holding the lock cannot leave a map half-updated (every operation is
        // one map call or a loop over prepared operations), so a poisoned lock is still sound.
        self.tables
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl IssuerStore for MemoryStore {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .lock()
            .get(&table)
            .and_then(|rows| rows.get(key))
            .cloned())
    }

    fn put(&self, table: Table, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.lock()
            .entry(table)
            .or_default()
            .insert(key.to_vec(), value.to_vec());
        Ok(())
    }

    fn insert_new(&self, table: Table, key: &[u8], value: &[u8]) -> Result<bool, StoreError> {
        let mut tables = self.lock();
        let rows = tables.entry(table).or_default();
        if rows.contains_key(key) {
            return Ok(false);
        }
        rows.insert(key.to_vec(), value.to_vec());
        Ok(true)
    }

    fn take(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .lock()
            .get_mut(&table)
            .and_then(|rows| rows.remove(key)))
    }

    fn delete(&self, table: Table, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.take(table, key)?.is_some())
    }

    fn scan(
        &self,
        table: Table,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        let tables = self.lock();
        let Some(rows) = tables.get(&table) else {
            return Ok(Vec::new());
        };
        let start = match after {
            Some(after) => std::ops::Bound::Excluded(after.to_vec()),
            None => std::ops::Bound::Unbounded,
        };
        Ok(rows
            .range((start, std::ops::Bound::Unbounded))
            .take(limit)
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect())
    }

    fn count(&self, table: Table) -> Result<u64, StoreError> {
        Ok(self.lock().get(&table).map_or(0, |rows| rows.len() as u64))
    }

    fn write(&self, ops: &[WriteOp]) -> Result<(), StoreError> {
        let mut tables = self.lock();
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
    fn insert_new_refuses_a_present_key_and_scan_is_ordered() {
        let store = MemoryStore::new();
        assert!(store.insert_new(Table::Meta, b"b", b"1").unwrap());
        assert!(!store.insert_new(Table::Meta, b"b", b"2").unwrap());
        assert_eq!(store.get(Table::Meta, b"b").unwrap(), Some(b"1".to_vec()));
        store
            .write(&[
                WriteOp::Put {
                    table: Table::Meta,
                    key: b"a".to_vec(),
                    value: b"0".to_vec(),
                },
                WriteOp::Put {
                    table: Table::Meta,
                    key: b"c".to_vec(),
                    value: b"2".to_vec(),
                },
            ])
            .unwrap();
        let keys: Vec<_> = store
            .scan(Table::Meta, Some(b"a"), 10)
            .unwrap()
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        assert_eq!(keys, vec![b"b".to_vec(), b"c".to_vec()]);
        assert_eq!(store.count(Table::Meta).unwrap(), 3);
        assert_eq!(store.take(Table::Meta, b"b").unwrap(), Some(b"1".to_vec()));
        assert!(!store.delete(Table::Meta, b"b").unwrap());
        assert_eq!(store.count(Table::Records).unwrap(), 0);
    }
}
