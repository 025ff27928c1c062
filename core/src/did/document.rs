//! DID documents, verification methods and DID resolution results (W3C DID Core, DID
//! Resolution).

use serde::{Deserialize, Serialize};

use super::{Did, DidUrl};

/// The DID Core v1 JSON-LD context.
pub const DID_V1_CONTEXT: &str = "https://www.w3.org/ns/did/v1";
/// The Multikey JSON-LD context.
pub const MULTIKEY_V1_CONTEXT: &str = "https://w3id.org/security/multikey/v1";
/// The DID Resolution JSON-LD context.
pub const DID_RESOLUTION_V1_CONTEXT: &str = "https://w3id.org/did-resolution/v1";
/// The media type of a JSON-LD DID document.
pub const DID_LD_JSON: &str = "application/did+ld+json";
/// The verification method type this crate emits.
pub const MULTIKEY_TYPE: &str = "Multikey";

/// A verification method with a `Multikey` public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationMethod {
    /// The DID URL identifying the method (`did:key:z…#z…`).
    pub id: DidUrl,
    /// The method type (`Multikey`).
    #[serde(rename = "type")]
    pub method_type: String,
    /// The DID controlling the key.
    pub controller: Did,
    /// The public key as multibase multicodec (`z…`).
    pub public_key_multibase: String,
}

/// A service of a DID document (DID Core §5.4): an endpoint the DID subject publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// The DID URL identifying the service (`<did>#<fragment>`).
    pub id: DidUrl,
    /// The service type.
    #[serde(rename = "type")]
    pub service_type: String,
    /// The endpoint (a URL).
    pub service_endpoint: String,
}

/// A DID document (the subset Crosscode emits: verification methods, relationships and
/// services).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DidDocument {
    /// The JSON-LD contexts.
    #[serde(rename = "@context")]
    pub context: Vec<String>,
    /// The DID subject.
    pub id: Did,
    /// The verification methods.
    pub verification_method: Vec<VerificationMethod>,
    /// Methods for authentication (references to `verification_method`).
    pub authentication: Vec<DidUrl>,
    /// Methods for issuing assertions such as credentials.
    pub assertion_method: Vec<DidUrl>,
    /// Methods for invoking capabilities.
    pub capability_invocation: Vec<DidUrl>,
    /// Methods for delegating capabilities.
    pub capability_delegation: Vec<DidUrl>,
    /// The services (`service`, absent when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service: Vec<Service>,
}

impl DidDocument {
    /// The verification method with this id, if the document has one.
    pub fn verification_method(&self, id: &DidUrl) -> Option<&VerificationMethod> {
        self.verification_method.iter().find(|vm| &vm.id == id)
    }
}

/// DID resolution metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DidResolutionMetadata {
    /// Media type of the returned representation (`application/did+ld+json`).
    pub content_type: String,
}

/// DID document metadata (DID Resolution §"DID Document Metadata"). did:key documents have
/// none (every member absent); a registry DID's document has all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DidDocumentMetadata {
    /// When the DID was created (XML Schema `dateTime`, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// When the version resolved took effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// Whether the DID is deactivated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivated: Option<bool>,
    /// The version resolved (`"0"` for the created document).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Registry DIDs: the height of the block that made the version resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    /// Registry DIDs: the height of the block that created the DID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_height: Option<u64>,
}

/// A DID resolution result (W3C DID Resolution).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DidResolutionResult {
    /// The DID Resolution context.
    #[serde(rename = "@context")]
    pub context: String,
    /// The resolved DID document.
    pub did_document: DidDocument,
    /// Metadata about the resolution.
    pub did_resolution_metadata: DidResolutionMetadata,
    /// Metadata about the document.
    pub did_document_metadata: DidDocumentMetadata,
}

impl DidResolutionResult {
    /// The result as a JSON value.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}
