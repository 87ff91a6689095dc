use model_ledger::errors::LedgerError;
use model_ledger_sdk::events::LedgerEvent;
use model_ledger_tests::open_ai;
use model_ledger_tests::{commercial_terms, ix, only_event, pda, with_extra_account, TestLedger};
use solana_sdk::signer::Signer;

async fn model_with_license(
    ledger: &TestLedger,
) -> (solana_sdk::signature::Keypair, solana_sdk::pubkey::Pubkey) {
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    ledger
        .client
        .publish_license(&authority, &model, commercial_terms(), open_ai())
        .await
        .unwrap();
    (authority, model)
}

#[tokio::test]
async fn retires_and_keeps_terms_as_published() {
    let ledger = TestLedger::start().await;
    let (authority, model) = model_with_license(&ledger).await;
    let address = pda::license(&model, 1).0;
    let outcome = ledger
        .client
        .retire_license(&authority, &model, 1)
        .await
        .unwrap();
    let license = ledger.client.license(&address).await.unwrap();
    assert!(license.is_retired());
    assert_eq!(license.terms, commercial_terms());
    let LedgerEvent::LicenseRetired(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(event.license, address);
    assert_eq!(event.license_version, 1);
    assert_eq!(Some(event.slot), license.retired_slot);
}

#[tokio::test]
async fn retiring_twice_is_rejected() {
    let ledger = TestLedger::start().await;
    let (authority, model) = model_with_license(&ledger).await;
    ledger
        .client
        .retire_license(&authority, &model, 1)
        .await
        .unwrap();
    let instruction = ix::retire_license(&authority.pubkey(), &model, 1);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&authority],
            LedgerError::LicenseAlreadyRetired,
            &[pda::license(&model, 1).0],
        )
        .await;
}

#[tokio::test]
async fn non_authority_is_rejected() {
    let ledger = TestLedger::start().await;
    let (_, model) = model_with_license(&ledger).await;
    let stranger = ledger.wallet().await;
    let instruction = ix::retire_license(&stranger.pubkey(), &model, 1);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&stranger],
            LedgerError::NotModelAuthority,
            &[pda::license(&model, 1).0],
        )
        .await;
}

#[tokio::test]
async fn licence_of_another_model_is_rejected() {
    let ledger = TestLedger::start().await;
    let (_, other) = model_with_license(&ledger).await;
    let authority = ledger.wallet().await;
    let own = ledger.register_model(&authority, 2).await;
    let foreign = pda::license(&other, 1).0;
    let mut instruction = ix::retire_license(&authority.pubkey(), &own, 1);
    instruction.accounts[2].pubkey = foreign;
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&authority],
            LedgerError::ModelMismatch,
            &[foreign],
        )
        .await;
}

#[tokio::test]
async fn remaining_accounts_are_rejected() {
    let ledger = TestLedger::start().await;
    let (authority, model) = model_with_license(&ledger).await;
    let instruction = ix::retire_license(&authority.pubkey(), &model, 1);
    ledger
        .expect_ledger_error(
            &[with_extra_account(instruction)],
            &[&authority],
            LedgerError::UnexpectedRemainingAccounts,
            &[pda::license(&model, 1).0],
        )
        .await;
}
