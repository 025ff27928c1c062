use std::collections::HashSet;
use std::io::Write as _;
use std::process::{Command, Stdio};

use crosscode_core::status_list::{BitstringStatusList, BitstringStatusListEntry, StatusPurpose};
use time::macros::datetime;

use super::*;
use crate::store::memory::MemoryStore;

const BASE: &str = "https://health.example.mo";
const ISSUER: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

fn credential_id(n: usize) -> String {
    format!("urn:uuid:00000000-0000-4000-8000-{n:012}")
}

fn decoded_list(
    registry: &StatusRegistry,
    store: &MemoryStore,
    list: u32,
    purpose: ListPurpose,
) -> (BitstringStatusList, u64) {
    let published = registry
        .list_credential(
            store,
            ISSUER,
            BASE,
            list,
            purpose,
            datetime!(2026-11-21 10:00 UTC),
        )
        .unwrap();
    (
        BitstringStatusList::from_credential(&published.credential).unwrap(),
        published.version,
    )
}

#[test]
fn no_index_is_reused_over_ten_thousand_allocations() {
    let store = MemoryStore::new();
    let registry = StatusRegistry::new();
    let mut seen = HashSet::new();
    for n in 0..10_000 {
        let allocation = registry.allocate(&store, &credential_id(n)).unwrap();
        assert_eq!(allocation.list, 0);
        assert!(allocation.index < DEFAULT_CAPACITY);
        assert!(seen.insert(allocation), "index reused: {allocation:?}");
    }
    assert_eq!(store.count(Table::StatusIndexes).unwrap(), 10_000);
    // random, not sequential: the first hundred are not 0..100
    assert!(seen.iter().any(|allocation| allocation.index >= 10_000));
}

#[test]
fn allocations_move_to_the_next_list_at_three_quarters_and_survive_a_restart() {
    let store = MemoryStore::new();
    let registry = StatusRegistry::with_capacity(16).unwrap();
    let mut seen = HashSet::new();
    for n in 0..24 {
        let allocation = registry.allocate(&store, &credential_id(n)).unwrap();
        assert_eq!(allocation.list, (n / 12) as u32, "allocation {n}");
        assert!(allocation.index < 16);
        assert!(seen.insert(allocation));
    }
    // a new registry over the same store (a restart) carries on where the last one stopped
    let restarted = StatusRegistry::with_capacity(16).unwrap();
    for n in 24..36 {
        let allocation = restarted.allocate(&store, &credential_id(n)).unwrap();
        assert_eq!(allocation.list, 2);
        assert!(seen.insert(allocation));
    }
    // a list whose count was lost (a crash after the reservation) is never handed out twice
    store
        .put(Table::Meta, &allocated_key(2), &0u32.to_be_bytes())
        .unwrap();
    for n in 36..60 {
        assert!(seen.insert(restarted.allocate(&store, &credential_id(n)).unwrap()));
    }
    assert!(matches!(
        StatusRegistry::with_capacity(0),
        Err(StatusError::InvalidCapacity)
    ));
}

#[test]
fn a_batch_allocation_is_one_write_that_moves_lists_like_one_by_one_and_reuses_no_index() {
    let store = MemoryStore::new();
    let registry = StatusRegistry::with_capacity(16).unwrap();
    let mut seen = HashSet::new();
    // two one by one, then 20 in one batch: lists 0 (12 indexes) and 1, then on with list 1
    for n in 0..2 {
        assert!(seen.insert(registry.allocate(&store, &credential_id(n)).unwrap()));
    }
    let ids: Vec<String> = (2..22).map(credential_id).collect();
    let batch = registry.allocate_many(&store, &ids).unwrap();
    assert_eq!(batch.len(), 20);
    for (n, allocation) in (2..22).zip(&batch) {
        assert_eq!(allocation.list, (n / 12) as u32, "allocation {n}");
        assert!(allocation.index < 16);
        assert!(seen.insert(*allocation), "index reused: {allocation:?}");
        assert_eq!(
            registry.allocation_of(&store, &credential_id(n)).unwrap(),
            *allocation
        );
    }
    // a restarted registry carries on after the batch
    let restarted = StatusRegistry::with_capacity(16).unwrap();
    for n in 22..30 {
        let allocation = restarted.allocate(&store, &credential_id(n)).unwrap();
        assert_eq!(allocation.list, (n / 12) as u32);
        assert!(seen.insert(allocation));
    }
    assert_eq!(store.count(Table::StatusIndexes).unwrap(), 30);
}

#[test]
fn a_batch_with_an_id_already_allocated_allocates_nothing() {
    let store = MemoryStore::new();
    let registry = StatusRegistry::new();
    registry.allocate(&store, "urn:uuid:a").unwrap();
    for ids in [
        vec!["urn:uuid:b".to_owned(), "urn:uuid:a".to_owned()],
        vec!["urn:uuid:c".to_owned(), "urn:uuid:c".to_owned()],
    ] {
        assert!(matches!(
            registry.allocate_many(&store, &ids),
            Err(StatusError::CredentialExists(_))
        ));
    }
    assert_eq!(store.count(Table::StatusIndexes).unwrap(), 1);
    assert_eq!(store.count(Table::Credentials).unwrap(), 1);
}

#[test]
fn a_credential_id_gets_one_allocation() {
    let store = MemoryStore::new();
    let registry = StatusRegistry::new();
    let allocation = registry.allocate(&store, "urn:uuid:a").unwrap();
    assert_eq!(
        registry.allocation_of(&store, "urn:uuid:a").unwrap(),
        allocation
    );
    assert!(matches!(
        registry.allocate(&store, "urn:uuid:a"),
        Err(StatusError::CredentialExists(id)) if id == "urn:uuid:a"
    ));
}

#[test]
fn the_status_entries_point_at_both_lists() {
    let [revocation, suspension] = entries(
        "https://health.example.mo/",
        StatusAllocation {
            list: 3,
            index: 94_567,
        },
    );
    assert_eq!(
        revocation,
        json!({
            "id": "https://health.example.mo/status-lists/3-revocation#94567",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": "https://health.example.mo/status-lists/3-revocation"
        })
    );
    let suspension = BitstringStatusListEntry::from_value(&suspension).unwrap();
    assert_eq!(suspension.status_purpose, StatusPurpose::Suspension);
    assert_eq!(
        suspension.status_list_credential,
        "https://health.example.mo/status-lists/3-suspension"
    );
    assert_eq!(suspension.status_list_index, 94_567);
}

#[test]
fn a_list_id_parses_and_a_bad_one_is_refused() {
    assert_eq!(
        parse_list_id("3-revocation").unwrap(),
        (3, ListPurpose::Revocation)
    );
    assert_eq!(
        parse_list_id(&list_id(4_000_000_000, ListPurpose::Suspension)).unwrap(),
        (4_000_000_000, ListPurpose::Suspension)
    );
    for bad in [
        "3",
        "-revocation",
        "+3-revocation",
        "3-refresh",
        "3-Revocation",
        "4294967296-revocation",
        "3-revocation-x",
    ] {
        assert!(
            matches!(parse_list_id(bad), Err(StatusError::InvalidListId)),
            "{bad}"
        );
    }
}

#[test]
fn suspend_then_reinstate_sets_and_clears_the_bit_and_bumps_the_version() {
    let store = MemoryStore::new();
    let registry = StatusRegistry::new();
    let id = credential_id(1);
    let StatusAllocation { list, index } = registry.allocate(&store, &id).unwrap();
    let (before, version) = decoded_list(&registry, &store, list, ListPurpose::Suspension);
    assert_eq!(version, 0);
    assert_eq!(before.list.count_set(), 0);

    let changed = registry.change(&store, &id, StatusAction::Suspend).unwrap();
    assert_eq!(
        changed,
        StatusChanged {
            list,
            index,
            purpose: ListPurpose::Suspension,
            version: 1
        }
    );
    let (suspended, version) = decoded_list(&registry, &store, list, ListPurpose::Suspension);
    assert_eq!(version, 1);
    assert!(suspended.list.get(u64::from(index)).unwrap());
    assert_eq!(suspended.list.count_set(), 1);
    assert!(registry.state_of(&store, &id).unwrap().suspended);
    assert!(matches!(
        registry.change(&store, &id, StatusAction::Suspend),
        Err(StatusError::AlreadySuspended)
    ));

    let changed = registry
        .change(&store, &id, StatusAction::Reinstate)
        .unwrap();
    assert_eq!(changed.version, 2);
    let (reinstated, version) = decoded_list(&registry, &store, list, ListPurpose::Suspension);
    assert_eq!(version, 2);
    assert_eq!(reinstated.list.count_set(), 0);
    assert!(matches!(
        registry.change(&store, &id, StatusAction::Reinstate),
        Err(StatusError::NotSuspended)
    ));
    // the revocation list did not change
    assert_eq!(
        registry
            .version(&store, list, ListPurpose::Revocation)
            .unwrap(),
        0
    );
}

#[test]
fn revocation_is_final() {
    let store = MemoryStore::new();
    let registry = StatusRegistry::new();
    let id = credential_id(2);
    let StatusAllocation { list, index } = registry.allocate(&store, &id).unwrap();
    registry.change(&store, &id, StatusAction::Suspend).unwrap();
    let changed = registry.change(&store, &id, StatusAction::Revoke).unwrap();
    assert_eq!(changed.purpose, ListPurpose::Revocation);
    assert_eq!(changed.version, 1);
    for action in [
        StatusAction::Reinstate,
        StatusAction::Revoke,
        StatusAction::Suspend,
    ] {
        assert!(matches!(
            registry.change(&store, &id, action),
            Err(StatusError::Revoked)
        ));
    }
    let (revocations, _) = decoded_list(&registry, &store, list, ListPurpose::Revocation);
    assert!(revocations.list.get(u64::from(index)).unwrap());
    let state = registry.state_of(&store, &id).unwrap();
    assert!(state.revoked);
}

#[test]
fn changing_an_unknown_credential_is_refused() {
    let store = MemoryStore::new();
    let registry = StatusRegistry::new();
    assert!(matches!(
        registry.change(&store, "urn:uuid:nobody", StatusAction::Revoke),
        Err(StatusError::UnknownCredential(id)) if id == "urn:uuid:nobody"
    ));
    store
        .put(
            Table::Credentials,
            b"urn:uuid:no-status",
            br#"{"hash":"00"}"#,
        )
        .unwrap();
    assert!(matches!(
        registry.change(&store, "urn:uuid:no-status", StatusAction::Revoke),
        Err(StatusError::NoStatus(_))
    ));
    assert!(matches!(
        registry.list_credential(
            &store,
            ISSUER,
            BASE,
            7,
            ListPurpose::Revocation,
            datetime!(2026-11-21 10:00 UTC)
        ),
        Err(StatusError::UnknownList(7))
    ));
}

#[test]
fn the_list_credential_has_the_specification_shape() {
    let store = MemoryStore::new();
    let registry = StatusRegistry::new();
    registry.allocate(&store, &credential_id(3)).unwrap();
    let published = registry
        .list_credential(
            &store,
            ISSUER,
            "https://health.example.mo",
            0,
            ListPurpose::Revocation,
            datetime!(2026-11-21 10:00 UTC),
        )
        .unwrap();
    let mut value = published.credential.to_value();
    let encoded = value["credentialSubject"]["encodedList"].take();
    assert!(encoded.as_str().unwrap().starts_with('u'));
    assert_eq!(
        value,
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": "https://health.example.mo/status-lists/0-revocation",
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": ISSUER,
            "validFrom": "2026-11-21T10:00:00Z",
            "credentialSubject": {
                "id": "https://health.example.mo/status-lists/0-revocation#list",
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": null
            }
        })
    );
}

#[test]
fn publications_are_recorded_in_order_and_pending_versions_are_listed() {
    let store = MemoryStore::new();
    let registry = StatusRegistry::new();
    let id = credential_id(4);
    registry.allocate(&store, &id).unwrap();
    assert_eq!(
        registry.pending(&store).unwrap(),
        vec![
            ListVersion {
                list: 0,
                purpose: ListPurpose::Revocation,
                version: 0
            },
            ListVersion {
                list: 0,
                purpose: ListPurpose::Suspension,
                version: 0
            }
        ]
    );
    for purpose in ListPurpose::ALL {
        registry
            .record_published(&store, 0, purpose, 0, [purpose.slot() as u8; 32], 10)
            .unwrap();
    }
    assert!(registry.pending(&store).unwrap().is_empty());
    // recording the same publication again is a no-op
    registry
        .record_published(&store, 0, ListPurpose::Revocation, 0, [0; 32], 10)
        .unwrap();
    assert!(matches!(
        registry.record_published(&store, 0, ListPurpose::Revocation, 0, [9; 32], 11),
        Err(StatusError::VersionConflict {
            version: 0,
            newest: 0
        })
    ));
    assert!(matches!(
        registry.record_published(&store, 0, ListPurpose::Revocation, 1, [1; 32], 11),
        Err(StatusError::FutureVersion {
            version: 1,
            current: 0
        })
    ));

    registry.change(&store, &id, StatusAction::Suspend).unwrap();
    registry
        .change(&store, &id, StatusAction::Reinstate)
        .unwrap();
    assert_eq!(
        registry.pending(&store).unwrap(),
        vec![ListVersion {
            list: 0,
            purpose: ListPurpose::Suspension,
            version: 2
        }]
    );
    // publishing only the newest version is fine; then an older one is refused
    registry
        .record_published(&store, 0, ListPurpose::Suspension, 2, [2; 32], 12)
        .unwrap();
    assert!(matches!(
        registry.record_published(&store, 0, ListPurpose::Suspension, 1, [1; 32], 13),
        Err(StatusError::VersionConflict { .. })
    ));
    let published = registry
        .published(&store, 0, ListPurpose::Suspension)
        .unwrap();
    assert_eq!(
        published
            .iter()
            .map(|p| (p.version, p.height))
            .collect::<Vec<_>>(),
        vec![(0, 10), (2, 12)]
    );
}

#[test]
fn only_the_last_publications_are_kept() {
    let store = MemoryStore::new();
    let registry = StatusRegistry::new();
    let id = credential_id(5);
    registry.allocate(&store, &id).unwrap();
    for round in 0..6u64 {
        for action in [StatusAction::Suspend, StatusAction::Reinstate] {
            let changed = registry.change(&store, &id, action).unwrap();
            registry
                .record_published(
                    &store,
                    0,
                    ListPurpose::Suspension,
                    changed.version,
                    [round as u8; 32],
                    changed.version * 10,
                )
                .unwrap();
        }
    }
    let versions: Vec<u64> = registry
        .published(&store, 0, ListPurpose::Suspension)
        .unwrap()
        .iter()
        .map(|p| p.version)
        .collect();
    assert_eq!(versions, (5..=12).collect::<Vec<_>>());
}

#[test]
fn a_corrupt_list_state_is_a_typed_error() {
    let store = MemoryStore::new();
    let registry = StatusRegistry::new();
    let id = credential_id(6);
    registry.allocate(&store, &id).unwrap();
    let state = store
        .get(Table::StatusLists, &0u32.to_be_bytes())
        .unwrap()
        .unwrap();
    store
        .put(
            Table::StatusLists,
            &0u32.to_be_bytes(),
            &state[..state.len() - 1],
        )
        .unwrap();
    assert!(matches!(
        registry.change(&store, &id, StatusAction::Revoke),
        Err(StatusError::Corrupt {
            table: "status-lists",
            ..
        })
    ));
    let mut extended = state.clone();
    extended.push(0);
    store
        .put(Table::StatusLists, &0u32.to_be_bytes(), &extended)
        .unwrap();
    assert!(matches!(
        registry.state_of(&store, &id),
        Err(StatusError::Corrupt { .. })
    ));
    store
        .put(Table::Credentials, id.as_bytes(), b"not json")
        .unwrap();
    assert!(matches!(
        registry.allocation_of(&store, &id),
        Err(StatusError::Corrupt {
            table: "credentials",
            ..
        })
    ));
}

#[test]
fn a_published_list_decodes_with_python() {
    let store = MemoryStore::new();
    let registry = StatusRegistry::new();
    let mut revoked = Vec::new();
    for n in 0..20 {
        let id = credential_id(n);
        let allocation = registry.allocate(&store, &id).unwrap();
        if n % 3 == 0 {
            registry.change(&store, &id, StatusAction::Revoke).unwrap();
            revoked.push(allocation.index);
        }
    }
    revoked.sort_unstable();
    let published = registry
        .list_credential(
            &store,
            ISSUER,
            BASE,
            0,
            ListPurpose::Revocation,
            datetime!(2026-11-21 10:00 UTC),
        )
        .unwrap();
    let encoded = published.credential.to_value()["credentialSubject"]["encodedList"]
        .as_str()
        .unwrap()
        .to_owned();
    let script = r#"
import base64, gzip, sys
text = sys.stdin.read().strip()
assert text[0] == "u"
body = text[1:]
raw = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
print(len(raw) * 8, " ".join(str(i * 8 + b) for i, byte in enumerate(raw) for b in range(8) if byte & (0x80 >> b)))
"#;
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("python3 is required for this cross-check: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(encoded.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let expected = format!(
        "131072 {}",
        revoked
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    );
    assert_eq!(String::from_utf8(output.stdout).unwrap().trim(), expected);
}
