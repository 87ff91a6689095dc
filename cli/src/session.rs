//! Everything a command needs: the connection (embedded or RPC), the wallet,
//! the fee payer, how to sign (online, offline, durable nonce) and how to print.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use async_trait::async_trait;
use clap::Args;
use model_ledger_sdk::{
    accounts::{Contribution, Grant, License},
    client::{
        Delivered, DurableNonce, LedgerClient, LedgerConnection, RpcConnection, SignedTransaction,
        Signing, TransactionOutcome,
    },
    pda, SdkError,
};
use solana_sdk::{
    account::Account,
    hash::Hash,
    instruction::Instruction,
    pubkey::Pubkey,
    signature::{read_keypair_file, Keypair},
    signer::Signer,
    transaction::Transaction,
};

use crate::{
    cluster::{default_config_path, parse_url, read_solana_config, Cluster},
    embedded::{EmbeddedLedger, RecordingConnection},
    failure::NotFound,
    output::OutputFormat,
};

#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Cluster: mainnet-beta, devnet, testnet, localhost, embedded, or an RPC URL
    /// [default: the Solana CLI config's, else embedded]
    #[arg(short = 'u', long = "url", global = true)]
    pub url: Option<String>,
    /// Wallet keypair file [default: the Solana CLI config's; on the embedded
    /// cluster without one, a wallet kept in the ledger directory]
    #[arg(short = 'k', long, global = true)]
    pub keypair: Option<PathBuf>,
    /// Solana CLI config file [default: ~/.config/solana/cli/config.yml]
    #[arg(short = 'C', long, global = true)]
    pub config: Option<PathBuf>,
    /// Directory of the embedded cluster's ledger
    #[arg(long, global = true, default_value = ".model-ledger")]
    pub ledger: PathBuf,
    /// Output format: human-readable, or JSON for scripts (errors too, as
    /// {"error": {name, code, message}})
    #[arg(long, global = true, value_enum, default_value = "human")]
    pub output: OutputFormat,
    /// Keypair file that pays transaction fees [default: the wallet]
    #[arg(long, global = true)]
    pub fee_payer: Option<PathBuf>,
    /// Sign and print the transaction (base64) instead of sending it
    #[arg(long, global = true)]
    pub sign_only: bool,
    /// Use this blockhash instead of asking the cluster (offline signing)
    #[arg(long, global = true)]
    pub blockhash: Option<Hash>,
    /// Durable nonce account to use instead of a recent blockhash
    #[arg(long, global = true)]
    pub nonce: Option<Pubkey>,
    /// Keypair file of the nonce authority [default: the wallet]
    #[arg(long, global = true)]
    pub nonce_authority: Option<PathBuf>,
    /// Priority fee: micro-lamports per compute unit, paid on each
    /// transaction's compute-unit limit (set from a simulation)
    #[arg(long, global = true, value_name = "MICRO_LAMPORTS")]
    pub with_compute_unit_price: Option<u64>,
    /// The index database: a SQLite file, or postgres://… [default: a SQLite
    /// file beside the embedded ledger]; `earnings`, `claim --all` and
    /// `model list` read it instead of scanning the chain once it exists
    #[arg(long, global = true, env = "MODEL_LEDGER_DATABASE", value_name = "URL")]
    pub database: Option<model_ledger_indexer::DatabaseUrl>,
}

/// The cluster connection: an RPC endpoint, or the embedded ledger's
/// runtime (which records what it touches, for the ledger to save).
pub struct Connection {
    backend: Backend,
}

enum Backend {
    Rpc(RpcConnection),
    Embedded(RecordingConnection),
}

impl Connection {
    pub fn rpc(&self) -> Option<&RpcConnection> {
        match &self.backend {
            Backend::Rpc(rpc) => Some(rpc),
            Backend::Embedded(_) => None,
        }
    }
}

#[async_trait]
impl LedgerConnection for Connection {
    async fn get_account(&self, address: &Pubkey) -> Result<Option<Account>, SdkError> {
        match &self.backend {
            Backend::Rpc(rpc) => rpc.get_account(address).await,
            Backend::Embedded(banks) => banks.get_account(address).await,
        }
    }

    async fn latest_blockhash(&self) -> Result<Hash, SdkError> {
        match &self.backend {
            Backend::Rpc(rpc) => rpc.latest_blockhash().await,
            Backend::Embedded(banks) => banks.latest_blockhash().await,
        }
    }

    async fn blockhash_after(&self, used: &Hash) -> Result<Hash, SdkError> {
        match &self.backend {
            Backend::Rpc(rpc) => rpc.blockhash_after(used).await,
            Backend::Embedded(banks) => banks.blockhash_after(used).await,
        }
    }

    async fn simulate(&self, transaction: &Transaction) -> Result<u64, SdkError> {
        match &self.backend {
            Backend::Rpc(rpc) => rpc.simulate(transaction).await,
            Backend::Embedded(banks) => banks.simulate(transaction).await,
        }
    }

    async fn send_transaction(
        &self,
        transaction: &Transaction,
    ) -> Result<TransactionOutcome, SdkError> {
        match &self.backend {
            Backend::Rpc(rpc) => rpc.send_transaction(transaction).await,
            Backend::Embedded(banks) => banks.send_transaction(transaction).await,
        }
    }
}

pub struct Session {
    pub client: LedgerClient<Connection>,
    pub wallet: Keypair,
    pub output: OutputFormat,
    /// The global options it was opened with (the index's, among them).
    pub global: GlobalArgs,
    embedded: Option<EmbeddedLedger>,
}

/// `error` as [`NotFound`] with `what` if it says the account is missing.
fn missing(error: SdkError, what: impl FnOnce() -> String) -> anyhow::Error {
    match error {
        SdkError::AccountNotFound(_) => NotFound(what()).into(),
        other => other.into(),
    }
}

fn read_keypair(path: &Path) -> Result<Keypair> {
    read_keypair_file(path)
        .map_err(|error| anyhow!("cannot read keypair {}: {error}", path.display()))
}

/// `~` at the start of a path from a config file means the home directory.
fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => Path::new(&home).join(rest),
        _ => path.to_path_buf(),
    }
}

fn solana_config(args: &GlobalArgs) -> Result<crate::cluster::SolanaConfig> {
    let config_path = args.config.clone().or_else(default_config_path);
    Ok(match &config_path {
        Some(path) => read_solana_config(path)?,
        None => None,
    }
    .unwrap_or_default())
}

/// The cluster the options name: `--url`, else the Solana CLI config's,
/// else the embedded cluster.
pub fn resolve_cluster(args: &GlobalArgs) -> Result<Cluster> {
    let config = solana_config(args)?;
    Ok(match (&args.url, &config.json_rpc_url) {
        (Some(url), _) => parse_url(url),
        (None, Some(url)) => parse_url(url),
        (None, None) => Cluster::Embedded,
    })
}

impl Session {
    pub async fn open(args: &GlobalArgs) -> Result<Self> {
        let config = solana_config(args)?;
        let cluster = resolve_cluster(args)?;
        let keypair_path = args
            .keypair
            .clone()
            .or_else(|| config.keypair_path.as_deref().map(expand_home));
        let wallet = match (&keypair_path, &cluster) {
            (Some(path), _) => read_keypair(path)?,
            (None, Cluster::Embedded) => EmbeddedLedger::default_wallet(&args.ledger)?,
            (None, Cluster::Rpc(_)) => {
                bail!("no wallet: pass --keypair, or set keypair_path in the Solana CLI config")
            }
        };
        let fee_payer = match &args.fee_payer {
            Some(path) => read_keypair(path)?,
            None => wallet.insecure_clone(),
        };
        let nonce_authority = match &args.nonce_authority {
            Some(path) => Some(read_keypair(path)?),
            None => None,
        };
        let (backend, embedded) = match &cluster {
            Cluster::Embedded => {
                let ledger = EmbeddedLedger::open(&args.ledger, &wallet.pubkey()).await?;
                (Backend::Embedded(ledger.connection()), Some(ledger))
            }
            Cluster::Rpc(url) => (Backend::Rpc(RpcConnection::new(url.clone())), None),
        };
        let connection = Connection { backend };
        let mut client = LedgerClient::new(connection, fee_payer);
        client.compute_budget.unit_price = args.with_compute_unit_price;
        client.signing = Signing {
            blockhash: args.blockhash,
            nonce: args.nonce.map(|account| DurableNonce {
                account,
                authority: nonce_authority.unwrap_or_else(|| wallet.insecure_clone()),
            }),
            sign_only: args.sign_only,
        };
        Ok(Self {
            client,
            wallet,
            output: args.output,
            global: args.clone(),
            embedded,
        })
    }

    /// Saves the embedded ledger (a no-op on a real cluster).
    pub async fn close(self) -> Result<()> {
        self.checkpoint().await
    }

    /// Whether transactions go out now (no `--sign-only`, nonce or fixed
    /// blockhash), so multi-transaction SDK helpers may be used.
    pub fn is_online(&self) -> bool {
        self.client.signing.is_online()
    }

    pub fn embedded(&self) -> Option<&EmbeddedLedger> {
        self.embedded.as_ref()
    }

    /// Signs `instructions` with the fee payer and `signers` and sends them,
    /// or with `--sign-only` prints the signed transaction and returns `None`.
    pub async fn send(
        &self,
        instructions: &[Instruction],
        signers: &[&dyn Signer],
    ) -> Result<Option<TransactionOutcome>> {
        let mut outcome = None;
        for delivered in self.send_all(&[instructions.to_vec()], signers).await? {
            outcome = Some(delivered);
        }
        Ok(outcome.flatten())
    }

    /// Sends `transactions` in order through the SDK's one sender; with
    /// `--sign-only`, prints each signed transaction instead.
    pub async fn send_all(
        &self,
        transactions: &[Vec<Instruction>],
        signers: &[&dyn Signer],
    ) -> Result<Vec<Option<TransactionOutcome>>> {
        let mut outcomes = Vec::with_capacity(transactions.len());
        for instructions in transactions {
            outcomes.push(match self.client.deliver(instructions, signers).await? {
                Delivered::Landed(outcome) => Some(outcome),
                Delivered::Signed(signed) => {
                    self.print_signed(&signed);
                    None
                }
            });
        }
        Ok(outcomes)
    }

    fn print_signed(&self, signed: &SignedTransaction) {
        let encoded = signed.to_base64();
        let blockhash = signed.blockhash;
        let missing: Vec<String> = signed
            .missing_signers
            .iter()
            .map(Pubkey::to_string)
            .collect();
        self.output.print(
            serde_json::json!({ "transaction": encoded, "blockhash": blockhash.to_string(), "missing_signers": missing }),
            || {
                let mut text = format!("Blockhash: {blockhash}\nTransaction (base64):\n{encoded}");
                if !missing.is_empty() {
                    text.push_str(&format!("\nMissing signatures: {}", missing.join(", ")));
                }
                text
            },
        );
    }

    /// Licence `version` of `model`; if there is none, an error saying so.
    pub async fn licence_of(&self, model: &Pubkey, version: u32) -> Result<License> {
        let address = pda::license(model, version).0;
        self.client.license(&address).await.map_err(|error| {
            missing(error, || {
                format!("model {model} has no licence version {version}")
            })
        })
    }

    /// Contribution `index` of `model`; if there is none, an error saying so.
    pub async fn contribution_of(&self, model: &Pubkey, index: u32) -> Result<Contribution> {
        let address = pda::contribution(model, index).0;
        self.client.contribution(&address).await.map_err(|error| {
            missing(error, || {
                format!(
                    "model {model} has no contribution #{index} (`model show {model}` lists them)"
                )
            })
        })
    }

    /// The grant at `address`; if there is none, an error saying so.
    pub async fn grant_at(&self, address: &Pubkey) -> Result<Grant> {
        self.client
            .grant(address)
            .await
            .map_err(|error| missing(error, || format!("there is no grant at {address}")))
    }

    /// Decimals of `model`'s payment mint, as recorded in its royalty book.
    pub async fn model_decimals(&self, model: &Pubkey) -> Result<u8> {
        Ok(self.client.royalty_book(model).await?.payment_decimals)
    }

    /// Saves the embedded ledger now (after each landed batch of a long
    /// command), so a crash loses at most the work in flight.
    pub async fn checkpoint(&self) -> Result<()> {
        if let Some(embedded) = &self.embedded {
            embedded.save().await?;
        }
        Ok(())
    }
}
