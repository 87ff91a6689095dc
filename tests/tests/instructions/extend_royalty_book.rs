use model_ledger::{errors::LedgerError, state::RoyaltyBook};
use model_ledger_sdk::events::LedgerEvent;
use model_ledger_tests::{ix, only_event, pda, with_extra_account, TestLedger};
use solana_sdk::signer::Signer;

#[tokio::test]
async fn adds_room_paid_by_the_authority() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let book = pda::royalty_book(&model).0;
    let lamports_before = ledger.account(&authority.pubkey()).await.unwrap().lamports;
    let outcome = ledger
        .client
        .send(
            &[ix::extend_royalty_book(&authority.pubkey(), &model, 160)],
            &[&authority],
        )
        .await
        .unwrap();
    let account = ledger.account(&book).await.unwrap();
    assert_eq!(account.data.len(), RoyaltyBook::space_for(160));
    let rent = ledger.banks.get_rent().await.unwrap();
    assert_eq!(
        account.lamports,
        rent.minimum_balance(RoyaltyBook::space_for(160))
    );
    assert!(ledger.account(&authority.pubkey()).await.unwrap().lamports < lamports_before);
    let LedgerEvent::RoyaltyBookExtended(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(event.entry_count, 160);
}

#[tokio::test]
async fn growth_beyond_one_instruction_is_refused() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let book = pda::royalty_book(&model).0;
    for additional in [0, 161] {
        let instruction = ix::extend_royalty_book(&authority.pubkey(), &model, additional);
        ledger
            .expect_ledger_error(
                &[instruction],
                &[&authority],
                LedgerError::BookGrowthTooLarge,
                &[book],
            )
            .await;
    }
    // Accepting index 169 into an empty book needs 170 entries at once.
    let contributor = ledger.wallet().await;
    ledger.propose_many(&model, &contributor, 170).await;
    let instruction = ix::accept_contribution(&authority.pubkey(), &model, 169, 1);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&authority],
            LedgerError::BookGrowthTooLarge,
            &[book, pda::contribution(&model, 169).0],
        )
        .await;
    // The SDK extends first, then accepts.
    ledger
        .client
        .accept_contribution(&authority, &model, 169, 1)
        .await
        .unwrap();
    assert_eq!(
        ledger
            .client
            .royalty_book(&model)
            .await
            .unwrap()
            .entry_count,
        170
    );
}

#[tokio::test]
async fn only_the_authority_extends() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let stranger = ledger.wallet().await;
    let instruction = ix::extend_royalty_book(&stranger.pubkey(), &model, 1);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&stranger],
            LedgerError::NotModelAuthority,
            &[pda::royalty_book(&model).0],
        )
        .await;
}

#[tokio::test]
async fn remaining_accounts_are_refused() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let instruction = ix::extend_royalty_book(&authority.pubkey(), &model, 1);
    ledger
        .expect_ledger_error(
            &[with_extra_account(instruction)],
            &[&authority],
            LedgerError::UnexpectedRemainingAccounts,
            &[pda::royalty_book(&model).0],
        )
        .await;
}
