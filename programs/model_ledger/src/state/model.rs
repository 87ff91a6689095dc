use anchor_lang::prelude::*;

use crate::{
    constants::{MAX_NAME_LEN, MAX_PARENTS, MAX_URI_LEN},
    errors::LedgerError,
    math::bps::is_valid_bps,
};

/// One derivation link: this model derives from `model` under `grant`, bought
/// on `license`, and owes it `derivative_bps` of every payment it receives.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParentLink {
    pub model: Pubkey,
    pub license: Pubkey,
    pub grant: Pubkey,
    pub derivative_bps: u16,
}

/// A model's provenance record (PDA `["model", creator, model_id]`).
///
/// The creator is part of the seeds so nobody can squat another creator's
/// chosen id; the authority may change later, the address never does.
#[account]
#[derive(InitSpace, Debug)]
pub struct Model {
    pub version: u8,
    pub bump: u8,
    pub vault_bump: u8,
    pub royalty_book_bump: u8,
    /// The payment mint's decimals, for `transfer_checked` without reading the mint.
    pub payment_decimals: u8,
    pub creator: Pubkey,
    pub authority: Pubkey,
    /// Set by `transfer_model_authority`, cleared by `accept_model_authority`.
    pub pending_authority: Option<Pubkey>,
    pub model_id: [u8; 32],
    #[max_len(MAX_NAME_LEN)]
    pub name: String,
    #[max_len(MAX_URI_LEN)]
    pub metadata_uri: String,
    pub content_hash: [u8; 32],
    pub payment_mint: Pubkey,
    /// Token program that owns `payment_mint` (SPL Token or Token-2022).
    pub token_program: Pubkey,
    pub vault: Pubkey,
    pub royalty_book: Pubkey,
    /// Share of each payment's remainder (after fee and upstream) that goes to
    /// the contributions named in a batch's attribution vector.
    pub attribution_bps: u16,
    /// Fixed at registration: lineage never changes, so it can never form a cycle.
    #[max_len(MAX_PARENTS)]
    pub parents: Vec<ParentLink>,
    /// Index the next proposed contribution receives (also the number proposed so far).
    pub contribution_count: u32,
    /// Version the next published licence receives.
    pub next_license_version: u32,
    pub registered_slot: u64,
    pub reserved: [u8; 128],
}

impl Model {
    /// `["model", creator, model_id]`.
    pub fn seeds<'a>(creator: &'a Pubkey, model_id: &'a [u8; 32]) -> [&'a [u8]; 3] {
        [crate::constants::seeds::MODEL, creator.as_ref(), model_id]
    }

    /// `["vault", model]`: the model's token account (an SPL account, so its
    /// seeds live with the model that owns it).
    pub fn vault_seeds(model: &Pubkey) -> [&[u8]; 2] {
        [crate::constants::seeds::VAULT, model.as_ref()]
    }

    /// The model PDA's seeds with its bump, for signing vault transfers.
    pub fn signer_seeds(&self) -> [&[u8]; 4] {
        let [prefix, creator, model_id] = Self::seeds(&self.creator, &self.model_id);
        [prefix, creator, model_id, core::slice::from_ref(&self.bump)]
    }

    /// Each parent's royalty, in lineage order.
    pub fn parent_bps(&self) -> impl Iterator<Item = u16> + '_ {
        self.parents.iter().map(|link| link.derivative_bps)
    }

    pub fn invariant(&self) -> Result<()> {
        require!(
            !self.name.is_empty()
                && self.name.len() <= MAX_NAME_LEN
                && self.metadata_uri.len() <= MAX_URI_LEN
                && self.parents.len() <= MAX_PARENTS
                && is_valid_bps(self.attribution_bps)
                && self.next_license_version >= crate::constants::FIRST_LICENSE_VERSION
                && self.pending_authority != Some(self.authority),
            LedgerError::InvariantViolated
        );
        Ok(())
    }
}
