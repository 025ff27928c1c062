//! Credential Issuer Metadata (OpenID4VCI 1.0, "Credential Issuer Metadata") and the OAuth 2.0
//! Authorization Server Metadata the issuer serves itself (RFC 8414; OpenID4VCI 1.0, "OAuth 2.0
//! Authorization Server Metadata").
//!
//! The types carry the parameters this issuer produces or reads with their exact wire names;
//! parameters it neither produces nor reads (encryption, batch issuance, …) are kept in `other`
//! so that parsing any issuer's metadata and writing it back loses nothing.

use std::collections::BTreeMap;

use crate::data_integrity::Cryptosuite;
use crate::vc::{VC_V2_CONTEXT, VERIFIABLE_CREDENTIAL_TYPE};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    CREDENTIAL_PATH, DID_KEY_BINDING, JWT_PROOF_TYPE, LDP_VC_FORMAT, NONCE_PATH,
    PRE_AUTHORIZED_CODE_GRANT, TOKEN_PATH, endpoint,
};
use crate::oid4vci::proof_jwt::ProofAlgorithm;

/// The configuration id of the health code credential.
pub const HEALTH_CODE_CONFIGURATION_ID: &str = "HealthCodeCredential";
/// The JSON-LD context of the health code credential (after the VC 2.0 base context).
pub const HEALTH_CODE_CONTEXT: &str = "https://crosscode.example/ns/health-code/v1";

/// Credential Issuer Metadata (`/.well-known/openid-credential-issuer`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialIssuerMetadata {
    /// The Credential Issuer Identifier (an `https` URL); the `aud` of every proof JWT.
    pub credential_issuer: String,
    /// Authorization servers; absent: the issuer is its own authorization server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_servers: Option<Vec<String>>,
    /// The credential endpoint.
    pub credential_endpoint: String,
    /// The nonce endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce_endpoint: Option<String>,
    /// The issuer's display properties, one per language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Vec<IssuerDisplay>>,
    /// The credentials this issuer issues, by configuration id.
    pub credential_configurations_supported: BTreeMap<String, CredentialConfiguration>,
    /// Parameters this issuer neither produces nor reads.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl CredentialIssuerMetadata {
    /// The metadata of the issuer at `issuer_url` (no trailing `/`), serving itself as
    /// authorization server, with its credential and nonce endpoints at [`CREDENTIAL_PATH`] and
    /// [`NONCE_PATH`].
    pub fn new(
        issuer_url: &str,
        display: Vec<IssuerDisplay>,
        configurations: BTreeMap<String, CredentialConfiguration>,
    ) -> CredentialIssuerMetadata {
        CredentialIssuerMetadata {
            credential_issuer: issuer_url.to_owned(),
            authorization_servers: None,
            credential_endpoint: endpoint(issuer_url, CREDENTIAL_PATH),
            nonce_endpoint: Some(endpoint(issuer_url, NONCE_PATH)),
            display: (!display.is_empty()).then_some(display),
            credential_configurations_supported: configurations,
            other: Map::new(),
        }
    }

    /// The configuration `id`, if this issuer has it.
    pub fn configuration(&self, id: &str) -> Option<&CredentialConfiguration> {
        self.credential_configurations_supported.get(id)
    }
}

/// Display properties of the issuer for one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerDisplay {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// BCP 47 language tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<Image>,
}

/// An image reference (a logo or a background image).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// Where the wallet gets the image (`https:` or `data:`).
    pub uri: String,
    /// Alternative text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
}

/// One entry of `credential_configurations_supported`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialConfiguration {
    /// The credential format (`ldp_vc` here).
    pub format: String,
    /// OAuth scope of this credential (authorization code flow; unused here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// How the credential is bound to its holder (`did:key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cryptographic_binding_methods_supported: Option<Vec<String>>,
    /// The Data Integrity cryptosuites the issuer signs this credential with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_signing_alg_values_supported: Option<Vec<String>>,
    /// The key proofs accepted, by proof type (`jwt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof_types_supported: Option<BTreeMap<String, ProofTypeMetadata>>,
    /// The credential's `@context` and `type` (formats `ldp_vc`, `jwt_vc_json`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_definition: Option<CredentialDefinition>,
    /// Display and claims information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_metadata: Option<CredentialMetadata>,
    /// Parameters this issuer neither produces nor reads (e.g. `vct`, `doctype`).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl CredentialConfiguration {
    /// An `ldp_vc` configuration with `did:key` holder binding and `jwt` key proofs signed
    /// with EdDSA or ES256.
    pub fn ldp_vc(
        context: &[&str],
        types: &[&str],
        suites: &[Cryptosuite],
        display: Vec<CredentialDisplay>,
    ) -> CredentialConfiguration {
        let proof_algorithms = ProofAlgorithm::ALL
            .iter()
            .map(|alg| alg.name().to_owned())
            .collect();
        CredentialConfiguration {
            format: LDP_VC_FORMAT.to_owned(),
            scope: None,
            cryptographic_binding_methods_supported: Some(vec![DID_KEY_BINDING.to_owned()]),
            credential_signing_alg_values_supported: Some(
                suites.iter().map(|suite| suite.name().to_owned()).collect(),
            ),
            proof_types_supported: Some(BTreeMap::from([(
                JWT_PROOF_TYPE.to_owned(),
                ProofTypeMetadata {
                    proof_signing_alg_values_supported: proof_algorithms,
                    key_attestations_required: None,
                },
            )])),
            credential_definition: Some(CredentialDefinition {
                context: Some(context.iter().map(|c| Value::from(*c)).collect()),
                types: types.iter().map(|t| (*t).to_owned()).collect(),
            }),
            credential_metadata: (!display.is_empty()).then_some(CredentialMetadata {
                display: Some(display),
                claims: None,
            }),
            other: Map::new(),
        }
    }

    /// Whether proofs of type `proof_type` signed with `alg` are accepted.
    pub fn accepts_proof(&self, proof_type: &str, alg: &str) -> bool {
        self.proof_types_supported
            .as_ref()
            .and_then(|types| types.get(proof_type))
            .is_some_and(|metadata| {
                metadata
                    .proof_signing_alg_values_supported
                    .iter()
                    .any(|supported| supported == alg)
            })
    }
}

/// The health code configuration ([`HEALTH_CODE_CONFIGURATION_ID`]): `ldp_vc` with the VC 2.0
/// and health code contexts, types `VerifiableCredential` and `HealthCodeCredential`, signed
/// with `suites`.
pub fn health_code_configuration(
    suites: &[Cryptosuite],
    display: Vec<CredentialDisplay>,
) -> CredentialConfiguration {
    CredentialConfiguration::ldp_vc(
        &[VC_V2_CONTEXT, HEALTH_CODE_CONTEXT],
        &[VERIFIABLE_CREDENTIAL_TYPE, HEALTH_CODE_CONFIGURATION_ID],
        suites,
        display,
    )
}

/// What the issuer accepts for one proof type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProofTypeMetadata {
    /// JOSE `alg` values accepted (`EdDSA`, `ES256`).
    pub proof_signing_alg_values_supported: Vec<String>,
    /// Key attestation requirements (never set here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_attestations_required: Option<Value>,
}

/// The `credential_definition` of a W3C VC format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialDefinition {
    /// `@context` (required for `ldp_vc`).
    #[serde(rename = "@context", default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Vec<Value>>,
    /// `type`.
    #[serde(rename = "type")]
    pub types: Vec<String>,
}

/// `credential_metadata`: display and claims of a credential configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialMetadata {
    /// Display properties, one per language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Vec<CredentialDisplay>>,
    /// Claims descriptions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimDescription>>,
}

/// Display properties of a credential for one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialDisplay {
    /// Display name.
    pub name: String,
    /// BCP 47 language tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<Image>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Background colour (CSS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_color: Option<String>,
    /// Background image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_image: Option<Image>,
    /// Text colour (CSS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_color: Option<String>,
}

/// A claims description object (OpenID4VCI 1.0 Appendix B.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimDescription {
    /// The claims path pointer (strings, integers, `null`).
    pub path: Vec<Value>,
    /// Whether the issuer always includes the claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandatory: Option<bool>,
    /// Display properties, one per language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Vec<ClaimDisplay>>,
}

/// Display properties of a claim for one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimDisplay {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// BCP 47 language tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// OAuth 2.0 Authorization Server Metadata (`/.well-known/oauth-authorization-server`) of the
/// issuer acting as its own authorization server, pre-authorized code grant only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationServerMetadata {
    /// The authorization server's issuer identifier (the credential issuer URL).
    pub issuer: String,
    /// The token endpoint.
    pub token_endpoint: String,
    /// Grant types accepted (the pre-authorized code grant).
    pub grant_types_supported: Vec<String>,
    /// Client authentication at the token endpoint (`none`: wallets are public clients).
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// Whether a token request without `client_id` is accepted (`true`).
    #[serde(rename = "pre-authorized_grant_anonymous_access_supported")]
    pub pre_authorized_grant_anonymous_access_supported: bool,
    /// Parameters this issuer neither produces nor reads.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl AuthorizationServerMetadata {
    /// The metadata of the issuer at `issuer_url`, its token endpoint at [`TOKEN_PATH`]. An
    /// authorization server with only the pre-authorized code grant may omit
    /// `response_types_supported` (OpenID4VCI 1.0, "Credential Issuer Metadata Parameters").
    pub fn new(issuer_url: &str) -> AuthorizationServerMetadata {
        AuthorizationServerMetadata {
            issuer: issuer_url.to_owned(),
            token_endpoint: endpoint(issuer_url, TOKEN_PATH),
            grant_types_supported: vec![PRE_AUTHORIZED_CODE_GRANT.to_owned()],
            token_endpoint_auth_methods_supported: vec!["none".to_owned()],
            pre_authorized_grant_anonymous_access_supported: true,
            other: Map::new(),
        }
    }
}
