//! The seeds of the accounts the program finds by their recorded address
//! rather than by a `seeds` constraint: a model's royalty book and vault.
//! The program checks them against the book's header (cheaper than
//! deriving them on chain), so Anchor's IDL builder cannot see they are
//! PDAs; a generated client needs the seeds to derive them itself. Adding a
//! `pda` to an account is additive: a client that passes the accounts
//! explicitly is unaffected.

use anchor_lang::prelude::Pubkey;
use anchor_lang_idl::types::{
    Idl, IdlInstructionAccount, IdlInstructionAccountItem, IdlPda, IdlSeed, IdlSeedAccount,
    IdlSeedConst,
};
use model_ledger::state::{Model, RoyaltyBook};

/// Where an instruction finds the model whose book and vault it touches:
/// its own `model` account, or the model a contribution records (`claim`).
/// `settle_upstream` takes two books in composites that Codama prefixes
/// (`child_money_…`, `parent_money_…`), where a seed cannot name the
/// `child` or `parent` beside them: those stay without seeds and clients
/// derive them (`findRoyaltyBookPda`).
fn model_path(top_level: &[String], composite: Option<&str>) -> Option<IdlSeedAccount> {
    if composite.is_some_and(|name| name != "money") {
        return None;
    }
    if top_level.iter().any(|name| name == "model") {
        return Some(IdlSeedAccount {
            path: "model".to_string(),
            account: None,
        });
    }
    if top_level.iter().any(|name| name == "contribution") {
        return Some(IdlSeedAccount {
            path: "contribution.model".to_string(),
            account: Some("Contribution".to_string()),
        });
    }
    None
}

fn pda(prefix: &[u8], model: IdlSeedAccount) -> IdlPda {
    IdlPda {
        seeds: vec![
            IdlSeed::Const(IdlSeedConst {
                value: prefix.to_vec(),
            }),
            IdlSeed::Account(model),
        ],
        program: None,
    }
}

fn add_to(account: &mut IdlInstructionAccount, model: Option<IdlSeedAccount>) -> usize {
    let any_model = Pubkey::default();
    let prefix = match account.name.as_str() {
        "royalty_book" => RoyaltyBook::seeds(&any_model)[0],
        "vault" => Model::vault_seeds(&any_model)[0],
        _ => return 0,
    };
    let Some(model) = model else {
        return 0;
    };
    account.pda = Some(pda(prefix, model));
    1
}

/// Adds the book's and the vault's seeds to every instruction that takes
/// them; returns how many accounts gained seeds.
pub fn add_book_and_vault_seeds(idl: &mut Idl) -> usize {
    let mut added = 0;
    for instruction in &mut idl.instructions {
        let top_level: Vec<String> = instruction
            .accounts
            .iter()
            .map(|item| match item {
                IdlInstructionAccountItem::Single(account) => account.name.clone(),
                IdlInstructionAccountItem::Composite(composite) => composite.name.clone(),
            })
            .collect();
        for item in &mut instruction.accounts {
            match item {
                IdlInstructionAccountItem::Single(account) => {
                    added += add_to(account, model_path(&top_level, None));
                }
                IdlInstructionAccountItem::Composite(composite) => {
                    let name = composite.name.clone();
                    for inner in &mut composite.accounts {
                        if let IdlInstructionAccountItem::Single(account) = inner {
                            added += add_to(account, model_path(&top_level, Some(&name)));
                        }
                    }
                }
            }
        }
    }
    added
}
