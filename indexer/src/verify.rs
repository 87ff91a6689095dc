//! `index verify`: every balance and counter the index holds, against the
//! accounts on chain (royalty books and their entries, contributions,
//! grants), naming the first difference.

use std::collections::HashMap;

use model_ledger::state::{Contribution, Grant};
use model_ledger_sdk::accounts::{decode, decode_book_entry, decode_royalty_book};
use solana_sdk::{account::Account, pubkey::Pubkey};

use crate::{
    apply::{book_from_row, entry_from_row, status_name, Book, ENTRY_COLUMNS},
    db::Sql,
    IndexError, Indexer,
};

/// Accounts read from the chain the index follows (an RPC cluster, the
/// embedded ledger's saved state, a test's runtime), by address; an address
/// without an account is absent.
pub type ChainAccounts = HashMap<Pubkey, Account>;

/// The accounts [`verify`] compares the index with: every model's royalty
/// book, every contribution, every grant. Read them (in any way), then verify.
pub fn accounts_to_verify(indexer: &mut Indexer) -> Result<Vec<Pubkey>, IndexError> {
    let sql = indexer.sql();
    let mut addresses = Vec::new();
    for query in [
        "SELECT royalty_book FROM models ORDER BY position",
        "SELECT address FROM contributions ORDER BY model, idx",
        "SELECT address FROM grants ORDER BY address",
    ] {
        for row in sql.query(query, &[])? {
            addresses.push(row.address(0)?);
        }
    }
    Ok(addresses)
}

struct Snapshot<'a>(&'a ChainAccounts);

impl Snapshot<'_> {
    fn accounts(&mut self, addresses: &[Pubkey]) -> Result<Vec<Option<Account>>, IndexError> {
        Ok(addresses
            .iter()
            .map(|address| self.0.get(address).cloned())
            .collect())
    }
}

/// What a passing verification compared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verified {
    pub models: usize,
    pub contributions: usize,
    pub grants: usize,
}

/// The first difference between the index and the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The account that differs.
    pub account: Pubkey,
    /// What differs, with both values: "model atlas-base-7b: acc_per_share
    /// is 5 in the index, 6 on chain".
    pub what: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (account {})", self.what, self.account)
    }
}

fn compare<T: PartialEq + std::fmt::Debug>(
    account: Pubkey,
    subject: &str,
    field: &str,
    indexed: T,
    chain: T,
) -> Result<(), Difference> {
    if indexed == chain {
        return Ok(());
    }
    Err(Difference {
        account,
        what: format!("{subject}: {field} is {indexed:?} in the index, {chain:?} on chain"),
    })
}

/// Compares the index with the chain: `Ok(Ok(counts))` when every balance
/// and counter agrees, `Ok(Err(difference))` at the first that does not.
pub fn verify(
    indexer: &mut Indexer,
    chain: &ChainAccounts,
) -> Result<Result<Verified, Difference>, IndexError> {
    let chain = &mut Snapshot(chain);
    let sql = indexer.sql();
    let mut verified = Verified::default();
    let models = sql.query(
        &format!(
            "SELECT address, name, royalty_book, entry_count, {} FROM models ORDER BY position",
            crate::apply::BOOK_COLUMNS
        ),
        &[],
    )?;
    for row in &models {
        let model = row.address(0)?;
        let name = row.text(1)?.to_string();
        let book_address = row.address(2)?;
        let entry_count = row.u64(3)?;
        let book = book_from_row(&crate::db::Row(row.0[4..].to_vec()))?;
        let [account] = chain
            .accounts(&[book_address])?
            .try_into()
            .expect("one account");
        let Some(account) = account else {
            return Ok(Err(Difference {
                account: book_address,
                what: format!("model {name}: its royalty book is not on chain"),
            }));
        };
        if let Err(difference) = compare_book(&name, book_address, &book, entry_count, &account)? {
            return Ok(Err(difference));
        }
        if let Err(difference) = verify_entries(sql, chain, &model, &name, book_address, &account)?
        {
            return Ok(Err(difference));
        }
        verified.models += 1;
        verified.contributions += sql
            .query_one(
                "SELECT COUNT(*) FROM contributions WHERE model = $1",
                &[row.text(0)?.into()],
            )?
            .u64(0)? as usize;
    }
    match verify_grants(sql, chain)? {
        Ok(grants) => verified.grants = grants,
        Err(difference) => return Ok(Err(difference)),
    }
    Ok(Ok(verified))
}

fn compare_book(
    name: &str,
    book_address: Pubkey,
    book: &Book,
    entry_count: u64,
    account: &Account,
) -> Result<Result<(), Difference>, IndexError> {
    let chain = decode_royalty_book(&book_address, account)
        .map_err(|error| IndexError::Source(error.to_string()))?;
    let subject = format!("model {name}'s royalty book");
    let checks = || -> Result<(), Difference> {
        let pools = chain.pools();
        let indexed = &book.pools;
        compare(
            book_address,
            &subject,
            "total shares",
            indexed.total_shares,
            pools.total_shares,
        )?;
        compare(
            book_address,
            &subject,
            "accepted contributions",
            indexed.accepted_count,
            pools.accepted_count,
        )?;
        compare(
            book_address,
            &subject,
            "reward per share",
            indexed.acc_per_share,
            pools.acc_per_share,
        )?;
        compare(
            book_address,
            &subject,
            "shares carry",
            indexed.shares_carry,
            pools.shares_carry,
        )?;
        compare(
            book_address,
            &subject,
            "protocol fees owed",
            indexed.owed_protocol,
            pools.owed_protocol,
        )?;
        compare(
            book_address,
            &subject,
            "fee carry",
            indexed.fee_carry,
            pools.fee_carry,
        )?;
        compare(
            book_address,
            &subject,
            "upstream carries",
            indexed.upstream_carry,
            pools.upstream_carry,
        )?;
        compare(
            book_address,
            &subject,
            "unallocated",
            indexed.unallocated,
            pools.unallocated,
        )?;
        compare(
            book_address,
            &subject,
            "owed upstream",
            indexed.owed_upstream,
            pools.owed_upstream,
        )?;
        compare(
            book_address,
            &subject,
            "payments",
            book.payment_count,
            chain.payment_count,
        )?;
        compare(
            book_address,
            &subject,
            "total received",
            book.total_received,
            chain.total_received(),
        )?;
        compare(
            book_address,
            &subject,
            "total paid out",
            book.total_paid_out,
            chain.total_paid_out(),
        )?;
        compare(
            book_address,
            &subject,
            "contributions proposed",
            book.contribution_count,
            u64::from(chain.contribution_count),
        )?;
        compare(
            book_address,
            &subject,
            "entries",
            entry_count,
            u64::from(chain.entry_count),
        )?;
        Ok(())
    };
    Ok(checks())
}

fn verify_entries(
    sql: &mut dyn Sql,
    chain: &mut Snapshot,
    model: &Pubkey,
    name: &str,
    book_address: Pubkey,
    book_account: &Account,
) -> Result<Result<(), Difference>, IndexError> {
    let rows = sql.query(
        &format!("SELECT {ENTRY_COLUMNS}, idx, shares, closed FROM contributions WHERE model = $1 ORDER BY idx"),
        &[model.to_string().into()],
    )?;
    for row in &rows {
        let entry = entry_from_row(row)?;
        let account = chain.0.get(&entry.address).cloned();
        let index = u32::try_from(row.int(7)?)
            .map_err(|_| IndexError::Database("an index beyond u32".into()))?;
        let subject = format!("contribution #{index} of model {name}");
        let on_chain = decode_book_entry(&book_address, book_account, index)
            .map_err(|error| IndexError::Source(error.to_string()))?;
        let balance = on_chain.balance();
        let checks = || -> Result<(), Difference> {
            compare(
                book_address,
                &subject,
                "earning shares",
                entry.balance.active_shares,
                balance.active_shares,
            )?;
            compare(
                book_address,
                &subject,
                "accrual snapshot",
                entry.balance.snapshot,
                balance.snapshot,
            )?;
            compare(
                book_address,
                &subject,
                "accrued (1/10^12 token)",
                entry.balance.accrued_scaled,
                balance.accrued_scaled,
            )?;
            compare(
                book_address,
                &subject,
                "claimed",
                entry.claimed_total,
                on_chain.claimed_total(),
            )?;
            Ok(())
        };
        if let Err(difference) = checks() {
            return Ok(Err(difference));
        }
        let closed = row.int(9)? != 0;
        match (account, closed) {
            (None, true) => {}
            (None, false) => {
                return Ok(Err(Difference {
                    account: entry.address,
                    what: format!("{subject}: in the index, not on chain"),
                }))
            }
            (Some(_), true) => {
                return Ok(Err(Difference {
                    account: entry.address,
                    what: format!("{subject}: closed in the index, still on chain"),
                }))
            }
            (Some(account), false) => {
                let record: Contribution = decode(&entry.address, &account)
                    .map_err(|error| IndexError::Source(error.to_string()))?;
                let status = status_name(record.status);
                let checks = || -> Result<(), Difference> {
                    compare(
                        entry.address,
                        &subject,
                        "status",
                        entry.status.as_str(),
                        status,
                    )?;
                    compare(
                        entry.address,
                        &subject,
                        "shares",
                        row.text(8).unwrap_or_default(),
                        record.shares.to_string().as_str(),
                    )?;
                    compare(
                        entry.address,
                        &subject,
                        "payout wallet",
                        entry.payout_wallet.as_str(),
                        record.payout_wallet.to_string().as_str(),
                    )?;
                    Ok(())
                };
                if let Err(difference) = checks() {
                    return Ok(Err(difference));
                }
            }
        }
    }
    Ok(Ok(()))
}

fn verify_grants(
    sql: &mut dyn Sql,
    chain: &mut Snapshot,
) -> Result<Result<usize, Difference>, IndexError> {
    let rows = sql.query(
        "SELECT address, licensee, meter, calls_used, next_seq FROM grants ORDER BY address",
        &[],
    )?;
    for row in &rows {
        let grant_address = &row.address(0)?;
        let account = chain.0.get(grant_address).cloned();
        let Some(account) = account else {
            return Ok(Err(Difference {
                account: *grant_address,
                what: format!("grant {grant_address}: in the index, not on chain"),
            }));
        };
        let grant: Grant = decode(grant_address, &account)
            .map_err(|error| IndexError::Source(error.to_string()))?;
        let subject = format!("grant {grant_address}");
        let checks = || -> Result<(), Difference> {
            compare(
                *grant_address,
                &subject,
                "licensee",
                row.text(1).unwrap_or_default().to_string(),
                grant.licensee.to_string(),
            )?;
            compare(
                *grant_address,
                &subject,
                "meter",
                row.opt_text(2).ok().flatten().map(String::from),
                grant.meter.map(|meter| meter.to_string()),
            )?;
            compare(
                *grant_address,
                &subject,
                "calls used",
                row.amount(3).unwrap_or_default(),
                u128::from(grant.calls_used),
            )?;
            compare(
                *grant_address,
                &subject,
                "next batch",
                row.u64(4).unwrap_or_default(),
                grant.next_seq,
            )?;
            Ok(())
        };
        if let Err(difference) = checks() {
            return Ok(Err(difference));
        }
    }
    Ok(Ok(rows.len()))
}
