use model_ledger::errors::LedgerError;
use model_ledger_sdk::events::LedgerEvent;
use model_ledger_tests::{ix, only_event, pda, with_extra_account, TestLedger};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

#[tokio::test]
async fn contributor_names_a_new_payout_wallet() {
    let (ledger, _, model, (contributor, index)) = TestLedger::with_proposal().await;
    let address = pda::contribution(&model, index).0;
    let cold_wallet = Pubkey::new_unique();
    let outcome = ledger
        .client
        .set_payout_wallet(&contributor, &address, cold_wallet)
        .await
        .unwrap();
    let record = ledger.client.contribution(&address).await.unwrap();
    assert_eq!(record.payout_wallet, cold_wallet);
    assert_eq!(
        record.contributor,
        contributor.pubkey(),
        "who contributed never changes"
    );
    let LedgerEvent::PayoutWalletSet(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(event.contribution, address);
    assert_eq!(event.previous_payout_wallet, contributor.pubkey());
    assert_eq!(event.payout_wallet, cold_wallet);
}

#[tokio::test]
async fn allowed_after_revocation() {
    let (ledger, authority, model, (contributor, index)) = TestLedger::with_proposal().await;
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
    let address = pda::contribution(&model, index).0;
    let wallet = Pubkey::new_unique();
    ledger
        .client
        .set_payout_wallet(&contributor, &address, wallet)
        .await
        .unwrap();
    assert_eq!(
        ledger
            .client
            .contribution(&address)
            .await
            .unwrap()
            .payout_wallet,
        wallet
    );
}

#[tokio::test]
async fn model_authority_cannot_redirect_payouts() {
    let (ledger, authority, model, (_, index)) = TestLedger::with_proposal().await;
    let address = pda::contribution(&model, index).0;
    let instruction = ix::set_payout_wallet(&authority.pubkey(), &address, authority.pubkey());
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&authority],
            LedgerError::NotContributor,
            &[address],
        )
        .await;
}

#[tokio::test]
async fn unchanged_wallet_is_rejected() {
    let (ledger, _, model, (contributor, index)) = TestLedger::with_proposal().await;
    let address = pda::contribution(&model, index).0;
    let instruction = ix::set_payout_wallet(&contributor.pubkey(), &address, contributor.pubkey());
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&contributor],
            LedgerError::PayoutWalletUnchanged,
            &[address],
        )
        .await;
}

#[tokio::test]
async fn remaining_accounts_are_rejected() {
    let (ledger, _, model, (contributor, index)) = TestLedger::with_proposal().await;
    let address = pda::contribution(&model, index).0;
    let instruction = ix::set_payout_wallet(&contributor.pubkey(), &address, Pubkey::new_unique());
    ledger
        .expect_ledger_error(
            &[with_extra_account(instruction)],
            &[&contributor],
            LedgerError::UnexpectedRemainingAccounts,
            &[address],
        )
        .await;
}
