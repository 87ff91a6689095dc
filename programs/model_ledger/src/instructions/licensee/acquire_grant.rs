use anchor_lang::prelude::*;

use crate::{
    account_init::Creation,
    book::Payment,
    constants::{seeds, ACCOUNT_VERSION, DISCRIMINATOR_LEN},
    errors::LedgerError,
    events::GrantAcquired,
    instructions::{reject_remaining_accounts, require_fees_within_whole},
    state::{Config, Grant, License, ModelTerms},
    token::require_holds_mint,
};

/// The buyer's view of the terms when it decided to buy: if the licence
/// changed since, the purchase fails instead of paying something else.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AcquireGrantArgs {
    pub expected_version: u32,
    /// Highest up-front fee the buyer accepts.
    pub max_fee: u64,
    /// Highest price per call the buyer accepts.
    pub max_price_per_call: u64,
}

#[event_cpi]
#[derive(Accounts)]
pub struct AcquireGrant<'info> {
    /// Buys the grant, pays its rent and the up-front fee.
    #[account(mut)]
    pub licensee: Signer<'info>,
    #[account(address = Config::ADDRESS)]
    pub config: Box<Account<'info, Config>>,
    /// The licence's model; its payment terms are read from its bytes.
    /// CHECK: `has_one` on the licence; `ModelTerms::read` checks owner and discriminator.
    pub model: UncheckedAccount<'info>,
    #[account(has_one = model @ LedgerError::ModelMismatch)]
    pub license: Box<Account<'info, License>>,
    /// CHECK: created by this instruction through `Creation::create_record`, which refuses
    /// an existing account; the seeds fix its address.
    #[account(mut, seeds = [seeds::GRANT, license.key().as_ref(), licensee.key().as_ref()], bump)]
    pub grant: UncheckedAccount<'info>,
    /// The model's book, vault, mint and token program, checked against the book.
    pub money: crate::instructions::ModelMoney<'info>,
    /// Pays the fee: a token account of the payment mint; the licensee signs for it as owner or delegate.
    /// CHECK: `require_holds_mint`; the transfer checks owner or delegate.
    #[account(mut)]
    pub payer_token: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

impl AcquireGrant<'_> {
    fn validate(&self, args: &AcquireGrantArgs, terms: &ModelTerms) -> Result<()> {
        require_holds_mint(
            &self.payer_token,
            &self.money.payment_mint.key(),
            &self.money.token_program.key(),
        )?;
        check_quote(&self.config, terms, &self.license, args)
    }
}

/// The checks of a purchase or a renewal: the protocol is not paused, the
/// licence sells (not retired), and its version, fee and price are the ones
/// the buyer agreed to, so terms cannot change between quote and payment.
pub(crate) fn check_quote(
    config: &Config,
    model: &ModelTerms,
    license: &License,
    args: &AcquireGrantArgs,
) -> Result<()> {
    config.require_running()?;
    require!(!license.is_retired(), LedgerError::LicenseRetired);
    require_eq!(
        license.license_version,
        args.expected_version,
        LedgerError::LicenseVersionMismatch
    );
    require!(
        license.terms.upfront_fee <= args.max_fee,
        LedgerError::FeeAboveLimit
    );
    require!(
        license.terms.price_per_call <= args.max_price_per_call,
        LedgerError::PriceAboveLimit
    );
    require_fees_within_whole(config.protocol_fee_bps, model.parent_bps().iter().copied())
}

/// Buys a grant on a licence version: the licensee pays the up-front fee
/// (split like any payment) and receives terms locked to that version.
///
/// Specification:
/// - The licence must belong to the model (`ModelMismatch`), and the book, vault, mint and
///   token program must be the model's (`BookMismatch`, `VaultMismatch`, `MintMismatch`).
/// - Refused while the protocol is paused, with `ProtocolPaused`.
/// - A retired licence sells nothing, `LicenseRetired`.
/// - `expected_version` must be the licence's version (`LicenseVersionMismatch`); the fee and
///   price must not exceed `max_fee` (`FeeAboveLimit`) and `max_price_per_call`
///   (`PriceAboveLimit`): terms cannot change between quote and purchase.
/// - One grant per licence and licensee; buying again fails with `AccountAlreadyExists`.
/// - The fee moves into the vault by one `transfer_checked` and is booked with no
///   attribution: the protocol fee for the treasury, parents' royalties, then shares.
/// - The grant copies price, call limit, commercial and derivative terms; it expires
///   `duration_seconds` after purchase (never when 0).
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `GrantAcquired` with the booked payment.
pub fn handle_acquire_grant(ctx: Context<AcquireGrant>, args: AcquireGrantArgs) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    let accounts = &ctx.accounts;
    let mut book = accounts.money.book(&accounts.model.key())?;
    let model_terms = ModelTerms::read(&accounts.model)?;
    accounts.validate(&args, &model_terms)?;

    let now = Clock::get()?.unix_timestamp;
    let terms = &accounts.license.terms;
    let expires_at = terms.term_end(now)?;
    let fee = terms.upfront_fee;
    let grant = Grant {
        version: ACCOUNT_VERSION,
        bump: ctx.bumps.grant,
        model: accounts.model.key(),
        license: accounts.license.key(),
        license_version: accounts.license.license_version,
        licensee: accounts.licensee.key(),
        meter: None,
        price_per_call: terms.price_per_call,
        call_limit: terms.call_limit,
        commercial_use: terms.commercial_use,
        derivatives_allowed: terms.derivatives_allowed,
        derivative_royalty_bps: terms.derivative_royalty_bps,
        attribution_required: terms.attribution_required,
        transferable: terms.transferable,
        granted_at: now,
        expires_at,
        calls_used: 0,
        next_seq: 0,
        total_paid: u128::from(fee),
        ai: accounts.license.ai,
        reserved: [0; 44],
    };
    grant.invariant()?;
    let licensee_info = accounts.licensee.to_account_info();
    Creation {
        payer: &licensee_info,
        system_program: &accounts.system_program.to_account_info(),
    }
    .create_record(
        &accounts.grant.to_account_info(),
        DISCRIMINATOR_LEN + Grant::INIT_SPACE,
        (
            &Grant::seeds(&grant.license, &grant.licensee),
            ctx.bumps.grant,
        ),
        &grant,
    )?;

    let payment = book.pay(Payment {
        amount: fee,
        fee_bps: accounts.config.protocol_fee_bps,
        terms: &model_terms,
        attribution: &[],
    })?;
    book.commit(&accounts.model.key())?;
    accounts.money.transfers(&book).take_payment(
        &accounts.payer_token.to_account_info(),
        &licensee_info,
        accounts.money.vault.as_ref(),
        fee,
    )?;

    emit_event!(
        ctx,
        GrantAcquired {
            model: grant.model,
            license: grant.license,
            license_version: grant.license_version,
            grant: ctx.accounts.grant.key(),
            licensee: grant.licensee,
            price_per_call: grant.price_per_call,
            call_limit: grant.call_limit,
            granted_at: grant.granted_at,
            expires_at: grant.expires_at,
            payment,
        }
    );
    Ok(())
}
