//! Model Ledger: a public, append-only ledger of provenance, licences and
//! royalties for AI models. See `docs/protocol.md` for the protocol and each
//! instruction's `Specification:` block for its rules.
#![allow(clippy::result_large_err)]
// Anchor's macros emit cfgs this crate does not declare.
#![allow(unexpected_cfgs)]

#[cfg(all(target_os = "solana", feature = "upstream-sbf"))]
use solana_compiler_builtins as _;

use anchor_lang::prelude::*;

pub mod account_init;
pub mod book;
pub mod constants;
pub mod errors;
#[macro_use]
pub mod events;
pub mod instructions;
pub mod math;
pub mod state;
pub mod token;
pub mod token_policy;

use instructions::*;
use state::{AiTerms, LicenseTerms};

declare_id!("Ctn51kP7w4bEWRa9AcX9L2fVfJMh74K4QyAC28GyGYpu");

// Read from the deployed binary by explorers and wallets (solana-security-txt);
// `SECURITY.md` is the policy it points to.
#[cfg(not(feature = "no-entrypoint"))]
solana_security_txt::security_txt! {
    name: "Model Ledger",
    project_url: "https://model-ledger.example",
    contacts: "email:security@model-ledger.example",
    policy: "https://model-ledger.example/SECURITY.md",
    preferred_languages: "en",
    source_code: "https://model-ledger.example/source"
}

#[program]
pub mod model_ledger {
    use super::*;

    /// Creates the protocol config; the signer, the program's upgrade authority, becomes admin.
    pub fn initialize_config(
        ctx: Context<InitializeConfig>,
        args: InitializeConfigArgs,
    ) -> Result<()> {
        instructions::handle_initialize_config(ctx, args)
    }

    /// Changes admin, treasury, protocol fee or pause flag.
    pub fn update_config(ctx: Context<UpdateConfig>, args: UpdateConfigArgs) -> Result<()> {
        instructions::handle_update_config(ctx, args)
    }

    /// The proposed admin takes over the configuration.
    pub fn accept_admin(ctx: Context<AcceptAdmin>) -> Result<()> {
        instructions::handle_accept_admin(ctx)
    }

    /// Registers a model with its vault and royalty book.
    pub fn register_model(ctx: Context<RegisterModel>, args: RegisterModelArgs) -> Result<()> {
        instructions::handle_register_model(ctx, args)
    }

    /// Proposes (or cancels) a new model authority.
    pub fn transfer_model_authority(
        ctx: Context<TransferModelAuthority>,
        args: TransferModelAuthorityArgs,
    ) -> Result<()> {
        instructions::handle_transfer_model_authority(ctx, args)
    }

    /// The proposed authority takes over the model.
    pub fn accept_model_authority(ctx: Context<AcceptModelAuthority>) -> Result<()> {
        instructions::handle_accept_model_authority(ctx)
    }

    /// Anyone proposes a contribution to a model, as its next index `index`.
    pub fn propose_contribution(
        ctx: Context<ProposeContribution>,
        index: u32,
        args: ProposeContributionArgs,
    ) -> Result<()> {
        instructions::handle_propose_contribution(ctx, index, args)
    }

    /// The model authority accepts a proposed contribution with its shares.
    pub fn accept_contribution<'info>(
        ctx: Context<'info, DecideContribution<'info>>,
        args: AcceptContributionArgs,
    ) -> Result<()> {
        instructions::handle_accept_contribution(ctx, args)
    }

    /// The model authority rejects a proposed contribution.
    pub fn reject_contribution<'info>(
        ctx: Context<'info, DecideContribution<'info>>,
    ) -> Result<()> {
        instructions::handle_reject_contribution(ctx)
    }

    /// The model authority revokes an accepted contribution.
    pub fn revoke_contribution<'info>(
        ctx: Context<'info, DecideContribution<'info>>,
    ) -> Result<()> {
        instructions::handle_revoke_contribution(ctx)
    }

    /// The contributor names the wallet that receives its royalties.
    pub fn set_payout_wallet(
        ctx: Context<SetPayoutWallet>,
        args: SetPayoutWalletArgs,
    ) -> Result<()> {
        instructions::handle_set_payout_wallet(ctx, args)
    }

    /// Publishes the model's next immutable licence version.
    pub fn publish_license(
        ctx: Context<PublishLicense>,
        terms: LicenseTerms,
        ai: AiTerms,
    ) -> Result<()> {
        instructions::handle_publish_license(ctx, terms, ai)
    }

    /// Retires a licence version.
    pub fn retire_license(ctx: Context<RetireLicense>) -> Result<()> {
        instructions::handle_retire_license(ctx)
    }

    /// Chooses who may propose contributions: anyone, allowed wallets, or the authority alone.
    pub fn set_proposal_policy(
        ctx: Context<SetProposalPolicy>,
        args: SetProposalPolicyArgs,
    ) -> Result<()> {
        instructions::handle_set_proposal_policy(ctx, args)
    }

    /// Allows a wallet to propose to an allow-listed model.
    pub fn allow_proposer(ctx: Context<AllowProposer>) -> Result<()> {
        instructions::handle_allow_proposer(ctx)
    }

    /// Withdraws a wallet's permit to propose; its rent goes back to the authority.
    pub fn disallow_proposer(ctx: Context<DisallowProposer>) -> Result<()> {
        instructions::handle_disallow_proposer(ctx)
    }

    /// Adds room to a model's royalty book ahead of acceptances.
    pub fn extend_royalty_book(
        ctx: Context<ExtendRoyaltyBook>,
        args: ExtendRoyaltyBookArgs,
    ) -> Result<()> {
        instructions::handle_extend_royalty_book(ctx, args)
    }

    /// Buys a grant on a licence version, paying its up-front fee.
    pub fn acquire_grant(ctx: Context<AcquireGrant>, args: AcquireGrantArgs) -> Result<()> {
        instructions::handle_acquire_grant(ctx, args)
    }

    /// Names or removes the grant's meter key.
    pub fn set_meter(ctx: Context<SetMeter>, args: SetMeterArgs) -> Result<()> {
        instructions::handle_set_meter(ctx, args)
    }

    /// Renews a grant on the same licence version (pays the up-front fee again).
    pub fn renew_grant(ctx: Context<RenewGrant>, args: AcquireGrantArgs) -> Result<()> {
        instructions::handle_renew_grant(ctx, args)
    }

    /// Hands a grant to another licensee, where its licence allows it.
    pub fn transfer_grant(ctx: Context<TransferGrant>, args: TransferGrantArgs) -> Result<()> {
        instructions::handle_transfer_grant(ctx, args)
    }

    /// Records and pays for one batch of inference calls.
    pub fn record_inference(
        ctx: Context<RecordInference>,
        args: RecordInferenceArgs,
    ) -> Result<()> {
        instructions::handle_record_inference(ctx, args)
    }

    /// Moves what a child owes one parent into the parent's vault.
    pub fn settle_upstream(ctx: Context<SettleUpstream>) -> Result<()> {
        instructions::handle_settle_upstream(ctx)
    }

    /// The proposer of a rejected contribution takes its rent back.
    pub fn close_contribution(ctx: Context<CloseContribution>) -> Result<()> {
        instructions::handle_close_contribution(ctx)
    }

    /// Withdraws everything a contribution has earned.
    pub fn claim(ctx: Context<Claim>) -> Result<()> {
        instructions::handle_claim(ctx)
    }

    /// The authority withdraws what arrived while no shares existed.
    pub fn claim_unallocated(ctx: Context<ClaimUnallocated>) -> Result<()> {
        instructions::handle_claim_unallocated(ctx)
    }

    /// Books tokens that reached a model's vault outside the protocol.
    pub fn book_surplus(ctx: Context<BookSurplus>) -> Result<()> {
        instructions::handle_book_surplus(ctx)
    }

    /// Sweeps the protocol fees a model's book owes the treasury.
    pub fn collect_protocol_fees(ctx: Context<CollectProtocolFees>) -> Result<()> {
        instructions::handle_collect_protocol_fees(ctx)
    }
}
