//! Business rules: CertLogic rule sets in the EU DCC Gateway rule format, evaluated against the
//! decoded payload with the validation clock as external data.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::certlogic::{self, CertLogicError};

/// Why a rule set could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleSetError {
    /// The file is not JSON of the expected shape.
    #[error("rule set: {0}")]
    Format(String),
}

/// One business rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Rule identifier (e.g. `VR-EU-0001`, or `TR-XX-0001`).
    pub identifier: String,
    /// `Vaccination`, `Test`, `Recovery` or `General`.
    pub certificate_type: String,
    /// English description, when given.
    pub description: Option<String>,
    /// Rule applies from / until (RFC 3339), when given.
    pub valid_from: Option<OffsetDateTime>,
    /// See `valid_from`.
    pub valid_to: Option<OffsetDateTime>,
    /// The CertLogic expression.
    pub logic: Value,
}

/// A rule set, with value sets available to rules as `external.valueSets`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleSet {
    /// The rules.
    pub rules: Vec<Rule>,
    /// Value sets (`{"name": [codes…]}`).
    pub value_sets: Value,
}

/// A rule that did not pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleFailure {
    /// The rule evaluated to a falsy value.
    #[error("rule {identifier} failed{}", description.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Failed {
        /// Rule id.
        identifier: String,
        /// Rule description.
        description: Option<String>,
    },
    /// The rule could not be evaluated (counts as failed, as the CertLogic spec advises).
    #[error("rule {identifier} could not be evaluated: {error}")]
    Error {
        /// Rule id.
        identifier: String,
        /// The evaluation error.
        error: CertLogicError,
    },
}

impl RuleSet {
    /// Parse a rule set: a JSON array of rules, or `{"rules":[…], "valueSets":{…}}`.
    /// Each rule: `{"Identifier", "CertificateType"?, "Description"?, "ValidFrom"?, "ValidTo"?,
    /// "Logic"}` (DCC Gateway field names; lower-case names are accepted too).
    pub fn from_json(json: &Value) -> Result<Self, RuleSetError> {
        let (rules, value_sets) = match json {
            Value::Array(a) => (a.as_slice(), Value::Object(Default::default())),
            Value::Object(o) => (
                o.get("rules")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .ok_or_else(|| RuleSetError::Format("missing rules array".into()))?,
                o.get("valueSets").cloned().unwrap_or_else(|| json!({})),
            ),
            _ => return Err(RuleSetError::Format("expected an array or object".into())),
        };
        let field = |r: &Value, names: [&str; 2]| names.iter().find_map(|n| r.get(*n)).cloned();
        let time_field =
            |r: &Value, names: [&str; 2]| -> Result<Option<OffsetDateTime>, RuleSetError> {
                match field(r, names) {
                    Some(Value::String(s)) => OffsetDateTime::parse(&s, &Rfc3339)
                        .map(Some)
                        .map_err(|e| RuleSetError::Format(format!("{}: {e}", names[0]))),
                    _ => Ok(None),
                }
            };
        let mut parsed = Vec::with_capacity(rules.len());
        for r in rules {
            let identifier = field(r, ["Identifier", "identifier"])
                .and_then(|v| v.as_str().map(str::to_owned))
                .ok_or_else(|| RuleSetError::Format("rule without Identifier".into()))?;
            let logic = field(r, ["Logic", "logic"])
                .ok_or_else(|| RuleSetError::Format(format!("rule {identifier} without Logic")))?;
            let description = match field(r, ["Description", "description"]) {
                Some(Value::String(s)) => Some(s),
                Some(Value::Array(a)) => a
                    .iter()
                    .find(|d| d.get("lang").and_then(Value::as_str) == Some("en"))
                    .or_else(|| a.first())
                    .and_then(|d| d.get("desc"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                _ => None,
            };
            parsed.push(Rule {
                certificate_type: field(r, ["CertificateType", "certificateType"])
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_else(|| "General".into()),
                valid_from: time_field(r, ["ValidFrom", "validFrom"])?,
                valid_to: time_field(r, ["ValidTo", "validTo"])?,
                identifier,
                description,
                logic,
            });
        }
        Ok(Self {
            rules: parsed,
            value_sets,
        })
    }

    /// Evaluate the applicable rules: those of `certificate_type` (`Vaccination`, `Test`,
    /// `Recovery`) or `General`, valid at `now`. Returns the ids of passed rules, or the first
    /// failure.
    pub fn evaluate(
        &self,
        payload: &Value,
        certificate_type: Option<&str>,
        now: OffsetDateTime,
        external: Value,
    ) -> Result<Vec<String>, RuleFailure> {
        let clock = now.format(&Rfc3339).unwrap_or_default();
        let mut ext = match external {
            Value::Object(o) => o,
            _ => Default::default(),
        };
        ext.insert("validationClock".into(), Value::String(clock));
        ext.insert("valueSets".into(), self.value_sets.clone());
        let data = json!({ "payload": payload, "external": Value::Object(ext) });
        let mut passed = Vec::new();
        for rule in &self.rules {
            let applies_type = rule.certificate_type.eq_ignore_ascii_case("General")
                || certificate_type.is_some_and(|t| rule.certificate_type.eq_ignore_ascii_case(t));
            let in_window =
                rule.valid_from.is_none_or(|f| f <= now) && rule.valid_to.is_none_or(|t| now <= t);
            if !applies_type || !in_window {
                continue;
            }
            match certlogic::evaluate(&rule.logic, &data) {
                Ok(v) if truthy(&v) => passed.push(rule.identifier.clone()),
                Ok(_) => {
                    return Err(RuleFailure::Failed {
                        identifier: rule.identifier.clone(),
                        description: rule.description.clone(),
                    });
                }
                Err(error) => {
                    return Err(RuleFailure::Error {
                        identifier: rule.identifier.clone(),
                        error,
                    });
                }
            }
        }
        Ok(passed)
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_72h_test_rule() {
        let rules = RuleSet::from_json(&json!([{
            "Identifier": "TR-XX-0001", "CertificateType": "Test",
            "Description": [{"lang": "en", "desc": "Sample no older than 72 h"}],
            "Logic": {"not-after": [{"plusTime": [{"var": "external.validationClock"}, 0, "hour"]},
                                     {"plusTime": [{"var": "payload.t.0.sc"}, 72, "hour"]}]}
        }]))
        .unwrap();
        let now = OffsetDateTime::parse("2021-06-04T00:00:00Z", &Rfc3339).unwrap();
        let fresh = json!({"t": [{"sc": "2021-06-02T00:00:00Z"}]});
        let old = json!({"t": [{"sc": "2021-05-30T00:00:00Z"}]});
        assert_eq!(
            rules
                .evaluate(&fresh, Some("Test"), now, json!({}))
                .unwrap(),
            vec!["TR-XX-0001"]
        );
        assert!(matches!(
            rules.evaluate(&old, Some("Test"), now, json!({})),
            Err(RuleFailure::Failed { identifier, .. }) if identifier == "TR-XX-0001"
        ));
        // Not applicable to vaccinations.
        assert!(
            rules
                .evaluate(&old, Some("Vaccination"), now, json!({}))
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            rules.evaluate(
                &json!({"t": [{"sc": "garbage"}]}),
                Some("Test"),
                now,
                json!({})
            ),
            Err(RuleFailure::Error { .. })
        ));
        assert!(matches!(
            RuleSet::from_json(&json!([{"Logic": true}])),
            Err(RuleSetError::Format(_))
        ));
    }
}
