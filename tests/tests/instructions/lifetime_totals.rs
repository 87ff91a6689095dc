//! Lifetime totals are u128: a cheap high-supply token can move more than
//! 2^64 base units through a busy model, and a u64 total would then refuse
//! every later payment for good.

use model_ledger::{instructions::UpdateConfigArgs, state::LicenseTerms};
use model_ledger_tests::{commercial_terms, pda, TestLedger};
use solana_sdk::signer::Signer;

#[tokio::test]
async fn lifetime_totals_pass_two_to_the_64_without_refusing_a_payment() {
    let ledger = TestLedger::start().await;
    // No protocol fee: every token a batch pays is claimed back whole and paid again.
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
    let half = 1u64 << 63;
    let terms = LicenseTerms {
        upfront_fee: 0,
        price_per_call: half / 2,
        ..commercial_terms()
    };
    let market = ledger.market(1, &[1], terms).await;
    ledger
        .mint_to(&ledger.mint, &market.licensee_token, half)
        .await;
    let (contributor, index, _) = &market.contributors[0];
    let payout = ledger
        .token_account(&contributor.pubkey(), &ledger.mint)
        .await;

    for seq in 0..3 {
        ledger.record(&market, seq, 2, vec![]).await.unwrap();
        ledger
            .client
            .claim(contributor, &market.model, *index, &payout)
            .await
            .unwrap();
        assert_eq!(ledger.balance(&payout).await, half, "cycle {seq}");
        let give_back = anchor_spl::token::spl_token::instruction::transfer(
            &anchor_spl::token::ID,
            &payout,
            &market.licensee_token,
            &contributor.pubkey(),
            &[],
            half,
        )
        .unwrap();
        ledger
            .client
            .send(&[give_back], &[contributor])
            .await
            .unwrap();
    }

    let through = 3 * u128::from(half);
    assert!(through > 1u128 << 64);
    let book = ledger.client.royalty_book(&market.model).await.unwrap();
    assert_eq!(
        (book.total_received(), book.total_paid_out()),
        (through, through)
    );
    let entry = ledger
        .client
        .book_entry(&market.model, *index)
        .await
        .unwrap();
    assert_eq!(entry.claimed_total(), through);
    assert_eq!(
        ledger.client.grant(&market.grant).await.unwrap().total_paid,
        through
    );
    assert_eq!(ledger.balance(&pda::vault(&market.model).0).await, 0);
    ledger.assert_conserved(&market.model).await;
}
