//! [`Trust`]: what the wallet verifies credentials on arrival against — the admitted
//! authorities' verification methods as a trust-cache JSON document (docs/trust-cache.md), e.g.
//! synced from the registry chain by the app.

use std::sync::Arc;

use crosscode_core::did::TrustCache;

use crate::error::WalletError;

/// The keys of the authorities a wallet trusts.
#[derive(Debug, uniffi::Object)]
pub struct Trust {
    pub(crate) cache: TrustCache,
}

#[uniffi::export]
impl Trust {
    /// Loads a trust-cache JSON document; `invalid_trust` when it does not load.
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Trust>, WalletError> {
        let cache = TrustCache::from_json(&json)
            .map_err(|err| WalletError::new("invalid_trust", err.to_string()))?;
        Ok(Arc::new(Trust { cache }))
    }

    /// How many verification methods it holds.
    pub fn len(&self) -> u64 {
        self.cache.len() as u64
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }
}
