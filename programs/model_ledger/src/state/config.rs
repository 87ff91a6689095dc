use anchor_lang::prelude::*;

use crate::{errors::LedgerError, math::bps::is_valid_bps};

/// The protocol's single configuration account (PDA `["config"]`).
#[account]
#[derive(InitSpace, Debug)]
pub struct Config {
    pub version: u8,
    pub bump: u8,
    pub admin: Pubkey,
    /// Wallet whose token accounts receive protocol fees.
    pub treasury: Pubkey,
    /// Share of every first-hop payment taken by the protocol, in basis points.
    pub protocol_fee_bps: u16,
    /// Stops new payments; never stops claims.
    pub paused: bool,
    /// Incremented on every change so an indexer can detect a missed event.
    pub update_count: u64,
    pub reserved: [u8; 64],
}

impl Config {
    pub fn invariant(&self) -> Result<()> {
        require!(
            is_valid_bps(self.protocol_fee_bps),
            LedgerError::InvariantViolated
        );
        Ok(())
    }
}
