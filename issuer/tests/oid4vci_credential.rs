//! The credential endpoint's checks: access token, request shape, proofs and the proof JWT,
//! each failure with its typed error and wire code.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod oid4vci_support;

use oid4vci_support::*;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use crosscode_core::multicodec::{SM2_PUB, encode_base58btc, prefix_with_codec};
use crosscode_issuer::oid4vci::proof_jwt::ProofJwtError;
use crosscode_issuer::oid4vci::{
    AuthorizedIssuance, CredentialError, CredentialErrorCode, CredentialRequest,
    HEALTH_CODE_CONFIGURATION_ID, authorize_credential_request, new_nonce,
};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

// --- credential endpoint: the access token ---

#[test]
fn a_missing_unknown_or_expired_access_token_is_invalid_token_with_www_authenticate() {
    let store = store_with_record();
    let holder = Holder::ed25519();
    let jwt = holder.sign(&holder.header(), &claims(&nonce(&store)));
    let request = request_with(&[jwt]);
    let run = |authorization: Option<&str>, at: OffsetDateTime| {
        authorize_credential_request(&store, authorization, &request, &metadata(), at)
    };
    let err = run(None, now()).unwrap_err();
    assert!(matches!(err, CredentialError::MissingToken));
    assert_eq!(err.http_status(), 401);
    assert_eq!(err.www_authenticate().as_deref(), Some("Bearer"));
    assert!(matches!(
        run(Some("Basic abc"), now()),
        Err(CredentialError::MissingToken)
    ));

    let err = run(Some("Bearer not-a-token"), now()).unwrap_err();
    assert!(matches!(err, CredentialError::UnknownToken));
    assert_eq!(err.code(), CredentialErrorCode::InvalidToken);
    assert!(
        err.www_authenticate()
            .unwrap()
            .starts_with("Bearer error=\"invalid_token\"")
    );

    let authorization = token(&store);
    let err = run(Some(&authorization), now() + Duration::minutes(5)).unwrap_err();
    assert!(matches!(err, CredentialError::TokenExpired));
    assert_eq!(err.http_status(), 401);
}

#[test]
fn an_access_token_gets_one_credential() {
    let store = store_with_record();
    let authorization = token(&store);
    let holder = Holder::ed25519();
    authorize(
        &store,
        &authorization,
        holder.sign(&holder.header(), &claims(&nonce(&store))),
    )
    .unwrap();
    let again = authorize(
        &store,
        &authorization,
        holder.sign(&holder.header(), &claims(&nonce(&store))),
    );
    assert!(matches!(again, Err(CredentialError::UnknownToken)));
}

#[test]
fn a_failed_request_leaves_the_token_usable_for_a_retry_with_a_fresh_nonce() {
    let store = store_with_record();
    let authorization = token(&store);
    let holder = Holder::ed25519();
    let unknown = authorize(
        &store,
        &authorization,
        holder.sign(&holder.header(), &claims("never-issued")),
    );
    assert!(matches!(unknown, Err(CredentialError::UnknownNonce)));
    assert!(
        authorize(
            &store,
            &authorization,
            holder.sign(&holder.header(), &claims(&nonce(&store)))
        )
        .is_ok()
    );
}

// --- credential endpoint: the request ---

#[test]
fn a_configuration_not_in_the_metadata_or_not_in_the_offer_is_refused() {
    let store = store_with_record();
    let authorization = token(&store);
    let holder = Holder::ed25519();
    let jwt = holder.sign(&holder.header(), &claims(&nonce(&store)));
    let run = |configuration: &str| {
        let body = json!({"credential_configuration_id": configuration, "proofs": {"jwt": [jwt]}});
        let request = CredentialRequest::from_json(body.to_string().as_bytes()).unwrap();
        authorize_credential_request(&store, Some(&authorization), &request, &metadata(), now())
    };
    let err = run("Nope").unwrap_err();
    assert_eq!(
        err.code(),
        CredentialErrorCode::UnknownCredentialConfiguration
    );
    let err = run(OTHER_CONFIGURATION).unwrap_err();
    assert!(matches!(err, CredentialError::ConfigurationNotGranted(_)));
    assert_eq!(err.code(), CredentialErrorCode::InsufficientScope);
    assert_eq!(err.http_status(), 403);
    assert!(
        err.www_authenticate()
            .unwrap()
            .contains("insufficient_scope")
    );
}

#[test]
fn malformed_or_unsupported_credential_requests_get_their_codes() {
    let store = store_with_record();
    let authorization = token(&store);
    let run = |body: Value| {
        let request = CredentialRequest::from_json(body.to_string().as_bytes())?;
        authorize_credential_request(&store, Some(&authorization), &request, &metadata(), now())
    };
    let id = HEALTH_CODE_CONFIGURATION_ID;
    let cases: Vec<(Value, CredentialErrorCode)> = vec![
        (json!([1]), CredentialErrorCode::InvalidCredentialRequest),
        (
            json!({"credential_configuration_id": 5}),
            CredentialErrorCode::InvalidCredentialRequest,
        ),
        (
            json!({"proofs": {"jwt": ["x"]}}),
            CredentialErrorCode::InvalidCredentialRequest,
        ),
        (
            json!({"credential_configuration_id": id, "credential_identifier": "a"}),
            CredentialErrorCode::InvalidCredentialRequest,
        ),
        (
            json!({"credential_identifier": "a"}),
            CredentialErrorCode::UnknownCredentialIdentifier,
        ),
        (
            json!({"credential_configuration_id": id, "credential_response_encryption": {}}),
            CredentialErrorCode::InvalidEncryptionParameters,
        ),
    ];
    for (body, code) in cases {
        assert_eq!(run(body.clone()).unwrap_err().code(), code, "{body}");
    }
    // A repeated parameter is malformed JSON for the request type.
    let repeated =
        format!(r#"{{"credential_configuration_id":"{id}","credential_configuration_id":"{id}"}}"#);
    assert!(matches!(
        CredentialRequest::from_json(repeated.as_bytes()).map_err(CredentialError::from),
        Err(CredentialError::MalformedRequest(_))
    ));
}

#[test]
fn missing_duplicate_or_foreign_proofs_are_invalid_proof() {
    let store = store_with_record();
    let authorization = token(&store);
    let holder = Holder::ed25519();
    let jwt = holder.sign(&holder.header(), &claims(&nonce(&store)));
    let run = |proofs: Option<Value>, singular: bool| {
        let mut body = json!({"credential_configuration_id": HEALTH_CODE_CONFIGURATION_ID});
        if let Some(proofs) = proofs {
            body["proofs"] = proofs;
        }
        if singular {
            body["proof"] = json!({"proof_type": "jwt", "jwt": jwt});
        }
        let request = CredentialRequest::from_json(body.to_string().as_bytes()).unwrap();
        authorize_credential_request(&store, Some(&authorization), &request, &metadata(), now())
    };
    let checks: Vec<(
        Result<AuthorizedIssuance, CredentialError>,
        Expect<CredentialError>,
    )> = vec![
        (run(None, false), |e| {
            matches!(e, CredentialError::MissingProofs)
        }),
        (run(None, true), |e| {
            matches!(e, CredentialError::SingularProof)
        }),
        (run(Some(json!({"jwt": []})), false), |e| {
            matches!(e, CredentialError::ProofCount(0))
        }),
        (run(Some(json!({"jwt": [jwt, jwt]})), false), |e| {
            matches!(e, CredentialError::ProofCount(2))
        }),
        (run(Some(json!({})), false), |e| {
            matches!(e, CredentialError::ProofTypeCount(0))
        }),
        (
            run(Some(json!({"jwt": [jwt], "di_vp": [{}]})), false),
            |e| matches!(e, CredentialError::ProofTypeCount(2)),
        ),
        (
            run(Some(json!({"di_vp": [{}]})), false),
            |e| matches!(e, CredentialError::UnsupportedProofType(t) if t == "di_vp"),
        ),
    ];
    for (result, expected) in checks {
        let err = result.unwrap_err();
        assert!(expected(&err), "{err:?}");
        assert_eq!(err.code(), CredentialErrorCode::InvalidProof);
    }
}

// --- credential endpoint: the proof JWT ---

#[test]
fn a_proof_with_a_wrong_typ_is_refused() {
    let store = store_with_record();
    let authorization = token(&store);
    let holder = Holder::ed25519();
    let mut header = holder.header();
    header["typ"] = json!("JWT");
    let err = proof_error(authorize(
        &store,
        &authorization,
        holder.sign(&header, &claims(&nonce(&store))),
    ));
    assert_eq!(err, ProofJwtError::WrongType(Some("JWT".to_owned())));
}

#[test]
fn a_proof_with_a_wrong_or_mismatched_alg_is_refused() {
    let store = store_with_record();
    let authorization = token(&store);
    let holder = Holder::ed25519();
    for alg in ["none", "HS256", "RS256", "ES384"] {
        let mut header = holder.header();
        header["alg"] = json!(alg);
        let err = proof_error(authorize(
            &store,
            &authorization,
            holder.sign(&header, &claims(&nonce(&store))),
        ));
        assert_eq!(
            err,
            ProofJwtError::UnsupportedAlgorithm(Some(alg.to_owned()))
        );
    }
    let mut header = holder.header();
    header["alg"] = json!("ES256");
    let err = proof_error(authorize(
        &store,
        &authorization,
        holder.sign(&header, &claims(&nonce(&store))),
    ));
    assert_eq!(
        err,
        ProofJwtError::AlgorithmKeyMismatch {
            alg: "ES256",
            key: "Ed25519"
        }
    );
}

#[test]
fn a_proof_whose_key_is_not_a_did_key_verification_method_is_refused() {
    let store = store_with_record();
    let authorization = token(&store);
    let holder = Holder::ed25519();
    let cases: Vec<(Value, Expect<ProofJwtError>)> = vec![
        (json!({"kid": null}), |e| *e == ProofJwtError::MissingKid),
        (json!({"kid": "did:web:example.com#key-1"}), |e| {
            matches!(e, ProofJwtError::KidNotDidKey(_))
        }),
        (json!({"kid": holder.did()}), |e| {
            matches!(e, ProofJwtError::KidNotDidKey(_))
        }),
        (json!({"jwk": {"kty": "OKP"}}), |e| {
            *e == ProofJwtError::KeyNotByKid("jwk")
        }),
        (json!({"crit": ["b64"]}), |e| {
            *e == ProofJwtError::CriticalHeader
        }),
    ];
    for (change, expected) in cases {
        let mut header = holder.header();
        for (name, value) in change.as_object().unwrap() {
            if value.is_null() {
                header.as_object_mut().unwrap().remove(name);
            } else {
                header[name] = value.clone();
            }
        }
        let err = proof_error(authorize(
            &store,
            &authorization,
            holder.sign(&header, &claims(&nonce(&store))),
        ));
        assert!(expected(&err), "{err:?}");
    }
    // An SM2 did:key is neither Ed25519 nor P-256.
    let sm2 = encode_base58btc(&prefix_with_codec(SM2_PUB, &[2; 33]));
    let mut header = holder.header();
    header["kid"] = json!(format!("did:key:{sm2}#{sm2}"));
    let err = proof_error(authorize(
        &store,
        &authorization,
        holder.sign(&header, &claims(&nonce(&store))),
    ));
    assert_eq!(err, ProofJwtError::UnsupportedKeyType(SM2_PUB));
}

#[test]
fn a_proof_for_another_audience_is_refused() {
    let store = store_with_record();
    let authorization = token(&store);
    let holder = Holder::ed25519();
    let mut claims = claims(&nonce(&store));
    claims["aud"] = json!("https://other-issuer.example");
    let err = authorize(
        &store,
        &authorization,
        holder.sign(&holder.header(), &claims),
    )
    .unwrap_err();
    assert!(matches!(err, CredentialError::WrongAudience));
    assert_eq!(err.code(), CredentialErrorCode::InvalidProof);
}

#[test]
fn a_stale_or_future_iat_is_refused() {
    let store = store_with_record();
    let authorization = token(&store);
    let holder = Holder::ed25519();
    for (shift, stale) in [(-301, true), (61, false)] {
        let mut claims = claims(&nonce(&store));
        claims["iat"] = json!(now().unix_timestamp() + shift);
        let err = authorize(
            &store,
            &authorization,
            holder.sign(&holder.header(), &claims),
        )
        .unwrap_err();
        if stale {
            assert!(matches!(err, CredentialError::StaleProof), "{err:?}");
        } else {
            assert!(matches!(err, CredentialError::FutureProof), "{err:?}");
        }
        assert_eq!(err.code(), CredentialErrorCode::InvalidProof);
    }
}

#[test]
fn a_reused_unknown_expired_or_missing_nonce_is_refused() {
    let store = store_with_record();
    let holder = Holder::ed25519();
    let used = nonce(&store);
    authorize(
        &store,
        &token(&store),
        holder.sign(&holder.header(), &claims(&used)),
    )
    .unwrap();

    let authorization = token(&store);
    let err = authorize(
        &store,
        &authorization,
        holder.sign(&holder.header(), &claims(&used)),
    )
    .unwrap_err();
    assert!(matches!(err, CredentialError::UnknownNonce));
    assert_eq!(err.code(), CredentialErrorCode::InvalidNonce);

    let err = authorize(
        &store,
        &authorization,
        holder.sign(&holder.header(), &claims("made-up")),
    )
    .unwrap_err();
    assert!(matches!(err, CredentialError::UnknownNonce));

    let old = new_nonce(&store, now() - Duration::minutes(5))
        .unwrap()
        .c_nonce;
    let err = authorize(
        &store,
        &authorization,
        holder.sign(&holder.header(), &claims(&old)),
    )
    .unwrap_err();
    assert!(matches!(err, CredentialError::ExpiredNonce));
    assert_eq!(err.code(), CredentialErrorCode::InvalidNonce);

    let mut no_nonce = claims("x");
    no_nonce.as_object_mut().unwrap().remove("nonce");
    let err = authorize(
        &store,
        &authorization,
        holder.sign(&holder.header(), &no_nonce),
    )
    .unwrap_err();
    assert!(matches!(err, CredentialError::MissingNonce));
    assert_eq!(err.code(), CredentialErrorCode::InvalidProof);
}

#[test]
fn a_proof_signed_by_another_key_is_refused_and_keeps_the_nonce() {
    let store = store_with_record();
    let authorization = token(&store);
    let (holder, impostor) = (Holder::ed25519(), Holder::ed25519());
    let c_nonce = nonce(&store);
    // The header names the holder's key; the impostor signs.
    let jwt = impostor.sign(&holder.header(), &claims(&c_nonce));
    assert_eq!(
        proof_error(authorize(&store, &authorization, jwt)),
        ProofJwtError::BadSignature
    );
    // The nonce is not consumed by a proof that does not verify.
    let jwt = holder.sign(&holder.header(), &claims(&c_nonce));
    assert!(authorize(&store, &authorization, jwt).is_ok());
}

#[test]
fn a_p256_proof_signed_by_another_key_is_refused() {
    let store = store_with_record();
    let authorization = token(&store);
    let (holder, impostor) = (Holder::p256(), Holder::p256());
    let jwt = impostor.sign(&holder.header(), &claims(&nonce(&store)));
    assert_eq!(
        proof_error(authorize(&store, &authorization, jwt)),
        ProofJwtError::BadSignature
    );
}

#[test]
fn garbage_proof_jwts_are_typed_errors() {
    let store = store_with_record();
    let authorization = token(&store);
    let holder = Holder::ed25519();
    let good = holder.sign(&holder.header(), &claims(&nonce(&store)));
    let (head, rest) = good.split_once('.').unwrap();
    let cases: Vec<(String, Expect<ProofJwtError>)> = vec![
        ("a.b".to_owned(), |e| *e == ProofJwtError::PartCount(2)),
        ("!!.e30.AA".to_owned(), |e| {
            *e == ProofJwtError::Base64("header")
        }),
        (format!("{}.e30.AA", URL_SAFE_NO_PAD.encode("[1]")), |e| {
            *e == ProofJwtError::Header
        }),
        (format!("{head}.e30.AA"), |e| {
            matches!(e, ProofJwtError::Claims(_))
        }),
        ("x".repeat(9000), |e| {
            matches!(e, ProofJwtError::TooLong(9000))
        }),
        (format!("{head}.{}", rest.replace('.', ".AA")), |e| {
            matches!(e, ProofJwtError::PartCount(_) | ProofJwtError::BadSignature)
        }),
    ];
    for (jwt, expected) in cases {
        let err = proof_error(authorize(&store, &authorization, jwt));
        assert!(expected(&err), "{err:?}");
    }
}
