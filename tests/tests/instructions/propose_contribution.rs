use anchor_lang::{error::ErrorCode, Space};
use model_ledger::{
    constants::DISCRIMINATOR_LEN,
    errors::LedgerError,
    state::{Contribution, ContributionKind, ContributionStatus, RoyaltyBook, MAX_CONTRIBUTIONS},
};
use model_ledger_sdk::events::LedgerEvent;
use model_ledger_tests::{
    anchor_error, contribution_args, ix, only_event, pda, with_extra_account, TestLedger,
};
use solana_sdk::signer::Signer;

#[tokio::test]
async fn records_an_immutable_proposal_under_the_next_index() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let contributor = ledger.wallet().await;
    for expected_index in 0..3u32 {
        let mut args = contribution_args();
        args.kind = ContributionKind::FineTune;
        args.content_hash = [expected_index as u8 + 1; 32];
        let (index, outcome) = ledger
            .client
            .propose_contribution(&contributor, &model, args.clone())
            .await
            .unwrap();
        assert_eq!(index, expected_index);

        let address = pda::contribution(&model, index).0;
        let record = ledger.client.contribution(&address).await.unwrap();
        assert_eq!(record.model, model);
        assert_eq!(record.index, index);
        assert_eq!(record.contributor, contributor.pubkey());
        assert_eq!(record.kind, ContributionKind::FineTune);
        assert_eq!(record.content_hash, args.content_hash);
        assert_eq!(record.uri, args.uri);
        assert_eq!(record.status, ContributionStatus::Proposed);
        assert_eq!(record.shares, 0);
        assert_eq!(record.payout_wallet, contributor.pubkey());

        let LedgerEvent::ContributionProposed(event) = only_event(&outcome) else {
            panic!("wrong event {:?}", outcome.events)
        };
        assert_eq!(event.contribution, address);
        assert_eq!(event.index, index);
        assert_eq!(event.contributor, contributor.pubkey());
        assert_eq!(event.content_hash, args.content_hash);
        assert_eq!(event.slot, record.proposed_slot);
        assert_eq!(event.contribution_count, index + 1);
    }
    assert_eq!(
        ledger.client.next_contribution_index(&model).await.unwrap(),
        3
    );
}

#[tokio::test]
async fn skipping_an_index_is_rejected() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let contributor = ledger.wallet().await;
    let book = pda::royalty_book(&model).0;
    let instruction =
        ix::propose_contribution(&contributor.pubkey(), &model, 5, contribution_args());
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&contributor],
            LedgerError::ContributionIndexMismatch,
            &[book, pda::contribution(&model, 5).0],
        )
        .await;

    // The next index, at another index's address: the seeds refuse it.
    let mut instruction =
        ix::propose_contribution(&contributor.pubkey(), &model, 0, contribution_args());
    instruction.accounts[3].pubkey = pda::contribution(&model, 5).0;
    ledger
        .expect_instruction_error(
            &[instruction],
            &[&contributor],
            anchor_error(ErrorCode::ConstraintSeeds),
            &[book, pda::contribution(&model, 5).0],
        )
        .await;
}

#[tokio::test]
async fn another_models_book_is_refused() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let other = ledger.register_model(&authority, 2).await;
    let contributor = ledger.wallet().await;
    let mut instruction =
        ix::propose_contribution(&contributor.pubkey(), &model, 0, contribution_args());
    instruction.accounts[2].pubkey = pda::royalty_book(&other).0;
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&contributor],
            LedgerError::BookMismatch,
            &[pda::royalty_book(&model).0, pda::royalty_book(&other).0],
        )
        .await;
}

async fn expect_args_rejected(
    mutate: impl FnOnce(&mut model_ledger::instructions::ProposeContributionArgs),
    expected: LedgerError,
) {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let contributor = ledger.wallet().await;
    let mut args = contribution_args();
    mutate(&mut args);
    let instruction = ix::propose_contribution(&contributor.pubkey(), &model, 0, args);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&contributor],
            expected,
            &[model, pda::contribution(&model, 0).0, contributor.pubkey()],
        )
        .await;
}

#[tokio::test]
async fn a_uri_with_a_control_character_is_rejected() {
    for uri in ["ar://\0data", "ar://line\nbreak", "ar://\u{2066}spoof"] {
        expect_args_rejected(|a| a.uri = uri.into(), LedgerError::TextNotPrintable).await;
    }
}

#[tokio::test]
async fn zero_content_hash_is_rejected() {
    expect_args_rejected(
        |a| a.content_hash = [0; 32],
        LedgerError::ContentHashMissing,
    )
    .await;
}

#[tokio::test]
async fn empty_uri_is_rejected() {
    expect_args_rejected(|a| a.uri.clear(), LedgerError::UriEmpty).await;
}

#[tokio::test]
async fn long_uri_is_rejected() {
    expect_args_rejected(|a| a.uri = "u".repeat(201), LedgerError::UriTooLong).await;
}

#[tokio::test]
async fn remaining_accounts_are_rejected() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let contributor = ledger.wallet().await;
    let instruction =
        ix::propose_contribution(&contributor.pubkey(), &model, 0, contribution_args());
    ledger
        .expect_ledger_error(
            &[with_extra_account(instruction)],
            &[&contributor],
            LedgerError::UnexpectedRemainingAccounts,
            &[model, pda::contribution(&model, 0).0],
        )
        .await;
}

#[tokio::test]
async fn prefunded_next_address_does_not_block_proposals() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    ledger
        .airdrop(&pda::contribution(&model, 0).0, 10_000_000)
        .await;
    let (_, index) = ledger.propose(&model).await;
    assert_eq!(index, 0);
    let record = ledger
        .client
        .contribution(&pda::contribution(&model, 0).0)
        .await
        .unwrap();
    assert_eq!(record.status, ContributionStatus::Proposed);
}

/// A book holds one 64-byte entry per index and may not pass 10 MiB: the last
/// index it can hold is proposed, the one after is refused by name.
#[tokio::test]
async fn a_model_is_full_at_its_books_last_entry() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let book = pda::royalty_book(&model).0;
    let last = MAX_CONTRIBUTIONS - 1;
    let mut account = ledger.account(&book).await.unwrap();
    let at = DISCRIMINATOR_LEN + core::mem::offset_of!(RoyaltyBook, contribution_count);
    account.data[at..at + 4].copy_from_slice(&last.to_le_bytes());
    ledger.forge_account(&book, account).await;

    let contributor = ledger.wallet().await;
    let (index, _) = ledger
        .client
        .propose_contribution(&contributor, &model, contribution_args())
        .await
        .unwrap();
    assert_eq!(index, last);
    assert_eq!(
        ledger.client.next_contribution_index(&model).await.unwrap(),
        MAX_CONTRIBUTIONS
    );
    let instruction = ix::propose_contribution(
        &contributor.pubkey(),
        &model,
        MAX_CONTRIBUTIONS,
        contribution_args(),
    );
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&contributor],
            LedgerError::ModelFull,
            &[book, pda::contribution(&model, MAX_CONTRIBUTIONS).0],
        )
        .await;
}

/// The audit's exploit, replayed: 320 proposals by a spammer before an
/// honest one made accepting the honest one cost its model authority the
/// rent of 321 book entries (142 986 240 lamports). Each proposer now pays
/// its own record and book entry; accepting costs the authority its
/// transaction fee alone, however many proposals came first.
#[tokio::test]
async fn proposals_pay_their_own_book_entry_so_spam_never_raises_the_cost_of_accepting() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let book = pda::royalty_book(&model).0;
    let rent = ledger.banks.get_rent().await.unwrap();
    let record_rent = rent.minimum_balance(DISCRIMINATOR_LEN + Contribution::INIT_SPACE);
    let entry_rent = |entries: u32| {
        rent.minimum_balance(RoyaltyBook::space_for(entries))
            - rent.minimum_balance(RoyaltyBook::space_for(entries - 1))
    };

    let spammer = ledger.wallet().await;
    let spammer_before = ledger.account(&spammer.pubkey()).await.unwrap().lamports;
    ledger.propose_many(&model, &spammer, 320).await;
    let spent = spammer_before - ledger.account(&spammer.pubkey()).await.unwrap().lamports;
    let entries: u64 = (1..=320).map(entry_rent).sum();
    assert_eq!(
        spent,
        320 * record_rent + entries,
        "the spammer paid every record and every book entry it took"
    );
    let account = ledger.account(&book).await.unwrap();
    assert_eq!(account.data.len(), RoyaltyBook::space_for(320));
    assert_eq!(
        account.lamports,
        rent.minimum_balance(RoyaltyBook::space_for(320))
    );

    let honest = ledger.wallet().await;
    let (index, _) = ledger
        .client
        .propose_contribution(&honest, &model, contribution_args())
        .await
        .unwrap();
    assert_eq!(index, 320);
    let authority_before = ledger.account(&authority.pubkey()).await.unwrap().lamports;
    let instruction = ix::accept_contribution(&authority.pubkey(), &model, index, 100);
    let blockhash = ledger.banks.get_latest_blockhash().await.unwrap();
    let transaction = solana_sdk::transaction::Transaction::new_signed_with_payer(
        &[instruction],
        Some(&authority.pubkey()),
        &[&authority],
        blockhash,
    );
    ledger.banks.process_transaction(transaction).await.unwrap();
    assert_eq!(
        authority_before - ledger.account(&authority.pubkey()).await.unwrap().lamports,
        5_000,
        "accepting cost the authority one signature's fee and no rent"
    );
    assert_eq!(
        ledger
            .client
            .contribution(&pda::contribution(&model, index).0)
            .await
            .unwrap()
            .status,
        ContributionStatus::Accepted
    );
}

/// A proposal on a book from before proposals paid for their entries (its
/// entries lag behind its proposals) leaves the book as it is: the entry
/// comes with the acceptance, as it did then.
#[tokio::test]
async fn a_book_whose_entries_lag_grows_at_acceptance_as_before() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let contributor = ledger.wallet().await;
    ledger.propose_many(&model, &contributor, 2).await;
    ledger.forget_book_entries(&model).await;
    let (_, index) = ledger.propose(&model).await;
    assert_eq!(index, 2);
    let book = ledger.client.royalty_book(&model).await.unwrap();
    assert_eq!((book.contribution_count, book.entry_count), (3, 0));
    ledger
        .client
        .accept_contribution(&authority, &model, index, 10)
        .await
        .unwrap();
    assert_eq!(
        ledger
            .client
            .royalty_book(&model)
            .await
            .unwrap()
            .entry_count,
        3
    );
}
