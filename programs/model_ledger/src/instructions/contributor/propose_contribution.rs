use anchor_lang::prelude::*;

use crate::{
    account_init::Creation,
    book::propose_contribution,
    constants::{seeds, ACCOUNT_VERSION, DISCRIMINATOR_LEN, MAX_URI_LEN},
    errors::LedgerError,
    events::ContributionProposed,
    instructions::reject_remaining_accounts,
    math::SafeMath,
    state::{
        is_zero_hash, text::is_printable_text, Contribution, ContributionKind, ContributionStatus,
        Model, ProposalPolicy, ProposerPermit, RoyaltyBook,
    },
};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ProposeContributionArgs {
    pub kind: ContributionKind,
    /// Hash of the contributed artifact (data set, weights delta, code…).
    pub content_hash: [u8; 32],
    pub uri: String,
}

#[event_cpi]
#[derive(Accounts)]
// `index` is the instruction's first argument, and the only one the seeds
// need: declaring the rest here would make Anchor deserialise them (URI
// included) a second time.
#[instruction(index: u32)]
pub struct ProposeContribution<'info> {
    /// Proposes and pays rent for the record; becomes its contributor.
    #[account(mut)]
    pub contributor: Signer<'info>,
    /// CHECK: only its address: the book must be this model's (checked in the handler), and
    /// it is part of the contribution's seeds. The model record itself is not read: the
    /// counter lives in the book, which proposals share with nothing else they would slow.
    pub model: UncheckedAccount<'info>,
    #[account(mut)]
    pub royalty_book: AccountLoader<'info, RoyaltyBook>,
    /// CHECK: created by this instruction through `Creation::create_record`, which refuses
    /// an existing account. Its index is in the seeds and must be the book's next one
    /// (checked in the handler), so a client can neither skip nor reuse one.
    #[account(
        mut,
        seeds = [
            seeds::CONTRIBUTION,
            model.key().as_ref(),
            index.to_le_bytes().as_ref(),
        ],
        bump,
    )]
    pub contribution: UncheckedAccount<'info>,
    /// The proposer's permit (`["proposer", model, contributor]`), read only while the
    /// model's policy is allow-listed; clients always pass that address.
    /// CHECK: `ProposerPermit::allows` checks owner, discriminator, model and wallet.
    pub proposer_permit: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

impl ProposeContribution<'_> {
    /// The model's policy admits the contributor: anyone while it is open,
    /// a wallet with the model's permit while allow-listed, and the model
    /// authority always.
    fn require_allowed(&self, policy: ProposalPolicy) -> Result<()> {
        if policy == ProposalPolicy::Open {
            return Ok(());
        }
        let contributor = self.contributor.key();
        if Model::authority_of(&self.model)? == contributor {
            return Ok(());
        }
        match policy {
            ProposalPolicy::Closed => err!(LedgerError::ProposalsClosed),
            _ if ProposerPermit::allows(&self.proposer_permit, &self.model.key(), &contributor) => {
                Ok(())
            }
            _ => err!(LedgerError::ProposerNotAllowed),
        }
    }

    fn validate(&self, args: &ProposeContributionArgs) -> Result<()> {
        require!(
            !is_zero_hash(&args.content_hash),
            LedgerError::ContentHashMissing
        );
        require!(!args.uri.is_empty(), LedgerError::UriEmpty);
        require!(args.uri.len() <= MAX_URI_LEN, LedgerError::UriTooLong);
        require!(is_printable_text(&args.uri), LedgerError::TextNotPrintable);
        Ok(())
    }
}

/// Anyone proposes a contribution to a model; the model authority decides on it later.
///
/// `index` is the index the proposer expects, the model's next one: it is part of the
/// record's address, so a proposal racing another for the same index fails instead of
/// silently taking the next.
///
/// Specification:
/// - The book must be the model's (`BookMismatch`). `index` must be the book's
///   `contribution_count` (`ContributionIndexMismatch`), which grows by one; the record's
///   address is derived from it (any other address is refused by the seeds constraint).
/// - The proposer pays the rent of the record and of the contribution's royalty-book entry:
///   the book grows by that one entry (a book registered before proposals paid for their
///   entries, whose entries lag behind its proposals, grows at acceptance instead), so
///   proposals never raise what accepting a contribution costs the model authority.
/// - A model holds at most 163 833 contributions (its book's entries fill 10 MiB), else
///   `ModelFull`.
/// - Lamports sent to the next contribution address beforehand do not block the proposal.
/// - The model's proposal policy admits the contributor: anyone while `Open`; while
///   `AllowListed` the model authority or a wallet holding the model's permit (passed as
///   `proposer_permit`), else `ProposerNotAllowed`; while `Closed` the model authority alone,
///   else `ProposalsClosed`.
/// - `content_hash` must not be all zeros, else `ContentHashMissing`.
/// - `uri` must not be empty (`UriEmpty`) nor longer than 200 bytes (`UriTooLong`), and
///   printable: no control character nor bidirectional override (`TextNotPrintable`).
/// - The record starts `Proposed` with zero shares, the signer as contributor and payout wallet.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `ContributionProposed`.
pub fn handle_propose_contribution(
    ctx: Context<ProposeContribution>,
    index: u32,
    args: ProposeContributionArgs,
) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    ctx.accounts.validate(&args)?;

    let slot = Clock::get()?.slot;
    let model_key = ctx.accounts.model.key();
    let book_info = ctx.accounts.royalty_book.to_account_info();
    let proposal = propose_contribution(&book_info, &model_key, index)?;
    let index = proposal.index;
    ctx.accounts.require_allowed(proposal.policy)?;

    let contributor = ctx.accounts.contributor.key();
    let contribution = Contribution {
        version: ACCOUNT_VERSION,
        bump: ctx.bumps.contribution,
        model: model_key,
        index,
        contributor,
        kind: args.kind,
        content_hash: args.content_hash,
        uri: args.uri,
        proposed_slot: slot,
        status: ContributionStatus::Proposed,
        shares: 0,
        payout_wallet: contributor,
        status_slot: slot,
        reserved: [0; 64],
    };
    contribution.invariant()?;
    let creation = Creation {
        payer: &ctx.accounts.contributor.to_account_info(),
        system_program: &ctx.accounts.system_program.to_account_info(),
    };
    let record_info = ctx.accounts.contribution.to_account_info();
    let (book_len, entry_rent) = proposal.growth.unwrap_or((book_info.data_len(), 0));
    // The record is created holding the entry's rent too, then hands it to
    // the book: one system-program call for both.
    creation.create_funded_record(
        &record_info,
        DISCRIMINATOR_LEN + Contribution::INIT_SPACE,
        (
            &Contribution::seeds(&model_key, &index),
            ctx.bumps.contribution,
        ),
        &contribution,
        entry_rent,
    )?;
    Creation::move_lamports(&record_info, &book_info, entry_rent)?;
    if book_len > book_info.data_len() {
        book_info.resize(book_len)?;
    }

    emit_event!(
        ctx,
        ContributionProposed {
            model: model_key,
            contribution: ctx.accounts.contribution.key(),
            index,
            contributor,
            kind: contribution.kind,
            content_hash: contribution.content_hash,
            uri: contribution.uri,
            slot,
            contribution_count: index.safe_add(1)?,
        }
    );
    Ok(())
}
