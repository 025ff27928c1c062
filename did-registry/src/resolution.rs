//! W3C DID Resolution: registry DID documents rendered as W3C DID documents with resolution
//! metadata (the Universal Resolver driver shape, `docs/did-method.md#resolution`).
//!
//! - [`did_document`]: the DID document (core's `DidDocument`): `Multikey` verification
//!   methods, the four verification relationships, services;
//! - [`resolution_result`]: the DID Resolution result (core's `DidResolutionResult`) with
//!   `didDocumentMetadata` (`created`, `updated`, `deactivated`, `versionId`, `height`,
//!   `createdHeight`), and [`resolved_from_result`], its typed reading back;
//! - [`resolution_error`]: an error result (`notFound`, `invalidDid`, `invalidOptions`, …);
//! - [`parse_version_time`]: the `versionTime` option (RFC 3339) as Unix seconds.

use crosscode_core::did::{
    DID_LD_JSON, DID_RESOLUTION_V1_CONTEXT, DID_V1_CONTEXT, DidDocument, DidDocumentMetadata,
    DidResolutionMetadata, DidResolutionResult, DidUrl, MULTIKEY_TYPE, MULTIKEY_V1_CONTEXT,
    Service, VerificationMethod,
};
use crosscode_core::multicodec::{decode_multikey, encode_multikey};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::api::ResolutionErrorCode;
use crate::codec::DecodeError;
use crate::document::{
    DocumentContent, RegistryDid, Relationships, Service as RegistryService, VerificationKey,
    VerificationMethod as RegistryMethod,
};
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

/// The W3C DID document of `resolved` (core's [`DidDocument`]): one `Multikey` verification
/// method per stored method (`id` `<did>#<fragment>`, `controller` the DID,
/// `publicKeyMultibase` the stored key), the four relationship arrays (references to those
/// methods, possibly empty) and the services (`service`, present when there is one). Fails only
/// when a stored DID or fragment is not valid DID syntax (a corrupt state).
pub fn did_document(resolved: &ResolvedDid) -> Result<DidDocument, DecodeError> {
    let did = resolved.did.to_did()?;
    let url = |fragment: &str| resolved.did.with_fragment(fragment);
    let methods = &resolved.document.verification_methods;
    let references = |flag: Relationships| -> Result<Vec<DidUrl>, DecodeError> {
        methods
            .iter()
            .filter(|vm| vm.relationships.contains(flag))
            .map(|vm| url(&vm.fragment))
            .collect()
    };
    Ok(DidDocument {
        context: vec![DID_V1_CONTEXT.to_owned(), MULTIKEY_V1_CONTEXT.to_owned()],
        verification_method: methods
            .iter()
            .map(|vm| {
                Ok(VerificationMethod {
                    id: url(&vm.fragment)?,
                    method_type: MULTIKEY_TYPE.to_owned(),
                    controller: did.clone(),
                    public_key_multibase: encode_multikey(&vm.key.0),
                })
            })
            .collect::<Result<_, DecodeError>>()?,
        authentication: references(Relationships::AUTHENTICATION)?,
        assertion_method: references(Relationships::ASSERTION_METHOD)?,
        capability_invocation: references(Relationships::CAPABILITY_INVOCATION)?,
        capability_delegation: references(Relationships::CAPABILITY_DELEGATION)?,
        service: resolved
            .document
            .services
            .iter()
            .map(|service| {
                Ok(Service {
                    id: url(&service.fragment)?,
                    service_type: service.service_type.clone(),
                    service_endpoint: service.endpoint.clone(),
                })
            })
            .collect::<Result<_, DecodeError>>()?,
        id: did,
    })
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

/// The DID Resolution result of `resolved` (core's [`DidResolutionResult`]):
/// `{"@context", "didDocument", "didResolutionMetadata": {"contentType"},
/// "didDocumentMetadata": {"created", "updated", "deactivated", "versionId", "height",
/// "createdHeight"}}` where `created` is the creation block's time, `updated` the time of the
/// block that made the version resolved, `versionId` its number (`"0"` for the created
/// document), `height` that block's height and `createdHeight` the creation block's height.
/// A deactivated DID keeps its last document, with `deactivated: true`.
pub fn resolution_result(resolved: &ResolvedDid) -> Result<DidResolutionResult, DecodeError> {
    Ok(DidResolutionResult {
        context: DID_RESOLUTION_V1_CONTEXT.to_owned(),
        did_document: did_document(resolved)?,
        did_resolution_metadata: DidResolutionMetadata {
            content_type: DID_LD_JSON.to_owned(),
        },
        did_document_metadata: DidDocumentMetadata {
            created: xml_datetime(resolved.created_time),
            updated: xml_datetime(resolved.version_time),
            deactivated: Some(resolved.deactivated),
            version_id: Some(resolved.version.to_string()),
            height: Some(resolved.version_height),
            created_height: Some(resolved.created_height),
        },
    })
}

/// The registry's typed resolution ([`ResolvedDid`]) of a resolution result rendered by
/// [`resolution_result`] (what a client reads back from a node): every method and service
/// must be of the document's DID, every relationship must name one of its methods, and the
/// metadata must be complete.
pub fn resolved_from_result(result: &DidResolutionResult) -> Result<ResolvedDid, DecodeError> {
    let invalid = |reason| DecodeError::Invalid {
        what: "DID resolution result",
        reason,
    };
    let document = &result.did_document;
    let did = RegistryDid::parse(document.id.as_str())?;
    let fragment_of = |url: &DidUrl| -> Result<String, DecodeError> {
        match url.fragment() {
            Some(fragment)
                if url.did() == &document.id && url.path().is_none() && url.query().is_none() =>
            {
                Ok(fragment.to_owned())
            }
            _ => Err(invalid("a method or service of another DID")),
        }
    };
    let mut methods = Vec::with_capacity(document.verification_method.len());
    for method in &document.verification_method {
        let key = decode_multikey(&method.public_key_multibase)
            .map_err(|_| invalid("a publicKeyMultibase that is not a Multikey"))?;
        methods.push(RegistryMethod {
            fragment: fragment_of(&method.id)?,
            key: VerificationKey(key),
            relationships: Relationships::NONE,
        });
    }
    for (flag, references) in [
        (Relationships::AUTHENTICATION, &document.authentication),
        (Relationships::ASSERTION_METHOD, &document.assertion_method),
        (
            Relationships::CAPABILITY_INVOCATION,
            &document.capability_invocation,
        ),
        (
            Relationships::CAPABILITY_DELEGATION,
            &document.capability_delegation,
        ),
    ] {
        for reference in references {
            let fragment = fragment_of(reference)?;
            let method = methods
                .iter_mut()
                .find(|m| m.fragment == fragment)
                .ok_or(invalid("a relationship names no method"))?;
            method.relationships = method.relationships.with(flag);
        }
    }
    let services = document
        .service
        .iter()
        .map(|service| {
            Ok(RegistryService {
                fragment: fragment_of(&service.id)?,
                service_type: service.service_type.clone(),
                endpoint: service.service_endpoint.clone(),
            })
        })
        .collect::<Result<_, DecodeError>>()?;
    let metadata = &result.did_document_metadata;
    let instant = |text: &Option<String>| -> Result<u64, DecodeError> {
        let text = text.as_deref().ok_or(invalid("incomplete metadata"))?;
        parse_version_time(text).map_err(|_| invalid("a metadata time that is not RFC 3339"))
    };
    Ok(ResolvedDid {
        did,
        document: DocumentContent {
            verification_methods: methods,
            services,
        },
        deactivated: metadata.deactivated.ok_or(invalid("incomplete metadata"))?,
        version: metadata
            .version_id
            .as_deref()
            .and_then(|version| version.parse().ok())
            .ok_or(invalid("no numeric versionId"))?,
        version_height: metadata.height.ok_or(invalid("incomplete metadata"))?,
        version_time: instant(&metadata.updated)?,
        created_height: metadata
            .created_height
            .ok_or(invalid("incomplete metadata"))?,
        created_time: instant(&metadata.created)?,
    })
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
