use anyhow::Result;
use clap::Args;
use model_ledger_sdk::{client::associated_token, events::LedgerEvent, instructions as ix};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

use crate::{output::tokens, session::Session};

#[derive(Args, Debug)]
pub struct ClaimArgs {
    /// The model of the contribution (omit with --all)
    #[arg(required_unless_present = "all")]
    pub model: Option<Pubkey>,
    /// The contribution's index (omit with --all)
    #[arg(required_unless_present = "all")]
    pub index: Option<u32>,
    /// Claim every contribution whose payout wallet is the wallet
    #[arg(long, conflicts_with_all = ["model", "index"])]
    pub all: bool,
    /// Receiving token account [default: the wallet's associated account, created if needed]
    #[arg(long)]
    pub to: Option<Pubkey>,
}

pub async fn execute(session: &Session, args: ClaimArgs) -> Result<()> {
    let me = session.wallet.pubkey();
    let targets: Vec<(Pubkey, u32)> = if args.all {
        super::earnings::earnings_of(session, &me)
            .await?
            .0
            .into_iter()
            .filter(|earning| earning.claimable > 0)
            .map(|earning| (earning.model, earning.index))
            .collect()
    } else {
        vec![(args.model.expect("required"), args.index.expect("required"))]
    };
    let mut claimed = Vec::new();
    for (model, index) in targets {
        let accounts = session.client.model_accounts(&model).await?;
        let decimals = session.model_decimals(&model).await?;
        let destination = args.to.unwrap_or_else(|| associated_token(&me, &accounts));
        let create = anchor_spl::associated_token::spl_associated_token_account::instruction::create_associated_token_account_idempotent(
            &session.client.fee_payer.pubkey(),
            &me,
            &accounts.payment_mint,
            &accounts.token_program,
        );
        let mut instructions = Vec::new();
        if args.to.is_none() {
            instructions.push(create);
        }
        instructions.push(ix::claim(&me, &accounts, index, &destination));
        let Some(outcome) = session.send(&instructions, &[&session.wallet]).await? else {
            continue;
        };
        let amount = outcome
            .events
            .iter()
            .find_map(|event| match event {
                LedgerEvent::RoyaltyClaimed(event) => Some(event.amount),
                _ => None,
            })
            .unwrap_or(0);
        claimed.push((
            model,
            index,
            amount,
            decimals,
            destination,
            outcome.signature,
        ));
    }
    let json: Vec<_> = claimed
        .iter()
        .map(|(model, index, amount, decimals, to, signature)| serde_json::json!({ "model": model.to_string(), "index": index, "amount": amount, "amount_ui": tokens(*amount, *decimals), "destination": to.to_string(), "signature": signature.to_string() }))
        .collect();
    session.output.print(
        serde_json::json!({ "total": claimed.iter().map(|claim| claim.2).sum::<u64>(), "claims": json }),
        || {
            let mut text = format!("{} claim(s)", claimed.len());
            for (model, index, amount, decimals, _, signature) in &claimed {
                let note = if *amount == 0 {
                    " (nothing new since the last claim)"
                } else {
                    ""
                };
                text.push_str(&format!(
                    "\n  {model} #{index}: {} tokens{note}  {signature}",
                    tokens(*amount, *decimals)
                ));
            }
            text
        },
    );
    Ok(())
}
