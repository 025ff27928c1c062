//! The verifiable credential.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::{
    CommonMembers, DateTimeStamp, OneOrMany, VERIFIABLE_CREDENTIAL_TYPE, ValidityError, VcError,
    as_object, entry_type, parse_json, parse_party, party_to_value, shorten, strings_to_value,
    url_member, with_common_members,
};

/// Properties of a credential that the typed fields hold (the others go to `extra`).
const KNOWN: [&str; 9] = [
    "@context",
    "id",
    "type",
    "issuer",
    "validFrom",
    "validUntil",
    "credentialSubject",
    "credentialStatus",
    "credentialSchema",
];

/// A VC 2.0 verifiable credential (validated; unknown properties kept in `extra`).
#[derive(Debug, Clone, PartialEq)]
pub struct Credential {
    /// `@context`: first item [`super::VC_V2_CONTEXT`].
    pub context: OneOrMany<Value>,
    /// `id` (a URL), if any.
    pub id: Option<String>,
    /// `type`, including `VerifiableCredential`.
    pub types: OneOrMany<String>,
    /// `issuer`.
    pub issuer: Issuer,
    /// `validFrom`, if any.
    pub valid_from: Option<DateTimeStamp>,
    /// `validUntil`, if any.
    pub valid_until: Option<DateTimeStamp>,
    /// `credentialSubject`: one or more non-empty objects.
    pub credential_subject: OneOrMany<Map<String, Value>>,
    /// `credentialStatus` entries, if any.
    pub credential_status: Option<OneOrMany<CredentialStatus>>,
    /// `credentialSchema` entries, if any.
    pub credential_schema: Option<OneOrMany<CredentialSchema>>,
    /// Every other property (`name`, `description`, `evidence`, `proof`, extensions, …).
    pub extra: Map<String, Value>,
}

/// The `issuer` of a credential: a URL, or an object with an `id` URL and more properties.
#[derive(Debug, Clone, PartialEq)]
pub enum Issuer {
    /// `"issuer": "did:…"`.
    Url(String),
    /// `"issuer": { "id": "did:…", "name": … }`.
    Object {
        /// The issuer's `id`.
        id: String,
        /// The other properties of the issuer object.
        extra: Map<String, Value>,
    },
}

impl Issuer {
    /// The issuer's identifier (a URL, usually a DID).
    pub fn id(&self) -> &str {
        match self {
            Issuer::Url(id) | Issuer::Object { id, .. } => id,
        }
    }

    fn parse(value: &Value) -> Result<Issuer, VcError> {
        Ok(match parse_party(value, "issuer", "issuer.id")? {
            (url, None) => Issuer::Url(url),
            (id, Some(extra)) => Issuer::Object { id, extra },
        })
    }

    fn to_value(&self) -> Value {
        match self {
            Issuer::Url(url) => party_to_value(url, None),
            Issuer::Object { id, extra } => party_to_value(id, Some(extra)),
        }
    }
}

/// A `credentialStatus` entry: `type` required, `id` optional (a URL); the other properties
/// (`statusPurpose`, `statusListIndex`, `statusListCredential`, …) in `extra`.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialStatus {
    /// `id`, if any.
    pub id: Option<String>,
    /// `type`.
    pub types: OneOrMany<String>,
    /// The other properties.
    pub extra: Map<String, Value>,
}

impl CredentialStatus {
    fn parse(value: &Value) -> Result<CredentialStatus, VcError> {
        let object = value.as_object().ok_or(VcError::InvalidProperty {
            property: "credentialStatus",
            reason: "every entry must be an object",
        })?;
        let id = url_member(object, "id", "credentialStatus.id")?;
        let types = entry_type(object, "credentialStatus.type")?;
        let extra = super::members_except(object, &["id", "type"]);
        Ok(CredentialStatus { id, types, extra })
    }

    fn to_value(&self) -> Value {
        let mut object = self.extra.clone();
        if let Some(id) = &self.id {
            object.insert("id".into(), Value::String(id.clone()));
        }
        object.insert("type".into(), strings_to_value(&self.types));
        Value::Object(object)
    }
}

/// A `credentialSchema` entry: `id` (a URL) and `type` required.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialSchema {
    /// `id`.
    pub id: String,
    /// `type` (e.g. `JsonSchema`).
    pub types: OneOrMany<String>,
    /// The other properties.
    pub extra: Map<String, Value>,
}

impl CredentialSchema {
    fn parse(value: &Value) -> Result<CredentialSchema, VcError> {
        let object = value.as_object().ok_or(VcError::InvalidProperty {
            property: "credentialSchema",
            reason: "every entry must be an object",
        })?;
        let id =
            url_member(object, "id", "credentialSchema.id")?.ok_or(VcError::MissingProperty {
                property: "credentialSchema.id",
            })?;
        let types = entry_type(object, "credentialSchema.type")?;
        let extra = super::members_except(object, &["id", "type"]);
        Ok(CredentialSchema { id, types, extra })
    }

    fn to_value(&self) -> Value {
        let mut object = self.extra.clone();
        object.insert("id".into(), Value::String(self.id.clone()));
        object.insert("type".into(), strings_to_value(&self.types));
        Value::Object(object)
    }
}

fn parse_date_time(
    object: &Map<String, Value>,
    property: &'static str,
) -> Result<Option<DateTimeStamp>, VcError> {
    match object.get(property) {
        None => Ok(None),
        Some(Value::String(text)) => {
            DateTimeStamp::parse(text)
                .map(Some)
                .ok_or_else(|| VcError::InvalidDateTime {
                    property,
                    value: shorten(text),
                })
        }
        Some(_) => Err(VcError::InvalidProperty {
            property,
            reason: "must be a dateTimeStamp string",
        }),
    }
}

fn parse_subject(value: &Value) -> Result<OneOrMany<Map<String, Value>>, VcError> {
    let subjects = super::one_or_many(value, |item| match item {
        Value::Object(object) if !object.is_empty() => Ok(object.clone()),
        Value::Object(_) => Err(VcError::EmptyCredentialSubject),
        _ => Err(VcError::InvalidProperty {
            property: "credentialSubject",
            reason: "must be an object or an array of objects",
        }),
    })?;
    if subjects.is_empty() {
        return Err(VcError::EmptyCredentialSubject);
    }
    Ok(subjects)
}

impl Credential {
    /// Parses and validates a credential from JSON text.
    pub fn from_json(text: &str) -> Result<Credential, VcError> {
        Credential::from_value(&parse_json(text)?)
    }

    /// Validates a credential given as a JSON value (see the [module docs](super)).
    pub fn from_value(value: &Value) -> Result<Credential, VcError> {
        let object = as_object(value)?;
        let CommonMembers { context, id, types } =
            CommonMembers::parse(object, VERIFIABLE_CREDENTIAL_TYPE)?;
        let issuer = Issuer::parse(
            object
                .get("issuer")
                .ok_or(VcError::MissingProperty { property: "issuer" })?,
        )?;
        let valid_from = parse_date_time(object, "validFrom")?;
        let valid_until = parse_date_time(object, "validUntil")?;
        if let (Some(from), Some(until)) = (&valid_from, &valid_until)
            && from.instant() > until.instant()
        {
            return Err(VcError::ValidFromAfterValidUntil);
        }
        let credential_subject = parse_subject(object.get("credentialSubject").ok_or(
            VcError::MissingProperty {
                property: "credentialSubject",
            },
        )?)?;
        let credential_status = object
            .get("credentialStatus")
            .map(|status| super::one_or_many(status, CredentialStatus::parse))
            .transpose()?;
        let credential_schema = object
            .get("credentialSchema")
            .map(|schema| super::one_or_many(schema, CredentialSchema::parse))
            .transpose()?;
        let extra = super::members_except(object, &KNOWN);
        Ok(Credential {
            context,
            id,
            types,
            issuer,
            valid_from,
            valid_until,
            credential_subject,
            credential_status,
            credential_schema,
            extra,
        })
    }

    /// The credential as a JSON value (the same members it was built from).
    pub fn to_value(&self) -> Value {
        let mut object =
            with_common_members(&self.extra, &self.context, self.id.as_ref(), &self.types);
        object.insert("issuer".into(), self.issuer.to_value());
        if let Some(from) = &self.valid_from {
            object.insert("validFrom".into(), Value::String(from.as_str().into()));
        }
        if let Some(until) = &self.valid_until {
            object.insert("validUntil".into(), Value::String(until.as_str().into()));
        }
        object.insert(
            "credentialSubject".into(),
            self.credential_subject
                .to_value(|subject| Value::Object(subject.clone())),
        );
        if let Some(status) = &self.credential_status {
            object.insert(
                "credentialStatus".into(),
                status.to_value(CredentialStatus::to_value),
            );
        }
        if let Some(schema) = &self.credential_schema {
            object.insert(
                "credentialSchema".into(),
                schema.to_value(CredentialSchema::to_value),
            );
        }
        Value::Object(object)
    }

    /// The `proof` property (one proof object or an array: a proof set), if any.
    pub fn proof(&self) -> Option<&Value> {
        self.extra.get("proof")
    }

    /// The `id`s of the credential subjects that have one (for a health code: the holder's
    /// `did:key`).
    pub fn subject_ids(&self) -> Vec<&str> {
        self.credential_subject
            .iter()
            .filter_map(|subject| subject.get("id").and_then(Value::as_str))
            .collect()
    }

    /// Checks the validity window at `at`: not before `validFrom`, not after `validUntil`.
    pub fn check_validity_at(&self, at: OffsetDateTime) -> Result<(), ValidityError> {
        super::check_validity_window(self.valid_from.as_ref(), self.valid_until.as_ref(), at)
    }
}

serde_via_value!(Credential);
