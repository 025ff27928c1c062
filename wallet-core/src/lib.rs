//! Crosscode wallet core: what a citizen's phone does with health credentials, as a Rust
//! library that the UniFFI bindings (`mobile-ffi`) and the CLI wrap.
//!
//! - [`keystore`]: the holder keys behind the [`Keystore`](keystore::Keystore) port (sign by
//!   handle; a software keystore encrypted at rest, or the platform keystore through FFI), one
//!   fresh `did:key` per credential;
//! - [`store`]: the credentials, encrypted at rest, written atomically;
//! - [`transport`]: the HTTP port ([`Transport`](transport::Transport)) and, with feature
//!   `http`, its default implementation;
//! - [`receive`]: redeeming an OpenID4VCI credential offer and verifying the credential on
//!   arrival;
//! - [`present`]: the CC1 QR presentation — a BBS-derived credential revealing only the chosen
//!   claims inside a presentation the holder signs, optionally for the current time slot
//!   (dynamic QR);
//! - [`wallet`]: the [`Wallet`] facade the apps use.
//!
//! Formats a compatible wallet or verifier needs are in `docs/wallet.md`.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod convert;
pub mod keystore;
pub mod present;
pub mod receive;
pub mod store;
pub mod transport;
pub mod wallet;

pub use wallet::{CredentialSummary, Wallet, WalletError};
