//! Property tests: any sequence of payments, share changes, attributions,
//! revocations, settlements and claims conserves every token unit exactly.
#![allow(clippy::arithmetic_side_effects)]

use proptest::prelude::*;

use super::royalty::{EntryBalance, Pools, MAX_PARENTS, SCALE};

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
}

const SLOTS: usize = 12;

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u64..=1_000_000_000_000, prop::collection::vec((0..SLOTS, 0u16..=1_000), 0..6))
            .prop_map(|(amount, attribution)| Op::Pay { amount, attribution }),
        2 => (0..SLOTS, 1u64..=1_000_000_000).prop_map(|(slot, shares)| Op::Accept { slot, shares }),
        1 => (0..SLOTS).prop_map(|slot| Op::Revoke { slot }),
        1 => (0..MAX_PARENTS).prop_map(|parent| Op::Settle { parent }),
        2 => (0..SLOTS).prop_map(|slot| Op::Claim { slot }),
        1 => Just(Op::ClaimUnallocated),
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
                    let weights: Vec<u16> = usable.iter().map(|(_, w)| *w).collect();
                    let distribution = model
                        .pools
                        .apply_payment(amount, fee_bps, &parent_bps, attribution_bps, &weights)
                        .unwrap();
                    for ((slot, _), part) in usable.iter().zip(&distribution.attributed_amounts) {
                        model.entries[*slot].1.credit_attributed(*part).unwrap();
                    }
                    model.paid_in += amount;
                    model.fees += distribution.split.protocol_fee;
                    model.vault += amount - distribution.split.protocol_fee;
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
            }
            prop_assert!(model.conserved());
        }
    }

    #[test]
    fn claims_never_exceed_what_was_paid_for_shares(
        shares in prop::collection::vec(1u64..=1_000_000, 1..20),
        payments in prop::collection::vec(0u64..=u64::from(u32::MAX), 1..20),
    ) {
        let mut pools = Pools::default();
        let mut entries = vec![EntryBalance::default(); shares.len()];
        for (entry, s) in entries.iter_mut().zip(&shares) {
            entry.activate(*s, &mut pools).unwrap();
        }
        let mut total_paid = 0u128;
        for payment in &payments {
            pools.apply_payment(*payment, 0, &[], 0, &[]).unwrap();
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
}
