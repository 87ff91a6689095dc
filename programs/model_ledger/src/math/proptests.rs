//! Property tests: any sequence of payments, share changes, attributions,
//! revocations, settlements and claims conserves every token unit exactly;
//! batching never changes who gets what by more than one base unit; and a
//! revoked contribution keeps what it earned, whatever the share counts.
#![allow(clippy::arithmetic_side_effects)]

use proptest::prelude::*;

use super::royalty::{EntryBalance, Pools, MAX_PARENTS, MAX_TOTAL_SHARES, SCALE};

#[derive(Debug, Clone)]
enum Op {
    Pay {
        amount: u64,
        /// (entry slot, weight) pairs; only active entries are used.
        attribution: Vec<(usize, u16)>,
    },
    Accept {
        slot: usize,
        shares: u64,
    },
    Revoke {
        slot: usize,
    },
    Settle {
        parent: usize,
    },
    Claim {
        slot: usize,
    },
    ClaimUnallocated,
    CollectFees,
}

const SLOTS: usize = 12;

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u64..=1_000_000_000_000, prop::collection::vec((0..SLOTS, 0u16..=1_000), 0..6))
            .prop_map(|(amount, attribution)| Op::Pay { amount, attribution }),
        2 => (0..SLOTS, 1u64..=MAX_TOTAL_SHARES / SLOTS as u64).prop_map(|(slot, shares)| Op::Accept { slot, shares }),
        1 => (0..SLOTS).prop_map(|slot| Op::Revoke { slot }),
        1 => (0..MAX_PARENTS).prop_map(|parent| Op::Settle { parent }),
        2 => (0..SLOTS).prop_map(|slot| Op::Claim { slot }),
        1 => Just(Op::ClaimUnallocated),
        1 => Just(Op::CollectFees),
    ]
}

#[derive(Clone, Copy, PartialEq)]
enum Status {
    Proposed,
    Accepted,
    Revoked,
}

struct Model {
    pools: Pools,
    entries: Vec<(Status, EntryBalance)>,
    vault: u64,
    paid_out: u64,
    paid_in: u64,
    fees: u64,
}

impl Model {
    fn conserved(&self) -> bool {
        let owed: u128 = self
            .entries
            .iter()
            .map(|(_, entry)| entry.owed_scaled(&self.pools).unwrap())
            .sum();
        u128::from(self.vault) * SCALE == owed + self.pools.held_scaled().unwrap()
            && self.paid_in == self.vault + self.paid_out + self.fees
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_token_unit_is_conserved(
        fee_bps in 0u16..=2_000,
        parent_bps in prop::collection::vec(0u16..=1_000, 0..=MAX_PARENTS),
        attribution_bps in 0u16..=10_000,
        ops in prop::collection::vec(op(), 1..120),
    ) {
        let mut model = Model {
            pools: Pools::default(),
            entries: vec![(Status::Proposed, EntryBalance::default()); SLOTS],
            vault: 0,
            paid_out: 0,
            paid_in: 0,
            fees: 0,
        };
        for op in ops {
            match op {
                Op::Pay { amount, attribution } => {
                    let mut seen = [false; SLOTS];
                    let usable: Vec<(usize, u16)> = attribution
                        .into_iter()
                        .filter(|(slot, weight)| {
                            *weight > 0
                                && model.entries[*slot].0 == Status::Accepted
                                && !std::mem::replace(&mut seen[*slot], true)
                        })
                        .collect();
                    let weight_total = usable.iter().map(|(_, w)| u64::from(*w)).sum();
                    let distribution = model
                        .pools
                        .apply_payment(amount, fee_bps, &parent_bps, attribution_bps, weight_total)
                        .unwrap();
                    for (slot, weight) in &usable {
                        model.entries[*slot].1.credit_attributed(*weight, distribution.per_weight_scaled).unwrap();
                    }
                    model.paid_in += amount;
                    model.vault += amount;
                }
                Op::Accept { slot, shares } => {
                    let (status, entry) = &mut model.entries[slot];
                    if *status == Status::Proposed {
                        entry.activate(shares, &mut model.pools).unwrap();
                        *status = Status::Accepted;
                    }
                }
                Op::Revoke { slot } => {
                    let (status, entry) = &mut model.entries[slot];
                    if *status == Status::Accepted {
                        entry.deactivate(&mut model.pools).unwrap();
                        *status = Status::Revoked;
                    }
                }
                Op::Settle { parent } => {
                    let moved = model.pools.take_upstream(parent).unwrap();
                    prop_assert_eq!(model.pools.take_upstream(parent).unwrap(), 0, "settling twice moves nothing");
                    model.vault -= moved;
                    model.paid_out += moved;
                }
                Op::Claim { slot } => {
                    let moved = model.entries[slot].1.take_claimable(&model.pools).unwrap();
                    prop_assert_eq!(model.entries[slot].1.take_claimable(&model.pools).unwrap(), 0, "claiming twice moves nothing");
                    model.vault -= moved;
                    model.paid_out += moved;
                }
                Op::ClaimUnallocated => {
                    let moved = model.pools.take_unallocated();
                    model.vault -= moved;
                    model.paid_out += moved;
                }
                Op::CollectFees => {
                    let moved = model.pools.take_protocol_fees();
                    prop_assert_eq!(model.pools.take_protocol_fees(), 0, "collecting twice moves nothing");
                    model.vault -= moved;
                    model.fees += moved;
                }
            }
            prop_assert!(model.conserved());
        }
    }

    #[test]
    fn claims_never_exceed_what_was_paid_for_shares(
        shares in prop::collection::vec(1u64..=MAX_TOTAL_SHARES / 20, 1..20),
        payments in prop::collection::vec(0u64..=u64::from(u32::MAX), 1..20),
    ) {
        let mut pools = Pools::default();
        let mut entries = vec![EntryBalance::default(); shares.len()];
        for (entry, s) in entries.iter_mut().zip(&shares) {
            entry.activate(*s, &mut pools).unwrap();
        }
        let mut total_paid = 0u128;
        for payment in &payments {
            pools.apply_payment(*payment, 0, &[], 0, 0).unwrap();
            total_paid += u128::from(*payment);
        }
        let claimed: u128 = entries
            .iter_mut()
            .map(|entry| u128::from(entry.take_claimable(&pools).unwrap()))
            .sum();
        prop_assert!(claimed <= total_paid);
        // Each entry loses strictly less than one token to its kept fraction,
        // and the accumulator carry is less than one token.
        prop_assert!(total_paid - claimed <= shares.len() as u128 + 1);
    }

    /// Paying P in one batch or in k batches that sum to P gives the
    /// treasury, every parent and every contribution the same amount within
    /// one base unit (the treasury and the parents exactly).
    #[test]
    fn batching_never_changes_who_gets_what(
        fee_bps in 0u16..=2_000,
        parent_bps in prop::collection::vec(0u16..=1_000, 0..=MAX_PARENTS),
        attribution_bps in 0u16..=10_000,
        shares in prop::collection::vec(1u64..=MAX_TOTAL_SHARES / 8, 0..8),
        weights in prop::collection::vec(0u16..=1_000, 8),
        batches in prop::collection::vec(0u64..=1_000_000, 1..40),
    ) {
        // Attribution names accepted entries with a weight > 0.
        let attribution: Vec<(usize, u16)> = weights
            .iter()
            .copied()
            .enumerate()
            .filter(|(slot, weight)| *slot < shares.len() && *weight > 0)
            .collect();
        let total: u64 = batches.iter().sum();
        let once = pay_all(&[total], fee_bps, &parent_bps, attribution_bps, &shares, &attribution);
        let split = pay_all(&batches, fee_bps, &parent_bps, attribution_bps, &shares, &attribution);
        prop_assert_eq!(once.pools.owed_protocol, split.pools.owed_protocol, "treasury");
        prop_assert_eq!(once.pools.owed_upstream, split.pools.owed_upstream, "parents");
        prop_assert!(once.pools.unallocated.abs_diff(split.pools.unallocated) <= 1, "authority");
        for (slot, (a, b)) in once.claims.iter().zip(&split.claims).enumerate() {
            prop_assert!(a.abs_diff(*b) <= 1, "contribution {}: {} in one batch, {} in {}", slot, a, b, batches.len());
        }
    }

    /// What a contribution earned before it was revoked stays claimable to
    /// within one base unit of its exact share, however large the share
    /// counts and whatever happens to the model afterwards.
    #[test]
    fn a_revoked_contribution_keeps_what_it_earned(
        shares in prop::collection::vec(1u64..=MAX_TOTAL_SHARES / 4, 2..4),
        before in prop::collection::vec(1u64..=1_000_000_000, 1..20),
        after in prop::collection::vec(1u64..=1_000_000_000, 0..20),
        newcomer in 1u64..=MAX_TOTAL_SHARES / 4,
    ) {
        let mut pools = Pools::default();
        let mut entries = vec![EntryBalance::default(); shares.len()];
        for (entry, s) in entries.iter_mut().zip(&shares) {
            entry.activate(*s, &mut pools).unwrap();
        }
        let total_shares: u64 = shares.iter().sum();
        // The exact share of entry 0, in sub-units (each term floored: the
        // error is below one sub-unit per payment).
        let mut exact_scaled = 0u128;
        for payment in &before {
            let d = pools.apply_payment(*payment, 0, &[], 0, 0).unwrap();
            exact_scaled += d.shares_scaled * u128::from(shares[0]) / u128::from(total_shares);
        }
        entries[0].deactivate(&mut pools).unwrap();
        let mut late = EntryBalance::default();
        late.activate(newcomer, &mut pools).unwrap();
        for payment in &after {
            pools.apply_payment(*payment, 0, &[], 0, 0).unwrap();
        }
        let claimed = u128::from(entries[0].take_claimable(&pools).unwrap());
        let exact = exact_scaled / SCALE;
        prop_assert!(claimed <= exact + 1 && exact <= claimed + 1, "claimed {} of an exact {}", claimed, exact_scaled);
    }
}

/// One model paid `batches` in turn, then every contribution claimed.
struct Paid {
    pools: Pools,
    claims: Vec<u64>,
}

fn pay_all(
    batches: &[u64],
    fee_bps: u16,
    parent_bps: &[u16],
    attribution_bps: u16,
    shares: &[u64],
    attribution: &[(usize, u16)],
) -> Paid {
    let mut pools = Pools::default();
    let mut entries = vec![EntryBalance::default(); shares.len()];
    for (entry, s) in entries.iter_mut().zip(shares) {
        entry.activate(*s, &mut pools).unwrap();
    }
    let weight_total = attribution.iter().map(|(_, w)| u64::from(*w)).sum();
    for amount in batches {
        let d = pools
            .apply_payment(*amount, fee_bps, parent_bps, attribution_bps, weight_total)
            .unwrap();
        for (slot, weight) in attribution {
            entries[*slot]
                .credit_attributed(*weight, d.per_weight_scaled)
                .unwrap();
        }
    }
    let claims = entries
        .iter_mut()
        .map(|entry| entry.take_claimable(&pools).unwrap())
        .collect();
    Paid { pools, claims }
}
