//! The plain records the bindings hand to apps (UniFFI records, not JSON strings).

use crosscode_wallet_core::present;
use crosscode_wallet_core::store::StatusCheck;

/// The status check made when the credential arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CredentialStatus {
    /// Every status list was fetched and verified, and the credential is neither revoked nor
    /// suspended.
    Good,
    /// A status list could not be fetched (offline): not checked.
    Unreachable,
    /// The credential has no status entries.
    NoStatus,
}

impl From<StatusCheck> for CredentialStatus {
    fn from(status: StatusCheck) -> CredentialStatus {
        match status {
            StatusCheck::Good => CredentialStatus::Good,
            StatusCheck::Unreachable => CredentialStatus::Unreachable,
            StatusCheck::NoStatus => CredentialStatus::NoStatus,
        }
    }
}

/// A credential as a list shows it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CredentialSummary {
    /// The wallet's id of the credential.
    pub id: String,
    /// Its types (`VerifiableCredential`, `HealthCode`, ...).
    pub types: Vec<String>,
    /// The issuer's DID.
    pub issuer: String,
    /// The holder `did:key` it is bound to (one per credential).
    pub holder_did: String,
    /// When it was received (Unix seconds).
    pub received_at: i64,
    /// `validUntil`, if any (RFC 3339).
    pub valid_until: Option<String>,
    /// The status check on arrival.
    pub status: CredentialStatus,
    /// Whether it can disclose only some claims (it carries a BBS proof).
    pub selective: bool,
}

impl From<crosscode_wallet_core::CredentialSummary> for CredentialSummary {
    fn from(summary: crosscode_wallet_core::CredentialSummary) -> CredentialSummary {
        CredentialSummary {
            id: summary.id,
            types: summary.types,
            issuer: summary.issuer,
            holder_did: summary.holder_did,
            received_at: summary.received_at,
            valid_until: summary.valid_until,
            status: summary.status.into(),
            selective: summary.selective,
        }
    }
}

/// A presentation ready to show.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QrPresentation {
    /// The `CC1:` payload (the QR code's text).
    pub payload: String,
    /// The QR code as a PNG image.
    pub png: Vec<u8>,
    /// The time slot a dynamic presentation is good for (Unix time / 30 s), else none.
    pub time_slot: Option<i64>,
    /// Whether the credential's anchor receipt travels in the code.
    pub anchored: bool,
}

impl From<present::QrPresentation> for QrPresentation {
    fn from(shown: present::QrPresentation) -> QrPresentation {
        QrPresentation {
            payload: shown.payload,
            png: shown.png,
            time_slot: shown.time_slot,
            anchored: shown.anchored,
        }
    }
}
