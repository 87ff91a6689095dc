use anchor_lang::error::ErrorCode;
use model_ledger::{errors::LedgerError, state::LicenseTerms};
use model_ledger_sdk::events::LedgerEvent;
use model_ledger_tests::open_ai;
use model_ledger_tests::{
    anchor_error, commercial_terms, ix, model_args, only_event, pda, with_extra_account, TestLedger,
};
use solana_sdk::signer::Signer;

#[tokio::test]
async fn publishes_gapless_immutable_versions() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let first_terms = commercial_terms();
    let mut second_terms = commercial_terms();
    second_terms.price_per_call = 2_000;
    second_terms.terms_hash = [6; 32];

    let (v1, _) = ledger
        .client
        .publish_license(&authority, &model, first_terms.clone(), open_ai())
        .await
        .unwrap();
    let (v2, outcome) = ledger
        .client
        .publish_license(&authority, &model, second_terms.clone(), open_ai())
        .await
        .unwrap();
    assert_eq!((v1, v2), (1, 2));

    let first = ledger
        .client
        .license(&pda::license(&model, 1).0)
        .await
        .unwrap();
    assert_eq!(
        first.terms, first_terms,
        "a newer version never edits an older one"
    );
    let second = ledger
        .client
        .license(&pda::license(&model, 2).0)
        .await
        .unwrap();
    assert_eq!(second.license_version, 2);
    assert_eq!(second.model, model);
    assert_eq!(second.payment_mint, ledger.mint);
    assert_eq!(second.terms, second_terms);
    assert_eq!(second.retired_slot, None);
    assert_eq!(
        ledger
            .client
            .model(&model)
            .await
            .unwrap()
            .next_license_version,
        3
    );

    let LedgerEvent::LicensePublishedV2(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(event.license, pda::license(&model, 2).0);
    assert_eq!(event.license_version, 2);
    assert_eq!(event.terms, second_terms);
    assert_eq!(event.ai, open_ai());
    assert_eq!(event.payment_mint, ledger.mint);
    assert_eq!(event.slot, second.published_slot);
}

#[tokio::test]
async fn free_non_commercial_licence_is_valid() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let terms = LicenseTerms {
        price_per_call: 0,
        upfront_fee: 0,
        commercial_use: false,
        derivatives_allowed: false,
        derivative_royalty_bps: 0,
        call_limit: 0,
        duration_seconds: 0,
        ..commercial_terms()
    };
    ledger
        .client
        .publish_license(&authority, &model, terms.clone(), open_ai())
        .await
        .unwrap();
    let license = ledger
        .client
        .license(&pda::license(&model, 1).0)
        .await
        .unwrap();
    assert_eq!(license.terms, terms);
}

async fn expect_terms_rejected(mutate: impl FnOnce(&mut LicenseTerms), expected: LedgerError) {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let mut terms = commercial_terms();
    mutate(&mut terms);
    let instruction = ix::publish_license(&authority.pubkey(), &model, 1, terms, open_ai());
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&authority],
            expected,
            &[model, pda::license(&model, 1).0, authority.pubkey()],
        )
        .await;
}

#[tokio::test]
async fn royalty_above_whole_is_rejected() {
    expect_terms_rejected(
        |t| t.derivative_royalty_bps = 10_001,
        LedgerError::BasisPointsOutOfRange,
    )
    .await;
}

#[tokio::test]
async fn non_commercial_with_price_is_rejected() {
    expect_terms_rejected(
        |t| t.commercial_use = false,
        LedgerError::NonCommercialLicenseWithPrice,
    )
    .await;
}

#[tokio::test]
async fn royalty_without_derivatives_is_rejected() {
    expect_terms_rejected(
        |t| t.derivatives_allowed = false,
        LedgerError::RoyaltyWithoutDerivatives,
    )
    .await;
}

#[tokio::test]
async fn duration_beyond_i64_is_rejected() {
    expect_terms_rejected(
        |t| t.duration_seconds = i64::MAX as u64 + 1,
        LedgerError::DurationOutOfRange,
    )
    .await;
}

#[tokio::test]
async fn empty_terms_uri_is_rejected() {
    expect_terms_rejected(|t| t.terms_uri.clear(), LedgerError::UriEmpty).await;
}

#[tokio::test]
async fn long_terms_uri_is_rejected() {
    expect_terms_rejected(|t| t.terms_uri = "u".repeat(201), LedgerError::UriTooLong).await;
}

#[tokio::test]
async fn zero_terms_hash_is_rejected() {
    expect_terms_rejected(|t| t.terms_hash = [0; 32], LedgerError::TermsHashMissing).await;
}

#[tokio::test]
async fn non_authority_is_rejected() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let stranger = ledger.wallet().await;
    let instruction =
        ix::publish_license(&stranger.pubkey(), &model, 1, commercial_terms(), open_ai());
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&stranger],
            LedgerError::NotModelAuthority,
            &[model, pda::license(&model, 1).0],
        )
        .await;
}

#[tokio::test]
async fn reusing_or_skipping_a_version_is_rejected() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    ledger
        .client
        .publish_license(&authority, &model, commercial_terms(), open_ai())
        .await
        .unwrap();
    for version in [1, 3] {
        let instruction = ix::publish_license(
            &authority.pubkey(),
            &model,
            version,
            commercial_terms(),
            open_ai(),
        );
        ledger
            .expect_instruction_error(
                &[instruction],
                &[&authority],
                anchor_error(ErrorCode::ConstraintSeeds),
                &[model, pda::license(&model, 1).0, pda::license(&model, 3).0],
            )
            .await;
    }
}

#[tokio::test]
async fn remaining_accounts_are_rejected() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let instruction = ix::publish_license(
        &authority.pubkey(),
        &model,
        1,
        commercial_terms(),
        open_ai(),
    );
    ledger
        .expect_ledger_error(
            &[with_extra_account(instruction)],
            &[&authority],
            LedgerError::UnexpectedRemainingAccounts,
            &[model, pda::license(&model, 1).0],
        )
        .await;
}

#[tokio::test]
async fn prefunded_next_address_does_not_block_publication() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    ledger.airdrop(&pda::license(&model, 1).0, 10_000_000).await;
    let (version, _) = ledger
        .client
        .publish_license(&authority, &model, commercial_terms(), open_ai())
        .await
        .unwrap();
    assert_eq!(version, 1);
    let license = ledger
        .client
        .license(&pda::license(&model, 1).0)
        .await
        .unwrap();
    assert_eq!(license.terms, commercial_terms());
}

/// A non-commercial parent's terms cannot be resold commercially one
/// generation down: its derivative publishes non-commercial licences only.
#[tokio::test]
async fn a_model_derived_under_a_non_commercial_grant_sells_no_commercial_licence() {
    let ledger = TestLedger::start().await;
    let non_commercial = LicenseTerms {
        commercial_use: false,
        price_per_call: 0,
        ..commercial_terms()
    };
    let parent = ledger.market(1, &[1], non_commercial.clone()).await;
    let authority = ledger.wallet().await;
    let links = ledger.buy_parent_grants(&authority, &[parent.model]).await;
    let (child, outcome) = ledger
        .client
        .register_derived_model(&authority, &ledger.mint, model_args(2), &links)
        .await
        .unwrap();
    assert!(
        ledger
            .client
            .model(&child)
            .await
            .unwrap()
            .non_commercial_lineage
    );
    let LedgerEvent::ModelRegistered(registered) = &outcome.events[0] else {
        panic!("{:?}", outcome.events)
    };
    assert!(
        registered.non_commercial_lineage,
        "the event carries the flag"
    );

    let instruction = ix::publish_license(
        &authority.pubkey(),
        &child,
        1,
        commercial_terms(),
        open_ai(),
    );
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&authority],
            LedgerError::NonCommercialLineage,
            &[child, pda::license(&child, 1).0],
        )
        .await;
    let free = LicenseTerms {
        upfront_fee: 0,
        ..non_commercial
    };
    let (version, _) = ledger
        .client
        .publish_license(&authority, &child, free, open_ai())
        .await
        .unwrap();
    assert_eq!(version, 1);
}

/// The audit's exploit, replayed: a model derived under a non-commercial
/// grant published a "non-commercial" licence with an up-front fee, and its
/// vault was paid. A non-commercial lineage now sells in no form.
#[tokio::test]
async fn a_non_commercial_lineage_charges_no_up_front_fee_either() {
    let ledger = TestLedger::start().await;
    let non_commercial = LicenseTerms {
        commercial_use: false,
        price_per_call: 0,
        upfront_fee: 0,
        ..commercial_terms()
    };
    let parent = ledger.market(1, &[1], non_commercial.clone()).await;
    let authority = ledger.wallet().await;
    let links = ledger.buy_parent_grants(&authority, &[parent.model]).await;
    let (child, _) = ledger
        .client
        .register_derived_model(&authority, &ledger.mint, model_args(2), &links)
        .await
        .unwrap();
    let with_fee = LicenseTerms {
        upfront_fee: 10_000,
        ..non_commercial
    };
    let instruction =
        ix::publish_license(&authority.pubkey(), &child, 1, with_fee.clone(), open_ai());
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&authority],
            LedgerError::NonCommercialLineage,
            &[child, pda::license(&child, 1).0, pda::vault(&child).0],
        )
        .await;
    // A model of no such lineage may still publish a paid non-commercial
    // licence (research access for a fee): the rule follows the lineage.
    ledger
        .client
        .publish_license(&parent.authority, &parent.model, with_fee, open_ai())
        .await
        .unwrap();
}

/// Stored text is printable: a control character (U+0000 stopped a
/// PostgreSQL index for good) or a direction override is refused by name.
#[tokio::test]
async fn a_terms_uri_with_a_control_character_is_refused() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    for uri in [
        "https://example.org/\0terms",
        "https://example.org/\u{202E}txt.exe",
    ] {
        let terms = LicenseTerms {
            terms_uri: uri.into(),
            ..commercial_terms()
        };
        let instruction = ix::publish_license(&authority.pubkey(), &model, 1, terms, open_ai());
        ledger
            .expect_ledger_error(
                &[instruction],
                &[&authority],
                LedgerError::TextNotPrintable,
                &[model, pda::license(&model, 1).0],
            )
            .await;
    }
}
