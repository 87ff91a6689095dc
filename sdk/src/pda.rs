//! PDA finders, built on the seed functions of the program's own account types.

use model_ledger::state::{
    Config, Contribution, Grant, License, Model, ProposerPermit, RoyaltyBook,
};
use solana_sdk::pubkey::Pubkey;

use crate::PROGRAM_ID;

/// The protocol's configuration account.
///
/// ```
/// let (config, _bump) = model_ledger_sdk::pda::config();
/// assert_ne!(config, model_ledger_sdk::PROGRAM_ID);
/// ```
pub fn config() -> (Pubkey, u8) {
    Pubkey::find_program_address(&Config::seeds(), &PROGRAM_ID)
}

/// The program's ProgramData account under the upgradeable loader (where
/// its upgrade authority is recorded), derived without reading the program
/// account.
///
/// ```
/// let program_data = model_ledger_sdk::pda::program_data();
/// assert!(!program_data.is_on_curve());
/// ```
pub fn program_data() -> Pubkey {
    Pubkey::find_program_address(
        &[PROGRAM_ID.as_ref()],
        &anchor_lang::solana_program::bpf_loader_upgradeable::ID,
    )
    .0
}

/// A model, by its creator and 32-byte id.
///
/// ```
/// use solana_sdk::pubkey::Pubkey;
/// let creator = Pubkey::new_unique();
/// let (a, _) = model_ledger_sdk::pda::model(&creator, &[1; 32]);
/// let (b, _) = model_ledger_sdk::pda::model(&creator, &[2; 32]);
/// assert_ne!(a, b);
/// ```
pub fn model(creator: &Pubkey, model_id: &[u8; 32]) -> (Pubkey, u8) {
    Pubkey::find_program_address(&Model::seeds(creator, model_id), &PROGRAM_ID)
}

/// A model's royalty book.
pub fn royalty_book(model: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&RoyaltyBook::seeds(model), &PROGRAM_ID)
}

/// A model's vault (token account of its payment mint, owned by the model PDA).
pub fn vault(model: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&Model::vault_seeds(model), &PROGRAM_ID)
}

/// Contribution number `index` of a model.
pub fn contribution(model: &Pubkey, index: u32) -> (Pubkey, u8) {
    Pubkey::find_program_address(&Contribution::seeds(model, &index), &PROGRAM_ID)
}

/// Licence version `version` (from 1) of a model.
pub fn license(model: &Pubkey, version: u32) -> (Pubkey, u8) {
    Pubkey::find_program_address(&License::seeds(model, &version), &PROGRAM_ID)
}

/// The grant `licensee` holds on `license`.
pub fn grant(license: &Pubkey, licensee: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&Grant::seeds(license, licensee), &PROGRAM_ID)
}

/// The permit that lets `wallet` propose to `model` while its policy is
/// allow-listed.
pub fn proposer_permit(model: &Pubkey, wallet: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&ProposerPermit::seeds(model, wallet), &PROGRAM_ID)
}

/// The signer of the program's self-CPI events (`emit_cpi!`).
/// Derived once at compile time by the program itself.
pub fn event_authority() -> (Pubkey, u8) {
    model_ledger::EVENT_AUTHORITY_AND_BUMP
}

/// The 32-byte model id a creator names a model by: 64 hex digits as they
/// are, any other text (`base-7b`) hashed with SHA-256, as the CLI's
/// `model register --id` does; explorers find a model by either.
///
/// ```
/// let id = model_ledger_sdk::pda::model_id_from_text("base-7b");
/// assert_eq!(model_ledger_sdk::pda::model_id_from_text(&model_ledger_sdk::hex::encode(&id)), id);
/// ```
pub fn model_id_from_text(text: &str) -> [u8; 32] {
    let text = text.trim();
    if let Ok(id) = crate::hex::decode32(text) {
        return id;
    }
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes()).into()
}
