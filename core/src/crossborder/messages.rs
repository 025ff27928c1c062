//! The conversion protocol's messages (`docs/conversion.md`), each declared with
//! [`cross_border_message!`](crate::cross_border_message), and the holder's consent.
//!
//! The consent is the holder's signature, with the key of the source credential's
//! `credentialSubject.id`, over
//!
//! ```text
//! "crosscode conversion consent v1" 0x00 || JCS({"audience": <B's DID>, "challenge": <challenge>,
//!                                               "requestHash": <hex>, "signedAt": <dateTimeStamp>})
//! ```
//!
//! where `requestHash` is SHA-256 of the JCS form of the request's JSON without its `consent`
//! member. The signature is the key's raw form (Ed25519: 64 bytes; P-256: `r || s`).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::claims::PseudonymousCredential;
use super::wire::{
    AuthorityDid, Challenge, ClaimName, CredentialTypeName, Digest, HolderDid, Jurisdiction,
    PolicyRules, PublicText, SignatureValue, Timestamp,
};
use crate::anchor::AnchorReceipt;
use crate::jcs;
use crate::keys::{SignatureError, Signer};
use crate::vc::DateTimeStamp;

/// The domain prefix of the consent's signing input.
pub const CONSENT_DOMAIN: &[u8] = b"crosscode conversion consent v1\0";

crate::cross_border_message! {
    /// A jurisdiction's conversion policy: what it converts and on which evidence. Its hash
    /// ([`ConversionPolicy::hash`]) is anchored on the chain by the publishing authority.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct ConversionPolicy {
        /// The policy's version label (e.g. `2026-12-01`).
        pub version: PublicText,
        /// The converting authority's DID (the consent's audience, C_B's issuer).
        pub issuer: AuthorityDid,
        /// The converting authority's jurisdiction.
        pub jurisdiction: Jurisdiction,
        /// The credential type it issues on conversion.
        pub issues: CredentialTypeName,
        /// The source jurisdictions and credential types it accepts.
        pub accepts: Vec<AcceptedSource>,
        /// The claims under `credentialSubject` a request discloses (and C_B carries, except
        /// `jurisdiction`, which becomes the converting authority's).
        pub claims: Vec<ClaimName>,
        /// The CertLogic rules the disclosed claims must pass (the payload is the disclosed
        /// source credential).
        pub rules: PolicyRules,
        /// How long a challenge is good for, in seconds.
        pub challenge_seconds: u32,
    }
}

crate::cross_border_message! {
    /// A source a policy accepts.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct AcceptedSource {
        /// The source jurisdiction.
        pub jurisdiction: Jurisdiction,
        /// The source credential type.
        pub credential_type: CredentialTypeName,
    }
}

impl ConversionPolicy {
    /// The policy hash: SHA-256 of the policy's JCS form.
    pub fn hash(&self) -> Result<Digest, jcs::JcsError> {
        Ok(Digest(sha256_of(&to_value(self))?))
    }

    /// Whether it accepts a credential of `credential_type` from `jurisdiction`.
    pub fn accepts(&self, jurisdiction: &str, credential_type: &str) -> bool {
        self.accepts.iter().any(|source| {
            source.jurisdiction.as_str() == jurisdiction
                && source.credential_type.as_str() == credential_type
        })
    }
}

crate::cross_border_message! {
    /// `GET /v1/conversion/policy`: the policy in force, its hash and the height of its anchor.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct PublishedPolicy {
        /// The policy.
        pub policy: ConversionPolicy,
        /// Its hash.
        pub policy_hash: Digest,
        /// Height of the block that anchored the hash.
        pub anchored_at: u64,
    }
}

crate::cross_border_message! {
    /// `POST /v1/conversion/challenges`: a single-use challenge.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct ConversionChallenge {
        /// The challenge.
        pub challenge: Challenge,
        /// When it expires.
        pub expires_at: Timestamp,
        /// The hash of the policy a request must be made under.
        pub policy_hash: Digest,
    }
}

crate::cross_border_message! {
    /// The source credential's part of a request: the derived credential and its anchor.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct SourceCredential {
        /// The `bbs-jcs-2026`-derived source credential: its mandatory part (type, issuer,
        /// validity, status pointers, schema), the structural claims and the policy's claims;
        /// its proof's `challenge` is the request's, and it is bound to its holder key.
        pub credential: PseudonymousCredential,
        /// Its anchor receipt (its `credentialHash` is the full credential's hash).
        pub anchor: AnchorReceipt,
    }
}

crate::cross_border_message! {
    /// The holder's consent (see the module documentation).
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct Consent {
        /// The signing key's `did:key` (the source credential's `credentialSubject.id`).
        pub signer: HolderDid,
        /// When it was signed.
        pub signed_at: Timestamp,
        /// The signature.
        pub signature: SignatureValue,
    }
}

crate::cross_border_message! {
    /// `POST /v1/conversions`: convert the source credential into one of the policy's
    /// jurisdiction, for `holder`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct ConversionRequest {
        /// The hash of the policy the request is made under.
        pub policy_hash: Digest,
        /// The challenge it answers.
        pub challenge: Challenge,
        /// The source credential.
        pub source: SourceCredential,
        /// The fresh holder `did:key` the converted credential is issued to.
        pub holder: HolderDid,
        /// The holder's consent.
        pub consent: Consent,
    }
}

crate::cross_border_message! {
    /// The answer to an accepted request: the converted credential and its anchor.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct ConversionResponse {
        /// The converted credential (C_B), secured by the converting authority.
        pub credential: PseudonymousCredential,
        /// Its anchor receipt.
        pub anchor: AnchorReceipt,
    }
}

crate::cross_border_message! {
    /// The answer to a refused request (or challenge): a stable code and an explanation.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct ConversionRefusal {
        /// Why (stable).
        pub code: super::RefusalCode,
        /// An explanation for people (never a claim's value).
        pub message: PublicText,
    }
}

/// Why a consent could not be made or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsentError {
    /// The request has no JCS form (a number out of range).
    #[error("the request cannot be canonicalized: {0}")]
    Canonical(String),
    /// The signer is not a usable `did:key`.
    #[error("the consent's signer is not a did:key")]
    Signer,
    /// Signing failed, or the signature does not verify.
    #[error("consent signature: {0}")]
    Signature(#[from] SignatureError),
}

/// The request's fields besides the consent.
#[derive(Debug, Clone)]
pub struct RequestBody {
    /// See [`ConversionRequest::policy_hash`].
    pub policy_hash: Digest,
    /// See [`ConversionRequest::challenge`].
    pub challenge: Challenge,
    /// See [`ConversionRequest::source`].
    pub source: SourceCredential,
    /// See [`ConversionRequest::holder`].
    pub holder: HolderDid,
}

impl ConversionRequest {
    /// The request of `body`, with the consent signed by `signer` for `audience` at
    /// `signed_at`.
    pub fn sign(
        body: RequestBody,
        audience: &AuthorityDid,
        signer: &dyn Signer,
        signed_at: DateTimeStamp,
    ) -> Result<ConversionRequest, ConsentError> {
        let did = crate::did::DidKey::from_public_key(&signer.public_key());
        let signer_did = HolderDid::new(did.to_string()).map_err(|_| ConsentError::Signer)?;
        let mut request = ConversionRequest {
            policy_hash: body.policy_hash,
            challenge: body.challenge,
            source: body.source,
            holder: body.holder,
            consent: Consent {
                signer: signer_did,
                signed_at: Timestamp(signed_at),
                signature: SignatureValue(Vec::new()),
            },
        };
        let input = request.consent_input(audience)?;
        request.consent.signature = SignatureValue(signer.sign(&input)?);
        Ok(request)
    }

    /// SHA-256 of the JCS form of the request without its `consent`.
    pub fn request_hash(&self) -> Result<[u8; 32], ConsentError> {
        let mut value = to_value(self);
        if let Some(object) = value.as_object_mut() {
            object.remove("consent");
        }
        sha256_of(&value).map_err(|err| ConsentError::Canonical(err.to_string()))
    }

    /// The consent's signing input for `audience` (see the module documentation).
    pub fn consent_input(&self, audience: &AuthorityDid) -> Result<Vec<u8>, ConsentError> {
        let statement = json!({
            "audience": audience.as_str(),
            "challenge": self.challenge.as_str(),
            "requestHash": hex::encode(self.request_hash()?),
            "signedAt": self.consent.signed_at.0.as_str(),
        });
        let canonical = jcs::canonicalize_to_bytes(&statement)
            .map_err(|err| ConsentError::Canonical(err.to_string()))?;
        Ok([CONSENT_DOMAIN, canonical.as_slice()].concat())
    }

    /// Verifies the consent's signature by its signer's key, for `audience`.
    pub fn verify_consent(&self, audience: &AuthorityDid) -> Result<(), ConsentError> {
        let key = self
            .consent
            .signer
            .did_key()
            .map_err(|_| ConsentError::Signer)?;
        let input = self.consent_input(audience)?;
        Ok(key.public_key().verify(&input, &self.consent.signature.0)?)
    }
}

/// The JSON of a message (messages are plain structs of strings and numbers, which always
/// serialise).
fn to_value(message: &impl Serialize) -> Value {
    serde_json::to_value(message).unwrap_or(Value::Null)
}

fn sha256_of(value: &Value) -> Result<[u8; 32], jcs::JcsError> {
    Ok(Sha256::digest(jcs::canonicalize_to_bytes(value)?).into())
}
