//! Reads: typed accounts, the royalty book, balances, audits, earnings,
//! lineage and whole-model views, all from account state (no scans).

use solana_sdk::{account::Account, pubkey::Pubkey, signer::Signer};

use crate::{
    accounts::{
        decode, decode_book_entry, decode_royalty_book, Config, Contribution, Grant, License,
        Model, ModelView,
    },
    client::LedgerClient,
    connection::LedgerConnection,
    instructions::ModelAccounts,
    pda, SdkError,
};
use model_ledger::state::{BookEntry, ParentLink, RoyaltyBook};

impl<C: LedgerConnection, P: Signer> LedgerClient<C, P> {
    async fn fetch<T>(&self, address: &Pubkey) -> Result<T, SdkError>
    where
        T: anchor_lang::AccountDeserialize + anchor_lang::Discriminator,
    {
        decode(address, &self.existing_account(address).await?)
    }

    /// The account at `address`, or `AccountNotFound`.
    pub(crate) async fn existing_account(&self, address: &Pubkey) -> Result<Account, SdkError> {
        self.connection
            .get_account(address)
            .await?
            .ok_or(SdkError::AccountNotFound(*address))
    }

    /// A model's royalty book: its address and raw account.
    async fn book_account(&self, model: &Pubkey) -> Result<(Pubkey, Account), SdkError> {
        let address = pda::royalty_book(model).0;
        Ok((address, self.existing_account(&address).await?))
    }

    pub async fn config(&self) -> Result<Config, SdkError> {
        self.fetch(&pda::config().0).await
    }

    pub async fn model(&self, address: &Pubkey) -> Result<Model, SdkError> {
        self.fetch(address).await
    }

    pub async fn contribution(&self, address: &Pubkey) -> Result<Contribution, SdkError> {
        self.fetch(address).await
    }

    pub async fn license(&self, address: &Pubkey) -> Result<License, SdkError> {
        self.fetch(address).await
    }

    pub async fn grant(&self, address: &Pubkey) -> Result<Grant, SdkError> {
        self.fetch(address).await
    }

    /// The header of a model's royalty book.
    pub async fn royalty_book(&self, model: &Pubkey) -> Result<RoyaltyBook, SdkError> {
        let (address, account) = self.book_account(model).await?;
        decode_royalty_book(&address, &account)
    }

    /// Entry `index` of a model's royalty book (all zeros for a contribution
    /// never accepted).
    pub async fn book_entry(&self, model: &Pubkey, index: u32) -> Result<BookEntry, SdkError> {
        let (address, account) = self.book_account(model).await?;
        decode_book_entry(&address, &account, index)
    }

    /// Entries `indices` of a model's royalty book, from one read of it
    /// (all zeros for a contribution never accepted).
    pub async fn book_entries(
        &self,
        model: &Pubkey,
        indices: impl IntoIterator<Item = u32>,
    ) -> Result<Vec<(u32, BookEntry)>, SdkError> {
        let (address, account) = self.book_account(model).await?;
        indices
            .into_iter()
            .map(|index| Ok((index, decode_book_entry(&address, &account, index)?)))
            .collect()
    }

    /// The contributions of `model` that earn (accepted, with active
    /// shares): the only ones a batch may name.
    pub async fn earning_contributions(
        &self,
        model: &Pubkey,
    ) -> Result<std::collections::BTreeSet<u32>, SdkError> {
        let count = self.royalty_book(model).await?.entry_count;
        Ok(self
            .book_entries(model, 0..count)
            .await?
            .into_iter()
            .filter(|(_, entry)| entry.active_shares > 0)
            .map(|(index, _)| index)
            .collect())
    }

    /// A token account's balance; 0 if the account does not exist.
    pub async fn token_balance(&self, account: &Pubkey) -> Result<u64, SdkError> {
        match self.connection.get_account(account).await? {
            Some(data) => token_amount(account, &data),
            None => Ok(0),
        }
    }

    /// A mint's decimals (SPL Token or Token-2022).
    pub async fn mint_decimals(&self, mint: &Pubkey) -> Result<u8, SdkError> {
        use anchor_spl::token_2022::spl_token_2022::{extension::StateWithExtensions, state::Mint};
        let account = self.existing_account(mint).await?;
        StateWithExtensions::<Mint>::unpack(&account.data)
            .map(|state| state.base.decimals)
            .map_err(|error| SdkError::Decode {
                address: *mint,
                reason: format!("not a token mint: {error}"),
            })
    }

    /// Checks, against the vault's real token balance, that the model's
    /// royalty book accounts for every token unit (reads every book entry).
    pub async fn audit(&self, model: &Pubkey) -> Result<Audit, SdkError> {
        let (book_address, book_account) = self.book_account(model).await?;
        let book = decode_royalty_book(&book_address, &book_account)?;
        let pools = book.pools();
        let overflow = |_| SdkError::Decode {
            address: book_address,
            reason: "book totals overflow".into(),
        };
        let mut owed_scaled = 0u128;
        for index in 0..book.entry_count {
            let entry = decode_book_entry(&book_address, &book_account, index)?;
            owed_scaled = owed_scaled
                .checked_add(entry.balance().owed_scaled(&pools).map_err(overflow)?)
                .ok_or(SdkError::Decode {
                    address: book_address,
                    reason: "book totals overflow".into(),
                })?;
        }
        let vault_address = pda::vault(model).0;
        let vault = self.existing_account(&vault_address).await?;
        let vault_balance = token_amount(&vault_address, &vault)?;
        Ok(Audit {
            surplus: book.money().surplus(vault_balance).ok(),
            vault_balance,
            owed_scaled,
            held_scaled: pools.held_scaled().map_err(overflow)?,
        })
    }

    /// Where `model` keeps its money.
    pub async fn model_accounts(&self, model: &Pubkey) -> Result<ModelAccounts, SdkError> {
        let record = self.model(model).await?;
        Ok(ModelAccounts {
            model: *model,
            payment_mint: record.payment_mint,
            token_program: record.token_program,
        })
    }

    /// The treasury's associated token account for `model`'s payment mint,
    /// where the SDK sweeps protocol fees (the program accepts any token
    /// account the treasury owns).
    pub async fn treasury_token(&self, model: &ModelAccounts) -> Result<Pubkey, SdkError> {
        let treasury = self.config().await?.treasury;
        Ok(associated_token(&treasury, model))
    }

    /// What every contribution of `wallet` (as payout wallet) can claim now
    /// and has claimed, across `models`.
    pub async fn earnings(
        &self,
        wallet: &Pubkey,
        models: &[Pubkey],
    ) -> Result<Vec<Earning>, SdkError> {
        let mut earnings = Vec::new();
        for model in models {
            let view = self.model_view(model).await?;
            earnings.extend(
                self.model_earnings(&view)
                    .await?
                    .into_iter()
                    .filter(|earning| earning.payout_wallet == *wallet),
            );
        }
        Ok(earnings)
    }

    /// What each contribution of the model in `view` can claim now and has
    /// claimed.
    pub async fn model_earnings(&self, view: &ModelView) -> Result<Vec<Earning>, SdkError> {
        let (book_address, book_account) = self.book_account(&view.address).await?;
        view.contributions
            .iter()
            .map(|(address, contribution)| {
                earning(
                    &view.address,
                    &book_address,
                    &book_account,
                    address,
                    contribution,
                )
            })
            .collect()
    }

    /// What the contributions `targets` ((model, index) pairs, e.g. found
    /// in an index) can claim now and have claimed, each model's book read
    /// once; a contribution whose record was closed is left out.
    pub async fn earnings_of(&self, targets: &[(Pubkey, u32)]) -> Result<Vec<Earning>, SdkError> {
        let mut earnings = Vec::with_capacity(targets.len());
        let mut book: Option<(Pubkey, Pubkey, Account)> = None;
        for (model, index) in targets {
            if book.as_ref().map(|(of, ..)| of) != Some(model) {
                let (address, account) = self.book_account(model).await?;
                book = Some((*model, address, account));
            }
            let (_, book_address, book_account) = book.as_ref().expect("read above");
            let address = pda::contribution(model, *index).0;
            let Some(account) = self.connection.get_account(&address).await? else {
                continue;
            };
            let contribution: Contribution = decode(&address, &account)?;
            earnings.push(earning(
                model,
                book_address,
                book_account,
                &address,
                &contribution,
            )?);
        }
        Ok(earnings)
    }

    /// The ancestry of `model`, breadth first: every ancestor with the link
    /// (licence, grant, royalty bps) through which its child derives from it.
    pub async fn lineage(&self, model: &Pubkey) -> Result<Vec<LineageLink>, SdkError> {
        let mut links = Vec::new();
        let mut frontier = vec![(*model, 0usize)];
        while let Some((child, depth)) = frontier.pop() {
            for parent in self.model(&child).await?.parents {
                frontier.insert(0, (parent.model, depth + 1));
                links.push(LineageLink {
                    child,
                    depth: depth + 1,
                    link: parent,
                });
            }
        }
        Ok(links)
    }

    /// A model with all its contributions and licence versions, read by index
    /// from the model's own counters (no account scan needed).
    pub async fn model_view(&self, address: &Pubkey) -> Result<ModelView, SdkError> {
        let model = self.model(address).await?;
        let count = self.next_contribution_index(address).await?;
        let mut contributions = Vec::with_capacity(count as usize);
        for index in 0..count {
            let key = pda::contribution(address, index).0;
            // A rejected contribution's proposer may have closed its record.
            if let Some(account) = self.connection.get_account(&key).await? {
                contributions.push((key, decode(&key, &account)?));
            }
        }
        let mut licenses = Vec::new();
        for version in model_ledger::constants::FIRST_LICENSE_VERSION..model.next_license_version {
            let key = pda::license(address, version).0;
            licenses.push((key, self.license(&key).await?));
        }
        Ok(ModelView {
            address: *address,
            model,
            contributions,
            licenses,
        })
    }

    /// What a provenance export describes ([`crate::provenance`]): `model`
    /// and every ancestor once, nearest first, with their contributions,
    /// licences and payment mints' decimals; `cluster` names where they live.
    pub async fn provenance(
        &self,
        model: &Pubkey,
        cluster: &str,
    ) -> Result<crate::provenance::Provenance, SdkError> {
        let mut models = vec![self.model_view(model).await?];
        for link in self.lineage(model).await? {
            if !models.iter().any(|view| view.address == link.link.model) {
                models.push(self.model_view(&link.link.model).await?);
            }
        }
        let mut decimals: Vec<(Pubkey, u8)> = Vec::new();
        for view in &models {
            let mint = view.model.payment_mint;
            if !decimals.iter().any(|(known, _)| *known == mint) {
                decimals.push((mint, self.mint_decimals(&mint).await?));
            }
        }
        Ok(crate::provenance::Provenance {
            cluster: cluster.to_string(),
            program: model_ledger::ID,
            models,
            decimals,
        })
    }

    /// The index the model's next proposed contribution receives.
    pub async fn next_contribution_index(&self, model: &Pubkey) -> Result<u32, SdkError> {
        Ok(self.royalty_book(model).await?.contribution_count)
    }
}

/// The associated token account of `owner` for the model's payment mint.
pub fn associated_token(owner: &Pubkey, model: &ModelAccounts) -> Pubkey {
    anchor_spl::associated_token::get_associated_token_address_with_program_id(
        owner,
        &model.payment_mint,
        &model.token_program,
    )
}

/// One contribution's earnings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Earning {
    pub model: Pubkey,
    pub contribution: Pubkey,
    pub index: u32,
    pub payout_wallet: Pubkey,
    /// Whole tokens a claim would move now.
    pub claimable: u64,
    /// Tokens claimed so far.
    pub claimed: u128,
    /// The mint both amounts are in, and its decimals.
    pub payment_mint: Pubkey,
    pub decimals: u8,
}

/// One derivation in a model's ancestry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineageLink {
    pub child: Pubkey,
    /// 1 for a parent of the model asked about, 2 for a grandparent…
    pub depth: usize,
    pub link: ParentLink,
}

/// A token account's balance (SPL Token or Token-2022).
pub fn token_amount(address: &Pubkey, account: &Account) -> Result<u64, SdkError> {
    use anchor_spl::token_2022::spl_token_2022::{
        extension::StateWithExtensions, state::Account as TokenAccount,
    };
    StateWithExtensions::<TokenAccount>::unpack(&account.data)
        .map(|state| state.base.amount)
        .map_err(|error| SdkError::Decode {
            address: *address,
            reason: error.to_string(),
        })
}

/// A model's books against its vault, in 1/SCALE token units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Audit {
    pub vault_balance: u64,
    /// Tokens in the vault beyond what the book holds (received less paid
    /// out): arrived outside the protocol, booked by `book_surplus`. Not an
    /// imbalance. `None`: the vault holds less than the book, which is.
    pub surplus: Option<u64>,
    /// Σ every contribution's balance, including unsettled accrual.
    pub owed_scaled: u128,
    /// Carries, owed upstream and unallocated.
    pub held_scaled: u128,
}

impl Audit {
    /// (vault − surplus) · SCALE = owed + held, exactly.
    pub fn balanced(&self) -> bool {
        self.surplus
            .and_then(|surplus| self.vault_balance.checked_sub(surplus))
            .map(u128::from)
            .and_then(|accounted| accounted.checked_mul(model_ledger::math::royalty::SCALE))
            == self.owed_scaled.checked_add(self.held_scaled)
    }
}

/// What one contribution can claim now and has claimed, from its model's
/// book: the only place the SDK computes a claimable amount.
fn earning(
    model: &Pubkey,
    book_address: &Pubkey,
    book_account: &Account,
    address: &Pubkey,
    contribution: &Contribution,
) -> Result<Earning, SdkError> {
    let book = decode_royalty_book(book_address, book_account)?;
    let entry = decode_book_entry(book_address, book_account, contribution.index)?;
    Ok(Earning {
        model: *model,
        contribution: *address,
        index: contribution.index,
        payout_wallet: contribution.payout_wallet,
        claimable: crate::claims::claimable_in(book_address, book_account, contribution.index)?,
        claimed: entry.claimed_total(),
        payment_mint: book.payment_mint,
        decimals: book.payment_decimals,
    })
}
