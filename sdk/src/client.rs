//! A client whose calls run unchanged against an RPC endpoint
//! ([`RpcConnection`]) or the in-process runtime ([`BanksConnection`]).

// solana-banks-client 3.x marks its whole API deprecated ahead of moving it
// behind an "unstable" feature in 4.0; it is still the in-process runtime's only client.
#![allow(deprecated)]

use async_trait::async_trait;
use solana_banks_client::{BanksClient, BanksClientError};
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::config::RpcTransactionConfig;
use solana_sdk::{
    account::Account,
    hash::Hash,
    instruction::Instruction,
    pubkey::Pubkey,
    signature::{Keypair, Signature},
    signer::Signer,
    transaction::Transaction,
};
use solana_transaction_status_client_types::{
    option_serializer::OptionSerializer, UiInstruction, UiTransactionEncoding,
};

use crate::{
    accounts::{decode, Config, Contribution, License, LicenseTerms, Model, ModelView},
    events::LedgerEvent,
    instructions::{
        self as ix, InitializeConfigArgs, ProposeContributionArgs, RegisterModelArgs,
        UpdateConfigArgs,
    },
    pda, SdkError,
};

/// What a landed transaction left behind.
#[derive(Debug, Clone)]
pub struct TransactionOutcome {
    pub signature: Signature,
    /// The Model Ledger events it emitted, in order.
    pub events: Vec<LedgerEvent>,
}

/// The few operations the client needs from a cluster.
#[async_trait]
pub trait LedgerConnection: Send + Sync {
    async fn get_account(&self, address: &Pubkey) -> Result<Option<Account>, SdkError>;
    async fn latest_blockhash(&self) -> Result<Hash, SdkError>;
    /// Submits a signed transaction, waits until it is confirmed, and returns its events.
    async fn send_transaction(
        &self,
        transaction: &Transaction,
    ) -> Result<TransactionOutcome, SdkError>;
}

/// The in-process runtime (solana-program-test's bank).
#[derive(Clone)]
pub struct BanksConnection(pub BanksClient);

fn banks_error(error: BanksClientError) -> SdkError {
    match error {
        BanksClientError::TransactionError(error)
        | BanksClientError::SimulationError { err: error, .. } => error.into(),
        other => SdkError::Connection(other.to_string()),
    }
}

#[async_trait]
impl LedgerConnection for BanksConnection {
    async fn get_account(&self, address: &Pubkey) -> Result<Option<Account>, SdkError> {
        self.0.get_account(*address).await.map_err(banks_error)
    }

    async fn latest_blockhash(&self) -> Result<Hash, SdkError> {
        self.0.get_latest_blockhash().await.map_err(banks_error)
    }

    /// BanksClient reports no inner instructions for processed transactions, so
    /// the same transaction is first simulated against the same bank, which
    /// records them; execution is deterministic, so the events are those of
    /// the processed transaction, which is only then submitted.
    async fn send_transaction(
        &self,
        transaction: &Transaction,
    ) -> Result<TransactionOutcome, SdkError> {
        let simulation = self
            .0
            .simulate_transaction(transaction.clone())
            .await
            .map_err(banks_error)?;
        self.0
            .process_transaction(transaction.clone())
            .await
            .map_err(banks_error)?;
        let keys = &transaction.message.account_keys;
        let inner = simulation
            .simulation_details
            .and_then(|details| details.inner_instructions)
            .unwrap_or_default();
        let events =
            LedgerEvent::from_inner_instructions(inner.iter().flatten().filter_map(|inner| {
                let program = keys.get(usize::from(inner.instruction.program_id_index))?;
                Some((*program, inner.instruction.data.as_slice()))
            }));
        Ok(TransactionOutcome {
            signature: transaction.signatures[0],
            events,
        })
    }
}

/// A real cluster through its JSON-RPC endpoint.
pub struct RpcConnection(pub RpcClient);

impl RpcConnection {
    /// ```
    /// let connection = model_ledger_sdk::client::RpcConnection::new("http://127.0.0.1:8899");
    /// assert_eq!(connection.0.url(), "http://127.0.0.1:8899");
    /// ```
    pub fn new(url: impl Into<String>) -> Self {
        Self(RpcClient::new_with_commitment(
            url.into(),
            CommitmentConfig::confirmed(),
        ))
    }
}

fn rpc_error(error: solana_rpc_client_api::client_error::Error) -> SdkError {
    match error.get_transaction_error() {
        Some(transaction_error) => transaction_error.into(),
        None => SdkError::Connection(error.to_string()),
    }
}

#[async_trait]
impl LedgerConnection for RpcConnection {
    async fn get_account(&self, address: &Pubkey) -> Result<Option<Account>, SdkError> {
        let response = self
            .0
            .get_account_with_commitment(address, self.0.commitment())
            .await
            .map_err(rpc_error)?;
        Ok(response.value)
    }

    async fn latest_blockhash(&self) -> Result<Hash, SdkError> {
        self.0.get_latest_blockhash().await.map_err(rpc_error)
    }

    async fn send_transaction(
        &self,
        transaction: &Transaction,
    ) -> Result<TransactionOutcome, SdkError> {
        let signature = self
            .0
            .send_and_confirm_transaction(transaction)
            .await
            .map_err(rpc_error)?;
        let confirmed = self
            .0
            .get_transaction_with_config(
                &signature,
                RpcTransactionConfig {
                    encoding: Some(UiTransactionEncoding::Base64),
                    commitment: Some(self.0.commitment()),
                    max_supported_transaction_version: Some(0),
                },
            )
            .await
            .map_err(rpc_error)?;
        let keys = transaction.message.account_keys.clone();
        let inner = match confirmed
            .transaction
            .meta
            .map(|meta| meta.inner_instructions)
        {
            Some(OptionSerializer::Some(inner)) => inner,
            _ => Vec::new(),
        };
        let decoded: Vec<(Pubkey, Vec<u8>)> = inner
            .iter()
            .flat_map(|group| group.instructions.iter())
            .filter_map(|instruction| match instruction {
                UiInstruction::Compiled(compiled) => Some((
                    *keys.get(usize::from(compiled.program_id_index))?,
                    bs58::decode(&compiled.data).into_vec().ok()?,
                )),
                UiInstruction::Parsed(_) => None,
            })
            .collect();
        let events = LedgerEvent::from_inner_instructions(
            decoded
                .iter()
                .map(|(program, data)| (*program, data.as_slice())),
        );
        Ok(TransactionOutcome { signature, events })
    }
}

/// High-level Model Ledger calls over any [`LedgerConnection`]. The fee payer
/// signs every transaction; the acting wallet (authority, contributor…) is
/// passed to each call so it can be a different key.
pub struct LedgerClient<C> {
    pub connection: C,
    pub fee_payer: Keypair,
}

impl<C: LedgerConnection> LedgerClient<C> {
    pub fn new(connection: C, fee_payer: Keypair) -> Self {
        Self {
            connection,
            fee_payer,
        }
    }

    /// Signs `instructions` with the fee payer and `signers`, sends them as one transaction.
    pub async fn send(
        &self,
        instructions: &[Instruction],
        signers: &[&dyn Signer],
    ) -> Result<TransactionOutcome, SdkError> {
        let blockhash = self.connection.latest_blockhash().await?;
        let mut all_signers: Vec<&dyn Signer> = vec![&self.fee_payer];
        all_signers.extend(
            signers
                .iter()
                .filter(|signer| signer.pubkey() != self.fee_payer.pubkey()),
        );
        let transaction = Transaction::new_signed_with_payer(
            instructions,
            Some(&self.fee_payer.pubkey()),
            &all_signers,
            blockhash,
        );
        self.connection.send_transaction(&transaction).await
    }

    async fn fetch<T>(&self, address: &Pubkey) -> Result<T, SdkError>
    where
        T: anchor_lang::AccountDeserialize + anchor_lang::Discriminator,
    {
        let account = self
            .connection
            .get_account(address)
            .await?
            .ok_or(SdkError::AccountNotFound(*address))?;
        decode(address, &account)
    }

    pub async fn config(&self) -> Result<Config, SdkError> {
        self.fetch(&pda::config().0).await
    }

    pub async fn model(&self, address: &Pubkey) -> Result<Model, SdkError> {
        self.fetch(address).await
    }

    pub async fn contribution(&self, address: &Pubkey) -> Result<Contribution, SdkError> {
        self.fetch(address).await
    }

    pub async fn license(&self, address: &Pubkey) -> Result<License, SdkError> {
        self.fetch(address).await
    }

    /// A model with all its contributions and licence versions, read by index
    /// from the model's own counters (no account scan needed).
    pub async fn model_view(&self, address: &Pubkey) -> Result<ModelView, SdkError> {
        let model = self.model(address).await?;
        let mut contributions = Vec::with_capacity(model.contribution_count as usize);
        for index in 0..model.contribution_count {
            let key = pda::contribution(address, index).0;
            contributions.push((key, self.contribution(&key).await?));
        }
        let mut licenses = Vec::new();
        for version in model_ledger::constants::FIRST_LICENSE_VERSION..model.next_license_version {
            let key = pda::license(address, version).0;
            licenses.push((key, self.license(&key).await?));
        }
        Ok(ModelView {
            address: *address,
            model,
            contributions,
            licenses,
        })
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

    /// Registers a model; the payment mint's owner decides the token program.
    /// Returns the model's address.
    pub async fn register_model(
        &self,
        authority: &dyn Signer,
        payment_mint: &Pubkey,
        args: RegisterModelArgs,
    ) -> Result<(Pubkey, TransactionOutcome), SdkError> {
        let mint = self
            .connection
            .get_account(payment_mint)
            .await?
            .ok_or(SdkError::AccountNotFound(*payment_mint))?;
        let model = pda::model(&authority.pubkey(), &args.model_id).0;
        let instruction = ix::register_model(&authority.pubkey(), payment_mint, &mint.owner, args);
        let outcome = self.send(&[instruction], &[authority]).await?;
        Ok((model, outcome))
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

    /// Proposes a contribution under the model's next index, which it returns.
    /// Two proposals racing for the same index: the second fails and can simply be retried.
    pub async fn propose_contribution(
        &self,
        contributor: &dyn Signer,
        model: &Pubkey,
        args: ProposeContributionArgs,
    ) -> Result<(u32, TransactionOutcome), SdkError> {
        let index = self.model(model).await?.contribution_count;
        let instruction = ix::propose_contribution(&contributor.pubkey(), model, index, args);
        let outcome = self.send(&[instruction], &[contributor]).await?;
        Ok((index, outcome))
    }

    pub async fn accept_contribution(
        &self,
        authority: &dyn Signer,
        model: &Pubkey,
        index: u32,
        shares: u64,
    ) -> Result<TransactionOutcome, SdkError> {
        let instruction = ix::accept_contribution(&authority.pubkey(), model, index, shares);
        self.send(&[instruction], &[authority]).await
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
    ) -> Result<(u32, TransactionOutcome), SdkError> {
        let version = self.model(model).await?.next_license_version;
        let instruction = ix::publish_license(&authority.pubkey(), model, version, terms);
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
