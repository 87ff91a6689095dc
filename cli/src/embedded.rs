//! The embedded cluster: the program running natively inside a real Solana
//! runtime (solana-program-test, with the real token programs), whose
//! accounts persist in a ledger directory between commands, with a journal
//! of the program's transactions that the indexer follows.
//!
//! Each command loads the saved accounts into a fresh runtime, moves its
//! clock past the last saved slot, runs, and saves every account it touched.
//! Saving first appends the command's transactions to the journal, then
//! writes the state (which records how much of the journal it covers) to a
//! temporary file, syncs it and renames it over the old one: a crash leaves
//! either the old or the new state, never half of one, and a journal tail
//! that no state covers is cut off at the next start. Both files carry
//! checksums, so a damaged file is reported, never half-loaded.
#![allow(deprecated)] // solana-program-test 3.x flags its API "unstable" ahead of 4.0.

use std::{
    collections::{BTreeSet, HashMap},
    fs,
    io::{Read, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use anyhow::{bail, Context, Result};
use async_trait::async_trait;
use model_ledger_sdk::{
    client::{LedgerConnection, TransactionOutcome},
    embedded::BanksConnection,
    SdkError, PROGRAM_ID,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use solana_sdk::{
    account::Account, hash::Hash, pubkey::Pubkey, signature::Keypair, transaction::Transaction,
};

const MAGIC: &[u8; 8] = b"MLEDGER\0";
const FORMAT_VERSION: u32 = 2;

const STATE_FILE: &str = "state.bin";
const WALLET_FILE: &str = "wallet.json";
const JOURNAL_FILE: &str = "journal.bin";

#[derive(Serialize, Deserialize, Default)]
struct State {
    slot: u64,
    /// Where the runtime's blockhash sequence stopped (see [`continue_chain`]).
    blockhash_counter: u64,
    /// Names this ledger for the index (drawn when the ledger is created).
    ledger_id: String,
    /// Bytes and entries of the journal this state covers.
    journal_bytes: u64,
    journal_entries: u64,
    accounts: Vec<(Pubkey, Account)>,
}

/// Format 1 (before the journal).
#[derive(Deserialize)]
struct StateV1 {
    slot: u64,
    blockhash_counter: u64,
    accounts: Vec<(Pubkey, Account)>,
}

/// One transaction of the program, as the journal keeps it: what an RPC
/// node would return for it (signature, slot, the data of its event
/// instructions, as emitted).
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct JournalEntry {
    pub signature: String,
    pub slot: u64,
    pub events: Vec<Vec<u8>>,
}

impl JournalEntry {
    fn of(outcome: &TransactionOutcome) -> Self {
        Self {
            signature: outcome.signature.to_string(),
            slot: outcome.slot,
            events: outcome.events.iter().map(|event| event.encode()).collect(),
        }
    }
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

/// What a command did to the ledger, waiting to be saved.
#[derive(Default)]
struct Recorder {
    touched: Mutex<BTreeSet<Pubkey>>,
    journal: Mutex<Vec<JournalEntry>>,
}

/// The in-process runtime, recording every account a command touches and
/// every transaction of the program it lands, for the ledger to save.
#[derive(Clone)]
pub struct RecordingConnection {
    banks: BanksConnection,
    recorder: Arc<Recorder>,
}

impl RecordingConnection {
    pub fn banks(&self) -> &BanksConnection {
        &self.banks
    }

    fn touch(&self, keys: impl IntoIterator<Item = Pubkey>) {
        self.recorder
            .touched
            .lock()
            .expect("not poisoned")
            .extend(keys);
    }
}

#[async_trait]
impl LedgerConnection for RecordingConnection {
    async fn get_account(&self, address: &Pubkey) -> Result<Option<Account>, SdkError> {
        let account = self.banks.get_account(address).await?;
        if account.is_some() {
            self.touch([*address]);
        }
        Ok(account)
    }

    async fn latest_blockhash(&self) -> Result<Hash, SdkError> {
        self.banks.latest_blockhash().await
    }

    async fn blockhash_after(&self, used: &Hash) -> Result<Hash, SdkError> {
        self.banks.blockhash_after(used).await
    }

    async fn simulate(&self, transaction: &Transaction) -> Result<u64, SdkError> {
        self.banks.simulate(transaction).await
    }

    async fn send_transaction(
        &self,
        transaction: &Transaction,
    ) -> Result<TransactionOutcome, SdkError> {
        let keys = &transaction.message.account_keys;
        self.touch(keys.iter().copied());
        let outcome = self.banks.send_transaction(transaction).await?;
        // The program's transactions, as `getSignaturesForAddress` lists them.
        if keys.contains(&PROGRAM_ID) {
            self.recorder
                .journal
                .lock()
                .expect("not poisoned")
                .push(JournalEntry::of(&outcome));
        }
        Ok(outcome)
    }
}

pub struct EmbeddedLedger {
    /// Where it is saved (`None`: in memory only, as `bench` runs).
    dir: Option<PathBuf>,
    connection: RecordingConnection,
    faucet: Keypair,
    saved: BTreeSet<Pubkey>,
    ledger_id: String,
    journal: Mutex<(u64, u64)>,
}

fn is_runtime_owned(account: &Account) -> bool {
    account.executable
        || account.owner == solana_sdk::sysvar::ID
        || account.owner == solana_sdk::native_loader::ID
        || account.owner == anchor_lang::solana_program::bpf_loader_upgradeable::ID
}

/// Creates the ledger directory `dir` if missing; something else at that
/// path is named rather than reported as "File exists".
fn create_ledger_dir(dir: &Path) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        bail!(
            "the ledger {} is a file: --ledger names a directory, the embedded chain's ledger (created if missing)",
            dir.display()
        );
    }
    fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the ledger directory {}", dir.display()))
}

/// 128 random bits: two ledgers never share an index by accident.
fn new_ledger_id() -> String {
    model_ledger_sdk::hex::encode(&rand::random::<[u8; 16]>())
}

impl EmbeddedLedger {
    /// Loads the ledger in `dir` (an empty one if the directory has none).
    /// `wallet` is the program's upgrade authority here: the embedded chain
    /// belongs to whoever runs it, so they may initialise its config.
    pub async fn open(dir: &Path, wallet: &Pubkey) -> Result<Self> {
        create_ledger_dir(dir)?;
        let state = read_state(dir)?;
        let journal = dir.join(JOURNAL_FILE);
        let length = fs::metadata(&journal)
            .map(|metadata| metadata.len())
            .unwrap_or(0);
        if length < state.journal_bytes {
            bail!(
                "the embedded ledger's journal {} is shorter than its state says ({length} of {} bytes); move the ledger away to start a fresh one",
                journal.display(),
                state.journal_bytes
            );
        }
        if length > state.journal_bytes {
            // Transactions of a command that stopped before saving its
            // state: they are not in the state either, so they never were.
            fs::OpenOptions::new()
                .write(true)
                .open(&journal)
                .and_then(|file| file.set_len(state.journal_bytes))
                .with_context(|| format!("cannot cut {} back", journal.display()))?;
        }
        Self::start(Some(dir), state, wallet).await
    }

    /// A fresh ledger that lives in memory (`bench`), or is saved into `dir`
    /// when asked (`demo`).
    pub async fn fresh(dir: Option<&Path>, wallet: &Pubkey) -> Result<Self> {
        if let Some(dir) = dir {
            fs::create_dir_all(dir)
                .with_context(|| format!("cannot create ledger directory {}", dir.display()))?;
        }
        Self::start(dir, State::default(), wallet).await
    }

    async fn start(dir: Option<&Path>, state: State, wallet: &Pubkey) -> Result<Self> {
        let mut program_test = model_ledger_sdk::embedded::program_test(wallet)?;
        let mut saved = BTreeSet::new();
        for (address, account) in state.accounts {
            saved.insert(address);
            program_test.add_account(address, account);
        }
        let context = program_test.start_with_context().await;
        let faucet = context.payer.insecure_clone();
        let banks = BanksConnection::new(context);
        // A ledger saved before has a slot; a new one starts where program-test does.
        if state.slot > 0 {
            continue_chain(&banks, state.slot, state.blockhash_counter).await?;
        }
        Ok(Self {
            dir: dir.map(Path::to_path_buf),
            connection: RecordingConnection {
                banks,
                recorder: Arc::default(),
            },
            faucet,
            saved,
            ledger_id: if state.ledger_id.is_empty() {
                new_ledger_id()
            } else {
                state.ledger_id
            },
            journal: Mutex::new((state.journal_bytes, state.journal_entries)),
        })
    }

    /// Every address the ledger holds (as loaded at start).
    pub fn addresses(&self) -> impl Iterator<Item = &Pubkey> {
        self.saved.iter()
    }

    pub fn connection(&self) -> RecordingConnection {
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
        create_ledger_dir(dir)?;
        let keypair = Keypair::new();
        Self::write_wallet(dir, &keypair)?;
        Ok(keypair)
    }

    /// Makes `keypair` the ledger's default wallet.
    pub fn write_wallet(dir: &Path, keypair: &Keypair) -> Result<()> {
        let path = dir.join(WALLET_FILE);
        solana_sdk::signature::write_keypair_file(keypair, &path)
            .map_err(|error| anyhow::anyhow!("cannot write {}: {error}", path.display()))?;
        Ok(())
    }

    /// The encoded events of a transaction this ledger landed and saved,
    /// found by its signature in the journal (`None`: not one of its own).
    pub fn events_of(&self, signature: &str) -> Result<Option<Vec<Vec<u8>>>> {
        let Some(dir) = &self.dir else {
            return Ok(None);
        };
        Ok(SavedLedger::read(dir)?
            .journal_from(0)?
            .into_iter()
            .find(|(entry, _)| entry.signature == signature)
            .map(|(entry, _)| entry.events))
    }

    /// Saves every account that was saved before or that the command
    /// touched, after the command's transactions have joined the journal.
    pub async fn save(&self) -> Result<()> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        let recorder = &self.connection.recorder;
        let touched = recorder.touched.lock().expect("not poisoned").clone();
        let banks = self.connection.banks.banks();
        let mut accounts = Vec::new();
        for address in self.saved.union(&touched) {
            if let Some(account) = banks.get_account(*address).await? {
                if !is_runtime_owned(&account) {
                    accounts.push((*address, account));
                }
            }
        }
        let slot = banks.get_root_slot().await?;
        let pending: Vec<JournalEntry> =
            std::mem::take(&mut *recorder.journal.lock().expect("not poisoned"));
        let mut journal = self.journal.lock().expect("not poisoned");
        let (bytes, entries) = append_journal(dir, journal.0, &pending)?;
        *journal = (bytes, journal.1 + entries);
        write_state(
            dir,
            &State {
                slot,
                blockhash_counter: blockhash_counter(),
                ledger_id: self.ledger_id.clone(),
                journal_bytes: journal.0,
                journal_entries: journal.1,
                accounts,
            },
        )
    }
}

/// The ledger in `dir` as its last command saved it, read without starting
/// a runtime: what the indexer follows and verifies against.
pub struct SavedLedger {
    dir: PathBuf,
    state: State,
}

impl SavedLedger {
    pub fn read(dir: &Path) -> Result<Self> {
        if !dir.join(STATE_FILE).exists() {
            bail!(
                "{} holds no embedded ledger (run a command on it first, or `demo`)",
                dir.display()
            );
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            state: read_state(dir)?,
        })
    }

    /// Names the ledger for the index.
    pub fn cluster(&self) -> String {
        format!("embedded:{}", self.state.ledger_id)
    }

    /// The saved accounts, by address.
    pub fn accounts(&self) -> HashMap<Pubkey, Account> {
        self.state.accounts.iter().cloned().collect()
    }

    /// The journal entries after the first `skip_bytes` bytes, up to what
    /// the state covers, each with the byte offset after it.
    pub fn journal_from(&self, skip_bytes: u64) -> Result<Vec<(JournalEntry, u64)>> {
        let path = self.dir.join(JOURNAL_FILE);
        let corrupt = |reason: String| {
            anyhow::anyhow!(
                "the embedded ledger's journal {} is damaged ({reason}); move the ledger away to start a fresh one",
                path.display()
            )
        };
        let end = self.state.journal_bytes;
        if skip_bytes > end {
            return Err(corrupt(format!(
                "the index has read {skip_bytes} bytes of a {end}-byte journal: is it another ledger's?"
            )));
        }
        if end == 0 {
            return Ok(Vec::new());
        }
        let mut file =
            fs::File::open(&path).with_context(|| format!("cannot read {}", path.display()))?;
        file.seek(SeekFrom::Start(skip_bytes))?;
        let mut bytes = vec![0u8; (end - skip_bytes) as usize];
        file.read_exact(&mut bytes)
            .map_err(|error| corrupt(error.to_string()))?;
        let mut entries = Vec::new();
        let mut at = 0usize;
        while at < bytes.len() {
            let header: [u8; 4] = bytes
                .get(at..at + 4)
                .and_then(|slice| slice.try_into().ok())
                .ok_or_else(|| {
                    corrupt(format!("a record cut at byte {}", skip_bytes as usize + at))
                })?;
            let length = u32::from_le_bytes(header) as usize;
            let payload = bytes.get(at + 4..at + 4 + length).ok_or_else(|| {
                corrupt(format!("a record cut at byte {}", skip_bytes as usize + at))
            })?;
            let checksum = bytes
                .get(at + 4 + length..at + 4 + length + 32)
                .ok_or_else(|| {
                    corrupt(format!("a record cut at byte {}", skip_bytes as usize + at))
                })?;
            if Sha256::digest(payload).as_slice() != checksum {
                return Err(corrupt(format!(
                    "checksum mismatch at byte {}",
                    skip_bytes as usize + at
                )));
            }
            let entry: JournalEntry =
                bincode::deserialize(payload).map_err(|error| corrupt(error.to_string()))?;
            at += 4 + length + 32;
            entries.push((entry, skip_bytes + at as u64));
        }
        Ok(entries)
    }
}

/// Appends `entries` at `offset` (the journal's committed length) and syncs;
/// returns the new length and how many were appended.
fn append_journal(dir: &Path, offset: u64, entries: &[JournalEntry]) -> Result<(u64, u64)> {
    if entries.is_empty() {
        return Ok((offset, 0));
    }
    let path = dir.join(JOURNAL_FILE);
    let mut bytes = Vec::new();
    for entry in entries {
        let payload = bincode::serialize(entry)?;
        bytes.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&payload);
        bytes.extend_from_slice(&Sha256::digest(&payload));
    }
    let mut file = fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    Ok((offset + bytes.len() as u64, entries.len() as u64))
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
    let (payload, checksum) = bytes[12..].split_at(bytes.len() - 12 - 32);
    if Sha256::digest(payload).as_slice() != checksum {
        return Err(corrupt("checksum mismatch"));
    }
    match version {
        FORMAT_VERSION => {
            bincode::deserialize(payload).map_err(|error| corrupt(&error.to_string()))
        }
        // A ledger saved before the journal existed: its history is not
        // journaled, its state carries on.
        1 => {
            let old: StateV1 =
                bincode::deserialize(payload).map_err(|error| corrupt(&error.to_string()))?;
            Ok(State {
                slot: old.slot,
                blockhash_counter: old.blockhash_counter,
                accounts: old.accounts,
                ..State::default()
            })
        }
        other => Err(corrupt(&format!(
            "format version {other}, expected {FORMAT_VERSION}"
        ))),
    }
}

fn write_state(dir: &Path, state: &State) -> Result<()> {
    let payload = bincode::serialize(state)?;
    let mut bytes = Vec::with_capacity(payload.len() + 44);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&payload);
    bytes.extend_from_slice(&Sha256::digest(&payload));
    crate::files::replace_whole(&dir.join(STATE_FILE), &bytes)
}
