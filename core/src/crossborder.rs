//! Everything that crosses a border, in one module: the messages of the cross-border
//! conversion protocol (`docs/conversion.md`) and the **egress guard** that keeps personal
//! data out of them.
//!
//! - [`guard`]: [`PersonalData`] (no `Serialize`), the [`NoPersonalData`] marker and
//!   [`cross_border_message!`](crate::cross_border_message), which implements
//!   [`CrossBorderMessage`] only for a struct whose every field is free of personal data;
//! - [`wire`]: the validated value types messages are made of (hashes, DIDs, challenges,
//!   time stamps, claim names, jurisdiction codes, signatures);
//! - [`claims`]: [`PseudonymousCredential`], a credential checked to hold no personal claim,
//!   and the policy's disclosure check;
//! - [`messages`]: the policy, the challenge, the request with the holder's consent, the
//!   response and the refusal;
//! - [`RefusalCode`]: the stable codes of a refusal.
//!
//! Every message that leaves a jurisdiction is one of these types; `crosscode-tests`' privacy
//! audit checks the bytes that actually cross, and `core/tests/egress_guard.rs` shows (with
//! `trybuild`) that a message with a personal field does not compile.

pub mod claims;
pub mod guard;
pub mod messages;
pub mod wire;

pub use claims::{CrossingError, PERSONAL_CLAIMS, PseudonymousCredential, STRUCTURAL_CLAIMS};
pub use guard::{CrossBorderMessage, NoPersonalData, PersonalData};
pub use messages::{
    AcceptedSource, Consent, ConsentError, ConversionChallenge, ConversionPolicy,
    ConversionRefusal, ConversionRequest, ConversionResponse, PublishedPolicy, RequestBody,
    SourceCredential,
};
pub use wire::{
    AuthorityDid, Challenge, ClaimName, CredentialTypeName, Digest, HolderDid, Jurisdiction,
    PolicyRules, PublicText, SignatureValue, Timestamp, WireError,
};

use serde::{Deserialize, Serialize};

macro_rules! refusal_codes {
    ($( $(#[$doc:meta])* $variant:ident = $wire:literal, $status:literal; )*) => {
        /// Why a conversion (or a challenge) was refused: a stable wire code
        /// (`SCREAMING_SNAKE_CASE`), with [`RefusalCode::Unknown`] for a code this version
        /// does not know.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum RefusalCode {
            $( $(#[$doc])* $variant, )*
            /// A code this version does not know (kept as sent).
            Unknown(String),
        }

        impl RefusalCode {
            /// The wire code.
            pub fn as_str(&self) -> &str {
                match self {
                    $( RefusalCode::$variant => $wire, )*
                    RefusalCode::Unknown(code) => code,
                }
            }

            /// The HTTP status a refusal with this code is answered with.
            pub fn http_status(&self) -> u16 {
                match self {
                    $( RefusalCode::$variant => $status, )*
                    RefusalCode::Unknown(_) => 400,
                }
            }

            /// Every known code.
            pub const ALL: &'static [RefusalCode] = &[$( RefusalCode::$variant, )*];
        }

        impl From<String> for RefusalCode {
            fn from(code: String) -> RefusalCode {
                match code.as_str() {
                    $( $wire => RefusalCode::$variant, )*
                    _ => RefusalCode::Unknown(code),
                }
            }
        }
    };
}

refusal_codes! {
    /// The request is not a well-formed conversion request.
    MalformedRequest = "MALFORMED_REQUEST", 400;
    /// The request's credential holds a personal claim.
    PersonalData = "PERSONAL_DATA", 400;
    /// The challenge was never issued by this service.
    ChallengeUnknown = "CHALLENGE_UNKNOWN", 400;
    /// The challenge was used already.
    ChallengeReplayed = "CHALLENGE_REPLAYED", 409;
    /// The challenge expired.
    ChallengeExpired = "CHALLENGE_EXPIRED", 400;
    /// The request names another policy than the one in force.
    PolicyMismatch = "POLICY_MISMATCH", 409;
    /// The policy in force is not the one anchored on the chain.
    PolicyNotAnchored = "POLICY_NOT_ANCHORED", 503;
    /// The request discloses a claim the policy does not name.
    DisclosesTooMuch = "DISCLOSES_TOO_MUCH", 400;
    /// The request does not disclose a claim the policy needs.
    ClaimMissing = "CLAIM_MISSING", 400;
    /// The consent is not the source holder's, or does not verify, or is not fresh.
    ConsentInvalid = "CONSENT_INVALID", 400;
    /// The policy does not accept the source's jurisdiction or type.
    SourceNotAccepted = "SOURCE_NOT_ACCEPTED", 422;
    /// The source issuer is not an admitted authority.
    IssuerNotAdmitted = "ISSUER_NOT_ADMITTED", 422;
    /// The source issuer is suspended.
    IssuerSuspended = "ISSUER_SUSPENDED", 422;
    /// The source issuer's scope does not cover the credential.
    OutOfScope = "OUT_OF_SCOPE", 422;
    /// The source credential's proof does not verify.
    ProofInvalid = "PROOF_INVALID", 422;
    /// The source credential is expired or not yet valid.
    SourceNotValid = "SOURCE_NOT_VALID", 422;
    /// The source credential is not anchored by its issuer.
    NotAnchored = "NOT_ANCHORED", 422;
    /// The source credential is revoked.
    Revoked = "REVOKED", 422;
    /// The source credential is suspended.
    Suspended = "SUSPENDED", 422;
    /// The policy's rules do not pass on the disclosed claims.
    RulesFailed = "RULES_FAILED", 422;
    /// The service cannot check against the chain now.
    TrustUnavailable = "TRUST_UNAVAILABLE", 503;
    /// The service failed to issue or anchor.
    IssuanceFailed = "ISSUANCE_FAILED", 500;
}

impl From<RefusalCode> for String {
    fn from(code: RefusalCode) -> String {
        code.as_str().to_owned()
    }
}

impl NoPersonalData for RefusalCode {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_codes_round_trip_and_an_unknown_code_is_kept() {
        for code in RefusalCode::ALL {
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(&serde_json::from_str::<RefusalCode>(&json).unwrap(), code);
        }
        assert_eq!(
            serde_json::from_str::<RefusalCode>("\"NEW_CODE\"").unwrap(),
            RefusalCode::Unknown("NEW_CODE".into())
        );
    }
}
