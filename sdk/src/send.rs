//! The one way every transaction leaves the SDK, the CLI and the test
//! harness: [`LedgerClient::deliver`]. It adds the compute budget (measured by
//! simulation), signs with the fee payer and the acting wallets, and either
//! sends (under the latest blockhash, a fixed one, or a durable nonce) or,
//! for offline signing, hands the signed transaction back.

use base64::Engine;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_sdk::{
    hash::Hash, instruction::Instruction, pubkey::Pubkey, signer::Signer, transaction::Transaction,
};

use crate::{
    client::LedgerClient,
    connection::{LedgerConnection, TransactionOutcome},
    SdkError,
};

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
    /// A transaction signed offline, which cannot be simulated, carries the
    /// limit [`crate::compute_units::offline_limit`] gives. `false` sends
    /// no limit at all (the bench, measuring instructions alone).
    pub limit_from_simulation: bool,
    /// This limit for every transaction instead (`--compute-unit-limit`).
    pub fixed_limit: Option<u32>,
}

impl Default for ComputeBudget {
    fn default() -> Self {
        Self {
            unit_price: None,
            limit_from_simulation: true,
            fixed_limit: None,
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

/// How transactions are signed and where they go. The default sends each one
/// at once under the cluster's latest blockhash.
#[derive(Default)]
pub struct Signing {
    /// Sign under this blockhash instead of asking the cluster (offline
    /// signing; with a nonce, the nonce's stored blockhash).
    pub blockhash: Option<Hash>,
    /// Advance this durable nonce first and sign under its blockhash, so the
    /// transaction stays valid until submitted.
    pub nonce: Option<DurableNonce>,
    /// Sign and hand the transaction back ([`Delivered::Signed`]) instead of
    /// sending it. Such a transaction is not simulated: it carries the
    /// offline limit ([`crate::compute_units::offline_limit`]).
    pub sign_only: bool,
}

/// A durable nonce account and the key allowed to advance it (whose
/// signer comes with the transaction's other signers).
pub struct DurableNonce {
    pub account: Pubkey,
    pub authority: Pubkey,
}

impl Signing {
    /// Whether transactions go out now, each under a fresh blockhash, so a
    /// call needing several transactions in a row can run.
    pub fn is_online(&self) -> bool {
        !self.sign_only && self.nonce.is_none() && self.blockhash.is_none()
    }
}

/// What became of a transaction.
#[derive(Debug, Clone)]
pub enum Delivered {
    Landed(TransactionOutcome),
    /// Signed, not sent (`Signing::sign_only`): to be submitted later, once
    /// the signatures still missing have been added.
    Signed(SignedTransaction),
}

#[derive(Debug, Clone)]
pub struct SignedTransaction {
    pub transaction: Transaction,
    pub blockhash: Hash,
    /// Signers the transaction needs that were not given here.
    pub missing_signers: Vec<Pubkey>,
}

impl SignedTransaction {
    /// The wire form, base64, as `--sign-only` prints and `submit` reads.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD
            .encode(bincode::serialize(&self.transaction).expect("a transaction serialises"))
    }
}

impl<C: LedgerConnection, P: Signer> LedgerClient<C, P> {
    /// Signs `instructions` with the fee payer and `signers`, sends them as
    /// one transaction and returns what it left behind. With
    /// [`Signing::sign_only`] nothing is sent and this is
    /// [`SdkError::NotSent`]: use [`LedgerClient::deliver`] to get the
    /// signed transaction.
    pub async fn send(
        &self,
        instructions: &[Instruction],
        signers: &[&dyn Signer],
    ) -> Result<TransactionOutcome, SdkError> {
        match self.deliver(instructions, signers).await? {
            Delivered::Landed(outcome) => Ok(outcome),
            Delivered::Signed(_) => Err(SdkError::NotSent),
        }
    }

    /// Sends each transaction of `transactions` in order (a call that needs
    /// several, such as accepting a contribution far beyond the book's end).
    pub async fn deliver_all(
        &self,
        transactions: &[Vec<Instruction>],
        signers: &[&dyn Signer],
    ) -> Result<Vec<Delivered>, SdkError> {
        let mut delivered = Vec::with_capacity(transactions.len());
        for instructions in transactions {
            delivered.push(self.deliver(instructions, signers).await?);
        }
        Ok(delivered)
    }

    /// Signs `instructions` as one transaction with the fee payer and those
    /// of `signers` it needs (others are ignored), then sends it or, with
    /// [`Signing::sign_only`], returns it signed.
    pub async fn deliver(
        &self,
        instructions: &[Instruction],
        signers: &[&dyn Signer],
    ) -> Result<Delivered, SdkError> {
        let mut all = instructions.to_vec();
        let mut available: Vec<&dyn Signer> = vec![&self.fee_payer];
        available.extend(signers.iter().copied());
        if let Some(nonce) = &self.signing.nonce {
            all.insert(
                0,
                solana_system_interface::instruction::advance_nonce_account(
                    &nonce.account,
                    &nonce.authority,
                ),
            );
        }
        let fixed_blockhash = match (&self.signing.nonce, self.signing.blockhash) {
            (_, Some(blockhash)) => Some(blockhash),
            (Some(nonce), None) => Some(self.nonce_blockhash(&nonce.account).await?),
            (None, None) => None,
        };
        let fee_payer = self.fee_payer.pubkey();
        let required: Vec<Pubkey> = Transaction::new_with_payer(&all, Some(&fee_payer))
            .message
            .signer_keys()
            .into_iter()
            .copied()
            .collect();
        let mut given = Vec::new();
        let usable: Vec<&dyn Signer> = available
            .into_iter()
            .filter(|signer| {
                let key = signer.pubkey();
                let take = required.contains(&key) && !given.contains(&key);
                if take {
                    given.push(key);
                }
                take
            })
            .collect();
        let missing_signers: Vec<Pubkey> = required
            .iter()
            .filter(|key| !given.contains(key))
            .copied()
            .collect();
        if !self.signing.sign_only && !missing_signers.is_empty() {
            return Err(SdkError::Signing(format!(
                "the transaction needs the signature of {}, whose keypair was not given",
                missing_signers
                    .iter()
                    .map(Pubkey::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let sign = |instructions: &[Instruction], blockhash: Hash| {
            let mut transaction = Transaction::new_with_payer(instructions, Some(&fee_payer));
            transaction
                .try_partial_sign(&usable, blockhash)
                .map_err(|error| SdkError::Signing(error.to_string()))?;
            Ok(transaction)
        };
        if self.signing.sign_only {
            let blockhash = match fixed_blockhash {
                Some(blockhash) => blockhash,
                None => self.connection.latest_blockhash().await?,
            };
            // Not simulated: a transaction signed for later runs on the
            // state of its submission, which may depend on transactions
            // signed before it (an extension, then the acceptance it makes
            // room for), and every party must sign the same limit.
            let budgeted = self.offline_budget(&all);
            return Ok(Delivered::Signed(SignedTransaction {
                transaction: sign(&budgeted, blockhash)?,
                blockhash,
                missing_signers,
            }));
        }
        let outcome = match fixed_blockhash {
            // A blockhash the user fixed (or a nonce's) cannot be replaced:
            // a repeat under it is refused as already processed. Its
            // signatures may have been made offline (`--signer`), over the
            // offline limit, so it carries that limit too.
            Some(blockhash) => {
                let budgeted = self.offline_budget(&all);
                self.connection
                    .send_transaction(&sign(&budgeted, blockhash)?)
                    .await?
            }
            None => self.send_signed_with(&all, sign).await?,
        };
        Ok(Delivered::Landed(outcome))
    }

    /// `instructions` with the compute budget's instructions for a
    /// transaction that is not simulated.
    fn offline_budget(&self, instructions: &[Instruction]) -> Vec<Instruction> {
        let budget = self.compute_budget;
        let limit = match (budget.fixed_limit, budget.limit_from_simulation) {
            (Some(limit), _) => Some(limit),
            (None, true) => Some(crate::compute_units::offline_limit(instructions)),
            (None, false) => None,
        };
        budget.apply(instructions, limit)
    }

    /// The blockhash a durable nonce account holds.
    async fn nonce_blockhash(&self, nonce: &Pubkey) -> Result<Hash, SdkError> {
        let account = self
            .connection
            .get_account(nonce)
            .await?
            .ok_or(SdkError::AccountNotFound(*nonce))?;
        let not_a_nonce = |reason: &str| SdkError::Decode {
            address: *nonce,
            reason: reason.into(),
        };
        let versions: solana_nonce::versions::Versions =
            bincode::deserialize(&account.data).map_err(|_| not_a_nonce("not a nonce account"))?;
        match versions.state() {
            solana_nonce::state::State::Initialized(data) => Ok(data.blockhash()),
            solana_nonce::state::State::Uninitialized => {
                Err(not_a_nonce("the nonce account is not initialised"))
            }
        }
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
        if let Some(limit) = budget.fixed_limit {
            return Ok(budget.apply(instructions, Some(limit)));
        }
        if !budget.limit_from_simulation {
            return Ok(budget.apply(instructions, None));
        }
        let trial = budget.apply(instructions, Some(MAX_COMPUTE_UNIT_LIMIT));
        let consumed = self.connection.simulate(&sign(&trial, blockhash)?).await?;
        crate::compute_units::check_offline_limit(instructions, consumed)?;
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
}
