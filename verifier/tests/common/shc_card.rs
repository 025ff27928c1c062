//! SMART Health Cards minted in tests: the published test keys of the SHC examples
//! (`shc/generate-examples/src/config/issuer.jwks.private.json`), compact JWS and `shc:/` text.

use std::io::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer as _;

use super::{read_json, read_vector};

/// One published SHC test key.
pub struct TestKey {
    /// Its kid (RFC 7638 thumbprint).
    pub kid: String,
    /// The private key.
    pub key: p256::ecdsa::SigningKey,
}

/// The published test key whose kid starts with `kid_prefix`.
pub fn test_key(kid_prefix: &str) -> TestKey {
    let keys = read_json("shc/generate-examples/src/config/issuer.jwks.private.json");
    let jwk = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"].as_str().unwrap().starts_with(kid_prefix))
        .unwrap();
    let d = URL_SAFE_NO_PAD.decode(jwk["d"].as_str().unwrap()).unwrap();
    TestKey {
        kid: jwk["kid"].as_str().unwrap().to_owned(),
        key: p256::ecdsa::SigningKey::from_slice(&d).unwrap(),
    }
}

/// Raw DEFLATE (RFC 1951), as SHC payloads are compressed.
pub fn raw_deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// zlib (RFC 1950), which an SHC payload must not be.
pub fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A compact JWS (`zip: DEF`, header `alg` as given) of the compressed payload, signed ES256.
pub fn mint(key: &TestKey, header_alg: &str, compressed_payload: &[u8]) -> String {
    let header = format!(
        r#"{{"zip":"DEF","alg":"{header_alg}","kid":"{}"}}"#,
        key.kid
    );
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(compressed_payload)
    );
    let sig: p256::ecdsa::Signature = key.key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
}

/// The `shc:/` numeric-mode text of a compact JWS.
pub fn to_qr(jws: &str) -> String {
    let digits: String = jws.bytes().map(|b| format!("{:02}", b - 45)).collect();
    format!("shc:/{digits}")
}

/// The minified payload of SHC example 00.
pub fn example_payload() -> Vec<u8> {
    read_vector("shc/examples/example-00-c-jws-payload-minified.json")
}
