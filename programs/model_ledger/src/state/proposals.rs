//! Who may propose contributions to a model. Anyone may, by default; a
//! model authority that receives spam can keep proposals to wallets it
//! allows, or to itself alone. The policy lives in the royalty book's
//! header, which every proposal reads anyway; each allowed wallet has a
//! permit account of its own, so a model's allow list is as long as its
//! authority wants without any account growing.

use anchor_lang::prelude::*;

/// A model's rule for proposals. The model authority may always propose.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum ProposalPolicy {
    /// Any wallet may propose (paying its record and its book entry).
    Open,
    /// Only wallets holding a [`ProposerPermit`] of the model.
    AllowListed,
    /// Only the model authority.
    Closed,
}

impl ProposalPolicy {
    /// The byte a book's header records (the Borsh tag too).
    pub fn byte(self) -> u8 {
        match self {
            ProposalPolicy::Open => 0,
            ProposalPolicy::AllowListed => 1,
            ProposalPolicy::Closed => 2,
        }
    }

    /// The policy a book's header byte records (books from before the byte
    /// existed hold 0: open).
    pub fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0 => Some(ProposalPolicy::Open),
            1 => Some(ProposalPolicy::AllowListed),
            2 => Some(ProposalPolicy::Closed),
            _ => None,
        }
    }

    /// The policy as the CLI, the index and the explorer spell it.
    pub fn name(self) -> &'static str {
        match self {
            ProposalPolicy::Open => "open",
            ProposalPolicy::AllowListed => "allow-listed",
            ProposalPolicy::Closed => "closed",
        }
    }
}

/// A wallet the model authority allows to propose while the model's
/// policy is [`ProposalPolicy::AllowListed`] (PDA `["proposer", model,
/// wallet]`). Created by `allow_proposer`, closed by `disallow_proposer`
/// (rent back to the authority).
#[account]
#[derive(InitSpace, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ProposerPermit {
    pub version: u8,
    pub bump: u8,
    pub model: Pubkey,
    pub wallet: Pubkey,
    pub allowed_slot: u64,
    pub reserved: [u8; 32],
}

impl ProposerPermit {
    /// `["proposer", model, wallet]`.
    pub fn seeds<'a>(model: &'a Pubkey, wallet: &'a Pubkey) -> [&'a [u8]; 3] {
        [
            crate::constants::seeds::PROPOSER,
            model.as_ref(),
            wallet.as_ref(),
        ]
    }

    /// Whether `account` holds a permit of `model` for `wallet`: an account
    /// of this program with a permit's discriminator and those two keys
    /// (only `allow_proposer` writes one, at exactly that address).
    pub fn allows(account: &AccountInfo, model: &Pubkey, wallet: &Pubkey) -> bool {
        const MODEL: usize = crate::constants::DISCRIMINATOR_LEN + 2;
        if *account.owner != crate::ID {
            return false;
        }
        let Ok(data) = account.try_borrow_data() else {
            return false;
        };
        data.get(..crate::constants::DISCRIMINATOR_LEN) == Some(Self::DISCRIMINATOR)
            && data.get(MODEL..MODEL + 32) == Some(model.as_ref())
            && data.get(MODEL + 32..MODEL + 64) == Some(wallet.as_ref())
    }
}
