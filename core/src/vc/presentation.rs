//! The verifiable presentation.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::{
    Credential, OneOrMany, VERIFIABLE_CREDENTIAL_TYPE, VERIFIABLE_PRESENTATION_TYPE, VcError,
    as_object, optional_url, parse_context, parse_types, shorten, strings_to_value,
};

const KNOWN: [&str; 5] = ["@context", "id", "type", "holder", "verifiableCredential"];

/// A VC 2.0 verifiable presentation (validated; unknown properties kept in `extra`).
#[derive(Debug, Clone, PartialEq)]
pub struct Presentation {
    /// `@context`: first item [`super::VC_V2_CONTEXT`].
    pub context: OneOrMany<Value>,
    /// `id` (a URL), if any.
    pub id: Option<String>,
    /// `type`, including `VerifiablePresentation`.
    pub types: OneOrMany<String>,
    /// `holder`, if any.
    pub holder: Option<Holder>,
    /// `verifiableCredential`: embedded credentials (validated as [`Credential`]s) or other
    /// objects such as `EnvelopedVerifiableCredential`s, kept as JSON.
    pub verifiable_credential: Option<OneOrMany<Value>>,
    /// Every other property (`proof`, extensions, …).
    pub extra: Map<String, Value>,
}

/// The `holder` of a presentation: a URL, or an object with an `id` URL.
#[derive(Debug, Clone, PartialEq)]
pub enum Holder {
    /// `"holder": "did:…"`.
    Url(String),
    /// `"holder": { "id": "did:…", … }`.
    Object {
        /// The holder's `id`.
        id: String,
        /// The other properties.
        extra: Map<String, Value>,
    },
}

impl Holder {
    /// The holder's identifier.
    pub fn id(&self) -> &str {
        match self {
            Holder::Url(id) | Holder::Object { id, .. } => id,
        }
    }

    fn parse(value: &Value) -> Result<Holder, VcError> {
        match value {
            Value::String(url) if super::is_url(url) => Ok(Holder::Url(url.clone())),
            Value::String(other) => Err(VcError::NotAUrl {
                property: "holder",
                value: shorten(other),
            }),
            Value::Object(object) => match object.get("id") {
                Some(Value::String(id)) if super::is_url(id) => {
                    let extra = super::members_except(object, &["id"]);
                    Ok(Holder::Object {
                        id: id.clone(),
                        extra,
                    })
                }
                Some(Value::String(other)) => Err(VcError::NotAUrl {
                    property: "holder.id",
                    value: shorten(other),
                }),
                Some(_) => Err(VcError::InvalidProperty {
                    property: "holder.id",
                    reason: "must be a string",
                }),
                None => Err(VcError::MissingProperty {
                    property: "holder.id",
                }),
            },
            _ => Err(VcError::InvalidProperty {
                property: "holder",
                reason: "must be a URL or an object with an id",
            }),
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Holder::Url(url) => Value::String(url.clone()),
            Holder::Object { id, extra } => {
                let mut object = extra.clone();
                object.insert("id".into(), Value::String(id.clone()));
                Value::Object(object)
            }
        }
    }
}

fn is_embedded_credential(item: &Value) -> bool {
    match item.get("type") {
        Some(Value::String(name)) => name == VERIFIABLE_CREDENTIAL_TYPE,
        Some(Value::Array(names)) => names
            .iter()
            .any(|name| name.as_str() == Some(VERIFIABLE_CREDENTIAL_TYPE)),
        _ => false,
    }
}

impl Presentation {
    /// Parses and validates a presentation from JSON text.
    pub fn from_json(text: &str) -> Result<Presentation, VcError> {
        let value: Value =
            serde_json::from_str(text).map_err(|error| VcError::Json(error.to_string()))?;
        Presentation::from_value(&value)
    }

    /// Validates a presentation given as a JSON value. Embedded credentials (objects whose
    /// `type` includes `VerifiableCredential`) must be valid credentials themselves.
    pub fn from_value(value: &Value) -> Result<Presentation, VcError> {
        let object = as_object(value)?;
        let context = parse_context(object)?;
        let types = parse_types(object, VERIFIABLE_PRESENTATION_TYPE)?;
        let id = optional_url(object, "id")?;
        let holder = object.get("holder").map(Holder::parse).transpose()?;
        let verifiable_credential = object
            .get("verifiableCredential")
            .map(|credentials| {
                super::one_or_many(credentials, |item| {
                    if !item.is_object() {
                        return Err(VcError::InvalidProperty {
                            property: "verifiableCredential",
                            reason: "every entry must be an object",
                        });
                    }
                    if is_embedded_credential(item) {
                        Credential::from_value(item)?;
                    }
                    Ok(item.clone())
                })
            })
            .transpose()?;
        let extra = super::members_except(object, &KNOWN);
        Ok(Presentation {
            context,
            id,
            types,
            holder,
            verifiable_credential,
            extra,
        })
    }

    /// The presentation as a JSON value.
    pub fn to_value(&self) -> Value {
        let mut object = self.extra.clone();
        object.insert("@context".into(), self.context.to_value(Clone::clone));
        if let Some(id) = &self.id {
            object.insert("id".into(), Value::String(id.clone()));
        }
        object.insert("type".into(), strings_to_value(&self.types));
        if let Some(holder) = &self.holder {
            object.insert("holder".into(), holder.to_value());
        }
        if let Some(credentials) = &self.verifiable_credential {
            object.insert(
                "verifiableCredential".into(),
                credentials.to_value(Clone::clone),
            );
        }
        Value::Object(object)
    }

    /// The embedded credentials, parsed (already validated by the constructor).
    pub fn credentials(&self) -> Vec<Credential> {
        self.verifiable_credential
            .iter()
            .flat_map(OneOrMany::iter)
            .filter(|item| is_embedded_credential(item))
            .filter_map(|item| Credential::from_value(item).ok())
            .collect()
    }

    /// The `proof` property, if any.
    pub fn proof(&self) -> Option<&Value> {
        self.extra.get("proof")
    }
}

impl Serialize for Presentation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Presentation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Presentation::from_value(&value).map_err(serde::de::Error::custom)
    }
}
