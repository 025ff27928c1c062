//! The W3C Verifiable Credentials Data Model 2.0: typed [`Credential`] and [`Presentation`]
//! with validation.
//!
//! Both types are built from a [`serde_json::Value`] by a validating constructor
//! ([`Credential::from_value`], [`Presentation::from_value`]) that returns a typed
//! [`VcError`] naming what is wrong; their serde `Deserialize` implementations run the same
//! validation. Properties the model does not name (`name`, `description`, `evidence`, a
//! `proof`, extension properties, …) are kept, so [`Credential::to_value`] gives back the
//! document it was built from (the same members with the same values; JSON object member order
//! is not significant and not kept).
//!
//! Validation (VC Data Model 2.0 §4):
//! - `@context`: an ordered set whose first item is [`VC_V2_CONTEXT`]; the other items are
//!   URLs or objects;
//! - `type`: includes `VerifiableCredential` (resp. `VerifiablePresentation`);
//! - `id` (optional): a URL;
//! - `issuer`: a URL, or an object with an `id` URL;
//! - `validFrom` / `validUntil` (optional): XML Schema `dateTimeStamp` (a date-time with a
//!   time-zone offset), `validFrom` not after `validUntil`;
//! - `credentialSubject`: an object or a non-empty array of objects, each with at least one
//!   property;
//! - `credentialStatus` (optional, one or more): `type` required, `id` a URL when present;
//! - `credentialSchema` (optional, one or more): `id` (a URL) and `type` required.

/// Implements serde `Serialize` / `Deserialize` for a document type through its `to_value` and
/// validating `from_value`.
macro_rules! serde_via_value {
    ($document:ident) => {
        impl serde::Serialize for $document {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serde::Serialize::serialize(&self.to_value(), serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $document {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <serde_json::Value as serde::Deserialize>::deserialize(deserializer)?;
                $document::from_value(&value).map_err(serde::de::Error::custom)
            }
        }
    };
}

mod credential;
mod date_time;
mod presentation;
mod securing;

pub use self::credential::{Credential, CredentialSchema, CredentialStatus, Issuer};
pub use self::date_time::DateTimeStamp;
pub use self::presentation::{Holder, Presentation};
pub use self::securing::{
    PresentationRequest, ProofKey, SecuringError, issue, issue_document, present,
    verify_credential, verify_presentation,
};

use serde_json::{Map, Value};

/// The base context every VC 2.0 document lists first.
pub const VC_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// The type every credential has.
pub const VERIFIABLE_CREDENTIAL_TYPE: &str = "VerifiableCredential";
/// The type every presentation has.
pub const VERIFIABLE_PRESENTATION_TYPE: &str = "VerifiablePresentation";

/// Why a JSON document is not a valid VC 2.0 credential or presentation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VcError {
    /// The text is not JSON.
    #[error("not JSON: {0}")]
    Json(String),
    /// The document is not a JSON object.
    #[error("the document is not a JSON object")]
    NotAnObject,
    /// `@context` is missing.
    #[error("@context is missing")]
    MissingContext,
    /// `@context` is not a list of URLs / objects, or its first item is not the VC 2.0 context.
    #[error("@context must start with {VC_V2_CONTEXT}: {reason}")]
    InvalidContext {
        /// What is wrong.
        reason: &'static str,
    },
    /// A required property is missing.
    #[error("{property} is missing")]
    MissingProperty {
        /// The property name (a JSON pointer-like path for nested ones).
        property: &'static str,
    },
    /// A property has the wrong JSON type or an invalid value.
    #[error("{property} is invalid: {reason}")]
    InvalidProperty {
        /// The property name.
        property: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// `type` does not include the required type.
    #[error("type must include {required}")]
    MissingType {
        /// The type that must be present.
        required: &'static str,
    },
    /// A property that must be a URL is not one.
    #[error("{property} must be a URL, got {value:?}")]
    NotAUrl {
        /// The property name.
        property: &'static str,
        /// The value (at most 80 characters of it).
        value: String,
    },
    /// A date-time is not an XML Schema `dateTimeStamp`.
    #[error("{property} is not an XML Schema dateTimeStamp: {value:?}")]
    InvalidDateTime {
        /// The property name.
        property: &'static str,
        /// The value (at most 80 characters of it).
        value: String,
    },
    /// `validFrom` is later than `validUntil`.
    #[error("validFrom is later than validUntil")]
    ValidFromAfterValidUntil,
    /// `credentialSubject` is an empty array or holds an empty object.
    #[error("credentialSubject must hold at least one non-empty object")]
    EmptyCredentialSubject,
}

/// Why a credential is not valid at a given instant (its validity window).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidityError {
    /// The instant is before `validFrom`.
    #[error("not valid before {valid_from}")]
    NotYetValid {
        /// The credential's `validFrom`.
        valid_from: String,
    },
    /// The instant is after `validUntil`.
    #[error("expired at {valid_until}")]
    Expired {
        /// The credential's `validUntil`.
        valid_until: String,
    },
}

/// True when the JSON document's `type` (a string or an array of strings) includes `name`.
pub(crate) fn has_type(document: &Value, name: &str) -> bool {
    match document.get("type") {
        Some(Value::String(type_name)) => type_name == name,
        Some(Value::Array(names)) => names
            .iter()
            .any(|type_name| type_name.as_str() == Some(name)),
        _ => false,
    }
}

/// The validity-window rule of every securing form (Data Integrity proofs and the COSE form of
/// the CC1 envelope): valid from `valid_from` (inclusive) to `valid_until` (inclusive), each
/// bound only when present.
pub fn check_validity_window(
    valid_from: Option<&DateTimeStamp>,
    valid_until: Option<&DateTimeStamp>,
    at: time::OffsetDateTime,
) -> Result<(), ValidityError> {
    if let Some(from) = valid_from
        && at < from.instant()
    {
        return Err(ValidityError::NotYetValid {
            valid_from: from.as_str().into(),
        });
    }
    if let Some(until) = valid_until
        && at > until.instant()
    {
        return Err(ValidityError::Expired {
            valid_until: until.as_str().into(),
        });
    }
    Ok(())
}

/// A JSON value that may be written either as one item or as an array of items; the form is
/// kept so that serializing gives the same JSON back.
#[derive(Debug, Clone, PartialEq)]
pub enum OneOrMany<T> {
    /// A single item, written without an array.
    One(T),
    /// An array of items.
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// The items, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        match self {
            OneOrMany::One(item) => std::slice::from_ref(item).iter(),
            OneOrMany::Many(items) => items.iter(),
        }
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        match self {
            OneOrMany::One(_) => 1,
            OneOrMany::Many(items) => items.len(),
        }
    }

    /// True when there is no item (an empty array).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first item, if any.
    pub fn first(&self) -> Option<&T> {
        self.iter().next()
    }

    fn to_value(&self, mut item: impl FnMut(&T) -> Value) -> Value {
        match self {
            OneOrMany::One(single) => item(single),
            OneOrMany::Many(items) => Value::Array(items.iter().map(item).collect()),
        }
    }
}

impl<'a, T> IntoIterator for &'a OneOrMany<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Reads a value written as one item or an array of items.
fn one_or_many<U, E>(
    value: &Value,
    mut item: impl FnMut(&Value) -> Result<U, E>,
) -> Result<OneOrMany<U>, E> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(&mut item)
            .collect::<Result<Vec<_>, _>>()
            .map(OneOrMany::Many),
        single => item(single).map(OneOrMany::One),
    }
}

/// At most 80 characters of `text`, for error messages.
fn shorten(text: &str) -> String {
    text.chars().take(80).collect()
}

/// True when `text` looks like an absolute URL / URI: a scheme (`ALPHA *( ALPHA / DIGIT / "+" /
/// "-" / "." )`), a colon and a non-empty, whitespace-free rest (RFC 3986 §3.1).
pub fn is_url(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut scheme_chars = scheme.chars();
    let scheme_ok = scheme_chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic())
        && scheme_chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    scheme_ok && !rest.is_empty() && !rest.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Reads `@context`: an array (or a single string) whose first item is [`VC_V2_CONTEXT`];
/// every item a URL string or an object.
fn parse_context(document: &Map<String, Value>) -> Result<OneOrMany<Value>, VcError> {
    let context = document.get("@context").ok_or(VcError::MissingContext)?;
    let parsed = one_or_many(context, |item| match item {
        Value::String(url) if is_url(url) => Ok(item.clone()),
        Value::Object(_) => Ok(item.clone()),
        _ => Err(VcError::InvalidContext {
            reason: "every item must be a URL or an object",
        }),
    })?;
    match parsed.first() {
        Some(Value::String(first)) if first == VC_V2_CONTEXT => Ok(parsed),
        Some(_) => Err(VcError::InvalidContext {
            reason: "the first item is another context",
        }),
        None => Err(VcError::InvalidContext {
            reason: "it is empty",
        }),
    }
}

/// Reads `type`: a string or an array of strings that includes `required`.
fn parse_types(
    document: &Map<String, Value>,
    required: &'static str,
) -> Result<OneOrMany<String>, VcError> {
    let types = document
        .get("type")
        .ok_or(VcError::MissingProperty { property: "type" })?;
    let parsed = one_or_many(types, |item| match item {
        Value::String(name) if !name.is_empty() => Ok(name.clone()),
        _ => Err(VcError::InvalidProperty {
            property: "type",
            reason: "every type must be a non-empty string",
        }),
    })?;
    if parsed.iter().any(|name| name == required) {
        Ok(parsed)
    } else {
        Err(VcError::MissingType { required })
    }
}

/// Reads an optional URL-valued string property.
fn optional_url(
    object: &Map<String, Value>,
    property: &'static str,
) -> Result<Option<String>, VcError> {
    url_member(object, property, property)
}

/// Reads the optional URL-valued string member `name`; errors name it `property` (e.g.
/// `issuer.id` for the `id` of the issuer object).
fn url_member(
    object: &Map<String, Value>,
    name: &str,
    property: &'static str,
) -> Result<Option<String>, VcError> {
    match object.get(name) {
        None => Ok(None),
        Some(Value::String(url)) if is_url(url) => Ok(Some(url.clone())),
        Some(Value::String(other)) => Err(VcError::NotAUrl {
            property,
            value: shorten(other),
        }),
        Some(_) => Err(VcError::InvalidProperty {
            property,
            reason: "must be a string",
        }),
    }
}

/// Reads the `type` of a status / schema entry: a non-empty string or array of strings.
fn entry_type(
    object: &Map<String, Value>,
    property: &'static str,
) -> Result<OneOrMany<String>, VcError> {
    let value = object
        .get("type")
        .ok_or(VcError::MissingProperty { property })?;
    let parsed = one_or_many(value, |item| match item {
        Value::String(name) if !name.is_empty() => Ok(name.clone()),
        _ => Err(VcError::InvalidProperty {
            property,
            reason: "type must be a non-empty string",
        }),
    })?;
    if parsed.is_empty() {
        return Err(VcError::InvalidProperty {
            property,
            reason: "type must not be empty",
        });
    }
    Ok(parsed)
}

/// A copy of the members of `object` other than `names` (only those are cloned).
fn members_except(object: &Map<String, Value>, names: &[&str]) -> Map<String, Value> {
    object
        .iter()
        .filter(|(name, _)| !names.contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// The document as a JSON object, or [`VcError::NotAnObject`].
fn as_object(value: &Value) -> Result<&Map<String, Value>, VcError> {
    value.as_object().ok_or(VcError::NotAnObject)
}

fn strings_to_value(items: &OneOrMany<String>) -> Value {
    items.to_value(|name| Value::String(name.clone()))
}

/// Parses JSON text into a value, or [`VcError::Json`].
fn parse_json(text: &str) -> Result<Value, VcError> {
    serde_json::from_str(text).map_err(|error| VcError::Json(error.to_string()))
}

/// The members every credential and presentation has, validated.
struct CommonMembers {
    /// `@context`.
    context: OneOrMany<Value>,
    /// `id`, if any.
    id: Option<String>,
    /// `type`.
    types: OneOrMany<String>,
}

impl CommonMembers {
    /// Validates `@context`, then `type` (which must include `required_type`), then `id`.
    fn parse(
        document: &Map<String, Value>,
        required_type: &'static str,
    ) -> Result<CommonMembers, VcError> {
        let context = parse_context(document)?;
        let types = parse_types(document, required_type)?;
        let id = optional_url(document, "id")?;
        Ok(CommonMembers { context, id, types })
    }
}

/// `extra` with `@context`, `id` (when present) and `type` added: a document as JSON.
fn with_common_members(
    extra: &Map<String, Value>,
    context: &OneOrMany<Value>,
    id: Option<&String>,
    types: &OneOrMany<String>,
) -> Map<String, Value> {
    let mut object = extra.clone();
    object.insert("@context".into(), context.to_value(Clone::clone));
    if let Some(id) = id {
        object.insert("id".into(), Value::String(id.clone()));
    }
    object.insert("type".into(), strings_to_value(types));
    object
}

/// Reads a party (`issuer`, `holder`): a URL, or an object with an `id` URL. Gives the id and,
/// for an object, its other members; errors name `property` or `id_property`.
fn parse_party(
    value: &Value,
    property: &'static str,
    id_property: &'static str,
) -> Result<(String, Option<Map<String, Value>>), VcError> {
    match value {
        Value::String(url) if is_url(url) => Ok((url.clone(), None)),
        Value::String(other) => Err(VcError::NotAUrl {
            property,
            value: shorten(other),
        }),
        Value::Object(object) => {
            let id = url_member(object, "id", id_property)?.ok_or(VcError::MissingProperty {
                property: id_property,
            })?;
            Ok((id, Some(members_except(object, &["id"]))))
        }
        _ => Err(VcError::InvalidProperty {
            property,
            reason: "must be a URL or an object with an id",
        }),
    }
}

/// A party as JSON: the URL, or the object with its `id`.
fn party_to_value(id: &str, extra: Option<&Map<String, Value>>) -> Value {
    match extra {
        None => Value::String(id.to_owned()),
        Some(extra) => {
            let mut object = extra.clone();
            object.insert("id".into(), Value::String(id.to_owned()));
            Value::Object(object)
        }
    }
}
