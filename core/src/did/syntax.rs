//! DID and DID URL syntax (W3C DID Core §3.1, §3.2).
//!
//! ```text
//! did                = "did:" method-name ":" method-specific-id
//! method-name        = 1*method-char
//! method-char        = %x61-7A / DIGIT
//! method-specific-id = *( *idchar ":" ) 1*idchar
//! idchar             = ALPHA / DIGIT / "." / "-" / "_" / pct-encoded
//! pct-encoded        = "%" HEXDIG HEXDIG
//! did-url            = did path-abempty [ "?" query ] [ "#" fragment ]
//! ```
//!
//! with `path-abempty`, `query` and `fragment` from RFC 3986.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::DidError;

/// Longest DID or DID URL accepted (bounds work and memory on hostile input).
pub const MAX_DID_LEN: usize = 4096;

/// A syntactically valid DID (`did:<method>:<method-specific-id>`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Did {
    text: String,
    /// Byte index of the `:` after the method name.
    method_end: usize,
}

/// A syntactically valid DID URL: a DID plus optional path, query and fragment.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DidUrl {
    text: String,
    did: Did,
    path: Option<(usize, usize)>,
    query: Option<(usize, usize)>,
    fragment: Option<(usize, usize)>,
}

fn invalid_did(input: &str, reason: &'static str) -> DidError {
    DidError::InvalidDid {
        input: shorten(input),
        reason,
    }
}

fn invalid_url(input: &str, reason: &'static str) -> DidError {
    DidError::InvalidDidUrl {
        input: shorten(input),
        reason,
    }
}

/// At most 80 characters of an input, for error messages.
pub(crate) fn shorten(input: &str) -> String {
    let mut out: String = input.chars().take(80).collect();
    if out.len() < input.len() {
        out.push('…');
    }
    out
}

fn is_hex(byte: u8) -> bool {
    byte.is_ascii_hexdigit()
}

/// Checks `%HH` at `bytes[i]`; returns the index after it.
fn pct_encoded(bytes: &[u8], i: usize) -> Option<usize> {
    match (bytes.get(i), bytes.get(i + 1), bytes.get(i + 2)) {
        (Some(b'%'), Some(&h1), Some(&h2)) if is_hex(h1) && is_hex(h2) => Some(i + 3),
        _ => None,
    }
}

fn is_idchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_')
}

fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

fn is_sub_delim(byte: u8) -> bool {
    matches!(
        byte,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

fn is_pchar(byte: u8) -> bool {
    is_unreserved(byte) || is_sub_delim(byte) || matches!(byte, b':' | b'@')
}

/// Validates a DID; returns the index of the `:` ending the method name.
fn validate_did(input: &str) -> Result<usize, DidError> {
    if input.len() > MAX_DID_LEN {
        return Err(invalid_did(input, "longer than 4096 bytes"));
    }
    let rest = input
        .strip_prefix("did:")
        .ok_or_else(|| invalid_did(input, "does not start with \"did:\""))?;
    let method_len = rest
        .find(':')
        .ok_or_else(|| invalid_did(input, "no ':' after the method name"))?;
    let method = &rest[..method_len];
    if method.is_empty() {
        return Err(invalid_did(input, "empty method name"));
    }
    if !method
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return Err(invalid_did(
            input,
            "method name must be lowercase letters and digits",
        ));
    }
    let id = &rest[method_len + 1..];
    validate_method_specific_id(input, id)?;
    Ok(4 + method_len)
}

fn validate_method_specific_id(input: &str, id: &str) -> Result<(), DidError> {
    if id.is_empty() {
        return Err(invalid_did(input, "empty method-specific id"));
    }
    if id.ends_with(':') {
        return Err(invalid_did(input, "method-specific id ends with ':'"));
    }
    let bytes = id.as_bytes();
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if is_idchar(byte) || byte == b':' {
            i += 1;
        } else if byte == b'%' {
            i = pct_encoded(bytes, i)
                .ok_or_else(|| invalid_did(input, "bad percent-encoding in method-specific id"))?;
        } else {
            return Err(invalid_did(
                input,
                "method-specific id has a character outside ALPHA / DIGIT / . - _ : %HH",
            ));
        }
    }
    Ok(())
}

/// Checks `text` is made of pchars, pct-encoded and the extra bytes in `extra`.
fn validate_uri_part(text: &str, extra: &[u8]) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if is_pchar(byte) || extra.contains(&byte) {
            i += 1;
        } else if byte == b'%' {
            match pct_encoded(bytes, i) {
                Some(next) => i = next,
                None => return false,
            }
        } else {
            return false;
        }
    }
    true
}

impl Did {
    /// Parses and validates a DID.
    pub fn parse(input: &str) -> Result<Did, DidError> {
        let method_end = validate_did(input)?;
        Ok(Did {
            text: input.to_owned(),
            method_end,
        })
    }

    /// Builds `did:<method>:<method_specific_id>` and validates it.
    pub fn new(method: &str, method_specific_id: &str) -> Result<Did, DidError> {
        Did::parse(&format!("did:{method}:{method_specific_id}"))
    }

    /// The whole DID.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The method name (e.g. `key`).
    pub fn method(&self) -> &str {
        self.text.get(4..self.method_end).unwrap_or_default()
    }

    /// The method-specific id (after `did:<method>:`).
    pub fn method_specific_id(&self) -> &str {
        self.text.get(self.method_end + 1..).unwrap_or_default()
    }

    /// The DID URL `<did>#<fragment>` (the fragment is validated).
    pub fn with_fragment(&self, fragment: &str) -> Result<DidUrl, DidError> {
        DidUrl::parse(&format!("{}#{fragment}", self.text))
    }
}

impl Did {
    /// `did:key:<multibase>` for a base58btc multibase string (only idchars, so valid).
    pub(crate) fn from_trusted_did_key(multibase: &str) -> Did {
        Did {
            text: format!("did:key:{multibase}"),
            method_end: 7,
        }
    }
}

impl DidUrl {
    /// `<did>#<method-specific-id>` for a did:key (idchars are valid fragment chars).
    pub(crate) fn from_trusted_did_key_fragment(did: &Did) -> DidUrl {
        let text = format!("{}#{}", did.as_str(), did.method_specific_id());
        let start = did.as_str().len() + 1;
        let end = text.len();
        DidUrl {
            text,
            did: did.clone(),
            path: None,
            query: None,
            fragment: Some((start, end)),
        }
    }

    /// Parses and validates a DID URL (a plain DID is a DID URL too).
    pub fn parse(input: &str) -> Result<DidUrl, DidError> {
        if input.len() > MAX_DID_LEN {
            return Err(invalid_url(input, "longer than 4096 bytes"));
        }
        let did_end = input.find(['/', '?', '#']).unwrap_or(input.len());
        let did = Did::parse(&input[..did_end])?;
        let (before_fragment, fragment) = match input[did_end..].find('#') {
            Some(pos) => (did_end + pos, Some((did_end + pos + 1, input.len()))),
            None => (input.len(), None),
        };
        let (path_end, query) = match input[did_end..before_fragment].find('?') {
            Some(pos) => (did_end + pos, Some((did_end + pos + 1, before_fragment))),
            None => (before_fragment, None),
        };
        let path = (path_end > did_end).then_some((did_end, path_end));
        if let Some((start, end)) = path
            && !validate_uri_part(&input[start..end], b"/")
        {
            return Err(invalid_url(input, "invalid character in path"));
        }
        if let Some((start, end)) = query
            && !validate_uri_part(&input[start..end], b"/?")
        {
            return Err(invalid_url(input, "invalid character in query"));
        }
        if let Some((start, end)) = fragment
            && !validate_uri_part(&input[start..end], b"/?")
        {
            return Err(invalid_url(input, "invalid character in fragment"));
        }
        Ok(DidUrl {
            text: input.to_owned(),
            did,
            path,
            query,
            fragment,
        })
    }

    /// The whole DID URL.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The DID part.
    pub fn did(&self) -> &Did {
        &self.did
    }

    /// The path (starting with `/`), if any.
    pub fn path(&self) -> Option<&str> {
        self.path.and_then(|(s, e)| self.text.get(s..e))
    }

    /// The query (after `?`), if any.
    pub fn query(&self) -> Option<&str> {
        self.query.and_then(|(s, e)| self.text.get(s..e))
    }

    /// The fragment (after `#`), if any.
    pub fn fragment(&self) -> Option<&str> {
        self.fragment.and_then(|(s, e)| self.text.get(s..e))
    }
}

impl fmt::Display for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Did({})", self.text)
    }
}

impl fmt::Display for DidUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for DidUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DidUrl({})", self.text)
    }
}

impl FromStr for Did {
    type Err = DidError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Did::parse(s)
    }
}

impl FromStr for DidUrl {
    type Err = DidError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DidUrl::parse(s)
    }
}

impl TryFrom<String> for Did {
    type Error = DidError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        let method_end = validate_did(&value)?;
        Ok(Did {
            text: value,
            method_end,
        })
    }
}

impl TryFrom<&str> for Did {
    type Error = DidError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Did::parse(value)
    }
}

impl TryFrom<&str> for DidUrl {
    type Error = DidError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        DidUrl::parse(value)
    }
}

impl From<Did> for DidUrl {
    fn from(did: Did) -> Self {
        DidUrl {
            text: did.text.clone(),
            did,
            path: None,
            query: None,
            fragment: None,
        }
    }
}

impl AsRef<str> for Did {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl AsRef<str> for DidUrl {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl Serialize for Did {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Did {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Did::try_from(text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for DidUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for DidUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        DidUrl::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_dids() {
        for text in [
            "did:example:123456789abcdefghi",
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "did:web:example.com%3A8443:user:alice",
            "did:a1:b",
            "did:m:a::b",
            "did:m:%41",
        ] {
            let did = Did::parse(text).unwrap();
            assert_eq!(did.as_str(), text);
        }
        let did = Did::parse("did:web:example.com:user").unwrap();
        assert_eq!(did.method(), "web");
        assert_eq!(did.method_specific_id(), "example.com:user");
    }

    #[test]
    fn invalid_dids() {
        for text in [
            "",
            "did:",
            "did::x",
            "did:Key:x",
            "did:ke-y:x",
            "did:key:",
            "did:key:a:",
            "did:key:a b",
            "did:key:a%2",
            "did:key:a%zz",
            "did:key:a/b",
            "did:key:a#b",
            "DID:key:x",
            "urn:key:x",
            "did:key",
            "did:key:é",
        ] {
            assert!(
                matches!(Did::parse(text), Err(DidError::InvalidDid { .. })),
                "{text:?} accepted"
            );
        }
        let long = format!("did:key:{}", "a".repeat(MAX_DID_LEN));
        assert!(matches!(
            Did::parse(&long),
            Err(DidError::InvalidDid { .. })
        ));
    }

    #[test]
    fn did_urls() {
        let url = DidUrl::parse("did:example:123/path/a?service=x&y=1#key-1").unwrap();
        assert_eq!(url.did().as_str(), "did:example:123");
        assert_eq!(url.path(), Some("/path/a"));
        assert_eq!(url.query(), Some("service=x&y=1"));
        assert_eq!(url.fragment(), Some("key-1"));
        let url = DidUrl::parse("did:example:123#a?b/c").unwrap();
        assert_eq!(url.path(), None);
        assert_eq!(url.query(), None);
        assert_eq!(url.fragment(), Some("a?b/c"));
        let url = DidUrl::parse("did:example:123").unwrap();
        assert_eq!(
            (url.path(), url.query(), url.fragment()),
            (None, None, None)
        );
        let url = DidUrl::parse("did:example:123#").unwrap();
        assert_eq!(url.fragment(), Some(""));
        for text in [
            "did:example:123#a b",
            "did:example:123#a#b",
            "did:example:123?q=<",
            "did:example:123/p%zz",
            "did:Example:123#x",
            "#x",
        ] {
            assert!(DidUrl::parse(text).is_err(), "{text:?} accepted");
        }
        assert!(matches!(
            DidUrl::parse("did:example:123#a b"),
            Err(DidError::InvalidDidUrl { .. })
        ));
        assert!(matches!(
            DidUrl::parse("did:Example:123#x"),
            Err(DidError::InvalidDid { .. })
        ));
    }

    #[test]
    fn serde_validates() {
        let did: Did = serde_json::from_str("\"did:key:abc\"").unwrap();
        assert_eq!(serde_json::to_string(&did).unwrap(), "\"did:key:abc\"");
        assert!(serde_json::from_str::<Did>("\"did:key:\"").is_err());
        let url: DidUrl = serde_json::from_str("\"did:key:abc#abc\"").unwrap();
        assert_eq!(url.fragment(), Some("abc"));
        assert!(serde_json::from_str::<DidUrl>("\"did:key:abc#a b\"").is_err());
    }

    #[test]
    fn with_fragment_and_errors_shorten_input() {
        let did = Did::parse("did:key:abc").unwrap();
        assert_eq!(did.with_fragment("k1").unwrap().as_str(), "did:key:abc#k1");
        assert!(did.with_fragment("k 1").is_err());
        let long = format!("bad{}", "x".repeat(200));
        match Did::parse(&long) {
            Err(DidError::InvalidDid { input, .. }) => assert!(input.chars().count() <= 81),
            other => panic!("unexpected {other:?}"),
        }
    }
}
