//! A test PKI: X.509 certificates built with `x509-cert` and signed with `p256` (ECDSA
//! P-256 / SHA-256) or `rsa` (PKCS #1 v1.5 / SHA-256), with the extensions a test needs, to
//! build `x5c` chains the verifier must refuse.

use std::str::FromStr as _;
use std::time::Duration;

use p256::ecdsa::signature::Signer as _;
use x509_cert::certificate::{Certificate, TbsCertificate, Version};
use x509_cert::der::asn1::{Any, BitString, Ia5String, Null, ObjectIdentifier, OctetString};
use x509_cert::der::{Decode as _, Encode as _};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages, SubjectAltName};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};

use crosscode_verifier::signature::VerificationKey;

const ID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const PRIME256V1: &str = "1.2.840.10045.3.1.7";
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const ECDSA_WITH_SHA256: &str = "1.2.840.10045.4.3.2";
const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";

/// A key of the test PKI.
pub enum PkiKey {
    /// ECDSA P-256.
    P256(p256::ecdsa::SigningKey),
    /// RSA.
    Rsa(Box<rsa::RsaPrivateKey>),
}

fn oid(dotted: &str) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(dotted)
}

impl PkiKey {
    /// A P-256 key derived from `seed`.
    pub fn p256(seed: u8) -> Self {
        Self::P256(p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap())
    }

    /// A fresh 2048-bit RSA key.
    pub fn rsa() -> Self {
        Self::Rsa(Box::new(
            rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).unwrap(),
        ))
    }

    /// The public key as a credential verification key (P-256 only).
    pub fn verification_key(&self) -> VerificationKey {
        match self {
            Self::P256(key) => VerificationKey::P256(*key.verifying_key()),
            Self::Rsa(key) => VerificationKey::Rsa(key.to_public_key()),
        }
    }

    fn spki(&self) -> SubjectPublicKeyInfoOwned {
        match self {
            Self::P256(key) => SubjectPublicKeyInfoOwned {
                algorithm: AlgorithmIdentifierOwned {
                    oid: oid(ID_EC_PUBLIC_KEY),
                    parameters: Some(Any::from(&oid(PRIME256V1))),
                },
                subject_public_key: BitString::from_bytes(
                    key.verifying_key().to_encoded_point(false).as_bytes(),
                )
                .unwrap(),
            },
            Self::Rsa(key) => {
                use rsa::pkcs1::EncodeRsaPublicKey as _;
                SubjectPublicKeyInfoOwned {
                    algorithm: AlgorithmIdentifierOwned {
                        oid: oid(RSA_ENCRYPTION),
                        parameters: Some(Any::from(Null)),
                    },
                    subject_public_key: BitString::from_bytes(
                        key.to_public_key().to_pkcs1_der().unwrap().as_bytes(),
                    )
                    .unwrap(),
                }
            }
        }
    }

    fn signature_algorithm(&self) -> AlgorithmIdentifierOwned {
        match self {
            Self::P256(_) => AlgorithmIdentifierOwned {
                oid: oid(ECDSA_WITH_SHA256),
                parameters: None,
            },
            Self::Rsa(_) => AlgorithmIdentifierOwned {
                oid: oid(SHA256_WITH_RSA),
                parameters: Some(Any::from(Null)),
            },
        }
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            Self::P256(key) => {
                let signature: p256::ecdsa::Signature = key.sign(message);
                signature.to_der().as_bytes().to_vec()
            }
            Self::Rsa(key) => {
                use rsa::signature::SignatureEncoding as _;
                let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new((**key).clone());
                signer.sign(message).to_vec()
            }
        }
    }
}

/// Basic constraints: a CA (with an optional path length) or an end entity.
pub fn basic_constraints(ca: bool, path_len_constraint: Option<u8>) -> Extension {
    extension(
        "2.5.29.19",
        true,
        BasicConstraints {
            ca,
            path_len_constraint,
        }
        .to_der()
        .unwrap(),
    )
}

/// Key usage with exactly these usages (at least one).
pub fn key_usage(first: KeyUsages, more: &[KeyUsages]) -> Extension {
    let usage = more
        .iter()
        .fold(KeyUsage(first.into()), |KeyUsage(set), u| {
            KeyUsage(set | *u)
        });
    extension("2.5.29.15", true, usage.to_der().unwrap())
}

/// A subject alternative name URI.
pub fn uri(value: &str) -> Extension {
    let names = SubjectAltName(vec![GeneralName::UniformResourceIdentifier(
        Ia5String::new(value).unwrap(),
    )]);
    extension("2.5.29.17", false, names.to_der().unwrap())
}

/// An extension of any OID with an empty SEQUENCE as value.
pub fn opaque(oid: &str, critical: bool) -> Extension {
    extension(oid, critical, vec![0x30, 0x00])
}

fn extension(id: &str, critical: bool, value: Vec<u8>) -> Extension {
    Extension {
        extn_id: oid(id),
        critical,
        extn_value: OctetString::new(value).unwrap(),
    }
}

fn time(unix: u64) -> Time {
    Time::UtcTime(
        x509_cert::der::asn1::UtcTime::from_unix_duration(Duration::from_secs(unix)).unwrap(),
    )
}

/// A certificate of `subject` (e.g. `CN=Test CA`) for `key`, issued by `issuer` with
/// `issuer_key`, valid 2020-01-01 .. 2030-01-01, with these extensions.
pub fn issue(
    subject: &str,
    key: &PkiKey,
    issuer: &str,
    issuer_key: &PkiKey,
    extensions: Vec<Extension>,
) -> Vec<u8> {
    let tbs = tbs(subject, key, issuer, issuer_key, extensions);
    let signature = issuer_key.sign(&tbs.to_der().unwrap());
    assemble(tbs, &signature)
}

/// As [`issue`], with these bytes as the signature value instead of a signature.
pub fn issue_with_signature(
    subject: &str,
    key: &PkiKey,
    issuer: &str,
    issuer_key: &PkiKey,
    extensions: Vec<Extension>,
    signature: &[u8],
) -> Vec<u8> {
    assemble(tbs(subject, key, issuer, issuer_key, extensions), signature)
}

fn tbs(
    subject: &str,
    key: &PkiKey,
    issuer: &str,
    issuer_key: &PkiKey,
    extensions: Vec<Extension>,
) -> TbsCertificate {
    TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(&[1, subject.len() as u8]).unwrap(),
        signature: issuer_key.signature_algorithm(),
        issuer: Name::from_str(issuer).unwrap(),
        validity: Validity {
            not_before: time(1_577_836_800),
            not_after: time(1_893_456_000),
        },
        subject: Name::from_str(subject).unwrap(),
        subject_public_key_info: key.spki(),
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: (!extensions.is_empty()).then_some(extensions),
    }
}

fn assemble(tbs: TbsCertificate, signature: &[u8]) -> Vec<u8> {
    let certificate = Certificate {
        signature_algorithm: tbs.signature.clone(),
        tbs_certificate: tbs,
        signature: BitString::from_bytes(signature).unwrap(),
    };
    let der = certificate.to_der().unwrap();
    assert!(Certificate::from_der(&der).is_ok());
    der
}
