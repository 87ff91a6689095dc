//! `set_proposal_policy`, `allow_proposer`, `disallow_proposer`, and what
//! each policy lets `propose_contribution` do: a model authority chooses who
//! may propose (anyone, the wallets it allows, or itself alone).

use model_ledger::{
    errors::LedgerError,
    state::{ProposalPolicy, ProposerPermit},
};
use model_ledger_sdk::events::LedgerEvent;
use model_ledger_tests::{contribution_args, ix, only_event, pda, with_extra_account, TestLedger};
use solana_sdk::{pubkey::Pubkey, signature::Keypair, signer::Signer};

async fn set_policy(
    ledger: &TestLedger,
    authority: &Keypair,
    model: &Pubkey,
    policy: ProposalPolicy,
) {
    let instruction = ix::set_proposal_policy(&authority.pubkey(), model, policy);
    ledger
        .client
        .send(&[instruction], &[authority])
        .await
        .unwrap();
}

fn proposal(
    contributor: &Keypair,
    model: &Pubkey,
    index: u32,
) -> solana_sdk::instruction::Instruction {
    ix::propose_contribution(&contributor.pubkey(), model, index, contribution_args())
}

#[tokio::test]
async fn the_authority_sets_the_policy_and_the_event_says_what_it_was() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let book = ledger.client.royalty_book(&model).await.unwrap();
    assert_eq!(
        book.proposal_policy,
        ProposalPolicy::Open.byte(),
        "open by default"
    );
    for (previous, policy) in [
        (ProposalPolicy::Open, ProposalPolicy::Closed),
        (ProposalPolicy::Closed, ProposalPolicy::AllowListed),
    ] {
        let instruction = ix::set_proposal_policy(&authority.pubkey(), &model, policy);
        let outcome = ledger
            .client
            .send(&[instruction], &[&authority])
            .await
            .unwrap();
        let LedgerEvent::ProposalPolicySet(event) = only_event(&outcome) else {
            panic!("{:?}", outcome.events)
        };
        assert_eq!(
            (event.model, event.previous_policy, event.policy),
            (model, previous, policy)
        );
        let book = ledger.client.royalty_book(&model).await.unwrap();
        assert_eq!(book.proposal_policy, policy.byte());
    }
}

#[tokio::test]
async fn only_the_authority_sets_the_policy_on_its_own_book() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let stranger = ledger.wallet().await;
    let book = pda::royalty_book(&model).0;
    let instruction = ix::set_proposal_policy(&stranger.pubkey(), &model, ProposalPolicy::Closed);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&stranger],
            LedgerError::NotModelAuthority,
            &[book],
        )
        .await;
    let other = ledger.register_model(&authority, 2).await;
    let mut instruction =
        ix::set_proposal_policy(&authority.pubkey(), &model, ProposalPolicy::Closed);
    instruction.accounts[2].pubkey = pda::royalty_book(&other).0;
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&authority],
            LedgerError::BookMismatch,
            &[book, pda::royalty_book(&other).0],
        )
        .await;
    let instruction = ix::set_proposal_policy(&authority.pubkey(), &model, ProposalPolicy::Closed);
    ledger
        .expect_ledger_error(
            &[with_extra_account(instruction)],
            &[&authority],
            LedgerError::UnexpectedRemainingAccounts,
            &[book],
        )
        .await;
}

/// Closed: only the authority proposes; anyone else is refused by name,
/// with nothing created and no index taken.
#[tokio::test]
async fn a_closed_model_takes_proposals_from_its_authority_alone() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    set_policy(&ledger, &authority, &model, ProposalPolicy::Closed).await;
    let stranger = ledger.wallet().await;
    ledger
        .expect_ledger_error(
            &[proposal(&stranger, &model, 0)],
            &[&stranger],
            LedgerError::ProposalsClosed,
            &[
                pda::royalty_book(&model).0,
                pda::contribution(&model, 0).0,
                stranger.pubkey(),
            ],
        )
        .await;
    let (index, _) = ledger
        .client
        .propose_contribution(&authority, &model, contribution_args())
        .await
        .unwrap();
    assert_eq!(index, 0);
}

/// Allow-listed: a wallet with the model's permit proposes, one without is
/// refused, a permit of another model or wallet does not count, and a
/// withdrawn permit no longer does.
#[tokio::test]
async fn an_allow_listed_model_takes_proposals_from_permitted_wallets() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    set_policy(&ledger, &authority, &model, ProposalPolicy::AllowListed).await;
    let allowed = ledger.wallet().await;
    let refused = ledger.wallet().await;
    let outcome = ledger
        .client
        .send(
            &[ix::allow_proposer(
                &authority.pubkey(),
                &model,
                &allowed.pubkey(),
            )],
            &[&authority],
        )
        .await
        .unwrap();
    let permit = pda::proposer_permit(&model, &allowed.pubkey()).0;
    let LedgerEvent::ProposerAllowed(event) = only_event(&outcome) else {
        panic!("{:?}", outcome.events)
    };
    assert_eq!(
        (event.model, event.wallet, event.permit),
        (model, allowed.pubkey(), permit)
    );
    let record: ProposerPermit =
        model_ledger_sdk::accounts::decode(&permit, &ledger.account(&permit).await.unwrap())
            .unwrap();
    assert_eq!((record.model, record.wallet), (model, allowed.pubkey()));

    let watched = [pda::royalty_book(&model).0, pda::contribution(&model, 0).0];
    ledger
        .expect_ledger_error(
            &[proposal(&refused, &model, 0)],
            &[&refused],
            LedgerError::ProposerNotAllowed,
            &watched,
        )
        .await;
    // Another wallet's permit, passed in its place, does not count.
    let mut borrowed = proposal(&refused, &model, 0);
    borrowed.accounts[4].pubkey = permit;
    ledger
        .expect_ledger_error(
            &[borrowed],
            &[&refused],
            LedgerError::ProposerNotAllowed,
            &watched,
        )
        .await;
    ledger
        .client
        .propose_contribution(&allowed, &model, contribution_args())
        .await
        .unwrap();
    ledger
        .client
        .propose_contribution(&authority, &model, contribution_args())
        .await
        .unwrap();

    let outcome = ledger
        .client
        .send(
            &[ix::disallow_proposer(
                &authority.pubkey(),
                &model,
                &allowed.pubkey(),
            )],
            &[&authority],
        )
        .await
        .unwrap();
    let LedgerEvent::ProposerDisallowed(event) = only_event(&outcome) else {
        panic!("{:?}", outcome.events)
    };
    assert_eq!(
        (event.model, event.wallet, event.permit),
        (model, allowed.pubkey(), permit)
    );
    assert!(
        ledger.account(&permit).await.is_none(),
        "the permit is closed"
    );
    ledger
        .expect_ledger_error(
            &[proposal(&allowed, &model, 2)],
            &[&allowed],
            LedgerError::ProposerNotAllowed,
            &[pda::royalty_book(&model).0],
        )
        .await;
    set_policy(&ledger, &authority, &model, ProposalPolicy::Open).await;
    ledger
        .client
        .propose_contribution(&refused, &model, contribution_args())
        .await
        .unwrap();
}

#[tokio::test]
async fn only_the_authority_allows_once_and_pays_and_takes_the_rent_back() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let wallet = Pubkey::new_unique();
    let permit = pda::proposer_permit(&model, &wallet).0;
    let stranger = ledger.wallet().await;
    ledger
        .expect_ledger_error(
            &[ix::allow_proposer(&stranger.pubkey(), &model, &wallet)],
            &[&stranger],
            LedgerError::NotModelAuthority,
            &[permit],
        )
        .await;
    let before = ledger.account(&authority.pubkey()).await.unwrap().lamports;
    ledger
        .client
        .send(
            &[ix::allow_proposer(&authority.pubkey(), &model, &wallet)],
            &[&authority],
        )
        .await
        .unwrap();
    let rent = ledger.account(&permit).await.unwrap().lamports;
    assert_eq!(
        before - ledger.account(&authority.pubkey()).await.unwrap().lamports,
        rent
    );
    ledger
        .expect_ledger_error(
            &[ix::allow_proposer(&authority.pubkey(), &model, &wallet)],
            &[&authority],
            LedgerError::AccountAlreadyExists,
            &[permit],
        )
        .await;
    ledger
        .expect_ledger_error(
            &[with_extra_account(ix::allow_proposer(
                &authority.pubkey(),
                &model,
                &Pubkey::new_unique(),
            ))],
            &[&authority],
            LedgerError::UnexpectedRemainingAccounts,
            &[permit],
        )
        .await;
    ledger
        .expect_ledger_error(
            &[ix::disallow_proposer(&stranger.pubkey(), &model, &wallet)],
            &[&stranger],
            LedgerError::NotModelAuthority,
            &[permit],
        )
        .await;
    // A permit of another model.
    let other = ledger.register_model(&authority, 2).await;
    let mut wrong_model = ix::disallow_proposer(&authority.pubkey(), &other, &wallet);
    wrong_model.accounts[2].pubkey = permit;
    ledger
        .expect_ledger_error(
            &[wrong_model],
            &[&authority],
            LedgerError::PermitMismatch,
            &[permit],
        )
        .await;
    ledger
        .expect_ledger_error(
            &[with_extra_account(ix::disallow_proposer(
                &authority.pubkey(),
                &model,
                &wallet,
            ))],
            &[&authority],
            LedgerError::UnexpectedRemainingAccounts,
            &[permit],
        )
        .await;
    let before = ledger.account(&authority.pubkey()).await.unwrap().lamports;
    ledger
        .client
        .send(
            &[ix::disallow_proposer(&authority.pubkey(), &model, &wallet)],
            &[&authority],
        )
        .await
        .unwrap();
    assert_eq!(
        ledger.account(&authority.pubkey()).await.unwrap().lamports - before,
        rent
    );
}

/// Lamports sent to a permit's address before it is created do not block it.
#[tokio::test]
async fn a_prefunded_permit_address_does_not_block_allowing() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    let wallet = Pubkey::new_unique();
    let permit = pda::proposer_permit(&model, &wallet).0;
    ledger.airdrop(&permit, 1_000_000).await;
    ledger
        .client
        .send(
            &[ix::allow_proposer(&authority.pubkey(), &model, &wallet)],
            &[&authority],
        )
        .await
        .unwrap();
    assert_eq!(
        ledger.account(&permit).await.unwrap().owner,
        model_ledger::ID
    );
}
