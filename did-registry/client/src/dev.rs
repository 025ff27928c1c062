//! The dev chain's authorities: [`RegistryClient::admit_dev_authorities`] registers the dev
//! authority issuer of each dev jurisdiction ([`DevAuthority`]) and has the consortium admit
//! it, so that `crosscode issuer serve --dev JURISDICTION` can issue at once against
//! `crosscode node --dev`.

use crosscode_did_registry::dev::{AUTHORITY_CHAIN_KEY_FRAGMENT, DevAuthority, DevMember};
use crosscode_did_registry::document::RegistryDid;
use crosscode_did_registry::governance::GovernanceAction;
use crosscode_did_registry::records::ProposalStatus;

use crate::{ClientError, RegistryClient, ResolutionErrorCode};

/// How many blocks a dev admission proposal stays open.
const DEV_VOTING_PERIOD: u64 = 1_000;

impl RegistryClient {
    /// Registers and admits the dev authority of every member's jurisdiction, proposed by that
    /// member and approved by the others until the threshold is reached. Idempotent: a
    /// registered authority is not registered again, an admitted one not proposed again (a
    /// restart after an interruption finishes the work). Answers the authorities' DIDs.
    pub async fn admit_dev_authorities(
        &self,
        members: &[DevMember],
        genesis_time: u64,
    ) -> Result<Vec<RegistryDid>, ClientError> {
        let chain = self.chain_info().await?;
        let mut dids = Vec::with_capacity(members.len());
        for (position, member) in members.iter().enumerate() {
            let authority = DevAuthority::derive(chain.profile, &member.jurisdiction);
            match self.resolve_document(authority.did.as_str(), None).await {
                Ok(_) => {}
                Err(ClientError::Resolution {
                    error: ResolutionErrorCode::NotFound,
                    ..
                }) => {
                    self.register_document(
                        &authority.chain_key,
                        AUTHORITY_CHAIN_KEY_FRAGMENT,
                        authority.document(),
                    )
                    .await?;
                }
                Err(err) => return Err(err),
            }
            let admitted = self
                .issuers()
                .await?
                .iter()
                .any(|entry| entry.did == authority.did);
            if !admitted {
                let action = GovernanceAction::AdmitIssuer {
                    issuer: authority.did.clone(),
                    scope: authority.scope(genesis_time),
                };
                let proposed = self
                    .propose(&member.key, Some(&member.did), action, DEV_VOTING_PERIOD)
                    .await?;
                let mut status = proposed.status;
                let voters = members
                    .iter()
                    .enumerate()
                    .filter(|(other, _)| *other != position)
                    .map(|(_, voter)| voter);
                for voter in voters {
                    if status != ProposalStatus::Open {
                        break;
                    }
                    status = self
                        .vote(&voter.key, Some(&voter.did), proposed.id, true)
                        .await?
                        .status;
                }
            }
            dids.push(authority.did);
        }
        Ok(dids)
    }
}
