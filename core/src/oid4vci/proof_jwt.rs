//! The holder's proof-of-possession JWT (OpenID4VCI 1.0, "`jwt` Proof Type"): the wallet makes
//! one with [`sign`] (through core's [`Signer`] port, so a platform keystore signs), the issuer
//! reads one with [`parse`] and [`ProofJwt::verify_signature`]. It is a compact JWS
//! with header `typ: openid4vci-proof+jwt`, `alg` `EdDSA` (Ed25519) or `ES256` (P-256), and
//! `kid` a `did:key` DID URL naming the holder key; claims `aud`, `iat`, `nonce` (and `iss`,
//! which anonymous pre-authorized access omits).
//!
//! The JWS check is written here over `ed25519-dalek` and `p256` with `base64` rather than taken
//! from a JOSE crate: the crates that fit (`jsonwebtoken` with its RustCrypto backend,
//! `jwt-compact`) take keys as JWK / DER / PEM, so the `did:key` keys would be re-encoded to be
//! checked, and they bring RSA, P-384 and HMAC code plus their own claim validation that the
//! flow does not use; the compact form is three base64url parts and one signature call per
//! algorithm, with no new dependency.
//!
//! Checks, each a typed [`ProofJwtError`]: at most [`MAX_PROOF_JWT_LEN`] bytes; three base64url
//! parts (no padding); header and payload JSON objects; `typ` exactly `openid4vci-proof+jwt`;
//! `alg` `EdDSA` or `ES256` (so never `none` or a MAC); no `crit`; no `jwk` / `x5c` (the key is
//! named by `kid` only); `kid` a `did:key` DID URL whose fragment is the method-specific id
//! (the did:key verification method); an Ed25519 key (multicodec `0xed`) for `EdDSA`, a P-256
//! key (multicodec `p256-pub` `0x1200`, 33-byte SEC1 compressed point) for `ES256`; claims
//! `aud` a string, `iat` an integer, `nonce` / `iss` strings when present; the signature
//! (Ed25519 strict verification; ES256 as the 64-byte `r ‖ s` of RFC 7518 §3.4). What the
//! claims must equal (issuer, time window, nonce) is the credential endpoint's check.

use crate::did::{DidKey, DidUrl};
use crate::keys::{KeyAlgorithm, PublicKey, SignatureError, Signer};
use crate::multicodec::{
    ED25519_PUB, MulticodecError, P256_PUB, decode_base58btc, decode_multikey, split_codec,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::PROOF_JWT_TYP;

/// Longest proof JWT accepted (bytes).
pub const MAX_PROOF_JWT_LEN: usize = 8 * 1024;

/// A JOSE signature algorithm accepted for proofs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofAlgorithm {
    /// `EdDSA` with an Ed25519 key.
    EdDsa,
    /// `ES256`: ECDSA on P-256 with SHA-256.
    Es256,
}

impl ProofAlgorithm {
    /// Every accepted algorithm.
    pub const ALL: [ProofAlgorithm; 2] = [ProofAlgorithm::EdDsa, ProofAlgorithm::Es256];

    /// The JOSE `alg` name.
    pub fn name(self) -> &'static str {
        match self {
            ProofAlgorithm::EdDsa => "EdDSA",
            ProofAlgorithm::Es256 => "ES256",
        }
    }

    /// The algorithm a holder key of `algorithm` signs proofs with, if any.
    pub fn for_key_algorithm(algorithm: KeyAlgorithm) -> Option<ProofAlgorithm> {
        match algorithm {
            KeyAlgorithm::Ed25519 => Some(ProofAlgorithm::EdDsa),
            KeyAlgorithm::P256 => Some(ProofAlgorithm::Es256),
            _ => None,
        }
    }

    /// The algorithm named `name` (case-sensitive), if accepted.
    pub fn from_name(name: &str) -> Option<ProofAlgorithm> {
        ProofAlgorithm::ALL
            .into_iter()
            .find(|alg| alg.name() == name)
    }
}

/// The proof algorithm a holder key must sign with, and the key type's name for errors.
fn key_algorithm(key: &PublicKey) -> Option<(ProofAlgorithm, &'static str)> {
    match key.algorithm() {
        KeyAlgorithm::Ed25519 => Some((ProofAlgorithm::EdDsa, "Ed25519")),
        KeyAlgorithm::P256 => Some((ProofAlgorithm::Es256, "P-256")),
        _ => None,
    }
}

/// The claims of a proof JWT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofClaims {
    /// The client id (absent with anonymous access).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The Credential Issuer Identifier.
    pub aud: String,
    /// Issued-at, Unix seconds.
    pub iat: i64,
    /// The `c_nonce` from the nonce endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

/// Why a proof JWT could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofSigningError {
    /// The holder key's algorithm makes no accepted proof (EdDSA with Ed25519; ES256 with
    /// P-256 once core holds P-256 keys).
    #[error("a {0} holder key cannot sign a proof JWT")]
    UnsupportedKey(KeyAlgorithm),
    /// The signer failed.
    #[error("signing the proof JWT: {0}")]
    Signing(#[from] SignatureError),
}

/// Makes a proof JWT for `claims`, signed by `holder` (a key whose `did:key` verification
/// method becomes the `kid`): header `{"alg", "typ": "openid4vci-proof+jwt", "kid"}`, then the
/// claims, each part base64url without padding, signed over `header.payload`.
pub fn sign(holder: &dyn Signer, claims: &ProofClaims) -> Result<String, ProofSigningError> {
    let algorithm = ProofAlgorithm::for_key_algorithm(holder.algorithm())
        .ok_or(ProofSigningError::UnsupportedKey(holder.algorithm()))?;
    let kid = DidKey::from_public_key(&holder.public_key())
        .verification_method_id()
        .as_str()
        .to_owned();
    let mut header = Map::new();
    header.insert("alg".into(), Value::from(algorithm.name()));
    header.insert("typ".into(), Value::from(PROOF_JWT_TYP));
    header.insert("kid".into(), Value::from(kid));
    // Serializing a map of strings and a struct of strings and integers cannot fail.
    let header = serde_json::to_vec(&header).unwrap_or_default();
    let payload = serde_json::to_vec(claims).unwrap_or_default();
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = holder.sign(signing_input.as_bytes())?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// A parsed proof JWT whose header and key are checked (the signature is checked by
/// [`ProofJwt::verify_signature`]).
#[derive(Debug, Clone)]
pub struct ProofJwt {
    /// The signature algorithm.
    pub algorithm: ProofAlgorithm,
    /// The holder's DID (the `kid` without its fragment).
    pub holder_did: String,
    /// The holder's key (Ed25519 or P-256).
    pub key: PublicKey,
    /// The claims.
    pub claims: ProofClaims,
    signing_input: Vec<u8>,
    signature: Vec<u8>,
}

/// Why a proof JWT was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofJwtError {
    /// Longer than [`MAX_PROOF_JWT_LEN`].
    #[error("proof JWT of {0} bytes (at most {MAX_PROOF_JWT_LEN})")]
    TooLong(usize),
    /// Not three dot-separated parts.
    #[error("a compact JWS has 3 parts, found {0}")]
    PartCount(usize),
    /// A part is not base64url without padding.
    #[error("the JWS {0} is not base64url")]
    Base64(&'static str),
    /// The header is not a JSON object.
    #[error("the JWS header is not a JSON object")]
    Header,
    /// The payload is not a JSON object with `aud` (string), `iat` (integer) and string
    /// `nonce` / `iss` when present.
    #[error("the JWT claims are invalid: {0}")]
    Claims(String),
    /// `typ` is not `openid4vci-proof+jwt`.
    #[error("typ must be {PROOF_JWT_TYP}, found {0:?}")]
    WrongType(Option<String>),
    /// `alg` is missing or not `EdDSA` / `ES256`.
    #[error("alg {0:?} is not accepted (EdDSA, ES256)")]
    UnsupportedAlgorithm(Option<String>),
    /// The header has `crit`.
    #[error("critical header parameters are not supported")]
    CriticalHeader,
    /// The header carries the key as `jwk` or `x5c` (only `kid` with a did:key is accepted).
    #[error("the holder key must be named by kid (a did:key DID URL), not {0}")]
    KeyNotByKid(&'static str),
    /// `kid` is missing.
    #[error("kid is missing")]
    MissingKid,
    /// `kid` is not a `did:key` DID URL `did:key:<mb>#<mb>`.
    #[error("kid is not a did:key verification method: {0}")]
    KidNotDidKey(String),
    /// The did:key's key type is neither Ed25519 nor P-256.
    #[error("did:key multicodec 0x{0:x} is not accepted (Ed25519, P-256)")]
    UnsupportedKeyType(u64),
    /// The key bytes are not a valid key.
    #[error("the did:key key is invalid: {0}")]
    InvalidKey(String),
    /// `alg` does not fit the key (`EdDSA` needs Ed25519, `ES256` P-256).
    #[error("alg {alg} does not fit a {key} key")]
    AlgorithmKeyMismatch {
        /// The header's algorithm.
        alg: &'static str,
        /// The key's algorithm.
        key: &'static str,
    },
    /// The signature does not verify under the holder key.
    #[error("the signature does not verify")]
    BadSignature,
}

/// Parses a proof JWT and checks its header and holder key (see the module documentation).
pub fn parse(jwt: &str) -> Result<ProofJwt, ProofJwtError> {
    if jwt.len() > MAX_PROOF_JWT_LEN {
        return Err(ProofJwtError::TooLong(jwt.len()));
    }
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header_b64, payload_b64, signature_b64] = parts.as_slice() else {
        return Err(ProofJwtError::PartCount(parts.len()));
    };
    let decode = |part: &str, name| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| ProofJwtError::Base64(name))
    };
    let header = decode(header_b64, "header")?;
    let payload = decode(payload_b64, "payload")?;
    let signature = decode(signature_b64, "signature")?;
    let header: Map<String, Value> =
        serde_json::from_slice(&header).map_err(|_| ProofJwtError::Header)?;
    let text = |name: &str| header.get(name).and_then(Value::as_str).map(str::to_owned);
    if text("typ").as_deref() != Some(PROOF_JWT_TYP) {
        return Err(ProofJwtError::WrongType(text("typ")));
    }
    let algorithm = text("alg")
        .as_deref()
        .and_then(ProofAlgorithm::from_name)
        .ok_or_else(|| ProofJwtError::UnsupportedAlgorithm(text("alg")))?;
    if header.contains_key("crit") {
        return Err(ProofJwtError::CriticalHeader);
    }
    for carrier in ["jwk", "x5c"] {
        if header.contains_key(carrier) {
            return Err(ProofJwtError::KeyNotByKid(carrier));
        }
    }
    let kid = text("kid").ok_or(ProofJwtError::MissingKid)?;
    let (holder_did, key) = holder_key(&kid)?;
    match key_algorithm(&key) {
        Some((expected, _)) if expected == algorithm => {}
        found => {
            return Err(ProofJwtError::AlgorithmKeyMismatch {
                alg: algorithm.name(),
                key: found.map_or("unsupported", |(_, name)| name),
            });
        }
    }
    let claims: ProofClaims =
        serde_json::from_slice(&payload).map_err(|err| ProofJwtError::Claims(err.to_string()))?;
    let mut signing_input = Vec::with_capacity(header_b64.len() + payload_b64.len() + 1);
    signing_input.extend_from_slice(header_b64.as_bytes());
    signing_input.push(b'.');
    signing_input.extend_from_slice(payload_b64.as_bytes());
    Ok(ProofJwt {
        algorithm,
        holder_did,
        key,
        claims,
        signing_input,
        signature,
    })
}

impl ProofJwt {
    /// Checks the signature over `header.payload` with the holder key.
    pub fn verify_signature(&self) -> Result<(), ProofJwtError> {
        self.key
            .verify(&self.signing_input, &self.signature)
            .map_err(|_| ProofJwtError::BadSignature)
    }
}

/// The holder DID and key named by a `kid` `did:key:<mb>#<mb>`.
pub fn holder_key(kid: &str) -> Result<(String, PublicKey), ProofJwtError> {
    let not_did_key = |reason: &str| ProofJwtError::KidNotDidKey(reason.to_owned());
    let url = DidUrl::parse(kid).map_err(|_| not_did_key("not a DID URL"))?;
    let did = url.did();
    if did.method() != "key" {
        return Err(not_did_key("method is not key"));
    }
    let multibase = did.method_specific_id();
    if url.path().is_some() || url.query().is_some() || url.fragment() != Some(multibase) {
        return Err(not_did_key(
            "must be did:key:<multibase>#<multibase> (the key's verification method)",
        ));
    }
    let invalid = |err: MulticodecError| ProofJwtError::InvalidKey(err.to_string());
    let bytes = decode_base58btc(multibase).map_err(invalid)?;
    let (codec, _) = split_codec(&bytes).map_err(invalid)?;
    if codec != ED25519_PUB && codec != P256_PUB {
        return Err(ProofJwtError::UnsupportedKeyType(codec));
    }
    let key = decode_multikey(multibase).map_err(invalid)?;
    Ok((did.as_str().to_owned(), key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SecretKey;

    #[test]
    fn a_signed_proof_parses_and_verifies_with_the_holder_did() {
        let key = SecretKey::generate(KeyAlgorithm::Ed25519);
        let claims = ProofClaims {
            iss: None,
            aud: "https://health.mo.example".into(),
            iat: 1_800_000_000,
            nonce: Some("n-1".into()),
        };
        let jwt = sign(&key, &claims).unwrap();
        let proof = parse(&jwt).unwrap();
        proof.verify_signature().unwrap();
        assert_eq!(proof.claims, claims);
        assert_eq!(proof.algorithm, ProofAlgorithm::EdDsa);
        assert_eq!(
            proof.holder_did,
            DidKey::from_public_key(&key.public_key()).did().as_str()
        );
        let mut tampered = jwt.into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(
            parse(&tampered).unwrap().verify_signature(),
            Err(ProofJwtError::BadSignature)
        );
    }

    #[test]
    fn a_key_that_makes_no_proof_is_refused() {
        let key = SecretKey::generate(KeyAlgorithm::Sm2);
        let claims = ProofClaims {
            iss: None,
            aud: "a".into(),
            iat: 0,
            nonce: None,
        };
        assert_eq!(
            sign(&key, &claims),
            Err(ProofSigningError::UnsupportedKey(KeyAlgorithm::Sm2))
        );
    }
}
