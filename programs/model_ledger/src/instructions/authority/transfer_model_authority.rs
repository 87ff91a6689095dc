use anchor_lang::prelude::*;

use crate::{
    errors::LedgerError, events::ModelAuthorityTransferProposed,
    instructions::reject_remaining_accounts, state::Model,
};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TransferModelAuthorityArgs {
    /// The proposed next authority; `None` cancels a pending proposal.
    pub new_authority: Option<Pubkey>,
}

#[event_cpi]
#[derive(Accounts)]
pub struct TransferModelAuthority<'info> {
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ LedgerError::NotModelAuthority)]
    pub model: Box<Account<'info, Model>>,
}

impl TransferModelAuthority<'_> {
    fn validate(&self, args: &TransferModelAuthorityArgs) -> Result<()> {
        require!(
            args.new_authority != Some(self.model.authority),
            LedgerError::AuthorityUnchanged
        );
        Ok(())
    }
}

/// First step of a model authority transfer: names the wallet that may take over.
///
/// Specification:
/// - Only the current model authority may sign, else `NotModelAuthority`.
/// - Proposing the current authority is refused with `AuthorityUnchanged`.
/// - The authority does not change until the proposed wallet accepts; a new proposal
///   replaces an older one and `None` cancels it.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `ModelAuthorityTransferProposed`.
pub fn handle_transfer_model_authority(
    ctx: Context<TransferModelAuthority>,
    args: TransferModelAuthorityArgs,
) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    ctx.accounts.validate(&args)?;

    let model = &mut ctx.accounts.model;
    model.pending_authority = args.new_authority;
    model.invariant()?;

    emit_event!(
        ctx,
        ModelAuthorityTransferProposed {
            model: model.key(),
            authority: model.authority,
            pending_authority: model.pending_authority,
        }
    );
    Ok(())
}
