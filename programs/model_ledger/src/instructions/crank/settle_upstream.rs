use anchor_lang::prelude::*;

use crate::{
    book::Payment,
    errors::LedgerError,
    events::UpstreamSettled,
    instructions::reject_remaining_accounts,
    state::{Config, ModelTerms},
};

#[event_cpi]
#[derive(Accounts)]
pub struct SettleUpstream<'info> {
    #[account(address = Config::ADDRESS)]
    pub config: Box<Account<'info, Config>>,
    /// The derived model that owes.
    /// CHECK: `ModelTerms::parent_position` checks owner and discriminator.
    pub child: UncheckedAccount<'info>,
    /// The child's book, vault, mint and token program, checked against its book.
    pub child_money: crate::instructions::ModelMoney<'info>,
    /// One of the child's parents.
    /// CHECK: found in the child's lineage; `ModelTerms::read` checks owner and discriminator.
    pub parent: UncheckedAccount<'info>,
    /// The parent's book, vault, mint and token program (the child's mint and token
    /// program: a parent shares its child's mint by construction), checked against its book.
    pub parent_money: crate::instructions::ModelMoney<'info>,
}

impl SettleUpstream<'_> {
    /// The parent's position in the child's lineage, while the protocol runs.
    fn validate(&self) -> Result<usize> {
        self.config.require_running()?;
        ModelTerms::parent_position(&self.child, &self.parent.key())?
            .ok_or_else(|| error!(LedgerError::ParentMismatch))
    }
}

/// Permissionless crank: moves what a child model owes one parent from the
/// child's vault into the parent's, booked there as a payment of the parent
/// (so it flows on to the grandparents through their own settlement).
///
/// Royalties propagate relatively: a grandparent earns its bps of what its
/// child (our parent) receives, not a fixed share of every descendant's
/// revenue. Each link is priced by the one licence it was made under, which
/// only the two parties of that link agreed to; absolute ancestor shares
/// (Story-style) would let a grandparent's terms reach into derivatives it
/// never licensed directly and make royalty totals depend on tree depth.
///
/// Specification:
/// - Anyone may call it; refused while the protocol is paused (`ProtocolPaused`).
/// - The parent must be one of the child's parents, else `ParentMismatch`.
/// - Each model's book, vault, mint and token program must be its own (`BookMismatch`,
///   `VaultMismatch`, `MintMismatch`); a parent shares its child's mint by construction.
/// - Moves exactly the amount owed, by `transfer_checked` signed by the child PDA, and books it
///   in the parent with no protocol fee and no attribution.
/// - Idempotent: with nothing owed it moves nothing and books nothing.
/// - No remaining accounts, else `UnexpectedRemainingAccounts`.
/// - Emits `UpstreamSettled`.
pub fn handle_settle_upstream(ctx: Context<SettleUpstream>) -> Result<()> {
    reject_remaining_accounts(ctx.remaining_accounts)?;
    let accounts = &ctx.accounts;
    let mut child_book = accounts.child_money.book(&accounts.child.key())?;
    let mut parent_book = accounts.parent_money.book(&accounts.parent.key())?;
    let position = accounts.validate()?;

    let amount = child_book.settle_upstream(position)?;
    child_book.commit(&accounts.child.key())?;

    let payment = if amount > 0 {
        accounts.child_money.transfers(&child_book).pay_out(
            &child_book,
            accounts.child_money.vault.as_ref(),
            accounts.parent_money.vault.as_ref(),
            amount,
        )?;
        let payment = parent_book.pay(Payment {
            amount,
            fee_bps: 0,
            terms: &ModelTerms::read(&accounts.parent)?,
            attribution: &[],
        })?;
        parent_book.commit(&accounts.parent.key())?;
        payment
    } else {
        parent_book.payment_record(0, &Default::default(), 0)
    };

    emit_event!(
        ctx,
        UpstreamSettled {
            child: ctx.accounts.child.key(),
            parent: ctx.accounts.parent.key(),
            parent_position: u8::try_from(position)
                .map_err(|_| error!(LedgerError::MathOverflow))?,
            amount,
            payment,
        }
    );
    Ok(())
}
