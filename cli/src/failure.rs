//! How a failed command reads: a sentence about the user's input, the
//! program's own name and code for it, and for `--output json` the same as
//! one JSON object, so a script can branch on `name` or `code`.

use model_ledger_sdk::SdkError;
use serde_json::{json, Value};
use solana_sdk::{instruction::InstructionError, transaction::TransactionError};

/// Something the command names that is not on chain, in words: "model X
/// has no licence version 1". Commands check what a typo most often gets
/// wrong before they sign anything.
#[derive(Debug)]
pub struct NotFound(pub String);

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotFound {}

pub struct Failure {
    /// A stable name: the program's error name, or the kind of failure.
    pub name: String,
    /// The program's error number, when the program refused.
    pub code: Option<u32>,
    /// What went wrong, in words about the command's input.
    pub message: String,
    /// What to try, when there is a usual remedy.
    pub hint: Option<&'static str>,
}

impl Failure {
    pub fn of(error: &anyhow::Error) -> Self {
        let message = format!("{error:#}");
        if let Some(NotFound(what)) = error.downcast_ref::<NotFound>() {
            return Failure {
                name: "AccountNotFound".into(),
                code: None,
                message: what.clone(),
                hint: None,
            };
        }
        if let Some(index) = error.downcast_ref::<model_ledger_indexer::IndexError>() {
            use model_ledger_indexer::IndexError;
            let (name, hint) = match index {
                IndexError::Database(_) => ("IndexDatabaseFailed", None),
                IndexError::Foreign { .. } => ("IndexOfAnotherChain", None),
                IndexError::Gap { .. } => (
                    "IndexGap",
                    Some("the source is missing a transaction of the program: index from a node that keeps the whole history"),
                ),
                IndexError::BadTransaction { .. } => ("TransactionNotReadable", None),
                IndexError::Source(_) => ("IndexSourceFailed", None),
                IndexError::Differs(_) => (
                    "IndexDiffersFromChain",
                    Some("index into a fresh database (--database) and verify again"),
                ),
            };
            return Failure {
                name: name.into(),
                code: None,
                message,
                hint,
            };
        }
        if error
            .downcast_ref::<crate::command::audit::AuditFailed>()
            .is_some()
        {
            return Failure {
                name: "AttributionAuditFailed".into(),
                code: None,
                message,
                hint: Some("the index, the outputs and the records must be the ones the host published and used"),
            };
        }
        let unreachable = |cause: &(dyn std::error::Error + 'static)| {
            use solana_rpc_client_api::client_error::{Error, ErrorKind};
            cause.downcast_ref::<Error>().is_some_and(|error| {
                matches!(error.kind(), ErrorKind::Io(_) | ErrorKind::Reqwest(_))
            })
        };
        if error.chain().any(unreachable) {
            return Failure {
                name: "ConnectionFailed".into(),
                code: None,
                message,
                hint: Some(
                    "the cluster did not answer: check -u or the Solana CLI config's json_rpc_url",
                ),
            };
        }
        let Some(sdk) = error.downcast_ref::<SdkError>() else {
            return Failure {
                name: "CommandFailed".into(),
                code: None,
                message,
                hint: None,
            };
        };
        let hint = hint(sdk);
        match sdk {
            SdkError::Program { error, .. } => Failure {
                name: error.name(),
                code: Some(u32::from(*error)),
                message,
                hint,
            },
            SdkError::Framework {
                code,
                name,
                message: framework_message,
                account,
                ..
            } => Failure {
                name: name.clone(),
                code: Some(*code),
                message: format!(
                    "{} ({name}: {framework_message})",
                    framework_sentence(name, account.as_deref())
                ),
                hint,
            },
            SdkError::TokenProgram { code, name, .. } => Failure {
                name: name.clone(),
                code: Some(*code),
                message,
                hint,
            },
            SdkError::Transaction(transaction) => Failure {
                name: transaction_error_name(transaction),
                code: sdk.custom_code(),
                message,
                hint,
            },
            SdkError::AccountNotFound(_) => Failure {
                name: "AccountNotFound".into(),
                code: None,
                message,
                hint,
            },
            SdkError::Decode { .. } => Failure {
                name: "AccountNotDecoded".into(),
                code: None,
                message,
                hint,
            },
            SdkError::Signing(_) => Failure {
                name: "SignatureMissing".into(),
                code: None,
                message,
                hint,
            },
            SdkError::Connection(_) => Failure {
                name: "ConnectionFailed".into(),
                code: None,
                message,
                hint,
            },
            SdkError::AlreadyProcessed | SdkError::NotSent => Failure {
                name: "NotExecuted".into(),
                code: None,
                message,
                hint,
            },
        }
    }

    /// A command line clap refused.
    pub fn usage(error: &clap::Error) -> Self {
        let text = error.to_string();
        Failure {
            name: "UsageError".into(),
            code: None,
            // What clap says before its usage line, on one line.
            message: text
                .lines()
                .take_while(|line| !line.starts_with("Usage:"))
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
                .trim_start_matches("error: ")
                .to_string(),
            hint: Some("see `model-ledger help`"),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({ "error": { "name": self.name, "code": self.code, "message": self.message, "hint": self.hint } })
    }

    pub fn to_text(&self) -> String {
        let mut text = format!("error: {}", self.message);
        if let Some(hint) = self.hint {
            text.push_str(&format!("\nhint: {hint}"));
        }
        text
    }
}

/// The runtime's name for a transaction error (`InsufficientFundsForFee`,
/// `InstructionError`…), without its fields.
fn transaction_error_name(error: &TransactionError) -> String {
    let debug = match error {
        TransactionError::InstructionError(_, instruction) => format!("{instruction:?}"),
        other => format!("{other:?}"),
    };
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("TransactionFailed")
        .to_string()
}

/// What the instruction's name for an account means to the user.
fn account_phrase(account: &str) -> String {
    match account {
        "model" | "child" | "parent" => "the model".into(),
        "license" => "the licence version".into(),
        "grant" => "the grant".into(),
        "contribution" => "the contribution".into(),
        "config" => "the protocol configuration".into(),
        "royalty_book" | "child_book" | "parent_book" => "the model's royalty book".into(),
        "vault" | "child_vault" | "parent_vault" => "the model's vault".into(),
        "payer_token" => "the paying token account".into(),
        "destination" | "treasury_token" => "the receiving token account".into(),
        "payment_mint" => "the payment mint".into(),
        other => format!("the account `{other}`"),
    }
}

/// Where to look when an account the command names does not exist.
fn where_to_look(account: &str) -> &'static str {
    match account {
        "model" | "child" | "parent" => ": check the model address (`model list`)",
        "license" => {
            ": check the model and the licence version (`model show MODEL` lists its licences)"
        }
        "contribution" => {
            ": check the model and the contribution index (`model show MODEL` lists them)"
        }
        "grant" => ": check the grant address (`grant show GRANT`)",
        "config" => ": the protocol is not initialised on this cluster (`init-config`)",
        "payer_token" => ": create and fund it first (`mint-to`)",
        "destination" | "treasury_token" => ": create it first, or leave the destination out",
        _ => "",
    }
}

/// A sentence about the user's input for an error of the Anchor framework.
fn framework_sentence(name: &str, account: Option<&str>) -> String {
    let Some(account) = account else {
        return match name {
            "AccountNotInitialized" => "an account this command names does not exist: check the addresses, licence versions and contribution indices given".into(),
            _ => "an account this command names is not the one the program expects: check the addresses, licence versions and contribution indices given".into(),
        };
    };
    let phrase = account_phrase(account);
    match name {
        "AccountNotInitialized" => {
            format!("{phrase} does not exist{}", where_to_look(account))
        }
        "AccountOwnedByWrongProgram"
        | "AccountDiscriminatorMismatch"
        | "AccountDidNotDeserialize"
        | "AccountDiscriminatorNotFound" => {
            format!("the address given for {phrase} holds another kind of account")
        }
        "ConstraintSeeds" | "ConstraintAddress" | "ConstraintHasOne" | "ConstraintRaw" => format!(
            "{phrase} does not belong with the rest of the command (for example a grant, licence or contribution of another model)"
        ),
        "ConstraintTokenMint" | "ConstraintMintMintAuthority" => {
            format!("{phrase} holds another token than the model's payment mint")
        }
        "ConstraintTokenOwner" => format!("{phrase} belongs to another wallet"),
        "ConstraintSigner" | "AccountNotSigner" => {
            format!("{phrase} must sign: pass its keypair")
        }
        "ConstraintMut" | "AccountNotMutable" => format!("{phrase} must be writable"),
        _ => format!("{phrase} was refused"),
    }
}

/// A plain-words remedy for failures users meet most.
fn hint(error: &SdkError) -> Option<&'static str> {
    match error {
        // Code 1 of both the system and the token program: not enough to pay.
        SdkError::Transaction(TransactionError::InstructionError(_, InstructionError::Custom(1)))
        | SdkError::Transaction(TransactionError::InsufficientFundsForFee) => Some(
            "insufficient balance: a wallet lacks SOL or a token account lacks tokens (see `airdrop` and `mint-to`)",
        ),
        SdkError::Transaction(TransactionError::AccountNotFound) => {
            Some("the fee payer has no SOL on this cluster (see `airdrop`)")
        }
        SdkError::TokenProgram { name, .. } => match name.as_str() {
            "InsufficientFunds" => {
                Some("a token account lacks tokens: see `balance --mint MINT` and `mint-to`")
            }
            "OwnerMismatch" => Some(
                "the wallet does not own that token account, or is not the mint's authority (for `mint-to`)",
            ),
            "MintMismatch" => Some("the token account holds another token than the one named"),
            "AccountFrozen" => Some("the mint's freeze authority froze that token account"),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framework_errors_read_as_sentences_about_the_input() {
        let failure = Failure::of(&anyhow::Error::new(SdkError::Framework {
            instruction: 0,
            code: 3012,
            name: "AccountNotInitialized".into(),
            message: "The program expected this account to be already initialized".into(),
            account: Some("license".into()),
        }));
        assert_eq!(failure.name, "AccountNotInitialized");
        assert_eq!(failure.code, Some(3012));
        assert!(
            failure.message.starts_with(
                "the licence version does not exist: check the model and the licence version"
            ),
            "{}",
            failure.message
        );
        let json = failure.to_json();
        assert_eq!(json["error"]["code"], 3012);
        assert_eq!(json["error"]["name"], "AccountNotInitialized");
        let seeds = framework_sentence("ConstraintSeeds", Some("grant"));
        assert!(seeds.starts_with("the grant does not belong"), "{seeds}");
    }

    #[test]
    fn runtime_errors_keep_their_runtime_name() {
        let failure = Failure::of(&anyhow::Error::new(SdkError::Transaction(
            TransactionError::InsufficientFundsForFee,
        )));
        assert_eq!(failure.name, "InsufficientFundsForFee");
        assert!(failure.hint.unwrap().contains("airdrop"));
        let custom = Failure::of(&anyhow::Error::new(SdkError::Transaction(
            TransactionError::InstructionError(2, InstructionError::Custom(1)),
        )));
        assert_eq!(custom.name, "Custom");
        assert_eq!(custom.code, Some(1));
    }
}
