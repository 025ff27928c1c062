//! Compact JWS (RFC 7515) as used by SMART Health Cards: `header.payload.signature`, header
//! `{"zip":"DEF","alg":"ES256","kid":…}`, payload raw-DEFLATE-compressed JSON.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::signature::SignatureAlgorithm;

/// Why a compact JWS could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    /// Not three dot-separated parts.
    #[error("compact JWS must have 3 parts, found {0}")]
    PartCount(usize),
    /// A part is not base64url (no padding).
    #[error("{part} is not base64url")]
    Base64 {
        /// `header`, `payload` or `signature`.
        part: &'static str,
    },
    /// The header is not a JSON object.
    #[error("JWS header is not a JSON object: {0}")]
    Header(String),
    /// `alg` missing or not supported.
    #[error("unsupported JWS alg {0:?}")]
    UnsupportedAlgorithm(String),
    /// `kid` missing.
    #[error("JWS header has no kid")]
    MissingKid,
    /// `zip` other than `DEF`.
    #[error("unsupported JWS zip {0:?}")]
    UnsupportedZip(String),
}

/// A parsed compact JWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactJws {
    /// The signature algorithm from the header.
    pub algorithm: SignatureAlgorithm,
    /// The header kid.
    pub kid: String,
    /// Whether the payload is DEFLATE-compressed (`zip: "DEF"`).
    pub deflated: bool,
    /// Decoded payload bytes (still compressed when `deflated`).
    pub payload: Vec<u8>,
    /// Decoded signature bytes.
    pub signature: Vec<u8>,
    /// The signing input `ASCII(header "." payload)`.
    pub signing_input: Vec<u8>,
}

/// Parse a compact JWS.
pub fn parse_compact(jws: &str) -> Result<CompactJws, JwsError> {
    let parts: Vec<&str> = jws.trim().split('.').collect();
    let [header_b64, payload_b64, signature_b64] = parts.as_slice() else {
        return Err(JwsError::PartCount(parts.len()));
    };
    let header = URL_SAFE_NO_PAD
        .decode(header_b64)
        .map_err(|_| JwsError::Base64 { part: "header" })?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload_b64)
        .map_err(|_| JwsError::Base64 { part: "payload" })?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| JwsError::Base64 { part: "signature" })?;
    let header: serde_json::Value =
        serde_json::from_slice(&header).map_err(|e| JwsError::Header(e.to_string()))?;
    let header = header
        .as_object()
        .ok_or_else(|| JwsError::Header("not an object".into()))?;
    let alg = header
        .get("alg")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let algorithm = match alg {
        "ES256" => SignatureAlgorithm::Es256,
        other => return Err(JwsError::UnsupportedAlgorithm(other.to_owned())),
    };
    let kid = header
        .get("kid")
        .and_then(|v| v.as_str())
        .filter(|k| !k.is_empty())
        .ok_or(JwsError::MissingKid)?
        .to_owned();
    let deflated = match header.get("zip") {
        None => false,
        Some(serde_json::Value::String(z)) if z == "DEF" => true,
        Some(other) => return Err(JwsError::UnsupportedZip(other.to_string())),
    };
    let mut signing_input = Vec::with_capacity(header_b64.len() + payload_b64.len() + 1);
    signing_input.extend_from_slice(header_b64.as_bytes());
    signing_input.push(b'.');
    signing_input.extend_from_slice(payload_b64.as_bytes());
    Ok(CompactJws {
        algorithm,
        kid,
        deflated,
        payload,
        signature,
        signing_input,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn typed_errors() {
        assert!(matches!(parse_compact("a.b"), Err(JwsError::PartCount(2))));
        assert!(matches!(
            parse_compact("!!.a.a"),
            Err(JwsError::Base64 { part: "header" })
        ));
        let h = b64(r#"{"alg":"RS256","kid":"k"}"#);
        assert!(matches!(
            parse_compact(&format!("{h}.AA.AA")),
            Err(JwsError::UnsupportedAlgorithm(_))
        ));
        let h = b64(r#"{"alg":"ES256"}"#);
        assert!(matches!(
            parse_compact(&format!("{h}.AA.AA")),
            Err(JwsError::MissingKid)
        ));
        let h = b64(r#"{"alg":"ES256","kid":"k","zip":"GZ"}"#);
        assert!(matches!(
            parse_compact(&format!("{h}.AA.AA")),
            Err(JwsError::UnsupportedZip(_))
        ));
        let h = b64("[1]");
        assert!(matches!(
            parse_compact(&format!("{h}.AA.AA")),
            Err(JwsError::Header(_))
        ));
        let h = b64(r#"{"alg":"ES256","kid":"k","zip":"DEF"}"#);
        let jws = parse_compact(&format!("{h}.AA.AA")).unwrap();
        assert!(jws.deflated);
        assert_eq!(jws.kid, "k");
    }
}
