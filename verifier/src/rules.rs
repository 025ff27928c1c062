//! Business rules: CertLogic rule sets in the EU DCC Gateway rule format, evaluated against the
//! decoded payload with the validation clock as external data.
//!
//! A gateway rule names its `Country` and its `Type`: an `Acceptance` rule is the country of
//! arrival's, so it applies only at a checkpoint of that country
//! ([`RuleSet::for_checkpoint_in`]); an `Invalidation` rule is the issuing country's, so it
//! applies only to DCCs whose CWT `iss` is that country. A rule without `Country` applies
//! everywhere. A failing rule is reported with its `AffectedFields` (the payload fields it
//! reads, e.g. `v.0.dn`).

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::certlogic::{self, CertLogicError};
use crate::value_sets::{self, ValueSetError};

/// Why a rule set could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleSetError {
    /// The file is not JSON of the expected shape.
    #[error("rule set: {0}")]
    Format(String),
    /// A value-set document could not be read.
    #[error(transparent)]
    ValueSet(#[from] ValueSetError),
    /// The checkpoint's country is not an ISO 3166-1 alpha-2 code.
    #[error("checkpoint country {0:?} is not an ISO 3166-1 alpha-2 code")]
    Country(String),
}

/// Whose rule a gateway rule is (its `Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleType {
    /// The country of arrival's rule: applies at a checkpoint of its `Country`.
    Acceptance,
    /// The issuing country's rule: applies to DCCs issued by its `Country`.
    Invalidation,
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
    /// Acceptance (the default) or Invalidation.
    pub rule_type: RuleType,
    /// The country that made the rule (ISO 3166-1 alpha-2, upper case), when given.
    pub country: Option<String>,
    /// The payload fields the rule reads (`AffectedFields`, e.g. `v.0.dn`).
    pub affected_fields: Vec<String>,
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
    /// The checkpoint's country (upper case): its acceptance rules apply, other countries' do
    /// not. `None`: only rules without `Country` apply.
    pub checkpoint_country: Option<String>,
}

/// The rules that passed, and how many were set aside because they belong to another country.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesPassed {
    /// Identifiers of the rules that applied and passed, in order.
    pub passed: Vec<String>,
    /// Rules of the payload's type, valid at the clock, not applied: acceptance rules of another
    /// country than the checkpoint's, invalidation rules of another country than the issuer's.
    pub other_countries: usize,
}

fn described(description: &Option<String>) -> String {
    description
        .as_ref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default()
}

fn affected(fields: &[String]) -> String {
    if fields.is_empty() {
        String::new()
    } else {
        format!(" (affected fields: {})", fields.join(", "))
    }
}

/// A rule that did not pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleFailure {
    /// The rule evaluated to a falsy value.
    #[error(
        "rule {identifier} failed{}{}",
        described(description),
        affected(affected_fields)
    )]
    Failed {
        /// Rule id.
        identifier: String,
        /// Rule description.
        description: Option<String>,
        /// The payload fields the rule reads.
        affected_fields: Vec<String>,
    },
    /// The rule could not be evaluated (counts as failed, as the CertLogic spec advises).
    #[error(
        "rule {identifier} could not be evaluated: {error}{}",
        affected(affected_fields)
    )]
    Error {
        /// Rule id.
        identifier: String,
        /// The evaluation error.
        error: CertLogicError,
        /// The payload fields the rule reads.
        affected_fields: Vec<String>,
    },
}

impl RuleSet {
    /// Parse a rule set: a JSON array of rules, or `{"rules":[…], "valueSets":{…}}`.
    /// Each rule: `{"Identifier", "Type"?, "Country"?, "CertificateType"?, "Description"?,
    /// "ValidFrom"?, "ValidTo"?, "AffectedFields"?, "Logic"}` (DCC Gateway field names;
    /// lower-case names are accepted too). No checkpoint country is set.
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
            let rule_type = match field(r, ["Type", "type"]) {
                None => RuleType::Acceptance,
                Some(Value::String(t)) if t.eq_ignore_ascii_case("Acceptance") => {
                    RuleType::Acceptance
                }
                Some(Value::String(t)) if t.eq_ignore_ascii_case("Invalidation") => {
                    RuleType::Invalidation
                }
                Some(other) => {
                    return Err(RuleSetError::Format(format!(
                        "rule {identifier}: Type {other} is neither Acceptance nor Invalidation"
                    )));
                }
            };
            let country = match field(r, ["Country", "country"]) {
                None => None,
                Some(Value::String(c)) if !c.trim().is_empty() => {
                    Some(c.trim().to_ascii_uppercase())
                }
                Some(other) => {
                    return Err(RuleSetError::Format(format!(
                        "rule {identifier}: Country {other} is not a country code"
                    )));
                }
            };
            let affected_fields = match field(r, ["AffectedFields", "affectedFields"]) {
                None => Vec::new(),
                Some(Value::Array(fields)) => fields
                    .iter()
                    .map(|f| f.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| {
                        RuleSetError::Format(format!(
                            "rule {identifier}: AffectedFields must be strings"
                        ))
                    })?,
                Some(_) => {
                    return Err(RuleSetError::Format(format!(
                        "rule {identifier}: AffectedFields must be an array"
                    )));
                }
            };
            parsed.push(Rule {
                rule_type,
                country,
                affected_fields,
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
            checkpoint_country: None,
        })
    }

    /// Add the value sets of a document (see [`crate::value_sets`] for its shapes) to
    /// `external.valueSets`; a value set replaces one of the same id. Returns how many were
    /// added. Nothing is added when the document is refused.
    pub fn add_value_sets(&mut self, json: &Value) -> Result<usize, RuleSetError> {
        let sets = value_sets::parse(json)?;
        if !self.value_sets.is_object() {
            self.value_sets = json!({});
        }
        let n = sets.len();
        if let Value::Object(map) = &mut self.value_sets {
            for set in sets {
                map.insert(
                    set.id,
                    Value::Array(set.codes.into_iter().map(Value::String).collect()),
                );
            }
        }
        Ok(n)
    }

    /// The rule set of a checkpoint in `country` (ISO 3166-1 alpha-2, any case): that country's
    /// acceptance rules apply, other countries' do not.
    pub fn for_checkpoint_in(mut self, country: &str) -> Result<Self, RuleSetError> {
        let code = country.trim();
        if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(RuleSetError::Country(country.to_owned()));
        }
        self.checkpoint_country = Some(code.to_ascii_uppercase());
        Ok(self)
    }

    /// Whether a rule's country lets it apply here: an acceptance rule at a checkpoint of its
    /// country, an invalidation rule to a DCC issued by its country, a rule without a country
    /// everywhere.
    fn applies_to_country(&self, rule: &Rule, issuer_country: Option<&str>) -> bool {
        let Some(country) = &rule.country else {
            return true;
        };
        let here = match rule.rule_type {
            RuleType::Acceptance => self.checkpoint_country.as_deref(),
            RuleType::Invalidation => issuer_country,
        };
        here.is_some_and(|here| here.eq_ignore_ascii_case(country))
    }

    /// Evaluate the applicable rules: those of `certificate_type` (`Vaccination`, `Test`,
    /// `Recovery`) or `General`, valid at `now`, of this checkpoint's country (acceptance) or of
    /// `issuer_country` (invalidation), or of no country. Rules see
    /// `{"payload", "external"}` with `external` = the given object plus `validationClock`,
    /// `valueSets` and `countryCode` (the checkpoint's country, `null` when not set). Returns the
    /// passed rules, or the first failure.
    pub fn evaluate(
        &self,
        payload: &Value,
        certificate_type: Option<&str>,
        issuer_country: Option<&str>,
        now: OffsetDateTime,
        external: Value,
    ) -> Result<RulesPassed, RuleFailure> {
        let clock = now.format(&Rfc3339).unwrap_or_default();
        let mut ext = match external {
            Value::Object(o) => o,
            _ => Default::default(),
        };
        ext.insert("validationClock".into(), Value::String(clock));
        ext.insert("valueSets".into(), self.value_sets.clone());
        ext.insert(
            "countryCode".into(),
            self.checkpoint_country
                .clone()
                .map_or(Value::Null, Value::String),
        );
        let data = json!({ "payload": payload, "external": Value::Object(ext) });
        let mut outcome = RulesPassed {
            passed: Vec::new(),
            other_countries: 0,
        };
        for rule in &self.rules {
            let applies_type = rule.certificate_type.eq_ignore_ascii_case("General")
                || certificate_type.is_some_and(|t| rule.certificate_type.eq_ignore_ascii_case(t));
            let in_window =
                rule.valid_from.is_none_or(|f| f <= now) && rule.valid_to.is_none_or(|t| now <= t);
            if !applies_type || !in_window {
                continue;
            }
            if !self.applies_to_country(rule, issuer_country) {
                outcome.other_countries += 1;
                continue;
            }
            match certlogic::evaluate(&rule.logic, &data) {
                Ok(v) if truthy(&v) => outcome.passed.push(rule.identifier.clone()),
                Ok(_) => {
                    return Err(RuleFailure::Failed {
                        identifier: rule.identifier.clone(),
                        description: rule.description.clone(),
                        affected_fields: rule.affected_fields.clone(),
                    });
                }
                Err(error) => {
                    return Err(RuleFailure::Error {
                        identifier: rule.identifier.clone(),
                        error,
                        affected_fields: rule.affected_fields.clone(),
                    });
                }
            }
        }
        Ok(outcome)
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
                .evaluate(&fresh, Some("Test"), None, now, json!({}))
                .unwrap()
                .passed,
            vec!["TR-XX-0001"]
        );
        assert!(matches!(
            rules.evaluate(&old, Some("Test"), None, now, json!({})),
            Err(RuleFailure::Failed { identifier, .. }) if identifier == "TR-XX-0001"
        ));
        // Not applicable to vaccinations.
        assert!(
            rules
                .evaluate(&old, Some("Vaccination"), None, now, json!({}))
                .unwrap()
                .passed
                .is_empty()
        );
        assert!(matches!(
            rules.evaluate(
                &json!({"t": [{"sc": "garbage"}]}),
                Some("Test"),
                None,
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

    fn gateway_rules() -> RuleSet {
        RuleSet::from_json(&json!([
            {"Identifier": "VR-DE-0001", "Type": "Acceptance", "Country": "DE",
             "CertificateType": "Vaccination", "AffectedFields": ["v.0", "v.0.dn", "v.0.sd"],
             "Description": [{"lang": "en", "desc": "Full vaccination"}],
             "Logic": {">=": [{"var": "payload.v.0.dn"}, {"var": "payload.v.0.sd"}]}},
            {"Identifier": "VR-NL-0001", "Type": "Acceptance", "Country": "nl",
             "CertificateType": "Vaccination", "Logic": false},
            {"Identifier": "IR-AT-0001", "Type": "Invalidation", "Country": "AT",
             "CertificateType": "General", "AffectedFields": ["v.0.mp"],
             "Logic": {"!": [{"in": [{"var": "payload.v.0.mp"}, ["EU/1/00/0000"]]}]}},
            {"Identifier": "GR-XX-0001", "Logic": {"===": [{"var": "external.countryCode"}, "DE"]}}
        ]))
        .unwrap()
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::parse("2021-06-04T00:00:00Z", &Rfc3339).unwrap()
    }

    #[test]
    fn gateway_rule_types_countries_and_affected_fields_are_read() {
        let rules = gateway_rules();
        assert_eq!(rules.rules[0].rule_type, RuleType::Acceptance);
        assert_eq!(rules.rules[1].country.as_deref(), Some("NL"));
        assert_eq!(rules.rules[2].rule_type, RuleType::Invalidation);
        assert_eq!(rules.rules[2].affected_fields, vec!["v.0.mp"]);
        assert_eq!(rules.rules[3].country, None);
        for (bad, what) in [
            (json!({"Type": "Advisory"}), "Type"),
            (json!({"Country": 49}), "Country"),
            (json!({"AffectedFields": "v.0"}), "AffectedFields"),
            (json!({"AffectedFields": ["v.0", 1]}), "AffectedFields"),
        ] {
            let mut rule = json!({"Identifier": "GR-XX-0002", "Logic": true});
            rule.as_object_mut()
                .unwrap()
                .extend(bad.as_object().unwrap().clone());
            assert!(
                matches!(
                    RuleSet::from_json(&json!([rule])),
                    Err(RuleSetError::Format(m)) if m.contains(what)
                ),
                "{what}"
            );
        }
    }

    #[test]
    fn rules_of_another_country_than_the_checkpoints_or_the_issuers_do_not_apply() {
        let full = json!({"v": [{"dn": 2, "sd": 2, "mp": "EU/1/20/1528"}]});
        // At a German checkpoint, for an Austrian DCC: VR-DE, IR-AT and GR-XX apply, VR-NL not.
        let de = gateway_rules().for_checkpoint_in("de").unwrap();
        let outcome = de
            .evaluate(&full, Some("Vaccination"), Some("AT"), now(), json!({}))
            .unwrap();
        assert_eq!(
            outcome.passed,
            vec!["VR-DE-0001", "IR-AT-0001", "GR-XX-0001"]
        );
        assert_eq!(outcome.other_countries, 1);
        // Issued in BE instead: the Austrian invalidation rule does not apply either.
        let outcome = de
            .evaluate(&full, Some("Vaccination"), Some("BE"), now(), json!({}))
            .unwrap();
        assert_eq!(outcome.passed, vec!["VR-DE-0001", "GR-XX-0001"]);
        assert_eq!(outcome.other_countries, 2);
        // At a Dutch checkpoint the Dutch rule applies and fails; its failure names no fields.
        let nl = gateway_rules().for_checkpoint_in("NL").unwrap();
        assert_eq!(
            nl.evaluate(&full, Some("Vaccination"), Some("BE"), now(), json!({})),
            Err(RuleFailure::Failed {
                identifier: "VR-NL-0001".into(),
                description: None,
                affected_fields: vec![],
            })
        );
        // Without a checkpoint country only rules without Country apply (GR-XX sees a null
        // countryCode and fails).
        let nowhere = gateway_rules();
        assert!(matches!(
            nowhere.evaluate(&full, Some("Vaccination"), Some("BE"), now(), json!({})),
            Err(RuleFailure::Failed { identifier, .. }) if identifier == "GR-XX-0001"
        ));
    }

    #[test]
    fn a_failing_rule_reports_its_affected_fields() {
        let de = gateway_rules().for_checkpoint_in("DE").unwrap();
        let partial = json!({"v": [{"dn": 1, "sd": 2, "mp": "EU/1/20/1528"}]});
        let failure = de
            .evaluate(&partial, Some("Vaccination"), Some("AT"), now(), json!({}))
            .unwrap_err();
        assert_eq!(
            failure,
            RuleFailure::Failed {
                identifier: "VR-DE-0001".into(),
                description: Some("Full vaccination".into()),
                affected_fields: vec!["v.0".into(), "v.0.dn".into(), "v.0.sd".into()],
            }
        );
        assert_eq!(
            failure.to_string(),
            "rule VR-DE-0001 failed: Full vaccination (affected fields: v.0, v.0.dn, v.0.sd)"
        );
        let withdrawn = json!({"v": [{"dn": 2, "sd": 2, "mp": "EU/1/00/0000"}]});
        assert_eq!(
            de.evaluate(
                &withdrawn,
                Some("Vaccination"),
                Some("AT"),
                now(),
                json!({})
            )
            .unwrap_err()
            .to_string(),
            "rule IR-AT-0001 failed (affected fields: v.0.mp)"
        );
    }

    #[test]
    fn a_checkpoint_country_must_be_two_letters() {
        for bad in ["", "D", "DEU", "D1", "Ü1"] {
            assert_eq!(
                RuleSet::default().for_checkpoint_in(bad),
                Err(RuleSetError::Country(bad.into()))
            );
        }
        assert_eq!(
            RuleSet::default()
                .for_checkpoint_in(" at ")
                .unwrap()
                .checkpoint_country
                .as_deref(),
            Some("AT")
        );
    }

    #[test]
    fn rules_see_value_sets_loaded_from_published_documents() {
        let mut rules = RuleSet::from_json(&json!([{
            "Identifier": "VR-XX-0002", "CertificateType": "Vaccination",
            "AffectedFields": ["v.0.mp"],
            "Logic": {"in": [{"var": "payload.v.0.mp"},
                             {"var": "external.valueSets.vaccines-covid-19-names"}]}
        }]))
        .unwrap();
        let comirnaty = json!({"v": [{"mp": "EU/1/20/1528"}]});
        // No value set loaded: the code is in no list.
        assert!(matches!(
            rules.evaluate(&comirnaty, Some("Vaccination"), None, now(), json!({})),
            Err(RuleFailure::Failed { .. })
        ));
        let added = rules
            .add_value_sets(&json!({
                "valueSetId": "vaccines-covid-19-names", "valueSetDate": "2021-04-27",
                "valueSetValues": {"EU/1/20/1528": {"display": "Comirnaty", "active": true}}
            }))
            .unwrap();
        assert_eq!(added, 1);
        assert!(
            rules
                .evaluate(&comirnaty, Some("Vaccination"), None, now(), json!({}))
                .is_ok()
        );
        // A refused document changes nothing.
        assert!(matches!(
            rules.add_value_sets(&json!({"valueSetId": "vaccines-covid-19-names"})),
            Err(RuleSetError::ValueSet(ValueSetError::Shape(_)))
        ));
        assert_eq!(
            rules.value_sets["vaccines-covid-19-names"],
            json!(["EU/1/20/1528"])
        );
    }
}
