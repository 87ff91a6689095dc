//! The compute-unit limit of a transaction that cannot be simulated.
//!
//! Online, the sender measures each transaction by simulating it and asks
//! for that plus a margin ([`crate::send::ComputeBudget::margin`]). A
//! transaction signed offline (`--sign-only`, a fixed `--blockhash`, a
//! durable nonce) cannot be: every party that signs it must sign the same
//! bytes, limit included, at different times and places, and some sign with
//! no connection at all. Its limit comes from this table instead: what the
//! bench (`model-ledger bench`, SBF binary in the VM, mainnet's token
//! programs) measured for each of the program's instructions, at the most
//! expensive shape it measured (the largest payment, a parent), plus the
//! bump tries that creating its accounts takes beyond the first (computed
//! from the instruction's own seeds), plus the same margin. CI checks every
//! transaction of the integration suite in the VM against this table
//! ([`CHECK_ENV`]) and fails when one no longer fits.

use anchor_lang::{solana_program::bpf_loader_upgradeable, Discriminator};
use model_ledger::instruction as program;
use solana_sdk::{instruction::Instruction, pubkey::Pubkey};

use crate::{
    pda,
    send::{ComputeBudget, MAX_COMPUTE_UNIT_LIMIT},
};

/// A program instruction's measured cost, with one bump try for each
/// address it finds: fixed, plus a part per attribution entry
/// (`record_inference` only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measured {
    pub units: u32,
    pub per_attribution_entry: u32,
}

const fn fixed(units: u32) -> Measured {
    Measured {
        units,
        per_attribution_entry: 0,
    }
}

/// Units one more bump try costs: a `create_program_address` syscall
/// (1 500) and the search's own loop.
pub const BUMP_TRY_UNITS: u32 = 1_600;

/// The bump tries beyond the first that `instruction` makes to find the
/// addresses it creates (an address whose canonical bump is 255 − n takes
/// n + 1 tries): the program searches for each from its seeds, which the
/// instruction's accounts and data give.
fn extra_bump_tries(instruction: &Instruction, discriminator: &[u8]) -> u32 {
    let account = |position: usize| instruction.accounts.get(position).map(|meta| meta.pubkey);
    let data_u32 = |at: usize| {
        instruction
            .data
            .get(at..at + 4)
            .and_then(|bytes| bytes.try_into().ok())
            .map(u32::from_le_bytes)
    };
    let extra = |bump: u8| u32::from(u8::MAX - bump);
    let bumps: Vec<u8> = if discriminator == program::ProposeContribution::DISCRIMINATOR {
        // Accounts: contributor, model, book, contribution; data: the index.
        match (account(1), data_u32(8)) {
            (Some(model), Some(index)) => vec![pda::contribution(&model, index).1],
            _ => vec![],
        }
    } else if discriminator == program::AcquireGrant::DISCRIMINATOR {
        // Accounts: licensee, config, model, licence, grant…
        match (account(0), account(3)) {
            (Some(licensee), Some(license)) => vec![pda::grant(&license, &licensee).1],
            _ => vec![],
        }
    } else if discriminator == program::PublishLicense::DISCRIMINATOR {
        // Accounts: authority, model, licence. The version is the model's
        // counter, not in the data: found by the address it gives.
        match (account(1), account(2)) {
            (Some(model), Some(license)) => (1..=4_096u32)
                .map(|version| pda::license(&model, version))
                .find(|(address, _)| *address == license)
                .map(|(_, bump)| vec![bump])
                .unwrap_or_default(),
            _ => vec![],
        }
    } else if discriminator == program::RegisterModel::DISCRIMINATOR {
        // Accounts: authority, config, model…; data: the model id first.
        let model_id = instruction
            .data
            .get(8..40)
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok());
        match (account(0), model_id) {
            (Some(creator), Some(model_id)) => {
                let (model, bump) = pda::model(&creator, &model_id);
                vec![bump, pda::royalty_book(&model).1, pda::vault(&model).1]
            }
            _ => vec![],
        }
    } else if discriminator == program::AllowProposer::DISCRIMINATOR {
        // Accounts: authority, model, wallet, permit…
        match (account(1), account(2)) {
            (Some(model), Some(wallet)) => vec![pda::proposer_permit(&model, &wallet).1],
            _ => vec![],
        }
    } else if discriminator == program::InitializeConfig::DISCRIMINATOR {
        let program_data =
            Pubkey::find_program_address(&[model_ledger::ID.as_ref()], &bpf_loader_upgradeable::ID)
                .1;
        vec![program_data, pda::config().1]
    } else {
        vec![]
    };
    bumps.into_iter().map(extra).sum()
}

/// Each instruction of the program, by discriminator, with what the bench
/// measured, rounded up.
fn measured(discriminator: &[u8]) -> Option<Measured> {
    let table: [(&[u8], Measured); 28] = [
        // A prefunded address costs a transfer, an allocation and an
        // assignment instead of one creation (in every creating instruction;
        // the margin covers it elsewhere, not on this small a figure).
        (program::InitializeConfig::DISCRIMINATOR, fixed(11_500)),
        (program::UpdateConfig::DISCRIMINATOR, fixed(4_400)),
        (program::AcceptAdmin::DISCRIMINATOR, fixed(4_300)),
        // Plus `PER_PARENT_UNITS` for each parent.
        (program::RegisterModel::DISCRIMINATOR, fixed(28_800)),
        (program::TransferModelAuthority::DISCRIMINATOR, fixed(6_400)),
        (program::AcceptModelAuthority::DISCRIMINATOR, fixed(6_400)),
        (program::ProposeContribution::DISCRIMINATOR, fixed(10_500)),
        // An acceptance into a book from before proposals paid for their
        // entries also grows the book (a system-program transfer).
        (program::AcceptContribution::DISCRIMINATOR, fixed(9_000)),
        (program::RejectContribution::DISCRIMINATOR, fixed(6_700)),
        (program::RevokeContribution::DISCRIMINATOR, fixed(6_900)),
        (program::SetPayoutWallet::DISCRIMINATOR, fixed(4_900)),
        (program::CloseContribution::DISCRIMINATOR, fixed(4_600)),
        (program::PublishLicense::DISCRIMINATOR, fixed(16_700)),
        (program::RetireLicense::DISCRIMINATOR, fixed(7_600)),
        (program::ExtendRoyaltyBook::DISCRIMINATOR, fixed(7_900)),
        (program::ClaimUnallocated::DISCRIMINATOR, fixed(9_500)),
        (program::AcquireGrant::DISCRIMINATOR, fixed(15_600)),
        (program::RenewGrant::DISCRIMINATOR, fixed(12_000)),
        (program::TransferGrant::DISCRIMINATOR, fixed(4_900)),
        (program::SetMeter::DISCRIMINATOR, fixed(4_900)),
        (
            program::RecordInference::DISCRIMINATOR,
            // Eight parents' royalties at some 300 units each on top.
            Measured {
                units: 14_000,
                per_attribution_entry: 110,
            },
        ),
        (program::SettleUpstream::DISCRIMINATOR, fixed(10_300)),
        (program::Claim::DISCRIMINATOR, fixed(8_200)),
        (program::CollectProtocolFees::DISCRIMINATOR, fixed(8_300)),
        (program::BookSurplus::DISCRIMINATOR, fixed(6_400)),
        (program::SetProposalPolicy::DISCRIMINATOR, fixed(4_000)),
        // Anyone can prefund a permit's address, so the figure is that case
        // (8,500 units otherwise): a third party cannot make an offline-signed
        // allowance run out of units.
        (program::AllowProposer::DISCRIMINATOR, fixed(12_300)),
        (program::DisallowProposer::DISCRIMINATOR, fixed(4_400)),
    ];
    table
        .iter()
        .find(|(known, _)| discriminator.starts_with(known))
        .map(|(_, measured)| *measured)
}

/// What each parent (a model and a grant among the remaining accounts)
/// adds to `register_model`.
const PER_PARENT_UNITS: u32 = 1_500;

/// `register_model`'s accounts before the parents' pairs.
const REGISTER_MODEL_ACCOUNTS: usize = 10;

/// The attribution entries a `record_inference` instruction carries (its
/// data: discriminator, seq, calls, Merkle root, then the vector's count).
fn attribution_entries(data: &[u8]) -> u32 {
    const COUNT_AT: usize = 8 + 8 + 8 + 32;
    data.get(COUNT_AT..COUNT_AT + 4)
        .and_then(|bytes| bytes.try_into().ok())
        .map(u32::from_le_bytes)
        .unwrap_or(0)
}

/// What `instruction` may cost: from the table for the program's own,
/// generous fixed figures for the system, token and associated-token
/// programs the CLI sends, the runtime's default for anything else.
pub fn instruction_units(instruction: &Instruction) -> u32 {
    let program = &instruction.program_id;
    if *program == model_ledger::ID {
        let Some(cost) = measured(&instruction.data) else {
            return DEFAULT_INSTRUCTION_UNITS;
        };
        let entries = if cost.per_attribution_entry > 0 {
            attribution_entries(&instruction.data)
        } else {
            0
        };
        let parents = if instruction
            .data
            .starts_with(program::RegisterModel::DISCRIMINATOR)
        {
            u32::try_from(
                instruction
                    .accounts
                    .len()
                    .saturating_sub(REGISTER_MODEL_ACCOUNTS)
                    / 2,
            )
            .unwrap_or(u32::MAX)
        } else {
            0
        };
        let units = cost
            .units
            .saturating_add(cost.per_attribution_entry.saturating_mul(entries))
            .saturating_add(parents.saturating_mul(PER_PARENT_UNITS))
            .saturating_add(
                extra_bump_tries(instruction, &instruction.data[..8])
                    .saturating_mul(BUMP_TRY_UNITS),
            );
        return ComputeBudget::margin(u64::from(units));
    }
    match *program {
        anchor_lang::system_program::ID => 3_000,
        // p-token spends about 100 to 3 000 units on an instruction, SPL
        // Token 3.5.0 up to some 6 500, Token-2022 up to some 12 000.
        anchor_spl::token::ID => 10_000,
        anchor_spl::token_2022::ID => 20_000,
        // Creating an associated account CPIs into the token program.
        anchor_spl::associated_token::ID => 40_000,
        COMPUTE_BUDGET => 150,
        _ => DEFAULT_INSTRUCTION_UNITS,
    }
}

/// The runtime's own default per instruction.
pub const DEFAULT_INSTRUCTION_UNITS: u32 = 200_000;

const COMPUTE_BUDGET: Pubkey = solana_compute_budget_interface::ID;

/// The limit for a transaction of `instructions` that is not simulated:
/// the sum of [`instruction_units`], at most [`MAX_COMPUTE_UNIT_LIMIT`].
pub fn offline_limit(instructions: &[Instruction]) -> u32 {
    instructions
        .iter()
        .map(instruction_units)
        .fold(0u32, u32::saturating_add)
        .min(MAX_COMPUTE_UNIT_LIMIT)
}

/// Set (to anything) to check every simulated transaction against
/// [`offline_limit`]: the VM pass of CI sets it, so every transaction of the
/// integration suite checks the table.
pub const CHECK_ENV: &str = "MODEL_LEDGER_CHECK_OFFLINE_LIMITS";

/// With [`CHECK_ENV`] set, refuses a transaction whose simulation consumed
/// more than its offline limit: the table is out of date.
pub fn check_offline_limit(
    instructions: &[Instruction],
    consumed: u64,
) -> Result<(), crate::SdkError> {
    static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if !*ENABLED.get_or_init(|| std::env::var_os(CHECK_ENV).is_some()) {
        return Ok(());
    }
    let limit = offline_limit(instructions);
    if consumed > u64::from(limit) {
        return Err(crate::SdkError::Signing(format!(
            "a transaction consumed {consumed} compute units, more than the {limit} its offline limit allows \
             (sdk/src/compute_units.rs is out of date; instructions: {:?})",
            instructions
                .iter()
                .map(|instruction| (instruction.program_id, instruction.data.get(..8).map(<[u8]>::to_vec)))
                .collect::<Vec<_>>()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use model_ledger::state::AttributionEntry;

    use super::*;
    use crate::instructions::{self as ix, ModelAccounts, RecordInferenceArgs};

    #[test]
    fn every_instruction_of_the_program_is_in_the_table() {
        let idl: serde_json::Value =
            serde_json::from_str(include_str!("../../idl/model_ledger.json")).unwrap();
        for instruction in idl["instructions"].as_array().unwrap() {
            let discriminator: Vec<u8> = instruction["discriminator"]
                .as_array()
                .unwrap()
                .iter()
                .map(|byte| byte.as_u64().unwrap() as u8)
                .collect();
            assert!(
                measured(&discriminator).is_some(),
                "{} has no measured cost",
                instruction["name"]
            );
        }
    }

    #[test]
    fn a_batch_is_priced_by_its_attribution_length() {
        let model = ModelAccounts {
            model: Pubkey::new_unique(),
            payment_mint: Pubkey::new_unique(),
            token_program: anchor_spl::token::ID,
        };
        let batch = |entries: u32| {
            ix::record_inference(
                &Pubkey::new_unique(),
                &Pubkey::new_unique(),
                &model,
                &Pubkey::new_unique(),
                RecordInferenceArgs {
                    seq: 0,
                    calls: 1,
                    merkle_root: [1; 32],
                    attribution: (0..entries)
                        .map(|index| AttributionEntry { index, weight: 1 })
                        .collect(),
                },
            )
        };
        assert_eq!(attribution_entries(&batch(37).data), 37);
        let empty = offline_limit(&[batch(0)]);
        let full = offline_limit(&[batch(100)]);
        assert_eq!(
            full - empty,
            ComputeBudget::margin(13_500 + 11_000) - ComputeBudget::margin(13_500)
        );
        assert!(offline_limit(&[batch(0), batch(0)]) > empty);
    }
}
