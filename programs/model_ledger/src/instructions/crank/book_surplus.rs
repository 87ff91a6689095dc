use anchor_lang::prelude::*;

use crate::{
    book::Payment,
    events::SurplusBooked,
    instructions::{reject_remaining_accounts, require_fees_within_whole},
    state::{Config, ModelTerms},
};

#[event_cpi]
#[derive(Accounts)]
pub struct BookSurplus<'info> {
    #[account(address = Config::ADDRESS)]
    pub config: Box<Account<'info, Config>>,
    /// The model whose surplus is booked.
    /// CHECK: `ModelTerms::read` checks owner and discriminator.
    pub model: UncheckedAccount<'info>,
    /// The model's book, vault, mint and token program, checked against the book.
    pub money: crate::instructions::ModelMoney<'info>,
}

/// Permissionless crank: books what arrived in a model's vault outside the
/// protocol (a plain transfer: a donation, or tokens sent by mistake) as a
/// payment of the model, so the book accounts for every token again and the
/// tokens reach the model's contributors, parents and the treasury like any
/// payment instead of sitting unaccounted for good.
///
/// Specification:
/// - Anyone may call it; refused while the protocol is paused (`ProtocolPaused`), like
///   every payment.
/// - Book, vault, mint and token program must be the model's (`BookMismatch`,
///   `VaultMismatch`, `MintMismatch`).
/// - The surplus is the vault's balance less what the book holds (received less paid
///   out); it is booked as a first-hop payment without attribution: protocol fee,
///   parents' royalties, shares. Fee plus royalties must not exceed 100 % (`FeesExceedWhole`).
/// - With no surplus it books nothing and succeeds.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `SurplusBooked` with the booked payment.
pub fn handle_book_surplus(ctx: Context<BookSurplus>) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    let accounts = &ctx.accounts;
    let mut book = accounts.money.book(&accounts.model.key())?;
    let terms = ModelTerms::read(&accounts.model)?;
    accounts.config.require_running()?;
    let fee_bps = accounts.config.protocol_fee_bps;
    require_fees_within_whole(fee_bps, terms.parent_bps().iter().copied())?;

    let amount = book.surplus(accounts.money.vault_balance()?)?;
    let payment = if amount > 0 {
        book.pay(Payment {
            amount,
            fee_bps,
            terms: &terms,
            attribution: &[],
        })?
    } else {
        book.payment_record(0, &Default::default(), 0)
    };
    book.commit(&accounts.model.key())?;

    emit_event!(
        ctx,
        SurplusBooked {
            model: ctx.accounts.model.key(),
            amount,
            payment,
        }
    );
    Ok(())
}
