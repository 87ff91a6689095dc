//! The runtime behind every test, the CLI's embedded chain and the bench
//! runs the token programs mainnet runs: p-token 1.0.0 at SPL Token's address
//! and Token-2022 10.0.0, so compute units and limits are mainnet's.

use anchor_lang::solana_program::bpf_loader_upgradeable::{self, UpgradeableLoaderState};
use model_ledger_sdk::{client::LedgerConnection, embedded::P_TOKEN_ELF};
use model_ledger_tests::TestLedger;
use solana_sdk::{pubkey::Pubkey, signer::Signer, transaction::Transaction};

/// The ELF that the upgradeable program at `program_id` runs.
async fn deployed_elf(ledger: &TestLedger, program_id: &Pubkey) -> Vec<u8> {
    let program = ledger.account(program_id).await.expect("program account");
    assert_eq!(program.owner, bpf_loader_upgradeable::ID, "{program_id}");
    let UpgradeableLoaderState::Program {
        programdata_address,
    } = bincode::deserialize(&program.data).expect("a program account")
    else {
        panic!("{program_id} is not an upgradeable program");
    };
    let data = ledger
        .account(&programdata_address)
        .await
        .expect("program data")
        .data;
    data[UpgradeableLoaderState::size_of_programdata_metadata()..].to_vec()
}

#[tokio::test]
async fn spl_tokens_address_runs_p_token() {
    let ledger = TestLedger::start().await;
    let elf = deployed_elf(&ledger, &anchor_spl::token::ID).await;
    assert!(
        elf == P_TOKEN_ELF,
        "the program at SPL Token's address is not p-token 1.0.0 ({} bytes)",
        elf.len()
    );
}

/// What makes the difference for every payment: a `TransferChecked` costs
/// p-token about a hundred compute units (SPL Token 3.5.0: 6 174).
#[tokio::test]
async fn a_transfer_checked_costs_what_p_token_charges() {
    let ledger = TestLedger::start().await;
    let from = ledger.wallet().await;
    let source = ledger.token_account(&from.pubkey(), &ledger.mint).await;
    let destination = ledger
        .token_account(&Pubkey::new_unique(), &ledger.mint)
        .await;
    ledger.mint_to(&ledger.mint, &source, 1_000).await;
    let transfer = anchor_spl::token::spl_token::instruction::transfer_checked(
        &anchor_spl::token::ID,
        &source,
        &ledger.mint,
        &destination,
        &from.pubkey(),
        &[],
        400,
        6,
    )
    .unwrap();
    let blockhash = ledger.client.connection.latest_blockhash().await.unwrap();
    let transaction =
        Transaction::new_signed_with_payer(&[transfer], Some(&from.pubkey()), &[&from], blockhash);
    let units = ledger
        .client
        .connection
        .simulate(&transaction)
        .await
        .unwrap();
    assert!(
        (50..500).contains(&units),
        "TransferChecked consumed {units} compute units; p-token charges about 105, SPL Token 3.5.0 6 174"
    );
    ledger
        .client
        .connection
        .send_transaction(&transaction)
        .await
        .unwrap();
    assert_eq!(ledger.balance(&destination).await, 400);
    assert_eq!(ledger.balance(&source).await, 600);
}
