use anchor_lang::prelude::*;
use anchor_spl::token_interface::{TokenAccount, TokenInterface};

use crate::{
    book::{Book, Payment},
    constants::MAX_ATTRIBUTION_ENTRIES,
    errors::LedgerError,
    events::InferenceRecorded,
    instructions::{reject_remaining_accounts, require_fees_within_whole},
    math::SafeMath,
    state::{AttributionEntry, Config, Grant, Model, RoyaltyBook},
    token::TokenMove,
};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct RecordInferenceArgs {
    /// Must equal the grant's `next_seq`, so a retried batch is never paid twice.
    pub seq: u64,
    pub calls: u64,
    /// Root of the Merkle tree over the batch's call records (request hash,
    /// output hash, per-call attribution), so any call can be proven later.
    pub merkle_root: [u8; 32],
    /// Strictly ascending by contribution index; may be empty (everything to shares).
    pub attribution: Vec<AttributionEntry>,
}

/// The account list is the same whatever the number of contributions or
/// attribution entries: entries are read from the royalty book by index.
#[event_cpi]
#[derive(Accounts)]
pub struct RecordInference<'info> {
    /// The licensee, or the grant's meter key. It authorises the token
    /// transfer as owner of the paying account or as its delegate (a licensee
    /// can cap a hot meter key with an SPL `approve`).
    pub recorder: Signer<'info>,
    #[account(address = Config::ADDRESS)]
    pub config: Box<Account<'info, Config>>,
    #[account(mut, has_one = model @ LedgerError::ModelMismatch)]
    pub grant: Box<Account<'info, Grant>>,
    #[account(
        has_one = royalty_book @ LedgerError::BookMismatch,
        has_one = vault @ LedgerError::VaultMismatch,
        has_one = payment_mint @ LedgerError::MintMismatch,
        has_one = token_program @ LedgerError::MintMismatch,
    )]
    pub model: Box<Account<'info, Model>>,
    #[account(mut)]
    pub royalty_book: AccountLoader<'info, RoyaltyBook>,
    #[account(mut)]
    /// CHECK: the model's vault (checked against the model above), a token account this
    /// program created; the token program checks it again on every transfer.
    pub vault: UncheckedAccount<'info>,
    #[account(
        mut,
        constraint = payer_token.owner == grant.licensee @ LedgerError::PayerNotLicensee,
        constraint = payer_token.mint == payment_mint.key() @ LedgerError::MintMismatch,
    )]
    pub payer_token: Box<InterfaceAccount<'info, TokenAccount>>,
    /// CHECK: the model's mint (checked against the model above); `transfer_checked` checks
    /// it and the decimals recorded at registration.
    pub payment_mint: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
}

impl RecordInference<'_> {
    /// `contribution_count`: the book's, for naming unknown indices.
    fn validate(&self, args: &RecordInferenceArgs, contribution_count: u32) -> Result<()> {
        require!(!self.config.paused, LedgerError::ProtocolPaused);
        let grant = &self.grant;
        require!(
            grant.may_record(&self.recorder.key()),
            LedgerError::NotLicenseeOrMeter
        );
        require_eq!(args.seq, grant.next_seq, LedgerError::SequenceMismatch);
        require!(
            !grant.is_expired(Clock::get()?.unix_timestamp),
            LedgerError::GrantExpired
        );
        require!(args.calls > 0, LedgerError::ZeroCalls);
        require!(grant.has_room_for(args.calls), LedgerError::GrantExhausted);
        require!(
            grant.commercial_use || grant.price_per_call == 0,
            LedgerError::CommercialUseNotGranted
        );
        require!(
            !(grant.attribution_required && args.attribution.is_empty()),
            LedgerError::AttributionRequired
        );
        require_fees_within_whole(self.config.protocol_fee_bps, self.model.parent_bps())?;
        validate_attribution(&args.attribution, contribution_count)
    }
}

fn validate_attribution(attribution: &[AttributionEntry], contribution_count: u32) -> Result<()> {
    require!(
        attribution.len() <= usize::from(MAX_ATTRIBUTION_ENTRIES),
        LedgerError::TooManyAttributionEntries
    );
    // Whether each entry is accepted is checked where its book entry is
    // read anyway, once, as it is credited (`Book::pay`).
    let mut previous: Option<u32> = None;
    for entry in attribution {
        if let Some(previous) = previous {
            require!(entry.index != previous, LedgerError::DuplicateAttribution);
            require!(entry.index > previous, LedgerError::AttributionNotSorted);
        }
        previous = Some(entry.index);
        require!(entry.weight > 0, LedgerError::ZeroAttributionWeight);
        require!(
            entry.index < contribution_count,
            LedgerError::UnknownContribution
        );
    }
    Ok(())
}

/// Records one batch of inference calls and pays for it.
///
/// Specification:
/// - Signed by the grant's licensee or meter, else `NotLicenseeOrMeter`.
/// - Refused while the protocol is paused, with `ProtocolPaused`.
/// - `seq` must equal the grant's `next_seq`, else `SequenceMismatch` (a retry of a recorded
///   batch gets exactly this, which the SDK reports as "already recorded").
/// - The grant must not have expired (`GrantExpired`); `calls` > 0 (`ZeroCalls`) and within
///   the call limit (`GrantExhausted`); a priced grant must allow commercial use
///   (`CommercialUseNotGranted`; unreachable through published licences, which already
///   refuse a price without commercial use, and kept as a second line of defence).
/// - The grant must be for the model (`ModelMismatch`); book, vault, mint and token program
///   must be the model's (`BookMismatch`, `VaultMismatch`, `MintMismatch`); the paying
///   account must be the licensee's (`PayerNotLicensee`).
/// - Attribution: at most 100 entries (`TooManyAttributionEntries`), strictly ascending
///   (`DuplicateAttribution`, `AttributionNotSorted`), weights > 0 (`ZeroAttributionWeight`),
///   each an existing (`UnknownContribution`) accepted (`ContributionNotAccepted`) contribution.
/// - Under a licence with `attribution_required`, a batch must name the contributions its
///   outputs used (a non-empty attribution), else `AttributionRequired`: what is paid by
///   attribution is then never silently paid by shares. Which contributions a host names
///   is its evidence (the licence summary states that obligation).
/// - Fee plus parent royalties must not exceed 100 % (`FeesExceedWhole`).
/// - Payment = calls × price (`MathOverflow` past u64) moves into the vault by one
///   `transfer_checked`; it is booked: the protocol fee for the treasury (swept by
///   `collect_protocol_fees`), upstream per parent, the
///   attributed part over the vector by weight, the shares part over all accepted
///   contributions. Fee and royalties carry their fractions to the next payment and the
///   contributors' part is exact in 1/10^12 token, so batching never changes who gets what
///   by more than one base unit.
/// - The grant's `calls_used`, `next_seq` and `total_paid` advance.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `InferenceRecorded` with the Merkle root, the attribution and the booked payment.
pub fn handle_record_inference(
    ctx: Context<RecordInference>,
    args: RecordInferenceArgs,
) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    let accounts = &ctx.accounts;
    let book_info = accounts.royalty_book.to_account_info();
    let mut book = Book::load(&book_info)?;
    accounts.validate(&args, book.header().contribution_count)?;

    let amount = args.calls.safe_mul(accounts.grant.price_per_call)?;
    let payment = book.pay(Payment {
        amount,
        fee_bps: accounts.config.protocol_fee_bps,
        model: &accounts.model,
        attribution: &args.attribution,
    })?;
    book.commit(&accounts.model.key())?;
    TokenMove::new(&accounts.token_program, &accounts.payment_mint, &book).take_payment(
        &accounts.payer_token.to_account_info(),
        &accounts.recorder.to_account_info(),
        accounts.vault.as_ref(),
        amount,
    )?;

    let grant = &mut ctx.accounts.grant;
    grant.calls_used = grant.calls_used.safe_add(args.calls)?;
    grant.next_seq = grant.next_seq.safe_add(1)?;
    grant.total_paid = grant.total_paid.safe_add(u128::from(amount))?;
    grant.invariant()?;

    emit_event!(
        ctx,
        InferenceRecorded {
            model: grant.model,
            grant: grant.key(),
            licensee: grant.licensee,
            recorder: ctx.accounts.recorder.key(),
            seq: args.seq,
            calls: args.calls,
            merkle_root: args.merkle_root,
            attribution: args.attribution,
            payment,
            calls_used: grant.calls_used,
            slot: Clock::get()?.slot,
        }
    );
    Ok(())
}
