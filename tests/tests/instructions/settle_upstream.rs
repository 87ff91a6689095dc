use model_ledger::{errors::LedgerError, instructions::UpdateConfigArgs};
use model_ledger_sdk::{events::LedgerEvent, instructions::ModelAccounts};
use model_ledger_tests::{
    commercial_terms, ix, only_event, pda, substituted, with_extra_account, Market, TestLedger,
};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

/// grandparent ← parent ← child, each selling licence v1 (10 % derivative
/// royalty); the child has a licensee. Returns (grandparent, parent, child market).
async fn three_generations(ledger: &TestLedger) -> (Pubkey, Pubkey, Market) {
    let grandparent = ledger.market(1, &[1], commercial_terms()).await;
    let parent_authority = ledger.wallet().await;
    let (parent, _) = ledger
        .derive(&parent_authority, 2, &[grandparent.model])
        .await;
    let parent_market = ledger
        .open_market(parent_authority, parent, &[1], commercial_terms())
        .await;
    let child_authority = ledger.wallet().await;
    let (child, _) = ledger
        .derive(&child_authority, 3, &[parent_market.model])
        .await;
    let child_market = ledger
        .open_market(child_authority, child, &[1], commercial_terms())
        .await;
    (grandparent.model, parent, child_market)
}

fn accounts(ledger: &TestLedger, model: Pubkey) -> ModelAccounts {
    ModelAccounts {
        model,
        payment_mint: ledger.mint,
        token_program: anchor_spl::token::ID,
    }
}

#[tokio::test]
async fn royalties_flow_up_the_lineage_exactly_once() {
    let ledger = TestLedger::start().await;
    let (grandparent, parent, child) = three_generations(&ledger).await;
    let vault = |model: &Pubkey| pda::vault(model).0;
    for model in [grandparent, parent, child.model] {
        ledger.assert_conserved(&model).await;
    }
    let lineage = ledger.client.lineage(&child.model).await.unwrap();
    let ancestry: Vec<(Pubkey, usize, u16)> = lineage
        .iter()
        .map(|link| (link.link.model, link.depth, link.link.derivative_bps))
        .collect();
    assert_eq!(ancestry, vec![(parent, 1, 1_000), (grandparent, 2, 1_000)]);
    let before = (
        ledger.balance(&vault(&grandparent)).await,
        ledger.balance(&vault(&parent)).await,
        ledger.balance(&vault(&child.model)).await,
    );
    // The child's grant fee (50 000) already owes the parent 5 000; a batch of
    // 10 calls owes it 1 000 more.
    ledger.record(&child, 0, 10, vec![]).await.unwrap();
    let owed = ledger
        .client
        .royalty_book(&child.model)
        .await
        .unwrap()
        .owed_upstream[0];
    assert_eq!(owed, 6_000);
    let treasury = ledger.balance(&child.treasury_token).await;

    let outcome = ledger
        .client
        .settle_upstream(&child.model, &parent)
        .await
        .unwrap();
    let LedgerEvent::UpstreamSettled(event) = only_event(&outcome) else {
        panic!("wrong event {:?}", outcome.events)
    };
    assert_eq!(
        (event.child, event.parent, event.amount),
        (child.model, parent, 6_000)
    );
    assert_eq!(
        event.payment.protocol_fee, 0,
        "no protocol fee on upstream hops"
    );
    assert_eq!(
        event.payment.upstream,
        vec![600],
        "the parent owes its own parent 10 %"
    );
    assert_eq!(ledger.balance(&child.treasury_token).await, treasury);
    assert_eq!(
        ledger.balance(&vault(&child.model)).await,
        before.2 + 10_000 - 6_000
    );
    assert_eq!(ledger.balance(&vault(&parent)).await, before.1 + 6_000);

    let again = ledger
        .client
        .settle_upstream(&child.model, &parent)
        .await
        .unwrap();
    assert_ne!(
        again.signature, outcome.signature,
        "the repeated call is a transaction of its own"
    );
    let LedgerEvent::UpstreamSettled(event) = only_event(&again) else {
        panic!("wrong event")
    };
    assert_eq!(event.amount, 0, "a second settlement moves nothing");
    assert_eq!(ledger.balance(&vault(&parent)).await, before.1 + 6_000);

    let owed_up = ledger
        .client
        .royalty_book(&parent)
        .await
        .unwrap()
        .owed_upstream[0];
    ledger
        .client
        .settle_upstream(&parent, &grandparent)
        .await
        .unwrap();
    assert_eq!(
        ledger.balance(&vault(&grandparent)).await,
        before.0 + owed_up
    );
    for model in [grandparent, parent, child.model] {
        ledger.assert_conserved(&model).await;
    }
}

#[tokio::test]
async fn a_model_that_is_not_a_parent_is_refused() {
    let ledger = TestLedger::start().await;
    let (grandparent, parent, child) = three_generations(&ledger).await;
    let instruction = ix::settle_upstream(&accounts(&ledger, child.model), &grandparent);
    let watched = [
        pda::vault(&child.model).0,
        pda::vault(&grandparent).0,
        pda::royalty_book(&child.model).0,
    ];
    ledger
        .expect_ledger_error(&[instruction], &[], LedgerError::ParentMismatch, &watched)
        .await;
    let _ = parent;
}

#[tokio::test]
async fn paused_protocol_settles_nothing() {
    let ledger = TestLedger::start().await;
    let (_, parent, child) = three_generations(&ledger).await;
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
    let instruction = ix::settle_upstream(&accounts(&ledger, child.model), &parent);
    let watched = [
        pda::vault(&child.model).0,
        pda::vault(&parent).0,
        pda::royalty_book(&child.model).0,
    ];
    ledger
        .expect_ledger_error(&[instruction], &[], LedgerError::ProtocolPaused, &watched)
        .await;
}

#[tokio::test]
async fn substituted_vaults_and_books_are_refused() {
    let ledger = TestLedger::start().await;
    let (grandparent, parent, child) = three_generations(&ledger).await;
    let foreign_mint = ledger.create_legacy_mint().await;
    // (the account, its substitute, the expected error): the child's
    // accounts, then the parent's.
    let cases = [
        (
            pda::royalty_book(&child.model).0,
            pda::royalty_book(&grandparent).0,
            LedgerError::BookMismatch,
        ),
        (
            pda::vault(&child.model).0,
            pda::vault(&grandparent).0,
            LedgerError::VaultMismatch,
        ),
        (
            pda::royalty_book(&parent).0,
            pda::royalty_book(&grandparent).0,
            LedgerError::BookMismatch,
        ),
        (
            pda::vault(&parent).0,
            pda::vault(&grandparent).0,
            LedgerError::VaultMismatch,
        ),
        (ledger.mint, foreign_mint, LedgerError::MintMismatch),
    ];
    for (original, substitute, error) in cases {
        let instruction = substituted(
            ix::settle_upstream(&accounts(&ledger, child.model), &parent),
            &original,
            &substitute,
        );
        let watched = [
            pda::vault(&child.model).0,
            pda::vault(&parent).0,
            pda::vault(&grandparent).0,
            pda::royalty_book(&child.model).0,
            pda::royalty_book(&parent).0,
        ];
        ledger
            .expect_ledger_error(&[instruction], &[], error, &watched)
            .await;
    }
}

#[tokio::test]
async fn payments_above_a_whole_after_a_fee_rise_are_refused() {
    let ledger = TestLedger::start().await;
    let (_, _, child) = three_generations(&ledger).await;
    // Parent royalty 10 % + a fee raised to 95 % exceeds 100 %.
    ledger
        .client
        .update_config(
            &ledger.admin,
            UpdateConfigArgs {
                protocol_fee_bps: Some(9_500),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let instruction = ledger
        .client
        .record_inference_instruction(
            &child.licensee.pubkey(),
            &child.grant,
            &child.licensee_token,
            model_ledger_sdk::instructions::RecordInferenceArgs {
                seq: 0,
                calls: 1,
                merkle_root: [0; 32],
                attribution: vec![],
            },
        )
        .await
        .unwrap();
    let watched = ledger.money_accounts(&child);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&child.licensee],
            LedgerError::FeesExceedWhole,
            &watched,
        )
        .await;
}

#[tokio::test]
async fn remaining_accounts_are_refused() {
    let ledger = TestLedger::start().await;
    let (_, parent, child) = three_generations(&ledger).await;
    let instruction = ix::settle_upstream(&accounts(&ledger, child.model), &parent);
    ledger
        .expect_ledger_error(
            &[with_extra_account(instruction)],
            &[],
            LedgerError::UnexpectedRemainingAccounts,
            &[pda::vault(&child.model).0],
        )
        .await;
}
