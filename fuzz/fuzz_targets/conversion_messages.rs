//! Fuzz target: the cross-border conversion messages a converting authority and a wallet read
//! from each other (`docs/conversion.md`) — the request, the policy, the published policy, the
//! challenge, the response and the refusal, and a pseudonymous credential — give typed errors,
//! never a panic. A request that parses has a request hash and a consent that verifies or is
//! refused; every message that parses re-serialises to the same message; a policy that parses
//! has a hash, and a pseudonymous credential a checked claim list.
#![no_main]

use crosscode_core::crossborder::{
    AuthorityDid, ClaimName, ConversionChallenge, ConversionPolicy, ConversionRefusal,
    ConversionRequest, ConversionResponse, PseudonymousCredential, PublishedPolicy,
};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Parses `body` as `T`; what parses must serialise and parse back to itself.
fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(
    body: &[u8],
) -> Option<T> {
    let parsed: T = serde_json::from_slice(body).ok()?;
    let text = serde_json::to_vec(&parsed).expect("a parsed message serialises");
    let again: T = serde_json::from_slice(&text).expect("a serialised message parses");
    assert_eq!(again, parsed);
    Some(parsed)
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    match mode % 7 {
        0 => {
            if let Some(request) = round_trip::<ConversionRequest>(body) {
                let _ = request.request_hash();
                if let Ok(audience) = AuthorityDid::new("did:crosscode:mo:converter") {
                    let _ = request.verify_consent(&audience);
                }
            }
        }
        1 => {
            if let Some(policy) = round_trip::<ConversionPolicy>(body) {
                let _ = policy.hash();
                let _ = policy.accepts("CN-GD", "HealthCode");
            }
        }
        2 => {
            round_trip::<PublishedPolicy>(body);
        }
        3 => {
            round_trip::<ConversionChallenge>(body);
        }
        4 => {
            round_trip::<ConversionResponse>(body);
        }
        5 => {
            round_trip::<ConversionRefusal>(body);
        }
        _ => {
            let Ok(document) = serde_json::from_slice(body) else {
                return;
            };
            if let Ok(credential) = PseudonymousCredential::new(document) {
                let allowed: Vec<ClaimName> = credential
                    .claims()
                    .iter()
                    .filter_map(|claim| ClaimName::new(claim.as_str()).ok())
                    .collect();
                let _ = credential.check_disclosure(&allowed);
            }
        }
    }
});
