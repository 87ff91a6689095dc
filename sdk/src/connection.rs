//! How the SDK reaches a cluster: the few operations it needs
//! ([`LedgerConnection`]) and their JSON-RPC implementation ([`RpcConnection`]);
//! `embedded::BanksConnection` is the in-process one.

// solana-banks-client 3.x marks its whole API deprecated ahead of moving it
// behind an "unstable" feature in 4.0; it is still the in-process runtime's only client.
#![allow(deprecated)]

use async_trait::async_trait;
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::config::{RpcSimulateTransactionConfig, RpcTransactionConfig};
use solana_sdk::{
    account::Account,
    hash::Hash,
    pubkey::Pubkey,
    signature::Signature,
    transaction::{Transaction, TransactionError},
};
use solana_transaction_status_client_types::{
    option_serializer::OptionSerializer, UiInstruction, UiTransactionEncoding,
};

use crate::{events::LedgerEvent, SdkError};

/// What a landed transaction left behind.
#[derive(Debug, Clone)]
pub struct TransactionOutcome {
    pub signature: Signature,
    /// The Model Ledger events it emitted, in order.
    pub events: Vec<LedgerEvent>,
    /// Compute units the whole transaction consumed, as the cluster reports
    /// them (natively run builtins count 1 each; an SBF build counts for real).
    pub compute_units: Option<u64>,
}

/// The few operations the client needs from a cluster.
#[async_trait]
pub trait LedgerConnection: Send + Sync {
    async fn get_account(&self, address: &Pubkey) -> Result<Option<Account>, SdkError>;
    async fn latest_blockhash(&self) -> Result<Hash, SdkError>;
    /// A recent blockhash other than `used`. A transaction signed again under
    /// it differs from every transaction signed under `used`, so a repeated
    /// call (a second claim with the same accounts) is a new transaction
    /// rather than a duplicate that the cluster drops as already processed.
    async fn blockhash_after(&self, used: &Hash) -> Result<Hash, SdkError>;
    /// Runs a transaction without committing it; returns the compute units it
    /// consumed, or the error it would fail with.
    async fn simulate(&self, transaction: &Transaction) -> Result<u64, SdkError>;
    /// Submits a signed transaction, waits until it is confirmed, and returns its events.
    async fn send_transaction(
        &self,
        transaction: &Transaction,
    ) -> Result<TransactionOutcome, SdkError>;
}

/// A real cluster through its JSON-RPC endpoint. Every call (reads,
/// blockhashes, simulations, confirmations, transaction lookups, airdrops)
/// uses one commitment, [`RpcConnection::COMMITMENT`]: confirmed, so a
/// command sees what the previous one did without waiting for finality.
pub struct RpcConnection(pub RpcClient);

impl RpcConnection {
    pub const COMMITMENT: CommitmentConfig = CommitmentConfig::confirmed();

    /// ```
    /// use model_ledger_sdk::client::RpcConnection;
    /// let connection = RpcConnection::new("http://127.0.0.1:8899");
    /// assert_eq!(connection.0.url(), "http://127.0.0.1:8899");
    /// assert_eq!(connection.0.commitment(), RpcConnection::COMMITMENT);
    /// ```
    pub fn new(url: impl Into<String>) -> Self {
        Self(RpcClient::new_with_commitment(url.into(), Self::COMMITMENT))
    }
}

impl RpcConnection {
    /// The Model Ledger events a transaction emitted, once it has reached
    /// the connection's commitment (confirmed: no need to wait for finality).
    pub async fn events_of(&self, signature: &Signature) -> Result<Vec<LedgerEvent>, SdkError> {
        Ok(self.outcome_of(signature, None).await?.events)
    }

    /// What a transaction left behind: its events and compute units. `keys`
    /// are its message's account keys when the caller has them; otherwise
    /// they are read from the fetched transaction.
    pub async fn outcome_of(
        &self,
        signature: &Signature,
        keys: Option<&[Pubkey]>,
    ) -> Result<TransactionOutcome, SdkError> {
        let confirmed = self
            .0
            .get_transaction_with_config(
                signature,
                RpcTransactionConfig {
                    encoding: Some(UiTransactionEncoding::Base64),
                    commitment: Some(self.0.commitment()),
                    max_supported_transaction_version: Some(0),
                },
            )
            .await
            .map_err(rpc_error)?;
        let fetched_keys;
        let keys = match keys {
            Some(keys) => keys,
            None => {
                let transaction = confirmed.transaction.transaction.decode().ok_or_else(|| {
                    SdkError::Connection(format!("transaction {signature} cannot be decoded"))
                })?;
                fetched_keys = transaction.message.static_account_keys().to_vec();
                &fetched_keys
            }
        };
        let meta = confirmed.transaction.meta;
        let compute_units = meta
            .as_ref()
            .and_then(|meta| Option::<u64>::from(meta.compute_units_consumed.clone()));
        let inner = match meta.map(|meta| meta.inner_instructions) {
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
        Ok(TransactionOutcome {
            signature: *signature,
            events,
            compute_units,
        })
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

    /// A real cluster moves to a new blockhash with every slot (about
    /// 400 ms); waiting for it is the only way to get one.
    async fn blockhash_after(&self, used: &Hash) -> Result<Hash, SdkError> {
        self.0
            .get_new_latest_blockhash(used)
            .await
            .map_err(rpc_error)
    }

    async fn simulate(&self, transaction: &Transaction) -> Result<u64, SdkError> {
        let simulation = self
            .0
            .simulate_transaction_with_config(
                transaction,
                RpcSimulateTransactionConfig {
                    sig_verify: false,
                    commitment: Some(self.0.commitment()),
                    ..Default::default()
                },
            )
            .await
            .map_err(rpc_error)?
            .value;
        if let Some(error) = simulation.err {
            return Err(SdkError::from_failure(
                TransactionError::from(error),
                simulation.logs.as_deref().unwrap_or_default(),
            ));
        }
        Ok(simulation.units_consumed.unwrap_or_default())
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
        self.outcome_of(&signature, Some(&transaction.message.account_keys))
            .await
    }
}
