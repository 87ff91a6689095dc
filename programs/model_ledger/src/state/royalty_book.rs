use anchor_lang::prelude::*;

use crate::{
    constants::{DISCRIMINATOR_LEN, MAX_PARENTS},
    math::{
        book_money::BookMoney,
        royalty::{EntryBalance, Pools},
    },
};

/// The money side of one model (PDA `["royalty_book", model]`): its pools,
/// its contribution counters, what a payment needs to know (vault, mint,
/// decimals; copied at registration, never changed) and one [`BookEntry`]
/// per contribution index, kept apart from the provenance record so that
/// paying, claiming and proposing read one zero-copy account instead of
/// deserialising the model (names, URIs, lineage) every time. The book's PDA
/// is the vault's token authority.
///
/// Layout: discriminator, this header, then `entry_count` entries. Only the
/// header and the entries an instruction names are read and written
/// (unaligned copies, so the layout is the same on SBF and on the host); the
/// account is never deserialised whole. No `u128` fields (their alignment
/// differs between targets): 128-bit values are little-endian byte arrays.
/// The program changes it only through `crate::book`; the program and the
/// SDK read it only through [`RoyaltyBook::header_from`] and
/// [`RoyaltyBook::entry_from`].
#[account(zero_copy)]
#[derive(Debug)]
#[repr(C)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RoyaltyBook {
    pub version: u8,
    pub bump: u8,
    pub reserved_header: [u8; 6],
    pub model: Pubkey,
    /// Entries allocated; entry `i` belongs to contribution index `i`.
    pub entry_count: u32,
    /// Contributions accepted now (the only count of them).
    pub accepted_count: u32,
    /// Σ shares of accepted contributions (the only total of them).
    pub total_shares: u64,
    /// Reward per share, in 1/SCALE token units (u128 LE).
    pub acc_per_share: [u8; 16],
    /// Shares credit not yet in the accumulator, 1/SCALE token units (u128 LE).
    pub shares_carry: [u8; 16],
    /// The treasury's fraction of a token not yet booked, in 1/10 000 token.
    pub fee_carry: u16,
    /// Each parent's fraction of a token not yet booked, in 1/10 000 token.
    pub upstream_carry: [u16; MAX_PARENTS],
    pub reserved_carry: [u8; 6],
    /// Shares part received while no shares existed; the model authority's.
    pub unallocated: u64,
    /// Protocol fees booked for the treasury, not yet collected.
    pub owed_protocol: u64,
    /// Booked for each parent (by position in `Model::parents`), not yet settled.
    pub owed_upstream: [u64; MAX_PARENTS],
    /// Payments booked so far (inference batches, grant fees, settlements in).
    pub payment_count: u64,
    /// Tokens received into the vault over the book's life (u128 LE: a
    /// cheap high-supply token can move more than 2^64 units through a busy
    /// model, and a u64 would then refuse every payment for good).
    pub total_received: [u8; 16],
    /// Tokens sent out of the vault over the book's life: claims,
    /// settlements, fee sweeps, authority withdrawals (u128 LE).
    pub total_paid_out: [u8; 16],
    /// The model's vault, payment mint and its token program (the model's own, copied).
    pub vault: Pubkey,
    pub payment_mint: Pubkey,
    pub token_program: Pubkey,
    /// Index the next proposed contribution receives (also the number proposed so far).
    pub contribution_count: u32,
    /// The payment mint's decimals, for `transfer_checked` without reading the mint.
    pub payment_decimals: u8,
    /// Who may propose contributions: a [`crate::state::ProposalPolicy`] as
    /// its byte (0, open, in every book from before the field).
    pub proposal_policy: u8,
    #[cfg_attr(feature = "serde", serde(skip))]
    pub reserved: [u8; 50],
}

const _: () = assert!(core::mem::size_of::<RoyaltyBook>() == 384);

/// One contribution's balance in the book.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
#[repr(C)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct BookEntry {
    /// Shares earning now: the accepted shares, 0 otherwise.
    pub active_shares: u64,
    /// `acc_per_share` at the last settlement (u128 LE).
    pub snapshot: [u8; 16],
    /// Earned and not yet claimed (shares accrual and attributed credits),
    /// 1/SCALE token units (u128 LE).
    pub accrued_scaled: [u8; 16],
    /// Tokens claimed over the contribution's life (u128 LE).
    pub claimed_total: [u8; 16],
    pub reserved: [u8; 8],
}

pub const BOOK_ENTRY_SIZE: usize = core::mem::size_of::<BookEntry>();
const _: () = assert!(BOOK_ENTRY_SIZE == 64);

/// Entries one instruction may add: the runtime lets an account grow by at
/// most 10 KiB per instruction.
pub const MAX_ENTRIES_PER_GROWTH: u32 = (10 * 1024 / BOOK_ENTRY_SIZE) as u32;

const HEADER_END: usize = DISCRIMINATOR_LEN + core::mem::size_of::<RoyaltyBook>();

/// The runtime's largest account (`MAX_PERMITTED_DATA_LENGTH`).
const MAX_ACCOUNT_LEN: usize = 10 * 1024 * 1024;

/// Contributions a model can hold: its book, one entry per index, may not
/// pass the runtime's 10 MiB account limit (163 833 entries).
pub const MAX_CONTRIBUTIONS: u32 = ((MAX_ACCOUNT_LEN - HEADER_END) / BOOK_ENTRY_SIZE) as u32;
const _: () = assert!(MAX_CONTRIBUTIONS == 163_833);

/// Byte offsets inside an entry, for the attribution loop that touches two
/// fields of up to 100 entries and must not copy whole entries.
pub const ENTRY_ACTIVE_SHARES: usize = core::mem::offset_of!(BookEntry, active_shares);
pub const ENTRY_ACCRUED_SCALED: usize = core::mem::offset_of!(BookEntry, accrued_scaled);

impl RoyaltyBook {
    pub const SPACE: usize = HEADER_END;

    /// `["royalty_book", model]`.
    pub fn seeds(model: &Pubkey) -> [&[u8]; 2] {
        [crate::constants::seeds::ROYALTY_BOOK, model.as_ref()]
    }

    /// The book PDA's seeds with its bump, for signing vault transfers.
    pub fn signer_seeds(&self) -> [&[u8]; 3] {
        let [prefix, model] = Self::seeds(&self.model);
        [prefix, model, core::slice::from_ref(&self.bump)]
    }

    pub fn space_for(entries: u32) -> usize {
        HEADER_END + entries as usize * BOOK_ENTRY_SIZE
    }

    /// Where entry `index` starts in the account's data.
    pub fn entry_offset(index: u32) -> usize {
        HEADER_END + index as usize * BOOK_ENTRY_SIZE
    }

    /// The header of a book's data, if it has a book's discriminator and room
    /// for a header and every entry the header counts.
    pub fn header_from(data: &[u8]) -> Option<Self> {
        if data.get(..DISCRIMINATOR_LEN)? != Self::DISCRIMINATOR {
            return None;
        }
        let header: Self = bytemuck::pod_read_unaligned(data.get(DISCRIMINATOR_LEN..HEADER_END)?);
        (data.len() >= Self::space_for(header.entry_count)).then_some(header)
    }

    /// Entry `index` of a book whose header is `self`; an index beyond the
    /// book's end (a contribution never accepted) reads as an empty entry.
    pub fn entry_from(&self, data: &[u8], index: u32) -> Option<BookEntry> {
        if index >= self.entry_count {
            return Some(BookEntry::default());
        }
        let start = Self::entry_offset(index);
        Some(bytemuck::pod_read_unaligned(
            data.get(start..start.checked_add(BOOK_ENTRY_SIZE)?)?,
        ))
    }

    pub fn total_received(&self) -> u128 {
        u128::from_le_bytes(self.total_received)
    }

    pub fn total_paid_out(&self) -> u128 {
        u128::from_le_bytes(self.total_paid_out)
    }

    pub fn pools(&self) -> Pools {
        Pools {
            total_shares: self.total_shares,
            accepted_count: self.accepted_count,
            acc_per_share: u128::from_le_bytes(self.acc_per_share),
            shares_carry: u128::from_le_bytes(self.shares_carry),
            owed_protocol: self.owed_protocol,
            fee_carry: self.fee_carry,
            upstream_carry: self.upstream_carry,
            unallocated: self.unallocated,
            owed_upstream: self.owed_upstream,
        }
    }

    /// The book's money, as `math::book_money` changes it.
    pub fn money(&self) -> BookMoney {
        BookMoney {
            pools: self.pools(),
            payment_count: self.payment_count,
            total_received: self.total_received(),
            total_paid_out: self.total_paid_out(),
        }
    }

    pub fn set_money(&mut self, money: &BookMoney) {
        self.set_pools(&money.pools);
        self.payment_count = money.payment_count;
        self.total_received = money.total_received.to_le_bytes();
        self.total_paid_out = money.total_paid_out.to_le_bytes();
    }

    fn set_pools(&mut self, pools: &Pools) {
        self.total_shares = pools.total_shares;
        self.accepted_count = pools.accepted_count;
        self.acc_per_share = pools.acc_per_share.to_le_bytes();
        self.shares_carry = pools.shares_carry.to_le_bytes();
        self.owed_protocol = pools.owed_protocol;
        self.fee_carry = pools.fee_carry;
        self.upstream_carry = pools.upstream_carry;
        self.unallocated = pools.unallocated;
        self.owed_upstream = pools.owed_upstream;
    }
}

impl BookEntry {
    pub fn claimed_total(&self) -> u128 {
        u128::from_le_bytes(self.claimed_total)
    }

    pub fn balance(&self) -> EntryBalance {
        EntryBalance {
            active_shares: self.active_shares,
            snapshot: u128::from_le_bytes(self.snapshot),
            accrued_scaled: u128::from_le_bytes(self.accrued_scaled),
        }
    }

    pub fn set_balance(&mut self, balance: &EntryBalance) {
        self.active_shares = balance.active_shares;
        self.snapshot = balance.snapshot.to_le_bytes();
        self.accrued_scaled = balance.accrued_scaled.to_le_bytes();
    }
}

/// One entry of a batch's attribution vector: contribution `index` gets
/// `weight` parts of the batch's attributed share.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AttributionEntry {
    pub index: u32,
    pub weight: u16,
}

#[cfg(test)]
mod documented_sizes {
    use super::*;

    /// Every size the README and the protocol document give for the book is
    /// the size of its bytes.
    #[test]
    fn the_documents_give_the_book_its_real_sizes() {
        let header = format!("{}-byte header", core::mem::size_of::<RoyaltyBook>());
        let entry = format!("{BOOK_ENTRY_SIZE}-byte entr");
        for (name, text) in [
            ("README.md", include_str!("../../../../README.md")),
            (
                "docs/protocol.md",
                include_str!("../../../../docs/protocol.md"),
            ),
        ] {
            let text = text.replace('\n', " ");
            for (at, _) in text.match_indices("-byte header") {
                let start = text[..at]
                    .rfind(|c: char| !c.is_ascii_digit())
                    .map_or(0, |i| i + 1);
                assert_eq!(&text[start..at + "-byte header".len()], header, "{name}");
            }
            for (at, _) in text.match_indices("-byte entr") {
                let start = text[..at]
                    .rfind(|c: char| !c.is_ascii_digit())
                    .map_or(0, |i| i + 1);
                assert_eq!(&text[start..at + "-byte entr".len()], entry, "{name}");
            }
            assert!(text.contains(&header), "{name} gives the header's size");
        }
    }
}
