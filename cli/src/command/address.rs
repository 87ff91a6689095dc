//! `address` and `balance`: the wallet's address (any signer, a Ledger's
//! too) without sending anything, and what it holds.

use anyhow::Result;
use clap::Args;
use model_ledger_sdk::client::LedgerConnection;
use solana_sdk::{pubkey::Pubkey, signer::Signer};

use crate::{output::tokens, session::Session};

#[derive(Args, Debug)]
pub struct AddressArgs {}

/// Prints the wallet's address.
pub async fn address(session: &Session, _args: AddressArgs) -> Result<()> {
    let wallet = session.wallet.pubkey();
    session
        .output
        .print(serde_json::json!({ "address": wallet.to_string() }), || {
            wallet.to_string()
        });
    Ok(())
}

#[derive(Args, Debug)]
pub struct BalanceArgs {
    /// Whose balance [default: the wallet]
    pub address: Option<Pubkey>,
    /// Also the balance of this model's payment token (its associated account)
    #[arg(long)]
    pub model: Option<Pubkey>,
    /// Also the balance of this mint (its associated account)
    #[arg(long, conflicts_with = "model")]
    pub mint: Option<Pubkey>,
}

/// SOL, and a payment token, of a wallet.
pub async fn balance(session: &Session, args: BalanceArgs) -> Result<()> {
    let owner = args.address.unwrap_or_else(|| session.wallet.pubkey());
    let connection = &session.client.connection;
    let lamports = connection
        .get_account(&owner)
        .await?
        .map_or(0, |account| account.lamports);
    let mint = match (args.model, args.mint) {
        (Some(model), _) => Some(session.client.model_accounts(&model).await?.payment_mint),
        (None, mint) => mint,
    };
    let token = match mint {
        Some(mint) => {
            let program = connection
                .get_account(&mint)
                .await?
                .ok_or_else(|| anyhow::anyhow!("there is no mint at {mint}"))?
                .owner;
            let decimals = session.client.mint_decimals(&mint).await?;
            let account =
                anchor_spl::associated_token::get_associated_token_address_with_program_id(
                    &owner, &mint, &program,
                );
            let amount = session.client.token_balance(&account).await?;
            Some((mint, account, amount, decimals))
        }
        None => None,
    };
    let sol = lamports as f64 / 1e9;
    let mut json =
        serde_json::json!({ "address": owner.to_string(), "lamports": lamports, "sol": sol });
    if let Some((mint, account, amount, decimals)) = &token {
        json["token"] = serde_json::json!({
            "mint": mint.to_string(),
            "account": account.to_string(),
            "amount": amount,
            "amount_ui": tokens(*amount, *decimals),
            "decimals": decimals,
        });
    }
    session.output.print(json, || {
        let mut text = format!("{owner}\n  {sol} SOL");
        if let Some((mint, account, amount, decimals)) = &token {
            text.push_str(&format!(
                "\n  {} tokens of {mint} (account {account})",
                tokens(*amount, *decimals)
            ));
        }
        text
    });
    Ok(())
}
