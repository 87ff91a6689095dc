use anchor_lang::prelude::*;

use crate::{
    errors::LedgerError, events::PayoutWalletSet, instructions::reject_remaining_accounts,
    state::Contribution,
};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SetPayoutWalletArgs {
    pub payout_wallet: Pubkey,
}

#[event_cpi]
#[derive(Accounts)]
pub struct SetPayoutWallet<'info> {
    pub contributor: Signer<'info>,
    #[account(mut, has_one = contributor @ LedgerError::NotContributor)]
    pub contribution: Box<Account<'info, Contribution>>,
}

impl SetPayoutWallet<'_> {
    fn validate(&self, args: &SetPayoutWalletArgs) -> Result<()> {
        require_keys_neq!(
            args.payout_wallet,
            self.contribution.payout_wallet,
            LedgerError::PayoutWalletUnchanged
        );
        Ok(())
    }
}

/// The contributor names the wallet that receives the contribution's royalties.
///
/// Specification:
/// - Only the contributor may sign, else `NotContributor`.
/// - The new wallet must differ from the current one, else `PayoutWalletUnchanged`.
/// - Allowed in every status: a revoked contribution still has earnings to claim.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `PayoutWalletSet`.
pub fn handle_set_payout_wallet(
    ctx: Context<SetPayoutWallet>,
    args: SetPayoutWalletArgs,
) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    ctx.accounts.validate(&args)?;

    let contribution = &mut ctx.accounts.contribution;
    let previous_payout_wallet = contribution.payout_wallet;
    contribution.payout_wallet = args.payout_wallet;
    contribution.invariant()?;

    emit_event!(
        ctx,
        PayoutWalletSet {
            model: contribution.model,
            contribution: contribution.key(),
            index: contribution.index,
            previous_payout_wallet,
            payout_wallet: contribution.payout_wallet,
        }
    );
    Ok(())
}
