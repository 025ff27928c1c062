//! Format names and context-prefix errors (`HC1:` for EU DCC, `shc:/` for SMART Health Cards;
//! each format declares its prefix, see [`crate::format`]).

/// The credential formats the pipeline understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum CredentialFormat {
    /// EU Digital COVID Certificate: `HC1:` + base45(zlib(COSE_Sign1(CWT))).
    #[serde(rename = "EU_DCC")]
    EuDcc,
    /// SMART Health Card: `shc:/` + numeric-mode digits of a compact JWS.
    #[serde(rename = "SMART_HEALTH_CARD")]
    SmartHealthCard,
    /// Crosscode's envelope: `CC1:` + base45(zlib(CBOR)) of a credential or presentation.
    #[serde(rename = "CC1")]
    Cc1,
}

impl std::fmt::Display for CredentialFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::EuDcc => "EU_DCC",
            Self::SmartHealthCard => "SMART_HEALTH_CARD",
            Self::Cc1 => "CC1",
        })
    }
}

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

/// Why no registered format recognises `text`: a DCC-like context identifier (up to four
/// alphanumerics and `:`, e.g. `HL0:`, `HC2:`) is an unsupported context; anything else has no
/// known prefix.
pub(crate) fn unrecognised(text: &str) -> PrefixError {
    let text = text.trim();
    if let Some(pos) = text.find(':') {
        let head = text.get(..pos).unwrap_or_default();
        if (2..=4).contains(&head.len()) && head.chars().all(|c| c.is_ascii_alphanumeric()) {
            return PrefixError::UnsupportedContext {
                found: text.get(..=pos).unwrap_or_default().to_owned(),
            };
        }
    }
    PrefixError::Missing
}
