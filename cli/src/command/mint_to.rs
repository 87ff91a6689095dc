use anyhow::{anyhow, Result};
use clap::Args;
use model_ledger_sdk::client::LedgerConnection;
use solana_sdk::{pubkey::Pubkey, signer::Signer};

use super::print_landed;
use crate::{
    output::{tokens, TokenAmount},
    session::Session,
};

#[derive(Args, Debug)]
pub struct MintToArgs {
    /// The mint (the wallet must be its mint authority)
    pub mint: Pubkey,
    /// Amount in tokens, e.g. 10 or 0.5 (with the mint's decimals)
    #[arg(value_name = "TOKENS", allow_negative_numbers = true)]
    pub amount: TokenAmount,
    /// Owner of the receiving associated token account [default: the wallet]
    #[arg(long)]
    pub to: Option<Pubkey>,
}

pub async fn execute(session: &Session, args: MintToArgs) -> Result<()> {
    let owner = args.to.unwrap_or_else(|| session.wallet.pubkey());
    let program = session
        .client
        .connection
        .get_account(&args.mint)
        .await?
        .ok_or_else(|| anyhow!("mint {} does not exist", args.mint))?
        .owner;
    let decimals = session.client.mint_decimals(&args.mint).await?;
    let amount = args.amount.base_units(decimals)?;
    let account = anchor_spl::associated_token::get_associated_token_address_with_program_id(
        &owner, &args.mint, &program,
    );
    let instructions = [
        anchor_spl::associated_token::spl_associated_token_account::instruction::create_associated_token_account_idempotent(
            &session.client.fee_payer.pubkey(),
            &owner,
            &args.mint,
            &program,
        ),
        anchor_spl::token_2022::spl_token_2022::instruction::mint_to(&program, &args.mint, &account, &session.wallet.pubkey(), &[], amount)?,
    ];
    let outcome = session.send(&instructions, &[&session.wallet]).await?;
    print_landed(
        session,
        &outcome,
        "Tokens minted",
        serde_json::json!({ "mint": args.mint.to_string(), "token_account": account.to_string(), "owner": owner.to_string(), "amount": amount, "amount_ui": tokens(amount, decimals) }),
    );
    Ok(())
}
