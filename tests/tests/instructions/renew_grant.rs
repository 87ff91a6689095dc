use model_ledger::{errors::LedgerError, instructions::AcquireGrantArgs, state::LicenseTerms};
use model_ledger_sdk::{events::LedgerEvent, instructions::renew_grant};
use model_ledger_tests::open_ai;
use model_ledger_tests::{
    commercial_terms, only_event, pda, substituted, with_extra_account, Market, TestLedger,
};
use solana_sdk::{instruction::Instruction, signer::Signer};

fn renewal(ledger: &TestLedger, market: &Market, args: AcquireGrantArgs) -> Instruction {
    renew_grant(
        &market.licensee.pubkey(),
        &market.accounts(&ledger.mint),
        &market.license,
        &market.grant,
        &market.licensee_token,
        args,
    )
}

fn agreed() -> AcquireGrantArgs {
    AcquireGrantArgs {
        expected_version: 1,
        max_fee: 50_000,
        max_price_per_call: 1_000,
    }
}

async fn expect_refused(
    ledger: &TestLedger,
    market: &Market,
    instruction: Instruction,
    error: LedgerError,
) {
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&market.licensee],
            error,
            &ledger.money_accounts(market),
        )
        .await;
}

#[tokio::test]
async fn an_exhausted_grant_is_renewed_on_the_same_terms() {
    let ledger = TestLedger::start().await;
    let terms = LicenseTerms {
        call_limit: 10,
        ..commercial_terms()
    };
    let market = ledger.market(1, &[1], terms.clone()).await;
    ledger.record(&market, 0, 10, vec![]).await.unwrap();
    assert!(
        ledger.record(&market, 1, 1, vec![]).await.is_err(),
        "out of calls"
    );
    let before = ledger.client.grant(&market.grant).await.unwrap();
    let now = ledger.now().await;

    let outcome = ledger
        .client
        .send(&[renewal(&ledger, &market, agreed())], &[&market.licensee])
        .await
        .unwrap();
    let LedgerEvent::GrantRenewed(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    let grant = ledger.client.grant(&market.grant).await.unwrap();
    assert_eq!(
        (grant.calls_used, grant.next_seq),
        (0, 1),
        "the allowance restarts, the numbering carries on"
    );
    let term = terms.duration_seconds as i64;
    assert_eq!(
        grant.expires_at,
        Some(before.expires_at.unwrap().max(now) + term)
    );
    assert_eq!(grant.total_paid, before.total_paid + 50_000);
    assert_eq!(
        (event.expires_at, event.total_paid),
        (grant.expires_at, grant.total_paid)
    );
    assert_eq!(event.payment.amount, 50_000);
    ledger.record(&market, 1, 10, vec![]).await.unwrap();
    ledger.assert_conserved(&market.model).await;
}

#[tokio::test]
async fn an_expired_grant_runs_a_new_term_from_now() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let expiry = ledger
        .client
        .grant(&market.grant)
        .await
        .unwrap()
        .expires_at
        .unwrap();
    ledger.set_time(expiry + 1_000).await;
    ledger
        .client
        .send(&[renewal(&ledger, &market, agreed())], &[&market.licensee])
        .await
        .unwrap();
    let grant = ledger.client.grant(&market.grant).await.unwrap();
    assert_eq!(
        grant.expires_at,
        Some(expiry + 1_000 + commercial_terms().duration_seconds as i64)
    );
    ledger.record(&market, 0, 1, vec![]).await.unwrap();
}

#[tokio::test]
async fn a_renewal_keeps_the_purchase_guards() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let cases = [
        (
            AcquireGrantArgs {
                max_fee: 49_999,
                ..agreed()
            },
            LedgerError::FeeAboveLimit,
        ),
        (
            AcquireGrantArgs {
                max_price_per_call: 999,
                ..agreed()
            },
            LedgerError::PriceAboveLimit,
        ),
        (
            AcquireGrantArgs {
                expected_version: 2,
                ..agreed()
            },
            LedgerError::LicenseVersionMismatch,
        ),
    ];
    for (args, error) in cases {
        let instruction = renewal(&ledger, &market, args);
        expect_refused(&ledger, &market, instruction, error).await;
    }
    ledger
        .client
        .retire_license(&market.authority, &market.model, 1)
        .await
        .unwrap();
    let instruction = renewal(&ledger, &market, agreed());
    expect_refused(&ledger, &market, instruction, LedgerError::LicenseRetired).await;
}

#[tokio::test]
async fn only_the_licensee_renews_its_own_grant() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let stranger = ledger.wallet().await;
    let mut instruction = renewal(&ledger, &market, agreed());
    instruction.accounts[0].pubkey = stranger.pubkey();
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&stranger],
            LedgerError::NotLicensee,
            &ledger.money_accounts(&market),
        )
        .await;
    let extra = with_extra_account(renewal(&ledger, &market, agreed()));
    expect_refused(
        &ledger,
        &market,
        extra,
        LedgerError::UnexpectedRemainingAccounts,
    )
    .await;
    assert_eq!(pda::license(&market.model, 1).0, market.license);
}

#[tokio::test]
async fn a_paused_protocol_renews_nothing() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    ledger.pause(true).await;
    let instruction = renewal(&ledger, &market, agreed());
    expect_refused(&ledger, &market, instruction, LedgerError::ProtocolPaused).await;
    ledger.pause(false).await;
    ledger
        .client
        .send(&[renewal(&ledger, &market, agreed())], &[&market.licensee])
        .await
        .unwrap();
}

#[tokio::test]
async fn another_models_licence_book_vault_or_mint_is_refused() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let other = ledger.market(2, &[1], commercial_terms()).await;
    let foreign_mint = ledger.create_legacy_mint().await;
    let foreign_token = ledger
        .token_account(&market.licensee.pubkey(), &foreign_mint)
        .await;
    let cases = [
        (market.license, other.license, LedgerError::ModelMismatch),
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
        (ledger.mint, foreign_mint, LedgerError::MintMismatch),
        (
            market.licensee_token,
            foreign_token,
            LedgerError::MintMismatch,
        ),
    ];
    for (original, substitute, error) in cases {
        let instruction = substituted(renewal(&ledger, &market, agreed()), &original, &substitute);
        let mut watched = ledger.money_accounts(&market);
        watched.extend([
            pda::vault(&other.model).0,
            pda::royalty_book(&other.model).0,
            foreign_token,
        ]);
        ledger
            .expect_ledger_error(&[instruction], &[&market.licensee], error, &watched)
            .await;
    }
    // Another licence of the same model that is not the grant's.
    let (version, _) = ledger
        .client
        .publish_license(
            &market.authority,
            &market.model,
            commercial_terms(),
            open_ai(),
        )
        .await
        .unwrap();
    let second = pda::license(&market.model, version).0;
    let instruction = substituted(
        renewal(&ledger, &market, agreed()),
        &market.license,
        &second,
    );
    expect_refused(
        &ledger,
        &market,
        instruction,
        LedgerError::LicenseVersionMismatch,
    )
    .await;
}
