//! The signing port: [`Signer`] signs without handing out the secret key.
//!
//! Everything in Crosscode that makes a signature — Data Integrity proofs, the holder binding
//! of a derived BBS proof, the COSE signature of a CC1 envelope, registry transactions — asks
//! a `Signer` (in the style of RustCrypto's `signature::Signer`: one trait, many algorithms).
//! [`SecretKey`] implements it for keys held in memory; a platform keystore (Android
//! Keystore, iOS Keychain) or an HSM implements it so that its private keys never leave it.
//!
//! What each algorithm signs:
//! - Ed25519: RFC 8032 over `message` (64 bytes `R ‖ S`);
//! - SM2: GB/T 32918 with SM3 and the default distinguishing ID `1234567812345678` over
//!   `message` (64 bytes `r ‖ s`);
//! - P-256: ECDSA with SHA-256 over `message` (64 bytes `r ‖ s`; verifiers accept either half
//!   of `s`, in-memory keys give the low one). A keystore that answers ASN.1 DER (Secure
//!   Enclave, Android Keystore) converts with [`super::p256::signature_from_der`]; its public
//!   key is built with [`PublicKey::from_bytes`], which also reads the 65-byte uncompressed
//!   point keystores export;
//! - BLS12-381 G2: a BBS signature (IETF CFRG draft, ciphersuite BLS12-381-SHA-256) over a
//!   header and a list of messages ([`Signer::sign_bbs`], 80 bytes `A ‖ e`).

use super::{KeyAlgorithm, PublicKey, SecretKey, SignatureError};

/// Something that signs with one key without exposing it (an in-memory [`SecretKey`], a
/// platform keystore, an HSM).
pub trait Signer {
    /// The public key of the signing key.
    fn public_key(&self) -> PublicKey;

    /// The signing key's algorithm.
    fn algorithm(&self) -> KeyAlgorithm {
        self.public_key().algorithm()
    }

    /// Signs one message (Ed25519, SM2 or P-256, see the module doc). BLS12-381 keys answer
    /// [`SignatureError::UnsupportedAlgorithm`]: they sign with [`Signer::sign_bbs`].
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError>;

    /// A BBS signature (BLS12-381-SHA-256) over `header` and `messages`, encoded as the draft
    /// encodes it (80 bytes). Keys of other algorithms answer
    /// [`SignatureError::UnsupportedAlgorithm`].
    fn sign_bbs(&self, header: &[u8], messages: &[Vec<u8>]) -> Result<Vec<u8>, SignatureError> {
        let _ = (header, messages);
        Err(SignatureError::UnsupportedAlgorithm {
            algorithm: self.algorithm(),
        })
    }
}

impl Signer for SecretKey {
    fn public_key(&self) -> PublicKey {
        SecretKey::public_key(self)
    }

    fn algorithm(&self) -> KeyAlgorithm {
        SecretKey::algorithm(self)
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        SecretKey::sign(self, message)
    }

    fn sign_bbs(&self, header: &[u8], messages: &[Vec<u8>]) -> Result<Vec<u8>, SignatureError> {
        let (secret, public) = self
            .as_bbs_pair()
            .ok_or(SignatureError::UnsupportedAlgorithm {
                algorithm: SecretKey::algorithm(self),
            })?;
        crosscode_bbs::sign::<crosscode_bbs::Bls12381Sha256, _>(secret, public, header, messages)
            .map(|signature| signature.to_bytes().to_vec())
            .map_err(|_| SignatureError::BbsSigning)
    }
}

impl<T: Signer + ?Sized> Signer for &T {
    fn public_key(&self) -> PublicKey {
        (**self).public_key()
    }

    fn algorithm(&self) -> KeyAlgorithm {
        (**self).algorithm()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        (**self).sign(message)
    }

    fn sign_bbs(&self, header: &[u8], messages: &[Vec<u8>]) -> Result<Vec<u8>, SignatureError> {
        (**self).sign_bbs(header, messages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A signer that is not a `SecretKey`: what a platform keystore looks like to Rust.
    struct Keystore(SecretKey);

    impl Signer for Keystore {
        fn public_key(&self) -> PublicKey {
            self.0.public_key()
        }
        fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
            self.0.sign(message)
        }
    }

    #[test]
    fn in_memory_keys_sign_through_the_port_and_verify() {
        for algorithm in [KeyAlgorithm::Ed25519, KeyAlgorithm::Sm2] {
            let key = SecretKey::generate(algorithm);
            let signer: &dyn Signer = &key;
            assert_eq!(signer.algorithm(), algorithm);
            let signature = signer.sign(b"health code").unwrap();
            signer
                .public_key()
                .verify(b"health code", &signature)
                .unwrap();
            assert!(matches!(
                signer.sign_bbs(b"", &[b"m".to_vec()]),
                Err(SignatureError::UnsupportedAlgorithm { .. })
            ));
        }
    }

    #[test]
    fn bbs_keys_sign_messages_and_refuse_single_messages() {
        let key = SecretKey::generate(KeyAlgorithm::Bls12381G2);
        let signer: &dyn Signer = &key;
        let messages = vec![b"green".to_vec(), b"2026-12-05".to_vec()];
        let signature = signer.sign_bbs(b"header", &messages).unwrap();
        let decoded = crosscode_bbs::Signature::from_bytes(&signature).unwrap();
        let public = key.as_bbs().unwrap().public_key();
        crosscode_bbs::verify::<crosscode_bbs::Bls12381Sha256, _>(
            &public, &decoded, b"header", &messages,
        )
        .unwrap();
        assert!(matches!(
            signer.sign(b"m"),
            Err(SignatureError::UnsupportedAlgorithm { .. })
        ));
    }

    #[test]
    fn a_foreign_signer_gets_the_default_bbs_refusal() {
        let keystore = Keystore(SecretKey::generate(KeyAlgorithm::Ed25519));
        assert_eq!(keystore.algorithm(), KeyAlgorithm::Ed25519);
        assert!(matches!(
            keystore.sign_bbs(b"", &[]),
            Err(SignatureError::UnsupportedAlgorithm {
                algorithm: KeyAlgorithm::Ed25519
            })
        ));
    }
}
