//! Everything a command needs: the connection (embedded or RPC), the wallet,
//! the fee payer, how to sign (online, offline, durable nonce) and how to print.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    sync::Mutex,
};

use anyhow::{anyhow, bail, Result};
use async_trait::async_trait;
use base64::Engine;
use clap::Args;
use model_ledger_sdk::{
    client::{LedgerClient, LedgerConnection, RpcConnection, TransactionOutcome},
    embedded::BanksConnection,
    SdkError,
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
    embedded::EmbeddedLedger,
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
}

/// The cluster connection, remembering every account it touched so the
/// embedded ledger can save them.
pub struct Connection {
    backend: Backend,
    touched: Mutex<BTreeSet<Pubkey>>,
}

enum Backend {
    Rpc(RpcConnection),
    Embedded(BanksConnection),
}

impl Connection {
    fn touch(&self, keys: impl IntoIterator<Item = Pubkey>) {
        self.touched.lock().expect("not poisoned").extend(keys);
    }

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
        let account = match &self.backend {
            Backend::Rpc(rpc) => rpc.get_account(address).await?,
            Backend::Embedded(banks) => banks.get_account(address).await?,
        };
        if account.is_some() {
            self.touch([*address]);
        }
        Ok(account)
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
        self.touch(transaction.message.account_keys.iter().copied());
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
    embedded: Option<EmbeddedLedger>,
    args: GlobalArgs,
    nonce_authority: Option<Keypair>,
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

impl Session {
    pub async fn open(args: &GlobalArgs) -> Result<Self> {
        let config_path = args.config.clone().or_else(default_config_path);
        let config = match &config_path {
            Some(path) => read_solana_config(path)?,
            None => None,
        }
        .unwrap_or_default();
        let cluster = match (&args.url, &config.json_rpc_url) {
            (Some(url), _) => parse_url(url),
            (None, Some(url)) => parse_url(url),
            (None, None) => Cluster::Embedded,
        };
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
        let connection = Connection {
            backend,
            touched: Mutex::new(BTreeSet::new()),
        };
        let mut client = LedgerClient::new(connection, fee_payer);
        client.compute_budget.unit_price = args.with_compute_unit_price;
        Ok(Self {
            client,
            wallet,
            output: args.output,
            embedded,
            args: args.clone(),
            nonce_authority,
        })
    }

    /// Saves the embedded ledger (a no-op on a real cluster).
    pub async fn close(self) -> Result<()> {
        self.checkpoint().await
    }

    /// Whether transactions go out now (no `--sign-only`, nonce or fixed
    /// blockhash), so multi-transaction SDK helpers may be used.
    pub fn is_online(&self) -> bool {
        !self.args.sign_only && self.args.nonce.is_none() && self.args.blockhash.is_none()
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
        let mut all = instructions.to_vec();
        let nonce_authority: &dyn Signer = self.nonce_authority.as_ref().unwrap_or(&self.wallet);
        let fixed_blockhash = match (self.args.nonce, self.args.blockhash) {
            (Some(nonce), blockhash) => {
                all.insert(
                    0,
                    solana_system_interface::instruction::advance_nonce_account(
                        &nonce,
                        &nonce_authority.pubkey(),
                    ),
                );
                match blockhash {
                    Some(blockhash) => Some(blockhash),
                    None => Some(self.nonce_blockhash(&nonce).await?),
                }
            }
            (None, blockhash) => blockhash,
        };
        let fee_payer = &self.client.fee_payer;
        let mut available: Vec<&dyn Signer> = vec![fee_payer];
        available.extend(signers.iter().copied());
        if self.args.nonce.is_some() {
            available.push(nonce_authority);
        }
        let required: Vec<Pubkey> = Transaction::new_with_payer(&all, Some(&fee_payer.pubkey()))
            .message
            .signer_keys()
            .into_iter()
            .copied()
            .collect();
        let mut seen = BTreeSet::new();
        let usable: Vec<&dyn Signer> = available
            .into_iter()
            .filter(|signer| required.contains(&signer.pubkey()) && seen.insert(signer.pubkey()))
            .collect();
        let sign = |instructions: &[Instruction], blockhash: Hash| {
            let mut transaction =
                Transaction::new_with_payer(instructions, Some(&fee_payer.pubkey()));
            transaction
                .try_partial_sign(&usable, blockhash)
                .map_err(|error| SdkError::Signing(error.to_string()))?;
            Ok(transaction)
        };
        if self.args.sign_only {
            let blockhash = match fixed_blockhash {
                Some(blockhash) => blockhash,
                None => self.client.connection.latest_blockhash().await?,
            };
            let budgeted = self.client.budgeted(&all, &sign, blockhash).await?;
            let transaction = sign(&budgeted, blockhash)?;
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(bincode::serialize(&transaction)?);
            let missing: Vec<String> = required
                .iter()
                .filter(|key| !seen.contains(*key))
                .map(|key| key.to_string())
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
            return Ok(None);
        }
        if required.iter().any(|key| !seen.contains(key)) {
            bail!("the transaction lacks signatures: a required signer's keypair was not given");
        }
        let outcome = match fixed_blockhash {
            // A blockhash the user fixed (or a nonce's) cannot be replaced:
            // a repeat under it is refused as already processed.
            Some(blockhash) => {
                let budgeted = self.client.budgeted(&all, &sign, blockhash).await?;
                self.client
                    .connection
                    .send_transaction(&sign(&budgeted, blockhash)?)
                    .await?
            }
            None => self.client.send_signed_with(&all, sign).await?,
        };
        Ok(Some(outcome))
    }

    async fn nonce_blockhash(&self, nonce: &Pubkey) -> Result<Hash> {
        let account = self
            .client
            .connection
            .get_account(nonce)
            .await?
            .ok_or_else(|| anyhow!("nonce account {nonce} does not exist"))?;
        let versions: solana_nonce::versions::Versions = bincode::deserialize(&account.data)
            .map_err(|_| anyhow!("{nonce} is not a nonce account"))?;
        match versions.state() {
            solana_nonce::state::State::Initialized(data) => Ok(data.blockhash()),
            solana_nonce::state::State::Uninitialized => {
                bail!("nonce account {nonce} is not initialised")
            }
        }
    }

    /// Saves the embedded ledger now (after each landed batch of a long
    /// command), so a crash loses at most the work in flight.
    pub async fn checkpoint(&self) -> Result<()> {
        if let Some(embedded) = &self.embedded {
            let touched = self
                .client
                .connection
                .touched
                .lock()
                .expect("not poisoned")
                .clone();
            embedded.save(&touched).await?;
        }
        Ok(())
    }
}
