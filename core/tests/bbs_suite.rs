//! The `bbs-jcs-2026` selective-disclosure cryptosuite (docs/cryptosuite-bbs.md): issue →
//! derive → verify, hidden claims, tampering, nonces, holder binding, unlinkability, typed
//! errors, and the health-code presentation in the CC1 QR envelope.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_core::data_integrity::bbs::{
    BbsProofValue, DeriveOptions, SelectiveDisclosureError, derive_credential,
    verify_derived_credential,
};
use crosscode_core::data_integrity::selective::StatementError;
use crosscode_core::data_integrity::{
    Cryptosuite, DataIntegrityError, ProofOptions, VerificationError, VerificationStep, add_proof,
    verify_document,
};
use crosscode_core::did::{
    DidError, DidKey, DidKeyResolver, DidUrl, KeyResolver, VerificationRelationship,
};
use crosscode_core::envelope::qr::{self, Version};
use crosscode_core::envelope::{self, SecuringForm};
use crosscode_core::keys::{KeyAlgorithm, PublicKey, SecretKey};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

const AT: OffsetDateTime = datetime!(2026-11-22 08:00 UTC);
const CREATED: OffsetDateTime = datetime!(2026-11-21 08:00 UTC);

struct Party {
    key: SecretKey,
    did: DidKey,
    vm: DidUrl,
}

fn party(algorithm: KeyAlgorithm) -> Party {
    let key = SecretKey::generate(algorithm);
    let did = DidKey::from_public_key(&key.public_key());
    let vm = did.verification_method_id();
    Party { key, did, vm }
}

/// `docs/examples/health-code-personal.json`, issued by `issuer` to `holder`.
fn personal_health_code(issuer: &Party, holder: &Party) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/examples/health-code-personal.json");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let mut credential: Value = serde_json::from_str(&text).unwrap();
    credential["issuer"] = json!(issuer.did.did().as_str());
    credential["credentialSubject"]["id"] = json!(holder.did.did().as_str());
    credential
}

fn bbs_options() -> ProofOptions {
    ProofOptions {
        cryptosuite: Some(Cryptosuite::BbsJcs2026),
        created: Some(CREATED),
        ..ProofOptions::default()
    }
}

fn issue(issuer: &Party, holder: &Party) -> Value {
    add_proof(
        &personal_health_code(issuer, holder),
        &issuer.key,
        &issuer.vm,
        &bbs_options(),
    )
    .unwrap()
}

const STATUS_POINTERS: [&str; 4] = [
    "/credentialSubject/type",
    "/credentialSubject/jurisdiction",
    "/credentialSubject/statusColour",
    "/credentialSubject/statusDate",
];

fn reveal_status(nonce: &str) -> DeriveOptions<'static> {
    DeriveOptions {
        reveal: STATUS_POINTERS.iter().map(|p| (*p).to_owned()).collect(),
        nonce: Some(nonce.to_owned()),
        holder_key: None,
    }
}

fn failure_of(document: &Value) -> VerificationError {
    let report = verify_document(document, &DidKeyResolver, AT);
    assert!(!report.verified, "{report:?}");
    report.failure.unwrap().error
}

fn sd_error(error: VerificationError) -> SelectiveDisclosureError {
    match error {
        VerificationError::SelectiveDisclosure(error) => *error,
        other => panic!("not a selective-disclosure error: {other:?}"),
    }
}

#[test]
fn issued_credential_verifies_and_tampering_breaks_it() {
    let issuer = party(KeyAlgorithm::Bls12381G2);
    let holder = party(KeyAlgorithm::Ed25519);
    let credential = issue(&issuer, &holder);
    assert_eq!(credential["proof"]["cryptosuite"], "bbs-jcs-2026");
    let report = verify_document(&credential, &DidKeyResolver, AT);
    assert!(report.verified, "{report:?}");
    assert!(report.verified_with(Cryptosuite::BbsJcs2026));
    assert!(matches!(
        BbsProofValue::decode(credential["proof"]["proofValue"].as_str().unwrap()).unwrap(),
        BbsProofValue::Base { .. }
    ));

    let mut tampered = credential.clone();
    tampered["credentialSubject"]["name"] = json!("Somebody Else");
    assert_eq!(
        sd_error(failure_of(&tampered)),
        SelectiveDisclosureError::Bbs(crosscode_bbs::BbsError::InvalidSignature)
    );
    let mut tampered = credential.clone();
    tampered["validUntil"] = json!("2030-01-01T00:00:00Z");
    assert_eq!(failure_of(&tampered).step(), VerificationStep::Signature);
}

#[test]
fn derived_credential_hides_personal_claims_and_verifies() {
    let issuer = party(KeyAlgorithm::Bls12381G2);
    let holder = party(KeyAlgorithm::Ed25519);
    let credential = issue(&issuer, &holder);
    let derived = derive_credential(&credential, &DidKeyResolver, &reveal_status("n-123")).unwrap();

    let subject = derived["credentialSubject"].as_object().unwrap();
    let names: Vec<&str> = subject.keys().map(String::as_str).collect();
    assert_eq!(names.len(), 4, "{names:?}");
    for hidden in ["name", "birthDate", "documentNumber", "id"] {
        assert!(!subject.contains_key(hidden), "{hidden} disclosed");
    }
    assert!(derived.get("id").is_none(), "credential id disclosed");
    // Mandatory members are always there.
    for member in [
        "@context",
        "type",
        "issuer",
        "validFrom",
        "validUntil",
        "credentialStatus",
        "credentialSchema",
    ] {
        assert_eq!(derived[member], credential[member], "{member}");
    }
    // Not recoverable: no hidden value appears anywhere in the output, in any form.
    let text = serde_json::to_string(&derived).unwrap();
    for secret in [
        "CHAN Tai Man",
        "1985-04-12",
        "MA1234567",
        holder.did.did().as_str(),
        "0c4f2a9e",
    ] {
        assert!(!text.contains(secret), "{secret} leaked");
    }
    assert_eq!(derived["proof"]["challenge"], "n-123");

    let report = verify_document(&derived, &DidKeyResolver, AT);
    assert!(report.verified, "{report:?}");
    let report = verify_derived_credential(&derived, &DidKeyResolver, AT, "n-123");
    assert!(report.verified);
}

#[test]
fn tampered_disclosed_value_fails() {
    let issuer = party(KeyAlgorithm::Bls12381G2);
    let holder = party(KeyAlgorithm::Ed25519);
    let derived = derive_credential(
        &issue(&issuer, &holder),
        &DidKeyResolver,
        &reveal_status("n"),
    )
    .unwrap();
    let mut tampered = derived.clone();
    tampered["credentialSubject"]["statusColour"] = json!("red");
    assert_eq!(
        sd_error(failure_of(&tampered)),
        SelectiveDisclosureError::Bbs(crosscode_bbs::BbsError::InvalidProof)
    );
    // A mandatory member changed: the header no longer matches.
    let mut tampered = derived.clone();
    tampered["validUntil"] = json!("2030-01-01T00:00:00Z");
    assert_eq!(
        sd_error(failure_of(&tampered)),
        SelectiveDisclosureError::Bbs(crosscode_bbs::BbsError::InvalidProof)
    );
    // A hidden claim added back with a guessed value: counts no longer match.
    let mut tampered = derived.clone();
    tampered["credentialSubject"]["name"] = json!("CHAN Tai Man");
    assert!(matches!(
        sd_error(failure_of(&tampered)),
        SelectiveDisclosureError::DisclosedCountMismatch {
            claims: 5,
            indexes: 4
        }
    ));
    // A disclosed claim swapped for a hidden one (same count): the proof fails.
    let mut tampered = derived.clone();
    let subject = tampered["credentialSubject"].as_object_mut().unwrap();
    subject.remove("statusDate");
    subject.insert("birthDate".into(), json!("1985-04-12"));
    assert_eq!(
        sd_error(failure_of(&tampered)),
        SelectiveDisclosureError::Bbs(crosscode_bbs::BbsError::InvalidProof)
    );
}

#[test]
fn wrong_nonce_fails() {
    let issuer = party(KeyAlgorithm::Bls12381G2);
    let holder = party(KeyAlgorithm::Ed25519);
    let derived = derive_credential(
        &issue(&issuer, &holder),
        &DidKeyResolver,
        &reveal_status("verifier-nonce-1"),
    )
    .unwrap();
    // The verifier expects another nonce.
    let report = verify_derived_credential(&derived, &DidKeyResolver, AT, "verifier-nonce-2");
    assert!(!report.verified);
    let failure = report.failure.unwrap();
    assert_eq!(failure.step, VerificationStep::Challenge);
    assert_eq!(
        sd_error(failure.error),
        SelectiveDisclosureError::WrongNonce
    );
    // The holder rewrites the challenge to the expected nonce: the proof no longer verifies.
    let mut replayed = derived.clone();
    replayed["proof"]["challenge"] = json!("verifier-nonce-2");
    let report = verify_derived_credential(&replayed, &DidKeyResolver, AT, "verifier-nonce-2");
    assert!(!report.verified);
    assert_eq!(
        sd_error(report.failure.unwrap().error),
        SelectiveDisclosureError::Bbs(crosscode_bbs::BbsError::InvalidProof)
    );
    // Dropping the challenge also breaks it.
    let mut dropped = derived;
    dropped["proof"]
        .as_object_mut()
        .unwrap()
        .remove("challenge");
    assert_eq!(
        sd_error(failure_of(&dropped)),
        SelectiveDisclosureError::Bbs(crosscode_bbs::BbsError::InvalidProof)
    );
}

#[test]
fn two_derivations_are_unlinkable() {
    let issuer = party(KeyAlgorithm::Bls12381G2);
    let holder = party(KeyAlgorithm::Ed25519);
    let credential = issue(&issuer, &holder);
    let first = derive_credential(&credential, &DidKeyResolver, &reveal_status("n")).unwrap();
    let second = derive_credential(&credential, &DidKeyResolver, &reveal_status("n")).unwrap();
    let proof_bytes = |derived: &Value| match BbsProofValue::decode(
        derived["proof"]["proofValue"].as_str().unwrap(),
    )
    .unwrap()
    {
        BbsProofValue::Derived { proof, .. } => proof,
        BbsProofValue::Base { .. } => panic!("base proof"),
    };
    let (a, b) = (proof_bytes(&first), proof_bytes(&second));
    assert_eq!(a.len(), b.len());
    // Same disclosed claims, but no 32-byte chunk of the proofs (points, scalars) repeats.
    let chunks = |bytes: &[u8]| -> Vec<Vec<u8>> { bytes.chunks(16).map(<[u8]>::to_vec).collect() };
    let (ca, cb) = (chunks(&a), chunks(&b));
    assert!(ca.iter().all(|chunk| !cb.contains(chunk)));
    // The signature of the base proof appears in neither.
    let base =
        match BbsProofValue::decode(credential["proof"]["proofValue"].as_str().unwrap()).unwrap() {
            BbsProofValue::Base { signature, .. } => signature,
            BbsProofValue::Derived { .. } => panic!("derived"),
        };
    for chunk in base.chunks(16) {
        assert!(!a.windows(16).any(|window| window == chunk));
        assert!(!b.windows(16).any(|window| window == chunk));
    }
    // Everything else in the two derived credentials is the same (disclosed claims only).
    let strip = |derived: &Value| {
        let mut copy = derived.clone();
        copy["proof"].as_object_mut().unwrap().remove("proofValue");
        copy
    };
    assert_eq!(strip(&first), strip(&second));
    assert!(verify_document(&first, &DidKeyResolver, AT).verified);
    assert!(verify_document(&second, &DidKeyResolver, AT).verified);
}

#[test]
fn holder_binding_signs_the_proof_with_the_subject_key() {
    let issuer = party(KeyAlgorithm::Bls12381G2);
    let holder = party(KeyAlgorithm::Ed25519);
    let credential = issue(&issuer, &holder);
    let options = DeriveOptions {
        holder_key: Some(&holder.key),
        ..reveal_status("n-7")
    };
    let derived = derive_credential(&credential, &DidKeyResolver, &options).unwrap();
    assert_eq!(
        derived["credentialSubject"]["id"],
        json!(holder.did.did().as_str())
    );
    assert!(verify_derived_credential(&derived, &DidKeyResolver, AT, "n-7").verified);

    // Another key is not the subject's.
    let stranger = party(KeyAlgorithm::Ed25519);
    let options = DeriveOptions {
        holder_key: Some(&stranger.key),
        ..reveal_status("n-7")
    };
    assert_eq!(
        derive_credential(&credential, &DidKeyResolver, &options).unwrap_err(),
        SelectiveDisclosureError::HolderNotSubject
    );
    // A forged holder signature fails.
    let value = BbsProofValue::decode(derived["proof"]["proofValue"].as_str().unwrap()).unwrap();
    let BbsProofValue::Derived {
        mandatory_mask,
        disclosed_indexes,
        proof,
        holder_signature: Some(mut signature),
    } = value
    else {
        panic!("no holder signature");
    };
    signature[0] ^= 1;
    let mut forged = derived.clone();
    forged["proof"]["proofValue"] = json!(
        BbsProofValue::Derived {
            mandatory_mask,
            disclosed_indexes,
            proof,
            holder_signature: Some(signature),
        }
        .encode()
    );
    assert!(matches!(
        sd_error(failure_of(&forged)),
        SelectiveDisclosureError::HolderSignature(_)
    ));
}

#[test]
fn typed_errors_for_bad_requests_and_malformed_proofs() {
    let issuer = party(KeyAlgorithm::Bls12381G2);
    let holder = party(KeyAlgorithm::Ed25519);
    let credential = issue(&issuer, &holder);
    let derive = |reveal: &[&str]| {
        derive_credential(
            &credential,
            &DidKeyResolver,
            &DeriveOptions {
                reveal: reveal.iter().map(|p| (*p).to_owned()).collect(),
                nonce: Some("n".into()),
                holder_key: None,
            },
        )
    };
    assert!(matches!(
        derive(&["/credentialSubject/passport"]),
        Err(SelectiveDisclosureError::Statements(
            StatementError::UnknownPointer { .. }
        ))
    ));
    assert!(matches!(
        derive(&["credentialSubject"]),
        Err(SelectiveDisclosureError::Statements(
            StatementError::InvalidPointer { .. }
        ))
    ));
    assert_eq!(
        derive(&["/issuer"]).unwrap_err(),
        SelectiveDisclosureError::EmptySubject
    );
    // Revealing a mandatory member is allowed (it is disclosed anyway).
    assert!(derive(&["/issuer", "/credentialSubject/statusColour"]).is_ok());

    // A mandatory member hidden (removed) by the holder.
    let derived = derive(&STATUS_POINTERS).unwrap();
    let mut stripped = derived.clone();
    stripped.as_object_mut().unwrap().remove("validUntil");
    assert_eq!(
        sd_error(failure_of(&stripped)),
        SelectiveDisclosureError::MandatoryClaimMissing {
            member: "validUntil"
        }
    );
    let mut stripped = credential.clone();
    stripped.as_object_mut().unwrap().remove("credentialStatus");
    assert_eq!(
        derive_credential(&stripped, &DidKeyResolver, &reveal_status("n")).unwrap_err(),
        SelectiveDisclosureError::MandatoryClaimMissing {
            member: "credentialStatus"
        }
    );
    // Deriving from a derived credential.
    assert_eq!(
        derive_credential(&derived, &DidKeyResolver, &reveal_status("n")).unwrap_err(),
        SelectiveDisclosureError::NotABaseProof
    );
    // No BBS proof at all.
    let mut unsigned = credential.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    assert_eq!(
        derive_credential(&unsigned, &DidKeyResolver, &reveal_status("n")).unwrap_err(),
        SelectiveDisclosureError::NoBbsProof
    );
    // An empty object smuggled into a derived credential.
    let mut padded = derived.clone();
    padded["credentialSubject"]["extra"] = json!({});
    assert_eq!(
        sd_error(failure_of(&padded)),
        SelectiveDisclosureError::EmptyObjectInDerivedDocument
    );

    // Malformed proof values.
    let malformed = |proof_value: &str| {
        let mut copy = derived.clone();
        copy["proof"]["proofValue"] = json!(proof_value);
        let error = sd_error(failure_of(&copy));
        assert_eq!(error.step(), VerificationStep::ProofSuite, "{error:?}");
        error
    };
    for text in [
        "not-multibase",
        "z0OIl",
        "z1",
        "z2NEpo7TZRRrLZSi2U",
        &format!(
            "z{}",
            bs58::encode([0xbb, 0x26, 0x7f, 1, 2, 3]).into_string()
        ),
        &format!("z{}", bs58::encode([0xbb, 0x27, 0xff]).into_string()),
        &format!("z{}", bs58::encode([0xbb, 0x29, 0x7f]).into_string()),
        &format!("z{}", bs58::encode([0xbb, 0x27, 0x7f, 0x80]).into_string()),
        &format!(
            "z{}",
            bs58::encode([0xbb, 0x27, 0x7f, 0x81, 0x81, 0x01]).into_string()
        ),
        &format!(
            "z{}",
            bs58::encode([0xbb, 0x27, 0x7f, 0x01, 0x88, 0x10]).into_string()
        ),
        &format!(
            "z{}",
            bs58::encode([0xbb, 0x28, 0x7f, 0x00, 0x40, 1]).into_string()
        ),
    ] {
        assert!(matches!(
            malformed(text),
            SelectiveDisclosureError::MalformedProofValue(_)
        ));
    }
    // A truncated BBS proof: a typed BBS decoding error.
    let BbsProofValue::Derived {
        mandatory_mask,
        disclosed_indexes,
        proof,
        holder_signature,
    } = BbsProofValue::decode(derived["proof"]["proofValue"].as_str().unwrap()).unwrap()
    else {
        panic!()
    };
    let mut copy = derived.clone();
    copy["proof"]["proofValue"] = json!(
        BbsProofValue::Derived {
            mandatory_mask,
            disclosed_indexes: disclosed_indexes.clone(),
            proof: proof[..proof.len() - 1].to_vec(),
            holder_signature: holder_signature.clone(),
        }
        .encode()
    );
    assert!(matches!(
        sd_error(failure_of(&copy)),
        SelectiveDisclosureError::Bbs(crosscode_bbs::BbsError::InvalidProofLength { .. })
    ));
    // Unsorted disclosed indexes cannot be encoded (indexes travel as increasing deltas).
    let mut reversed = disclosed_indexes.clone();
    reversed.reverse();
    let mut copy = derived.clone();
    copy["proof"]["proofValue"] = json!(
        BbsProofValue::Derived {
            mandatory_mask,
            disclosed_indexes: reversed,
            proof: proof.clone(),
            holder_signature: holder_signature.clone(),
        }
        .encode()
    );
    assert!(matches!(
        sd_error(failure_of(&copy)),
        SelectiveDisclosureError::MalformedProofValue(_)
    ));
    // Indexes beyond the signed claims: a typed BBS error.
    let mut shifted = disclosed_indexes.clone();
    if let Some(last) = shifted.last_mut() {
        *last += 40;
    }
    let mut copy = derived.clone();
    copy["proof"]["proofValue"] = json!(
        BbsProofValue::Derived {
            mandatory_mask,
            disclosed_indexes: shifted,
            proof,
            holder_signature,
        }
        .encode()
    );
    assert!(matches!(
        sd_error(failure_of(&copy)),
        SelectiveDisclosureError::Bbs(crosscode_bbs::BbsError::DisclosedIndexOutOfRange { .. })
    ));
    // Missing proof properties.
    let mut copy = derived.clone();
    copy["proof"]
        .as_object_mut()
        .unwrap()
        .remove("verificationMethod");
    assert_eq!(
        failure_of(&copy),
        VerificationError::MissingProofProperty {
            property: "verificationMethod"
        }
    );
    let mut copy = derived.clone();
    copy["proof"]["challenge"] = json!(7);
    assert_eq!(
        sd_error(failure_of(&copy)),
        SelectiveDisclosureError::MalformedProofProperty {
            property: "challenge"
        }
    );
}

#[test]
fn keys_of_other_algorithms_are_refused() {
    let issuer = party(KeyAlgorithm::Ed25519);
    let holder = party(KeyAlgorithm::Ed25519);
    assert_eq!(
        add_proof(
            &personal_health_code(&issuer, &holder),
            &issuer.key,
            &issuer.vm,
            &bbs_options()
        )
        .unwrap_err(),
        DataIntegrityError::KeyAlgorithmMismatch {
            suite: Cryptosuite::BbsJcs2026,
            algorithm: KeyAlgorithm::Ed25519
        }
    );
    // A BBS proof whose verification method is an Ed25519 key.
    let bls = party(KeyAlgorithm::Bls12381G2);
    let mut credential = issue(&bls, &holder);
    credential["proof"]["verificationMethod"] = json!(issuer.vm.as_str());
    // Under the BLS key's name it is not the issuer's …
    assert_eq!(failure_of(&credential), VerificationError::NotIssuerMethod);
    // … and under the Ed25519 key's own name its key is of the wrong algorithm.
    credential["issuer"] = json!(issuer.did.did().as_str());
    let error = failure_of(&credential);
    assert_eq!(error.step(), VerificationStep::KeyResolution);
    assert_eq!(
        error,
        VerificationError::KeyAlgorithmMismatch {
            suite: Cryptosuite::BbsJcs2026,
            algorithm: KeyAlgorithm::Ed25519
        }
    );
}

/// The issuer's registry DID (docs/did-method.md) and verification method, as in
/// `docs/examples/health-code-personal.json`.
const REGISTRY_ISSUER: &str = "did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB";
const REGISTRY_METHOD: &str = "did:crosscode:dev:7Wq3HXCmS8kzGfQn4Vd2ZB#key-1";

/// A checkpoint's trust cache: the registry issuer's key (synced from the chain), did:key
/// for everything else.
struct TrustCache(PublicKey);

impl KeyResolver for TrustCache {
    fn resolve_verification_method(
        &self,
        method: &DidUrl,
        relationship: VerificationRelationship,
        at: Option<OffsetDateTime>,
    ) -> Result<PublicKey, DidError> {
        if method.as_str() == REGISTRY_METHOD {
            Ok(self.0.clone())
        } else {
            DidKeyResolver.resolve_verification_method(method, relationship, at)
        }
    }
}

/// The characters of the CC1 payload and the QR version (level Q) of a derived credential.
fn qr_size(derived: &Value, resolver: &dyn KeyResolver, nonce: &str) -> (usize, i16) {
    let payload = envelope::encode_data_integrity(derived).unwrap();
    assert!(payload.bytes().all(qr::is_alphanumeric));
    let verified = envelope::decode(&payload, resolver, AT).unwrap();
    assert_eq!(&verified.document, derived);
    assert!(matches!(verified.form, SecuringForm::DataIntegrity { .. }));
    let text = serde_json::to_string(&verified.document).unwrap();
    for secret in ["CHAN Tai Man", "1985-04-12", "MA1234567"] {
        assert!(!text.contains(secret), "{secret} leaked");
    }
    assert!(verify_derived_credential(&verified.document, resolver, AT, nonce).verified);
    let Version::Normal(version) = qr::qr_code(&payload).unwrap().version() else {
        panic!("micro QR")
    };
    (payload.len(), version)
}

#[test]
fn health_code_presentation_fits_the_qr_bound() {
    let issuer_key = SecretKey::generate(KeyAlgorithm::Bls12381G2);
    let holder = party(KeyAlgorithm::Ed25519);
    let trust_cache = TrustCache(issuer_key.public_key());
    let mut document = personal_health_code(&party(KeyAlgorithm::Bls12381G2), &holder);
    document["issuer"] = json!(REGISTRY_ISSUER);
    let method = DidUrl::parse(REGISTRY_METHOD).unwrap();
    let credential = add_proof(&document, &issuer_key, &method, &bbs_options()).unwrap();
    let nonce = "n-5c2e9a";
    let derived = derive_credential(&credential, &trust_cache, &reveal_status(nonce)).unwrap();
    // Hides name, birth date, document number and the holder's DID (4 of 8 subject claims).
    assert_eq!(derived["credentialSubject"].as_object().unwrap().len(), 4);
    let (characters, version) = qr_size(&derived, &trust_cache, nonce);
    eprintln!(
        "bbs-jcs-2026 health-code presentation, registry issuer: {characters} characters, QR version {version}-Q"
    );
    assert!(characters <= 1000, "{characters} characters");
    assert!(version <= 25, "QR version {version}");

    // The same with a did:key issuer (its 96-byte G2 key travels in the payload).
    let issuer = party(KeyAlgorithm::Bls12381G2);
    let credential = issue(&issuer, &holder);
    let derived = derive_credential(&credential, &DidKeyResolver, &reveal_status(nonce)).unwrap();
    let (characters, version) = qr_size(&derived, &DidKeyResolver, nonce);
    eprintln!("did:key issuer: {characters} characters, QR version {version}-Q");
    assert!(characters <= 1150, "{characters} characters");

    // With holder binding (credentialSubject.id disclosed, holder signature added).
    let options = DeriveOptions {
        holder_key: Some(&holder.key),
        ..reveal_status(nonce)
    };
    let bound = derive_credential(&credential, &DidKeyResolver, &options).unwrap();
    let (characters, version) = qr_size(&bound, &DidKeyResolver, nonce);
    eprintln!("did:key issuer, holder-bound: {characters} characters, QR version {version}-Q");
    assert!(characters <= 1300, "{characters} characters");
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    /// One issued credential and one derived credential, shared by the cases.
    fn fixture() -> &'static (Value, Value) {
        static FIXTURE: OnceLock<(Value, Value)> = OnceLock::new();
        FIXTURE.get_or_init(|| {
            let issuer = party(KeyAlgorithm::Bls12381G2);
            let holder = party(KeyAlgorithm::Ed25519);
            let credential = issue(&issuer, &holder);
            let derived =
                derive_credential(&credential, &DidKeyResolver, &reveal_status("n")).unwrap();
            (credential, derived)
        })
    }

    fn proof_value_bytes(document: &Value) -> Vec<u8> {
        let text = document["proof"]["proofValue"].as_str().unwrap();
        bs58::decode(&text[1..]).into_vec().unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Arbitrary proof values decode to a typed error or a value, never a panic.
        #[test]
        fn arbitrary_proof_values_decode_without_panic(
            prefix in prop::sample::select(vec![vec![], vec![0xbb, 0x26], vec![0xbb, 0x27], vec![0xbb, 0x28]]),
            bytes in prop::collection::vec(any::<u8>(), 0..600),
        ) {
            let mut all = prefix;
            all.extend(bytes);
            let text = format!("z{}", bs58::encode(&all).into_string());
            let _ = BbsProofValue::decode(&text);
        }

        /// A derived (or base) proof value with one byte changed never verifies and never panics.
        #[test]
        fn mutated_proof_values_never_verify(
            derived_form in any::<bool>(),
            position in any::<prop::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let (credential, derived) = fixture();
            let document = if derived_form { derived } else { credential };
            let mut bytes = proof_value_bytes(document);
            let at = position.index(bytes.len());
            bytes[at] ^= flip;
            let mut copy = document.clone();
            copy["proof"]["proofValue"] = json!(format!("z{}", bs58::encode(&bytes).into_string()));
            let report = verify_document(&copy, &DidKeyResolver, AT);
            prop_assert!(!report.verified);
        }
    }
}
