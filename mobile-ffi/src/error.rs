//! The one error of the bindings: a stable string code (the wallet core's
//! `WalletError::code`, plus the codes below) and a human-readable detail.
//!
//! Codes a binding itself adds: `keystore_callback` (the app's keystore threw something that is
//! not a `WalletError`), `invalid_argument` (an argument the bindings could not convert, e.g. a
//! public key of the wrong length), `invalid_trust` (a trust document that does not load),
//! `runtime` (the bindings could not start their network runtime).

use crosscode_wallet_core::keystore::KeystoreError;

/// Why a call failed: `code` is stable (apps switch on it), `detail` is for people and logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum WalletError {
    /// The call failed.
    #[error("{code}: {detail}")]
    Failed {
        /// A stable code (see docs/wallet.md, "Errors").
        code: String,
        /// What went wrong, for people; never a personal value.
        detail: String,
    },
}

impl WalletError {
    /// A failure with `code` and `detail`.
    pub(crate) fn new(code: &str, detail: impl Into<String>) -> WalletError {
        WalletError::Failed {
            code: code.to_owned(),
            detail: detail.into(),
        }
    }

    /// The stable code.
    pub fn code(&self) -> &str {
        match self {
            WalletError::Failed { code, .. } => code,
        }
    }
}

impl From<crosscode_wallet_core::WalletError> for WalletError {
    fn from(error: crosscode_wallet_core::WalletError) -> WalletError {
        WalletError::new(error.code(), error.to_string())
    }
}

impl From<KeystoreError> for WalletError {
    fn from(error: KeystoreError) -> WalletError {
        crosscode_wallet_core::WalletError::from(error).into()
    }
}

/// What UniFFI hands over when a foreign keystore throws anything but a `WalletError`.
impl From<uniffi::UnexpectedUniFFICallbackError> for WalletError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> WalletError {
        WalletError::new("keystore_callback", error.reason)
    }
}
