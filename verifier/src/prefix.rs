//! Format detection and context-prefix removal (`HC1:` for EU DCC, `shc:/` for SMART Health Cards).

/// The credential formats the pipeline understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum CredentialFormat {
    /// EU Digital COVID Certificate: `HC1:` + base45(zlib(COSE_Sign1(CWT))).
    #[serde(rename = "EU_DCC")]
    EuDcc,
    /// SMART Health Card: `shc:/` + numeric-mode digits of a compact JWS.
    #[serde(rename = "SMART_HEALTH_CARD")]
    SmartHealthCard,
}

impl std::fmt::Display for CredentialFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::EuDcc => "EU_DCC",
            Self::SmartHealthCard => "SMART_HEALTH_CARD",
        })
    }
}

/// The EU DCC context identifier (hcert spec: version 1 of the health certificate).
pub const DCC_PREFIX: &str = "HC1:";
/// The SMART Health Card URI scheme prefix.
pub const SHC_PREFIX: &str = "shc:/";

/// Why the context prefix could not be removed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefixError {
    /// The text is empty (after trimming surrounding whitespace).
    #[error("empty QR text")]
    Empty,
    /// A DCC-like context prefix with an unsupported value (e.g. `HL0:`, `HC2:`).
    #[error("unsupported context prefix {found:?} (expected \"HC1:\")")]
    UnsupportedContext {
        /// The prefix that was found.
        found: String,
    },
    /// No known prefix at all.
    #[error("no known context prefix (expected \"HC1:\" or \"shc:/\")")]
    Missing,
}

/// Detect the format of a scanned QR text and return it with the text after the prefix.
///
/// Surrounding whitespace (a trailing newline from a scanner) is ignored. The DCC prefix must be
/// exactly `HC1:`; `HL0:`, `HC2:` and a missing prefix are errors.
pub fn unprefix(text: &str) -> Result<(CredentialFormat, &str), PrefixError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(PrefixError::Empty);
    }
    if let Some(rest) = text.strip_prefix(DCC_PREFIX) {
        return Ok((CredentialFormat::EuDcc, rest));
    }
    if let Some(rest) = text.strip_prefix(SHC_PREFIX) {
        return Ok((CredentialFormat::SmartHealthCard, rest));
    }
    // Something that looks like a context identifier: up to 4 alphanumerics followed by ':'.
    if let Some(pos) = text.find(':') {
        let head = text.get(..pos).unwrap_or_default();
        if (2..=4).contains(&head.len()) && head.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(PrefixError::UnsupportedContext {
                found: text.get(..=pos).unwrap_or_default().to_owned(),
            });
        }
    }
    Err(PrefixError::Missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats_and_rejects_other_contexts() {
        assert_eq!(
            unprefix("HC1:ABC").unwrap(),
            (CredentialFormat::EuDcc, "ABC")
        );
        assert_eq!(
            unprefix("shc:/5676\n").unwrap(),
            (CredentialFormat::SmartHealthCard, "5676")
        );
        assert!(matches!(
            unprefix("HL0:ABC"),
            Err(PrefixError::UnsupportedContext { .. })
        ));
        assert!(matches!(
            unprefix("HC2:ABC"),
            Err(PrefixError::UnsupportedContext { .. })
        ));
        assert!(matches!(unprefix("NCFOXN"), Err(PrefixError::Missing)));
        assert!(matches!(unprefix("  "), Err(PrefixError::Empty)));
    }
}
