//! Fuzz target: what crosses the FFI from an app — a trust document, the bytes an app's
//! keystore answers (public keys, signatures), credential ids, claim names and audiences —
//! gives a typed `WalletError` with a stable code, never a panic.
#![no_main]

use std::sync::{Arc, OnceLock};

use crosscode_core::keys::Signer;
use crosscode_mobile_ffi::{
    ForeignKeystore, HolderKeyAlgorithm, HolderKeystore, Trust, Wallet, WalletError,
    software_keystore,
};
use crosscode_wallet_core::keystore::{KeyHandle, KeystoreSigner};
use libfuzzer_sys::fuzz_target;

/// An app keystore answering the fuzz input's bytes.
struct Answering {
    public_key: Vec<u8>,
    signature: Vec<u8>,
}

impl HolderKeystore for Answering {
    fn generate(&self, _: HolderKeyAlgorithm) -> Result<String, WalletError> {
        Ok("handle".to_owned())
    }
    fn public_key(&self, _: String) -> Result<Vec<u8>, WalletError> {
        Ok(self.public_key.clone())
    }
    fn sign(&self, _: String, _: Vec<u8>) -> Result<Vec<u8>, WalletError> {
        Ok(self.signature.clone())
    }
    fn delete(&self, _: String) -> Result<(), WalletError> {
        Ok(())
    }
}

fn wallet() -> &'static Arc<Wallet> {
    static WALLET: OnceLock<Arc<Wallet>> = OnceLock::new();
    WALLET.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("crosscode-fuzz-ffi-{}", std::process::id()));
        let dir = dir.to_string_lossy().into_owned();
        let keystore = software_keystore(format!("{dir}/keys"), "pass".to_owned())
            .unwrap_or_else(|err| panic!("keystore: {err}"));
        Wallet::open(
            dir,
            "pass".to_owned(),
            keystore,
            HolderKeyAlgorithm::Ed25519,
        )
        .unwrap_or_else(|err| panic!("wallet: {err}"))
    })
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut fields = rest.split(|byte| *byte == 0xff);
    let mut next = || fields.next().unwrap_or_default();
    match mode % 3 {
        0 => {
            if let Ok(trust) = Trust::from_json(text(rest)) {
                assert_eq!(trust.is_empty(), trust.len() == 0);
            }
        }
        1 => {
            let app = Answering {
                public_key: next().to_vec(),
                signature: next().to_vec(),
            };
            let keystore = ForeignKeystore(Arc::new(app));
            if let Ok(signer) = KeystoreSigner::new(&keystore, KeyHandle("handle".to_owned())) {
                let _ = signer.did_key();
                let _ = signer.sign(next());
            }
        }
        _ => {
            let wallet = wallet();
            let id = text(next());
            let disclose = next().split(|byte| *byte == b',').map(text).collect();
            let audience = Some(text(next()));
            let refused = |err: WalletError| {
                let WalletError::Failed { code, .. } = err;
                assert!(!code.is_empty());
            };
            assert!(wallet.credential_json(id.clone()).map_err(refused).is_err());
            assert!(
                wallet
                    .present(id.clone(), disclose, audience, true, false)
                    .map_err(refused)
                    .is_err()
            );
            assert!(wallet.delete(id).map_err(refused).is_err());
        }
    }
});
