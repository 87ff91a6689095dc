//! Which payment mints a model may use.
//!
//! Conservation is checked against raw token balances, so the ledger accepts
//! only mints whose transfers move exactly the amount asked, to exactly the
//! account named, and whose accounts cannot be drained behind the vault's
//! back. A mint's freeze authority is accepted (most stablecoins keep one):
//! its holder can freeze a vault and stop its claims, a trust the README
//! states and `model-ledger model register` names. Legacy SPL Token mints
//! qualify. Token-2022 mints qualify when
//! every extension they carry is descriptive only (metadata and group
//! pointers); transfer fees, transfer hooks, a permanent delegate, a default
//! frozen state, non-transferability, confidential transfers, pausability and
//! the like are refused with `UnsupportedMintExtension`.

use anchor_lang::prelude::*;
use anchor_spl::token_2022::spl_token_2022::{
    extension::{BaseStateWithExtensions, ExtensionType, StateWithExtensions},
    state::Mint as MintState,
};

use crate::errors::LedgerError;

const ALLOWED_TOKEN_2022_EXTENSIONS: [ExtensionType; 6] = [
    ExtensionType::MetadataPointer,
    ExtensionType::TokenMetadata,
    ExtensionType::GroupPointer,
    ExtensionType::TokenGroup,
    ExtensionType::GroupMemberPointer,
    ExtensionType::TokenGroupMember,
];

pub fn validate_payment_mint(mint: &AccountInfo) -> Result<()> {
    if *mint.owner == anchor_spl::token::ID {
        return Ok(());
    }
    require_keys_eq!(
        *mint.owner,
        anchor_spl::token_2022::ID,
        LedgerError::UnsupportedMintExtension
    );
    let data = mint.try_borrow_data()?;
    let state = StateWithExtensions::<MintState>::unpack(&data)?;
    for extension in state.get_extension_types()? {
        if !ALLOWED_TOKEN_2022_EXTENSIONS.contains(&extension) {
            msg!("payment mint carries {:?}", extension);
            return err!(LedgerError::UnsupportedMintExtension);
        }
    }
    Ok(())
}
