//! Instruction data for every instruction of the program, through the real
//! runtime (the SBF binary in the VM when `MODEL_LEDGER_SBF` names one, the
//! native build otherwise), against a ledger with a market, a derived model
//! and a pending proposal.
//!
//! An input is `[template, account to swap, substitute, data…]`: the
//! template picks one valid instruction (its accounts and signers), one of
//! its non-signer accounts may be swapped for another account the ledger
//! knows, and the rest is the instruction data. Invariants: the program
//! never panics; a refused transaction changes none of the ledger's money
//! accounts; after any success every model's book still accounts for every
//! token in its vault.

use model_ledger::{
    instructions::{AcquireGrantArgs, RecordInferenceArgs, UpdateConfigArgs},
    state::{ContributionKind, ProposalPolicy},
};
use model_ledger_sdk::instructions::{self as ix, ModelAccounts, ParentGrant};
use model_ledger_tests::{commercial_terms, model_args, pda, Market, TestLedger};
use solana_sdk::{instruction::Instruction, pubkey::Pubkey, signature::Keypair, signer::Signer};

use crate::Target;

/// Runs a fresh ledger after this many inputs, so that what fuzzed
/// successes changed (a pause, a spent grant) does not narrow what later
/// inputs reach.
const FRESH_AFTER: u64 = 400;

struct Fixture {
    ledger: TestLedger,
    templates: Vec<(&'static str, Instruction, Vec<Keypair>)>,
    /// Accounts a swap may put anywhere.
    pool: Vec<Pubkey>,
    /// Accounts no refused transaction may change.
    watched: Vec<Pubkey>,
    models: Vec<Pubkey>,
}

pub struct Instructions {
    runtime: tokio::runtime::Runtime,
    fixture: Option<Fixture>,
    runs: u64,
}

impl Instructions {
    pub fn new() -> Self {
        Self {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime"),
            fixture: None,
            runs: 0,
        }
    }

    fn fixture(&mut self) -> &Fixture {
        if self.fixture.is_none() || self.runs.is_multiple_of(FRESH_AFTER) {
            self.fixture = Some(self.runtime.block_on(fixture()));
        }
        self.fixture.as_ref().expect("set above")
    }
}

impl Default for Instructions {
    fn default() -> Self {
        Self::new()
    }
}

fn keep(keypair: &Keypair) -> Keypair {
    keypair.insecure_clone()
}

async fn fixture() -> Fixture {
    let ledger = TestLedger::start().await;
    let market: Market = ledger.market(1, &[100, 200], commercial_terms()).await;
    let child_authority = ledger.wallet().await;
    let (child, child_grants) = ledger.derive(&child_authority, 2, &[market.model]).await;
    let (proposer, pending) = ledger.propose(&market.model).await;
    let accounts = market.accounts(&ledger.mint);
    let child_accounts = ModelAccounts {
        model: child,
        ..accounts
    };
    let stranger = ledger.wallet().await;
    let stranger_token = ledger.token_account(&stranger.pubkey(), &ledger.mint).await;
    let (contributor, index, _) = &market.contributors[0];
    let contributor_token = ledger
        .token_account(&contributor.pubkey(), &ledger.mint)
        .await;
    let authority_token = ledger
        .token_account(&market.authority.pubkey(), &ledger.mint)
        .await;
    let record = RecordInferenceArgs {
        seq: 0,
        calls: 3,
        merkle_root: [4; 32],
        attribution: model_ledger_tests::attribution(&[(0, 2), (1, 1)]),
    };
    let agreed = AcquireGrantArgs {
        expected_version: 1,
        max_fee: u64::MAX,
        max_price_per_call: u64::MAX,
    };
    let admin = keep(&ledger.admin);
    let authority = keep(&market.authority);
    let licensee = keep(&market.licensee);
    let templates: Vec<(&'static str, Instruction, Vec<Keypair>)> = vec![
        (
            "update_config",
            ix::update_config(
                &admin.pubkey(),
                UpdateConfigArgs {
                    protocol_fee_bps: Some(300),
                    ..Default::default()
                },
            ),
            vec![keep(&admin)],
        ),
        (
            "accept_admin",
            ix::accept_admin(&admin.pubkey()),
            vec![keep(&admin)],
        ),
        (
            "register_model",
            ix::register_model(
                &stranger.pubkey(),
                &ledger.mint,
                &anchor_spl_token(),
                model_args(9),
            ),
            vec![keep(&stranger)],
        ),
        (
            "register_derived_model",
            ix::register_derived_model(
                &child_authority.pubkey(),
                &ledger.mint,
                &anchor_spl_token(),
                model_args(10),
                &[ParentGrant {
                    model: market.model,
                    grant: child_grants[0],
                }],
            ),
            vec![keep(&child_authority)],
        ),
        (
            "transfer_model_authority",
            ix::transfer_model_authority(
                &authority.pubkey(),
                &market.model,
                Some(stranger.pubkey()),
            ),
            vec![keep(&authority)],
        ),
        (
            "accept_model_authority",
            ix::accept_model_authority(&stranger.pubkey(), &market.model),
            vec![keep(&stranger)],
        ),
        (
            "propose_contribution",
            ix::propose_contribution(
                &stranger.pubkey(),
                &market.model,
                pending + 1,
                model_ledger::instructions::ProposeContributionArgs {
                    kind: ContributionKind::Dataset,
                    content_hash: [3; 32],
                    uri: "ar://fuzzed".into(),
                },
            ),
            vec![keep(&stranger)],
        ),
        (
            "set_proposal_policy",
            ix::set_proposal_policy(
                &authority.pubkey(),
                &market.model,
                ProposalPolicy::AllowListed,
            ),
            vec![keep(&authority)],
        ),
        (
            "allow_proposer",
            ix::allow_proposer(&authority.pubkey(), &market.model, &stranger.pubkey()),
            vec![keep(&authority)],
        ),
        (
            "disallow_proposer",
            ix::disallow_proposer(&authority.pubkey(), &market.model, &stranger.pubkey()),
            vec![keep(&authority)],
        ),
        (
            "accept_contribution",
            ix::accept_contribution(&authority.pubkey(), &market.model, pending, 50),
            vec![keep(&authority)],
        ),
        (
            "reject_contribution",
            ix::reject_contribution(&authority.pubkey(), &market.model, pending),
            vec![keep(&authority)],
        ),
        (
            "revoke_contribution",
            ix::revoke_contribution(&authority.pubkey(), &market.model, 1),
            vec![keep(&authority)],
        ),
        (
            "set_payout_wallet",
            ix::set_payout_wallet(
                &contributor.pubkey(),
                &pda::contribution(&market.model, *index).0,
                stranger.pubkey(),
            ),
            vec![keep(contributor)],
        ),
        (
            "publish_license",
            ix::publish_license(
                &authority.pubkey(),
                &market.model,
                2,
                commercial_terms(),
                model_ledger_tests::open_ai(),
            ),
            vec![keep(&authority)],
        ),
        (
            "retire_license",
            ix::retire_license(&authority.pubkey(), &market.model, 1),
            vec![keep(&authority)],
        ),
        (
            "extend_royalty_book",
            ix::extend_royalty_book(&authority.pubkey(), &market.model, 16),
            vec![keep(&authority)],
        ),
        (
            "acquire_grant",
            ix::acquire_grant(
                &stranger.pubkey(),
                &accounts,
                &market.license,
                &stranger_token,
                agreed.clone(),
            ),
            vec![keep(&stranger)],
        ),
        (
            "set_meter",
            ix::set_meter(&licensee.pubkey(), &market.grant, Some(stranger.pubkey())),
            vec![keep(&licensee)],
        ),
        (
            "renew_grant",
            ix::renew_grant(
                &licensee.pubkey(),
                &accounts,
                &market.license,
                &market.grant,
                &market.licensee_token,
                agreed,
            ),
            vec![keep(&licensee)],
        ),
        (
            "transfer_grant",
            ix::transfer_grant(&licensee.pubkey(), &market.grant, &stranger.pubkey()),
            vec![keep(&licensee)],
        ),
        (
            "record_inference",
            ix::record_inference(
                &licensee.pubkey(),
                &market.grant,
                &accounts,
                &market.licensee_token,
                record,
            ),
            vec![keep(&licensee)],
        ),
        ("book_surplus", ix::book_surplus(&accounts), vec![]),
        (
            "collect_protocol_fees",
            ix::collect_protocol_fees(&accounts, &market.treasury_token),
            vec![],
        ),
        (
            "settle_upstream",
            ix::settle_upstream(&child_accounts, &market.model),
            vec![],
        ),
        (
            "close_contribution",
            ix::close_contribution(&proposer.pubkey(), &market.model, pending),
            vec![keep(&proposer)],
        ),
        (
            "claim",
            ix::claim(&contributor.pubkey(), &accounts, *index, &contributor_token),
            vec![keep(contributor)],
        ),
        (
            "claim_unallocated",
            ix::claim_unallocated(&authority.pubkey(), &accounts, &authority_token),
            vec![keep(&authority)],
        ),
    ];
    let mut pool: Vec<Pubkey> = templates
        .iter()
        .flat_map(|(_, instruction, _)| instruction.accounts.iter().map(|meta| meta.pubkey))
        .collect();
    pool.extend([
        Pubkey::new_unique(),
        model_ledger::ID,
        anchor_lang::solana_program::system_program::ID,
        solana_sdk::sysvar::clock::ID,
    ]);
    pool.sort();
    pool.dedup();
    let mut watched = ledger.money_accounts(&market);
    watched.extend([
        pda::vault(&child).0,
        pda::royalty_book(&child).0,
        contributor_token,
        stranger_token,
        authority_token,
    ]);
    Fixture {
        ledger,
        templates,
        pool,
        watched,
        models: vec![market.model, child],
    }
}

fn anchor_spl_token() -> Pubkey {
    "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
        .parse()
        .expect("SPL Token's id")
}

impl Target for Instructions {
    fn name(&self) -> &'static str {
        "instructions"
    }

    fn seeds(&mut self) -> Vec<Vec<u8>> {
        let fixture = self.fixture();
        fixture
            .templates
            .iter()
            .enumerate()
            .map(|(number, (_, instruction, _))| {
                let mut input = vec![number as u8, u8::MAX, 0];
                input.extend_from_slice(&instruction.data);
                input
            })
            .collect()
    }

    fn run(&mut self, input: &[u8]) -> Result<String, String> {
        self.runs += 1;
        let [template, swap, substitute, data @ ..] = input else {
            return Ok("too short".into());
        };
        self.fixture();
        let (runtime, fixture) = (&self.runtime, self.fixture.as_ref().expect("set up"));
        let Some((name, instruction, signers)) = fixture
            .templates
            .get(usize::from(*template) % fixture.templates.len())
        else {
            return Ok("no template".into());
        };
        let mut instruction = instruction.clone();
        instruction.data = data.to_vec();
        if let Some(meta) = instruction.accounts.get_mut(usize::from(*swap)) {
            if !meta.is_signer {
                meta.pubkey = fixture.pool[usize::from(*substitute) % fixture.pool.len()];
            }
        }
        let signers: Vec<&dyn Signer> = signers.iter().map(|key| key as &dyn Signer).collect();
        let (name, ledger, watched, models) =
            (*name, &fixture.ledger, &fixture.watched, &fixture.models);
        runtime.block_on(async {
            let before = ledger.snapshot(watched).await;
            match ledger.client.send(&[instruction], &signers).await {
                Ok(_) => {
                    for model in models {
                        ledger.assert_conserved(model).await;
                    }
                    Ok(format!("{name}: landed"))
                }
                Err(error) => {
                    let text = error.to_string();
                    if text.contains("panicked") {
                        return Err(format!("{name}: the program panicked: {text}"));
                    }
                    if before != ledger.snapshot(watched).await {
                        return Err(format!("{name}: refused ({text}) yet an account changed"));
                    }
                    let code = error
                        .custom_code()
                        .map_or_else(|| text.chars().take(40).collect(), |code| code.to_string());
                    Ok(format!("{name}: {code}"))
                }
            }
        })
    }
}
