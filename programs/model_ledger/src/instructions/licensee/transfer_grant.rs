use anchor_lang::prelude::*;

use crate::{
    errors::LedgerError, events::GrantTransferred, instructions::reject_remaining_accounts,
    state::Grant,
};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TransferGrantArgs {
    pub new_licensee: Pubkey,
}

#[event_cpi]
#[derive(Accounts)]
pub struct TransferGrant<'info> {
    pub licensee: Signer<'info>,
    #[account(mut, has_one = licensee @ LedgerError::NotLicensee)]
    pub grant: Box<Account<'info, Grant>>,
}

/// The licensee hands its grant to another wallet, where its licence says
/// grants are transferable.
///
/// The grant keeps its address (derived from the licence and the original
/// buyer), its terms, expiry, calls used and sequence number: a batch
/// numbering never restarts, so a batch recorded before the transfer can
/// never be paid again after it.
/// Because the address stays derived from the first buyer, that buyer cannot
/// buy the same licence version again (its grant address is taken); it can
/// buy another version, or be handed a grant back.
///
/// Specification:
/// - Only the grant's licensee may sign, else `NotLicensee`.
/// - The grant's licence must allow transfer (`transferable`), else `GrantNotTransferable`.
/// - The new licensee must differ from the current one, else `LicenseeUnchanged`.
/// - The meter key is cleared: the new licensee names its own.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `GrantTransferred`.
pub fn handle_transfer_grant(ctx: Context<TransferGrant>, args: TransferGrantArgs) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    let grant = &mut ctx.accounts.grant;
    require!(grant.transferable, LedgerError::GrantNotTransferable);
    require_keys_neq!(
        args.new_licensee,
        grant.licensee,
        LedgerError::LicenseeUnchanged
    );
    let previous_licensee = grant.licensee;
    let previous_meter = grant.meter.take();
    grant.licensee = args.new_licensee;
    grant.invariant()?;

    emit_event!(
        ctx,
        GrantTransferred {
            grant: grant.key(),
            previous_licensee,
            licensee: grant.licensee,
            previous_meter,
            calls_used: grant.calls_used,
            next_seq: grant.next_seq,
        }
    );
    Ok(())
}
