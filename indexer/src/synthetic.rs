//! A chain's history made up event by event, as the program would emit it,
//! for tests and benchmarks of the read side that need shapes a real chain
//! takes long to build (20 000 models deriving from one, 100 000
//! contributions paying one wallet) or strings today's program refuses but
//! an older one stored (the indexer must take every event a program ever
//! emitted). Built only with the `synthetic` feature.

use std::collections::HashMap;

use model_ledger::{
    events::{
        ConfigInitialized, ContributionProposed, LicensePublished, ModelRegistered, PayoutWalletSet,
    },
    state::{ContributionKind, LicenseTerms, ParentLink},
};
use model_ledger_sdk::{events::LedgerEvent, pda};
use solana_sdk::pubkey::Pubkey;

use crate::ChainTransaction;

/// SPL Token's program id, which every made-up model is paid through.
fn anchor_spl_token_program() -> Pubkey {
    "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
        .parse()
        .expect("a program id")
}

/// A history under construction; each call adds one transaction.
pub struct SyntheticChain {
    /// Signatures are this, a dash and a number: two histories never share one.
    prefix: String,
    transactions: Vec<ChainTransaction>,
    slot: u64,
    contributions: HashMap<Pubkey, u32>,
    licences: HashMap<Pubkey, u32>,
    /// Payment mint and token program every made-up model uses.
    pub payment_mint: Pubkey,
}

impl Default for SyntheticChain {
    fn default() -> Self {
        Self::new()
    }
}

impl SyntheticChain {
    /// A chain whose configuration is initialised.
    pub fn new() -> Self {
        let mut chain = Self::continuing();
        chain.push(LedgerEvent::ConfigInitialized(ConfigInitialized {
            config: pda::config().0,
            admin: Pubkey::new_unique(),
            treasury: Pubkey::new_unique(),
            protocol_fee_bps: 250,
        }));
        chain
    }

    /// More history for an index that already holds a configuration.
    pub fn continuing() -> Self {
        Self {
            prefix: Pubkey::new_unique().to_string(),
            transactions: Vec::new(),
            slot: 0,
            contributions: HashMap::new(),
            licences: HashMap::new(),
            payment_mint: Pubkey::new_unique(),
        }
    }

    fn push(&mut self, event: LedgerEvent) {
        self.slot += 1;
        self.transactions.push(ChainTransaction {
            signature: format!("{}-{}", self.prefix, self.transactions.len()),
            slot: self.slot,
            block_time: None,
            failed: false,
            events: vec![event],
        });
    }

    /// Every transaction so far, in chain order.
    pub fn transactions(&self) -> &[ChainTransaction] {
        &self.transactions
    }

    /// Registers a model named `name` (any text, as an older program kept
    /// it) deriving from `parents` (each `(model, licence, grant)`).
    pub fn register_model(
        &mut self,
        name: &str,
        metadata_uri: &str,
        parents: &[(Pubkey, Pubkey, Pubkey)],
    ) -> Pubkey {
        let creator = Pubkey::new_unique();
        let model_id = Pubkey::new_unique().to_bytes();
        let model = pda::model(&creator, &model_id).0;
        self.push(LedgerEvent::ModelRegistered(ModelRegistered {
            model,
            creator,
            authority: creator,
            model_id,
            name: name.to_string(),
            metadata_uri: metadata_uri.to_string(),
            content_hash: [7; 32],
            payment_mint: self.payment_mint,
            payment_decimals: 6,
            token_program: anchor_spl_token_program(),
            vault: pda::vault(&model).0,
            royalty_book: pda::royalty_book(&model).0,
            attribution_bps: 3_000,
            parents: parents
                .iter()
                .map(|(parent, license, grant)| ParentLink {
                    model: *parent,
                    license: *license,
                    grant: *grant,
                    derivative_bps: 1_000,
                })
                .collect(),
            non_commercial_lineage: false,
            slot: self.slot + 1,
        }));
        self.contributions.insert(model, 0);
        self.licences.insert(model, 0);
        model
    }

    /// `contributor` proposes to `model`, naming the contribution by `uri`.
    pub fn propose(&mut self, model: &Pubkey, contributor: &Pubkey, uri: &str) -> u32 {
        let count = self
            .contributions
            .get_mut(model)
            .expect("a registered model");
        let index = *count;
        *count += 1;
        self.push(LedgerEvent::ContributionProposed(ContributionProposed {
            model: *model,
            contribution: pda::contribution(model, index).0,
            index,
            contributor: *contributor,
            kind: ContributionKind::Dataset,
            content_hash: [9; 32],
            uri: uri.to_string(),
            slot: self.slot + 1,
            contribution_count: index + 1,
        }));
        index
    }

    /// The contributor of `index` points its payout at `wallet`.
    pub fn set_payout(&mut self, model: &Pubkey, index: u32, from: &Pubkey, wallet: &Pubkey) {
        self.push(LedgerEvent::PayoutWalletSet(PayoutWalletSet {
            model: *model,
            contribution: pda::contribution(model, index).0,
            index,
            previous_payout_wallet: *from,
            payout_wallet: *wallet,
        }));
    }

    /// Publishes the model's next licence version with `terms`.
    pub fn publish_license(&mut self, model: &Pubkey, terms: LicenseTerms) -> Pubkey {
        let count = self.licences.get_mut(model).expect("a registered model");
        *count += 1;
        let version = *count;
        let license = pda::license(model, version).0;
        self.push(LedgerEvent::LicensePublished(LicensePublished {
            model: *model,
            license,
            license_version: version,
            payment_mint: self.payment_mint,
            terms,
            slot: self.slot + 1,
        }));
        license
    }
}
