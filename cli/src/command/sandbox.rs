//! A fresh chain for `demo` and `bench`: the program native in
//! solana-program-test with the real token programs (an embedded ledger
//! that lives in memory, or is saved into a directory for the demo), a
//! funded faucet that is also the mint authority of the test token, and the
//! few set-up instructions both commands need.

// solana-program-test 3.x flags its API as "unstable" ahead of 4.0.
#![allow(deprecated)]

use std::path::Path;

use anyhow::{ensure, Context, Result};
use model_ledger_sdk::{
    client::{associated_token, LedgerClient},
    instructions::ModelAccounts,
};
use solana_sdk::{instruction::Instruction, pubkey::Pubkey, signature::Keypair, signer::Signer};

use crate::embedded::{EmbeddedLedger, RecordingConnection};

const MINT_SPACE: usize = 82;

/// Marks a ledger directory a demo or bench saved, so a later run may replace it.
const SAVED_MARKER: &str = "sandbox.json";

pub struct Sandbox {
    ledger: EmbeddedLedger,
    pub faucet: Keypair,
    /// The program's upgrade authority (so it may initialise the config), funded with 10 SOL.
    pub deployer: Keypair,
    /// Pays fees from the faucet.
    pub client: LedgerClient<RecordingConnection>,
}

impl Sandbox {
    /// With a given upgrade authority, in memory only.
    pub async fn start_with_deployer(deployer: Keypair) -> Result<Self> {
        Self::start_in(None, deployer).await
    }

    /// With a given upgrade authority, saved into `dir` by [`Sandbox::save`]
    /// (a ledger the CLI, the indexer and the explorer then open).
    pub async fn start_in(dir: Option<&Path>, deployer: Keypair) -> Result<Self> {
        let ledger = EmbeddedLedger::fresh(dir, &deployer.pubkey()).await?;
        let faucet = ledger.faucet();
        let client = LedgerClient::new(ledger.connection(), faucet.insecure_clone());
        let sandbox = Self {
            ledger,
            faucet,
            deployer,
            client,
        };
        sandbox
            .client
            .send(
                &[sandbox.send_sol(&sandbox.deployer.pubkey(), 10_000_000_000)],
                &[],
            )
            .await?;
        Ok(sandbox)
    }

    /// A fresh chain to be saved into `dir` ([`Sandbox::save_as`]): a
    /// missing or empty directory, or one an earlier run saved (replaced);
    /// anything else is refused, never overwritten.
    pub async fn start_saved(dir: &Path, deployer: Keypair) -> Result<Self> {
        if dir.exists() {
            if dir.join(SAVED_MARKER).exists() {
                std::fs::remove_dir_all(dir).with_context(|| {
                    format!("cannot replace the earlier run in {}", dir.display())
                })?;
            } else {
                let empty = std::fs::read_dir(dir)
                    .with_context(|| format!("cannot read {}", dir.display()))?
                    .next()
                    .is_none();
                ensure!(
                    empty,
                    "{} is not empty and holds no earlier demo or bench; pass --save with another directory",
                    dir.display()
                );
            }
        }
        Self::start_in(Some(dir), deployer).await
    }

    /// Saves the chain into `dir` (where [`Sandbox::start_saved`] opened it):
    /// its accounts and journal, the deployer (the admin) as its wallet,
    /// and a marker saying what made it.
    pub async fn save_as(&self, dir: &Path, made_by: serde_json::Value) -> Result<()> {
        self.ledger.save().await?;
        EmbeddedLedger::write_wallet(dir, &self.deployer)?;
        std::fs::write(dir.join(SAVED_MARKER), made_by.to_string())?;
        Ok(())
    }

    /// Another client on the same chain whose transactions `fee_payer` pays
    /// (a meter key, a host): one signer per transaction.
    pub fn client_paid_by(&self, fee_payer: &Keypair) -> LedgerClient<RecordingConnection> {
        LedgerClient::new(self.ledger.connection(), fee_payer.insecure_clone())
    }

    pub async fn rent(&self) -> Result<solana_sdk::rent::Rent> {
        Ok(self.ledger.connection().banks().banks().get_rent().await?)
    }

    /// A legacy SPL Token mint whose authority is the faucet.
    pub async fn create_mint(&self, decimals: u8) -> Result<Pubkey> {
        self.create_mint_at(Keypair::new(), decimals).await
    }

    /// Like [`Sandbox::create_mint`] at the address of `mint`.
    pub async fn create_mint_at(&self, mint: Keypair, decimals: u8) -> Result<Pubkey> {
        let rent = self.rent().await?;
        let instructions = [
            solana_system_interface::instruction::create_account(
                &self.faucet.pubkey(),
                &mint.pubkey(),
                rent.minimum_balance(MINT_SPACE),
                MINT_SPACE as u64,
                &anchor_spl::token::ID,
            ),
            anchor_spl::token_2022::spl_token_2022::instruction::initialize_mint2(
                &anchor_spl::token::ID,
                &mint.pubkey(),
                &self.faucet.pubkey(),
                None,
                decimals,
            )?,
        ];
        self.client.send(&instructions, &[&mint]).await?;
        Ok(mint.pubkey())
    }

    pub fn send_sol(&self, to: &Pubkey, lamports: u64) -> Instruction {
        solana_system_interface::instruction::transfer(&self.faucet.pubkey(), to, lamports)
    }

    /// `owner`'s associated token account of `mint`.
    pub fn token_account(owner: &Pubkey, mint: &Pubkey) -> Pubkey {
        let accounts = ModelAccounts {
            model: Pubkey::default(),
            payment_mint: *mint,
            token_program: anchor_spl::token::ID,
        };
        associated_token(owner, &accounts)
    }

    pub fn create_token_account(&self, owner: &Pubkey, mint: &Pubkey) -> Instruction {
        anchor_spl::associated_token::spl_associated_token_account::instruction::create_associated_token_account_idempotent(
            &self.faucet.pubkey(),
            owner,
            mint,
            &anchor_spl::token::ID,
        )
    }

    /// Mints `amount` into `owner`'s associated token account (which must exist).
    pub fn mint_to(&self, mint: &Pubkey, owner: &Pubkey, amount: u64) -> Result<Instruction> {
        Ok(
            anchor_spl::token_2022::spl_token_2022::instruction::mint_to(
                &anchor_spl::token::ID,
                mint,
                &Self::token_account(owner, mint),
                &self.faucet.pubkey(),
                &[],
                amount,
            )?,
        )
    }
}
