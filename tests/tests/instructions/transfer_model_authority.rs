use model_ledger::errors::LedgerError;
use model_ledger_sdk::events::LedgerEvent;
use model_ledger_tests::{ix, only_event, with_extra_account, TestLedger};
use solana_sdk::signer::Signer;

#[tokio::test]
async fn proposes_without_changing_the_authority() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let successor = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let outcome = ledger
        .client
        .transfer_model_authority(&authority, &model, Some(successor.pubkey()))
        .await
        .unwrap();
    let record = ledger.client.model(&model).await.unwrap();
    assert_eq!(record.authority, authority.pubkey());
    assert_eq!(record.pending_authority, Some(successor.pubkey()));
    let LedgerEvent::ModelAuthorityTransferProposed(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(event.model, model);
    assert_eq!(event.authority, authority.pubkey());
    assert_eq!(event.pending_authority, Some(successor.pubkey()));
}

#[tokio::test]
async fn newer_proposal_replaces_and_none_cancels() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let first = ledger.wallet().await;
    let second = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    for candidate in [Some(first.pubkey()), Some(second.pubkey())] {
        ledger
            .client
            .transfer_model_authority(&authority, &model, candidate)
            .await
            .unwrap();
    }
    assert_eq!(
        ledger.client.model(&model).await.unwrap().pending_authority,
        Some(second.pubkey())
    );
    let outcome = ledger
        .client
        .transfer_model_authority(&authority, &model, None)
        .await
        .unwrap();
    assert_eq!(
        ledger.client.model(&model).await.unwrap().pending_authority,
        None
    );
    let LedgerEvent::ModelAuthorityTransferProposed(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(event.pending_authority, None);
}

#[tokio::test]
async fn non_authority_is_rejected() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let thief = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let instruction = ix::transfer_model_authority(&thief.pubkey(), &model, Some(thief.pubkey()));
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&thief],
            LedgerError::NotModelAuthority,
            &[model],
        )
        .await;
}

#[tokio::test]
async fn proposing_the_current_authority_is_rejected() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let instruction =
        ix::transfer_model_authority(&authority.pubkey(), &model, Some(authority.pubkey()));
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&authority],
            LedgerError::AuthorityUnchanged,
            &[model],
        )
        .await;
}

#[tokio::test]
async fn remaining_accounts_are_rejected() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let instruction = ix::transfer_model_authority(&authority.pubkey(), &model, None);
    ledger
        .expect_ledger_error(
            &[with_extra_account(instruction)],
            &[&authority],
            LedgerError::UnexpectedRemainingAccounts,
            &[model],
        )
        .await;
}
