//! A light JSON Schema (2020-12 subset) validator, enough for the EU DCC schema: `type`,
//! `required`, `properties`, `items`, `minItems`/`maxItems`, `minimum`/`maximum`,
//! `minLength`/`maxLength`, `pattern`, `enum`, `const`, `oneOf`/`anyOf`/`allOf`, local `$ref`.
//! `format` is an annotation (as in 2020-12 by default) and is not asserted.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;

/// Why a schema could not be compiled or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// The schema is not valid JSON / not an object.
    #[error("schema: {0}")]
    Invalid(String),
}

/// One validation failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// JSON pointer of the failing instance value.
    pub instance_path: String,
    /// What failed.
    pub message: String,
}

impl std::fmt::Display for SchemaViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}",
            if self.instance_path.is_empty() {
                "/"
            } else {
                &self.instance_path
            },
            self.message
        )
    }
}

/// A loaded JSON schema.
#[derive(Debug)]
pub struct JsonSchema {
    root: Value,
    patterns: Mutex<HashMap<String, Option<regex::Regex>>>,
}

const MAX_DEPTH: usize = 64;

impl JsonSchema {
    /// Use a parsed schema document.
    pub fn new(root: Value) -> Result<Self, SchemaError> {
        if !root.is_object() {
            return Err(SchemaError::Invalid("schema root must be an object".into()));
        }
        Ok(Self {
            root,
            patterns: Mutex::new(HashMap::new()),
        })
    }

    /// Parse a schema from JSON text.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, SchemaError> {
        Self::new(serde_json::from_slice(bytes).map_err(|e| SchemaError::Invalid(e.to_string()))?)
    }

    /// The schema's `$comment` / version string, if any.
    pub fn comment(&self) -> Option<&str> {
        self.root.get("$comment").and_then(Value::as_str)
    }

    /// Validate `instance`; returns all violations found (empty = valid).
    pub fn validate(&self, instance: &Value) -> Vec<SchemaViolation> {
        let mut out = Vec::new();
        self.check(&self.root, instance, "", &mut out, 0);
        out
    }

    fn resolve<'a>(&'a self, reference: &str) -> Option<&'a Value> {
        let pointer = reference.strip_prefix('#')?;
        if pointer.is_empty() {
            return Some(&self.root);
        }
        self.root.pointer(pointer)
    }

    fn pattern_matches(&self, pattern: &str, text: &str) -> bool {
        let Ok(mut cache) = self.patterns.lock() else {
            return true;
        };
        let re = cache
            .entry(pattern.to_owned())
            .or_insert_with(|| regex::Regex::new(pattern).ok());
        // An ECMA-262 pattern the regex crate cannot compile is not asserted.
        re.as_ref().is_none_or(|re| re.is_match(text))
    }

    fn check(
        &self,
        schema: &Value,
        v: &Value,
        path: &str,
        out: &mut Vec<SchemaViolation>,
        depth: usize,
    ) {
        let mut fail = |message: String| {
            out.push(SchemaViolation {
                instance_path: path.to_owned(),
                message,
            });
        };
        if depth > MAX_DEPTH {
            fail("schema nesting too deep".into());
            return;
        }
        let Some(schema) = schema.as_object() else {
            if schema == &Value::Bool(false) {
                fail("false schema".into());
            }
            return;
        };
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            match self.resolve(r) {
                Some(target) => self.check(target, v, path, out, depth + 1),
                None => out.push(SchemaViolation {
                    instance_path: path.to_owned(),
                    message: format!("unresolvable $ref {r}"),
                }),
            }
        }
        let mut fail = |message: String| {
            out.push(SchemaViolation {
                instance_path: path.to_owned(),
                message,
            });
        };
        if let Some(t) = schema.get("type") {
            let types: Vec<&str> = match t {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            if !types.is_empty() && !types.iter().any(|t| type_matches(t, v)) {
                fail(format!("expected type {}", types.join("|")));
                return;
            }
        }
        if let Some(e) = schema.get("enum").and_then(Value::as_array)
            && !e.contains(v)
        {
            fail("value not in enum".into());
        }
        if let Some(c) = schema.get("const")
            && c != v
        {
            fail("value differs from const".into());
        }
        match v {
            Value::String(s) => {
                let len = s.chars().count() as u64;
                if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
                    && len > max
                {
                    fail(format!("longer than {max}"));
                }
                if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
                    && len < min
                {
                    fail(format!("shorter than {min}"));
                }
                if let Some(p) = schema.get("pattern").and_then(Value::as_str)
                    && !self.pattern_matches(p, s)
                {
                    fail(format!("does not match pattern {p}"));
                }
            }
            Value::Number(n) => {
                if let (Some(min), Some(x)) =
                    (schema.get("minimum").and_then(Value::as_f64), n.as_f64())
                    && x < min
                {
                    fail(format!("less than minimum {min}"));
                }
                if let (Some(max), Some(x)) =
                    (schema.get("maximum").and_then(Value::as_f64), n.as_f64())
                    && x > max
                {
                    fail(format!("greater than maximum {max}"));
                }
            }
            Value::Array(items) => {
                if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
                    && (items.len() as u64) < min
                {
                    fail(format!("fewer than {min} items"));
                }
                if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
                    && (items.len() as u64) > max
                {
                    fail(format!("more than {max} items"));
                }
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.check(item_schema, item, &format!("{path}/{i}"), out, depth + 1);
                    }
                }
            }
            Value::Object(map) => {
                if let Some(req) = schema.get("required").and_then(Value::as_array) {
                    for key in req.iter().filter_map(Value::as_str) {
                        if !map.contains_key(key) {
                            fail(format!("missing required property {key:?}"));
                        }
                    }
                }
                if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                    for (key, sub) in props {
                        if let Some(val) = map.get(key) {
                            self.check(sub, val, &format!("{path}/{key}"), out, depth + 1);
                        }
                    }
                }
                if let Some(Value::Bool(false)) = schema.get("additionalProperties") {
                    let props = schema.get("properties").and_then(Value::as_object);
                    for key in map.keys() {
                        if !props.is_some_and(|p| p.contains_key(key)) {
                            out.push(SchemaViolation {
                                instance_path: path.to_owned(),
                                message: format!("additional property {key:?}"),
                            });
                        }
                    }
                }
            }
            _ => {}
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for sub in all {
                self.check(sub, v, path, out, depth + 1);
            }
        }
        let passes = |sub: &Value| {
            let mut tmp = Vec::new();
            self.check(sub, v, path, &mut tmp, depth + 1);
            tmp.is_empty()
        };
        if let Some(any) = schema.get("anyOf").and_then(Value::as_array)
            && !any.iter().any(passes)
        {
            out.push(SchemaViolation {
                instance_path: path.to_owned(),
                message: "matches no anyOf branch".into(),
            });
        }
        if let Some(one) = schema.get("oneOf").and_then(Value::as_array) {
            let n = one.iter().filter(|s| passes(s)).count();
            if n != 1 {
                out.push(SchemaViolation {
                    instance_path: path.to_owned(),
                    message: format!("matches {n} oneOf branches (exactly 1 required)"),
                });
            }
        }
    }
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "number" => v.is_number(),
        "integer" => {
            v.as_i64().is_some()
                || v.as_u64().is_some()
                || v.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keywords() {
        let s = JsonSchema::new(json!({
            "type":"object","required":["a"],
            "oneOf":[{"required":["v"]},{"required":["t"]}],
            "properties":{"a":{"$ref":"#/$defs/s"},"v":{"type":"array","maxItems":1,"items":{"type":"integer","minimum":1}}},
            "$defs":{"s":{"type":"string","pattern":"^[A-Z]*$","maxLength":3}}
        })).unwrap();
        assert!(s.validate(&json!({"a":"AB","v":[1]})).is_empty());
        assert_eq!(s.validate(&json!({"a":"ab","v":[1]})).len(), 1);
        assert!(!s.validate(&json!({"a":"ABCD","v":[1]})).is_empty());
        assert!(!s.validate(&json!({"a":"A","v":[1,2]})).is_empty());
        assert!(!s.validate(&json!({"a":"A","v":[0]})).is_empty());
        assert!(!s.validate(&json!({"a":"A","v":[1],"t":[]})).is_empty());
        assert!(!s.validate(&json!({"v":[1]})).is_empty());
        assert!(matches!(
            JsonSchema::from_slice(b"[]"),
            Err(SchemaError::Invalid(_))
        ));
    }
}
