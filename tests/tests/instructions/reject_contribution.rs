use model_ledger::{errors::LedgerError, state::ContributionStatus};
use model_ledger_sdk::events::LedgerEvent;
use model_ledger_tests::{ix, only_event, pda, with_extra_account, TestLedger};
use solana_sdk::signer::Signer;

#[tokio::test]
async fn rejects_a_proposal_without_touching_model_totals() {
    let (ledger, authority, model, (_, kept)) = TestLedger::with_proposal().await;
    ledger
        .client
        .accept_contribution(&authority, &model, kept, 40)
        .await
        .unwrap();
    let (_, index) = ledger.propose(&model).await;
    let outcome = ledger
        .client
        .reject_contribution(&authority, &model, index)
        .await
        .unwrap();
    let record = ledger
        .client
        .contribution(&pda::contribution(&model, index).0)
        .await
        .unwrap();
    assert_eq!(record.status, ContributionStatus::Rejected);
    assert_eq!(record.shares, 0);
    let book = ledger.client.royalty_book(&model).await.unwrap();
    assert_eq!((book.total_shares, book.accepted_count), (40, 1));
    let LedgerEvent::ContributionStatusChanged(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(event.previous_status, ContributionStatus::Proposed);
    assert_eq!(event.status, ContributionStatus::Rejected);
    assert_eq!(event.model_total_shares, 40);
}

#[tokio::test]
async fn non_authority_is_rejected() {
    let (ledger, _, model, (contributor, index)) = TestLedger::with_proposal().await;
    let instruction = ix::reject_contribution(&contributor.pubkey(), &model, index);
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
    let (other, foreign) = ledger.foreign_contribution(false).await;
    let mut instruction = ix::reject_contribution(&authority.pubkey(), &own, 0);
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
async fn accepted_contribution_cannot_be_rejected() {
    let (ledger, authority, model, (_, index)) = TestLedger::with_proposal().await;
    ledger
        .client
        .accept_contribution(&authority, &model, index, 10)
        .await
        .unwrap();
    let instruction = ix::reject_contribution(&authority.pubkey(), &model, index);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&authority],
            LedgerError::ContributionNotProposed,
            &[model, pda::contribution(&model, index).0],
        )
        .await;
}

#[tokio::test]
async fn remaining_accounts_are_rejected() {
    let (ledger, authority, model, (_, index)) = TestLedger::with_proposal().await;
    let instruction = ix::reject_contribution(&authority.pubkey(), &model, index);
    ledger
        .expect_ledger_error(
            &[with_extra_account(instruction)],
            &[&authority],
            LedgerError::UnexpectedRemainingAccounts,
            &[model, pda::contribution(&model, index).0],
        )
        .await;
}
