//! Crosscode core: the shared model every other crate stands on.
//!
//! - [`keys`]: key types (Ed25519, SM2/SM3, BLS12-381 G2 public keys), signing and strict
//!   verification, encrypted key files;
//! - [`multicodec`]: multibase / multicodec encodings of public keys;
//! - [`did`]: `Did` / `DidUrl`, the `did:key` method and DID documents;
//! - [`jcs`]: JSON canonicalization (RFC 8785);
//! - [`vc`]: the W3C Verifiable Credentials Data Model 2.0 (credentials, presentations,
//!   validation);
//! - [`data_integrity`]: Data Integrity proofs (`eddsa-jcs-2022`, the SM2/SM3 suite, proof sets)
//!   and the typed verification report;
//! - [`envelope`]: the compact QR envelope (CBOR, COSE_Sign1, deflate, base45, QR images);
//! - [`oid4vci`]: the OpenID4VCI 1.0 wire model (credential offers, metadata, token / nonce /
//!   credential requests and responses, the holder's proof-of-possession JWT);
//! - [`status_list`]: W3C Bitstring Status List v1.0 (the list format, status entries, list
//!   credentials), encoded by issuers and decoded by checkpoints;
//! - [`verification_step`]: the one list of verification steps every verifier reports
//!   ([`VerificationStep`]).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod anchor;
pub mod crossborder;
pub mod data_integrity;
pub mod did;
pub mod envelope;
pub mod jcs;
pub mod keys;
pub mod multicodec;
pub mod oid4vci;
pub mod status_list;
pub mod vc;
pub mod verification_step;

pub use verification_step::VerificationStep;
