use anchor_lang::prelude::*;
use bytemuck::Zeroable;

use crate::{
    constants::{ACCOUNT_VERSION, DISCRIMINATOR_LEN, MAX_PARENTS},
    errors::LedgerError,
    math::{
        royalty::{EntryBalance, Pools},
        SafeMath,
    },
};

/// The money side of one model (PDA `["royalty_book", model]`): its pools and
/// one [`BookEntry`] per contribution index, kept apart from the provenance
/// records so that paying for inference touches a fixed set of accounts
/// however many contributors a model has.
///
/// Layout: discriminator, this header, then `entry_count` entries. Only the
/// header and the entries an instruction names are read and written
/// (unaligned copies, so the layout is the same on SBF and on the host); the
/// account is never deserialised whole. No `u128` fields (their alignment
/// differs between targets): 128-bit values are little-endian byte arrays.
#[account(zero_copy)]
#[derive(Debug)]
#[repr(C)]
pub struct RoyaltyBook {
    pub version: u8,
    pub bump: u8,
    pub reserved_header: [u8; 6],
    pub model: Pubkey,
    /// Entries allocated; entry `i` belongs to contribution index `i`.
    pub entry_count: u32,
    pub reserved_count: [u8; 4],
    /// Σ shares of accepted contributions.
    pub total_shares: u64,
    /// Reward per share, in 1/SCALE token units (u128 LE).
    pub acc_per_share: [u8; 16],
    /// Remainder of the last accumulator division, 1/SCALE token units (u128 LE).
    pub shares_carry: [u8; 16],
    /// Attributed tokens carried into the next attributed distribution.
    pub attributed_carry: u64,
    /// Shares part received while no shares existed; the model authority's.
    pub unallocated: u64,
    /// Booked for each parent (by position in `Model::parents`), not yet settled.
    pub owed_upstream: [u64; MAX_PARENTS],
    /// Payments booked so far (inference batches, grant fees, settlements in).
    pub payment_count: u64,
    /// Tokens received into the vault over the book's life.
    pub total_received: u64,
    /// Tokens sent out of the vault (claims, settlements, authority withdrawals).
    pub total_paid_out: u64,
    pub reserved: [u8; 128],
}

const _: () = assert!(core::mem::size_of::<RoyaltyBook>() == 320);

/// One contribution's balance in the book.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct BookEntry {
    /// Shares earning now: the accepted shares, 0 otherwise.
    pub active_shares: u64,
    /// `acc_per_share` at the last settlement (u128 LE).
    pub snapshot: [u8; 16],
    /// Shares accrual not yet claimed, 1/SCALE token units (u128 LE).
    pub accrued_scaled: [u8; 16],
    /// Attributed tokens not yet claimed.
    pub attributed: u64,
    /// Tokens claimed over the contribution's life.
    pub claimed_total: u64,
    pub reserved: [u8; 8],
}

pub const BOOK_ENTRY_SIZE: usize = core::mem::size_of::<BookEntry>();
const _: () = assert!(BOOK_ENTRY_SIZE == 64);

/// Entries one instruction may add: the runtime lets an account grow by at
/// most 10 KiB per instruction.
pub const MAX_ENTRIES_PER_GROWTH: u32 = (10 * 1024 / BOOK_ENTRY_SIZE) as u32;

const HEADER_END: usize = DISCRIMINATOR_LEN + core::mem::size_of::<RoyaltyBook>();

impl RoyaltyBook {
    pub const SPACE: usize = HEADER_END;

    pub fn space_for(entries: u32) -> usize {
        HEADER_END + entries as usize * BOOK_ENTRY_SIZE
    }

    /// Writes the discriminator and an empty header into a freshly created book.
    pub fn initialize(account: &AccountInfo, model: Pubkey, bump: u8) -> Result<()> {
        let mut header = RoyaltyBook::zeroed();
        header.version = ACCOUNT_VERSION;
        header.bump = bump;
        header.model = model;
        let mut data = account.try_borrow_mut_data()?;
        data[..DISCRIMINATOR_LEN].copy_from_slice(Self::DISCRIMINATOR);
        header.store_into(&mut data)
    }

    /// Reads the header of a book whose owner and discriminator Anchor checked.
    pub fn read(account: &AccountInfo) -> Result<Self> {
        let data = account.try_borrow_data()?;
        let bytes = data
            .get(DISCRIMINATOR_LEN..HEADER_END)
            .ok_or(LedgerError::InvariantViolated)?;
        Ok(bytemuck::pod_read_unaligned(bytes))
    }

    pub fn write(&self, account: &AccountInfo) -> Result<()> {
        let mut data = account.try_borrow_mut_data()?;
        self.store_into(&mut data)
    }

    fn store_into(&self, data: &mut [u8]) -> Result<()> {
        data.get_mut(DISCRIMINATOR_LEN..HEADER_END)
            .ok_or(LedgerError::InvariantViolated)?
            .copy_from_slice(bytemuck::bytes_of(self));
        Ok(())
    }

    fn entry_range(&self, index: u32) -> Result<core::ops::Range<usize>> {
        require!(
            index < self.entry_count,
            LedgerError::ContributionNotAccepted
        );
        let start = HEADER_END + index as usize * BOOK_ENTRY_SIZE;
        Ok(start..start + BOOK_ENTRY_SIZE)
    }

    pub fn read_entry(&self, account: &AccountInfo, index: u32) -> Result<BookEntry> {
        let range = self.entry_range(index)?;
        let data = account.try_borrow_data()?;
        let bytes = data.get(range).ok_or(LedgerError::InvariantViolated)?;
        Ok(bytemuck::pod_read_unaligned(bytes))
    }

    /// Credits each attributed amount to its contribution's entry, refusing
    /// (`ContributionNotAccepted`) an entry that is missing or not earning.
    /// Only the two fields involved are read and the one changed is written,
    /// under one borrow of the account: a batch may name 100 entries, and
    /// whole-entry copies and conversions cost the VM some 150 units each.
    pub fn credit_attributed(
        &self,
        account: &AccountInfo,
        credits: impl Iterator<Item = (u32, u64)>,
    ) -> Result<()> {
        const SHARES: usize = core::mem::offset_of!(BookEntry, active_shares);
        const ATTRIBUTED: usize = core::mem::offset_of!(BookEntry, attributed);
        let mut data = account.try_borrow_mut_data()?;
        for (index, amount) in credits {
            let start = self.entry_range(index)?.start;
            let field = |offset: usize| start + offset..start + offset + 8;
            let read = |data: &[u8], offset: usize| -> Result<u64> {
                let bytes = data
                    .get(field(offset))
                    .ok_or(LedgerError::InvariantViolated)?;
                Ok(u64::from_le_bytes(bytes.try_into().expect("8 bytes")))
            };
            require!(
                read(&data, SHARES)? > 0,
                LedgerError::ContributionNotAccepted
            );
            let attributed = read(&data, ATTRIBUTED)?.safe_add(amount)?;
            data[field(ATTRIBUTED)].copy_from_slice(&attributed.to_le_bytes());
        }
        Ok(())
    }

    pub fn write_entry(&self, account: &AccountInfo, index: u32, entry: &BookEntry) -> Result<()> {
        let range = self.entry_range(index)?;
        let mut data = account.try_borrow_mut_data()?;
        data.get_mut(range)
            .ok_or(LedgerError::InvariantViolated)?
            .copy_from_slice(bytemuck::bytes_of(entry));
        Ok(())
    }

    /// Makes room for entries `0..entries` (the authority pays the rent),
    /// at most [`MAX_ENTRIES_PER_GROWTH`] new ones per instruction.
    pub fn ensure_entries<'info>(
        &mut self,
        account: &AccountInfo<'info>,
        creation: &crate::account_init::Creation<'_, 'info>,
        entries: u32,
    ) -> Result<()> {
        if entries <= self.entry_count {
            return Ok(());
        }
        require!(
            entries - self.entry_count <= MAX_ENTRIES_PER_GROWTH,
            LedgerError::BookGrowthTooLarge
        );
        creation.grow(account, Self::space_for(entries))?;
        self.entry_count = entries;
        self.write(account)
    }

    pub fn pools(&self) -> Pools {
        Pools {
            total_shares: self.total_shares,
            acc_per_share: u128::from_le_bytes(self.acc_per_share),
            shares_carry: u128::from_le_bytes(self.shares_carry),
            attributed_carry: self.attributed_carry,
            unallocated: self.unallocated,
            owed_upstream: self.owed_upstream,
        }
    }

    pub fn set_pools(&mut self, pools: &Pools) {
        self.total_shares = pools.total_shares;
        self.acc_per_share = pools.acc_per_share.to_le_bytes();
        self.shares_carry = pools.shares_carry.to_le_bytes();
        self.attributed_carry = pools.attributed_carry;
        self.unallocated = pools.unallocated;
        self.owed_upstream = pools.owed_upstream;
    }

    /// Cheap whole-book checks; the full conservation sum is O(entries) and is
    /// checked by the tests against real token balances instead.
    pub fn invariant(&self, model: &Pubkey, account_len: usize) -> Result<()> {
        require!(
            self.model == *model
                && account_len >= Self::space_for(self.entry_count)
                && self.total_paid_out <= self.total_received,
            LedgerError::InvariantViolated
        );
        Ok(())
    }
}

impl BookEntry {
    pub fn balance(&self) -> EntryBalance {
        EntryBalance {
            active_shares: self.active_shares,
            snapshot: u128::from_le_bytes(self.snapshot),
            accrued_scaled: u128::from_le_bytes(self.accrued_scaled),
            attributed: self.attributed,
        }
    }

    pub fn set_balance(&mut self, balance: &EntryBalance) {
        self.active_shares = balance.active_shares;
        self.snapshot = balance.snapshot.to_le_bytes();
        self.accrued_scaled = balance.accrued_scaled.to_le_bytes();
        self.attributed = balance.attributed;
    }
}

/// One entry of a batch's attribution vector: contribution `index` gets
/// `weight` parts of the batch's attributed share.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttributionEntry {
    pub index: u32,
    pub weight: u16,
}
