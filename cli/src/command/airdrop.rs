use anyhow::{anyhow, Result};
use clap::Args;
use solana_sdk::{pubkey::Pubkey, signer::Signer};

use crate::session::Session;

#[derive(Args, Debug)]
pub struct AirdropArgs {
    /// Amount in SOL
    pub sol: f64,
    /// Recipient [default: the wallet]
    #[arg(long)]
    pub to: Option<Pubkey>,
}

pub async fn execute(session: &Session, args: AirdropArgs) -> Result<()> {
    let to = args.to.unwrap_or_else(|| session.wallet.pubkey());
    anyhow::ensure!(
        args.sol > 0.0 && args.sol.is_finite(),
        "the amount must be a positive number of SOL"
    );
    let lamports = (args.sol * 1e9).round() as u64;
    let signature = match (session.embedded(), session.client.connection.rpc()) {
        (Some(embedded), _) => {
            let faucet = embedded.faucet();
            let transfer =
                solana_system_interface::instruction::transfer(&faucet.pubkey(), &to, lamports);
            session
                .client
                .send_signed_with(&[transfer], |instructions, blockhash| {
                    Ok(solana_sdk::transaction::Transaction::new_signed_with_payer(
                        instructions,
                        Some(&faucet.pubkey()),
                        &[&faucet],
                        blockhash,
                    ))
                })
                .await?
                .signature
        }
        (None, Some(rpc)) => {
            let signature = rpc
                .0
                .request_airdrop(&to, lamports)
                .await
                .map_err(|error| anyhow!("the airdrop from {} failed: {error}", rpc.0.url()))?;
            // The faucet answers once the transfer is sent, not when it has
            // landed; the next command would find no SOL. Wait until it is
            // visible at the session's commitment.
            rpc.0
                .poll_for_signature_with_commitment(&signature, rpc.0.commitment())
                .await
                .map_err(|error| anyhow!("airdrop {signature} did not land: {error}"))?;
            signature
        }
        (None, None) => unreachable!("a session is embedded or RPC"),
    };
    session.output.print(
        serde_json::json!({ "to": to.to_string(), "lamports": lamports, "signature": signature.to_string() }),
        || format!("Airdropped {} SOL to {to}\n  signature: {signature}", args.sol),
    );
    Ok(())
}
