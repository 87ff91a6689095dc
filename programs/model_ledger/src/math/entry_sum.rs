//! What a set of entries of one book is owed together, from three sums kept
//! as entries change, without reading each entry again when the book's
//! accumulator moves. An index keeps one such sum per wallet and model, so a
//! wallet's page costs one row per model however many contributions pay it.
//!
//! Each entry is owed `accrued + shares × (acc − snapshot)` (in 1/SCALE
//! units); summed, that is `Σaccrued + Σshares × acc − Σ(shares × snapshot)`,
//! exact. A claim pays each entry's whole base units and leaves its fraction
//! in the book, so what claims pay today is at most one base unit per entry
//! less than the sum's whole units (the rest follows in later claims).

use super::{
    royalty::{whole_tokens, EntryBalance, Pools},
    wide::mul_u64,
    MathError, SafeMath,
};

/// Σ over entries of their shares, `shares × snapshot`, accrual and claims.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EntrySum {
    pub active_shares: u128,
    pub weighted_snapshot: u128,
    pub accrued_scaled: u128,
    /// Σ what the entries withdrew over their lives, in tokens.
    pub claimed_total: u128,
}

impl EntrySum {
    /// Adds one entry: its balance and what it has claimed (all or nothing).
    pub fn add(&mut self, balance: &EntryBalance, claimed_total: u128) -> Result<(), MathError> {
        *self = EntrySum {
            active_shares: self
                .active_shares
                .safe_add(u128::from(balance.active_shares))?,
            weighted_snapshot: self
                .weighted_snapshot
                .safe_add(mul_u64(balance.snapshot, balance.active_shares)?)?,
            accrued_scaled: self.accrued_scaled.safe_add(balance.accrued_scaled)?,
            claimed_total: self.claimed_total.safe_add(claimed_total)?,
        };
        Ok(())
    }

    /// Removes one entry, added before with the same balance and claims.
    pub fn remove(&mut self, balance: &EntryBalance, claimed_total: u128) -> Result<(), MathError> {
        *self = EntrySum {
            active_shares: self
                .active_shares
                .safe_sub(u128::from(balance.active_shares))?,
            weighted_snapshot: self
                .weighted_snapshot
                .safe_sub(mul_u64(balance.snapshot, balance.active_shares)?)?,
            accrued_scaled: self.accrued_scaled.safe_sub(balance.accrued_scaled)?,
            claimed_total: self.claimed_total.safe_sub(claimed_total)?,
        };
        Ok(())
    }

    /// What the entries are owed together at `pools`' accumulator, in
    /// 1/SCALE units: the sum of each entry's [`EntryBalance::owed_scaled`].
    pub fn owed_scaled(&self, pools: &Pools) -> Result<u128, MathError> {
        let shares = u64::try_from(self.active_shares).map_err(|_| MathError)?;
        self.accrued_scaled
            .safe_add(mul_u64(pools.acc_per_share, shares)?)?
            .safe_sub(self.weighted_snapshot)
    }
}

/// What several sums of one payment mint (a wallet's, across models) come
/// to: owed and claimed, each model's sum at its own accumulator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OwedTotal {
    /// Owed now, in 1/SCALE token.
    pub owed_scaled: u128,
    pub claimed_total: u128,
}

impl OwedTotal {
    /// Adds `sum`, owed at `pools`' accumulator.
    pub fn add(&mut self, sum: &EntrySum, pools: &Pools) -> Result<(), MathError> {
        *self = OwedTotal {
            owed_scaled: self.owed_scaled.safe_add(sum.owed_scaled(pools)?)?,
            claimed_total: self.claimed_total.safe_add(sum.claimed_total)?,
        };
        Ok(())
    }

    /// Owed now, in whole tokens (claims pay each entry's whole tokens, so
    /// up to one token per entry of this is paid by later claims).
    pub fn owed(&self) -> Result<u128, MathError> {
        whole_tokens(self.owed_scaled)
    }

    /// Claimed plus owed now, in whole tokens.
    pub fn earned(&self) -> Result<u128, MathError> {
        self.claimed_total.safe_add(self.owed()?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::arithmetic_side_effects)]
    use proptest::prelude::*;

    use super::*;

    fn balance() -> impl Strategy<Value = EntryBalance> {
        (
            0u64..=1_000_000_000,
            0u128..=1u128 << 80,
            0u128..=1u128 << 90,
        )
            .prop_map(|(active_shares, snapshot, accrued_scaled)| EntryBalance {
                active_shares,
                snapshot,
                accrued_scaled,
            })
    }

    proptest! {
        /// The sum's owed amount is the entries' owed amounts added up, at
        /// any accumulator at or past every snapshot, and removing entries
        /// leaves the sum of the rest.
        #[test]
        fn the_sum_owes_what_its_entries_owe(
            entries in prop::collection::vec(balance(), 0..40),
            ahead in 0u128..=1u128 << 70,
            removed in 0usize..40,
        ) {
            let latest = entries.iter().map(|entry| entry.snapshot).max().unwrap_or(0);
            let pools = Pools { acc_per_share: latest + ahead, ..Pools::default() };
            let mut sum = EntrySum::default();
            for entry in &entries {
                sum.add(entry, 0).unwrap();
            }
            let each: u128 = entries.iter().map(|entry| entry.owed_scaled(&pools).unwrap()).sum();
            prop_assert_eq!(sum.owed_scaled(&pools).unwrap(), each);
            if let Some(gone) = entries.get(removed) {
                sum.remove(gone, 0).unwrap();
                let rest: u128 = each - gone.owed_scaled(&pools).unwrap();
                prop_assert_eq!(sum.owed_scaled(&pools).unwrap(), rest);
            }
        }
    }
}
