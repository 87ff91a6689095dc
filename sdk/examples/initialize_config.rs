//! Initialises the protocol config on a real cluster right after deployment
//! (whoever initialises first becomes the admin, so do it in the same session).
//!
//! ```text
//! cargo run -p model-ledger-sdk --example initialize_config -- \
//!     <RPC_URL> <ADMIN_KEYPAIR_FILE> <PROTOCOL_FEE_BPS> <TREASURY_PUBKEY>
//! ```

use std::{process::ExitCode, str::FromStr};

use model_ledger_sdk::{
    client::{LedgerClient, RpcConnection},
    instructions::InitializeConfigArgs,
};
use solana_sdk::{pubkey::Pubkey, signature::read_keypair_file};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, keypair_path, fee_bps, treasury] = args.as_slice() else {
        eprintln!("usage: initialize_config <RPC_URL> <ADMIN_KEYPAIR_FILE> <PROTOCOL_FEE_BPS> <TREASURY_PUBKEY>");
        return ExitCode::from(2);
    };
    let admin = match read_keypair_file(keypair_path) {
        Ok(keypair) => keypair,
        Err(error) => {
            eprintln!("cannot read keypair {keypair_path}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let (Ok(protocol_fee_bps), Ok(treasury)) = (fee_bps.parse::<u16>(), Pubkey::from_str(treasury))
    else {
        eprintln!("PROTOCOL_FEE_BPS must be 0..=10000 and TREASURY a base58 public key");
        return ExitCode::from(2);
    };
    let client = LedgerClient::new(RpcConnection::new(url.clone()), admin.insecure_clone());
    match client
        .initialize_config(
            &admin,
            InitializeConfigArgs {
                protocol_fee_bps,
                treasury,
            },
        )
        .await
    {
        Ok(outcome) => {
            println!("config initialised: {}", outcome.signature);
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("initialize_config failed: {error}");
            ExitCode::FAILURE
        }
    }
}
