//! Royalty arithmetic: how one payment splits, and how the pools and each
//! contribution's balance evolve. Pure integers, no Anchor types.
//!
//! Rounding, on purpose and written down:
//! - Fee, upstream and the attributed share are floored; their remainders stay
//!   in the rest of the payment, so contributors receive them.
//! - The attributed part is split by weights, floored; the remainder is carried
//!   into the next attributed distribution (`attributed_carry`).
//! - The shares part enters a reward-per-share accumulator in units of
//!   1/[`SCALE`] token; the division remainder is carried into the next
//!   credit (`shares_carry`). Each contribution keeps its accrual in the same
//!   units and withdraws whole tokens, keeping the fraction for its next claim.
//!
//! So, exactly, in 1/SCALE token units:
//! `vault · SCALE = Σ entry.owed_scaled + shares_carry
//!                  + (Σ owed_upstream + attributed_carry + unallocated) · SCALE`.

use super::{MathError, SafeMath};

/// Accumulator precision: 10^12 sub-units per token unit. Large enough that a
/// share of a payment is rarely below one sub-unit, small enough that
/// `shares × Δacc` stays within u128 for any amount of a u64 token supply.
pub const SCALE: u128 = 1_000_000_000_000;

pub const BPS_WHOLE: u64 = 10_000;

pub const MAX_PARENTS: usize = 8;

fn bps_of(amount: u64, bps: u16) -> Result<u64, MathError> {
    let product = u128::from(amount).safe_mul(u128::from(bps))?;
    u64::try_from(product.safe_div(u128::from(BPS_WHOLE))?).map_err(|_| MathError)
}

/// How one payment divides before it reaches the contributions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Split {
    pub protocol_fee: u64,
    pub upstream: [u64; MAX_PARENTS],
    /// Part for the batch's attribution vector (0 when there is none).
    pub attributed: u64,
    /// Part for all accepted contributions by shares.
    pub shares: u64,
}

/// Splits `payment`: protocol fee, then each parent's royalty, then the rest
/// between attribution and shares. Fails if fee and royalties exceed the payment.
pub fn split_payment(
    payment: u64,
    fee_bps: u16,
    parent_bps: &[u16],
    attribution_bps: u16,
    has_attribution: bool,
) -> Result<Split, MathError> {
    if parent_bps.len() > MAX_PARENTS {
        return Err(MathError);
    }
    let mut split = Split {
        protocol_fee: bps_of(payment, fee_bps)?,
        ..Split::default()
    };
    let mut rest = payment.safe_sub(split.protocol_fee)?;
    for (owed, bps) in split.upstream.iter_mut().zip(parent_bps) {
        *owed = bps_of(payment, *bps)?;
        rest = rest.safe_sub(*owed)?;
    }
    split.attributed = if has_attribution {
        bps_of(rest, attribution_bps)?
    } else {
        0
    };
    split.shares = rest.safe_sub(split.attributed)?;
    Ok(split)
}

/// Splits `amount` pro rata to `weights`, flooring each part; returns the
/// parts and the undistributed remainder. An empty or all-zero weight list
/// distributes nothing.
pub fn split_by_weights(amount: u64, weights: &[u16]) -> Result<(Vec<u64>, u64), MathError> {
    let total: u64 = weights
        .iter()
        .try_fold(0u64, |sum, w| sum.safe_add(u64::from(*w)))?;
    if total == 0 {
        return Ok((vec![0; weights.len()], amount));
    }
    let mut remainder = amount;
    let mut parts = Vec::with_capacity(weights.len());
    for weight in weights {
        // The same floor either way; the u64 path spares the VM a 128-bit
        // multiply and divide for every realistic amount (below 2^48).
        let part = match amount.checked_mul(u64::from(*weight)) {
            Some(product) => product.safe_div(total)?,
            None => u64::try_from(
                u128::from(amount)
                    .safe_mul(u128::from(*weight))?
                    .safe_div(u128::from(total))?,
            )
            .map_err(|_| MathError)?,
        };
        remainder = remainder.safe_sub(part)?;
        parts.push(part);
    }
    Ok((parts, remainder))
}

/// The model-wide money state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pools {
    /// Σ shares of accepted contributions.
    pub total_shares: u64,
    /// Σ over credits of credit·SCALE / total_shares, in 1/SCALE token units per share.
    pub acc_per_share: u128,
    /// Remainder of the last accumulator division, in 1/SCALE token units.
    pub shares_carry: u128,
    /// Attributed tokens not yet distributed (weight-split remainders).
    pub attributed_carry: u64,
    /// Shares part received while no shares existed; owed to the model authority.
    pub unallocated: u64,
    /// Booked for each parent, not yet settled.
    pub owed_upstream: [u64; MAX_PARENTS],
}

/// What one payment did, for the event and the caller.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Distribution {
    pub split: Split,
    /// Amount given to each attribution entry, in the vector's order.
    pub attributed_amounts: Vec<u64>,
    /// Shares part that went to the authority because no shares existed.
    pub to_unallocated: u64,
}

impl Pools {
    /// Books one payment that already sits in the vault (net of the protocol
    /// fee, which the caller sends to the treasury). The caller credits
    /// `attributed_amounts[i]` to the contribution of attribution entry `i`.
    pub fn apply_payment(
        &mut self,
        payment: u64,
        fee_bps: u16,
        parent_bps: &[u16],
        attribution_bps: u16,
        attribution_weights: &[u16],
    ) -> Result<Distribution, MathError> {
        let has_attribution = !attribution_weights.is_empty();
        let split = split_payment(
            payment,
            fee_bps,
            parent_bps,
            attribution_bps,
            has_attribution,
        )?;
        for (owed, add) in self.owed_upstream.iter_mut().zip(split.upstream) {
            *owed = owed.safe_add(add)?;
        }
        let mut attributed_amounts = Vec::new();
        if has_attribution {
            let pot = split.attributed.safe_add(self.attributed_carry)?;
            let (parts, remainder) = split_by_weights(pot, attribution_weights)?;
            attributed_amounts = parts;
            self.attributed_carry = remainder;
        }
        let to_unallocated = self.credit_shares(split.shares)?;
        Ok(Distribution {
            split,
            attributed_amounts,
            to_unallocated,
        })
    }

    /// Credits `amount` to all shares; with no shares it is owed to the
    /// authority instead (returned).
    fn credit_shares(&mut self, amount: u64) -> Result<u64, MathError> {
        if self.total_shares == 0 {
            self.unallocated = self.unallocated.safe_add(amount)?;
            return Ok(amount);
        }
        let numerator = u128::from(amount)
            .safe_mul(SCALE)?
            .safe_add(self.shares_carry)?;
        let total = u128::from(self.total_shares);
        self.acc_per_share = self.acc_per_share.safe_add(numerator.safe_div(total)?)?;
        self.shares_carry = numerator.checked_rem(total).ok_or(MathError)?;
        Ok(0)
    }

    /// Takes what parent `index` is owed, for settlement.
    pub fn take_upstream(&mut self, index: usize) -> Result<u64, MathError> {
        let owed = self.owed_upstream.get_mut(index).ok_or(MathError)?;
        Ok(core::mem::take(owed))
    }

    /// Takes the authority's unallocated balance.
    pub fn take_unallocated(&mut self) -> u64 {
        core::mem::take(&mut self.unallocated)
    }

    /// Everything the pools hold outside the contributions, in 1/SCALE units.
    pub fn held_scaled(&self) -> Result<u128, MathError> {
        let tokens = self
            .owed_upstream
            .iter()
            .try_fold(u128::from(self.attributed_carry), |sum, owed| {
                sum.safe_add(u128::from(*owed))
            })?
            .safe_add(u128::from(self.unallocated))?;
        tokens.safe_mul(SCALE)?.safe_add(self.shares_carry)
    }
}

/// One contribution's balance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EntryBalance {
    /// Shares that currently earn (0 unless accepted).
    pub active_shares: u64,
    /// `acc_per_share` when the accrual was last brought up to date.
    pub snapshot: u128,
    /// Shares accrual not yet withdrawn, in 1/SCALE token units.
    pub accrued_scaled: u128,
    /// Attributed tokens not yet withdrawn.
    pub attributed: u64,
}

impl EntryBalance {
    /// Brings the shares accrual up to the pools' accumulator.
    pub fn settle(&mut self, pools: &Pools) -> Result<(), MathError> {
        let delta = pools.acc_per_share.safe_sub(self.snapshot)?;
        let earned = u128::from(self.active_shares).safe_mul(delta)?;
        self.accrued_scaled = self.accrued_scaled.safe_add(earned)?;
        self.snapshot = pools.acc_per_share;
        Ok(())
    }

    /// Starts earning with `shares` (acceptance).
    pub fn activate(&mut self, shares: u64, pools: &mut Pools) -> Result<(), MathError> {
        self.settle(pools)?;
        pools.total_shares = pools.total_shares.safe_add(shares)?;
        self.active_shares = self.active_shares.safe_add(shares)?;
        Ok(())
    }

    /// Stops earning; what was earned stays (revocation).
    pub fn deactivate(&mut self, pools: &mut Pools) -> Result<(), MathError> {
        self.settle(pools)?;
        pools.total_shares = pools.total_shares.safe_sub(self.active_shares)?;
        self.active_shares = 0;
        Ok(())
    }

    pub fn credit_attributed(&mut self, amount: u64) -> Result<(), MathError> {
        self.attributed = self.attributed.safe_add(amount)?;
        Ok(())
    }

    /// Whole tokens that can be withdrawn now (after `settle`).
    pub fn claimable(&self) -> Result<u64, MathError> {
        let from_shares =
            u64::try_from(self.accrued_scaled.safe_div(SCALE)?).map_err(|_| MathError)?;
        self.attributed.safe_add(from_shares)
    }

    /// Settles and withdraws every whole token; the sub-token fraction stays
    /// for the next claim.
    pub fn take_claimable(&mut self, pools: &Pools) -> Result<u64, MathError> {
        self.settle(pools)?;
        let amount = self.claimable()?;
        self.accrued_scaled = self.accrued_scaled.checked_rem(SCALE).ok_or(MathError)?;
        self.attributed = 0;
        Ok(amount)
    }

    /// Everything this entry is owed, including unsettled accrual, in 1/SCALE units.
    pub fn owed_scaled(&self, pools: &Pools) -> Result<u128, MathError> {
        let pending = u128::from(self.active_shares)
            .safe_mul(pools.acc_per_share.safe_sub(self.snapshot)?)?;
        u128::from(self.attributed)
            .safe_mul(SCALE)?
            .safe_add(self.accrued_scaled)?
            .safe_add(pending)
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn split_floors_fee_and_royalties_and_keeps_remainders_for_contributors() {
        let split = split_payment(999, 250, &[1_000, 333], 3_000, true).unwrap();
        assert_eq!(split.protocol_fee, 24); // 24.975
        assert_eq!(split.upstream[..2], [99, 33]); // 99.9, 33.2667
        let rest = 999 - 24 - 99 - 33;
        assert_eq!(split.attributed, rest * 3_000 / 10_000);
        assert_eq!(split.attributed + split.shares, rest);
    }

    #[test]
    fn without_attribution_everything_goes_to_shares() {
        let split = split_payment(1_000, 0, &[], 10_000, false).unwrap();
        assert_eq!((split.attributed, split.shares), (0, 1_000));
    }

    #[test]
    fn fees_above_the_payment_are_an_error() {
        assert_eq!(
            split_payment(100, 5_000, &[6_000], 0, false),
            Err(MathError)
        );
    }

    #[test]
    fn weights_split_with_carried_remainder() {
        let (parts, rest) = split_by_weights(10, &[1, 1, 1]).unwrap();
        assert_eq!((parts, rest), (vec![3, 3, 3], 1));
    }

    #[test]
    fn accrual_is_exact_in_sub_units() {
        let mut pools = Pools::default();
        let mut a = EntryBalance::default();
        let mut b = EntryBalance::default();
        a.activate(1, &mut pools).unwrap();
        b.activate(2, &mut pools).unwrap();
        pools.apply_payment(10, 0, &[], 0, &[]).unwrap();
        let held = a.owed_scaled(&pools).unwrap()
            + b.owed_scaled(&pools).unwrap()
            + pools.held_scaled().unwrap();
        assert_eq!(held, 10 * SCALE);
        assert_eq!(a.take_claimable(&pools).unwrap(), 3);
        assert_eq!(b.take_claimable(&pools).unwrap(), 6);
    }

    #[test]
    fn revoked_entry_keeps_earnings_but_stops_accruing() {
        let mut pools = Pools::default();
        let mut a = EntryBalance::default();
        let mut b = EntryBalance::default();
        a.activate(1, &mut pools).unwrap();
        b.activate(1, &mut pools).unwrap();
        pools.apply_payment(100, 0, &[], 0, &[]).unwrap();
        a.deactivate(&mut pools).unwrap();
        pools.apply_payment(100, 0, &[], 0, &[]).unwrap();
        assert_eq!(a.take_claimable(&pools).unwrap(), 50);
        assert_eq!(b.take_claimable(&pools).unwrap(), 150);
    }

    #[test]
    fn shares_part_without_shares_is_owed_to_the_authority() {
        let mut pools = Pools::default();
        let distribution = pools.apply_payment(100, 0, &[], 0, &[]).unwrap();
        assert_eq!(distribution.to_unallocated, 100);
        assert_eq!(pools.take_unallocated(), 100);
    }
}
