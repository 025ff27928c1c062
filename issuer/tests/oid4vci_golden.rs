//! Golden tests: the examples of OpenID for Verifiable Credential Issuance 1.0 (final, tag
//! `1.0-final` of github.com/openid/OpenID4VCI) parse into the issuer's types and serialize
//! back to the same JSON. Each example names the section it comes from; line breaks the spec
//! inserts "for display purposes only" are removed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_issuer::oid4vci::{
    AuthorizationServerMetadata, CredentialConfiguration, CredentialErrorCode,
    CredentialErrorResponse, CredentialIssuerMetadata, CredentialOffer, CredentialRequest,
    CredentialResponse, NonceResponse, OAuthErrorCode, OAuthErrorResponse,
    PRE_AUTHORIZED_CODE_GRANT, TokenRequest, TokenResponse, proof_jwt,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;

/// Parses `json` into `T`, serializes it back and checks the JSON is the same.
fn round_trips<T: DeserializeOwned + Serialize>(json: &str) -> T {
    let original: Value = serde_json::from_str(json).unwrap();
    let parsed: T = serde_json::from_value(original.clone()).unwrap();
    assert_eq!(serde_json::to_value(&parsed).unwrap(), original);
    parsed
}

// "Credential Offer Parameters": examples/credential_offer_multiple_credentials.json
const OFFER_MULTIPLE_CREDENTIALS: &str = r##"{
  "credential_issuer": "https://credential-issuer.example.com",
  "credential_configuration_ids": [
    "UniversityDegreeCredential",
    "org.iso.18013.5.1.mDL"
  ],
  "grants": {
    "urn:ietf:params:oauth:grant-type:pre-authorized_code": {
      "pre-authorized_code": "oaKazRN8I0IbtZ0C7JuMn5",
      "tx_code": {
        "length": 4,
        "input_mode": "numeric",
        "description": "Please provide the one-time code that was sent via e-mail"
      }
    }
  }
}"##;

// "Sending Credential Offer by Reference Using credential_offer_uri Parameter":
// examples/credential_offer_by_reference.json (an empty tx_code object)
const OFFER_BY_REFERENCE: &str = r##"{
  "credential_issuer": "https://credential-issuer.example.com",
  "credential_configuration_ids": [
    "UniversityDegree_LDP_VC"
  ],
  "grants": {
    "urn:ietf:params:oauth:grant-type:pre-authorized_code": {
      "pre-authorized_code": "adhjhdjajkdkhjhdj",
      "tx_code": {}
    }
  }
}"##;

// examples/credential_offer_pre-authz_code.json (tx_code with a description only)
const OFFER_PRE_AUTHORIZED_CODE: &str = r##"{
  "credential_issuer": "https://credential-issuer.example.com",
  "credential_configuration_ids": [
    "UniversityDegreeCredential"
  ],
  "grants": {
    "urn:ietf:params:oauth:grant-type:pre-authorized_code": {
      "pre-authorized_code": "adhjhdjajkdkhjhdj",
      "tx_code": {
        "description": "Please provide the one-time code which was sent to your mobile phone via SMS"
      }
    }
  }
}"##;

// "Sending Credential Offer by Value Using credential_offer Parameter", the native-app URI.
const OFFER_URI: &str = "openid-credential-offer://?credential_offer=%7B%22credential_issuer%22:%22https://credential-issuer.example.com%22,%22credential_configuration_ids%22:%5B%22org.iso.18013.5.1.mDL%22%5D,%22grants%22:%7B%22urn:ietf:params:oauth:grant-type:pre-authorized_code%22:%7B%22pre-authorized_code%22:%22oaKazRN8I0IbtZ0C7JuMn5%22,%22tx_code%22:%7B%22input_mode%22:%22text%22,%22description%22:%22Please%20enter%20the%20serial%20number%20of%20your%20physical%20drivers%20license%22%7D%7D%7D%7D";

// "Credential Issuer Metadata" (Appendix "Additional Examples"):
// examples/credential_issuer_metadata_sd_jwt_long.json
const METADATA_LONG: &str = r##"{
  "credential_issuer": "https://credential-issuer.example.com",
  "authorization_servers": [
    "https://server.example.com"
  ],
  "credential_endpoint": "https://credential-issuer.example.com/credential",
  "nonce_endpoint": "https://credential-issuer.example.com/nonce",
  "deferred_credential_endpoint": "https://credential-issuer.example.com/deferred_credential",
  "notification_endpoint": "https://credential-issuer.example.com/notification",
  "credential_request_encryption": {
    "jwks": [
      {
        "kty":"EC", "kid":"ac", "use":"enc", "crv":"P-256", "alg":"ECDH-ES",
        "x":"YO4epjifD-KWeq1sL2tNmm36BhXnkJ0He-WqMYrp9Fk",
        "y":"Hekpm0zfK7C-YccH5iBjcIXgf6YdUvNUac_0At55Okk"
      }
    ],
    "enc_values_supported": ["A128GCM"],
    "zip_values_supported": ["DEF"],
    "encryption_required": true
  },
  "credential_response_encryption": {
    "alg_values_supported": ["ECDH-ES"],
    "enc_values_supported": ["A128GCM"],
    "zip_values_supported": ["DEF"],
    "encryption_required": true
  },
  "batch_credential_issuance": {
    "batch_size": 10
  },
  "display": [
    {
      "name": "Example University",
      "locale": "en-US",
      "logo": {
        "uri": "https://university.example.edu/public/logo.png",
        "alt_text":"a square logo of a university"
      }
    },
    {
      "name": "Example Université",
      "locale": "fr-FR",
      "logo": {
        "uri": "https://university.example.edu/public/logo.png",
        "alt_text":"Un logo universitaire carré"
      }
    }
  ],
  "credential_configurations_supported": {
    "SD_JWT_VC_example_in_OpenID4VCI": {
      "format": "dc+sd-jwt",
      "scope": "SD_JWT_VC_example_in_OpenID4VCI",
      "credential_signing_alg_values_supported": ["ES256"],
      "cryptographic_binding_methods_supported": ["jwk"],
      "proof_types_supported": {
        "jwt": {
          "proof_signing_alg_values_supported": ["ES256"],
          "key_attestations_required": {
            "key_storage": ["iso_18045_moderate"],
            "user_authentication": ["iso_18045_moderate"]
          }
        }
      },
      "vct": "SD_JWT_VC_example_in_OpenID4VCI",
      "credential_metadata": {
        "display": [
          {
            "name": "IdentityCredential",
            "locale": "en-US",
            "logo": {
              "uri": "https://university.example.edu/public/logo_credential.png",
              "alt_text": "a square logo of a university credential"
            },
            "description": "A credential that signals the membership of a university",
            "background_color": "#12107c",
            "text_color": "#FFFFFF"
          }
        ],
        "claims": [
          {
            "path": ["given_name"],
            "display": [
              {
                "name": "Given Name",
                "locale": "en-US"
              },
              {
                "name": "Vorname",
                "locale": "de-DE"
              }
            ]
          },
          {
            "path": ["family_name"],
            "display": [
              {
                "name": "Surname",
                "locale": "en-US"
              },
              {
                "name": "Nachname",
                "locale": "de-DE"
              }
            ]
          },
          {"path": ["email"]},
          {"path": ["phone_number"]},
          {
            "path": ["address"],
            "display": [
              {
                "name": "Place of residence",
                "locale": "en-US"
              },
              {
                "name": "Wohnsitz",
                "locale": "de-DE"
              }
            ]
          },
          {"path": ["address", "street_address"]},
          {"path": ["address", "locality"]},
          {"path": ["address", "region"]},
          {"path": ["address", "country"]},
          {"path": ["birthdate"]},
          {"path": ["is_over_18"]},
          {"path": ["is_over_21"]},
          {"path": ["is_over_65"]}
        ]
      }
    }
  }
}"##;

// "W3C Verifiable Credentials" / ldp_vc "Credential Issuer Metadata":
// examples/credential_metadata_ldp_vc.json
const METADATA_LDP_VC: &str = r##"{
  "credential_configurations_supported": {
    "UniversityDegree_LDP_VC": {
      "format": "ldp_vc",
      "cryptographic_binding_methods_supported": [
        "did:example"
      ],
      "credential_signing_alg_values_supported": [
        "Ed25519Signature2018"
      ],
      "credential_definition": {
        "@context": [
          "https://www.w3.org/2018/credentials/v1",
          "https://www.w3.org/2018/credentials/examples/v1"
        ],
        "type": [
          "VerifiableCredential",
          "UniversityDegreeCredential"
        ]
      },
      "credential_metadata": {
        "claims": [
          {
            "path": ["credentialSubject", "given_name"],
            "display": [
              {
                "name": "Given Name",
                "locale": "en-US"
              }
            ]
          },
          {
            "path": ["credentialSubject", "family_name"],
            "display": [
              {
                "name": "Surname",
                "locale": "en-US"
              }
            ]
          },
          {
            "path": ["credentialSubject", "degree"]
          },
          {
            "path": ["credentialSubject", "gpa"],
            "mandatory": true,
            "display": [
              {
                "name": "GPA"
              }
            ]
          }
        ],
        "display": [
          {
            "name": "University Credential",
            "locale": "en-US",
            "logo": {
              "uri": "https://university.example.edu/public/logo.png",
              "alt_text": "a square logo of a university"
            },
            "background_color": "#12107c",
            "text_color": "#FFFFFF"
          }
        ]
      }
    }
  }
}"##;

// "Token Request": the Pre-Authorized Code Flow example (without client authentication).
const TOKEN_REQUEST_FORM: &str = "grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code&pre-authorized_code=SplxlOBeZQQYbYS6WxSbIA&tx_code=493536&authorization_details=%5B%7B%22type%22%3A%20%22openid_credential%22%2C%20%22credential_configuration_id%22%3A%20%22UniversityDegreeCredential%22%7D%5D";

// "Successful Token Response"
const TOKEN_RESPONSE: &str = r##"{
  "access_token": "eyJhbGciOiJSUzI1NiIsInR5cCI6Ikp..sHQ",
  "token_type": "Bearer",
  "expires_in": 86400,
  "authorization_details": [
    {
      "type": "openid_credential",
      "credential_configuration_id": "UniversityDegreeCredential",
      "credential_identifiers": [
        "CivilEngineeringDegree-2023",
        "ElectricalEngineeringDegree-2023"
      ]
    }
  ]
}"##;

// "Token Error Response"
const TOKEN_ERROR: &str = r##"{
  "error": "invalid_request"
}"##;

// "Nonce Response"
const NONCE_RESPONSE: &str = r##"{
  "c_nonce": "wKI4LT17ac15ES9bw8ac4"
}"##;

// "Credential Request": the ISO mdL example with a jwt proof.
const CREDENTIAL_REQUEST_JWT: &str = r##"{
  "credential_configuration_id": "org.iso.18013.5.1.mDL",
  "proofs": {
    "jwt": [
      "eyJraWQiOiJkaWQ6ZXhhbXBsZTplYmZlYjFmNzEyZWJjNmYxYzI3NmUxMmVjMjEva2V5cy8xIiwiYWxnIjoiRVMyNTYiLCJ0eXAiOiJKV1QifQ"
    ]
  }
}"##;

// "Credential Request": two SD-JWT VC instances by credential identifier.
const CREDENTIAL_REQUEST_TWO_PROOFS: &str = r##"{
  "credential_identifier": "CivilEngineeringDegree-2023",
  "proofs": {
    "jwt": [
      "eyJ0eXAiOiJvcGVuaWQ0dmNpLXByb29mK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwiY3J2IjoiUC0yNTYiLCJ4IjoiblVXQW9BdjNYWml0aDhFN2kxOU9kYXhPTFlGT3dNLVoyRXVNMDJUaXJUNCIsInkiOiJIc2tIVThCalVpMVU5WHFpN1N3bWo4Z3dBS18weGtjRGpFV183MVNvc0VZIn19",
      "eyJraWQiOiJkaWQ6ZXhhbXBsZTplYmZlYjFmNzEyZWJjNmYxYzI3NmUxMmVjMjEva2V5cy8xIiwiYWxnIjoiRVMyNTYiLCJ0eXAiOiJKV1QifQ"
    ]
  }
}"##;

// "Credential Request": one W3C VC with a di_vp proof.
const CREDENTIAL_REQUEST_DI_VP: &str = r##"{
  "credential_identifier": "CivilEngineeringDegree-2023",
  "proofs": {
    "di_vp": [
      {
        "@context": [
          "https://www.w3.org/ns/credentials/v2",
          "https://www.w3.org/ns/credentials/examples/v2"
        ],
        "type": [
          "VerifiablePresentation"
        ],
        "holder": "did:key:z6MkvrFpBNCoYewiaeBLgjUDvLxUtnK5R6mqh5XPvLsrPsro",
        "proof": [
          {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-2022",
            "proofPurpose": "authentication",
            "verificationMethod": "did:key:z6MkvrFpBNCoYewiaeBLgjUDvLxUtnK5R6mqh5XPvLsrPsro#z6MkvrFpBNCoYewiaeBLgjUDvLxUtnK5R6mqh5XPvLsrPsro",
            "created": "2023-03-01T14:56:29.280619Z",
            "challenge": "82d4cb36-11f6-4273-b9c6-df1ac0ff17e9",
            "domain": "did:web:audience.company.com",
            "proofValue": "z5hrbHzZiqXHNpLq6i7zePEUcUzEbZKmWfNQzXcUXUrqF7bykQ7ACiWFyZdT2HcptF1zd1t7NhfQSdqrbPEjZceg7"
          }
        ]
      }
    ]
  }
}"##;

// "Credential Format Profiles" / ldp_vc "Credential Response":
// examples/credential_response_ldp_vc.txt
const CREDENTIAL_RESPONSE_LDP_VC: &str = r##"{
  "credentials": [
    {
      "credential": {
        "@context": [
          "https://www.w3.org/2018/credentials/v1",
          "https://www.w3.org/2018/credentials/examples/v1"
        ],
        "id": "http://example.edu/credentials/3732",
        "type": [
          "VerifiableCredential",
          "UniversityDegreeCredential"
        ],
        "issuer": "https://example.edu/issuers/565049",
        "issuanceDate": "2010-01-01T00:00:00Z",
        "credentialSubject": {
          "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
          "degree": {
            "type": "BachelorDegree",
            "name": "Bachelor of Science and Arts"
          }
        },
        "proof": {
          "type": "Ed25519Signature2020",
          "created": "2022-02-25T14:58:43Z",
          "verificationMethod": "https://example.edu/issuers/565049#key-1",
          "proofPurpose": "assertionMethod",
          "proofValue": "zeEdUoM7m9cY8ZyTpey83yBKeBcmcvbyrEQzJ19rD2UXArU2U1jPGoEtrRvGYppdiK37GU4NBeoPakxpWhAvsVSt"
        }
      }
    }
  ]
}"##;

// "Credential Response": multiple instances with a notification_id.
const CREDENTIAL_RESPONSE_MULTIPLE: &str = r##"{
  "credentials": [
    {
      "credential": "LUpixVCWJk0eOt4CXQe1NXK....WZwmhmn9OQp6YxX0a2L"
    },
    {
      "credential": "YXNkZnNhZGZkamZqZGFza23....29tZTIzMjMyMzIzMjMy"
    }
  ],
  "notification_id": "3fwe98js"
}"##;

// "Credential Error Response"
const CREDENTIAL_ERROR: &str = r##"{
  "error": "unknown_credential_configuration"
}"##;

// "jwt Proof Type": the proofs example (ES256, key by jwk).
const PROOF_JWT_EXAMPLE: &str = "eyJ0eXAiOiJvcGVuaWQ0dmNpLXByb29mK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwiY3J2IjoiUC0yNTYiLCJ4IjoiblVXQW9BdjNYWml0aDhFN2kxOU9kYXhPTFlGT3dNLVoyRXVNMDJUaXJUNCIsInkiOiJIc2tIVThCalVpMVU5WHFpN1N3bWo4Z3dBS18weGtjRGpFV183MVNvc0VZIn19.eyJhdWQiOiJodHRwczovL2NyZWRlbnRpYWwtaXNzdWVyLmV4YW1wbGUuY29tIiwiaWF0IjoxNzAxOTYwNDQ0LCJub25jZSI6IkxhclJHU2JtVVBZdFJZTzZCUTR5bjgifQ.-a3EDsxClUB4O3LeDD5DVGEnNMT01FCQW4P6-2-BNBqc_Zxf0Qw4CWayLEpqkAomlkLb9zioZoipdP-jvh1WlA";

#[test]
fn the_spec_credential_offers_round_trip_through_credential_offer() {
    let offer: CredentialOffer = round_trips(OFFER_MULTIPLE_CREDENTIALS);
    let grant = offer.pre_authorized_code_grant().unwrap();
    assert_eq!(grant.pre_authorized_code, "oaKazRN8I0IbtZ0C7JuMn5");
    let tx_code = grant.tx_code.as_ref().unwrap();
    assert_eq!(tx_code.length, Some(4));
    assert_eq!(tx_code.input_mode.as_deref(), Some("numeric"));

    let offer: CredentialOffer = round_trips(OFFER_BY_REFERENCE);
    // An empty tx_code object still requires a transaction code.
    assert_eq!(
        offer.pre_authorized_code_grant().unwrap().tx_code,
        Some(Default::default())
    );
    let offer: CredentialOffer = round_trips(OFFER_PRE_AUTHORIZED_CODE);
    assert_eq!(
        offer.credential_configuration_ids,
        ["UniversityDegreeCredential"]
    );
}

#[test]
fn the_spec_offer_uri_by_value_parses_and_our_uri_of_it_parses_back_to_the_same_offer() {
    let offer = CredentialOffer::from_uri(OFFER_URI).unwrap();
    assert_eq!(
        offer.credential_issuer,
        "https://credential-issuer.example.com"
    );
    assert_eq!(
        offer.credential_configuration_ids,
        ["org.iso.18013.5.1.mDL"]
    );
    let tx_code = offer
        .pre_authorized_code_grant()
        .unwrap()
        .tx_code
        .clone()
        .unwrap();
    assert_eq!(tx_code.input_mode.as_deref(), Some("text"));
    assert_eq!(
        tx_code.description.as_deref(),
        Some("Please enter the serial number of your physical drivers license")
    );
    let uri = offer.to_uri();
    assert!(
        uri.starts_with(
            "openid-credential-offer://?credential_offer=%7B%22credential_issuer%22%3A"
        )
    );
    assert_eq!(CredentialOffer::from_uri(&uri).unwrap(), offer);
}

#[test]
fn the_spec_issuer_metadata_round_trips_through_credential_issuer_metadata() {
    let metadata: CredentialIssuerMetadata = round_trips(METADATA_LONG);
    assert_eq!(
        metadata.credential_issuer,
        "https://credential-issuer.example.com"
    );
    assert_eq!(
        metadata.nonce_endpoint.as_deref(),
        Some("https://credential-issuer.example.com/nonce")
    );
    assert_eq!(metadata.display.as_ref().unwrap().len(), 2);
    // Parameters the issuer does not use are kept, not dropped.
    assert!(metadata.other.contains_key("batch_credential_issuance"));
    let configuration = metadata
        .configuration("SD_JWT_VC_example_in_OpenID4VCI")
        .unwrap();
    assert!(configuration.accepts_proof("jwt", "ES256"));
    assert!(!configuration.accepts_proof("jwt", "EdDSA"));
}

#[test]
fn the_spec_ldp_vc_configuration_round_trips_through_credential_configuration() {
    let value: Value = serde_json::from_str(METADATA_LDP_VC).unwrap();
    let configurations = value["credential_configurations_supported"].to_string();
    let configurations: BTreeMap<String, CredentialConfiguration> = round_trips(&configurations);
    let configuration = &configurations["UniversityDegree_LDP_VC"];
    assert_eq!(configuration.format, "ldp_vc");
    let definition = configuration.credential_definition.as_ref().unwrap();
    assert_eq!(
        definition.types,
        ["VerifiableCredential", "UniversityDegreeCredential"]
    );
    let credential_metadata = configuration.credential_metadata.as_ref().unwrap();
    assert_eq!(credential_metadata.claims.as_ref().unwrap().len(), 4);
}

#[test]
fn the_spec_token_request_form_parses_and_ignores_authorization_details() {
    let request = TokenRequest::from_form(TOKEN_REQUEST_FORM.as_bytes()).unwrap();
    assert_eq!(request.grant_type, PRE_AUTHORIZED_CODE_GRANT);
    assert_eq!(
        request.pre_authorized_code.as_deref(),
        Some("SplxlOBeZQQYbYS6WxSbIA")
    );
    assert_eq!(request.tx_code.as_deref(), Some("493536"));
    assert_eq!(request.client_id, None);
    assert_eq!(
        TokenRequest::from_form(request.to_form().as_bytes()).unwrap(),
        request
    );
}

#[test]
fn the_spec_token_nonce_and_error_responses_round_trip() {
    let response: TokenResponse = round_trips(TOKEN_RESPONSE);
    assert_eq!(response.token_type, "Bearer");
    assert_eq!(response.expires_in, 86400);
    let error: OAuthErrorResponse = round_trips(TOKEN_ERROR);
    assert_eq!(error.error, OAuthErrorCode::InvalidRequest);
    let nonce: NonceResponse = round_trips(NONCE_RESPONSE);
    assert_eq!(nonce.c_nonce, "wKI4LT17ac15ES9bw8ac4");
}

#[test]
fn the_spec_credential_requests_round_trip_through_credential_request() {
    let request: CredentialRequest = round_trips(CREDENTIAL_REQUEST_JWT);
    assert_eq!(
        request.credential_configuration_id.as_deref(),
        Some("org.iso.18013.5.1.mDL")
    );
    assert_eq!(
        request.proofs.as_ref().unwrap().jwt.as_ref().unwrap().len(),
        1
    );
    let request: CredentialRequest = round_trips(CREDENTIAL_REQUEST_TWO_PROOFS);
    assert_eq!(
        request.proofs.as_ref().unwrap().jwt.as_ref().unwrap().len(),
        2
    );
    let request: CredentialRequest = round_trips(CREDENTIAL_REQUEST_DI_VP);
    let proofs = request.proofs.unwrap();
    assert!(proofs.jwt.is_none());
    assert!(proofs.other.contains_key("di_vp"));
    // from_json reads the same bodies.
    assert!(CredentialRequest::from_json(CREDENTIAL_REQUEST_JWT.as_bytes()).is_ok());
}

#[test]
fn the_spec_credential_responses_and_error_round_trip() {
    let response: CredentialResponse = round_trips(CREDENTIAL_RESPONSE_LDP_VC);
    assert_eq!(
        response.credentials[0].credential["type"][1],
        "UniversityDegreeCredential"
    );
    let response: CredentialResponse = round_trips(CREDENTIAL_RESPONSE_MULTIPLE);
    assert_eq!(response.notification_id.as_deref(), Some("3fwe98js"));
    let error: CredentialErrorResponse = round_trips(CREDENTIAL_ERROR);
    assert_eq!(
        error.error,
        CredentialErrorCode::UnknownCredentialConfiguration
    );
}

#[test]
fn the_spec_proof_jwt_example_is_refused_because_it_names_its_key_by_jwk() {
    // We bind credentials to a did:key named by kid; the example carries a jwk.
    assert_eq!(
        proof_jwt::parse(PROOF_JWT_EXAMPLE).unwrap_err(),
        proof_jwt::ProofJwtError::KeyNotByKid("jwk")
    );
    // Its claims are the ones the spec decodes.
    let payload = PROOF_JWT_EXAMPLE.split('.').nth(1).unwrap();
    use base64::Engine as _;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: proof_jwt::ProofClaims = serde_json::from_slice(&payload).unwrap();
    assert_eq!(claims.aud, "https://credential-issuer.example.com");
    assert_eq!(claims.iat, 1701960444);
    assert_eq!(claims.nonce.as_deref(), Some("LarRGSbmUPYtRYO6BQ4yn8"));
}

#[test]
fn our_authorization_server_metadata_announces_anonymous_pre_authorized_access() {
    let metadata = AuthorizationServerMetadata::new("https://issuer.example");
    let json = serde_json::to_value(&metadata).unwrap();
    assert_eq!(json["token_endpoint"], "https://issuer.example/token");
    assert_eq!(
        json["pre-authorized_grant_anonymous_access_supported"],
        true
    );
    assert_eq!(json["grant_types_supported"][0], PRE_AUTHORIZED_CODE_GRANT);
    let parsed: AuthorizationServerMetadata = round_trips(&json.to_string());
    assert_eq!(parsed, metadata);
}
