//! The typed credential API: [`issue`], [`present`] and [`verify_credential`] /
//! [`verify_presentation`] over the typed [`Credential`] and [`Presentation`], signing through
//! the [`Signer`] port (so a platform keystore or an HSM signs without exporting its keys).
//!
//! These are the operations of the three parties, with the binding rules built in:
//! - an issuer secures a credential with one proof per key, and every key's verification
//!   method must be of the credential's `issuer` (a proof set of SM2 and Ed25519 proofs is an
//!   issuer DID holding both keys);
//! - a holder presents credentials about itself: the presentation's `holder` is the signing
//!   key's DID, every embedded credential's `credentialSubject.id` is the holder, and the
//!   proof answers the verifier's `challenge` / `domain`;
//! - a verifier gets a [`VerificationReport`] naming the failing step.
//!
//! The JSON-value functions of [`crate::data_integrity`] stay underneath.

use time::OffsetDateTime;

use super::{Credential, Holder, Presentation, VcError};
use crate::data_integrity::{
    ASSERTION_METHOD, AUTHENTICATION, Cryptosuite, DataIntegrityError, Expectations, ProofOptions,
    VerificationReport, add_proof, verify_document_with,
};
use crate::did::{DidUrl, KeyResolver};
use crate::keys::Signer;

/// One signing key and the verification method its proof names.
pub struct ProofKey<'a> {
    /// The key (an in-memory key, a platform keystore, an HSM).
    pub signer: &'a dyn Signer,
    /// The verification method the proof names (`DID#fragment`; for `did:key`,
    /// `did:key:z…#z…`).
    pub verification_method: DidUrl,
    /// The suite; `None` picks it from the key's algorithm (`bbs-jcs-2026` for BLS12-381).
    pub cryptosuite: Option<Cryptosuite>,
}

impl std::fmt::Debug for ProofKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProofKey")
            .field("verification_method", &self.verification_method)
            .field("cryptosuite", &self.cryptosuite)
            .finish_non_exhaustive()
    }
}

/// What a holder's presentation answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PresentationRequest {
    /// The verifier's nonce, carried as the proof's `challenge`.
    pub challenge: Option<String>,
    /// The verifier's domain, carried as the proof's `domain`.
    pub domain: Option<String>,
}

/// Errors of [`issue`] and [`present`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecuringError {
    /// No key was given.
    #[error("no signing key given")]
    NoKey,
    /// A key's verification method is not of the credential's issuer: its proof would never
    /// verify.
    #[error("verification method {method} is not the issuer's")]
    NotIssuerMethod {
        /// The method (at most 120 characters of it).
        method: String,
    },
    /// The presentation has no `holder`.
    #[error("the presentation has no holder")]
    MissingHolder,
    /// The key's verification method is not of the presentation's holder.
    #[error("verification method {method} is not the holder's")]
    NotHolderMethod {
        /// The method (at most 120 characters of it).
        method: String,
    },
    /// An embedded credential is not about the holder (`credentialSubject.id`).
    #[error("embedded credential {index} is not about the holder")]
    SubjectNotHolder {
        /// Its position in `verifiableCredential`.
        index: usize,
    },
    /// Making a proof failed.
    #[error("proof: {0}")]
    Proof(#[from] DataIntegrityError),
    /// The secured document is not a valid credential / presentation any more.
    #[error("document: {0}")]
    Document(#[from] VcError),
}

fn shorten(method: &DidUrl) -> String {
    method.as_str().chars().take(120).collect()
}

/// Secures `credential` with one proof per key (a proof set when several), each made on its
/// own at `created` (`None`: now). Every key's verification method must be of the
/// credential's issuer.
pub fn issue(
    credential: &Credential,
    keys: &[ProofKey<'_>],
    created: Option<OffsetDateTime>,
) -> Result<Credential, SecuringError> {
    Ok(Credential::from_value(&issue_document(
        credential, keys, created,
    )?)?)
}

/// [`issue`], answering the secured credential as JSON without parsing it back into a
/// [`Credential`] — what an issuer hashes, stores and sends.
pub fn issue_document(
    credential: &Credential,
    keys: &[ProofKey<'_>],
    created: Option<OffsetDateTime>,
) -> Result<serde_json::Value, SecuringError> {
    if keys.is_empty() {
        return Err(SecuringError::NoKey);
    }
    let issuer = credential.issuer.id();
    if let Some(key) = keys
        .iter()
        .find(|key| key.verification_method.did().as_str() != issuer)
    {
        return Err(SecuringError::NotIssuerMethod {
            method: shorten(&key.verification_method),
        });
    }
    let mut document = credential.to_value();
    for key in keys {
        let options = ProofOptions {
            cryptosuite: key.cryptosuite,
            created,
            proof_purpose: ASSERTION_METHOD.into(),
            ..ProofOptions::default()
        };
        document = add_proof(&document, key.signer, &key.verification_method, &options)?;
    }
    Ok(document)
}

/// Signs `presentation` as its holder with `key` (for `authentication`), answering `request`.
/// The holder must be the key's DID and every embedded credential must be about the holder.
pub fn present(
    presentation: &Presentation,
    key: &ProofKey<'_>,
    request: &PresentationRequest,
    created: Option<OffsetDateTime>,
) -> Result<Presentation, SecuringError> {
    let holder = presentation
        .holder
        .as_ref()
        .map(Holder::id)
        .ok_or(SecuringError::MissingHolder)?;
    if key.verification_method.did().as_str() != holder {
        return Err(SecuringError::NotHolderMethod {
            method: shorten(&key.verification_method),
        });
    }
    let document = presentation.to_value();
    if let Some(credentials) = &presentation.verifiable_credential {
        for (index, credential) in credentials.iter().enumerate() {
            if !crate::data_integrity::subjects_are(credential, Some(holder)) {
                return Err(SecuringError::SubjectNotHolder { index });
            }
        }
    }
    let options = ProofOptions {
        cryptosuite: key.cryptosuite,
        created,
        proof_purpose: AUTHENTICATION.into(),
        challenge: request.challenge.clone(),
        domain: request.domain.clone(),
        ..ProofOptions::default()
    };
    let secured = add_proof(&document, key.signer, &key.verification_method, &options)?;
    Ok(Presentation::from_value(&secured)?)
}

/// Verifies a secured credential at `at` (see [`crate::data_integrity::verify_document`]).
pub fn verify_credential(
    credential: &Credential,
    resolver: &dyn KeyResolver,
    at: OffsetDateTime,
) -> VerificationReport {
    verify_document_with(
        &credential.to_value(),
        resolver,
        at,
        &Expectations::default(),
    )
}

/// Verifies a secured presentation at `at`: the holder's proof (answering `expect`), and every
/// embedded credential with its binding to the holder.
pub fn verify_presentation(
    presentation: &Presentation,
    resolver: &dyn KeyResolver,
    at: OffsetDateTime,
    expect: &Expectations,
) -> VerificationReport {
    verify_document_with(&presentation.to_value(), resolver, at, expect)
}
