use model_ledger::{errors::LedgerError, instructions::UpdateConfigArgs, state::LicenseTerms};
use model_ledger_sdk::{
    embedded::ProgramBuild,
    events::LedgerEvent,
    instructions::{AcquireGrantArgs, ModelAccounts},
    SdkError,
};
use model_ledger_tests::open_ai;
use model_ledger_tests::{
    commercial_terms, ix, only_event, pda, with_extra_account, TestLedger, LICENSEE_FUNDS,
};
use solana_sdk::{instruction::Instruction, pubkey::Pubkey, signature::Keypair, signer::Signer};

/// A model with licence v1 = `terms` and a funded buyer; no grant yet.
struct Shop {
    authority: Keypair,
    model: Pubkey,
    buyer: Keypair,
    buyer_token: Pubkey,
    treasury_token: Pubkey,
}

async fn shop(ledger: &TestLedger, terms: LicenseTerms) -> Shop {
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    ledger
        .client
        .publish_license(&authority, &model, terms, open_ai())
        .await
        .unwrap();
    let buyer = ledger.wallet().await;
    let buyer_token = ledger.token_account(&buyer.pubkey(), &ledger.mint).await;
    ledger
        .mint_to(&ledger.mint, &buyer_token, LICENSEE_FUNDS)
        .await;
    let treasury_token = ledger.treasury_token().await;
    Shop {
        authority,
        model,
        buyer,
        buyer_token,
        treasury_token,
    }
}

/// The buyer takes licence v1 at its quoted terms.
async fn buy(
    ledger: &TestLedger,
    shop: &Shop,
) -> (Pubkey, model_ledger_sdk::client::TransactionOutcome) {
    ledger
        .client
        .acquire_grant(
            &shop.buyer,
            &shop.model,
            1,
            50_000,
            1_000,
            &shop.buyer_token,
        )
        .await
        .unwrap()
}

fn purchase(
    ledger: &TestLedger,
    shop: &Shop,
    license: Pubkey,
    args: AcquireGrantArgs,
) -> Instruction {
    let accounts = ModelAccounts {
        model: shop.model,
        payment_mint: ledger.mint,
        token_program: anchor_spl::token::ID,
    };
    ix::acquire_grant(
        &shop.buyer.pubkey(),
        &accounts,
        &license,
        &shop.buyer_token,
        args,
    )
}

fn fair_args() -> AcquireGrantArgs {
    AcquireGrantArgs {
        expected_version: 1,
        max_fee: 50_000,
        max_price_per_call: 1_000,
    }
}

fn watched(shop: &Shop, license: &Pubkey) -> Vec<Pubkey> {
    vec![
        pda::grant(license, &shop.buyer.pubkey()).0,
        pda::royalty_book(&shop.model).0,
        pda::vault(&shop.model).0,
        shop.buyer_token,
        shop.treasury_token,
    ]
}

async fn expect_refused(
    ledger: &TestLedger,
    shop: &Shop,
    instruction: Instruction,
    error: LedgerError,
) {
    let license = pda::license(&shop.model, 1).0;
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&shop.buyer],
            error,
            &watched(shop, &license),
        )
        .await;
}

#[tokio::test]
async fn buys_terms_locked_to_the_version_and_pays_the_fee() {
    let ledger = TestLedger::start().await;
    let shop = shop(&ledger, commercial_terms()).await;
    let license = pda::license(&shop.model, 1).0;
    let now = ledger.now().await;
    let (grant_address, outcome) = buy(&ledger, &shop).await;
    assert_eq!(grant_address, pda::grant(&license, &shop.buyer.pubkey()).0);

    let grant = ledger.client.grant(&grant_address).await.unwrap();
    let terms = commercial_terms();
    assert_eq!(grant.model, shop.model);
    assert_eq!(grant.license, license);
    assert_eq!(grant.license_version, 1);
    assert_eq!(grant.licensee, shop.buyer.pubkey());
    assert_eq!(grant.meter, None);
    assert_eq!(grant.price_per_call, terms.price_per_call);
    assert_eq!(grant.call_limit, terms.call_limit);
    assert!(grant.commercial_use && grant.derivatives_allowed);
    assert_eq!(grant.derivative_royalty_bps, terms.derivative_royalty_bps);
    assert_eq!(grant.granted_at, now);
    assert_eq!(grant.expires_at, Some(now + terms.duration_seconds as i64));
    assert_eq!(
        (grant.calls_used, grant.next_seq, grant.total_paid),
        (0, 0, 50_000)
    );

    assert_eq!(
        ledger.balance(&shop.buyer_token).await,
        LICENSEE_FUNDS - 50_000
    );
    // One transfer: the whole fee enters the vault, 2.5 % of it booked for the treasury.
    assert_eq!(ledger.balance(&shop.treasury_token).await, 0);
    assert_eq!(ledger.balance(&pda::vault(&shop.model).0).await, 50_000);
    // No shares yet: the fee's shares part is the authority's to withdraw.
    let book = ledger.client.royalty_book(&shop.model).await.unwrap();
    assert_eq!((book.owed_protocol, book.unallocated), (1_250, 48_750));
    ledger.assert_conserved(&shop.model).await;

    let LedgerEvent::GrantAcquired(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(event.grant, grant_address);
    assert_eq!(event.expires_at, grant.expires_at);
    assert_eq!(
        (event.payment.amount, event.payment.protocol_fee),
        (50_000, 1_250)
    );
    assert_eq!(event.payment.to_unallocated, 48_750);
    let _ = shop.authority;
}

#[tokio::test]
async fn newer_version_never_changes_an_existing_grant() {
    let ledger = TestLedger::start().await;
    let shop = shop(&ledger, commercial_terms()).await;
    let (grant, _) = buy(&ledger, &shop).await;
    let pricier = LicenseTerms {
        price_per_call: 9_000,
        ..commercial_terms()
    };
    ledger
        .client
        .publish_license(&shop.authority, &shop.model, pricier, open_ai())
        .await
        .unwrap();
    ledger
        .client
        .retire_license(&shop.authority, &shop.model, 1)
        .await
        .unwrap();
    assert_eq!(
        ledger.client.grant(&grant).await.unwrap().price_per_call,
        1_000
    );
    ledger
        .client
        .record_inference(
            &shop.buyer,
            &grant,
            &shop.buyer_token,
            0,
            2,
            [0; 32],
            vec![],
        )
        .await
        .expect("a retired licence's grants keep working");
    assert_eq!(
        ledger.balance(&shop.buyer_token).await,
        LICENSEE_FUNDS - 50_000 - 2_000
    );
}

#[tokio::test]
async fn perpetual_licence_grants_never_expire() {
    let ledger = TestLedger::start().await;
    let shop = shop(
        &ledger,
        LicenseTerms {
            duration_seconds: 0,
            ..commercial_terms()
        },
    )
    .await;
    let (grant, _) = buy(&ledger, &shop).await;
    assert_eq!(ledger.client.grant(&grant).await.unwrap().expires_at, None);
}

#[tokio::test]
async fn retired_licence_sells_nothing() {
    let ledger = TestLedger::start().await;
    let shop = shop(&ledger, commercial_terms()).await;
    ledger
        .client
        .retire_license(&shop.authority, &shop.model, 1)
        .await
        .unwrap();
    let instruction = purchase(&ledger, &shop, pda::license(&shop.model, 1).0, fair_args());
    expect_refused(&ledger, &shop, instruction, LedgerError::LicenseRetired).await;
}

#[tokio::test]
async fn quote_guards_refuse_changed_terms() {
    let ledger = TestLedger::start().await;
    let shop = shop(&ledger, commercial_terms()).await;
    let license = pda::license(&shop.model, 1).0;
    let cases = [
        (
            AcquireGrantArgs {
                expected_version: 2,
                ..fair_args()
            },
            LedgerError::LicenseVersionMismatch,
        ),
        (
            AcquireGrantArgs {
                max_fee: 49_999,
                ..fair_args()
            },
            LedgerError::FeeAboveLimit,
        ),
        (
            AcquireGrantArgs {
                max_price_per_call: 999,
                ..fair_args()
            },
            LedgerError::PriceAboveLimit,
        ),
    ];
    for (args, error) in cases {
        expect_refused(
            &ledger,
            &shop,
            purchase(&ledger, &shop, license, args),
            error,
        )
        .await;
    }
}

#[tokio::test]
async fn paused_protocol_sells_nothing() {
    let ledger = TestLedger::start().await;
    let shop = shop(&ledger, commercial_terms()).await;
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
    let instruction = purchase(&ledger, &shop, pda::license(&shop.model, 1).0, fair_args());
    expect_refused(&ledger, &shop, instruction, LedgerError::ProtocolPaused).await;
}

#[tokio::test]
async fn second_purchase_of_the_same_licence_is_refused() {
    let ledger = TestLedger::start().await;
    let shop = shop(&ledger, commercial_terms()).await;
    buy(&ledger, &shop).await;
    let instruction = purchase(&ledger, &shop, pda::license(&shop.model, 1).0, fair_args());
    expect_refused(
        &ledger,
        &shop,
        instruction,
        LedgerError::AccountAlreadyExists,
    )
    .await;
}

#[tokio::test]
async fn licence_of_another_model_is_refused() {
    let ledger = TestLedger::start().await;
    let shop = shop(&ledger, commercial_terms()).await;
    let other_authority = ledger.wallet().await;
    let other = ledger.register_model(&other_authority, 2).await;
    ledger
        .client
        .publish_license(&other_authority, &other, commercial_terms(), open_ai())
        .await
        .unwrap();
    let foreign = pda::license(&other, 1).0;
    let instruction = purchase(&ledger, &shop, foreign, fair_args());
    let mut watched = watched(&shop, &foreign);
    watched.push(pda::vault(&other).0);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&shop.buyer],
            LedgerError::ModelMismatch,
            &watched,
        )
        .await;
}

#[tokio::test]
async fn substituted_vault_and_book_are_refused() {
    let ledger = TestLedger::start().await;
    let shop = shop(&ledger, commercial_terms()).await;
    let license = pda::license(&shop.model, 1).0;
    let other_authority = ledger.wallet().await;
    let other = ledger.register_model(&other_authority, 2).await;
    let cases = [
        (6, pda::vault(&other).0, LedgerError::VaultMismatch),
        (5, pda::royalty_book(&other).0, LedgerError::BookMismatch),
    ];
    for (position, substitute, error) in cases {
        let mut instruction = purchase(&ledger, &shop, license, fair_args());
        instruction.accounts[position].pubkey = substitute;
        let mut watched = watched(&shop, &license);
        watched.push(substitute);
        ledger
            .expect_ledger_error(&[instruction], &[&shop.buyer], error, &watched)
            .await;
    }
}

#[tokio::test]
async fn remaining_accounts_are_refused() {
    let ledger = TestLedger::start().await;
    let shop = shop(&ledger, commercial_terms()).await;
    let instruction = purchase(&ledger, &shop, pda::license(&shop.model, 1).0, fair_args());
    expect_refused(
        &ledger,
        &shop,
        with_extra_account(instruction),
        LedgerError::UnexpectedRemainingAccounts,
    )
    .await;
}

/// A licence version that does not exist is refused by Anchor's account
/// check, and the SDK names that error (and, where the program's log is
/// captured, as in the VM, the account it concerned) instead of a bare
/// custom code; nothing moves.
#[tokio::test]
async fn a_licence_that_does_not_exist_is_named_by_the_sdk() {
    let ledger = TestLedger::start().await;
    let shop = shop(&ledger, commercial_terms()).await;
    let before = ledger.balance(&shop.buyer_token).await;
    let error = ledger
        .client
        .acquire_grant(
            &shop.buyer,
            &shop.model,
            2,
            50_000,
            1_000,
            &shop.buyer_token,
        )
        .await
        .expect_err("licence v2 was never published");
    let SdkError::Framework {
        name,
        code,
        account,
        ..
    } = &error
    else {
        panic!("expected a named framework error, got {error:?}")
    };
    assert_eq!(
        (name.as_str(), *code),
        ("AccountNotInitialized", 3012),
        "{error}"
    );
    if let ProgramBuild::Sbf(_) = ProgramBuild::from_env().unwrap() {
        assert_eq!(account.as_deref(), Some("license"), "{error}");
    }
    assert_eq!(ledger.balance(&shop.buyer_token).await, before);
}
