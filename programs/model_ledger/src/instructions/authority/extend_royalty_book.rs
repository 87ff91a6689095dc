use anchor_lang::prelude::*;

use crate::{
    account_init::Creation,
    book::Book,
    errors::LedgerError,
    events::RoyaltyBookExtended,
    instructions::reject_remaining_accounts,
    math::SafeMath,
    state::{Model, RoyaltyBook, MAX_ENTRIES_PER_GROWTH},
};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ExtendRoyaltyBookArgs {
    /// Entries to add (1..=160).
    pub additional: u32,
}

#[event_cpi]
#[derive(Accounts)]
pub struct ExtendRoyaltyBook<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(
        has_one = authority @ LedgerError::NotModelAuthority,
        has_one = royalty_book @ LedgerError::BookMismatch,
    )]
    pub model: Box<Account<'info, Model>>,
    #[account(mut)]
    pub royalty_book: AccountLoader<'info, RoyaltyBook>,
    pub system_program: Program<'info, System>,
}

/// Adds room to the royalty book ahead of acceptances, for an authority that
/// accepts a contribution far beyond the book's current end (one
/// instruction can grow an account by 10 KiB only).
///
/// Specification:
/// - Only the model authority may sign (`NotModelAuthority`), paying the rent; the book must
///   be the model's (`BookMismatch`).
/// - `additional` must be 1..=160, else `BookGrowthTooLarge`.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `RoyaltyBookExtended` with the new entry count.
pub fn handle_extend_royalty_book(
    ctx: Context<ExtendRoyaltyBook>,
    args: ExtendRoyaltyBookArgs,
) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    require!(
        (1..=MAX_ENTRIES_PER_GROWTH).contains(&args.additional),
        LedgerError::BookGrowthTooLarge
    );
    let book_info = ctx.accounts.royalty_book.to_account_info();
    let mut book = Book::load(&book_info)?;
    let entry_count = book.entry_count().safe_add(args.additional)?;
    let creation = Creation {
        payer: &ctx.accounts.authority.to_account_info(),
        system_program: &ctx.accounts.system_program.to_account_info(),
    };
    book.grow_to(entry_count, &creation)?;
    book.commit(&ctx.accounts.model.key())?;

    emit_event!(
        ctx,
        RoyaltyBookExtended {
            model: ctx.accounts.model.key(),
            entry_count,
        }
    );
    Ok(())
}
