use anchor_lang::solana_program::program_pack::Pack;
use anyhow::Result;
use clap::Args;
use model_ledger_sdk::client::LedgerConnection;
use solana_sdk::{signature::Keypair, signer::Signer};

use super::print_landed;
use crate::session::Session;

#[derive(Args, Debug)]
pub struct CreateMintArgs {
    /// Digits after the decimal point of a token amount
    #[arg(long, default_value_t = 6)]
    pub decimals: u8,
    /// Create a Token-2022 mint (no extensions) instead of a legacy SPL Token mint
    #[arg(long)]
    pub token_2022: bool,
    /// A key that may freeze the mint's token accounts (as most stablecoins keep)
    #[arg(long)]
    pub freeze_authority: Option<solana_sdk::pubkey::Pubkey>,
}

pub async fn execute(session: &Session, args: CreateMintArgs) -> Result<()> {
    let mint = Keypair::new();
    let program = if args.token_2022 {
        anchor_spl::token_2022::ID
    } else {
        anchor_spl::token::ID
    };
    let space = anchor_spl::token::spl_token::state::Mint::LEN;
    let rent = session
        .client
        .connection
        .get_account(&solana_sdk::sysvar::rent::ID)
        .await?
        .and_then(|account| bincode::deserialize::<solana_sdk::rent::Rent>(&account.data).ok())
        .unwrap_or_default();
    let payer = session.client.fee_payer.pubkey();
    let instructions = [
        solana_system_interface::instruction::create_account(
            &payer,
            &mint.pubkey(),
            rent.minimum_balance(space),
            space as u64,
            &program,
        ),
        anchor_spl::token_2022::spl_token_2022::instruction::initialize_mint2(
            &program,
            &mint.pubkey(),
            &session.wallet.pubkey(),
            args.freeze_authority.as_ref(),
            args.decimals,
        )?,
    ];
    let outcome = session
        .send(&instructions, &[&session.wallet, &mint])
        .await?;
    print_landed(
        session,
        &outcome,
        "Mint created",
        serde_json::json!({ "mint": mint.pubkey().to_string(), "decimals": args.decimals, "token_program": program.to_string() }),
    );
    Ok(())
}
