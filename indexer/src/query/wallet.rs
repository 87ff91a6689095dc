//! A wallet's page: what the contributions paying it are owed, per payment
//! mint, from one `wallet_earnings` row per model (kept up to date as
//! events arrive), and a page of its contributions read in index order. No
//! part of it grows with the number of contributions anyone points at the
//! wallet.

use std::collections::BTreeMap;

use model_ledger::math::{entry_sum::OwedTotal, royalty::Pools};
use serde::Serialize;

use super::{
    contribution_select, contributions_from, decimals, summary_from, Amount, ContributionView,
    ModelSummary, SUMMARY_COLUMNS,
};
use crate::{
    db::{int, Sql},
    wallets::WalletSums,
    IndexError,
};

/// Models whose sums a wallet's totals add up at most; a wallet paid by
/// contributions to more models than that says so (`totals_complete`).
pub const WALLET_TOTAL_MODELS: u64 = 1_000;

/// Models it holds the authority of, and grants it holds, listed at most
/// (anyone may hand a transferable grant to any wallet).
pub const WALLET_LISTS: u64 = 200;

#[derive(Clone, Debug, Serialize)]
pub struct MintTotal {
    pub payment_mint: String,
    /// Claimed plus owed.
    pub earned: Amount,
    pub claimed: Amount,
    /// Owed now, to the base unit. Claims pay each contribution's whole
    /// base units and keep its fraction for later, so claiming now may pay
    /// up to one base unit per contribution less (each fraction follows).
    pub claimable: Amount,
}

#[derive(Clone, Debug, Serialize)]
pub struct WalletView {
    pub wallet: String,
    /// Contributions it proposed or is paid by, across models (all of them).
    pub contribution_count: u64,
    /// This page of them (`page` from 0, `per_page` each): those paying it
    /// (by model and index), then those it proposed that pay another wallet.
    pub page: u64,
    pub per_page: u64,
    pub contributions: Vec<ContributionView>,
    /// The next page's cursor (`?after=`), while contributions paying the
    /// wallet remain: the last one here, as `MODEL:INDEX`.
    pub next: Option<String>,
    /// Sums per payment mint (amounts of different mints do not add up).
    pub totals: Vec<MintTotal>,
    /// Models paying it; the totals add up the first [`WALLET_TOTAL_MODELS`].
    pub models_paying: u64,
    pub totals_complete: bool,
    /// Models it holds the authority of (the first [`WALLET_LISTS`]).
    pub models: Vec<ModelSummary>,
    /// Grants it holds: (grant, model, licence version); the first [`WALLET_LISTS`].
    pub grants: Vec<(String, String, u32)>,
}

/// Per payment mint: its decimals, and what the wallet is owed and claimed.
type Sums = BTreeMap<String, (u8, OwedTotal)>;

fn totals(sql: &mut dyn Sql, wallet: &str) -> Result<(Sums, u64), IndexError> {
    let rows = sql.query(
        &format!(
            "SELECT models.payment_mint, models.payment_decimals, models.acc_per_share, {} FROM wallet_earnings JOIN models ON models.address = wallet_earnings.model WHERE wallet_earnings.wallet = $1 ORDER BY wallet_earnings.model LIMIT $2",
            WalletSums::COLUMNS
                .split(", ")
                .map(|column| format!("wallet_earnings.{column}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        &[wallet.into(), int(WALLET_TOTAL_MODELS)?],
    )?;
    let overflow = || IndexError::Database(format!("wallet {wallet}'s totals pass u128"));
    let mut sums = Sums::new();
    for row in &rows {
        let pools = Pools {
            acc_per_share: row.amount("acc_per_share")?,
            ..Pools::default()
        };
        let paying = WalletSums::from_row(row)?;
        let (_, total) = sums
            .entry(row.text("payment_mint")?.to_string())
            .or_insert((
                decimals(row.int("payment_decimals")?)?,
                OwedTotal::default(),
            ));
        total.add(&paying.entries, &pools).map_err(|_| overflow())?;
    }
    let models_paying = if (rows.len() as u64) < WALLET_TOTAL_MODELS {
        rows.len() as u64
    } else {
        sql.query_one(
            "SELECT COUNT(*) FROM wallet_earnings WHERE wallet = $1",
            &[wallet.into()],
        )?
        .u64(0)?
    };
    Ok((sums, models_paying))
}

/// How many contributions pay `wallet`.
pub fn paying_count(sql: &mut dyn Sql, wallet: &str) -> Result<u64, IndexError> {
    sql.query_one(
        // PostgreSQL sums BIGINTs as NUMERIC: back to BIGINT for both.
        "SELECT CAST(COALESCE(SUM(contributions), 0) AS BIGINT) FROM wallet_earnings WHERE wallet = $1",
        &[wallet.into()],
    )?
    .u64(0)
}

/// Everything of `wallet`: its contributions (as contributor or payout
/// wallet; page `page` of them) and what they all earned, its models and
/// grants.
pub fn wallet(
    sql: &mut dyn Sql,
    wallet: &str,
    page: u64,
    per_page: u64,
    after: Option<(&str, u32)>,
) -> Result<WalletView, IndexError> {
    let (sums, models_paying) = totals(sql, wallet)?;
    let paying = paying_count(sql, wallet)?;
    // Proposed by the wallet, paying another: only its own signatures make these.
    const ELSEWHERE: &str = "contributions.contributor = $1 AND contributions.payout_wallet <> $1";
    // Counted as payouts move (`wallet_counts`), not per request.
    let elsewhere = sql
        .query_opt(
            "SELECT proposed_for_others FROM wallet_counts WHERE wallet = $1",
            &[wallet.into()],
        )?
        .map(|row| row.u64(0))
        .transpose()?
        .unwrap_or(0);

    let per_page = per_page.clamp(1, 500);
    let first = page.saturating_mul(per_page);
    // The page's keys first, from the index alone, then those rows: after
    // a cursor (the last contribution of the page before: as cheap on the
    // thousandth page as on the first), or skipping whole pages.
    let mut rows = match after {
        // Past the paying contributions: none of them to skip.
        None if first >= paying => Vec::new(),
        Some((model, index)) => sql.query(
            &format!(
                "{} ORDER BY contributions.model, contributions.idx",
                contribution_select(
                    "(contributions.model, contributions.idx) IN (SELECT model, idx FROM contributions WHERE payout_wallet = $1 AND (model, idx) > ($3, $4) ORDER BY payout_wallet, model, idx LIMIT $2)"
                )
            ),
            &[wallet.into(), int(per_page)?, model.into(), index.into()],
        )?,
        None => sql.query(
            &format!(
                "{} ORDER BY contributions.model, contributions.idx",
                contribution_select(
                    "(contributions.model, contributions.idx) IN (SELECT model, idx FROM contributions WHERE payout_wallet = $1 ORDER BY payout_wallet, model, idx LIMIT $2 OFFSET $3)"
                )
            ),
            &[wallet.into(), int(per_page)?, int(first)?],
        )?,
    };
    let paying_here = rows.len() as u64;
    if (rows.len() as u64) < per_page {
        let left = per_page - rows.len() as u64;
        let skip = first.saturating_sub(paying);
        rows.extend(sql.query(
            &format!(
                "{} ORDER BY contributions.contributor, contributions.model, contributions.idx LIMIT $2 OFFSET $3",
                contribution_select(ELSEWHERE)
            ),
            &[wallet.into(), int(left)?, int(skip)?],
        )?);
    }
    let contributions = contributions_from(sql, &rows)?;
    // More paying contributions after this page: where the next one starts.
    let next = (paying_here == per_page && first.saturating_add(per_page) < paying)
        .then(|| contributions.last())
        .flatten()
        .map(|last| format!("{}:{}", last.model, last.index));

    let models = sql
        .query(
            &format!("SELECT {SUMMARY_COLUMNS} FROM models WHERE authority = $1 ORDER BY position LIMIT $2"),
            &[wallet.into(), int(WALLET_LISTS)?],
        )?
        .iter()
        .map(summary_from)
        .collect::<Result<_, _>>()?;
    let grants = sql
        .query(
            "SELECT address, model, license_version FROM grants WHERE licensee = $1 ORDER BY slot LIMIT $2",
            &[wallet.into(), int(WALLET_LISTS)?],
        )?
        .iter()
        .map(|row| {
            Ok((
                row.text("address")?.to_string(),
                row.text("model")?.to_string(),
                row.small("license_version")?,
            ))
        })
        .collect::<Result<_, IndexError>>()?;
    Ok(WalletView {
        wallet: wallet.to_string(),
        contribution_count: paying + elsewhere,
        page,
        per_page,
        totals: sums
            .into_iter()
            .map(|(payment_mint, (decimals, total))| {
                let overflow =
                    || IndexError::Database(format!("wallet {wallet}'s totals pass u128"));
                Ok(MintTotal {
                    payment_mint,
                    earned: Amount::new(total.earned().map_err(|_| overflow())?, decimals),
                    claimed: Amount::new(total.claimed_total, decimals),
                    claimable: Amount::new(total.owed().map_err(|_| overflow())?, decimals),
                })
            })
            .collect::<Result<_, IndexError>>()?,
        models_paying,
        totals_complete: models_paying <= WALLET_TOTAL_MODELS,
        next,
        contributions,
        models,
        grants,
    })
}
