//! Crosscode checkpoint verifier: a format-agnostic verification pipeline for health-credential
//! QR codes, proven on the formats a border meets today — EU Digital COVID Certificates (`HC1:`)
//! and SMART Health Cards (`shc:/`) — and on Crosscode's own envelope (`CC1:`).
//!
//! The pipeline runs as explicit steps ([`report::PIPELINE_STEPS`], named by core's one list of
//! verification steps, `crosscode_core::VerificationStep`), each with a typed outcome, against an offline
//! [`trust::TrustStore`] and an optional CertLogic [`rules::RuleSet`]. Each format is one module
//! of [`format`] behind the [`Format`] trait; the [`Verifier`] recognises a QR text by its
//! context prefix and hands it to that format. See `docs/verifier.md`. The checkpoint's web page
//! and its API are [`gate`] (`docs/checkpoint.md`).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod certificate;
pub mod certlogic;
pub mod chain_trust;
pub mod clock;
pub mod conversion;
pub mod cose;
pub mod dcc_schema;
pub mod dcc_testfile;
pub mod format;
pub mod gate;
pub mod jws;
pub mod pipeline;
pub mod prefix;
pub mod report;
pub mod revocation;
pub mod rules;
pub mod schema;
pub mod shc_numeric;
pub mod signature;
pub mod sync;
pub mod trust;
pub mod value_sets;
pub mod vci;
pub mod x5c;

pub use format::Format;
pub use pipeline::Verifier;
pub use prefix::CredentialFormat;
pub use report::{PIPELINE_STEPS, Report, StepOutcome, Verdict};
pub use trust::TrustStore;
