//! The [`ChainSource`] of a registry node over HTTP: [`RegistryClient`]'s chain, block,
//! transactions, proofs (`POST /v1/proofs`, 256 keys a request) and issuers routes.

use super::{ChainSource, SourceBlock, SyncError};
use crosscode_did_registry::api::BlockTransactions;
use crosscode_did_registry::document::RegistryDid;
use crosscode_did_registry::proof::ProofBundle;
use crosscode_did_registry::records::IssuerRecord;
use crosscode_registry_client::{ClientError, RegistryClient};

fn source(error: ClientError) -> SyncError {
    SyncError::Source(error.to_string())
}

impl ChainSource for RegistryClient {
    async fn head(&self) -> Result<(u64, [u8; 32]), SyncError> {
        let info = self.chain_info().await.map_err(source)?;
        Ok((info.height, info.header_hash))
    }

    async fn block(&self, height: u64) -> Result<SourceBlock, SyncError> {
        let block = RegistryClient::block(self, height).await.map_err(source)?;
        Ok(SourceBlock {
            header: block.header,
            certificate: block.certificate,
            transactions: block.transactions,
        })
    }

    async fn transactions(&self, height: u64) -> Result<BlockTransactions, SyncError> {
        self.block_transactions(height).await.map_err(source)
    }

    async fn prove(&self, keys: &[Vec<u8>], height: u64) -> Result<ProofBundle, SyncError> {
        RegistryClient::prove(self, keys, height)
            .await
            .map_err(source)
    }

    async fn listed_issuers(&self) -> Result<Vec<(RegistryDid, IssuerRecord)>, SyncError> {
        Ok(self
            .issuers()
            .await
            .map_err(source)?
            .into_iter()
            .map(|entry| (entry.did, entry.record))
            .collect())
    }
}
