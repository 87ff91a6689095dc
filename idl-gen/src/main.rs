//! Generates the program's Anchor IDL without the Anchor CLI, the way
//! `anchor idl build` does: run the program's `idl-build` test and assemble
//! what it prints.
//!
//! `cargo run -p idl-gen` rewrites `idl/model_ledger.json`;
//! `cargo run -p idl-gen -- --check` fails when the committed IDL is stale.

mod seeds;

use std::{path::PathBuf, process::ExitCode};

use anchor_lang_idl::build::IdlBuilder;

fn main() -> ExitCode {
    let check = std::env::args().any(|arg| arg == "--check");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("idl-gen lives inside the workspace")
        .to_path_buf();
    let committed_path = root.join("idl").join("model_ledger.json");

    // anchor-lang-idl 0.2.0 turns a set RUSTUP_TOOLCHAIN (as `cargo run` sets
    // it) into a literal `+{toolchain}` argument and fails; without it the
    // child cargo picks the toolchain from rust-toolchain.toml anyway.
    // The builder also sets RUSTFLAGS for its child build, which would
    // invalidate the workspace's main build cache, so it gets its own.
    std::env::remove_var("RUSTUP_TOOLCHAIN");
    std::env::set_var("CARGO_TARGET_DIR", root.join("target").join("idl-build"));

    let mut idl = match IdlBuilder::new()
        .program_path(root.join("programs").join("model_ledger"))
        .build()
    {
        Ok(idl) => idl,
        Err(error) => {
            eprintln!("idl-gen: building the IDL failed: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    seeds::add_book_and_vault_seeds(&mut idl);
    let fresh = serde_json::to_string_pretty(&idl).expect("an IDL serialises") + "\n";

    if check {
        let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
        if committed != fresh {
            eprintln!(
                "idl-gen: {} is stale; run `cargo run -p idl-gen` and commit it",
                committed_path.display()
            );
            return ExitCode::FAILURE;
        }
        println!("idl-gen: {} is up to date", committed_path.display());
    } else {
        std::fs::create_dir_all(committed_path.parent().unwrap()).expect("create idl/");
        std::fs::write(&committed_path, fresh).expect("write the IDL");
        println!("idl-gen: wrote {}", committed_path.display());
    }
    ExitCode::SUCCESS
}
