use anchor_lang::prelude::*;

use crate::{errors::LedgerError, math::bps::is_valid_bps};

/// The protocol's single configuration account (PDA `["config"]`).
#[account]
#[derive(InitSpace, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Config {
    pub version: u8,
    pub bump: u8,
    pub admin: Pubkey,
    /// Proposed by `update_config`, takes over with `accept_admin`: a typo
    /// in a one-step hand-over would lose the protocol's admin for good.
    pub pending_admin: Option<Pubkey>,
    /// Wallet whose token accounts receive protocol fees (never the default key).
    pub treasury: Pubkey,
    /// Share of every first-hop payment taken by the protocol, in basis points.
    pub protocol_fee_bps: u16,
    /// Stops new payments; never stops claims.
    pub paused: bool,
    /// Incremented on every change so an indexer can detect a missed event.
    pub update_count: u64,
    #[cfg_attr(feature = "serde", serde(skip))]
    pub reserved: [u8; 64],
}

impl Config {
    /// Refuses (`ProtocolPaused`) while the admin has paused the protocol:
    /// every payment into a vault checks it here, nothing else does (claims
    /// and withdrawals never stop).
    pub fn require_running(&self) -> Result<()> {
        require!(!self.paused, crate::errors::LedgerError::ProtocolPaused);
        Ok(())
    }

    pub fn seeds() -> [&'static [u8]; 1] {
        [crate::constants::seeds::CONFIG]
    }

    /// The config's address, `["config"]` under the program id, written out
    /// so that instructions check it by comparison instead of deriving it
    /// (a PDA derivation costs the VM 1,500 compute units); a unit test
    /// keeps it equal to the derivation.
    pub const ADDRESS: Pubkey = pubkey!("HVzJ9Q5xHFjic3FNYRiT6UnFkf64ETePAvzr3EyfTD6U");

    pub fn invariant(&self) -> Result<()> {
        require!(
            is_valid_bps(self.protocol_fee_bps)
                && self.treasury != Pubkey::default()
                && self.pending_admin != Some(self.admin),
            LedgerError::InvariantViolated
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_is_the_config_pda() {
        let (derived, _) = Pubkey::find_program_address(&Config::seeds(), &crate::ID);
        assert_eq!(Config::ADDRESS, derived);
    }
}
