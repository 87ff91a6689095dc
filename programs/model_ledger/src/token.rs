//! Every token transfer the program makes. Only moves tokens: what a
//! transfer means for the books is `crate::book`'s business.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{transfer_checked, TokenInterface, TransferChecked};

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
        let accounts = TransferChecked {
            from: from.clone(),
            mint: self.mint.clone(),
            to: to.clone(),
            authority: authority.clone(),
        };
        transfer_checked(
            CpiContext::new_with_signer(self.token_program.key(), accounts, signer_seeds),
            amount,
            self.decimals,
        )
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

/// Length of an SPL token account (Token-2022 accounts are at least this long).
const TOKEN_ACCOUNT_LEN: usize = 165;
