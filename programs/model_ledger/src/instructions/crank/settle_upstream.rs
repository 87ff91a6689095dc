use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenInterface;

use crate::{
    book::{Book, Payment},
    errors::LedgerError,
    events::UpstreamSettled,
    instructions::reject_remaining_accounts,
    state::{Config, ModelTerms, RoyaltyBook},
    token::TokenMove,
};

#[event_cpi]
#[derive(Accounts)]
pub struct SettleUpstream<'info> {
    #[account(address = Config::ADDRESS)]
    pub config: Box<Account<'info, Config>>,
    /// The derived model that owes; its vault, mint and token program are checked against its book.
    /// CHECK: `ModelTerms::parent_position` checks owner and discriminator.
    pub child: UncheckedAccount<'info>,
    #[account(mut)]
    pub child_book: AccountLoader<'info, RoyaltyBook>,
    #[account(mut)]
    /// The child's vault, checked against its book.
    /// CHECK: `Book::require_money_accounts`; the token program checks it again.
    pub child_vault: UncheckedAccount<'info>,
    /// One of the child's parents; its book and vault are checked against its book.
    /// CHECK: found in the child's lineage; `ModelTerms::read` checks owner and discriminator.
    pub parent: UncheckedAccount<'info>,
    #[account(mut)]
    pub parent_book: AccountLoader<'info, RoyaltyBook>,
    #[account(mut)]
    /// The parent's vault, checked against its book.
    /// CHECK: `Book::require_model_and_vault`; the token program checks it again.
    pub parent_vault: UncheckedAccount<'info>,
    /// The models' payment mint (a parent shares its child's by construction).
    /// CHECK: checked against the child's book; `transfer_checked` checks it and the decimals.
    pub payment_mint: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
}

impl SettleUpstream<'_> {
    /// Checks both models' money accounts against their books and returns
    /// the parent's position in the child's lineage.
    fn validate(&self, child: &Book, parent: &Book) -> Result<usize> {
        child.require_money_accounts(
            &self.child.key(),
            &self.child_vault.key(),
            &self.payment_mint.key(),
            &self.token_program.key(),
        )?;
        parent.require_model_and_vault(&self.parent.key(), &self.parent_vault.key())?;
        require!(!self.config.paused, LedgerError::ProtocolPaused);
        ModelTerms::parent_position(&self.child, &self.parent.key())?
            .ok_or_else(|| error!(LedgerError::ParentMismatch))
    }
}

/// Permissionless crank: moves what a child model owes one parent from the
/// child's vault into the parent's, booked there as a payment of the parent
/// (so it flows on to the grandparents through their own settlement).
///
/// Royalties propagate relatively: a grandparent earns its bps of what its
/// child (our parent) receives, not a fixed share of every descendant's
/// revenue. Each link is priced by the one licence it was made under, which
/// only the two parties of that link agreed to; absolute ancestor shares
/// (Story-style) would let a grandparent's terms reach into derivatives it
/// never licensed directly and make royalty totals depend on tree depth.
///
/// Specification:
/// - Anyone may call it; refused while the protocol is paused (`ProtocolPaused`).
/// - The parent must be one of the child's parents, else `ParentMismatch`.
/// - Books and vaults must be the models' own (`BookMismatch`, `VaultMismatch`); mint and
///   token program the child's (`MintMismatch`); parents share the child's mint by construction.
/// - Moves exactly the amount owed, by `transfer_checked` signed by the child PDA, and books it
///   in the parent with no protocol fee and no attribution.
/// - Idempotent: with nothing owed it moves nothing and books nothing.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `UpstreamSettled`.
pub fn handle_settle_upstream(ctx: Context<SettleUpstream>) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    let accounts = &ctx.accounts;
    let child_book_info = accounts.child_book.to_account_info();
    let mut child_book = Book::load(&child_book_info)?;
    let parent_book_info = accounts.parent_book.to_account_info();
    let mut parent_book = Book::load(&parent_book_info)?;
    let position = accounts.validate(&child_book, &parent_book)?;

    let amount = child_book.settle_upstream(position)?;
    child_book.commit(&accounts.child.key())?;

    let payment = if amount > 0 {
        TokenMove::new(&accounts.token_program, &accounts.payment_mint, &child_book).pay_out(
            &child_book,
            accounts.child_vault.as_ref(),
            accounts.parent_vault.as_ref(),
            amount,
        )?;
        let payment = parent_book.pay(Payment {
            amount,
            fee_bps: 0,
            terms: &ModelTerms::read(&accounts.parent)?,
            attribution: &[],
        })?;
        parent_book.commit(&accounts.parent.key())?;
        payment
    } else {
        parent_book.payment_record(0, &Default::default(), 0)
    };

    emit_event!(
        ctx,
        UpstreamSettled {
            child: ctx.accounts.child.key(),
            parent: ctx.accounts.parent.key(),
            parent_position: u8::try_from(position)
                .map_err(|_| error!(LedgerError::MathOverflow))?,
            amount,
            payment,
        }
    );
    Ok(())
}
