//! SMART Health Card keys with an `x5c` chain, through the pipeline: SHC example 01 (its key
//! `EBKOr…` carries the chain leaf → "SMART Health Card Example CA" (P-384) → "… Root CA"
//! (P-521)), the chain tampered with, configured roots, the issuer binding and the checkpoint's
//! validity policy. Tampered chains are built here from the vector files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::shc_card::{mint, raw_deflate, test_key, to_qr};
use common::{read_json, read_vector};
use crosscode_core::VerificationStep;
use crosscode_verifier::format::smart_health_card::{SmartHealthCard, X5cValidity};
use crosscode_verifier::report::VerificationError;
use crosscode_verifier::signature::VerificationKey;
use crosscode_verifier::trust::ShcKey;
use crosscode_verifier::x5c::{TrustAnchor, X5cChain, X5cError};
use crosscode_verifier::{Report, StepOutcome, TrustStore, Verdict, Verifier};
use time::OffsetDateTime;
use time::macros::datetime;

const ISS: &str = "https://spec.smarthealth.cards/examples/issuer";
/// After the examples' nbf (2023-06-22).
const CLOCK: OffsetDateTime = datetime!(2023-07-01 00:00 UTC);
const X5C_KID: &str = "EBKOr72QQDcTBUuVzAzkfBTGew0ZA16GuWty64nS-sw";

fn jwks() -> serde_json::Value {
    read_json("shc/examples/issuer/.well-known/jwks.json")
}

/// The example chain, DER, leaf first.
fn example_chain() -> Vec<Vec<u8>> {
    let jwks = jwks();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == X5C_KID)
        .unwrap()
        .clone();
    key["x5c"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| STANDARD.decode(c.as_str().unwrap()).unwrap())
        .collect()
}

/// The example JWKS with `chain` as the `x5c` of the key `kid`.
fn jwks_with(kid: &str, chain: &[Vec<u8>]) -> serde_json::Value {
    let mut jwks = jwks();
    for key in jwks["keys"].as_array_mut().unwrap() {
        if key["kid"] == kid {
            key["x5c"] = chain.iter().map(|der| STANDARD.encode(der)).collect();
        } else {
            key.as_object_mut().unwrap().remove("x5c");
        }
    }
    jwks
}

/// The chain of the VCI directory's 2022 copy of the example issuer: the same subject names
/// as the 2023 example chain, other keys.
fn other_example_chain() -> Vec<Vec<u8>> {
    let snapshot = read_json("vci-directory/logs/vci_snapshot.json");
    let example_cas = snapshot["issuerInfo"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["keys"].as_array().unwrap())
        .filter_map(|k| k["x5c"].as_array())
        .map(|chain| {
            chain
                .iter()
                .map(|c| STANDARD.decode(c.as_str().unwrap()).unwrap())
                .collect::<Vec<_>>()
        })
        .filter(|chain| {
            let root = TrustAnchor::from_der(chain.last().unwrap()).unwrap();
            root.subject() == "CN=SMART Health Card Example Root CA"
        })
        .collect::<Vec<_>>();
    let ours = example_chain();
    example_cas
        .into_iter()
        .find(|chain| chain.last() != ours.last())
        .expect("a VCI chain under another Example Root CA key")
}

fn verifier(jwks: &serde_json::Value, roots: &[&[u8]], validity: X5cValidity) -> Verifier {
    let mut trust = TrustStore::new();
    trust.add_shc_jwks(ISS, jwks).unwrap();
    for root in roots {
        trust.add_shc_roots(root).unwrap();
    }
    Verifier::new(trust).with_format(Box::new(SmartHealthCard::with_x5c_validity(validity)))
}

fn example_01() -> String {
    String::from_utf8(read_vector(
        "shc/examples/example-01-f-qr-code-numeric-value-0.txt",
    ))
    .unwrap()
    .trim()
    .to_owned()
}

fn example_00() -> String {
    String::from_utf8(read_vector(
        "shc/examples/example-00-f-qr-code-numeric-value-0.txt",
    ))
    .unwrap()
    .trim()
    .to_owned()
}

/// The failed step and its x5c error (the report must carry its stable code).
fn x5c_failure(report: &Report) -> (VerificationStep, X5cError) {
    let json = report.to_json();
    match report.failure() {
        Some((step, VerificationError::X5c(error))) => {
            let failed = json["steps"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["step"] == step.name())
                .unwrap();
            assert_eq!(failed["error"]["code"], error.code());
            (step, error.clone())
        }
        other => panic!("expected an x5c failure, got {other:?}: {json}"),
    }
}

fn detail(report: &Report, step: VerificationStep) -> String {
    match report.outcome(step) {
        StepOutcome::Passed(detail) => detail.clone(),
        other => panic!("{step:?} did not pass: {other:?}"),
    }
}

/// A card of `payload` (example 00's, with these replacements) signed with the x5c key.
fn card_by_the_x5c_key(replacements: &[(&str, &str)]) -> String {
    let mut payload = String::from_utf8(common::shc_card::example_payload()).unwrap();
    for (from, to) in replacements {
        assert!(payload.contains(from));
        payload = payload.replace(from, to);
    }
    to_qr(&mint(
        &test_key("EBKOr"),
        "ES256",
        &raw_deflate(payload.as_bytes()),
    ))
}

#[test]
fn the_example_chain_is_consistent_and_example_01_is_accepted_under_jwks_trust() {
    let report = verifier(&jwks(), &[], X5cValidity::Unchecked).verify_text(&example_01(), CLOCK);
    assert_eq!(report.verdict(), Verdict::Accept, "{}", report.to_json());
    assert!(
        detail(&report, VerificationStep::KeyResolution)
            .ends_with("x5c: 3 certificate(s) consistent, not anchored (no SHC roots configured)")
    );
    // The expired leaf is reported, not enforced.
    let window = detail(&report, VerificationStep::ValidityWindow);
    assert!(
        window.contains(
            "x5c dates not enforced: x5c[0] (CN=SMART Health Card Example Issuer) expired"
        ),
        "{window}"
    );
}

#[test]
fn a_chain_whose_leaf_is_swapped_for_another_certificate_refuses_the_key() {
    let genuine = example_chain();
    // The leaf of the other copy of the example issuer: same issuer name, another key.
    let mut swapped = genuine.clone();
    swapped[0] = other_example_chain()[0].clone();
    // The intermediate CA in the leaf's place.
    let mut ca_first = genuine.clone();
    ca_first[0] = genuine[1].clone();
    for chain in [swapped, ca_first] {
        let report = verifier(&jwks_with(X5C_KID, &chain), &[], X5cValidity::Unchecked)
            .verify_text(&example_01(), CLOCK);
        assert_eq!(
            x5c_failure(&report),
            (VerificationStep::KeyResolution, X5cError::LeafKeyMismatch)
        );
        assert_eq!(report.verdict(), Verdict::Reject);
        assert_eq!(
            report.outcome(VerificationStep::Signature),
            &StepOutcome::NotReached
        );
    }
}

#[test]
fn a_changed_signature_byte_refuses_the_key() {
    for index in [0, 1] {
        let mut chain = example_chain();
        // The last byte of a certificate is the last byte of its ECDSA signature's `s`.
        let last = chain[index].len() - 1;
        chain[index][last] ^= 0x01;
        let report = verifier(&jwks_with(X5C_KID, &chain), &[], X5cValidity::Unchecked)
            .verify_text(&example_01(), CLOCK);
        assert_eq!(
            x5c_failure(&report),
            (
                VerificationStep::KeyResolution,
                X5cError::Signature {
                    index,
                    error: crosscode_verifier::certificate::CertificateSignatureError::Invalid
                }
            )
        );
        assert_eq!(report.to_json()["steps"][5]["error"]["code"], "X5C_INVALID");
    }
}

#[test]
fn a_chain_without_its_intermediate_refuses_the_key() {
    let chain = example_chain();
    let without_intermediate = vec![chain[0].clone(), chain[2].clone()];
    let report = verifier(
        &jwks_with(X5C_KID, &without_intermediate),
        &[],
        X5cValidity::Unchecked,
    )
    .verify_text(&example_01(), CLOCK);
    assert!(matches!(
        x5c_failure(&report),
        (VerificationStep::KeyResolution, X5cError::IssuerNameMismatch { index: 0, ref issuer, ref next })
            if issuer == "CN=SMART Health Card Example CA" && next == "CN=SMART Health Card Example Root CA"
    ));
}

#[test]
fn a_chain_on_a_key_that_is_not_its_leaf_key_refuses_the_key() {
    // Example 00's key (3Kfdg…) carrying example 01's chain.
    let report = verifier(
        &jwks_with(
            "3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s",
            &example_chain(),
        ),
        &[],
        X5cValidity::Unchecked,
    )
    .verify_text(&example_00(), CLOCK);
    assert_eq!(
        x5c_failure(&report),
        (VerificationStep::KeyResolution, X5cError::LeafKeyMismatch)
    );
}

#[test]
fn with_the_example_root_configured_the_chain_is_trusted() {
    let chain = example_chain();
    let root = chain[2].clone();
    // The root carried in the chain, and the chain without it: reached by its signature.
    for carried in [chain.clone(), chain[..2].to_vec()] {
        let report = verifier(
            &jwks_with(X5C_KID, &carried),
            &[&root],
            X5cValidity::Unchecked,
        )
        .verify_text(&example_01(), CLOCK);
        assert_eq!(report.verdict(), Verdict::Accept, "{}", report.to_json());
        assert!(
            detail(&report, VerificationStep::KeyResolution)
                .ends_with("to the SHC root CN=SMART Health Card Example Root CA")
        );
    }
    // The intermediate configured as the anchor: the path ends there.
    let report =
        verifier(&jwks(), &[&chain[1]], X5cValidity::Unchecked).verify_text(&example_01(), CLOCK);
    assert!(
        detail(&report, VerificationStep::KeyResolution)
            .ends_with("x5c: 2 certificate(s) to the SHC root CN=SMART Health Card Example CA")
    );
}

#[test]
fn with_another_root_configured_the_chain_is_not_trusted() {
    // Same subject name "SMART Health Card Example Root CA", another key.
    let other_root = other_example_chain().pop().unwrap();
    let chain = example_chain();
    for carried in [chain.clone(), chain[..2].to_vec()] {
        let report = verifier(
            &jwks_with(X5C_KID, &carried),
            &[&other_root],
            X5cValidity::Unchecked,
        )
        .verify_text(&example_01(), CLOCK);
        assert!(matches!(
            x5c_failure(&report),
            (VerificationStep::KeyResolution, X5cError::UntrustedRoot { ref issuer })
                if issuer == "CN=SMART Health Card Example Root CA"
        ));
    }
    // A root of an unrelated PKI: the VCI directory's own signer certificate.
    let pem = read_vector("vci-directory/vci_snapshot.crt");
    let report =
        verifier(&jwks(), &[&pem], X5cValidity::Unchecked).verify_text(&example_01(), CLOCK);
    assert!(matches!(
        x5c_failure(&report),
        (
            VerificationStep::KeyResolution,
            X5cError::UntrustedRoot { .. }
        )
    ));
}

#[test]
fn with_roots_configured_a_key_without_x5c_is_still_trusted_by_its_jwks() {
    let root = example_chain()[2].clone();
    let report =
        verifier(&jwks(), &[&root], X5cValidity::Unchecked).verify_text(&example_00(), CLOCK);
    assert_eq!(report.verdict(), Verdict::Accept, "{}", report.to_json());
}

#[test]
fn with_roots_configured_a_leaf_that_does_not_name_the_issuer_is_refused() {
    let other_iss = "https://other.example/issuer";
    let card = card_by_the_x5c_key(&[(ISS, other_iss)]);
    let mut trust = TrustStore::new();
    trust.add_shc_jwks(other_iss, &jwks()).unwrap();
    // JWKS trust alone: the leaf's subjectAltName is not checked.
    let report = Verifier::new(trust.clone()).verify_text(&card, CLOCK);
    assert_eq!(report.verdict(), Verdict::Accept, "{}", report.to_json());
    // Under X.509 trust the leaf must name the card's issuer.
    trust.add_shc_roots(&example_chain()[2]).unwrap();
    let report = Verifier::new(trust).verify_text(&card, CLOCK);
    assert_eq!(
        x5c_failure(&report),
        (
            VerificationStep::KeyResolution,
            X5cError::IssuerNotNamed {
                iss: other_iss.into()
            }
        )
    );
    assert_eq!(
        report.to_json()["steps"][5]["error"]["code"],
        "X5C_ISSUER_MISMATCH"
    );
}

#[test]
fn under_the_validity_policy_example_01_is_rejected_for_its_expired_leaf() {
    let report = verifier(&jwks(), &[], X5cValidity::AtIssuance).verify_text(&example_01(), CLOCK);
    assert_eq!(report.verdict(), Verdict::Reject);
    let (step, error) = x5c_failure(&report);
    assert_eq!(step, VerificationStep::ValidityWindow);
    // The leaf's notAfter (2022-06-01T15:50:09Z) and the card's nbf (1687450764.657).
    let leaf = x509_not_after(&example_chain()[0]);
    assert_eq!(
        error,
        X5cError::Expired {
            index: 0,
            subject: "CN=SMART Health Card Example Issuer".into(),
            not_after: leaf,
            issued: 1_687_450_764,
        }
    );
    assert_eq!(leaf, datetime!(2022-06-01 15:50:09 UTC).unix_timestamp());
    assert_eq!(error.code(), "X5C_EXPIRED");
    // The later steps still run and pass.
    assert!(report.passed(VerificationStep::Status));
    // Example 00's key has no x5c: the policy does not touch it.
    let report = verifier(&jwks(), &[], X5cValidity::AtIssuance).verify_text(&example_00(), CLOCK);
    assert_eq!(report.verdict(), Verdict::Accept);
}

fn x509_not_after(der: &[u8]) -> i64 {
    use x509_cert::der::Decode as _;
    let certificate = x509_cert::Certificate::from_der(der).unwrap();
    certificate
        .tbs_certificate
        .validity
        .not_after
        .to_unix_duration()
        .as_secs() as i64
}

#[test]
fn under_the_validity_policy_a_card_is_judged_by_its_issuance_time() {
    let verifier = verifier(&jwks(), &[], X5cValidity::AtIssuance);
    // Issued 2022-01-01, inside the whole chain's validity: accepted, even at a later clock.
    let card = card_by_the_x5c_key(&[("\"nbf\":1687450764.656", "\"nbf\":1640995200")]);
    let report = verifier.verify_text(&card, CLOCK);
    assert_eq!(report.verdict(), Verdict::Accept, "{}", report.to_json());
    assert!(
        detail(&report, VerificationStep::ValidityWindow)
            .ends_with("x5c certificates valid at nbf")
    );
    // Issued 2021-01-01, before the leaf's notBefore (2021-06-01).
    let card = card_by_the_x5c_key(&[("\"nbf\":1687450764.656", "\"nbf\":1609459200")]);
    let report = verifier.verify_text(&card, CLOCK);
    assert!(matches!(
        x5c_failure(&report),
        (
            VerificationStep::ValidityWindow,
            X5cError::NotYetValid {
                index: 0,
                issued: 1_609_459_200,
                ..
            }
        )
    ));
    assert_eq!(
        report.to_json()["steps"][7]["error"]["code"],
        "X5C_NOT_YET_VALID"
    );
}

#[test]
fn under_the_validity_policy_only_the_path_up_to_the_root_is_dated() {
    // The intermediate (valid until 2026-05-31) configured as the anchor: the root above it,
    // valid until 2031, is outside the path; the expired leaf still refuses the card.
    let chain = example_chain();
    let report =
        verifier(&jwks(), &[&chain[1]], X5cValidity::AtIssuance).verify_text(&example_01(), CLOCK);
    assert!(matches!(
        x5c_failure(&report),
        (
            VerificationStep::ValidityWindow,
            X5cError::Expired { index: 0, .. }
        )
    ));
}

#[test]
fn a_broken_chain_in_a_loaded_jwks_is_kept_and_refuses_only_its_key() {
    let mut chain = example_chain();
    let last = chain[0].len() - 1;
    chain[0][last] ^= 0x01;
    let mut trust = TrustStore::new();
    trust
        .add_shc_jwks(ISS, &jwks_with(X5C_KID, &chain))
        .unwrap();
    let keys: Vec<&ShcKey> = trust.shc_keys(ISS, X5C_KID);
    assert!(matches!(
        keys[0].x5c,
        Some(Err(X5cError::Signature { index: 0, .. }))
    ));
    // The other key of the issuer is unaffected.
    assert_eq!(
        Verifier::new(trust)
            .verify_text(&example_00(), CLOCK)
            .verdict(),
        Verdict::Accept
    );
}

#[test]
fn the_same_key_with_a_second_chain_is_a_second_candidate() {
    // SMART Health Cards: one JWK entry per certificate of a key. A broken entry beside a
    // good one leaves the key usable.
    let mut broken = example_chain();
    broken.remove(1);
    let mut jwks = jwks_with(X5C_KID, &broken);
    let genuine = self::jwks()["keys"][1].clone();
    assert_eq!(genuine["kid"], X5C_KID);
    jwks["keys"].as_array_mut().unwrap().push(genuine);
    let mut trust = TrustStore::new();
    trust.add_shc_jwks(ISS, &jwks).unwrap();
    assert_eq!(trust.shc_keys(ISS, X5C_KID).len(), 2);
    let report = Verifier::new(trust).verify_text(&example_01(), CLOCK);
    assert_eq!(report.verdict(), Verdict::Accept, "{}", report.to_json());
    assert!(detail(&report, VerificationStep::KeyResolution).starts_with("1 key(s) with kid"));
}

#[test]
fn the_deployed_chains_of_the_vci_directory_are_consistent_and_some_name_another_issuer() {
    let snapshot = read_json("vci-directory/logs/vci_snapshot.json");
    let mut checked = 0;
    let mut naming_the_example_issuer = Vec::new();
    for issuer in snapshot["issuerInfo"].as_array().unwrap() {
        let iss = issuer["issuer"]["iss"].as_str().unwrap();
        for jwk in issuer["keys"].as_array().unwrap() {
            let Some(x5c) = jwk.get("x5c") else {
                continue;
            };
            let decode = |c: &str| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(jwk[c].as_str().unwrap())
                    .unwrap()
            };
            let key = VerificationKey::p256_from_coordinates(&decode("x"), &decode("y")).unwrap();
            let chain = X5cChain::from_jwk_member(x5c, &key)
                .unwrap_or_else(|e| panic!("{iss} {}: {e}", jwk["kid"]));
            // Each chain carries its root: anchored at it, the path is the whole chain.
            let root = x5c.as_array().unwrap().last().unwrap().as_str().unwrap();
            let root = TrustAnchor::from_der(&STANDARD.decode(root).unwrap()).unwrap();
            let roots = [root];
            assert!(chain.anchor(&roots).is_ok());
            if chain.names_issuer(iss).is_err() {
                assert_eq!(chain.names_issuer(ISS), Ok(()));
                naming_the_example_issuer.push(iss.to_owned());
            }
            checked += 1;
        }
    }
    // Yukon's 6 keys, Japan's 3, Rhode Island's and one more.
    assert_eq!(checked, 11);
    // Yukon (6 keys), Rhode Island and one more copied the example issuer's URI into their
    // leaves: under X.509 trust their cards are refused (X5C_ISSUER_MISMATCH).
    naming_the_example_issuer.dedup();
    assert!(naming_the_example_issuer.contains(&"https://pvc.service.yukon.ca/issuer".to_owned()));
    assert!(!naming_the_example_issuer.contains(&"https://vc.vrs.digital.go.jp/issuer".to_owned()));
}
