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

use crate::{events::LedgerEvent, SdkError, PROGRAM_ID};

/// What a landed transaction left behind.
#[derive(Debug, Clone)]
pub struct TransactionOutcome {
    pub signature: Signature,
    /// The slot it landed in.
    pub slot: u64,
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
        Ok(self.outcome_of(signature).await?.events)
    }

    /// What a transaction left behind: its events and compute units, at
    /// the connection's commitment. An event that does not decode is left
    /// out here; an indexer reads [`RpcConnection::fetch_transaction`] and
    /// decodes strictly.
    pub async fn outcome_of(&self, signature: &Signature) -> Result<TransactionOutcome, SdkError> {
        let fetched = self
            .fetch_transaction(signature, self.0.commitment())
            .await?;
        let events = fetched
            .program_inner_data
            .iter()
            .flatten()
            .filter_map(|data| LedgerEvent::decode(data))
            .collect();
        Ok(TransactionOutcome {
            signature: *signature,
            slot: fetched.slot,
            events,
            compute_units: fetched.compute_units,
        })
    }

    /// A transaction as the cluster recorded it at `commitment`, reduced to
    /// what concerns the program.
    pub async fn fetch_transaction(
        &self,
        signature: &Signature,
        commitment: CommitmentConfig,
    ) -> Result<FetchedTransaction, SdkError> {
        let confirmed = self
            .0
            .get_transaction_with_config(
                signature,
                RpcTransactionConfig {
                    encoding: Some(UiTransactionEncoding::Base64),
                    commitment: Some(commitment),
                    max_supported_transaction_version: Some(0),
                },
            )
            .await
            .map_err(rpc_error)?;
        let transaction = confirmed.transaction.transaction.decode().ok_or_else(|| {
            SdkError::Connection(format!("transaction {signature} cannot be decoded"))
        })?;
        let meta = confirmed.transaction.meta.ok_or_else(|| {
            SdkError::Connection(format!(
                "the cluster returned transaction {signature} without its status"
            ))
        })?;
        // Instructions name programs by index into the static keys, then
        // the keys loaded from address lookup tables (writable, read-only).
        let mut keys = transaction.message.static_account_keys().to_vec();
        if let OptionSerializer::Some(loaded) = &meta.loaded_addresses {
            for address in loaded.writable.iter().chain(&loaded.readonly) {
                keys.push(address.parse().map_err(|_| {
                    SdkError::Connection(format!(
                        "transaction {signature}: {address} is not an address"
                    ))
                })?);
            }
        }
        let invokes_top_level = transaction
            .message
            .instructions()
            .iter()
            .any(|instruction| {
                keys.get(usize::from(instruction.program_id_index)) == Some(&PROGRAM_ID)
            });
        let program_inner_data = match &meta.inner_instructions {
            OptionSerializer::Some(groups) => {
                let mut data = Vec::new();
                for instruction in groups.iter().flat_map(|group| group.instructions.iter()) {
                    let UiInstruction::Compiled(compiled) = instruction else {
                        continue;
                    };
                    if keys.get(usize::from(compiled.program_id_index)) != Some(&PROGRAM_ID) {
                        continue;
                    }
                    data.push(bs58::decode(&compiled.data).into_vec().map_err(|error| {
                        SdkError::Connection(format!(
                            "transaction {signature}: an inner instruction's data is not base58: {error}"
                        ))
                    })?);
                }
                Some(data)
            }
            _ => None,
        };
        Ok(FetchedTransaction {
            signature: *signature,
            slot: confirmed.slot,
            block_time: confirmed.block_time,
            failed: meta.err.is_some(),
            invokes_program: invokes_top_level
                || program_inner_data
                    .as_ref()
                    .is_some_and(|data| !data.is_empty()),
            program_inner_data,
            compute_units: meta.compute_units_consumed.into(),
        })
    }
}

/// A transaction as a cluster recorded it, reduced to what an indexer of the
/// program reads.
#[derive(Debug, Clone)]
pub struct FetchedTransaction {
    pub signature: Signature,
    pub slot: u64,
    pub block_time: Option<i64>,
    /// It failed: whatever it did was rolled back, events included.
    pub failed: bool,
    /// One of its instructions, top level or inner, is the program's.
    pub invokes_program: bool,
    /// The data of its inner instructions to the program (events are such
    /// self-invocations), in execution order; `None` when the cluster kept
    /// no inner instructions for it.
    pub program_inner_data: Option<Vec<Vec<u8>>>,
    pub compute_units: Option<u64>,
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
        self.outcome_of(&signature).await
    }
}

/// A connection that keeps every transaction that lands through it, in
/// order: what an indexer of a test chain, or of the CLI's embedded
/// ledger, reads. Dereferences to the connection it wraps.
#[derive(Clone)]
pub struct Recording<C> {
    inner: C,
    landed: std::sync::Arc<std::sync::Mutex<Vec<TransactionOutcome>>>,
}

impl<C> Recording<C> {
    pub fn new(inner: C) -> Self {
        Self {
            inner,
            landed: Default::default(),
        }
    }

    /// Every transaction landed so far.
    pub fn landed(&self) -> Vec<TransactionOutcome> {
        self.landed.lock().expect("not poisoned").clone()
    }

    /// Every transaction landed after the first `start`, in order.
    pub fn landed_from(&self, start: usize) -> Vec<TransactionOutcome> {
        let landed = self.landed.lock().expect("not poisoned");
        landed.get(start..).unwrap_or_default().to_vec()
    }

    /// Every transaction landed since the last call, removed from the record.
    pub fn take_landed(&self) -> Vec<TransactionOutcome> {
        std::mem::take(&mut *self.landed.lock().expect("not poisoned"))
    }
}

impl<C> std::ops::Deref for Recording<C> {
    type Target = C;

    fn deref(&self) -> &C {
        &self.inner
    }
}

#[async_trait]
impl<C: LedgerConnection> LedgerConnection for Recording<C> {
    async fn get_account(&self, address: &Pubkey) -> Result<Option<Account>, SdkError> {
        self.inner.get_account(address).await
    }

    async fn latest_blockhash(&self) -> Result<Hash, SdkError> {
        self.inner.latest_blockhash().await
    }

    async fn blockhash_after(&self, used: &Hash) -> Result<Hash, SdkError> {
        self.inner.blockhash_after(used).await
    }

    async fn simulate(&self, transaction: &Transaction) -> Result<u64, SdkError> {
        self.inner.simulate(transaction).await
    }

    async fn send_transaction(
        &self,
        transaction: &Transaction,
    ) -> Result<TransactionOutcome, SdkError> {
        let outcome = self.inner.send_transaction(transaction).await?;
        self.landed
            .lock()
            .expect("not poisoned")
            .push(outcome.clone());
        Ok(outcome)
    }
}
