//! W3C DID Resolution: registry DID documents rendered as W3C DID documents with resolution
//! metadata (the Universal Resolver driver shape).
