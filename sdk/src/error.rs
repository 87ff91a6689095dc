//! The SDK's error type: program errors by name, everything else by kind.

use model_ledger::errors::LedgerError;
use solana_sdk::{instruction::InstructionError, pubkey::Pubkey, transaction::TransactionError};

/// Anchor numbers a program's own errors from this offset.
pub const ERROR_CODE_OFFSET: u32 = anchor_lang::error::ERROR_CODE_OFFSET;

#[derive(Debug, thiserror::Error)]
pub enum SdkError {
    /// The program refused the instruction with one of its named errors.
    #[error("instruction {instruction} failed: {} ({error})", error.name())]
    Program { instruction: u8, error: LedgerError },
    /// The transaction failed for another reason (an Anchor constraint, the
    /// runtime, the token program, signatures…).
    #[error("transaction failed: {0}")]
    Transaction(TransactionError),
    /// The cluster had already processed this exact transaction (same
    /// instructions, signers and blockhash): nothing new was executed.
    #[error("already processed: this exact transaction (same instructions, signers and blockhash) landed before, so nothing new was executed")]
    AlreadyProcessed,
    #[error("account {0} does not exist")]
    AccountNotFound(Pubkey),
    #[error("account {address} could not be decoded: {reason}")]
    Decode { address: Pubkey, reason: String },
    /// A transaction could not be signed (a required signer is missing, or
    /// one was given that the transaction does not need).
    #[error("signing: {0}")]
    Signing(String),
    /// The connection (RPC endpoint or in-process bank) failed.
    #[error("connection: {0}")]
    Connection(String),
}

impl SdkError {
    /// The program error, if the program refused the transaction with one.
    pub fn ledger_error(&self) -> Option<LedgerError> {
        match self {
            SdkError::Program { error, .. } => Some(*error),
            _ => None,
        }
    }

    /// The custom error code carried by a failed transaction, if any.
    pub fn custom_code(&self) -> Option<u32> {
        match self {
            SdkError::Program { error, .. } => Some(u32::from(*error)),
            SdkError::Transaction(TransactionError::InstructionError(
                _,
                InstructionError::Custom(code),
            )) => Some(*code),
            _ => None,
        }
    }
}

/// Maps a program error code (6000 + position) to its named variant.
///
/// ```
/// use model_ledger::errors::LedgerError;
/// use model_ledger_sdk::error::ledger_error_from_code;
/// assert!(matches!(ledger_error_from_code(6000), Some(LedgerError::MathOverflow)));
/// assert!(ledger_error_from_code(42).is_none());
/// ```
pub fn ledger_error_from_code(code: u32) -> Option<LedgerError> {
    LedgerError::ALL
        .iter()
        .copied()
        .find(|error| u32::from(*error) == code)
}

impl From<TransactionError> for SdkError {
    fn from(error: TransactionError) -> Self {
        if error == TransactionError::AlreadyProcessed {
            return SdkError::AlreadyProcessed;
        }
        if let TransactionError::InstructionError(instruction, InstructionError::Custom(code)) =
            &error
        {
            if let Some(ledger) = ledger_error_from_code(*code) {
                return SdkError::Program {
                    instruction: *instruction,
                    error: ledger,
                };
            }
        }
        SdkError::Transaction(error)
    }
}
