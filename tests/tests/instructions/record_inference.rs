use model_ledger::{
    errors::LedgerError, instructions::UpdateConfigArgs, math::royalty::SCALE, state::LicenseTerms,
};
use model_ledger_sdk::{events::LedgerEvent, instructions::RecordInferenceArgs};
use model_ledger_tests::{
    attribution, commercial_terms, ix, only_event, pda, substituted, with_extra_account, Market,
    TestLedger, LICENSEE_FUNDS,
};
use solana_sdk::{instruction::Instruction, pubkey::Pubkey, signer::Signer};

async fn recording(
    ledger: &TestLedger,
    market: &Market,
    seq: u64,
    calls: u64,
    entries: &[(u32, u16)],
) -> Instruction {
    ledger
        .client
        .record_inference_instruction(
            &market.licensee.pubkey(),
            &market.grant,
            &market.licensee_token,
            RecordInferenceArgs {
                seq,
                calls,
                merkle_root: [7; 32],
                attribution: attribution(entries),
            },
        )
        .await
        .unwrap()
}

async fn expect_refused(
    ledger: &TestLedger,
    market: &Market,
    instruction: Instruction,
    error: LedgerError,
) {
    let watched = ledger.money_accounts(market);
    ledger
        .expect_ledger_error(&[instruction], &[&market.licensee], error, &watched)
        .await;
}

#[tokio::test]
async fn pays_splits_and_books_a_batch() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[600, 400], commercial_terms()).await;
    let outcome = ledger
        .record(&market, 0, 10, attribution(&[(0, 1), (1, 3)]))
        .await
        .unwrap();

    // Fee 50 000 up front, then 10 calls × 1 000, each paid whole into the
    // vault; 2.5 % of each is booked for the treasury.
    assert_eq!(
        ledger.balance(&market.licensee_token).await,
        LICENSEE_FUNDS - 60_000
    );
    assert_eq!(ledger.balance(&market.treasury_token).await, 0);
    assert_eq!(ledger.balance(&pda::vault(&market.model).0).await, 60_000);
    let book = ledger.client.royalty_book(&market.model).await.unwrap();
    assert_eq!(book.owed_protocol, 1_250 + 250);

    let LedgerEvent::InferenceRecorded(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(event.seq, 0);
    assert_eq!(event.calls, 10);
    assert_eq!(event.merkle_root, [7; 32]);
    assert_eq!(event.recorder, market.licensee.pubkey());
    let payment = &event.payment;
    assert_eq!((payment.amount, payment.protocol_fee), (10_000, 250));
    assert_eq!(
        payment.contributors_scaled,
        9_750 * SCALE,
        "after the fee, exact"
    );
    assert_eq!(
        payment.per_weight_scaled,
        2_925 * SCALE / 4,
        "30 % of 9 750 over weights 1 + 3: 731.25 per unit of weight, nothing carried"
    );
    assert_eq!(payment.shares_scaled, 6_825 * SCALE);
    assert_eq!((payment.fee_carry, payment.shares_carry), (0, 0));
    assert_eq!(payment.owed_protocol, 1_500);
    assert_eq!(payment.total_shares, 1_000);

    let grant = ledger.client.grant(&market.grant).await.unwrap();
    assert_eq!((grant.calls_used, grant.next_seq), (10, 1));
    assert_eq!(grant.total_paid, 60_000);
    assert_eq!(event.calls_used, 10);

    let earnings = ledger
        .client
        .earnings(&market.contributors[0].0.pubkey(), &[market.model])
        .await
        .unwrap();
    // 731.25 and 2 193.75 attributed: the quarters stay in the entries.
    assert_eq!(earnings[0].claimable, 29_250 + 731 + 4_095);
    let earnings = ledger
        .client
        .earnings(&market.contributors[1].0.pubkey(), &[market.model])
        .await
        .unwrap();
    assert_eq!(earnings[0].claimable, 19_500 + 2_193 + 2_730);
    ledger.assert_conserved(&market.model).await;
}

#[tokio::test]
async fn meter_records_as_a_delegate_of_the_licensee() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let meter = ledger.wallet().await;
    ledger
        .client
        .set_meter(&market.licensee, &market.grant, Some(meter.pubkey()))
        .await
        .unwrap();
    ledger.approve_meter(&market, &meter.pubkey(), 5_000).await;
    let outcome = ledger
        .client
        .record_inference(
            &meter,
            &market.grant,
            &market.licensee_token,
            0,
            5,
            [1; 32],
            vec![],
        )
        .await
        .unwrap();
    let LedgerEvent::InferenceRecorded(event) = only_event(&outcome) else {
        panic!("wrong event")
    };
    assert_eq!(event.recorder, meter.pubkey());
    assert_eq!(event.licensee, market.licensee.pubkey());
    assert_eq!(
        ledger.balance(&market.licensee_token).await,
        LICENSEE_FUNDS - 50_000 - 5_000
    );
    ledger.assert_conserved(&market.model).await;
}

#[tokio::test]
async fn stranger_cannot_record() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let stranger = ledger.wallet().await;
    let mut instruction = recording(&ledger, &market, 0, 1, &[]).await;
    instruction.accounts[0].pubkey = stranger.pubkey();
    let watched = ledger.money_accounts(&market);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&stranger],
            LedgerError::NotLicenseeOrMeter,
            &watched,
        )
        .await;
}

#[tokio::test]
async fn retried_and_out_of_order_batches_are_refused() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    ledger.record(&market, 0, 3, vec![]).await.unwrap();
    for seq in [0, 2] {
        let instruction = recording(&ledger, &market, seq, 3, &[]).await;
        expect_refused(&ledger, &market, instruction, LedgerError::SequenceMismatch).await;
    }
    assert_eq!(
        ledger.client.grant(&market.grant).await.unwrap().calls_used,
        3
    );
}

#[tokio::test]
async fn paused_protocol_takes_no_payment() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    ledger
        .client
        .update_config(
            &ledger.admin,
            UpdateConfigArgs {
                paused: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let instruction = recording(&ledger, &market, 0, 1, &[]).await;
    expect_refused(&ledger, &market, instruction, LedgerError::ProtocolPaused).await;
}

#[tokio::test]
async fn expired_grant_is_refused() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let expires_at = ledger
        .client
        .grant(&market.grant)
        .await
        .unwrap()
        .expires_at
        .unwrap();
    ledger.set_time(expires_at).await;
    let instruction = recording(&ledger, &market, 0, 1, &[]).await;
    expect_refused(&ledger, &market, instruction, LedgerError::GrantExpired).await;
}

#[tokio::test]
async fn call_limit_is_enforced() {
    let ledger = TestLedger::start().await;
    let terms = LicenseTerms {
        call_limit: 100,
        ..commercial_terms()
    };
    let market = ledger.market(1, &[1], terms).await;
    let instruction = recording(&ledger, &market, 0, 101, &[]).await;
    expect_refused(&ledger, &market, instruction, LedgerError::GrantExhausted).await;
    ledger.record(&market, 0, 100, vec![]).await.unwrap();
    let instruction = recording(&ledger, &market, 1, 1, &[]).await;
    expect_refused(&ledger, &market, instruction, LedgerError::GrantExhausted).await;
}

#[tokio::test]
async fn zero_calls_are_refused() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let instruction = recording(&ledger, &market, 0, 0, &[]).await;
    expect_refused(&ledger, &market, instruction, LedgerError::ZeroCalls).await;
}

#[tokio::test]
async fn free_licence_records_without_moving_tokens() {
    let ledger = TestLedger::start().await;
    let terms = LicenseTerms {
        price_per_call: 0,
        upfront_fee: 0,
        commercial_use: false,
        derivatives_allowed: false,
        derivative_royalty_bps: 0,
        ..commercial_terms()
    };
    let market = ledger.market(1, &[1], terms).await;
    ledger.record(&market, 0, 1_000, vec![]).await.unwrap();
    assert_eq!(ledger.balance(&market.licensee_token).await, LICENSEE_FUNDS);
    assert_eq!(
        ledger.client.grant(&market.grant).await.unwrap().calls_used,
        1_000
    );
}

#[tokio::test]
async fn malformed_attribution_is_refused_by_name() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[10, 20, 30], commercial_terms()).await;
    let (_, proposed) = ledger.propose(&market.model).await;
    let cases: Vec<(Vec<(u32, u16)>, LedgerError)> = vec![
        (vec![(1, 1), (0, 1)], LedgerError::AttributionNotSorted),
        (vec![(1, 1), (1, 2)], LedgerError::DuplicateAttribution),
        (vec![(0, 1), (1, 0)], LedgerError::ZeroAttributionWeight),
        (vec![(0, 1), (99, 1)], LedgerError::UnknownContribution),
        (vec![(proposed, 1)], LedgerError::ContributionNotAccepted),
    ];
    for (entries, error) in cases {
        let instruction = recording(&ledger, &market, 0, 1, &entries).await;
        expect_refused(&ledger, &market, instruction, error).await;
    }
    ledger
        .client
        .revoke_contribution(&market.authority, &market.model, 2)
        .await
        .unwrap();
    let instruction = recording(&ledger, &market, 0, 1, &[(2, 1)]).await;
    expect_refused(
        &ledger,
        &market,
        instruction,
        LedgerError::ContributionNotAccepted,
    )
    .await;
}

#[tokio::test]
async fn substituted_accounts_are_refused() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let other = ledger.market(2, &[1], commercial_terms()).await;
    let foreign_mint = ledger.create_legacy_mint().await;
    let foreign_token = ledger
        .token_account(&market.licensee.pubkey(), &foreign_mint)
        .await;
    let strangers_token = other.licensee_token;
    // (the account, its substitute, the expected error)
    let cases = [
        (market.grant, other.grant, LedgerError::ModelMismatch),
        (
            pda::royalty_book(&market.model).0,
            pda::royalty_book(&other.model).0,
            LedgerError::BookMismatch,
        ),
        (
            pda::vault(&market.model).0,
            pda::vault(&other.model).0,
            LedgerError::VaultMismatch,
        ),
        (
            market.licensee_token,
            strangers_token,
            LedgerError::PayerNotLicensee,
        ),
        (
            market.licensee_token,
            foreign_token,
            LedgerError::MintMismatch,
        ),
        (ledger.mint, foreign_mint, LedgerError::MintMismatch),
    ];
    for (original, substitute, error) in cases {
        let instruction = substituted(
            recording(&ledger, &market, 0, 1, &[]).await,
            &original,
            &substitute,
        );
        let mut watched = ledger.money_accounts(&market);
        watched.extend([substitute, other.licensee_token, pda::vault(&other.model).0]);
        ledger
            .expect_ledger_error(&[instruction], &[&market.licensee], error, &watched)
            .await;
    }
}

#[tokio::test]
async fn remaining_accounts_are_refused() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let instruction = recording(&ledger, &market, 0, 1, &[]).await;
    expect_refused(
        &ledger,
        &market,
        with_extra_account(instruction),
        LedgerError::UnexpectedRemainingAccounts,
    )
    .await;
}

#[tokio::test]
async fn account_list_is_fixed_whatever_the_attribution() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1, 1, 1], commercial_terms()).await;
    let none = recording(&ledger, &market, 0, 1, &[]).await;
    let three = recording(&ledger, &market, 0, 1, &[(0, 1), (1, 1), (2, 1)]).await;
    let keys = |ix: &Instruction| {
        ix.accounts
            .iter()
            .map(|meta| meta.pubkey)
            .collect::<Vec<Pubkey>>()
    };
    assert_eq!(keys(&none), keys(&three));
    assert_eq!(none.accounts.len(), 11);
    let _ = ix::record_inference;
}

#[tokio::test]
async fn a_licence_requiring_attribution_refuses_a_batch_without_it() {
    let ledger = TestLedger::start().await;
    let terms = LicenseTerms {
        attribution_required: true,
        ..commercial_terms()
    };
    let market = ledger.market(1, &[1, 1], terms).await;
    let grant = ledger.client.grant(&market.grant).await.unwrap();
    assert!(grant.attribution_required, "copied from the licence");
    let instruction = recording(&ledger, &market, 0, 1, &[]).await;
    expect_refused(
        &ledger,
        &market,
        instruction,
        LedgerError::AttributionRequired,
    )
    .await;
    ledger
        .record(&market, 0, 1, attribution(&[(1, 1)]))
        .await
        .unwrap();
}
