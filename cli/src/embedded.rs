//! The embedded cluster: the program running natively inside a real Solana
//! runtime (solana-program-test, with the real token programs), whose
//! accounts persist in a ledger directory between commands.
//!
//! Each command loads the saved accounts into a fresh runtime, moves its
//! clock past the last saved slot, runs, and saves every account it touched.
//! Saving writes a temporary file, syncs it and renames it over the old one,
//! so a crash leaves either the old or the new state, never half of one. The
//! file carries a magic number, a format version and a SHA-256 of its
//! contents, so a damaged file is reported, never half-loaded.
#![allow(deprecated)] // solana-program-test 3.x flags its API "unstable" ahead of 4.0.

use std::{
    collections::BTreeSet,
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use anyhow::{bail, Context, Result};
use model_ledger_sdk::embedded::BanksConnection;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use solana_sdk::{account::Account, pubkey::Pubkey, signature::Keypair};

const MAGIC: &[u8; 8] = b"MLEDGER\0";
const FORMAT_VERSION: u32 = 1;

const STATE_FILE: &str = "state.bin";
const WALLET_FILE: &str = "wallet.json";

#[derive(Serialize, Deserialize, Default)]
struct State {
    slot: u64,
    /// Where the runtime's blockhash sequence stopped (see [`continue_blockhashes`]).
    blockhash_counter: u64,
    accounts: Vec<(Pubkey, Account)>,
}

/// The counter behind `Hash::new_unique`, which program-test uses for every
/// new blockhash.
fn blockhash_counter() -> u64 {
    let hash = solana_sdk::hash::Hash::new_unique();
    u64::from_le_bytes(hash.to_bytes()[..8].try_into().expect("8 bytes"))
}

/// Program-test draws blockhashes from a process-wide counter that starts at
/// 1 in every process, so each command would replay the blockhashes of the
/// last one, and a durable nonce created in one command (whose value derives
/// from the blockhash of its time) could look "not yet advanced" in the next.
/// Moving the counter past where the previous command stopped, then moving
/// to a new slot (which fills the old one with ticks drawn from the counter),
/// makes the ledger's blockhashes unique across commands, as on a real
/// cluster, without waiting on program-test's wall-clock ticker.
async fn continue_chain(connection: &BanksConnection, slot: u64, counter: u64) -> Result<()> {
    while blockhash_counter() < counter {}
    connection
        .context()
        .await
        .warp_to_slot(slot + 1)
        .map_err(|error| anyhow::anyhow!("cannot restore the ledger's slot: {error:?}"))
}

pub struct EmbeddedLedger {
    dir: PathBuf,
    connection: BanksConnection,
    faucet: Keypair,
    saved: BTreeSet<Pubkey>,
}

fn is_runtime_owned(account: &Account) -> bool {
    account.executable
        || account.owner == solana_sdk::sysvar::ID
        || account.owner == solana_sdk::native_loader::ID
        || account.owner == anchor_lang::solana_program::bpf_loader_upgradeable::ID
}

impl EmbeddedLedger {
    /// Loads the ledger in `dir` (an empty one if the directory has none).
    /// `wallet` is the program's upgrade authority here: the embedded chain
    /// belongs to whoever runs it, so they may initialise its config.
    pub async fn open(dir: &Path, wallet: &Pubkey) -> Result<Self> {
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create ledger directory {}", dir.display()))?;
        let state = read_state(dir)?;
        let mut program_test = model_ledger_sdk::embedded::program_test(wallet)?;
        let mut saved = BTreeSet::new();
        for (address, account) in state.accounts {
            saved.insert(address);
            program_test.add_account(address, account);
        }
        let context = program_test.start_with_context().await;
        let faucet = context.payer.insecure_clone();
        let connection = BanksConnection::new(context);
        // A ledger saved before has a slot; a new one starts where program-test does.
        if state.slot > 0 {
            continue_chain(&connection, state.slot, state.blockhash_counter).await?;
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            connection,
            faucet,
            saved,
        })
    }

    /// Every address the ledger holds (as loaded at start).
    pub fn addresses(&self) -> impl Iterator<Item = &Pubkey> {
        self.saved.iter()
    }

    pub fn connection(&self) -> BanksConnection {
        self.connection.clone()
    }

    /// The runtime's faucet, funded anew at every start: it pays airdrops.
    pub fn faucet(&self) -> Keypair {
        self.faucet.insecure_clone()
    }

    /// The wallet used when no keypair is configured: created once, kept in the ledger.
    pub fn default_wallet(dir: &Path) -> Result<Keypair> {
        let path = dir.join(WALLET_FILE);
        if path.exists() {
            return solana_sdk::signature::read_keypair_file(&path)
                .map_err(|error| anyhow::anyhow!("cannot read {}: {error}", path.display()));
        }
        fs::create_dir_all(dir)?;
        let keypair = Keypair::new();
        solana_sdk::signature::write_keypair_file(&keypair, &path)
            .map_err(|error| anyhow::anyhow!("cannot write {}: {error}", path.display()))?;
        Ok(keypair)
    }

    /// Saves every account that was saved before or that `touched` names.
    pub async fn save(&self, touched: &BTreeSet<Pubkey>) -> Result<()> {
        let banks = self.connection.banks();
        let mut accounts = Vec::new();
        for address in self.saved.union(touched) {
            if let Some(account) = banks.get_account(*address).await? {
                if !is_runtime_owned(&account) {
                    accounts.push((*address, account));
                }
            }
        }
        let slot = banks.get_root_slot().await?;
        write_state(
            &self.dir,
            &State {
                slot,
                blockhash_counter: blockhash_counter(),
                accounts,
            },
        )
    }
}

fn read_state(dir: &Path) -> Result<State> {
    let path = dir.join(STATE_FILE);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", path.display())),
    };
    let corrupt = |reason: &str| {
        anyhow::anyhow!(
            "the embedded ledger {} is corrupt ({reason}); move it away to start a fresh one, or pass --ledger DIR",
            path.display()
        )
    };
    if bytes.len() < 8 + 4 + 32 || &bytes[..8] != MAGIC {
        return Err(corrupt("not a model-ledger state file"));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version != FORMAT_VERSION {
        bail!(corrupt(&format!(
            "format version {version}, expected {FORMAT_VERSION}"
        )));
    }
    let (payload, checksum) = bytes[12..].split_at(bytes.len() - 12 - 32);
    if Sha256::digest(payload).as_slice() != checksum {
        return Err(corrupt("checksum mismatch"));
    }
    bincode::deserialize(payload).map_err(|error| corrupt(&error.to_string()))
}

fn write_state(dir: &Path, state: &State) -> Result<()> {
    let payload = bincode::serialize(state)?;
    let mut bytes = Vec::with_capacity(payload.len() + 44);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&payload);
    bytes.extend_from_slice(&Sha256::digest(&payload));
    let path = dir.join(STATE_FILE);
    let temporary = dir.join(format!("{STATE_FILE}.tmp"));
    {
        let mut file = fs::File::create(&temporary)
            .with_context(|| format!("cannot write {}", temporary.display()))?;
        file.write_all(&bytes)?;
        file.sync_all()?;
    }
    fs::rename(&temporary, &path).with_context(|| format!("cannot replace {}", path.display()))?;
    if let Ok(directory) = fs::File::open(dir) {
        // Make the rename itself durable.
        let _ = directory.sync_all();
    }
    Ok(())
}
