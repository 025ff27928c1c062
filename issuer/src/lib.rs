//! The issuer service of a health authority (`crosscode issuer serve`).
//!
//! An authority admitted on the consortium chain runs this service to issue health codes to
//! citizens' wallets. What it does, and where each part lives:
//! - [`authority`]: start-up as an admitted authority (its DID, keys and scope on the chain);
//! - [`issuance`], [`claims`], [`schemas`]: from an unsigned credential or a subject record to
//!   a secured credential (proof set, status entries, schema, evidence);
//! - [`anchoring`]: every credential's hash anchored in a batch (group commit), the one writer
//!   of the authority's transactions;
//! - [`status`]: W3C Bitstring Status List allocation and publication (revocation and
//!   suspension), every list version anchored on the chain;
//! - [`oid4vci`]: OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow;
//! - [`store`], [`records`], [`sealing`]: the authority's own database (embedded RocksDB or
//!   PostgreSQL); subject records — the personal data — are sealed before they reach it and
//!   never leave it;
//! - [`service`]: the operations as plain functions; [`http`], [`server`], [`token`]: the
//!   HTTP API.
//!
//! Service logic is testable without HTTP; the HTTP layer (axum) follows the registry node's
//! conventions: typed JSON errors, body limits, OpenAPI at `/openapi.json`, CPU-heavy signing
//! off the async workers.

pub mod anchoring;
pub mod authority;
pub mod claims;
pub mod conversion;
mod conversion_routes;
pub mod http;
pub mod issuance;
pub mod oid4vci;
pub mod records;
pub mod schemas;
pub mod sealing;
pub mod server;
pub mod service;
pub mod status;
pub mod store;
pub mod token;
mod wallet_routes;
