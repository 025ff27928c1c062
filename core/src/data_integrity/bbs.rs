//! `bbs-jcs-2026`: a selective-disclosure Data Integrity cryptosuite with BBS signatures
//! (BLS12-381-SHA-256, `crosscode-bbs`) over JCS-canonicalized claims — specified in
//! `docs/cryptosuite-bbs.md`.
//!
//! - [`add_base_proof`] (issuer, through [`super::add_proof`]): one BBS signature over every
//!   selectively disclosable claim (one message per claim, see [`super::selective`]), whose
//!   header binds the proof configuration and the always-disclosed (mandatory) part.
//! - [`derive_credential`] (holder): a derived credential that keeps the mandatory part and the
//!   claims named by JSON pointers, with a BBS proof whose presentation header binds the
//!   verifier's nonce (`challenge`) and, optionally, the holder's `did:key` (the holder then
//!   also signs the proof with that key).
//! - [`verify_proof`] (through [`super::verify_document`]): verifies a base or derived proof;
//!   [`verify_derived_credential`] also checks the nonce a verifier expects.

use serde_json::{Map, Value};
use sha2::Digest as _;
use time::OffsetDateTime;

use super::selective::{MANDATORY_MEMBERS, StatementError, Statements};
use super::{
    Cryptosuite, DATA_INTEGRITY_PROOF, DataIntegrityError, ProofOptions, VerificationError,
    VerificationReport, proof_configuration, verify_document,
};
use crate::did::{DidError, DidKey, DidUrl, KeyResolver, VerificationRelationship};
use crate::jcs::{self, JcsError};
use crate::keys::{KeyAlgorithm, SignatureError, Signer};
use crate::multicodec;
use crate::vc::DateTimeStamp;
use crosscode_bbs::{BbsError, Bls12381Sha256, Proof, Signature};

/// The first bytes of a base proof value (before multibase): `0xbb 0x26`.
pub const BASE_PROOF_HEADER: [u8; 2] = [0xbb, 0x26];
/// The first bytes of a derived proof value without holder binding: `0xbb 0x27`.
pub const DERIVED_PROOF_HEADER: [u8; 2] = [0xbb, 0x27];
/// The first bytes of a derived proof value with a holder signature: `0xbb 0x28`.
pub const HOLDER_BOUND_PROOF_HEADER: [u8; 2] = [0xbb, 0x28];
/// The domain prefix of the holder's signature over a derived proof.
pub const HOLDER_BINDING_DOMAIN: &[u8] = b"bbs-jcs-2026 holder binding\0";
/// The largest number of claims a credential may have (a bound on generator creation).
pub const MAX_CLAIMS: usize = 1024;

/// A JSON object.
type JsonObject = Map<String, Value>;

/// Errors of the `bbs-jcs-2026` cryptosuite.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectiveDisclosureError {
    /// The document is not a JSON object, or its claims cannot be listed.
    #[error("statements: {0}")]
    Statements(#[from] StatementError),
    /// A JSON value has no JCS canonical form.
    #[error("canonicalization failed: {0}")]
    Canonicalization(#[from] JcsError),
    /// The credential has more claims than [`MAX_CLAIMS`].
    #[error("{count} claims, at most {MAX_CLAIMS} are allowed")]
    TooManyClaims {
        /// The number of claims.
        count: usize,
    },
    /// The document has no `bbs-jcs-2026` proof (or more than one).
    #[error("the document has no single bbs-jcs-2026 proof")]
    NoBbsProof,
    /// A proof property is missing or malformed.
    #[error("proof property {property} is missing or malformed")]
    MalformedProofProperty {
        /// The property.
        property: &'static str,
    },
    /// `proofValue` is not a well-formed base or derived `bbs-jcs-2026` proof value.
    #[error("malformed proofValue: {0}")]
    MalformedProofValue(&'static str),
    /// Deriving needs a base proof, but the credential carries a derived one.
    #[error("the credential carries a derived proof, not a base proof")]
    NotABaseProof,
    /// A mandatory member that was signed is missing from the document.
    #[error("mandatory member {member} was signed but is missing")]
    MandatoryClaimMissing {
        /// The member's name.
        member: &'static str,
    },
    /// A mandatory member is present that was not signed.
    #[error("mandatory member {member} is present but was not signed")]
    UnexpectedMandatoryClaim {
        /// The member's name.
        member: &'static str,
    },
    /// The derived document holds an empty object outside its mandatory part.
    #[error("the derived document holds an empty object (empty objects carry no claim)")]
    EmptyObjectInDerivedDocument,
    /// Nothing under `credentialSubject` is revealed (a credential needs a non-empty subject).
    #[error("reveal at least one claim of credentialSubject")]
    EmptySubject,
    /// The number of disclosed claims differs from the number of disclosed indexes.
    #[error("{claims} disclosed claims but {indexes} disclosed indexes")]
    DisclosedCountMismatch {
        /// Claims in the derived document.
        claims: usize,
        /// Indexes in the proof value.
        indexes: usize,
    },
    /// The verification method cannot be resolved.
    #[error("verification method: {0}")]
    KeyResolution(DidError),
    /// The key is not a BLS12-381 G2 key.
    #[error("a {algorithm} key cannot make or verify a bbs-jcs-2026 proof")]
    NotABlsKey {
        /// The key's algorithm.
        algorithm: KeyAlgorithm,
    },
    /// A BBS operation failed (`InvalidSignature` / `InvalidProof` when it does not verify).
    #[error("BBS: {0}")]
    Bbs(BbsError),
    /// Holder binding: the holder key's `did:key` is not the credential's subject id.
    #[error("the holder key's did:key is not credentialSubject.id")]
    HolderNotSubject,
    /// Holder binding: `credentialSubject.id` is not a `did:key`.
    #[error("holder binding: credentialSubject.id is not a did:key: {0}")]
    HolderDid(DidError),
    /// Holder binding: the holder's signature does not verify.
    #[error("holder signature: {0}")]
    HolderSignature(SignatureError),
    /// The proof's `challenge` is not the nonce the verifier expects.
    #[error("the proof's challenge is not the expected nonce")]
    WrongNonce,
}

impl SelectiveDisclosureError {
    /// The verification step this error belongs to.
    pub fn step(&self) -> super::VerificationStep {
        use super::VerificationStep as Step;
        match self {
            SelectiveDisclosureError::Statements(_)
            | SelectiveDisclosureError::Canonicalization(_)
            | SelectiveDisclosureError::TooManyClaims { .. }
            | SelectiveDisclosureError::EmptyObjectInDerivedDocument
            | SelectiveDisclosureError::EmptySubject => Step::Parse,
            SelectiveDisclosureError::NoBbsProof
            | SelectiveDisclosureError::MalformedProofProperty { .. }
            | SelectiveDisclosureError::MalformedProofValue(_)
            | SelectiveDisclosureError::NotABaseProof
            | SelectiveDisclosureError::DisclosedCountMismatch { .. } => Step::ProofSuite,
            SelectiveDisclosureError::KeyResolution(_)
            | SelectiveDisclosureError::NotABlsKey { .. } => Step::KeyResolution,
            SelectiveDisclosureError::HolderDid(_)
            | SelectiveDisclosureError::HolderNotSubject
            | SelectiveDisclosureError::HolderSignature(_) => Step::HolderBinding,
            SelectiveDisclosureError::WrongNonce => Step::Challenge,
            SelectiveDisclosureError::MandatoryClaimMissing { .. }
            | SelectiveDisclosureError::UnexpectedMandatoryClaim { .. }
            | SelectiveDisclosureError::Bbs(_) => Step::Signature,
        }
    }
}

impl From<BbsError> for SelectiveDisclosureError {
    fn from(error: BbsError) -> Self {
        SelectiveDisclosureError::Bbs(error)
    }
}

/// A decoded `proofValue`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BbsProofValue {
    /// The issuer's base proof.
    Base {
        /// Which mandatory members were signed (bit `i` = `MANDATORY_MEMBERS[i]`).
        mandatory_mask: u8,
        /// The 80-byte BBS signature.
        signature: Vec<u8>,
    },
    /// A holder's derived proof.
    Derived {
        /// Which mandatory members were signed.
        mandatory_mask: u8,
        /// Positions of the disclosed claims among all signed claims (strictly increasing).
        disclosed_indexes: Vec<usize>,
        /// The BBS proof.
        proof: Vec<u8>,
        /// The holder's signature (holder binding), if any.
        holder_signature: Option<Vec<u8>>,
    },
}

impl BbsProofValue {
    /// The multibase base58btc text (`z…`).
    pub fn encode(&self) -> String {
        let mut bytes = Vec::new();
        match self {
            BbsProofValue::Base {
                mandatory_mask,
                signature,
            } => {
                bytes.extend_from_slice(&BASE_PROOF_HEADER);
                bytes.push(*mandatory_mask);
                bytes.extend_from_slice(signature);
            }
            BbsProofValue::Derived {
                mandatory_mask,
                disclosed_indexes,
                proof,
                holder_signature,
            } => {
                let header = match holder_signature {
                    None => DERIVED_PROOF_HEADER,
                    Some(_) => HOLDER_BOUND_PROOF_HEADER,
                };
                bytes.extend_from_slice(&header);
                bytes.push(*mandatory_mask);
                write_varint(&mut bytes, disclosed_indexes.len());
                let mut previous = 0;
                for (position, index) in disclosed_indexes.iter().enumerate() {
                    // Deltas from the previous index (the first one as is); an unsorted list
                    // is written as is, with wrapping, and refused when decoded or verified.
                    let delta = if position == 0 {
                        *index
                    } else {
                        index.wrapping_sub(previous).wrapping_sub(1)
                    };
                    write_varint(&mut bytes, delta);
                    previous = *index;
                }
                if let Some(signature) = holder_signature {
                    write_varint(&mut bytes, signature.len());
                    bytes.extend_from_slice(signature);
                }
                bytes.extend_from_slice(proof);
            }
        }
        super::encode_proof_value(&bytes)
    }

    /// Decodes a `proofValue` text.
    pub fn decode(text: &str) -> Result<BbsProofValue, SelectiveDisclosureError> {
        let malformed = SelectiveDisclosureError::MalformedProofValue;
        let encoded = text
            .strip_prefix('z')
            .ok_or(malformed("not multibase base58btc (no 'z' prefix)"))?;
        if encoded.len() > multicodec::MAX_BASE58_LEN {
            return Err(malformed("too long"));
        }
        let bytes = multicodec::decode_base58(encoded).map_err(|_| malformed("not base58btc"))?;
        let (header, rest) = bytes
            .split_at_checked(2)
            .ok_or(malformed("shorter than its header"))?;
        let (mandatory_mask, rest) = rest.split_first().ok_or(malformed("no mandatory mask"))?;
        if u32::from(*mandatory_mask) >> MANDATORY_MEMBERS.len() != 0 {
            return Err(malformed("unknown bits in the mandatory mask"));
        }
        let mandatory_mask = *mandatory_mask;
        if header == BASE_PROOF_HEADER {
            if rest.len() != crosscode_bbs::signature::SIGNATURE_LENGTH {
                return Err(malformed("the base signature is not 80 bytes"));
            }
            return Ok(BbsProofValue::Base {
                mandatory_mask,
                signature: rest.to_vec(),
            });
        }
        let holder_bound = if header == DERIVED_PROOF_HEADER {
            false
        } else if header == HOLDER_BOUND_PROOF_HEADER {
            true
        } else {
            return Err(malformed("unknown header (neither base nor derived)"));
        };
        let mut reader = rest;
        let count = read_varint(&mut reader)?;
        if count > MAX_CLAIMS {
            return Err(malformed("too many disclosed indexes"));
        }
        let mut disclosed_indexes = Vec::with_capacity(count);
        let mut next = 0usize;
        for _ in 0..count {
            let index = next
                .checked_add(read_varint(&mut reader)?)
                .filter(|index| *index < MAX_CLAIMS)
                .ok_or(malformed("a disclosed index is out of range"))?;
            disclosed_indexes.push(index);
            next = index + 1;
        }
        let holder_signature = if holder_bound {
            let length = read_varint(&mut reader)?;
            let (signature, rest) = reader
                .split_at_checked(length)
                .ok_or(malformed("the holder signature is truncated"))?;
            reader = rest;
            Some(signature.to_vec())
        } else {
            None
        };
        Ok(BbsProofValue::Derived {
            mandatory_mask,
            disclosed_indexes,
            proof: reader.to_vec(),
            holder_signature,
        })
    }
}

/// Appends the unsigned varint (minimal LEB128) of `value`.
fn write_varint(out: &mut Vec<u8>, value: usize) {
    out.extend_from_slice(&multicodec::encode_varint(value as u64));
}

/// Reads a minimal unsigned varint (LEB128) of at most two bytes (below 16384).
fn read_varint(input: &mut &[u8]) -> Result<usize, SelectiveDisclosureError> {
    let malformed = SelectiveDisclosureError::MalformedProofValue;
    let (value, rest) = multicodec::decode_varint(input)
        .map_err(|_| malformed("a number is truncated or not a minimal varint"))?;
    let value = usize::try_from(value)
        .ok()
        .filter(|value| *value < 1 << 14)
        .ok_or(malformed("a number is longer than two bytes"))?;
    *input = rest;
    Ok(value)
}

/// The BBS header: `SHA-256(JCS(proofConfig)) ‖ SHA-256(JCS(mandatory part))`, 64 bytes.
fn bbs_header(
    proof_config: &Map<String, Value>,
    statements: &Statements,
) -> Result<Vec<u8>, JcsError> {
    let canonical_config = jcs::canonicalize_object_except(proof_config, &[])?;
    let mut header = Vec::with_capacity(64);
    header.extend_from_slice(&sha2::Sha256::digest(canonical_config.as_bytes()));
    header.extend_from_slice(&statements.mandatory_hash()?);
    Ok(header)
}

/// The presentation header: the UTF-8 of `JCS({"challenge": nonce?, "holder": did?})`.
fn presentation_header(nonce: Option<&str>, holder: Option<&str>) -> Result<Vec<u8>, JcsError> {
    let mut object = Map::new();
    if let Some(nonce) = nonce {
        object.insert("challenge".into(), Value::String(nonce.to_owned()));
    }
    if let Some(holder) = holder {
        object.insert("holder".into(), Value::String(holder.to_owned()));
    }
    jcs::canonicalize_to_bytes(&Value::Object(object))
}

fn holder_binding_message(presentation_header: &[u8], proof: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(HOLDER_BINDING_DOMAIN.len() + 8 + proof.len() + 64);
    message.extend_from_slice(HOLDER_BINDING_DOMAIN);
    message.extend_from_slice(&(presentation_header.len() as u64).to_be_bytes());
    message.extend_from_slice(presentation_header);
    message.extend_from_slice(proof);
    message
}

fn statements_of(document: &Map<String, Value>) -> Result<Statements, SelectiveDisclosureError> {
    let statements = Statements::of_document(&Value::Object(document.clone()))?;
    if statements.claims.len() > MAX_CLAIMS {
        return Err(SelectiveDisclosureError::TooManyClaims {
            count: statements.claims.len(),
        });
    }
    Ok(statements)
}

/// Creates the base proof of `document` (called by [`super::add_proof`] for
/// [`Cryptosuite::BbsJcs2026`]). A document that already has a proof gets a proof set.
pub fn add_base_proof(
    document: &Map<String, Value>,
    key: &dyn Signer,
    verification_method: &DidUrl,
    options: &ProofOptions,
) -> Result<Value, DataIntegrityError> {
    if key.algorithm() != KeyAlgorithm::Bls12381G2 {
        return Err(DataIntegrityError::KeyAlgorithmMismatch {
            suite: Cryptosuite::BbsJcs2026,
            algorithm: key.algorithm(),
        });
    }
    let statements = statements_of(document)?;
    let config = proof_configuration(
        Cryptosuite::BbsJcs2026,
        verification_method,
        options,
        document.get("@context"),
    );
    let header = bbs_header(&config, &statements).map_err(SelectiveDisclosureError::from)?;
    let messages = statements
        .messages()
        .map_err(SelectiveDisclosureError::from)?;
    let signature = key.sign_bbs(&header, &messages)?;
    let mut proof = config;
    proof.insert(
        "proofValue".into(),
        Value::String(
            BbsProofValue::Base {
                mandatory_mask: statements.mandatory_mask,
                signature,
            }
            .encode(),
        ),
    );
    let mut secured = document.clone();
    let new_proof = Value::Object(proof);
    let proof_value = match document.get("proof") {
        None => new_proof,
        Some(Value::Object(existing)) => {
            Value::Array(vec![Value::Object(existing.clone()), new_proof])
        }
        Some(Value::Array(existing)) if existing.iter().all(Value::is_object) => {
            let mut all = existing.clone();
            all.push(new_proof);
            Value::Array(all)
        }
        Some(_) => return Err(DataIntegrityError::MalformedExistingProof),
    };
    secured.insert("proof".into(), proof_value);
    Ok(Value::Object(secured))
}

impl From<SelectiveDisclosureError> for DataIntegrityError {
    fn from(error: SelectiveDisclosureError) -> Self {
        DataIntegrityError::SelectiveDisclosure(Box::new(error))
    }
}

impl From<StatementError> for DataIntegrityError {
    fn from(error: StatementError) -> Self {
        SelectiveDisclosureError::from(error).into()
    }
}

/// What to disclose in a derived credential.
#[derive(Clone, Default)]
pub struct DeriveOptions<'a> {
    /// JSON pointers of the claims (or objects of claims) to reveal; the mandatory part is
    /// always revealed.
    pub reveal: Vec<String>,
    /// The verifier's nonce, carried as the proof's `challenge` and bound by the
    /// presentation header.
    pub nonce: Option<String>,
    /// The holder's key (its `did:key` must be `credentialSubject.id`): binds the proof to
    /// the holder, reveals `credentialSubject.id`, and adds the holder's signature.
    pub holder_key: Option<&'a dyn Signer>,
}

impl std::fmt::Debug for DeriveOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeriveOptions")
            .field("reveal", &self.reveal)
            .field("nonce", &self.nonce)
            .field(
                "holder_key",
                &self.holder_key.map(|signer| signer.public_key()),
            )
            .finish()
    }
}

/// The single `bbs-jcs-2026` proof of a document, and the document without `proof`.
fn bbs_proof_of(document: &Value) -> Result<(JsonObject, JsonObject), SelectiveDisclosureError> {
    let object = document
        .as_object()
        .ok_or(SelectiveDisclosureError::Statements(
            StatementError::NotAnObject,
        ))?;
    let is_bbs = |proof: &&Value| {
        proof.get("cryptosuite").and_then(Value::as_str) == Some(Cryptosuite::BbsJcs2026.name())
    };
    let proofs: Vec<&Value> = match object.get("proof") {
        Some(Value::Array(proofs)) => proofs.iter().filter(is_bbs).collect(),
        Some(proof) => std::iter::once(proof).filter(is_bbs).collect(),
        None => Vec::new(),
    };
    let [Value::Object(proof)] = proofs.as_slice() else {
        return Err(SelectiveDisclosureError::NoBbsProof);
    };
    let mut unsecured = object.clone();
    unsecured.remove("proof");
    Ok((unsecured, proof.clone()))
}

fn required_str<'a>(
    proof: &'a Map<String, Value>,
    property: &'static str,
) -> Result<&'a str, SelectiveDisclosureError> {
    proof
        .get(property)
        .and_then(Value::as_str)
        .ok_or(SelectiveDisclosureError::MalformedProofProperty { property })
}

fn resolve_bbs_key(
    proof: &Map<String, Value>,
    resolver: &dyn KeyResolver,
) -> Result<crosscode_bbs::PublicKey, SelectiveDisclosureError> {
    let method = DidUrl::parse(required_str(proof, "verificationMethod")?)
        .map_err(SelectiveDisclosureError::KeyResolution)?;
    let created = proof
        .get("created")
        .and_then(Value::as_str)
        .and_then(DateTimeStamp::parse)
        .map(|created| created.instant());
    let key = resolver
        .resolve_verification_method(&method, VerificationRelationship::AssertionMethod, created)
        .map_err(SelectiveDisclosureError::KeyResolution)?;
    key.as_bbs()
        .cloned()
        .ok_or(SelectiveDisclosureError::NotABlsKey {
            algorithm: key.algorithm(),
        })
}

fn check_mandatory_mask(
    statements: &Statements,
    signed: u8,
) -> Result<(), SelectiveDisclosureError> {
    for (bit, member) in MANDATORY_MEMBERS.iter().enumerate() {
        let was_signed = signed & (1 << bit) != 0;
        let present = statements.mandatory_mask & (1 << bit) != 0;
        if was_signed && !present {
            return Err(SelectiveDisclosureError::MandatoryClaimMissing { member });
        }
        if present && !was_signed {
            return Err(SelectiveDisclosureError::UnexpectedMandatoryClaim { member });
        }
    }
    Ok(())
}

/// The holder's `did:key` when it is the credential's subject id.
fn subject_did(document: &Map<String, Value>) -> Option<&str> {
    document
        .get("credentialSubject")
        .and_then(|subject| subject.get("id"))
        .and_then(Value::as_str)
}

/// Derives a credential that discloses the mandatory part and the claims named by
/// `options.reveal`, with a fresh (unlinkable) BBS proof. The base proof is verified first
/// (its key resolved through `resolver`).
pub fn derive_credential(
    credential: &Value,
    resolver: &dyn KeyResolver,
    options: &DeriveOptions<'_>,
) -> Result<Value, SelectiveDisclosureError> {
    let (unsecured, base_proof) = bbs_proof_of(credential)?;
    let BbsProofValue::Base {
        mandatory_mask,
        signature,
    } = BbsProofValue::decode(required_str(&base_proof, "proofValue")?)?
    else {
        return Err(SelectiveDisclosureError::NotABaseProof);
    };
    let statements = statements_of(&unsecured)?;
    check_mandatory_mask(&statements, mandatory_mask)?;
    let public = resolve_bbs_key(&base_proof, resolver)?;
    let mut config = base_proof.clone();
    config.remove("proofValue");
    let header = bbs_header(&config, &statements)?;
    let messages = statements.messages()?;
    let signature = Signature::from_bytes(&signature)?;
    crosscode_bbs::verify::<Bls12381Sha256, _>(&public, &signature, &header, &messages)?;

    let mut reveal = options.reveal.clone();
    let holder = match options.holder_key {
        None => None,
        Some(key) => {
            let did = DidKey::from_public_key(&key.public_key());
            if subject_did(&unsecured) != Some(did.did().as_str()) {
                return Err(SelectiveDisclosureError::HolderNotSubject);
            }
            reveal.push("/credentialSubject/id".into());
            Some((key, did))
        }
    };
    let disclosed = statements.select(&reveal)?;
    let revealed = statements.reveal(&disclosed);
    let subject_disclosed = match revealed.get("credentialSubject") {
        None => false,
        Some(Value::Object(subject)) => !subject.is_empty(),
        Some(_) => true,
    };
    if !subject_disclosed {
        return Err(SelectiveDisclosureError::EmptySubject);
    }
    let holder_did = holder
        .as_ref()
        .map(|(_, did)| did.did().as_str().to_owned());
    let ph = presentation_header(options.nonce.as_deref(), holder_did.as_deref())?;
    let proof = crosscode_bbs::proof_gen::<Bls12381Sha256, _>(
        &public, &signature, &header, &ph, &messages, &disclosed,
    )?
    .to_bytes();
    let holder_signature = match &holder {
        None => None,
        Some((key, _)) => Some(
            key.sign(&holder_binding_message(&ph, &proof))
                .map_err(SelectiveDisclosureError::HolderSignature)?,
        ),
    };
    let mut derived_proof = config;
    if let Some(nonce) = &options.nonce {
        derived_proof.insert("challenge".into(), Value::String(nonce.clone()));
    }
    derived_proof.insert(
        "proofValue".into(),
        Value::String(
            BbsProofValue::Derived {
                mandatory_mask,
                disclosed_indexes: disclosed,
                proof,
                holder_signature,
            }
            .encode(),
        ),
    );
    // Member order: the credential's own order, then the proof.
    let mut derived = Map::new();
    for name in unsecured.keys() {
        if let Some(value) = revealed.get(name) {
            derived.insert(name.clone(), value.clone());
        }
    }
    derived.insert("proof".into(), Value::Object(derived_proof));
    Ok(Value::Object(derived))
}

/// Verifies one `bbs-jcs-2026` proof (base or derived) of `document` (the document without
/// `proof` is what the proof covers) with the issuer's key `public`, which the caller resolved
/// and bound to the issuer ([`super::verify_document`] does).
pub fn verify_proof(
    document: &Map<String, Value>,
    proof: &Map<String, Value>,
    public: &crosscode_bbs::PublicKey,
) -> Result<(), SelectiveDisclosureError> {
    if required_str(proof, "type")? != DATA_INTEGRITY_PROOF {
        return Err(SelectiveDisclosureError::MalformedProofProperty { property: "type" });
    }
    required_str(proof, "proofPurpose")?;
    let value = BbsProofValue::decode(required_str(proof, "proofValue")?)?;
    let mut unsecured = document.clone();
    unsecured.remove("proof");
    let statements = statements_of(&unsecured)?;
    match value {
        BbsProofValue::Base {
            mandatory_mask,
            signature,
        } => {
            check_mandatory_mask(&statements, mandatory_mask)?;
            let mut config = proof.clone();
            config.remove("proofValue");
            let header = bbs_header(&config, &statements)?;
            let signature = Signature::from_bytes(&signature)?;
            crosscode_bbs::verify::<Bls12381Sha256, _>(
                public,
                &signature,
                &header,
                &statements.messages()?,
            )?;
            Ok(())
        }
        BbsProofValue::Derived {
            mandatory_mask,
            disclosed_indexes,
            proof: proof_bytes,
            holder_signature,
        } => {
            check_mandatory_mask(&statements, mandatory_mask)?;
            if Statements::has_empty_object(&unsecured) {
                return Err(SelectiveDisclosureError::EmptyObjectInDerivedDocument);
            }
            if statements.claims.len() != disclosed_indexes.len() {
                return Err(SelectiveDisclosureError::DisclosedCountMismatch {
                    claims: statements.claims.len(),
                    indexes: disclosed_indexes.len(),
                });
            }
            let nonce = match proof.get("challenge") {
                None => None,
                Some(Value::String(nonce)) => Some(nonce.as_str()),
                Some(_) => {
                    return Err(SelectiveDisclosureError::MalformedProofProperty {
                        property: "challenge",
                    });
                }
            };
            let mut config = proof.clone();
            config.remove("proofValue");
            config.remove("challenge");
            let header = bbs_header(&config, &statements)?;
            let holder_did = match &holder_signature {
                None => None,
                Some(_) => Some(subject_did(&unsecured).ok_or(
                    SelectiveDisclosureError::HolderDid(DidError::InvalidDidKey {
                        reason: "credentialSubject.id is not disclosed",
                    }),
                )?),
            };
            let ph = presentation_header(nonce, holder_did)?;
            let bbs_proof = Proof::from_bytes(&proof_bytes)?;
            crosscode_bbs::proof_verify::<Bls12381Sha256, _>(
                public,
                &bbs_proof,
                &header,
                &ph,
                &statements.messages()?,
                &disclosed_indexes,
            )?;
            if let (Some(signature), Some(did)) = (holder_signature, holder_did) {
                let holder = DidKey::parse_str(did).map_err(SelectiveDisclosureError::HolderDid)?;
                holder
                    .public_key()
                    .verify(&holder_binding_message(&ph, &proof_bytes), &signature)
                    .map_err(SelectiveDisclosureError::HolderSignature)?;
            }
            Ok(())
        }
    }
}

/// Verifies a derived credential as [`verify_document`] does, and that its `bbs-jcs-2026`
/// proof is a derived proof whose `challenge` is the verifier's `nonce`.
///
/// A base proof where a derived one is expected, or another nonce (a replayed presentation),
/// is a failure recorded in the report like any other (step `ProofSuite` / `Signature`), so a
/// checkpoint always gets a report.
pub fn verify_derived_credential(
    document: &Value,
    resolver: &dyn KeyResolver,
    at: OffsetDateTime,
    nonce: &str,
) -> VerificationReport {
    let mut report = verify_document(document, resolver, at);
    if let Err(error) = check_derived_challenge(document, nonce) {
        let failure = super::VerificationFailure::from(VerificationError::from(error));
        report.verified = false;
        report.document_failure = Some(failure.clone());
        report.failure = Some(failure);
    }
    report
}

/// The checks [`verify_derived_credential`] adds to [`verify_document`].
fn check_derived_challenge(document: &Value, nonce: &str) -> Result<(), SelectiveDisclosureError> {
    let (_, proof) = bbs_proof_of(document)?;
    if !matches!(
        BbsProofValue::decode(required_str(&proof, "proofValue")?)?,
        BbsProofValue::Derived { .. }
    ) {
        return Err(SelectiveDisclosureError::MalformedProofValue(
            "a base proof where a derived proof is expected",
        ));
    }
    if proof.get("challenge").and_then(Value::as_str) != Some(nonce) {
        return Err(SelectiveDisclosureError::WrongNonce);
    }
    Ok(())
}

/// Maps a suite error into the verification report's error type.
impl From<SelectiveDisclosureError> for VerificationError {
    fn from(error: SelectiveDisclosureError) -> Self {
        VerificationError::SelectiveDisclosure(Box::new(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_proof_values_round_trip_with_one_and_two_byte_numbers() {
        let value = BbsProofValue::Derived {
            mandatory_mask: 0x7f,
            disclosed_indexes: vec![0, 3, 200, 1000],
            proof: vec![7; 300],
            holder_signature: Some(vec![9; 200]),
        };
        assert_eq!(BbsProofValue::decode(&value.encode()), Ok(value));
    }

    #[test]
    fn a_number_that_is_not_a_minimal_varint_is_refused() {
        // One disclosed index, its count written in two bytes (0x81 0x00) instead of one.
        let mut bytes = DERIVED_PROOF_HEADER.to_vec();
        bytes.extend_from_slice(&[0x7f, 0x81, 0x00, 0x00]);
        assert_eq!(
            BbsProofValue::decode(&multicodec::encode_base58btc(&bytes)),
            Err(SelectiveDisclosureError::MalformedProofValue(
                "a number is truncated or not a minimal varint"
            ))
        );
    }
}
