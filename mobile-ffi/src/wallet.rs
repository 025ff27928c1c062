//! [`Wallet`]: the wallet core's facade across the FFI. Only `receive` is async (it talks to
//! the issuer); it runs on the bindings' tokio runtime with the core's default HTTP transport.

use std::path::Path;
use std::sync::Arc;

use crosscode_wallet_core::transport::HttpTransport;
use time::OffsetDateTime;

use crate::error::WalletError;
use crate::keystore::{ForeignKeystore, HolderKeyAlgorithm, HolderKeystore};
use crate::records::{CredentialSummary, QrPresentation};
use crate::trust::Trust;

/// A holder's wallet: a directory of encrypted credentials and a keystore.
#[derive(Debug, uniffi::Object)]
pub struct Wallet {
    inner: crosscode_wallet_core::Wallet,
}

#[uniffi::export(async_runtime = "tokio")]
impl Wallet {
    /// Opens the wallet in `dir` with `passphrase` (creating it on first use); new holder keys
    /// are made by `keystore` with `holder_algorithm`.
    #[uniffi::constructor]
    pub fn open(
        dir: String,
        passphrase: String,
        keystore: Arc<dyn HolderKeystore>,
        holder_algorithm: HolderKeyAlgorithm,
    ) -> Result<Arc<Wallet>, WalletError> {
        let transport =
            HttpTransport::new().map_err(|err| WalletError::new("network", err.to_string()))?;
        let inner = crosscode_wallet_core::Wallet::open(
            Path::new(&dir),
            passphrase.as_bytes(),
            Arc::new(ForeignKeystore(keystore)),
            Arc::new(transport),
        )?
        .with_holder_algorithm(holder_algorithm.into());
        Ok(Arc::new(Wallet { inner }))
    }

    /// Redeems the OpenID4VCI offer `offer_uri` (with `tx_code` when the offer asks for one),
    /// verifies the credential against `trust` and stores it.
    pub async fn receive(
        &self,
        offer_uri: String,
        tx_code: Option<String>,
        trust: Arc<Trust>,
    ) -> Result<CredentialSummary, WalletError> {
        let summary = self
            .inner
            .receive(
                &offer_uri,
                tx_code.as_deref(),
                &trust.cache,
                OffsetDateTime::now_utc(),
            )
            .await?;
        Ok(summary.into())
    }

    /// Every credential, oldest first.
    pub fn list(&self) -> Result<Vec<CredentialSummary>, WalletError> {
        Ok(self.inner.list()?.into_iter().map(Into::into).collect())
    }

    /// The credential `id` as issued (W3C VC JSON with its proofs).
    pub fn credential_json(&self, id: String) -> Result<String, WalletError> {
        Ok(self.inner.get(&id)?.credential.to_string())
    }

    /// Deletes the credential `id` and its holder key.
    pub fn delete(&self, id: String) -> Result<(), WalletError> {
        Ok(self.inner.delete(&id)?)
    }

    /// The CC1 QR presentation of credential `id` disclosing only `disclose` (claim names or
    /// JSON pointers), for `audience`; `dynamic` signs the current 30-second time slot so that a
    /// screenshot expires; `anchor_receipt` carries the credential's anchor receipt, when it
    /// has one, for checkpoints that check anchor inclusion (the code grows and a derived
    /// credential reveals its `id`).
    pub fn present(
        &self,
        id: String,
        disclose: Vec<String>,
        audience: Option<String>,
        dynamic: bool,
        anchor_receipt: bool,
    ) -> Result<QrPresentation, WalletError> {
        let shown = self.inner.present_carrying(
            &id,
            &disclose,
            audience.as_deref(),
            dynamic,
            anchor_receipt,
            OffsetDateTime::now_utc(),
        )?;
        Ok(shown.into())
    }
}
