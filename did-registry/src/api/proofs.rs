//! `POST /v1/proofs`: several state entries with their proofs at one height, in one
//! [`ProofBundle`] (what a checkpoint syncing its trust cache asks for).
//!
//! Request ([`ProofsRequest`]): `{"height": <u64>, "keys": ["<hex>", …]}`, each key the
//! lowercase hex of a full state key (the namespace byte, then the key bytes; 1 to
//! [`MAX_STATE_KEY_LEN`] bytes), 1 to [`MAX_BUNDLE_ENTRIES`] of them, in the order the bundle's
//! entries answer them (a key may repeat). Answer ([`ProofsResponse`]): `{"height": <u64>,
//! "bundle": "<base64url>"}`, the bundle's canonical encoding (`ProofBundle` in
//! `docs/registry.md`) and, for reading, its header's height. Unknown members are refused.

use serde::{Deserialize, Serialize};

use super::{base64url, from_base64url};
use crate::codec::{Decode, Encode};
use crate::json::parse_lower_hex;
use crate::proof::{MAX_BUNDLE_ENTRIES, MAX_STATE_KEY_LEN, ProofBundle};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProofsRequestWire {
    #[serde(deserialize_with = "whole_number::deserialize")]
    height: u64,
    keys: Vec<String>,
}

/// Serde of a `u64` given as any JSON number without a fractional part: JSON Schema's
/// `integer` (what `openapi.json` says `height` is) also counts `4990.0` and `4.99e3`. Float
/// notation is read as a double, so from 2^53 on it is rounded (far above any head).
mod whole_number {
    use serde::Deserializer;
    use serde::de::{Error, Unexpected, Visitor};

    struct WholeNumber;

    impl Visitor<'_> for WholeNumber {
        type Value = u64;

        fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("a whole number from 0 to 2^64 - 1")
        }

        fn visit_u64<E: Error>(self, value: u64) -> Result<u64, E> {
            Ok(value)
        }

        fn visit_i64<E: Error>(self, value: i64) -> Result<u64, E> {
            u64::try_from(value).map_err(|_| E::invalid_value(Unexpected::Signed(value), &self))
        }

        fn visit_f64<E: Error>(self, value: f64) -> Result<u64, E> {
            // 2^64 is exact as a double: every double below it and whole fits a u64.
            const TWO_TO_THE_64: f64 = 18_446_744_073_709_551_616.0;
            if value.fract() == 0.0 && (0.0..TWO_TO_THE_64).contains(&value) {
                Ok(value as u64)
            } else {
                Err(E::invalid_value(Unexpected::Float(value), &self))
            }
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        deserializer.deserialize_u64(WholeNumber)
    }
}

/// `POST /v1/proofs` body: the full state keys to prove (namespace byte included) and the
/// height to prove them at. JSON: `{"height": <u64>, "keys": ["<lowercase hex>", …]}`; parsing
/// refuses an empty list, more than [`MAX_BUNDLE_ENTRIES`] keys, a key that is not an even
/// number of lowercase hex digits, and a key of no byte or of more than [`MAX_STATE_KEY_LEN`]
/// bytes (see [`ProofsRequestError`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ProofsRequestWire", into = "ProofsRequestWire")]
pub struct ProofsRequest {
    /// The height to prove at (a certified one: 1 to the head).
    pub height: u64,
    /// The full state keys, in the order the bundle's entries answer them.
    pub keys: Vec<Vec<u8>>,
}

/// Why a `POST /v1/proofs` body is not a proof request.
#[derive(Debug, thiserror::Error)]
pub enum ProofsRequestError {
    /// Not JSON, or not `{"height": <u64>, "keys": [<string>, …]}` (a missing or unknown
    /// member, another type).
    #[error("not the JSON of a proof request: {0}")]
    Json(#[source] serde_json::Error),
    /// No key, or more than [`MAX_BUNDLE_ENTRIES`].
    #[error("a proof request names 1 to {MAX_BUNDLE_ENTRIES} keys, not {0}")]
    KeyCount(usize),
    /// A key that is not an even number of lowercase hex digits.
    #[error("key {index} is not an even number of lowercase hex digits")]
    KeyNotHex {
        /// Its position in `keys`.
        index: usize,
    },
    /// A key of no byte, or longer than [`MAX_STATE_KEY_LEN`] bytes.
    #[error(
        "key {index} is {len} bytes; a state key is 1 to {MAX_STATE_KEY_LEN} bytes (the namespace byte, then the key)"
    )]
    KeyLength {
        /// Its position in `keys`.
        index: usize,
        /// Its length in bytes.
        len: usize,
    },
}

impl ProofsRequest {
    /// Parses a request body (JSON), telling a body of the wrong shape
    /// ([`ProofsRequestError::Json`]) from one whose keys are refused.
    pub fn from_json(body: &[u8]) -> Result<ProofsRequest, ProofsRequestError> {
        let wire: ProofsRequestWire =
            serde_json::from_slice(body).map_err(ProofsRequestError::Json)?;
        ProofsRequest::try_from(wire)
    }
}

impl TryFrom<ProofsRequestWire> for ProofsRequest {
    type Error = ProofsRequestError;
    fn try_from(wire: ProofsRequestWire) -> Result<Self, ProofsRequestError> {
        if wire.keys.is_empty() || wire.keys.len() > MAX_BUNDLE_ENTRIES {
            return Err(ProofsRequestError::KeyCount(wire.keys.len()));
        }
        let keys = wire
            .keys
            .iter()
            .enumerate()
            .map(|(index, text)| {
                let key = parse_lower_hex("state key", text)
                    .map_err(|_| ProofsRequestError::KeyNotHex { index })?;
                if key.is_empty() || key.len() > MAX_STATE_KEY_LEN {
                    return Err(ProofsRequestError::KeyLength {
                        index,
                        len: key.len(),
                    });
                }
                Ok(key)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ProofsRequest {
            height: wire.height,
            keys,
        })
    }
}

impl From<ProofsRequest> for ProofsRequestWire {
    fn from(request: ProofsRequest) -> Self {
        ProofsRequestWire {
            height: request.height,
            keys: request.keys.iter().map(hex::encode).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProofsResponseWire {
    height: u64,
    bundle: String,
}

/// `POST /v1/proofs` answer: the bundle of the keys asked for. JSON: `{"height": <u64>,
/// "bundle": "<base64url without padding of the bundle's canonical encoding>"}`; `height` is
/// the bundle header's, and parsing refuses an answer whose `height` differs from it or whose
/// bundle does not decode strictly. Whether the bundle verifies, and answers the keys asked
/// for, is [`crate::proof::verify_bundle_for_keys`]'s to say.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "ProofsResponseWire")]
pub struct ProofsResponse {
    /// The bundle.
    pub bundle: ProofBundle,
}

impl Serialize for ProofsResponse {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ProofsResponseWire {
            height: self.bundle.header.height,
            bundle: base64url(&self.bundle.to_bytes()),
        }
        .serialize(serializer)
    }
}

impl TryFrom<ProofsResponseWire> for ProofsResponse {
    type Error = String;
    fn try_from(wire: ProofsResponseWire) -> Result<Self, String> {
        let bytes =
            from_base64url(&wire.bundle).map_err(|e| format!("bundle is not base64url: {e}"))?;
        let bundle = ProofBundle::from_bytes(&bytes).map_err(|e| format!("bundle: {e}"))?;
        if bundle.header.height != wire.height {
            return Err(format!(
                "height {} differs from the bundle header's height {}",
                wire.height, bundle.header.height
            ));
        }
        Ok(ProofsResponse { bundle })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dev::DevConsortium;
    use crate::ledger::{Ledger, MemoryStore};
    use crate::ordering::SoloOrdering;
    use crate::profile::CryptoProfile;
    use crate::records::StateKey;

    const GENESIS_TIME: u64 = 1_700_000_000;

    /// A real bundle: a member's record (present) and an evidence entry (absent) at height 1
    /// of a dev chain.
    fn bundle() -> ProofBundle {
        let dev = DevConsortium::generate_default(CryptoProfile::Standard, GENESIS_TIME).unwrap();
        let mut ledger = Ledger::new(&dev.genesis, MemoryStore::new()).unwrap();
        let mut solo = SoloOrdering::new(CryptoProfile::Standard, dev.validator_key);
        ledger
            .produce_block(vec![], GENESIS_TIME + 5, &mut solo)
            .unwrap();
        let keys = [
            StateKey::member(&dev.members[0].did).0,
            StateKey::evidence(&[7; 32]).0,
        ];
        let bundle = ledger.prove(&keys, 1).unwrap();
        assert!(bundle.entries[0].value.is_some());
        assert_eq!(bundle.entries[1].value, None);
        bundle
    }

    #[test]
    fn a_proofs_request_travels_as_the_hex_of_its_full_state_keys() {
        let key = StateKey::evidence(&[0xab; 32]).0;
        let request = ProofsRequest {
            height: 7,
            keys: vec![key.clone(), vec![0x01, 0xff]],
        };
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"height": 7, "keys": [hex::encode(&key), "01ff"]})
        );
        let text = json.to_string();
        assert_eq!(
            serde_json::from_str::<ProofsRequest>(&text).unwrap(),
            request
        );
        assert_eq!(ProofsRequest::from_json(text.as_bytes()).unwrap(), request);
        // A height in any notation JSON Schema calls an integer.
        for height in ["7.0", "7e0", "0.7e1", "700e-2"] {
            let body = format!(r#"{{"height":{height},"keys":["01ff"]}}"#);
            assert_eq!(ProofsRequest::from_json(body.as_bytes()).unwrap().height, 7);
        }
        let body = format!(r#"{{"height":{},"keys":["01ff"]}}"#, u64::MAX);
        assert_eq!(
            ProofsRequest::from_json(body.as_bytes()).unwrap().height,
            u64::MAX
        );
    }

    #[test]
    fn a_proofs_request_with_refused_keys_or_a_wrong_shape_is_refused_with_its_reason() {
        let longest = "00".repeat(MAX_STATE_KEY_LEN);
        assert!(
            ProofsRequest::from_json(format!(r#"{{"height":1,"keys":["{longest}"]}}"#).as_bytes())
                .is_ok()
        );
        let too_many = serde_json::to_string(&vec!["00"; MAX_BUNDLE_ENTRIES + 1]).unwrap();
        let all = serde_json::to_string(&vec!["00"; MAX_BUNDLE_ENTRIES]).unwrap();
        assert!(
            ProofsRequest::from_json(format!(r#"{{"height":1,"keys":{all}}}"#).as_bytes()).is_ok()
        );
        // Each body, and whether an error is the one it must get.
        type Expected = fn(&ProofsRequestError) -> bool;
        let cases: Vec<(String, Expected)> = vec![
            (r#"{"height":1,"keys":[]}"#.into(), |e| {
                matches!(e, ProofsRequestError::KeyCount(0))
            }),
            (
                format!(r#"{{"height":1,"keys":{too_many}}}"#),
                |e| matches!(e, ProofsRequestError::KeyCount(n) if *n == MAX_BUNDLE_ENTRIES + 1),
            ),
            (r#"{"height":1,"keys":["00","ABCD"]}"#.into(), |e| {
                matches!(e, ProofsRequestError::KeyNotHex { index: 1 })
            }),
            (r#"{"height":1,"keys":["abc"]}"#.into(), |e| {
                matches!(e, ProofsRequestError::KeyNotHex { index: 0 })
            }),
            (r#"{"height":1,"keys":["zz"]}"#.into(), |e| {
                matches!(e, ProofsRequestError::KeyNotHex { index: 0 })
            }),
            (r#"{"height":1,"keys":[""]}"#.into(), |e| {
                matches!(e, ProofsRequestError::KeyLength { index: 0, len: 0 })
            }),
            (
                format!(r#"{{"height":1,"keys":["00","{longest}00"]}}"#),
                |e| matches!(e, ProofsRequestError::KeyLength { index: 1, len } if *len == MAX_STATE_KEY_LEN + 1),
            ),
            (r#"{"height":1,"keys":["00"],"extra":1}"#.into(), |e| {
                matches!(e, ProofsRequestError::Json(_))
            }),
            (r#"{"keys":["00"]}"#.into(), |e| {
                matches!(e, ProofsRequestError::Json(_))
            }),
            (r#"{"height":-1,"keys":["00"]}"#.into(), |e| {
                matches!(e, ProofsRequestError::Json(_))
            }),
            (r#"{"height":7.5,"keys":["00"]}"#.into(), |e| {
                matches!(e, ProofsRequestError::Json(_))
            }),
            (r#"{"height":-1.0,"keys":["00"]}"#.into(), |e| {
                matches!(e, ProofsRequestError::Json(_))
            }),
            // 2^64, as a double and as an integer.
            (
                r#"{"height":1.8446744073709552e19,"keys":["00"]}"#.into(),
                |e| matches!(e, ProofsRequestError::Json(_)),
            ),
            (
                r#"{"height":18446744073709551616,"keys":["00"]}"#.into(),
                |e| matches!(e, ProofsRequestError::Json(_)),
            ),
            (r#"{"height":"1","keys":["00"]}"#.into(), |e| {
                matches!(e, ProofsRequestError::Json(_))
            }),
            ("[]".into(), |e| matches!(e, ProofsRequestError::Json(_))),
        ];
        for (body, expected) in cases {
            let err = ProofsRequest::from_json(body.as_bytes()).unwrap_err();
            assert!(expected(&err), "{body}: {err:?}");
            // Serde refuses it too (the message is the same reason's).
            let serde_err = serde_json::from_str::<ProofsRequest>(&body).unwrap_err();
            if !matches!(err, ProofsRequestError::Json(_)) {
                assert!(
                    serde_err.to_string().starts_with(&err.to_string()),
                    "{serde_err} / {err}"
                );
            }
        }
    }

    #[test]
    fn a_proofs_response_travels_as_its_height_and_the_base64url_of_its_bundle() {
        let bundle = bundle();
        let response = ProofsResponse {
            bundle: bundle.clone(),
        };
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"height": 1, "bundle": base64url(&bundle.to_bytes())})
        );
        assert_eq!(
            serde_json::from_value::<ProofsResponse>(json.clone()).unwrap(),
            response
        );

        // Another height than the header's, bytes that are not a bundle, not base64url,
        // an unknown member: refused.
        let mut other_height = json.clone();
        other_height["height"] = serde_json::json!(2);
        let mut truncated = json.clone();
        let bytes = bundle.to_bytes();
        truncated["bundle"] = serde_json::json!(base64url(&bytes[..bytes.len() - 1]));
        let mut padded = json.clone();
        padded["bundle"] = serde_json::json!(format!("{}=", base64url(&bytes)));
        let mut extra = json.clone();
        extra["extra"] = serde_json::json!(1);
        for (answer, reason) in [
            (other_height, "differs from the bundle header's height"),
            (truncated, "bundle:"),
            (padded, "not base64url"),
            (extra, "unknown field"),
        ] {
            let err = serde_json::from_value::<ProofsResponse>(answer).unwrap_err();
            assert!(err.to_string().contains(reason), "{err}");
        }
    }
}
