//! AI uses and use restrictions: what a licence must state, what a
//! derivation needs from its parent's licence, and what a derived model's
//! licences inherit (`publish_license`, `register_model`, `acquire_grant`).

use model_ledger::{
    errors::LedgerError,
    state::{AiTerms, AiUse, LicenseTerms},
};
use model_ledger_sdk::{events::LedgerEvent, instructions::ParentGrant};
use model_ledger_tests::{commercial_terms, ix, model_args, open_ai, pda, TestLedger};
use solana_sdk::{pubkey::Pubkey, signature::Keypair, signer::Signer};

const MILITARY: u64 = 1 << 0;
const WEAPONS: u64 = 1 << 11;
const DOCUMENTS_OWN: u64 = 1 << 40;

fn ai(uses: [AiUse; 4], restrictions: u64, carried: u64) -> AiTerms {
    AiTerms {
        data_mining: uses[0],
        ai_inference: uses[1],
        ai_generative_training: uses[2],
        ai_training: uses[3],
        restrictions,
        carried_restrictions: carried,
    }
}

use AiUse::{Allowed, Constrained, NotAllowed, NotStated};

/// A model with licence v1 of `terms` and `ai`.
async fn licensed(ledger: &TestLedger, seed: u8, ai: AiTerms) -> (Keypair, Pubkey) {
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, seed).await;
    ledger
        .client
        .publish_license(&authority, &model, commercial_terms(), ai)
        .await
        .unwrap();
    (authority, model)
}

/// A model derived from `parents` (each under a grant of its licence v1).
async fn derived(ledger: &TestLedger, seed: u8, parents: &[Pubkey]) -> (Keypair, Pubkey) {
    let authority = ledger.wallet().await;
    let links = ledger.buy_parent_grants(&authority, parents).await;
    let (child, _) = ledger
        .client
        .register_derived_model(&authority, &ledger.mint, model_args(seed), &links)
        .await
        .unwrap();
    (authority, child)
}

async fn refused_licence(
    ledger: &TestLedger,
    authority: &Keypair,
    model: &Pubkey,
    ai: AiTerms,
    error: LedgerError,
) {
    let version = ledger
        .client
        .model(model)
        .await
        .unwrap()
        .next_license_version;
    let instruction =
        ix::publish_license(&authority.pubkey(), model, version, commercial_terms(), ai);
    ledger
        .expect_ledger_error(
            &[instruction],
            &[authority],
            error,
            &[*model, pda::license(model, version).0],
        )
        .await;
}

#[tokio::test]
async fn a_licence_states_every_ai_use_and_imposes_what_it_carries() {
    let ledger = TestLedger::start().await;
    let authority = ledger.wallet().await;
    let model = ledger.register_model(&authority, 1).await;
    for unstated in 0..4 {
        let mut uses = [Allowed; 4];
        uses[unstated] = NotStated;
        refused_licence(
            &ledger,
            &authority,
            &model,
            ai(uses, 0, 0),
            LedgerError::AiUseNotStated,
        )
        .await;
    }
    refused_licence(
        &ledger,
        &authority,
        &model,
        ai([Allowed; 4], MILITARY, MILITARY | WEAPONS),
        LedgerError::CarriedRestrictionNotImposed,
    )
    .await;

    // Stated, it is kept on the licence, copied into each grant, and told
    // in the licence's event.
    let terms = ai(
        [Allowed, Constrained, NotAllowed, Allowed],
        MILITARY | WEAPONS | DOCUMENTS_OWN,
        MILITARY,
    );
    let (version, outcome) = ledger
        .client
        .publish_license(&authority, &model, commercial_terms(), terms)
        .await
        .unwrap();
    let license = pda::license(&model, version).0;
    assert_eq!(ledger.client.license(&license).await.unwrap().ai, terms);
    let [LedgerEvent::LicensePublishedV2(event)] = &outcome.events[..] else {
        panic!("{:?}", outcome.events)
    };
    assert_eq!(
        (event.model, event.license, event.license_version, event.ai),
        (model, license, version, terms)
    );
    let buyer = ledger.wallet().await;
    let [ParentGrant { grant, .. }] = &ledger.buy_parent_grants(&buyer, &[model]).await[..] else {
        panic!("one grant")
    };
    assert_eq!(ledger.client.grant(grant).await.unwrap().ai, terms);
}

/// Deriving a model is training on its parent: a licence that does not
/// allow AI training allows no derivation, whatever else it allows.
#[tokio::test]
async fn no_model_derives_under_a_licence_that_forbids_training() {
    let ledger = TestLedger::start().await;
    let (_, parent) = licensed(
        &ledger,
        1,
        ai([Allowed, Allowed, NotAllowed, NotAllowed], 0, 0),
    )
    .await;
    assert!(
        ledger
            .client
            .license(&pda::license(&parent, 1).0)
            .await
            .unwrap()
            .terms
            .derivatives_allowed,
        "the licence allows derivatives in the old sense"
    );
    let authority = ledger.wallet().await;
    let links = ledger.buy_parent_grants(&authority, &[parent]).await;
    let args = model_args(2);
    let child = pda::model(&authority.pubkey(), &args.model_id).0;
    let instruction = ix::register_derived_model(
        &authority.pubkey(),
        &ledger.mint,
        &anchor_spl::token::ID,
        args,
        &links,
    );
    ledger
        .expect_ledger_error(
            &[instruction],
            &[&authority],
            LedgerError::AiTrainingNotAllowed,
            &[child, pda::vault(&child).0, pda::royalty_book(&child).0],
        )
        .await;

    // Constrained training (under the terms document's conditions) derives.
    let (_, constrained) = licensed(
        &ledger,
        3,
        ai([Allowed, Allowed, Allowed, Constrained], 0, 0),
    )
    .await;
    derived(&ledger, 4, &[constrained]).await;
}

/// A derived model's licences allow no AI use more than its strictest
/// parent's, and impose and carry on every restriction a parent carries,
/// generation after generation.
#[tokio::test]
async fn a_derived_models_licences_keep_what_its_lineage_carries() {
    let ledger = TestLedger::start().await;
    let (_, open) = licensed(&ledger, 1, ai([Allowed; 4], WEAPONS, WEAPONS)).await;
    let (_, strict) = licensed(
        &ledger,
        2,
        ai(
            [Allowed, Constrained, Constrained, Allowed],
            MILITARY | DOCUMENTS_OWN,
            MILITARY,
        ),
    )
    .await;
    let (authority, child) = derived(&ledger, 3, &[open, strict]).await;
    let lineage = ai(
        [Allowed, Constrained, Constrained, Allowed],
        MILITARY | WEAPONS,
        MILITARY | WEAPONS,
    );
    assert_eq!(
        ledger.client.model(&child).await.unwrap().lineage_ai,
        lineage
    );

    // More permissive than a parent on inference, or on generative training.
    for uses in [
        [Allowed, Allowed, Constrained, Allowed],
        [Allowed, Constrained, Allowed, Allowed],
    ] {
        refused_licence(
            &ledger,
            &authority,
            &child,
            ai(uses, MILITARY | WEAPONS, MILITARY | WEAPONS),
            LedgerError::AiUseBeyondLineage,
        )
        .await;
    }
    let within = [Constrained, NotAllowed, Constrained, Allowed];
    // A carried restriction dropped, or imposed but not carried on.
    for (restrictions, carried) in [(MILITARY, MILITARY), (MILITARY | WEAPONS, MILITARY)] {
        refused_licence(
            &ledger,
            &authority,
            &child,
            ai(within, restrictions, carried),
            LedgerError::RestrictionNotCarried,
        )
        .await;
    }
    // The parent's own document codes that it does not carry stay its own.
    let child_terms = ai(within, MILITARY | WEAPONS, MILITARY | WEAPONS);
    ledger
        .client
        .publish_license(&authority, &child, commercial_terms(), child_terms)
        .await
        .unwrap();

    // One generation down, the restrictions still hold.
    let (grandchild_authority, grandchild) = derived(&ledger, 4, &[child]).await;
    assert_eq!(
        ledger.client.model(&grandchild).await.unwrap().lineage_ai,
        child_terms
    );
    refused_licence(
        &ledger,
        &grandchild_authority,
        &grandchild,
        ai(within, MILITARY, MILITARY),
        LedgerError::RestrictionNotCarried,
    )
    .await;
    refused_licence(
        &ledger,
        &grandchild_authority,
        &grandchild,
        ai([Allowed; 4], MILITARY | WEAPONS, MILITARY | WEAPONS),
        LedgerError::AiUseBeyondLineage,
    )
    .await;
}

/// A model without parents may say anything it states; the open terms the
/// other tests publish are such terms.
#[tokio::test]
async fn a_model_without_parents_has_an_empty_lineage() {
    let ledger = TestLedger::start().await;
    let (authority, model) = licensed(&ledger, 1, open_ai()).await;
    assert_eq!(
        ledger.client.model(&model).await.unwrap().lineage_ai,
        AiTerms::default()
    );
    ledger
        .client
        .publish_license(
            &authority,
            &model,
            LicenseTerms {
                derivatives_allowed: false,
                derivative_royalty_bps: 0,
                ..commercial_terms()
            },
            ai([NotAllowed; 4], u64::MAX, u64::MAX),
        )
        .await
        .unwrap();
}
