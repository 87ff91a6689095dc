//! Human output by default, JSON for scripts.

use std::{
    fs::File,
    io::Write,
    sync::{Mutex, OnceLock},
};

use clap::ValueEnum;
use model_ledger_sdk::hex::NotHash;
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

/// Results held back while a command runs with `--sign-only`: if it signs
/// anything, what it signed is its result instead (one document).
static HELD: Mutex<Option<Vec<String>>> = Mutex::new(None);

/// Holds every result from now on, until [`release`].
pub fn hold() {
    *HELD.lock().expect("not poisoned") = Some(Vec::new());
}

/// Ends [`hold`]: prints `instead` if given, else what was held.
pub fn release(instead: Option<String>) {
    let held = HELD
        .lock()
        .expect("not poisoned")
        .take()
        .unwrap_or_default();
    match instead {
        Some(text) => write_out(&text),
        None => held.iter().for_each(|text| write_out(text)),
    }
}

/// Writes one result to the reserved standard output (or holds it).
pub fn emit(text: &str) {
    if let Some(held) = HELD.lock().expect("not poisoned").as_mut() {
        held.push(text.to_string());
        return;
    }
    write_out(text);
}

fn write_out(text: &str) {
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

pub use model_ledger_sdk::hex::encode as hex;

/// Parses 64 hex digits (blanks around them allowed).
pub fn parse_hash(text: &str) -> anyhow::Result<[u8; 32]> {
    let text = text.trim();
    model_ledger_sdk::hex::decode32(text).map_err(|reason| match reason {
        NotHash::Length(length) => {
            anyhow::anyhow!("a hash is 64 hex digits, got {length} characters")
        }
        NotHash::NotHex => anyhow::anyhow!("not a hex hash: {text}"),
    })
}

pub use model_ledger_sdk::display::tokens;

/// A unix time as people read it: `2026-12-06T09:30:00Z` (UTC).
pub fn date(unix_seconds: i64) -> String {
    match u64::try_from(unix_seconds) {
        Ok(seconds) => humantime::format_rfc3339_seconds(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds),
        )
        .to_string(),
        Err(_) => format!("{unix_seconds} seconds before 1970"),
    }
}

/// Adds, beside each base-unit amount `key` of `json`, `key_ui`: the same
/// amount in tokens as a decimal string. Scripts keep exact base units;
/// people and spreadsheets read tokens.
pub fn with_ui_amounts(mut json: Value, keys: &[&str], decimals: u8) -> Value {
    if let Some(fields) = json.as_object_mut() {
        for key in keys {
            let amount = match &fields.get(*key) {
                Some(Value::Number(number)) => number.as_u128(),
                _ => None,
            };
            if let Some(amount) = amount {
                fields.insert(format!("{key}_ui"), Value::String(tokens(amount, decimals)));
            }
        }
        fields.insert("decimals".into(), Value::from(decimals));
    }
    json
}

/// A token amount as a user types it: whole tokens with an optional
/// fraction (`12`, `0.5`, `0.000001`), turned into base units once the
/// mint's decimals are known. In a licence file: a string, or an integer
/// number of whole tokens (never a float, which would round).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenAmount(String);

impl std::str::FromStr for TokenAmount {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.starts_with('-') {
            return Err(format!(
                "{text:?} is negative: an amount of tokens is 0 or more, e.g. 12 or 0.25"
            ));
        }
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) || text.ends_with('.') {
            return Err(format!(
                "{text:?} is not a token amount: write whole tokens with an optional fraction, e.g. 12 or 0.25"
            ));
        }
        Ok(Self(text.to_string()))
    }
}

impl std::fmt::Display for TokenAmount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "0" } else { &self.0 })
    }
}

impl<'de> serde::Deserialize<'de> for TokenAmount {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(text) => text.parse().map_err(serde::de::Error::custom),
            Value::Number(number) if number.is_u64() => Ok(Self(number.to_string())),
            other => Err(serde::de::Error::custom(format!(
                "{other} is not a token amount: write a string such as \"0.25\" or a whole number of tokens"
            ))),
        }
    }
}

impl TokenAmount {
    /// The amount in base units of a mint with `decimals`; refuses a
    /// fraction finer than one base unit, or an amount beyond u64.
    pub fn base_units(&self, decimals: u8) -> anyhow::Result<u64> {
        let text = self.to_string();
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        anyhow::ensure!(
            fraction.len() <= usize::from(decimals),
            "{text}: the mint has {decimals} decimals, so an amount has at most {decimals} digits after the point"
        );
        let too_large = || anyhow::anyhow!("{text} tokens is more than a token account can hold");
        // The digits with the point moved by `decimals`, whatever the
        // mint's decimals (up to 255): no power of ten that could overflow.
        let digits = format!("{whole}{fraction:0<width$}", width = usize::from(decimals));
        let significant = digits.trim_start_matches('0');
        if significant.is_empty() {
            return Ok(0);
        }
        significant.parse().map_err(|_| too_large())
    }
}

/// A spinner with a message on standard error for long work, hidden for
/// `--output json` (scripts read standard output only).
pub fn progress(format: OutputFormat, what: &str) -> indicatif::ProgressBar {
    let bar = match format {
        OutputFormat::Json => indicatif::ProgressBar::hidden(),
        OutputFormat::Human => indicatif::ProgressBar::new_spinner(),
    };
    bar.set_prefix(what.to_string());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {prefix}: {msg}").expect("template"),
    );
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_amounts_round_trip_through_base_units() {
        let amount = |text: &str| text.parse::<TokenAmount>().unwrap();
        assert_eq!(amount("10.611417").base_units(6).unwrap(), 10_611_417);
        assert_eq!(amount("0.5").base_units(6).unwrap(), 500_000);
        assert_eq!(amount("12").base_units(0).unwrap(), 12);
        assert_eq!(tokens(10_611_417u64, 6), "10.611417");
        assert_eq!(tokens(12u64, 0), "12");
        let finer = amount("0.0000001").base_units(6).unwrap_err().to_string();
        assert!(finer.contains("at most 6 digits"), "{finer}");
        let huge = amount("18446744073709.551616").base_units(6).unwrap_err();
        assert!(huge.to_string().contains("more than"), "{huge}");
        for bad in ["", ".5", "1.", "1e3", "-1", "1,5", "abc"] {
            assert!(bad.parse::<TokenAmount>().is_err(), "{bad:?} accepted");
        }
        let json = with_ui_amounts(
            serde_json::json!({ "claimable": 1_500_000u64 }),
            &["claimable"],
            6,
        );
        assert_eq!(json["claimable"], 1_500_000);
        assert_eq!(json["claimable_ui"], "1.500000");
    }

    /// A mint may have any decimals from 0 to 255 (SPL Token stores a u8):
    /// amounts of every one are shown and typed back exactly, never a panic.
    #[test]
    fn every_decimals_a_mint_may_have_round_trip() {
        for decimals in 0..=u8::MAX {
            for base_units in [0u64, 1, 7, 1_000_001, u64::MAX] {
                let shown = tokens(base_units, decimals);
                let typed: TokenAmount = shown.parse().unwrap();
                assert_eq!(typed.base_units(decimals).unwrap(), base_units, "{shown}");
            }
        }
        let too_large = "1"
            .parse::<TokenAmount>()
            .unwrap()
            .base_units(40)
            .unwrap_err();
        assert!(too_large.to_string().contains("more than"), "{too_large}");
    }
}
