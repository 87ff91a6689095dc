use model_ledger::errors::LedgerError;
use model_ledger_sdk::{events::LedgerEvent, instructions::close_contribution};
use model_ledger_tests::{only_event, pda, with_extra_account, TestLedger};
use solana_sdk::signer::Signer;

#[tokio::test]
async fn the_proposer_takes_a_rejected_records_rent_back_and_the_index_stays_used() {
    let (ledger, authority, model, (contributor, index)) = TestLedger::with_proposal().await;
    ledger
        .client
        .reject_contribution(&authority, &model, index)
        .await
        .unwrap();
    let address = pda::contribution(&model, index).0;
    let rent = ledger.account(&address).await.unwrap().lamports;
    let before = ledger
        .account(&contributor.pubkey())
        .await
        .unwrap()
        .lamports;

    let outcome = ledger
        .client
        .send(
            &[close_contribution(&contributor.pubkey(), &model, index)],
            &[&contributor],
        )
        .await
        .unwrap();
    let LedgerEvent::ContributionClosed(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(
        (event.contribution, event.index, event.rent_returned),
        (address, index, rent)
    );
    assert!(ledger.account(&address).await.is_none());
    // The client pays the fee; the contributor receives the whole rent.
    assert_eq!(
        ledger
            .account(&contributor.pubkey())
            .await
            .unwrap()
            .lamports,
        before + rent
    );
    // The index is never handed out again; the view skips the closed record.
    assert_eq!(
        ledger.client.next_contribution_index(&model).await.unwrap(),
        index + 1
    );
    let (next, _) = ledger.propose(&model).await;
    let view = ledger.client.model_view(&model).await.unwrap();
    assert!(view.contributions.iter().all(|(key, _)| *key != address));
    assert_eq!(view.contributions.len(), 1);
    drop(next);
}

#[tokio::test]
async fn only_a_rejected_record_closes() {
    let (ledger, authority, model, (contributor, index)) = TestLedger::with_proposal().await;
    let address = pda::contribution(&model, index).0;
    let close = || close_contribution(&contributor.pubkey(), &model, index);
    ledger
        .expect_ledger_error(
            &[close()],
            &[&contributor],
            LedgerError::ContributionNotRejected,
            &[address],
        )
        .await;
    ledger
        .client
        .accept_contribution(&authority, &model, index, 10)
        .await
        .unwrap();
    ledger
        .expect_ledger_error(
            &[close()],
            &[&contributor],
            LedgerError::ContributionNotRejected,
            &[address],
        )
        .await;
}

#[tokio::test]
async fn only_the_proposer_closes() {
    let (ledger, authority, model, (contributor, index)) = TestLedger::with_proposal().await;
    ledger
        .client
        .reject_contribution(&authority, &model, index)
        .await
        .unwrap();
    let address = pda::contribution(&model, index).0;
    let stranger = ledger.wallet().await;
    ledger
        .expect_ledger_error(
            &[close_contribution(&stranger.pubkey(), &model, index)],
            &[&stranger],
            LedgerError::NotContributor,
            &[address],
        )
        .await;
    ledger
        .expect_ledger_error(
            &[with_extra_account(close_contribution(
                &contributor.pubkey(),
                &model,
                index,
            ))],
            &[&contributor],
            LedgerError::UnexpectedRemainingAccounts,
            &[address],
        )
        .await;
}
