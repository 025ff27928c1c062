//! The pre-authorized code flow over the in-memory store, end to end: offers, the token
//! endpoint and its typed failures, housekeeping. The credential endpoint's failures are in
//! `oid4vci_credential.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod oid4vci_support;

use oid4vci_support::*;

use crosscode_issuer::oid4vci::{
    AuthorizedIssuance, CredentialOffer, CredentialRequest, CredentialResponse,
    HEALTH_CODE_CONFIGURATION_ID, OAuthError, OAuthErrorCode, OfferError, ProofAlgorithm,
    TX_CODE_MAX_ATTEMPTS, TokenRequest, authorize_credential_request, create_offer, exchange_token,
    purge_expired,
};
use crosscode_issuer::store::memory::MemoryStore;
use crosscode_issuer::store::{IssuerStore, Table};
use serde_json::json;
use time::Duration;

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
    // The route turns the form's error into the endpoint's OAuth error.
    let err = OAuthError::from(TokenRequest::from_form(b"pre-authorized_code=abc").unwrap_err());
    assert!(matches!(err, OAuthError::MissingParameter("grant_type")));
    assert_eq!(err.code(), OAuthErrorCode::InvalidRequest);
    let err = OAuthError::from(TokenRequest::from_form(b"grant_type=a&grant_type=b").unwrap_err());
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
