//! Every token transfer the program makes. Only moves tokens: what a
//! transfer means for the books is `crate::book`'s business.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::{
    instruction::{AccountMeta, Instruction},
    program::invoke_signed_unchecked,
};
use anchor_spl::token_interface::TokenInterface;

use crate::{book::Book, errors::LedgerError};

/// The token program and mint of a model's transfers.
pub struct TokenMove<'info> {
    token_program: AccountInfo<'info>,
    mint: AccountInfo<'info>,
    decimals: u8,
}

impl<'info> TokenMove<'info> {
    /// Transfers of the mint `book` records, at the decimals recorded at
    /// registration (a mint's decimals never change).
    pub fn new(
        token_program: &Interface<'info, TokenInterface>,
        mint: &UncheckedAccount<'info>,
        book: &Book,
    ) -> Self {
        Self {
            token_program: token_program.to_account_info(),
            mint: mint.to_account_info(),
            decimals: book.header().payment_decimals,
        }
    }

    /// `transfer_checked` of `amount` from `from` to `to`, authorised by
    /// `authority` (a signer, or a PDA with `signer_seeds`). Zero moves nothing.
    ///
    /// The instruction is written here rather than through anchor-spl, which
    /// checks the program id again, packs the data through an enum and, in
    /// `invoke_signed`, compares every account of the instruction with every
    /// account passed to find borrows: some 500 units per transfer in the VM.
    /// No account of the transfer is borrowed here when it runs (the book's
    /// borrows end with each method), which is what that search checks.
    fn transfer(
        &self,
        from: &AccountInfo<'info>,
        to: &AccountInfo<'info>,
        authority: &AccountInfo<'info>,
        amount: u64,
        signer_seeds: &[&[&[u8]]],
    ) -> Result<()> {
        if amount == 0 {
            return Ok(());
        }
        let instruction = transfer_checked_instruction(
            self.token_program.key,
            [from.key, self.mint.key, to.key, authority.key],
            amount,
            self.decimals,
        );
        invoke_signed_unchecked(
            &instruction,
            &[
                from.clone(),
                self.mint.clone(),
                to.clone(),
                authority.clone(),
            ],
            signer_seeds,
        )?;
        Ok(())
    }

    /// Takes a payment of `amount` from `payer` (authorised by `authority`)
    /// into the vault, whole: one transfer per payment.
    pub fn take_payment(
        &self,
        payer: &AccountInfo<'info>,
        authority: &AccountInfo<'info>,
        vault: &AccountInfo<'info>,
        amount: u64,
    ) -> Result<()> {
        self.transfer(payer, vault, authority, amount, &[])
    }

    /// Pays `amount` out of the vault of `book`; the book PDA, the vault's
    /// token authority, signs.
    pub fn pay_out(
        &self,
        book: &Book<'_, 'info>,
        vault: &AccountInfo<'info>,
        destination: &AccountInfo<'info>,
        amount: u64,
    ) -> Result<()> {
        self.transfer(
            vault,
            destination,
            book.account(),
            amount,
            &[&book.header().signer_seeds()],
        )
    }
}

/// Refuses (`MintMismatch`) a destination that is not a token account of
/// `mint` under `token_program`. Reads the mint from the account's first 32
/// bytes (the same in SPL Token and Token-2022) instead of unpacking it: the
/// token program checks the account again in the transfer; this only names
/// the error.
pub fn require_holds_mint(
    account: &AccountInfo,
    mint: &Pubkey,
    token_program: &Pubkey,
) -> Result<()> {
    let data = account.try_borrow_data()?;
    require!(
        account.owner == token_program
            && data.len() >= TOKEN_ACCOUNT_LEN
            && data.get(..32) == Some(mint.as_ref()),
        LedgerError::MintMismatch
    );
    Ok(())
}

/// Refuses a paying account that is not a token account of `mint` under
/// `token_program` (`MintMismatch`) or is not `payer`'s (`PayerNotLicensee`).
/// Reads mint and owner from the account's first 64 bytes (the same in SPL
/// Token and Token-2022) instead of unpacking it, as [`require_holds_mint`]
/// does; the token program checks the account again in the transfer.
pub fn require_paying_account(
    account: &AccountInfo,
    mint: &Pubkey,
    payer: &Pubkey,
    token_program: &Pubkey,
) -> Result<()> {
    let data = account.try_borrow_data()?;
    require!(
        account.owner == token_program && data.len() >= TOKEN_ACCOUNT_LEN,
        LedgerError::MintMismatch
    );
    require!(
        data.get(32..64) == Some(payer.as_ref()),
        LedgerError::PayerNotLicensee
    );
    require!(
        data.get(..32) == Some(mint.as_ref()),
        LedgerError::MintMismatch
    );
    Ok(())
}

/// `TransferChecked` of `amount` (at `decimals`) from `from` to `to`,
/// authorised by `authority`, as SPL Token and Token-2022 read it.
fn transfer_checked_instruction(
    token_program: &Pubkey,
    [from, mint, to, authority]: [&Pubkey; 4],
    amount: u64,
    decimals: u8,
) -> Instruction {
    let mut data = Vec::with_capacity(TRANSFER_CHECKED_LEN);
    data.push(TRANSFER_CHECKED);
    data.extend_from_slice(&amount.to_le_bytes());
    data.push(decimals);
    Instruction {
        program_id: *token_program,
        accounts: vec![
            AccountMeta::new(*from, false),
            AccountMeta::new_readonly(*mint, false),
            AccountMeta::new(*to, false),
            AccountMeta::new_readonly(*authority, true),
        ],
        data,
    }
}

/// `TransferChecked`'s tag in SPL Token and Token-2022 (the same in both),
/// and its data: the tag, the amount (u64 LE), the decimals.
const TRANSFER_CHECKED: u8 = 12;
const TRANSFER_CHECKED_LEN: usize = 1 + 8 + 1;

/// Length of an SPL token account (Token-2022 accounts are at least this long).
const TOKEN_ACCOUNT_LEN: usize = 165;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transfer_is_the_token_programs_own_instruction() {
        let keys = [(); 4].map(|_| Pubkey::new_unique());
        for program in [anchor_spl::token::ID, anchor_spl::token_2022::ID] {
            let ours = transfer_checked_instruction(
                &program,
                [&keys[0], &keys[1], &keys[2], &keys[3]],
                1_234_567_890_123,
                9,
            );
            let theirs = anchor_spl::token_2022::spl_token_2022::instruction::transfer_checked(
                &program,
                &keys[0],
                &keys[1],
                &keys[2],
                &keys[3],
                &[],
                1_234_567_890_123,
                9,
            )
            .unwrap();
            assert_eq!(ours, theirs);
        }
    }
}
