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
    /// An account check of the Anchor framework refused the instruction
    /// before the program's own code ran: an account that does not exist,
    /// belongs to another program, is of another type, or is not at the
    /// address its seeds give. `account` is the instruction's name for it,
    /// when the program logged one.
    #[error("instruction {instruction} failed: {name} ({message}){}", account.as_ref().map(|name| format!(" on account `{name}`")).unwrap_or_default())]
    Framework {
        instruction: u8,
        code: u32,
        name: String,
        message: String,
        account: Option<String>,
    },
    /// SPL Token or Token-2022 refused (directly, or in a transfer the
    /// program made): its error by name, as the token program numbers it.
    #[error("instruction {instruction} failed: the token program refused: {message} ({name}, custom program error {code:#x})")]
    TokenProgram {
        instruction: u8,
        code: u32,
        name: String,
        message: String,
    },
    /// The transaction failed for another reason (the runtime, signatures…).
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
    /// The transaction was signed for offline submission
    /// (`Signing::sign_only`), not sent: there is no outcome yet.
    #[error("signed only, not sent: submit the signed transaction to get its outcome")]
    NotSent,
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
            SdkError::Framework { code, .. } | SdkError::TokenProgram { code, .. } => Some(*code),
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

impl SdkError {
    /// A failed transaction's error, named with the help of its logs: an
    /// Anchor framework error becomes [`SdkError::Framework`] with the
    /// account it concerned.
    pub fn from_failure(error: TransactionError, logs: &[String]) -> SdkError {
        if let TransactionError::InstructionError(instruction, InstructionError::Custom(code)) =
            &error
        {
            if *code < ERROR_CODE_OFFSET {
                // The program's log names the account; a natively run
                // program logs to standard output instead, so the code
                // alone names the error then.
                let named = anchor_error_in(logs, *code).or_else(|| {
                    framework_error_from_code(*code)
                        .map(|error| (error.name(), error.to_string(), None))
                });
                if let Some((name, message, account)) = named {
                    return SdkError::Framework {
                        instruction: *instruction,
                        code: *code,
                        name,
                        message,
                        account,
                    };
                }
            }
            if let Some((name, message)) = token_error_in(logs, *code) {
                return SdkError::TokenProgram {
                    instruction: *instruction,
                    code: *code,
                    name,
                    message,
                };
            }
        }
        error.into()
    }
}

/// The name and message of token-program error `code`, if the logs show SPL
/// Token or Token-2022 failing with it (the runtime logs `Program <id>
/// failed: custom program error: 0x<code>`). Both programs number their
/// shared errors alike.
///
/// ```
/// use model_ledger_sdk::error::token_error_in;
/// let logs = ["Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA failed: custom program error: 0x4".to_string()];
/// let (name, message) = token_error_in(&logs, 4).unwrap();
/// assert_eq!((name.as_str(), message.as_str()), ("OwnerMismatch", "Owner does not match"));
/// assert!(token_error_in(&logs, 1).is_none());
/// ```
pub fn token_error_in(logs: &[String], code: u32) -> Option<(String, String)> {
    use anchor_spl::token_2022::spl_token_2022::error::TokenError;
    use num_traits::FromPrimitive;
    let failed = format!("failed: custom program error: {code:#x}");
    let programs = [anchor_spl::token::ID, anchor_spl::token_2022::ID].map(|id| id.to_string());
    logs.iter().find(|line| {
        line.ends_with(&failed)
            && programs
                .iter()
                .any(|program| line.contains(program.as_str()))
    })?;
    let error = TokenError::from_u32(code)?;
    let name = format!("{error:?}");
    let name = name
        .split(|c: char| !c.is_alphanumeric())
        .next()?
        .to_string();
    Some((name, error.to_string()))
}

/// The name, message and account of the error numbered `code` in Anchor's
/// log line: `AnchorError caused by account: license. Error Code:
/// AccountNotInitialized. Error Number: 3012. Error Message: The program
/// expected this account to be already initialized.`
///
/// ```
/// use model_ledger_sdk::error::anchor_error_in;
/// let logs = ["Program log: AnchorError caused by account: license. Error Code: AccountNotInitialized. Error Number: 3012. Error Message: The program expected this account to be already initialized.".to_string()];
/// let (name, message, account) = anchor_error_in(&logs, 3012).unwrap();
/// assert_eq!(name, "AccountNotInitialized");
/// assert_eq!(message, "The program expected this account to be already initialized");
/// assert_eq!(account.as_deref(), Some("license"));
/// assert!(anchor_error_in(&logs, 2006).is_none());
/// ```
pub fn anchor_error_in(logs: &[String], code: u32) -> Option<(String, String, Option<String>)> {
    let number = format!("Error Number: {code}.");
    let line = logs
        .iter()
        .find(|line| line.contains("AnchorError") && line.contains(&number))?;
    let field = |label: &str| {
        let start = line.find(label)? + label.len();
        let rest = &line[start..];
        Some(
            rest[..rest.find(". ").unwrap_or(rest.len())]
                .trim_end_matches('.')
                .to_string(),
        )
    };
    Some((
        field("Error Code: ")?,
        field("Error Message: ").unwrap_or_default(),
        field("caused by account: "),
    ))
}

/// The Anchor framework errors an account a user names can cause, by code.
///
/// ```
/// use model_ledger_sdk::error::framework_error_from_code;
/// let error = framework_error_from_code(3012).unwrap();
/// assert_eq!(error.name(), "AccountNotInitialized");
/// assert!(framework_error_from_code(6000).is_none());
/// ```
pub fn framework_error_from_code(code: u32) -> Option<anchor_lang::error::ErrorCode> {
    use anchor_lang::error::ErrorCode::*;
    [
        InstructionDidNotDeserialize,
        ConstraintMut,
        ConstraintHasOne,
        ConstraintSigner,
        ConstraintRaw,
        ConstraintOwner,
        ConstraintSeeds,
        ConstraintAddress,
        ConstraintTokenMint,
        ConstraintTokenOwner,
        ConstraintMintMintAuthority,
        ConstraintMintTokenProgram,
        ConstraintTokenTokenProgram,
        ConstraintAssociatedTokenTokenProgram,
        ConstraintDuplicateMutableAccount,
        AccountDiscriminatorNotFound,
        AccountDiscriminatorMismatch,
        AccountDidNotDeserialize,
        AccountNotEnoughKeys,
        AccountNotMutable,
        AccountOwnedByWrongProgram,
        InvalidProgramId,
        InvalidProgramExecutable,
        AccountNotSigner,
        AccountNotSystemOwned,
        AccountNotInitialized,
        AccountNotProgramData,
        AccountNotAssociatedTokenAccount,
        AccountSysvarMismatch,
    ]
    .into_iter()
    .find(|error| u32::from(*error) == code)
}
