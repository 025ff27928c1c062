//! The governance family: consortium members propose actions (admit, suspend, reinstate or
//! re-scope an issuer, change the validator set) and vote on them; an action takes effect in the
//! transaction that brings its approvals to the genesis threshold.

use super::{
    BlockContext, Event, META_NEXT_PROPOSAL, META_VALIDATORS, Pending, Rejection, malformed,
};
use crate::document::RegistryDid;
use crate::governance::GovernanceAction;
use crate::records::{
    ChainConfig, DidRecord, IssuerRecord, ProposalRecord, ProposalStatus, StateKey,
};
use crate::validators::ValidatorSet;

/// Refuses a sender that is not a consortium member.
fn require_member(pending: &Pending<'_>, sender: &RegistryDid) -> Result<(), Rejection> {
    if pending.exists(&StateKey::member(sender)) {
        Ok(())
    } else {
        Err(Rejection::NotAuthorised {
            reason: "not a consortium member",
        })
    }
}

/// Checks that `action` can take effect now.
fn check_action(
    pending: &Pending<'_>,
    config: &ChainConfig,
    action: &GovernanceAction,
) -> Result<(), Rejection> {
    let issuer_record = |issuer: &RegistryDid| -> Result<Option<IssuerRecord>, Rejection> {
        pending.read(&StateKey::issuer(issuer))
    };
    match action {
        GovernanceAction::AdmitIssuer { issuer, scope } => {
            scope.check().map_err(malformed)?;
            let did: DidRecord = pending
                .read(&StateKey::did(issuer))?
                .ok_or(Rejection::UnknownDid)?;
            if did.deactivated {
                return Err(Rejection::DidDeactivated);
            }
            if issuer_record(issuer)?.is_some() {
                return Err(Rejection::IssuerAlreadyAdmitted);
            }
        }
        GovernanceAction::SuspendIssuer { issuer } => {
            let record = issuer_record(issuer)?.ok_or(Rejection::IssuerNotAdmitted)?;
            if record.suspended {
                return Err(Rejection::IssuerSuspension);
            }
        }
        GovernanceAction::ReinstateIssuer { issuer } => {
            let record = issuer_record(issuer)?.ok_or(Rejection::IssuerNotAdmitted)?;
            if !record.suspended {
                return Err(Rejection::IssuerSuspension);
            }
        }
        GovernanceAction::RescopeIssuer { issuer, scope } => {
            scope.check().map_err(malformed)?;
            issuer_record(issuer)?.ok_or(Rejection::IssuerNotAdmitted)?;
        }
        GovernanceAction::SetValidators { validators } => {
            ValidatorSet::new(config.profile, validators.clone())
                .map_err(Rejection::InvalidValidatorSet)?;
        }
    }
    Ok(())
}

/// Checks `action` again and makes it take effect.
fn execute_action(
    pending: &mut Pending<'_>,
    config: &ChainConfig,
    ctx: &BlockContext,
    action: &GovernanceAction,
) -> Result<Vec<Event>, Rejection> {
    check_action(pending, config, action)?;
    let mut update_issuer =
        |issuer: &RegistryDid, change: &dyn Fn(&mut IssuerRecord)| -> Result<(), Rejection> {
            let mut record: IssuerRecord = pending
                .read(&StateKey::issuer(issuer))?
                .ok_or(Rejection::IssuerNotAdmitted)?;
            change(&mut record);
            record.updated_height = ctx.height;
            pending.put(StateKey::issuer(issuer), &record);
            Ok(())
        };
    match action {
        GovernanceAction::AdmitIssuer { issuer, scope } => {
            pending.put(
                StateKey::issuer(issuer),
                &IssuerRecord {
                    scope: scope.clone(),
                    suspended: false,
                    admitted_height: ctx.height,
                    updated_height: ctx.height,
                },
            );
            Ok(vec![])
        }
        GovernanceAction::SuspendIssuer { issuer } => {
            update_issuer(issuer, &|r| r.suspended = true)?;
            Ok(vec![])
        }
        GovernanceAction::ReinstateIssuer { issuer } => {
            update_issuer(issuer, &|r| r.suspended = false)?;
            Ok(vec![])
        }
        GovernanceAction::RescopeIssuer { issuer, scope } => {
            update_issuer(issuer, &|r: &mut IssuerRecord| r.scope = scope.clone())?;
            Ok(vec![])
        }
        GovernanceAction::SetValidators { validators } => {
            let set = ValidatorSet::new(config.profile, validators.clone())
                .map_err(Rejection::InvalidValidatorSet)?;
            pending.put(StateKey::meta(META_VALIDATORS), &set);
            Ok(vec![Event::ValidatorSetChanged])
        }
    }
}

/// `Propose`: a member opens a proposal (its own approval counts; executed at once when that
/// reaches the threshold).
pub(super) fn propose(
    pending: &mut Pending<'_>,
    config: &ChainConfig,
    ctx: &BlockContext,
    sender: &RegistryDid,
    action: &GovernanceAction,
    voting_period: u64,
) -> Result<Vec<Event>, Rejection> {
    require_member(pending, sender)?;
    if voting_period == 0 || voting_period > config.max_voting_period {
        return Err(malformed("voting period out of range"));
    }
    check_action(pending, config, action)?;
    let id = pending
        .read::<u64>(&StateKey::meta(META_NEXT_PROPOSAL))?
        .unwrap_or(0);
    pending.put(
        StateKey::meta(META_NEXT_PROPOSAL),
        &id.checked_add(1)
            .ok_or(malformed("proposal numbers exhausted"))?,
    );
    let mut proposal = ProposalRecord {
        action: action.clone(),
        proposer: sender.clone(),
        opened_height: ctx.height,
        closes_height: ctx.height.saturating_add(voting_period),
        approvals: vec![sender.clone()],
        rejections: vec![],
        status: ProposalStatus::Open,
    };
    let mut events = vec![Event::ProposalOpened { id }];
    if proposal.approvals.len() >= config.governance_threshold as usize {
        events.extend(execute_action(pending, config, ctx, action)?);
        proposal.status = ProposalStatus::Executed;
        events.push(Event::ProposalExecuted { id });
    }
    pending.put(StateKey::proposal(id), &proposal);
    Ok(events)
}

/// `Vote`: a member approves or rejects an open proposal once.
pub(super) fn vote(
    pending: &mut Pending<'_>,
    config: &ChainConfig,
    ctx: &BlockContext,
    sender: &RegistryDid,
    id: u64,
    approve: bool,
) -> Result<Vec<Event>, Rejection> {
    require_member(pending, sender)?;
    let mut proposal: ProposalRecord = pending
        .read(&StateKey::proposal(id))?
        .ok_or(Rejection::UnknownProposal { id })?;
    if proposal.status != ProposalStatus::Open || ctx.height > proposal.closes_height {
        return Err(Rejection::ProposalClosed { id });
    }
    if proposal.approvals.contains(sender) || proposal.rejections.contains(sender) {
        return Err(Rejection::AlreadyVoted { id });
    }
    let mut events = vec![Event::Voted { id, approve }];
    let threshold = config.governance_threshold as usize;
    if approve {
        proposal.approvals.push(sender.clone());
        if proposal.approvals.len() >= threshold {
            events.extend(execute_action(pending, config, ctx, &proposal.action)?);
            proposal.status = ProposalStatus::Executed;
            events.push(Event::ProposalExecuted { id });
        }
    } else {
        proposal.rejections.push(sender.clone());
        let members = config.member_count as usize;
        if proposal.rejections.len() > members.saturating_sub(threshold) {
            proposal.status = ProposalStatus::Rejected;
            events.push(Event::ProposalRejected { id });
        }
    }
    pending.put(StateKey::proposal(id), &proposal);
    Ok(events)
}

/// The issuer record of `sender` if it is admitted and not suspended.
pub(super) fn active_issuer(
    pending: &Pending<'_>,
    sender: &RegistryDid,
) -> Result<IssuerRecord, Rejection> {
    let record: IssuerRecord =
        pending
            .read(&StateKey::issuer(sender))?
            .ok_or(Rejection::NotAuthorised {
                reason: "not an admitted issuer",
            })?;
    if record.suspended {
        return Err(Rejection::NotAuthorised {
            reason: "issuer suspended",
        });
    }
    Ok(record)
}
