//! The wallet core for apps: UniFFI bindings (Kotlin, Swift, Python) over
//! `crosscode-wallet-core`, thin in matrix-rust-sdk's way — each export converts its
//! arguments, calls the core and converts the result back.
//!
//! - [`Wallet`]: open a wallet directory, receive over OpenID4VCI (async: it talks to the
//!   issuer), list, get, delete, present as a CC1 QR code.
//! - [`HolderKeystore`]: a **foreign trait** — the app implements it over the platform keystore
//!   (Android StrongBox, the iOS Secure Enclave) so private keys never enter Rust;
//!   [`software_keystore`] is the Rust implementation for apps without one.
//! - [`Trust`]: the admitted authorities' keys (a trust-cache JSON document, docs/trust-cache.md).
//! - [`WalletError`]: one flat error, a stable string `code` and a `detail` that never holds a
//!   personal value.
//!
//! How an app embeds this library and implements the keystore: docs/wallet.md.

uniffi::setup_scaffolding!();

mod error;
mod keystore;
mod records;
mod trust;
mod wallet;

pub use error::WalletError;
pub use keystore::{ForeignKeystore, HolderKeyAlgorithm, HolderKeystore, software_keystore};
pub use records::{CredentialStatus, CredentialSummary, QrPresentation};
pub use trust::Trust;
pub use wallet::Wallet;
