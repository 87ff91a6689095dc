//! Signers as the `solana` CLI takes them, wherever a keypair is asked for
//! (`--keypair`, `--fee-payer`, `--nonce-authority`, the Solana CLI config's
//! `keypair_path`):
//!
//! | source | what it is |
//! |---|---|
//! | `PATH` or `file:PATH` | a keypair file (a JSON array of 64 bytes) |
//! | `prompt://` | a seed phrase (and passphrase), asked for on the terminal; `?key=0/0` derives `m/44'/501'/0'/0'` (wallets' accounts), `?full-path=m/…` any path; with neither, `m/44'/501'` as `solana-keygen` |
//! | `ASK` | the legacy form of `prompt:`: the seed is the BIP-39 seed itself, no derivation |
//! | `stdin` or `-` | a keypair file's JSON read from standard input |
//! | `usb://ledger[/BASE_PUBKEY][?key=…]` | a Ledger (Solana app), through `solana-remote-wallet` |
//! | `PUBKEY` | a key whose signature comes from `--signer PUBKEY=SIGNATURE`, or that signs later (`--sign-only`: an absent signer) |
//!
//! Signatures made elsewhere come as `--signer PUBKEY=SIGNATURE` (presigners),
//! which is how several parties sign one transaction: each signs with
//! `--sign-only`, and the transaction is sent by the same command with every
//! signature given.

use std::{
    io::{BufRead, IsTerminal, Write},
    path::{Path, PathBuf},
    rc::Rc,
    str::FromStr,
};

use anyhow::{anyhow, bail, Context, Result};
use bip39::{Language, Mnemonic, Seed};
use solana_derivation_path::DerivationPath;
use solana_keypair::{
    keypair_from_seed, read_keypair, read_keypair_file,
    seed_derivable::keypair_from_seed_and_derivation_path, Keypair,
};
use solana_presigner::Presigner;
use solana_remote_wallet::{
    locator::Locator,
    remote_keypair::generate_remote_keypair,
    remote_wallet::{maybe_wallet_manager, RemoteWalletError, RemoteWalletManager},
};
use solana_sdk::{
    pubkey::Pubkey,
    signature::{NullSigner, Signature},
    signer::Signer,
};
use uriparse::URIReference;

/// Where a signer comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum SignerSource {
    File(PathBuf),
    /// A seed phrase from the terminal; `legacy` is `ASK`'s derivation.
    Prompt {
        derivation: Option<DerivationPath>,
        legacy: bool,
    },
    Stdin,
    Usb {
        locator: Locator,
        derivation: Option<DerivationPath>,
    },
    /// Only a public key: its signature is a presigner's, or absent.
    Pubkey(Pubkey),
}

impl FromStr for SignerSource {
    type Err = anyhow::Error;

    /// Reads a source the way `solana` does (`solana-clap-utils`'
    /// `parse_signer_source`): a URI scheme decides, else a public key, else
    /// a file path that must exist.
    fn from_str(source: &str) -> Result<Self> {
        let named = |what: &str| anyhow!("{source:?} is not a signer: {what}");
        match source {
            "ASK" => {
                return Ok(SignerSource::Prompt {
                    derivation: None,
                    legacy: true,
                })
            }
            "-" | "stdin" => return Ok(SignerSource::Stdin),
            _ => {}
        }
        if let Ok(uri) = URIReference::try_from(source) {
            if let Some(scheme) = uri.scheme() {
                match scheme.as_str().to_ascii_lowercase().as_str() {
                    "prompt" => {
                        let derivation = DerivationPath::from_uri_any_query(&uri)
                            .map_err(|error| named(&error.to_string()))?;
                        return Ok(SignerSource::Prompt {
                            derivation,
                            legacy: false,
                        });
                    }
                    "file" => return Ok(SignerSource::File(PathBuf::from(uri.path().to_string()))),
                    "stdin" => return Ok(SignerSource::Stdin),
                    "usb" => {
                        let locator = Locator::new_from_uri(&uri).map_err(|error| {
                            named(&format!("{error} (a Ledger is usb://ledger)"))
                        })?;
                        let derivation = DerivationPath::from_uri_key_query(&uri)
                            .map_err(|error| named(&error.to_string()))?;
                        return Ok(SignerSource::Usb {
                            locator,
                            derivation,
                        });
                    }
                    // One letter is a Windows drive (C:\…), not a scheme.
                    other if other.len() > 1 => {
                        return Err(named(&format!(
                            "unknown scheme {other}: (a keypair file, prompt://, stdin, usb://ledger or a public key)"
                        )))
                    }
                    _ => {}
                }
            }
        }
        if let Ok(pubkey) = Pubkey::from_str(source) {
            return Ok(SignerSource::Pubkey(pubkey));
        }
        Ok(SignerSource::File(PathBuf::from(source)))
    }
}

/// Refuses two signers that would both read standard input (a keypair's
/// JSON, or a seed phrase piped in), before either reads it.
pub fn require_one_stdin_reader(sources: &[(Option<&SignerSource>, &str)]) -> Result<()> {
    let piped = !std::io::stdin().is_terminal();
    let readers: Vec<&str> = sources
        .iter()
        .filter(|(source, _)| match source {
            Some(SignerSource::Stdin) => true,
            Some(SignerSource::Prompt { .. }) => piped,
            _ => false,
        })
        .map(|(_, name)| *name)
        .collect();
    if let [first, second, ..] = readers.as_slice() {
        bail!(
            "the {first} and the {second} both read standard input: give one of them another way"
        );
    }
    Ok(())
}

/// `PUBKEY=SIGNATURE`, as `--signer` takes it.
pub fn parse_presigner(text: &str) -> std::result::Result<Presigner, String> {
    let (pubkey, signature) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not PUBKEY=SIGNATURE"))?;
    let pubkey = Pubkey::from_str(pubkey.trim())
        .map_err(|_| format!("{pubkey:?} (before the =) is not a public key"))?;
    let signature = Signature::from_str(signature.trim())
        .map_err(|_| format!("{signature:?} (after the =) is not a signature"))?;
    Ok(Presigner::new(&pubkey, &signature))
}

/// Turns sources into signers for one command: presigners given with
/// `--signer`, and a Ledger opened once however many signers it provides
/// (standard input is read by one signer at most:
/// [`require_one_stdin_reader`]).
pub struct Signers {
    presigners: Vec<Presigner>,
    sign_only: bool,
    wallet_manager: Option<Rc<RemoteWalletManager>>,
}

impl Signers {
    pub fn new(presigners: Vec<Presigner>, sign_only: bool) -> Self {
        Self {
            presigners,
            sign_only,
            wallet_manager: None,
        }
    }

    /// The signer `source` names; `name` says which role it plays in
    /// prompts and errors ("keypair", "fee payer"…).
    pub fn resolve(&mut self, source: &SignerSource, name: &str) -> Result<Rc<dyn Signer>> {
        Ok(match source {
            SignerSource::File(path) => Rc::new(read_keypair_at(path, name)?),
            SignerSource::Stdin => Rc::new(
                read_keypair(&mut std::io::stdin().lock()).map_err(|error| {
                    anyhow!("cannot read the {name} from standard input (a keypair file's JSON): {error}")
                })?,
            ),
            SignerSource::Prompt { derivation, legacy } => {
                Rc::new(keypair_from_seed_phrase(name, derivation.clone(), *legacy)?)
            }
            SignerSource::Usb {
                locator,
                derivation,
            } => Rc::new(self.ledger(locator, derivation.clone(), name)?),
            SignerSource::Pubkey(pubkey) => self.presigned(pubkey, name)?,
        })
    }

    /// The signature `--signer` gave for `pubkey`, or (`--sign-only`) an
    /// absent signer that signs later.
    fn presigned(&self, pubkey: &Pubkey, name: &str) -> Result<Rc<dyn Signer>> {
        if let Some(presigner) = self.presigners.iter().find(|p| p.pubkey() == *pubkey) {
            return Ok(Rc::new(presigner.clone()));
        }
        if self.sign_only {
            return Ok(Rc::new(NullSigner::new(pubkey)));
        }
        bail!(
            "the {name} {pubkey} is a public key only: give its keypair, or its signature with --signer {pubkey}=SIGNATURE (what --sign-only printed)"
        )
    }

    /// Every presigner given, for transactions to take the signatures they need.
    pub fn presigners(&self) -> impl Iterator<Item = &Presigner> {
        self.presigners.iter()
    }

    fn ledger(
        &mut self,
        locator: &Locator,
        derivation: Option<DerivationPath>,
        name: &str,
    ) -> Result<solana_remote_wallet::remote_keypair::RemoteKeypair> {
        let no_ledger = |reason: String| {
            anyhow!(
                "no Ledger was found for the {name} ({locator}): connect it, unlock it and open its Solana app{reason}"
            )
        };
        if self.wallet_manager.is_none() {
            self.wallet_manager = match maybe_wallet_manager() {
                Ok(manager) => manager,
                Err(error) => return Err(no_ledger(format!(" (USB: {error})"))),
            };
        }
        let Some(manager) = &self.wallet_manager else {
            return Err(no_ledger(String::new()));
        };
        generate_remote_keypair(
            locator.clone(),
            derivation.unwrap_or_default(),
            manager,
            false,
            name,
        )
        .map_err(|error| match error {
            RemoteWalletError::NoDeviceFound => no_ledger(String::new()),
            RemoteWalletError::PubkeyNotFound => {
                anyhow!("the Ledger with base key {locator} is not connected ({name})")
            }
            other => anyhow!("the Ledger ({name}, {locator}): {other}"),
        })
    }
}

fn read_keypair_at(path: &Path, name: &str) -> Result<Keypair> {
    read_keypair_file(path).map_err(|error| {
        if !path.exists() {
            anyhow!(
                "the {name} {} does not exist: give a keypair file, prompt://, stdin, usb://ledger or a public key",
                path.display()
            )
        } else {
            anyhow!("cannot read the {name} {}: {error}", path.display())
        }
    })
}

/// Reads a line from the terminal without echo, or from standard input
/// when it is not a terminal (scripts pipe the seed phrase in).
fn ask(prompt: &str) -> Result<String> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(prompt).context("cannot read from the terminal");
    }
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read standard input")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

/// A keypair from a BIP-39 seed phrase, as `solana` derives it: checked
/// against every BIP-39 word list, the passphrase asked for next, then the
/// derivation path (`m/44'/501'` by default; `ASK` takes the seed itself).
fn keypair_from_seed_phrase(
    name: &str,
    derivation: Option<DerivationPath>,
    legacy: bool,
) -> Result<Keypair> {
    let phrase = ask(&format!("[{name}] seed phrase: "))?;
    let words = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
    let mnemonic = [
        Language::English,
        Language::ChineseSimplified,
        Language::ChineseTraditional,
        Language::Japanese,
        Language::Spanish,
        Language::Korean,
        Language::French,
        Language::Italian,
    ]
    .iter()
    .find_map(|language| Mnemonic::from_phrase(&words, *language).ok())
    .ok_or_else(|| {
        anyhow!(
            "the {name}'s seed phrase is not a BIP-39 phrase ({} words; a word or its checksum is wrong)",
            words.split(' ').filter(|word| !word.is_empty()).count()
        )
    })?;
    let passphrase = ask(&format!(
        "[{name}] If this seed phrase has an associated passphrase, enter it now. Otherwise, press ENTER to continue: "
    ))?;
    let seed = Seed::new(&mnemonic, &passphrase);
    let keypair = if legacy {
        keypair_from_seed(seed.as_bytes())
    } else {
        keypair_from_seed_and_derivation_path(seed.as_bytes(), derivation)
    };
    keypair.map_err(|error| anyhow!("cannot derive the {name} from its seed phrase: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_read_as_solana_reads_them() {
        let key = Pubkey::new_unique();
        assert_eq!(
            "usb://ledger".parse::<SignerSource>().unwrap(),
            SignerSource::Usb {
                locator: Locator::new_from_path("usb://ledger").unwrap(),
                derivation: None
            }
        );
        let SignerSource::Usb { derivation, .. } = "usb://ledger?key=0/1".parse().unwrap() else {
            panic!("a Ledger")
        };
        assert_eq!(
            derivation,
            Some(DerivationPath::new_bip44(Some(0), Some(1)))
        );
        assert_eq!(
            "prompt://?key=0/0".parse::<SignerSource>().unwrap(),
            SignerSource::Prompt {
                derivation: Some(DerivationPath::new_bip44(Some(0), Some(0))),
                legacy: false
            }
        );
        assert_eq!(
            "prompt://".parse::<SignerSource>().unwrap(),
            SignerSource::Prompt {
                derivation: None,
                legacy: false
            }
        );
        assert!(matches!(
            "ASK".parse::<SignerSource>().unwrap(),
            SignerSource::Prompt { legacy: true, .. }
        ));
        assert_eq!(
            "stdin".parse::<SignerSource>().unwrap(),
            SignerSource::Stdin
        );
        assert_eq!("-".parse::<SignerSource>().unwrap(), SignerSource::Stdin);
        assert_eq!(
            key.to_string().parse::<SignerSource>().unwrap(),
            SignerSource::Pubkey(key)
        );
        assert_eq!(
            "file:/keys/id.json".parse::<SignerSource>().unwrap(),
            SignerSource::File("/keys/id.json".into())
        );
        assert_eq!(
            "keys/id.json".parse::<SignerSource>().unwrap(),
            SignerSource::File("keys/id.json".into())
        );
        let error = "usb://trezor"
            .parse::<SignerSource>()
            .unwrap_err()
            .to_string();
        assert!(error.contains("usb://trezor"), "{error}");
        let error = "http://x".parse::<SignerSource>().unwrap_err().to_string();
        assert!(error.contains("unknown scheme http"), "{error}");
    }

    #[test]
    fn presigners_are_pubkey_equals_signature() {
        let keypair = Keypair::new();
        let signature = keypair.sign_message(b"message");
        let presigner = parse_presigner(&format!("{}={signature}", keypair.pubkey())).unwrap();
        assert_eq!(presigner.pubkey(), keypair.pubkey());
        assert_eq!(presigner.try_sign_message(b"message").unwrap(), signature);
        assert!(presigner.try_sign_message(b"another").is_err());
        assert!(parse_presigner("nothing")
            .unwrap_err()
            .contains("PUBKEY=SIGNATURE"));
        assert!(parse_presigner(&format!("{}=x", keypair.pubkey()))
            .unwrap_err()
            .contains("not a signature"));
    }

    #[test]
    fn a_public_key_signs_later_only_with_sign_only() {
        let key = Pubkey::new_unique();
        let mut offline = Signers::new(vec![], true);
        let absent = offline
            .resolve(&SignerSource::Pubkey(key), "fee payer")
            .unwrap();
        assert_eq!(absent.pubkey(), key);
        let mut online = Signers::new(vec![], false);
        let error = online
            .resolve(&SignerSource::Pubkey(key), "fee payer")
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("--signer"), "{error}");
    }
}
