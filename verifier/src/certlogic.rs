//! CertLogic: the JsonLogic subset with date-time operations used for EU DCC business rules
//! (specification 1.3.3, `ehn-dcc-development/dgc-business-rules`).
//!
//! [`evaluate`] never panics; an invalid expression or a type mismatch is a [`CertLogicError`].

use serde_json::{Map, Value};
use time::{Date, Duration, Month, OffsetDateTime, UtcOffset};

/// Why an expression could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertLogicError {
    /// The expression is not a valid CertLogic expression.
    #[error("invalid expression: {0}")]
    InvalidExpression(String),
    /// An operation id that CertLogic does not define.
    #[error("unknown operation {0:?}")]
    UnknownOperation(String),
    /// Operands of the wrong type.
    #[error("type mismatch: {0}")]
    TypeMismatch(String),
    /// A date-time string that cannot be parsed. The value itself is not kept: it may be a
    /// holder's date of birth, and error texts reach reports and logs.
    #[error("not a CertLogic date-time (a {length}-character string)")]
    BadDateTime {
        /// Length of the refused text, in characters.
        length: usize,
    },
    /// Expression nesting deeper than the evaluator allows.
    #[error("expression nested too deeply")]
    TooDeep,
}

const MAX_DEPTH: usize = 128;

/// An evaluated value: JSON, or a date-time (milliseconds since the Unix epoch, UTC).
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Json(Value),
    DateTime(i64),
    Array(Vec<Val>),
}

impl Val {
    fn into_json(self) -> Value {
        match self {
            Val::Json(v) => v,
            Val::DateTime(ms) => Value::String(format_millis(ms)),
            Val::Array(items) => Value::Array(items.into_iter().map(Val::into_json).collect()),
        }
    }

    /// `Some(true)` truthy, `Some(false)` falsy, `None` neither.
    fn truthiness(&self) -> Option<bool> {
        match self {
            Val::Json(Value::Bool(b)) => Some(*b),
            Val::Json(Value::Null) => Some(false),
            Val::Json(Value::String(s)) => Some(!s.is_empty()),
            Val::Json(Value::Number(n)) => match n.as_i64() {
                Some(i) => Some(i != 0),
                None => n.as_u64().map(|u| u != 0),
            },
            Val::Json(Value::Array(a)) => Some(!a.is_empty()),
            Val::Json(Value::Object(o)) => Some(!o.is_empty()),
            Val::Array(a) => Some(!a.is_empty()),
            Val::DateTime(_) => None,
        }
    }

    fn as_int(&self) -> Option<i64> {
        match self {
            Val::Json(Value::Number(n)) => n.as_i64(),
            _ => None,
        }
    }

    fn strict_eq(&self, other: &Val) -> bool {
        match (self, other) {
            (Val::Json(Value::Number(a)), Val::Json(Value::Number(b))) => {
                match (a.as_i64(), b.as_i64()) {
                    (Some(x), Some(y)) => x == y,
                    _ => a.as_f64() == b.as_f64(),
                }
            }
            (Val::Array(a), b) | (b, Val::Array(a)) => {
                let aj = Val::Array(a.clone()).into_json();
                aj == b.clone().into_json()
            }
            _ => self == other,
        }
    }
}

/// Evaluate a CertLogic expression against a data context.
pub fn evaluate(expression: &Value, data: &Value) -> Result<Value, CertLogicError> {
    eval(expression, data, 0).map(Val::into_json)
}

fn eval(expr: &Value, data: &Value, depth: usize) -> Result<Val, CertLogicError> {
    if depth > MAX_DEPTH {
        return Err(CertLogicError::TooDeep);
    }
    match expr {
        Value::Bool(_) | Value::String(_) => Ok(Val::Json(expr.clone())),
        Value::Number(n) => {
            if n.is_i64() || n.is_u64() {
                Ok(Val::Json(expr.clone()))
            } else {
                Err(CertLogicError::InvalidExpression(format!(
                    "non-integer literal {n}"
                )))
            }
        }
        Value::Null => Err(CertLogicError::InvalidExpression("null literal".into())),
        Value::Array(items) => Ok(Val::Array(
            items
                .iter()
                .map(|i| eval(i, data, depth + 1))
                .collect::<Result<_, _>>()?,
        )),
        Value::Object(map) => eval_operation(map, data, depth),
    }
}

fn expect_count(op: &str, args: &[Value], allowed: &[usize]) -> Result<(), CertLogicError> {
    if allowed.contains(&args.len()) {
        Ok(())
    } else {
        Err(CertLogicError::InvalidExpression(format!(
            "{op} takes {allowed:?} operands, got {}",
            args.len()
        )))
    }
}

fn eval_operation(
    map: &Map<String, Value>,
    data: &Value,
    depth: usize,
) -> Result<Val, CertLogicError> {
    let mut entries = map.iter();
    let (Some((op, raw_args)), None) = (entries.next(), entries.next()) else {
        return Err(CertLogicError::InvalidExpression(
            "an operation object must have exactly one key".into(),
        ));
    };
    let op = op.as_str();
    if op == "var" {
        return eval_var(raw_args, data);
    }
    let Value::Array(args) = raw_args else {
        if op == "!" {
            return not(&eval(raw_args, data, depth + 1)?);
        }
        return Err(CertLogicError::InvalidExpression(format!(
            "operands of {op} must be an array"
        )));
    };
    let ev = |e: &Value| eval(e, data, depth + 1);
    match op {
        "if" => {
            expect_count(op, args, &[3])?;
            let [guard, then, otherwise] = args.as_slice() else {
                return Err(CertLogicError::InvalidExpression("if".into()));
            };
            if ev(guard)?.truthiness() == Some(true) {
                ev(then)
            } else {
                ev(otherwise)
            }
        }
        "===" => {
            expect_count(op, args, &[2])?;
            let (a, b) = (ev(&args[0])?, ev(&args[1])?);
            Ok(Val::Json(Value::Bool(a.strict_eq(&b))))
        }
        "and" => {
            if args.len() < 2 {
                return Err(CertLogicError::InvalidExpression(
                    "and takes at least 2 operands".into(),
                ));
            }
            let mut last = Val::Json(Value::Null);
            for arg in args {
                last = ev(arg)?;
                match last.truthiness() {
                    Some(false) => return Ok(last),
                    Some(true) => {}
                    None => {
                        return Err(CertLogicError::TypeMismatch(
                            "and operand is neither truthy nor falsy".into(),
                        ));
                    }
                }
            }
            Ok(last)
        }
        "!" => {
            expect_count(op, args, &[1])?;
            not(&ev(&args[0])?)
        }
        "<" | ">" | "<=" | ">=" => {
            expect_count(op, args, &[2, 3])?;
            let values = args
                .iter()
                .map(|a| {
                    ev(a)?.as_int().ok_or_else(|| {
                        CertLogicError::TypeMismatch(format!("{op} needs integer operands"))
                    })
                })
                .collect::<Result<Vec<i64>, _>>()?;
            Ok(Val::Json(Value::Bool(chain(&values, |a, b| match op {
                "<" => a < b,
                ">" => a > b,
                "<=" => a <= b,
                _ => a >= b,
            }))))
        }
        "after" | "before" | "not-after" | "not-before" => {
            expect_count(op, args, &[2, 3])?;
            let values = args
                .iter()
                .map(|a| match ev(a)? {
                    Val::DateTime(ms) => Ok(ms),
                    _ => Err(CertLogicError::TypeMismatch(format!(
                        "{op} needs date-time operands"
                    ))),
                })
                .collect::<Result<Vec<i64>, _>>()?;
            Ok(Val::Json(Value::Bool(chain(&values, |a, b| match op {
                "after" => a > b,
                "before" => a < b,
                "not-after" => a <= b,
                _ => a >= b,
            }))))
        }
        "in" => {
            expect_count(op, args, &[2])?;
            let needle = ev(&args[0])?;
            match ev(&args[1])? {
                Val::Array(items) => Ok(Val::Json(Value::Bool(
                    items.iter().any(|i| i.strict_eq(&needle)),
                ))),
                Val::Json(Value::Array(items)) => Ok(Val::Json(Value::Bool(
                    items
                        .iter()
                        .any(|i| Val::Json(i.clone()).strict_eq(&needle)),
                ))),
                Val::Json(Value::Null) => Ok(Val::Json(Value::Bool(false))),
                _ => Err(CertLogicError::TypeMismatch(
                    "in needs an array as 2nd operand".into(),
                )),
            }
        }
        "+" => {
            expect_count(op, args, &[2])?;
            let (a, b) = (ev(&args[0])?.as_int(), ev(&args[1])?.as_int());
            match (a, b) {
                (Some(a), Some(b)) => a
                    .checked_add(b)
                    .map(|s| Val::Json(Value::from(s)))
                    .ok_or_else(|| CertLogicError::TypeMismatch("integer overflow".into())),
                _ => Err(CertLogicError::TypeMismatch(
                    "+ needs integer operands".into(),
                )),
            }
        }
        "plusTime" => {
            expect_count(op, args, &[3])?;
            let text = match ev(&args[0])? {
                Val::Json(Value::String(s)) => s,
                _ => {
                    return Err(CertLogicError::TypeMismatch(
                        "plusTime needs a date-time string".into(),
                    ));
                }
            };
            let amount = args[1].as_i64().ok_or_else(|| {
                CertLogicError::InvalidExpression(
                    "plusTime amount must be an integer literal".into(),
                )
            })?;
            let unit = args[2].as_str().ok_or_else(|| {
                CertLogicError::InvalidExpression("plusTime unit must be a string literal".into())
            })?;
            let base = parse_date_time(&text)?;
            plus_time(base, amount, unit).map(Val::DateTime)
        }
        "dccDateOfBirth" => {
            expect_count(op, args, &[1])?;
            match ev(&args[0])? {
                Val::Json(Value::String(s)) => parse_date_time(&s).map(Val::DateTime),
                _ => Err(CertLogicError::TypeMismatch(
                    "dccDateOfBirth needs a string".into(),
                )),
            }
        }
        "reduce" => {
            expect_count(op, args, &[3])?;
            let operand = ev(&args[0])?;
            let initial = ev(&args[2])?;
            let items: Vec<Value> = match operand {
                Val::Json(Value::Null) => return Ok(initial),
                Val::Json(Value::Array(a)) => a,
                Val::Array(a) => a.into_iter().map(Val::into_json).collect(),
                _ => return Err(CertLogicError::TypeMismatch("reduce needs an array".into())),
            };
            let mut acc = initial;
            for current in items {
                let mut ctx = Map::new();
                ctx.insert("current".into(), current);
                ctx.insert("accumulator".into(), acc.into_json());
                ctx.insert("data".into(), data.clone());
                acc = eval(&args[1], &Value::Object(ctx), depth + 1)?;
            }
            Ok(acc)
        }
        "extractFromUVCI" => {
            expect_count(op, args, &[2])?;
            let index = args[1].as_i64().ok_or_else(|| {
                CertLogicError::InvalidExpression("extractFromUVCI index must be an integer".into())
            })?;
            match ev(&args[0])? {
                Val::Json(Value::Null) => Ok(Val::Json(Value::Null)),
                Val::Json(Value::String(s)) => Ok(Val::Json(extract_from_uvci(&s, index))),
                _ => Err(CertLogicError::TypeMismatch(
                    "extractFromUVCI needs a string or null".into(),
                )),
            }
        }
        other => Err(CertLogicError::UnknownOperation(other.to_owned())),
    }
}

fn not(v: &Val) -> Result<Val, CertLogicError> {
    v.truthiness()
        .map(|t| Val::Json(Value::Bool(!t)))
        .ok_or_else(|| CertLogicError::TypeMismatch("! operand is neither truthy nor falsy".into()))
}

fn chain(values: &[i64], cmp: impl Fn(i64, i64) -> bool) -> bool {
    values
        .windows(2)
        .all(|w| matches!(w, [a, b] if cmp(*a, *b)))
}

fn eval_var(path: &Value, data: &Value) -> Result<Val, CertLogicError> {
    let path = match path {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_u64() => n.to_string(),
        Value::Array(a) if a.len() == 1 => match a.first() {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) if n.is_u64() => n.to_string(),
            _ => return Err(CertLogicError::InvalidExpression("var path".into())),
        },
        _ => {
            return Err(CertLogicError::InvalidExpression(
                "var path must be a string".into(),
            ));
        }
    };
    if path.is_empty() {
        return Ok(Val::Json(data.clone()));
    }
    let mut current = data;
    for fragment in path.split('.') {
        let next = match current {
            Value::Object(o) => o.get(fragment),
            Value::Array(a) => fragment.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        match next {
            Some(v) => current = v,
            None => return Ok(Val::Json(Value::Null)),
        }
    }
    Ok(Val::Json(current.clone()))
}

fn extract_from_uvci(uvci: &str, index: i64) -> Value {
    let Ok(index) = usize::try_from(index) else {
        return Value::Null;
    };
    let rest = uvci.strip_prefix("URN:UVCI:").unwrap_or(uvci);
    rest.split(['/', '#', ':'])
        .nth(index)
        .map(|s| Value::String(s.to_owned()))
        .unwrap_or(Value::Null)
}

fn digits(s: &str) -> Option<i64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn last_day_of_month(year: i32, month: Month) -> u8 {
    month.length(year)
}

/// Parse the CertLogic date(-time) formats (partial dates as `dccDateOfBirth` does).
fn parse_date_time(text: &str) -> Result<i64, CertLogicError> {
    let bad = || CertLogicError::BadDateTime {
        length: text.chars().count(),
    };
    let (date_part, time_part) = match text.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let mut fields = date_part.split('-');
    let year_text = fields.next().ok_or_else(bad)?;
    if year_text.len() != 4 {
        return Err(bad());
    }
    let year = i32::try_from(digits(year_text).ok_or_else(bad)?).map_err(|_| bad())?;
    let month_text = fields.next();
    let day_text = fields.next();
    if fields.next().is_some() {
        return Err(bad());
    }
    let month_num = match month_text {
        Some(m) if m.len() == 2 => u8::try_from(digits(m).ok_or_else(bad)?).map_err(|_| bad())?,
        Some(_) => return Err(bad()),
        None => 12,
    };
    let month = Month::try_from(month_num).map_err(|_| bad())?;
    let day = match day_text {
        Some(d) if d.len() == 2 => u8::try_from(digits(d).ok_or_else(bad)?).map_err(|_| bad())?,
        Some(_) => return Err(bad()),
        None => last_day_of_month(year, month),
    };
    if time_part.is_some() && day_text.is_none() {
        return Err(bad());
    }
    let date = Date::from_calendar_date(year, month, day).map_err(|_| bad())?;
    let mut millis_of_day: i64 = 0;
    let mut offset_secs: i64 = 0;
    if let Some(t) = time_part {
        // hh:mm:ss[.S+][Z|±offset]
        let (clock, zone) = match t.find(['Z', '+', '-']) {
            Some(i) => (t.get(..i).ok_or_else(bad)?, t.get(i..).ok_or_else(bad)?),
            None => (t, ""),
        };
        let (hms, fraction) = match clock.split_once('.') {
            Some((h, f)) => (h, Some(f)),
            None => (clock, None),
        };
        let parts: Vec<&str> = hms.split(':').collect();
        let [h, m, s] = parts.as_slice() else {
            return Err(bad());
        };
        if h.len() != 2 || m.len() != 2 || s.len() != 2 {
            return Err(bad());
        }
        let (h, m, s) = (
            digits(h).ok_or_else(bad)?,
            digits(m).ok_or_else(bad)?,
            digits(s).ok_or_else(bad)?,
        );
        if h > 23 || m > 59 || s > 60 {
            return Err(bad());
        }
        let ms = match fraction {
            Some(f) => {
                if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                let first3: String = f.chars().chain(std::iter::repeat('0')).take(3).collect();
                digits(&first3).ok_or_else(bad)?
            }
            None => 0,
        };
        millis_of_day = ((h * 60 + m) * 60 + s) * 1000 + ms;
        offset_secs = parse_offset(zone).ok_or_else(bad)?;
    }
    let midnight = date
        .midnight()
        .assume_offset(UtcOffset::UTC)
        .unix_timestamp();
    Ok((midnight - offset_secs) * 1000 + millis_of_day)
}

fn parse_offset(zone: &str) -> Option<i64> {
    if zone.is_empty() || zone == "Z" {
        return Some(0);
    }
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body = zone.get(1..)?;
    let (h, m) = match body.split_once(':') {
        Some((h, m)) if (1..=2).contains(&h.len()) && m.len() == 2 => (digits(h)?, digits(m)?),
        Some(_) => return None,
        None => match body.len() {
            1 | 2 => (digits(body)?, 0),
            3 => (digits(body.get(..1)?)?, digits(body.get(1..)?)?),
            4 => (digits(body.get(..2)?)?, digits(body.get(2..)?)?),
            _ => return None,
        },
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

/// Add an amount of a unit with JavaScript `Date.setUTC*` semantics (overflowing days roll over).
fn plus_time(millis: i64, amount: i64, unit: &str) -> Result<i64, CertLogicError> {
    let overflow = || CertLogicError::TypeMismatch("date-time out of range".into());
    match unit {
        "hour" => amount
            .checked_mul(3_600_000)
            .and_then(|d| millis.checked_add(d))
            .ok_or_else(overflow),
        "day" => amount
            .checked_mul(86_400_000)
            .and_then(|d| millis.checked_add(d))
            .ok_or_else(overflow),
        "month" | "year" => {
            let dt = OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
                .map_err(|_| overflow())?;
            let (y, m, d) = (
                i64::from(dt.year()),
                i64::from(u8::from(dt.month())),
                i64::from(dt.day()),
            );
            let months = if unit == "year" {
                amount.checked_mul(12).ok_or_else(overflow)?
            } else {
                amount
            };
            let total = (y * 12 + (m - 1))
                .checked_add(months)
                .ok_or_else(overflow)?;
            let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) + 1);
            let ny = i32::try_from(ny).map_err(|_| overflow())?;
            let nm = Month::try_from(u8::try_from(nm).map_err(|_| overflow())?)
                .map_err(|_| overflow())?;
            let first = Date::from_calendar_date(ny, nm, 1).map_err(|_| overflow())?;
            let date = first
                .checked_add(Duration::days(d - 1))
                .ok_or_else(overflow)?;
            let day_ms = millis.rem_euclid(86_400_000);
            Ok(date
                .midnight()
                .assume_offset(UtcOffset::UTC)
                .unix_timestamp()
                * 1000
                + day_ms)
        }
        other => Err(CertLogicError::InvalidExpression(format!(
            "unknown time unit {other:?}"
        ))),
    }
}

fn format_millis(ms: i64) -> String {
    match OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) {
        Ok(dt) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            dt.year(),
            u8::from(dt.month()),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            dt.millisecond()
        ),
        Err(_) => ms.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plus_time_leap_days() {
        let t =
            |d: &str, n, u| format_millis(plus_time(parse_date_time(d).unwrap(), n, u).unwrap());
        assert_eq!(t("2020-02-29", 1, "day"), "2020-03-01T00:00:00.000Z");
        assert_eq!(t("2020-02-29", 1, "month"), "2020-03-29T00:00:00.000Z");
        assert_eq!(t("2020-02-29", 1, "year"), "2021-03-01T00:00:00.000Z");
        assert_eq!(
            t("2021-06-01T10:00:00.1239+2", 0, "hour"),
            "2021-06-01T08:00:00.123Z"
        );
        assert_eq!(
            format_millis(parse_date_time("2004").unwrap()),
            "2004-12-31T00:00:00.000Z"
        );
        assert_eq!(
            format_millis(parse_date_time("2004-02").unwrap()),
            "2004-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn typed_errors() {
        assert!(matches!(
            evaluate(&json!({"foo": [1]}), &json!({})),
            Err(CertLogicError::UnknownOperation(_))
        ));
        assert!(matches!(
            evaluate(&json!({"a": 1, "b": 2}), &json!({})),
            Err(CertLogicError::InvalidExpression(_))
        ));
        assert!(matches!(
            evaluate(&json!({"<": ["a", 1]}), &json!({})),
            Err(CertLogicError::TypeMismatch(_))
        ));
        assert!(matches!(
            evaluate(&json!({"plusTime": ["x", 1, "day"]}), &json!({})),
            Err(CertLogicError::BadDateTime { .. })
        ));
        let mut deep = json!(true);
        for _ in 0..200 {
            deep = json!({"!": [deep]});
        }
        assert!(matches!(
            evaluate(&deep, &json!({})),
            Err(CertLogicError::TooDeep)
        ));
    }
}
