//! A trust cache for one document, fetched from a node: [`RegistryClient::trust_cache_for`]
//! resolves the registry DID of every proof's verification method **as of the proof's
//! `created`** (the version in force when it was signed) and answers a [`TrustCache`] holding
//! those methods with their relationships. Core's verifier then checks the document offline
//! against it, binding included. A verifier that must not trust the node uses a trust cache
//! synced with proofs instead (the checkpoint); this is for operators and tools.
//!
//! [`RegistryClient::trust_cache_of_admitted_issuers`] answers the current verification
//! methods of every admitted, non-suspended issuer: what a wallet receiving a credential it
//! has not seen yet trusts (`crosscode wallet receive --node`).

use crosscode_core::did::{DidUrl, TrustCache, TrustedKey, VerificationRelationship};
use serde_json::Value;

use crosscode_did_registry::document::VerificationMethod;
use crosscode_did_registry::resolution::resolved_from_result;

use crate::{ClientError, RegistryClient, unexpected};

/// The `proof` objects of a document and of the credentials it embeds.
fn proofs(document: &Value) -> Vec<&Value> {
    let mut found = Vec::new();
    let mut pending = vec![document];
    while let Some(item) = pending.pop() {
        match item.get("proof") {
            Some(Value::Array(set)) => found.extend(set.iter()),
            Some(proof @ Value::Object(_)) => found.push(proof),
            _ => {}
        }
        match item.get("verifiableCredential") {
            Some(Value::Array(items)) => pending.extend(items.iter()),
            Some(embedded @ Value::Object(_)) => pending.push(embedded),
            _ => {}
        }
    }
    found
}

impl RegistryClient {
    /// The registry verification methods `document`'s proofs name, resolved as of each
    /// proof's `created` (see the module documentation). Methods of other DID methods
    /// (`did:key`) are left to their own resolvers.
    pub async fn trust_cache_for(&self, document: &Value) -> Result<TrustCache, ClientError> {
        let mut cache = TrustCache::new();
        for proof in proofs(document) {
            let Some(method) = proof
                .get("verificationMethod")
                .and_then(Value::as_str)
                .and_then(|text| DidUrl::parse(text).ok())
            else {
                continue;
            };
            let did = method.did().as_str().to_owned();
            if !did.starts_with("did:crosscode:") || !cache.entries(&method).is_empty() {
                continue;
            }
            let resolved = match proof.get("created").and_then(Value::as_str) {
                Some(created) => self.resolve_at_time(&did, created).await?,
                None => self.resolve(&did, None).await?,
            };
            let resolved =
                resolved_from_result(&resolved).map_err(|err| unexpected(200, err.to_string()))?;
            if resolved.deactivated {
                continue;
            }
            let Some(fragment) = method.fragment() else {
                continue;
            };
            let Some(vm) = resolved.document.method(fragment) else {
                continue;
            };
            insert_method(&mut cache, &method, vm)?;
        }
        Ok(cache)
    }

    /// The verification methods of every admitted, non-suspended issuer's DID document at the
    /// head (deactivated DIDs left out).
    pub async fn trust_cache_of_admitted_issuers(&self) -> Result<TrustCache, ClientError> {
        let mut cache = TrustCache::new();
        for issuer in self.issuers().await? {
            if issuer.record.suspended {
                continue;
            }
            let resolved = self.resolve_document(issuer.did.as_str(), None).await?;
            if resolved.deactivated {
                continue;
            }
            for vm in &resolved.document.verification_methods {
                let method = DidUrl::parse(&format!("{}#{}", issuer.did.as_str(), vm.fragment))
                    .map_err(|err| unexpected(200, err.to_string()))?;
                insert_method(&mut cache, &method, vm)?;
            }
        }
        Ok(cache)
    }
}

/// Adds `vm`, registered as `method`, with its relationships (none: left out).
fn insert_method(
    cache: &mut TrustCache,
    method: &DidUrl,
    vm: &VerificationMethod,
) -> Result<(), ClientError> {
    let relationships: Vec<VerificationRelationship> = vm
        .relationships
        .names()
        .filter_map(VerificationRelationship::from_name)
        .collect();
    if relationships.is_empty() {
        return Ok(());
    }
    let entry = TrustedKey {
        key: vm.key.0.clone(),
        relationships,
        valid_from: None,
        valid_until: None,
    };
    cache
        .insert_entry(method, entry)
        .map_err(|err| unexpected(200, err.to_string()))
}
