//! One regression test per attack class an audit listed: each asserts the
//! named error and that nothing moved. Substituted vault, book, mint and
//! token accounts are covered per instruction, in each instruction's file.

use anchor_lang::error::ErrorCode;
use anchor_spl::token::spl_token::error::TokenError;
use model_ledger::{
    errors::LedgerError,
    events::RoyaltyBookExtended,
    instructions::AcquireGrantArgs,
    state::{Contribution, Grant, License, LicenseTerms, Model, ProposerPermit, RoyaltyBook},
};
use model_ledger_sdk::{
    events::LedgerEvent,
    instructions::{register_derived_model, ParentGrant},
};
use model_ledger_tests::open_ai;
use model_ledger_tests::{
    anchor_error, commercial_terms, ix, model_args, pda, substituted, Market, TestLedger,
};
use solana_sdk::{
    account::Account,
    instruction::{AccountMeta, Instruction, InstructionError},
    pubkey::Pubkey,
    signer::Signer,
};

async fn batch(
    ledger: &TestLedger,
    market: &Market,
    calls: u64,
) -> solana_sdk::instruction::Instruction {
    ledger
        .client
        .record_inference_instruction(
            &market.licensee.pubkey(),
            &market.grant,
            &market.licensee_token,
            model_ledger_sdk::instructions::RecordInferenceArgs {
                seq: 0,
                calls,
                merkle_root: [1; 32],
                attribution: vec![],
            },
        )
        .await
        .unwrap()
}

/// The right key is named but does not sign: another wallet pays the fee.
#[tokio::test]
async fn a_named_key_that_does_not_sign_is_refused() {
    let (ledger, authority, model, (_, index)) = TestLedger::with_proposal().await;
    let mut instruction = ix::accept_contribution(&authority.pubkey(), &model, index, 5);
    instruction.accounts[0].is_signer = false;
    ledger
        .expect_instruction_error(
            &[instruction],
            &[],
            anchor_error(ErrorCode::AccountNotSigner),
            &[
                pda::royalty_book(&model).0,
                pda::contribution(&model, index).0,
            ],
        )
        .await;
}

/// A grant's exact bytes under an account another program owns.
#[tokio::test]
async fn an_account_owned_by_another_program_is_refused() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let genuine = ledger.account(&market.grant).await.unwrap();
    let forged = Pubkey::new_unique();
    ledger
        .forge_account(
            &forged,
            Account {
                owner: anchor_spl::token::ID,
                ..genuine
            },
        )
        .await;
    let mut instruction = batch(&ledger, &market, 1).await;
    instruction.accounts[2].pubkey = forged;
    let mut watched = ledger.money_accounts(&market);
    watched.push(forged);
    ledger
        .expect_instruction_error(
            &[instruction],
            &[&market.licensee],
            anchor_error(ErrorCode::AccountOwnedByWrongProgram),
            &watched,
        )
        .await;
}

/// Type cosplay: the licence passed where the grant belongs.
#[tokio::test]
async fn an_account_of_another_type_is_refused() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let mut instruction = batch(&ledger, &market, 1).await;
    instruction.accounts[2].pubkey = market.license;
    ledger
        .expect_instruction_error(
            &[instruction],
            &[&market.licensee],
            anchor_error(ErrorCode::AccountDiscriminatorMismatch),
            &ledger.money_accounts(&market),
        )
        .await;
}

/// The vault passed twice, as the vault and as the claim's destination: the
/// claim would move nothing and book a payout.
#[tokio::test]
async fn the_vault_as_its_own_destination_is_refused() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let vault = pda::vault(&market.model).0;
    let (contributor, index, _) = &market.contributors[0];
    let instruction = ix::claim(
        &contributor.pubkey(),
        &market.accounts(&ledger.mint),
        *index,
        &vault,
    );
    ledger
        .expect_ledger_error(
            &[instruction],
            &[contributor],
            LedgerError::DestinationIsVault,
            &[vault, pda::royalty_book(&market.model).0],
        )
        .await;
    let instruction = ix::claim_unallocated(
        &market.authority.pubkey(),
        &market.accounts(&ledger.mint),
        &vault,
    );
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&market.authority],
            LedgerError::DestinationIsVault,
            &[vault, pda::royalty_book(&market.model).0],
        )
        .await;
}

/// A program that is not a token program, where the token program belongs.
#[tokio::test]
async fn an_arbitrary_program_as_token_program_is_refused() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let mut instruction = batch(&ledger, &market, 1).await;
    let position = instruction
        .accounts
        .iter()
        .position(|meta| meta.pubkey == anchor_spl::token::ID)
        .unwrap();
    instruction.accounts[position].pubkey = model_ledger::ID;
    ledger
        .expect_instruction_error(
            &[instruction],
            &[&market.licensee],
            anchor_error(ErrorCode::InvalidProgramId),
            &ledger.money_accounts(&market),
        )
        .await;
}

/// A meter capped by an SPL `approve` cannot spend past the cap: the token
/// program refuses the transfer and the batch is not recorded.
#[tokio::test]
async fn a_meter_cannot_spend_past_its_approval() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let meter = ledger.wallet().await;
    ledger
        .client
        .set_meter(&market.licensee, &market.grant, Some(meter.pubkey()))
        .await
        .unwrap();
    ledger.approve_meter(&market, &meter.pubkey(), 2_999).await;
    let instruction = ledger
        .client
        .record_inference_instruction(
            &meter.pubkey(),
            &market.grant,
            &market.licensee_token,
            model_ledger_sdk::instructions::RecordInferenceArgs {
                seq: 0,
                calls: 3,
                merkle_root: [1; 32],
                attribution: vec![],
            },
        )
        .await
        .unwrap();
    ledger
        .expect_instruction_error(
            &[instruction],
            &[&meter],
            // spl_token::error::TokenError::InsufficientFunds
            InstructionError::Custom(1),
            &ledger.money_accounts(&market),
        )
        .await;
}

/// A model cannot name itself as its parent: its own address holds no model
/// yet when it registers.
#[tokio::test]
async fn a_model_cannot_parent_itself() {
    let ledger = TestLedger::start().await;
    let parent = ledger.market(1, &[1], commercial_terms()).await;
    let authority = ledger.wallet().await;
    let links = ledger.buy_parent_grants(&authority, &[parent.model]).await;
    let args = model_args(2);
    let own = pda::model(&authority.pubkey(), &args.model_id).0;
    let instruction = register_derived_model(
        &authority.pubkey(),
        &ledger.mint,
        &anchor_spl::token::ID,
        args,
        &[ParentGrant {
            model: own,
            grant: links[0].grant,
        }],
    );
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&authority],
            LedgerError::ParentAccountsMalformed,
            &[own, links[0].grant],
        )
        .await;
}

/// `calls × price` past u64 is refused by name, before any token moves.
#[tokio::test]
async fn a_batch_whose_price_overflows_is_refused() {
    let ledger = TestLedger::start().await;
    let terms = LicenseTerms {
        price_per_call: u64::MAX / 2 + 1,
        upfront_fee: 0,
        call_limit: 0,
        ..commercial_terms()
    };
    let market = ledger.market(1, &[1], terms).await;
    let instruction = batch(&ledger, &market, 2).await;
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&market.licensee],
            LedgerError::MathOverflow,
            &ledger.money_accounts(&market),
        )
        .await;
}

/// The first address below the canonical bump that `seeds` also derive: an
/// account there would be a second record for the same seeds.
fn non_canonical_address(seeds: &[&[u8]]) -> Pubkey {
    let (_, canonical) = Pubkey::find_program_address(seeds, &model_ledger::ID);
    (0..canonical)
        .rev()
        .find_map(|bump| {
            let bump = [bump];
            let mut with_bump = seeds.to_vec();
            with_bump.push(&bump);
            Pubkey::create_program_address(&with_bump, &model_ledger::ID).ok()
        })
        .expect("some bump below the canonical one derives an address")
}

/// PDA bump canonicalisation: every account the program creates must sit at
/// the address of its seeds' canonical bump. A creator who derives the same
/// seeds with a lower bump would get a second model, book, vault, record,
/// licence, grant or permit for one identity; each is refused by its seeds
/// constraint and nothing is created.
#[tokio::test]
async fn a_record_at_a_non_canonical_bump_is_never_created() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let authority = ledger.wallet().await;
    let args = model_args(2);
    let model = pda::model(&authority.pubkey(), &args.model_id).0;
    let register = || {
        ix::register_model(
            &authority.pubkey(),
            &ledger.mint,
            &anchor_spl::token::ID,
            model_args(2),
        )
    };
    let mut cases: Vec<(Instruction, Pubkey, Pubkey, &dyn Signer)> = Vec::new();
    let creator = authority.pubkey();
    for (canonical, seeds) in [
        (model, Model::seeds(&creator, &args.model_id).to_vec()),
        (
            pda::royalty_book(&model).0,
            RoyaltyBook::seeds(&model).to_vec(),
        ),
        (pda::vault(&model).0, Model::vault_seeds(&model).to_vec()),
    ] {
        let forged = non_canonical_address(&seeds);
        cases.push((register(), canonical, forged, &authority));
    }
    let index = ledger
        .client
        .next_contribution_index(&market.model)
        .await
        .unwrap();
    let proposer = ledger.wallet().await;
    let record = pda::contribution(&market.model, index).0;
    cases.push((
        ix::propose_contribution(
            &proposer.pubkey(),
            &market.model,
            index,
            model_ledger_tests::contribution_args(),
        ),
        record,
        non_canonical_address(&Contribution::seeds(&market.model, &index)),
        &proposer,
    ));
    let version = 2;
    cases.push((
        ix::publish_license(
            &market.authority.pubkey(),
            &market.model,
            version,
            commercial_terms(),
            open_ai(),
        ),
        pda::license(&market.model, version).0,
        non_canonical_address(&License::seeds(&market.model, &version)),
        &market.authority,
    ));
    let buyer = ledger.wallet().await;
    let buyer_token = ledger.token_account(&buyer.pubkey(), &ledger.mint).await;
    let buyer_key = buyer.pubkey();
    cases.push((
        ix::acquire_grant(
            &buyer_key,
            &market.accounts(&ledger.mint),
            &market.license,
            &buyer_token,
            AcquireGrantArgs {
                expected_version: 1,
                max_fee: u64::MAX,
                max_price_per_call: u64::MAX,
            },
        ),
        pda::grant(&market.license, &buyer_key).0,
        non_canonical_address(&Grant::seeds(&market.license, &buyer_key)),
        &buyer,
    ));
    cases.push((
        ix::allow_proposer(&market.authority.pubkey(), &market.model, &buyer_key),
        pda::proposer_permit(&market.model, &buyer_key).0,
        non_canonical_address(&ProposerPermit::seeds(&market.model, &buyer_key)),
        &market.authority,
    ));

    for (instruction, canonical, forged, signer) in cases {
        let instruction = substituted(instruction, &canonical, &forged);
        ledger
            .expect_instruction_error(
                &[instruction],
                &[signer],
                anchor_error(ErrorCode::ConstraintSeeds),
                &[canonical, forged, pda::royalty_book(&market.model).0],
            )
            .await;
        assert!(
            ledger.account(&forged).await.is_none(),
            "{forged} was created"
        );
    }
}

/// The bump every record stores (and later derives its signer seeds from) is
/// its seeds' canonical one.
#[tokio::test]
async fn every_stored_bump_is_the_canonical_one() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let model = ledger.client.model(&market.model).await.unwrap();
    assert_eq!(model.bump, pda::model(&model.creator, &model.model_id).1);
    assert_eq!(model.vault_bump, pda::vault(&market.model).1);
    assert_eq!(model.royalty_book_bump, pda::royalty_book(&market.model).1);
    let (_, index, _) = &market.contributors[0];
    let contribution = ledger
        .client
        .contribution(&pda::contribution(&market.model, *index).0)
        .await
        .unwrap();
    assert_eq!(
        contribution.bump,
        pda::contribution(&market.model, *index).1
    );
    let license = ledger.client.license(&market.license).await.unwrap();
    assert_eq!(license.bump, pda::license(&market.model, 1).1);
    let grant = ledger.client.grant(&market.grant).await.unwrap();
    assert_eq!(
        grant.bump,
        pda::grant(&market.license, &market.licensee.pubkey()).1
    );
    let config = ledger.client.config().await.unwrap();
    assert_eq!(config.bump, pda::config().1);
}

/// Sysvar spoofing: the program reads the time and rent from the runtime's
/// syscalls and takes no sysvar account in any instruction (the IDL lists
/// each account), so there is no slot a forged clock could fill; one passed
/// anyway is refused by name, and an expired grant stays expired.
#[tokio::test]
async fn a_forged_clock_cannot_stand_in_for_the_runtimes() {
    let idl: serde_json::Value =
        serde_json::from_str(include_str!("../../../idl/model_ledger.json")).unwrap();
    for instruction in idl["instructions"].as_array().unwrap() {
        for account in instruction["accounts"].as_array().unwrap() {
            let address = account["address"].as_str().unwrap_or_default();
            assert!(
                !address.starts_with("Sysvar"),
                "{} takes sysvar {address}",
                instruction["name"]
            );
        }
    }

    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[1], commercial_terms()).await;
    let expires_at = ledger
        .client
        .grant(&market.grant)
        .await
        .unwrap()
        .expires_at
        .unwrap();
    ledger.set_time(expires_at).await;
    let forged_clock = Pubkey::new_unique();
    let mut clock: anchor_lang::prelude::Clock = ledger.banks.get_sysvar().await.unwrap();
    clock.unix_timestamp = expires_at - 1;
    ledger
        .forge_account(
            &forged_clock,
            Account {
                lamports: 1_000_000_000,
                data: bincode::serialize(&clock).unwrap(),
                owner: solana_sdk::sysvar::id(),
                executable: false,
                rent_epoch: 0,
            },
        )
        .await;
    let mut instruction = batch(&ledger, &market, 1).await;
    instruction
        .accounts
        .push(AccountMeta::new_readonly(forged_clock, false));
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&market.licensee],
            LedgerError::UnexpectedRemainingAccounts,
            &ledger.money_accounts(&market),
        )
        .await;
    ledger
        .expect_ledger_error(
            &[batch(&ledger, &market, 1).await],
            &[&market.licensee],
            LedgerError::GrantExpired,
            &ledger.money_accounts(&market),
        )
        .await;
}

/// Forged event instructions: an indexer trusts an event because only the
/// program can sign as its event authority. The event instruction called
/// from outside, unsigned or signed by another key, is refused, so no
/// landed transaction can carry an event the program did not emit.
#[tokio::test]
async fn an_event_the_program_did_not_emit_is_refused() {
    let (ledger, _, model, _) = TestLedger::with_proposal().await;
    let book = pda::royalty_book(&model).0;
    let forged = LedgerEvent::RoyaltyBookExtended(RoyaltyBookExtended {
        model,
        entry_count: 163_833,
    });
    let unsigned = Instruction {
        program_id: model_ledger::ID,
        accounts: vec![AccountMeta::new_readonly(pda::event_authority().0, false)],
        data: forged.encode(),
    };
    ledger
        .expect_instruction_error(
            &[unsigned],
            &[],
            anchor_error(ErrorCode::ConstraintSigner),
            &[book, model],
        )
        .await;
    let impostor = ledger.wallet().await;
    let signed_by_another = Instruction {
        program_id: model_ledger::ID,
        accounts: vec![AccountMeta::new_readonly(impostor.pubkey(), true)],
        data: forged.encode(),
    };
    ledger
        .expect_instruction_error(
            &[signed_by_another],
            &[&impostor],
            anchor_error(ErrorCode::ConstraintSeeds),
            &[book, model],
        )
        .await;
    // What the index holds still agrees with the chain.
    ledger.assert_index_agrees().await;
}

/// Closing and revival: a closed record is handed to the system program with
/// no data, so lamports sent back to its address (in the same transaction or
/// later) revive no contribution: every instruction refuses the address,
/// and the index is never handed out again.
#[tokio::test]
async fn a_closed_record_cannot_be_revived() {
    let (ledger, authority, model, (contributor, index)) = TestLedger::with_proposal().await;
    ledger
        .client
        .reject_contribution(&authority, &model, index)
        .await
        .unwrap();
    let record = pda::contribution(&model, index).0;
    let refund = ledger.account(&record).await.unwrap().lamports;
    let close = ix::close_contribution(&contributor.pubkey(), &model, index);
    let revive = anchor_lang::solana_program::system_instruction::transfer(
        &contributor.pubkey(),
        &record,
        refund,
    );
    let use_it = ix::set_payout_wallet(&contributor.pubkey(), &record, Pubkey::new_unique());
    // Closed, revived and used in one transaction: all of it is refused.
    ledger
        .expect_instruction_error(
            &[close.clone(), revive.clone(), use_it.clone()],
            &[&contributor],
            anchor_error(ErrorCode::AccountOwnedByWrongProgram),
            &[record, contributor.pubkey()],
        )
        .await;
    // Closed and revived: the address holds lamports and nothing else.
    ledger
        .client
        .send(&[close, revive], &[&contributor])
        .await
        .unwrap();
    let revived = ledger.account(&record).await.unwrap();
    assert_eq!(
        (revived.owner, revived.data.len(), revived.lamports),
        (anchor_lang::solana_program::system_program::ID, 0, refund)
    );
    for (instruction, signer) in [
        (use_it, &contributor),
        (
            ix::accept_contribution(&authority.pubkey(), &model, index, 5),
            &authority,
        ),
        (
            ix::close_contribution(&contributor.pubkey(), &model, index),
            &contributor,
        ),
    ] {
        ledger
            .expect_instruction_error(
                &[instruction],
                &[signer],
                anchor_error(ErrorCode::AccountOwnedByWrongProgram),
                &[record, pda::royalty_book(&model).0],
            )
            .await;
    }
    // Its index is not offered again.
    let reproposal = ix::propose_contribution(
        &contributor.pubkey(),
        &model,
        index,
        model_ledger_tests::contribution_args(),
    );
    ledger
        .expect_ledger_error(
            &[reproposal],
            &[&contributor],
            LedgerError::ContributionIndexMismatch,
            &[record, pda::royalty_book(&model).0],
        )
        .await;
    ledger.assert_index_agrees().await;
}

/// A mint's freeze authority can freeze a model's vault (a trust the README
/// states and `model register` names): payments and claims are then refused
/// by the token program, nothing is booked, and once thawed everything
/// resumes with every unit accounted for.
#[tokio::test]
async fn a_frozen_vault_stops_payments_and_claims_without_losing_a_unit() {
    let ledger = TestLedger::start().await;
    let freezer = ledger.payer().insecure_clone();
    let mint = ledger
        .create_legacy_mint_frozen_by(Some(&freezer.pubkey()))
        .await;
    let authority = ledger.wallet().await;
    let (model, _) = ledger
        .client
        .register_model(&authority, &mint, model_args(1))
        .await
        .unwrap();
    let market = ledger
        .open_market(authority, model, &[1], commercial_terms())
        .await;
    ledger.record(&market, 0, 2, vec![]).await.unwrap();
    let vault = pda::vault(&model).0;
    let token = anchor_spl::token::spl_token::instruction::freeze_account(
        &anchor_spl::token::ID,
        &vault,
        &mint,
        &freezer.pubkey(),
        &[],
    )
    .unwrap();
    ledger.client.send(&[token], &[&freezer]).await.unwrap();

    let frozen = InstructionError::Custom(TokenError::AccountFrozen as u32);
    ledger
        .expect_instruction_error(
            &[batch_at(&ledger, &market, 1).await],
            &[&market.licensee],
            frozen.clone(),
            &ledger.money_accounts(&market),
        )
        .await;
    let (contributor, index, _) = &market.contributors[0];
    let destination = ledger.token_account(&contributor.pubkey(), &mint).await;
    let claim = ix::claim(
        &contributor.pubkey(),
        &market.accounts(&mint),
        *index,
        &destination,
    );
    ledger
        .expect_instruction_error(
            std::slice::from_ref(&claim),
            &[contributor],
            frozen,
            &[
                vault,
                destination,
                pda::royalty_book(&model).0,
                pda::contribution(&model, *index).0,
            ],
        )
        .await;

    let thaw = anchor_spl::token::spl_token::instruction::thaw_account(
        &anchor_spl::token::ID,
        &vault,
        &mint,
        &freezer.pubkey(),
        &[],
    )
    .unwrap();
    ledger.client.send(&[thaw], &[&freezer]).await.unwrap();
    ledger.record(&market, 1, 3, vec![]).await.unwrap();
    ledger.client.send(&[claim], &[contributor]).await.unwrap();
    assert!(ledger.balance(&destination).await > 0);
    ledger.assert_conserved(&model).await;
    ledger.assert_index_agrees().await;
}

async fn batch_at(
    ledger: &TestLedger,
    market: &Market,
    seq: u64,
) -> solana_sdk::instruction::Instruction {
    let mut instruction = batch(ledger, market, 1).await;
    let args = model_ledger::instruction::RecordInference {
        args: model_ledger_sdk::instructions::RecordInferenceArgs {
            seq,
            calls: 1,
            merkle_root: [1; 32],
            attribution: vec![],
        },
    };
    instruction.data = anchor_lang::InstructionData::data(&args);
    instruction
}
