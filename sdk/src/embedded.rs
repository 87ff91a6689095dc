//! The program inside a real Solana runtime (solana-program-test), natively
//! or as an SBF binary in the VM, next to the SPL Token and Token-2022
//! programs it ships: the chain behind the tests, the CLI's embedded cluster
//! and the demo.

// solana-program-test 3.x flags its API as "unstable" ahead of 4.0.
#![allow(deprecated)]

use std::sync::Arc;

use anchor_lang::{
    prelude::{AccountInfo, Rent},
    solana_program::bpf_loader_upgradeable::{self, UpgradeableLoaderState},
};
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

/// Names the SBF binary to run instead of the native build: the path of
/// `model_ledger.so` or of the directory holding it (what
/// `../shared/sbf/build-sbf` writes: `target/deploy`).
pub const SBF_ENV: &str = "MODEL_LEDGER_SBF";

/// Where the program comes from in a runtime [`program_test`] starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgramBuild {
    /// Compiled into this process and run as a builtin: fast, but every
    /// instruction costs 1 compute unit and the VM's limits are not applied.
    Native,
    /// An SBF binary run in the real VM under the upgradeable loader, as on a
    /// cluster: compute units, stack frames and heap as deployed code sees them.
    Sbf(std::path::PathBuf),
}

impl ProgramBuild {
    /// [`SBF_ENV`] if set (the binary must exist), else native.
    pub fn from_env() -> Result<Self, SdkError> {
        let Some(value) = std::env::var_os(SBF_ENV) else {
            return Ok(ProgramBuild::Native);
        };
        let path = std::path::PathBuf::from(value);
        let file = if path.is_dir() {
            path.join("model_ledger.so")
        } else {
            path
        };
        if !file.is_file() {
            let directory = std::env::current_dir().unwrap_or_default();
            return Err(SdkError::Connection(format!(
                "{SBF_ENV} names {}, which is not an SBF binary (seen from {}; give an absolute path, or build one with ../shared/sbf/build-sbf)",
                file.display(),
                directory.display()
            )));
        }
        Ok(ProgramBuild::Sbf(file))
    }
}

/// Chooses the program at SPL Token's address: `p-token` (the default) or
/// `spl-token`.
pub const TOKEN_PROGRAM_ENV: &str = "MODEL_LEDGER_TOKEN_PROGRAM";

/// p-token 1.0.0, mainnet's SPL Token program since SIMD-0266 (May 2026),
/// byte-identical to `solana-program-binaries` 4.4.0's copy (see
/// `sdk/token-programs/README.md`).
pub const P_TOKEN_ELF: &[u8] = include_bytes!("../token-programs/spl_p_token-1.0.0.so");

/// The program a runtime [`program_test`] starts runs at SPL Token's
/// address (Token-2022 is always 10.0.0, which mainnet runs and
/// solana-program-test ships).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProgram {
    /// p-token 1.0.0, as mainnet runs it: `TransferChecked` about 105
    /// compute units.
    PToken,
    /// SPL Token 3.5.0, which solana-program-test 3.1.12 ships and mainnet
    /// ran before p-token: `TransferChecked` 6 174 units. For comparison.
    SplToken,
}

impl TokenProgram {
    /// [`TOKEN_PROGRAM_ENV`] if set, else p-token.
    pub fn from_env() -> Result<Self, SdkError> {
        match std::env::var(TOKEN_PROGRAM_ENV).as_deref() {
            Err(std::env::VarError::NotPresent) | Ok("p-token") => Ok(TokenProgram::PToken),
            Ok("spl-token") => Ok(TokenProgram::SplToken),
            Ok(other) => Err(SdkError::Connection(format!(
                "{TOKEN_PROGRAM_ENV} is {other:?}: say p-token (mainnet's, the default) or spl-token (SPL Token 3.5.0)"
            ))),
            Err(std::env::VarError::NotUnicode(_)) => Err(SdkError::Connection(format!(
                "{TOKEN_PROGRAM_ENV} is not UTF-8: say p-token or spl-token"
            ))),
        }
    }

    /// The program and version, as the bench prints it.
    pub fn name(&self) -> &'static str {
        match self {
            TokenProgram::PToken => "p-token 1.0.0",
            TokenProgram::SplToken => "SPL Token 3.5.0",
        }
    }
}

/// The two accounts of a program under the upgradeable loader, as a deploy
/// leaves them: the program, pointing at its ProgramData, and the
/// ProgramData (deployment slot, upgrade authority, the ELF).
fn upgradeable_program(
    program_test: &mut ProgramTest,
    program_id: &Pubkey,
    upgrade_authority: Option<Pubkey>,
    elf: &[u8],
) {
    let program_data = bpf_loader_upgradeable::get_program_data_address(program_id);
    let program = bincode::serialize(&UpgradeableLoaderState::Program {
        programdata_address: program_data,
    })
    .expect("serialisable");
    program_test.add_account(
        *program_id,
        Account {
            lamports: Rent::default().minimum_balance(program.len()),
            data: program,
            owner: bpf_loader_upgradeable::ID,
            executable: true,
            rent_epoch: 0,
        },
    );
    program_test.add_account(program_data, program_data_account(upgrade_authority, elf));
}

/// A ProgramData account: deployment slot 0, `upgrade_authority`, `elf`.
fn program_data_account(upgrade_authority: Option<Pubkey>, elf: &[u8]) -> Account {
    let mut data = bincode::serialize(&UpgradeableLoaderState::ProgramData {
        slot: 0,
        upgrade_authority_address: upgrade_authority,
    })
    .expect("serialisable");
    data.resize(UpgradeableLoaderState::size_of_programdata_metadata(), 0);
    data.extend_from_slice(elf);
    Account {
        lamports: Rent::default().minimum_balance(data.len()),
        data,
        owner: bpf_loader_upgradeable::ID,
        executable: false,
        rent_epoch: 0,
    }
}

/// A fresh runtime with the program loaded and nothing initialised:
/// natively, or the SBF binary that [`SBF_ENV`] names; and mainnet's token
/// programs ([`TokenProgram::from_env`]). Either way the program's
/// ProgramData account exists at its canonical address with
/// `upgrade_authority` as upgrade authority, as after a deploy, so that
/// `initialize_config` can check who deployed the program.
///
/// The runtime logs every instruction at debug level unless `RUST_LOG` says
/// otherwise; this keeps it to errors.
pub fn program_test(upgrade_authority: &Pubkey) -> Result<ProgramTest, SdkError> {
    static QUIET_LOGS: std::sync::Once = std::sync::Once::new();
    QUIET_LOGS.call_once(|| {
        if std::env::var_os("RUST_LOG").is_none() {
            std::env::set_var("RUST_LOG", "error");
        }
    });
    let token_program = TokenProgram::from_env()?;
    let mut program_test = match ProgramBuild::from_env()? {
        ProgramBuild::Native => {
            let mut program_test = ProgramTest::new(
                "model_ledger",
                model_ledger::ID,
                processor!(process_instruction),
            );
            program_test.prefer_bpf(false);
            program_test.add_account(
                crate::pda::program_data(),
                program_data_account(Some(*upgrade_authority), &[]),
            );
            program_test
        }
        ProgramBuild::Sbf(file) => {
            let elf = std::fs::read(&file).map_err(|error| {
                SdkError::Connection(format!("cannot read {}: {error}", file.display()))
            })?;
            let mut program_test = ProgramTest::default();
            upgradeable_program(
                &mut program_test,
                &model_ledger::ID,
                Some(*upgrade_authority),
                &elf,
            );
            program_test
        }
    };
    if token_program == TokenProgram::PToken {
        // As solana-program-binaries 4.4.0 loads it: under the upgradeable
        // loader, with the default key as (nobody's) upgrade authority.
        upgradeable_program(
            &mut program_test,
            &anchor_spl::token::ID,
            Some(Pubkey::default()),
            P_TOKEN_ELF,
        );
    }
    Ok(program_test)
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

/// Prints a transaction's runtime log (program logs, compute units, CPIs)
/// to stderr when [`LOGS_ENV`] is set. In the SBF VM the program's `msg!`
/// lines exist only there; natively they also go to stdout.
fn print_logs(logs: &[String]) {
    static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *ENABLED.get_or_init(|| std::env::var_os(LOGS_ENV).is_some()) {
        for line in logs {
            eprintln!("{line}");
        }
    }
}

/// Set to print every in-process transaction's runtime log to stderr.
pub const LOGS_ENV: &str = "MODEL_LEDGER_LOGS";

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

    async fn simulate(&self, transaction: &Transaction) -> Result<u64, SdkError> {
        let simulation = self
            .banks
            .simulate_transaction(transaction.clone())
            .await
            .map_err(banks_error)?;
        if let Some(Err(error)) = simulation.result {
            let logs = simulation
                .simulation_details
                .map(|details| details.logs)
                .unwrap_or_default();
            return Err(SdkError::from_failure(error, &logs));
        }
        Ok(simulation
            .simulation_details
            .map(|details| details.units_consumed)
            .unwrap_or_default())
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
        if let Some(details) = &simulation.simulation_details {
            print_logs(&details.logs);
        }
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
            .result
            .map_err(|error| {
                let logs = simulation
                    .simulation_details
                    .as_ref()
                    .map(|details| details.logs.as_slice())
                    .unwrap_or_default();
                SdkError::from_failure(error, logs)
            })?;
        let keys = &transaction.message.account_keys;
        let details = simulation.simulation_details;
        let compute_units = details.as_ref().map(|details| details.units_consumed);
        let inner = details
            .and_then(|details| details.inner_instructions)
            .unwrap_or_default();
        let events =
            LedgerEvent::from_inner_instructions(inner.iter().flatten().filter_map(|inner| {
                let program = keys.get(usize::from(inner.instruction.program_id_index))?;
                Some((*program, inner.instruction.data.as_slice()))
            }));
        Ok(TransactionOutcome {
            signature: transaction.signatures[0],
            slot: self.slot().await?,
            events,
            compute_units,
        })
    }
}
