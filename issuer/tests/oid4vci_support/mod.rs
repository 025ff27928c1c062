//! What the OpenID4VCI integration tests share: an issuer with two configurations over the
//! in-memory store, offers, tokens, nonces and holder keys that sign proof JWTs.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use crosscode_core::data_integrity::Cryptosuite;
use crosscode_core::multicodec::{ED25519_PUB, P256_PUB, encode_base58btc, prefix_with_codec};
use crosscode_issuer::oid4vci::proof_jwt::ProofJwtError;
use crosscode_issuer::oid4vci::{
    AuthorizedIssuance, CreatedOffer, CredentialError, CredentialIssuerMetadata, CredentialRequest,
    HEALTH_CODE_CONFIGURATION_ID, PRE_AUTHORIZED_CODE_GRANT, TokenRequest,
    authorize_credential_request, create_offer, exchange_token, health_code_configuration,
    new_nonce,
};
use crosscode_issuer::store::memory::MemoryStore;
use crosscode_issuer::store::{IssuerStore, Table};
use ed25519_dalek::Signer as _;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

pub const ISSUER: &str = "https://health.gd.example";
pub const RECORD: &str = "record-0001";
pub const OTHER_CONFIGURATION: &str = "VaccinationCredential";

pub fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

pub fn metadata() -> CredentialIssuerMetadata {
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

pub fn store_with_record() -> MemoryStore {
    let store = MemoryStore::new();
    store
        .put(Table::Records, RECORD.as_bytes(), b"sealed")
        .unwrap();
    store
}

pub fn offer(store: &MemoryStore, with_tx_code: bool) -> CreatedOffer {
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

pub fn token_request(code: &str, tx_code: Option<&str>) -> TokenRequest {
    TokenRequest {
        grant_type: PRE_AUTHORIZED_CODE_GRANT.to_owned(),
        pre_authorized_code: Some(code.to_owned()),
        tx_code: tx_code.map(str::to_owned),
        client_id: None,
    }
}

/// A holder key of either algorithm.
pub enum Holder {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
}

impl Holder {
    pub fn ed25519() -> Holder {
        Holder::Ed25519(ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng))
    }

    pub fn p256() -> Holder {
        Holder::P256(p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng))
    }

    pub fn did(&self) -> String {
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

    pub fn kid(&self) -> String {
        let did = self.did();
        let multibase = did.trim_start_matches("did:key:").to_owned();
        format!("{did}#{multibase}")
    }

    pub fn alg(&self) -> &'static str {
        match self {
            Holder::Ed25519(_) => "EdDSA",
            Holder::P256(_) => "ES256",
        }
    }

    pub fn header(&self) -> Value {
        json!({"typ": "openid4vci-proof+jwt", "alg": self.alg(), "kid": self.kid()})
    }

    pub fn sign(&self, header: &Value, claims: &Value) -> String {
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

pub fn claims(nonce: &str) -> Value {
    json!({"aud": ISSUER, "iat": now().unix_timestamp(), "nonce": nonce})
}

pub fn request_with(jwts: &[String]) -> CredentialRequest {
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
pub fn token(store: &MemoryStore) -> String {
    let created = offer(store, false);
    let response = exchange_token(
        store,
        &token_request(&created.pre_authorized_code, None),
        now(),
    )
    .unwrap();
    format!("Bearer {}", response.access_token)
}

pub fn nonce(store: &MemoryStore) -> String {
    new_nonce(store, now()).unwrap().c_nonce
}

/// A check of a typed error.
pub type Expect<E> = fn(&E) -> bool;

/// Runs the credential endpoint with one proof signed by `holder` over `header` and `claims`.
pub fn authorize(
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

pub fn proof_error(result: Result<AuthorizedIssuance, CredentialError>) -> ProofJwtError {
    match result {
        Err(CredentialError::Proof(err)) => err,
        other => panic!("expected a proof error, got {other:?}"),
    }
}
