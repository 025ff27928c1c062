//! The signed VCI directory snapshot: the P-521 / SHA-512 signature is verified before any key
//! is trusted; a tampered copy fails and adds nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::read_vector;
use crosscode_verifier::TrustStore;
use crosscode_verifier::trust::TrustStoreError;
use crosscode_verifier::vci::{self, VciError};

fn parts() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    (
        read_vector("vci-directory/logs/vci_snapshot.json"),
        read_vector("vci-directory/logs/vci_snapshot.sig"),
        read_vector("vci-directory/vci_snapshot.crt"),
    )
}

#[test]
fn snapshot_signature_verifies_and_all_961_keys_load() {
    let (snapshot, sig, cert) = parts();
    assert_eq!(sig.len(), 139);
    let mut trust = TrustStore::new();
    let started = std::time::Instant::now();
    let n = trust.add_vci_snapshot(&snapshot, &sig, &cert).unwrap();
    eprintln!(
        "VCI snapshot verified and indexed in {:?}",
        started.elapsed()
    );
    // Every key's kid is its RFC 7638 thumbprint, so none is skipped.
    assert_eq!(n, 961);
    let (issuers, keys) = trust.shc_counts();
    assert_eq!(issuers, 651);
    assert_eq!(keys, 961);
}

#[test]
fn snapshot_crls_are_indexed_with_string_counters() {
    let (snapshot, sig, cert) = parts();
    let verified = vci::load_snapshot(&snapshot, &sig, &cert).unwrap();
    let with_crls: Vec<_> = verified
        .issuers
        .iter()
        .filter(|i| !i.crls.is_empty())
        .collect();
    assert_eq!(with_crls.iter().map(|i| i.crls.len()).sum::<usize>(), 6);
    let mut trust = TrustStore::new();
    trust.add_vci_snapshot(&snapshot, &sig, &cert).unwrap();
    for issuer in with_crls {
        for crl in &issuer.crls {
            let kid = crl["kid"].as_str().unwrap();
            assert!(
                trust.shc_crl(&issuer.iss, kid).is_some(),
                "CRL of {} / {kid}",
                issuer.iss
            );
        }
    }
}

#[test]
fn a_tampered_snapshot_fails_and_adds_nothing() {
    let (mut snapshot, sig, cert) = parts();
    let i = snapshot.len() / 2;
    snapshot[i] ^= 0x01;
    let mut trust = TrustStore::new();
    assert!(matches!(
        trust.add_vci_snapshot(&snapshot, &sig, &cert),
        Err(TrustStoreError::Vci(VciError::BadSignature))
    ));
    assert_eq!(trust.shc_counts(), (0, 0));
}

#[test]
fn malformed_signature_and_wrong_signer_are_typed_errors() {
    let (snapshot, sig, cert) = parts();
    assert!(matches!(
        vci::load_snapshot(&snapshot, &sig[..50], &cert),
        Err(VciError::MalformedSignature)
    ));
    assert!(matches!(
        vci::load_snapshot(&snapshot, &sig, b"not a pem"),
        Err(VciError::SignerCertificate(_))
    ));
    // A P-256 DSC is not an acceptable snapshot signer.
    let b64 = common::read_json("dcc/common/2DCode/raw/CO3.json")["TESTCTX"]["CERTIFICATE"]
        .as_str()
        .unwrap()
        .to_owned();
    let lines: Vec<String> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    let dsc_pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    );
    assert!(matches!(
        vci::load_snapshot(&snapshot, &sig, dsc_pem.as_bytes()),
        Err(VciError::SignerKeyType)
    ));
}

#[test]
fn load_file_finds_signature_and_signer_certificate() {
    let mut trust = TrustStore::new();
    let what = trust
        .load_file(&common::vector_path("vci-directory/logs/vci_snapshot.json"))
        .unwrap();
    assert!(what.contains("961"), "{what}");
}
