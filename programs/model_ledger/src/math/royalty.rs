//! Royalty arithmetic: how one payment splits, and how the pools and each
//! contribution's balance evolve. Pure integers, no Anchor types.
//!
//! The rule that makes payments fair however they are batched: every cut is
//! computed on the exact value and only the whole tokens that must move now
//! are rounded, with the fraction kept for the same recipient.
//! - Protocol fee and each parent's royalty: `amount · bps / 10 000`, floored
//!   to whole tokens, the remainder (in 1/10 000 token) carried in
//!   `fee_carry` / `upstream_carry[i]` and added to the same recipient's next
//!   cut. Over any sequence of payments the treasury and each parent receive
//!   exactly ⌊Σ amount · bps / 10 000⌋.
//! - The contributors' part (`amount` less every bps cut, exact, in 1/[`SCALE`]
//!   token) is not rounded at all: SCALE is a multiple of 10 000², so the
//!   attributed share of it is exact too.
//! - The attributed part is split by weight as `weight × ⌊attributed / Σ
//!   weights⌋` sub-units per entry, credited to the entries the batch names;
//!   the division remainder (< Σ weights sub-units, i.e. < 10^-5 token) joins
//!   the shares part instead of waiting for whichever batch comes next.
//! - The shares part enters a reward-per-share accumulator; its division
//!   remainder (`shares_carry`, < total shares sub-units) enters the next credit.
//! - Each contribution keeps its balance in sub-units and withdraws whole
//!   tokens, keeping the fraction for its next claim.
//!
//! The whole payment enters the vault; the treasury's whole tokens are
//! booked (`owed_protocol`) and swept to it by a permissionless crank, so a
//! payment is one token transfer.
//!
//! So, exactly, in 1/SCALE token units:
//! `vault · SCALE = Σ entry.owed_scaled + shares_carry
//!                  + (owed_protocol + Σ owed_upstream + unallocated) · SCALE
//!                  + (fee_carry + Σ upstream_carry) · SCALE / 10 000`.

use super::{
    wide::{attributed_credit, div_rem_scale, div_rem_u64, mul_u64, widening_mul},
    MathError, SafeMath,
};

/// Accumulator precision: 10^12 sub-units per token unit. A multiple of
/// 10 000² so that a bps share of a bps share of a payment is an exact
/// number of sub-units; small enough that `shares × Δacc` stays within u128
/// for any amount of a u64 token supply.
pub const SCALE: u128 = 1_000_000_000_000;

pub const BPS_WHOLE: u64 = 10_000;

/// [`SCALE`] as the 64-bit factor it is.
const SCALE_U64: u64 = SCALE as u64;

/// Sub-units in one carried 1/10 000 of a token.
const SCALE_PER_BPS_UNIT: u64 = SCALE_U64 / BPS_WHOLE;

/// Sub-units per (bps × bps) of a token: an attributed share is
/// `amount · contributors_bps · attribution_bps` of these.
const SCALE_PER_BPS_SQUARED: u64 = SCALE_PER_BPS_UNIT / BPS_WHOLE;

const _: () = assert!(SCALE_PER_BPS_SQUARED * BPS_WHOLE * BPS_WHOLE == SCALE_U64);

/// Upper bound of a model's accepted shares. A one-token payment then moves
/// the accumulator by at least 1 000 sub-units per share, so no payment sits
/// in `shares_carry` waiting for the next one, and a contribution's share of
/// that carry — all it can miss when it is revoked — is below
/// `shares / SCALE` ≤ 0.001 token. The bound is capped rather than the scale
/// raised because the accumulator's headroom (`SCALE × lifetime payments`
/// within u128) is what keeps a busy model from ever overflowing.
pub const MAX_TOTAL_SHARES: u64 = 1_000_000_000;

pub const MAX_PARENTS: usize = 8;

/// `amount · bps / 10 000` plus the recipient's carried fraction, floored;
/// the new fraction (in 1/10 000 token) replaces the carry.
fn cut_with_carry(amount: u64, bps: u16, carry: &mut u16) -> Result<u64, MathError> {
    let numerator = widening_mul(amount, u64::from(bps)).safe_add(u128::from(*carry))?;
    let (whole, fraction) = div_rem_u64(numerator, BPS_WHOLE)?;
    *carry = u16::try_from(fraction).map_err(|_| MathError)?;
    u64::try_from(whole).map_err(|_| MathError)
}

/// The model-wide money state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pools {
    /// Σ shares of accepted contributions (≤ [`MAX_TOTAL_SHARES`]).
    pub total_shares: u64,
    /// Number of accepted contributions (0 exactly when `total_shares` is).
    pub accepted_count: u32,
    /// Σ over credits of credit / total_shares, in 1/SCALE token units per share.
    pub acc_per_share: u128,
    /// Shares credit not yet in the accumulator, in 1/SCALE token units.
    pub shares_carry: u128,
    /// Protocol fees booked for the treasury, not yet collected.
    pub owed_protocol: u64,
    /// The treasury's fraction of a token not yet booked, in 1/10 000 token.
    pub fee_carry: u16,
    /// Each parent's fraction of a token not yet booked, in 1/10 000 token.
    pub upstream_carry: [u16; MAX_PARENTS],
    /// Shares part received while no shares existed; owed to the model authority.
    pub unallocated: u64,
    /// Booked for each parent, not yet settled.
    pub owed_upstream: [u64; MAX_PARENTS],
}

/// What one payment did, for the event and the caller.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Distribution {
    /// Whole tokens booked for the treasury.
    pub protocol_fee: u64,
    /// Whole tokens booked for each parent.
    pub upstream: [u64; MAX_PARENTS],
    /// The contributors' part, exact, in 1/SCALE token.
    pub contributors_scaled: u128,
    /// Sub-units credited per unit of attribution weight (0 without attribution).
    pub per_weight_scaled: u128,
    /// Sub-units credited to the shares accumulator (or to `unallocated`).
    pub shares_scaled: u128,
    /// Whole tokens that went to `unallocated` because no shares existed.
    pub to_unallocated: u64,
}

impl Pools {
    /// Books one payment of `amount` that sits in the vault. The caller credits `per_weight_scaled × weight` to each attributed entry
    /// (`weight_total` = Σ weights, 0 for a batch without attribution).
    pub fn apply_payment(
        &mut self,
        amount: u64,
        fee_bps: u16,
        parent_bps: &[u16],
        attribution_bps: u16,
        weight_total: u64,
    ) -> Result<Distribution, MathError> {
        if parent_bps.len() > MAX_PARENTS {
            return Err(MathError);
        }
        let mut distribution = Distribution {
            protocol_fee: cut_with_carry(amount, fee_bps, &mut self.fee_carry)?,
            ..Distribution::default()
        };
        self.owed_protocol = self.owed_protocol.safe_add(distribution.protocol_fee)?;
        let mut contributors_bps = BPS_WHOLE.safe_sub(u64::from(fee_bps))?;
        for (position, bps) in parent_bps.iter().enumerate() {
            let booked = cut_with_carry(amount, *bps, &mut self.upstream_carry[position])?;
            distribution.upstream[position] = booked;
            self.owed_upstream[position] = self.owed_upstream[position].safe_add(booked)?;
            contributors_bps = contributors_bps.safe_sub(u64::from(*bps))?;
        }
        // amount × contributors' bps: at most 78 bits, exact.
        let contributors_part = widening_mul(amount, contributors_bps);
        distribution.contributors_scaled = mul_u64(contributors_part, SCALE_PER_BPS_UNIT)?;
        let mut shares_scaled = distribution.contributors_scaled;
        if weight_total > 0 {
            let attributed_scaled = mul_u64(
                contributors_part,
                u64::from(attribution_bps).safe_mul(SCALE_PER_BPS_SQUARED)?,
            )?;
            distribution.per_weight_scaled = div_rem_u64(attributed_scaled, weight_total)?.0;
            let credited = mul_u64(distribution.per_weight_scaled, weight_total)?;
            shares_scaled = shares_scaled.safe_sub(credited)?;
        }
        distribution.shares_scaled = shares_scaled;
        distribution.to_unallocated = self.credit_shares(shares_scaled)?;
        Ok(distribution)
    }

    /// Credits `scaled` sub-units to all shares; with no shares the whole
    /// tokens are owed to the authority instead (returned).
    fn credit_shares(&mut self, scaled: u128) -> Result<u64, MathError> {
        let numerator = scaled.safe_add(self.shares_carry)?;
        if self.total_shares == 0 {
            let (tokens, fraction) = div_rem_scale(numerator)?;
            let tokens = u64::try_from(tokens).map_err(|_| MathError)?;
            self.unallocated = self.unallocated.safe_add(tokens)?;
            self.shares_carry = fraction;
            return Ok(tokens);
        }
        let (per_share, carry) = div_rem_u64(numerator, self.total_shares)?;
        self.acc_per_share = self.acc_per_share.safe_add(per_share)?;
        self.shares_carry = u128::from(carry);
        Ok(0)
    }

    /// Takes what parent `index` is owed, for settlement.
    pub fn take_upstream(&mut self, index: usize) -> Result<u64, MathError> {
        let owed = self.owed_upstream.get_mut(index).ok_or(MathError)?;
        Ok(core::mem::take(owed))
    }

    /// Takes the protocol fees booked for the treasury.
    pub fn take_protocol_fees(&mut self) -> u64 {
        core::mem::take(&mut self.owed_protocol)
    }

    /// Takes the authority's unallocated balance.
    pub fn take_unallocated(&mut self) -> u64 {
        core::mem::take(&mut self.unallocated)
    }

    /// Σ what every parent is owed, not yet settled.
    pub fn owed_upstream_total(&self) -> Result<u128, MathError> {
        self.owed_upstream
            .iter()
            .try_fold(0u128, |sum, owed| sum.safe_add(u128::from(*owed)))
    }

    /// Everything the pools hold outside the contributions, in 1/SCALE units.
    pub fn held_scaled(&self) -> Result<u128, MathError> {
        let tokens = self.owed_upstream.iter().try_fold(
            u128::from(self.unallocated).safe_add(u128::from(self.owed_protocol))?,
            |sum, owed| sum.safe_add(u128::from(*owed)),
        )?;
        let fractions = self
            .upstream_carry
            .iter()
            .try_fold(u128::from(self.fee_carry), |sum, carry| {
                sum.safe_add(u128::from(*carry))
            })?;
        mul_u64(tokens, SCALE_U64)?
            .safe_add(mul_u64(fractions, SCALE_PER_BPS_UNIT)?)?
            .safe_add(self.shares_carry)
    }
}

/// One contribution's balance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EntryBalance {
    /// Shares that currently earn (0 unless accepted).
    pub active_shares: u64,
    /// `acc_per_share` when the accrual was last brought up to date.
    pub snapshot: u128,
    /// Earned and not yet withdrawn (shares accrual and attributed credits),
    /// in 1/SCALE token units.
    pub accrued_scaled: u128,
}

impl EntryBalance {
    /// Brings the shares accrual up to the pools' accumulator.
    pub fn settle(&mut self, pools: &Pools) -> Result<(), MathError> {
        let delta = pools.acc_per_share.safe_sub(self.snapshot)?;
        let earned = mul_u64(delta, self.active_shares)?;
        self.accrued_scaled = self.accrued_scaled.safe_add(earned)?;
        self.snapshot = pools.acc_per_share;
        Ok(())
    }

    /// Starts earning with `shares` (acceptance); refuses a total above
    /// [`MAX_TOTAL_SHARES`] with [`SharesError::AboveLimit`].
    pub fn activate(&mut self, shares: u64, pools: &mut Pools) -> Result<(), SharesError> {
        let total = pools.total_shares.safe_add(shares)?;
        if total > MAX_TOTAL_SHARES {
            return Err(SharesError::AboveLimit);
        }
        self.settle(pools)?;
        pools.total_shares = total;
        pools.accepted_count = pools.accepted_count.safe_add(1)?;
        self.active_shares = self.active_shares.safe_add(shares)?;
        Ok(())
    }

    /// Stops earning; what was earned stays (revocation).
    pub fn deactivate(&mut self, pools: &mut Pools) -> Result<(), MathError> {
        self.settle(pools)?;
        pools.total_shares = pools.total_shares.safe_sub(self.active_shares)?;
        pools.accepted_count = pools.accepted_count.safe_sub(1)?;
        self.active_shares = 0;
        Ok(())
    }

    /// Adds an attributed credit of `weight × per_weight_scaled` sub-units
    /// (the program does the same on the account's bytes with
    /// [`add_credit_le`](super::wide::add_credit_le)); returns the credit.
    pub fn credit_attributed(
        &mut self,
        weight: u16,
        per_weight_scaled: u128,
    ) -> Result<u128, MathError> {
        let credit = attributed_credit(per_weight_scaled, weight)?;
        self.accrued_scaled = self.accrued_scaled.safe_add(credit)?;
        Ok(credit)
    }

    /// Whole tokens that can be withdrawn now (after `settle`).
    pub fn claimable(&self) -> Result<u64, MathError> {
        u64::try_from(div_rem_scale(self.accrued_scaled)?.0).map_err(|_| MathError)
    }

    /// Settles and withdraws every whole token; the sub-token fraction stays
    /// for the next claim.
    pub fn take_claimable(&mut self, pools: &Pools) -> Result<u64, MathError> {
        self.settle(pools)?;
        let (tokens, fraction) = div_rem_scale(self.accrued_scaled)?;
        self.accrued_scaled = fraction;
        u64::try_from(tokens).map_err(|_| MathError)
    }

    /// What a claim would withdraw now, and what the entry has earned in
    /// all with `claimed_total` already withdrawn: what a reader shows.
    pub fn earnings(&self, pools: &Pools, claimed_total: u128) -> Result<Earnings, MathError> {
        let mut settled = *self;
        settled.settle(pools)?;
        let claimable = settled.claimable()?;
        Ok(Earnings {
            claimable,
            earned: claimed_total.safe_add(u128::from(claimable))?,
        })
    }

    /// Everything this entry is owed, including unsettled accrual, in 1/SCALE units.
    pub fn owed_scaled(&self, pools: &Pools) -> Result<u128, MathError> {
        let pending = mul_u64(
            pools.acc_per_share.safe_sub(self.snapshot)?,
            self.active_shares,
        )?;
        self.accrued_scaled.safe_add(pending)
    }
}

/// A contribution's money as a reader sees it, in whole tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Earnings {
    /// Withdrawable now (a claim's amount).
    pub claimable: u64,
    /// Claimed so far plus claimable now.
    pub earned: u128,
}

/// Whole tokens in `scaled` sub-units, floored (what a claim would pay).
pub fn whole_tokens(scaled: u128) -> Result<u128, MathError> {
    Ok(div_rem_scale(scaled)?.0)
}

/// Why an acceptance's shares were refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SharesError {
    /// The model's total would pass [`MAX_TOTAL_SHARES`].
    AboveLimit,
    Math(MathError),
}

impl From<MathError> for SharesError {
    fn from(error: MathError) -> Self {
        SharesError::Math(error)
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn cuts_floor_and_carry_the_fraction_for_the_same_recipient() {
        let mut carry = 0;
        assert_eq!(cut_with_carry(9, 1_000, &mut carry), Ok(0));
        assert_eq!(carry, 9_000, "0.9 token kept for the next cut");
        assert_eq!(cut_with_carry(9, 1_000, &mut carry), Ok(1));
        assert_eq!(carry, 8_000);
    }

    #[test]
    fn contributors_part_is_exact_in_sub_units() {
        let mut pools = Pools::default();
        let d = pools
            .apply_payment(999, 250, &[1_000, 333], 3_000, 0)
            .unwrap();
        assert_eq!(d.protocol_fee, 24); // 24.975
        assert_eq!(pools.owed_protocol, 24);
        assert_eq!(d.upstream[..2], [99, 33]); // 99.9, 33.2667
        assert_eq!(
            (pools.fee_carry, pools.upstream_carry[..2].to_vec()),
            (9_750, vec![9_000, 2_667])
        );
        assert_eq!(
            d.contributors_scaled,
            999 * (10_000 - 250 - 1_000 - 333) * SCALE / 10_000
        );
        assert_eq!(
            d.per_weight_scaled, 0,
            "no attribution: everything to shares"
        );
        assert_eq!(pools.unallocated, 840, "840.8517 tokens, no shares yet");
    }

    #[test]
    fn attributed_part_is_credited_per_weight_and_its_remainder_joins_the_shares() {
        let mut pools = Pools::default();
        let mut entry = EntryBalance::default();
        entry.activate(1, &mut pools).unwrap();
        let d = pools.apply_payment(10, 0, &[], 10_000, 3).unwrap();
        assert_eq!(d.per_weight_scaled, 10 * SCALE / 3);
        assert_eq!(d.shares_scaled, 10 * SCALE - 3 * (10 * SCALE / 3));
    }

    #[test]
    fn fees_above_the_payment_are_an_error() {
        let mut pools = Pools::default();
        assert_eq!(
            pools.apply_payment(100, 5_000, &[6_000], 0, 0),
            Err(MathError)
        );
    }

    #[test]
    fn accrual_is_exact_in_sub_units() {
        let mut pools = Pools::default();
        let mut a = EntryBalance::default();
        let mut b = EntryBalance::default();
        a.activate(1, &mut pools).unwrap();
        b.activate(2, &mut pools).unwrap();
        pools.apply_payment(10, 0, &[], 0, 0).unwrap();
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
        pools.apply_payment(100, 0, &[], 0, 0).unwrap();
        a.deactivate(&mut pools).unwrap();
        pools.apply_payment(100, 0, &[], 0, 0).unwrap();
        assert_eq!(a.take_claimable(&pools).unwrap(), 50);
        assert_eq!(b.take_claimable(&pools).unwrap(), 150);
        assert_eq!((pools.total_shares, pools.accepted_count), (1, 1));
    }

    #[test]
    fn shares_are_capped() {
        let mut pools = Pools::default();
        let mut a = EntryBalance::default();
        assert_eq!(
            a.activate(MAX_TOTAL_SHARES + 1, &mut pools),
            Err(SharesError::AboveLimit)
        );
        assert_eq!(
            pools,
            Pools::default(),
            "a refused acceptance changes nothing"
        );
        a.activate(MAX_TOTAL_SHARES, &mut pools).unwrap();
        assert_eq!(
            EntryBalance::default().activate(1, &mut pools),
            Err(SharesError::AboveLimit)
        );
    }

    #[test]
    fn shares_part_without_shares_is_owed_to_the_authority() {
        let mut pools = Pools::default();
        let distribution = pools.apply_payment(100, 0, &[], 0, 0).unwrap();
        assert_eq!(distribution.to_unallocated, 100);
        assert_eq!(pools.take_unallocated(), 100);
    }
}
