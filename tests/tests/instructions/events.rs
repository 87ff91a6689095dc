//! Rebuilds every account from events alone, the way an indexer would, and
//! checks the result against the accounts on chain.

use std::collections::BTreeMap;

use model_ledger::{
    instructions::{InitializeConfigArgs, UpdateConfigArgs},
    state::{ContributionStatus, LicenseTerms},
};
use model_ledger_sdk::{client::TransactionOutcome, events::LedgerEvent};
use model_ledger_tests::open_ai;
use model_ledger_tests::{commercial_terms, contribution_args, model_args, pda, TestLedger};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

#[derive(Default, Debug, PartialEq)]
struct IndexedConfig {
    admin: Pubkey,
    treasury: Pubkey,
    protocol_fee_bps: u16,
    paused: bool,
    update_count: u64,
}

#[derive(Default, Debug, PartialEq)]
struct IndexedModel {
    authority: Pubkey,
    pending_authority: Option<Pubkey>,
    name: String,
    content_hash: [u8; 32],
    vault: Pubkey,
    contribution_count: u32,
    accepted_count: u32,
    total_shares: u64,
    license_count: u32,
}

#[derive(Debug, PartialEq)]
struct IndexedContribution {
    contributor: Pubkey,
    content_hash: [u8; 32],
    status: ContributionStatus,
    shares: u64,
    payout_wallet: Pubkey,
}

#[derive(Debug, PartialEq)]
struct IndexedLicense {
    version: u32,
    terms: LicenseTerms,
    ai: model_ledger::state::AiTerms,
    retired_slot: Option<u64>,
}

#[derive(Default)]
struct Indexer {
    config: IndexedConfig,
    models: BTreeMap<Pubkey, IndexedModel>,
    contributions: BTreeMap<Pubkey, IndexedContribution>,
    licenses: BTreeMap<Pubkey, IndexedLicense>,
}

impl Indexer {
    fn apply(&mut self, event: &LedgerEvent) {
        match event {
            LedgerEvent::ConfigInitialized(e) => {
                self.config = IndexedConfig {
                    admin: e.admin,
                    treasury: e.treasury,
                    protocol_fee_bps: e.protocol_fee_bps,
                    ..Default::default()
                }
            }
            LedgerEvent::ConfigUpdated(e) => {
                assert_eq!(
                    e.update_count,
                    self.config.update_count + 1,
                    "missed an update"
                );
                self.config = IndexedConfig {
                    admin: e.admin,
                    treasury: e.treasury,
                    protocol_fee_bps: e.protocol_fee_bps,
                    paused: e.paused,
                    update_count: e.update_count,
                };
            }
            LedgerEvent::ModelRegistered(e) => {
                self.models.insert(
                    e.model,
                    IndexedModel {
                        authority: e.authority,
                        name: e.name.clone(),
                        content_hash: e.content_hash,
                        vault: e.vault,
                        ..Default::default()
                    },
                );
            }
            LedgerEvent::ModelAuthorityTransferProposed(e) => {
                self.models.get_mut(&e.model).unwrap().pending_authority = e.pending_authority;
            }
            LedgerEvent::ModelAuthorityTransferred(e) => {
                let model = self.models.get_mut(&e.model).unwrap();
                model.authority = e.new_authority;
                model.pending_authority = None;
            }
            LedgerEvent::ContributionProposed(e) => {
                let model = self.models.get_mut(&e.model).unwrap();
                assert_eq!(e.index, model.contribution_count, "missed a proposal");
                model.contribution_count = e.contribution_count;
                self.contributions.insert(
                    e.contribution,
                    IndexedContribution {
                        contributor: e.contributor,
                        content_hash: e.content_hash,
                        status: ContributionStatus::Proposed,
                        shares: 0,
                        payout_wallet: e.contributor,
                    },
                );
            }
            LedgerEvent::ContributionStatusChanged(e) => {
                let contribution = self.contributions.get_mut(&e.contribution).unwrap();
                assert_eq!(
                    contribution.status, e.previous_status,
                    "missed a status change"
                );
                contribution.status = e.status;
                contribution.shares = e.shares;
                let model = self.models.get_mut(&e.model).unwrap();
                model.total_shares = e.model_total_shares;
                model.accepted_count = e.model_accepted_count;
            }
            LedgerEvent::PayoutWalletSet(e) => {
                self.contributions
                    .get_mut(&e.contribution)
                    .unwrap()
                    .payout_wallet = e.payout_wallet;
            }
            LedgerEvent::LicensePublishedV2(e) => {
                let model = self.models.get_mut(&e.model).unwrap();
                assert_eq!(
                    e.license_version,
                    model.license_count + 1,
                    "missed a licence"
                );
                model.license_count = e.license_version;
                self.licenses.insert(
                    e.license,
                    IndexedLicense {
                        version: e.license_version,
                        terms: e.terms.clone(),
                        ai: e.ai,
                        retired_slot: None,
                    },
                );
            }
            LedgerEvent::LicenseRetired(e) => {
                self.licenses.get_mut(&e.license).unwrap().retired_slot = Some(e.slot);
            }
            other => panic!("this session emits no money events, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn events_alone_rebuild_every_account() {
    let ledger = TestLedger::start_uninitialized().await;
    let mut outcomes: Vec<TransactionOutcome> = Vec::new();
    let client = &ledger.client;

    outcomes.push(
        client
            .initialize_config(
                &ledger.admin,
                InitializeConfigArgs {
                    protocol_fee_bps: 300,
                    treasury: ledger.treasury,
                },
            )
            .await
            .unwrap(),
    );
    outcomes.push(
        client
            .update_config(
                &ledger.admin,
                UpdateConfigArgs {
                    paused: Some(true),
                    ..Default::default()
                },
            )
            .await
            .unwrap(),
    );

    let authority = ledger.wallet().await;
    let successor = ledger.wallet().await;
    let mut models = Vec::new();
    for seed in [1u8, 2] {
        let (model, outcome) = client
            .register_model(&authority, &ledger.mint, model_args(seed))
            .await
            .unwrap();
        outcomes.push(outcome);
        models.push(model);
    }
    let model = models[0];
    let contributors = [
        ledger.wallet().await,
        ledger.wallet().await,
        ledger.wallet().await,
    ];
    for contributor in &contributors {
        let (_, outcome) = client
            .propose_contribution(contributor, &model, contribution_args())
            .await
            .unwrap();
        outcomes.push(outcome);
    }
    outcomes.push(
        client
            .accept_contribution(&authority, &model, 0, 600)
            .await
            .unwrap(),
    );
    outcomes.push(
        client
            .accept_contribution(&authority, &model, 1, 400)
            .await
            .unwrap(),
    );
    outcomes.push(
        client
            .reject_contribution(&authority, &model, 2)
            .await
            .unwrap(),
    );
    outcomes.push(
        client
            .revoke_contribution(&authority, &model, 1)
            .await
            .unwrap(),
    );
    outcomes.push(
        client
            .set_payout_wallet(
                &contributors[1],
                &pda::contribution(&model, 1).0,
                Pubkey::new_unique(),
            )
            .await
            .unwrap(),
    );
    for _ in 0..2 {
        let (_, outcome) = client
            .publish_license(&authority, &model, commercial_terms(), open_ai())
            .await
            .unwrap();
        outcomes.push(outcome);
    }
    outcomes.push(client.retire_license(&authority, &model, 1).await.unwrap());
    outcomes.push(
        client
            .transfer_model_authority(&authority, &model, Some(successor.pubkey()))
            .await
            .unwrap(),
    );
    outcomes.push(
        client
            .accept_model_authority(&successor, &model)
            .await
            .unwrap(),
    );

    let mut indexer = Indexer::default();
    for outcome in &outcomes {
        assert_eq!(outcome.events.len(), 1, "one event per state change");
        indexer.apply(&outcome.events[0]);
    }

    let config = client.config().await.unwrap();
    assert_eq!(
        indexer.config,
        IndexedConfig {
            admin: config.admin,
            treasury: config.treasury,
            protocol_fee_bps: config.protocol_fee_bps,
            paused: config.paused,
            update_count: config.update_count,
        }
    );
    assert_eq!(indexer.models.len(), 2);
    for address in &models {
        let view = client.model_view(address).await.unwrap();
        let record = &view.model;
        let book = client.royalty_book(address).await.unwrap();
        assert_eq!(
            indexer.models[address],
            IndexedModel {
                authority: record.authority,
                pending_authority: record.pending_authority,
                name: record.name.clone(),
                content_hash: record.content_hash,
                vault: record.vault,
                contribution_count: book.contribution_count,
                accepted_count: book.accepted_count,
                total_shares: book.total_shares,
                license_count: record.next_license_version - 1,
            }
        );
        for (key, contribution) in &view.contributions {
            assert_eq!(
                indexer.contributions[key],
                IndexedContribution {
                    contributor: contribution.contributor,
                    content_hash: contribution.content_hash,
                    status: contribution.status,
                    shares: contribution.shares,
                    payout_wallet: contribution.payout_wallet,
                }
            );
        }
        for (key, license) in &view.licenses {
            assert_eq!(
                indexer.licenses[key],
                IndexedLicense {
                    version: license.license_version,
                    terms: license.terms.clone(),
                    ai: license.ai,
                    retired_slot: license.retired_slot,
                }
            );
        }
    }
    assert_eq!(indexer.contributions.len(), 3);
    assert_eq!(indexer.licenses.len(), 2);
    assert_eq!(indexer.models[&model].authority, successor.pubkey());
}
