use anyhow::Result;
use clap::Args;
use solana_sdk::{signature::Keypair, signer::Signer};

use super::print_landed;
use crate::session::Session;

/// Rent-exempt minimum of a nonce account (80 bytes) on every cluster today.
const NONCE_LAMPORTS: u64 = 1_447_680;

#[derive(Args, Debug)]
pub struct CreateNonceArgs {}

/// Creates a durable nonce account, with the wallet as its authority, so
/// transactions can be signed offline long before they are submitted.
pub async fn execute(session: &Session, _args: CreateNonceArgs) -> Result<()> {
    let nonce = Keypair::new();
    let instructions = solana_system_interface::instruction::create_nonce_account(
        &session.client.fee_payer.pubkey(),
        &nonce.pubkey(),
        &session.wallet.pubkey(),
        NONCE_LAMPORTS,
    );
    let outcome = session
        .send(&instructions, &[&session.wallet, &nonce])
        .await?;
    print_landed(
        session,
        &outcome,
        "Nonce account created",
        serde_json::json!({ "nonce": nonce.pubkey().to_string(), "authority": session.wallet.pubkey().to_string() }),
    );
    Ok(())
}
