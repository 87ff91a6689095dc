use model_ledger::{errors::LedgerError, state::ContributionStatus};
use model_ledger_sdk::events::LedgerEvent;
use model_ledger_tests::{ix, only_event, pda, with_extra_account, TestLedger};
use solana_sdk::signer::Signer;

#[tokio::test]
async fn revokes_and_removes_shares_from_the_model_total() {
    let (ledger, authority, model, (_, kept)) = TestLedger::with_proposal().await;
    let (_, revoked) = ledger.propose(&model).await;
    ledger
        .client
        .accept_contribution(&authority, &model, kept, 60)
        .await
        .unwrap();
    ledger
        .client
        .accept_contribution(&authority, &model, revoked, 40)
        .await
        .unwrap();
    let outcome = ledger
        .client
        .revoke_contribution(&authority, &model, revoked)
        .await
        .unwrap();

    let record = ledger
        .client
        .contribution(&pda::contribution(&model, revoked).0)
        .await
        .unwrap();
    assert_eq!(record.status, ContributionStatus::Revoked);
    assert_eq!(record.shares, 40, "the record keeps what it held");
    let LedgerEvent::ContributionStatusChanged(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(event.previous_status, ContributionStatus::Accepted);
    assert_eq!(event.status, ContributionStatus::Revoked);
    assert_eq!(event.shares, 40);
    assert_eq!(event.model_total_shares, 60);
    assert_eq!(event.model_accepted_count, 1);
    let book = ledger.client.royalty_book(&model).await.unwrap();
    assert_eq!(
        (book.total_shares, book.accepted_count),
        (60, 1),
        "a revoked contribution stops earning"
    );
}

#[tokio::test]
async fn proposed_contribution_cannot_be_revoked() {
    let (ledger, authority, model, (_, index)) = TestLedger::with_proposal().await;
    let instruction = ix::revoke_contribution(&authority.pubkey(), &model, index);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&authority],
            LedgerError::ContributionNotAccepted,
            &[model, pda::contribution(&model, index).0],
        )
        .await;
}

#[tokio::test]
async fn revoking_twice_is_rejected() {
    let (ledger, authority, model, (_, index)) = TestLedger::with_proposal().await;
    ledger
        .client
        .accept_contribution(&authority, &model, index, 5)
        .await
        .unwrap();
    ledger
        .client
        .revoke_contribution(&authority, &model, index)
        .await
        .unwrap();
    let instruction = ix::revoke_contribution(&authority.pubkey(), &model, index);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&authority],
            LedgerError::ContributionNotAccepted,
            &[model, pda::contribution(&model, index).0],
        )
        .await;
}

#[tokio::test]
async fn non_authority_is_rejected() {
    let (ledger, authority, model, (contributor, index)) = TestLedger::with_proposal().await;
    ledger
        .client
        .accept_contribution(&authority, &model, index, 5)
        .await
        .unwrap();
    let instruction = ix::revoke_contribution(&contributor.pubkey(), &model, index);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&contributor],
            LedgerError::NotModelAuthority,
            &[model, pda::contribution(&model, index).0],
        )
        .await;
}

#[tokio::test]
async fn contribution_of_another_model_is_rejected() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let own = ledger.register_model(&authority, 1).await;
    let (other, foreign) = ledger.foreign_contribution(true).await;
    let mut instruction = ix::revoke_contribution(&authority.pubkey(), &own, 0);
    instruction.accounts[2].pubkey = foreign;
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&authority],
            LedgerError::ModelMismatch,
            &[own, other, foreign],
        )
        .await;
}

#[tokio::test]
async fn remaining_accounts_are_rejected() {
    let (ledger, authority, model, (_, index)) = TestLedger::with_proposal().await;
    ledger
        .client
        .accept_contribution(&authority, &model, index, 5)
        .await
        .unwrap();
    let instruction = ix::revoke_contribution(&authority.pubkey(), &model, index);
    ledger
        .expect_ledger_error(
            &[with_extra_account(instruction)],
            &[&authority],
            LedgerError::UnexpectedRemainingAccounts,
            &[model, pda::contribution(&model, index).0],
        )
        .await;
}
