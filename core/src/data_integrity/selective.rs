//! How a JSON credential splits into an always-disclosed (mandatory) part and selectively
//! disclosable claims, each claim a `(JSON pointer, value)` leaf — the statement model of the
//! `bbs-jcs-2026` cryptosuite (`docs/cryptosuite-bbs.md`).
//!
//! - The **mandatory part** is the set of top-level members named in [`MANDATORY_MEMBERS`]
//!   that the document has (whole values, whatever their shape).
//! - Every other top-level member (except `proof`) is walked through objects only: each
//!   non-object value (string, number, boolean, null, or a whole array) is one **claim**,
//!   named by its RFC 6901 JSON pointer. Empty objects carry no claim.
//! - Claims are ordered by their pointers (byte order of the UTF-8 text); a claim's BBS message
//!   is the UTF-8 of `JCS([pointer, value])`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::jcs::{self, JcsError};

/// The top-level members that are always disclosed, in the order of the mandatory bit mask
/// (bit `i` set = member `i` is present).
pub const MANDATORY_MEMBERS: [&str; 7] = [
    "@context",
    "type",
    "issuer",
    "validFrom",
    "validUntil",
    "credentialStatus",
    "credentialSchema",
];

/// Errors of the statement model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    /// The document is not a JSON object.
    #[error("the document is not a JSON object")]
    NotAnObject,
    /// A pointer is not an RFC 6901 JSON pointer (`""` or `/…` with `~0` / `~1` escapes only).
    #[error("{pointer:?} is not a JSON pointer")]
    InvalidPointer {
        /// The pointer (shortened).
        pointer: String,
    },
    /// A pointer names no claim or object of the credential.
    #[error("{pointer:?} names no claim of the credential")]
    UnknownPointer {
        /// The pointer (shortened).
        pointer: String,
    },
    /// A value has no JCS canonical form.
    #[error("canonicalization failed: {0}")]
    Canonicalization(#[from] JcsError),
}

/// A document split into its mandatory part and its claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Statements {
    /// The mandatory members present, as an object.
    pub mandatory: Map<String, Value>,
    /// Bit `i` set when `MANDATORY_MEMBERS[i]` is present.
    pub mandatory_mask: u8,
    /// The claims, by pointer (a `BTreeMap` keeps them in pointer byte order).
    pub claims: BTreeMap<String, Value>,
}

impl Statements {
    /// Splits `document` (its `proof` member, if any, is ignored).
    pub fn of_document(document: &Value) -> Result<Statements, StatementError> {
        let object = document.as_object().ok_or(StatementError::NotAnObject)?;
        let mut mandatory = Map::new();
        let mut mandatory_mask = 0u8;
        for (bit, name) in MANDATORY_MEMBERS.iter().enumerate() {
            if let Some(value) = object.get(*name) {
                mandatory.insert((*name).to_owned(), value.clone());
                mandatory_mask |= 1 << bit;
            }
        }
        let mut claims = BTreeMap::new();
        for (name, value) in object {
            if name == "proof" || MANDATORY_MEMBERS.contains(&name.as_str()) {
                continue;
            }
            collect_claims(&format!("/{}", escape_token(name)), value, &mut claims);
        }
        Ok(Statements {
            mandatory,
            mandatory_mask,
            claims,
        })
    }

    /// SHA-256 of the JCS text of the mandatory part.
    pub fn mandatory_hash(&self) -> Result<[u8; 32], JcsError> {
        use sha2::Digest as _;
        let canonical = jcs::canonicalize_object_except(&self.mandatory, &[])?;
        Ok(sha2::Sha256::digest(canonical.as_bytes()).into())
    }

    /// The BBS messages of the claims, in claim order.
    pub fn messages(&self) -> Result<Vec<Vec<u8>>, JcsError> {
        self.claims
            .iter()
            .map(|(pointer, value)| claim_message(pointer, value))
            .collect()
    }

    /// The positions (in claim order) of the claims named by `pointers`: a pointer to a claim
    /// selects it, a pointer to an object selects every claim below it, a pointer into the
    /// mandatory part selects nothing (it is disclosed anyway). Sorted, without duplicates.
    pub fn select(&self, pointers: &[String]) -> Result<Vec<usize>, StatementError> {
        let mut selected = vec![false; self.claims.len()];
        for pointer in pointers {
            if !is_pointer(pointer) {
                return Err(StatementError::InvalidPointer {
                    pointer: shorten(pointer),
                });
            }
            if self.names_mandatory(pointer) {
                continue;
            }
            let prefix = format!("{pointer}/");
            let mut found = false;
            for (position, claim) in self.claims.keys().enumerate() {
                if claim == pointer || claim.starts_with(&prefix) || pointer.is_empty() {
                    if let Some(flag) = selected.get_mut(position) {
                        *flag = true;
                    }
                    found = true;
                }
            }
            if !found {
                return Err(StatementError::UnknownPointer {
                    pointer: shorten(pointer),
                });
            }
        }
        Ok(selected
            .iter()
            .enumerate()
            .filter_map(|(position, flag)| flag.then_some(position))
            .collect())
    }

    /// True when `pointer` names a mandatory member or something inside one.
    fn names_mandatory(&self, pointer: &str) -> bool {
        MANDATORY_MEMBERS.iter().any(|name| {
            let member = format!("/{}", escape_token(name));
            pointer == member || pointer.starts_with(&format!("{member}/"))
        }) && self.mandatory_contains(pointer)
    }

    fn mandatory_contains(&self, pointer: &str) -> bool {
        Value::Object(self.mandatory.clone())
            .pointer(pointer)
            .is_some()
    }

    /// The document made of the mandatory part and the claims at `positions` (objects on the
    /// way are rebuilt; members keep the order of the claims).
    pub fn reveal(&self, positions: &[usize]) -> Map<String, Value> {
        let mut document = self.mandatory.clone();
        for (pointer, value) in positions
            .iter()
            .filter_map(|position| self.claims.iter().nth(*position))
        {
            insert_at(&mut document, pointer, value.clone());
        }
        document
    }

    /// True when the document has an empty object outside its mandatory part (a derived
    /// document never does: empty objects carry no claim).
    pub fn has_empty_object(document: &Map<String, Value>) -> bool {
        document
            .iter()
            .filter(|(name, _)| *name != "proof" && !MANDATORY_MEMBERS.contains(&name.as_str()))
            .any(|(_, value)| contains_empty_object(value))
    }
}

fn contains_empty_object(value: &Value) -> bool {
    match value {
        Value::Object(members) => members.is_empty() || members.values().any(contains_empty_object),
        _ => false,
    }
}

/// The BBS message of one claim: the UTF-8 of `JCS([pointer, value])`.
pub fn claim_message(pointer: &str, value: &Value) -> Result<Vec<u8>, JcsError> {
    jcs::canonicalize_to_bytes(&Value::Array(vec![
        Value::String(pointer.to_owned()),
        value.clone(),
    ]))
}

fn collect_claims(pointer: &str, value: &Value, claims: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(members) => {
            for (name, member) in members {
                collect_claims(&format!("{pointer}/{}", escape_token(name)), member, claims);
            }
        }
        other => {
            claims.insert(pointer.to_owned(), other.clone());
        }
    }
}

/// RFC 6901 escaping of one reference token (`~` → `~0`, `/` → `~1`).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn unescape_token(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// True when `text` is an RFC 6901 JSON pointer.
pub fn is_pointer(text: &str) -> bool {
    if text.is_empty() {
        return true;
    }
    if !text.starts_with('/') {
        return false;
    }
    let bytes = text.as_bytes();
    bytes.iter().enumerate().all(|(position, byte)| {
        *byte != b'~' || matches!(bytes.get(position + 1), Some(b'0' | b'1'))
    })
}

/// Inserts `value` at `pointer` (made of object member names only), creating objects on the way.
fn insert_at(document: &mut Map<String, Value>, pointer: &str, value: Value) {
    let tokens: Vec<String> = pointer.split('/').skip(1).map(unescape_token).collect();
    let Some((last, path)) = tokens.split_last() else {
        return;
    };
    let mut current = document;
    for token in path {
        let entry = current
            .entry(token.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(next) = entry else {
            return;
        };
        current = next;
    }
    current.insert(last.clone(), value);
}

fn shorten(text: &str) -> String {
    text.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claims_are_leaves_in_pointer_order_and_arrays_are_whole() {
        let document = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": "did:example:1",
            "id": "urn:x",
            "credentialSubject": {"b": 1, "a/x": {"c~": [1, 2]}, "e": {}},
            "proof": {"type": "x"}
        });
        let statements = Statements::of_document(&document).unwrap();
        let pointers: Vec<&str> = statements.claims.keys().map(String::as_str).collect();
        assert_eq!(
            pointers,
            ["/credentialSubject/a~1x/c~0", "/credentialSubject/b", "/id"]
        );
        assert_eq!(statements.mandatory_mask, 0b111);
        assert_eq!(
            claim_message("/id", &json!("urn:x")).unwrap(),
            br#"["/id","urn:x"]"#.to_vec()
        );
    }

    #[test]
    fn select_and_reveal() {
        let document = json!({
            "issuer": "did:example:1",
            "credentialSubject": {"b": 1, "a": {"c": true, "d": null}}
        });
        let statements = Statements::of_document(&document).unwrap();
        let positions = statements
            .select(&["/credentialSubject/a".into(), "/issuer".into()])
            .unwrap();
        assert_eq!(positions, [0, 1]);
        assert_eq!(
            Value::Object(statements.reveal(&positions)),
            json!({"issuer": "did:example:1", "credentialSubject": {"a": {"c": true, "d": null}}})
        );
        assert!(matches!(
            statements.select(&["/credentialSubject/zz".into()]),
            Err(StatementError::UnknownPointer { .. })
        ));
        assert!(matches!(
            statements.select(&["credentialSubject".into()]),
            Err(StatementError::InvalidPointer { .. })
        ));
        assert!(matches!(
            statements.select(&["/a~2".into()]),
            Err(StatementError::InvalidPointer { .. })
        ));
        assert!(matches!(
            statements.select(&["/validUntil".into()]),
            Err(StatementError::UnknownPointer { .. })
        ));
    }
}
