//! What a payment needs from a model, read straight from the model's bytes.
//!
//! Deserialising a whole [`Model`] (its name and URI as heap strings, its
//! lineage as a vector) costs the VM some 2 000 compute units; every payment
//! needs only the money accounts, the attribution ratio and each parent's
//! royalty. [`ModelTerms::read`] walks the record's Borsh layout, skipping
//! the variable-length fields by their length prefixes, and copies those
//! alone.

use anchor_lang::prelude::*;

use crate::{
    constants::{DISCRIMINATOR_LEN, MAX_PARENTS},
    errors::LedgerError,
    state::Model,
};

/// A model's payment terms: fixed at registration, never changed. Small on
/// purpose: in the VM every move of a value costs about a unit per eight
/// bytes, and this one is returned through two `Result`s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelTerms {
    pub attribution_bps: u16,
    parent_count: u8,
    parent_bps: [u16; MAX_PARENTS],
}

/// A cursor over a Borsh record; every read is bounds-checked.
struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(len)?;
        let bytes = self.data.get(self.at..end)?;
        self.at = end;
        Some(bytes)
    }

    fn skip(&mut self, len: usize) -> Option<()> {
        self.take(len).map(drop)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|bytes| bytes[0])
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    /// Skips a Borsh string or byte vector: its u32 length, then its bytes.
    fn skip_string(&mut self) -> Option<()> {
        let len = usize::try_from(self.u32()?).ok()?;
        self.skip(len)
    }
}

/// One parent link in a record: the parent model, then (skipped) licence
/// and grant, then the royalty.
const PARENT_LINK_LEN: usize = 32 + 32 + 32 + 2;

/// Walks a model record (discriminator first) up to its lineage: the
/// cursor at the first parent link, the attribution ratio and the number of
/// parents. `None` if it is not a model's record or is cut short.
fn lineage(data: &[u8]) -> Option<(Cursor<'_>, u16, usize)> {
    if data.get(..DISCRIMINATOR_LEN)? != Model::DISCRIMINATOR {
        return None;
    }
    let mut cursor = Cursor {
        data,
        at: DISCRIMINATOR_LEN,
    };
    // version, bump, vault_bump, royalty_book_bump, creator, authority
    cursor.skip(4 + 32 + 32)?;
    // pending_authority: Option<Pubkey>
    if cursor.u8()? == 1 {
        cursor.skip(32)?;
    }
    cursor.skip(32)?; // model_id
    cursor.skip_string()?; // name
    cursor.skip_string()?; // metadata_uri
                           // content_hash, payment_mint, token_program, vault, royalty_book
    cursor.skip(5 * 32)?;
    let attribution_bps = cursor.u16()?;
    let parent_count = usize::try_from(cursor.u32()?).ok()?;
    if parent_count > MAX_PARENTS {
        return None;
    }
    Some((cursor, attribution_bps, parent_count))
}

/// The model record in `account`, which must be a model of this program.
fn model_data<'a>(account: &'a AccountInfo) -> Result<core::cell::Ref<'a, &'a mut [u8]>> {
    require_keys_eq!(*account.owner, crate::ID, LedgerError::ModelMismatch);
    Ok(account.try_borrow_data()?)
}

impl ModelTerms {
    /// The terms of the model in `account`, which must be a model of this
    /// program (`ModelMismatch` otherwise).
    pub fn read(account: &AccountInfo) -> Result<Self> {
        Self::from_data(&model_data(account)?).ok_or_else(|| error!(LedgerError::ModelMismatch))
    }

    /// The terms in a model record's data (discriminator first); `None` if
    /// it is not a model's or is cut short.
    pub fn from_data(data: &[u8]) -> Option<Self> {
        let (mut cursor, attribution_bps, parent_count) = lineage(data)?;
        let mut parent_bps = [0u16; MAX_PARENTS];
        for bps in parent_bps.iter_mut().take(parent_count) {
            cursor.skip(PARENT_LINK_LEN - 2)?;
            *bps = cursor.u16()?;
        }
        Some(Self {
            attribution_bps,
            parent_count: u8::try_from(parent_count).ok()?,
            parent_bps,
        })
    }

    /// Each parent's royalty, in lineage order.
    pub fn parent_bps(&self) -> &[u16] {
        &self.parent_bps[..usize::from(self.parent_count)]
    }

    /// Where `parent` stands in the lineage of the model in `account` (a
    /// model of this program, `ModelMismatch` otherwise); `None`: not a parent.
    pub fn parent_position(account: &AccountInfo, parent: &Pubkey) -> Result<Option<usize>> {
        Self::parent_position_in(&model_data(account)?, parent)
            .ok_or_else(|| error!(LedgerError::ModelMismatch))
    }

    /// [`Self::parent_position`] in a model record's data; `None` if it is
    /// not a model's record.
    pub fn parent_position_in(data: &[u8], parent: &Pubkey) -> Option<Option<usize>> {
        let (mut cursor, _, parent_count) = lineage(data)?;
        for position in 0..parent_count {
            let link = cursor.take(PARENT_LINK_LEN)?;
            if link.get(..32)? == parent.as_ref() {
                return Some(Some(position));
            }
        }
        Some(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ParentLink;

    fn model(pending: Option<Pubkey>, name: &str, uri: &str, parents: usize) -> Model {
        Model {
            version: 1,
            bump: 2,
            vault_bump: 3,
            royalty_book_bump: 4,
            creator: Pubkey::new_unique(),
            authority: Pubkey::new_unique(),
            pending_authority: pending,
            model_id: [1; 32],
            name: name.into(),
            metadata_uri: uri.into(),
            content_hash: [2; 32],
            payment_mint: Pubkey::new_unique(),
            token_program: Pubkey::new_unique(),
            vault: Pubkey::new_unique(),
            royalty_book: Pubkey::new_unique(),
            attribution_bps: 4_321,
            parents: (0..parents)
                .map(|n| ParentLink {
                    model: Pubkey::new_unique(),
                    license: Pubkey::new_unique(),
                    grant: Pubkey::new_unique(),
                    derivative_bps: 100 + n as u16,
                })
                .collect(),
            non_commercial_lineage: false,
            next_license_version: 1,
            registered_slot: 0,
            lineage_ai: Default::default(),
            reserved: [0; 108],
        }
    }

    #[test]
    fn terms_are_read_from_every_shape_of_record() {
        for pending in [None, Some(Pubkey::new_unique())] {
            for (name, uri) in [("m", ""), ("a longer name", "ipfs://metadata/of/it")] {
                for parents in [0, 1, MAX_PARENTS] {
                    let model = model(pending, name, uri, parents);
                    let mut data = Vec::new();
                    model.try_serialize(&mut data).unwrap();
                    let terms = ModelTerms::from_data(&data).expect("a model");
                    assert_eq!(terms.attribution_bps, model.attribution_bps);
                    assert_eq!(
                        terms.parent_bps(),
                        model.parent_bps().collect::<Vec<_>>().as_slice()
                    );
                    for (position, link) in model.parents.iter().enumerate() {
                        assert_eq!(
                            ModelTerms::parent_position_in(&data, &link.model),
                            Some(Some(position))
                        );
                    }
                    assert_eq!(
                        ModelTerms::parent_position_in(&data, &Pubkey::new_unique()),
                        Some(None)
                    );
                    // Cut short anywhere before the lineage ends: not a model.
                    let lineage_end = data.len() - (1 + 4 + 8 + 128);
                    assert_eq!(ModelTerms::from_data(&data[..lineage_end - 1]), None);
                }
            }
        }
    }

    #[test]
    fn another_accounts_bytes_are_not_a_model() {
        let mut data = Vec::new();
        model(None, "m", "", 0).try_serialize(&mut data).unwrap();
        data[3] ^= 1;
        assert_eq!(ModelTerms::from_data(&data), None);
        assert_eq!(ModelTerms::from_data(&[]), None);
    }
}
