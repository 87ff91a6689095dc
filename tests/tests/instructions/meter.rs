//! The SDK's metering path end to end: buffered calls, batches, submission
//! with the right sequence numbers, Merkle proofs against the on-chain root,
//! and no double payment on a retry.

use model_ledger::state::AttributionEntry;
use model_ledger_sdk::{
    events::LedgerEvent,
    merkle::{verify, CallRecord},
    meter::{InferenceMeter, MeteredGrant, Submission},
};
use model_ledger_tests::{commercial_terms, TestLedger, LICENSEE_FUNDS};

fn call(n: u32) -> CallRecord {
    CallRecord {
        request_hash: [(n % 251) as u8; 32],
        output_hash: [(n % 13) as u8; 32],
        attribution: vec![AttributionEntry {
            index: n % 3,
            weight: 1 + (n % 5) as u16,
        }],
    }
}

#[tokio::test]
async fn batches_land_in_order_and_every_call_proves_against_its_event() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1, 1, 1], commercial_terms()).await;
    let mut meter = InferenceMeter::new(100);
    for n in 0..250 {
        meter.push(call(n));
    }
    let metered = MeteredGrant::resolve(&ledger.client, &market.grant, Some(market.licensee_token))
        .await
        .unwrap();
    let mut seq = metered.next_seq;
    while let Some(batch) = meter.cut_batch() {
        let submission =
            InferenceMeter::submit(&ledger.client, &market.licensee, &metered, seq, &batch)
                .await
                .unwrap();
        let Submission::Recorded(outcome) = submission else {
            panic!("fresh batch reported as already recorded")
        };
        let LedgerEvent::InferenceRecorded(event) = &outcome.events[0] else {
            panic!("wrong event")
        };
        assert_eq!(event.seq, seq);
        assert_eq!(event.merkle_root, batch.merkle_root());
        assert_eq!(event.attribution, batch.attribution);
        for (index, call) in batch.calls.iter().enumerate().step_by(17) {
            assert!(verify(&event.merkle_root, call, &batch.tree.proof(index)));
        }
        seq += 1;
    }
    let grant = ledger.client.grant(&market.grant).await.unwrap();
    assert_eq!((grant.next_seq, grant.calls_used), (3, 250));
    assert_eq!(
        ledger.balance(&market.licensee_token).await,
        LICENSEE_FUNDS - 50_000 - 250_000
    );
    ledger.assert_conserved(&market.model).await;
}

#[tokio::test]
async fn a_retried_batch_is_reported_recorded_and_never_paid_twice() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1, 1, 1], commercial_terms()).await;
    let mut meter = InferenceMeter::new(100);
    for n in 0..40 {
        meter.push(call(n));
    }
    let batch = meter.cut_batch().unwrap();
    let metered = MeteredGrant::resolve(&ledger.client, &market.grant, Some(market.licensee_token))
        .await
        .unwrap();
    let submit = || InferenceMeter::submit(&ledger.client, &market.licensee, &metered, 0, &batch);
    assert!(matches!(submit().await.unwrap(), Submission::Recorded(_)));
    let balance = ledger.balance(&market.licensee_token).await;
    // The same batch again, as after a timeout whose transaction had landed.
    assert!(matches!(
        submit().await.unwrap(),
        Submission::AlreadyRecorded { seq: 0 }
    ));
    assert_eq!(ledger.balance(&market.licensee_token).await, balance);
    assert_eq!(
        ledger.client.grant(&market.grant).await.unwrap().calls_used,
        40
    );
}
