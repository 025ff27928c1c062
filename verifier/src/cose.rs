//! COSE_Sign1 envelopes (RFC 9052) carrying a CWT (RFC 8392) with the EU DCC `hcert` claim.
//!
//! Accepted forms: tagged COSE_Sign1 (tag 18), untagged, and a COSE_Sign1 wrapped in the CWT
//! tag 61 (upstream test CO28).

use ciborium::value::Value;
use coset::{AsCborValue as _, CoseSign1, RegisteredLabelWithPrivate, iana};

use crate::signature::SignatureAlgorithm;

/// CBOR tag of a COSE_Sign1.
pub const TAG_COSE_SIGN1: u64 = 18;
/// CBOR tag of a CWT.
pub const TAG_CWT: u64 = 61;
/// The CWT claim key of the EU health certificate.
pub const CLAIM_HCERT: i64 = -260;
/// Deepest CBOR nesting accepted when converting payloads to JSON.
const MAX_DEPTH: usize = 32;

/// Why the envelope or its payload could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoseError {
    /// Not well-formed CBOR.
    #[error("not well-formed CBOR: {0}")]
    Cbor(String),
    /// Bytes left after the CBOR item.
    #[error("{0} trailing bytes after the CBOR item")]
    TrailingBytes(usize),
    /// A tag other than 18 / 61 around the envelope.
    #[error("unexpected CBOR tag {0} around the COSE_Sign1")]
    UnexpectedTag(u64),
    /// Well-formed CBOR but not a COSE_Sign1 structure.
    #[error("not a COSE_Sign1 structure: {0}")]
    NotCoseSign1(String),
    /// The COSE_Sign1 has a detached (nil) payload.
    #[error("COSE_Sign1 payload is detached")]
    DetachedPayload,
    /// The payload is not a CWT claims map.
    #[error("payload is not a CWT claims map: {0}")]
    NotCwt(String),
    /// The CWT has no `hcert` claim (-260) holding key 1 with a map.
    #[error("CWT has no hcert claim (-260 → 1)")]
    MissingHcert,
    /// A value that cannot be represented in JSON (e.g. a byte string inside the DCC).
    #[error("hcert value cannot be represented as JSON: {0}")]
    NotJson(String),
}

/// Which header a kid was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum KidSource {
    /// The protected header (preferred).
    #[serde(rename = "protected")]
    Protected,
    /// The unprotected header (used only when the protected one has no kid).
    #[serde(rename = "unprotected")]
    Unprotected,
}

/// A parsed COSE_Sign1 with what the pipeline needs from it.
#[derive(Debug, Clone)]
pub struct SignedEnvelope {
    /// The CBOR tags that wrapped the structure, outermost first.
    pub tags: Vec<u64>,
    /// The algorithm (protected header first, then unprotected).
    pub algorithm: Option<SignatureAlgorithm>,
    /// The raw algorithm label, for reporting an unsupported one.
    pub algorithm_label: Option<String>,
    /// The kid and which header it came from (protected wins).
    pub kid: Option<(Vec<u8>, KidSource)>,
    /// The payload bytes (the CWT).
    pub payload: Vec<u8>,
    /// The signature bytes.
    pub signature: Vec<u8>,
    /// The Sig_structure bytes that were signed.
    pub signed_data: Vec<u8>,
}

/// Decode one CBOR item and reject trailing bytes.
pub fn decode_cbor(bytes: &[u8]) -> Result<Value, CoseError> {
    let mut reader = bytes;
    let value: Value = ciborium::de::from_reader_with_recursion_limit(&mut reader, 64)
        .map_err(|e| CoseError::Cbor(e.to_string()))?;
    if !reader.is_empty() {
        return Err(CoseError::TrailingBytes(reader.len()));
    }
    Ok(value)
}

/// Parse a COSE_Sign1 (tagged 18, untagged, or wrapped in CWT tag 61).
pub fn parse_sign1(bytes: &[u8]) -> Result<SignedEnvelope, CoseError> {
    let mut value = decode_cbor(bytes)?;
    let mut tags = Vec::new();
    while let Value::Tag(tag, inner) = value {
        if tag != TAG_COSE_SIGN1 && tag != TAG_CWT {
            return Err(CoseError::UnexpectedTag(tag));
        }
        if tags.len() > 2 {
            return Err(CoseError::UnexpectedTag(tag));
        }
        tags.push(tag);
        value = *inner;
    }
    let sign1 =
        CoseSign1::from_cbor_value(value).map_err(|e| CoseError::NotCoseSign1(e.to_string()))?;
    let payload = sign1.payload.clone().ok_or(CoseError::DetachedPayload)?;
    let protected = &sign1.protected.header;
    let alg = protected.alg.as_ref().or(sign1.unprotected.alg.as_ref());
    let (algorithm, algorithm_label) = match alg {
        Some(RegisteredLabelWithPrivate::Assigned(a)) => {
            let id = match a {
                iana::Algorithm::ES256 => Some(SignatureAlgorithm::Es256),
                iana::Algorithm::PS256 => Some(SignatureAlgorithm::Ps256),
                _ => None,
            };
            (id, Some(format!("{a:?}")))
        }
        Some(RegisteredLabelWithPrivate::PrivateUse(i)) => (None, Some(i.to_string())),
        Some(RegisteredLabelWithPrivate::Text(t)) => (None, Some(t.clone())),
        None => (None, None),
    };
    let kid = if !protected.key_id.is_empty() {
        Some((protected.key_id.clone(), KidSource::Protected))
    } else if !sign1.unprotected.key_id.is_empty() {
        Some((sign1.unprotected.key_id.clone(), KidSource::Unprotected))
    } else {
        None
    };
    let signed_data = sign1.tbs_data(b"");
    Ok(SignedEnvelope {
        tags,
        algorithm,
        algorithm_label,
        kid,
        payload,
        signature: sign1.signature,
        signed_data,
    })
}

/// The CWT claims the verifier uses.
#[derive(Debug, Clone, PartialEq)]
pub struct CwtClaims {
    /// `iss` (claim 1): issuing country.
    pub issuer: Option<String>,
    /// `exp` (claim 4), Unix seconds.
    pub expires: Option<i64>,
    /// `iat` (claim 6), Unix seconds.
    pub issued_at: Option<i64>,
    /// The `hcert` claim's key-1 map (the DCC) as JSON.
    pub dcc: serde_json::Value,
    /// The whole claims map as decoded CBOR.
    pub raw: Value,
}

/// Parse the CWT payload of a DCC.
pub fn parse_cwt(payload: &[u8]) -> Result<CwtClaims, CoseError> {
    let raw = decode_cbor(payload)?;
    let raw = match raw {
        Value::Tag(TAG_CWT, inner) => *inner,
        other => other,
    };
    let Value::Map(entries) = &raw else {
        return Err(CoseError::NotCwt("not a map".into()));
    };
    let mut issuer = None;
    let mut expires = None;
    let mut issued_at = None;
    let mut hcert = None;
    for (k, v) in entries {
        let Some(key) = k.as_integer().and_then(|i| i64::try_from(i).ok()) else {
            continue;
        };
        match key {
            1 => issuer = v.as_text().map(str::to_owned),
            4 => expires = Some(numeric_date(v).ok_or_else(|| CoseError::NotCwt("exp".into()))?),
            6 => issued_at = Some(numeric_date(v).ok_or_else(|| CoseError::NotCwt("iat".into()))?),
            CLAIM_HCERT => hcert = Some(v),
            _ => {}
        }
    }
    let hcert = hcert.ok_or(CoseError::MissingHcert)?;
    let Value::Map(hcert_entries) = hcert else {
        return Err(CoseError::MissingHcert);
    };
    let dcc = hcert_entries
        .iter()
        .find(|(k, _)| k.as_integer().and_then(|i| i64::try_from(i).ok()) == Some(1))
        .map(|(_, v)| v)
        .ok_or(CoseError::MissingHcert)?;
    if !dcc.is_map() {
        return Err(CoseError::MissingHcert);
    }
    let dcc = cbor_to_json(dcc, 0)?;
    Ok(CwtClaims {
        issuer,
        expires,
        issued_at,
        dcc,
        raw,
    })
}

fn numeric_date(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => i64::try_from(*i).ok(),
        Value::Float(f) if f.is_finite() => {
            let t = f.trunc();
            (t.abs() < 1e15).then_some(t as i64)
        }
        Value::Tag(1, inner) => numeric_date(inner),
        _ => None,
    }
}

/// Convert CBOR to JSON (text-keyed maps, no byte strings), bounded in depth.
pub fn cbor_to_json(v: &Value, depth: usize) -> Result<serde_json::Value, CoseError> {
    use serde_json::Value as J;
    if depth > MAX_DEPTH {
        return Err(CoseError::NotJson("nesting too deep".into()));
    }
    Ok(match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Text(s) => J::String(s.clone()),
        Value::Integer(i) => {
            let i: i128 = (*i).into();
            if let Ok(n) = i64::try_from(i) {
                J::from(n)
            } else if let Ok(n) = u64::try_from(i) {
                J::from(n)
            } else {
                return Err(CoseError::NotJson("integer out of range".into()));
            }
        }
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .ok_or_else(|| CoseError::NotJson("non-finite float".into()))?,
        Value::Array(items) => J::Array(
            items
                .iter()
                .map(|i| cbor_to_json(i, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(entries) => {
            let mut map = serde_json::Map::new();
            for (k, val) in entries {
                let key = match k {
                    Value::Text(s) => s.clone(),
                    Value::Integer(i) => i128::from(*i).to_string(),
                    _ => return Err(CoseError::NotJson("non-text map key".into())),
                };
                map.insert(key, cbor_to_json(val, depth + 1)?);
            }
            J::Object(map)
        }
        Value::Tag(_, inner) => cbor_to_json(inner, depth + 1)?,
        Value::Bytes(_) => return Err(CoseError::NotJson("byte string".into())),
        _ => return Err(CoseError::NotJson("unsupported CBOR value".into())),
    })
}

/// Semantic equality of two CBOR values: map order is ignored, integer/float forms of the same
/// number compare equal.
pub fn cbor_equivalent(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Tag(ta, ia), Value::Tag(tb, ib)) => ta == tb && cbor_equivalent(ia, ib),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| cbor_equivalent(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter()
                        .any(|(k2, v2)| cbor_equivalent(k, k2) && cbor_equivalent(v, v2))
                })
        }
        (Value::Integer(i), Value::Float(f)) | (Value::Float(f), Value::Integer(i)) => {
            (i128::from(*i) as f64) == *f
        }
        _ => a == b,
    }
}

/// Numbers compare by value, objects by key set, arrays in order.
pub fn json_equivalent(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(x), J::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(p), Some(q)) => p == q,
            _ => x == y,
        },
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equivalent(p, q))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equivalent(v, w)))
        }
        _ => a == b,
    }
}
