//! JSON forms: genesis.json, validators.json and bundle.json round trips on both profiles,
//! every refusal as its typed error, and a bundle.json that fails to parse or to verify when
//! any one of its bytes is changed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use crosscode_core::multicodec::encode_multikey;
use crosscode_did_registry::codec::DecodeError;
use crosscode_did_registry::dev::DevConsortium;
use crosscode_did_registry::genesis::{Genesis, GenesisError};
use crosscode_did_registry::json::{
    JsonErrorKind, JsonFormError, PROOF_BUNDLE_FORMAT, proof_bundle_from_json,
};
use crosscode_did_registry::ledger::{Ledger, MemoryStore, TxOutcome};
use crosscode_did_registry::ordering::{CoreSignatureVerifier, SoloOrdering};
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::proof::{ProofBundle, TrustedChain, verify_bundle_for_keys};
use crosscode_did_registry::records::{Namespace, StateKey};
use crosscode_did_registry::transaction::SignedTransaction;
use crosscode_did_registry::validators::{ValidatorSet, ValidatorSetError};
use crosscode_testing::registry::{
    Actor, CHAIN_ID, Chain, GENESIS_TIME, key_algorithm, validator_of,
};
use serde_json::{Value, json};

fn edit(text: &str, change: impl FnOnce(&mut Value)) -> String {
    let mut value: Value = serde_json::from_str(text).unwrap();
    change(&mut value);
    serde_json::to_string_pretty(&value).unwrap()
}

fn method(v: &mut Value) -> &mut Value {
    &mut v["members"][0]["document"]["verificationMethods"][0]
}

fn trusted_of(genesis: &Genesis) -> TrustedChain {
    genesis.trusted_chain().unwrap()
}

// ---------------------------------------------------------------- genesis.json

#[test]
fn genesis_json_round_trips_on_both_profiles() {
    for profile in CryptoProfile::ALL {
        let chain = Chain::new(profile);
        let text = chain.genesis.to_json();
        assert_eq!(Genesis::from_json(&text).unwrap(), chain.genesis);

        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["chainId"], CHAIN_ID);
        assert_eq!(value["network"], "test");
        assert_eq!(value["profile"], profile.as_str());
        assert_eq!(value["genesisTime"], GENESIS_TIME);
        assert_eq!(value["governanceThreshold"], 2);
        assert_eq!(value["maxVotingPeriod"], 100);
        let member = &value["members"][0];
        assert_eq!(member["jurisdiction"], "CN-GD");
        let method = &member["document"]["verificationMethods"][0];
        assert_eq!(method["fragment"], "control");
        assert_eq!(
            method["publicKeyMultibase"],
            encode_multikey(&chain.members[0].control.public_key())
        );
        assert_eq!(
            method["relationships"],
            json!(["authentication", "capabilityInvocation"])
        );
        assert_eq!(
            member["document"]["services"][0],
            json!({"fragment": "issuer", "type": "CredentialIssuer",
                   "endpoint": "https://health.example/issuer"})
        );
        let validator = &value["validators"][0];
        assert_eq!(
            validator["algorithm"],
            match profile {
                CryptoProfile::Standard => "Ed25519",
                CryptoProfile::GuoMi => "SM2",
            }
        );
        assert_eq!(
            validator["publicKey"],
            hex::encode(chain.validator.public_key().to_bytes())
        );
        assert_eq!(validator["power"], 10);
    }
}

#[test]
fn dev_consortium_genesis_round_trips_on_both_profiles() {
    for profile in CryptoProfile::ALL {
        let dev = DevConsortium::generate_default(profile, GENESIS_TIME).unwrap();
        let text = dev.genesis.to_json();
        assert_eq!(Genesis::from_json(&text).unwrap(), dev.genesis);
        let trusted = TrustedChain::from_json(&trusted_of(&dev.genesis).to_json()).unwrap();
        assert_eq!(trusted.chain_id, "crosscode-dev");
        assert_eq!(trusted.validators.validators(), &dev.genesis.validators[..]);
    }
}

fn genesis_error(profile: CryptoProfile, change: impl FnOnce(&mut Value)) -> JsonFormError {
    let chain = Chain::new(profile);
    Genesis::from_json(&edit(&chain.genesis.to_json(), change)).unwrap_err()
}

#[test]
fn genesis_json_refuses_what_is_not_json_of_its_shape() {
    let text = Chain::new(CryptoProfile::Standard).genesis.to_json();
    assert!(matches!(
        Genesis::from_json(&text[..text.len() / 2]),
        Err(JsonFormError::Json {
            form: "genesis.json",
            kind: JsonErrorKind::Syntax,
            ..
        })
    ));
    let shape = |change: fn(&mut Value)| {
        matches!(
            genesis_error(CryptoProfile::Standard, change),
            JsonFormError::Json {
                kind: JsonErrorKind::Shape,
                ..
            }
        )
    };
    assert!(shape(|v| v["extra"] = json!(1)), "unknown member");
    assert!(shape(
        |v| v["members"][0]["document"]["verificationMethods"][0]["extra"] = json!(1)
    ));
    assert!(shape(|v| v["validators"][0]["extra"] = json!(1)));
    assert!(shape(|v| {
        v.as_object_mut().unwrap().remove("maxVotingPeriod");
    }));
    assert!(
        shape(|v| v["genesisTime"] = json!("1700000000")),
        "wrong type"
    );
    assert!(shape(|v| v["governanceThreshold"] = json!(-1)), "negative");
    // A repeated member is refused too.
    let duplicated = text.replacen("\"chainId\"", "\"chainId\": \"x\",\n  \"chainId\"", 1);
    assert!(matches!(
        Genesis::from_json(&duplicated),
        Err(JsonFormError::Json {
            kind: JsonErrorKind::Shape,
            ..
        })
    ));
}

#[test]
fn genesis_json_refuses_invalid_members() {
    let invalid_what = |profile, change: fn(&mut Value)| match genesis_error(profile, change) {
        JsonFormError::Invalid { what, .. } => what,
        other => panic!("{other:?}"),
    };
    let standard = CryptoProfile::Standard;
    assert_eq!(
        invalid_what(standard, |v| v["profile"] = json!("Standard")),
        "profile"
    );
    assert_eq!(
        invalid_what(standard, |v| v["validators"][0]["algorithm"] =
            json!("ed25519")),
        "algorithm"
    );
    assert_eq!(
        invalid_what(standard, |v| {
            let upper = v["validators"][0]["publicKey"]
                .as_str()
                .unwrap()
                .to_uppercase();
            v["validators"][0]["publicKey"] = json!(upper);
        }),
        "validator publicKey"
    );
    assert_eq!(
        invalid_what(standard, |v| v["validators"][0]["publicKey"] =
            json!("00ff")),
        "validator publicKey"
    );
    // 33 bytes that are no point of the SM2 curve (prefix 05).
    assert_eq!(
        invalid_what(CryptoProfile::GuoMi, |v| {
            v["validators"][0]["publicKey"] = json!(format!("05{}", "11".repeat(32)))
        }),
        "validator publicKey"
    );
    assert_eq!(
        invalid_what(standard, |v| method(v)["publicKeyMultibase"] =
            json!("z6MkNotAKey")),
        "publicKeyMultibase"
    );
    assert_eq!(
        invalid_what(standard, |v| method(v)["relationships"] =
            json!(["signing"])),
        "relationships"
    );
    assert_eq!(
        invalid_what(standard, |v| {
            method(v)["relationships"] = json!(["capabilityInvocation", "capabilityInvocation"])
        }),
        "relationships"
    );
    assert_eq!(
        invalid_what(standard, |v| method(v)["relationships"] = json!([])),
        "relationships"
    );
}

#[test]
fn genesis_json_goes_through_the_genesis_rules() {
    let standard = CryptoProfile::Standard;
    assert_eq!(
        genesis_error(standard, |v| v["governanceThreshold"] = json!(0)),
        JsonFormError::Genesis(GenesisError::InvalidThreshold)
    );
    assert_eq!(
        genesis_error(standard, |v| v["governanceThreshold"] = json!(4)),
        JsonFormError::Genesis(GenesisError::InvalidThreshold)
    );
    assert_eq!(
        genesis_error(standard, |v| v["chainId"] = json!("has space")),
        JsonFormError::Genesis(GenesisError::InvalidChainId)
    );
    assert_eq!(
        genesis_error(standard, |v| v["network"] = json!("Dev")),
        JsonFormError::Genesis(GenesisError::InvalidNetwork)
    );
    assert_eq!(
        genesis_error(standard, |v| v["members"] = json!([])),
        JsonFormError::Genesis(GenesisError::MemberCount)
    );
    assert_eq!(
        genesis_error(standard, |v| v["maxVotingPeriod"] = json!(0)),
        JsonFormError::Genesis(GenesisError::InvalidVotingPeriod)
    );
    assert_eq!(
        genesis_error(standard, |v| {
            let first = v["members"][0].clone();
            v["members"][1] = first;
        }),
        JsonFormError::Genesis(GenesisError::DuplicateMember)
    );
    assert_eq!(
        genesis_error(standard, |v| {
            v["members"][1]["document"]["verificationMethods"][0]["relationships"] =
                json!(["authentication"]);
        }),
        JsonFormError::Genesis(GenesisError::MemberWithoutGovernanceKey { index: 1 })
    );
    assert!(matches!(
        genesis_error(standard, |v| {
            v["members"][0]["document"]["services"][0]["endpoint"] = json!("http://x");
        }),
        JsonFormError::Genesis(GenesisError::MemberDocument { index: 0, .. })
    ));
    assert_eq!(
        genesis_error(standard, |v| v["validators"] = json!([])),
        JsonFormError::Genesis(GenesisError::Validators(ValidatorSetError::Empty))
    );
    assert_eq!(
        genesis_error(standard, |v| v["validators"][0]["power"] = json!(0)),
        JsonFormError::Genesis(GenesisError::Validators(ValidatorSetError::ZeroPower))
    );
    // A set no engine could count a quorum of (3 × power overflows).
    assert_eq!(
        genesis_error(standard, |v| v["validators"][0]["power"] =
            json!(u64::MAX / 3 + 1)),
        JsonFormError::Genesis(GenesisError::Validators(ValidatorSetError::PowerOverflow))
    );
    // An SM2 validator on a standard chain.
    let sm2 = SecretKey::generate(KeyAlgorithm::Sm2)
        .public_key()
        .to_bytes();
    let text = edit(&Chain::new(standard).genesis.to_json(), |v| {
        v["validators"][0] = json!({"algorithm": "SM2", "publicKey": hex::encode(sm2), "power": 1});
    });
    assert_eq!(
        Genesis::from_json(&text).unwrap_err(),
        JsonFormError::Genesis(GenesisError::Validators(ValidatorSetError::WrongAlgorithm))
    );
    // The binary form's limits hold too.
    assert!(matches!(
        genesis_error(standard, |v| v["members"][0]["jurisdiction"] =
            json!("J".repeat(200))),
        JsonFormError::Decode(DecodeError::TooLong { .. })
    ));
}

// ---------------------------------------------------------------- validators.json

#[test]
fn validators_json_round_trips_and_pins_the_validator_set_hash() {
    for profile in CryptoProfile::ALL {
        let chain = Chain::new(profile);
        let mut validators = chain.genesis.validators.clone();
        validators.push(validator_of(
            profile,
            &SecretKey::generate(key_algorithm(profile)),
        ));
        let trusted = TrustedChain {
            chain_id: CHAIN_ID.into(),
            profile,
            validators: ValidatorSet::new(profile, validators).unwrap(),
        };
        let text = trusted.to_json();
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["chainId"], CHAIN_ID);
        assert_eq!(value["profile"], profile.as_str());
        assert_eq!(
            value["validatorsHash"],
            hex::encode(trusted.validators.hash(profile))
        );
        assert_eq!(value["validators"].as_array().unwrap().len(), 2);
        let back = TrustedChain::from_json(&text).unwrap();
        assert_eq!(back.chain_id, trusted.chain_id);
        assert_eq!(back.profile, profile);
        assert_eq!(back.validators, trusted.validators);

        // The hash is checked against the validators listed.
        let reordered = edit(&text, |v| {
            v["validators"].as_array_mut().unwrap().reverse();
        });
        assert_eq!(
            TrustedChain::from_json(&reordered).unwrap_err(),
            JsonFormError::ValidatorsHashMismatch
        );
        let other_power = edit(&text, |v| v["validators"][0]["power"] = json!(11));
        assert_eq!(
            TrustedChain::from_json(&other_power).unwrap_err(),
            JsonFormError::ValidatorsHashMismatch
        );
    }
}

#[test]
fn validators_json_refusals_are_typed() {
    let profile = CryptoProfile::Standard;
    let text = trusted_of(&Chain::new(profile).genesis).to_json();
    let error = |change: fn(&mut Value)| TrustedChain::from_json(&edit(&text, change)).unwrap_err();
    assert!(matches!(
        TrustedChain::from_json("[]"),
        Err(JsonFormError::Json {
            form: "validators.json",
            kind: JsonErrorKind::Shape,
            ..
        })
    ));
    assert!(matches!(
        error(|v| v["extra"] = json!(true)),
        JsonFormError::Json {
            kind: JsonErrorKind::Shape,
            ..
        }
    ));
    assert_eq!(
        error(|v| v["chainId"] = json!("")),
        JsonFormError::Invalid {
            what: "chainId",
            reason: "not 1-64 printable ASCII characters"
        }
    );
    assert!(matches!(
        error(|v| v["profile"] = json!("sm")),
        JsonFormError::Invalid {
            what: "profile",
            ..
        }
    ));
    assert!(matches!(
        error(|v| {
            let upper = v["validatorsHash"].as_str().unwrap().to_uppercase();
            v["validatorsHash"] = json!(upper);
        }),
        JsonFormError::Invalid {
            what: "validatorsHash",
            ..
        }
    ));
    assert!(matches!(
        error(|v| v["validatorsHash"] = json!("abcd")),
        JsonFormError::Invalid {
            what: "validatorsHash",
            reason: "not 32 bytes"
        }
    ));
    assert_eq!(
        error(|v| v["validators"] = json!([])),
        JsonFormError::ValidatorSet(ValidatorSetError::Empty)
    );
    assert_eq!(
        error(|v| {
            let first = v["validators"][0].clone();
            v["validators"].as_array_mut().unwrap().push(first);
        }),
        JsonFormError::ValidatorSet(ValidatorSetError::DuplicateKey)
    );
    assert_eq!(
        error(|v| v["profile"] = json!("guomi")),
        JsonFormError::ValidatorSet(ValidatorSetError::WrongAlgorithm)
    );
}

// ---------------------------------------------------------------- bundle.json

/// A chain with one block holding a DID: a bundle proving the DID's record (inclusion) and an
/// evidence hash that is not anchored (exclusion).
struct Proven {
    trusted: TrustedChain,
    bundle: ProofBundle,
    keys: Vec<Vec<u8>>,
}

fn proven(profile: CryptoProfile) -> Proven {
    let chain = Chain::new(profile);
    let mut ledger = Ledger::new(&chain.genesis, MemoryStore::new()).unwrap();
    let validator =
        SecretKey::from_bytes(chain.validator.algorithm(), &chain.validator.to_bytes()).unwrap();
    let mut solo = SoloOrdering::new(profile, validator);
    let mut actor = Actor::new(profile);
    let create: SignedTransaction = actor.create();
    let (_, outcomes) = ledger
        .produce_block(vec![create], GENESIS_TIME + 5, &mut solo)
        .unwrap();
    assert!(matches!(outcomes[0], TxOutcome::Committed(_)));
    let keys = vec![StateKey::did(&actor.did).0, StateKey::evidence(&[7; 32]).0];
    let bundle = ledger.prove(&keys, 1).unwrap();
    Proven {
        trusted: trusted_of(&chain.genesis),
        bundle,
        keys,
    }
}

fn verifies(proven: &Proven, bundle: &ProofBundle) -> bool {
    let keys: Vec<&[u8]> = proven.keys.iter().map(Vec::as_slice).collect();
    verify_bundle_for_keys(bundle, &proven.trusted, &CoreSignatureVerifier, &keys).is_ok()
}

#[test]
fn bundle_json_round_trips_and_verifies_on_both_profiles() {
    for profile in CryptoProfile::ALL {
        let proven = proven(profile);
        let text = proven.bundle.to_json(Namespace::Did);
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["format"], PROOF_BUNDLE_FORMAT);
        assert_eq!(value["chainId"], CHAIN_ID);
        assert_eq!(value["height"], 1);
        assert_eq!(value["time"], GENESIS_TIME + 5);
        assert_eq!(
            value["stateRoot"],
            hex::encode(proven.bundle.header.state_root)
        );
        assert_eq!(value["entries"][0]["namespace"], "did");
        assert_eq!(value["entries"][0]["key"], hex::encode(&proven.keys[0]));
        assert_eq!(
            value["entries"][0]["value"],
            hex::encode(proven.bundle.entries[0].value.as_ref().unwrap())
        );
        assert_eq!(value["entries"][1]["namespace"], "evidence");
        assert_eq!(value["entries"][1]["value"], Value::Null);
        let back = proof_bundle_from_json(&text).unwrap();
        assert_eq!(back, proven.bundle);
        assert!(verifies(&proven, &back));
    }
}

#[test]
fn bundle_json_refusals_are_typed() {
    let proven = proven(CryptoProfile::Standard);
    let text = proven.bundle.to_json(Namespace::Did);
    let error = |change: &dyn Fn(&mut Value)| {
        let mut value: Value = serde_json::from_str(&text).unwrap();
        change(&mut value);
        proof_bundle_from_json(&serde_json::to_string(&value).unwrap()).unwrap_err()
    };
    let mismatch = |field| JsonFormError::Mismatch { field };
    assert!(matches!(
        proof_bundle_from_json("{\"format\":"),
        Err(JsonFormError::Json {
            form: "bundle.json",
            kind: JsonErrorKind::Syntax,
            ..
        })
    ));
    for change in [
        &(|v: &mut Value| v["extra"] = json!(1)) as &dyn Fn(&mut Value),
        &|v| v["entries"][0]["proof"] = json!("00"),
        &|v| {
            v["entries"][1].as_object_mut().unwrap().remove("value");
        },
        &|v| v["height"] = json!(1.0),
    ] {
        assert!(matches!(
            error(change),
            JsonFormError::Json {
                kind: JsonErrorKind::Shape,
                ..
            }
        ));
    }
    assert!(matches!(
        error(&|v| v["format"] = json!("crosscode-proof-bundle-v2")),
        JsonFormError::Invalid { what: "format", .. }
    ));
    assert!(matches!(
        error(&|v| {
            let padded = format!("{}=", v["bundle"].as_str().unwrap());
            v["bundle"] = json!(padded);
        }),
        JsonFormError::Invalid { what: "bundle", .. }
    ));
    assert!(matches!(
        error(&|v| v["bundle"] = json!("AQID")),
        JsonFormError::Decode(_)
    ));
    assert!(matches!(
        error(&|v| v["bundle"] = json!("Ag")),
        JsonFormError::Decode(DecodeError::UnsupportedVersion { version: 2, .. })
    ));
    assert_eq!(
        error(&|v| v["chainId"] = json!("crosscode-test-2")),
        mismatch("chainId")
    );
    assert_eq!(error(&|v| v["height"] = json!(2)), mismatch("height"));
    assert_eq!(
        error(&|v| v["time"] = json!(GENESIS_TIME)),
        mismatch("time")
    );
    assert_eq!(
        error(&|v| {
            let upper = v["stateRoot"].as_str().unwrap().to_uppercase();
            v["stateRoot"] = json!(upper);
        }),
        mismatch("stateRoot")
    );
    assert_eq!(
        error(&|v| {
            v["entries"].as_array_mut().unwrap().pop();
        }),
        mismatch("entries")
    );
    assert_eq!(
        error(&|v| v["entries"][1]["namespace"] = json!("status")),
        mismatch("entries.namespace")
    );
    assert_eq!(
        error(&|v| v["entries"][1]["key"] = json!(format!("09{}", "08".repeat(32)))),
        mismatch("entries.key")
    );
    assert_eq!(
        error(&|v| v["entries"][1]["value"] = json!("00")),
        mismatch("entries.value")
    );
    assert_eq!(
        error(&|v| v["entries"][0]["value"] = Value::Null),
        mismatch("entries.value")
    );
}

/// Whether `byte` is insignificant JSON whitespace.
fn is_json_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

#[test]
fn changing_any_byte_of_a_bundle_json_fails_to_parse_or_to_verify() {
    for profile in CryptoProfile::ALL {
        let proven = proven(profile);
        let text = proven.bundle.to_json(Namespace::Did);
        let original = text.as_bytes();
        let mut parsed_but_refused = 0;
        for index in 0..original.len() {
            for mask in [0x01u8, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80] {
                let mut bytes = original.to_vec();
                bytes[index] ^= mask;
                // Whitespace for whitespace outside strings is no change of content.
                if is_json_whitespace(original[index]) && is_json_whitespace(bytes[index]) {
                    continue;
                }
                let Ok(changed) = String::from_utf8(bytes) else {
                    continue; // not even text
                };
                if let Ok(bundle) = proof_bundle_from_json(&changed) {
                    assert!(
                        !verifies(&proven, &bundle),
                        "byte {index} ^ {mask:#04x} still verifies"
                    );
                    parsed_but_refused += 1;
                }
            }
        }
        // Changes inside the base64 bundle decode and are caught by verification.
        assert!(parsed_but_refused > 0);
    }
}
