//! The [`Wallet`]: what an app (through `mobile-ffi`) or the CLI uses — open a wallet
//! directory with the passphrase, a keystore and a transport; receive, list, get, delete and
//! present credentials. Every failure is a [`WalletError`] with a stable [`WalletError::code`].

use std::path::Path;
use std::sync::Arc;

use crosscode_core::did::KeyResolver;
use crosscode_core::keys::{KdfParams, KeyAlgorithm};
use crosscode_core::vc::Credential;
use serde_json::Value;
use time::OffsetDateTime;

use crate::convert::{self, ConvertError, PreparedConversion, Source};
use crate::keystore::{KeyHandle, Keystore, KeystoreError};
use crate::present::{self, PresentError, QrPresentation};
use crate::receive::{self, ReceiveError};
use crate::store::{CredentialStore, StatusCheck, StoreError, StoredCredential};
use crate::transport::Transport;
use crosscode_core::anchor::AnchorReceipt;

/// Why a wallet operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// The store failed (wrong passphrase, a corrupted file, an unknown id, I/O).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Receiving failed (offer, network, issuer refusal, verification on arrival).
    #[error(transparent)]
    Receive(#[from] ReceiveError),
    /// Presenting failed.
    #[error(transparent)]
    Present(#[from] PresentError),
    /// The keystore failed.
    #[error("keystore: {0}")]
    Keystore(#[from] KeystoreError),
    /// Converting into another jurisdiction's credential failed.
    #[error(transparent)]
    Convert(#[from] ConvertError),
}

impl WalletError {
    /// A stable code for the failure (what the FFI's flat error enum is made of).
    pub fn code(&self) -> &'static str {
        match self {
            WalletError::Store(StoreError::WrongPassphrase) => "wrong_passphrase",
            WalletError::Store(StoreError::CorruptedKeyFile(_))
            | WalletError::Store(StoreError::Corrupted { .. }) => "corrupted_store",
            WalletError::Store(StoreError::NotFound(_)) => "not_found",
            WalletError::Store(StoreError::Io(_)) => "io",
            WalletError::Receive(error) => match error {
                ReceiveError::Offer(_)
                | ReceiveError::NoPreAuthorizedCode
                | ReceiveError::NoConfiguration => "invalid_offer",
                ReceiveError::TxCodeRequired => "tx_code_required",
                ReceiveError::Transport(_) => "network",
                ReceiveError::UnexpectedResponse { .. }
                | ReceiveError::IssuerMismatch
                | ReceiveError::UnsupportedConfiguration(_)
                | ReceiveError::TokenRefused { .. }
                | ReceiveError::CredentialRefused { .. } => "issuer_refused",
                ReceiveError::OfferNotRedeemable(_) => "offer_not_redeemable",
                ReceiveError::Keystore(_) => "keystore",
                ReceiveError::ProofSigning(_) => "unsupported_key",
                ReceiveError::NotForHolder | ReceiveError::Unverified(_) => "unverified_credential",
                ReceiveError::InvalidStatusList { .. } => "invalid_status_list",
                ReceiveError::Revoked { .. } => "revoked",
            },
            WalletError::Present(PresentError::Keystore(_)) | WalletError::Keystore(_) => {
                "keystore"
            }
            WalletError::Present(PresentError::NotSelective | PresentError::Derive(_)) => {
                "invalid_disclosure"
            }
            WalletError::Present(_) => "presentation_failed",
            WalletError::Convert(error) => match error {
                ConvertError::NotSelective | ConvertError::Derive(_) => "invalid_disclosure",
                ConvertError::NoAnchorReceipt => "no_anchor_receipt",
                ConvertError::NotAccepted => "not_accepted",
                ConvertError::Transport(_) => "network",
                ConvertError::Refused { .. } => "conversion_refused",
                ConvertError::PolicyHashMismatch | ConvertError::UnexpectedResponse { .. } => {
                    "issuer_refused"
                }
                ConvertError::Egress(_) => "egress_refused",
                ConvertError::Keystore(_) | ConvertError::Consent(_) => "keystore",
                ConvertError::IssuerKeys(_) => "corrupted_store",
                ConvertError::Unverified(_) => "unverified_credential",
                ConvertError::OtherWallet => "other_wallet",
            },
        }
    }
}

/// What a list of credentials shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialSummary {
    /// The wallet's id of the credential.
    pub id: String,
    /// Its types.
    pub types: Vec<String>,
    /// The issuer's DID.
    pub issuer: String,
    /// The holder `did:key` it is bound to.
    pub holder_did: String,
    /// When it was received (Unix seconds).
    pub received_at: i64,
    /// `validUntil`, if any.
    pub valid_until: Option<String>,
    /// The status check on arrival.
    pub status: StatusCheck,
    /// Whether it can disclose only some claims (it has a BBS proof).
    pub selective: bool,
}

impl From<&StoredCredential> for CredentialSummary {
    fn from(stored: &StoredCredential) -> Self {
        CredentialSummary {
            id: stored.id.clone(),
            types: stored.types.clone(),
            issuer: stored.issuer.clone(),
            holder_did: stored.holder_did.clone(),
            received_at: stored.received_at,
            valid_until: stored
                .credential
                .get("validUntil")
                .and_then(Value::as_str)
                .map(str::to_owned),
            status: stored.status,
            selective: present::has_bbs_proof(&stored.credential),
        }
    }
}

/// A holder's wallet: a directory of encrypted credentials, a keystore and a transport.
pub struct Wallet {
    store: CredentialStore,
    keystore: Arc<dyn Keystore>,
    transport: Arc<dyn Transport>,
    holder_algorithm: KeyAlgorithm,
    carry_anchor_receipts: bool,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet")
            .field("store", &self.store)
            .field("holder_algorithm", &self.holder_algorithm)
            .finish_non_exhaustive()
    }
}

impl Wallet {
    /// Opens the wallet in `dir` with `passphrase` (creating it on first use).
    pub fn open(
        dir: &Path,
        passphrase: &[u8],
        keystore: Arc<dyn Keystore>,
        transport: Arc<dyn Transport>,
    ) -> Result<Wallet, WalletError> {
        Wallet::open_with_kdf(dir, passphrase, KdfParams::DEFAULT, keystore, transport)
    }

    /// [`Wallet::open`] sealing a new wallet key with `kdf` (tests use
    /// [`KdfParams::INSECURE_FOR_TESTS`]).
    pub fn open_with_kdf(
        dir: &Path,
        passphrase: &[u8],
        kdf: KdfParams,
        keystore: Arc<dyn Keystore>,
        transport: Arc<dyn Transport>,
    ) -> Result<Wallet, WalletError> {
        Ok(Wallet {
            store: CredentialStore::open(dir, passphrase, kdf)?,
            keystore,
            transport,
            holder_algorithm: KeyAlgorithm::Ed25519,
            carry_anchor_receipts: false,
        })
    }

    /// The wallet making holder keys of `algorithm` (default Ed25519).
    pub fn with_holder_algorithm(mut self, algorithm: KeyAlgorithm) -> Wallet {
        self.holder_algorithm = algorithm;
        self
    }

    /// The wallet carrying each credential's anchor receipt, when it has one, beside its
    /// presentations (default: not — the receipt lengthens the QR code), for checkpoints that
    /// check anchor inclusion.
    pub fn with_anchor_receipts(mut self, carry: bool) -> Wallet {
        self.carry_anchor_receipts = carry;
        self
    }

    /// Redeems the credential offer `offer_uri` (with `tx_code` when it asks for one),
    /// verifies the credential against `trust` (the admitted authorities' keys) at `now`, and
    /// stores it.
    pub async fn receive(
        &self,
        offer_uri: &str,
        tx_code: Option<&str>,
        trust: &(dyn KeyResolver + Sync),
        now: OffsetDateTime,
    ) -> Result<CredentialSummary, WalletError> {
        let received = receive::receive(
            offer_uri,
            tx_code,
            self.holder_algorithm,
            self.keystore.as_ref(),
            self.transport.as_ref(),
            trust,
            now,
        )
        .await?;
        self.store_new(
            received.credential,
            received.key_handle,
            received.holder_did,
            received.issuer_keys,
            received.status,
            received.anchor,
            now,
        )
    }

    /// Converts the credential `id` into a credential of the jurisdiction whose conversion
    /// service is at `service_url` (`docs/conversion.md`), verifies it against `trust` (the
    /// admitted authorities' keys) at `now`, and stores it beside the source: the two halves
    /// below, one after the other.
    pub async fn convert(
        &self,
        id: &str,
        service_url: &str,
        trust: &(dyn KeyResolver + Sync),
        now: OffsetDateTime,
    ) -> Result<CredentialSummary, WalletError> {
        let prepared = self.prepare_conversion(id, service_url, now).await?;
        self.send_conversion(prepared, trust, now).await
    }

    /// The first half of [`Wallet::convert`]: fetches the service's policy and a challenge,
    /// makes the new holder key and builds the signed request (the disclosure and the
    /// holder's consent at `now`) without sending it — e.g. to show the traveller what will be
    /// disclosed before they confirm. Send it with [`Wallet::send_conversion`] before the
    /// challenge expires; dropping it deletes its holder key.
    pub async fn prepare_conversion(
        &self,
        id: &str,
        service_url: &str,
        now: OffsetDateTime,
    ) -> Result<PreparedConversion, WalletError> {
        let source = self.store.get(id)?;
        Ok(convert::prepare(
            Source {
                credential: &source.credential,
                key_handle: &source.key_handle,
                issuer_keys: &source.issuer_keys,
                anchor: source.anchor.as_ref(),
            },
            service_url,
            self.holder_algorithm,
            &self.keystore,
            self.transport.as_ref(),
            now,
        )
        .await?)
    }

    /// The second half of [`Wallet::convert`]: sends a request this wallet prepared (else
    /// [`ConvertError::OtherWallet`]), verifies the converted credential against `trust` at
    /// `now` and stores it.
    pub async fn send_conversion(
        &self,
        prepared: PreparedConversion,
        trust: &(dyn KeyResolver + Sync),
        now: OffsetDateTime,
    ) -> Result<CredentialSummary, WalletError> {
        if !prepared.made_in(&self.keystore) {
            return Err(ConvertError::OtherWallet.into());
        }
        let converted = prepared.send(self.transport.as_ref(), trust, now).await?;
        self.store_new(
            converted.credential,
            converted.key_handle,
            converted.holder_did,
            converted.issuer_keys,
            // Checked against the chain by the converting authority a moment ago.
            StatusCheck::Good,
            Some(converted.anchor),
            now,
        )
    }

    /// Stores a credential verified on arrival under a new id (its holder key is deleted when
    /// the store fails) and answers its summary.
    #[allow(clippy::too_many_arguments)]
    fn store_new(
        &self,
        credential: Value,
        key_handle: KeyHandle,
        holder_did: String,
        issuer_keys: Value,
        status: StatusCheck,
        anchor: Option<AnchorReceipt>,
        now: OffsetDateTime,
    ) -> Result<CredentialSummary, WalletError> {
        // Verified on arrival, so it is a VC 2.0 credential; core's model reads its types and
        // issuer.
        let parsed = Credential::from_value(&credential).ok();
        let stored = StoredCredential {
            id: CredentialStore::new_id(),
            types: parsed
                .as_ref()
                .map(|credential| credential.types.iter().cloned().collect())
                .unwrap_or_default(),
            issuer: parsed
                .as_ref()
                .map(|credential| credential.issuer.id().to_owned())
                .unwrap_or_default(),
            credential,
            key_handle,
            holder_did,
            received_at: now.unix_timestamp(),
            issuer_keys,
            status,
            anchor,
        };
        if let Err(err) = self.store.put(&stored) {
            let _ = self.keystore.delete(&stored.key_handle);
            return Err(err.into());
        }
        Ok(CredentialSummary::from(&stored))
    }

    /// Every credential, oldest first.
    pub fn list(&self) -> Result<Vec<CredentialSummary>, WalletError> {
        Ok(self
            .store
            .list()?
            .iter()
            .map(CredentialSummary::from)
            .collect())
    }

    /// The credential `id` as stored.
    pub fn get(&self, id: &str) -> Result<StoredCredential, WalletError> {
        Ok(self.store.get(id)?)
    }

    /// Deletes the credential `id` and its holder key (a corrupted credential's file is
    /// deleted too; its key, whose handle is unreadable, stays in the keystore).
    pub fn delete(&self, id: &str) -> Result<(), WalletError> {
        match self.store.get(id) {
            Ok(stored) => match self.keystore.delete(&stored.key_handle) {
                Ok(()) | Err(KeystoreError::UnknownKey(_)) => {}
                Err(err) => return Err(err.into()),
            },
            Err(StoreError::Corrupted { .. }) => {}
            Err(err) => return Err(err.into()),
        }
        Ok(self.store.delete(id)?)
    }

    /// The CC1 QR presentation of credential `id` disclosing `disclose` (claim names or JSON
    /// pointers), for `audience`, dynamic (signed for the time slot of `now`) or not.
    pub fn present(
        &self,
        id: &str,
        disclose: &[String],
        audience: Option<&str>,
        dynamic: bool,
        now: OffsetDateTime,
    ) -> Result<QrPresentation, WalletError> {
        self.present_carrying(
            id,
            disclose,
            audience,
            dynamic,
            self.carry_anchor_receipts,
            now,
        )
    }

    /// [`Wallet::present`], carrying the credential's anchor receipt (when its issuer gave
    /// one: [`QrPresentation::anchored`] tells) as `anchor_receipt` says rather than as the
    /// wallet was set up.
    pub fn present_carrying(
        &self,
        id: &str,
        disclose: &[String],
        audience: Option<&str>,
        dynamic: bool,
        anchor_receipt: bool,
        now: OffsetDateTime,
    ) -> Result<QrPresentation, WalletError> {
        let stored = self.store.get(id)?;
        let anchor = anchor_receipt.then_some(stored.anchor.as_ref()).flatten();
        Ok(present::present_with_anchor(
            &stored,
            self.keystore.as_ref(),
            disclose,
            audience,
            dynamic,
            now,
            anchor,
        )?)
    }
}
