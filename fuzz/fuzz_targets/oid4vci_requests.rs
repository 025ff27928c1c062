//! Fuzz target: the OpenID4VCI request bodies the issuer parses — the token form, the credential
//! request JSON, the proof-of-possession JWT (with its did:key `kid`) and the credential offer
//! URI — give typed errors, never a panic; what parses round-trips.
#![no_main]

use crosscode_issuer::oid4vci::{CredentialOffer, CredentialRequest, TokenRequest, proof_jwt};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => {
            if let Ok(request) = TokenRequest::from_form(body) {
                // A parsed form re-encodes to a form that parses to the same request.
                let again = TokenRequest::from_form(request.to_form().as_bytes()).ok();
                assert_eq!(again.as_ref(), Some(&request));
            }
        }
        1 => {
            if let Ok(request) = CredentialRequest::from_json(body) {
                let json = serde_json::to_vec(&request).unwrap_or_default();
                let again = CredentialRequest::from_json(&json).ok();
                assert_eq!(again.as_ref(), Some(&request));
            }
        }
        2 => {
            let Ok(text) = std::str::from_utf8(body) else {
                return;
            };
            if let Ok(proof) = proof_jwt::parse(text) {
                let _ = proof.verify_signature();
            }
            let _ = proof_jwt::holder_key(text);
        }
        _ => {
            let Ok(text) = std::str::from_utf8(body) else {
                return;
            };
            if let Ok(offer) = CredentialOffer::from_uri(text) {
                assert_eq!(CredentialOffer::from_uri(&offer.to_uri()).ok(), Some(offer));
            }
        }
    }
});
