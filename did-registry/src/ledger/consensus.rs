//! The ledger under a multi-validator engine: a proposer builds a block without committing it
//! ([`Ledger::build_block`]), every validator re-executes a proposal before it votes
//! ([`Ledger::check_block`]), and the decided block commits with its certificate and the
//! previous block's certificate its value carried ([`Ledger::apply_decided_block`]).

use super::{Block, Ledger, LedgerError, LedgerStore, TxOutcome, header_matches};
use crate::block::{CertificateError, CommitCertificate, SignatureVerifier, verify_certificate};
use crate::codec::DecodeError;
use crate::records::StateKey;
use crate::state::META_VALIDATORS;
use crate::transaction::SignedTransaction;
use crate::validators::ValidatorSet;

impl<S: LedgerStore> Ledger<S> {
    /// The validator set that signs block `height` (the set in force after block
    /// `height - 1`), for any committed height and the next one.
    pub fn validators_at(&self, height: u64) -> Result<ValidatorSet, LedgerError> {
        if height == 0 || height > self.head.height + 1 {
            return Err(LedgerError::UnknownHeight { height });
        }
        if height == self.head.height + 1 {
            return self.validators();
        }
        let key = StateKey::meta(META_VALIDATORS);
        let (value, _) = self.tree.get_with_proof(key.as_bytes(), height - 1)?;
        let bytes = value.ok_or(LedgerError::Corrupt(DecodeError::Invalid {
            what: "validator set",
            reason: "missing",
        }))?;
        ValidatorSet::decode_for(self.config().profile, &bytes).map_err(LedgerError::Corrupt)
    }

    /// Builds the next block at `time` from `candidates` as [`Ledger::produce_block`] does, but
    /// commits nothing: what a proposer offers to a multi-validator engine, which decides it
    /// later ([`Ledger::apply_block`] then commits it with its certificate).
    pub fn build_block(
        &mut self,
        candidates: Vec<SignedTransaction>,
        time: u64,
    ) -> Result<(Block, Vec<TxOutcome>), LedgerError> {
        let validators = self.validators()?;
        let mut executed = self.run_candidates(candidates, time)?;
        let built = self.header_for(&mut executed, &validators);
        self.state.rollback_changes();
        let (header, _, _) = built?;
        Ok((
            Block {
                header,
                transactions: executed.included.transactions,
            },
            executed.outcomes,
        ))
    }

    /// Re-executes a block another validator proposes, committing nothing: it must extend the
    /// head, every transaction must be accepted, and the header must be the one recomputed
    /// (transactions root, state root, validator sets and the rest); the previous block's
    /// certificate it carries, if any, must certify the head. What a validator checks before
    /// it votes for a proposal.
    pub fn check_block(
        &mut self,
        block: &Block,
        previous_certificate: Option<&CommitCertificate>,
        verifier: &dyn SignatureVerifier,
    ) -> Result<(), LedgerError> {
        self.check_extends(&block.header)?;
        self.check_previous(previous_certificate, verifier)?;
        let validators = self.validators()?;
        let mut executed = self.run_block(block)?;
        let checked = self
            .header_for(&mut executed, &validators)
            .and_then(|(computed, _, _)| header_matches(&computed, &block.header));
        self.state.rollback_changes();
        checked
    }

    /// [`Ledger::apply_block`] for a block a multi-validator engine decided together with the
    /// previous block's certificate it carried: that certificate, when it certifies the head
    /// (by the set that signed it), replaces the one stored with the head, in the same write;
    /// one that does not is ignored (the decided block is not refused for it). Each validator
    /// first stores the certificate it gathered itself; the one the next block carries is the
    /// same everywhere, so every validator then serves the same proofs.
    pub fn apply_decided_block(
        &mut self,
        block: &Block,
        certificate: &CommitCertificate,
        previous_certificate: Option<&CommitCertificate>,
        verifier: &dyn SignatureVerifier,
    ) -> Result<(), LedgerError> {
        self.check_extends(&block.header)?;
        let previous_certificate = previous_certificate
            .filter(|previous| self.check_previous(Some(previous), verifier).is_ok());
        let validators = self.validators()?;
        let profile = self.config().profile;
        let chain_id = self.config().chain_id.clone();
        verify_certificate(
            profile,
            &chain_id,
            &block.header,
            certificate,
            &validators,
            verifier,
        )?;
        let mut executed = self.run_block(block)?;
        let result =
            self.header_for(&mut executed, &validators)
                .and_then(|(computed, changes, update)| {
                    header_matches(&computed, &block.header)?;
                    self.write(
                        computed,
                        executed.included,
                        certificate.clone(),
                        previous_certificate,
                        changes,
                        update,
                    )
                });
        match result {
            Ok(_) => Ok(()),
            Err(err) => {
                self.state.rollback_changes();
                Err(err)
            }
        }
    }

    /// Whether `certificate`, if any, certifies the head (by the set that signed it).
    fn check_previous(
        &self,
        certificate: Option<&CommitCertificate>,
        verifier: &dyn SignatureVerifier,
    ) -> Result<(), LedgerError> {
        let Some(certificate) = certificate else {
            return Ok(());
        };
        if self.head.height == 0 {
            return Err(LedgerError::Certificate(CertificateError::HeightMismatch));
        }
        verify_certificate(
            self.config().profile,
            &self.config().chain_id,
            &self.head,
            certificate,
            &self.validators_at(self.head.height)?,
            verifier,
        )?;
        Ok(())
    }
}
