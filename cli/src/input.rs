//! Reading the inputs of commands: JSON files and RFC 3339 instants, with one-line errors that
//! name what was wrong.

use std::path::Path;

use anyhow::Context;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Reads and parses a JSON file, with one-line errors naming the file.
pub fn read_json(path: &Path) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))
}

/// Parses an RFC 3339 instant given on the command line (clap `value_parser`).
pub fn parse_time(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|err| format!("not an RFC 3339 date-time (e.g. 2026-11-21T12:00:00Z): {err}"))
}
