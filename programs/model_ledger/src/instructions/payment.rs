//! Moving and booking payments, shared by every instruction that takes money
//! in (grant fees, inference batches, upstream settlements) or pays it out.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{transfer_checked, Mint, TokenInterface, TransferChecked};

use crate::{
    errors::LedgerError,
    events::PaymentRecord,
    math::{bps::sum_within_whole, SafeMath},
    state::{AttributionEntry, Model, RoyaltyBook},
};

/// The token program and mint of a model's transfers.
pub struct TokenMove<'info> {
    token_program: AccountInfo<'info>,
    mint: AccountInfo<'info>,
    decimals: u8,
}

impl<'info> TokenMove<'info> {
    pub fn new(
        token_program: &Interface<'info, TokenInterface>,
        mint: &InterfaceAccount<'info, Mint>,
    ) -> Self {
        Self {
            token_program: token_program.to_account_info(),
            mint: mint.to_account_info(),
            decimals: mint.decimals,
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

    /// Takes a first-hop payment of `amount` from `payer` (authorised by
    /// `authority`): `protocol_fee` to the treasury, the rest into the vault.
    pub fn collect(
        &self,
        payer: &AccountInfo<'info>,
        authority: &AccountInfo<'info>,
        treasury: &AccountInfo<'info>,
        vault: &AccountInfo<'info>,
        amount: u64,
        protocol_fee: u64,
    ) -> Result<()> {
        self.transfer(payer, treasury, authority, protocol_fee, &[])?;
        self.transfer(payer, vault, authority, amount.safe_sub(protocol_fee)?, &[])
    }

    /// Pays `amount` out of `model`'s vault (the model PDA signs) and records
    /// it in the book's running total.
    pub fn pay_out(
        &self,
        model: &Account<'info, Model>,
        book: &AccountInfo<'info>,
        vault: &AccountInfo<'info>,
        destination: &AccountInfo<'info>,
        amount: u64,
    ) -> Result<()> {
        if amount == 0 {
            return Ok(());
        }
        book_payout(book, amount)?;
        self.transfer(
            vault,
            destination,
            &model.to_account_info(),
            amount,
            &[&model.signer_seeds()],
        )
    }
}

/// Refuses a first-hop payment whose fee plus parent royalties exceed 100 %
/// (possible if the admin raised the fee after the model registered).
pub fn require_fees_within_whole(fee_bps: u16, model: &Model) -> Result<()> {
    let parts = core::iter::once(fee_bps).chain(model.parents.iter().map(|p| p.derivative_bps));
    require!(
        sum_within_whole(parts)?.is_some(),
        LedgerError::FeesExceedWhole
    );
    Ok(())
}

/// Books a payment of `amount` (already in the vault, less `fee_bps` worth
/// sent to the treasury) into `model`'s royalty book: upstream shares, the
/// attribution vector (checked: accepted contributions only) and the shares
/// accumulator. Returns the record for the event.
pub fn book_payment(
    book_info: &AccountInfo,
    model: &Model,
    amount: u64,
    fee_bps: u16,
    attribution: &[AttributionEntry],
) -> Result<PaymentRecord> {
    let mut book = RoyaltyBook::read(book_info)?;
    let mut pools = book.pools();
    let parent_bps: Vec<u16> = model.parents.iter().map(|p| p.derivative_bps).collect();
    let weights: Vec<u16> = attribution.iter().map(|entry| entry.weight).collect();
    let distribution = pools.apply_payment(
        amount,
        fee_bps,
        &parent_bps,
        model.attribution_bps,
        &weights,
    )?;
    book.credit_attributed(
        book_info,
        attribution
            .iter()
            .map(|entry| entry.index)
            .zip(distribution.attributed_amounts.iter().copied()),
    )?;
    book.set_pools(&pools);
    book.payment_count = book.payment_count.safe_add(1)?;
    let received = amount.safe_sub(distribution.split.protocol_fee)?;
    book.total_received = book.total_received.safe_add(received)?;
    book.write(book_info)?;

    let parents = model.parents.len();
    Ok(PaymentRecord {
        amount,
        protocol_fee: distribution.split.protocol_fee,
        upstream: distribution.split.upstream[..parents].to_vec(),
        attributed: distribution.split.attributed,
        attributed_amounts: distribution.attributed_amounts,
        shares_part: distribution.split.shares,
        to_unallocated: distribution.to_unallocated,
        acc_per_share: pools.acc_per_share,
        shares_carry: pools.shares_carry,
        attributed_carry: pools.attributed_carry,
        unallocated: pools.unallocated,
        total_shares: pools.total_shares,
        owed_upstream: pools.owed_upstream[..parents].to_vec(),
        payment_count: book.payment_count,
    })
}

/// Records tokens leaving the vault in the book's running total.
fn book_payout(book_info: &AccountInfo, amount: u64) -> Result<()> {
    let mut book = RoyaltyBook::read(book_info)?;
    book.total_paid_out = book.total_paid_out.safe_add(amount)?;
    book.write(book_info)
}
