//! One builder per program instruction. Each takes the accounts that identify
//! the action plus its arguments, derives every PDA itself, and returns a
//! ready `Instruction`.

use anchor_lang::solana_program::system_program;
use anchor_lang::{InstructionData, ToAccountMetas};
use model_ledger::{
    accounts, instruction as ix,
    state::{AiTerms, LicenseTerms},
};
use solana_sdk::{instruction::Instruction, pubkey::Pubkey};

pub use model_ledger::{
    instructions::{
        AcceptContributionArgs, AcquireGrantArgs, ExtendRoyaltyBookArgs, InitializeConfigArgs,
        ProposeContributionArgs, RecordInferenceArgs, RegisterModelArgs, SetMeterArgs,
        SetPayoutWalletArgs, SetProposalPolicyArgs, TransferGrantArgs, TransferModelAuthorityArgs,
        UpdateConfigArgs,
    },
    state::{AttributionEntry, ProposalPolicy},
};
use solana_sdk::instruction::AccountMeta;

use crate::{pda, PROGRAM_ID};

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: PROGRAM_ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

/// Creates the protocol config with `admin` as admin and payer; `admin` must
/// be the program's upgrade authority.
///
/// ```
/// use model_ledger_sdk::instructions::{initialize_config, InitializeConfigArgs};
/// use solana_sdk::pubkey::Pubkey;
/// let admin = Pubkey::new_unique();
/// let ix = initialize_config(&admin, InitializeConfigArgs { protocol_fee_bps: 250, treasury: admin });
/// assert_eq!(ix.accounts[1].pubkey, model_ledger_sdk::pda::program_data());
/// assert_eq!(ix.accounts[2].pubkey, model_ledger_sdk::pda::config().0);
/// ```
pub fn initialize_config(admin: &Pubkey, args: InitializeConfigArgs) -> Instruction {
    build(
        accounts::InitializeConfig {
            admin: *admin,
            program_data: pda::program_data(),
            config: pda::config().0,
            system_program: system_program::ID,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::InitializeConfig { args },
    )
}

/// The admin proposed by `update_config` takes over.
pub fn accept_admin(pending_admin: &Pubkey) -> Instruction {
    build(
        accounts::AcceptAdmin {
            pending_admin: *pending_admin,
            config: pda::config().0,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::AcceptAdmin {},
    )
}

/// Changes the fields of `args` that are `Some` (`admin` only proposes: see [`accept_admin`]).
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

/// A parent of a model being registered: the parent model and the grant its
/// authority holds on one of the parent's licences.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParentGrant {
    pub model: Pubkey,
    pub grant: Pubkey,
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
    register_derived_model(authority, payment_mint, token_program, args, &[])
}

/// Registers a model deriving from `parents` (at most 8), each under a grant
/// its authority holds.
pub fn register_derived_model(
    authority: &Pubkey,
    payment_mint: &Pubkey,
    token_program: &Pubkey,
    args: RegisterModelArgs,
    parents: &[ParentGrant],
) -> Instruction {
    let model = pda::model(authority, &args.model_id).0;
    let mut instruction = build(
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
    );
    for parent in parents {
        instruction
            .accounts
            .push(AccountMeta::new_readonly(parent.model, false));
        instruction
            .accounts
            .push(AccountMeta::new_readonly(parent.grant, false));
    }
    instruction
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

/// Proposes a contribution as `index`, which must be the model's next index
/// (its book's `contribution_count`; the program refuses any other).
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
            royalty_book: pda::royalty_book(model).0,
            contribution: pda::contribution(model, index).0,
            proposer_permit: pda::proposer_permit(model, contributor).0,
            system_program: system_program::ID,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::ProposeContribution { index, args },
    )
}

/// `authority` sets who may propose to `model`: anyone, the wallets it
/// allows, or itself alone.
pub fn set_proposal_policy(
    authority: &Pubkey,
    model: &Pubkey,
    policy: ProposalPolicy,
) -> Instruction {
    build(
        accounts::SetProposalPolicy {
            authority: *authority,
            model: *model,
            royalty_book: pda::royalty_book(model).0,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::SetProposalPolicy {
            args: SetProposalPolicyArgs { policy },
        },
    )
}

/// `authority` allows `wallet` to propose to `model` (paying the permit's rent).
pub fn allow_proposer(authority: &Pubkey, model: &Pubkey, wallet: &Pubkey) -> Instruction {
    build(
        accounts::AllowProposer {
            authority: *authority,
            model: *model,
            wallet: *wallet,
            permit: pda::proposer_permit(model, wallet).0,
            system_program: system_program::ID,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::AllowProposer {},
    )
}

/// `authority` withdraws `wallet`'s permit to propose to `model` (its rent
/// back to the authority).
pub fn disallow_proposer(authority: &Pubkey, model: &Pubkey, wallet: &Pubkey) -> Instruction {
    build(
        accounts::DisallowProposer {
            authority: *authority,
            model: *model,
            permit: pda::proposer_permit(model, wallet).0,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::DisallowProposer {},
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
        royalty_book: pda::royalty_book(model).0,
        system_program: system_program::ID,
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
    ai: AiTerms,
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
        ix::PublishLicense { terms, ai },
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

/// Where a model keeps its money and in which token: what every payment
/// instruction needs besides the model itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelAccounts {
    pub model: Pubkey,
    pub payment_mint: Pubkey,
    pub token_program: Pubkey,
}

/// The account group `ModelMoney` as a client names it.
type MoneyAccounts = model_ledger::instructions::__client_accounts_model_money::ModelMoney;

impl ModelAccounts {
    /// The model's book, vault, mint and token program: the group every
    /// instruction moving or booking its tokens takes.
    fn money(&self) -> MoneyAccounts {
        MoneyAccounts {
            royalty_book: self.royalty_book(),
            vault: self.vault(),
            payment_mint: self.payment_mint,
            token_program: self.token_program,
        }
    }

    pub fn royalty_book(&self) -> Pubkey {
        pda::royalty_book(&self.model).0
    }

    pub fn vault(&self) -> Pubkey {
        pda::vault(&self.model).0
    }
}

/// Adds `additional` (1..=160) entries to a model's royalty book.
pub fn extend_royalty_book(authority: &Pubkey, model: &Pubkey, additional: u32) -> Instruction {
    build(
        accounts::ExtendRoyaltyBook {
            authority: *authority,
            model: *model,
            royalty_book: pda::royalty_book(model).0,
            system_program: system_program::ID,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::ExtendRoyaltyBook {
            args: ExtendRoyaltyBookArgs { additional },
        },
    )
}

/// `licensee` buys a grant on `license`, paying the fee from `payer_token`
/// into the model's vault.
pub fn acquire_grant(
    licensee: &Pubkey,
    model: &ModelAccounts,
    license: &Pubkey,
    payer_token: &Pubkey,
    args: AcquireGrantArgs,
) -> Instruction {
    build(
        accounts::AcquireGrant {
            licensee: *licensee,
            config: pda::config().0,
            model: model.model,
            license: *license,
            grant: pda::grant(license, licensee).0,
            money: model.money(),
            payer_token: *payer_token,
            system_program: system_program::ID,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::AcquireGrant { args },
    )
}

/// The licensee names (or with `None` removes) the meter of `grant`.
pub fn set_meter(licensee: &Pubkey, grant: &Pubkey, meter: Option<Pubkey>) -> Instruction {
    build(
        accounts::SetMeter {
            licensee: *licensee,
            grant: *grant,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::SetMeter {
            args: SetMeterArgs { meter },
        },
    )
}

/// `licensee` renews its grant on `license` (the same version), paying the
/// up-front fee again from `payer_token`.
pub fn renew_grant(
    licensee: &Pubkey,
    model: &ModelAccounts,
    license: &Pubkey,
    grant: &Pubkey,
    payer_token: &Pubkey,
    args: AcquireGrantArgs,
) -> Instruction {
    build(
        accounts::RenewGrant {
            licensee: *licensee,
            config: pda::config().0,
            model: model.model,
            license: *license,
            grant: *grant,
            money: model.money(),
            payer_token: *payer_token,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::RenewGrant { args },
    )
}

/// The licensee hands `grant` to `new_licensee` (where its licence allows it).
pub fn transfer_grant(licensee: &Pubkey, grant: &Pubkey, new_licensee: &Pubkey) -> Instruction {
    build(
        accounts::TransferGrant {
            licensee: *licensee,
            grant: *grant,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::TransferGrant {
            args: TransferGrantArgs {
                new_licensee: *new_licensee,
            },
        },
    )
}

/// Records one batch on `grant`, signed by `recorder` (licensee or meter),
/// paid from the licensee's `payer_token`.
///
/// ```
/// use model_ledger_sdk::instructions::{record_inference, ModelAccounts, RecordInferenceArgs};
/// use solana_sdk::pubkey::Pubkey;
/// let model = ModelAccounts {
///     model: Pubkey::new_unique(),
///     payment_mint: Pubkey::new_unique(),
///     token_program: anchor_spl::token::ID,
/// };
/// let args = RecordInferenceArgs { seq: 0, calls: 10, merkle_root: [0; 32], attribution: vec![] };
/// let ix = record_inference(&Pubkey::new_unique(), &Pubkey::new_unique(), &model,
///     &Pubkey::new_unique(), args);
/// // The same accounts whatever the number of contributions or attribution entries.
/// assert_eq!(ix.accounts.len(), 11);
/// ```
pub fn record_inference(
    recorder: &Pubkey,
    grant: &Pubkey,
    model: &ModelAccounts,
    payer_token: &Pubkey,
    args: RecordInferenceArgs,
) -> Instruction {
    build(
        accounts::RecordInference {
            recorder: *recorder,
            config: pda::config().0,
            grant: *grant,
            model: model.model,
            money: model.money(),
            payer_token: *payer_token,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::RecordInference { args },
    )
}

/// Permissionless: books what reached `model`'s vault outside the protocol
/// as a payment of the model.
pub fn book_surplus(model: &ModelAccounts) -> Instruction {
    build(
        accounts::BookSurplus {
            config: pda::config().0,
            model: model.model,
            money: model.money(),
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::BookSurplus {},
    )
}

/// Permissionless: sweeps the protocol fees `model`'s book owes the
/// treasury into `treasury_token` (a token account the treasury owns).
pub fn collect_protocol_fees(model: &ModelAccounts, treasury_token: &Pubkey) -> Instruction {
    build(
        accounts::CollectProtocolFees {
            config: pda::config().0,
            model: model.model,
            money: model.money(),
            treasury_token: *treasury_token,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::CollectProtocolFees {},
    )
}

/// [`collect_protocol_fees`] into the treasury's associated token account,
/// preceded by its idempotent creation (`payer` pays the rent if needed).
pub fn collect_protocol_fees_to_associated(
    payer: &Pubkey,
    treasury: &Pubkey,
    model: &ModelAccounts,
) -> [Instruction; 2] {
    let create = anchor_spl::associated_token::spl_associated_token_account::instruction::create_associated_token_account_idempotent(
        payer,
        treasury,
        &model.payment_mint,
        &model.token_program,
    );
    let treasury_token = crate::client::associated_token(treasury, model);
    [create, collect_protocol_fees(model, &treasury_token)]
}

/// Permissionless: moves what `child` owes `parent` into the parent's vault.
pub fn settle_upstream(child: &ModelAccounts, parent: &Pubkey) -> Instruction {
    build(
        accounts::SettleUpstream {
            config: pda::config().0,
            child: child.model,
            child_money: child.money(),
            parent: *parent,
            parent_money: ModelAccounts {
                model: *parent,
                ..*child
            }
            .money(),
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::SettleUpstream {},
    )
}

/// The proposer of rejected contribution `index` of `model` closes its
/// record and takes the rent back.
pub fn close_contribution(contributor: &Pubkey, model: &Pubkey, index: u32) -> Instruction {
    build(
        accounts::CloseContribution {
            contributor: *contributor,
            contribution: pda::contribution(model, index).0,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::CloseContribution {},
    )
}

/// The payout wallet claims everything contribution `index` of the model has
/// earned into `destination`.
pub fn claim(
    payout_wallet: &Pubkey,
    model: &ModelAccounts,
    index: u32,
    destination: &Pubkey,
) -> Instruction {
    build(
        accounts::Claim {
            payout_wallet: *payout_wallet,
            contribution: pda::contribution(&model.model, index).0,
            money: model.money(),
            destination: *destination,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::Claim {},
    )
}

/// The model authority withdraws the unallocated balance into `destination`.
pub fn claim_unallocated(
    authority: &Pubkey,
    model: &ModelAccounts,
    destination: &Pubkey,
) -> Instruction {
    build(
        accounts::ClaimUnallocated {
            authority: *authority,
            model: model.model,
            money: model.money(),
            destination: *destination,
            event_authority: pda::event_authority().0,
            program: PROGRAM_ID,
        },
        ix::ClaimUnallocated {},
    )
}
