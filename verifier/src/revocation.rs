//! Revocation: EU DCC revocation hashes (DCC Gateway definitions) and SMART Health Card
//! revocation lists keyed by `rid`.

use std::collections::{HashMap, HashSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::signature::SignatureAlgorithm;

/// The three DCC revocation hash types of the DCC Gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DccHashType {
    /// SHA-256(UCI)[0..16].
    #[serde(rename = "UCI")]
    Uci,
    /// SHA-256(issuing country code + UCI)[0..16].
    #[serde(rename = "COUNTRYCODEUCI")]
    CountryCodeUci,
    /// SHA-256(signature)[0..16]; ES256: the `r` half only, PS256: the full signature.
    #[serde(rename = "SIGNATURE")]
    Signature,
}

/// A 16-byte DCC revocation hash.
pub type RevocationHash = [u8; 16];

fn truncated_sha256(data: &[u8]) -> RevocationHash {
    let digest = Sha256::digest(data);
    let mut out = [0u8; 16];
    out.copy_from_slice(digest.get(..16).unwrap_or(&[0u8; 16]));
    out
}

/// The three revocation hashes of one DCC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DccRevocationHashes {
    /// Hash of the UCI.
    pub uci: RevocationHash,
    /// Hash of country code + UCI.
    pub country_code_uci: RevocationHash,
    /// Hash of the signature.
    pub signature: RevocationHash,
}

impl DccRevocationHashes {
    /// Compute the hashes from the UCI (`ci`), the issuing country and the COSE signature.
    pub fn compute(uci: &str, country: &str, alg: SignatureAlgorithm, signature: &[u8]) -> Self {
        let sig_part = match alg {
            SignatureAlgorithm::Es256 => signature.get(..signature.len() / 2).unwrap_or(signature),
            SignatureAlgorithm::Ps256 => signature,
        };
        Self {
            uci: truncated_sha256(uci.as_bytes()),
            country_code_uci: truncated_sha256(format!("{country}{uci}").as_bytes()),
            signature: truncated_sha256(sig_part),
        }
    }

    /// The hash of a given type, base64 as the gateway ships it.
    pub fn base64(&self, t: DccHashType) -> String {
        STANDARD.encode(self.get(t))
    }

    /// The hash of a given type.
    pub fn get(&self, t: DccHashType) -> &RevocationHash {
        match t {
            DccHashType::Uci => &self.uci,
            DccHashType::CountryCodeUci => &self.country_code_uci,
            DccHashType::Signature => &self.signature,
        }
    }
}

/// Why a revocation list could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevocationListError {
    /// Not the expected JSON shape.
    #[error("revocation list: {0}")]
    Format(String),
}

/// Revoked DCC hashes, by type.
#[derive(Debug, Clone, Default)]
pub struct DccRevocationList {
    entries: HashMap<DccHashType, HashSet<RevocationHash>>,
}

impl DccRevocationList {
    /// Add one revoked hash.
    pub fn insert(&mut self, t: DccHashType, hash: RevocationHash) {
        self.entries.entry(t).or_default().insert(hash);
    }

    /// Load `{"dccRevocations":[{"hashType":"UCI","hashes":["<base64>",…]},…]}` (base64 or hex
    /// 16-byte hashes; longer hashes are truncated to 16 bytes as the gateway does).
    pub fn add_json(&mut self, json: &serde_json::Value) -> Result<usize, RevocationListError> {
        let groups = json
            .get("dccRevocations")
            .and_then(|v| v.as_array())
            .ok_or_else(|| RevocationListError::Format("missing dccRevocations array".into()))?;
        let mut count = 0;
        for group in groups {
            let t: DccHashType = serde_json::from_value(
                group
                    .get("hashType")
                    .cloned()
                    .unwrap_or(serde_json::Value::Null),
            )
            .map_err(|e| RevocationListError::Format(format!("hashType: {e}")))?;
            let hashes = group
                .get("hashes")
                .and_then(|v| v.as_array())
                .ok_or_else(|| RevocationListError::Format("missing hashes".into()))?;
            for h in hashes {
                let text = h
                    .as_str()
                    .ok_or_else(|| RevocationListError::Format("hash".into()))?;
                let bytes = if text.len() >= 32 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
                    hex::decode(text).ok()
                } else {
                    STANDARD.decode(text).ok()
                };
                let bytes = bytes
                    .filter(|b| b.len() >= 16)
                    .ok_or_else(|| RevocationListError::Format(format!("bad hash {text:?}")))?;
                let mut hash = [0u8; 16];
                hash.copy_from_slice(bytes.get(..16).unwrap_or(&[0u8; 16]));
                self.insert(t, hash);
                count += 1;
            }
        }
        Ok(count)
    }

    /// The first hash type under which the DCC is revoked.
    pub fn check(&self, hashes: &DccRevocationHashes) -> Option<DccHashType> {
        [
            DccHashType::Uci,
            DccHashType::CountryCodeUci,
            DccHashType::Signature,
        ]
        .into_iter()
        .find(|t| {
            self.entries
                .get(t)
                .is_some_and(|set| set.contains(hashes.get(*t)))
        })
    }

    /// Number of revoked hashes.
    pub fn len(&self) -> usize {
        self.entries.values().map(HashSet::len).sum()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A SMART Health Card revocation list (`/.well-known/crl/<kid>.json`, method `rid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShcRevocationList {
    /// The key the list applies to.
    pub kid: String,
    /// The list version (`ctr`; a number or a numeric string in the wild).
    pub counter: u64,
    /// rid → optional timestamp: revoked if the card's `nbf` is before it (none: always).
    pub rids: HashMap<String, Option<u64>>,
}

impl ShcRevocationList {
    /// Parse `{kid, method:"rid", ctr, rids:["rid" | "rid.TS", …]}`.
    pub fn from_json(json: &serde_json::Value) -> Result<Self, RevocationListError> {
        let kid = json
            .get("kid")
            .and_then(|v| v.as_str())
            .ok_or_else(|| RevocationListError::Format("missing kid".into()))?
            .to_owned();
        let method = json
            .get("method")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        if method != "rid" {
            return Err(RevocationListError::Format(format!(
                "unsupported method {method:?}"
            )));
        }
        let counter = match json.get("ctr") {
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| RevocationListError::Format("missing or bad ctr".into()))?;
        let mut rids = HashMap::new();
        for entry in json
            .get("rids")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            let text = entry
                .as_str()
                .ok_or_else(|| RevocationListError::Format("rid".into()))?;
            match text.split_once('.') {
                Some((rid, ts)) => {
                    let ts: u64 = ts
                        .parse()
                        .map_err(|_| RevocationListError::Format(format!("bad rid {text:?}")))?;
                    rids.insert(rid.to_owned(), Some(ts));
                }
                None => {
                    rids.insert(text.to_owned(), None);
                }
            }
        }
        Ok(Self { kid, counter, rids })
    }

    /// Whether a card with this `rid` and `nbf` (Unix seconds, may be fractional) is revoked.
    pub fn is_revoked(&self, rid: &str, nbf: f64) -> bool {
        match self.rids.get(rid) {
            None => false,
            Some(None) => true,
            Some(Some(ts)) => nbf < *ts as f64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shc_crl_semantics_and_errors() {
        let crl = ShcRevocationList::from_json(
            &json!({"kid":"k","method":"rid","ctr":"1","rids":["a.100","b"]}),
        )
        .unwrap();
        assert_eq!(crl.counter, 1);
        assert!(crl.is_revoked("a", 99.5));
        assert!(!crl.is_revoked("a", 100.0));
        assert!(crl.is_revoked("b", 1e12));
        assert!(!crl.is_revoked("c", 0.0));
        assert!(matches!(
            ShcRevocationList::from_json(&json!({"kid":"k","method":"x","ctr":1})),
            Err(RevocationListError::Format(_))
        ));
        assert!(matches!(
            ShcRevocationList::from_json(&json!({"kid":"k","method":"rid","ctr":1,"rids":["a.x"]})),
            Err(RevocationListError::Format(_))
        ));
    }

    #[test]
    fn dcc_list_matches_by_type() {
        let hashes = DccRevocationHashes::compute(
            "URN:UVCI:01:AT:X",
            "AT",
            SignatureAlgorithm::Es256,
            &[1u8; 64],
        );
        let mut list = DccRevocationList::default();
        assert_eq!(list.check(&hashes), None);
        let doc = json!({"dccRevocations":[{"hashType":"COUNTRYCODEUCI","hashes":[hashes.base64(DccHashType::CountryCodeUci)]}]});
        assert_eq!(list.add_json(&doc).unwrap(), 1);
        assert_eq!(list.check(&hashes), Some(DccHashType::CountryCodeUci));
        assert!(matches!(
            list.add_json(&json!({})),
            Err(RevocationListError::Format(_))
        ));
    }
}
