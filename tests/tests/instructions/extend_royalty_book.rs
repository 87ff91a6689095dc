use model_ledger::{errors::LedgerError, state::RoyaltyBook};
use model_ledger_sdk::{
    client::{Delivered, LedgerConnection},
    events::LedgerEvent,
};
use model_ledger_tests::{ix, only_event, pda, with_extra_account, TestLedger};
use solana_sdk::signer::Signer;

#[tokio::test]
async fn adds_room_paid_by_the_authority() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let book = pda::royalty_book(&model).0;
    let lamports_before = ledger.account(&authority.pubkey()).await.unwrap().lamports;
    let outcome = ledger
        .client
        .send(
            &[ix::extend_royalty_book(&authority.pubkey(), &model, 160)],
            &[&authority],
        )
        .await
        .unwrap();
    let account = ledger.account(&book).await.unwrap();
    assert_eq!(account.data.len(), RoyaltyBook::space_for(160));
    let rent = ledger.banks.get_rent().await.unwrap();
    assert_eq!(
        account.lamports,
        rent.minimum_balance(RoyaltyBook::space_for(160))
    );
    assert!(ledger.account(&authority.pubkey()).await.unwrap().lamports < lamports_before);
    let LedgerEvent::RoyaltyBookExtended(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(event.entry_count, 160);
}

#[tokio::test]
async fn growth_beyond_one_instruction_is_refused() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let book = pda::royalty_book(&model).0;
    for additional in [0, 161] {
        let instruction = ix::extend_royalty_book(&authority.pubkey(), &model, additional);
        ledger
            .expect_ledger_error(
                &[instruction],
                &[&authority],
                LedgerError::BookGrowthTooLarge,
                &[book],
            )
            .await;
    }
    // A book from before proposals paid for their entries: accepting index
    // 169 into it needs 170 entries at once.
    let contributor = ledger.wallet().await;
    ledger.propose_many(&model, &contributor, 170).await;
    ledger.forget_book_entries(&model).await;
    let instruction = ix::accept_contribution(&authority.pubkey(), &model, 169, 1);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&authority],
            LedgerError::BookGrowthTooLarge,
            &[book, pda::contribution(&model, 169).0],
        )
        .await;
    // The SDK extends first, then accepts.
    ledger
        .client
        .accept_contribution(&authority, &model, 169, 1)
        .await
        .unwrap();
    assert_eq!(
        ledger
            .client
            .royalty_book(&model)
            .await
            .unwrap()
            .entry_count,
        170
    );
}

#[tokio::test]
async fn only_the_authority_extends() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let stranger = ledger.wallet().await;
    let instruction = ix::extend_royalty_book(&stranger.pubkey(), &model, 1);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&stranger],
            LedgerError::NotModelAuthority,
            &[pda::royalty_book(&model).0],
        )
        .await;
}

#[tokio::test]
async fn remaining_accounts_are_refused() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let instruction = ix::extend_royalty_book(&authority.pubkey(), &model, 1);
    ledger
        .expect_ledger_error(
            &[with_extra_account(instruction)],
            &[&authority],
            LedgerError::UnexpectedRemainingAccounts,
            &[pda::royalty_book(&model).0],
        )
        .await;
}

/// Signed offline (`--sign-only`), an acceptance far beyond the end of a
/// book from before proposals paid for their entries still carries its
/// extension: each transaction is handed back signed, in order, nothing runs
/// until they are submitted, and then both land.
#[tokio::test]
async fn an_acceptance_signed_offline_carries_its_extension() {
    let mut ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let contributor = ledger.wallet().await;
    ledger.propose_many(&model, &contributor, 170).await;
    ledger.forget_book_entries(&model).await;
    let transactions = ledger
        .client
        .accept_contribution_transactions(&authority.pubkey(), &model, 169, 1)
        .await
        .unwrap();
    assert_eq!(transactions.len(), 2, "one extension, then the acceptance");
    ledger.client.signing.sign_only = true;
    let delivered = ledger
        .client
        .deliver_all(&transactions, &[&authority])
        .await
        .unwrap();
    ledger.client.signing.sign_only = false;
    let signed: Vec<_> = delivered
        .into_iter()
        .map(|delivered| match delivered {
            Delivered::Signed(signed) => signed,
            Delivered::Landed(_) => panic!("a sign-only transaction was sent"),
        })
        .collect();
    assert!(signed
        .iter()
        .all(|signed| signed.missing_signers.is_empty()));
    assert_eq!(
        ledger
            .client
            .royalty_book(&model)
            .await
            .unwrap()
            .entry_count,
        0,
        "nothing runs before submission"
    );
    for signed in &signed {
        ledger
            .client
            .connection
            .send_transaction(&signed.transaction)
            .await
            .unwrap();
    }
    assert_eq!(
        ledger
            .client
            .royalty_book(&model)
            .await
            .unwrap()
            .entry_count,
        170
    );
    let contribution = ledger
        .client
        .contribution(&pda::contribution(&model, 169).0)
        .await
        .unwrap();
    assert_eq!(contribution.shares, 1);
}
