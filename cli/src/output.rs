//! Human output by default, JSON for scripts.

use std::{
    fs::File,
    io::Write,
    sync::{Mutex, OnceLock},
};

use clap::ValueEnum;
use serde_json::Value;

static RESULTS: OnceLock<Mutex<File>> = OnceLock::new();

/// Keeps standard output for this tool's results alone. The in-process
/// runtime prints every program log line to standard output (solana-msg's
/// native fallback); those lines would corrupt `--output json`, so the real
/// standard output is set aside for results and file descriptor 1 is pointed
/// at standard error (with MODEL_LEDGER_PROGRAM_LOGS=1) or /dev/null.
pub fn reserve_stdout() {
    #[cfg(unix)]
    {
        use std::os::fd::{AsRawFd, FromRawFd};
        // SAFETY: plain descriptor duplication at start-up, before any other
        // thread writes to standard output.
        unsafe {
            let results = libc::dup(1);
            if results < 0 {
                return;
            }
            let sink = if std::env::var_os("MODEL_LEDGER_PROGRAM_LOGS").is_some() {
                2
            } else {
                match File::options().write(true).open("/dev/null") {
                    Ok(null) => {
                        let fd = null.as_raw_fd();
                        libc::dup2(fd, 1);
                        let _ = RESULTS.set(Mutex::new(File::from_raw_fd(results)));
                        return;
                    }
                    Err(_) => 2,
                }
            };
            libc::dup2(sink, 1);
            let _ = RESULTS.set(Mutex::new(File::from_raw_fd(results)));
        }
    }
}

/// Writes one result to the reserved standard output.
pub fn emit(text: &str) {
    match RESULTS.get() {
        Some(file) => {
            let mut file = file.lock().expect("not poisoned");
            let _ = writeln!(file, "{text}");
            let _ = file.flush();
        }
        None => println!("{text}"),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
}

impl OutputFormat {
    /// Prints `human()` or the JSON value, whichever the user asked for.
    pub fn print(self, json: Value, human: impl FnOnce() -> String) {
        match self {
            OutputFormat::Json => emit(&serde_json::to_string_pretty(&json).expect("JSON value")),
            OutputFormat::Human => emit(&human()),
        }
    }
}

/// Hex of a 32-byte hash.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Parses 64 hex digits.
pub fn parse_hash(text: &str) -> anyhow::Result<[u8; 32]> {
    let text = text.trim();
    anyhow::ensure!(
        text.len() == 64,
        "a hash is 64 hex digits, got {} characters",
        text.len()
    );
    let mut hash = [0u8; 32];
    for (i, byte) in hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)
            .map_err(|_| anyhow::anyhow!("not a hex hash: {text}"))?;
    }
    Ok(hash)
}

/// Token amount in base units, shown with the mint's decimals.
pub fn tokens(amount: u64, decimals: u8) -> String {
    let scale = 10u64.pow(u32::from(decimals));
    if decimals == 0 {
        return amount.to_string();
    }
    format!(
        "{}.{:0width$}",
        amount / scale,
        amount % scale,
        width = usize::from(decimals)
    )
}
