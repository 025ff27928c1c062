//! The typed verification report.

use serde::{Serialize, Serializer};

use super::Cryptosuite;
use crate::did::{DidError, VerificationRelationship};
use crate::jcs::JcsError;
use crate::keys::{KeyAlgorithm, SignatureError};
use crate::vc::{ValidityError, VcError};
use crate::verification_step::VerificationStep;

/// Why verification failed; [`VerificationError::step`] names the step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerificationError {
    /// The document is not a valid VC 2.0 credential or presentation (step `Parse`, or
    /// `Context` for `@context` errors).
    #[error("invalid document: {0}")]
    Document(VcError),
    /// The document or a proof configuration has no JCS canonical form (step `Parse`).
    #[error("canonicalization failed: {0}")]
    Canonicalization(JcsError),
    /// A proof's `@context` is not a prefix of the document's `@context` (step `Context`).
    #[error("the proof's @context does not match the document's @context")]
    ProofContextMismatch,
    /// The document has no `proof` (step `ProofSuite`).
    #[error("the document has no proof")]
    NoProof,
    /// `proof` is not an object or an array of objects (step `ProofSuite`).
    #[error("proof is not an object or an array of objects")]
    MalformedProof,
    /// A required proof property is missing or not a string (step `ProofSuite`).
    #[error("proof property {property} is missing or not a string")]
    MissingProofProperty {
        /// The property name.
        property: &'static str,
    },
    /// The proof `type` is not `DataIntegrityProof` (step `ProofSuite`).
    #[error("unsupported proof type {0:?}")]
    UnsupportedProofType(String),
    /// The `cryptosuite` is not supported (step `ProofSuite`).
    #[error("unsupported cryptosuite {0:?}")]
    UnsupportedCryptosuite(String),
    /// `proofValue` is not multibase base58btc of a signature of the suite's length (64
    /// bytes; `ecdsa-jcs-2019` also 96, a P-384 signature) (step `ProofSuite`).
    #[error("invalid proofValue: {0}")]
    InvalidProofValue(&'static str),
    /// `created` / `expires` is not a `dateTimeStamp` (step `ProofSuite`).
    #[error("proof {property} is not an XML Schema dateTimeStamp")]
    InvalidProofDateTime {
        /// The property name.
        property: &'static str,
    },
    /// A `previousProof` id names no proof of the document (step `ProofSuite`).
    #[error("previousProof {0:?} not found in the proof set")]
    PreviousProofNotFound(String),
    /// The verification method is not a valid DID URL or cannot be resolved (step
    /// `KeyResolution`).
    #[error("verification method: {0}")]
    KeyResolution(DidError),
    /// The resolved key is not of the suite's algorithm (step `KeyResolution`).
    #[error("a {algorithm} key cannot verify a {suite} proof")]
    KeyAlgorithmMismatch {
        /// The proof's suite.
        suite: Cryptosuite,
        /// The resolved key's algorithm.
        algorithm: KeyAlgorithm,
    },
    /// The proof's `proofPurpose` is not the relationship the document needs (step
    /// `ProofPurpose`).
    #[error("the proof's proofPurpose is not {expected}")]
    WrongProofPurpose {
        /// The relationship the document needs.
        expected: VerificationRelationship,
    },
    /// The DID document does not list the verification method under the relationship the
    /// proof needs, e.g. an `authentication` key that signed a credential (step
    /// `ProofPurpose`).
    #[error("the verification method is not authorised for {relationship}")]
    MethodNotAuthorised {
        /// The relationship the proof needs.
        relationship: VerificationRelationship,
    },
    /// The verification method's DID is not the credential's `issuer` (step `IssuerBinding`).
    #[error("the verification method is not the issuer's")]
    NotIssuerMethod,
    /// The issuer's DID document did not list the verification method when the credential was
    /// issued (step `IssuerBinding`).
    #[error("the issuer's DID document did not list the verification method at issuance")]
    IssuerMethodNotInForce,
    /// The presentation names no `holder` to bind its proof to (step `HolderBinding`).
    #[error("the presentation has no holder")]
    MissingHolder,
    /// The verification method's DID is not the presentation's `holder` (step
    /// `HolderBinding`).
    #[error("the verification method is not the holder's")]
    NotHolderMethod,
    /// The holder's DID document did not list the verification method when the presentation
    /// was signed (step `HolderBinding`).
    #[error("the holder's DID document did not list the verification method then")]
    HolderMethodNotInForce,
    /// An embedded credential's `credentialSubject.id` is not the presentation's holder (step
    /// `HolderBinding`).
    #[error("embedded credential {index}: credentialSubject.id is not the holder")]
    SubjectNotHolder {
        /// Its position in `verifiableCredential`.
        index: usize,
    },
    /// An embedded credential failed verification (its own failure names the step).
    #[error("embedded credential {index}: {} step failed: {}", .failure.step, .failure.error)]
    EmbeddedCredential {
        /// Its position in `verifiableCredential`.
        index: usize,
        /// Why it failed.
        failure: Box<VerificationFailure>,
    },
    /// `verifiableCredential` holds something that is not an embedded credential with Data
    /// Integrity proofs (e.g. an enveloped credential), which cannot be checked here (step
    /// `ProofSuite`).
    #[error("embedded credential {index} is not a credential this verifier can check")]
    UnsupportedEmbeddedCredential {
        /// Its position in `verifiableCredential`.
        index: usize,
    },
    /// The proof's `challenge` is missing or not the one the verifier expects (step
    /// `Challenge`).
    #[error("the proof's challenge is not the expected one")]
    ChallengeMismatch,
    /// The proof's `domain` is missing or does not include the one the verifier expects (step
    /// `Challenge`).
    #[error("the proof's domain is not the expected one")]
    DomainMismatch,
    /// The signature does not verify (step `Signature`).
    #[error("signature: {0}")]
    Signature(SignatureError),
    /// The credential is outside its validity window (step `ValidityWindow`).
    #[error("validity window: {0}")]
    Validity(ValidityError),
    /// The proof's `expires` has passed (step `ValidityWindow`).
    #[error("the proof expired at {expires}")]
    ProofExpired {
        /// The proof's `expires`.
        expires: String,
    },
    /// A `bbs-jcs-2026` proof failed (its own error names the step).
    #[error("bbs-jcs-2026: {0}")]
    SelectiveDisclosure(Box<super::bbs::SelectiveDisclosureError>),
}

impl VerificationError {
    /// The step this error belongs to.
    pub fn step(&self) -> VerificationStep {
        match self {
            VerificationError::SelectiveDisclosure(error) => error.step(),
            VerificationError::Document(
                VcError::MissingContext | VcError::InvalidContext { .. },
            )
            | VerificationError::ProofContextMismatch => VerificationStep::Context,
            VerificationError::Document(_) | VerificationError::Canonicalization(_) => {
                VerificationStep::Parse
            }
            VerificationError::NoProof
            | VerificationError::MalformedProof
            | VerificationError::MissingProofProperty { .. }
            | VerificationError::UnsupportedProofType(_)
            | VerificationError::UnsupportedCryptosuite(_)
            | VerificationError::InvalidProofValue(_)
            | VerificationError::InvalidProofDateTime { .. }
            | VerificationError::PreviousProofNotFound(_) => VerificationStep::ProofSuite,
            VerificationError::WrongProofPurpose { .. }
            | VerificationError::MethodNotAuthorised { .. } => VerificationStep::ProofPurpose,
            VerificationError::NotIssuerMethod | VerificationError::IssuerMethodNotInForce => {
                VerificationStep::IssuerBinding
            }
            VerificationError::MissingHolder
            | VerificationError::NotHolderMethod
            | VerificationError::HolderMethodNotInForce
            | VerificationError::SubjectNotHolder { .. } => VerificationStep::HolderBinding,
            VerificationError::EmbeddedCredential { failure, .. } => failure.step,
            VerificationError::UnsupportedEmbeddedCredential { .. } => VerificationStep::ProofSuite,
            VerificationError::ChallengeMismatch | VerificationError::DomainMismatch => {
                VerificationStep::Challenge
            }
            VerificationError::KeyResolution(_)
            | VerificationError::KeyAlgorithmMismatch { .. } => VerificationStep::KeyResolution,
            VerificationError::Signature(_) => VerificationStep::Signature,
            VerificationError::Validity(_) | VerificationError::ProofExpired { .. } => {
                VerificationStep::ValidityWindow
            }
        }
    }
}

/// A failed step and its error. Serialized as `{"step": "...", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationFailure {
    /// The step that failed.
    pub step: VerificationStep,
    /// The error.
    pub error: VerificationError,
}

impl From<VerificationError> for VerificationFailure {
    fn from(error: VerificationError) -> Self {
        VerificationFailure {
            step: error.step(),
            error,
        }
    }
}

impl Serialize for VerificationFailure {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut out = serializer.serialize_struct("VerificationFailure", 2)?;
        out.serialize_field("step", &self.step)?;
        out.serialize_field("message", &self.error.to_string())?;
        out.end()
    }
}

/// The outcome of one proof of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofReport {
    /// Position of the proof in the proof set (0 for a single proof).
    pub index: usize,
    /// The proof's `id`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The proof's `cryptosuite` as written, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cryptosuite: Option<String>,
    /// The proof's `verificationMethod` as written, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_method: Option<String>,
    /// True when the verification method's DID is the credential's issuer (for a
    /// presentation: its holder). A proof whose method is not counts as failed (step
    /// `IssuerBinding` / `HolderBinding`).
    pub controller_is_issuer: bool,
    /// True when this proof verified.
    pub verified: bool,
    /// Why it did not, if it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<VerificationFailure>,
}

impl ProofReport {
    /// The proof's suite, when it names a supported one.
    pub fn suite(&self) -> Option<Cryptosuite> {
        self.cryptosuite.as_deref().and_then(Cryptosuite::from_name)
    }
}

/// The outcome of verifying a document: valid only when the document parses, every proof
/// verifies and the validity window holds at the instant of checking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationReport {
    /// True when the document is valid.
    pub verified: bool,
    /// The instant the validity window was checked at (`dateTimeStamp`).
    pub checked_at: String,
    /// The credential's issuer id, when the document is a credential.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The first failure: the document-level one, else the first failing proof's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<VerificationFailure>,
    /// The failure of a document-level check (parse, context, no proof, validity window), if
    /// any; `None` when only proofs failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_failure: Option<VerificationFailure>,
    /// One entry per proof, in the order of the proof set.
    pub proofs: Vec<ProofReport>,
    /// For a presentation: the report of each embedded credential, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<VerificationReport>,
}

impl VerificationReport {
    /// The step that failed, if any.
    pub fn failed_step(&self) -> Option<VerificationStep> {
        self.failure.as_ref().map(|failure| failure.step)
    }

    /// The proofs that verified.
    pub fn verified_proofs(&self) -> impl Iterator<Item = &ProofReport> {
        self.proofs.iter().filter(|proof| proof.verified)
    }

    /// True when the document-level checks passed (parse, context, validity window) and at
    /// least one proof of `suite` verified — the check of a jurisdiction whose law mandates
    /// that algorithm, whatever other proofs the set carries.
    pub fn verified_with(&self, suite: Cryptosuite) -> bool {
        let document_ok = self.document_failure.is_none();
        document_ok
            && self
                .verified_proofs()
                .any(|proof| proof.suite() == Some(suite))
    }
}
