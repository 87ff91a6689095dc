use model_ledger::{errors::LedgerError, instructions::UpdateConfigArgs};
use model_ledger_sdk::events::LedgerEvent;
use model_ledger_tests::{ix, only_event, pda, with_extra_account, TestLedger, FEE_BPS};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

#[tokio::test]
async fn admin_changes_given_fields_and_keeps_the_rest() {
    let ledger = TestLedger::start().await;
    let outcome = ledger
        .client
        .update_config(
            &ledger.admin,
            UpdateConfigArgs {
                paused: Some(true),
                protocol_fee_bps: Some(500),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let config = ledger.client.config().await.unwrap();
    assert!(config.paused);
    assert_eq!(config.protocol_fee_bps, 500);
    assert_eq!(config.treasury, ledger.treasury, "not given, so unchanged");
    assert_eq!(config.admin, ledger.admin.pubkey());
    assert_eq!(config.update_count, 1);

    let LedgerEvent::ConfigUpdated(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert!(event.paused);
    assert_eq!(event.protocol_fee_bps, 500);
    assert_eq!(event.treasury, ledger.treasury);
    assert_eq!(event.update_count, 1);
}

#[tokio::test]
async fn new_admin_takes_over_in_two_steps_and_old_admin_loses_power() {
    let ledger = TestLedger::start().await;
    let successor = ledger.wallet().await;
    let treasury = Pubkey::new_unique();
    ledger
        .client
        .update_config(
            &ledger.admin,
            UpdateConfigArgs {
                admin: Some(successor.pubkey()),
                treasury: Some(treasury),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let config = ledger.client.config().await.unwrap();
    assert_eq!(
        (config.admin, config.pending_admin),
        (ledger.admin.pubkey(), Some(successor.pubkey())),
        "proposed, not yet admin"
    );
    assert_eq!(config.treasury, treasury);

    // Nobody but the proposed key can take over.
    let stranger = ledger.wallet().await;
    ledger
        .expect_ledger_error(
            &[ix::accept_admin(&stranger.pubkey())],
            &[&stranger],
            LedgerError::NotPendingAdmin,
            &[pda::config().0],
        )
        .await;
    let outcome = ledger.client.accept_admin(&successor).await.unwrap();
    let LedgerEvent::ConfigUpdated(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(
        (event.admin, event.pending_admin),
        (successor.pubkey(), None)
    );
    let config = ledger.client.config().await.unwrap();
    assert_eq!(
        (config.admin, config.pending_admin),
        (successor.pubkey(), None)
    );
    ledger
        .expect_ledger_error(
            &[ix::accept_admin(&successor.pubkey())],
            &[&successor],
            LedgerError::NotPendingAdmin,
            &[pda::config().0],
        )
        .await;

    let stale = ix::update_config(
        &ledger.admin.pubkey(),
        UpdateConfigArgs {
            paused: Some(true),
            ..Default::default()
        },
    );
    ledger
        .expect_ledger_error(
            &[stale],
            &[&ledger.admin],
            LedgerError::NotAdmin,
            &[pda::config().0],
        )
        .await;
}

#[tokio::test]
async fn non_admin_is_rejected() {
    let ledger = TestLedger::start().await;
    let stranger = ledger.wallet().await;
    let instruction = ix::update_config(
        &stranger.pubkey(),
        UpdateConfigArgs {
            protocol_fee_bps: Some(0),
            ..Default::default()
        },
    );
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&stranger],
            LedgerError::NotAdmin,
            &[pda::config().0],
        )
        .await;
    assert_eq!(
        ledger.client.config().await.unwrap().protocol_fee_bps,
        FEE_BPS
    );
}

#[tokio::test]
async fn empty_update_is_rejected() {
    let ledger = TestLedger::start().await;
    let instruction = ix::update_config(&ledger.admin.pubkey(), UpdateConfigArgs::default());
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&ledger.admin],
            LedgerError::NothingToUpdate,
            &[pda::config().0],
        )
        .await;
}

#[tokio::test]
async fn fee_above_whole_is_rejected() {
    let ledger = TestLedger::start().await;
    let instruction = ix::update_config(
        &ledger.admin.pubkey(),
        UpdateConfigArgs {
            protocol_fee_bps: Some(10_001),
            ..Default::default()
        },
    );
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&ledger.admin],
            LedgerError::BasisPointsOutOfRange,
            &[pda::config().0],
        )
        .await;
}

#[tokio::test]
async fn remaining_accounts_are_rejected() {
    let ledger = TestLedger::start().await;
    let instruction = ix::update_config(
        &ledger.admin.pubkey(),
        UpdateConfigArgs {
            paused: Some(true),
            ..Default::default()
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
async fn proposing_the_current_admin_withdraws_a_proposal() {
    let ledger = TestLedger::start().await;
    let successor = ledger.wallet().await;
    for admin in [successor.pubkey(), ledger.admin.pubkey()] {
        ledger
            .client
            .update_config(
                &ledger.admin,
                UpdateConfigArgs {
                    admin: Some(admin),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    assert_eq!(ledger.client.config().await.unwrap().pending_admin, None);
    ledger
        .expect_ledger_error(
            &[ix::accept_admin(&successor.pubkey())],
            &[&successor],
            LedgerError::NotPendingAdmin,
            &[pda::config().0],
        )
        .await;
}

#[tokio::test]
async fn the_default_key_is_refused_as_treasury() {
    let ledger = TestLedger::start().await;
    let instruction = ix::update_config(
        &ledger.admin.pubkey(),
        UpdateConfigArgs {
            treasury: Some(Pubkey::default()),
            ..Default::default()
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

#[tokio::test]
async fn accepting_the_admin_role_refuses_remaining_accounts() {
    let ledger = TestLedger::start().await;
    let successor = ledger.wallet().await;
    ledger
        .client
        .update_config(
            &ledger.admin,
            UpdateConfigArgs {
                admin: Some(successor.pubkey()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    ledger
        .expect_ledger_error(
            &[with_extra_account(ix::accept_admin(&successor.pubkey()))],
            &[&successor],
            LedgerError::UnexpectedRemainingAccounts,
            &[pda::config().0],
        )
        .await;
    assert_eq!(
        ledger.client.config().await.unwrap().pending_admin,
        Some(successor.pubkey())
    );
}
