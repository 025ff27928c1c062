//! The verifiable presentation.

use serde_json::{Map, Value};

use super::{
    CommonMembers, Credential, OneOrMany, VERIFIABLE_CREDENTIAL_TYPE, VERIFIABLE_PRESENTATION_TYPE,
    VcError, as_object, parse_json, parse_party, party_to_value, with_common_members,
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
        Ok(match parse_party(value, "holder", "holder.id")? {
            (url, None) => Holder::Url(url),
            (id, Some(extra)) => Holder::Object { id, extra },
        })
    }

    fn to_value(&self) -> Value {
        match self {
            Holder::Url(url) => party_to_value(url, None),
            Holder::Object { id, extra } => party_to_value(id, Some(extra)),
        }
    }
}

fn is_embedded_credential(item: &Value) -> bool {
    super::has_type(item, VERIFIABLE_CREDENTIAL_TYPE)
}

impl Presentation {
    /// Parses and validates a presentation from JSON text.
    pub fn from_json(text: &str) -> Result<Presentation, VcError> {
        Presentation::from_value(&parse_json(text)?)
    }

    /// Validates a presentation given as a JSON value. Embedded credentials (objects whose
    /// `type` includes `VerifiableCredential`) must be valid credentials themselves.
    pub fn from_value(value: &Value) -> Result<Presentation, VcError> {
        let object = as_object(value)?;
        let CommonMembers { context, id, types } =
            CommonMembers::parse(object, VERIFIABLE_PRESENTATION_TYPE)?;
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
        let mut object =
            with_common_members(&self.extra, &self.context, self.id.as_ref(), &self.types);
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

serde_via_value!(Presentation);
