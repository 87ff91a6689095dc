//! Typed decoding of the program's accounts.

use anchor_lang::{AccountDeserialize, Discriminator};
use model_ledger::state::{BookEntry, RoyaltyBook};
use solana_sdk::{account::Account, pubkey::Pubkey};

pub use model_ledger::state::{
    AiTerms, AiUse, Config, Contribution, ContributionKind, ContributionStatus, Grant, License,
    LicenseTerms, Model, ParentLink,
};

use crate::{SdkError, PROGRAM_ID};

/// Decodes an Anchor account of type `T`, checking its owner and discriminator.
///
/// ```
/// use model_ledger_sdk::accounts::{decode, Config};
/// use solana_sdk::{account::Account, pubkey::Pubkey};
/// let foreign = Account { owner: Pubkey::new_unique(), ..Account::default() };
/// assert!(decode::<Config>(&Pubkey::new_unique(), &foreign).is_err());
/// ```
pub fn decode<T: AccountDeserialize + Discriminator>(
    address: &Pubkey,
    account: &Account,
) -> Result<T, SdkError> {
    if account.owner != PROGRAM_ID {
        return Err(SdkError::Decode {
            address: *address,
            reason: format!("owned by {}, not the Model Ledger program", account.owner),
        });
    }
    T::try_deserialize(&mut account.data.as_slice()).map_err(|err| SdkError::Decode {
        address: *address,
        reason: err.to_string(),
    })
}

/// Decodes the fixed header of a royalty book (the zero-copy part before
/// its entries), through the same byte view as the program.
pub fn decode_royalty_book(address: &Pubkey, account: &Account) -> Result<RoyaltyBook, SdkError> {
    if account.owner != PROGRAM_ID {
        return Err(SdkError::Decode {
            address: *address,
            reason: format!("owned by {}, not the Model Ledger program", account.owner),
        });
    }
    RoyaltyBook::header_from(&account.data).ok_or_else(|| SdkError::Decode {
        address: *address,
        reason: "not a royalty book, or shorter than its entry count".into(),
    })
}

/// Entry `index` of a royalty book; an entry beyond the book's end (a
/// contribution never accepted) is all zeros.
pub fn decode_book_entry(
    address: &Pubkey,
    account: &Account,
    index: u32,
) -> Result<BookEntry, SdkError> {
    decode_royalty_book(address, account)?
        .entry_from(&account.data, index)
        .ok_or_else(|| SdkError::Decode {
            address: *address,
            reason: format!("entry {index} lies beyond the account's data"),
        })
}

/// A model with every contribution and licence version it has.
#[derive(Debug)]
pub struct ModelView {
    pub address: Pubkey,
    pub model: Model,
    /// In index order; an index whose rejected record was closed
    /// (`close_contribution`) is missing.
    pub contributions: Vec<(Pubkey, Contribution)>,
    /// In version order, starting at version 1.
    pub licenses: Vec<(Pubkey, License)>,
}
