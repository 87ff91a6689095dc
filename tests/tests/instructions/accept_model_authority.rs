use model_ledger::errors::LedgerError;
use model_ledger_sdk::events::LedgerEvent;
use model_ledger_tests::open_ai;
use model_ledger_tests::{commercial_terms, ix, only_event, pda, with_extra_account, TestLedger};
use solana_sdk::signer::Signer;

#[tokio::test]
async fn pending_authority_takes_over_and_old_one_loses_power() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let successor = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    ledger
        .client
        .transfer_model_authority(&authority, &model, Some(successor.pubkey()))
        .await
        .unwrap();
    let outcome = ledger
        .client
        .accept_model_authority(&successor, &model)
        .await
        .unwrap();
    let record = ledger.client.model(&model).await.unwrap();
    assert_eq!(record.authority, successor.pubkey());
    assert_eq!(record.pending_authority, None);
    assert_eq!(
        record.creator,
        authority.pubkey(),
        "the creator is history, not power"
    );
    let LedgerEvent::ModelAuthorityTransferred(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(event.previous_authority, authority.pubkey());
    assert_eq!(event.new_authority, successor.pubkey());

    let stale = ix::publish_license(
        &authority.pubkey(),
        &model,
        1,
        commercial_terms(),
        open_ai(),
    );
    ledger
        .expect_ledger_error(
            &[stale],
            &[&authority],
            LedgerError::NotModelAuthority,
            &[model, pda::license(&model, 1).0],
        )
        .await;
    ledger
        .client
        .publish_license(&successor, &model, commercial_terms(), open_ai())
        .await
        .unwrap();
}

#[tokio::test]
async fn nothing_pending_is_rejected() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let hopeful = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let instruction = ix::accept_model_authority(&hopeful.pubkey(), &model);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&hopeful],
            LedgerError::NoPendingAuthority,
            &[model],
        )
        .await;
}

#[tokio::test]
async fn someone_else_than_the_pending_authority_is_rejected() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let successor = ledger.wallet().await;
    let thief = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    ledger
        .client
        .transfer_model_authority(&authority, &model, Some(successor.pubkey()))
        .await
        .unwrap();
    let instruction = ix::accept_model_authority(&thief.pubkey(), &model);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&thief],
            LedgerError::NotPendingAuthority,
            &[model],
        )
        .await;
}

#[tokio::test]
async fn remaining_accounts_are_rejected() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let successor = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    ledger
        .client
        .transfer_model_authority(&authority, &model, Some(successor.pubkey()))
        .await
        .unwrap();
    let instruction = ix::accept_model_authority(&successor.pubkey(), &model);
    ledger
        .expect_ledger_error(
            &[with_extra_account(instruction)],
            &[&successor],
            LedgerError::UnexpectedRemainingAccounts,
            &[model],
        )
        .await;
}
