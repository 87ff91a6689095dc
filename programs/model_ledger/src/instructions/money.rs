//! The accounts of a model's money: its royalty book, its vault, its payment
//! mint and that mint's token program. Every instruction that moves or books
//! a model's tokens takes them as this one group, and checks them one way:
//! against what the book recorded when the model registered.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenInterface;

use crate::{
    book::Book,
    errors::LedgerError,
    state::RoyaltyBook,
    token::{require_holds_mint, TokenMove},
};

#[derive(Accounts)]
pub struct ModelMoney<'info> {
    /// The model's royalty book; it signs for the vault.
    #[account(mut)]
    pub royalty_book: AccountLoader<'info, RoyaltyBook>,
    /// The model's vault.
    /// CHECK: the book's vault (`ModelMoney::book`); the token program checks it on every transfer.
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,
    /// The model's payment mint.
    /// CHECK: the mint the book records; `transfer_checked` checks it and the decimals.
    pub payment_mint: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
}

/// Where a token account keeps its balance (the same in SPL Token and
/// Token-2022): after the mint and the owner.
const AMOUNT_AT: core::ops::Range<usize> = 64..72;

impl<'info> ModelMoney<'info> {
    /// The royalty book of `model`, once the book, vault, mint and token
    /// program are the ones it recorded at registration (`BookMismatch`,
    /// `VaultMismatch`, `MintMismatch`).
    pub fn book(&self, model: &Pubkey) -> Result<Book<'_, 'info>> {
        let book = Book::load(self.royalty_book.as_ref())?;
        let header = book.header();
        require_keys_eq!(header.model, *model, LedgerError::BookMismatch);
        require_keys_eq!(header.vault, self.vault.key(), LedgerError::VaultMismatch);
        require_keys_eq!(
            header.payment_mint,
            self.payment_mint.key(),
            LedgerError::MintMismatch
        );
        require_keys_eq!(
            header.token_program,
            self.token_program.key(),
            LedgerError::MintMismatch
        );
        Ok(book)
    }

    /// Transfers in the model's mint through its token program.
    pub fn transfers(&self, book: &Book) -> TokenMove<'info> {
        TokenMove::new(&self.token_program, &self.payment_mint, book)
    }

    /// Refuses a payout `destination` that is the vault itself
    /// (`DestinationIsVault`) or does not hold the model's mint under its
    /// token program (`MintMismatch`).
    pub fn require_destination(&self, destination: &AccountInfo) -> Result<()> {
        require_keys_neq!(
            *destination.key,
            *self.vault.key,
            LedgerError::DestinationIsVault
        );
        require_holds_mint(destination, self.payment_mint.key, self.token_program.key)
    }

    /// The vault's token balance; the vault is the book's ([`Self::book`]).
    pub fn vault_balance(&self) -> Result<u64> {
        require_keys_eq!(
            *self.vault.owner,
            self.token_program.key(),
            LedgerError::VaultMismatch
        );
        let data = self.vault.try_borrow_data()?;
        let amount = data
            .get(AMOUNT_AT)
            .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
            .ok_or(LedgerError::VaultMismatch)?;
        Ok(u64::from_le_bytes(amount))
    }
}
