//! The three unfair roundings an audit proved on the program before the
//! royalty book redesign (commit 4729c8d), each replayed with its exact
//! figures: batching, or the order of batches, or a revocation must not
//! move money to the wrong people.

use model_ledger::{
    instructions::UpdateConfigArgs, math::royalty::MAX_TOTAL_SHARES, state::LicenseTerms,
};
use model_ledger_sdk::instructions::RegisterModelArgs;
use model_ledger_tests::{attribution, commercial_terms, model_args, Market, TestLedger};
use solana_sdk::{signature::Keypair, signer::Signer};

fn priced(price_per_call: u64) -> LicenseTerms {
    LicenseTerms {
        upfront_fee: 0,
        price_per_call,
        ..commercial_terms()
    }
}

/// What each contribution of `market` can claim now.
async fn claimable(ledger: &TestLedger, market: &Market) -> Vec<u64> {
    let mut amounts = Vec::new();
    for (contributor, _, _) in &market.contributors {
        let earnings = ledger
            .client
            .earnings(&contributor.pubkey(), &[market.model])
            .await
            .unwrap();
        amounts.push(earnings[0].claimable);
    }
    amounts
}

/// Each contribution claims; returns what reached its wallet.
async fn claim_all(
    ledger: &TestLedger,
    market: &Market,
    contributors: &[(&Keypair, u32)],
) -> Vec<u64> {
    let mut claimed = Vec::new();
    for (contributor, index) in contributors {
        let destination = ledger
            .token_account(&contributor.pubkey(), &ledger.mint)
            .await;
        ledger
            .client
            .claim(*contributor, &market.model, *index, &destination)
            .await
            .unwrap();
        claimed.push(ledger.balance(&destination).await);
    }
    claimed
}

/// Before: twenty 1-call batches at price 9, under a 10 % parent royalty and
/// the 2.5 % protocol fee, paid the parent 0 and the treasury 0, where one
/// 20-call batch paid 18 and 4. Now both pay 18 and 4: the 0.9 and 0.225 of
/// each small batch are carried to the same recipient's next cut.
#[tokio::test]
async fn fee_and_parent_royalty_do_not_depend_on_batch_size() {
    let ledger = TestLedger::start().await;
    let parent = ledger.market(1, &[1], commercial_terms()).await;
    let mut children = Vec::new();
    for seed in [2, 3] {
        let authority = ledger.wallet().await;
        let (child, _) = ledger.derive(&authority, seed, &[parent.model]).await;
        children.push(ledger.open_market(authority, child, &[1], priced(9)).await);
    }

    for seq in 0..20 {
        ledger.record(&children[0], seq, 1, vec![]).await.unwrap();
    }
    ledger.record(&children[1], 0, 20, vec![]).await.unwrap();

    for child in &children {
        let treasury_before = ledger.balance(&parent.treasury_token).await;
        ledger
            .client
            .collect_protocol_fees(&child.model)
            .await
            .unwrap();
        let collected = ledger.balance(&parent.treasury_token).await - treasury_before;
        assert_eq!(collected, 4, "2.5 % of 180 (was 0 in 1-call batches)");
        let book = ledger.client.royalty_book(&child.model).await.unwrap();
        assert_eq!(
            book.owed_upstream[0], 18,
            "the parent's 10 % of 180 (was 0 in 1-call batches)"
        );
        assert_eq!(
            book.fee_carry, 5_000,
            "the treasury's half token waits in the vault"
        );
        assert_eq!(book.upstream_carry[0], 0);
        // 180 less 4.5 fee and 18 royalty: 157.5 for the one contribution.
        assert_eq!(claimable(&ledger, child).await, vec![157]);
        ledger.assert_conserved(&child.model).await;
    }
}

/// Before: ten batches attributing contributions 0, 1 and 2 equally (2
/// tokens each), then one naming 3 (20 tokens), gave [0, 0, 0, 40]: each
/// small batch's undivided remainder waited for the next batch, whoever it
/// named. Now each batch's attributed part goes to the entries it names,
/// exactly: [6⅔, 6⅔, 6⅔, 20], claimed as [6, 6, 6, 20] with the thirds kept.
#[tokio::test]
async fn an_attribution_remainder_stays_with_the_batch_that_named_it() {
    let ledger = TestLedger::start().await;
    ledger
        .client
        .update_config(
            &ledger.admin,
            UpdateConfigArgs {
                protocol_fee_bps: Some(0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let authority = ledger.wallet().await;
    let args = RegisterModelArgs {
        attribution_bps: 10_000,
        ..model_args(4)
    };
    let (model, _) = ledger
        .client
        .register_model(&authority, &ledger.mint, args)
        .await
        .unwrap();
    let market = ledger
        .open_market(authority, model, &[1, 1, 1, 1], priced(2))
        .await;

    for seq in 0..10 {
        ledger
            .record(&market, seq, 1, attribution(&[(0, 1), (1, 1), (2, 1)]))
            .await
            .unwrap();
    }
    ledger
        .record(&market, 10, 10, attribution(&[(3, 1)]))
        .await
        .unwrap();

    assert_eq!(
        claimable(&ledger, &market).await,
        vec![6, 6, 6, 20],
        "was [0, 0, 0, 40]"
    );
    let contributors: Vec<(&Keypair, u32)> = market
        .contributors
        .iter()
        .map(|(keypair, index, _)| (keypair, *index))
        .collect();
    assert_eq!(
        claim_all(&ledger, &market, &contributors).await,
        vec![6, 6, 6, 20]
    );
    let book = ledger.client.royalty_book(&market.model).await.unwrap();
    for index in 0..3 {
        let entry = ledger
            .client
            .book_entry(&market.model, index)
            .await
            .unwrap();
        let left = u128::from_le_bytes(entry.accrued_scaled);
        assert!(
            (666_666_666_660..=666_666_666_670).contains(&left),
            "entry {index} keeps two thirds of a token, not more: {left}"
        );
    }
    assert_eq!(book.total_paid_out(), 38);
    ledger.assert_conserved(&market.model).await;
}

/// Before: with total shares ≥ payment × 10^12 a payment sat in the shares
/// carry; a revoked contribution that had earned 975 claimed 0 and a
/// newcomer claimed 1 950. Now shares are capped (a model holds at most
/// 10^9; `accept_contribution::shares_above_the_model_cap_are_refused`), so
/// every payment moves the accumulator: at the cap, the revoked
/// contribution claims its 975, the newcomer only what came after it.
#[tokio::test]
async fn a_revoked_contribution_claims_what_it_earned_at_the_share_cap() {
    let ledger = TestLedger::start().await;
    let half = MAX_TOTAL_SHARES / 2;
    let market = ledger.market(5, &[half, half], priced(2_000)).await;

    // 2 000 less the 2.5 % fee: 1 950 over two equal holders.
    ledger.record(&market, 0, 1, vec![]).await.unwrap();
    let (revoked, _, _) = &market.contributors[0];
    let (stayed, _, _) = &market.contributors[1];
    ledger
        .client
        .revoke_contribution(&market.authority, &market.model, 0)
        .await
        .unwrap();
    let (newcomer, newcomer_index) = ledger.propose(&market.model).await;
    ledger
        .client
        .accept_contribution(&market.authority, &market.model, newcomer_index, half)
        .await
        .unwrap();
    ledger.record(&market, 1, 1, vec![]).await.unwrap();

    let claimed = claim_all(
        &ledger,
        &market,
        &[(revoked, 0), (stayed, 1), (&newcomer, newcomer_index)],
    )
    .await;
    assert_eq!(
        claimed,
        vec![975, 1_950, 975],
        "was [0, …, 1 950] for the revoked and the newcomer"
    );
    ledger.assert_conserved(&market.model).await;
}
