//! A call repeated with the same accounts (a second claim, an idempotent
//! account creation) is a transaction of its own, whatever the runtime's
//! blockhash did in between: the client signs it again under a newer
//! blockhash instead of letting the cluster drop it as a duplicate.

use anchor_lang::solana_program::system_instruction;
use model_ledger_sdk::{client::LedgerConnection, SdkError};
use model_ledger_tests::TestLedger;
use solana_sdk::{signer::Signer, transaction::Transaction};

#[tokio::test]
async fn a_byte_identical_repeat_is_signed_again_under_a_newer_blockhash() {
    let ledger = TestLedger::start().await;
    let recipient = ledger.wallet().await.pubkey();
    let payer = ledger.payer().insecure_clone();
    let transfer = system_instruction::transfer(&payer.pubkey(), &recipient, 1_000);
    let sign = |instructions: &[_], blockhash| {
        Ok(Transaction::new_signed_with_payer(
            instructions,
            Some(&payer.pubkey()),
            &[&payer],
            blockhash,
        ))
    };
    let connection = &ledger.client.connection;
    let blockhash = connection.latest_blockhash().await.unwrap();
    // Exactly what the client would send: the transfer and its compute budget.
    let budgeted = ledger
        .client
        .budgeted(std::slice::from_ref(&transfer), &sign, blockhash)
        .await
        .unwrap();
    let first: Transaction = sign(&budgeted, blockhash).unwrap();
    connection.send_transaction(&first).await.unwrap();

    // The same bytes again reach the runtime as a named duplicate...
    let duplicate = connection.send_transaction(&first).await.unwrap_err();
    assert!(
        matches!(duplicate, SdkError::AlreadyProcessed),
        "{duplicate}"
    );

    // ...while the client, asked to send the same request, sends a new one.
    let balance = ledger.banks.get_balance(recipient).await.unwrap();
    let second = ledger
        .client
        .send_signed_with(std::slice::from_ref(&transfer), sign)
        .await
        .unwrap();
    assert_ne!(second.signature, first.signatures[0]);
    assert_eq!(
        ledger.banks.get_balance(recipient).await.unwrap(),
        balance + 1_000,
        "the repeat moved lamports once more"
    );
}

#[tokio::test]
async fn the_in_process_runtime_moves_to_a_new_slot_for_a_new_blockhash() {
    let ledger = TestLedger::start().await;
    let connection = &ledger.client.connection;
    for _ in 0..3 {
        let slot = connection.slot().await.unwrap();
        let blockhash = connection.latest_blockhash().await.unwrap();
        let newer = connection.advance_slot().await.unwrap();
        assert_ne!(newer, blockhash);
        assert_eq!(connection.slot().await.unwrap(), slot + 1);
        // Asked for a blockhash after the current one, it moves again.
        let after = connection.blockhash_after(&newer).await.unwrap();
        assert_ne!(after, newer);
        assert_eq!(connection.slot().await.unwrap(), slot + 2);
    }
}
