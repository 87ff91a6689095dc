use model_ledger::{errors::LedgerError, instructions::UpdateConfigArgs};
use model_ledger_sdk::{events::LedgerEvent, instructions::collect_protocol_fees};
use model_ledger_tests::{
    commercial_terms, only_event, pda, with_extra_account, Market, TestLedger,
};
use solana_sdk::{instruction::Instruction, pubkey::Pubkey};

fn sweep(ledger: &TestLedger, market: &Market, treasury_token: &Pubkey) -> Instruction {
    collect_protocol_fees(&market.accounts(&ledger.mint), treasury_token)
}

async fn expect_refused(
    ledger: &TestLedger,
    market: &Market,
    instruction: Instruction,
    error: LedgerError,
    substitute: Pubkey,
) {
    let watched = vec![
        pda::royalty_book(&market.model).0,
        pda::vault(&market.model).0,
        market.treasury_token,
        substitute,
    ];
    ledger
        .expect_ledger_error(&[instruction], &[], error, &watched)
        .await;
}

#[tokio::test]
async fn sweeps_exactly_what_the_book_owes_the_treasury() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    ledger.record(&market, 0, 10, vec![]).await.unwrap();
    let vault = pda::vault(&market.model).0;
    let vault_before = ledger.balance(&vault).await;
    let paid_out_before = ledger
        .client
        .royalty_book(&market.model)
        .await
        .unwrap()
        .total_paid_out();

    let outcome = ledger
        .client
        .send(&[sweep(&ledger, &market, &market.treasury_token)], &[])
        .await
        .unwrap();

    // 2.5 % of the 50 000 fee and of 10 calls × 1 000.
    assert_eq!(ledger.balance(&market.treasury_token).await, 1_500);
    assert_eq!(ledger.balance(&vault).await, vault_before - 1_500);
    let book = ledger.client.royalty_book(&market.model).await.unwrap();
    assert_eq!(book.owed_protocol, 0);
    assert_eq!(book.total_paid_out(), paid_out_before + 1_500);
    let LedgerEvent::ProtocolFeesCollected(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(
        (event.model, event.treasury_token, event.amount),
        (market.model, market.treasury_token, 1_500)
    );
    ledger.assert_conserved(&market.model).await;

    // A second sweep has nothing to move, and says so.
    let outcome = ledger
        .client
        .collect_protocol_fees(&market.model)
        .await
        .unwrap();
    let LedgerEvent::ProtocolFeesCollected(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(event.amount, 0);
    assert_eq!(ledger.balance(&market.treasury_token).await, 1_500);
}

#[tokio::test]
async fn the_pause_does_not_hold_back_fees_already_earned() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
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
    ledger
        .client
        .collect_protocol_fees(&market.model)
        .await
        .unwrap();
    assert_eq!(ledger.balance(&market.treasury_token).await, 1_250);
}

#[tokio::test]
async fn a_destination_the_treasury_does_not_own_is_refused() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let strangers = market.licensee_token;
    let instruction = sweep(&ledger, &market, &strangers);
    expect_refused(
        &ledger,
        &market,
        instruction,
        LedgerError::TreasuryMismatch,
        strangers,
    )
    .await;
}

#[tokio::test]
async fn a_treasury_account_of_another_mint_is_refused() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let foreign_mint = ledger.create_legacy_mint().await;
    let treasury = ledger.client.config().await.unwrap().treasury;
    let foreign = ledger.token_account(&treasury, &foreign_mint).await;
    let instruction = sweep(&ledger, &market, &foreign);
    expect_refused(
        &ledger,
        &market,
        instruction,
        LedgerError::MintMismatch,
        foreign,
    )
    .await;
}

#[tokio::test]
async fn another_models_book_or_vault_is_refused() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let other = ledger.market(2, &[1], commercial_terms()).await;
    let cases = [
        (
            2,
            pda::royalty_book(&other.model).0,
            LedgerError::BookMismatch,
        ),
        (3, pda::vault(&other.model).0, LedgerError::VaultMismatch),
    ];
    for (position, substitute, error) in cases {
        let mut instruction = sweep(&ledger, &market, &market.treasury_token);
        instruction.accounts[position].pubkey = substitute;
        expect_refused(&ledger, &market, instruction, error, substitute).await;
    }
}

#[tokio::test]
async fn remaining_accounts_are_refused() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let instruction = with_extra_account(sweep(&ledger, &market, &market.treasury_token));
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
