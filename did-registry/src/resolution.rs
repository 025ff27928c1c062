//! W3C DID Resolution: registry DID documents rendered as W3C DID documents with resolution
//! metadata (the Universal Resolver driver shape, `docs/did-method.md#resolution`).
//!
//! - [`did_document`]: the DID document: `Multikey` verification methods, the four
//!   verification relationships, services;
//! - [`resolution_result`]: the DID Resolution result with `didDocumentMetadata` (`created`,
//!   `updated`, `deactivated`, `versionId`, `height`);
//! - [`resolution_error`]: an error result (`notFound`, `invalidDid`, `invalidOptions`, …);
//! - [`parse_version_time`]: the `versionTime` option (RFC 3339) as Unix seconds.

use crosscode_core::did::MULTIKEY_V1_CONTEXT;
use crosscode_core::did::{DID_LD_JSON, DID_RESOLUTION_V1_CONTEXT, DID_V1_CONTEXT, MULTIKEY_TYPE};
use crosscode_core::multicodec::encode_multikey;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::api::ResolutionErrorCode;
use crate::document::Relationships;
use crate::state::{ResolveError, ResolvedDid};

/// Resolution error `notFound`: no such DID (at the height or time asked).
pub const ERROR_NOT_FOUND: &str = ResolutionErrorCode::NotFound.as_str();
/// Resolution error `invalidDid`: not a valid `did:crosscode` DID.
pub const ERROR_INVALID_DID: &str = ResolutionErrorCode::InvalidDid.as_str();
/// Resolution error `invalidOptions`: a bad `height` or `versionTime`.
pub const ERROR_INVALID_OPTIONS: &str = ResolutionErrorCode::InvalidOptions.as_str();
/// Resolution error `methodNotSupported`: a DID of another method.
pub const ERROR_METHOD_NOT_SUPPORTED: &str = ResolutionErrorCode::MethodNotSupported.as_str();
/// Resolution error `internalError`: the registry state could not be read.
pub const ERROR_INTERNAL: &str = ResolutionErrorCode::InternalError.as_str();

/// The W3C DID document of `resolved`: one `Multikey` verification method per stored method
/// (`id` `<did>#<fragment>`, `controller` the DID, `publicKeyMultibase` the stored key), the
/// four relationship arrays (references to those methods, possibly empty) and the services
/// (`service`, present when there is one).
pub fn did_document(resolved: &ResolvedDid) -> Value {
    let did = resolved.did.as_str();
    let document = &resolved.document;
    let mut out = Map::new();
    out.insert(
        "@context".into(),
        Value::from(vec![DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT]),
    );
    out.insert("id".into(), Value::from(did));
    let methods: Vec<Value> = document
        .verification_methods
        .iter()
        .map(|vm| {
            let mut method = Map::new();
            method.insert("id".into(), Value::from(format!("{did}#{}", vm.fragment)));
            method.insert("type".into(), Value::from(MULTIKEY_TYPE));
            method.insert("controller".into(), Value::from(did));
            method.insert(
                "publicKeyMultibase".into(),
                Value::from(encode_multikey(&vm.key.0)),
            );
            Value::Object(method)
        })
        .collect();
    out.insert("verificationMethod".into(), Value::Array(methods));
    for (flag, property) in Relationships::NAMED {
        let references: Vec<Value> = document
            .verification_methods
            .iter()
            .filter(|vm| vm.relationships.contains(flag))
            .map(|vm| Value::from(format!("{did}#{}", vm.fragment)))
            .collect();
        out.insert(property.into(), Value::Array(references));
    }
    if !document.services.is_empty() {
        let services: Vec<Value> = document
            .services
            .iter()
            .map(|service| {
                let mut entry = Map::new();
                entry.insert(
                    "id".into(),
                    Value::from(format!("{did}#{}", service.fragment)),
                );
                entry.insert("type".into(), Value::from(service.service_type.as_str()));
                entry.insert(
                    "serviceEndpoint".into(),
                    Value::from(service.endpoint.as_str()),
                );
                Value::Object(entry)
            })
            .collect();
        out.insert("service".into(), Value::Array(services));
    }
    Value::Object(out)
}

/// Unix seconds as an XML Schema `dateTime` in UTC without fractions
/// (`2023-11-14T22:13:20Z`); `None` past the year 9999.
pub fn xml_datetime(unix_seconds: u64) -> Option<String> {
    let seconds = i64::try_from(unix_seconds).ok()?;
    let instant = OffsetDateTime::from_unix_timestamp(seconds).ok()?;
    if instant.year() > 9999 {
        return None;
    }
    instant.format(&Rfc3339).ok()
}

/// The DID Resolution result of `resolved`:
/// `{"@context", "didDocument", "didResolutionMetadata": {"contentType"},
/// "didDocumentMetadata": {"created", "updated", "deactivated", "versionId", "height",
/// "createdHeight"}}` where `created` is the creation block's time, `updated` the time of the
/// block that made the version resolved, `versionId` its number (`"0"` for the created
/// document), `height` that block's height and `createdHeight` the creation block's height.
/// A deactivated DID keeps its last document, with `deactivated: true`.
pub fn resolution_result(resolved: &ResolvedDid) -> Value {
    let mut metadata = Map::new();
    if let Some(created) = xml_datetime(resolved.created_time) {
        metadata.insert("created".into(), Value::from(created));
    }
    if let Some(updated) = xml_datetime(resolved.version_time) {
        metadata.insert("updated".into(), Value::from(updated));
    }
    metadata.insert("deactivated".into(), Value::from(resolved.deactivated));
    metadata.insert(
        "versionId".into(),
        Value::from(resolved.version.to_string()),
    );
    metadata.insert("height".into(), Value::from(resolved.version_height));
    metadata.insert("createdHeight".into(), Value::from(resolved.created_height));
    let mut resolution_metadata = Map::new();
    resolution_metadata.insert("contentType".into(), Value::from(DID_LD_JSON));
    let mut out = Map::new();
    out.insert("@context".into(), Value::from(DID_RESOLUTION_V1_CONTEXT));
    out.insert("didDocument".into(), did_document(resolved));
    out.insert(
        "didResolutionMetadata".into(),
        Value::Object(resolution_metadata),
    );
    out.insert("didDocumentMetadata".into(), Value::Object(metadata));
    Value::Object(out)
}

/// A DID Resolution error result: `{"@context", "didDocument": null,
/// "didResolutionMetadata": {"error": <error>}, "didDocumentMetadata": {}}`; `error` is one of
/// the `ERROR_*` codes.
pub fn resolution_error(error: &str) -> Value {
    let mut resolution_metadata = Map::new();
    resolution_metadata.insert("error".into(), Value::from(error));
    let mut out = Map::new();
    out.insert("@context".into(), Value::from(DID_RESOLUTION_V1_CONTEXT));
    out.insert("didDocument".into(), Value::Null);
    out.insert(
        "didResolutionMetadata".into(),
        Value::Object(resolution_metadata),
    );
    out.insert("didDocumentMetadata".into(), Value::Object(Map::new()));
    Value::Object(out)
}

/// The resolution error code of a state resolution failure.
pub fn error_code(error: &ResolveError) -> &'static str {
    match error {
        ResolveError::NotFound => ERROR_NOT_FOUND,
        ResolveError::CorruptState => ERROR_INTERNAL,
    }
}

/// Why a `versionTime` is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VersionTimeError {
    /// Not an RFC 3339 date-time (e.g. `2026-11-21T12:00:00Z`).
    #[error("versionTime is not an RFC 3339 date-time")]
    NotRfc3339,
    /// Before 1970-01-01T00:00:00Z.
    #[error("versionTime is before 1970")]
    BeforeEpoch,
}

/// Parses a `versionTime` (RFC 3339, any offset) to Unix seconds (fractions of a second are
/// dropped: the version in force at that second).
pub fn parse_version_time(text: &str) -> Result<u64, VersionTimeError> {
    let instant =
        OffsetDateTime::parse(text, &Rfc3339).map_err(|_| VersionTimeError::NotRfc3339)?;
    u64::try_from(instant.unix_timestamp()).map_err(|_| VersionTimeError::BeforeEpoch)
}
