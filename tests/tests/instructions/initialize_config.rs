use model_ledger::{errors::LedgerError, instructions::InitializeConfigArgs};
use model_ledger_sdk::events::LedgerEvent;
use model_ledger_tests::{ix, only_event, pda, with_extra_account, TestLedger};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

#[tokio::test]
async fn creates_unpaused_config_with_signer_as_admin() {
    let ledger = TestLedger::start_uninitialized().await;
    let treasury = Pubkey::new_unique();
    let outcome = ledger
        .client
        .initialize_config(
            &ledger.admin,
            InitializeConfigArgs {
                protocol_fee_bps: 10_000,
                treasury,
            },
        )
        .await
        .unwrap();
    let config = ledger.client.config().await.unwrap();
    assert_eq!(config.admin, ledger.admin.pubkey());
    assert_eq!(config.treasury, treasury);
    assert_eq!(
        config.protocol_fee_bps, 10_000,
        "100 % is still a valid fee"
    );
    assert!(!config.paused);
    assert_eq!(config.update_count, 0);

    let LedgerEvent::ConfigInitialized(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(event.config, pda::config().0);
    assert_eq!(event.admin, ledger.admin.pubkey());
    assert_eq!(event.treasury, treasury);
    assert_eq!(event.protocol_fee_bps, 10_000);
}

#[tokio::test]
async fn second_initialisation_fails() {
    let ledger = TestLedger::start().await;
    let usurper = ledger.wallet().await;
    let instruction = ix::initialize_config(
        &usurper.pubkey(),
        InitializeConfigArgs {
            protocol_fee_bps: 0,
            treasury: usurper.pubkey(),
        },
    );
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&usurper],
            LedgerError::AccountAlreadyExists,
            &[pda::config().0],
        )
        .await;
    assert_eq!(
        ledger.client.config().await.unwrap().admin,
        ledger.admin.pubkey()
    );
}

#[tokio::test]
async fn fee_above_whole_is_rejected() {
    let ledger = TestLedger::start_uninitialized().await;
    let instruction = ix::initialize_config(
        &ledger.admin.pubkey(),
        InitializeConfigArgs {
            protocol_fee_bps: 10_001,
            treasury: Pubkey::new_unique(),
        },
    );
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&ledger.admin],
            LedgerError::BasisPointsOutOfRange,
            &[pda::config().0, ledger.admin.pubkey()],
        )
        .await;
    assert!(ledger.account(&pda::config().0).await.is_none());
}

#[tokio::test]
async fn remaining_accounts_are_rejected() {
    let ledger = TestLedger::start_uninitialized().await;
    let instruction = ix::initialize_config(
        &ledger.admin.pubkey(),
        InitializeConfigArgs {
            protocol_fee_bps: 100,
            treasury: Pubkey::new_unique(),
        },
    );
    ledger
        .expect_ledger_error(
            &[with_extra_account(instruction)],
            &[&ledger.admin],
            LedgerError::UnexpectedRemainingAccounts,
            &[pda::config().0],
        )
        .await;
}

#[tokio::test]
async fn prefunded_config_address_does_not_block_initialisation() {
    let ledger = TestLedger::start_uninitialized().await;
    ledger.airdrop(&pda::config().0, 1_000_000).await;
    ledger
        .client
        .initialize_config(
            &ledger.admin,
            InitializeConfigArgs {
                protocol_fee_bps: 100,
                treasury: ledger.treasury,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        ledger.client.config().await.unwrap().admin,
        ledger.admin.pubkey()
    );
}
