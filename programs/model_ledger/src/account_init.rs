//! Creation of the program's PDAs, robust against pre-funding.
//!
//! Anyone can send lamports to an address before it is created. Anchor 1.2's
//! `init` then asks the system program for `CreateAccountAllowPrefund`, an
//! instruction clusters without that feature reject, so a few lamports sent
//! to a predictable address (the config, the next contribution index, the
//! next licence version) would block its creation for good. Creating the
//! account here with the long-supported transfer + allocate + assign sequence
//! closes that hole on every cluster, and lets an already created account be
//! refused with a named error instead of a system-program failure.

use anchor_lang::{
    prelude::*,
    system_program::{self, Allocate, Assign, CreateAccount, Transfer},
};

use crate::errors::LedgerError;

/// The accounts every creation needs.
pub struct Creation<'a, 'info> {
    pub payer: &'a AccountInfo<'info>,
    pub system_program: &'a AccountInfo<'info>,
}

impl<'info> Creation<'_, 'info> {
    /// Creates `account` (the PDA of `seeds` and `bump`) with `space` bytes,
    /// rent-exempt, owned by `owner`, whatever lamports it already holds.
    pub fn create_pda(
        &self,
        account: &AccountInfo<'info>,
        space: usize,
        owner: &Pubkey,
        seeds: &[&[u8]],
        bump: u8,
    ) -> Result<()> {
        self.create_funded_pda(account, space, owner, (seeds, bump), 0)
    }

    /// [`Self::create_pda`] holding `extra` lamports beyond its rent, for
    /// the program to move on to another of its accounts without a second
    /// system-program call.
    fn create_funded_pda(
        &self,
        account: &AccountInfo<'info>,
        space: usize,
        owner: &Pubkey,
        (seeds, bump): (&[&[u8]], u8),
        extra: u64,
    ) -> Result<()> {
        require!(
            account.data_is_empty() && *account.owner == system_program::ID,
            LedgerError::AccountAlreadyExists
        );
        let rent_exempt = Rent::get()?
            .minimum_balance(space)
            .checked_add(extra)
            .ok_or_else(|| error!(LedgerError::MathOverflow))?;
        let bump = [bump];
        let mut signer_seeds = seeds.to_vec();
        signer_seeds.push(&bump);
        let seeds = [signer_seeds.as_slice()];
        let space = u64::try_from(space).map_err(|_| error!(LedgerError::MathOverflow))?;
        let held = account.lamports();
        if held == 0 {
            let accounts = CreateAccount {
                from: self.payer.clone(),
                to: account.clone(),
            };
            return system_program::create_account(
                CpiContext::new_with_signer(system_program::ID, accounts, &seeds),
                rent_exempt,
                space,
                owner,
            );
        }
        let top_up = rent_exempt.saturating_sub(held);
        if top_up > 0 {
            let accounts = Transfer {
                from: self.payer.clone(),
                to: account.clone(),
            };
            system_program::transfer(CpiContext::new(system_program::ID, accounts), top_up)?;
        }
        let allocate = Allocate {
            account_to_allocate: account.clone(),
        };
        system_program::allocate(
            CpiContext::new_with_signer(system_program::ID, allocate, &seeds),
            space,
        )?;
        let assign = Assign {
            account_to_assign: account.clone(),
        };
        system_program::assign(
            CpiContext::new_with_signer(system_program::ID, assign, &seeds),
            owner,
        )
    }

    /// Moves `lamports` from `from` to `to`, both accounts of this program
    /// (no system-program call: a program may debit what it owns).
    pub fn move_lamports(from: &AccountInfo, to: &AccountInfo, lamports: u64) -> Result<()> {
        let overflow = || error!(LedgerError::MathOverflow);
        let mut source = from.try_borrow_mut_lamports()?;
        let mut destination = to.try_borrow_mut_lamports()?;
        **source = source.checked_sub(lamports).ok_or_else(overflow)?;
        **destination = destination.checked_add(lamports).ok_or_else(overflow)?;
        Ok(())
    }

    /// Grows a program-owned account to `new_len` bytes (zero-filled), topping
    /// its rent exemption up from the payer.
    pub fn grow(&self, account: &AccountInfo<'info>, new_len: usize) -> Result<()> {
        let rent_exempt = Rent::get()?.minimum_balance(new_len);
        let top_up = rent_exempt.saturating_sub(account.lamports());
        if top_up > 0 {
            let accounts = Transfer {
                from: self.payer.clone(),
                to: account.clone(),
            };
            system_program::transfer(CpiContext::new(system_program::ID, accounts), top_up)?;
        }
        account.resize(new_len)?;
        Ok(())
    }

    /// Creates a program-owned PDA and writes `value` (discriminator + borsh) into it.
    pub fn create_record<T: AccountSerialize>(
        &self,
        account: &AccountInfo<'info>,
        space: usize,
        seeds: (&[&[u8]], u8),
        value: &T,
    ) -> Result<()> {
        self.create_funded_record(account, space, seeds, value, 0)
    }

    /// [`Self::create_record`] holding `extra` lamports beyond its rent
    /// (see [`Self::create_funded_pda`]).
    pub fn create_funded_record<T: AccountSerialize>(
        &self,
        account: &AccountInfo<'info>,
        space: usize,
        seeds: (&[&[u8]], u8),
        value: &T,
        extra: u64,
    ) -> Result<()> {
        self.create_funded_pda(account, space, &crate::ID, seeds, extra)?;
        let mut data = account.try_borrow_mut_data()?;
        value.try_serialize(&mut &mut data[..])
    }
}
