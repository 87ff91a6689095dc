use anchor_lang::prelude::*;

use crate::{
    book::{Book, Payment},
    constants::MAX_ATTRIBUTION_ENTRIES,
    errors::LedgerError,
    events::InferenceRecorded,
    instructions::{reject_remaining_accounts, require_fees_within_whole},
    math::SafeMath,
    state::{AttributionEntry, Config, Grant, ModelTerms},
    token::require_paying_account,
};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RecordInferenceArgs {
    /// Must equal the grant's `next_seq`, so a retried batch is never paid twice.
    pub seq: u64,
    pub calls: u64,
    /// Root of the Merkle tree over the batch's call records (request hash,
    /// output hash, per-call attribution), so any call can be proven later.
    pub merkle_root: [u8; 32],
    /// Strictly ascending by contribution index; may be empty (everything to shares).
    // The same bytes as derived; the IDL builder reads the field as derived.
    #[cfg_attr(
        not(feature = "idl-build"),
        borsh(deserialize_with = "crate::state::attribution_wire::deserialize")
    )]
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
    /// The grant's model; its payment terms are read from its bytes.
    /// CHECK: `has_one` on the grant; `ModelTerms::read` checks owner and discriminator.
    pub model: UncheckedAccount<'info>,
    /// The model's book, vault, mint and token program, checked against the book.
    pub money: crate::instructions::ModelMoney<'info>,
    /// The licensee's token account of the payment mint, which pays.
    /// CHECK: `require_paying_account` reads its mint and owner; the transfer checks it again.
    #[account(mut)]
    pub payer_token: UncheckedAccount<'info>,
}

impl RecordInference<'_> {
    /// `book`: the model's, for naming unknown indices; `terms`: the
    /// model's payment terms.
    fn validate(
        &self,
        args: &RecordInferenceArgs,
        book: &Book,
        terms: &ModelTerms,
        now: i64,
    ) -> Result<()> {
        require_paying_account(
            &self.payer_token,
            &self.money.payment_mint.key(),
            &self.grant.licensee,
            &self.money.token_program.key(),
        )?;
        self.config.require_running()?;
        let grant = &self.grant;
        require!(
            grant.may_record(&self.recorder.key()),
            LedgerError::NotLicenseeOrMeter
        );
        require_eq!(args.seq, grant.next_seq, LedgerError::SequenceMismatch);
        require!(!grant.is_expired(now), LedgerError::GrantExpired);
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
        require_fees_within_whole(
            self.config.protocol_fee_bps,
            terms.parent_bps().iter().copied(),
        )?;
        validate_attribution(&args.attribution, book.header().contribution_count)
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
    let mut book = accounts.money.book(&accounts.model.key())?;
    let terms = ModelTerms::read(&accounts.model)?;
    let clock = Clock::get()?;
    accounts.validate(&args, &book, &terms, clock.unix_timestamp)?;

    let amount = args.calls.safe_mul(accounts.grant.price_per_call)?;
    let payment = book.pay(Payment {
        amount,
        fee_bps: accounts.config.protocol_fee_bps,
        terms: &terms,
        attribution: &args.attribution,
    })?;
    book.commit(&accounts.model.key())?;
    accounts.money.transfers(&book).take_payment(
        &accounts.payer_token.to_account_info(),
        &accounts.recorder.to_account_info(),
        accounts.money.vault.as_ref(),
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
            slot: clock.slot,
        }
    );
    Ok(())
}
