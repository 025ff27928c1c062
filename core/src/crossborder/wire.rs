//! The value types cross-border messages are made of. Each is validated when made and when
//! parsed, serialises as one JSON string (or, for [`PolicyRules`], the rules' JSON), and
//! implements [`NoPersonalData`]: none can carry a personal value by construction — a hash,
//! a DID, a signature, a time stamp, a claim's *name*, a jurisdiction code.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::NoPersonalData;
use super::claims::PERSONAL_CLAIMS;
use crate::did::{Did, DidKey};
use crate::vc::DateTimeStamp;

/// A wire value that does not have its type's form. Names the type, never the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {what}")]
pub struct WireError {
    /// The type expected (e.g. `digest`, `did:key`).
    pub what: &'static str,
}

/// Defines a validated text newtype serialised as a JSON string.
macro_rules! validated_text {
    ($(#[$meta:meta])* $name:ident, $what:literal, $valid:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates `text`.
            pub fn new(text: impl Into<String>) -> Result<$name, WireError> {
                let text = text.into();
                let valid: fn(&str) -> bool = $valid;
                if valid(&text) {
                    Ok($name(text))
                } else {
                    Err(WireError { what: $what })
                }
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = WireError;
            fn try_from(text: String) -> Result<$name, WireError> {
                $name::new(text)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl NoPersonalData for $name {}
    };
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric())
        && text.len() <= 64
}

validated_text!(
    /// A claim's name under `credentialSubject` (an ASCII identifier of at most 64
    /// characters) that is not one of the personal claims
    /// ([`PERSONAL_CLAIMS`](super::PERSONAL_CLAIMS)).
    ClaimName,
    "claim name",
    |text| is_identifier(text) && !PERSONAL_CLAIMS.contains(&text)
);

validated_text!(
    /// A credential type (`HealthCode`): an ASCII identifier of at most 64 characters.
    CredentialTypeName,
    "credential type",
    is_identifier
);

validated_text!(
    /// A jurisdiction code: ISO 3166-1 alpha-2, optionally with an ISO 3166-2 subdivision
    /// (`MO`, `CN-GD`).
    Jurisdiction,
    "jurisdiction code",
    |text| {
        let (country, subdivision) = text.split_once('-').unwrap_or((text, ""));
        country.len() == 2
            && country.bytes().all(|b| b.is_ascii_uppercase())
            && (text.len() == 2
                || (1..=3).contains(&subdivision.len())
                    && subdivision
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
    }
);

validated_text!(
    /// A DID of an authority (any DID method; the registry's `did:crosscode:…` in practice).
    AuthorityDid,
    "DID",
    |text| Did::parse(text).is_ok()
);

validated_text!(
    /// A holder's `did:key`.
    HolderDid,
    "did:key",
    |text| DidKey::parse_str(text).is_ok()
);

validated_text!(
    /// A single-use challenge: 32 random bytes, base64url without padding (43 characters).
    Challenge,
    "challenge",
    |text| text.len() == 43 && URL_SAFE_NO_PAD.decode(text).is_ok_and(|bytes| bytes.len() == 32)
);

validated_text!(
    /// Text a service wrote itself (a refusal's explanation): at most 512 characters, never a
    /// claim's value (the house rule for every error message).
    PublicText,
    "public text",
    |text| text.chars().count() <= 512
);

impl Challenge {
    /// A fresh challenge of 32 random bytes.
    pub fn random() -> Challenge {
        let mut bytes = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
        Challenge(URL_SAFE_NO_PAD.encode(bytes))
    }
}

impl HolderDid {
    /// The parsed `did:key`.
    pub fn did_key(&self) -> Result<DidKey, WireError> {
        DidKey::parse_str(&self.0).map_err(|_| WireError { what: "did:key" })
    }
}

impl PublicText {
    /// `text` cut to 512 characters.
    pub fn truncated(text: &str) -> PublicText {
        PublicText(text.chars().take(512).collect())
    }
}

/// A 32-byte hash, as 64 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Digest(pub [u8; 32]);

impl TryFrom<String> for Digest {
    type Error = WireError;
    fn try_from(text: String) -> Result<Digest, WireError> {
        let what = WireError { what: "digest" };
        if text.len() != 64 || text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(what);
        }
        let bytes = hex::decode(&text).map_err(|_| what.clone())?;
        Ok(Digest(bytes.try_into().map_err(|_| what)?))
    }
}

impl From<Digest> for String {
    fn from(digest: Digest) -> String {
        hex::encode(digest.0)
    }
}

impl NoPersonalData for Digest {}

/// A signature's bytes, as base64url without padding (at most 512 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SignatureValue(pub Vec<u8>);

impl TryFrom<String> for SignatureValue {
    type Error = WireError;
    fn try_from(text: String) -> Result<SignatureValue, WireError> {
        match URL_SAFE_NO_PAD.decode(text) {
            Ok(bytes) if bytes.len() <= 512 => Ok(SignatureValue(bytes)),
            _ => Err(WireError { what: "signature" }),
        }
    }
}

impl From<SignatureValue> for String {
    fn from(signature: SignatureValue) -> String {
        URL_SAFE_NO_PAD.encode(signature.0)
    }
}

impl NoPersonalData for SignatureValue {}

/// An instant as an XML Schema `dateTimeStamp` (`2026-12-06T10:00:00Z`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(pub DateTimeStamp);

impl TryFrom<String> for Timestamp {
    type Error = WireError;
    fn try_from(text: String) -> Result<Timestamp, WireError> {
        DateTimeStamp::parse(&text).map(Timestamp).ok_or(WireError {
            what: "dateTimeStamp",
        })
    }
}

impl From<Timestamp> for String {
    fn from(stamp: Timestamp) -> String {
        stamp.0.as_str().to_owned()
    }
}

impl NoPersonalData for Timestamp {}

/// A conversion policy's CertLogic rules (the EU DCC gateway rule format, as the verifier's
/// `RuleSet` reads it): a JSON array. They are the publishing jurisdiction's own public rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub struct PolicyRules(Value);

impl PolicyRules {
    /// The rules (a JSON array).
    pub fn new(rules: Value) -> Result<PolicyRules, WireError> {
        match rules {
            Value::Array(_) => Ok(PolicyRules(rules)),
            _ => Err(WireError { what: "rule array" }),
        }
    }

    /// The rules' JSON.
    pub fn as_value(&self) -> &Value {
        &self.0
    }
}

impl TryFrom<Value> for PolicyRules {
    type Error = WireError;
    fn try_from(rules: Value) -> Result<PolicyRules, WireError> {
        PolicyRules::new(rules)
    }
}

impl From<PolicyRules> for Value {
    fn from(rules: PolicyRules) -> Value {
        rules.0
    }
}

impl NoPersonalData for PolicyRules {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_are_validated_when_parsed_and_errors_do_not_echo_the_value() {
        assert!(Jurisdiction::new("CN-GD").is_ok());
        assert!(Jurisdiction::new("MO").is_ok());
        assert!(Jurisdiction::new("cn-gd").is_err());
        assert!(ClaimName::new("statusColour").is_ok());
        let refused = ClaimName::new("birthDate").unwrap_err();
        assert_eq!(refused.to_string(), "not a valid claim name");
        assert!(serde_json::from_str::<Digest>(&format!("\"{}\"", "ab".repeat(32))).is_ok());
        assert!(serde_json::from_str::<Digest>(&format!("\"{}\"", "AB".repeat(32))).is_err());
        assert!(serde_json::from_str::<Challenge>("\"short\"").is_err());
        let challenge = Challenge::random();
        let json = serde_json::to_string(&challenge).unwrap();
        assert_eq!(serde_json::from_str::<Challenge>(&json).unwrap(), challenge);
        assert!(serde_json::from_str::<HolderDid>("\"did:key:nope\"").is_err());
        assert!(serde_json::from_str::<Timestamp>("\"2026-12-06T10:00:00Z\"").is_ok());
        assert!(serde_json::from_str::<PolicyRules>("{}").is_err());
    }
}
