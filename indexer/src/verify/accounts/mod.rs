//! The index against the chain's accounts as they are now: the
//! configuration, every model (its record, lineage, proposal policy and
//! royalty book with each entry), contribution, licence, grant and proposer
//! permit, every field the index keeps of them, and each row's account
//! present (or, for a closed record, absent).

use std::collections::BTreeMap;

use model_ledger::{
    constants::FIRST_LICENSE_VERSION,
    state::{Config, Contribution, Model, ProposalPolicy},
};
use model_ledger_sdk::{
    accounts::{decode, decode_book_entry, decode_royalty_book},
    hex::encode as hex,
};
use solana_sdk::pubkey::Pubkey;

use crate::{
    apply::{key, status_name, Book, Entry, BOOK_COLUMNS, ENTRY_COLUMNS},
    db::{amount, int, Row, Sql, Value},
    wallets::WalletSums,
    IndexError,
};

use super::{shown, ChainAccounts, Difference, Verified};

/// A field as the index keeps it and as the chain's account gives it.
type Field = (&'static str, Value, Value);

/// The first field of `subject` whose two values differ.
fn first_difference(account: Pubkey, subject: &str, fields: Vec<Field>) -> Result<(), Difference> {
    match fields
        .into_iter()
        .find(|(_, indexed, chain)| indexed != chain)
    {
        None => Ok(()),
        Some((field, indexed, chain)) => Err(Difference {
            account: Some(account),
            what: format!(
                "{subject}: {field} is {} in the index, {} on chain",
                shown(&indexed),
                shown(&chain)
            ),
        }),
    }
}

fn absent(account: Pubkey, subject: &str) -> Difference {
    Difference {
        account: Some(account),
        what: format!("{subject}: in the index, not on chain"),
    }
}

/// The program's record at `address`, if there is one: lamports anyone sent
/// to a closed record's address (a system account) are not a record.
fn record<'a>(
    chain: &'a ChainAccounts,
    address: &Pubkey,
) -> Option<&'a solana_sdk::account::Account> {
    chain
        .get(address)
        .filter(|account| account.owner == model_ledger::ID)
}

fn unreadable(address: &Pubkey, error: impl std::fmt::Display) -> IndexError {
    IndexError::Source(format!("account {address}: {error}"))
}

fn slot(value: u64) -> Result<Value, IndexError> {
    int(value)
}

/// The accounts [`compare`] reads, by the rows that name them.
pub(super) fn addresses(sql: &mut dyn Sql) -> Result<Vec<Pubkey>, IndexError> {
    let mut addresses = Vec::new();
    for query in [
        "SELECT address FROM config",
        "SELECT address FROM models ORDER BY position",
        "SELECT royalty_book FROM models ORDER BY position",
        "SELECT address FROM contributions ORDER BY model, idx",
        "SELECT address FROM licenses ORDER BY address",
        "SELECT address FROM grants ORDER BY address",
        "SELECT address FROM proposer_permits ORDER BY address",
    ] {
        for row in sql.query(query, &[])? {
            addresses.push(row.address(0)?);
        }
    }
    Ok(addresses)
}

type Checked<T> = Result<Result<T, Difference>, IndexError>;

/// Returns the difference from the enclosing check, if there is one.
macro_rules! stop_at {
    ($check:expr) => {
        if let Err(difference) = $check {
            return Ok(Err(difference));
        }
    };
}

// After the macro: the licence, grant and permit checks use it.
mod licences;

use licences::{grants, licenses, permits};

pub(super) fn compare(sql: &mut dyn Sql, chain: &ChainAccounts) -> Checked<Verified> {
    let mut verified = Verified::default();
    stop_at!(config(sql, chain)?);
    let models = sql.query(
        &format!(
            "SELECT address, name, royalty_book, model_id, creator, authority, pending_authority, metadata_uri, content_hash, payment_mint, token_program, vault, attribution_bps, non_commercial_lineage, registered_slot, proposal_policy, {BOOK_COLUMNS} FROM models ORDER BY position"
        ),
        &[],
    )?;
    for row in &models {
        stop_at!(model(sql, chain, row)?);
        verified.models += 1;
        verified.contributions += match contributions(sql, chain, row)? {
            Ok(count) => count,
            Err(difference) => return Ok(Err(difference)),
        };
    }
    verified.licenses = match licenses(sql, chain)? {
        Ok(count) => count,
        Err(difference) => return Ok(Err(difference)),
    };
    verified.grants = match grants(sql, chain)? {
        Ok(count) => count,
        Err(difference) => return Ok(Err(difference)),
    };
    verified.permits = match permits(sql, chain)? {
        Ok(count) => count,
        Err(difference) => return Ok(Err(difference)),
    };
    Ok(Ok(verified))
}

fn config(sql: &mut dyn Sql, chain: &ChainAccounts) -> Checked<()> {
    let Some(row) = sql.query_opt(
        "SELECT address, admin, pending_admin, treasury, protocol_fee_bps, paused, update_count FROM config",
        &[],
    )?
    else {
        return Ok(Ok(()));
    };
    let address = row.address("address")?;
    let Some(account) = record(chain, &address) else {
        return Ok(Err(absent(address, "the configuration")));
    };
    let config: Config = decode(&address, account).map_err(|e| unreadable(&address, e))?;
    let fields = vec![
        ("admin", row.value("admin")?.clone(), key(&config.admin)),
        (
            "pending admin",
            row.value("pending_admin")?.clone(),
            config.pending_admin.as_ref().map(Pubkey::to_string).into(),
        ),
        (
            "treasury",
            row.value("treasury")?.clone(),
            key(&config.treasury),
        ),
        (
            "protocol fee",
            row.value("protocol_fee_bps")?.clone(),
            config.protocol_fee_bps.into(),
        ),
        ("paused", row.value("paused")?.clone(), config.paused.into()),
        (
            "updates",
            row.value("update_count")?.clone(),
            slot(config.update_count)?,
        ),
    ];
    Ok(first_difference(address, "the configuration", fields))
}

/// A model's record, lineage and royalty book.
fn model(sql: &mut dyn Sql, chain: &ChainAccounts, row: &Row) -> Checked<()> {
    let address = row.address("address")?;
    let name = row.text("name")?.to_string();
    let subject = format!("model {name}");
    let Some(account) = record(chain, &address) else {
        return Ok(Err(absent(address, &subject)));
    };
    let model: Model = decode(&address, account).map_err(|e| unreadable(&address, e))?;
    let column = |name: &str| row.value(name).cloned();
    let fields = vec![
        (
            "name",
            Value::from(name.as_str()),
            model.name.as_str().into(),
        ),
        ("model id", column("model_id")?, hex(&model.model_id).into()),
        ("creator", column("creator")?, key(&model.creator)),
        ("authority", column("authority")?, key(&model.authority)),
        (
            "pending authority",
            column("pending_authority")?,
            model
                .pending_authority
                .as_ref()
                .map(Pubkey::to_string)
                .into(),
        ),
        (
            "metadata URI",
            column("metadata_uri")?,
            model.metadata_uri.as_str().into(),
        ),
        (
            "content hash",
            column("content_hash")?,
            hex(&model.content_hash).into(),
        ),
        (
            "payment mint",
            column("payment_mint")?,
            key(&model.payment_mint),
        ),
        (
            "token program",
            column("token_program")?,
            key(&model.token_program),
        ),
        ("vault", column("vault")?, key(&model.vault)),
        (
            "royalty book",
            column("royalty_book")?,
            key(&model.royalty_book),
        ),
        (
            "attribution ratio",
            column("attribution_bps")?,
            model.attribution_bps.into(),
        ),
        (
            "non-commercial lineage",
            column("non_commercial_lineage")?,
            model.non_commercial_lineage.into(),
        ),
        (
            "licences published",
            column("license_count")?,
            model
                .next_license_version
                .saturating_sub(FIRST_LICENSE_VERSION)
                .into(),
        ),
        (
            "registered slot",
            column("registered_slot")?,
            slot(model.registered_slot)?,
        ),
    ];
    stop_at!(first_difference(address, &subject, fields));
    stop_at!(lineage(sql, address, &subject, &model)?);
    let derived = sql
        .query_one(
            "SELECT (SELECT derived_count FROM models WHERE address = $1) AS counted, (SELECT COUNT(*) FROM lineage WHERE parent = $1) AS linked",
            &[key(&address)],
        )?;
    if derived.value("counted")? != derived.value("linked")? {
        return Ok(Err(Difference {
            account: Some(address),
            what: format!(
                "{subject}: {} derived models counted, {} in its lineage",
                shown(derived.value("counted")?),
                shown(derived.value("linked")?)
            ),
        }));
    }

    let book_address = row.address("royalty_book")?;
    let Some(book_account) = record(chain, &book_address) else {
        return Ok(Err(absent(
            book_address,
            &format!("{subject}'s royalty book"),
        )));
    };
    let book = decode_royalty_book(&book_address, book_account)
        .map_err(|e| unreadable(&book_address, e))?;
    let policy = ProposalPolicy::from_byte(book.proposal_policy).map_or_else(
        || format!("unknown ({})", book.proposal_policy),
        |policy| policy.name().to_string(),
    );
    let indexed = Book::from_row(row)?;
    let pools = book.pools();
    let fields = vec![
        ("proposal policy", column("proposal_policy")?, policy.into()),
        ("entries", column("entry_count")?, book.entry_count.into()),
        (
            "total shares",
            amount(indexed.money.pools.total_shares),
            amount(pools.total_shares),
        ),
        (
            "accepted contributions",
            Value::from(indexed.money.pools.accepted_count),
            pools.accepted_count.into(),
        ),
        (
            "reward per share",
            amount(indexed.money.pools.acc_per_share),
            amount(pools.acc_per_share),
        ),
        (
            "shares carry",
            amount(indexed.money.pools.shares_carry),
            amount(pools.shares_carry),
        ),
        (
            "protocol fees owed",
            amount(indexed.money.pools.owed_protocol),
            amount(pools.owed_protocol),
        ),
        (
            "fee carry",
            amount(indexed.money.pools.fee_carry),
            amount(pools.fee_carry),
        ),
        (
            "upstream carries",
            format!("{:?}", indexed.money.pools.upstream_carry).into(),
            format!("{:?}", pools.upstream_carry).into(),
        ),
        (
            "unallocated",
            amount(indexed.money.pools.unallocated),
            amount(pools.unallocated),
        ),
        (
            "owed upstream",
            format!("{:?}", indexed.money.pools.owed_upstream).into(),
            format!("{:?}", pools.owed_upstream).into(),
        ),
        (
            "payments",
            slot(indexed.money.payment_count)?,
            slot(book.payment_count)?,
        ),
        (
            "total received",
            amount(indexed.money.total_received),
            amount(book.total_received()),
        ),
        (
            "total paid out",
            amount(indexed.money.total_paid_out),
            amount(book.total_paid_out()),
        ),
        (
            "contributions proposed",
            slot(indexed.contribution_count)?,
            book.contribution_count.into(),
        ),
    ];
    Ok(first_difference(
        book_address,
        &format!("{subject}'s royalty book"),
        fields,
    ))
}

fn lineage(sql: &mut dyn Sql, address: Pubkey, subject: &str, model: &Model) -> Checked<()> {
    let rows = sql.query(
        "SELECT parent, license, grant_address, derivative_bps FROM lineage WHERE child = $1 ORDER BY parent_position",
        &[key(&address)],
    )?;
    if rows.len() != model.parents.len() {
        return Ok(Err(Difference {
            account: Some(address),
            what: format!(
                "{subject}: {} parents in the index, {} on chain",
                rows.len(),
                model.parents.len()
            ),
        }));
    }
    for (row, link) in rows.iter().zip(&model.parents) {
        let fields = vec![
            ("parent", row.value("parent")?.clone(), key(&link.model)),
            (
                "parent licence",
                row.value("license")?.clone(),
                key(&link.license),
            ),
            (
                "parent grant",
                row.value("grant_address")?.clone(),
                key(&link.grant),
            ),
            (
                "royalty to the parent",
                row.value("derivative_bps")?.clone(),
                link.derivative_bps.into(),
            ),
        ];
        stop_at!(first_difference(address, subject, fields));
    }
    Ok(Ok(()))
}

/// A model's contributions: each record (or its absence once closed) and
/// its royalty-book entry. The number checked.
fn contributions(sql: &mut dyn Sql, chain: &ChainAccounts, model_row: &Row) -> Checked<usize> {
    let model = model_row.address("address")?;
    let name = model_row.text("name")?.to_string();
    let book_address = model_row.address("royalty_book")?;
    let Some(book_account) = record(chain, &book_address) else {
        return Ok(Err(absent(
            book_address,
            &format!("model {name}'s royalty book"),
        )));
    };
    let rows = sql.query(
        &format!("SELECT {ENTRY_COLUMNS}, idx, closed, contributor, kind, content_hash, uri, proposed_slot FROM contributions WHERE model = $1 ORDER BY idx"),
        &[key(&model)],
    )?;
    let mut paying: BTreeMap<String, WalletSums> = BTreeMap::new();
    for row in &rows {
        let entry = Entry::from_row(row)?;
        let sums = paying.entry(entry.payout_wallet.clone()).or_default();
        sums.contributions += 1;
        sums.entries
            .add(&entry.balance, entry.claimed_total)
            .map_err(|_| IndexError::Database(format!("model {name}: entries pass u128")))?;
        let index = u32::try_from(row.int("idx")?)
            .map_err(|_| IndexError::Database("an index beyond u32".into()))?;
        let subject = format!("contribution #{index} of model {name}");
        let on_chain = decode_book_entry(&book_address, book_account, index)
            .map_err(|e| unreadable(&book_address, e))?;
        let balance = on_chain.balance();
        let fields = vec![
            (
                "earning shares",
                amount(entry.balance.active_shares),
                amount(balance.active_shares),
            ),
            (
                "accrual snapshot",
                amount(entry.balance.snapshot),
                amount(balance.snapshot),
            ),
            (
                "accrued (1/10^12 token)",
                amount(entry.balance.accrued_scaled),
                amount(balance.accrued_scaled),
            ),
            (
                "claimed",
                amount(entry.claimed_total),
                amount(on_chain.claimed_total()),
            ),
        ];
        stop_at!(first_difference(book_address, &subject, fields));
        let closed = row.int("closed")? != 0;
        match (record(chain, &entry.address), closed) {
            (None, true) => {}
            (None, false) => return Ok(Err(absent(entry.address, &subject))),
            (Some(_), true) => {
                return Ok(Err(Difference {
                    account: Some(entry.address),
                    what: format!("{subject}: closed in the index, still on chain"),
                }))
            }
            (Some(account), false) => {
                let record: Contribution =
                    decode(&entry.address, account).map_err(|e| unreadable(&entry.address, e))?;
                let fields = vec![
                    (
                        "status",
                        entry.status.as_str().into(),
                        status_name(record.status).into(),
                    ),
                    (
                        "shares",
                        row.value("shares")?.clone(),
                        amount(record.shares),
                    ),
                    (
                        "payout wallet",
                        entry.payout_wallet.as_str().into(),
                        key(&record.payout_wallet),
                    ),
                    (
                        "contributor",
                        row.value("contributor")?.clone(),
                        key(&record.contributor),
                    ),
                    (
                        "kind",
                        row.value("kind")?.clone(),
                        format!("{:?}", record.kind).into(),
                    ),
                    (
                        "content hash",
                        row.value("content_hash")?.clone(),
                        hex(&record.content_hash).into(),
                    ),
                    ("URI", row.value("uri")?.clone(), record.uri.as_str().into()),
                    (
                        "proposed slot",
                        row.value("proposed_slot")?.clone(),
                        slot(record.proposed_slot)?,
                    ),
                ];
                stop_at!(first_difference(entry.address, &subject, fields));
            }
        }
    }
    stop_at!(wallet_sums(sql, model, &name, &paying)?);
    Ok(Ok(rows.len()))
}

/// Each wallet's sums for `model` are those of the contributions paying it.
fn wallet_sums(
    sql: &mut dyn Sql,
    model: Pubkey,
    name: &str,
    paying: &BTreeMap<String, WalletSums>,
) -> Checked<()> {
    let rows = sql.query(
        &format!(
            "SELECT wallet, {} FROM wallet_earnings WHERE model = $1",
            WalletSums::COLUMNS
        ),
        &[key(&model)],
    )?;
    let mut kept = BTreeMap::new();
    for row in &rows {
        kept.insert(row.text("wallet")?.to_string(), WalletSums::from_row(row)?);
    }
    if let Some((wallet, expected)) = paying
        .iter()
        .find(|(wallet, sums)| kept.get(*wallet) != Some(sums))
    {
        return Ok(Err(Difference {
            account: Some(model),
            what: format!(
                "model {name}: wallet {wallet}'s earnings are {:?} in the index, {expected:?} from its contributions",
                kept.get(wallet)
            ),
        }));
    }
    if let Some(wallet) = kept.keys().find(|wallet| !paying.contains_key(*wallet)) {
        return Ok(Err(Difference {
            account: Some(model),
            what: format!("model {name}: the index keeps earnings for wallet {wallet}, which none of its contributions pays"),
        }));
    }
    Ok(Ok(()))
}
