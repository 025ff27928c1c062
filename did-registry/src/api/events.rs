//! The JSON form of a transaction's events (`events` of a committed [`super::TxStatus`]): one
//! object per event, its kind in `type` (camelCase), hashes in lowercase hex:
//!
//! | `type` | members |
//! | --- | --- |
//! | `didCreated`, `didDeactivated` | `did` |
//! | `didUpdated` | `did`, `version` |
//! | `proposalOpened`, `proposalExecuted`, `proposalRejected` | `id` (the proposal number) |
//! | `voted` | `id`, `approve` |
//! | `validatorSetChanged` | — |
//! | `schemaRegistered` | `hash` (the schema's content hash) |
//! | `statusChanged` | `change`: `revoke`, `suspend` or `reinstate` |
//! | `evidenceAnchored` | `hash` (the credential hash) |
//! | `batchAnchored` | `root`, `count` |

use serde::{Deserialize, Serialize};

use super::hex32;
use crate::document::RegistryDid;
use crate::state::Event;
use crate::transaction::StatusChange;

/// One event as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
enum EventJson {
    DidCreated {
        did: String,
    },
    DidUpdated {
        did: String,
        version: u32,
    },
    DidDeactivated {
        did: String,
    },
    ProposalOpened {
        id: u64,
    },
    Voted {
        id: u64,
        approve: bool,
    },
    ProposalExecuted {
        id: u64,
    },
    ProposalRejected {
        id: u64,
    },
    ValidatorSetChanged,
    SchemaRegistered {
        #[serde(with = "hex32")]
        hash: [u8; 32],
    },
    StatusChanged {
        change: StatusChangeJson,
    },
    EvidenceAnchored {
        #[serde(with = "hex32")]
        hash: [u8; 32],
    },
    BatchAnchored {
        #[serde(with = "hex32")]
        root: [u8; 32],
        count: u64,
    },
}

/// A status change by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum StatusChangeJson {
    Revoke,
    Suspend,
    Reinstate,
}

impl From<&Event> for EventJson {
    fn from(event: &Event) -> Self {
        match event {
            Event::DidCreated { did } => EventJson::DidCreated {
                did: did.as_str().to_owned(),
            },
            Event::DidUpdated { did, version } => EventJson::DidUpdated {
                did: did.as_str().to_owned(),
                version: *version,
            },
            Event::DidDeactivated { did } => EventJson::DidDeactivated {
                did: did.as_str().to_owned(),
            },
            Event::ProposalOpened { id } => EventJson::ProposalOpened { id: *id },
            Event::Voted { id, approve } => EventJson::Voted {
                id: *id,
                approve: *approve,
            },
            Event::ProposalExecuted { id } => EventJson::ProposalExecuted { id: *id },
            Event::ProposalRejected { id } => EventJson::ProposalRejected { id: *id },
            Event::ValidatorSetChanged => EventJson::ValidatorSetChanged,
            Event::SchemaRegistered { hash } => EventJson::SchemaRegistered { hash: *hash },
            Event::StatusChanged { change } => EventJson::StatusChanged {
                change: match change {
                    StatusChange::Revoke => StatusChangeJson::Revoke,
                    StatusChange::Suspend => StatusChangeJson::Suspend,
                    StatusChange::Reinstate => StatusChangeJson::Reinstate,
                },
            },
            Event::EvidenceAnchored { hash } => EventJson::EvidenceAnchored { hash: *hash },
            Event::BatchAnchored { root, count } => EventJson::BatchAnchored {
                root: *root,
                count: *count,
            },
        }
    }
}

impl TryFrom<EventJson> for Event {
    type Error = String;

    fn try_from(event: EventJson) -> Result<Self, String> {
        let did = |text: String| RegistryDid::parse(&text).map_err(|err| err.to_string());
        Ok(match event {
            EventJson::DidCreated { did: text } => Event::DidCreated { did: did(text)? },
            EventJson::DidUpdated { did: text, version } => Event::DidUpdated {
                did: did(text)?,
                version,
            },
            EventJson::DidDeactivated { did: text } => Event::DidDeactivated { did: did(text)? },
            EventJson::ProposalOpened { id } => Event::ProposalOpened { id },
            EventJson::Voted { id, approve } => Event::Voted { id, approve },
            EventJson::ProposalExecuted { id } => Event::ProposalExecuted { id },
            EventJson::ProposalRejected { id } => Event::ProposalRejected { id },
            EventJson::ValidatorSetChanged => Event::ValidatorSetChanged,
            EventJson::SchemaRegistered { hash } => Event::SchemaRegistered { hash },
            EventJson::StatusChanged { change } => Event::StatusChanged {
                change: match change {
                    StatusChangeJson::Revoke => StatusChange::Revoke,
                    StatusChangeJson::Suspend => StatusChange::Suspend,
                    StatusChangeJson::Reinstate => StatusChange::Reinstate,
                },
            },
            EventJson::EvidenceAnchored { hash } => Event::EvidenceAnchored { hash },
            EventJson::BatchAnchored { root, count } => Event::BatchAnchored { root, count },
        })
    }
}

/// Serde of a list of events in their JSON form.
pub(super) mod json {
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};

    use super::EventJson;
    use crate::state::Event;

    pub fn serialize<S: Serializer>(events: &[Event], serializer: S) -> Result<S::Ok, S::Error> {
        let json: Vec<EventJson> = events.iter().map(EventJson::from).collect();
        json.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Event>, D::Error> {
        Vec::<EventJson>::deserialize(deserializer)?
            .into_iter()
            .map(|event| Event::try_from(event).map_err(D::Error::custom))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::TxStatus;
    use crate::profile::CryptoProfile;

    fn every_event() -> Vec<Event> {
        let did = RegistryDid::derive(
            CryptoProfile::Standard,
            "dev",
            &crosscode_core::keys::SecretKey::generate(crosscode_core::keys::KeyAlgorithm::Ed25519)
                .public_key(),
        );
        vec![
            Event::DidCreated { did: did.clone() },
            Event::DidUpdated {
                did: did.clone(),
                version: 3,
            },
            Event::DidDeactivated { did },
            Event::ProposalOpened { id: 7 },
            Event::Voted {
                id: 7,
                approve: false,
            },
            Event::ProposalExecuted { id: 7 },
            Event::ProposalRejected { id: 8 },
            Event::ValidatorSetChanged,
            Event::SchemaRegistered { hash: [1; 32] },
            Event::StatusChanged {
                change: StatusChange::Revoke,
            },
            Event::StatusChanged {
                change: StatusChange::Suspend,
            },
            Event::StatusChanged {
                change: StatusChange::Reinstate,
            },
            Event::EvidenceAnchored { hash: [2; 32] },
            Event::BatchAnchored {
                root: [3; 32],
                count: 1_000_000,
            },
        ]
    }

    #[test]
    fn every_event_survives_the_committed_status_json() {
        let status = TxStatus::Committed {
            height: 5,
            index: 2,
            events: every_event(),
        };
        let text = serde_json::to_string(&status).unwrap();
        assert_eq!(serde_json::from_str::<TxStatus>(&text).unwrap(), status);
    }

    #[test]
    fn events_read_as_documented() {
        let text = r#"{"status":"committed","height":4,"index":0,"events":[
            {"type":"proposalOpened","id":2},
            {"type":"statusChanged","change":"suspend"},
            {"type":"evidenceAnchored","hash":"0202020202020202020202020202020202020202020202020202020202020202"}]}"#;
        assert_eq!(
            serde_json::from_str::<TxStatus>(text).unwrap(),
            TxStatus::Committed {
                height: 4,
                index: 0,
                events: vec![
                    Event::ProposalOpened { id: 2 },
                    Event::StatusChanged {
                        change: StatusChange::Suspend
                    },
                    Event::EvidenceAnchored { hash: [2; 32] },
                ],
            }
        );
        // A status without events (a node that does not report them) reads with none.
        assert_eq!(
            serde_json::from_str::<TxStatus>(r#"{"status":"committed","height":4,"index":0}"#)
                .unwrap(),
            TxStatus::Committed {
                height: 4,
                index: 0,
                events: vec![],
            }
        );
    }

    #[test]
    fn a_malformed_event_is_refused() {
        for events in [
            r#"[{"type":"didCreated","did":"did:example:123"}]"#,
            r#"[{"type":"evidenceAnchored","hash":"AB"}]"#,
            r#"[{"type":"proposalOpened"}]"#,
            r#"[{"type":"noSuchEvent"}]"#,
            r#"[{"type":"voted","id":1,"approve":true,"extra":1}]"#,
        ] {
            let text =
                format!(r#"{{"status":"committed","height":1,"index":0,"events":{events}}}"#);
            assert!(serde_json::from_str::<TxStatus>(&text).is_err(), "{events}");
        }
    }
}
