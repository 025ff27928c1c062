//! The PostgreSQL adapter of the [`IssuerStore`] port: what an authority runs in production
//! (its database team already backs up, replicates and monitors PostgreSQL).
//!
//! Schema: one table, created when missing at [`PostgresStore::connect`] (under an advisory
//! lock, so two services starting at once do not race):
//!
//! ```sql
//! CREATE TABLE crosscode_issuer_entries (
//!     tbl   TEXT  NOT NULL,   -- Table::name()
//!     key   BYTEA NOT NULL,
//!     value BYTEA NOT NULL,
//!     PRIMARY KEY (tbl, key)
//! );
//! ```
//!
//! Operations: `insert_new` is `INSERT … ON CONFLICT DO NOTHING`, `take` is
//! `DELETE … RETURNING value` (of two concurrent takers the second waits for the first's row
//! lock and then finds nothing), `write` is one transaction, `scan` is `ORDER BY key` (bytea
//! compares bytewise, as the port requires). A statement returns after the server committed
//! it; durability is the server's (`synchronous_commit`, replication).
//!
//! Connections: a small pool of synchronous clients (the `postgres` crate, which runs
//! tokio-postgres on a runtime of its own). Callers on a tokio runtime call the store from
//! `tokio::task::spawn_blocking`, never from an async task directly; dropping the store on an
//! async worker is safe (its connections are then closed on a thread of their own). A
//! connection that broke (server restart) is replaced at its next use.
//!
//! Transport: the adapter connects with `NoTls`, which suits a server on the same machine
//! (a Unix socket or loopback, as the tests use). **A production deployment whose database is
//! on another machine must use TLS** — a `postgres-rustls` or `postgres-native-tls` connector
//! in place of `NoTls` in `open_client`, with the server's CA pinned — or an equivalent
//! protected link; values are sealed records, but keys, counts and the credential index are
//! not.
//!
//! Errors: a server error is reported by its SQLSTATE only (its message and detail can quote
//! a key); the connection string (it may hold a password) is never printed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use postgres::{Client, Config, NoTls};

use super::{IssuerStore, StoreError, Table, WriteOp};

/// The table holding every entry.
pub const ENTRIES_TABLE: &str = "crosscode_issuer_entries";
/// Connections of the pool of [`PostgresStore::connect`].
pub const DEFAULT_CONNECTIONS: usize = 4;
/// The advisory lock key held while the schema is created (`"ccissuer"` in ASCII).
const SCHEMA_LOCK: i64 = 0x6363_6973_7375_6572;

/// The PostgreSQL [`IssuerStore`].
pub struct PostgresStore {
    config: Config,
    /// The pool: a slot is empty until first used and after its connection broke.
    connections: Vec<Mutex<Option<Client>>>,
    next: AtomicUsize,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the configuration: it may hold a password.
        f.debug_struct("PostgresStore")
            .field("connections", &self.connections.len())
            .finish_non_exhaustive()
    }
}

/// A description of `err` without keys, values or the connection string.
fn describe(err: &postgres::Error) -> String {
    match err.code() {
        Some(code) => format!("server error SQLSTATE {}", code.code()),
        None if err.is_closed() => "the connection is closed".to_owned(),
        // Client-side errors (I/O, protocol, a column of another type) quote no data.
        None => err.to_string(),
    }
}

fn open_client(config: &Config) -> Result<Client, StoreError> {
    config.connect(NoTls).map_err(|err| {
        StoreError::Open(format!("cannot connect to PostgreSQL: {}", describe(&err)))
    })
}

fn create_schema(client: &mut Client) -> Result<(), postgres::Error> {
    let mut transaction = client.transaction()?;
    transaction.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
    transaction.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {ENTRIES_TABLE} (\
             tbl TEXT NOT NULL, key BYTEA NOT NULL, value BYTEA NOT NULL, \
             PRIMARY KEY (tbl, key))"
    ))?;
    transaction.commit()
}

impl PostgresStore {
    /// Connects to the database of `url` (a `postgresql://` URL or `key=value` connection
    /// string) with a pool of [`DEFAULT_CONNECTIONS`] connections, and creates the table when
    /// missing.
    pub fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        PostgresStore::connect_with(url, DEFAULT_CONNECTIONS)
    }

    /// Like [`PostgresStore::connect`] with a pool of `connections` connections (at least 1).
    pub fn connect_with(url: &str, connections: usize) -> Result<PostgresStore, StoreError> {
        let config: Config = url
            .parse()
            .map_err(|_| StoreError::Open("invalid PostgreSQL connection string".into()))?;
        let mut first = open_client(&config)?;
        create_schema(&mut first).map_err(|err| {
            StoreError::Open(format!("cannot create {ENTRIES_TABLE}: {}", describe(&err)))
        })?;
        let mut pool = vec![Mutex::new(Some(first))];
        pool.extend((1..connections.max(1)).map(|_| Mutex::new(None)));
        Ok(PostgresStore {
            config,
            connections: pool,
            next: AtomicUsize::new(0),
        })
    }

    /// A free slot of the pool (waiting for one when all are busy).
    fn slot(&self) -> MutexGuard<'_, Option<Client>> {
        let start = self.next.fetch_add(1, Ordering::Relaxed) % self.connections.len();
        let order = (start..self.connections.len()).chain(0..start);
        for index in order {
            if let Ok(guard) = self.connections[index].try_lock() {
                return guard;
            }
        }
        // A panic while a connection was in use leaves it mid-statement at worst; a
        // transaction is rolled back when dropped, and a broken connection is replaced.
        self.connections[start]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on a pooled connection (opened or reopened as needed).
    fn run<T>(
        &self,
        operation: &'static str,
        table: &'static str,
        f: impl FnOnce(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        let mut slot = self.slot();
        let mut client = match slot.take() {
            Some(client) if !client.is_closed() => client,
            _ => open_client(&self.config).map_err(|err| StoreError::Backend {
                operation,
                table,
                message: err.to_string(),
            })?,
        };
        let result = f(&mut client);
        if !client.is_closed() {
            *slot = Some(client);
        }
        result.map_err(|err| StoreError::Backend {
            operation,
            table,
            message: describe(&err),
        })
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // A `postgres::Client` closes its connection by blocking on its own runtime, which
        // panics on an async worker: there, close them on a thread of their own.
        if tokio::runtime::Handle::try_current().is_ok() {
            let connections = std::mem::take(&mut self.connections);
            std::thread::spawn(move || drop(connections));
        }
    }
}

impl IssuerStore for PostgresStore {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.run("get", table.name(), |client| {
            let row = client.query_opt(
                &format!("SELECT value FROM {ENTRIES_TABLE} WHERE tbl = $1 AND key = $2"),
                &[&table.name(), &key],
            )?;
            row.map(|row| row.try_get(0)).transpose()
        })
    }

    fn put(&self, table: Table, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.run("put", table.name(), |client| {
            client.execute(
                &format!(
                    "INSERT INTO {ENTRIES_TABLE} (tbl, key, value) VALUES ($1, $2, $3) \
                     ON CONFLICT (tbl, key) DO UPDATE SET value = EXCLUDED.value"
                ),
                &[&table.name(), &key, &value],
            )?;
            Ok(())
        })
    }

    fn insert_new(&self, table: Table, key: &[u8], value: &[u8]) -> Result<bool, StoreError> {
        self.run("insert_new", table.name(), |client| {
            let inserted = client.execute(
                &format!(
                    "INSERT INTO {ENTRIES_TABLE} (tbl, key, value) VALUES ($1, $2, $3) \
                     ON CONFLICT (tbl, key) DO NOTHING"
                ),
                &[&table.name(), &key, &value],
            )?;
            Ok(inserted == 1)
        })
    }

    fn take(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.run("take", table.name(), |client| {
            let row = client.query_opt(
                &format!("DELETE FROM {ENTRIES_TABLE} WHERE tbl = $1 AND key = $2 RETURNING value"),
                &[&table.name(), &key],
            )?;
            row.map(|row| row.try_get(0)).transpose()
        })
    }

    fn delete(&self, table: Table, key: &[u8]) -> Result<bool, StoreError> {
        self.run("delete", table.name(), |client| {
            let deleted = client.execute(
                &format!("DELETE FROM {ENTRIES_TABLE} WHERE tbl = $1 AND key = $2"),
                &[&table.name(), &key],
            )?;
            Ok(deleted == 1)
        })
    }

    fn scan(
        &self,
        table: Table,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run("scan", table.name(), |client| {
            let rows = match after {
                Some(after) => client.query(
                    &format!(
                        "SELECT key, value FROM {ENTRIES_TABLE} WHERE tbl = $1 AND key > $2 \
                         ORDER BY key LIMIT $3"
                    ),
                    &[&table.name(), &after, &limit],
                )?,
                None => client.query(
                    &format!(
                        "SELECT key, value FROM {ENTRIES_TABLE} WHERE tbl = $1 \
                         ORDER BY key LIMIT $2"
                    ),
                    &[&table.name(), &limit],
                )?,
            };
            rows.iter()
                .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
                .collect()
        })
    }

    fn count(&self, table: Table) -> Result<u64, StoreError> {
        let count: i64 = self.run("count", table.name(), |client| {
            client
                .query_one(
                    &format!("SELECT count(*) FROM {ENTRIES_TABLE} WHERE tbl = $1"),
                    &[&table.name()],
                )?
                .try_get(0)
        })?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    fn write(&self, ops: &[WriteOp]) -> Result<(), StoreError> {
        self.run("write", "(batch)", |client| {
            let mut transaction = client.transaction()?;
            let put = transaction.prepare(&format!(
                "INSERT INTO {ENTRIES_TABLE} (tbl, key, value) VALUES ($1, $2, $3) \
                 ON CONFLICT (tbl, key) DO UPDATE SET value = EXCLUDED.value"
            ))?;
            let delete = transaction.prepare(&format!(
                "DELETE FROM {ENTRIES_TABLE} WHERE tbl = $1 AND key = $2"
            ))?;
            for op in ops {
                match op {
                    WriteOp::Put { table, key, value } => {
                        transaction.execute(&put, &[&table.name(), key, value])?;
                    }
                    WriteOp::Delete { table, key } => {
                        transaction.execute(&delete, &[&table.name(), key])?;
                    }
                }
            }
            // Dropped without commit on any error above: rolled back.
            transaction.commit()
        })
    }
}
