//! A signer that is not a `SecretKey`: what a platform keystore or an HSM looks like to the
//! code that signs through core's `Signer` port (it signs; its key never leaves it).

use crosscode_core::keys::{PublicKey, SecretKey, SignatureError, Signer};

/// A key that lives outside Rust's reach, as a platform keystore's does: only the `Signer`
/// port reaches it.
pub struct Keystore(pub SecretKey);

impl Signer for Keystore {
    fn public_key(&self) -> PublicKey {
        self.0.public_key()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        self.0.sign(message)
    }
}
