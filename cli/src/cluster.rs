//! Which cluster and which keypair, resolved the way the `solana` CLI does:
//! flags first, then the Solana CLI config file, then (here) the embedded
//! cluster and its own wallet. A flag that names the embedded chain
//! (`--ledger`, `-u embedded`) always wins over the config file, so a
//! developer's `config.yml` never sends a command to a cluster nobody named.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Where commands run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cluster {
    Embedded,
    Rpc(String),
}

impl std::fmt::Display for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cluster::Embedded => f.write_str("the embedded chain"),
            Cluster::Rpc(url) => f.write_str(url),
        }
    }
}

/// `-u` values: the Solana monikers, `embedded`, or an http(s) URL; anything
/// else is refused by name (a misspelt moniker would otherwise be tried as
/// a URL and fail with the HTTP client's "builder error").
pub fn parse_url(value: &str) -> Result<Cluster, String> {
    Ok(match value {
        "embedded" => Cluster::Embedded,
        "m" | "mainnet-beta" => Cluster::Rpc("https://api.mainnet-beta.solana.com".into()),
        "d" | "devnet" => Cluster::Rpc("https://api.devnet.solana.com".into()),
        "t" | "testnet" => Cluster::Rpc("https://api.testnet.solana.com".into()),
        "l" | "localhost" => Cluster::Rpc("http://localhost:8899".into()),
        url => {
            let host = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"))
                .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
            match host {
                Some(host) if !host.is_empty() && !host.starts_with(':') => {
                    Cluster::Rpc(url.to_string())
                }
                _ => {
                    return Err(format!(
                        "{url:?} is not a cluster: say mainnet-beta (m), devnet (d), testnet (t), localhost (l), embedded, or an http:// or https:// RPC URL"
                    ))
                }
            }
        }
    })
}

/// Where the cluster a command uses was named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `-u`/`--url`.
    UrlFlag,
    /// `--ledger`: the embedded chain in that directory.
    LedgerFlag,
    /// The Solana CLI config file at this path.
    ConfigFile(PathBuf),
    /// Nothing named one: the embedded chain.
    Default,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::UrlFlag => f.write_str("named by -u"),
            Origin::LedgerFlag => f.write_str("named by --ledger"),
            Origin::ConfigFile(path) => write!(f, "from the Solana CLI config {}", path.display()),
            Origin::Default => f.write_str("no cluster named"),
        }
    }
}

/// The rules, in order: `-u` names the cluster (with `--ledger` only when
/// it is `embedded`); else `--ledger` names the embedded chain; else the
/// config file's `json_rpc_url`; else the embedded chain.
pub fn choose(
    url: Option<&Cluster>,
    ledger_named: bool,
    config: Option<(&Path, &SolanaConfig)>,
) -> Result<(Cluster, Origin)> {
    match (url, ledger_named) {
        (Some(Cluster::Rpc(url)), true) => {
            anyhow::bail!("--ledger names the embedded chain and -u names {url}: give one of them")
        }
        (Some(cluster), _) => return Ok((cluster.clone(), Origin::UrlFlag)),
        (None, true) => return Ok((Cluster::Embedded, Origin::LedgerFlag)),
        (None, false) => {}
    }
    if let Some((path, config)) = config {
        if let Some(url) = &config.json_rpc_url {
            let cluster = parse_url(url).map_err(|reason| {
                anyhow::anyhow!("json_rpc_url in {}: {reason}", path.display())
            })?;
            return Ok((cluster, Origin::ConfigFile(path.to_path_buf())));
        }
    }
    Ok((Cluster::Embedded, Origin::Default))
}

/// The two settings this tool reads from the Solana CLI config.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SolanaConfig {
    pub json_rpc_url: Option<String>,
    pub keypair_path: Option<PathBuf>,
}

/// The Solana CLI's default config file, `~/.config/solana/cli/config.yml`.
pub fn default_config_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| Path::new(&home).join(".config/solana/cli/config.yml"))
}

/// Reads the flat `key: value` YAML the Solana CLI writes; `None` if there is no file.
pub fn read_solana_config(path: &Path) -> Result<Option<SolanaConfig>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut config = SolanaConfig::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value
            .trim()
            .trim_matches(|c| c == '"' || c == '\'')
            .to_string();
        match key.trim() {
            "json_rpc_url" if !value.is_empty() => config.json_rpc_url = Some(value),
            "keypair_path" if !value.is_empty() => config.keypair_path = Some(PathBuf::from(value)),
            _ => {}
        }
    }
    Ok(Some(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monikers_resolve_like_the_solana_cli() {
        assert_eq!(
            parse_url("devnet"),
            Ok(Cluster::Rpc("https://api.devnet.solana.com".into()))
        );
        assert_eq!(
            parse_url("l"),
            Ok(Cluster::Rpc("http://localhost:8899".into()))
        );
        assert_eq!(parse_url("embedded"), Ok(Cluster::Embedded));
        assert_eq!(
            parse_url("http://10.0.0.1:8899"),
            Ok(Cluster::Rpc("http://10.0.0.1:8899".into()))
        );
        for misspelt in ["devnett", "htp://x", "https://", "localhost:8899", ""] {
            let error = parse_url(misspelt).unwrap_err();
            assert!(error.contains("is not a cluster"), "{misspelt}: {error}");
        }
    }

    #[test]
    fn a_flag_naming_a_chain_wins_over_the_config_file() {
        let path = Path::new("/home/me/.config/solana/cli/config.yml");
        let mainnet = SolanaConfig {
            json_rpc_url: Some("https://api.mainnet-beta.solana.com".into()),
            keypair_path: None,
        };
        let config = Some((path, &mainnet));
        assert_eq!(
            choose(None, true, config).unwrap(),
            (Cluster::Embedded, Origin::LedgerFlag)
        );
        assert_eq!(
            choose(Some(&Cluster::Embedded), false, config).unwrap(),
            (Cluster::Embedded, Origin::UrlFlag)
        );
        assert_eq!(
            choose(Some(&Cluster::Embedded), true, config).unwrap(),
            (Cluster::Embedded, Origin::UrlFlag)
        );
        assert_eq!(
            choose(None, false, config).unwrap(),
            (
                Cluster::Rpc("https://api.mainnet-beta.solana.com".into()),
                Origin::ConfigFile(path.into())
            )
        );
        assert_eq!(
            choose(None, false, None).unwrap(),
            (Cluster::Embedded, Origin::Default)
        );
        let devnet = Cluster::Rpc("https://api.devnet.solana.com".into());
        assert!(choose(Some(&devnet), true, config)
            .unwrap_err()
            .to_string()
            .contains("give one of them"));
    }

    #[test]
    fn reads_the_solana_config_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yml");
        std::fs::write(
            &path,
            "---\njson_rpc_url: \"https://api.devnet.solana.com\"\nwebsocket_url: \"\"\nkeypair_path: /home/me/.config/solana/id.json\ncommitment: confirmed\n",
        )
        .unwrap();
        let config = read_solana_config(&path).unwrap().unwrap();
        assert_eq!(
            config.json_rpc_url.as_deref(),
            Some("https://api.devnet.solana.com")
        );
        assert_eq!(
            config.keypair_path,
            Some(PathBuf::from("/home/me/.config/solana/id.json"))
        );
        assert_eq!(
            read_solana_config(&dir.path().join("none.yml")).unwrap(),
            None
        );
    }
}
