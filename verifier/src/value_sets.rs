//! EU DCC value sets as business rules see them: `external.valueSets.<valueSetId>` is the array of
//! that value set's codes (CertLogic rules test membership with `in`).
//!
//! Three JSON shapes are read:
//!
//! - one value set as the eHealth Network publishes it (`ehn-dcc-valuesets`, DCC Gateway):
//!   `{"valueSetId": "vaccines-covid-19-names", "valueSetDate": "2021-04-27", "valueSetValues":
//!   {"EU/1/20/1528": {"display": "Comirnaty", "lang": "en", "active": true, "system": …,
//!   "version": …}, …}}` — every code of `valueSetValues` is kept, active or not (a code retired
//!   from issuance still names what older DCCs carry; the rules decide what they accept);
//! - an array of such value sets;
//! - the flattened map rules runners use: `{"vaccines-covid-19-names": ["EU/1/20/1528", …], …}`.

use serde_json::Value;

/// Why a value-set document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueSetError {
    /// The document is none of the three shapes.
    #[error("value sets: {0}")]
    Shape(String),
}

/// One value set: its id and its codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueSet {
    /// `valueSetId`.
    pub id: String,
    /// The codes: `valueSetValues` keys sorted, or the flattened map's array as given.
    pub codes: Vec<String>,
}

fn published(doc: &serde_json::Map<String, Value>) -> Result<ValueSet, ValueSetError> {
    let id = doc
        .get("valueSetId")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ValueSetError::Shape("valueSetId must be a non-empty string".into()))?;
    let values = doc
        .get("valueSetValues")
        .and_then(Value::as_object)
        .ok_or_else(|| ValueSetError::Shape(format!("{id}: valueSetValues must be an object")))?;
    let mut codes: Vec<String> = values.keys().cloned().collect();
    codes.sort();
    Ok(ValueSet {
        id: id.to_owned(),
        codes,
    })
}

/// Read the value sets of a document in any of the three shapes.
pub fn parse(json: &Value) -> Result<Vec<ValueSet>, ValueSetError> {
    match json {
        Value::Array(docs) => docs
            .iter()
            .map(|doc| {
                doc.as_object()
                    .ok_or_else(|| ValueSetError::Shape("array entries must be value sets".into()))
                    .and_then(published)
            })
            .collect(),
        Value::Object(doc) if doc.contains_key("valueSetId") => Ok(vec![published(doc)?]),
        Value::Object(map) => map
            .iter()
            .map(|(id, codes)| {
                let codes = codes
                    .as_array()
                    .and_then(|codes| {
                        codes
                            .iter()
                            .map(|c| c.as_str().map(str::to_owned))
                            .collect::<Option<Vec<_>>>()
                    })
                    .ok_or_else(|| {
                        ValueSetError::Shape(format!("{id}: codes must be an array of strings"))
                    })?;
                Ok(ValueSet {
                    id: id.clone(),
                    codes,
                })
            })
            .collect(),
        _ => Err(ValueSetError::Shape(
            "expected a value set, an array of value sets or an id → codes map".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vaccines() -> Value {
        json!({
            "valueSetId": "vaccines-covid-19-names",
            "valueSetDate": "2021-04-27",
            "valueSetValues": {
                "EU/1/20/1528": {"display": "Comirnaty", "lang": "en", "active": true,
                                 "system": "https://ec.europa.eu/health/documents/community-register/html/", "version": ""},
                "CVnCoV": {"display": "CVnCoV", "lang": "en", "active": false,
                           "system": "http://ec.europa.eu/temp-vaccinename-covid-19", "version": "1.0"}
            }
        })
    }

    #[test]
    fn a_published_value_set_gives_every_code_active_or_not() {
        assert_eq!(
            parse(&vaccines()).unwrap(),
            vec![ValueSet {
                id: "vaccines-covid-19-names".into(),
                codes: vec!["CVnCoV".into(), "EU/1/20/1528".into()],
            }]
        );
    }

    #[test]
    fn arrays_of_value_sets_and_flattened_maps_are_read() {
        let mut tests = vaccines();
        tests["valueSetId"] = json!("covid-19-lab-result");
        tests["valueSetValues"] = json!({"260415000": {}, "260373001": {}});
        let both = parse(&json!([vaccines(), tests])).unwrap();
        assert_eq!(both.len(), 2);
        assert_eq!(both[1].codes, vec!["260373001", "260415000"]);
        assert_eq!(
            parse(&json!({"country-2-codes": ["AT", "DE"]})).unwrap(),
            vec![ValueSet {
                id: "country-2-codes".into(),
                codes: vec!["AT".into(), "DE".into()],
            }]
        );
    }

    #[test]
    fn documents_of_another_shape_are_refused() {
        for bad in [
            json!("vaccines"),
            json!([1]),
            json!({"valueSetId": "", "valueSetValues": {}}),
            json!({"valueSetId": "x", "valueSetValues": ["a"]}),
            json!({"country-2-codes": "AT"}),
            json!({"country-2-codes": ["AT", 1]}),
        ] {
            assert!(matches!(parse(&bad), Err(ValueSetError::Shape(_))), "{bad}");
        }
    }
}
