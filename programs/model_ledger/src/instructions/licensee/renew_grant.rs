use anchor_lang::prelude::*;

use crate::{
    book::Payment,
    errors::LedgerError,
    events::GrantRenewed,
    instructions::{check_quote, reject_remaining_accounts, AcquireGrantArgs},
    math::SafeMath,
    state::{Config, Grant, License, ModelTerms},
    token::require_holds_mint,
};

#[event_cpi]
#[derive(Accounts)]
pub struct RenewGrant<'info> {
    pub licensee: Signer<'info>,
    #[account(address = Config::ADDRESS)]
    pub config: Box<Account<'info, Config>>,
    /// The licence's model; its payment terms are read from its bytes.
    /// CHECK: `has_one` on the licence; `ModelTerms::read` checks owner and discriminator.
    pub model: UncheckedAccount<'info>,
    #[account(has_one = model @ LedgerError::ModelMismatch)]
    pub license: Box<Account<'info, License>>,
    #[account(
        mut,
        has_one = licensee @ LedgerError::NotLicensee,
        has_one = license @ LedgerError::LicenseVersionMismatch,
    )]
    pub grant: Box<Account<'info, Grant>>,
    /// The model's book, vault, mint and token program, checked against the book.
    pub money: crate::instructions::ModelMoney<'info>,
    /// Pays the fee: a token account of the payment mint; the licensee signs for it as owner or delegate.
    /// CHECK: `require_holds_mint`; the transfer checks owner or delegate.
    #[account(mut)]
    pub payer_token: UncheckedAccount<'info>,
}

/// Renews a grant on the same licence version: the licensee pays the
/// up-front fee again and gets a new term of the same licence — the expiry
/// moves on by the licence's duration from the later of now and the current
/// expiry, and the call allowance starts again. One grant per licence and
/// licensee means a host whose grant expired or ran out of calls renews it
/// instead of buying a second one; its batch numbering continues.
///
/// Specification:
/// - Only the grant's licensee may sign, else `NotLicensee`; the licence must be the grant's
///   (`LicenseVersionMismatch`) and the model's (`ModelMismatch`); book, vault, mint and
///   token program must be the model's (`BookMismatch`, `VaultMismatch`, `MintMismatch`).
/// - The same guards as a purchase: refused while paused (`ProtocolPaused`), on a retired
///   licence (`LicenseRetired`), on another version than `expected_version`
///   (`LicenseVersionMismatch`), above `max_fee` (`FeeAboveLimit`) or `max_price_per_call`
///   (`PriceAboveLimit`), with fee plus royalties above 100 % (`FeesExceedWhole`).
/// - The fee moves into the vault by one `transfer_checked` and is booked like a purchase's.
/// - `calls_used` restarts at 0; `expires_at` becomes max(now, expires_at) + duration (never
///   expires when the duration is 0); `next_seq` and `total_paid` carry on.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `GrantRenewed` with the booked payment.
pub fn handle_renew_grant(ctx: Context<RenewGrant>, args: AcquireGrantArgs) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    let accounts = &ctx.accounts;
    let mut book = accounts.money.book(&accounts.model.key())?;
    let model_terms = ModelTerms::read(&accounts.model)?;
    require_holds_mint(
        &accounts.payer_token,
        &accounts.money.payment_mint.key(),
        &accounts.money.token_program.key(),
    )?;
    check_quote(&accounts.config, &model_terms, &accounts.license, &args)?;

    let terms = &accounts.license.terms;
    let fee = terms.upfront_fee;
    let payment = book.pay(Payment {
        amount: fee,
        fee_bps: accounts.config.protocol_fee_bps,
        terms: &model_terms,
        attribution: &[],
    })?;
    book.commit(&accounts.model.key())?;
    accounts.money.transfers(&book).take_payment(
        &accounts.payer_token.to_account_info(),
        &accounts.licensee.to_account_info(),
        accounts.money.vault.as_ref(),
        fee,
    )?;

    let now = Clock::get()?.unix_timestamp;
    let start = accounts
        .grant
        .expires_at
        .map_or(now, |expiry| expiry.max(now));
    let expires_at = terms.term_end(start)?;
    let grant = &mut ctx.accounts.grant;
    grant.expires_at = expires_at;
    grant.calls_used = 0;
    grant.total_paid = grant.total_paid.safe_add(u128::from(fee))?;
    grant.invariant()?;

    emit_event!(
        ctx,
        GrantRenewed {
            grant: grant.key(),
            licensee: grant.licensee,
            license_version: grant.license_version,
            expires_at: grant.expires_at,
            total_paid: grant.total_paid,
            payment,
        }
    );
    Ok(())
}
