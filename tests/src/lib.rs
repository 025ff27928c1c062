//! Crosscode's whole-system tests (`tests/*.rs`) and the privacy audit's tools they use.
//!
//! The mission's invariant — nothing that leaves a jurisdiction carries personal data — is
//! checked by running the whole two-jurisdiction flow with [`sentinel`] personal values while a
//! [`recording_proxy::RecordingProxy`] in front of each party records every HTTP exchange into
//! a [`recording::Recording`] (other crossing bytes, such as chain replication, are added as
//! blobs) and [`log_capture`] keeps every log event of the process, then searching every
//! recording and the logs with the [`audit::Scanner`] for each sentinel, raw and in every
//! encoding the project uses. Positive controls (planted sentinels) prove the scanner finds
//! what it looks for.
//!
//! [`jurisdictions`] sets up CN-GD and MO on one chain in process, [`conversion_client`]
//! builds the refusal tests' requests, and [`scenario`] is the two-jurisdiction scenario that
//! `crosscode demo` runs and prints. No library crate depends on this one; the CLI does, for
//! the demo only.

pub mod audit;
pub mod conversion_client;
pub mod jurisdictions;
pub mod log_capture;
pub mod recording;
pub mod recording_proxy;
pub mod scenario;
pub mod sentinel;

pub use audit::{Hit, ScanReport, Scanner};
pub use recording::{Blob, Exchange, Recording};
pub use recording_proxy::RecordingProxy;
pub use sentinel::Sentinels;
