use model_ledger::{
    errors::LedgerError, math::royalty::MAX_TOTAL_SHARES, state::ContributionStatus,
};
use model_ledger_sdk::{
    accounts::{decode_book_entry, decode_royalty_book},
    events::LedgerEvent,
};
use model_ledger_tests::{ix, only_event, pda, with_extra_account, TestLedger};
use solana_sdk::signer::Signer;

#[tokio::test]
async fn accepts_with_shares_and_updates_model_totals() {
    let (ledger, authority, model, (_, first)) = TestLedger::with_proposal().await;
    let (_, second) = ledger.propose(&model).await;
    ledger
        .client
        .accept_contribution(&authority, &model, first, 300)
        .await
        .unwrap();
    let outcome = ledger
        .client
        .accept_contribution(&authority, &model, second, 700)
        .await
        .unwrap();

    let record = ledger
        .client
        .contribution(&pda::contribution(&model, second).0)
        .await
        .unwrap();
    assert_eq!(record.status, ContributionStatus::Accepted);
    assert_eq!(record.shares, 700);

    let LedgerEvent::ContributionStatusChanged(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(event.index, second);
    assert_eq!(event.previous_status, ContributionStatus::Proposed);
    assert_eq!(event.status, ContributionStatus::Accepted);
    assert_eq!(event.shares, 700);
    assert_eq!(event.model_total_shares, 1_000);
    assert_eq!(event.model_accepted_count, 2);
    assert_eq!(event.slot, record.status_slot);

    let book_address = pda::royalty_book(&model).0;
    let book_account = ledger.account(&book_address).await.unwrap();
    let book = decode_royalty_book(&book_address, &book_account).unwrap();
    assert_eq!((book.total_shares, book.accepted_count), (1_000, 2));
    assert_eq!(book.entry_count, second + 1);
    let entry = decode_book_entry(&book_address, &book_account, second).unwrap();
    assert_eq!(entry.active_shares, 700);
    assert_eq!(u128::from_le_bytes(entry.snapshot), event.acc_per_share);
}

#[tokio::test]
async fn non_authority_is_rejected() {
    let (ledger, _, model, (contributor, index)) = TestLedger::with_proposal().await;
    let instruction = ix::accept_contribution(&contributor.pubkey(), &model, index, 1_000_000);
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
    let mut instruction = ix::accept_contribution(&authority.pubkey(), &own, 0, 10);
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
async fn another_models_book_is_rejected() {
    let (ledger, authority, model, (_, index)) = TestLedger::with_proposal().await;
    let other = ledger.register_model(&authority, 2).await;
    let mut instruction = ix::accept_contribution(&authority.pubkey(), &model, index, 10);
    instruction.accounts[3].pubkey = pda::royalty_book(&other).0;
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&authority],
            LedgerError::BookMismatch,
            &[
                pda::contribution(&model, index).0,
                pda::royalty_book(&model).0,
                pda::royalty_book(&other).0,
            ],
        )
        .await;
}

/// The authority is read from the model's fixed prefix, so anything that is
/// not a model of this program must be refused before that read means anything.
#[tokio::test]
async fn an_account_that_is_not_a_model_is_rejected() {
    let (ledger, authority, model, (_, index)) = TestLedger::with_proposal().await;
    let contribution = pda::contribution(&model, index).0;
    for impostor in [contribution, authority.pubkey()] {
        let mut instruction = ix::accept_contribution(&authority.pubkey(), &model, index, 10);
        instruction.accounts[1].pubkey = impostor;
        ledger
            .expect_ledger_error(
                &[instruction],
                &[&authority],
                LedgerError::ModelMismatch,
                &[contribution, pda::royalty_book(&model).0],
            )
            .await;
    }
}

#[tokio::test]
async fn accepting_twice_is_rejected() {
    let (ledger, authority, model, (_, index)) = TestLedger::with_proposal().await;
    ledger
        .client
        .accept_contribution(&authority, &model, index, 10)
        .await
        .unwrap();
    let instruction = ix::accept_contribution(&authority.pubkey(), &model, index, 99);
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
async fn rejected_contribution_cannot_be_accepted() {
    let (ledger, authority, model, (_, index)) = TestLedger::with_proposal().await;
    ledger
        .client
        .reject_contribution(&authority, &model, index)
        .await
        .unwrap();
    let instruction = ix::accept_contribution(&authority.pubkey(), &model, index, 10);
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
async fn zero_shares_are_rejected() {
    let (ledger, authority, model, (_, index)) = TestLedger::with_proposal().await;
    let instruction = ix::accept_contribution(&authority.pubkey(), &model, index, 0);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&authority],
            LedgerError::ZeroShares,
            &[model, pda::contribution(&model, index).0],
        )
        .await;
}

#[tokio::test]
async fn shares_above_the_model_cap_are_refused() {
    let (ledger, authority, model, (_, first)) = TestLedger::with_proposal().await;
    let (_, second) = ledger.propose(&model).await;
    let watched = [
        model,
        pda::contribution(&model, first).0,
        pda::contribution(&model, second).0,
        pda::royalty_book(&model).0,
    ];
    let alone = ix::accept_contribution(&authority.pubkey(), &model, first, MAX_TOTAL_SHARES + 1);
    ledger
        .expect_ledger_error(
            &[alone],
            &[&authority],
            LedgerError::SharesAboveLimit,
            &watched,
        )
        .await;
    ledger
        .client
        .accept_contribution(&authority, &model, first, MAX_TOTAL_SHARES - 5)
        .await
        .unwrap();
    let together = ix::accept_contribution(&authority.pubkey(), &model, second, 6);
    ledger
        .expect_ledger_error(
            &[together],
            &[&authority],
            LedgerError::SharesAboveLimit,
            &watched,
        )
        .await;
    ledger
        .client
        .accept_contribution(&authority, &model, second, 5)
        .await
        .unwrap();
    let book = ledger.client.royalty_book(&model).await.unwrap();
    assert_eq!(
        (book.total_shares, book.accepted_count),
        (MAX_TOTAL_SHARES, 2)
    );
}

#[tokio::test]
async fn remaining_accounts_are_rejected() {
    let (ledger, authority, model, (_, index)) = TestLedger::with_proposal().await;
    let instruction = ix::accept_contribution(&authority.pubkey(), &model, index, 10);
    ledger
        .expect_ledger_error(
            &[with_extra_account(instruction)],
            &[&authority],
            LedgerError::UnexpectedRemainingAccounts,
            &[model, pda::contribution(&model, index).0],
        )
        .await;
}
