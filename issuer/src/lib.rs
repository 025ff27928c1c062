//! The issuer service of a health authority (`crosscode issuer serve`).
//!
//! An authority admitted on the consortium chain runs this service to issue health codes to
//! citizens' wallets. What it does, and where each part lives:
//! - [`store`]: the authority's own database (the [`store::IssuerStore`] port, with an embedded
//!   RocksDB adapter and a PostgreSQL adapter). Subject records — the personal data credentials
//!   are issued from ([`records`]) — are sealed before they reach it ([`sealing`]) and never
//!   leave it.
//! - [`status`]: W3C Bitstring Status List allocation and publication (revocation and
//!   suspension), every list version anchored on the chain.
//! - [`oid4vci`]: OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow.
//!
//! Service logic is plain functions over these ports, testable without HTTP; the HTTP layer
//! (axum) follows the registry node's conventions: typed JSON errors, body limits, OpenAPI at
//! `/openapi.json`, CPU-heavy signing off the async workers.

pub mod oid4vci;
pub mod records;
pub mod sealing;
pub mod status;
pub mod store;
