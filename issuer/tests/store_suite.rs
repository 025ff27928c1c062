//! The one behaviour suite of the [`IssuerStore`] port, run against every adapter: the
//! embedded RocksDB store (a temporary directory) and the PostgreSQL store (a throwaway
//! cluster per test, `crosscode_testing::postgres`; without PostgreSQL installed these tests
//! fail and say to run `cargo xtask test`).
//!
//! Each behaviour is a generic function over a [`Backend`]; the `store_suite!` macro calls
//! every one from a test module per adapter. The records tests check the [`RecordBook`] over
//! both adapters, and that no personal value reaches the backend's files in clear.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};

use crosscode_issuer::records::{HealthStatus, RecordBook, SubjectRecord, TestResult, Vaccination};
use crosscode_issuer::sealing::RecordKey;
use crosscode_issuer::store::embedded::EmbeddedStore;
use crosscode_issuer::store::postgres::{ENTRIES_TABLE, PostgresStore};
use crosscode_issuer::store::{IssuerStore, Table, WriteOp};
use crosscode_testing::postgres::PostgresCluster;

/// A place to open a store of one adapter, again and again (a reopen sees what was written).
trait Backend {
    /// Opens the store (after the previous one was dropped, for the embedded store).
    fn open(&self) -> Box<dyn IssuerStore>;
    /// Every byte the backend keeps on disk (for the no-clear-text check).
    fn files(&self) -> Vec<PathBuf>;
}

struct Embedded {
    dir: crosscode_testing::TempDir,
}

impl Embedded {
    fn new() -> Self {
        Embedded {
            dir: crosscode_testing::temp_dir("issuer-store"),
        }
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Backend for Embedded {
    fn open(&self) -> Box<dyn IssuerStore> {
        Box::new(EmbeddedStore::open(&self.dir).unwrap())
    }

    fn files(&self) -> Vec<PathBuf> {
        files_under(&self.dir)
    }
}

struct Postgres {
    cluster: PostgresCluster,
}

impl Postgres {
    fn new() -> Self {
        Postgres {
            cluster: PostgresCluster::start(),
        }
    }
}

impl Backend for Postgres {
    fn open(&self) -> Box<dyn IssuerStore> {
        Box::new(PostgresStore::connect(&self.cluster.url()).unwrap())
    }

    fn files(&self) -> Vec<PathBuf> {
        // Write everything out of the server's buffers into its data files first.
        let mut client = postgres::Client::connect(&self.cluster.url(), postgres::NoTls).unwrap();
        client.batch_execute("CHECKPOINT").unwrap();
        files_under(&self.cluster.data_dir())
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn put(table: Table, key: &[u8], value: &[u8]) -> WriteOp {
    WriteOp::Put {
        table,
        key: key.to_vec(),
        value: value.to_vec(),
    }
}

// ---- the behaviours ----------------------------------------------------------------------

fn get_put_and_overwrite(backend: &impl Backend) {
    let store = backend.open();
    assert_eq!(store.get(Table::Meta, b"k").unwrap(), None);
    store.put(Table::Meta, b"k", b"one").unwrap();
    assert_eq!(
        store.get(Table::Meta, b"k").unwrap().as_deref(),
        Some(&b"one"[..])
    );
    store.put(Table::Meta, b"k", b"two").unwrap();
    assert_eq!(
        store.get(Table::Meta, b"k").unwrap().as_deref(),
        Some(&b"two"[..])
    );
    assert!(store.delete(Table::Meta, b"k").unwrap());
    assert!(!store.delete(Table::Meta, b"k").unwrap());
    assert_eq!(store.get(Table::Meta, b"k").unwrap(), None);
}

fn insert_new_refuses_an_existing_key(backend: &impl Backend) {
    let store = backend.open();
    assert!(store.insert_new(Table::Offers, b"code", b"first").unwrap());
    assert!(!store.insert_new(Table::Offers, b"code", b"second").unwrap());
    assert_eq!(
        store.get(Table::Offers, b"code").unwrap().as_deref(),
        Some(&b"first"[..])
    );
}

fn take_answers_the_value_once(backend: &impl Backend) {
    let store = backend.open();
    store.put(Table::Tokens, b"t", b"grant").unwrap();
    assert_eq!(
        store.take(Table::Tokens, b"t").unwrap().as_deref(),
        Some(&b"grant"[..])
    );
    assert_eq!(store.take(Table::Tokens, b"t").unwrap(), None);
    assert_eq!(store.get(Table::Tokens, b"t").unwrap(), None);
}

/// Runs `f` on `threads` threads started together; their answers.
fn race<T: Send + 'static>(
    store: Arc<dyn IssuerStore>,
    threads: usize,
    f: impl Fn(&dyn IssuerStore, usize) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let barrier = Arc::new(Barrier::new(threads));
    let f = Arc::new(f);
    let handles: Vec<_> = (0..threads)
        .map(|n| {
            let (store, barrier, f) = (store.clone(), barrier.clone(), f.clone());
            std::thread::spawn(move || {
                barrier.wait();
                f(store.as_ref(), n)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

fn of_concurrent_takers_of_one_key_exactly_one_wins(backend: &impl Backend) {
    let store: Arc<dyn IssuerStore> = backend.open().into();
    for round in 0..5u8 {
        let key = [round];
        store.put(Table::Offers, &key, b"offer").unwrap();
        let won = race(store.clone(), 8, move |store, _| {
            store.take(Table::Offers, &key).unwrap()
        });
        assert_eq!(won.iter().flatten().count(), 1, "round {round}: {won:?}");
    }
}

fn of_concurrent_inserters_of_one_key_exactly_one_wins(backend: &impl Backend) {
    let store: Arc<dyn IssuerStore> = backend.open().into();
    let won = race(store.clone(), 8, |store, n| {
        store
            .insert_new(Table::StatusIndexes, b"index", &[u8::try_from(n).unwrap()])
            .unwrap()
            .then_some(n)
    });
    let winners: Vec<usize> = won.into_iter().flatten().collect();
    assert_eq!(winners.len(), 1);
    assert_eq!(
        store.get(Table::StatusIndexes, b"index").unwrap(),
        Some(vec![u8::try_from(winners[0]).unwrap()])
    );
}

fn a_write_applies_all_its_operations_at_once(backend: &impl Backend) {
    let store = backend.open();
    store.put(Table::Offers, b"old", b"x").unwrap();
    store
        .write(&[
            put(Table::Credentials, b"c1", b"meta"),
            put(
                Table::StatusIndexes,
                b"\x00\x00\x00\x01\x00\x00\x00\x07",
                b"c1",
            ),
            WriteOp::Delete {
                table: Table::Offers,
                key: b"old".to_vec(),
            },
            WriteOp::Delete {
                table: Table::Offers,
                key: b"never-there".to_vec(),
            },
        ])
        .unwrap();
    assert_eq!(
        store.get(Table::Credentials, b"c1").unwrap().as_deref(),
        Some(&b"meta"[..])
    );
    assert_eq!(store.count(Table::StatusIndexes).unwrap(), 1);
    assert_eq!(store.get(Table::Offers, b"old").unwrap(), None);
    store.write(&[]).unwrap();
}

fn a_write_is_seen_whole_or_not_at_all_by_concurrent_readers(backend: &impl Backend) {
    // A writer moves one unit between two keys with each write; readers must never see
    // both keys or neither (a half-applied write).
    let store: Arc<dyn IssuerStore> = backend.open().into();
    store.put(Table::Meta, b"a", b"1").unwrap();
    let answers = race(store, 3, |store, n| {
        let mut torn = 0;
        for round in 0..60 {
            if n == 0 {
                let (from, to) = if round % 2 == 0 {
                    (b"a", b"b")
                } else {
                    (b"b", b"a")
                };
                store
                    .write(&[
                        WriteOp::Delete {
                            table: Table::Meta,
                            key: from.to_vec(),
                        },
                        put(Table::Meta, to, b"1"),
                    ])
                    .unwrap();
            } else {
                let entries = store.scan(Table::Meta, None, 10).unwrap();
                if entries.len() != 1 {
                    torn += 1;
                }
            }
        }
        torn
    });
    assert_eq!(answers, [0, 0, 0]);
}

fn scan_is_in_byte_order_and_pages_with_after_and_limit(backend: &impl Backend) {
    let store = backend.open();
    let keys: [&[u8]; 6] = [b"b", b"\x00", b"a\xff", b"\xff\x00", b"a", b"ab"];
    for key in keys {
        store.put(Table::Batches, key, key).unwrap();
    }
    let mut sorted = keys.map(<[u8]>::to_vec);
    sorted.sort();
    let all = store.scan(Table::Batches, None, 100).unwrap();
    assert_eq!(
        all.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
        sorted
    );
    assert!(all.iter().all(|(k, v)| k == v));

    let mut paged = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page = store.scan(Table::Batches, after.as_deref(), 4).unwrap();
        assert!(page.len() <= 4);
        let Some((last, _)) = page.last() else { break };
        after = Some(last.clone());
        paged.extend(page.into_iter().map(|(k, _)| k));
    }
    assert_eq!(paged, sorted);
    // `after` need not be a stored key; a limit of 0 answers nothing
    let from_aa = store.scan(Table::Batches, Some(b"aa"), 10).unwrap();
    assert_eq!(from_aa[0].0, b"ab");
    assert!(store.scan(Table::Batches, None, 0).unwrap().is_empty());
    assert!(
        store
            .scan(Table::Batches, Some(b"\xff\x00"), 10)
            .unwrap()
            .is_empty()
    );
}

fn count_counts_the_entries_of_one_table(backend: &impl Backend) {
    let store = backend.open();
    assert_eq!(store.count(Table::Nonces).unwrap(), 0);
    for n in 0..5u8 {
        store.put(Table::Nonces, &[n], b"exp").unwrap();
    }
    store.put(Table::Nonces, &[0], b"again").unwrap();
    store.delete(Table::Nonces, &[4]).unwrap();
    assert_eq!(store.count(Table::Nonces).unwrap(), 4);
}

fn tables_are_separate(backend: &impl Backend) {
    let store = backend.open();
    for (n, table) in Table::ALL.into_iter().enumerate() {
        store
            .put(table, b"same-key", &[u8::try_from(n).unwrap()])
            .unwrap();
    }
    for (n, table) in Table::ALL.into_iter().enumerate() {
        assert_eq!(
            store.get(table, b"same-key").unwrap(),
            Some(vec![u8::try_from(n).unwrap()])
        );
        assert_eq!(store.count(table).unwrap(), 1);
    }
    assert!(store.take(Table::Offers, b"same-key").unwrap().is_some());
    assert!(store.get(Table::Tokens, b"same-key").unwrap().is_some());
    assert_eq!(store.scan(Table::Tokens, None, 10).unwrap().len(), 1);
}

fn data_survives_a_reopen(backend: &impl Backend) {
    {
        let store = backend.open();
        store.put(Table::Records, b"rec", b"sealed").unwrap();
        assert!(store.insert_new(Table::StatusIndexes, b"i", b"c").unwrap());
        store.put(Table::Offers, b"offer", b"o").unwrap();
        store.write(&[put(Table::Meta, b"counter", b"7")]).unwrap();
    }
    let store = backend.open();
    assert_eq!(
        store.get(Table::Records, b"rec").unwrap().as_deref(),
        Some(&b"sealed"[..])
    );
    assert!(
        !store
            .insert_new(Table::StatusIndexes, b"i", b"other")
            .unwrap()
    );
    assert_eq!(
        store.take(Table::Offers, b"offer").unwrap().as_deref(),
        Some(&b"o"[..])
    );
    assert_eq!(
        store.get(Table::Meta, b"counter").unwrap().as_deref(),
        Some(&b"7"[..])
    );
    drop(store);
    assert_eq!(backend.open().get(Table::Offers, b"offer").unwrap(), None);
}

fn keys_and_values_may_hold_any_bytes(backend: &impl Backend) {
    let store = backend.open();
    let every_byte: Vec<u8> = (0..=255).collect();
    let big = vec![0xA5; 1 << 20];
    store.put(Table::Meta, &every_byte, &every_byte).unwrap();
    store.put(Table::Meta, b"\x00", b"").unwrap();
    store.put(Table::Meta, b"big", &big).unwrap();
    assert_eq!(
        store.get(Table::Meta, &every_byte).unwrap(),
        Some(every_byte.clone())
    );
    assert_eq!(store.get(Table::Meta, b"\x00").unwrap(), Some(Vec::new()));
    assert_eq!(store.get(Table::Meta, b"big").unwrap(), Some(big));
    assert_eq!(store.get(Table::Meta, b"").unwrap(), None);
}

// ---- records over the store --------------------------------------------------------------

const SENTINEL_NAME: &str = "Zyxwv Sentinelname";
const SENTINEL_DOCUMENT: &str = "DOCSENTINEL987654";

fn subject(name: &str) -> SubjectRecord {
    SubjectRecord {
        name: name.into(),
        birth_date: "1975-12-31".into(),
        document_number: SENTINEL_DOCUMENT.into(),
        health_status: HealthStatus::Green,
        test_results: vec![TestResult {
            test_type: "nucleic-acid".into(),
            result: "negative".into(),
            sampled_at: "2020-05-11T08:00:00Z".into(),
        }],
        vaccinations: vec![Vaccination {
            vaccine: "BNT162b2".into(),
            dose: 2,
            date: "2021-06-01".into(),
        }],
    }
}

fn records_round_trip_and_list_in_id_order(backend: &impl Backend) {
    let key = RecordKey::generate().unwrap();
    let store = backend.open();
    let book = RecordBook::new(store.as_ref(), &key);
    let mut ids: Vec<_> = (0..5)
        .map(|n| book.put(&subject(&format!("Person {n}"))).unwrap())
        .collect();
    let first = &ids[0];
    assert_eq!(book.get(first).unwrap(), Some(subject("Person 0")));
    ids.sort();
    assert_eq!(book.list(None, 10).unwrap(), ids);
    assert_eq!(book.list(Some(&ids[1]), 2).unwrap(), ids[2..4]);
    assert_eq!(book.count().unwrap(), 5);
    assert!(book.delete(&ids[0]).unwrap());
    assert!(!book.delete(&ids[0]).unwrap());
    assert_eq!(book.get(&ids[0]).unwrap(), None);
    drop(store);
    let store = backend.open();
    let book = RecordBook::new(store.as_ref(), &key);
    assert_eq!(book.list(None, 10).unwrap(), ids[1..]);
}

fn no_personal_value_reaches_the_backend_in_clear(backend: &impl Backend) {
    let key = RecordKey::generate().unwrap();
    let store = backend.open();
    let book = RecordBook::new(store.as_ref(), &key);
    for _ in 0..20 {
        book.put(&subject(SENTINEL_NAME)).unwrap();
    }
    for (_, sealed) in store.scan(Table::Records, None, 100).unwrap() {
        assert!(!contains(&sealed, SENTINEL_NAME.as_bytes()));
        assert!(!contains(&sealed, SENTINEL_DOCUMENT.as_bytes()));
    }
    drop(store);
    let files = backend.files();
    assert!(!files.is_empty());
    for file in files {
        let bytes = std::fs::read(&file).unwrap_or_default();
        for sentinel in [SENTINEL_NAME, SENTINEL_DOCUMENT] {
            assert!(
                !contains(&bytes, sentinel.as_bytes()),
                "{sentinel} in {}",
                file.display()
            );
        }
    }
}

/// The control of the check above: a value stored in clear is found in the backend's files.
fn the_clear_text_check_finds_a_value_stored_in_clear(backend: &impl Backend) {
    let store = backend.open();
    store
        .put(Table::Meta, b"control", b"CLEARTEXT-CONTROL-VALUE")
        .unwrap();
    drop(store);
    let found = backend.files().into_iter().any(|file| {
        contains(
            &std::fs::read(file).unwrap_or_default(),
            b"CLEARTEXT-CONTROL-VALUE",
        )
    });
    assert!(found);
}

fn a_record_moved_to_another_id_does_not_open(backend: &impl Backend) {
    let key = RecordKey::generate().unwrap();
    let store = backend.open();
    let book = RecordBook::new(store.as_ref(), &key);
    let a = book.put(&subject("Person A")).unwrap();
    let b = book.put(&subject("Person B")).unwrap();
    let sealed_a = store
        .get(Table::Records, a.as_str().as_bytes())
        .unwrap()
        .unwrap();
    store
        .put(Table::Records, b.as_str().as_bytes(), &sealed_a)
        .unwrap();
    let err = book.get(&b).unwrap_err();
    assert!(
        matches!(
            err,
            crosscode_issuer::records::RecordBookError::Sealing(
                crosscode_issuer::sealing::SealingError::Unauthentic
            )
        ),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains("Person"));
}

/// One test per behaviour for the adapter whose [`Backend`] `$backend` makes.
macro_rules! store_suite {
    ($module:ident, $backend:expr) => {
        mod $module {
            use super::*;

            store_suite!(@tests $backend;
                get_put_and_overwrite,
                insert_new_refuses_an_existing_key,
                take_answers_the_value_once,
                of_concurrent_takers_of_one_key_exactly_one_wins,
                of_concurrent_inserters_of_one_key_exactly_one_wins,
                a_write_applies_all_its_operations_at_once,
                a_write_is_seen_whole_or_not_at_all_by_concurrent_readers,
                scan_is_in_byte_order_and_pages_with_after_and_limit,
                count_counts_the_entries_of_one_table,
                tables_are_separate,
                data_survives_a_reopen,
                keys_and_values_may_hold_any_bytes,
                records_round_trip_and_list_in_id_order,
                no_personal_value_reaches_the_backend_in_clear,
                the_clear_text_check_finds_a_value_stored_in_clear,
                a_record_moved_to_another_id_does_not_open,
            );
        }
    };
    (@tests $backend:expr; $($behaviour:ident),* $(,)?) => {
        $(
            #[test]
            fn $behaviour() {
                super::$behaviour(&$backend);
            }
        )*
    };
}

store_suite!(embedded, Embedded::new());
store_suite!(postgres_store, Postgres::new());

// ---- adapter-specific ----------------------------------------------------------------------

#[test]
fn the_embedded_store_refuses_a_second_open_of_its_directory() {
    let backend = Embedded::new();
    let _first = backend.open();
    let err = EmbeddedStore::open(&backend.dir).unwrap_err();
    assert!(
        matches!(err, crosscode_issuer::store::StoreError::Open(_)),
        "{err:?}"
    );
}

#[test]
fn the_postgres_store_creates_its_table_once_and_keeps_it() {
    let backend = Postgres::new();
    backend.open().put(Table::Meta, b"k", b"v").unwrap();
    let mut client = postgres::Client::connect(&backend.cluster.url(), postgres::NoTls).unwrap();
    let rows = client
        .query(&format!("SELECT tbl, key, value FROM {ENTRIES_TABLE}"), &[])
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<_, String>(0), "meta");
    assert_eq!(rows[0].get::<_, Vec<u8>>(1), b"k");
    // connecting again finds the table and its row
    assert_eq!(backend.open().count(Table::Meta).unwrap(), 1);
}

#[test]
fn the_postgres_store_works_from_tokio_blocking_threads_and_drops_on_async_workers() {
    let backend = Postgres::new();
    let url = backend.cluster.url();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runtime.block_on(async move {
        let store = tokio::task::spawn_blocking(move || {
            let store = PostgresStore::connect(&url).unwrap();
            store.put(Table::Meta, b"k", b"v").unwrap();
            Arc::new(store)
        })
        .await
        .unwrap();
        let reader = store.clone();
        let value = tokio::task::spawn_blocking(move || reader.get(Table::Meta, b"k").unwrap())
            .await
            .unwrap();
        assert_eq!(value.as_deref(), Some(&b"v"[..]));
        // the last reference goes away on an async worker: no panic
        drop(store);
    });
}

#[test]
fn the_postgres_store_reconnects_after_the_server_dropped_its_connections() {
    let backend = Postgres::new();
    let store = PostgresStore::connect_with(&backend.cluster.url(), 1).unwrap();
    store.put(Table::Meta, b"k", b"v").unwrap();
    let mut admin = postgres::Client::connect(&backend.cluster.url(), postgres::NoTls).unwrap();
    admin
        .batch_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'",
        )
        .unwrap();
    // the first use may see the broken connection; the next one reconnects
    let _ = store.get(Table::Meta, b"k");
    assert_eq!(
        store.get(Table::Meta, b"k").unwrap().as_deref(),
        Some(&b"v"[..])
    );
}

#[test]
fn a_postgres_store_that_cannot_connect_says_so_without_the_password() {
    let cluster = PostgresCluster::start();
    let url = format!(
        "host=127.0.0.1 port={} user=nobody password=HUNTER2SECRET dbname=none",
        cluster.port()
    );
    let err = PostgresStore::connect(&url).unwrap_err();
    assert!(
        matches!(err, crosscode_issuer::store::StoreError::Open(_)),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains("HUNTER2"), "{err}");
    let err = PostgresStore::connect("host=127.0.0.1 port=notaport password=HUNTER2").unwrap_err();
    assert!(!err.to_string().contains("HUNTER2"), "{err}");
}
