//! Everything a command needs: the connection (embedded or RPC), the wallet,
//! the fee payer, how to sign (online, offline, durable nonce) and how to print.

use std::{
    cell::RefCell,
    path::{Path, PathBuf},
    rc::Rc,
};

use anyhow::{bail, Context, Result};
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
use solana_presigner::Presigner;
use solana_sdk::{
    account::Account, hash::Hash, instruction::Instruction, pubkey::Pubkey, signer::Signer,
    transaction::Transaction,
};

use crate::{
    cluster::{default_config_path, parse_url, read_solana_config, Cluster, Origin, SolanaConfig},
    embedded::{EmbeddedLedger, RecordingConnection},
    failure::NotFound,
    output::OutputFormat,
    signer::{parse_presigner, SignerSource, Signers},
};

/// A signature given with `--signer` that does not sign the transaction
/// this command builds: it was made over other bytes.
fn explain_presigned(error: SdkError) -> anyhow::Error {
    match error {
        SdkError::Signing(reason) if reason.to_lowercase().contains("presigner") => anyhow::anyhow!(
            "a signature given with --signer does not sign this transaction: it was made over other bytes (another blockhash or nonce, fee payer, compute-unit limit or argument); rerun the command exactly as it was signed ({reason})"
        ),
        other => other.into(),
    }
}

#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Cluster: mainnet-beta, devnet, testnet, localhost, embedded, or an http(s) RPC URL
    /// [default: the embedded chain when --ledger is given, else the Solana CLI config's,
    /// else embedded]
    #[arg(short = 'u', long = "url", global = true, value_parser = parse_url)]
    pub url: Option<Cluster>,
    /// The wallet's signer: a keypair file, prompt:// (seed phrase; ?key=0/0 for a derivation
    /// path), stdin, usb://ledger, or a public key whose signature comes with --signer
    /// [default: the Solana CLI config's keypair_path; on the embedded chain without one, a
    /// wallet kept in the ledger directory]
    #[arg(short = 'k', long, global = true, value_name = "SIGNER")]
    pub keypair: Option<SignerSource>,
    /// Solana CLI config file [default: ~/.config/solana/cli/config.yml]
    #[arg(short = 'C', long, global = true)]
    pub config: Option<PathBuf>,
    /// Directory of the embedded chain's ledger [default: .model-ledger]; naming it means the
    /// embedded chain, whatever the Solana CLI config says
    #[arg(long, global = true)]
    pub ledger: Option<PathBuf>,
    /// Output format: human-readable, or JSON for scripts (one JSON document per command;
    /// errors too, as {"error": {name, code, message}})
    #[arg(long, global = true, value_enum, default_value = "human")]
    pub output: OutputFormat,
    /// Signer that pays transaction fees (any form --keypair takes) [default: the wallet]
    #[arg(long, global = true, value_name = "SIGNER")]
    pub fee_payer: Option<SignerSource>,
    /// Sign and print the signatures (Signers, Absent Signers) instead of sending; rerun the
    /// same command with --signer PUBKEY=SIGNATURE for each to send it
    #[arg(long, global = true)]
    pub sign_only: bool,
    /// Use this blockhash instead of asking the cluster (offline signing)
    #[arg(long, global = true)]
    pub blockhash: Option<Hash>,
    /// Durable nonce account to use instead of a recent blockhash
    #[arg(long, global = true)]
    pub nonce: Option<Pubkey>,
    /// Signer of the nonce authority (any form --keypair takes) [default: the wallet]
    #[arg(long, global = true, value_name = "SIGNER")]
    pub nonce_authority: Option<SignerSource>,
    /// A signature made elsewhere, as --sign-only prints it (repeat for each signer)
    #[arg(long = "signer", global = true, value_name = "PUBKEY=SIGNATURE", value_parser = parse_presigner)]
    pub signers: Vec<Presigner>,
    /// Priority fee: micro-lamports per compute unit, paid on each
    /// transaction's compute-unit limit
    #[arg(long, global = true, value_name = "MICRO_LAMPORTS")]
    pub with_compute_unit_price: Option<u64>,
    /// Compute-unit limit of each transaction [default: measured by simulating it; signed
    /// offline, from the program's measured costs]
    #[arg(long, global = true, value_name = "UNITS")]
    pub compute_unit_limit: Option<u32>,
    /// The index database: a SQLite file, or postgres://… [default: a SQLite
    /// file beside the embedded ledger]; `earnings`, `claim --all` and
    /// `model list` read it instead of scanning the chain once it exists
    #[arg(long, global = true, env = "MODEL_LEDGER_DATABASE", value_name = "URL")]
    pub database: Option<model_ledger_indexer::DatabaseUrl>,
}

/// Where the embedded chain's ledger lives when `--ledger` names none.
pub const DEFAULT_LEDGER: &str = ".model-ledger";

impl GlobalArgs {
    /// The embedded chain's ledger directory.
    pub fn ledger_dir(&self) -> PathBuf {
        self.ledger
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_LEDGER))
    }
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
    pub client: LedgerClient<Connection, Rc<dyn Signer>>,
    /// The wallet's signer: a keypair, a seed phrase's, a Ledger, a
    /// signature given with `--signer`, or (`--sign-only`) an absent one.
    pub wallet: Rc<dyn Signer>,
    pub output: OutputFormat,
    /// The global options it was opened with (the index's, among them).
    pub global: GlobalArgs,
    /// Signers every transaction may need beyond the caller's: the nonce
    /// authority and the signatures given with `--signer`.
    extra_signers: Vec<Rc<dyn Signer>>,
    /// Transactions signed, not sent (`--sign-only`), printed once the
    /// command ends, as one document.
    signed: RefCell<Vec<SignedTransaction>>,
    embedded: Option<EmbeddedLedger>,
}

/// `error` as [`NotFound`] with `what` if it says the account is missing.
fn missing(error: SdkError, what: impl FnOnce() -> String) -> anyhow::Error {
    match error {
        SdkError::AccountNotFound(_) => NotFound(what()).into(),
        other => other.into(),
    }
}

/// `~` at the start of a path from a config file means the home directory.
fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => Path::new(&home).join(rest),
        _ => path.to_path_buf(),
    }
}

/// The Solana CLI config the options name (or the default one), and where
/// it is; `None` if there is none.
fn solana_config(args: &GlobalArgs) -> Result<Option<(PathBuf, SolanaConfig)>> {
    let Some(path) = args.config.clone().or_else(default_config_path) else {
        return Ok(None);
    };
    Ok(read_solana_config(&path)?.map(|config| (path, config)))
}

/// The cluster the options name, and where it was named (see
/// [`crate::cluster::choose`]).
pub fn resolve_cluster(args: &GlobalArgs) -> Result<(Cluster, Origin)> {
    let config = solana_config(args)?;
    crate::cluster::choose(
        args.url.as_ref(),
        args.ledger.is_some(),
        config
            .as_ref()
            .map(|(path, config)| (path.as_path(), config)),
    )
}

impl Session {
    pub async fn open(args: &GlobalArgs) -> Result<Self> {
        let config = solana_config(args)?;
        let (cluster, origin) = resolve_cluster(args)?;
        if args.sign_only && args.nonce.is_none() && cluster == Cluster::Embedded {
            bail!(
                "the embedded chain keeps no recent blockhashes from one command to the next, so a transaction signed for later must use a durable nonce: create one with `create-nonce`, then sign with --nonce ADDRESS"
            );
        }
        let mut signers = Signers::new(args.signers.clone(), args.sign_only);
        let keypair_source = match (&args.keypair, &config) {
            (Some(source), _) => Some(source.clone()),
            (None, Some((path, config))) => config
                .keypair_path
                .as_deref()
                .map(|keypair| {
                    let keypair = expand_home(keypair);
                    keypair
                        .to_string_lossy()
                        .parse::<SignerSource>()
                        .with_context(|| format!("keypair_path in {}", path.display()))
                })
                .transpose()?,
            (None, None) => None,
        };
        crate::signer::require_one_stdin_reader(&[
            (keypair_source.as_ref(), "keypair"),
            (args.fee_payer.as_ref(), "fee payer"),
            (args.nonce_authority.as_ref(), "nonce authority"),
        ])?;
        let ledger_dir = args.ledger_dir();
        let wallet: Rc<dyn Signer> = match (&keypair_source, &cluster) {
            (Some(source), _) => signers.resolve(source, "keypair")?,
            (None, Cluster::Embedded) => Rc::new(EmbeddedLedger::default_wallet(&ledger_dir)?),
            (None, Cluster::Rpc(_)) => bail!(
                "no wallet: pass --keypair (a keypair file, prompt://, usb://ledger…), or set keypair_path in the Solana CLI config"
            ),
        };
        let fee_payer = match &args.fee_payer {
            Some(source) => signers.resolve(source, "fee payer")?,
            None => wallet.clone(),
        };
        let nonce_authority = match &args.nonce_authority {
            Some(source) => signers.resolve(source, "nonce authority")?,
            None => wallet.clone(),
        };
        let mut extra_signers: Vec<Rc<dyn Signer>> = signers
            .presigners()
            .map(|presigner| Rc::new(presigner.clone()) as Rc<dyn Signer>)
            .collect();
        let (backend, embedded) = match &cluster {
            Cluster::Embedded => {
                let ledger = EmbeddedLedger::open(&ledger_dir, &wallet.pubkey()).await?;
                (Backend::Embedded(ledger.connection()), Some(ledger))
            }
            Cluster::Rpc(url) => {
                if args.output == OutputFormat::Human {
                    eprintln!("Cluster: {url} ({origin})");
                }
                (Backend::Rpc(RpcConnection::new(url.clone())), None)
            }
        };
        let connection = Connection { backend };
        let mut client = LedgerClient::new(connection, fee_payer);
        client.compute_budget.unit_price = args.with_compute_unit_price;
        client.compute_budget.fixed_limit = args.compute_unit_limit;
        client.signing = Signing {
            blockhash: args.blockhash,
            nonce: args.nonce.map(|account| DurableNonce {
                account,
                authority: nonce_authority.pubkey(),
            }),
            sign_only: args.sign_only,
        };
        if args.nonce.is_some() {
            extra_signers.push(nonce_authority);
        }
        Ok(Self {
            client,
            wallet,
            output: args.output,
            global: args.clone(),
            extra_signers,
            signed: RefCell::new(Vec::new()),
            embedded,
        })
    }

    /// Saves the embedded ledger (a no-op on a real cluster) and hands back
    /// what `--sign-only` signed, for printing.
    pub async fn close(self) -> Result<Vec<SignedTransaction>> {
        self.checkpoint().await?;
        Ok(self.signed.into_inner())
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
    /// or with `--sign-only` keeps the signed transaction and returns `None`.
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
    /// `--sign-only`, keeps each signed transaction instead.
    pub async fn send_all(
        &self,
        transactions: &[Vec<Instruction>],
        signers: &[&dyn Signer],
    ) -> Result<Vec<Option<TransactionOutcome>>> {
        let mut all: Vec<&dyn Signer> = signers.to_vec();
        all.extend(self.extra_signers.iter().map(|signer| signer.as_ref()));
        if let Some(nonce) = &self.client.signing.nonce {
            let signed = self.signed.borrow().len();
            if signed + transactions.len() > 1 {
                bail!(
                    "a durable nonce signs one transaction (the first to land advances it) and this command needs {}: run it for one item at a time, or sign without --nonce {}",
                    signed + transactions.len(),
                    nonce.account
                );
            }
        }
        let mut outcomes = Vec::with_capacity(transactions.len());
        for instructions in transactions {
            outcomes.push(
                match self
                    .client
                    .deliver(instructions, &all)
                    .await
                    .map_err(explain_presigned)?
                {
                    Delivered::Landed(outcome) => Some(outcome),
                    Delivered::Signed(signed) => {
                        self.signed.borrow_mut().push(signed);
                        None
                    }
                },
            );
        }
        Ok(outcomes)
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
