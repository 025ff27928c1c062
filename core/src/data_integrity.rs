//! Data Integrity proofs (W3C VC Data Integrity 1.0) with JCS-based cryptosuites.
//!
//! - [`Cryptosuite::EddsaJcs2022`]: `eddsa-jcs-2022` of W3C vc-di-eddsa — JCS (RFC 8785) of
//!   the document and of the proof configuration, SHA-256 of each, `hashData = proofHash ‖
//!   docHash`, an Ed25519 signature, `proofValue` = multibase base58btc (`z…`).
//! - [`Cryptosuite::Sm2Jcs2026`]: `sm2-jcs-2026`, the same construction with SM3 instead of
//!   SHA-256 and an SM2 signature (SM3, default distinguishing ID `1234567812345678`, 64 bytes
//!   `r ‖ s`); see `docs/cryptosuite-sm2.md`.
//! - [`Cryptosuite::EcdsaJcs2019`]: `ecdsa-jcs-2019` of W3C Data Integrity ECDSA Cryptosuites
//!   v1.0 with P-256 keys — the `eddsa-jcs-2022` construction (JCS, SHA-256 of each,
//!   `proofHash ‖ docHash`) signed with ECDSA P-256 over SHA-256 of that 64-byte `hashData`,
//!   `proofValue` = multibase base58btc of the 64-byte `r ‖ s`. Signing normalises `s` to the
//!   lower half; verification accepts either half, as the specification does. P-384 keys
//!   (`did:key:z82…`, multicodec `p384-pub`) are refused at key resolution with
//!   `MulticodecError::UnsupportedKeyType { codec: 0x1201 }`.
//!
//! A document may carry a proof set (several proofs in an array, e.g. one SM2 and one Ed25519
//! proof so that each jurisdiction checks the algorithm its law mandates): [`add_proof`] appends
//! to it, and [`verify_document`] verifies every proof on its own and returns a typed
//! [`VerificationReport`] that says which proofs verified and names the step where
//! verification failed ([`VerificationStep`]). Proof chains (`previousProof`) are verified too.

pub mod bbs;
mod key_cache;
mod report;
pub mod selective;
mod verify;

pub use self::key_cache::CachedKeyResolver;
pub use self::report::{ProofReport, VerificationError, VerificationFailure, VerificationReport};
pub use self::verify::{
    Expectations, verify_document, verify_document_with, verify_proof, verify_proof_unbound,
};
pub(crate) use self::verify::{subjects_are, verify_embedded_items};
pub use crate::verification_step::VerificationStep;

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};
use sha2::Digest as _;
use time::OffsetDateTime;

use crate::did::DidUrl;
use crate::jcs::{self, JcsError};
use crate::keys::{KeyAlgorithm, SignatureError, Signer};
use crate::vc::DateTimeStamp;

/// The proof `type` of every Data Integrity proof made here.
pub const DATA_INTEGRITY_PROOF: &str = "DataIntegrityProof";
/// The default `proofPurpose` (a credential's).
pub const ASSERTION_METHOD: &str = "assertionMethod";
/// The `proofPurpose` of a presentation's proof.
pub const AUTHENTICATION: &str = "authentication";

/// A Data Integrity cryptosuite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cryptosuite {
    /// `eddsa-jcs-2022`: JCS + SHA-256 + Ed25519.
    EddsaJcs2022,
    /// `sm2-jcs-2026`: JCS + SM3 + SM2 (default distinguishing ID).
    Sm2Jcs2026,
    /// `ecdsa-jcs-2019`: JCS + SHA-256 + ECDSA P-256 (W3C vc-di-ecdsa; P-256 keys only).
    EcdsaJcs2019,
    /// `bbs-jcs-2026`: selective disclosure, BBS (BLS12-381-SHA-256) over JCS claims
    /// ([`bbs`], `docs/cryptosuite-bbs.md`).
    BbsJcs2026,
}

impl Cryptosuite {
    /// Every suite.
    pub const ALL: [Cryptosuite; 4] = [
        Cryptosuite::EddsaJcs2022,
        Cryptosuite::Sm2Jcs2026,
        Cryptosuite::EcdsaJcs2019,
        Cryptosuite::BbsJcs2026,
    ];

    /// The `cryptosuite` identifier.
    pub fn name(self) -> &'static str {
        match self {
            Cryptosuite::EddsaJcs2022 => "eddsa-jcs-2022",
            Cryptosuite::Sm2Jcs2026 => "sm2-jcs-2026",
            Cryptosuite::EcdsaJcs2019 => "ecdsa-jcs-2019",
            Cryptosuite::BbsJcs2026 => "bbs-jcs-2026",
        }
    }

    /// The suite with this `cryptosuite` identifier.
    pub fn from_name(name: &str) -> Option<Cryptosuite> {
        Cryptosuite::ALL
            .into_iter()
            .find(|suite| suite.name() == name)
    }

    /// The key algorithm the suite signs with.
    pub fn key_algorithm(self) -> KeyAlgorithm {
        match self {
            Cryptosuite::EddsaJcs2022 => KeyAlgorithm::Ed25519,
            Cryptosuite::Sm2Jcs2026 => KeyAlgorithm::Sm2,
            Cryptosuite::EcdsaJcs2019 => KeyAlgorithm::P256,
            Cryptosuite::BbsJcs2026 => KeyAlgorithm::Bls12381G2,
        }
    }

    /// The suite that signs with keys of `algorithm`, if any (BLS12-381 keys use BBS).
    pub fn for_key_algorithm(algorithm: KeyAlgorithm) -> Option<Cryptosuite> {
        match algorithm {
            KeyAlgorithm::Ed25519 => Some(Cryptosuite::EddsaJcs2022),
            KeyAlgorithm::Sm2 => Some(Cryptosuite::Sm2Jcs2026),
            KeyAlgorithm::P256 => Some(Cryptosuite::EcdsaJcs2019),
            KeyAlgorithm::Bls12381G2 => None,
        }
    }

    /// The suite's hash of `data`: SHA-256 (`eddsa-jcs-2022`, `ecdsa-jcs-2019` with P-256,
    /// `bbs-jcs-2026`) or SM3 (`sm2-jcs-2026`).
    pub fn hash(self, data: &[u8]) -> [u8; 32] {
        match self {
            Cryptosuite::EddsaJcs2022 | Cryptosuite::EcdsaJcs2019 | Cryptosuite::BbsJcs2026 => {
                sha2::Sha256::digest(data).into()
            }
            Cryptosuite::Sm2Jcs2026 => {
                use sm3::Digest as _;
                sm3::Sm3::digest(data).into()
            }
        }
    }
}

impl Cryptosuite {
    /// `hashData` from the canonical (JCS) texts of the proof configuration and the document:
    /// `hash(canonicalConfig) ‖ hash(canonicalDocument)`, 64 bytes.
    pub fn hash_data_of_canonical(
        self,
        canonical_config: &str,
        canonical_document: &str,
    ) -> Vec<u8> {
        let mut hash_data = Vec::with_capacity(64);
        hash_data.extend_from_slice(&self.hash(canonical_config.as_bytes()));
        hash_data.extend_from_slice(&self.hash(canonical_document.as_bytes()));
        hash_data
    }
}

impl fmt::Display for Cryptosuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Cryptosuite {
    type Err = DataIntegrityError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Cryptosuite::from_name(name).ok_or_else(|| DataIntegrityError::UnsupportedCryptosuite {
            name: name.chars().take(64).collect(),
        })
    }
}

/// Options of a new proof.
#[derive(Debug, Clone, PartialEq)]
pub struct ProofOptions {
    /// The suite; `None` picks it from the key's algorithm.
    pub cryptosuite: Option<Cryptosuite>,
    /// `created`; `None` means the current time (UTC, whole seconds).
    pub created: Option<OffsetDateTime>,
    /// `expires`, if any.
    pub expires: Option<OffsetDateTime>,
    /// `proofPurpose` (default `assertionMethod`).
    pub proof_purpose: String,
    /// The proof's `id` (a URL), if any.
    pub id: Option<String>,
    /// `previousProof` (ids of proofs this one chains to), if any.
    pub previous_proof: Vec<String>,
    /// `challenge`: the verifier's nonce a presentation answers, if any.
    pub challenge: Option<String>,
    /// `domain`: the verifier's domain a presentation is meant for, if any.
    pub domain: Option<String>,
}

impl Default for ProofOptions {
    fn default() -> Self {
        ProofOptions {
            cryptosuite: None,
            created: None,
            expires: None,
            proof_purpose: ASSERTION_METHOD.into(),
            id: None,
            previous_proof: Vec::new(),
            challenge: None,
            domain: None,
        }
    }
}

/// Errors of proof creation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataIntegrityError {
    /// The document is not a JSON object.
    #[error("the document to secure is not a JSON object")]
    NotAnObject,
    /// The `cryptosuite` name is not supported.
    #[error(
        "unsupported cryptosuite {name:?} (supported: eddsa-jcs-2022, sm2-jcs-2026, ecdsa-jcs-2019, bbs-jcs-2026)"
    )]
    UnsupportedCryptosuite {
        /// The name given.
        name: String,
    },
    /// The key's algorithm is not the one the suite signs with.
    #[error("a {algorithm} key cannot make a {suite} proof")]
    KeyAlgorithmMismatch {
        /// The suite.
        suite: Cryptosuite,
        /// The key's algorithm.
        algorithm: KeyAlgorithm,
    },
    /// No suite signs with this key algorithm (BLS12-381 keys sign with BBS).
    #[error("no JCS cryptosuite signs with {algorithm} keys")]
    NoSuiteForKey {
        /// The key's algorithm.
        algorithm: KeyAlgorithm,
    },
    /// The existing `proof` property is not an object or an array of objects.
    #[error("the existing proof property is not an object or an array of objects")]
    MalformedExistingProof,
    /// The document (or the proof configuration) has no JCS canonical form.
    #[error("canonicalization failed: {0}")]
    Canonicalization(#[from] JcsError),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(#[from] SignatureError),
    /// A `bbs-jcs-2026` base proof could not be made.
    #[error("bbs-jcs-2026: {0}")]
    SelectiveDisclosure(Box<bbs::SelectiveDisclosureError>),
}

/// The `created` / `expires` text of an instant (`dateTimeStamp`, UTC, whole seconds).
pub fn date_time_stamp(instant: OffsetDateTime) -> String {
    DateTimeStamp::from_instant(instant).as_str().to_owned()
}

/// Splits a secured document into the unsecured document (without `proof`) and its proofs.
fn split_proofs(document: &Map<String, Value>) -> (Map<String, Value>, Option<&Value>) {
    let mut unsecured = document.clone();
    unsecured.remove("proof");
    (unsecured, document.get("proof"))
}

/// The suite's `hashData` of an unsecured document and a proof configuration (the proof
/// without `proofValue`, with `@context` already set): `hash(JCS(proofConfig)) ‖
/// hash(JCS(document))`, 64 bytes.
pub fn hash_data(
    suite: Cryptosuite,
    unsecured_document: &Value,
    proof_config: &Value,
) -> Result<Vec<u8>, JcsError> {
    let canonical_config = jcs::canonicalize(proof_config)?;
    let canonical_document = jcs::canonicalize(unsecured_document)?;
    Ok(suite.hash_data_of_canonical(&canonical_config, &canonical_document))
}

/// Encodes signature bytes as a multibase base58btc `proofValue` (`z…`).
pub fn encode_proof_value(signature: &[u8]) -> String {
    let mut out = String::with_capacity(1 + signature.len() * 138 / 100 + 1);
    out.push('z');
    out.push_str(&crate::multicodec::encode_base58(signature));
    out
}

/// Builds the proof configuration of a new proof (everything but `proofValue`).
fn proof_configuration(
    suite: Cryptosuite,
    verification_method: &DidUrl,
    options: &ProofOptions,
    document_context: Option<&Value>,
) -> Map<String, Value> {
    let mut proof = Map::new();
    proof.insert("type".into(), Value::String(DATA_INTEGRITY_PROOF.into()));
    if let Some(id) = &options.id {
        proof.insert("id".into(), Value::String(id.clone()));
    }
    proof.insert("cryptosuite".into(), Value::String(suite.name().into()));
    let created = options.created.unwrap_or_else(OffsetDateTime::now_utc);
    proof.insert("created".into(), Value::String(date_time_stamp(created)));
    if let Some(expires) = options.expires {
        proof.insert("expires".into(), Value::String(date_time_stamp(expires)));
    }
    proof.insert(
        "verificationMethod".into(),
        Value::String(verification_method.as_str().into()),
    );
    proof.insert(
        "proofPurpose".into(),
        Value::String(options.proof_purpose.clone()),
    );
    match options.previous_proof.as_slice() {
        [] => {}
        [single] => {
            proof.insert("previousProof".into(), Value::String(single.clone()));
        }
        many => {
            proof.insert(
                "previousProof".into(),
                Value::Array(many.iter().cloned().map(Value::String).collect()),
            );
        }
    }
    if let Some(challenge) = &options.challenge {
        proof.insert("challenge".into(), Value::String(challenge.clone()));
    }
    if let Some(domain) = &options.domain {
        proof.insert("domain".into(), Value::String(domain.clone()));
    }
    if let Some(context) = document_context {
        proof.insert("@context".into(), context.clone());
    }
    proof
}

/// Secures `document` with a new Data Integrity proof made by `key`, whose verification
/// method is `verification_method` (for `did:key`, `did:key:z…#z…`).
///
/// The proof signs the document without its `proof` property (so the proofs of a proof set
/// are independent), plus the proofs named in `options.previous_proof` for a proof chain. When
/// the document already has a proof, the result carries a proof set: an array with the
/// existing proof(s) followed by the new one.
pub fn add_proof(
    document: &Value,
    key: &dyn Signer,
    verification_method: &DidUrl,
    options: &ProofOptions,
) -> Result<Value, DataIntegrityError> {
    let object = document
        .as_object()
        .ok_or(DataIntegrityError::NotAnObject)?;
    let algorithm = key.algorithm();
    let suite = match options.cryptosuite {
        Some(suite) => suite,
        None => Cryptosuite::for_key_algorithm(algorithm)
            .ok_or(DataIntegrityError::NoSuiteForKey { algorithm })?,
    };
    if suite.key_algorithm() != algorithm {
        return Err(DataIntegrityError::KeyAlgorithmMismatch { suite, algorithm });
    }
    if suite == Cryptosuite::BbsJcs2026 {
        return bbs::add_base_proof(object, key, verification_method, options);
    }
    let (mut unsecured, existing) = split_proofs(object);
    let existing: Vec<Value> = match existing {
        None => Vec::new(),
        Some(Value::Object(proof)) => vec![Value::Object(proof.clone())],
        Some(Value::Array(proofs)) if proofs.iter().all(Value::is_object) => proofs.clone(),
        Some(_) => return Err(DataIntegrityError::MalformedExistingProof),
    };
    if !options.previous_proof.is_empty() {
        let chained: Vec<Value> = existing
            .iter()
            .filter(|proof| {
                proof
                    .get("id")
                    .and_then(Value::as_str)
                    .is_some_and(|id| options.previous_proof.iter().any(|wanted| wanted == id))
            })
            .cloned()
            .collect();
        unsecured.insert("proof".into(), Value::Array(chained));
    }
    let mut proof =
        proof_configuration(suite, verification_method, options, object.get("@context"));
    let proof_config = Value::Object(proof);
    let unsecured = Value::Object(unsecured);
    let to_sign = hash_data(suite, &unsecured, &proof_config)?;
    let signature = key.sign(&to_sign)?;
    proof = match proof_config {
        Value::Object(proof) => proof,
        _ => Map::new(),
    };
    proof.insert(
        "proofValue".into(),
        Value::String(encode_proof_value(&signature)),
    );
    // Without a proof chain the unsecured document is the document without its `proof`,
    // which is set below: reuse it rather than cloning the document again.
    let mut secured = match unsecured {
        Value::Object(unsecured) if options.previous_proof.is_empty() => unsecured,
        _ => object.clone(),
    };
    let new_proof = Value::Object(proof);
    let proof_value = if existing.is_empty() {
        new_proof
    } else {
        let mut all = existing;
        all.push(new_proof);
        Value::Array(all)
    };
    secured.insert("proof".into(), proof_value);
    Ok(Value::Object(secured))
}
