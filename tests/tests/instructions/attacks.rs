//! One regression test per attack class an audit listed: each asserts the
//! named error and that nothing moved. Substituted vault, book, mint and
//! token accounts are covered per instruction, in each instruction's file.

use anchor_lang::error::ErrorCode;
use model_ledger::{errors::LedgerError, state::LicenseTerms};
use model_ledger_sdk::instructions::{register_derived_model, ParentGrant};
use model_ledger_tests::{anchor_error, commercial_terms, ix, model_args, pda, Market, TestLedger};
use solana_sdk::{account::Account, instruction::InstructionError, pubkey::Pubkey, signer::Signer};

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
