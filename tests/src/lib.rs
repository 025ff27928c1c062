//! Crosscode's whole-system tests (`tests/*.rs`) and the privacy audit's tools they use.
//!
//! The mission's invariant — nothing that leaves a jurisdiction carries personal data — is
//! checked by running the whole two-jurisdiction flow with [`sentinel`] personal values while a
//! [`recording_proxy::RecordingProxy`] in front of each party records every HTTP exchange into
//! a [`recording::Recording`] (other crossing bytes, such as chain replication, are added as
//! blobs), then searching every recording with the [`audit::Scanner`] for each sentinel, raw
//! and in every encoding the project uses. A positive control (a planted sentinel) proves the
//! scanner finds what it looks for.
//!
//! Nothing here is part of any crate's public API; production code never depends on it.

pub mod audit;
pub mod conversion_client;
pub mod jurisdictions;
pub mod recording;
pub mod recording_proxy;
pub mod scenario;
pub mod sentinel;

pub use audit::{Hit, ScanReport, Scanner};
pub use recording::{Blob, Exchange, Recording};
pub use recording_proxy::RecordingProxy;
pub use sentinel::Sentinels;
