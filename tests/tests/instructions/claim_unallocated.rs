use model_ledger::errors::LedgerError;
use model_ledger_sdk::{events::LedgerEvent, instructions::ModelAccounts};
use model_ledger_tests::{
    commercial_terms, ix, only_event, pda, substituted, with_extra_account, TestLedger,
};
use solana_sdk::signer::Signer;

#[tokio::test]
async fn authority_withdraws_what_arrived_before_any_shares() {
    let ledger = TestLedger::start().await;
    // No contributions: the whole shares part of the grant fee is unallocated.
    let market = ledger.market(1, &[], commercial_terms()).await;
    let destination = ledger
        .token_account(&market.authority.pubkey(), &ledger.mint)
        .await;
    let outcome = ledger
        .client
        .claim_unallocated(&market.authority, &market.model, &destination)
        .await
        .unwrap();
    assert_eq!(ledger.balance(&destination).await, 48_750);
    assert_eq!(
        ledger.balance(&pda::vault(&market.model).0).await,
        1_250,
        "what is left is the treasury's fee"
    );
    let LedgerEvent::UnallocatedClaimed(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(event.amount, 48_750);
    ledger.assert_conserved(&market.model).await;

    let again = ledger
        .client
        .claim_unallocated(&market.authority, &market.model, &destination)
        .await
        .unwrap();
    assert_ne!(
        again.signature, outcome.signature,
        "the repeated call is a transaction of its own"
    );
    let LedgerEvent::UnallocatedClaimed(event) = only_event(&again) else {
        panic!("wrong event")
    };
    assert_eq!(event.amount, 0);
    assert_eq!(ledger.balance(&destination).await, 48_750);
}

#[tokio::test]
async fn only_the_authority_withdraws() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[], commercial_terms()).await;
    let thief = &market.licensee;
    let destination = market.licensee_token;
    let accounts = ModelAccounts {
        model: market.model,
        payment_mint: ledger.mint,
        token_program: anchor_spl::token::ID,
    };
    let instruction = ix::claim_unallocated(&thief.pubkey(), &accounts, &destination);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[thief],
            LedgerError::NotModelAuthority,
            &[
                pda::vault(&market.model).0,
                pda::royalty_book(&market.model).0,
                destination,
            ],
        )
        .await;
}

#[tokio::test]
async fn remaining_accounts_are_refused() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[], commercial_terms()).await;
    let destination = ledger
        .token_account(&market.authority.pubkey(), &ledger.mint)
        .await;
    let accounts = market.accounts(&ledger.mint);
    let instruction = ix::claim_unallocated(&market.authority.pubkey(), &accounts, &destination);
    ledger
        .expect_ledger_error(
            &[with_extra_account(instruction)],
            &[&market.authority],
            LedgerError::UnexpectedRemainingAccounts,
            &[pda::vault(&market.model).0, destination],
        )
        .await;
}

#[tokio::test]
async fn another_models_book_vault_or_mint_is_refused() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[], commercial_terms()).await;
    let other = ledger.market(2, &[], commercial_terms()).await;
    let foreign_mint = ledger.create_legacy_mint().await;
    let destination = ledger
        .token_account(&market.authority.pubkey(), &ledger.mint)
        .await;
    let foreign_destination = ledger
        .token_account(&market.authority.pubkey(), &foreign_mint)
        .await;
    let cases = [
        (
            pda::royalty_book(&market.model).0,
            pda::royalty_book(&other.model).0,
            LedgerError::BookMismatch,
        ),
        (
            pda::vault(&market.model).0,
            pda::vault(&other.model).0,
            LedgerError::VaultMismatch,
        ),
        (ledger.mint, foreign_mint, LedgerError::MintMismatch),
        (destination, foreign_destination, LedgerError::MintMismatch),
    ];
    for (original, substitute, error) in cases {
        let instruction = ix::claim_unallocated(
            &market.authority.pubkey(),
            &market.accounts(&ledger.mint),
            &destination,
        );
        ledger
            .expect_ledger_error(
                &[substituted(instruction, &original, &substitute)],
                &[&market.authority],
                error,
                &[
                    pda::vault(&market.model).0,
                    pda::vault(&other.model).0,
                    pda::royalty_book(&market.model).0,
                    pda::royalty_book(&other.model).0,
                    destination,
                    foreign_destination,
                ],
            )
            .await;
    }
}

/// The pause stops money coming in, never an authority taking out what is
/// unallocated.
#[tokio::test]
async fn the_pause_does_not_block_it() {
    let ledger = TestLedger::start().await;
    let market = ledger.market(1, &[], commercial_terms()).await;
    ledger.pause(true).await;
    let destination = ledger
        .token_account(&market.authority.pubkey(), &ledger.mint)
        .await;
    ledger
        .client
        .claim_unallocated(&market.authority, &market.model, &destination)
        .await
        .unwrap();
    assert_eq!(ledger.balance(&destination).await, 48_750);
}
