//! The only code that changes a royalty book.
//!
//! An instruction loads its book once ([`Book::load`]), makes its money
//! change through one method (a payment, a claim, an upstream settlement,
//! the authority's unallocated withdrawal, a contribution starting or
//! stopping to earn, growth), which returns what the handler emits, and
//! [`Book::commit`]s: the header is written once and the book's invariant
//! checked. The arithmetic is `math::royalty`; the token transfers are
//! `crate::token`; this module joins the two to the account's bytes.

use anchor_lang::prelude::*;

use crate::{
    account_init::Creation,
    constants::DISCRIMINATOR_LEN,
    errors::LedgerError,
    events::PaymentRecord,
    math::{
        book_money::BookMoney,
        royalty::{Distribution, EntryBalance, SharesError},
        wide::add_credit_le,
        MathError, SafeMath,
    },
    state::{
        AttributionEntry, BookEntry, ModelTerms, ProposalPolicy, RoyaltyBook, BOOK_ENTRY_SIZE,
        ENTRY_ACCRUED_SCALED, ENTRY_ACTIVE_SHARES, MAX_CONTRIBUTIONS, MAX_ENTRIES_PER_GROWTH,
    },
};

/// What a proposal did to its model's book.
pub struct Proposal {
    /// The index the new contribution received.
    pub index: u32,
    /// Who may propose to the model (the caller checks the proposer).
    pub policy: ProposalPolicy,
    /// Where the book grew to hold the new index's entry, paid by the
    /// proposer: its new length and the lamports it needs for rent.
    pub growth: Option<(usize, u64)>,
}

/// Takes the next contribution index of `model`'s book in `account` (whose
/// owner and discriminator Anchor checked): a book of another model is
/// `BookMismatch`, and `expected` must be the index (`ContributionIndexMismatch`),
/// so a client never gets an index it did not ask for.
///
/// A book that holds an entry for every earlier index (every book registered
/// since proposals pay for their entries) also counts the new index's entry:
/// the proposer pays its rent ([`Proposal::growth`]; the caller resizes the
/// account once the rent has arrived), so accepting never costs the
/// authority more than the fee, however many proposals came before. A
/// proposal changes nothing else, so it touches only these header fields
/// rather than loading and committing the whole book.
pub fn propose_contribution(
    account: &AccountInfo,
    model: &Pubkey,
    expected: u32,
) -> Result<Proposal> {
    const MODEL: usize = DISCRIMINATOR_LEN + core::mem::offset_of!(RoyaltyBook, model);
    const COUNT: usize = DISCRIMINATOR_LEN + core::mem::offset_of!(RoyaltyBook, contribution_count);
    const ENTRIES: usize = DISCRIMINATOR_LEN + core::mem::offset_of!(RoyaltyBook, entry_count);
    const POLICY: usize = DISCRIMINATOR_LEN + core::mem::offset_of!(RoyaltyBook, proposal_policy);
    let lamports = account.lamports();
    let mut data = account.try_borrow_mut_data()?;
    require!(
        data.get(MODEL..MODEL + 32) == Some(model.as_ref()),
        LedgerError::BookMismatch
    );
    let index = read_u32(&data, COUNT)?;
    require!(index < MAX_CONTRIBUTIONS, LedgerError::ModelFull);
    require_eq!(expected, index, LedgerError::ContributionIndexMismatch);
    let policy = data
        .get(POLICY)
        .copied()
        .and_then(ProposalPolicy::from_byte)
        .ok_or(LedgerError::InvariantViolated)?;
    let next = index.safe_add(1)?;
    write_u32(&mut data, COUNT, next)?;
    // A book whose entries lag behind its proposals (one from before they
    // paid for their entries) still grows at acceptance; one ahead has room.
    if read_u32(&data, ENTRIES)? != index {
        return Ok(Proposal {
            index,
            policy,
            growth: None,
        });
    }
    write_u32(&mut data, ENTRIES, next)?;
    let new_len = RoyaltyBook::space_for(next);
    let rent = Rent::get()?
        .minimum_balance(new_len)
        .saturating_sub(lamports);
    Ok(Proposal {
        index,
        policy,
        growth: Some((new_len, rent)),
    })
}

fn read_u32(data: &[u8], at: usize) -> Result<u32> {
    let bytes = data.get(at..at + 4).ok_or(LedgerError::InvariantViolated)?;
    Ok(u32::from_le_bytes(bytes.try_into().map_err(|_| MathError)?))
}

fn write_u32(data: &mut [u8], at: usize, value: u32) -> Result<()> {
    data.get_mut(at..at + 4)
        .ok_or(LedgerError::InvariantViolated)?
        .copy_from_slice(&value.to_le_bytes());
    Ok(())
}

/// A royalty book loaded for one instruction.
pub struct Book<'a, 'info> {
    account: &'a AccountInfo<'info>,
    header: RoyaltyBook,
    money: BookMoney,
}

/// What a payment is and how the model divides it.
pub struct Payment<'a> {
    pub amount: u64,
    /// 0 for an upstream settlement: the protocol fee was taken at the first hop.
    pub fee_bps: u16,
    /// The paid model's terms (its parents' royalties, its attribution ratio).
    pub terms: &'a ModelTerms,
    /// Empty: everything after fee and royalties goes to the shares.
    pub attribution: &'a [AttributionEntry],
}

/// The model's shares after a contribution started or stopped earning.
pub struct SharesChange {
    pub total_shares: u64,
    pub accepted_count: u32,
    pub acc_per_share: u128,
}

/// What a claim withdrew, for the event.
pub struct ClaimSummary {
    pub amount: u64,
    pub claimed_total: u128,
    pub accrued_scaled_left: u128,
    pub snapshot: u128,
}

impl<'a, 'info> Book<'a, 'info> {
    /// Reads the header of `account`, a book whose owner and discriminator
    /// Anchor checked (or that `initialize` just wrote).
    pub fn load(account: &'a AccountInfo<'info>) -> Result<Self> {
        let header = RoyaltyBook::header_from(&account.try_borrow_data()?)
            .ok_or(LedgerError::InvariantViolated)?;
        let money = header.money();
        Ok(Self {
            account,
            header,
            money,
        })
    }

    /// Writes the discriminator and an empty header into a freshly created
    /// book of `model`, whose vault holds `payment_mint` (of `token_program`,
    /// with `payment_decimals`).
    pub fn initialize(
        account: &'a AccountInfo<'info>,
        bump: u8,
        model: Pubkey,
        vault: Pubkey,
        payment_mint: Pubkey,
        token_program: Pubkey,
        payment_decimals: u8,
    ) -> Result<Self> {
        let mut header = <RoyaltyBook as bytemuck::Zeroable>::zeroed();
        header.version = crate::constants::ACCOUNT_VERSION;
        header.bump = bump;
        header.model = model;
        header.vault = vault;
        header.payment_mint = payment_mint;
        header.token_program = token_program;
        header.payment_decimals = payment_decimals;
        account.try_borrow_mut_data()?[..crate::constants::DISCRIMINATOR_LEN]
            .copy_from_slice(RoyaltyBook::DISCRIMINATOR);
        Ok(Self {
            account,
            header,
            money: BookMoney::default(),
        })
    }

    pub fn entry_count(&self) -> u32 {
        self.header.entry_count
    }

    pub fn header(&self) -> &RoyaltyBook {
        &self.header
    }

    pub fn account(&self) -> &'a AccountInfo<'info> {
        self.account
    }

    /// Books a payment that is in the vault (the protocol fee included: it
    /// is booked for the treasury). Each attributed contribution must be
    /// accepted (`ContributionNotAccepted`).
    pub fn pay(&mut self, payment: Payment) -> Result<PaymentRecord> {
        let parent_bps = payment.terms.parent_bps();
        let weight_total = payment
            .attribution
            .iter()
            .try_fold(0u64, |sum, entry| sum.safe_add(u64::from(entry.weight)))?;
        let distribution = self.money.pay(
            payment.amount,
            payment.fee_bps,
            parent_bps,
            payment.terms.attribution_bps,
            weight_total,
        )?;
        self.credit_attributed(payment.attribution, distribution.per_weight_scaled)?;
        Ok(self.payment_record(payment.amount, &distribution, parent_bps.len()))
    }

    /// Adds `weight × per_weight_scaled` to each attributed entry, refusing
    /// an entry that is missing or not earning. Only the two fields involved
    /// are read and the one changed is written, in place, under one borrow:
    /// a batch may name 100 entries, and in the VM every copied byte costs.
    fn credit_attributed(
        &self,
        attribution: &[AttributionEntry],
        per_weight_scaled: u128,
    ) -> Result<()> {
        if attribution.is_empty() {
            return Ok(());
        }
        let mut data = self.account.try_borrow_mut_data()?;
        for entry in attribution {
            require!(
                entry.index < self.header.entry_count,
                LedgerError::ContributionNotAccepted
            );
            let start = RoyaltyBook::entry_offset(entry.index);
            let slot: &mut [u8; BOOK_ENTRY_SIZE] = data
                .get_mut(start..start + BOOK_ENTRY_SIZE)
                .and_then(|slot| slot.try_into().ok())
                .ok_or(LedgerError::InvariantViolated)?;
            let (shares, rest) = slot.split_at_mut(ENTRY_ACCRUED_SCALED);
            let active_shares = shares
                .get(ENTRY_ACTIVE_SHARES..ENTRY_ACTIVE_SHARES + 8)
                .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
                .ok_or(LedgerError::InvariantViolated)?;
            require!(
                active_shares != [0; 8],
                LedgerError::ContributionNotAccepted
            );
            let accrued: &mut [u8; 16] = rest
                .get_mut(..16)
                .and_then(|bytes| bytes.try_into().ok())
                .ok_or(LedgerError::InvariantViolated)?;
            add_credit_le(accrued, per_weight_scaled, entry.weight)?;
        }
        Ok(())
    }

    /// Withdraws every whole token entry `index` has earned; the sub-token
    /// fraction stays. A contribution never accepted has no entry and gets 0.
    pub fn claim(&mut self, index: u32) -> Result<ClaimSummary> {
        let Some(mut entry) = self.entry(index)? else {
            return Ok(ClaimSummary {
                amount: 0,
                claimed_total: 0,
                accrued_scaled_left: 0,
                snapshot: 0,
            });
        };
        let mut balance = entry.balance();
        let withdrawal = self.money.claim(&mut balance, entry.claimed_total())?;
        entry.set_balance(&balance);
        entry.claimed_total = withdrawal.claimed_total.to_le_bytes();
        self.write_entry(index, &entry)?;
        Ok(ClaimSummary {
            amount: withdrawal.amount,
            claimed_total: withdrawal.claimed_total,
            accrued_scaled_left: balance.accrued_scaled,
            snapshot: balance.snapshot,
        })
    }

    /// Takes what parent `position` is owed, as it leaves the vault.
    pub fn settle_upstream(&mut self, position: usize) -> Result<u64> {
        Ok(self.money.settle_upstream(position)?)
    }

    /// Takes the protocol fees booked for the treasury, as they leave the vault.
    pub fn collect_protocol_fees(&mut self) -> Result<u64> {
        Ok(self.money.collect_protocol_fees()?)
    }

    /// Takes the authority's unallocated balance, as it leaves the vault.
    pub fn take_unallocated(&mut self) -> Result<u64> {
        Ok(self.money.take_unallocated()?)
    }

    /// What `vault_balance` holds beyond the book (`BookMoney::surplus`).
    pub fn surplus(&self, vault_balance: u64) -> Result<u64> {
        Ok(self.money.surplus(vault_balance)?)
    }

    /// Entry `index` starts earning with `shares` from the next payment on
    /// (`SharesAboveLimit` past the model's cap); the book grows to hold it,
    /// `creation` paying the rent.
    pub fn activate(
        &mut self,
        index: u32,
        shares: u64,
        creation: &Creation<'_, 'info>,
    ) -> Result<SharesChange> {
        self.grow_to(index.safe_add(1)?, creation)?;
        let mut entry = self.entry(index)?.ok_or(LedgerError::InvariantViolated)?;
        let mut balance = entry.balance();
        balance
            .activate(shares, &mut self.money.pools)
            .map_err(|error| match error {
                SharesError::AboveLimit => error!(LedgerError::SharesAboveLimit),
                SharesError::Math(math) => math.into(),
            })?;
        self.store_balance(index, &mut entry, &balance)
    }

    /// Entry `index` stops earning; what it earned stays.
    pub fn deactivate(&mut self, index: u32) -> Result<SharesChange> {
        let mut entry = self.entry(index)?.ok_or(LedgerError::InvariantViolated)?;
        let mut balance = entry.balance();
        balance.deactivate(&mut self.money.pools)?;
        self.store_balance(index, &mut entry, &balance)
    }

    /// Sets who may propose; returns the policy it replaces.
    pub fn set_proposal_policy(&mut self, policy: ProposalPolicy) -> Result<ProposalPolicy> {
        let previous = ProposalPolicy::from_byte(self.header.proposal_policy)
            .ok_or(LedgerError::InvariantViolated)?;
        self.header.proposal_policy = policy.byte();
        Ok(previous)
    }

    /// The model's shares as they are (a rejection changes none).
    pub fn unchanged_shares(&self) -> SharesChange {
        let pools = &self.money.pools;
        SharesChange {
            total_shares: pools.total_shares,
            accepted_count: pools.accepted_count,
            acc_per_share: pools.acc_per_share,
        }
    }

    /// Makes room for entries `0..entries`, at most [`MAX_ENTRIES_PER_GROWTH`]
    /// new ones per instruction (`BookGrowthTooLarge`), `creation` paying the rent.
    pub fn grow_to(&mut self, entries: u32, creation: &Creation<'_, 'info>) -> Result<()> {
        let current = self.header.entry_count;
        if entries <= current {
            return Ok(());
        }
        require!(
            entries - current <= MAX_ENTRIES_PER_GROWTH,
            LedgerError::BookGrowthTooLarge
        );
        creation.grow(self.account, RoyaltyBook::space_for(entries))?;
        self.header.entry_count = entries;
        Ok(())
    }

    /// Writes the header once and checks the book against its model.
    pub fn commit(&mut self, model: &Pubkey) -> Result<()> {
        self.header.set_money(&self.money);
        let header = &self.header;
        require!(
            header.model == *model
                && self.account.data_len() >= RoyaltyBook::space_for(header.entry_count)
                && self.money.held().is_ok()
                && (header.accepted_count == 0) == (header.total_shares == 0)
                && header.accepted_count <= header.entry_count
                && header.accepted_count <= header.contribution_count,
            LedgerError::InvariantViolated
        );
        let end = RoyaltyBook::SPACE;
        self.account.try_borrow_mut_data()?[crate::constants::DISCRIMINATOR_LEN..end]
            .copy_from_slice(bytemuck::bytes_of(header));
        Ok(())
    }

    /// A record of a payment, or of "nothing booked" (`distribution` all
    /// zeros, `parents` 0), with the book's state after it.
    pub fn payment_record(
        &self,
        amount: u64,
        distribution: &Distribution,
        parents: usize,
    ) -> PaymentRecord {
        PaymentRecord::of(amount, distribution, parents, &self.money)
    }

    fn entry(&self, index: u32) -> Result<Option<BookEntry>> {
        if index >= self.header.entry_count {
            return Ok(None);
        }
        let data = self.account.try_borrow_data()?;
        Ok(Some(
            self.header
                .entry_from(&data, index)
                .ok_or(LedgerError::InvariantViolated)?,
        ))
    }

    fn write_entry(&self, index: u32, entry: &BookEntry) -> Result<()> {
        let start = RoyaltyBook::entry_offset(index);
        let mut data = self.account.try_borrow_mut_data()?;
        data.get_mut(start..start + core::mem::size_of::<BookEntry>())
            .ok_or(LedgerError::InvariantViolated)?
            .copy_from_slice(bytemuck::bytes_of(entry));
        Ok(())
    }

    fn store_balance(
        &self,
        index: u32,
        entry: &mut BookEntry,
        balance: &EntryBalance,
    ) -> Result<SharesChange> {
        entry.set_balance(balance);
        self.write_entry(index, entry)?;
        Ok(self.unchanged_shares())
    }
}
