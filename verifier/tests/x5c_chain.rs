//! `x5c` chains checked on their own (`crosscode_verifier::x5c`): every way a chain can
//! contradict itself is a typed `X5cError`. Chains come from a test PKI (`common::pki`) and
//! from the SHC example chain with single fields patched.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::pki::{PkiKey, basic_constraints, issue, issue_with_signature, key_usage, opaque, uri};
use crosscode_verifier::certificate::CertificateSignatureError;
use crosscode_verifier::signature::{KeyError, VerificationKey};
use crosscode_verifier::trust::{TrustStore, TrustStoreError};
use crosscode_verifier::x5c::{MAX_CHAIN_LEN, TrustAnchor, X5cChain, X5cError};
use proptest::prelude::*;
use serde_json::json;
use x509_cert::ext::pkix::KeyUsages;

const ROOT: &str = "CN=Test Root";
const CA: &str = "CN=Test CA";
const LEAF: &str = "CN=Test Issuer";
const ISS: &str = "https://issuer.example";

/// A root, an intermediate CA and a leaf of the test PKI (P-256), as a CA would issue them.
struct Pki {
    root_key: PkiKey,
    ca_key: PkiKey,
    leaf_key: PkiKey,
}

impl Pki {
    fn new() -> Self {
        Self {
            root_key: PkiKey::p256(1),
            ca_key: PkiKey::p256(2),
            leaf_key: PkiKey::p256(3),
        }
    }

    fn root(&self) -> Vec<u8> {
        issue(
            ROOT,
            &self.root_key,
            ROOT,
            &self.root_key,
            vec![
                basic_constraints(true, None),
                key_usage(KeyUsages::KeyCertSign, &[KeyUsages::CRLSign]),
            ],
        )
    }

    fn ca_with(&self, extensions: Vec<x509_cert::ext::Extension>) -> Vec<u8> {
        issue(CA, &self.ca_key, ROOT, &self.root_key, extensions)
    }

    fn ca(&self) -> Vec<u8> {
        self.ca_with(vec![
            basic_constraints(true, Some(0)),
            key_usage(KeyUsages::KeyCertSign, &[]),
        ])
    }

    fn leaf_with(&self, extensions: Vec<x509_cert::ext::Extension>) -> Vec<u8> {
        issue(LEAF, &self.leaf_key, CA, &self.ca_key, extensions)
    }

    fn leaf(&self) -> Vec<u8> {
        self.leaf_with(vec![
            basic_constraints(false, None),
            key_usage(KeyUsages::DigitalSignature, &[]),
            uri(ISS),
        ])
    }

    fn check(&self, chain: &[Vec<u8>]) -> Result<X5cChain, X5cError> {
        X5cChain::from_der(chain, &self.leaf_key.verification_key())
    }
}

#[test]
fn a_chain_issued_by_the_book_is_consistent_anchored_and_names_its_issuer() {
    let pki = Pki::new();
    let chain = pki.check(&[pki.leaf(), pki.ca(), pki.root()]).unwrap();
    assert_eq!(chain.len(), 3);
    assert_eq!(chain.subject(1).as_deref(), Some(CA));
    let roots = [TrustAnchor::from_der(&pki.root()).unwrap()];
    assert_eq!(chain.anchor(&roots).unwrap().anchor(), Some(&roots[0]));
    assert_eq!(chain.names_issuer(ISS), Ok(()));
    assert_eq!(
        chain.names_issuer("https://issuer.example/"),
        Err(X5cError::IssuerNotNamed {
            iss: "https://issuer.example/".into()
        })
    );
    // Issued 2020 .. 2030.
    assert!(chain.unanchored().valid_at(1_700_000_000.0).is_ok());
    assert!(matches!(
        chain.unanchored().valid_at(1_900_000_000.5),
        Err(X5cError::Expired {
            index: 0,
            issued: 1_900_000_000,
            ..
        })
    ));
}

#[test]
fn an_rsa_root_certifying_the_ca_is_followed() {
    let pki = Pki::new();
    let rsa_root = PkiKey::rsa();
    let root = issue(
        ROOT,
        &rsa_root,
        ROOT,
        &rsa_root,
        vec![basic_constraints(true, None)],
    );
    let ca = issue(
        CA,
        &pki.ca_key,
        ROOT,
        &rsa_root,
        vec![basic_constraints(true, None)],
    );
    let chain = pki.check(&[pki.leaf(), ca.clone(), root.clone()]).unwrap();
    // The RSA root as a configured anchor, reached by its signature on the CA.
    let chain_without_root = pki.check(&[pki.leaf(), ca.clone()]).unwrap();
    let roots = [TrustAnchor::from_der(&root).unwrap()];
    assert!(chain_without_root.anchor(&roots).is_ok());
    assert!(chain.anchor(&roots).is_ok());
    // A flipped bit of the RSA signature.
    let mut tampered = ca;
    let last = tampered.len() - 1;
    tampered[last] ^= 0x80;
    assert_eq!(
        pki.check(&[pki.leaf(), tampered, root]),
        Err(X5cError::Signature {
            index: 1,
            error: CertificateSignatureError::Invalid
        })
    );
}

#[test]
fn an_x5c_member_that_is_not_an_array_of_base64_certificates_is_refused() {
    let key = Pki::new().leaf_key.verification_key();
    for (x5c, expected) in [
        (json!("MIIB"), X5cError::NotAnArray),
        (json!([1, 2]), X5cError::NotAnArray),
        (json!([]), X5cError::Empty),
    ] {
        assert_eq!(X5cChain::from_jwk_member(&x5c, &key), Err(expected));
    }
    assert!(matches!(
        X5cChain::from_jwk_member(&json!(["not base64!"]), &key),
        Err(X5cError::Malformed { index: 0, ref reason }) if reason.starts_with("not base64")
    ));
    let pki = Pki::new();
    assert!(matches!(
        X5cChain::from_jwk_member(&json!([STANDARD.encode(b"\x30\x03\x02\x01\x01")]), &key),
        Err(X5cError::Malformed { index: 0, .. })
    ));
    assert!(
        X5cChain::from_jwk_member(
            &json!([STANDARD.encode(pki.leaf()), STANDARD.encode(pki.ca())]),
            &key
        )
        .is_ok()
    );
}

#[test]
fn a_chain_longer_than_the_limit_is_refused() {
    let pki = Pki::new();
    let chain = vec![pki.leaf(); MAX_CHAIN_LEN + 1];
    assert_eq!(pki.check(&chain), Err(X5cError::TooLong(MAX_CHAIN_LEN + 1)));
}

#[test]
fn an_issuer_that_is_not_a_ca_is_refused() {
    let pki = Pki::new();
    for ca in [
        pki.ca_with(vec![basic_constraints(false, None)]),
        pki.ca_with(vec![]),
    ] {
        assert_eq!(
            pki.check(&[pki.leaf(), ca, pki.root()]),
            Err(X5cError::NotCa { index: 1 })
        );
    }
}

#[test]
fn key_usages_that_do_not_allow_the_chains_use_are_refused() {
    let pki = Pki::new();
    let ca = pki.ca_with(vec![
        basic_constraints(true, None),
        key_usage(KeyUsages::CRLSign, &[]),
    ]);
    assert_eq!(
        pki.check(&[pki.leaf(), ca]),
        Err(X5cError::KeyUsage {
            index: 1,
            usage: "keyCertSign"
        })
    );
    let leaf = pki.leaf_with(vec![key_usage(KeyUsages::KeyAgreement, &[])]);
    assert_eq!(
        pki.check(&[leaf, pki.ca()]),
        Err(X5cError::KeyUsage {
            index: 0,
            usage: "digitalSignature"
        })
    );
}

#[test]
fn a_ca_with_more_intermediates_below_it_than_its_path_length_is_refused() {
    // root (pathLen 0) → CA → CA 2 → leaf: one intermediate CA too many below the root.
    let pki = Pki::new();
    let ca2_key = PkiKey::p256(4);
    let root = issue(
        ROOT,
        &pki.root_key,
        ROOT,
        &pki.root_key,
        vec![basic_constraints(true, Some(0))],
    );
    let ca = pki.ca_with(vec![basic_constraints(true, None)]);
    let ca2 = issue(
        "CN=Test CA 2",
        &ca2_key,
        CA,
        &pki.ca_key,
        vec![basic_constraints(true, None)],
    );
    let leaf = issue(LEAF, &pki.leaf_key, "CN=Test CA 2", &ca2_key, vec![]);
    assert_eq!(
        pki.check(&[leaf.clone(), ca2.clone(), ca.clone(), root]),
        Err(X5cError::PathLength {
            index: 3,
            allowed: 0,
            below: 2
        })
    );
    // pathLen 2 allows the two intermediate CAs below the root.
    let root = issue(
        ROOT,
        &pki.root_key,
        ROOT,
        &pki.root_key,
        vec![basic_constraints(true, Some(2))],
    );
    assert!(pki.check(&[leaf, ca2, ca, root]).is_ok());
}

#[test]
fn an_unprocessed_critical_extension_is_refused_and_a_non_critical_one_ignored() {
    let pki = Pki::new();
    // nameConstraints, critical.
    let ca = pki.ca_with(vec![
        basic_constraints(true, None),
        opaque("2.5.29.30", true),
    ]);
    assert_eq!(
        pki.check(&[pki.leaf(), ca]),
        Err(X5cError::CriticalExtension {
            index: 1,
            oid: "2.5.29.30".into()
        })
    );
    let ca = pki.ca_with(vec![
        basic_constraints(true, None),
        opaque("2.5.29.30", false),
    ]);
    assert!(pki.check(&[pki.leaf(), ca]).is_ok());
}

#[test]
fn a_malformed_processed_extension_is_refused() {
    let pki = Pki::new();
    let ca = pki.ca_with(vec![opaque("2.5.29.19", true), opaque("2.5.29.15", true)]);
    // An empty SEQUENCE is a valid BasicConstraints (cA false), not a valid KeyUsage.
    assert!(matches!(
        pki.check(&[pki.leaf(), ca]),
        Err(X5cError::Malformed { index: 1, ref reason }) if reason == "malformed extension 2.5.29.15"
    ));
}

#[test]
fn a_signature_that_is_not_a_der_ecdsa_signature_is_refused() {
    let pki = Pki::new();
    let leaf = issue_with_signature(LEAF, &pki.leaf_key, CA, &pki.ca_key, vec![], &[0x30, 0x00]);
    assert_eq!(
        pki.check(&[leaf, pki.ca()]),
        Err(X5cError::Signature {
            index: 0,
            error: CertificateSignatureError::Malformed("ECDSA")
        })
    );
}

#[test]
fn a_signature_by_another_key_is_refused() {
    let pki = Pki::new();
    let leaf = issue(LEAF, &pki.leaf_key, CA, &PkiKey::p256(9), vec![]);
    assert_eq!(
        pki.check(&[leaf, pki.ca()]),
        Err(X5cError::Signature {
            index: 0,
            error: CertificateSignatureError::Invalid
        })
    );
}

/// The SHC example chain and its leaf key.
fn example() -> (Vec<Vec<u8>>, VerificationKey) {
    let jwks = common::read_json("shc/examples/issuer/.well-known/jwks.json");
    let jwk = &jwks["keys"][1];
    let chain = jwk["x5c"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| STANDARD.decode(c.as_str().unwrap()).unwrap())
        .collect();
    let coordinate = |c: &str| URL_SAFE_NO_PAD.decode(jwk[c].as_str().unwrap()).unwrap();
    let key = VerificationKey::p256_from_coordinates(&coordinate("x"), &coordinate("y")).unwrap();
    (chain, key)
}

fn patch(der: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut out = der.to_vec();
    let mut found = 0;
    for i in 0..=out.len() - from.len() {
        if &out[i..i + from.len()] == from {
            out[i..i + from.len()].copy_from_slice(to);
            found += 1;
        }
    }
    assert!(found > 0);
    out
}

#[test]
fn the_example_chain_uses_p384_and_p521_ca_keys_and_sha384_and_sha512() {
    let (chain, key) = example();
    assert_eq!(X5cChain::from_der(&chain, &key).map(|c| c.len()), Ok(3));
}

#[test]
fn an_unsupported_signature_algorithm_is_refused() {
    let (mut chain, key) = example();
    // ecdsa-with-SHA384 → ecdsa-with-SHA224, in tbsCertificate.signature and signatureAlgorithm.
    chain[0] = patch(
        &chain[0],
        &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03],
        &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x01],
    );
    assert_eq!(
        X5cChain::from_der(&chain, &key),
        Err(X5cError::Signature {
            index: 0,
            error: CertificateSignatureError::UnsupportedAlgorithm("1.2.840.10045.4.3.1".into())
        })
    );
}

#[test]
fn a_signature_algorithm_that_differs_from_the_signed_one_is_refused() {
    let (mut chain, key) = example();
    // Only the outer signatureAlgorithm (the last occurrence) → ecdsa-with-SHA512.
    let oid = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
    let at = chain[0].windows(oid.len()).rposition(|w| w == oid).unwrap();
    chain[0][at + oid.len() - 1] = 0x04;
    assert!(matches!(
        X5cChain::from_der(&chain, &key),
        Err(X5cError::Malformed { index: 0, ref reason })
            if reason == "signatureAlgorithm differs from tbsCertificate.signature"
    ));
}

#[test]
fn an_issuer_key_on_an_unsupported_curve_is_refused() {
    let (mut chain, key) = example();
    // The CA's secp384r1 → secp256k1.
    chain[1] = patch(
        &chain[1],
        &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22],
        &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a],
    );
    assert_eq!(
        X5cChain::from_der(&chain, &key),
        Err(X5cError::UnsupportedKey {
            index: 1,
            error: KeyError::Unsupported("EC curve 1.3.132.0.10".into())
        })
    );
    // The same certificate cannot be a configured root either.
    assert!(TrustAnchor::from_der(&chain[1]).is_err());
}

#[test]
fn shc_roots_load_from_pem_and_der_and_a_bad_file_is_a_typed_error() {
    let (chain, _) = example();
    let mut trust = TrustStore::new();
    assert_eq!(trust.add_shc_roots(&chain[2]).unwrap(), 1);
    let pem = format!("{}{}", pem(&chain[2]), pem(&chain[1]));
    assert_eq!(trust.add_shc_roots(pem.as_bytes()).unwrap(), 2);
    // The same root twice is kept once.
    assert_eq!(trust.shc_roots().len(), 2);
    assert!(matches!(
        trust.add_shc_roots(b"not a certificate"),
        Err(TrustStoreError::Certificate(_))
    ));
    // A trust bundle names its SHC roots in `shcRoots`.
    let dir = crosscode_testing::temp_dir("x5c-roots");
    std::fs::write(dir.join("root.der"), &chain[2]).unwrap();
    std::fs::write(
        dir.join("bundle.json"),
        r#"{"crosscodeTrustBundle": 1, "shcRoots": ["root.der"]}"#,
    )
    .unwrap();
    let mut trust = TrustStore::new();
    assert_eq!(
        trust.load_file(&dir.join("bundle.json")).unwrap(),
        "bundle: 1 SHC x5c root certificate(s)"
    );
    assert_eq!(
        trust.shc_roots()[0].subject(),
        "CN=SMART Health Card Example Root CA"
    );
    assert!(matches!(
        trust.load_shc_roots_file(&dir.join("missing.pem")),
        Err(TrustStoreError::Io { .. })
    ));
}

/// A PEM certificate block (base64 in lines of 64).
fn pem(der: &[u8]) -> String {
    let base64 = STANDARD.encode(der);
    let lines: Vec<&str> = base64
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

fn mutation() -> impl Strategy<Value = (usize, usize, u8)> {
    (0usize..2, any::<usize>(), 1u8..=255)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any changed byte of the leaf or the intermediate CA breaks the chain: the leaf's and the
    /// CA's bytes are all signed, or are the signature, or name the algorithm.
    #[test]
    fn a_changed_byte_of_the_leaf_or_the_ca_never_leaves_the_chain_consistent(
        (which, at, xor) in mutation()
    ) {
        let (mut chain, key) = example();
        let at = at % chain[which].len();
        chain[which][at] ^= xor;
        prop_assert!(X5cChain::from_der(&chain, &key).is_err());
    }
}
