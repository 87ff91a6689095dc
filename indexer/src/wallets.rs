//! `wallet_earnings`: per wallet and model, the sums
//! ([`EntrySum`]) of every contribution paying that wallet, kept up to date
//! as entries change. Every change of an entry or its payout wallet goes
//! through [`Earnings::change`]; the sums a transaction touched are written
//! once, at its end. `wallet_counts`: how many contributions a wallet
//! proposed that pay another ([`payout_moved`]).

use std::collections::BTreeMap;

use model_ledger::math::{entry_sum::EntrySum, royalty::EntryBalance};
use solana_sdk::pubkey::Pubkey;

use crate::{
    apply::key,
    db::{amount, int, Row, Sql},
    IndexError,
};

/// What one entry adds to its payout wallet's sums.
#[derive(Clone, Copy)]
pub(crate) struct Paying<'a> {
    pub wallet: &'a str,
    pub balance: &'a EntryBalance,
    pub claimed_total: u128,
}

/// A wallet's sums for one model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct WalletSums {
    pub contributions: u64,
    pub entries: EntrySum,
}

impl WalletSums {
    pub(crate) const COLUMNS: &'static str =
        "contributions, active_shares, weighted_snapshot, accrued_scaled, claimed_total";

    /// From a row holding [`Self::COLUMNS`] (by name, among any others).
    pub(crate) fn from_row(row: &Row) -> Result<Self, IndexError> {
        Ok(Self {
            contributions: row.u64("contributions")?,
            entries: EntrySum {
                active_shares: row.amount("active_shares")?,
                weighted_snapshot: row.amount("weighted_snapshot")?,
                accrued_scaled: row.amount("accrued_scaled")?,
                claimed_total: row.amount("claimed_total")?,
            },
        })
    }
}

fn broken(what: &str) -> IndexError {
    IndexError::Database(format!(
        "wallet earnings: {what} (the index was changed by hand? `index verify` names the row)"
    ))
}

/// The sums a transaction changed, by (wallet, model).
#[derive(Default)]
pub(crate) struct Earnings(BTreeMap<(String, Pubkey), WalletSums>);

impl Earnings {
    fn sums(
        &mut self,
        sql: &mut dyn Sql,
        wallet: &str,
        model: &Pubkey,
    ) -> Result<&mut WalletSums, IndexError> {
        let slot = (wallet.to_string(), *model);
        if !self.0.contains_key(&slot) {
            let stored = sql
                .query_opt(
                    &format!(
                        "SELECT {} FROM wallet_earnings WHERE wallet = $1 AND model = $2",
                        WalletSums::COLUMNS
                    ),
                    &[wallet.into(), key(model)],
                )?
                .map(|row| WalletSums::from_row(&row))
                .transpose()?
                .unwrap_or_default();
            self.0.insert(slot.clone(), stored);
        }
        Ok(self.0.get_mut(&slot).expect("inserted above"))
    }

    /// An entry of `model` changes from `before` (`None`: a new
    /// contribution) to `after`; either may pay another wallet.
    pub(crate) fn change(
        &mut self,
        sql: &mut dyn Sql,
        model: &Pubkey,
        before: Option<Paying>,
        after: Paying,
    ) -> Result<(), IndexError> {
        if let Some(before) = before {
            let sums = self.sums(sql, before.wallet, model)?;
            sums.entries
                .remove(before.balance, before.claimed_total)
                .map_err(|_| broken("an entry leaves more than its wallet's sum holds"))?;
            sums.contributions = sums
                .contributions
                .checked_sub(1)
                .ok_or_else(|| broken("a contribution leaves a wallet that had none"))?;
        }
        let sums = self.sums(sql, after.wallet, model)?;
        sums.entries
            .add(after.balance, after.claimed_total)
            .map_err(|_| broken("a wallet's sum passes u128"))?;
        sums.contributions += 1;
        Ok(())
    }

    /// Writes every sum the transaction changed; a wallet no contribution
    /// of a model pays any more loses its row.
    pub(crate) fn write(self, sql: &mut dyn Sql) -> Result<(), IndexError> {
        for ((wallet, model), sums) in self.0 {
            if sums.contributions == 0 {
                sql.write(
                    "DELETE FROM wallet_earnings WHERE wallet = $1 AND model = $2",
                    &[wallet.as_str().into(), key(&model)],
                )?;
                continue;
            }
            sql.write(
                "INSERT INTO wallet_earnings (wallet, model, contributions, active_shares, weighted_snapshot, accrued_scaled, claimed_total) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (wallet, model) DO UPDATE SET contributions = $3, active_shares = $4, weighted_snapshot = $5, accrued_scaled = $6, claimed_total = $7",
                &[
                    wallet.as_str().into(),
                    key(&model),
                    int(sums.contributions)?,
                    amount(sums.entries.active_shares),
                    amount(sums.entries.weighted_snapshot),
                    amount(sums.entries.accrued_scaled),
                    amount(sums.entries.claimed_total),
                ],
            )?;
        }
        Ok(())
    }
}

/// A contribution `contributor` proposed now pays `to` instead of `from`:
/// its count of contributions paying others follows.
pub(crate) fn payout_moved(
    sql: &mut dyn Sql,
    contributor: &str,
    from: &str,
    to: &str,
) -> Result<(), IndexError> {
    let change: i64 = match (from == contributor, to == contributor) {
        (true, false) => 1,
        (false, true) => -1,
        _ => return Ok(()),
    };
    sql.write(
        "INSERT INTO wallet_counts (wallet, proposed_for_others) VALUES ($1, $2) \
         ON CONFLICT (wallet) DO UPDATE SET proposed_for_others = wallet_counts.proposed_for_others + $2",
        &[contributor.into(), crate::db::Value::Int(change)],
    )?;
    sql.write(
        "DELETE FROM wallet_counts WHERE wallet = $1 AND proposed_for_others = 0",
        &[contributor.into()],
    )?;
    Ok(())
}

/// Fills `wallet_earnings` from the contributions an index already holds
/// (the migration that adds the table).
pub(crate) fn backfill(sql: &mut dyn Sql) -> Result<(), IndexError> {
    let rows = sql.query(
        "SELECT model, payout_wallet, active_shares, snapshot, accrued_scaled, claimed_total FROM contributions",
        &[],
    )?;
    let mut earnings = Earnings::default();
    for row in &rows {
        let model: Pubkey = row.address("model")?;
        let balance = EntryBalance {
            active_shares: row.amount_u64("active_shares")?,
            snapshot: row.amount("snapshot")?,
            accrued_scaled: row.amount("accrued_scaled")?,
        };
        let paying = Paying {
            wallet: row.text("payout_wallet")?,
            balance: &balance,
            claimed_total: row.amount("claimed_total")?,
        };
        earnings.change(sql, &model, None, paying)?;
    }
    earnings.write(sql)
}
