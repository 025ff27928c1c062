//! W3C DID Resolution of registry DIDs: documents carry the stored keys as Multikeys, a rotated
//! key's old version resolves at the old height (and time), deactivated DIDs say so, and
//! failures are DID Resolution error results.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_core::did::DidDocument;
use crosscode_core::keys::SecretKey;
use crosscode_core::multicodec::encode_multikey;
use crosscode_did_registry::document::{RegistryDid, Relationships, VerificationMethod};
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::resolution::{
    ERROR_INVALID_DID, ERROR_NOT_FOUND, VersionTimeError, did_document, error_code,
    parse_version_time, resolution_error, resolution_result, resolved_from_result, xml_datetime,
};
use crosscode_did_registry::state::{ResolveError, ResolvedDid};
use crosscode_did_registry::transaction::Payload;
use crosscode_testing::registry::{Actor, Chain, GENESIS_TIME, key_algorithm};
use serde_json::{Value, json};

fn json(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap()
}

/// The resolution result of `resolved` as JSON; it reads back as `resolved`.
fn result_of(resolved: &ResolvedDid) -> Value {
    let result = resolution_result(resolved).unwrap();
    assert_eq!(&resolved_from_result(&result).unwrap(), resolved);
    json(&result)
}

fn fragment_url(did: &RegistryDid, fragment: &str) -> Value {
    json!(format!("{}#{fragment}", did.as_str()))
}

#[test]
fn the_document_holds_the_stored_keys_relationships_and_services() {
    for profile in CryptoProfile::ALL {
        let mut chain = Chain::new(profile);
        let mut actor = Actor::new(profile);
        let create = actor.create();
        chain.ok(&create);
        let resolved = chain.state.resolve(&actor.did, None).unwrap();
        let document = json(&did_document(&resolved).unwrap());
        let did = &actor.did;
        assert_eq!(
            document["@context"],
            json!([
                "https://www.w3.org/ns/did/v1",
                "https://w3id.org/security/multikey/v1"
            ])
        );
        assert_eq!(document["id"], did.as_str());
        assert_eq!(
            document["verificationMethod"],
            json!([
                {
                    "id": fragment_url(did, "control"),
                    "type": "Multikey",
                    "controller": did.as_str(),
                    "publicKeyMultibase": encode_multikey(&actor.control.public_key()),
                },
                {
                    "id": fragment_url(did, "assert-1"),
                    "type": "Multikey",
                    "controller": did.as_str(),
                    "publicKeyMultibase": encode_multikey(&actor.assertion.public_key()),
                },
            ])
        );
        assert_eq!(
            document["authentication"],
            json!([fragment_url(did, "control")])
        );
        assert_eq!(
            document["capabilityInvocation"],
            json!([fragment_url(did, "control")])
        );
        assert_eq!(
            document["assertionMethod"],
            json!([fragment_url(did, "assert-1")])
        );
        assert_eq!(document["capabilityDelegation"], json!([]));
        assert_eq!(
            document["service"],
            json!([{
                "id": fragment_url(did, "issuer"),
                "type": "CredentialIssuer",
                "serviceEndpoint": "https://health.example/issuer",
            }])
        );
        // It is core's DID document model, and reads back as the registry's document.
        let parsed: DidDocument = serde_json::from_value(document).unwrap();
        assert_eq!(parsed, did_document(&resolved).unwrap());
        assert_eq!(
            resolved_from_result(&resolution_result(&resolved).unwrap()).unwrap(),
            resolved
        );

        let result = json(&resolution_result(&resolved).unwrap());
        assert_eq!(result["@context"], "https://w3id.org/did-resolution/v1");
        assert_eq!(
            result["didResolutionMetadata"],
            json!({"contentType": "application/did+ld+json"})
        );
        let created = xml_datetime(GENESIS_TIME + 5).unwrap();
        assert_eq!(
            result["didDocumentMetadata"],
            json!({
                "created": created,
                "updated": created,
                "deactivated": false,
                "versionId": "0",
                "height": 1,
                "createdHeight": 1,
            })
        );
    }
}

#[test]
fn a_rotated_key_resolves_at_the_old_height_and_time() {
    for profile in CryptoProfile::ALL {
        let mut chain = Chain::new(profile);
        let mut actor = Actor::new(profile);
        let create = actor.create();
        chain.ok(&create); // height 1
        let old_control = actor.control.public_key();
        let new_control = SecretKey::generate(key_algorithm(profile));
        let rotate = actor.tx(Payload::DidRotateKeys {
            methods: vec![VerificationMethod::new(
                "control-2",
                new_control.public_key(),
                Relationships::CAPABILITY_INVOCATION,
            )],
        });
        chain.ok(&rotate); // height 2
        let keys_of = |result: &Value| -> Vec<String> {
            result["didDocument"]["verificationMethod"]
                .as_array()
                .unwrap()
                .iter()
                .map(|vm| vm["publicKeyMultibase"].as_str().unwrap().to_owned())
                .collect()
        };

        let old = result_of(&chain.state.resolve(&actor.did, Some(1)).unwrap());
        assert!(keys_of(&old).contains(&encode_multikey(&old_control)));
        assert!(!keys_of(&old).contains(&encode_multikey(&new_control.public_key())));
        assert_eq!(old["didDocumentMetadata"]["versionId"], "0");
        assert_eq!(old["didDocumentMetadata"]["height"], 1);

        let now = result_of(&chain.state.resolve(&actor.did, None).unwrap());
        assert_eq!(
            keys_of(&now),
            vec![encode_multikey(&new_control.public_key())]
        );
        assert_eq!(now["didDocumentMetadata"]["versionId"], "1");
        assert_eq!(now["didDocumentMetadata"]["height"], 2);
        assert_eq!(
            now["didDocumentMetadata"]["created"],
            xml_datetime(GENESIS_TIME + 5).unwrap()
        );
        assert_eq!(
            now["didDocumentMetadata"]["updated"],
            xml_datetime(GENESIS_TIME + 10).unwrap()
        );
        // The rotated document keeps the services.
        assert_eq!(now["didDocument"]["service"][0]["type"], "CredentialIssuer");

        // versionTime: a time between the two blocks resolves the first version.
        let between = xml_datetime(GENESIS_TIME + 7).unwrap();
        let at = parse_version_time(&between).unwrap();
        let by_time = chain.state.resolve_at_time(&actor.did, at).unwrap();
        assert_eq!(result_of(&by_time), old);

        // Before the create, the DID is not found.
        let error = chain.state.resolve(&actor.did, Some(0)).unwrap_err();
        assert_eq!(error, ResolveError::NotFound);
        assert_eq!(
            resolution_error(error_code(&error)),
            json!({
                "@context": "https://w3id.org/did-resolution/v1",
                "didDocument": null,
                "didResolutionMetadata": {"error": "notFound"},
                "didDocumentMetadata": {},
            })
        );
    }
}

#[test]
fn a_deactivated_did_resolves_as_deactivated_now_and_active_before() {
    for profile in CryptoProfile::ALL {
        let mut chain = Chain::new(profile);
        let mut actor = Actor::new(profile);
        let create = actor.create();
        chain.ok(&create); // height 1
        let deactivate = actor.tx(Payload::DidDeactivate);
        chain.ok(&deactivate); // height 2
        let now = result_of(&chain.state.resolve(&actor.did, None).unwrap());
        assert_eq!(now["didDocumentMetadata"]["deactivated"], true);
        assert_eq!(now["didDocumentMetadata"]["versionId"], "1");
        assert_eq!(now["didDocumentMetadata"]["height"], 2);
        assert_eq!(now["didDocument"]["id"], actor.did.as_str());
        let before = result_of(&chain.state.resolve(&actor.did, Some(1)).unwrap());
        assert_eq!(before["didDocumentMetadata"]["deactivated"], false);
    }
}

#[test]
fn error_results_and_version_times() {
    assert_eq!(
        resolution_error(ERROR_INVALID_DID)["didResolutionMetadata"]["error"],
        "invalidDid"
    );
    assert_eq!(error_code(&ResolveError::NotFound), ERROR_NOT_FOUND);
    assert_eq!(error_code(&ResolveError::CorruptState), "internalError");

    assert_eq!(
        parse_version_time("2023-11-14T22:13:20Z"),
        Ok(1_700_000_000)
    );
    assert_eq!(
        parse_version_time("2023-11-15T06:13:20+08:00"),
        Ok(1_700_000_000)
    );
    assert_eq!(
        parse_version_time("2023-11-14T22:13:20.999Z"),
        Ok(1_700_000_000)
    );
    assert_eq!(parse_version_time("1970-01-01T00:00:00Z"), Ok(0));
    assert_eq!(
        parse_version_time("1969-12-31T23:59:59Z"),
        Err(VersionTimeError::BeforeEpoch)
    );
    for bad in [
        "",
        "1700000000",
        "2023-11-14",
        "2023-11-14T22:13:20",
        "2023-11-14T25:13:20Z",
    ] {
        assert_eq!(
            parse_version_time(bad),
            Err(VersionTimeError::NotRfc3339),
            "{bad}"
        );
    }
    assert_eq!(
        xml_datetime(1_700_000_000).as_deref(),
        Some("2023-11-14T22:13:20Z")
    );
    assert_eq!(xml_datetime(u64::MAX), None);
}

#[test]
fn a_result_that_is_not_a_registry_resolution_does_not_read_back() {
    let profile = CryptoProfile::Standard;
    let mut chain = Chain::new(profile);
    let mut actor = Actor::new(profile);
    chain.ok(&actor.create());
    let resolved = chain.state.resolve(&actor.did, None).unwrap();
    let result = resolution_result(&resolved).unwrap();
    let other = Actor::new(profile).did;
    type Change = Box<dyn Fn(&mut Value)>;
    let changes: Vec<Change> = vec![
        // A method of another DID.
        Box::new(move |v| {
            v["didDocument"]["verificationMethod"][0]["id"] = json!(format!("{other}#control"))
        }),
        // A relationship naming no method.
        Box::new(|v| {
            let did = v["didDocument"]["id"].as_str().unwrap().to_owned();
            v["didDocument"]["authentication"] = json!([format!("{did}#nothing")]);
        }),
        // A key that is not a Multikey.
        Box::new(|v| v["didDocument"]["verificationMethod"][0]["publicKeyMultibase"] = json!("z1")),
        // Incomplete or malformed metadata.
        Box::new(|v| {
            v["didDocumentMetadata"]
                .as_object_mut()
                .unwrap()
                .remove("height");
        }),
        Box::new(|v| v["didDocumentMetadata"]["versionId"] = json!("first")),
        Box::new(|v| v["didDocumentMetadata"]["updated"] = json!("yesterday")),
        // Not a did:crosscode DID.
        Box::new(|v| {
            v["didDocument"]["id"] =
                json!("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
        }),
    ];
    for (index, change) in changes.iter().enumerate() {
        let mut value = json(&result);
        change(&mut value);
        let changed: crosscode_core::did::DidResolutionResult =
            serde_json::from_value(value).unwrap();
        assert!(resolved_from_result(&changed).is_err(), "change {index}");
    }
}
