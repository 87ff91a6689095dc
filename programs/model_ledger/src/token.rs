//! Every token transfer the program makes. Only moves tokens: what a
//! transfer means for the books is `crate::book`'s business.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{transfer_checked, TokenInterface, TransferChecked};

use crate::state::Model;

/// The token program and mint of a model's transfers.
pub struct TokenMove<'info> {
    token_program: AccountInfo<'info>,
    mint: AccountInfo<'info>,
    decimals: u8,
}

impl<'info> TokenMove<'info> {
    /// `decimals` as recorded at registration (a mint's decimals never change).
    pub fn new(
        token_program: &Interface<'info, TokenInterface>,
        mint: &UncheckedAccount<'info>,
        decimals: u8,
    ) -> Self {
        Self {
            token_program: token_program.to_account_info(),
            mint: mint.to_account_info(),
            decimals,
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

    /// Pays `amount` out of `model`'s vault; the model PDA signs.
    pub fn pay_out(
        &self,
        model: &Account<'info, Model>,
        vault: &AccountInfo<'info>,
        destination: &AccountInfo<'info>,
        amount: u64,
    ) -> Result<()> {
        self.transfer(
            vault,
            destination,
            &model.to_account_info(),
            amount,
            &[&model.signer_seeds()],
        )
    }
}
