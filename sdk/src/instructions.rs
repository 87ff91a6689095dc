//! One builder per program instruction. Each takes the accounts that identify
//! the action plus its arguments, derives every PDA itself, and returns a
//! ready `Instruction`.

use anchor_lang::solana_program::system_program;
use anchor_lang::{InstructionData, ToAccountMetas};
use model_ledger::{accounts, instruction as ix, state::LicenseTerms};
use solana_sdk::{instruction::Instruction, pubkey::Pubkey};

pub use model_ledger::instructions::{
    AcceptContributionArgs, InitializeConfigArgs, ProposeContributionArgs, RegisterModelArgs,
    SetPayoutWalletArgs, TransferModelAuthorityArgs, UpdateConfigArgs,
};

use crate::{pda, PROGRAM_ID};

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: PROGRAM_ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

/// Creates the protocol config with `admin` as admin and payer.
///
/// ```
/// use model_ledger_sdk::instructions::{initialize_config, InitializeConfigArgs};
/// use solana_sdk::pubkey::Pubkey;
/// let admin = Pubkey::new_unique();
/// let ix = initialize_config(&admin, InitializeConfigArgs { protocol_fee_bps: 250, treasury: admin });
/// assert_eq!(ix.accounts[1].pubkey, model_ledger_sdk::pda::config().0);
/// ```
pub fn initialize_config(admin: &Pubkey, args: InitializeConfigArgs) -> Instruction {
    build(
        accounts::InitializeConfig {
            admin: *admin,
            config: pda::config().0,
            system_program: system_program::ID,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::InitializeConfig { args },
    )
}

/// Changes the fields of `args` that are `Some`.
pub fn update_config(admin: &Pubkey, args: UpdateConfigArgs) -> Instruction {
    build(
        accounts::UpdateConfig {
            admin: *admin,
            config: pda::config().0,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::UpdateConfig { args },
    )
}

/// Registers a model created by `authority`, paid in `payment_mint` (owned by `token_program`).
///
/// ```
/// use model_ledger_sdk::instructions::{register_model, RegisterModelArgs};
/// use solana_sdk::pubkey::Pubkey;
/// let creator = Pubkey::new_unique();
/// let args = RegisterModelArgs {
///     model_id: [7; 32],
///     name: "llama-ft".into(),
///     metadata_uri: "ipfs://meta".into(),
///     content_hash: [1; 32],
///     attribution_bps: 3_000,
/// };
/// let ix = register_model(&creator, &Pubkey::new_unique(), &anchor_spl::token::ID, args);
/// assert_eq!(ix.accounts[2].pubkey, model_ledger_sdk::pda::model(&creator, &[7; 32]).0);
/// ```
pub fn register_model(
    authority: &Pubkey,
    payment_mint: &Pubkey,
    token_program: &Pubkey,
    args: RegisterModelArgs,
) -> Instruction {
    let model = pda::model(authority, &args.model_id).0;
    build(
        accounts::RegisterModel {
            authority: *authority,
            config: pda::config().0,
            model,
            royalty_book: pda::royalty_book(&model).0,
            payment_mint: *payment_mint,
            vault: pda::vault(&model).0,
            token_program: *token_program,
            system_program: system_program::ID,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::RegisterModel { args },
    )
}

/// Proposes `new_authority` for `model` (or cancels with `None`).
pub fn transfer_model_authority(
    authority: &Pubkey,
    model: &Pubkey,
    new_authority: Option<Pubkey>,
) -> Instruction {
    build(
        accounts::TransferModelAuthority {
            authority: *authority,
            model: *model,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::TransferModelAuthority {
            args: TransferModelAuthorityArgs { new_authority },
        },
    )
}

/// The pending authority takes over `model`.
pub fn accept_model_authority(new_authority: &Pubkey, model: &Pubkey) -> Instruction {
    build(
        accounts::AcceptModelAuthority {
            new_authority: *new_authority,
            model: *model,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::AcceptModelAuthority {},
    )
}

/// Proposes a contribution; `index` must be the model's current `contribution_count`
/// (the program rejects any other address).
pub fn propose_contribution(
    contributor: &Pubkey,
    model: &Pubkey,
    index: u32,
    args: ProposeContributionArgs,
) -> Instruction {
    build(
        accounts::ProposeContribution {
            contributor: *contributor,
            model: *model,
            contribution: pda::contribution(model, index).0,
            system_program: system_program::ID,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::ProposeContribution { args },
    )
}

fn decide_contribution(
    authority: &Pubkey,
    model: &Pubkey,
    index: u32,
) -> accounts::DecideContribution {
    accounts::DecideContribution {
        authority: *authority,
        model: *model,
        contribution: pda::contribution(model, index).0,
        event_authority: pda::event_authority().0,
        program: PROGRAM_ID,
    }
}

/// Accepts contribution `index` of `model` with `shares`.
pub fn accept_contribution(
    authority: &Pubkey,
    model: &Pubkey,
    index: u32,
    shares: u64,
) -> Instruction {
    build(
        decide_contribution(authority, model, index),
        ix::AcceptContribution {
            args: AcceptContributionArgs { shares },
        },
    )
}

/// Rejects proposed contribution `index` of `model`.
pub fn reject_contribution(authority: &Pubkey, model: &Pubkey, index: u32) -> Instruction {
    build(
        decide_contribution(authority, model, index),
        ix::RejectContribution {},
    )
}

/// Revokes accepted contribution `index` of `model`.
pub fn revoke_contribution(authority: &Pubkey, model: &Pubkey, index: u32) -> Instruction {
    build(
        decide_contribution(authority, model, index),
        ix::RevokeContribution {},
    )
}

/// The contributor of `contribution` names `payout_wallet`.
pub fn set_payout_wallet(
    contributor: &Pubkey,
    contribution: &Pubkey,
    payout_wallet: Pubkey,
) -> Instruction {
    build(
        accounts::SetPayoutWallet {
            contributor: *contributor,
            contribution: *contribution,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::SetPayoutWallet {
            args: SetPayoutWalletArgs { payout_wallet },
        },
    )
}

/// Publishes licence `version` of `model`; `version` must be the model's
/// `next_license_version`.
pub fn publish_license(
    authority: &Pubkey,
    model: &Pubkey,
    version: u32,
    terms: LicenseTerms,
) -> Instruction {
    build(
        accounts::PublishLicense {
            authority: *authority,
            model: *model,
            license: pda::license(model, version).0,
            system_program: system_program::ID,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::PublishLicense { terms },
    )
}

/// Retires licence `version` of `model`.
pub fn retire_license(authority: &Pubkey, model: &Pubkey, version: u32) -> Instruction {
    build(
        accounts::RetireLicense {
            authority: *authority,
            model: *model,
            license: pda::license(model, version).0,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::RetireLicense {},
    )
}
