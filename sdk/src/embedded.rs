//! The program running natively inside a real Solana runtime
//! (solana-program-test) next to the SPL Token and Token-2022 programs it
//! ships: the chain behind the tests, the CLI's embedded cluster and the demo.

// solana-program-test 3.x flags its API as "unstable" ahead of 4.0.
#![allow(deprecated)]

use std::sync::Arc;

use anchor_lang::prelude::AccountInfo;
use async_trait::async_trait;
use solana_banks_client::{BanksClient, BanksClientError};
use solana_program_test::{processor, ProgramTest, ProgramTestContext};
use solana_sdk::{
    account::Account,
    hash::Hash,
    pubkey::Pubkey,
    transaction::{Transaction, TransactionError},
};
use tokio::sync::{Mutex, MutexGuard};

use crate::{
    client::{LedgerConnection, TransactionOutcome},
    events::LedgerEvent,
    SdkError,
};

fn process_instruction(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> anchor_lang::solana_program::entrypoint::ProgramResult {
    // Anchor's `entry` ties the program id, the accounts and the data to one
    // lifetime; program-test hands them over with independent ones that all
    // outlive this call, so narrowing them to one is sound.
    let accounts: &[AccountInfo] = unsafe { core::mem::transmute(accounts) };
    model_ledger::entry(program_id, accounts, data)
}

/// A fresh runtime with the program loaded natively and nothing initialised.
/// The runtime logs every instruction at debug level unless `RUST_LOG` says
/// otherwise; this keeps it to errors.
pub fn program_test() -> ProgramTest {
    static QUIET_LOGS: std::sync::Once = std::sync::Once::new();
    QUIET_LOGS.call_once(|| {
        if std::env::var_os("RUST_LOG").is_none() {
            std::env::set_var("RUST_LOG", "error");
        }
    });
    let mut program_test = ProgramTest::new(
        "model_ledger",
        model_ledger::ID,
        processor!(process_instruction),
    );
    program_test.prefer_bpf(false);
    program_test
}

/// A connection to the in-process runtime. It shares the runtime's context
/// (behind an async mutex, as every clone of the connection does) because
/// only the context can move the bank to a new slot, which is how
/// [`LedgerConnection::blockhash_after`] gets a new blockhash without
/// waiting on program-test's wall-clock ticker.
#[derive(Clone)]
pub struct BanksConnection {
    banks: BanksClient,
    context: Arc<Mutex<ProgramTestContext>>,
}

fn banks_error(error: BanksClientError) -> SdkError {
    match error {
        BanksClientError::TransactionError(error)
        | BanksClientError::SimulationError { err: error, .. } => error.into(),
        other => SdkError::Connection(other.to_string()),
    }
}

impl BanksConnection {
    pub fn new(context: ProgramTestContext) -> Self {
        Self {
            banks: context.banks_client.clone(),
            context: Arc::new(Mutex::new(context)),
        }
    }

    /// The runtime's client, for what the connection does not cover (rent,
    /// sysvars, raw processing).
    pub fn banks(&self) -> &BanksClient {
        &self.banks
    }

    /// The runtime's context, for moving its clock or slot.
    pub async fn context(&self) -> MutexGuard<'_, ProgramTestContext> {
        self.context.lock().await
    }

    /// The slot the runtime is working on (program-test roots every slot it
    /// moves to, so the root is the working slot).
    pub async fn slot(&self) -> Result<u64, SdkError> {
        self.banks.get_root_slot().await.map_err(banks_error)
    }

    /// Moves the runtime to its next slot; the old bank is filled with ticks
    /// first, so the new slot starts under a blockhash never used before.
    pub async fn advance_slot(&self) -> Result<Hash, SdkError> {
        let mut context = self.context.lock().await;
        let slot = self.slot().await?;
        context
            .warp_to_slot(slot + 1)
            .map_err(|error| SdkError::Connection(format!("cannot advance the slot: {error:?}")))?;
        Ok(context.last_blockhash)
    }
}

#[async_trait]
impl LedgerConnection for BanksConnection {
    async fn get_account(&self, address: &Pubkey) -> Result<Option<Account>, SdkError> {
        self.banks.get_account(*address).await.map_err(banks_error)
    }

    async fn latest_blockhash(&self) -> Result<Hash, SdkError> {
        self.banks.get_latest_blockhash().await.map_err(banks_error)
    }

    /// Always advances one slot rather than waiting for program-test's
    /// ticker (which registers a blockhash every 400 ms of wall-clock time)
    /// or checking whether it happened to tick, so what happens never
    /// depends on how fast the machine is.
    async fn blockhash_after(&self, _used: &Hash) -> Result<Hash, SdkError> {
        self.advance_slot().await
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
            .banks
            .simulate_transaction(transaction.clone())
            .await
            .map_err(banks_error)?;
        // The bank answers a resubmitted (identical) transaction as a success
        // of its own; report it as what it is.
        if let Some(Err(TransactionError::AlreadyProcessed)) = &simulation.result {
            return Err(TransactionError::AlreadyProcessed.into());
        }
        // Executed on the working bank directly: unlike `process_transaction`,
        // this path also accepts durable-nonce transactions.
        self.banks
            .process_transaction_with_metadata(transaction.clone())
            .await
            .map_err(banks_error)?
            .result?;
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
