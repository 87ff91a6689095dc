//! Which cluster and which keypair, resolved the way the `solana` CLI does:
//! flags first, then the Solana CLI config file, then (here) the embedded
//! cluster and its own wallet.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Where commands run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cluster {
    Embedded,
    Rpc(String),
}

/// `-u` values: the Solana monikers, `embedded`, or a URL.
pub fn parse_url(value: &str) -> Cluster {
    match value {
        "embedded" => Cluster::Embedded,
        "m" | "mainnet-beta" => Cluster::Rpc("https://api.mainnet-beta.solana.com".into()),
        "d" | "devnet" => Cluster::Rpc("https://api.devnet.solana.com".into()),
        "t" | "testnet" => Cluster::Rpc("https://api.testnet.solana.com".into()),
        "l" | "localhost" => Cluster::Rpc("http://localhost:8899".into()),
        url => Cluster::Rpc(url.to_string()),
    }
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
            Cluster::Rpc("https://api.devnet.solana.com".into())
        );
        assert_eq!(parse_url("l"), Cluster::Rpc("http://localhost:8899".into()));
        assert_eq!(parse_url("embedded"), Cluster::Embedded);
        assert_eq!(
            parse_url("http://10.0.0.1:8899"),
            Cluster::Rpc("http://10.0.0.1:8899".into())
        );
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
