//! The pre-authorized code flow over the in-memory store, end to end, and every typed failure
//! a wallet or the back office can hit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use crosscode_core::data_integrity::Cryptosuite;
use crosscode_core::multicodec::{
    ED25519_PUB, P256_PUB, SM2_PUB, encode_base58btc, prefix_with_codec,
};
use crosscode_issuer::oid4vci::proof_jwt::ProofJwtError;
use crosscode_issuer::oid4vci::{
    AuthorizedIssuance, CreatedOffer, CredentialError, CredentialErrorCode,
    CredentialIssuerMetadata, CredentialOffer, CredentialRequest, CredentialResponse,
    HEALTH_CODE_CONFIGURATION_ID, OAuthError, OAuthErrorCode, OfferError,
    PRE_AUTHORIZED_CODE_GRANT, ProofAlgorithm, TX_CODE_MAX_ATTEMPTS, TokenRequest,
    authorize_credential_request, create_offer, exchange_token, health_code_configuration,
    new_nonce, purge_expired,
};
use crosscode_issuer::store::memory::MemoryStore;
use crosscode_issuer::store::{IssuerStore, Table};
use ed25519_dalek::Signer as _;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

const ISSUER: &str = "https://health.gd.example";
const RECORD: &str = "record-0001";
const OTHER_CONFIGURATION: &str = "VaccinationCredential";

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

fn metadata() -> CredentialIssuerMetadata {
    let suites = [Cryptosuite::EddsaJcs2022, Cryptosuite::Sm2Jcs2026];
    let mut configurations = BTreeMap::new();
    configurations.insert(
        HEALTH_CODE_CONFIGURATION_ID.to_owned(),
        health_code_configuration(&suites, Vec::new()),
    );
    let mut other = health_code_configuration(&suites, Vec::new());
    if let Some(definition) = other.credential_definition.as_mut() {
        definition.types[1] = OTHER_CONFIGURATION.to_owned();
    }
    configurations.insert(OTHER_CONFIGURATION.to_owned(), other);
    CredentialIssuerMetadata::new(ISSUER, Vec::new(), configurations)
}

fn store_with_record() -> MemoryStore {
    let store = MemoryStore::new();
    store
        .put(Table::Records, RECORD.as_bytes(), b"sealed")
        .unwrap();
    store
}

fn offer(store: &MemoryStore, with_tx_code: bool) -> CreatedOffer {
    create_offer(
        store,
        &metadata(),
        RECORD,
        HEALTH_CODE_CONFIGURATION_ID,
        with_tx_code,
        Duration::minutes(10),
        now(),
    )
    .unwrap()
}

fn token_request(code: &str, tx_code: Option<&str>) -> TokenRequest {
    TokenRequest {
        grant_type: PRE_AUTHORIZED_CODE_GRANT.to_owned(),
        pre_authorized_code: Some(code.to_owned()),
        tx_code: tx_code.map(str::to_owned),
        client_id: None,
    }
}

/// A holder key of either algorithm.
enum Holder {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
}

impl Holder {
    fn ed25519() -> Holder {
        Holder::Ed25519(ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng))
    }

    fn p256() -> Holder {
        Holder::P256(p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng))
    }

    fn did(&self) -> String {
        let multibase = match self {
            Holder::Ed25519(key) => encode_base58btc(&prefix_with_codec(
                ED25519_PUB,
                key.verifying_key().as_bytes(),
            )),
            Holder::P256(key) => encode_base58btc(&prefix_with_codec(
                P256_PUB,
                key.verifying_key().to_encoded_point(true).as_bytes(),
            )),
        };
        format!("did:key:{multibase}")
    }

    fn kid(&self) -> String {
        let did = self.did();
        let multibase = did.trim_start_matches("did:key:").to_owned();
        format!("{did}#{multibase}")
    }

    fn alg(&self) -> &'static str {
        match self {
            Holder::Ed25519(_) => "EdDSA",
            Holder::P256(_) => "ES256",
        }
    }

    fn header(&self) -> Value {
        json!({"typ": "openid4vci-proof+jwt", "alg": self.alg(), "kid": self.kid()})
    }

    fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = match self {
            Holder::Ed25519(key) => key.sign(input.as_bytes()).to_bytes().to_vec(),
            Holder::P256(key) => {
                let signature: p256::ecdsa::Signature = key.sign(input.as_bytes());
                signature.to_bytes().to_vec()
            }
        };
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

fn claims(nonce: &str) -> Value {
    json!({"aud": ISSUER, "iat": now().unix_timestamp(), "nonce": nonce})
}

fn request_with(jwts: &[String]) -> CredentialRequest {
    CredentialRequest::from_json(
        json!({
            "credential_configuration_id": HEALTH_CODE_CONFIGURATION_ID,
            "proofs": {"jwt": jwts},
        })
        .to_string()
        .as_bytes(),
    )
    .unwrap()
}

/// A store with a redeemed offer: the access token's `Authorization` header value.
fn token(store: &MemoryStore) -> String {
    let created = offer(store, false);
    let response = exchange_token(
        store,
        &token_request(&created.pre_authorized_code, None),
        now(),
    )
    .unwrap();
    format!("Bearer {}", response.access_token)
}

fn nonce(store: &MemoryStore) -> String {
    new_nonce(store, now()).unwrap().c_nonce
}

/// A check of a typed error.
type Expect<E> = fn(&E) -> bool;

/// Runs the credential endpoint with one proof signed by `holder` over `header` and `claims`.
fn authorize(
    store: &MemoryStore,
    authorization: &str,
    jwt: String,
) -> Result<AuthorizedIssuance, CredentialError> {
    authorize_credential_request(
        store,
        Some(authorization),
        &request_with(&[jwt]),
        &metadata(),
        now(),
    )
}

fn proof_error(result: Result<AuthorizedIssuance, CredentialError>) -> ProofJwtError {
    match result {
        Err(CredentialError::Proof(err)) => err,
        other => panic!("expected a proof error, got {other:?}"),
    }
}

// --- the whole flow ---

#[test]
fn a_wallet_receives_a_credential_with_a_tx_code_and_an_eddsa_proof() {
    let store = store_with_record();
    let created = offer(&store, true);
    // What the wallet scans: the offer URI carries the code but never the tx_code.
    let scanned = CredentialOffer::from_uri(&created.uri).unwrap();
    assert_eq!(scanned, created.offer);
    let tx_code = created.tx_code.clone().unwrap();
    assert_eq!(tx_code.len(), 6);
    assert!(tx_code.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(created.expires_at, now() + Duration::minutes(10));
    // The store never holds the code or the tx_code in clear.
    for (key, value) in store.scan(Table::Offers, None, 10).unwrap() {
        let value = String::from_utf8(value).unwrap();
        assert!(!value.contains(&created.pre_authorized_code));
        assert!(!value.contains(&tx_code));
        assert_ne!(key, created.pre_authorized_code.as_bytes());
    }

    let grant = scanned.pre_authorized_code_grant().unwrap();
    let form = token_request(&grant.pre_authorized_code, Some(&tx_code)).to_form();
    let request = TokenRequest::from_form(form.as_bytes()).unwrap();
    let response = exchange_token(&store, &request, now()).unwrap();
    assert_eq!(response.token_type, "Bearer");
    assert_eq!(response.expires_in, 300);

    let holder = Holder::ed25519();
    let jwt = holder.sign(&holder.header(), &claims(&nonce(&store)));
    let body = json!({
        "credential_configuration_id": HEALTH_CODE_CONFIGURATION_ID,
        "proofs": {"jwt": [jwt]},
    })
    .to_string();
    let authorized = authorize_credential_request(
        &store,
        Some(&format!("Bearer {}", response.access_token)),
        &CredentialRequest::from_json(body.as_bytes()).unwrap(),
        &metadata(),
        now(),
    )
    .unwrap();
    assert_eq!(
        authorized,
        AuthorizedIssuance {
            record_id: RECORD.to_owned(),
            configuration_id: HEALTH_CODE_CONFIGURATION_ID.to_owned(),
            holder_did: holder.did(),
            holder_algorithm: ProofAlgorithm::EdDsa,
        }
    );
    let response = CredentialResponse::single(json!({"type": ["VerifiableCredential"]}));
    assert_eq!(
        serde_json::to_value(response).unwrap(),
        json!({"credentials": [{"credential": {"type": ["VerifiableCredential"]}}]})
    );
    // Everything single-use is gone.
    for table in [Table::Offers, Table::Tokens, Table::Nonces] {
        assert_eq!(store.count(table).unwrap(), 0, "{table:?}");
    }
}

#[test]
fn a_wallet_receives_a_credential_with_an_es256_proof_by_a_p256_did_key() {
    let store = store_with_record();
    let authorization = token(&store);
    let holder = Holder::p256();
    assert!(holder.did().starts_with("did:key:zDn"));
    let jwt = holder.sign(&holder.header(), &claims(&nonce(&store)));
    let authorized = authorize(&store, &authorization, jwt).unwrap();
    assert_eq!(authorized.holder_did, holder.did());
    assert_eq!(authorized.holder_algorithm, ProofAlgorithm::Es256);
}

#[test]
fn the_flow_keeps_no_state_outside_the_store_so_a_restart_keeps_offers() {
    // The functions hold no state of their own: any process over the same store redeems.
    let store = store_with_record();
    let created = offer(&store, false);
    let reopened: &dyn IssuerStore = &store;
    assert!(
        exchange_token(
            reopened,
            &token_request(&created.pre_authorized_code, None),
            now()
        )
        .is_ok()
    );
}

// --- offers ---

#[test]
fn an_offer_for_an_unknown_configuration_record_or_lifetime_is_refused() {
    let store = store_with_record();
    let make = |record: &str, configuration: &str, ttl: Duration| {
        create_offer(
            &store,
            &metadata(),
            record,
            configuration,
            false,
            ttl,
            now(),
        )
    };
    assert!(matches!(
        make(RECORD, "Nope", Duration::minutes(1)),
        Err(OfferError::UnknownConfiguration(id)) if id == "Nope"
    ));
    assert!(matches!(
        make(
            "record-9999",
            HEALTH_CODE_CONFIGURATION_ID,
            Duration::minutes(1)
        ),
        Err(OfferError::UnknownRecord)
    ));
    assert!(matches!(
        make(RECORD, HEALTH_CODE_CONFIGURATION_ID, Duration::ZERO),
        Err(OfferError::NonPositiveTtl)
    ));
}

// --- token endpoint ---

#[test]
fn a_pre_authorized_code_is_redeemed_only_once() {
    let store = store_with_record();
    let created = offer(&store, false);
    let request = token_request(&created.pre_authorized_code, None);
    exchange_token(&store, &request, now()).unwrap();
    let err = exchange_token(&store, &request, now()).unwrap_err();
    assert!(matches!(err, OAuthError::UnknownPreAuthorizedCode));
    assert_eq!(err.code(), OAuthErrorCode::InvalidGrant);
    assert_eq!(err.http_status(), 400);
    assert_eq!(
        serde_json::to_value(err.response()).unwrap()["error"],
        "invalid_grant"
    );
}

#[test]
fn an_expired_offer_is_refused_and_burnt() {
    let store = store_with_record();
    let created = offer(&store, false);
    let request = token_request(&created.pre_authorized_code, None);
    let later = now() + Duration::minutes(10);
    let err = exchange_token(&store, &request, later).unwrap_err();
    assert!(matches!(err, OAuthError::OfferExpired));
    assert_eq!(err.code(), OAuthErrorCode::InvalidGrant);
    assert!(matches!(
        exchange_token(&store, &request, now()),
        Err(OAuthError::UnknownPreAuthorizedCode)
    ));
}

#[test]
fn a_missing_tx_code_is_invalid_request_and_costs_no_attempt() {
    let store = store_with_record();
    let created = offer(&store, true);
    for _ in 0..TX_CODE_MAX_ATTEMPTS + 1 {
        let err = exchange_token(
            &store,
            &token_request(&created.pre_authorized_code, None),
            now(),
        )
        .unwrap_err();
        assert!(matches!(err, OAuthError::TxCodeMissing));
        assert_eq!(err.code(), OAuthErrorCode::InvalidRequest);
    }
    let tx_code = created.tx_code.unwrap();
    assert!(
        exchange_token(
            &store,
            &token_request(&created.pre_authorized_code, Some(&tx_code)),
            now()
        )
        .is_ok()
    );
}

#[test]
fn a_tx_code_for_an_offer_without_one_is_invalid_request() {
    let store = store_with_record();
    let created = offer(&store, false);
    let err = exchange_token(
        &store,
        &token_request(&created.pre_authorized_code, Some("123456")),
        now(),
    )
    .unwrap_err();
    assert!(matches!(err, OAuthError::TxCodeNotExpected));
    assert_eq!(err.code(), OAuthErrorCode::InvalidRequest);
    // The offer is still redeemable.
    assert!(
        exchange_token(
            &store,
            &token_request(&created.pre_authorized_code, None),
            now()
        )
        .is_ok()
    );
}

#[test]
fn a_wrong_tx_code_costs_an_attempt_and_the_right_one_still_works_before_the_limit() {
    let store = store_with_record();
    let created = offer(&store, true);
    let tx_code = created.tx_code.clone().unwrap();
    let wrong = if tx_code == "000000" {
        "000001"
    } else {
        "000000"
    };
    let err = exchange_token(
        &store,
        &token_request(&created.pre_authorized_code, Some(wrong)),
        now(),
    )
    .unwrap_err();
    assert!(
        matches!(err, OAuthError::WrongTxCode { attempts_left } if attempts_left == TX_CODE_MAX_ATTEMPTS - 1)
    );
    assert_eq!(err.code(), OAuthErrorCode::InvalidGrant);
    assert!(
        exchange_token(
            &store,
            &token_request(&created.pre_authorized_code, Some(&tx_code)),
            now()
        )
        .is_ok()
    );
}

#[test]
fn the_third_wrong_tx_code_burns_the_offer() {
    let store = store_with_record();
    let created = offer(&store, true);
    let tx_code = created.tx_code.clone().unwrap();
    let wrong = if tx_code == "000000" {
        "000001"
    } else {
        "000000"
    };
    let request = token_request(&created.pre_authorized_code, Some(wrong));
    for attempts_left in (1..TX_CODE_MAX_ATTEMPTS).rev() {
        assert!(matches!(
            exchange_token(&store, &request, now()),
            Err(OAuthError::WrongTxCode { attempts_left: left }) if left == attempts_left
        ));
    }
    let err = exchange_token(&store, &request, now()).unwrap_err();
    assert!(matches!(err, OAuthError::TxCodeAttemptsExhausted));
    assert_eq!(err.code(), OAuthErrorCode::InvalidGrant);
    // Even the right code is too late now.
    assert!(matches!(
        exchange_token(
            &store,
            &token_request(&created.pre_authorized_code, Some(&tx_code)),
            now()
        ),
        Err(OAuthError::UnknownPreAuthorizedCode)
    ));
}

#[test]
fn an_unknown_grant_type_is_unsupported_grant_type() {
    let store = store_with_record();
    let mut request = token_request("code", None);
    request.grant_type = "authorization_code".to_owned();
    let err = exchange_token(&store, &request, now()).unwrap_err();
    assert!(matches!(err, OAuthError::UnsupportedGrantType(ref g) if g == "authorization_code"));
    assert_eq!(err.code(), OAuthErrorCode::UnsupportedGrantType);
}

#[test]
fn malformed_token_forms_are_invalid_request() {
    let err = TokenRequest::from_form(b"pre-authorized_code=abc").unwrap_err();
    assert!(matches!(err, OAuthError::MissingParameter("grant_type")));
    assert_eq!(err.code(), OAuthErrorCode::InvalidRequest);
    let err = TokenRequest::from_form(b"grant_type=a&grant_type=b").unwrap_err();
    assert!(matches!(err, OAuthError::DuplicateParameter("grant_type")));
    let request = TokenRequest {
        pre_authorized_code: None,
        ..token_request("x", None)
    };
    assert!(matches!(
        exchange_token(&MemoryStore::new(), &request, now()),
        Err(OAuthError::MissingParameter("pre-authorized_code"))
    ));
}

#[test]
fn an_error_description_is_ascii_without_quotes_or_backslashes() {
    let err = OAuthError::UnsupportedGrantType("\"é\\\u{7}".to_owned());
    let description = err.response().error_description.unwrap();
    assert!(
        description
            .bytes()
            .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5b | 0x5d..=0x7e))
    );
}

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
        CredentialRequest::from_json(repeated.as_bytes()),
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

// --- housekeeping ---

#[test]
fn purge_expired_removes_only_expired_offers_tokens_and_nonces() {
    let store = store_with_record();
    offer(&store, false);
    let _ = token(&store);
    nonce(&store);
    let purged = purge_expired(&store, now() + Duration::minutes(6)).unwrap();
    assert_eq!((purged.offers, purged.tokens, purged.nonces), (0, 1, 1));
    let purged = purge_expired(&store, now() + Duration::minutes(11)).unwrap();
    assert_eq!((purged.offers, purged.tokens, purged.nonces), (1, 0, 0));
    assert_eq!(store.count(Table::Records).unwrap(), 1);
}
