//! Holder keys across the FFI: [`HolderKeystore`], the foreign trait an app implements over its
//! platform keystore, the adapter that makes it the wallet core's `Keystore`, and
//! [`software_keystore`], the Rust implementation for apps without a platform keystore.
//!
//! The contract (docs/wallet.md, "The keystore"): `generate` makes a key and answers an opaque
//! handle (any text without personal data); `public_key` answers the raw public key — Ed25519:
//! the 32-byte key, P-256: the SEC1 point, compressed (33 bytes) or not (65); `sign` answers the
//! raw signature over the message as given — Ed25519: the 64-byte RFC 8032 signature, P-256:
//! ECDSA with SHA-256 as 64 bytes `r ‖ s` (not DER); `delete` forgets the key. A method that fails throws
//! `WalletError.Failed` (its code and detail reach the app's caller as `keystore` failures); any
//! other exception is reported with the code `keystore_callback`.

use std::path::Path;
use std::sync::Arc;

use crosscode_core::keys::{KeyAlgorithm, PublicKey};
use crosscode_wallet_core::keystore::{self as core_keystore, KeyHandle, Keystore, KeystoreError};

use crate::error::WalletError;

/// The length of an Ed25519 public key; P-256 points are 33 or 65 bytes.
const ED25519_PUBLIC_KEY_LEN: usize = 32;

/// The algorithm of a holder key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HolderKeyAlgorithm {
    /// Ed25519 (RFC 8032).
    Ed25519,
    /// ECDSA on P-256 with SHA-256 (the Secure Enclave's and StrongBox's keys).
    P256,
}

impl From<HolderKeyAlgorithm> for KeyAlgorithm {
    fn from(algorithm: HolderKeyAlgorithm) -> KeyAlgorithm {
        match algorithm {
            HolderKeyAlgorithm::Ed25519 => KeyAlgorithm::Ed25519,
            HolderKeyAlgorithm::P256 => KeyAlgorithm::P256,
        }
    }
}

impl TryFrom<KeyAlgorithm> for HolderKeyAlgorithm {
    type Error = KeystoreError;

    fn try_from(algorithm: KeyAlgorithm) -> Result<HolderKeyAlgorithm, KeystoreError> {
        match algorithm {
            KeyAlgorithm::Ed25519 => Ok(HolderKeyAlgorithm::Ed25519),
            KeyAlgorithm::P256 => Ok(HolderKeyAlgorithm::P256),
            other => Err(KeystoreError::UnsupportedAlgorithm(other)),
        }
    }
}

/// A keystore that makes holder keys and signs with them by handle; the private keys never
/// leave it. Implemented by the app (Kotlin, Swift, Python) or by [`software_keystore`].
#[uniffi::export(with_foreign)]
pub trait HolderKeystore: Send + Sync {
    /// Makes a key of `algorithm`; answers its handle.
    fn generate(&self, algorithm: HolderKeyAlgorithm) -> Result<String, WalletError>;
    /// The raw public key of `handle`.
    fn public_key(&self, handle: String) -> Result<Vec<u8>, WalletError>;
    /// The raw signature of `message` with the key of `handle`.
    fn sign(&self, handle: String, message: Vec<u8>) -> Result<Vec<u8>, WalletError>;
    /// Forgets the key of `handle`.
    fn delete(&self, handle: String) -> Result<(), WalletError>;
}

/// A foreign keystore failure as the wallet core's: the app's code and detail, kept.
fn platform(error: WalletError) -> KeystoreError {
    match error {
        WalletError::Failed { code, detail } => {
            KeystoreError::Platform(format!("{code}: {detail}"))
        }
    }
}

/// The app's keystore as the wallet core's [`Keystore`] (what [`crate::Wallet::open`] wraps an
/// app's keystore in; public for the fuzz target of what a keystore may answer).
pub struct ForeignKeystore(pub Arc<dyn HolderKeystore>);

impl Keystore for ForeignKeystore {
    fn generate(&self, algorithm: KeyAlgorithm) -> Result<KeyHandle, KeystoreError> {
        let algorithm = HolderKeyAlgorithm::try_from(algorithm)?;
        self.0.generate(algorithm).map(KeyHandle).map_err(platform)
    }

    fn public_key(&self, handle: &KeyHandle) -> Result<PublicKey, KeystoreError> {
        let bytes = self.0.public_key(handle.0.clone()).map_err(platform)?;
        // The length says the algorithm: 32 bytes Ed25519, 33 or 65 bytes a P-256 point.
        let algorithm = if bytes.len() == ED25519_PUBLIC_KEY_LEN {
            KeyAlgorithm::Ed25519
        } else {
            KeyAlgorithm::P256
        };
        PublicKey::from_bytes(algorithm, &bytes)
            .map_err(|err| KeystoreError::Platform(format!("invalid public key: {err}")))
    }

    fn sign(&self, handle: &KeyHandle, message: &[u8]) -> Result<Vec<u8>, KeystoreError> {
        self.0
            .sign(handle.0.clone(), message.to_vec())
            .map_err(platform)
    }

    fn delete(&self, handle: &KeyHandle) -> Result<(), KeystoreError> {
        self.0.delete(handle.0.clone()).map_err(platform)
    }
}

/// The wallet core's software keystore behind the foreign trait.
struct Software(core_keystore::SoftwareKeystore);

impl HolderKeystore for Software {
    fn generate(&self, algorithm: HolderKeyAlgorithm) -> Result<String, WalletError> {
        Ok(self.0.generate(algorithm.into())?.0)
    }

    fn public_key(&self, handle: String) -> Result<Vec<u8>, WalletError> {
        Ok(self.0.public_key(&KeyHandle(handle))?.to_bytes())
    }

    fn sign(&self, handle: String, message: Vec<u8>) -> Result<Vec<u8>, WalletError> {
        Ok(self.0.sign(&KeyHandle(handle), &message)?)
    }

    fn delete(&self, handle: String) -> Result<(), WalletError> {
        Ok(self.0.delete(&KeyHandle(handle))?)
    }
}

/// The software keystore in `dir`: key files encrypted under `passphrase` (docs/wallet.md), for
/// apps without a platform keystore.
#[uniffi::export]
pub fn software_keystore(
    dir: String,
    passphrase: String,
) -> Result<Arc<dyn HolderKeystore>, WalletError> {
    let keystore = core_keystore::SoftwareKeystore::open(Path::new(&dir), passphrase.as_bytes())?;
    Ok(Arc::new(Software(keystore)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A foreign keystore answering fixed public-key bytes and refusing to sign.
    struct Fixed(Vec<u8>);

    impl HolderKeystore for Fixed {
        fn generate(&self, _: HolderKeyAlgorithm) -> Result<String, WalletError> {
            Ok("k".into())
        }
        fn public_key(&self, _: String) -> Result<Vec<u8>, WalletError> {
            Ok(self.0.clone())
        }
        fn sign(&self, _: String, _: Vec<u8>) -> Result<Vec<u8>, WalletError> {
            Err(WalletError::new("user_cancelled", "prompt dismissed"))
        }
        fn delete(&self, _: String) -> Result<(), WalletError> {
            Ok(())
        }
    }

    #[test]
    fn the_public_key_length_selects_the_algorithm_and_a_bad_key_is_a_platform_error() {
        let handle = KeyHandle("k".into());
        let ed25519 = crosscode_core::keys::SecretKey::generate(KeyAlgorithm::Ed25519);
        let p256 = crosscode_core::keys::SecretKey::generate(KeyAlgorithm::P256);
        for secret in [ed25519, p256] {
            let foreign = ForeignKeystore(Arc::new(Fixed(secret.public_key().to_bytes())));
            assert_eq!(foreign.public_key(&handle).unwrap(), secret.public_key());
        }
        let foreign = ForeignKeystore(Arc::new(Fixed(vec![7; 10])));
        assert!(matches!(
            foreign.public_key(&handle),
            Err(KeystoreError::Platform(reason)) if reason.starts_with("invalid public key")
        ));
    }

    #[test]
    fn a_refusal_of_the_app_keeps_its_code_and_detail() {
        let foreign = ForeignKeystore(Arc::new(Fixed(Vec::new())));
        assert_eq!(
            foreign.sign(&KeyHandle("k".into()), b"m"),
            Err(KeystoreError::Platform(
                "user_cancelled: prompt dismissed".into()
            ))
        );
        assert_eq!(
            foreign.generate(KeyAlgorithm::Sm2),
            Err(KeystoreError::UnsupportedAlgorithm(KeyAlgorithm::Sm2))
        );
    }
}
