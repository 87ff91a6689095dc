use model_ledger::errors::LedgerError;
use model_ledger_sdk::events::LedgerEvent;
use model_ledger_tests::{commercial_terms, ix, only_event, with_extra_account, TestLedger};
use solana_sdk::signer::Signer;

#[tokio::test]
async fn licensee_names_and_removes_a_meter() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let meter = ledger.wallet().await;
    let outcome = ledger
        .client
        .set_meter(&market.licensee, &market.grant, Some(meter.pubkey()))
        .await
        .unwrap();
    assert_eq!(
        ledger.client.grant(&market.grant).await.unwrap().meter,
        Some(meter.pubkey())
    );
    let LedgerEvent::MeterSet(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(
        (event.previous_meter, event.meter),
        (None, Some(meter.pubkey()))
    );

    let outcome = ledger
        .client
        .set_meter(&market.licensee, &market.grant, None)
        .await
        .unwrap();
    assert_eq!(
        ledger.client.grant(&market.grant).await.unwrap().meter,
        None
    );
    let LedgerEvent::MeterSet(event) = only_event(&outcome) else {
        panic!("wrong event")
    };
    assert_eq!(event.previous_meter, Some(meter.pubkey()));
}

#[tokio::test]
async fn removed_meter_can_no_longer_record() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let meter = ledger.wallet().await;
    ledger
        .client
        .set_meter(&market.licensee, &market.grant, Some(meter.pubkey()))
        .await
        .unwrap();
    ledger
        .approve_meter(&market, &meter.pubkey(), 1_000_000)
        .await;
    ledger
        .client
        .record_inference(
            &meter,
            &market.grant,
            &market.licensee_token,
            0,
            1,
            [0; 32],
            vec![],
        )
        .await
        .unwrap();
    ledger
        .client
        .set_meter(&market.licensee, &market.grant, None)
        .await
        .unwrap();
    let instruction = ledger
        .client
        .record_inference_instruction(
            &meter.pubkey(),
            &market.grant,
            &market.licensee_token,
            model_ledger_sdk::instructions::RecordInferenceArgs {
                seq: 1,
                calls: 1,
                merkle_root: [0; 32],
                attribution: vec![],
            },
        )
        .await
        .unwrap();
    let watched = ledger.money_accounts(&market);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&meter],
            LedgerError::NotLicenseeOrMeter,
            &watched,
        )
        .await;
}

#[tokio::test]
async fn only_the_licensee_sets_the_meter() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let instruction = ix::set_meter(
        &market.authority.pubkey(),
        &market.grant,
        Some(market.authority.pubkey()),
    );
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&market.authority],
            LedgerError::NotLicensee,
            &[market.grant],
        )
        .await;
}

#[tokio::test]
async fn remaining_accounts_are_refused() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let instruction = ix::set_meter(&market.licensee.pubkey(), &market.grant, None);
    ledger
        .expect_ledger_error(
            &[with_extra_account(instruction)],
            &[&market.licensee],
            LedgerError::UnexpectedRemainingAccounts,
            &[market.grant],
        )
        .await;
}
