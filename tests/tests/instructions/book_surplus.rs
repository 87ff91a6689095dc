use model_ledger::{errors::LedgerError, instructions::UpdateConfigArgs};
use model_ledger_sdk::{events::LedgerEvent, instructions::book_surplus};
use model_ledger_tests::{
    commercial_terms, only_event, pda, with_extra_account, Market, TestLedger,
};
use solana_sdk::{instruction::Instruction, pubkey::Pubkey, signer::Signer};

/// The licensee sends `amount` straight into the vault, outside the protocol.
async fn donate(ledger: &TestLedger, market: &Market, amount: u64) {
    let transfer = anchor_spl::token::spl_token::instruction::transfer(
        &anchor_spl::token::ID,
        &market.licensee_token,
        &pda::vault(&market.model).0,
        &market.licensee.pubkey(),
        &[],
        amount,
    )
    .unwrap();
    ledger
        .client
        .send(&[transfer], &[&market.licensee])
        .await
        .unwrap();
}

fn booking(ledger: &TestLedger, market: &Market) -> Instruction {
    book_surplus(&market.accounts(&ledger.mint))
}

async fn expect_refused(
    ledger: &TestLedger,
    market: &Market,
    instruction: Instruction,
    error: LedgerError,
    extra: Pubkey,
) {
    let watched = [
        pda::royalty_book(&market.model).0,
        pda::vault(&market.model).0,
        extra,
    ];
    ledger
        .expect_ledger_error(&[instruction], &[], error, &watched)
        .await;
}

#[tokio::test]
async fn a_donation_is_surplus_until_booked_as_a_payment() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[3, 1], commercial_terms()).await;
    donate(&ledger, &market, 10_000).await;

    let audit = ledger.client.audit(&market.model).await.unwrap();
    assert_eq!(
        audit.surplus,
        Some(10_000),
        "reported apart from any imbalance"
    );
    assert!(audit.balanced(), "the book itself is still exact");

    let outcome = ledger.client.book_surplus(&market.model).await.unwrap();
    let LedgerEvent::SurplusBooked(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(event.amount, 10_000);
    assert_eq!(
        event.payment.protocol_fee, 250,
        "a payment like any other: 2.5 %"
    );
    ledger.assert_conserved(&market.model).await;
    let book = ledger.client.royalty_book(&market.model).await.unwrap();
    assert_eq!(book.total_received(), 50_000 + 10_000);
    // 9 750 over shares 3 : 1, on top of the grant fee's 48 750.
    let earnings = ledger
        .client
        .earnings(&market.contributors[0].0.pubkey(), &[market.model])
        .await
        .unwrap();
    assert_eq!(earnings[0].claimable, (48_750 + 9_750) * 3 / 4);

    // Nothing left to book: a second call moves nothing.
    let outcome = ledger.client.book_surplus(&market.model).await.unwrap();
    let LedgerEvent::SurplusBooked(event) = only_event(&outcome) else {
        panic!("wrong event")
    };
    assert_eq!(event.amount, 0);
    assert_eq!(
        ledger
            .client
            .royalty_book(&market.model)
            .await
            .unwrap()
            .total_received(),
        60_000
    );
}

#[tokio::test]
async fn booking_is_a_payment_and_waits_out_the_pause() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    donate(&ledger, &market, 1_000).await;
    ledger
        .client
        .update_config(
            &ledger.admin,
            UpdateConfigArgs {
                paused: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let instruction = booking(&ledger, &market);
    expect_refused(
        &ledger,
        &market,
        instruction,
        LedgerError::ProtocolPaused,
        market.licensee_token,
    )
    .await;
}

#[tokio::test]
async fn another_models_book_or_vault_is_refused() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let other = ledger.market(2, &[1], commercial_terms()).await;
    donate(&ledger, &other, 1_000).await;
    for (position, substitute, error) in [
        (
            2,
            pda::royalty_book(&other.model).0,
            LedgerError::BookMismatch,
        ),
        (3, pda::vault(&other.model).0, LedgerError::VaultMismatch),
    ] {
        let mut instruction = booking(&ledger, &market);
        instruction.accounts[position].pubkey = substitute;
        expect_refused(&ledger, &market, instruction, error, substitute).await;
    }
}

#[tokio::test]
async fn remaining_accounts_are_refused() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let instruction = with_extra_account(booking(&ledger, &market));
    let extra = instruction.accounts.last().unwrap().pubkey;
    expect_refused(
        &ledger,
        &market,
        instruction,
        LedgerError::UnexpectedRemainingAccounts,
        extra,
    )
    .await;
}
