//! A royalty book's money as one value: the pools ([`Pools`]) and the
//! running totals kept with them. Every change a book's money can undergo —
//! a payment, a claim, a settlement, a sweep — is a method here, used by the
//! program on the account's bytes (`book.rs`) and by the indexer on its rows,
//! so the two cannot compute a book differently.

use super::{
    royalty::{Distribution, EntryBalance, Pools},
    MathError, SafeMath,
};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BookMoney {
    pub pools: Pools,
    /// Payments booked over the book's life.
    pub payment_count: u64,
    /// Tokens that entered the vault as booked payments (u128: a cheap
    /// high-supply token can move more than 2^64 units through a busy model).
    pub total_received: u128,
    /// Tokens that left the vault: claims, settlements, sweeps.
    pub total_paid_out: u128,
}

/// What a contribution's claim withdrew.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Withdrawal {
    /// Whole tokens leaving the vault now.
    pub amount: u64,
    /// The contribution's claims over its life, this one included.
    pub claimed_total: u128,
}

impl BookMoney {
    /// Books a payment of `amount` that sits in the vault (see
    /// [`Pools::apply_payment`]); the caller credits each attributed entry
    /// with [`EntryBalance::credit_attributed`].
    pub fn pay(
        &mut self,
        amount: u64,
        fee_bps: u16,
        parent_bps: &[u16],
        attribution_bps: u16,
        weight_total: u64,
    ) -> Result<Distribution, MathError> {
        let mut next = *self;
        let distribution =
            next.pools
                .apply_payment(amount, fee_bps, parent_bps, attribution_bps, weight_total)?;
        next.payment_count = next.payment_count.safe_add(1)?;
        next.total_received = next.total_received.safe_add(u128::from(amount))?;
        *self = next;
        Ok(distribution)
    }

    /// Settles `entry` and withdraws its whole tokens; `claimed_before` is
    /// what it had claimed until now.
    pub fn claim(
        &mut self,
        entry: &mut EntryBalance,
        claimed_before: u128,
    ) -> Result<Withdrawal, MathError> {
        let mut balance = *entry;
        let amount = balance.take_claimable(&self.pools)?;
        let claimed_total = claimed_before.safe_add(u128::from(amount))?;
        self.paid_out(amount)?;
        *entry = balance;
        Ok(Withdrawal {
            amount,
            claimed_total,
        })
    }

    /// Takes everything parent `position` is owed, as it leaves the vault.
    pub fn settle_upstream(&mut self, position: usize) -> Result<u64, MathError> {
        let mut next = *self;
        let amount = next.pools.take_upstream(position)?;
        next.paid_out(amount)?;
        *self = next;
        Ok(amount)
    }

    /// Takes the protocol fees booked for the treasury, as they leave the vault.
    pub fn collect_protocol_fees(&mut self) -> Result<u64, MathError> {
        let mut next = *self;
        let amount = next.pools.take_protocol_fees();
        next.paid_out(amount)?;
        *self = next;
        Ok(amount)
    }

    /// Takes the authority's unallocated balance, as it leaves the vault.
    pub fn take_unallocated(&mut self) -> Result<u64, MathError> {
        let mut next = *self;
        let amount = next.pools.take_unallocated();
        next.paid_out(amount)?;
        *self = next;
        Ok(amount)
    }

    /// Tokens the book accounts for in the vault: received less paid out.
    pub fn held(&self) -> Result<u128, MathError> {
        self.total_received.safe_sub(self.total_paid_out)
    }

    /// Tokens in a vault of `vault_balance` beyond what the book holds:
    /// arrived outside the protocol, to be booked by `book_surplus`. A vault
    /// holding less than the book is not a negative surplus but a broken
    /// book: an error.
    pub fn surplus(&self, vault_balance: u64) -> Result<u64, MathError> {
        let surplus = u128::from(vault_balance).safe_sub(self.held()?)?;
        u64::try_from(surplus).map_err(|_| MathError)
    }

    fn paid_out(&mut self, amount: u64) -> Result<(), MathError> {
        self.total_paid_out = self.total_paid_out.safe_add(u128::from(amount))?;
        Ok(())
    }
}

/// A running total of money that only grows (a grant's payments, a
/// contribution's attributed credits): `total + amount`, checked.
pub fn add_to_total(total: u128, amount: u128) -> Result<u128, MathError> {
    total.safe_add(amount)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::math::royalty::SCALE;

    #[test]
    fn a_claim_pays_out_whole_tokens_and_counts_them_against_the_book() {
        let mut money = BookMoney::default();
        let mut entry = EntryBalance::default();
        entry.activate(3, &mut money.pools).unwrap();
        money.pay(10, 0, &[], 0, 0).unwrap();
        let withdrawal = money.claim(&mut entry, 5).unwrap();
        assert_eq!(
            withdrawal,
            Withdrawal {
                amount: 9,
                claimed_total: 14
            },
            "10 tokens over 3 shares: 9.999… whole tokens are 9"
        );
        assert_eq!((money.total_received, money.total_paid_out), (10, 9));
        assert_eq!(money.held(), Ok(1));
        assert_eq!(entry.accrued_scaled, SCALE - 1, "the fraction stays");
    }

    #[test]
    fn settlement_takes_the_whole_amount_owed() {
        let mut money = BookMoney::default();
        money.pay(1_000, 0, &[2_500], 0, 0).unwrap();
        assert_eq!(money.settle_upstream(0), Ok(250));
        assert_eq!(money.pools.owed_upstream[0], 0);
        assert_eq!(money.total_paid_out, 250);
        assert_eq!(money.settle_upstream(0), Ok(0), "nothing owed twice");
        assert_eq!(money.settle_upstream(8), Err(MathError), "no ninth parent");
    }

    #[test]
    fn surplus_is_what_the_vault_holds_beyond_the_book_and_a_short_vault_is_an_error() {
        let mut money = BookMoney::default();
        money.pay(100, 1_000, &[], 0, 0).unwrap();
        assert_eq!(money.collect_protocol_fees(), Ok(10));
        assert_eq!(money.held(), Ok(90));
        assert_eq!(money.surplus(90), Ok(0));
        assert_eq!(money.surplus(97), Ok(7));
        assert_eq!(money.surplus(89), Err(MathError));
    }

    #[test]
    fn a_refused_change_leaves_the_book_as_it_was() {
        let mut money = BookMoney {
            total_received: u128::MAX,
            ..BookMoney::default()
        };
        let before = money;
        assert_eq!(money.pay(1, 0, &[], 0, 0), Err(MathError));
        assert_eq!(money, before);
        money.total_paid_out = u128::MAX;
        money.pools.unallocated = 1;
        let before = money;
        assert_eq!(money.take_unallocated(), Err(MathError));
        assert_eq!(money, before);
    }

    #[test]
    fn attributed_credits_are_weight_times_the_per_weight_credit() {
        let mut money = BookMoney::default();
        let mut entry = EntryBalance::default();
        entry.activate(1, &mut money.pools).unwrap();
        let distribution = money.pay(9, 0, &[], 10_000, 3).unwrap();
        let credit = entry
            .credit_attributed(2, distribution.per_weight_scaled)
            .unwrap();
        assert_eq!(credit, 6 * SCALE);
        assert_eq!(add_to_total(credit, 1), Ok(6 * SCALE + 1));
    }
}
