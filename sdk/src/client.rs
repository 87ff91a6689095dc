//! A client whose calls run unchanged against an RPC endpoint
//! ([`RpcConnection`]) or the in-process runtime (`embedded::BanksConnection`).

// solana-banks-client 3.x marks its whole API deprecated ahead of moving it
// behind an "unstable" feature in 4.0; it is still the in-process runtime's only client.
#![allow(deprecated)]

use async_trait::async_trait;
use solana_commitment_config::CommitmentConfig;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::config::{RpcSimulateTransactionConfig, RpcTransactionConfig};
use solana_sdk::{
    account::Account,
    hash::Hash,
    instruction::Instruction,
    pubkey::Pubkey,
    signature::{Keypair, Signature},
    signer::Signer,
    transaction::{Transaction, TransactionError},
};
use solana_transaction_status_client_types::{
    option_serializer::OptionSerializer, UiInstruction, UiTransactionEncoding,
};

use crate::{
    accounts::{
        decode, decode_book_entry, decode_royalty_book, Config, Contribution, Grant, License,
        LicenseTerms, Model, ModelView,
    },
    events::LedgerEvent,
    instructions::{
        self as ix, AcquireGrantArgs, AttributionEntry, InitializeConfigArgs, ModelAccounts,
        ParentGrant, ProposeContributionArgs, RecordInferenceArgs, RegisterModelArgs,
        UpdateConfigArgs,
    },
    pda, SdkError,
};
use model_ledger::state::{BookEntry, ParentLink, RoyaltyBook, MAX_ENTRIES_PER_GROWTH};

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
            return Err(TransactionError::from(error).into());
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

/// How the sender sets every transaction's compute budget, as wallets do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComputeBudget {
    /// A priority fee in micro-lamports per compute unit (what `solana`
    /// calls `--with-compute-unit-price`); none when `None`.
    pub unit_price: Option<u64>,
    /// Limit each transaction to the compute units a simulation of it
    /// consumed plus [`ComputeBudget::margin`], instead of the runtime's
    /// default of 200 000 per instruction: a priority fee is paid on the
    /// limit, not on what was used, and a block packs tighter limits first.
    pub limit_from_simulation: bool,
}

impl Default for ComputeBudget {
    fn default() -> Self {
        Self {
            unit_price: None,
            limit_from_simulation: true,
        }
    }
}

impl ComputeBudget {
    /// The limit a simulation asks for: what it consumed, plus 10 % (state
    /// can change between simulation and execution, e.g. a book entry that a
    /// loop then visits), plus 1 000 units.
    pub fn margin(consumed: u64) -> u32 {
        let limit = consumed.saturating_add(consumed / 10).saturating_add(1_000);
        u32::try_from(limit)
            .unwrap_or(u32::MAX)
            .min(MAX_COMPUTE_UNIT_LIMIT)
    }

    /// `instructions` followed by the budget's instructions, the limit being
    /// `limit`. They go last so that a failing instruction keeps the index
    /// its caller gave it; the runtime reads compute-budget instructions
    /// wherever they stand in the message.
    fn apply(&self, instructions: &[Instruction], limit: Option<u32>) -> Vec<Instruction> {
        let mut all = instructions.to_vec();
        if let Some(limit) = limit {
            all.push(ComputeBudgetInstruction::set_compute_unit_limit(limit));
        }
        if let Some(price) = self.unit_price {
            all.push(ComputeBudgetInstruction::set_compute_unit_price(price));
        }
        all
    }
}

/// The most compute units one transaction may ask for.
pub const MAX_COMPUTE_UNIT_LIMIT: u32 = 1_400_000;

/// High-level Model Ledger calls over any [`LedgerConnection`]. The fee payer
/// signs every transaction; the acting wallet (authority, contributor…) is
/// passed to each call so it can be a different key.
pub struct LedgerClient<C> {
    pub connection: C,
    pub fee_payer: Keypair,
    pub compute_budget: ComputeBudget,
}

impl<C: LedgerConnection> LedgerClient<C> {
    pub fn new(connection: C, fee_payer: Keypair) -> Self {
        Self {
            connection,
            fee_payer,
            compute_budget: ComputeBudget::default(),
        }
    }

    /// Signs `instructions` with the fee payer and `signers`, sends them as one transaction.
    pub async fn send(
        &self,
        instructions: &[Instruction],
        signers: &[&dyn Signer],
    ) -> Result<TransactionOutcome, SdkError> {
        let mut all_signers: Vec<&dyn Signer> = vec![&self.fee_payer];
        all_signers.extend(
            signers
                .iter()
                .filter(|signer| signer.pubkey() != self.fee_payer.pubkey()),
        );
        self.send_signed_with(instructions, |instructions, blockhash| {
            let mut transaction =
                Transaction::new_with_payer(instructions, Some(&self.fee_payer.pubkey()));
            transaction
                .try_sign(&all_signers, blockhash)
                .map_err(|error| SdkError::Signing(error.to_string()))?;
            Ok(transaction)
        })
        .await
    }

    /// `instructions` with the compute budget's instructions added, the
    /// limit measured by simulating them signed by `sign` under `blockhash`.
    /// A simulation that fails is the transaction's answer: it is returned
    /// and nothing is sent, as a wallet shows a failed simulation.
    pub async fn budgeted<F>(
        &self,
        instructions: &[Instruction],
        sign: &F,
        blockhash: Hash,
    ) -> Result<Vec<Instruction>, SdkError>
    where
        F: Fn(&[Instruction], Hash) -> Result<Transaction, SdkError>,
    {
        let budget = self.compute_budget;
        if !budget.limit_from_simulation {
            return Ok(budget.apply(instructions, None));
        }
        let trial = budget.apply(instructions, Some(MAX_COMPUTE_UNIT_LIMIT));
        let consumed = self.connection.simulate(&sign(&trial, blockhash)?).await?;
        Ok(budget.apply(instructions, Some(ComputeBudget::margin(consumed))))
    }

    /// Sends `instructions`, with the compute budget's instructions added,
    /// in the transaction `sign` makes of them for the latest blockhash.
    ///
    /// Every transaction the SDK, the CLI and the test harness send passes
    /// here, which is why the rule against duplicates lives here and nowhere
    /// else: a call repeated with the same accounts under the same blockhash
    /// (a second claim, a second idempotent account creation) would be
    /// byte-identical to the first, and every cluster drops it as
    /// `AlreadyProcessed`. Whether the blockhash moved in between depends on
    /// timing; the answer must not. Each call here is built afresh from
    /// current state, so such a refusal means the same request was made
    /// before, not that this one landed: it is signed once more under a
    /// newer blockhash ([`LedgerConnection::blockhash_after`]: the next slot
    /// on the in-process runtime, deterministically; the cluster's next
    /// blockhash on RPC) and sent as the new transaction it is.
    pub async fn send_signed_with<F>(
        &self,
        instructions: &[Instruction],
        sign: F,
    ) -> Result<TransactionOutcome, SdkError>
    where
        F: Fn(&[Instruction], Hash) -> Result<Transaction, SdkError>,
    {
        let mut blockhash = self.connection.latest_blockhash().await?;
        let budgeted = match self.budgeted(instructions, &sign, blockhash).await {
            Err(SdkError::AlreadyProcessed) => {
                blockhash = self.connection.blockhash_after(&blockhash).await?;
                self.budgeted(instructions, &sign, blockhash).await?
            }
            budgeted => budgeted?,
        };
        match self
            .connection
            .send_transaction(&sign(&budgeted, blockhash)?)
            .await
        {
            Err(SdkError::AlreadyProcessed) => {
                let newer = self.connection.blockhash_after(&blockhash).await?;
                self.connection
                    .send_transaction(&sign(&budgeted, newer)?)
                    .await
            }
            outcome => outcome,
        }
    }

    async fn fetch<T>(&self, address: &Pubkey) -> Result<T, SdkError>
    where
        T: anchor_lang::AccountDeserialize + anchor_lang::Discriminator,
    {
        decode(address, &self.existing_account(address).await?)
    }

    /// The account at `address`, or `AccountNotFound`.
    async fn existing_account(&self, address: &Pubkey) -> Result<Account, SdkError> {
        self.connection
            .get_account(address)
            .await?
            .ok_or(SdkError::AccountNotFound(*address))
    }

    /// A model's royalty book: its address and raw account.
    async fn book_account(&self, model: &Pubkey) -> Result<(Pubkey, Account), SdkError> {
        let address = pda::royalty_book(model).0;
        Ok((address, self.existing_account(&address).await?))
    }

    pub async fn config(&self) -> Result<Config, SdkError> {
        self.fetch(&pda::config().0).await
    }

    pub async fn model(&self, address: &Pubkey) -> Result<Model, SdkError> {
        self.fetch(address).await
    }

    pub async fn contribution(&self, address: &Pubkey) -> Result<Contribution, SdkError> {
        self.fetch(address).await
    }

    pub async fn license(&self, address: &Pubkey) -> Result<License, SdkError> {
        self.fetch(address).await
    }

    pub async fn grant(&self, address: &Pubkey) -> Result<Grant, SdkError> {
        self.fetch(address).await
    }

    /// The header of a model's royalty book.
    pub async fn royalty_book(&self, model: &Pubkey) -> Result<RoyaltyBook, SdkError> {
        let (address, account) = self.book_account(model).await?;
        decode_royalty_book(&address, &account)
    }

    /// Entry `index` of a model's royalty book (all zeros for a contribution
    /// never accepted).
    pub async fn book_entry(&self, model: &Pubkey, index: u32) -> Result<BookEntry, SdkError> {
        let (address, account) = self.book_account(model).await?;
        decode_book_entry(&address, &account, index)
    }

    /// A token account's balance; 0 if the account does not exist.
    pub async fn token_balance(&self, account: &Pubkey) -> Result<u64, SdkError> {
        match self.connection.get_account(account).await? {
            Some(data) => token_amount(account, &data),
            None => Ok(0),
        }
    }

    /// Checks, against the vault's real token balance, that the model's
    /// royalty book accounts for every token unit (reads every book entry).
    pub async fn audit(&self, model: &Pubkey) -> Result<Audit, SdkError> {
        let (book_address, book_account) = self.book_account(model).await?;
        let book = decode_royalty_book(&book_address, &book_account)?;
        let pools = book.pools();
        let overflow = |_| SdkError::Decode {
            address: book_address,
            reason: "book totals overflow".into(),
        };
        let mut owed_scaled = 0u128;
        for index in 0..book.entry_count {
            let entry = decode_book_entry(&book_address, &book_account, index)?;
            owed_scaled = owed_scaled
                .checked_add(entry.balance().owed_scaled(&pools).map_err(overflow)?)
                .ok_or(SdkError::Decode {
                    address: book_address,
                    reason: "book totals overflow".into(),
                })?;
        }
        let vault_address = pda::vault(model).0;
        let vault = self.existing_account(&vault_address).await?;
        let vault_balance = token_amount(&vault_address, &vault)?;
        let held = book.total_received().saturating_sub(book.total_paid_out());
        Ok(Audit {
            surplus: u128::from(vault_balance).saturating_sub(held),
            vault_balance,
            owed_scaled,
            held_scaled: pools.held_scaled().map_err(overflow)?,
        })
    }

    /// Where `model` keeps its money.
    pub async fn model_accounts(&self, model: &Pubkey) -> Result<ModelAccounts, SdkError> {
        let record = self.model(model).await?;
        Ok(ModelAccounts {
            model: *model,
            payment_mint: record.payment_mint,
            token_program: record.token_program,
        })
    }

    /// The treasury's associated token account for `model`'s payment mint,
    /// where the SDK sweeps protocol fees (the program accepts any token
    /// account the treasury owns).
    pub async fn treasury_token(&self, model: &ModelAccounts) -> Result<Pubkey, SdkError> {
        let treasury = self.config().await?.treasury;
        Ok(associated_token(&treasury, model))
    }

    /// What every contribution of `wallet` (as payout wallet) can claim now
    /// and has claimed, across `models`.
    pub async fn earnings(
        &self,
        wallet: &Pubkey,
        models: &[Pubkey],
    ) -> Result<Vec<Earning>, SdkError> {
        let mut earnings = Vec::new();
        for model in models {
            let view = self.model_view(model).await?;
            let (book_address, book_account) = self.book_account(model).await?;
            let book = decode_royalty_book(&book_address, &book_account)?;
            for (address, contribution) in &view.contributions {
                if contribution.payout_wallet != *wallet {
                    continue;
                }
                let entry = decode_book_entry(&book_address, &book_account, contribution.index)?;
                let mut balance = entry.balance();
                balance
                    .settle(&book.pools())
                    .map_err(|_| SdkError::Decode {
                        address: book_address,
                        reason: "book entry overflows".into(),
                    })?;
                earnings.push(Earning {
                    model: *model,
                    contribution: *address,
                    index: contribution.index,
                    claimable: balance.claimable().unwrap_or(u64::MAX),
                    claimed: entry.claimed_total(),
                });
            }
        }
        Ok(earnings)
    }

    /// The ancestry of `model`, breadth first: every ancestor with the link
    /// (licence, grant, royalty bps) through which its child derives from it.
    pub async fn lineage(&self, model: &Pubkey) -> Result<Vec<LineageLink>, SdkError> {
        let mut links = Vec::new();
        let mut frontier = vec![(*model, 0usize)];
        while let Some((child, depth)) = frontier.pop() {
            for parent in self.model(&child).await?.parents {
                frontier.insert(0, (parent.model, depth + 1));
                links.push(LineageLink {
                    child,
                    depth: depth + 1,
                    link: parent,
                });
            }
        }
        Ok(links)
    }

    /// A model with all its contributions and licence versions, read by index
    /// from the model's own counters (no account scan needed).
    pub async fn model_view(&self, address: &Pubkey) -> Result<ModelView, SdkError> {
        let model = self.model(address).await?;
        let count = self.next_contribution_index(address).await?;
        let mut contributions = Vec::with_capacity(count as usize);
        for index in 0..count {
            let key = pda::contribution(address, index).0;
            // A rejected contribution's proposer may have closed its record.
            if let Some(account) = self.connection.get_account(&key).await? {
                contributions.push((key, decode(&key, &account)?));
            }
        }
        let mut licenses = Vec::new();
        for version in model_ledger::constants::FIRST_LICENSE_VERSION..model.next_license_version {
            let key = pda::license(address, version).0;
            licenses.push((key, self.license(&key).await?));
        }
        Ok(ModelView {
            address: *address,
            model,
            contributions,
            licenses,
        })
    }

    pub async fn initialize_config(
        &self,
        admin: &dyn Signer,
        args: InitializeConfigArgs,
    ) -> Result<TransactionOutcome, SdkError> {
        self.send(&[ix::initialize_config(&admin.pubkey(), args)], &[admin])
            .await
    }

    pub async fn update_config(
        &self,
        admin: &dyn Signer,
        args: UpdateConfigArgs,
    ) -> Result<TransactionOutcome, SdkError> {
        self.send(&[ix::update_config(&admin.pubkey(), args)], &[admin])
            .await
    }

    /// The pending admin takes over the configuration.
    pub async fn accept_admin(
        &self,
        pending_admin: &dyn Signer,
    ) -> Result<TransactionOutcome, SdkError> {
        self.send(
            &[ix::accept_admin(&pending_admin.pubkey())],
            &[pending_admin],
        )
        .await
    }

    /// Registers a model; the payment mint's owner decides the token program.
    /// Returns the model's address.
    pub async fn register_model(
        &self,
        authority: &dyn Signer,
        payment_mint: &Pubkey,
        args: RegisterModelArgs,
    ) -> Result<(Pubkey, TransactionOutcome), SdkError> {
        let mint = self
            .connection
            .get_account(payment_mint)
            .await?
            .ok_or(SdkError::AccountNotFound(*payment_mint))?;
        let model = pda::model(&authority.pubkey(), &args.model_id).0;
        let instruction = ix::register_model(&authority.pubkey(), payment_mint, &mint.owner, args);
        let outcome = self.send(&[instruction], &[authority]).await?;
        Ok((model, outcome))
    }

    pub async fn transfer_model_authority(
        &self,
        authority: &dyn Signer,
        model: &Pubkey,
        new_authority: Option<Pubkey>,
    ) -> Result<TransactionOutcome, SdkError> {
        let instruction = ix::transfer_model_authority(&authority.pubkey(), model, new_authority);
        self.send(&[instruction], &[authority]).await
    }

    pub async fn accept_model_authority(
        &self,
        new_authority: &dyn Signer,
        model: &Pubkey,
    ) -> Result<TransactionOutcome, SdkError> {
        let instruction = ix::accept_model_authority(&new_authority.pubkey(), model);
        self.send(&[instruction], &[new_authority]).await
    }

    /// Registers a model deriving from `parents`, each under a grant its
    /// authority holds. Returns the model's address.
    pub async fn register_derived_model(
        &self,
        authority: &dyn Signer,
        payment_mint: &Pubkey,
        args: RegisterModelArgs,
        parents: &[ParentGrant],
    ) -> Result<(Pubkey, TransactionOutcome), SdkError> {
        let mint = self
            .connection
            .get_account(payment_mint)
            .await?
            .ok_or(SdkError::AccountNotFound(*payment_mint))?;
        let model = pda::model(&authority.pubkey(), &args.model_id).0;
        let instruction = ix::register_derived_model(
            &authority.pubkey(),
            payment_mint,
            &mint.owner,
            args,
            parents,
        );
        let outcome = self.send(&[instruction], &[authority]).await?;
        Ok((model, outcome))
    }

    /// Buys a grant on licence `version` of `model`, refusing to pay more
    /// than `max_fee` up front or `max_price_per_call`. Returns the grant.
    #[allow(clippy::too_many_arguments)]
    pub async fn acquire_grant(
        &self,
        licensee: &dyn Signer,
        model: &Pubkey,
        version: u32,
        max_fee: u64,
        max_price_per_call: u64,
        payer_token: &Pubkey,
    ) -> Result<(Pubkey, TransactionOutcome), SdkError> {
        let accounts = self.model_accounts(model).await?;
        let license = pda::license(model, version).0;
        let instruction = ix::acquire_grant(
            &licensee.pubkey(),
            &accounts,
            &license,
            payer_token,
            AcquireGrantArgs {
                expected_version: version,
                max_fee,
                max_price_per_call,
            },
        );
        let outcome = self.send(&[instruction], &[licensee]).await?;
        Ok((pda::grant(&license, &licensee.pubkey()).0, outcome))
    }

    pub async fn set_meter(
        &self,
        licensee: &dyn Signer,
        grant: &Pubkey,
        meter: Option<Pubkey>,
    ) -> Result<TransactionOutcome, SdkError> {
        let instruction = ix::set_meter(&licensee.pubkey(), grant, meter);
        self.send(&[instruction], &[licensee]).await
    }

    /// Records one batch; `recorder` is the licensee or the grant's meter and
    /// should be this client's fee payer so the transaction has one signer.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_inference(
        &self,
        recorder: &dyn Signer,
        grant: &Pubkey,
        payer_token: &Pubkey,
        seq: u64,
        calls: u64,
        merkle_root: [u8; 32],
        attribution: Vec<AttributionEntry>,
    ) -> Result<TransactionOutcome, SdkError> {
        let instruction = self
            .record_inference_instruction(
                &recorder.pubkey(),
                grant,
                payer_token,
                RecordInferenceArgs {
                    seq,
                    calls,
                    merkle_root,
                    attribution,
                },
            )
            .await?;
        self.send(&[instruction], &[recorder]).await
    }

    /// The `record_inference` instruction for `grant`, with every account resolved.
    pub async fn record_inference_instruction(
        &self,
        recorder: &Pubkey,
        grant: &Pubkey,
        payer_token: &Pubkey,
        args: RecordInferenceArgs,
    ) -> Result<Instruction, SdkError> {
        let model = self.grant(grant).await?.model;
        let accounts = self.model_accounts(&model).await?;
        Ok(ix::record_inference(
            recorder,
            grant,
            &accounts,
            payer_token,
            args,
        ))
    }

    /// Permissionless: sweeps the protocol fees `model`'s book owes into the
    /// treasury's associated token account (created first if missing, this
    /// client's fee payer paying its rent).
    pub async fn collect_protocol_fees(
        &self,
        model: &Pubkey,
    ) -> Result<TransactionOutcome, SdkError> {
        let accounts = self.model_accounts(model).await?;
        let treasury = self.config().await?.treasury;
        let instructions =
            ix::collect_protocol_fees_to_associated(&self.fee_payer.pubkey(), &treasury, &accounts);
        self.send(&instructions, &[]).await
    }

    /// Permissionless: books what reached `model`'s vault outside the protocol.
    pub async fn book_surplus(&self, model: &Pubkey) -> Result<TransactionOutcome, SdkError> {
        let accounts = self.model_accounts(model).await?;
        self.send(&[ix::book_surplus(&accounts)], &[]).await
    }

    /// Permissionless: settles what `child` owes `parent`.
    pub async fn settle_upstream(
        &self,
        child: &Pubkey,
        parent: &Pubkey,
    ) -> Result<TransactionOutcome, SdkError> {
        let accounts = self.model_accounts(child).await?;
        self.send(&[ix::settle_upstream(&accounts, parent)], &[])
            .await
    }

    /// Claims everything contribution `index` of `model` has earned into `destination`.
    pub async fn claim(
        &self,
        payout_wallet: &dyn Signer,
        model: &Pubkey,
        index: u32,
        destination: &Pubkey,
    ) -> Result<TransactionOutcome, SdkError> {
        let accounts = self.model_accounts(model).await?;
        let instruction = ix::claim(&payout_wallet.pubkey(), &accounts, index, destination);
        self.send(&[instruction], &[payout_wallet]).await
    }

    pub async fn claim_unallocated(
        &self,
        authority: &dyn Signer,
        model: &Pubkey,
        destination: &Pubkey,
    ) -> Result<TransactionOutcome, SdkError> {
        let accounts = self.model_accounts(model).await?;
        let instruction = ix::claim_unallocated(&authority.pubkey(), &accounts, destination);
        self.send(&[instruction], &[authority]).await
    }

    /// The index the model's next proposed contribution receives.
    pub async fn next_contribution_index(&self, model: &Pubkey) -> Result<u32, SdkError> {
        Ok(self.royalty_book(model).await?.contribution_count)
    }

    /// Proposes a contribution under the model's next index, which it
    /// returns. Two proposals racing for the same index: the second fails
    /// with `ContributionIndexMismatch` and can simply be retried.
    pub async fn propose_contribution(
        &self,
        contributor: &dyn Signer,
        model: &Pubkey,
        args: ProposeContributionArgs,
    ) -> Result<(u32, TransactionOutcome), SdkError> {
        let index = self.next_contribution_index(model).await?;
        let instruction = ix::propose_contribution(&contributor.pubkey(), model, index, args);
        let outcome = self.send(&[instruction], &[contributor]).await?;
        Ok((index, outcome))
    }

    /// Accepts contribution `index` with `shares`. If the royalty book must
    /// grow by more than one instruction allows, it is extended first.
    pub async fn accept_contribution(
        &self,
        authority: &dyn Signer,
        model: &Pubkey,
        index: u32,
        shares: u64,
    ) -> Result<TransactionOutcome, SdkError> {
        let mut entries = self.royalty_book(model).await?.entry_count;
        while index.saturating_add(1).saturating_sub(entries) > MAX_ENTRIES_PER_GROWTH {
            let step = ix::extend_royalty_book(&authority.pubkey(), model, MAX_ENTRIES_PER_GROWTH);
            self.send(&[step], &[authority]).await?;
            entries += MAX_ENTRIES_PER_GROWTH;
        }
        let instruction = ix::accept_contribution(&authority.pubkey(), model, index, shares);
        self.send(&[instruction], &[authority]).await
    }

    pub async fn reject_contribution(
        &self,
        authority: &dyn Signer,
        model: &Pubkey,
        index: u32,
    ) -> Result<TransactionOutcome, SdkError> {
        let instruction = ix::reject_contribution(&authority.pubkey(), model, index);
        self.send(&[instruction], &[authority]).await
    }

    pub async fn revoke_contribution(
        &self,
        authority: &dyn Signer,
        model: &Pubkey,
        index: u32,
    ) -> Result<TransactionOutcome, SdkError> {
        let instruction = ix::revoke_contribution(&authority.pubkey(), model, index);
        self.send(&[instruction], &[authority]).await
    }

    pub async fn set_payout_wallet(
        &self,
        contributor: &dyn Signer,
        contribution: &Pubkey,
        payout_wallet: Pubkey,
    ) -> Result<TransactionOutcome, SdkError> {
        let instruction = ix::set_payout_wallet(&contributor.pubkey(), contribution, payout_wallet);
        self.send(&[instruction], &[contributor]).await
    }

    /// Publishes the model's next licence version, which it returns.
    pub async fn publish_license(
        &self,
        authority: &dyn Signer,
        model: &Pubkey,
        terms: LicenseTerms,
    ) -> Result<(u32, TransactionOutcome), SdkError> {
        let version = self.model(model).await?.next_license_version;
        let instruction = ix::publish_license(&authority.pubkey(), model, version, terms);
        let outcome = self.send(&[instruction], &[authority]).await?;
        Ok((version, outcome))
    }

    pub async fn retire_license(
        &self,
        authority: &dyn Signer,
        model: &Pubkey,
        version: u32,
    ) -> Result<TransactionOutcome, SdkError> {
        let instruction = ix::retire_license(&authority.pubkey(), model, version);
        self.send(&[instruction], &[authority]).await
    }
}

/// The associated token account of `owner` for the model's payment mint.
pub fn associated_token(owner: &Pubkey, model: &ModelAccounts) -> Pubkey {
    anchor_spl::associated_token::get_associated_token_address_with_program_id(
        owner,
        &model.payment_mint,
        &model.token_program,
    )
}

/// One contribution's earnings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Earning {
    pub model: Pubkey,
    pub contribution: Pubkey,
    pub index: u32,
    /// Whole tokens a claim would move now.
    pub claimable: u64,
    /// Tokens claimed so far.
    pub claimed: u128,
}

/// One derivation in a model's ancestry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineageLink {
    pub child: Pubkey,
    /// 1 for a parent of the model asked about, 2 for a grandparent…
    pub depth: usize,
    pub link: ParentLink,
}

/// A token account's balance (SPL Token or Token-2022).
pub fn token_amount(address: &Pubkey, account: &Account) -> Result<u64, SdkError> {
    use anchor_spl::token_2022::spl_token_2022::{
        extension::StateWithExtensions, state::Account as TokenAccount,
    };
    StateWithExtensions::<TokenAccount>::unpack(&account.data)
        .map(|state| state.base.amount)
        .map_err(|error| SdkError::Decode {
            address: *address,
            reason: error.to_string(),
        })
}

/// A model's books against its vault, in 1/SCALE token units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Audit {
    pub vault_balance: u64,
    /// Tokens in the vault beyond what the book holds (received less paid
    /// out): arrived outside the protocol, booked by `book_surplus`. Not an
    /// imbalance.
    pub surplus: u128,
    /// Σ every contribution's balance, including unsettled accrual.
    pub owed_scaled: u128,
    /// Carries, owed upstream and unallocated.
    pub held_scaled: u128,
}

impl Audit {
    /// (vault − surplus) · SCALE = owed + held, exactly.
    pub fn balanced(&self) -> bool {
        u128::from(self.vault_balance)
            .checked_sub(self.surplus)
            .and_then(|accounted| accounted.checked_mul(model_ledger::math::royalty::SCALE))
            == self.owed_scaled.checked_add(self.held_scaled)
    }
}
