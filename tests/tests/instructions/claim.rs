use model_ledger::{errors::LedgerError, instructions::UpdateConfigArgs};
use model_ledger_sdk::{events::LedgerEvent, instructions::ModelAccounts};
use model_ledger_tests::{
    attribution, commercial_terms, contribution_args, ix, only_event, pda, substituted,
    with_extra_account, Market, TestLedger,
};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

fn accounts(ledger: &TestLedger, market: &Market) -> ModelAccounts {
    market.accounts(&ledger.mint)
}

#[tokio::test]
async fn withdraws_shares_and_attributed_earnings_once() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[600, 400], commercial_terms()).await;
    ledger
        .record(&market, 0, 10, attribution(&[(0, 1), (1, 3)]))
        .await
        .unwrap();
    let (contributor, index, _) = &market.contributors[0];
    let destination = ledger
        .token_account(&contributor.pubkey(), &ledger.mint)
        .await;
    let vault = pda::vault(&market.model).0;
    let vault_before = ledger.balance(&vault).await;

    let outcome = ledger
        .client
        .claim(contributor, &market.model, *index, &destination)
        .await
        .unwrap();
    let expected = 29_250 + 731 + 4_095;
    assert_eq!(ledger.balance(&destination).await, expected);
    assert_eq!(ledger.balance(&vault).await, vault_before - expected);
    let LedgerEvent::RoyaltyClaimed(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(
        (event.index, event.amount, event.claimed_total),
        (*index, expected, u128::from(expected))
    );
    assert_eq!(event.payout_wallet, contributor.pubkey());
    assert_eq!(event.destination, destination);
    ledger.assert_conserved(&market.model).await;

    let again = ledger
        .client
        .claim(contributor, &market.model, *index, &destination)
        .await
        .unwrap();
    assert_ne!(
        again.signature, outcome.signature,
        "the repeated call is a transaction of its own"
    );
    let LedgerEvent::RoyaltyClaimed(event) = only_event(&again) else {
        panic!("wrong event")
    };
    assert_eq!(event.amount, 0, "a second claim moves nothing");
    assert_eq!(ledger.balance(&destination).await, expected);
}

#[tokio::test]
async fn pause_never_blocks_a_claim() {
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
    let (contributor, index, _) = &market.contributors[0];
    let destination = ledger
        .token_account(&contributor.pubkey(), &ledger.mint)
        .await;
    ledger
        .client
        .claim(contributor, &market.model, *index, &destination)
        .await
        .unwrap();
    assert_eq!(ledger.balance(&destination).await, 48_750);
}

#[tokio::test]
async fn revoked_contribution_keeps_what_it_earned_and_nothing_more() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1, 1], commercial_terms()).await;
    ledger
        .client
        .revoke_contribution(&market.authority, &market.model, 1)
        .await
        .unwrap();
    ledger.record(&market, 0, 10, vec![]).await.unwrap();
    let (revoked, _, _) = &market.contributors[1];
    let (kept, _, _) = &market.contributors[0];
    let revoked_token = ledger.token_account(&revoked.pubkey(), &ledger.mint).await;
    let kept_token = ledger.token_account(&kept.pubkey(), &ledger.mint).await;
    ledger
        .client
        .claim(revoked, &market.model, 1, &revoked_token)
        .await
        .unwrap();
    ledger
        .client
        .claim(kept, &market.model, 0, &kept_token)
        .await
        .unwrap();
    assert_eq!(
        ledger.balance(&revoked_token).await,
        24_375,
        "half of the grant fee only"
    );
    assert_eq!(ledger.balance(&kept_token).await, 24_375 + 9_750);
    ledger.assert_conserved(&market.model).await;
}

#[tokio::test]
async fn new_payout_wallet_claims_and_the_old_one_cannot() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let (contributor, index, _) = &market.contributors[0];
    let cold = ledger.wallet().await;
    ledger
        .client
        .set_payout_wallet(
            contributor,
            &pda::contribution(&market.model, *index).0,
            cold.pubkey(),
        )
        .await
        .unwrap();
    let old_destination = ledger
        .token_account(&contributor.pubkey(), &ledger.mint)
        .await;
    let instruction = ix::claim(
        &contributor.pubkey(),
        &accounts(&ledger, &market),
        *index,
        &old_destination,
    );
    let watched = [
        pda::vault(&market.model).0,
        pda::royalty_book(&market.model).0,
        old_destination,
    ];
    ledger
        .expect_ledger_error(
            &[instruction],
            &[contributor],
            LedgerError::NotPayoutWallet,
            &watched,
        )
        .await;
    let destination = ledger.token_account(&cold.pubkey(), &ledger.mint).await;
    ledger
        .client
        .claim(&cold, &market.model, *index, &destination)
        .await
        .unwrap();
    assert_eq!(ledger.balance(&destination).await, 48_750);
}

#[tokio::test]
async fn never_accepted_contribution_claims_nothing() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let (contributor, index) = ledger.propose(&market.model).await;
    let destination = ledger
        .token_account(&contributor.pubkey(), &ledger.mint)
        .await;
    let outcome = ledger
        .client
        .claim(&contributor, &market.model, index, &destination)
        .await
        .unwrap();
    let LedgerEvent::RoyaltyClaimed(event) = only_event(&outcome) else {
        panic!("wrong event")
    };
    assert_eq!(event.amount, 0);
    assert_eq!(ledger.balance(&destination).await, 0);
}

#[tokio::test]
async fn substituted_accounts_are_refused() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let other = ledger.market(2, &[1], commercial_terms()).await;
    let (contributor, index, _) = &market.contributors[0];
    let destination = ledger
        .token_account(&contributor.pubkey(), &ledger.mint)
        .await;
    let foreign_mint = ledger.create_legacy_mint().await;
    let wrong_mint_destination = ledger
        .token_account(&contributor.pubkey(), &foreign_mint)
        .await;
    // The same payout wallet's contribution to another model.
    let (elsewhere, _) = ledger
        .client
        .propose_contribution(contributor, &other.model, contribution_args())
        .await
        .unwrap();
    // (the account, its substitute, the expected error)
    let cases: [(Pubkey, Pubkey, LedgerError); 5] = [
        (
            pda::contribution(&market.model, *index).0,
            pda::contribution(&other.model, elsewhere).0,
            LedgerError::BookMismatch,
        ),
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
            destination,
            wrong_mint_destination,
            LedgerError::MintMismatch,
        ),
        (ledger.mint, foreign_mint, LedgerError::MintMismatch),
    ];
    for (original, substitute, error) in cases {
        let instruction = substituted(
            ix::claim(
                &contributor.pubkey(),
                &accounts(&ledger, &market),
                *index,
                &destination,
            ),
            &original,
            &substitute,
        );
        let watched = [
            pda::vault(&market.model).0,
            pda::vault(&other.model).0,
            pda::royalty_book(&market.model).0,
            pda::royalty_book(&other.model).0,
            destination,
        ];
        ledger
            .expect_ledger_error(&[instruction], &[contributor], error, &watched)
            .await;
    }
}

#[tokio::test]
async fn remaining_accounts_are_refused() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let (contributor, index, _) = &market.contributors[0];
    let destination = ledger
        .token_account(&contributor.pubkey(), &ledger.mint)
        .await;
    let instruction = ix::claim(
        &contributor.pubkey(),
        &accounts(&ledger, &market),
        *index,
        &destination,
    );
    ledger
        .expect_ledger_error(
            &[with_extra_account(instruction)],
            &[contributor],
            LedgerError::UnexpectedRemainingAccounts,
            &[pda::vault(&market.model).0, destination],
        )
        .await;
}
