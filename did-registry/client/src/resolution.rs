//! The typed form ([`ResolvedDid`]) of a W3C DID Resolution result rendered by the node.

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crosscode_did_registry::codec::Decode as _;
use crosscode_did_registry::document::{
    DocumentContent, RegistryDid, Relationships, Service, VerificationKey, VerificationMethod,
};
use crosscode_did_registry::state::ResolvedDid;

/// The typed resolution of a W3C DID Resolution result rendered by the node.
pub(crate) fn resolved_from_result(result: &Value) -> Result<ResolvedDid, String> {
    let document = result.get("didDocument").ok_or("no didDocument")?;
    let metadata = result
        .get("didDocumentMetadata")
        .ok_or("no didDocumentMetadata")?;
    let id = document
        .get("id")
        .and_then(Value::as_str)
        .ok_or("no document id")?;
    let did = RegistryDid::parse(id).map_err(|e| e.to_string())?;
    let prefix = format!("{id}#");
    let fragment_of = |reference: &str| -> Result<String, String> {
        reference
            .strip_prefix(&prefix)
            .map(str::to_owned)
            .ok_or_else(|| "a reference to another DID".to_owned())
    };
    let mut methods = Vec::new();
    for method in document
        .get("verificationMethod")
        .and_then(Value::as_array)
        .ok_or("no verificationMethod")?
    {
        let fragment = fragment_of(
            method
                .get("id")
                .and_then(Value::as_str)
                .ok_or("method id")?,
        )?;
        let key = crosscode_core::multicodec::decode_multikey(
            method
                .get("publicKeyMultibase")
                .and_then(Value::as_str)
                .ok_or("publicKeyMultibase")?,
        )
        .map_err(|e| e.to_string())?;
        methods.push(VerificationMethod {
            fragment,
            key: VerificationKey(key),
            relationships: Relationships::from_bytes(&[0]).map_err(|e| e.to_string())?,
        });
    }
    for (flag, property) in Relationships::NAMED {
        for reference in document
            .get(property)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let fragment = fragment_of(reference.as_str().ok_or("relationship reference")?)?;
            let method = methods
                .iter_mut()
                .find(|m| m.fragment == fragment)
                .ok_or("a relationship names no method")?;
            method.relationships = method.relationships.with(flag);
        }
    }
    let mut services = Vec::new();
    for service in document
        .get("service")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        services.push(Service {
            fragment: fragment_of(
                service
                    .get("id")
                    .and_then(Value::as_str)
                    .ok_or("service id")?,
            )?,
            service_type: service
                .get("type")
                .and_then(Value::as_str)
                .ok_or("service type")?
                .to_owned(),
            endpoint: service
                .get("serviceEndpoint")
                .and_then(Value::as_str)
                .ok_or("serviceEndpoint")?
                .to_owned(),
        });
    }
    let number = |name: &str| metadata.get(name).and_then(Value::as_u64);
    let instant = |name: &str| -> Result<u64, String> {
        let text = metadata
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("no {name}"))?;
        let time = OffsetDateTime::parse(text, &Rfc3339).map_err(|e| e.to_string())?;
        u64::try_from(time.unix_timestamp()).map_err(|e| e.to_string())
    };
    Ok(ResolvedDid {
        did,
        document: DocumentContent {
            verification_methods: methods,
            services,
        },
        deactivated: metadata
            .get("deactivated")
            .and_then(Value::as_bool)
            .ok_or("no deactivated")?,
        version: metadata
            .get("versionId")
            .and_then(Value::as_str)
            .and_then(|v| v.parse().ok())
            .ok_or("no versionId")?,
        version_height: number("height").ok_or("no height")?,
        version_time: instant("updated")?,
        created_height: number("createdHeight").ok_or("no createdHeight")?,
        created_time: instant("created")?,
    })
}
