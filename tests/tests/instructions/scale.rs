//! Size and scale limits from the protocol: a 100-entry attribution in one
//! legacy transaction, and a model with 10 000 contributions paying through
//! the same accounts as a small one.

use model_ledger::state::RoyaltyBook;
use model_ledger_sdk::{
    client::LedgerConnection, events::LedgerEvent, instructions::RecordInferenceArgs,
};
use model_ledger_tests::{attribution, commercial_terms, pda, Market, TestLedger};
use solana_sdk::{
    instruction::Instruction, pubkey::Pubkey, signer::Signer, transaction::Transaction,
};

/// Solana's maximum transaction size (PACKET_DATA_SIZE).
const MAX_TRANSACTION_BYTES: usize = 1_232;

async fn market_with(ledger: &TestLedger, contributions: u32) -> Market {
    let market = ledger.market(1, &[], commercial_terms()).await;
    let contributor = ledger.wallet().await;
    ledger
        .propose_many(&market.model, &contributor, contributions)
        .await;
    ledger
        .accept_many(&market.authority, &market.model, 0..contributions, 10)
        .await;
    market
}

async fn recording(ledger: &TestLedger, market: &Market, entries: &[(u32, u16)]) -> Instruction {
    ledger
        .client
        .record_inference_instruction(
            &market.licensee.pubkey(),
            &market.grant,
            &market.licensee_token,
            RecordInferenceArgs {
                seq: 0,
                calls: 100,
                merkle_root: [3; 32],
                attribution: attribution(entries),
            },
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn hundred_entry_attribution_fits_one_legacy_transaction() {
    let ledger = TestLedger::start().await;
    let market = market_with(&ledger, 100).await;
    let entries: Vec<(u32, u16)> = (0..100).map(|index| (index, 1 + index as u16)).collect();
    let instruction = recording(&ledger, &market, &entries).await;
    let blockhash = ledger.client.connection.latest_blockhash().await.unwrap();
    // The licensee is the only signer and pays the fee.
    let transaction = Transaction::new_signed_with_payer(
        &[instruction],
        Some(&market.licensee.pubkey()),
        &[&market.licensee],
        blockhash,
    );
    let bytes = bincode::serialize(&transaction).unwrap().len();
    println!(
        "100-entry record_inference transaction: {bytes} bytes, {} accounts",
        transaction.message.account_keys.len()
    );
    assert!(bytes <= MAX_TRANSACTION_BYTES, "{bytes} bytes");

    let outcome = ledger
        .client
        .connection
        .send_transaction(&transaction)
        .await
        .unwrap();
    let LedgerEvent::InferenceRecorded(event) = &outcome.events[0] else {
        panic!("wrong event")
    };
    assert_eq!(event.attribution.len(), 100);
    assert!(event.payment.per_weight_scaled > 0);
    ledger.assert_conserved(&market.model).await;
}

#[tokio::test]
async fn more_than_a_hundred_entries_are_refused_by_name() {
    let ledger = TestLedger::start().await;
    let market = market_with(&ledger, 101).await;
    let entries: Vec<(u32, u16)> = (0..101).map(|index| (index, 1)).collect();
    let instruction = recording(&ledger, &market, &entries).await;
    let blockhash = ledger.client.connection.latest_blockhash().await.unwrap();
    let transaction = Transaction::new_signed_with_payer(
        &[instruction],
        Some(&market.licensee.pubkey()),
        &[&market.licensee],
        blockhash,
    );
    assert!(bincode::serialize(&transaction).unwrap().len() <= MAX_TRANSACTION_BYTES);
    let watched = ledger.money_accounts(&market);
    let before = ledger.snapshot(&watched).await;
    let error = ledger
        .client
        .connection
        .send_transaction(&transaction)
        .await
        .unwrap_err();
    assert_eq!(
        error.ledger_error().map(u32::from),
        Some(u32::from(
            model_ledger::errors::LedgerError::TooManyAttributionEntries
        ))
    );
    assert_eq!(before, ledger.snapshot(&watched).await, "nothing moved");
}

#[tokio::test]
async fn ten_thousand_contributions_pay_through_the_same_accounts() {
    let ledger = TestLedger::start().await;
    let small = market_with(&ledger, 10).await;
    let large = {
        let market = ledger.market(2, &[], commercial_terms()).await;
        let contributor = ledger.wallet().await;
        // 10 000 records of rent: more than a test wallet's 10 SOL.
        ledger.airdrop(&contributor.pubkey(), 100_000_000_000).await;
        ledger
            .propose_many(&market.model, &contributor, 10_000)
            .await;
        ledger
            .accept_many(&market.authority, &market.model, 0..10_000, 10)
            .await;
        market
    };
    let header = ledger.client.royalty_book(&large.model).await.unwrap();
    assert_eq!(
        (header.contribution_count, header.accepted_count),
        (10_000, 10_000)
    );
    let book = ledger
        .account(&pda::royalty_book(&large.model).0)
        .await
        .unwrap();
    assert_eq!(book.data.len(), RoyaltyBook::space_for(10_000));

    let small_ix = recording(&ledger, &small, &[(0, 1), (9, 1)]).await;
    let large_ix = recording(&ledger, &large, &[(0, 1), (5_000, 2), (9_999, 3)]).await;
    assert_eq!(small_ix.accounts.len(), large_ix.accounts.len());
    let roles = |ix: &Instruction, market: &Market| -> Vec<bool> {
        // Which positions name per-model accounts; all others are identical.
        let own: [Pubkey; 5] = [
            market.model,
            market.grant,
            pda::royalty_book(&market.model).0,
            pda::vault(&market.model).0,
            market.licensee_token,
        ];
        ix.accounts
            .iter()
            .map(|meta| own.contains(&meta.pubkey))
            .collect()
    };
    assert_eq!(roles(&small_ix, &small), roles(&large_ix, &large));
    ledger
        .client
        .send(&[large_ix], &[&large.licensee])
        .await
        .unwrap();
    ledger.assert_conserved(&large.model).await;

    let contribution = ledger
        .account(&pda::contribution(&large.model, 9_999).0)
        .await
        .unwrap();
    let rent = ledger.banks.get_rent().await.unwrap();
    let entry_rent = rent.minimum_balance(RoyaltyBook::space_for(10_000))
        - rent.minimum_balance(RoyaltyBook::space_for(9_999));
    println!(
        "rent per contribution: record {} + book entry {} = {} lamports ({} + 64 bytes)",
        contribution.lamports,
        entry_rent,
        contribution.lamports + entry_rent,
        contribution.data.len()
    );
}
