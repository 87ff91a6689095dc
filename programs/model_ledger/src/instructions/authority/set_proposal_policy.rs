use anchor_lang::prelude::*;

use crate::{
    book::Book,
    errors::LedgerError,
    events::ProposalPolicySet,
    instructions::reject_remaining_accounts,
    state::{Model, ProposalPolicy, RoyaltyBook},
};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SetProposalPolicyArgs {
    pub policy: ProposalPolicy,
}

#[event_cpi]
#[derive(Accounts)]
pub struct SetProposalPolicy<'info> {
    pub authority: Signer<'info>,
    /// The model whose proposals the policy governs.
    /// CHECK: a model of this program whose authority signs, read from its fixed prefix.
    #[account(
        constraint = Model::authority_of(&model)? == authority.key() @ LedgerError::NotModelAuthority,
    )]
    pub model: UncheckedAccount<'info>,
    /// The model's book, where the policy is kept (checked in the handler).
    #[account(mut)]
    pub royalty_book: AccountLoader<'info, RoyaltyBook>,
}

/// The model authority chooses who may propose contributions: anyone
/// (`Open`, the default), the wallets it allows (`AllowListed`, each with a
/// permit from `allow_proposer`), or itself alone (`Closed`).
///
/// Specification:
/// - Only the model authority may sign, else `NotModelAuthority`.
/// - The book must be the model's, else `BookMismatch`.
/// - Proposals made after it follow the new policy; contributions already proposed stay.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `ProposalPolicySet` with the previous and the new policy.
pub fn handle_set_proposal_policy(
    ctx: Context<SetProposalPolicy>,
    args: SetProposalPolicyArgs,
) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    let model = ctx.accounts.model.key();
    let book_info = ctx.accounts.royalty_book.to_account_info();
    let mut book = Book::load(&book_info)?;
    require_keys_eq!(book.header().model, model, LedgerError::BookMismatch);
    let previous_policy = book.set_proposal_policy(args.policy)?;
    book.commit(&model)?;

    emit_event!(
        ctx,
        ProposalPolicySet {
            model,
            previous_policy,
            policy: args.policy,
        }
    );
    Ok(())
}
