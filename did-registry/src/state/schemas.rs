//! The schema family: admitted issuers and members register credential schemas (JSON Schema),
//! keyed by the hash of their canonical JSON (RFC 8785), so anyone can recompute the key.

use super::governance::active_issuer;
use super::{BlockContext, Event, Pending, Rejection, malformed};
use crate::document::RegistryDid;
use crate::records::{ChainConfig, SchemaRecord, StateKey};

/// `RegisterSchema`: by a member or an admitted, unsuspended issuer; a schema is written once.
pub(super) fn register(
    pending: &mut Pending<'_>,
    config: &ChainConfig,
    ctx: &BlockContext,
    sender: &RegistryDid,
    name: &str,
    version: &str,
    schema_json: &str,
) -> Result<Vec<Event>, Rejection> {
    if !pending.exists(&StateKey::member(sender)) {
        active_issuer(pending, sender)?;
    }
    if name.is_empty() || version.is_empty() {
        return Err(malformed("schema name and version must not be empty"));
    }
    let value: serde_json::Value =
        serde_json::from_str(schema_json).map_err(|_| malformed("schema is not JSON"))?;
    if !value.is_object() {
        return Err(malformed("schema is not a JSON object"));
    }
    let canonical = crosscode_core::jcs::canonicalize(&value)
        .map_err(|_| malformed("schema cannot be canonicalized"))?;
    if canonical.len() > crate::transaction::MAX_SCHEMA_LEN {
        return Err(malformed("schema too large"));
    }
    let hash = config.profile.hash(&[canonical.as_bytes()]);
    let key = StateKey::schema(&hash);
    if pending.exists(&key) {
        return Err(Rejection::SchemaExists);
    }
    pending.put(
        key,
        &SchemaRecord {
            author: sender.clone(),
            name: name.to_owned(),
            version: version.to_owned(),
            canonical_json: canonical,
            height: ctx.height,
        },
    );
    Ok(vec![Event::SchemaRegistered { hash }])
}
