use anchor_lang::error::ErrorCode;
use model_ledger::{errors::LedgerError, instructions::InitializeConfigArgs};
use model_ledger_sdk::events::LedgerEvent;
use model_ledger_tests::{
    anchor_error, ix, only_event, pda, with_extra_account, TestLedger, FEE_BPS,
};
use solana_sdk::{account::Account, pubkey::Pubkey, signer::Signer};

#[tokio::test]
async fn the_upgrade_authority_creates_an_unpaused_config_as_admin() {
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
    let instruction = ix::initialize_config(
        &ledger.admin.pubkey(),
        InitializeConfigArgs {
            protocol_fee_bps: 0,
            treasury: ledger.admin.pubkey(),
        },
    );
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&ledger.admin],
            LedgerError::AccountAlreadyExists,
            &[pda::config().0],
        )
        .await;
    assert_eq!(
        ledger.client.config().await.unwrap().protocol_fee_bps,
        FEE_BPS
    );
}

#[tokio::test]
async fn only_the_upgrade_authority_initialises() {
    let ledger = TestLedger::start_uninitialized().await;
    // Right after a deploy, a stranger tries to name itself admin and treasury at a 100 % fee.
    let usurper = ledger.wallet().await;
    let instruction = ix::initialize_config(
        &usurper.pubkey(),
        InitializeConfigArgs {
            protocol_fee_bps: 10_000,
            treasury: usurper.pubkey(),
        },
    );
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&usurper],
            LedgerError::NotUpgradeAuthority,
            &[pda::config().0, pda::program_data()],
        )
        .await;
    assert!(ledger.account(&pda::config().0).await.is_none());
}

#[tokio::test]
async fn a_substituted_program_data_account_is_refused() {
    let ledger = TestLedger::start_uninitialized().await;
    let usurper = ledger.wallet().await;
    // The strongest forgery: a real ProgramData layout, owned by the upgradeable
    // loader, naming the usurper as upgrade authority, at another address.
    let forged = Pubkey::new_unique();
    let genuine = ledger.account(&pda::program_data()).await.unwrap();
    let mut data = genuine.data.clone();
    data[13..45].copy_from_slice(usurper.pubkey().as_ref());
    ledger
        .forge_account(&forged, Account { data, ..genuine })
        .await;
    let mut instruction = ix::initialize_config(
        &usurper.pubkey(),
        InitializeConfigArgs {
            protocol_fee_bps: 10_000,
            treasury: usurper.pubkey(),
        },
    );
    instruction.accounts[1].pubkey = forged;
    ledger
        .expect_instruction_error(
            &[instruction],
            &[&usurper],
            anchor_error(ErrorCode::ConstraintSeeds),
            &[pda::config().0, forged],
        )
        .await;
    assert!(ledger.account(&pda::config().0).await.is_none());
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

#[tokio::test]
async fn the_default_key_is_refused_as_treasury() {
    let ledger = TestLedger::start_uninitialized().await;
    let instruction = ix::initialize_config(
        &ledger.admin.pubkey(),
        InitializeConfigArgs {
            protocol_fee_bps: 250,
            treasury: Pubkey::default(),
        },
    );
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&ledger.admin],
            LedgerError::TreasuryMissing,
            &[pda::config().0],
        )
        .await;
}
