//! The `did:key` method: `did:key:<publicKeyMultibase>`.

use std::fmt;
use std::str::FromStr;

use super::document::{
    DID_LD_JSON, DID_RESOLUTION_V1_CONTEXT, DID_V1_CONTEXT, DidDocument, DidDocumentMetadata,
    DidResolutionMetadata, DidResolutionResult, MULTIKEY_TYPE, MULTIKEY_V1_CONTEXT,
    VerificationMethod,
};
use super::{Did, DidError, DidUrl};
use crate::keys::PublicKey;
use crate::multicodec;

/// The method name of `did:key`.
pub const DID_KEY_METHOD: &str = "key";

/// A `did:key` DID with its decoded public key.
#[derive(Clone, PartialEq, Eq)]
pub struct DidKey {
    did: Did,
    public_key: PublicKey,
}

impl fmt::Debug for DidKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DidKey({})", self.did)
    }
}

impl fmt::Display for DidKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.did, f)
    }
}

impl DidKey {
    /// The `did:key` of a public key.
    pub fn from_public_key(public_key: &PublicKey) -> DidKey {
        let multibase = multicodec::encode_multikey(public_key);
        // A base58btc string is made of idchars only, so this DID is always valid; build it
        // without re-validation.
        let did = Did::from_trusted_did_key(&multibase);
        DidKey {
            did,
            public_key: public_key.clone(),
        }
    }

    /// Decodes a `did:key` DID to its public key. The method must be `key`, the
    /// method-specific id a single base58btc multibase value (`z…`) of a supported multicodec
    /// key; other key types give `DidError::Multicodec(UnsupportedKeyType { codec })`.
    pub fn parse(did: &Did) -> Result<DidKey, DidError> {
        if did.method() != DID_KEY_METHOD {
            return Err(DidError::MethodNotSupported {
                method: super::syntax::shorten(did.method()),
            });
        }
        let id = did.method_specific_id();
        // did:key has an optional version prefix in newer drafts ("did:key:1:z…"); only the
        // plain form is supported.
        if id.contains(':') {
            return Err(DidError::InvalidDidKey {
                reason: "method-specific id must be one multibase value",
            });
        }
        let public_key = multicodec::decode_multikey(id)?;
        Ok(DidKey {
            did: did.clone(),
            public_key,
        })
    }

    /// Parses a DID string and decodes it as a `did:key`.
    pub fn parse_str(text: &str) -> Result<DidKey, DidError> {
        DidKey::parse(&Did::parse(text)?)
    }

    /// The DID.
    pub fn did(&self) -> &Did {
        &self.did
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The `publicKeyMultibase` value (the method-specific id).
    pub fn multibase(&self) -> &str {
        self.did.method_specific_id()
    }

    /// The id of the key's verification method: `did:key:z…#z…`.
    pub fn verification_method_id(&self) -> DidUrl {
        DidUrl::from_trusted_did_key_fragment(&self.did)
    }

    /// The DID document: one `Multikey` verification method, referenced from
    /// `authentication`, `assertionMethod`, `capabilityInvocation` and
    /// `capabilityDelegation`.
    pub fn document(&self) -> DidDocument {
        let vm_id = self.verification_method_id();
        DidDocument {
            context: vec![DID_V1_CONTEXT.to_owned(), MULTIKEY_V1_CONTEXT.to_owned()],
            id: self.did.clone(),
            verification_method: vec![VerificationMethod {
                id: vm_id.clone(),
                method_type: MULTIKEY_TYPE.to_owned(),
                controller: self.did.clone(),
                public_key_multibase: self.multibase().to_owned(),
            }],
            authentication: vec![vm_id.clone()],
            assertion_method: vec![vm_id.clone()],
            capability_invocation: vec![vm_id.clone()],
            capability_delegation: vec![vm_id],
            service: vec![],
        }
    }

    /// The DID resolution result (document plus metadata).
    pub fn resolution_result(&self) -> DidResolutionResult {
        DidResolutionResult {
            context: DID_RESOLUTION_V1_CONTEXT.to_owned(),
            did_document: self.document(),
            did_resolution_metadata: DidResolutionMetadata {
                content_type: DID_LD_JSON.to_owned(),
            },
            did_document_metadata: DidDocumentMetadata::default(),
        }
    }
}

impl FromStr for DidKey {
    type Err = DidError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DidKey::parse_str(s)
    }
}

impl From<&PublicKey> for DidKey {
    fn from(public_key: &PublicKey) -> Self {
        DidKey::from_public_key(public_key)
    }
}

/// Resolves a DID to its resolution result. Only `did:key` is supported here; other methods
/// give [`DidError::MethodNotSupported`].
pub fn resolve(did: &Did) -> Result<DidResolutionResult, DidError> {
    Ok(DidKey::parse(did)?.resolution_result())
}
