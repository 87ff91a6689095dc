use anchor_spl::{token::spl_token, token_2022::spl_token_2022::extension::ExtensionType};
use model_ledger::{constants::FIRST_LICENSE_VERSION, errors::LedgerError};
use model_ledger_sdk::{accounts::decode_royalty_book, events::LedgerEvent};
use model_ledger_tests::{ix, model_args, only_event, pda, with_extra_account, TestLedger};
use solana_sdk::{program_pack::Pack, signer::Signer};

#[tokio::test]
async fn registers_model_vault_and_book() {
    let ledger = TestLedger::start().await;
    let creator = ledger.wallet().await;
    let args = model_args(1);
    let (model, outcome) = ledger
        .client
        .register_model(&creator, &ledger.mint, args.clone())
        .await
        .unwrap();

    assert_eq!(model, pda::model(&creator.pubkey(), &args.model_id).0);
    let record = ledger.client.model(&model).await.unwrap();
    assert_eq!(record.creator, creator.pubkey());
    assert_eq!(record.authority, creator.pubkey());
    assert_eq!(record.pending_authority, None);
    assert_eq!(record.model_id, args.model_id);
    assert_eq!(record.name, args.name);
    assert_eq!(record.metadata_uri, args.metadata_uri);
    assert_eq!(record.content_hash, args.content_hash);
    assert_eq!(record.payment_mint, ledger.mint);
    assert_eq!(record.token_program, spl_token::ID);
    assert_eq!(record.attribution_bps, 3_000);
    assert!(record.parents.is_empty());
    assert_eq!(record.next_license_version, FIRST_LICENSE_VERSION);

    let vault_address = pda::vault(&model).0;
    assert_eq!(record.vault, vault_address);
    let vault_account = ledger.account(&vault_address).await.unwrap();
    assert_eq!(vault_account.owner, spl_token::ID);
    let vault = spl_token::state::Account::unpack(&vault_account.data).unwrap();
    assert_eq!(vault.mint, ledger.mint);
    assert_eq!(
        vault.owner,
        pda::royalty_book(&model).0,
        "only the book PDA can move vault tokens"
    );
    assert_eq!(vault.amount, 0);

    let book_address = pda::royalty_book(&model).0;
    assert_eq!(record.royalty_book, book_address);
    let book =
        decode_royalty_book(&book_address, &ledger.account(&book_address).await.unwrap()).unwrap();
    assert_eq!(book.model, model);
    assert_eq!(book.entry_count, 0);
    assert_eq!(
        (book.vault, book.payment_mint, book.token_program),
        (vault_address, ledger.mint, spl_token::ID),
        "what a payment needs, copied from the model"
    );
    assert_eq!((book.payment_decimals, book.contribution_count), (6, 0));

    let LedgerEvent::ModelRegistered(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(event.model, model);
    assert_eq!(event.creator, creator.pubkey());
    assert_eq!(event.name, record.name);
    assert_eq!(event.vault, vault_address);
    assert_eq!(event.royalty_book, book_address);
    assert_eq!(event.payment_mint, ledger.mint);
    assert_eq!(event.payment_decimals, book.payment_decimals);
    assert!(!event.non_commercial_lineage);
    assert_eq!(event.content_hash, args.content_hash);
    assert_eq!(event.slot, record.registered_slot);
}

#[tokio::test]
async fn same_creator_cannot_register_an_id_twice() {
    let ledger = TestLedger::start().await;
    let creator = ledger.wallet().await;
    let model = ledger.register_model(&creator, 1).await;
    let mut again = model_args(1);
    again.name = "impostor".into();
    let instruction = ix::register_model(&creator.pubkey(), &ledger.mint, &spl_token::ID, again);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&creator],
            LedgerError::AccountAlreadyExists,
            &[model, pda::vault(&model).0, pda::royalty_book(&model).0],
        )
        .await;
    assert_eq!(ledger.client.model(&model).await.unwrap().name, "model-1");
}

#[tokio::test]
async fn another_creator_gets_its_own_address_for_the_same_id() {
    let ledger = TestLedger::start().await;
    let first = ledger.wallet().await;
    let second = ledger.wallet().await;
    let a = ledger.register_model(&first, 1).await;
    let b = ledger.register_model(&second, 1).await;
    assert_ne!(a, b);
    assert_eq!(
        ledger.client.model(&b).await.unwrap().creator,
        second.pubkey()
    );
}

async fn expect_args_rejected(
    ledger: &TestLedger,
    mutate: impl FnOnce(&mut model_ledger::instructions::RegisterModelArgs),
    expected: LedgerError,
) {
    let creator = ledger.wallet().await;
    let mut args = model_args(3);
    mutate(&mut args);
    let model = pda::model(&creator.pubkey(), &args.model_id).0;
    let instruction = ix::register_model(&creator.pubkey(), &ledger.mint, &spl_token::ID, args);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&creator],
            expected,
            &[
                model,
                pda::vault(&model).0,
                pda::royalty_book(&model).0,
                creator.pubkey(),
            ],
        )
        .await;
}

#[tokio::test]
async fn zero_model_id_is_rejected() {
    let ledger = TestLedger::start().await;
    expect_args_rejected(
        &ledger,
        |a| a.model_id = [0; 32],
        LedgerError::ModelIdMissing,
    )
    .await;
}

#[tokio::test]
async fn empty_name_is_rejected() {
    let ledger = TestLedger::start().await;
    expect_args_rejected(&ledger, |a| a.name.clear(), LedgerError::NameEmpty).await;
}

/// Stored text is printable: a control character (U+0000 stopped a
/// PostgreSQL index for good) or a direction override (a name that reads as
/// another) is refused by name, in the name and in the metadata URI.
#[tokio::test]
async fn a_name_or_uri_with_a_control_character_is_rejected() {
    let ledger = TestLedger::start().await;
    for name in ["base\0-7b", "tab\there", "\u{202E}b7-esab"] {
        expect_args_rejected(
            &ledger,
            |a| a.name = name.into(),
            LedgerError::TextNotPrintable,
        )
        .await;
    }
    expect_args_rejected(
        &ledger,
        |a| a.metadata_uri = "ipfs://\u{85}next".into(),
        LedgerError::TextNotPrintable,
    )
    .await;
}

#[tokio::test]
async fn long_name_is_rejected() {
    let ledger = TestLedger::start().await;
    expect_args_rejected(
        &ledger,
        |a| a.name = "n".repeat(65),
        LedgerError::NameTooLong,
    )
    .await;
}

#[tokio::test]
async fn long_metadata_uri_is_rejected() {
    let ledger = TestLedger::start().await;
    expect_args_rejected(
        &ledger,
        |a| a.metadata_uri = "u".repeat(201),
        LedgerError::UriTooLong,
    )
    .await;
}

#[tokio::test]
async fn zero_content_hash_is_rejected() {
    let ledger = TestLedger::start().await;
    expect_args_rejected(
        &ledger,
        |a| a.content_hash = [0; 32],
        LedgerError::ContentHashMissing,
    )
    .await;
}

#[tokio::test]
async fn attribution_above_whole_is_rejected() {
    let ledger = TestLedger::start().await;
    expect_args_rejected(
        &ledger,
        |a| a.attribution_bps = 10_001,
        LedgerError::BasisPointsOutOfRange,
    )
    .await;
}

#[tokio::test]
async fn token_2022_mint_with_only_metadata_pointer_is_accepted() {
    let ledger = TestLedger::start().await;
    let mint = ledger
        .create_token_2022_mint(&[ExtensionType::MetadataPointer])
        .await;
    let creator = ledger.wallet().await;
    let (model, _) = ledger
        .client
        .register_model(&creator, &mint, model_args(4))
        .await
        .unwrap();
    let record = ledger.client.model(&model).await.unwrap();
    assert_eq!(record.token_program, anchor_spl::token_2022::ID);
    assert_eq!(
        ledger.account(&record.vault).await.unwrap().owner,
        anchor_spl::token_2022::ID
    );
}

#[tokio::test]
async fn token_2022_mints_with_unsafe_extensions_are_rejected() {
    let ledger = TestLedger::start().await;
    for extension in [
        ExtensionType::TransferFeeConfig,
        ExtensionType::TransferHook,
        ExtensionType::PermanentDelegate,
        ExtensionType::DefaultAccountState,
        ExtensionType::NonTransferable,
        ExtensionType::MintCloseAuthority,
    ] {
        let mint = ledger.create_token_2022_mint(&[extension]).await;
        let creator = ledger.wallet().await;
        let args = model_args(5);
        let model = pda::model(&creator.pubkey(), &args.model_id).0;
        let instruction =
            ix::register_model(&creator.pubkey(), &mint, &anchor_spl::token_2022::ID, args);
        ledger
            .expect_ledger_error(
                &[instruction],
                &[&creator],
                LedgerError::UnsupportedMintExtension,
                &[model, pda::vault(&model).0, mint],
            )
            .await;
    }
}

#[tokio::test]
async fn odd_parent_accounts_are_rejected() {
    let ledger = TestLedger::start().await;
    let creator = ledger.wallet().await;
    let args = model_args(6);
    let model = pda::model(&creator.pubkey(), &args.model_id).0;
    let instruction = ix::register_model(&creator.pubkey(), &ledger.mint, &spl_token::ID, args);
    ledger
        .expect_ledger_error(
            &[with_extra_account(instruction)],
            &[&creator],
            LedgerError::ParentAccountsMalformed,
            &[model, pda::vault(&model).0],
        )
        .await;
}

#[tokio::test]
async fn prefunded_addresses_do_not_block_registration() {
    let ledger = TestLedger::start().await;
    let creator = ledger.wallet().await;
    let args = model_args(7);
    let model = pda::model(&creator.pubkey(), &args.model_id).0;
    let (book, vault) = (pda::royalty_book(&model).0, pda::vault(&model).0);
    for address in [model, book, vault] {
        ledger.airdrop(&address, 1_000_000_000).await;
    }
    ledger
        .client
        .register_model(&creator, &ledger.mint, args)
        .await
        .unwrap();
    assert_eq!(
        ledger.client.model(&model).await.unwrap().creator,
        creator.pubkey()
    );
    let vault_account = ledger.account(&vault).await.unwrap();
    assert_eq!(vault_account.owner, spl_token::ID);
    assert_eq!(
        spl_token::state::Account::unpack(&vault_account.data)
            .unwrap()
            .owner,
        pda::royalty_book(&model).0
    );
    assert_eq!(ledger.account(&book).await.unwrap().owner, model_ledger::ID);
}

mod lineage {
    use model_ledger::{errors::LedgerError, state::LicenseTerms};
    use model_ledger_sdk::{events::LedgerEvent, instructions::ParentGrant};
    use model_ledger_tests::{commercial_terms, ix, model_args, only_event, pda, TestLedger};
    use solana_sdk::{pubkey::Pubkey, signature::Keypair, signer::Signer};

    /// A licensed parent model (licence v1 = `terms`); returns its address.
    async fn parent(ledger: &TestLedger, seed: u8, terms: LicenseTerms) -> Pubkey {
        let authority = ledger.wallet().await;
        let model = ledger.register_model(&authority, seed).await;
        ledger
            .client
            .publish_license(&authority, &model, terms, model_ledger_tests::open_ai())
            .await
            .unwrap();
        model
    }

    async fn expect_refused(
        ledger: &TestLedger,
        authority: &Keypair,
        parents: &[ParentGrant],
        error: LedgerError,
    ) {
        let args = model_args(50);
        let child = pda::model(&authority.pubkey(), &args.model_id).0;
        let instruction = ix::register_derived_model(
            &authority.pubkey(),
            &ledger.mint,
            &anchor_spl::token::ID,
            args,
            parents,
        );
        ledger
            .expect_ledger_error(
                &[instruction],
                &[authority],
                error,
                &[child, pda::vault(&child).0],
            )
            .await;
    }

    #[tokio::test]
    async fn records_each_parent_with_its_licence_and_royalty() {
        let ledger = TestLedger::start().await;
        let first = parent(&ledger, 1, commercial_terms()).await;
        let second = parent(
            &ledger,
            2,
            LicenseTerms {
                derivative_royalty_bps: 500,
                ..commercial_terms()
            },
        )
        .await;
        let authority = ledger.wallet().await;
        let links = ledger.buy_parent_grants(&authority, &[first, second]).await;
        let (child, outcome) = ledger
            .client
            .register_derived_model(&authority, &ledger.mint, model_args(9), &links)
            .await
            .unwrap();
        let record = ledger.client.model(&child).await.unwrap();
        assert_eq!(record.parents.len(), 2);
        for (link, (parent, bps)) in record.parents.iter().zip([(first, 1_000), (second, 500)]) {
            assert_eq!(link.model, parent);
            assert_eq!(link.license, pda::license(&parent, 1).0);
            assert_eq!(link.grant, pda::grant(&link.license, &authority.pubkey()).0);
            assert_eq!(link.derivative_bps, bps);
        }
        let LedgerEvent::ModelRegistered(event) = only_event(&outcome) else {
            panic!("wrong event")
        };
        assert_eq!(event.parents, record.parents);

        let lineage = ledger.client.lineage(&child).await.unwrap();
        assert_eq!(lineage.len(), 2);
        assert!(lineage
            .iter()
            .all(|link| link.depth == 1 && link.child == child));
    }

    #[tokio::test]
    async fn more_than_eight_parents_are_refused() {
        let ledger = TestLedger::start().await;
        let mut parents = Vec::new();
        for seed in 1..=9 {
            parents.push(
                parent(
                    &ledger,
                    seed,
                    LicenseTerms {
                        derivative_royalty_bps: 100,
                        ..commercial_terms()
                    },
                )
                .await,
            );
        }
        let authority = ledger.wallet().await;
        let links = ledger.buy_parent_grants(&authority, &parents).await;
        expect_refused(&ledger, &authority, &links, LedgerError::TooManyParents).await;
    }

    #[tokio::test]
    async fn repeated_parent_is_refused() {
        let ledger = TestLedger::start().await;
        let first = parent(&ledger, 1, commercial_terms()).await;
        let authority = ledger.wallet().await;
        let links = ledger.buy_parent_grants(&authority, &[first]).await;
        expect_refused(
            &ledger,
            &authority,
            &[links[0], links[0]],
            LedgerError::DuplicateParent,
        )
        .await;
    }

    #[tokio::test]
    async fn grant_of_another_parent_is_refused() {
        let ledger = TestLedger::start().await;
        let first = parent(&ledger, 1, commercial_terms()).await;
        let second = parent(&ledger, 2, commercial_terms()).await;
        let authority = ledger.wallet().await;
        let links = ledger.buy_parent_grants(&authority, &[first]).await;
        let crossed = ParentGrant {
            model: second,
            grant: links[0].grant,
        };
        expect_refused(
            &ledger,
            &authority,
            &[crossed],
            LedgerError::ParentGrantMismatch,
        )
        .await;
    }

    #[tokio::test]
    async fn someone_elses_grant_is_refused() {
        let ledger = TestLedger::start().await;
        let first = parent(&ledger, 1, commercial_terms()).await;
        let holder = ledger.wallet().await;
        let links = ledger.buy_parent_grants(&holder, &[first]).await;
        let borrower = ledger.wallet().await;
        expect_refused(&ledger, &borrower, &links, LedgerError::ParentGrantNotHeld).await;
    }

    #[tokio::test]
    async fn expired_parent_grant_is_refused() {
        let ledger = TestLedger::start().await;
        let first = parent(&ledger, 1, commercial_terms()).await;
        let authority = ledger.wallet().await;
        let links = ledger.buy_parent_grants(&authority, &[first]).await;
        let expires_at = ledger
            .client
            .grant(&links[0].grant)
            .await
            .unwrap()
            .expires_at
            .unwrap();
        ledger.set_time(expires_at + 1).await;
        expect_refused(&ledger, &authority, &links, LedgerError::GrantExpired).await;
    }

    #[tokio::test]
    async fn licence_forbidding_derivatives_is_refused() {
        let ledger = TestLedger::start().await;
        let closed = LicenseTerms {
            derivatives_allowed: false,
            derivative_royalty_bps: 0,
            ..commercial_terms()
        };
        let first = parent(&ledger, 1, closed).await;
        let authority = ledger.wallet().await;
        let links = ledger.buy_parent_grants(&authority, &[first]).await;
        expect_refused(
            &ledger,
            &authority,
            &links,
            LedgerError::DerivativesNotAllowed,
        )
        .await;
    }

    #[tokio::test]
    async fn parent_paid_in_another_mint_is_refused() {
        let ledger = TestLedger::start().await;
        let first = parent(&ledger, 1, commercial_terms()).await;
        let authority = ledger.wallet().await;
        let links = ledger.buy_parent_grants(&authority, &[first]).await;
        let other_mint = ledger.create_legacy_mint().await;
        let args = model_args(50);
        let child = pda::model(&authority.pubkey(), &args.model_id).0;
        let instruction = ix::register_derived_model(
            &authority.pubkey(),
            &other_mint,
            &anchor_spl::token::ID,
            args,
            &links,
        );
        ledger
            .expect_ledger_error(
                &[instruction],
                &[&authority],
                LedgerError::MintMismatch,
                &[child],
            )
            .await;
    }

    #[tokio::test]
    async fn royalties_and_fee_above_whole_are_refused() {
        let ledger = TestLedger::start().await;
        // 9 800 bps to the parent + 250 bps protocol fee > 100 %.
        let greedy = parent(
            &ledger,
            1,
            LicenseTerms {
                derivative_royalty_bps: 9_800,
                ..commercial_terms()
            },
        )
        .await;
        let authority = ledger.wallet().await;
        let links = ledger.buy_parent_grants(&authority, &[greedy]).await;
        expect_refused(&ledger, &authority, &links, LedgerError::FeesExceedWhole).await;
    }

    #[tokio::test]
    async fn a_model_that_is_not_ours_cannot_pose_as_a_parent() {
        let ledger = TestLedger::start().await;
        let first = parent(&ledger, 1, commercial_terms()).await;
        let authority = ledger.wallet().await;
        let links = ledger.buy_parent_grants(&authority, &[first]).await;
        // A system account posing as the parent model.
        let fake = ParentGrant {
            model: authority.pubkey(),
            grant: links[0].grant,
        };
        expect_refused(
            &ledger,
            &authority,
            &[fake],
            LedgerError::ParentAccountsMalformed,
        )
        .await;
    }
}
