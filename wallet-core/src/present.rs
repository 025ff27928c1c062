//! Presenting a credential as a CC1 QR code (`docs/wallet.md`, "Presentation").
//!
//! The presentation is a W3C VC 2.0 presentation signed by the credential's holder key in the
//! CC1 envelope's form (a) (a COSE_Sign1 by the holder's `did:key` verification method):
//!
//! ```json
//! {"@context": ["https://www.w3.org/ns/credentials/v2"],
//!  "type": ["VerifiablePresentation"],
//!  "holder": "did:key:z6Mk…",
//!  "domain": "<audience>",            // when an audience is given
//!  "timeSlot": 60000000,              // dynamic QR only: floor(unix time / 30)
//!  "verifiableCredential": { …the credential, derived… }}
//! ```
//!
//! - **Selective disclosure**: a credential with a `bbs-jcs-2026` base proof is presented as a
//!   derived credential (core `derive_credential`) revealing the mandatory part, the claims
//!   asked for and `credentialSubject.id` (so the verifier sees the credential is about the
//!   holder who signed the presentation), with a fresh unlinkable BBS proof. A claim is named by
//!   a JSON pointer (`/credentialSubject/statusColour`) or by its name under
//!   `credentialSubject` (`statusColour`).
//! - **Non-selective**: a credential without a BBS proof is carried whole with one proof of
//!   its set (the `eddsa-jcs-2022` one when it has one, else the first); asking to disclose
//!   claims of such a credential is [`PresentError::NotSelective`].
//! - **Holder binding**: the COSE signature by the holder key over the whole presentation,
//!   including the audience (`domain`) and the time slot.
//! - **Dynamic QR**: `timeSlot` is the slot of `now` (core `envelope::time_slot`); a verifier
//!   refuses a slot more than one away from its own, so a screenshot expires within 30–60 s.
//! - **Anchor receipt** ([`present_with_anchor`]): the credential's anchor receipt may travel
//!   beside the presentation (the envelope's third item), for checkpoints that check anchor
//!   inclusion offline; a derived credential then also reveals its `id`, which the receipt's
//!   anchor leaf binds. Both are the same at every showing: such presentations are linkable.

use crosscode_core::anchor::AnchorReceipt;
use crosscode_core::data_integrity::Cryptosuite;
use crosscode_core::data_integrity::bbs::{self, DeriveOptions, SelectiveDisclosureError};
use crosscode_core::data_integrity::selective::escape_token;
use crosscode_core::did::TrustCache;
use crosscode_core::envelope::{self, EnvelopeError, qr, time_slot};
use crosscode_core::keys::SignatureError;
use crosscode_core::vc::{VC_V2_CONTEXT, VERIFIABLE_PRESENTATION_TYPE};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::keystore::{Keystore, KeystoreError, KeystoreSigner};
use crate::receive::proofs_of;
use crate::store::StoredCredential;

/// A presentation ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrPresentation {
    /// The `CC1:` payload (the QR code's text).
    pub payload: String,
    /// The QR code as a PNG image.
    pub png: Vec<u8>,
    /// The time slot it is good for (dynamic presentations).
    pub time_slot: Option<i64>,
    /// Whether the credential's anchor receipt travels in the code (for checkpoints that
    /// check anchor inclusion).
    pub anchored: bool,
}

/// Why a presentation could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PresentError {
    /// The credential has no BBS proof, so it cannot disclose only some claims.
    #[error("this credential cannot disclose only some claims (it has no bbs-jcs-2026 proof)")]
    NotSelective,
    /// A claim asked for is not in the credential, or deriving failed.
    #[error("selective disclosure: {0}")]
    Derive(#[from] SelectiveDisclosureError),
    /// The stored issuer keys do not load.
    #[error("the stored issuer keys are unreadable: {0}")]
    IssuerKeys(String),
    /// The keystore failed.
    #[error("keystore: {0}")]
    Keystore(#[from] KeystoreError),
    /// Building the envelope failed.
    #[error("envelope: {0}")]
    Envelope(EnvelopeError),
    /// Rendering the QR code failed (the payload is too long for a QR code).
    #[error("QR code: {0}")]
    Qr(String),
}

/// The pointer of a claim asked for: a JSON pointer as is, a name as
/// `/credentialSubject/<name>`.
pub fn claim_pointer(claim: &str) -> String {
    if claim.starts_with('/') {
        claim.to_owned()
    } else {
        format!("/credentialSubject/{}", escape_token(claim))
    }
}

/// Whether `credential` carries a `bbs-jcs-2026` proof (so it can disclose only some claims).
pub(crate) fn has_bbs_proof(credential: &Value) -> bool {
    proofs_of(credential).into_iter().any(|proof| {
        proof.get("cryptosuite").and_then(Value::as_str) == Some(Cryptosuite::BbsJcs2026.name())
    })
}

/// The credential with one proof of its set: the `eddsa-jcs-2022` one, else the first.
fn with_one_proof(credential: &Value) -> Value {
    let mut credential = credential.clone();
    if let Some(Value::Array(proofs)) = credential.get("proof").cloned() {
        let chosen = proofs
            .iter()
            .find(|proof| {
                proof.get("cryptosuite").and_then(Value::as_str)
                    == Some(Cryptosuite::EddsaJcs2022.name())
            })
            .or_else(|| proofs.first())
            .cloned();
        if let (Some(object), Some(proof)) = (credential.as_object_mut(), chosen) {
            object.insert("proof".into(), proof);
        }
    }
    credential
}

/// Makes the presentation of `stored` disclosing `disclose`, for `audience`, dynamic or not,
/// at `now`, signed by its holder key in `keystore` (see the module documentation).
pub fn present(
    stored: &StoredCredential,
    keystore: &dyn Keystore,
    disclose: &[String],
    audience: Option<&str>,
    dynamic: bool,
    now: OffsetDateTime,
) -> Result<QrPresentation, PresentError> {
    present_with_anchor(stored, keystore, disclose, audience, dynamic, now, None)
}

/// [`present`] carrying `anchor` — the credential's anchor receipt — beside the presentation
/// in the envelope, so a checkpoint checks offline that the credential was anchored by its
/// issuer (core `envelope::anchors`; about 175–1,100 more characters, with the batch's depth).
pub fn present_with_anchor(
    stored: &StoredCredential,
    keystore: &dyn Keystore,
    disclose: &[String],
    audience: Option<&str>,
    dynamic: bool,
    now: OffsetDateTime,
    anchor: Option<&AnchorReceipt>,
) -> Result<QrPresentation, PresentError> {
    let carried = if has_bbs_proof(&stored.credential) {
        let issuer_keys = TrustCache::from_json(&stored.issuer_keys.to_string())
            .map_err(|err| PresentError::IssuerKeys(err.to_string()))?;
        let mut reveal: Vec<String> = disclose.iter().map(|claim| claim_pointer(claim)).collect();
        reveal.push("/credentialSubject/id".to_owned());
        if anchor.is_some() {
            // The receipt's anchor leaf binds the credential's id: the checkpoint needs it.
            reveal.push("/id".to_owned());
        }
        bbs::derive_credential(
            &stored.credential,
            &issuer_keys,
            &DeriveOptions {
                reveal,
                nonce: None,
                holder_key: None,
            },
        )?
    } else if disclose.is_empty() {
        with_one_proof(&stored.credential)
    } else {
        return Err(PresentError::NotSelective);
    };

    let time_slot = dynamic.then(|| time_slot::slot_at(now));
    let mut presentation = Map::new();
    presentation.insert("@context".into(), Value::from(vec![VC_V2_CONTEXT]));
    presentation.insert(
        "type".into(),
        Value::from(vec![VERIFIABLE_PRESENTATION_TYPE]),
    );
    presentation.insert("holder".into(), Value::from(stored.holder_did.clone()));
    if let Some(audience) = audience {
        presentation.insert(time_slot::AUDIENCE_MEMBER.into(), Value::from(audience));
    }
    if let Some(slot) = time_slot {
        presentation.insert(time_slot::TIME_SLOT_MEMBER.into(), Value::from(slot));
    }
    presentation.insert("verifiableCredential".into(), carried);

    let signer = KeystoreSigner::new(keystore, stored.key_handle.clone())?;
    let verification_method = signer.did_key().verification_method_id();
    let payload = envelope::encode_signed_with_anchors(
        &Value::Object(presentation),
        &signer,
        &verification_method,
        &[anchor],
    )
    .map_err(|err| match (signer.take_error(), err) {
        (Some(keystore_error), _) => PresentError::Keystore(keystore_error),
        (None, EnvelopeError::Signing(SignatureError::SignerFailed { reason })) => {
            PresentError::Keystore(KeystoreError::Platform(reason))
        }
        (None, other) => PresentError::Envelope(other),
    })?;
    let png = qr::render_png(&payload).map_err(|err| PresentError::Qr(err.to_string()))?;
    Ok(QrPresentation {
        payload,
        png,
        time_slot,
        anchored: anchor.is_some(),
    })
}
