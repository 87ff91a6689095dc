//! [`LedgerClient`] and its write calls: each resolves the accounts an
//! instruction needs from chain state, builds it, and sends it through
//! [`LedgerClient::send`]. Calls whose accounts must be read first also come
//! as `*_instruction(s)` methods that only build, for callers that sign
//! elsewhere; the rest build with [`crate::instructions`] alone. Reads are
//! in [`crate::queries`], connections in [`crate::connection`], signing and
//! sending in [`crate::send`].

use solana_sdk::{instruction::Instruction, pubkey::Pubkey, signature::Keypair, signer::Signer};

use crate::{
    accounts::{AiTerms, LicenseTerms},
    instructions::{
        self as ix, AcquireGrantArgs, AttributionEntry, InitializeConfigArgs, ParentGrant,
        ProposeContributionArgs, RecordInferenceArgs, RegisterModelArgs, UpdateConfigArgs,
    },
    pda, SdkError,
};
pub use crate::{
    connection::{LedgerConnection, Recording, RpcConnection, TransactionOutcome},
    queries::{associated_token, token_amount, Audit, Earning, LineageLink},
    send::{
        ComputeBudget, Delivered, DurableNonce, SignedTransaction, Signing, MAX_COMPUTE_UNIT_LIMIT,
    },
};
use model_ledger::state::MAX_ENTRIES_PER_GROWTH;

/// High-level Model Ledger calls over any [`LedgerConnection`]. The fee payer
/// signs every transaction; the acting wallet (authority, contributor…) is
/// passed to each call so it can be a different key. The fee payer is any
/// [`Signer`]: a keypair by default, or what a wallet holds (a hardware
/// wallet, a seed phrase, a signature made elsewhere).
pub struct LedgerClient<C, P = Keypair> {
    pub connection: C,
    pub fee_payer: P,
    pub compute_budget: ComputeBudget,
    pub signing: Signing,
}

impl<C: LedgerConnection, P: Signer> LedgerClient<C, P> {
    pub fn new(connection: C, fee_payer: P) -> Self {
        Self {
            connection,
            fee_payer,
            compute_budget: ComputeBudget::default(),
            signing: Signing::default(),
        }
    }

    pub async fn initialize_config(
        &self,
        admin: &dyn Signer,
        args: InitializeConfigArgs,
    ) -> Result<TransactionOutcome, SdkError> {
        self.send(&[ix::initialize_config(&admin.pubkey(), args)], &[admin])
            .await
    }

    pub async fn update_config(
        &self,
        admin: &dyn Signer,
        args: UpdateConfigArgs,
    ) -> Result<TransactionOutcome, SdkError> {
        self.send(&[ix::update_config(&admin.pubkey(), args)], &[admin])
            .await
    }

    /// The pending admin takes over the configuration.
    pub async fn accept_admin(
        &self,
        pending_admin: &dyn Signer,
    ) -> Result<TransactionOutcome, SdkError> {
        self.send(
            &[ix::accept_admin(&pending_admin.pubkey())],
            &[pending_admin],
        )
        .await
    }

    /// Registers a model; the payment mint's owner decides the token program.
    /// Returns the model's address.
    pub async fn register_model(
        &self,
        authority: &dyn Signer,
        payment_mint: &Pubkey,
        args: RegisterModelArgs,
    ) -> Result<(Pubkey, TransactionOutcome), SdkError> {
        self.register_derived_model(authority, payment_mint, args, &[])
            .await
    }

    /// The instruction registering a model (deriving from `parents`, if
    /// any), with the token program read from the payment mint's owner, and
    /// the model's address.
    pub async fn register_model_instruction(
        &self,
        authority: &Pubkey,
        payment_mint: &Pubkey,
        args: RegisterModelArgs,
        parents: &[ParentGrant],
    ) -> Result<(Pubkey, Instruction), SdkError> {
        let mint = self.existing_account(payment_mint).await?;
        let model = pda::model(authority, &args.model_id).0;
        let instruction = if parents.is_empty() {
            ix::register_model(authority, payment_mint, &mint.owner, args)
        } else {
            ix::register_derived_model(authority, payment_mint, &mint.owner, args, parents)
        };
        Ok((model, instruction))
    }

    pub async fn transfer_model_authority(
        &self,
        authority: &dyn Signer,
        model: &Pubkey,
        new_authority: Option<Pubkey>,
    ) -> Result<TransactionOutcome, SdkError> {
        let instruction = ix::transfer_model_authority(&authority.pubkey(), model, new_authority);
        self.send(&[instruction], &[authority]).await
    }

    pub async fn accept_model_authority(
        &self,
        new_authority: &dyn Signer,
        model: &Pubkey,
    ) -> Result<TransactionOutcome, SdkError> {
        let instruction = ix::accept_model_authority(&new_authority.pubkey(), model);
        self.send(&[instruction], &[new_authority]).await
    }

    /// Registers a model deriving from `parents`, each under a grant its
    /// authority holds. Returns the model's address.
    pub async fn register_derived_model(
        &self,
        authority: &dyn Signer,
        payment_mint: &Pubkey,
        args: RegisterModelArgs,
        parents: &[ParentGrant],
    ) -> Result<(Pubkey, TransactionOutcome), SdkError> {
        let (model, instruction) = self
            .register_model_instruction(&authority.pubkey(), payment_mint, args, parents)
            .await?;
        let outcome = self.send(&[instruction], &[authority]).await?;
        Ok((model, outcome))
    }

    /// Buys a grant on licence `version` of `model`, refusing to pay more
    /// than `max_fee` up front or `max_price_per_call`. Returns the grant.
    #[allow(clippy::too_many_arguments)]
    pub async fn acquire_grant(
        &self,
        licensee: &dyn Signer,
        model: &Pubkey,
        version: u32,
        max_fee: u64,
        max_price_per_call: u64,
        payer_token: &Pubkey,
    ) -> Result<(Pubkey, TransactionOutcome), SdkError> {
        let (grant, instruction) = self
            .acquire_grant_instruction(
                &licensee.pubkey(),
                model,
                version,
                AcquireGrantArgs {
                    expected_version: version,
                    max_fee,
                    max_price_per_call,
                },
                payer_token,
            )
            .await?;
        let outcome = self.send(&[instruction], &[licensee]).await?;
        Ok((grant, outcome))
    }

    /// The `acquire_grant` instruction and the grant's address.
    pub async fn acquire_grant_instruction(
        &self,
        licensee: &Pubkey,
        model: &Pubkey,
        version: u32,
        args: AcquireGrantArgs,
        payer_token: &Pubkey,
    ) -> Result<(Pubkey, Instruction), SdkError> {
        let accounts = self.model_accounts(model).await?;
        let license = pda::license(model, version).0;
        let instruction = ix::acquire_grant(licensee, &accounts, &license, payer_token, args);
        Ok((pda::grant(&license, licensee).0, instruction))
    }

    pub async fn set_meter(
        &self,
        licensee: &dyn Signer,
        grant: &Pubkey,
        meter: Option<Pubkey>,
    ) -> Result<TransactionOutcome, SdkError> {
        let instruction = ix::set_meter(&licensee.pubkey(), grant, meter);
        self.send(&[instruction], &[licensee]).await
    }

    /// Records one batch; `recorder` is the licensee or the grant's meter and
    /// should be this client's fee payer so the transaction has one signer.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_inference(
        &self,
        recorder: &dyn Signer,
        grant: &Pubkey,
        payer_token: &Pubkey,
        seq: u64,
        calls: u64,
        merkle_root: [u8; 32],
        attribution: Vec<AttributionEntry>,
    ) -> Result<TransactionOutcome, SdkError> {
        let instruction = self
            .record_inference_instruction(
                &recorder.pubkey(),
                grant,
                payer_token,
                RecordInferenceArgs {
                    seq,
                    calls,
                    merkle_root,
                    attribution,
                },
            )
            .await?;
        self.send(&[instruction], &[recorder]).await
    }

    /// The `record_inference` instruction for `grant`, with every account resolved.
    pub async fn record_inference_instruction(
        &self,
        recorder: &Pubkey,
        grant: &Pubkey,
        payer_token: &Pubkey,
        args: RecordInferenceArgs,
    ) -> Result<Instruction, SdkError> {
        let model = self.grant(grant).await?.model;
        let accounts = self.model_accounts(&model).await?;
        Ok(ix::record_inference(
            recorder,
            grant,
            &accounts,
            payer_token,
            args,
        ))
    }

    /// Permissionless: sweeps the protocol fees `model`'s book owes into the
    /// treasury's associated token account (created first if missing, this
    /// client's fee payer paying its rent).
    pub async fn collect_protocol_fees(
        &self,
        model: &Pubkey,
    ) -> Result<TransactionOutcome, SdkError> {
        let accounts = self.model_accounts(model).await?;
        let treasury = self.config().await?.treasury;
        let instructions =
            ix::collect_protocol_fees_to_associated(&self.fee_payer.pubkey(), &treasury, &accounts);
        self.send(&instructions, &[]).await
    }

    /// Permissionless: books what reached `model`'s vault outside the protocol.
    pub async fn book_surplus(&self, model: &Pubkey) -> Result<TransactionOutcome, SdkError> {
        let accounts = self.model_accounts(model).await?;
        self.send(&[ix::book_surplus(&accounts)], &[]).await
    }

    /// Permissionless: settles what `child` owes `parent`.
    pub async fn settle_upstream(
        &self,
        child: &Pubkey,
        parent: &Pubkey,
    ) -> Result<TransactionOutcome, SdkError> {
        let accounts = self.model_accounts(child).await?;
        self.send(&[ix::settle_upstream(&accounts, parent)], &[])
            .await
    }

    /// Claims everything contribution `index` of `model` has earned into `destination`.
    pub async fn claim(
        &self,
        payout_wallet: &dyn Signer,
        model: &Pubkey,
        index: u32,
        destination: &Pubkey,
    ) -> Result<TransactionOutcome, SdkError> {
        let accounts = self.model_accounts(model).await?;
        let instruction = ix::claim(&payout_wallet.pubkey(), &accounts, index, destination);
        self.send(&[instruction], &[payout_wallet]).await
    }

    pub async fn claim_unallocated(
        &self,
        authority: &dyn Signer,
        model: &Pubkey,
        destination: &Pubkey,
    ) -> Result<TransactionOutcome, SdkError> {
        let accounts = self.model_accounts(model).await?;
        let instruction = ix::claim_unallocated(&authority.pubkey(), &accounts, destination);
        self.send(&[instruction], &[authority]).await
    }

    /// Proposes a contribution under the model's next index, which it
    /// returns. Two proposals racing for the same index: the second fails
    /// with `ContributionIndexMismatch` and can simply be retried.
    pub async fn propose_contribution(
        &self,
        contributor: &dyn Signer,
        model: &Pubkey,
        args: ProposeContributionArgs,
    ) -> Result<(u32, TransactionOutcome), SdkError> {
        let index = self.next_contribution_index(model).await?;
        let instruction = ix::propose_contribution(&contributor.pubkey(), model, index, args);
        let outcome = self.send(&[instruction], &[contributor]).await?;
        Ok((index, outcome))
    }

    /// Accepts contribution `index` with `shares`. If the royalty book must
    /// grow by more than one instruction allows, it is extended first.
    pub async fn accept_contribution(
        &self,
        authority: &dyn Signer,
        model: &Pubkey,
        index: u32,
        shares: u64,
    ) -> Result<TransactionOutcome, SdkError> {
        let transactions = self
            .accept_contribution_transactions(&authority.pubkey(), model, index, shares)
            .await?;
        let mut outcome = None;
        for instructions in &transactions {
            outcome = Some(self.send(instructions, &[authority]).await?);
        }
        Ok(outcome.expect("the acceptance is the last transaction"))
    }

    /// The transactions accepting contribution `index`, in order: as many
    /// royalty-book extensions as the index lies beyond what one instruction
    /// may grow the book by, then the acceptance.
    pub async fn accept_contribution_transactions(
        &self,
        authority: &Pubkey,
        model: &Pubkey,
        index: u32,
        shares: u64,
    ) -> Result<Vec<Vec<Instruction>>, SdkError> {
        let mut entries = self.royalty_book(model).await?.entry_count;
        let mut transactions = Vec::new();
        while index.saturating_add(1).saturating_sub(entries) > MAX_ENTRIES_PER_GROWTH {
            transactions.push(vec![ix::extend_royalty_book(
                authority,
                model,
                MAX_ENTRIES_PER_GROWTH,
            )]);
            entries += MAX_ENTRIES_PER_GROWTH;
        }
        transactions.push(vec![ix::accept_contribution(
            authority, model, index, shares,
        )]);
        Ok(transactions)
    }

    pub async fn reject_contribution(
        &self,
        authority: &dyn Signer,
        model: &Pubkey,
        index: u32,
    ) -> Result<TransactionOutcome, SdkError> {
        let instruction = ix::reject_contribution(&authority.pubkey(), model, index);
        self.send(&[instruction], &[authority]).await
    }

    pub async fn revoke_contribution(
        &self,
        authority: &dyn Signer,
        model: &Pubkey,
        index: u32,
    ) -> Result<TransactionOutcome, SdkError> {
        let instruction = ix::revoke_contribution(&authority.pubkey(), model, index);
        self.send(&[instruction], &[authority]).await
    }

    pub async fn set_payout_wallet(
        &self,
        contributor: &dyn Signer,
        contribution: &Pubkey,
        payout_wallet: Pubkey,
    ) -> Result<TransactionOutcome, SdkError> {
        let instruction = ix::set_payout_wallet(&contributor.pubkey(), contribution, payout_wallet);
        self.send(&[instruction], &[contributor]).await
    }

    /// Publishes the model's next licence version, which it returns.
    pub async fn publish_license(
        &self,
        authority: &dyn Signer,
        model: &Pubkey,
        terms: LicenseTerms,
        ai: AiTerms,
    ) -> Result<(u32, TransactionOutcome), SdkError> {
        let version = self.model(model).await?.next_license_version;
        let instruction = ix::publish_license(&authority.pubkey(), model, version, terms, ai);
        let outcome = self.send(&[instruction], &[authority]).await?;
        Ok((version, outcome))
    }

    pub async fn retire_license(
        &self,
        authority: &dyn Signer,
        model: &Pubkey,
        version: u32,
    ) -> Result<TransactionOutcome, SdkError> {
        let instruction = ix::retire_license(&authority.pubkey(), model, version);
        self.send(&[instruction], &[authority]).await
    }
}
