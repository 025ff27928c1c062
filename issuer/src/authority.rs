//! Start-up as an authority: which DID the service signs as, with which keys, and whether the
//! consortium lets it issue what it is configured for.
//!
//! [`Authority::connect`] takes the operator's keys (key files, or a dev authority's derived
//! keys) and the chain:
//! 1. the DID is the registry DID derived from one of the keys of the chain's profile
//!    algorithm that is registered on the chain (else [`StartupError::NotRegistered`]);
//! 2. every key must be a method of that DID's document: the chain key with capability
//!    invocation and assertion (it signs transactions and evidence anchors), the credential
//!    keys (Ed25519, SM2, BBS) with assertion (else [`StartupError::KeyNotInDocument`]);
//! 3. the DID must be an admitted, unsuspended authority issuer whose scope covers every
//!    credential type the service is configured for, now (else [`StartupError::NotAdmitted`],
//!    [`StartupError::Suspended`], [`StartupError::ScopeDoesNotCover`],
//!    [`StartupError::OutsideValidityWindow`]).

use std::sync::Arc;

use crosscode_core::did::DidUrl;
use crosscode_core::keys::{KeyAlgorithm, PublicKey, SecretKey, Signer};
use crosscode_did_registry::document::{DocumentContent, RegistryDid, Relationships};
use crosscode_did_registry::governance::IssuerScope;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_registry_client::{ClientError, RegistryClient, ResolutionErrorCode};

/// A signer the service shares between its workers.
pub type SharedSigner = Arc<dyn Signer + Send + Sync>;

/// Why the service refuses to start as an authority.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// No key was given.
    #[error("no authority key given")]
    NoKeys,
    /// None of the keys of the chain's algorithm derives a DID registered on the chain.
    #[error("no key of the chain's algorithm ({algorithm}) belongs to a registered DID")]
    NotRegistered {
        /// The chain profile's key algorithm.
        algorithm: KeyAlgorithm,
    },
    /// A key is not a method of the authority's document with the relationship it needs.
    #[error("a {algorithm} key is not a {relationship} method of {did}")]
    KeyNotInDocument {
        /// The DID.
        did: RegistryDid,
        /// The key's algorithm.
        algorithm: KeyAlgorithm,
        /// The relationship it needs.
        relationship: &'static str,
    },
    /// A key of an algorithm the issuer does not sign credentials with (P-256 keys are
    /// holders' keys: the issuer signs with Ed25519, SM2 and BBS keys).
    #[error("the issuer does not sign credentials with {algorithm} keys")]
    UnsupportedCredentialKey {
        /// The key's algorithm.
        algorithm: KeyAlgorithm,
    },
    /// The DID is not an admitted authority issuer.
    #[error("{did} is not an admitted authority issuer")]
    NotAdmitted {
        /// The DID.
        did: RegistryDid,
    },
    /// The authority is suspended by the consortium.
    #[error("{did} is suspended by the consortium")]
    Suspended {
        /// The DID.
        did: RegistryDid,
    },
    /// The admitted scope does not cover configured credential types.
    #[error("the admitted scope of {did} does not cover {missing:?}")]
    ScopeDoesNotCover {
        /// The DID.
        did: RegistryDid,
        /// The configured types outside the scope.
        missing: Vec<String>,
    },
    /// Now is outside the admission's validity window.
    #[error("the admission of {did} is not valid now")]
    OutsideValidityWindow {
        /// The DID.
        did: RegistryDid,
    },
    /// The chain could not be asked.
    #[error("chain: {0}")]
    Chain(#[from] ClientError),
}

/// A credential key of the authority and the verification method that names it.
#[derive(Clone)]
pub struct CredentialKey {
    /// The method (`did:crosscode:…#fragment`).
    pub method: DidUrl,
    /// The key.
    pub signer: SharedSigner,
}

impl std::fmt::Debug for CredentialKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialKey")
            .field("method", &self.method)
            .field("algorithm", &self.signer.algorithm())
            .finish()
    }
}

/// The authority the service issues as: its DID, chain, scope and keys.
#[derive(Clone)]
pub struct Authority {
    /// The authority's DID.
    pub did: RegistryDid,
    /// The chain's id.
    pub chain_id: String,
    /// The chain's crypto profile (its hash is the credential hash's).
    pub profile: CryptoProfile,
    /// The admitted scope.
    pub scope: IssuerScope,
    /// The key that signs the authority's transactions and evidence anchors.
    pub chain_key: SharedSigner,
    /// The Ed25519 credential key, if any.
    pub ed25519: Option<CredentialKey>,
    /// The SM2 credential key, if any.
    pub sm2: Option<CredentialKey>,
    /// The BBS credential key, if any.
    pub bbs: Option<CredentialKey>,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority")
            .field("did", &self.did)
            .field("chain_id", &self.chain_id)
            .field("scope", &self.scope)
            .field("ed25519", &self.ed25519)
            .field("sm2", &self.sm2)
            .field("bbs", &self.bbs)
            .finish_non_exhaustive()
    }
}

impl Authority {
    /// Starts as the authority holding `keys` on the chain `client` talks to, configured for
    /// `credential_types`, at `now` (Unix seconds). See the module documentation.
    pub async fn connect(
        client: &RegistryClient,
        keys: Vec<SecretKey>,
        credential_types: &[String],
        now: u64,
    ) -> Result<Authority, StartupError> {
        if keys.is_empty() {
            return Err(StartupError::NoKeys);
        }
        let chain = client.chain_info().await?;
        let algorithm = chain.profile.key_algorithm();
        let mut found = None;
        for key in keys.iter().filter(|key| key.algorithm() == algorithm) {
            let did = RegistryDid::derive(chain.profile, &chain.network, &key.public_key());
            match client.resolve_document(did.as_str(), None).await {
                Ok(resolved) if !resolved.deactivated => {
                    found = Some((did, resolved.document));
                    break;
                }
                Ok(_) => {}
                Err(ClientError::Resolution {
                    error: ResolutionErrorCode::NotFound,
                    ..
                }) => {}
                Err(err) => return Err(err.into()),
            }
        }
        let (did, document) = found.ok_or(StartupError::NotRegistered { algorithm })?;
        let keys = AuthorityKeys::match_document(&did, &document, keys, algorithm)?;
        let issuers = client.issuers().await?;
        let entry = issuers
            .into_iter()
            .find(|entry| entry.did == did)
            .ok_or_else(|| StartupError::NotAdmitted { did: did.clone() })?;
        let scope = entry.record.scope;
        if entry.record.suspended {
            return Err(StartupError::Suspended { did });
        }
        let missing: Vec<String> = credential_types
            .iter()
            .filter(|wanted| !scope.credential_types.contains(wanted))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(StartupError::ScopeDoesNotCover { did, missing });
        }
        if now < scope.valid_from || now >= scope.valid_until {
            return Err(StartupError::OutsideValidityWindow { did });
        }
        Ok(Authority {
            did,
            chain_id: chain.chain_id,
            profile: chain.profile,
            scope,
            chain_key: keys.chain,
            ed25519: keys.ed25519,
            sm2: keys.sm2,
            bbs: keys.bbs,
        })
    }

    /// The credential keys the authority holds, in proof-set order (SM2, Ed25519, BBS).
    pub fn credential_keys(&self) -> impl Iterator<Item = &CredentialKey> {
        [&self.sm2, &self.ed25519, &self.bbs].into_iter().flatten()
    }
}

/// The keys matched to the methods of the authority's document.
struct AuthorityKeys {
    chain: SharedSigner,
    ed25519: Option<CredentialKey>,
    sm2: Option<CredentialKey>,
    bbs: Option<CredentialKey>,
}

impl AuthorityKeys {
    fn match_document(
        did: &RegistryDid,
        document: &DocumentContent,
        keys: Vec<SecretKey>,
        chain_algorithm: KeyAlgorithm,
    ) -> Result<AuthorityKeys, StartupError> {
        let method_of = |public: &PublicKey, relationship: Relationships| {
            document
                .verification_methods
                .iter()
                .find(|vm| vm.key.0 == *public && vm.relationships.contains(relationship))
                .map(|vm| vm.fragment.clone())
        };
        let chain_relationships =
            Relationships::CAPABILITY_INVOCATION.with(Relationships::ASSERTION_METHOD);
        let mut chain = None;
        let (mut ed25519, mut sm2, mut bbs) = (None, None, None);
        for key in keys {
            let public = key.public_key();
            let algorithm = key.algorithm();
            if chain.is_none()
                && algorithm == chain_algorithm
                && let Some(fragment) = method_of(&public, chain_relationships)
            {
                chain = Some((Arc::new(key) as SharedSigner, fragment));
                continue;
            }
            if algorithm == KeyAlgorithm::P256 {
                return Err(StartupError::UnsupportedCredentialKey { algorithm });
            }
            let not_in_document = || StartupError::KeyNotInDocument {
                did: did.clone(),
                algorithm,
                relationship: "assertionMethod",
            };
            let fragment =
                method_of(&public, Relationships::ASSERTION_METHOD).ok_or_else(not_in_document)?;
            let method = method_url(did, &fragment).ok_or_else(not_in_document)?;
            let credential_key = Some(CredentialKey {
                method,
                signer: Arc::new(key),
            });
            match algorithm {
                KeyAlgorithm::Ed25519 => ed25519 = credential_key,
                KeyAlgorithm::Sm2 => sm2 = credential_key,
                KeyAlgorithm::Bls12381G2 => bbs = credential_key,
                KeyAlgorithm::P256 => {
                    return Err(StartupError::UnsupportedCredentialKey { algorithm });
                }
            }
        }
        let (chain, chain_fragment) = chain.ok_or_else(|| StartupError::KeyNotInDocument {
            did: did.clone(),
            algorithm: chain_algorithm,
            relationship: "capabilityInvocation and assertionMethod",
        })?;
        // The chain key is an assertion method too: it signs credentials of its algorithm when
        // no other key of that algorithm was given.
        let slot = match chain_algorithm {
            KeyAlgorithm::Ed25519 => &mut ed25519,
            KeyAlgorithm::Sm2 => &mut sm2,
            KeyAlgorithm::Bls12381G2 => &mut bbs,
            KeyAlgorithm::P256 => {
                return Err(StartupError::UnsupportedCredentialKey {
                    algorithm: chain_algorithm,
                });
            }
        };
        if slot.is_none() {
            let method =
                method_url(did, &chain_fragment).ok_or_else(|| StartupError::KeyNotInDocument {
                    did: did.clone(),
                    algorithm: chain_algorithm,
                    relationship: "assertionMethod",
                })?;
            *slot = Some(CredentialKey {
                method,
                signer: chain.clone(),
            });
        }
        Ok(AuthorityKeys {
            chain,
            ed25519,
            sm2,
            bbs,
        })
    }
}

/// The verification method `did#fragment` (`None`: not a DID URL, which a fragment of a
/// registered document never is).
fn method_url(did: &RegistryDid, fragment: &str) -> Option<DidUrl> {
    DidUrl::parse(&format!("{}#{fragment}", did.as_str())).ok()
}
