//! Encrypted key files: round trips for the three algorithms, and every typed error (wrong
//! passphrase, malformed file, unsupported algorithm / version / encryption, I/O).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;

use crosscode_core::did::DidKey;
use crosscode_core::keys::{KdfParams, KeyAlgorithm, KeyFile, KeyFileError, SecretKey};
use serde_json::Value;

const PASS: &[u8] = b"correct horse battery staple";

fn sealed(algorithm: KeyAlgorithm) -> (SecretKey, KeyFile) {
    let secret = SecretKey::generate(algorithm);
    let file = KeyFile::seal_with_params(&secret, PASS, KdfParams::INSECURE_FOR_TESTS).unwrap();
    (secret, file)
}

fn edited(file: &KeyFile, edit: impl FnOnce(&mut Value)) -> String {
    let mut value: Value = serde_json::from_str(&file.to_json()).unwrap();
    edit(&mut value);
    value.to_string()
}

fn temp_path(name: &str) -> PathBuf {
    let unique = format!(
        "crosscode-keyfile-test-{}-{}-{name}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    std::env::temp_dir().join(unique)
}

#[test]
fn round_trip_every_algorithm() {
    for algorithm in KeyAlgorithm::ALL {
        let (secret, file) = sealed(algorithm);
        let json = file.to_json();
        let value: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["algorithm"], algorithm.as_str());
        assert_eq!(value["kdf"]["name"], "argon2id");
        assert_eq!(value["kdf"]["memoryKib"], 8192);
        assert_eq!(value["cipher"]["name"], "xchacha20poly1305");
        // The public part is readable without the passphrase.
        let did_key = DidKey::from_public_key(&secret.public_key());
        assert_eq!(value["did"], did_key.did().as_str());
        assert_eq!(value["publicKeyMultibase"], did_key.multibase());
        let parsed = KeyFile::from_json(&json).unwrap();
        assert_eq!(parsed, file);
        assert_eq!(parsed.did_key().unwrap(), did_key);
        assert_eq!(parsed.algorithm().unwrap(), algorithm);
        assert_eq!(parsed.kdf(), KdfParams::INSECURE_FOR_TESTS);
        // The secret never appears in the file.
        let secret_hex = hex::encode(secret.to_bytes().as_slice());
        assert!(!json.contains(&secret_hex));
        let opened = parsed.open(PASS).unwrap();
        assert_eq!(opened.algorithm(), algorithm);
        assert_eq!(opened.public_key(), secret.public_key());
        assert_eq!(opened.to_bytes(), secret.to_bytes());
    }
}

#[test]
fn default_parameters_are_argon2id_64_mib() {
    assert_eq!(
        KdfParams::default(),
        KdfParams {
            memory_kib: 65536,
            iterations: 3,
            parallelism: 1
        }
    );
}

#[test]
fn wrong_passphrase() {
    let (_, file) = sealed(KeyAlgorithm::Ed25519);
    assert!(matches!(
        file.open(b"wrong"),
        Err(KeyFileError::WrongPassphrase)
    ));
    assert!(matches!(file.open(b""), Err(KeyFileError::WrongPassphrase)));
}

#[test]
fn tampering_is_detected() {
    let (_, file) = sealed(KeyAlgorithm::Sm2);
    // ciphertext bit flip
    let text = edited(&file, |v| {
        let mut c = v["ciphertext"].as_str().unwrap().to_owned();
        let first = if c.starts_with('A') { "B" } else { "A" };
        c.replace_range(0..1, first);
        v["ciphertext"] = Value::String(c);
    });
    let tampered = KeyFile::from_json(&text).unwrap();
    assert!(matches!(
        tampered.open(PASS),
        Err(KeyFileError::WrongPassphrase)
    ));
    // KDF parameters are authenticated too
    let text = edited(&file, |v| v["kdf"]["iterations"] = Value::from(2));
    assert!(matches!(
        KeyFile::from_json(&text).unwrap().open(PASS),
        Err(KeyFileError::WrongPassphrase)
    ));
    // swapping in another key's DID and public key (consistent header) fails the AEAD
    let other = DidKey::from_public_key(&SecretKey::generate(KeyAlgorithm::Sm2).public_key());
    let text = edited(&file, |v| {
        v["did"] = Value::from(other.did().as_str());
        v["publicKeyMultibase"] = Value::from(other.multibase());
    });
    assert!(matches!(
        KeyFile::from_json(&text).unwrap().open(PASS),
        Err(KeyFileError::WrongPassphrase)
    ));
    // an inconsistent header is malformed before any decryption
    let text = edited(&file, |v| {
        v["publicKeyMultibase"] = Value::from(other.multibase());
    });
    assert!(matches!(
        KeyFile::from_json(&text),
        Err(KeyFileError::Malformed { .. })
    ));
    let text = edited(&file, |v| v["algorithm"] = Value::from("ed25519"));
    assert!(matches!(
        KeyFile::from_json(&text),
        Err(KeyFileError::Malformed { .. })
    ));
}

#[test]
fn malformed_files() {
    let (_, file) = sealed(KeyAlgorithm::Ed25519);
    let cases: Vec<String> = vec![
        "not json".into(),
        "[]".into(),
        "{}".into(),
        edited(&file, |v| {
            v.as_object_mut().unwrap().remove("ciphertext");
        }),
        edited(&file, |v| v["extra"] = Value::from(1)),
        edited(&file, |v| v["did"] = Value::from("did:key:zzz")),
        edited(&file, |v| v["did"] = Value::from("not a did")),
        edited(&file, |v| v["kdf"]["memoryKib"] = Value::from("a lot")),
    ];
    for text in cases {
        assert!(
            matches!(
                KeyFile::from_json(&text),
                Err(KeyFileError::Malformed { .. })
            ),
            "{text}"
        );
    }
    // Fields that parse but cannot be decoded are reported by `open`.
    for edit in [
        (|v: &mut Value| v["kdf"]["salt"] = Value::from("!!")) as fn(&mut Value),
        |v| v["kdf"]["salt"] = Value::from("AAAA"),
        |v| v["cipher"]["nonce"] = Value::from("AAAA"),
        |v| v["ciphertext"] = Value::from("%%%"),
    ] {
        let text = edited(&file, edit);
        assert!(
            matches!(
                KeyFile::from_json(&text).unwrap().open(PASS),
                Err(KeyFileError::Malformed { .. })
            ),
            "{text}"
        );
    }
}

#[test]
fn unsupported_algorithm_version_and_encryption() {
    let (_, file) = sealed(KeyAlgorithm::Ed25519);
    let text = edited(&file, |v| v["algorithm"] = Value::from("secp256k1"));
    assert!(matches!(
        KeyFile::from_json(&text),
        Err(KeyFileError::UnsupportedAlgorithm { name }) if name == "secp256k1"
    ));
    let text = edited(&file, |v| v["version"] = Value::from(2));
    assert!(matches!(
        KeyFile::from_json(&text),
        Err(KeyFileError::UnsupportedVersion { version: 2 })
    ));
    let text = edited(&file, |v| v["kdf"]["name"] = Value::from("scrypt"));
    assert!(matches!(
        KeyFile::from_json(&text).unwrap().open(PASS),
        Err(KeyFileError::UnsupportedEncryption { .. })
    ));
    let text = edited(&file, |v| v["cipher"]["name"] = Value::from("aes-256-gcm"));
    assert!(matches!(
        KeyFile::from_json(&text).unwrap().open(PASS),
        Err(KeyFileError::UnsupportedEncryption { .. })
    ));
    // A hostile file cannot ask for unbounded work.
    let text = edited(&file, |v| v["kdf"]["memoryKib"] = Value::from(u32::MAX));
    assert!(matches!(
        KeyFile::from_json(&text).unwrap().open(PASS),
        Err(KeyFileError::UnsupportedEncryption { .. })
    ));
    let text = edited(&file, |v| v["kdf"]["iterations"] = Value::from(0));
    assert!(matches!(
        KeyFile::from_json(&text).unwrap().open(PASS),
        Err(KeyFileError::UnsupportedEncryption { .. })
    ));
    // Sealing with invalid parameters is refused the same way.
    let secret = SecretKey::generate(KeyAlgorithm::Ed25519);
    assert!(matches!(
        KeyFile::seal_with_params(
            &secret,
            PASS,
            KdfParams {
                memory_kib: 1,
                iterations: 1,
                parallelism: 1
            }
        ),
        Err(KeyFileError::UnsupportedEncryption { .. })
    ));
}

#[test]
fn write_read_and_io_errors() {
    let (secret, file) = sealed(KeyAlgorithm::Bls12381G2);
    let path = temp_path("roundtrip.json");
    file.write(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let read = KeyFile::read(&path).unwrap();
    assert_eq!(read, file);
    assert_eq!(read.open(PASS).unwrap().public_key(), secret.public_key());
    // No overwrite.
    assert!(matches!(file.write(&path), Err(KeyFileError::Io { .. })));
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(KeyFile::read(&path), Err(KeyFileError::Io { .. })));
    // Oversized file.
    let big = temp_path("big.json");
    std::fs::write(&big, vec![b' '; 100 * 1024]).unwrap();
    assert!(matches!(
        KeyFile::read(&big),
        Err(KeyFileError::Malformed { .. })
    ));
    std::fs::remove_file(&big).unwrap();
}
