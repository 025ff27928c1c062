//! A test document signer: a real self-signed X.509 DSC (P-256, ecdsa-with-SHA256) built with
//! `x509-cert` and signed with `p256`, and EU DCCs signed by it.

use std::io::Write as _;
use std::str::FromStr as _;
use std::time::Duration;

use coset::{CoseSign1Builder, HeaderBuilder, TaggedCborSerializable as _, iana};
use crosscode_verifier::certificate::dsc_kid;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use x509_cert::certificate::{Certificate, TbsCertificate, Version};
use x509_cert::der::Encode as _;
use x509_cert::der::asn1::{Any, BitString, ObjectIdentifier, OctetString, UtcTime};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};

const ID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const PRIME256V1: &str = "1.2.840.10045.3.1.7";
const ECDSA_WITH_SHA256: &str = "1.2.840.10045.4.3.2";
const EXTENDED_KEY_USAGE: &str = "2.5.29.37";

/// A document signer: its private key and its certificate (DER).
pub struct TestSigner {
    /// The P-256 signing key.
    pub key: SigningKey,
    /// The self-signed certificate, DER.
    pub der: Vec<u8>,
}

fn oid(dotted: &str) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(dotted)
}

fn utc(unix: i64) -> Time {
    Time::UtcTime(
        UtcTime::from_unix_duration(Duration::from_secs(u64::try_from(unix).unwrap())).unwrap(),
    )
}

impl TestSigner {
    /// A DSC valid from `not_before` to `not_after` (Unix seconds), with the given extended key
    /// usage OIDs (none: no extension), its key derived from `seed`.
    pub fn new(seed: u8, not_before: i64, not_after: i64, eku: &[&str]) -> Self {
        let key = SigningKey::from_slice(&[seed; 32]).unwrap();
        let point = key.verifying_key().to_encoded_point(false);
        let name = Name::from_str("CN=Crosscode test DSC,O=Crosscode,C=AT").unwrap();
        let signature_algorithm = AlgorithmIdentifierOwned {
            oid: oid(ECDSA_WITH_SHA256),
            parameters: None,
        };
        let extensions = (!eku.is_empty()).then(|| {
            let usage = ExtendedKeyUsage(eku.iter().map(|o| oid(o)).collect());
            vec![Extension {
                extn_id: oid(EXTENDED_KEY_USAGE),
                critical: false,
                extn_value: OctetString::new(usage.to_der().unwrap()).unwrap(),
            }]
        });
        let tbs = TbsCertificate {
            version: Version::V3,
            serial_number: SerialNumber::new(&[seed, 1]).unwrap(),
            signature: signature_algorithm.clone(),
            issuer: name.clone(),
            validity: Validity {
                not_before: utc(not_before),
                not_after: utc(not_after),
            },
            subject: name,
            subject_public_key_info: SubjectPublicKeyInfoOwned {
                algorithm: AlgorithmIdentifierOwned {
                    oid: oid(ID_EC_PUBLIC_KEY),
                    parameters: Some(Any::from(&oid(PRIME256V1))),
                },
                subject_public_key: BitString::from_bytes(point.as_bytes()).unwrap(),
            },
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions,
        };
        let signature: Signature = key.sign(&tbs.to_der().unwrap());
        let certificate = Certificate {
            tbs_certificate: tbs,
            signature_algorithm,
            signature: BitString::from_bytes(signature.to_der().as_bytes()).unwrap(),
        };
        Self {
            key,
            der: certificate.to_der().unwrap(),
        }
    }

    /// The `HC1:` text of a DCC (`hcert` = `dcc`, issuer AT) issued at `iat`, expiring at `exp`,
    /// signed ES256 with the kid of this DSC in the protected header.
    pub fn sign_dcc(&self, iat: i64, exp: i64, dcc: &serde_json::Value) -> String {
        use ciborium::value::Value;
        let hcert: Value = Value::serialized(dcc).unwrap();
        let claims = Value::Map(vec![
            (Value::from(1), Value::from("AT")),
            (Value::from(6), Value::from(iat)),
            (Value::from(4), Value::from(exp)),
            (Value::from(-260), Value::Map(vec![(Value::from(1), hcert)])),
        ]);
        let mut payload = Vec::new();
        ciborium::ser::into_writer(&claims, &mut payload).unwrap();
        let protected = HeaderBuilder::new()
            .algorithm(iana::Algorithm::ES256)
            .key_id(dsc_kid(&self.der).to_vec())
            .build();
        let cose = CoseSign1Builder::new()
            .protected(protected)
            .payload(payload)
            .create_signature(b"", |data| {
                let signature: Signature = self.key.sign(data);
                signature.to_bytes().to_vec()
            })
            .build()
            .to_tagged_vec()
            .unwrap();
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(&cose).unwrap();
        format!("HC1:{}", base45::encode(zlib.finish().unwrap()))
    }
}
