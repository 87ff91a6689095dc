//! Claiming for a wallet: what an entry can claim by the program's own
//! arithmetic, and "claim everything" packed into as many transactions as
//! the size limit needs (the explorer's Solana Action, any wallet app).

use anchor_spl::associated_token::spl_associated_token_account::instruction::create_associated_token_account_idempotent;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_sdk::{
    account::Account, instruction::Instruction, message::Message, pubkey::Pubkey,
    transaction::Transaction,
};

use crate::{
    accounts::{decode_book_entry, decode_royalty_book},
    client::associated_token,
    compute_units::offline_limit,
    instructions::{claim, ModelAccounts},
    SdkError,
};

/// Base units contribution `index` can claim now from the book
/// `book_account`: its accrual settled against the book, whole tokens only
/// (the fraction stays for the next claim), as `claim` pays.
pub fn claimable_in(
    book_address: &Pubkey,
    book_account: &Account,
    index: u32,
) -> Result<u64, SdkError> {
    let book = decode_royalty_book(book_address, book_account)?;
    let entry = decode_book_entry(book_address, book_account, index)?;
    let earnings = entry
        .balance()
        .earnings(&book.pools(), entry.claimed_total())
        .map_err(|_| SdkError::Decode {
            address: *book_address,
            reason: format!("entry {index} of the royalty book: its earnings overflow"),
        })?;
    Ok(earnings.claimable)
}

/// The largest transaction a cluster accepts, in bytes (IPv6 MTU less headers).
pub const PACKET_DATA_SIZE: usize = 1232;

/// One contribution to claim for.
#[derive(Clone, Copy, Debug)]
pub struct ClaimTarget {
    pub model: ModelAccounts,
    pub index: u32,
}

fn with_budget(instructions: &[Instruction], unit_price: Option<u64>) -> Vec<Instruction> {
    let mut all = vec![ComputeBudgetInstruction::set_compute_unit_limit(
        offline_limit(instructions),
    )];
    if let Some(price) = unit_price {
        all.push(ComputeBudgetInstruction::set_compute_unit_price(price));
    }
    all.extend_from_slice(instructions);
    all
}

/// The wire size of a transaction of `instructions` that `payer` alone signs.
pub fn transaction_size(payer: &Pubkey, instructions: &[Instruction]) -> usize {
    let message = Message::new(instructions, Some(payer));
    let transaction = Transaction::new_unsigned(message);
    bincode::serialized_size(&transaction).map_or(usize::MAX, |size| size as usize)
}

/// Every claim of `targets` for `wallet`, in as few transactions as fit
/// [`PACKET_DATA_SIZE`]: each is [compute-unit limit (the offline table),
/// priority fee if given, then per mint: create the wallet's associated
/// account (idempotent), its claims]. The wallet pays and signs alone.
pub fn claim_transactions(
    wallet: &Pubkey,
    targets: &[ClaimTarget],
    unit_price: Option<u64>,
) -> Vec<Vec<Instruction>> {
    let create = |model: &ModelAccounts| {
        create_associated_token_account_idempotent(
            wallet,
            wallet,
            &model.payment_mint,
            &model.token_program,
        )
    };
    let mut transactions = Vec::new();
    let mut current: Vec<Instruction> = Vec::new();
    let mut mints: Vec<(Pubkey, Pubkey)> = Vec::new();
    for target in targets {
        let mint = (target.model.payment_mint, target.model.token_program);
        let claim = claim(
            wallet,
            &target.model,
            target.index,
            &associated_token(wallet, &target.model),
        );
        let mut additions = Vec::new();
        if !mints.contains(&mint) {
            additions.push(create(&target.model));
        }
        additions.push(claim);
        let candidate = [current.as_slice(), additions.as_slice()].concat();
        if !current.is_empty()
            && transaction_size(wallet, &with_budget(&candidate, unit_price)) > PACKET_DATA_SIZE
        {
            transactions.push(with_budget(&current, unit_price));
            current.clear();
            mints.clear();
            if additions.len() == 1 {
                additions.insert(0, create(&target.model));
            }
        }
        current.extend(additions);
        mints.push(mint);
    }
    if !current.is_empty() {
        transactions.push(with_budget(&current, unit_price));
    }
    transactions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forty_claims_take_several_transactions_each_within_the_size_limit() {
        let wallet = Pubkey::new_unique();
        let model = ModelAccounts {
            model: Pubkey::new_unique(),
            payment_mint: Pubkey::new_unique(),
            token_program: anchor_spl::token::ID,
        };
        let targets: Vec<_> = (0..40).map(|index| ClaimTarget { model, index }).collect();
        let transactions = claim_transactions(&wallet, &targets, Some(1_000));
        assert!(transactions.len() > 1);
        let mut claimed = 0;
        for instructions in &transactions {
            assert!(transaction_size(&wallet, instructions) <= PACKET_DATA_SIZE);
            // Limit, price, the token account, then claims only.
            assert_eq!(instructions[2].program_id, anchor_spl::associated_token::ID);
            claimed += instructions[3..]
                .iter()
                .filter(|ix| ix.program_id == crate::PROGRAM_ID)
                .count();
            assert_eq!(
                instructions[0],
                ComputeBudgetInstruction::set_compute_unit_limit(offline_limit(&instructions[2..]))
            );
        }
        assert_eq!(claimed, 40);
    }
}
