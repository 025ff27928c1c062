//! The `CC1` QR envelope: size of a typical health code, round trips through text and PNG,
//! and a typed error (naming the step) for every way a payload can be wrong.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use ciborium::Value as Cbor;
use coset::{AsCborValue, CoseSign1Builder, HeaderBuilder, iana};
use crosscode_core::VerificationStep;
use crosscode_core::did::{DidError, DidKey, DidKeyResolver, DidUrl};
use crosscode_core::envelope::{
    self, EnvelopeError, EnvelopeKind, SecuringForm, compact, payload, qr, signed,
};
use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use serde_json::{Value as Json, json};
use time::OffsetDateTime;
use time::macros::datetime;

/// The verification time used by the tests: inside the health code's validity window.
const AT: OffsetDateTime = datetime!(2026-11-21 08:00 UTC);

struct Issuer {
    key: SecretKey,
    did: DidKey,
    vm: DidUrl,
}

fn issuer(algorithm: KeyAlgorithm) -> Issuer {
    let key = SecretKey::generate(algorithm);
    let did = DidKey::from_public_key(&key.public_key());
    let vm = did.verification_method_id();
    Issuer { key, did, vm }
}

/// A typical health code: holder did:key, status colour, validity window, issuer, schema id,
/// status index.
fn health_code(issuer: &DidKey, holder: &DidKey) -> Json {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:3f1c7a52-8d0e-4b7a-9c55-2e6f0b1d9a47",
        "type": ["VerifiableCredential", "HealthCodeCredential"],
        "issuer": issuer.did().as_str(),
        "validFrom": "2026-11-21T00:00:00Z",
        "validUntil": "2026-11-22T00:00:00Z",
        "credentialSubject": {
            "id": holder.did().as_str(),
            "statusColour": "green"
        },
        "credentialSchema": {
            "id": "https://schemas.gd.gov.cn/health-code/v1.json",
            "type": "JsonSchema"
        },
        "credentialStatus": {
            "id": "https://status.gd.gov.cn/health-code/7#94567",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": "https://status.gd.gov.cn/health-code/7"
        }
    })
}

fn holder() -> DidKey {
    DidKey::from_public_key(&SecretKey::generate(KeyAlgorithm::Ed25519).public_key())
}

fn decode(text: &str) -> Result<envelope::VerifiedEnvelope, EnvelopeError> {
    envelope::decode(text, &DidKeyResolver, AT)
}

/// Re-packs an envelope CBOR item into a payload (for hand-made malformed envelopes).
fn pack(item: &Cbor) -> String {
    let mut bytes = Vec::new();
    ciborium::into_writer(item, &mut bytes).unwrap();
    payload::to_text(&bytes).unwrap()
}

/// The envelope CBOR item of a payload.
fn unpack(text: &str) -> Cbor {
    let bytes = payload::from_text(text).unwrap();
    ciborium::from_reader(bytes.as_slice()).unwrap()
}

/// Builds a form (a) envelope by hand (no encode-side checks), signing with `key`.
fn hand_signed(
    kind: u64,
    document: &Json,
    key: &SecretKey,
    kid: Vec<u8>,
    alg: iana::Algorithm,
) -> String {
    let claims = compact::to_compact(document).unwrap();
    let mut payload_bytes = Vec::new();
    ciborium::into_writer(&claims, &mut payload_bytes).unwrap();
    let sign1 = CoseSign1Builder::new()
        .protected(HeaderBuilder::new().algorithm(alg).key_id(kid).build())
        .payload(payload_bytes)
        .create_signature(&[], |tbs| key.sign(tbs).unwrap())
        .build();
    pack(&Cbor::Array(vec![
        Cbor::Integer(kind.into()),
        Cbor::Tag(18, Box::new(sign1.to_cbor_value().unwrap())),
    ]))
}

#[test]
fn signed_ed25519_health_code_fits_in_600_alphanumeric_characters() {
    let issuer = issuer(KeyAlgorithm::Ed25519);
    let credential = health_code(&issuer.did, &holder());
    let text = envelope::encode_signed(&credential, &issuer.key, &issuer.vm).unwrap();
    println!("form (a) Ed25519 health code: {} characters", text.len());
    assert!(text.len() <= 600, "{} characters", text.len());
    assert!(text.starts_with("CC1:"));
    assert!(text.bytes().all(qr::is_alphanumeric));

    let verified = decode(&text).unwrap();
    assert_eq!(verified.kind, EnvelopeKind::Credential);
    assert_eq!(verified.document, credential);
    assert_eq!(
        verified.form,
        SecuringForm::CoseSign1 {
            verification_method: issuer.vm.clone(),
            algorithm: KeyAlgorithm::Ed25519
        }
    );
}

#[test]
fn signed_sm2_health_code_fits_and_verifies() {
    let issuer = issuer(KeyAlgorithm::Sm2);
    let credential = health_code(&issuer.did, &holder());
    let text = envelope::encode_signed(&credential, &issuer.key, &issuer.vm).unwrap();
    println!("form (a) SM2 health code: {} characters", text.len());
    assert!(text.len() <= 600, "{} characters", text.len());
    let verified = decode(&text).unwrap();
    assert_eq!(verified.document, credential);
    assert!(matches!(
        verified.form,
        SecuringForm::CoseSign1 {
            algorithm: KeyAlgorithm::Sm2,
            ..
        }
    ));
}

#[test]
fn signed_p256_health_code_carries_es256_and_verifies() {
    let signer = issuer(KeyAlgorithm::P256);
    let credential = health_code(&signer.did, &holder());
    let text = envelope::encode_signed(&credential, &signer.key, &signer.vm).unwrap();
    assert!(text.len() <= 600, "{} characters", text.len());
    let verified = decode(&text).unwrap();
    assert_eq!(verified.document, credential);
    assert_eq!(
        verified.form,
        SecuringForm::CoseSign1 {
            verification_method: signer.vm.clone(),
            algorithm: KeyAlgorithm::P256
        }
    );
    assert_eq!(
        signed::cose_algorithm(KeyAlgorithm::P256).unwrap(),
        coset::RegisteredLabelWithPrivate::Assigned(iana::Algorithm::ES256)
    );
}

#[test]
fn signed_form_drops_the_top_level_proof() {
    let issuer = issuer(KeyAlgorithm::Ed25519);
    let credential = health_code(&issuer.did, &holder());
    let mut with_proof = credential.clone();
    with_proof["proof"] = json!({"type": "DataIntegrityProof", "proofValue": "z111"});
    let text = envelope::encode_signed(&with_proof, &issuer.key, &issuer.vm).unwrap();
    assert_eq!(decode(&text).unwrap().document, credential);
}

#[cfg(feature = "qr-image")]
#[test]
fn png_round_trip_verifies() {
    let issuer = issuer(KeyAlgorithm::Ed25519);
    let credential = health_code(&issuer.did, &holder());
    let text = envelope::encode_signed(&credential, &issuer.key, &issuer.vm).unwrap();
    let png = qr::render_png(&text).unwrap();
    let read = envelope::qr_image::read_qr_text(&png).unwrap();
    assert_eq!(read, text);
    let verified = decode(&read).unwrap();
    assert_eq!(verified.document, credential);
    let code = qr::qr_code(&text).unwrap();
    assert_eq!(code.error_correction_level(), qrcode::EcLevel::Q);
    println!("QR version {:?}, {} modules", code.version(), code.width());
    assert!(qr::render_svg(&text).unwrap().contains("<svg"));
    assert!(qr::render_terminal(&text).unwrap().lines().count() > 10);
}

#[test]
fn signed_presentation_by_its_holder() {
    let holder = issuer(KeyAlgorithm::Ed25519);
    let presentation = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder.did.did().as_str(),
        "validFrom": "2026-11-21T07:59:00Z",
        "validUntil": "2026-11-21T08:01:00Z"
    });
    let text = envelope::encode_signed(&presentation, &holder.key, &holder.vm).unwrap();
    let verified = decode(&text).unwrap();
    assert_eq!(verified.kind, EnvelopeKind::Presentation);
    assert_eq!(verified.document, presentation);
    // The time slot expires: a screenshot is refused a few minutes later.
    let later =
        envelope::decode(&text, &DidKeyResolver, datetime!(2026-11-21 08:05 UTC)).unwrap_err();
    assert!(matches!(later, EnvelopeError::Expired));
    assert_eq!(later.step(), Some(VerificationStep::ValidityWindow));
}

#[test]
fn tampered_signed_payload_is_refused_at_the_signature_step() {
    let issuer = issuer(KeyAlgorithm::Ed25519);
    let credential = health_code(&issuer.did, &holder());
    let text = envelope::encode_signed(&credential, &issuer.key, &issuer.vm).unwrap();
    let Cbor::Array(mut items) = unpack(&text) else {
        panic!("not an array")
    };
    let Cbor::Tag(18, inner) = items.remove(1) else {
        panic!("not tag 18")
    };
    let mut sign1 = coset::CoseSign1::from_cbor_value(*inner).unwrap();
    // Turn the status colour from green to red inside the signed claim set.
    let mut claims =
        compact::from_compact(&ciborium::from_reader(sign1.payload.as_deref().unwrap()).unwrap())
            .unwrap();
    claims["credentialSubject"]["statusColour"] = json!("red");
    let mut tampered_payload = Vec::new();
    ciborium::into_writer(
        &compact::to_compact(&claims).unwrap(),
        &mut tampered_payload,
    )
    .unwrap();
    sign1.payload = Some(tampered_payload);
    items.insert(
        1,
        Cbor::Tag(18, Box::new(sign1.clone().to_cbor_value().unwrap())),
    );
    let err = decode(&pack(&Cbor::Array(items.clone()))).unwrap_err();
    assert!(matches!(err, EnvelopeError::Signature(_)), "{err:?}");
    assert_eq!(err.step(), Some(VerificationStep::Signature));
    assert!(err.to_string().contains("signature"));

    // A flipped signature bit.
    let Cbor::Array(mut items) = unpack(&text) else {
        panic!()
    };
    let Cbor::Tag(18, inner) = items.remove(1) else {
        panic!()
    };
    let mut sign1 = coset::CoseSign1::from_cbor_value(*inner).unwrap();
    sign1.signature[10] ^= 1;
    items.insert(1, Cbor::Tag(18, Box::new(sign1.to_cbor_value().unwrap())));
    let err = decode(&pack(&Cbor::Array(items))).unwrap_err();
    assert!(matches!(err, EnvelopeError::Signature(_)));
}

#[test]
fn text_layer_errors_name_their_step() {
    let issuer = issuer(KeyAlgorithm::Ed25519);
    let text = envelope::encode_signed(
        &health_code(&issuer.did, &holder()),
        &issuer.key,
        &issuer.vm,
    )
    .unwrap();

    let err = decode(&text.replacen("CC1:", "HC1:", 1)).unwrap_err();
    assert!(matches!(err, EnvelopeError::MissingPrefix));
    assert_eq!(err.step(), Some(VerificationStep::Prefix));
    let err = decode(&text.replacen("CC1:", "CC2:", 1)).unwrap_err();
    assert!(matches!(err, EnvelopeError::UnsupportedVersion(ref v) if v == "CC2"));

    let err = decode("CC1:a").unwrap_err();
    assert!(matches!(err, EnvelopeError::Base45(_)));
    assert_eq!(err.step(), Some(VerificationStep::Decode));

    let err = decode(&format!("CC1:{}", base45::encode(b"not zlib at all"))).unwrap_err();
    assert!(matches!(err, EnvelopeError::Inflate(_)));
    assert_eq!(err.step(), Some(VerificationStep::Decompress));

    // A decompression bomb: 1 MiB of zeros deflates to about 1 KiB.
    let bomb = payload::to_text(&vec![0_u8; 1 << 20]).unwrap();
    let err = decode(&bomb).unwrap_err();
    assert!(
        matches!(err, EnvelopeError::TooLarge { limit } if limit == envelope::MAX_INFLATED_LEN)
    );

    let err = decode(&payload::to_text(&[0xff, 0x00]).unwrap()).unwrap_err();
    assert!(matches!(err, EnvelopeError::Cbor(_)));
    assert_eq!(err.step(), Some(VerificationStep::ParseEnvelope));
    let err = decode(&payload::to_text(&[0x80, 0x80]).unwrap()).unwrap_err();
    assert!(matches!(err, EnvelopeError::Cbor(ref m) if m.contains("trailing")));
}

#[test]
fn structure_errors_name_their_step() {
    let cases: Vec<(Cbor, &str)> = vec![
        (Cbor::Map(vec![]), "not a CBOR array"),
        (Cbor::Array(vec![Cbor::Integer(0.into())]), "2 or 3 items"),
        (
            Cbor::Array(vec![Cbor::Integer(7.into()), Cbor::Map(vec![])]),
            "kind",
        ),
        (
            Cbor::Array(vec![Cbor::Text("x".into()), Cbor::Map(vec![])]),
            "kind",
        ),
        (
            Cbor::Array(vec![
                Cbor::Integer(0.into()),
                Cbor::Tag(17, Box::new(Cbor::Null)),
            ]),
            "tagged",
        ),
        (
            Cbor::Array(vec![Cbor::Integer(0.into()), Cbor::Null]),
            "neither",
        ),
        (
            Cbor::Array(vec![Cbor::Integer(0.into()), Cbor::Map(vec![])]),
            "credential nor presentation",
        ),
    ];
    for (item, needle) in cases {
        let err = decode(&pack(&item)).unwrap_err();
        assert!(
            matches!(err, EnvelopeError::Structure(message) if message.contains(needle)),
            "{needle}: {err:?}"
        );
        assert_eq!(err.step(), Some(VerificationStep::ParseEnvelope));
    }

    // Kind 1 (presentation) around a credential.
    let issuer = issuer(KeyAlgorithm::Ed25519);
    let credential = health_code(&issuer.did, &holder());
    let text = hand_signed(
        1,
        &credential,
        &issuer.key,
        signed::kid_bytes(&issuer.vm),
        iana::Algorithm::EdDSA,
    );
    let err = decode(&text).unwrap_err();
    assert!(matches!(
        err,
        EnvelopeError::KindMismatch {
            envelope: EnvelopeKind::Presentation,
            document: EnvelopeKind::Credential
        }
    ));

    // A body map that is not valid compact JSON.
    let item = Cbor::Array(vec![
        Cbor::Integer(0.into()),
        Cbor::Map(vec![(Cbor::Integer(9999.into()), Cbor::Null)]),
    ]);
    let err = decode(&pack(&item)).unwrap_err();
    assert!(matches!(
        err,
        EnvelopeError::Compact(envelope::CompactError::UnknownTerm(9999))
    ));
    assert_eq!(err.step(), Some(VerificationStep::Parse));
}

#[test]
fn cose_errors_name_their_step() {
    let issuer = issuer(KeyAlgorithm::Ed25519);
    let credential = health_code(&issuer.did, &holder());
    let kid = signed::kid_bytes(&issuer.vm);

    let err = decode(&hand_signed(
        0,
        &credential,
        &issuer.key,
        kid.clone(),
        iana::Algorithm::ES384,
    ))
    .unwrap_err();
    assert!(matches!(err, EnvelopeError::UnsupportedAlgorithm(ref alg) if alg == "-35"));
    assert_eq!(err.step(), Some(VerificationStep::ParseEnvelope));
    // ES256 is P-256's: an Ed25519 kid under it is a mismatch.
    let err = decode(&hand_signed(
        0,
        &credential,
        &issuer.key,
        kid.clone(),
        iana::Algorithm::ES256,
    ))
    .unwrap_err();
    assert!(matches!(
        err,
        EnvelopeError::AlgorithmMismatch {
            header: KeyAlgorithm::P256,
            key: KeyAlgorithm::Ed25519
        }
    ));

    let err = decode(&hand_signed(
        0,
        &credential,
        &issuer.key,
        Vec::new(),
        iana::Algorithm::EdDSA,
    ))
    .unwrap_err();
    assert!(matches!(err, EnvelopeError::InvalidKid(_)));
    let err = decode(&hand_signed(
        0,
        &credential,
        &issuer.key,
        b"not a did".to_vec(),
        iana::Algorithm::EdDSA,
    ))
    .unwrap_err();
    assert!(matches!(err, EnvelopeError::InvalidKid(_)));
    // The kid is the verification method: one that names no DID URL cannot be resolved.
    assert_eq!(err.step(), Some(VerificationStep::KeyResolution));

    let web = b"did:web:health.gd.gov.cn#key-1".to_vec();
    let mut web_credential = credential.clone();
    web_credential["issuer"] = json!("did:web:health.gd.gov.cn");
    let err = decode(&hand_signed(
        0,
        &web_credential,
        &issuer.key,
        web,
        iana::Algorithm::EdDSA,
    ))
    .unwrap_err();
    assert!(
        matches!(
            err,
            EnvelopeError::KeyResolution(DidError::MethodNotSupported { .. })
        ),
        "{err:?}"
    );
    assert_eq!(err.step(), Some(VerificationStep::KeyResolution));

    // The kid names an SM2 key (the issuer's) but the header says EdDSA.
    let sm2 = self::issuer(KeyAlgorithm::Sm2);
    let sm2_credential = health_code(&sm2.did, &holder());
    let err = decode(&hand_signed(
        0,
        &sm2_credential,
        &issuer.key,
        signed::kid_bytes(&sm2.vm),
        iana::Algorithm::EdDSA,
    ))
    .unwrap_err();
    assert!(matches!(
        err,
        EnvelopeError::AlgorithmMismatch {
            header: KeyAlgorithm::Ed25519,
            key: KeyAlgorithm::Sm2
        }
    ));
    assert_eq!(err.step(), Some(VerificationStep::KeyResolution));

    // Signed (validly) by someone who is not the issuer.
    let other = self::issuer(KeyAlgorithm::Ed25519);
    let err = decode(&hand_signed(
        0,
        &credential,
        &other.key,
        signed::kid_bytes(&other.vm),
        iana::Algorithm::EdDSA,
    ))
    .unwrap_err();
    assert!(matches!(err, EnvelopeError::SignerMismatch { .. }));
    assert_eq!(err.step(), Some(VerificationStep::IssuerBinding));

    // A malformed COSE structure inside tag 18, and a detached payload.
    let item = Cbor::Array(vec![
        Cbor::Integer(0.into()),
        Cbor::Tag(18, Box::new(Cbor::Array(vec![]))),
    ]);
    assert!(matches!(
        decode(&pack(&item)).unwrap_err(),
        EnvelopeError::Cose(_)
    ));
    let sign1 = CoseSign1Builder::new()
        .protected(
            HeaderBuilder::new()
                .algorithm(iana::Algorithm::EdDSA)
                .key_id(kid)
                .build(),
        )
        .build();
    let item = Cbor::Array(vec![
        Cbor::Integer(0.into()),
        Cbor::Tag(18, Box::new(sign1.to_cbor_value().unwrap())),
    ]);
    assert!(
        matches!(decode(&pack(&item)).unwrap_err(), EnvelopeError::Cose(ref m) if m.contains("detached"))
    );
}

#[test]
fn validity_window_is_checked() {
    let issuer = issuer(KeyAlgorithm::Ed25519);
    let credential = health_code(&issuer.did, &holder());
    let text = envelope::encode_signed(&credential, &issuer.key, &issuer.vm).unwrap();
    let early =
        envelope::decode(&text, &DidKeyResolver, datetime!(2026-11-20 23:59 UTC)).unwrap_err();
    assert!(matches!(early, EnvelopeError::NotYetValid));
    let late =
        envelope::decode(&text, &DidKeyResolver, datetime!(2026-11-22 00:01 UTC)).unwrap_err();
    assert!(matches!(late, EnvelopeError::Expired));
    assert_eq!(late.step(), Some(VerificationStep::ValidityWindow));

    let mut bad = credential.clone();
    bad["validUntil"] = json!("tomorrow");
    let text = envelope::encode_signed(&bad, &issuer.key, &issuer.vm).unwrap();
    assert!(matches!(
        decode(&text).unwrap_err(),
        EnvelopeError::InvalidDateTime("validUntil")
    ));
}

#[test]
fn encode_side_errors() {
    let issuer = issuer(KeyAlgorithm::Ed25519);
    let credential = health_code(&issuer.did, &holder());

    let other = self::issuer(KeyAlgorithm::Ed25519);
    let err = envelope::encode_signed(&credential, &other.key, &issuer.vm).unwrap_err();
    assert!(matches!(err, EnvelopeError::KeyMismatch));
    assert_eq!(err.step(), None);
    let err = envelope::encode_signed(&credential, &other.key, &other.vm).unwrap_err();
    assert!(matches!(err, EnvelopeError::SignerMismatch { .. }));

    let bls = self::issuer(KeyAlgorithm::Bls12381G2);
    let mut bls_credential = credential.clone();
    bls_credential["issuer"] = json!(bls.did.did().as_str());
    let err = envelope::encode_signed(&bls_credential, &bls.key, &bls.vm).unwrap_err();
    assert!(matches!(err, EnvelopeError::UnsupportedAlgorithm(ref alg) if alg == "bls12381g2"));

    let err =
        envelope::encode_signed(&json!({"type": "Thing"}), &issuer.key, &issuer.vm).unwrap_err();
    assert!(matches!(err, EnvelopeError::UnknownDocumentType));
    let err = envelope::encode_data_integrity(&credential).unwrap_err();
    assert!(matches!(err, EnvelopeError::MissingProof));
    let err = envelope::encode_data_integrity(&json!(["VerifiableCredential"])).unwrap_err();
    assert!(matches!(err, EnvelopeError::UnknownDocumentType));
}

#[test]
fn kid_forms_round_trip() {
    let issuer = issuer(KeyAlgorithm::Ed25519);
    let kid = signed::kid_bytes(&issuer.vm);
    assert_eq!(kid.first(), Some(&1));
    assert_eq!(kid.len(), 1 + 34);
    assert_eq!(signed::kid_verification_method(&kid).unwrap(), issuer.vm);
    let web = DidUrl::parse("did:web:health.gd.gov.cn#key-1").unwrap();
    assert_eq!(signed::kid_bytes(&web), web.as_str().as_bytes());
    assert_eq!(
        signed::kid_verification_method(&signed::kid_bytes(&web)).unwrap(),
        web
    );
    assert!(matches!(
        signed::kid_verification_method(&[1]),
        Err(EnvelopeError::InvalidKid(_))
    ));
    assert!(matches!(
        signed::kid_verification_method(&[0xff, 0xfe]),
        Err(EnvelopeError::InvalidKid(_))
    ));
}
