use anchor_lang::prelude::*;

/// The money side of one model (PDA `["royalty_book", model]`), kept apart from
/// the provenance records so that paying for inference touches a fixed set of
/// accounts however many contributors a model has.
///
/// Zero-copy: the book grows by one fixed-size entry per contribution, and a
/// model must hold tens of thousands of them, far beyond what borsh
/// deserialisation on the stack or heap could afford. Only fixed-width
/// integers and byte arrays (no `u128`, whose alignment differs between the
/// host and SBF) so the layout is the same everywhere.
#[account(zero_copy)]
#[derive(Debug)]
#[repr(C)]
pub struct RoyaltyBook {
    pub version: u8,
    pub bump: u8,
    pub reserved_header: [u8; 6],
    pub model: Pubkey,
    /// Entries appended after this header; grows with accepted contributions.
    pub entry_count: u32,
    pub reserved_count: [u8; 4],
    /// Room for the pools and accumulators without a layout migration.
    pub reserved: [u8; 256],
}

const _: () = assert!(core::mem::size_of::<RoyaltyBook>() == 304);

impl RoyaltyBook {
    pub const SPACE: usize = crate::constants::DISCRIMINATOR_LEN + core::mem::size_of::<Self>();

    /// Writes the discriminator and an empty header into a freshly created book.
    pub fn initialize(account: &AccountInfo, model: Pubkey, bump: u8) -> Result<()> {
        let header = RoyaltyBook {
            version: crate::constants::ACCOUNT_VERSION,
            bump,
            reserved_header: [0; 6],
            model,
            entry_count: 0,
            reserved_count: [0; 4],
            reserved: [0; 256],
        };
        let mut data = account.try_borrow_mut_data()?;
        let (discriminator, body) = data.split_at_mut(crate::constants::DISCRIMINATOR_LEN);
        discriminator.copy_from_slice(Self::DISCRIMINATOR);
        body[..core::mem::size_of::<Self>()].copy_from_slice(bytemuck::bytes_of(&header));
        Ok(())
    }
}
