//! The program running natively inside a real Solana runtime
//! (solana-program-test) next to the SPL Token and Token-2022 programs it
//! ships: the chain behind the tests, the CLI's embedded cluster and the demo.

// solana-program-test 3.x flags its API as "unstable" ahead of 4.0.
#![allow(deprecated)]

use anchor_lang::prelude::AccountInfo;
use solana_program_test::{processor, ProgramTest};
use solana_sdk::pubkey::Pubkey;

fn process_instruction(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> anchor_lang::solana_program::entrypoint::ProgramResult {
    // Anchor's `entry` ties the program id, the accounts and the data to one
    // lifetime; program-test hands them over with independent ones that all
    // outlive this call, so narrowing them to one is sound.
    let accounts: &[AccountInfo] = unsafe { core::mem::transmute(accounts) };
    model_ledger::entry(program_id, accounts, data)
}

/// A fresh runtime with the program loaded natively and nothing initialised.
/// The runtime logs every instruction at debug level unless `RUST_LOG` says
/// otherwise; this keeps it to errors.
pub fn program_test() -> ProgramTest {
    static QUIET_LOGS: std::sync::Once = std::sync::Once::new();
    QUIET_LOGS.call_once(|| {
        if std::env::var_os("RUST_LOG").is_none() {
            std::env::set_var("RUST_LOG", "error");
        }
    });
    let mut program_test = ProgramTest::new(
        "model_ledger",
        model_ledger::ID,
        processor!(process_instruction),
    );
    program_test.prefer_bpf(false);
    program_test
}
