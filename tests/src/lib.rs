//! The integration-test fixture: the Model Ledger program running natively in
//! a real Solana runtime (solana-program-test) beside the real SPL Token and
//! Token-2022 programs that program-test ships, driven through the SDK.
#![allow(deprecated)] // solana-program-test 3.x flags its API as "unstable" ahead of 4.0.
#![allow(clippy::result_large_err)]

use anchor_lang::solana_program::system_instruction;
use anchor_spl::token_2022::spl_token_2022::{
    self,
    extension::{
        default_account_state::instruction::initialize_default_account_state,
        metadata_pointer::instruction::initialize as initialize_metadata_pointer,
        transfer_fee::instruction::initialize_transfer_fee_config,
        transfer_hook::instruction::initialize as initialize_transfer_hook, ExtensionType,
    },
    state::{AccountState, Mint as MintState},
};
use model_ledger::math::royalty::SCALE;
use model_ledger::{
    errors::LedgerError,
    instructions::{InitializeConfigArgs, ProposeContributionArgs, RegisterModelArgs},
    state::AttributionEntry,
    state::{ContributionKind, LicenseTerms},
};
use model_ledger_sdk::{
    client::{LedgerClient, Recording, TransactionOutcome},
    embedded::BanksConnection,
    events::LedgerEvent,
    SdkError,
};
use solana_program_test::BanksClient;
use solana_sdk::{
    account::Account,
    instruction::{AccountMeta, Instruction, InstructionError},
    program_pack::Pack,
    pubkey::Pubkey,
    signature::Keypair,
    signer::Signer,
    transaction::TransactionError,
};

use model_ledger_sdk::instructions::{ModelAccounts, ParentGrant};
pub use model_ledger_sdk::{instructions as ix, pda};

/// The protocol fee every fixture starts with, in basis points.
pub const FEE_BPS: u16 = 250;

pub use model_ledger_sdk::embedded::program_test;

/// The running ledger plus the actors every test needs.
pub struct TestLedger {
    /// Its connection also holds the runtime itself, for moving its clock.
    /// It records every transaction that lands (what an indexer reads).
    pub client: LedgerClient<Recording<BanksConnection>>,
    pub banks: BanksClient,
    /// The program's upgrade authority, and the config's admin.
    pub admin: Keypair,
    pub treasury: Pubkey,
    /// A legacy SPL Token mint (6 decimals) that models are paid in by default.
    pub mint: Pubkey,
}

impl TestLedger {
    /// Creates (idempotently) `owner`'s associated token account for `mint`.
    pub async fn token_account(&self, owner: &Pubkey, mint: &Pubkey) -> Pubkey {
        let program = self.account(mint).await.expect("mint exists").owner;
        let create = anchor_spl::associated_token::spl_associated_token_account::instruction::create_associated_token_account_idempotent(
            &self.payer().pubkey(),
            owner,
            mint,
            &program,
        );
        self.client
            .send(&[create], &[])
            .await
            .expect("create token account");
        anchor_spl::associated_token::get_associated_token_address_with_program_id(
            owner, mint, &program,
        )
    }

    /// Mints `amount` of the fixture's mint (its authority is the payer) to `account`.
    pub async fn mint_to(&self, mint: &Pubkey, account: &Pubkey, amount: u64) {
        let program = self.account(mint).await.expect("mint exists").owner;
        let instruction = spl_token_2022::instruction::mint_to(
            &program,
            mint,
            account,
            &self.payer().pubkey(),
            &[],
            amount,
        )
        .unwrap();
        self.client
            .send(&[instruction], &[])
            .await
            .expect("mint to");
    }

    /// A token account's balance (0 if it does not exist).
    pub async fn balance(&self, account: &Pubkey) -> u64 {
        self.client.token_balance(account).await.unwrap()
    }

    /// The treasury's token account for the fixture mint.
    pub async fn treasury_token(&self) -> Pubkey {
        self.token_account(&self.treasury, &self.mint).await
    }

    /// Checks, against the vault's real token balance, that the royalty book
    /// accounts for every token unit exactly:
    /// vault · SCALE = Σ entries owed + pools held (upstream, carries, unallocated).
    pub async fn assert_conserved(&self, model: &Pubkey) {
        let audit = self.client.audit(model).await.unwrap();
        assert_eq!(
            audit.surplus,
            Some(0),
            "model {model}: tokens outside the book"
        );
        assert!(
            audit.balanced(),
            "model {model}: vault {} ≠ owed {} + held {} (1/SCALE units)",
            audit.vault_balance,
            audit.owed_scaled,
            audit.held_scaled
        );
        assert_eq!(
            u128::from(audit.vault_balance) * SCALE,
            audit.owed_scaled + audit.held_scaled
        );
    }
    pub async fn start_uninitialized() -> Self {
        // The admin deployed the program: it is the upgrade authority.
        let admin = Keypair::new();
        let context = program_test(&admin.pubkey())
            .expect("the program to test")
            .start_with_context()
            .await;
        let payer = context.payer.insecure_clone();
        let connection = BanksConnection::new(context);
        let banks = connection.banks().clone();
        let client = LedgerClient::new(Recording::new(connection), payer);
        let mut ledger = TestLedger {
            client,
            banks,
            admin,
            treasury: Pubkey::new_unique(),
            mint: Pubkey::default(),
        };
        let admin = ledger.admin.pubkey();
        ledger.airdrop(&admin, 10_000_000_000).await;
        ledger.mint = ledger.create_legacy_mint().await;
        ledger
    }

    /// Starts the runtime with the config initialised (fee [`FEE_BPS`]).
    pub async fn start() -> Self {
        let ledger = Self::start_uninitialized().await;
        ledger
            .client
            .initialize_config(
                &ledger.admin,
                InitializeConfigArgs {
                    protocol_fee_bps: FEE_BPS,
                    treasury: ledger.treasury,
                },
            )
            .await
            .expect("initialize config");
        ledger.token_account(&ledger.treasury, &ledger.mint).await;
        ledger
    }

    /// Moves the runtime's clock to `unix_timestamp` (grants expire by it).
    pub async fn set_time(&self, unix_timestamp: i64) {
        let context = self.client.connection.context().await;
        let mut clock: anchor_lang::prelude::Clock = self.banks.get_sysvar().await.unwrap();
        clock.unix_timestamp = unix_timestamp;
        context.set_sysvar(&clock);
    }

    /// The admin pauses (`true`) or resumes the protocol.
    pub async fn pause(&self, paused: bool) {
        self.client
            .update_config(
                &self.admin,
                model_ledger::instructions::UpdateConfigArgs {
                    paused: Some(paused),
                    ..Default::default()
                },
            )
            .await
            .expect("pause");
    }

    /// Writes `account` at `address` directly into the bank: the strongest
    /// forger, for proving that a check does not rest on who could create an
    /// account (a ProgramData-shaped account at another address, …).
    pub async fn forge_account(&self, address: &Pubkey, account: Account) {
        self.client
            .connection
            .context()
            .await
            .set_account(address, &account.into());
    }

    pub async fn now(&self) -> i64 {
        let clock: anchor_lang::prelude::Clock = self.banks.get_sysvar().await.unwrap();
        clock.unix_timestamp
    }

    pub fn payer(&self) -> &Keypair {
        &self.client.fee_payer
    }

    pub async fn airdrop(&self, to: &Pubkey, lamports: u64) {
        let transfer = system_instruction::transfer(&self.payer().pubkey(), to, lamports);
        self.client.send(&[transfer], &[]).await.expect("airdrop");
    }

    /// A new wallet holding 10 SOL.
    pub async fn wallet(&self) -> Keypair {
        let wallet = Keypair::new();
        self.airdrop(&wallet.pubkey(), 10_000_000_000).await;
        wallet
    }

    pub async fn create_legacy_mint(&self) -> Pubkey {
        self.create_legacy_mint_frozen_by(None).await
    }

    /// A legacy SPL Token mint (6 decimals, the payer mints) whose freeze
    /// authority is `freeze_authority`.
    pub async fn create_legacy_mint_frozen_by(&self, freeze_authority: Option<&Pubkey>) -> Pubkey {
        let mint = Keypair::new();
        let payer = self.payer().pubkey();
        let rent = self.banks.get_rent().await.unwrap();
        let space = anchor_spl::token::spl_token::state::Mint::LEN;
        let instructions = [
            system_instruction::create_account(
                &payer,
                &mint.pubkey(),
                rent.minimum_balance(space),
                space as u64,
                &anchor_spl::token::ID,
            ),
            anchor_spl::token::spl_token::instruction::initialize_mint2(
                &anchor_spl::token::ID,
                &mint.pubkey(),
                &payer,
                freeze_authority,
                6,
            )
            .unwrap(),
        ];
        self.client
            .send(&instructions, &[&mint])
            .await
            .expect("legacy mint");
        mint.pubkey()
    }

    /// A Token-2022 mint carrying exactly `extensions` (each initialised with
    /// ordinary settings), so tests can check the extension policy.
    pub async fn create_token_2022_mint(&self, extensions: &[ExtensionType]) -> Pubkey {
        let mint = Keypair::new();
        let payer = self.payer().pubkey();
        let program = anchor_spl::token_2022::ID;
        let space = ExtensionType::try_calculate_account_len::<MintState>(extensions).unwrap();
        let rent = self.banks.get_rent().await.unwrap();
        let mut instructions = vec![system_instruction::create_account(
            &payer,
            &mint.pubkey(),
            rent.minimum_balance(space),
            space as u64,
            &program,
        )];
        let key = mint.pubkey();
        for extension in extensions {
            instructions.push(
                match extension {
                    ExtensionType::TransferFeeConfig => initialize_transfer_fee_config(
                        &program,
                        &key,
                        Some(&payer),
                        Some(&payer),
                        100,
                        1_000_000,
                    ),
                    ExtensionType::TransferHook => initialize_transfer_hook(
                        &program,
                        &key,
                        Some(payer),
                        Some(Pubkey::new_unique()),
                    ),
                    ExtensionType::PermanentDelegate => {
                        spl_token_2022::instruction::initialize_permanent_delegate(
                            &program, &key, &payer,
                        )
                    }
                    ExtensionType::DefaultAccountState => {
                        initialize_default_account_state(&program, &key, &AccountState::Frozen)
                    }
                    ExtensionType::NonTransferable => {
                        spl_token_2022::instruction::initialize_non_transferable_mint(
                            &program, &key,
                        )
                    }
                    ExtensionType::MintCloseAuthority => {
                        spl_token_2022::instruction::initialize_mint_close_authority(
                            &program,
                            &key,
                            Some(&payer),
                        )
                    }
                    ExtensionType::MetadataPointer => {
                        initialize_metadata_pointer(&program, &key, Some(payer), Some(key))
                    }
                    other => panic!("fixture cannot initialise {other:?}"),
                }
                .unwrap(),
            );
        }
        // A default-frozen mint needs a freeze authority.
        instructions.push(
            spl_token_2022::instruction::initialize_mint2(&program, &key, &payer, Some(&payer), 6)
                .unwrap(),
        );
        self.client
            .send(&instructions, &[&mint])
            .await
            .expect("token-2022 mint");
        key
    }

    pub async fn account(&self, address: &Pubkey) -> Option<Account> {
        self.banks.get_account(*address).await.unwrap()
    }

    /// The raw state of `addresses`, to compare before and after a rejected call.
    pub async fn snapshot(&self, addresses: &[Pubkey]) -> Vec<Option<Account>> {
        let mut accounts = Vec::with_capacity(addresses.len());
        for address in addresses {
            accounts.push(self.account(address).await);
        }
        accounts
    }

    /// Sends `instructions`, expects the program to refuse them with
    /// `expected`, and checks that none of `watched` changed (data, lamports,
    /// owner), which also proves no token moved out of or into them.
    pub async fn expect_ledger_error(
        &self,
        instructions: &[Instruction],
        signers: &[&dyn Signer],
        expected: LedgerError,
        watched: &[Pubkey],
    ) {
        let error = self.expect_failure(instructions, signers, watched).await;
        assert_eq!(
            error.ledger_error().map(u32::from),
            Some(u32::from(expected)),
            "expected {expected:?}, got {error}"
        );
    }

    /// Like [`Self::expect_ledger_error`] for failures outside the program's
    /// own enum (Anchor constraints, the runtime, the system program).
    pub async fn expect_instruction_error(
        &self,
        instructions: &[Instruction],
        signers: &[&dyn Signer],
        expected: InstructionError,
        watched: &[Pubkey],
    ) {
        let error = self.expect_failure(instructions, signers, watched).await;
        match &error {
            SdkError::Transaction(TransactionError::InstructionError(_, actual)) => {
                assert_eq!(*actual, expected)
            }
            // An Anchor framework error, named by the SDK: its code is the
            // instruction error's custom code.
            SdkError::Framework { code, .. } | SdkError::TokenProgram { code, .. } => {
                assert_eq!(InstructionError::Custom(*code), expected, "{error}")
            }
            other => panic!("expected {expected:?}, got {other}"),
        }
    }

    async fn expect_failure(
        &self,
        instructions: &[Instruction],
        signers: &[&dyn Signer],
        watched: &[Pubkey],
    ) -> SdkError {
        let before = self.snapshot(watched).await;
        let error = self
            .client
            .send(instructions, signers)
            .await
            .expect_err("the transaction should have been refused");
        assert_eq!(
            before,
            self.snapshot(watched).await,
            "a refused call changed state"
        );
        error
    }

    /// Registers a model paid in the fixture's legacy mint, with default metadata.
    pub async fn register_model(&self, authority: &Keypair, seed: u8) -> Pubkey {
        let (model, _) = self
            .client
            .register_model(authority, &self.mint, model_args(seed))
            .await
            .expect("register model");
        model
    }

    /// A started ledger with one model (seed 1) and one proposed contribution:
    /// `(ledger, authority, model, (contributor, index))`.
    pub async fn with_proposal() -> (Self, Keypair, Pubkey, (Keypair, u32)) {
        let ledger = Self::start().await;
        let authority = ledger.wallet().await;
        let model = ledger.register_model(&authority, 1).await;
        let proposal = ledger.propose(&model).await;
        (ledger, authority, model, proposal)
    }

    /// A second model (seed 2, its own authority) with one contribution,
    /// accepted when `accepted`: for substitution tests. Returns the model
    /// and the contribution's address.
    pub async fn foreign_contribution(&self, accepted: bool) -> (Pubkey, Pubkey) {
        let authority = self.wallet().await;
        let model = self.register_model(&authority, 2).await;
        let (_, index) = self.propose(&model).await;
        if accepted {
            self.client
                .accept_contribution(&authority, &model, index, 5)
                .await
                .expect("accept foreign contribution");
        }
        (model, pda::contribution(&model, index).0)
    }

    /// A wallet proposes a dataset to `model`; returns the wallet and the index.
    pub async fn propose(&self, model: &Pubkey) -> (Keypair, u32) {
        let contributor = self.wallet().await;
        let (index, _) = self
            .client
            .propose_contribution(&contributor, model, contribution_args())
            .await
            .expect("propose contribution");
        (contributor, index)
    }
}

/// A model open for business: accepted contributions, a licence, and a
/// licensee holding a grant with tokens to pay.
pub struct Market {
    pub authority: Keypair,
    pub model: Pubkey,
    /// (contributor, index, shares), all accepted.
    pub contributors: Vec<(Keypair, u32, u64)>,
    pub license: Pubkey,
    pub licensee: Keypair,
    pub licensee_token: Pubkey,
    pub grant: Pubkey,
    pub treasury_token: Pubkey,
}

impl Market {
    pub fn accounts(&self, mint: &Pubkey) -> ModelAccounts {
        ModelAccounts {
            model: self.model,
            payment_mint: *mint,
            token_program: anchor_spl::token::ID,
        }
    }
}

/// Tokens every market licensee starts with.
pub const LICENSEE_FUNDS: u64 = 1_000_000_000;

impl TestLedger {
    /// Opens a market on a new model (`seed`) whose contributions hold
    /// `shares`, selling `terms` as licence v1 to a funded licensee.
    pub async fn market(&self, seed: u8, shares: &[u64], terms: LicenseTerms) -> Market {
        let authority = self.wallet().await;
        let model = self.register_model(&authority, seed).await;
        self.open_market(authority, model, shares, terms).await
    }

    /// Like [`Self::market`] on an existing model.
    pub async fn open_market(
        &self,
        authority: Keypair,
        model: Pubkey,
        shares: &[u64],
        terms: LicenseTerms,
    ) -> Market {
        let mut contributors = Vec::new();
        for share in shares {
            let (contributor, index) = self.propose(&model).await;
            self.client
                .accept_contribution(&authority, &model, index, *share)
                .await
                .expect("accept");
            contributors.push((contributor, index, *share));
        }
        let (version, _) = self
            .client
            .publish_license(&authority, &model, terms.clone(), open_ai())
            .await
            .expect("publish");
        let license = pda::license(&model, version).0;
        let licensee = self.wallet().await;
        let mint = self.client.model(&model).await.unwrap().payment_mint;
        let licensee_token = self.token_account(&licensee.pubkey(), &mint).await;
        self.mint_to(&mint, &licensee_token, LICENSEE_FUNDS).await;
        let treasury = self.client.config().await.unwrap().treasury;
        let treasury_token = self.token_account(&treasury, &mint).await;
        let (grant, _) = self
            .client
            .acquire_grant(
                &licensee,
                &model,
                version,
                terms.upfront_fee,
                terms.price_per_call,
                &licensee_token,
            )
            .await
            .expect("acquire grant");
        Market {
            authority,
            model,
            contributors,
            license,
            licensee,
            licensee_token,
            grant,
            treasury_token,
        }
    }

    /// The licensee records `calls` calls as batch `seq` with `attribution`.
    pub async fn record(
        &self,
        market: &Market,
        seq: u64,
        calls: u64,
        attribution: Vec<AttributionEntry>,
    ) -> Result<TransactionOutcome, SdkError> {
        self.client
            .record_inference(
                &market.licensee,
                &market.grant,
                &market.licensee_token,
                seq,
                calls,
                [7; 32],
                attribution,
            )
            .await
    }

    /// The licensee lets `meter` spend up to `allowance` of its tokens (SPL
    /// `approve`), as a host caps a hot meter key.
    pub async fn approve_meter(&self, market: &Market, meter: &Pubkey, allowance: u64) {
        let approve = anchor_spl::token::spl_token::instruction::approve(
            &anchor_spl::token::ID,
            &market.licensee_token,
            meter,
            &market.licensee.pubkey(),
            &[],
            allowance,
        )
        .unwrap();
        self.client
            .send(&[approve], &[&market.licensee])
            .await
            .expect("approve meter");
    }

    /// The accounts a refused payment must leave untouched.
    pub fn money_accounts(&self, market: &Market) -> Vec<Pubkey> {
        vec![
            market.grant,
            market.model,
            pda::royalty_book(&market.model).0,
            pda::vault(&market.model).0,
            market.licensee_token,
            market.treasury_token,
        ]
    }
}

impl TestLedger {
    /// `authority` buys a grant on licence v1 of each parent (paying its fee)
    /// and registers model `seed` deriving from them. Returns the model and
    /// the grants.
    pub async fn derive(
        &self,
        authority: &Keypair,
        seed: u8,
        parents: &[Pubkey],
    ) -> (Pubkey, Vec<Pubkey>) {
        let links = self.buy_parent_grants(authority, parents).await;
        let (model, _) = self
            .client
            .register_derived_model(authority, &self.mint, model_args(seed), &links)
            .await
            .expect("register derived model");
        (model, links.iter().map(|link| link.grant).collect())
    }

    /// `authority` buys a grant on licence v1 of each parent.
    pub async fn buy_parent_grants(
        &self,
        authority: &Keypair,
        parents: &[Pubkey],
    ) -> Vec<ParentGrant> {
        let token = self.token_account(&authority.pubkey(), &self.mint).await;
        let mut links = Vec::new();
        for parent in parents {
            let license = self
                .client
                .license(&pda::license(parent, 1).0)
                .await
                .expect("licence v1");
            self.mint_to(&self.mint, &token, license.terms.upfront_fee)
                .await;
            let (grant, _) = self
                .client
                .acquire_grant(
                    authority,
                    parent,
                    1,
                    license.terms.upfront_fee,
                    license.terms.price_per_call,
                    &token,
                )
                .await
                .expect("parent grant");
            links.push(ParentGrant {
                model: *parent,
                grant,
            });
        }
        links
    }

    /// `contributor` proposes `count` contributions to `model`, ten per transaction.
    pub async fn propose_many(&self, model: &Pubkey, contributor: &Keypair, count: u32) {
        let first = self.client.next_contribution_index(model).await.unwrap();
        let indices: Vec<u32> = (first..first + count).collect();
        for chunk in indices.chunks(10) {
            let instructions: Vec<Instruction> = chunk
                .iter()
                .map(|index| {
                    ix::propose_contribution(
                        &contributor.pubkey(),
                        model,
                        *index,
                        contribution_args(),
                    )
                })
                .collect();
            self.client
                .send(&instructions, &[contributor])
                .await
                .expect("propose batch");
        }
    }

    /// Makes `model`'s book one from before proposals paid for their entries:
    /// no entries at all, whatever was proposed (acceptances then grow it).
    pub async fn forget_book_entries(&self, model: &Pubkey) {
        use model_ledger::{constants::DISCRIMINATOR_LEN, state::RoyaltyBook};
        let book = pda::royalty_book(model).0;
        let mut account = self.account(&book).await.expect("the model's book");
        let at = DISCRIMINATOR_LEN + core::mem::offset_of!(RoyaltyBook, entry_count);
        account.data[at..at + 4].copy_from_slice(&0u32.to_le_bytes());
        account.data.truncate(RoyaltyBook::space_for(0));
        account.lamports = self
            .banks
            .get_rent()
            .await
            .unwrap()
            .minimum_balance(account.data.len());
        self.forge_account(&book, account).await;
    }

    /// The authority accepts contributions `indices` with `shares` each, twenty per transaction.
    pub async fn accept_many(
        &self,
        authority: &Keypair,
        model: &Pubkey,
        indices: std::ops::Range<u32>,
        shares: u64,
    ) {
        let indices: Vec<u32> = indices.collect();
        for chunk in indices.chunks(20) {
            let instructions: Vec<Instruction> = chunk
                .iter()
                .map(|index| ix::accept_contribution(&authority.pubkey(), model, *index, shares))
                .collect();
            self.client
                .send(&instructions, &[authority])
                .await
                .expect("accept batch");
        }
    }
}

pub fn attribution(entries: &[(u32, u16)]) -> Vec<AttributionEntry> {
    entries
        .iter()
        .map(|(index, weight)| AttributionEntry {
            index: *index,
            weight: *weight,
        })
        .collect()
}

pub fn model_args(seed: u8) -> RegisterModelArgs {
    RegisterModelArgs {
        model_id: [seed; 32],
        name: format!("model-{seed}"),
        metadata_uri: format!("ipfs://model-{seed}"),
        content_hash: [seed.wrapping_add(100); 32],
        attribution_bps: 3_000,
    }
}

pub fn contribution_args() -> ProposeContributionArgs {
    ProposeContributionArgs {
        kind: ContributionKind::Dataset,
        content_hash: [9; 32],
        uri: "ar://dataset".into(),
    }
}

/// Commercial terms with a per-call price and derivatives allowed at 10 %.
/// AI terms that allow every AI use and restrict nothing: what the tests
/// publish unless they test AI terms.
pub fn open_ai() -> model_ledger::state::AiTerms {
    use model_ledger::state::AiUse::Allowed;
    model_ledger::state::AiTerms {
        data_mining: Allowed,
        ai_inference: Allowed,
        ai_generative_training: Allowed,
        ai_training: Allowed,
        restrictions: 0,
        carried_restrictions: 0,
    }
}

pub fn commercial_terms() -> LicenseTerms {
    LicenseTerms {
        price_per_call: 1_000,
        upfront_fee: 50_000,
        commercial_use: true,
        derivatives_allowed: true,
        attribution_required: false,
        transferable: false,
        derivative_royalty_bps: 1_000,
        call_limit: 1_000_000,
        duration_seconds: 30 * 24 * 3600,
        terms_uri: "https://example.org/terms/v1".into(),
        terms_hash: [5; 32],
    }
}

/// Appends an account the instruction does not expect.
pub fn with_extra_account(mut instruction: Instruction) -> Instruction {
    instruction
        .accounts
        .push(AccountMeta::new_readonly(Pubkey::new_unique(), false));
    instruction
}

/// `instruction` with every mention of `original` replaced by `substitute`
/// (by address, so a test does not depend on account positions).
pub fn substituted(
    mut instruction: Instruction,
    original: &Pubkey,
    substitute: &Pubkey,
) -> Instruction {
    let mut found = false;
    for meta in &mut instruction.accounts {
        if meta.pubkey == *original {
            meta.pubkey = *substitute;
            found = true;
        }
    }
    assert!(found, "{original} is not among the instruction's accounts");
    instruction
}

/// The single event a one-instruction transaction emitted.
pub fn only_event(outcome: &TransactionOutcome) -> &LedgerEvent {
    assert_eq!(outcome.events.len(), 1, "events: {:?}", outcome.events);
    &outcome.events[0]
}

/// An Anchor framework error (constraint failures and the like) as the runtime reports it.
pub fn anchor_error(code: anchor_lang::error::ErrorCode) -> InstructionError {
    InstructionError::Custom(code as u32)
}

/// The databases an index test writes to: a SQLite file in `dir`, and a
/// fresh PostgreSQL database too when `MODEL_LEDGER_TEST_POSTGRES` names a
/// server (`.ci/run` starts one), so both backends pass the same tests.
pub fn index_databases(
    dir: &std::path::Path,
    name: &str,
) -> Vec<model_ledger_indexer::DatabaseUrl> {
    let mut databases = vec![model_ledger_indexer::DatabaseUrl::Sqlite(
        dir.join(format!("{name}.sqlite")),
    )];
    if let Ok(server) = std::env::var(POSTGRES_ENV) {
        let unique = format!("{name}_{}", rand::random::<u32>());
        databases.push(on_thread(move || {
            model_ledger_indexer::DatabaseUrl::fresh_postgres(&server, &unique)
                .expect("a fresh PostgreSQL database")
        }));
    }
    databases
}

/// Names a PostgreSQL server for the index tests (`postgres://…`).
pub const POSTGRES_ENV: &str = "MODEL_LEDGER_TEST_POSTGRES";

/// The chain the test ledger is, as an index names it.
pub fn test_chain() -> model_ledger_indexer::ChainIdentity {
    model_ledger_indexer::ChainIdentity {
        program_id: model_ledger::ID,
        cluster: "program-test".into(),
    }
}

/// Runs `work` on a thread of its own, as the index's blocking drivers need.
pub fn on_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(work).join().expect("the index thread")
}

impl TestLedger {
    /// Every transaction that landed through the ledger's client so far.
    pub fn landed(&self) -> Vec<model_ledger_indexer::ChainTransaction> {
        self.client
            .connection
            .landed()
            .iter()
            .map(model_ledger_indexer::ChainTransaction::from)
            .collect()
    }

    /// The accounts `addresses` as the chain holds them now.
    pub async fn chain_accounts(
        &self,
        addresses: &[Pubkey],
    ) -> model_ledger_indexer::ChainAccounts {
        let mut accounts = model_ledger_indexer::ChainAccounts::new();
        for address in addresses {
            if let Some(account) = self.account(address).await {
                accounts.insert(*address, account);
            }
        }
        accounts
    }

    /// Indexes every landed transaction into each test database and checks
    /// the index against the chain's accounts.
    pub async fn assert_index_agrees(&self) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        for database in index_databases(dir.path(), "agrees") {
            self.index_and_verify(&database)
                .await
                .unwrap_or_else(|difference| panic!("{database}: {difference}"));
        }
    }

    /// Indexes every transaction that landed into `database`, then compares
    /// the index with the chain.
    pub async fn index_and_verify(
        &self,
        database: &model_ledger_indexer::DatabaseUrl,
    ) -> Result<model_ledger_indexer::Verified, model_ledger_indexer::Difference> {
        self.index_verify_then(database, |_| ()).await.0
    }

    /// Like [`Self::index_and_verify`], then runs `then` on the index (on
    /// the index's thread, where it is dropped too: its drivers block).
    pub async fn index_verify_then<T: Send + 'static>(
        &self,
        database: &model_ledger_indexer::DatabaseUrl,
        then: impl FnOnce(&mut model_ledger_indexer::Indexer) -> T + Send + 'static,
    ) -> (
        Result<model_ledger_indexer::Verified, model_ledger_indexer::Difference>,
        T,
    ) {
        self.index_tamper_verify_then(database, |_| (), then).await
    }

    /// Indexes every transaction that landed into `database`, lets `tamper`
    /// change the index, then verifies it (against a rebuild of the same
    /// transactions and the chain's accounts) and runs `then` on it.
    pub async fn index_tamper_verify_then<T: Send + 'static>(
        &self,
        database: &model_ledger_indexer::DatabaseUrl,
        tamper: impl FnOnce(&mut model_ledger_indexer::Indexer) + Send + 'static,
        then: impl FnOnce(&mut model_ledger_indexer::Indexer) -> T + Send + 'static,
    ) -> (
        Result<model_ledger_indexer::Verified, model_ledger_indexer::Difference>,
        T,
    ) {
        let transactions = self.landed();
        let url = database.clone();
        let applied = transactions.clone();
        let (mut indexer, addresses) = on_thread(move || {
            let mut indexer = index_of(&url, &applied);
            tamper(&mut indexer);
            let addresses = model_ledger_indexer::accounts_to_verify(&mut indexer).unwrap();
            (ThreadBound(Some(indexer)), addresses)
        });
        let accounts = self.chain_accounts(&addresses).await;
        let mut indexer = indexer.0.take().expect("the index");
        on_thread(move || {
            let mut rebuilt = index_of(
                &model_ledger_indexer::DatabaseUrl::in_memory(),
                &transactions,
            );
            let verified =
                model_ledger_indexer::verify(&mut indexer, &mut rebuilt, &accounts).unwrap();
            let then = then(&mut indexer);
            (verified, then)
        })
    }
}

impl TestLedger {
    /// Verifies a SQLite index and its rebuild both changed by `tamper`, as
    /// an indexer that applies some event wrongly would make them: only the
    /// comparison with the chain's accounts can tell.
    pub async fn verify_wrong_twice(
        &self,
        tamper: impl Fn(&mut model_ledger_indexer::Indexer) + Send + Sync + 'static,
    ) -> Result<model_ledger_indexer::Verified, model_ledger_indexer::Difference> {
        let transactions = self.landed();
        let tamper = std::sync::Arc::new(tamper);
        let (applied, also) = (transactions.clone(), tamper.clone());
        let (indexer, addresses) = on_thread(move || {
            let mut indexer = index_of(&model_ledger_indexer::DatabaseUrl::in_memory(), &applied);
            also(&mut indexer);
            let addresses = model_ledger_indexer::accounts_to_verify(&mut indexer).unwrap();
            (ThreadBound(Some(indexer)), addresses)
        });
        let accounts = self.chain_accounts(&addresses).await;
        let mut indexer = indexer;
        let mut indexer = indexer.0.take().expect("the index");
        on_thread(move || {
            let mut rebuilt = index_of(
                &model_ledger_indexer::DatabaseUrl::in_memory(),
                &transactions,
            );
            tamper(&mut rebuilt);
            model_ledger_indexer::verify(&mut indexer, &mut rebuilt, &accounts).unwrap()
        })
    }
}

/// An index at `url` of `transactions`, in order.
fn index_of(
    url: &model_ledger_indexer::DatabaseUrl,
    transactions: &[model_ledger_indexer::ChainTransaction],
) -> model_ledger_indexer::Indexer {
    let mut indexer =
        model_ledger_indexer::Indexer::open(url, &test_chain()).expect("open the index");
    for transaction in transactions {
        indexer
            .apply(transaction, None)
            .unwrap_or_else(|error| panic!("indexing {}: {error}", transaction.signature));
    }
    indexer
}

/// Indexes that follow a test ledger transaction by transaction (SQLite,
/// and PostgreSQL when [`POSTGRES_ENV`] names a server), each compared with
/// the chain's accounts whenever it catches up.
pub struct FollowingIndexes {
    indexes: Vec<(model_ledger_indexer::DatabaseUrl, ThreadBound)>,
    applied: usize,
    _dir: tempfile::TempDir,
}

impl FollowingIndexes {
    /// SQLite, and PostgreSQL too when `with_postgres` and a server is named.
    pub fn open(name: &str, with_postgres: bool) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut databases = index_databases(dir.path(), name);
        if !with_postgres {
            databases.truncate(1);
        }
        let indexes = databases
            .into_iter()
            .map(|url| {
                let opened = url.clone();
                let indexer = on_thread(move || {
                    ThreadBound(Some(
                        model_ledger_indexer::Indexer::open(&opened, &test_chain())
                            .expect("open the index"),
                    ))
                });
                (url, indexer)
            })
            .collect();
        Self {
            indexes,
            applied: 0,
            _dir: dir,
        }
    }

    /// Applies every transaction `ledger` landed since the last call, then
    /// compares each index with the chain's accounts as they are now.
    /// Returns how many transactions it applied.
    pub async fn catch_up(&mut self, ledger: &TestLedger) -> Result<usize, String> {
        let transactions: Vec<model_ledger_indexer::ChainTransaction> = ledger
            .client
            .connection
            .landed_from(self.applied)
            .iter()
            .map(model_ledger_indexer::ChainTransaction::from)
            .collect();
        self.applied += transactions.len();
        let transactions = std::sync::Arc::new(transactions);
        let mut addresses = None;
        for (url, slot) in &mut self.indexes {
            let mut indexer = slot.0.take().expect("the index");
            let applying = transactions.clone();
            let (indexer, result) = on_thread(move || {
                let result = applying
                    .iter()
                    .try_for_each(|transaction| {
                        indexer
                            .apply(transaction, None)
                            .map(drop)
                            .map_err(|error| format!("indexing {}: {error}", transaction.signature))
                    })
                    .and_then(|()| {
                        model_ledger_indexer::accounts_to_verify(&mut indexer)
                            .map_err(|error| error.to_string())
                    });
                (ThreadBound(Some(indexer)), result)
            });
            *slot = indexer;
            let listed = result.map_err(|error| format!("{url}: {error}"))?;
            addresses.get_or_insert(listed);
        }
        let accounts = std::sync::Arc::new(
            ledger
                .chain_accounts(addresses.as_deref().unwrap_or_default())
                .await,
        );
        for (url, slot) in &mut self.indexes {
            let mut indexer = slot.0.take().expect("the index");
            let chain = accounts.clone();
            let (indexer, verified) = on_thread(move || {
                let verified = model_ledger_indexer::verify_accounts(&mut indexer, &chain);
                (ThreadBound(Some(indexer)), verified)
            });
            *slot = indexer;
            match verified {
                Ok(Ok(_)) => {}
                Ok(Err(difference)) => return Err(format!("{url}: {difference}")),
                Err(error) => return Err(format!("{url}: {error}")),
            }
        }
        Ok(transactions.len())
    }
}

/// An index carried across the test's async code; if it is ever dropped
/// there, it is dropped on a thread of its own (a PostgreSQL client may not
/// close inside an async runtime).
pub struct ThreadBound(pub Option<model_ledger_indexer::Indexer>);

impl Drop for ThreadBound {
    fn drop(&mut self) {
        if let Some(indexer) = self.0.take() {
            on_thread(move || drop(indexer));
        }
    }
}
