//! Fuzz target: the wallet's store on disk — a credential file with any bytes, and any text
//! as a credential id — gives a typed error, never a panic; no id reaches a file outside the
//! store, and a corrupted file never hides the other credentials from `get`.
#![no_main]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use crosscode_core::keys::KdfParams;
use crosscode_wallet_core::keystore::SoftwareKeystore;
use crosscode_wallet_core::store::CREDENTIALS_DIR;
use crosscode_wallet_core::transport::{HttpRequest, Transport, TransportError, TransportFuture};
use crosscode_wallet_core::{Wallet, WalletError};
use libfuzzer_sys::fuzz_target;

const ID: &str = "0123456789abcdef0123456789abcdef";

struct Offline;

impl Transport for Offline {
    fn send(&self, _: HttpRequest) -> TransportFuture<'_> {
        Box::pin(async { Err(TransportError::Unreachable("offline".to_owned())) })
    }
}

fn wallet() -> &'static (PathBuf, Wallet) {
    static WALLET: OnceLock<(PathBuf, Wallet)> = OnceLock::new();
    WALLET.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("crosscode-fuzz-wallet-{}", std::process::id()));
        let keys = SoftwareKeystore::open_with_kdf(
            &dir.join("keys"),
            b"pass",
            KdfParams::INSECURE_FOR_TESTS,
        )
        .unwrap_or_else(|err| panic!("keystore: {err}"));
        let wallet = Wallet::open_with_kdf(
            &dir,
            b"pass",
            KdfParams::INSECURE_FOR_TESTS,
            Arc::new(keys),
            Arc::new(Offline),
        )
        .unwrap_or_else(|err| panic!("wallet: {err}"));
        (dir, wallet)
    })
}

fuzz_target!(|data: &[u8]| {
    let (dir, wallet) = wallet();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        // Any bytes as a credential file: never opens (it is sealed under the wallet's key).
        let path = dir.join(CREDENTIALS_DIR).join(format!("{ID}.cred"));
        if std::fs::write(&path, rest).is_err() {
            return;
        }
        assert!(matches!(wallet.get(ID), Err(WalletError::Store(_))));
        assert!(wallet.list().is_err());
        let _ = std::fs::remove_file(&path);
    } else {
        // Any text as an id: not found (ids are 32 lowercase hex digits, nothing else is a path).
        let Ok(id) = std::str::from_utf8(rest) else {
            return;
        };
        assert!(wallet.get(id).is_err());
        assert!(wallet.delete(id).is_err());
        assert!(
            wallet
                .present(id, &[], None, true, time::OffsetDateTime::UNIX_EPOCH)
                .is_err()
        );
    }
});
