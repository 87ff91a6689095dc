use model_ledger::{errors::LedgerError, state::LicenseTerms};
use model_ledger_sdk::{events::LedgerEvent, instructions::transfer_grant};
use model_ledger_tests::{commercial_terms, only_event, with_extra_account, TestLedger};
use solana_sdk::signer::Signer;

fn transferable() -> LicenseTerms {
    LicenseTerms {
        transferable: true,
        ..commercial_terms()
    }
}

#[tokio::test]
async fn the_grant_moves_with_its_calls_and_sequence_and_loses_its_meter() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], transferable()).await;
    ledger.record(&market, 0, 7, vec![]).await.unwrap();
    let meter = ledger.wallet().await;
    ledger
        .client
        .set_meter(&market.licensee, &market.grant, Some(meter.pubkey()))
        .await
        .unwrap();
    let buyer = ledger.wallet().await;

    let outcome = ledger
        .client
        .send(
            &[transfer_grant(
                &market.licensee.pubkey(),
                &market.grant,
                &buyer.pubkey(),
            )],
            &[&market.licensee],
        )
        .await
        .unwrap();
    let LedgerEvent::GrantTransferred(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(
        (
            event.previous_licensee,
            event.licensee,
            event.previous_meter
        ),
        (
            market.licensee.pubkey(),
            buyer.pubkey(),
            Some(meter.pubkey())
        )
    );
    let grant = ledger.client.grant(&market.grant).await.unwrap();
    assert_eq!(grant.licensee, buyer.pubkey());
    assert_eq!(grant.meter, None);
    assert_eq!((grant.calls_used, grant.next_seq), (7, 1));

    // The seller can no longer record; the buyer records the next batch.
    let stale = ledger.record(&market, 1, 1, vec![]).await;
    assert!(stale.is_err(), "the former licensee may not record");
    let buyer_token = ledger.token_account(&buyer.pubkey(), &ledger.mint).await;
    ledger.mint_to(&ledger.mint, &buyer_token, 10_000).await;
    ledger
        .client
        .record_inference(&buyer, &market.grant, &buyer_token, 1, 1, [1; 32], vec![])
        .await
        .unwrap();
    ledger.assert_conserved(&market.model).await;
}

#[tokio::test]
async fn a_grant_whose_licence_forbids_transfer_stays() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let buyer = ledger.wallet().await;
    let instruction = transfer_grant(&market.licensee.pubkey(), &market.grant, &buyer.pubkey());
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&market.licensee],
            LedgerError::GrantNotTransferable,
            &[market.grant],
        )
        .await;
}

#[tokio::test]
async fn only_the_licensee_transfers_and_never_to_itself() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], transferable()).await;
    let stranger = ledger.wallet().await;
    let stolen = transfer_grant(&stranger.pubkey(), &market.grant, &stranger.pubkey());
    ledger
        .expect_ledger_error(
            &[stolen],
            &[&stranger],
            LedgerError::NotLicensee,
            &[market.grant],
        )
        .await;
    let to_itself = transfer_grant(
        &market.licensee.pubkey(),
        &market.grant,
        &market.licensee.pubkey(),
    );
    ledger
        .expect_ledger_error(
            &[to_itself],
            &[&market.licensee],
            LedgerError::LicenseeUnchanged,
            &[market.grant],
        )
        .await;
    let extra = with_extra_account(transfer_grant(
        &market.licensee.pubkey(),
        &market.grant,
        &stranger.pubkey(),
    ));
    ledger
        .expect_ledger_error(
            &[extra],
            &[&market.licensee],
            LedgerError::UnexpectedRemainingAccounts,
            &[market.grant],
        )
        .await;
}
