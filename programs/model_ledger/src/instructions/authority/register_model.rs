use anchor_lang::prelude::*;
use anchor_spl::token_interface::{initialize_account3, InitializeAccount3, Mint, TokenInterface};

use crate::{
    account_init::Creation,
    constants::{
        seeds, ACCOUNT_VERSION, DISCRIMINATOR_LEN, FIRST_LICENSE_VERSION, MAX_NAME_LEN, MAX_URI_LEN,
    },
    errors::LedgerError,
    events::ModelRegistered,
    instructions::reject_remaining_accounts,
    math::bps::is_valid_bps,
    state::{is_zero_hash, Config, Model, RoyaltyBook},
    token_policy::validate_payment_mint,
};

/// Size of the vault. The allow-listed Token-2022 mint extensions require no
/// token-account extension, so vaults of both token programs have the base size.
const VAULT_SPACE: usize =
    <anchor_spl::token::spl_token::state::Account as anchor_lang::solana_program::program_pack::Pack>::LEN;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
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
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
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
    /// CHECK: created by this instruction as a token account of `payment_mint` owned by the
    /// model PDA, so only the program can move tokens out; the seeds fix its address.
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
            !is_zero_hash(&args.content_hash),
            LedgerError::ContentHashMissing
        );
        require!(
            is_valid_bps(args.attribution_bps),
            LedgerError::BasisPointsOutOfRange
        );
        validate_payment_mint(&self.payment_mint.to_account_info())
    }
}

/// Registers a root model: its provenance record, royalty book and vault.
///
/// Specification:
/// - The model address is derived from the creator and the 32-byte model id, so the same
///   creator cannot register the same id twice and nobody can take another creator's id.
/// - `model_id` must not be all zeros, else `ModelIdMissing`.
/// - `name` must not be empty (`NameEmpty`) nor longer than 64 bytes (`NameTooLong`).
/// - `metadata_uri` must not be longer than 200 bytes, else `UriTooLong`.
/// - `content_hash` must not be all zeros, else `ContentHashMissing`.
/// - `attribution_bps` ≤ 10 000, else `BasisPointsOutOfRange`.
/// - The payment mint is a legacy SPL Token mint, or a Token-2022 mint whose extensions are
///   all on the allow-list, else `UnsupportedMintExtension`.
/// - Creates the vault, a token account of the payment mint owned by the model PDA, and an
///   empty royalty book.
/// - Registering an existing model again fails with `AccountAlreadyExists`; lamports sent to
///   the model, book or vault address beforehand do not block registration.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `ModelRegistered`.
pub fn handle_register_model(ctx: Context<RegisterModel>, args: RegisterModelArgs) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    ctx.accounts.validate(&args)?;

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
        &[
            seeds::ROYALTY_BOOK,
            model_key.as_ref(),
            &[ctx.bumps.royalty_book],
        ],
    )?;
    RoyaltyBook::initialize(&book_info, model_key, ctx.bumps.royalty_book)?;

    let vault_info = accounts.vault.to_account_info();
    creation.create_pda(
        &vault_info,
        VAULT_SPACE,
        &accounts.token_program.key(),
        &[seeds::VAULT, model_key.as_ref(), &[ctx.bumps.vault]],
    )?;
    initialize_account3(CpiContext::new(
        accounts.token_program.key(),
        InitializeAccount3 {
            account: vault_info,
            mint: accounts.payment_mint.to_account_info(),
            authority: accounts.model.to_account_info(),
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
        parents: Vec::new(),
        contribution_count: 0,
        accepted_count: 0,
        total_shares: 0,
        next_license_version: FIRST_LICENSE_VERSION,
        registered_slot: slot,
        reserved: [0; 128],
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
        token_program: record.token_program,
        vault: record.vault,
        royalty_book: record.royalty_book,
        attribution_bps: record.attribution_bps,
        parents: record.parents.clone(),
        slot,
    };
    creation.create_record(
        &accounts.model.to_account_info(),
        DISCRIMINATOR_LEN + Model::INIT_SPACE,
        &[
            seeds::MODEL,
            creator.as_ref(),
            &record.model_id,
            &[ctx.bumps.model],
        ],
        &record,
    )?;

    emit_cpi!(event);
    Ok(())
}
