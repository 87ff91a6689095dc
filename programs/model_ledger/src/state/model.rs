use anchor_lang::prelude::*;

use crate::{
    constants::{MAX_NAME_LEN, MAX_PARENTS, MAX_URI_LEN},
    errors::LedgerError,
    math::bps::is_valid_bps,
};

/// One derivation link: this model derives from `model` under `grant`, bought
/// on `license`, and owes it `derivative_bps` of every payment it receives.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
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
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Model {
    pub version: u8,
    pub bump: u8,
    pub vault_bump: u8,
    pub royalty_book_bump: u8,
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
    /// Set at registration when any parent grant forbids commercial use: such
    /// a model may publish only non-commercial licences, so a non-commercial
    /// parent's terms cannot be resold commercially one generation down.
    pub non_commercial_lineage: bool,
    /// Version the next published licence receives.
    pub next_license_version: u32,
    pub registered_slot: u64,
    /// Fixed at registration from the parent grants' AI terms
    /// (`AiTerms::lineage`): the most each AI use of the model's licences
    /// may permit, and the restrictions they must impose and carry on.
    /// Zero (nothing stated, nothing carried) for a model without parents
    /// and for models registered before AI terms existed.
    pub lineage_ai: super::AiTerms,
    #[cfg_attr(feature = "serde", serde(skip))]
    pub reserved: [u8; 108],
}

/// Where `authority` starts in a model account: after the discriminator,
/// `version`, the three bumps and `creator`, all fixed-size, so it can be
/// read without deserialising the names, URIs and lineage behind it.
const AUTHORITY_OFFSET: usize = crate::constants::DISCRIMINATOR_LEN + 4 + 32;

impl Model {
    /// The authority recorded in a model account's data; `None` if the data
    /// is not a model's. Costs a comparison and a copy where a full
    /// deserialisation costs the VM some 2 000 units.
    pub fn authority_in(data: &[u8]) -> Option<Pubkey> {
        if data.get(..crate::constants::DISCRIMINATOR_LEN)? != Self::DISCRIMINATOR {
            return None;
        }
        let bytes: [u8; 32] = data
            .get(AUTHORITY_OFFSET..AUTHORITY_OFFSET + 32)?
            .try_into()
            .ok()?;
        Some(Pubkey::new_from_array(bytes))
    }

    /// The authority of `account`, which must be a model of this program
    /// (`ModelMismatch` otherwise).
    pub fn authority_of(account: &AccountInfo) -> Result<Pubkey> {
        require_keys_eq!(*account.owner, crate::ID, LedgerError::ModelMismatch);
        Model::authority_in(&account.try_borrow_data()?)
            .ok_or_else(|| error!(LedgerError::ModelMismatch))
    }

    /// `["model", creator, model_id]`.
    pub fn seeds<'a>(creator: &'a Pubkey, model_id: &'a [u8; 32]) -> [&'a [u8]; 3] {
        [crate::constants::seeds::MODEL, creator.as_ref(), model_id]
    }

    /// `["vault", model]`: the model's token account (an SPL account, so its
    /// seeds live with the model that owns it).
    pub fn vault_seeds(model: &Pubkey) -> [&[u8]; 2] {
        [crate::constants::seeds::VAULT, model.as_ref()]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_is_read_at_its_offset_in_the_serialised_record() {
        let authority = Pubkey::new_unique();
        let model = Model {
            version: 1,
            bump: 2,
            vault_bump: 3,
            royalty_book_bump: 4,
            creator: Pubkey::new_unique(),
            authority,
            pending_authority: None,
            model_id: [1; 32],
            name: "a name".into(),
            metadata_uri: "ipfs://x".into(),
            content_hash: [2; 32],
            payment_mint: Pubkey::new_unique(),
            token_program: Pubkey::new_unique(),
            vault: Pubkey::new_unique(),
            royalty_book: Pubkey::new_unique(),
            attribution_bps: 0,
            parents: vec![],
            non_commercial_lineage: false,
            next_license_version: 1,
            registered_slot: 0,
            lineage_ai: Default::default(),
            reserved: [0; 108],
        };
        let mut data = Vec::new();
        model.try_serialize(&mut data).unwrap();
        assert_eq!(Model::authority_in(&data), Some(authority));
        data[0] ^= 1;
        assert_eq!(
            Model::authority_in(&data),
            None,
            "not a model's discriminator"
        );
    }
}
