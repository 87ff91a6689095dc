use anchor_lang::prelude::*;
use anchor_spl::token_interface::{initialize_account3, InitializeAccount3, Mint, TokenInterface};

use crate::{
    account_init::Creation,
    book::Book,
    constants::{
        seeds, ACCOUNT_VERSION, DISCRIMINATOR_LEN, FIRST_LICENSE_VERSION, MAX_NAME_LEN,
        MAX_PARENTS, MAX_URI_LEN,
    },
    errors::LedgerError,
    events::ModelRegistered,
    instructions::require_fees_within_whole,
    math::bps::is_valid_bps,
    state::{
        is_zero_hash, text::is_printable_text, AiTerms, AiUse, Config, Grant, Model, ParentLink,
        RoyaltyBook,
    },
    token_policy::validate_payment_mint,
};

/// Size of the vault. The allow-listed Token-2022 mint extensions require no
/// token-account extension, so vaults of both token programs have the base size.
const VAULT_SPACE: usize =
    <anchor_spl::token::spl_token::state::Account as anchor_lang::solana_program::program_pack::Pack>::LEN;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RegisterModelArgs {
    /// Chosen by the creator (e.g. a hash of the model's canonical name).
    pub model_id: [u8; 32],
    pub name: String,
    pub metadata_uri: String,
    /// Hash of the model artifact (weights), so anyone can check what was registered.
    pub content_hash: [u8; 32],
    /// Share of each payment's remainder paid by per-call attribution, in basis points.
    pub attribution_bps: u16,
}

#[event_cpi]
#[derive(Accounts)]
#[instruction(args: RegisterModelArgs)]
pub struct RegisterModel<'info> {
    /// Creator and first authority of the model; pays rent for its accounts.
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(address = Config::ADDRESS)]
    pub config: Box<Account<'info, Config>>,
    /// CHECK: created by this instruction through `Creation::create_record`, which refuses
    /// an existing account; the seeds fix its address.
    #[account(mut, seeds = [seeds::MODEL, authority.key().as_ref(), args.model_id.as_ref()], bump)]
    pub model: UncheckedAccount<'info>,
    /// CHECK: created and initialised as an empty `RoyaltyBook` by this instruction; the
    /// seeds fix its address.
    #[account(mut, seeds = [seeds::ROYALTY_BOOK, model.key().as_ref()], bump)]
    pub royalty_book: UncheckedAccount<'info>,
    #[account(mint::token_program = token_program)]
    pub payment_mint: Box<InterfaceAccount<'info, Mint>>,
    /// CHECK: created by this instruction as a token account of `payment_mint` whose authority is the
    /// royalty book PDA, so only the program can move tokens out; the seeds fix its address.
    #[account(mut, seeds = [seeds::VAULT, model.key().as_ref()], bump)]
    pub vault: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

impl RegisterModel<'_> {
    fn validate(&self, args: &RegisterModelArgs) -> Result<()> {
        require!(!is_zero_hash(&args.model_id), LedgerError::ModelIdMissing);
        require!(!args.name.is_empty(), LedgerError::NameEmpty);
        require!(args.name.len() <= MAX_NAME_LEN, LedgerError::NameTooLong);
        require!(
            args.metadata_uri.len() <= MAX_URI_LEN,
            LedgerError::UriTooLong
        );
        require!(
            is_printable_text(&args.name) && is_printable_text(&args.metadata_uri),
            LedgerError::TextNotPrintable
        );
        require!(
            !is_zero_hash(&args.content_hash),
            LedgerError::ContentHashMissing
        );
        require!(
            is_valid_bps(args.attribution_bps),
            LedgerError::BasisPointsOutOfRange
        );
        validate_payment_mint(&self.payment_mint.to_account_info())
    }

    /// Reads the lineage from the remaining accounts: one (parent model,
    /// grant) pair per parent, each grant held by this model's authority on a
    /// licence of that parent that allows derivatives.
    /// The parent links, whether any parent grant forbids commercial use,
    /// and what the parent grants' AI terms leave the model's licences.
    fn parse_parents(&self, remaining: &[AccountInfo]) -> Result<(Vec<ParentLink>, bool, AiTerms)> {
        require!(
            remaining.len().is_multiple_of(2),
            LedgerError::ParentAccountsMalformed
        );
        require!(
            remaining.len() / 2 <= MAX_PARENTS,
            LedgerError::TooManyParents
        );
        let now = Clock::get()?.unix_timestamp;
        let mut links: Vec<ParentLink> = Vec::with_capacity(remaining.len() / 2);
        let mut non_commercial = false;
        let mut parent_ai: Vec<AiTerms> = Vec::with_capacity(remaining.len() / 2);
        for pair in remaining.chunks_exact(2) {
            let parent = read_program_account::<Model>(&pair[0])?;
            let grant = read_program_account::<Grant>(&pair[1])?;
            let parent_key = pair[0].key();
            require_keys_eq!(grant.model, parent_key, LedgerError::ParentGrantMismatch);
            require_keys_eq!(
                grant.licensee,
                self.authority.key(),
                LedgerError::ParentGrantNotHeld
            );
            require!(!grant.is_expired(now), LedgerError::GrantExpired);
            require!(
                grant.derivatives_allowed,
                LedgerError::DerivativesNotAllowed
            );
            // Deriving a model is training on its parent.
            require!(
                grant.ai.ai_training != AiUse::NotAllowed,
                LedgerError::AiTrainingNotAllowed
            );
            require_keys_eq!(
                parent.payment_mint,
                self.payment_mint.key(),
                LedgerError::MintMismatch
            );
            require!(
                links.iter().all(|link| link.model != parent_key),
                LedgerError::DuplicateParent
            );
            non_commercial |= !grant.commercial_use;
            parent_ai.push(grant.ai);
            links.push(ParentLink {
                model: parent_key,
                license: grant.license,
                grant: pair[1].key(),
                derivative_bps: grant.derivative_royalty_bps,
            });
        }
        require_fees_within_whole(
            self.config.protocol_fee_bps,
            links.iter().map(|link| link.derivative_bps),
        )?;
        Ok((links, non_commercial, AiTerms::lineage(&parent_ai)))
    }
}

/// Decodes an account this program owns, checking owner and discriminator.
fn read_program_account<T: AccountDeserialize>(info: &AccountInfo) -> Result<T> {
    require_keys_eq!(*info.owner, crate::ID, LedgerError::ParentAccountsMalformed);
    let data = info.try_borrow_data()?;
    T::try_deserialize(&mut &data[..])
}

/// Registers a model, with its parents if it derives from any: its provenance
/// record, royalty book and vault.
///
/// Specification:
/// - The model address is derived from the creator and the 32-byte model id, so the same
///   creator cannot register the same id twice and nobody can take another creator's id.
/// - `model_id` must not be all zeros, else `ModelIdMissing`.
/// - `name` must not be empty (`NameEmpty`) nor longer than 64 bytes (`NameTooLong`).
/// - `metadata_uri` must not be longer than 200 bytes, else `UriTooLong`.
/// - `name` and `metadata_uri` must be printable: no control character nor
///   bidirectional override, else `TextNotPrintable`.
/// - `content_hash` must not be all zeros, else `ContentHashMissing`.
/// - `attribution_bps` ≤ 10 000, else `BasisPointsOutOfRange`.
/// - The payment mint is a legacy SPL Token mint, or a Token-2022 mint whose extensions are
///   all on the allow-list, else `UnsupportedMintExtension`.
/// - Creates the vault, a token account of the payment mint whose token authority is the
///   royalty book PDA, and the empty book (recording vault, mint and decimals).
/// - Registering an existing model again fails with `AccountAlreadyExists`; lamports sent to
///   the model, book or vault address beforehand do not block registration.
/// - Parents come as remaining accounts, one (parent model, grant) pair each: an odd count
///   is `ParentAccountsMalformed`, more than 8 pairs `TooManyParents`, a repeated parent
///   `DuplicateParent`. Each grant must be for its parent (`ParentGrantMismatch`), held by
///   the new model's authority (`ParentGrantNotHeld`), unexpired (`GrantExpired`), on a
///   licence allowing derivatives (`DerivativesNotAllowed`) and not forbidding AI training
///   (`AiTrainingNotAllowed`: deriving a model is training on its parent; a grant bought before
///   AI terms existed states nothing and forbids nothing); the parent must use the same
///   payment mint (`MintMismatch`). The protocol fee plus all parents' derivative royalty
///   must not exceed 100 % (`FeesExceedWhole`).
/// - A model with any parent grant that forbids commercial use is marked
///   `non_commercial_lineage`: it may publish only non-commercial licences.
/// - The parent grants' AI terms fix the model's `lineage_ai` (`AiTerms::lineage`): each AI
///   use no more permissive than the strictest parent's, and every restriction a parent
///   carries to derivatives, which the model's licences must impose and carry on.
/// - Lineage is fixed here and never changes; a parent exists before its child, so cycles
///   are impossible.
/// - Emits `ModelRegistered` with the parent links, the mint's decimals and the
///   non-commercial lineage flag: what an indexer needs to rebuild the model and its book.
pub fn handle_register_model(ctx: Context<RegisterModel>, args: RegisterModelArgs) -> Result<()> {
    ctx.accounts.validate(&args)?;
    let (parents, non_commercial_lineage, lineage_ai) =
        ctx.accounts.parse_parents(ctx.remaining_accounts)?;

    let slot = Clock::get()?.slot;
    let accounts = &ctx.accounts;
    let model_key = accounts.model.key();
    let creator = accounts.authority.key();
    let creation = Creation {
        payer: &accounts.authority.to_account_info(),
        system_program: &accounts.system_program.to_account_info(),
    };

    let book_info = accounts.royalty_book.to_account_info();
    creation.create_pda(
        &book_info,
        RoyaltyBook::SPACE,
        &crate::ID,
        &RoyaltyBook::seeds(&model_key),
        ctx.bumps.royalty_book,
    )?;
    Book::initialize(
        &book_info,
        ctx.bumps.royalty_book,
        model_key,
        accounts.vault.key(),
        accounts.payment_mint.key(),
        accounts.token_program.key(),
        accounts.payment_mint.decimals,
    )?
    .commit(&model_key)?;

    let vault_info = accounts.vault.to_account_info();
    creation.create_pda(
        &vault_info,
        VAULT_SPACE,
        &accounts.token_program.key(),
        &Model::vault_seeds(&model_key),
        ctx.bumps.vault,
    )?;
    initialize_account3(CpiContext::new(
        accounts.token_program.key(),
        InitializeAccount3 {
            account: vault_info,
            mint: accounts.payment_mint.to_account_info(),
            // The book signs every transfer out of the vault it accounts for.
            authority: book_info,
        },
    ))?;

    let record = Model {
        version: ACCOUNT_VERSION,
        bump: ctx.bumps.model,
        vault_bump: ctx.bumps.vault,
        royalty_book_bump: ctx.bumps.royalty_book,
        creator,
        authority: creator,
        pending_authority: None,
        model_id: args.model_id,
        name: args.name,
        metadata_uri: args.metadata_uri,
        content_hash: args.content_hash,
        payment_mint: accounts.payment_mint.key(),
        token_program: accounts.token_program.key(),
        vault: accounts.vault.key(),
        royalty_book: accounts.royalty_book.key(),
        attribution_bps: args.attribution_bps,
        non_commercial_lineage,
        parents,
        next_license_version: FIRST_LICENSE_VERSION,
        registered_slot: slot,
        lineage_ai,
        reserved: [0; 108],
    };
    record.invariant()?;
    let event = ModelRegistered {
        model: model_key,
        creator: record.creator,
        authority: record.authority,
        model_id: record.model_id,
        name: record.name.clone(),
        metadata_uri: record.metadata_uri.clone(),
        content_hash: record.content_hash,
        payment_mint: record.payment_mint,
        payment_decimals: accounts.payment_mint.decimals,
        token_program: record.token_program,
        vault: record.vault,
        royalty_book: record.royalty_book,
        attribution_bps: record.attribution_bps,
        parents: record.parents.clone(),
        non_commercial_lineage,
        slot,
    };
    creation.create_record(
        &accounts.model.to_account_info(),
        DISCRIMINATOR_LEN + Model::INIT_SPACE,
        (&Model::seeds(&creator, &record.model_id), ctx.bumps.model),
        &record,
    )?;

    emit_event!(ctx, event);
    Ok(())
}
