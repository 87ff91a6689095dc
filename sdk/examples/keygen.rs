//! Writes a new keypair file (the Solana CLI's JSON format) and prints its
//! public key: for scripts on machines without `solana-keygen`, such as CI
//! creating the upgrade authority it deploys the program with.
//!
//! `cargo run -q -p model-ledger-sdk --example keygen -- <OUTFILE>`

use solana_sdk::{
    signature::{write_keypair_file, Keypair},
    signer::Signer,
};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: keygen <OUTFILE>");
        std::process::exit(2);
    };
    if std::path::Path::new(&path).exists() {
        eprintln!("{path} exists: not overwriting a keypair");
        std::process::exit(1);
    }
    let keypair = Keypair::new();
    if let Err(error) = write_keypair_file(&keypair, &path) {
        eprintln!("cannot write {path}: {error}");
        std::process::exit(1);
    }
    println!("{}", keypair.pubkey());
}
