//! The shared helper of the CLI's integration tests: the real `model-ledger`
//! binary in a private HOME, on its own embedded ledger or on the cluster
//! `MODEL_LEDGER_TEST_URL` names (see `session.rs`).
#![allow(dead_code)] // each test binary uses part of it

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use solana_sdk::{
    signature::{read_keypair_file, write_keypair_file, Keypair},
    signer::Signer,
};

/// Where a session's commands go.
pub enum Cluster {
    /// The session's own embedded ledger (`--ledger`).
    Embedded,
    /// A JSON-RPC endpoint shared with other sessions, and the deployer's keypair file.
    Rpc { url: String, deployer: PathBuf },
}

pub struct Session {
    pub home: tempfile::TempDir,
    pub cluster: Cluster,
}

pub const HASH: &str = "1111111111111111111111111111111111111111111111111111111111111111";
/// The licences' price per call and up-front fee, in tokens of the
/// sessions' 6-decimal mint: 10 and 1 000 base units.
pub const PRICE: &str = "0.00001";
pub const FEE: &str = "0.001";

impl Session {
    /// A session on the cluster the environment names (embedded by default).
    pub fn new() -> Self {
        let cluster = match std::env::var("MODEL_LEDGER_TEST_URL") {
            Ok(url) => Cluster::Rpc {
                url,
                deployer: std::env::var_os("MODEL_LEDGER_TEST_DEPLOYER")
                    .expect("MODEL_LEDGER_TEST_DEPLOYER: the upgrade authority's keypair file")
                    .into(),
            },
            Err(_) => Cluster::Embedded,
        };
        let session = Self {
            home: tempfile::tempdir().unwrap(),
            cluster,
        };
        if let Cluster::Rpc { .. } = session.cluster {
            write_keypair_file(&Keypair::new(), session.path("wallet.json")).unwrap();
        }
        session
    }

    /// A session on its own embedded ledger, whatever the environment says.
    pub fn embedded() -> Self {
        Self {
            home: tempfile::tempdir().unwrap(),
            cluster: Cluster::Embedded,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }

    /// The binary with a private HOME (so no real Solana config is read), on
    /// the session's cluster with the session's wallet.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::cargo_bin("model-ledger").unwrap();
        command
            .env("HOME", self.home.path())
            .current_dir(self.home.path());
        match &self.cluster {
            Cluster::Embedded => {
                command.arg("--ledger").arg(self.path("ledger"));
            }
            Cluster::Rpc { url, .. } => {
                command.args(["--url", url]);
                if !args.contains(&"--keypair") {
                    command.arg("--keypair").arg(self.path("wallet.json"));
                }
            }
        }
        command.args(["--output", "json"]).args(args);
        command
    }

    /// What a person sees: the command's human output (it must succeed).
    pub fn human(&self, args: &[&str]) -> String {
        let command = self.command(args);
        let mut raw: Vec<String> = command
            .get_args()
            .map(|arg| arg.to_string_lossy().to_string())
            .collect();
        // Drop the `--output json` the session puts before `args`.
        let at = raw
            .windows(2)
            .position(|pair| pair[0] == "--output" && pair[1] == "json")
            .expect("the session's --output json");
        raw.drain(at..at + 2);
        let output = Command::cargo_bin("model-ledger")
            .unwrap()
            .env("HOME", self.home.path())
            .current_dir(self.home.path())
            .args(&raw)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "model-ledger {args:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).to_string()
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let output = self.command(args).output().unwrap();
        // With --output json a failure is a JSON object on standard output.
        assert!(
            output.status.success(),
            "model-ledger {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
            panic!(
                "{args:?} printed no JSON ({error}):\n{}",
                String::from_utf8_lossy(&output.stdout)
            )
        })
    }

    pub fn fails(&self, args: &[&str]) -> String {
        let output = self.command(args).output().unwrap();
        assert!(
            !output.status.success(),
            "model-ledger {args:?} should have failed"
        );
        // Commands run with --output json: the error is an object on
        // standard output; usage errors and panics stay on standard error.
        let stderr = String::from_utf8_lossy(&output.stderr);
        match serde_json::from_slice::<Value>(&output.stdout) {
            Ok(json) => {
                let error = &json["error"];
                assert!(error["name"].is_string(), "not an error object: {json}");
                format!(
                    "{} ({}, code {}){}{stderr}",
                    error["message"].as_str().unwrap_or_default(),
                    error["name"].as_str().unwrap_or_default(),
                    error["code"],
                    error["hint"]
                        .as_str()
                        .map(|hint| format!("\nhint: {hint}"))
                        .unwrap_or_default()
                )
            }
            Err(_) => stderr.to_string(),
        }
    }

    /// The session wallet's token balance of `mint`, read straight from the
    /// cluster over JSON-RPC (`None` on the embedded ledger, which has no
    /// endpoint): what a wallet or an explorer would show.
    pub fn rpc_token_balance(&self, mint: &str) -> Option<u64> {
        let Cluster::Rpc { url, .. } = &self.cluster else {
            return None;
        };
        let owner = read_keypair_file(self.path("wallet.json"))
            .unwrap()
            .pubkey();
        let account = anchor_spl::associated_token::get_associated_token_address(
            &owner,
            &mint.parse().unwrap(),
        );
        let client = solana_rpc_client::rpc_client::RpcClient::new_with_commitment(
            url.clone(),
            solana_commitment_config::CommitmentConfig::confirmed(),
        );
        let balance = client.get_token_account_balance(&account).unwrap();
        Some(balance.amount.parse().unwrap())
    }

    /// The session wallet's keypair file and address (on the embedded
    /// chain, the ledger's own, which exists after the first command).
    pub fn wallet(&self) -> (PathBuf, String) {
        let path = match &self.cluster {
            Cluster::Embedded => self.path("ledger").join("wallet.json"),
            Cluster::Rpc { .. } => self.path("wallet.json"),
        };
        let address = read_keypair_file(&path).unwrap().pubkey().to_string();
        (path, address)
    }

    pub fn keypair(&self, name: &str) -> (PathBuf, String) {
        let keypair = Keypair::new();
        let path = self.path(&format!("{name}.json"));
        write_keypair_file(&keypair, &path).unwrap();
        (path, keypair.pubkey().to_string())
    }

    /// Mint, config (treasury with a token account) and a funded wallet.
    pub fn bootstrap(&self) -> String {
        self.json(&["airdrop", "10"]);
        let mint = self.json(&["create-mint"])["mint"]
            .as_str()
            .unwrap()
            .to_string();
        let treasury = match &self.cluster {
            Cluster::Embedded => {
                let (_, treasury) = self.keypair("treasury");
                self.json(&["init-config", "--fee-bps", "250", "--treasury", &treasury]);
                treasury
            }
            Cluster::Rpc { deployer, .. } => {
                // One config per cluster, initialised by the upgrade authority
                // for whichever session comes first.
                let deployer_wallet = read_keypair_file(deployer).unwrap().pubkey().to_string();
                self.json(&["airdrop", "1", "--to", &deployer_wallet]);
                let output = self
                    .command(&[
                        "--keypair",
                        text(deployer),
                        "init-config",
                        "--fee-bps",
                        "250",
                        "--treasury",
                        &deployer_wallet,
                    ])
                    .output()
                    .unwrap();
                // With --output json the refusal is an error object on stdout.
                let stdout = String::from_utf8_lossy(&output.stdout);
                assert!(
                    output.status.success() || stdout.contains("\"AccountAlreadyExists\""),
                    "init-config: {stdout}{}",
                    String::from_utf8_lossy(&output.stderr)
                );
                deployer_wallet
            }
        };
        self.json(&["mint-to", &mint, "0", "--to", &treasury]);
        // 10 tokens of a 6-decimal mint: 10 000 000 base units.
        self.json(&["mint-to", &mint, "10"]);
        mint
    }

    pub fn model(&self, mint: &str, id: &str, extra: &[&str]) -> String {
        let mut args = vec![
            "model",
            "register",
            "--id",
            id,
            "--name",
            id,
            "--content-hash",
            HASH,
            "--mint",
            mint,
        ];
        args.extend_from_slice(extra);
        self.json(&args)["model"].as_str().unwrap().to_string()
    }

    pub fn licence(&self, model: &str, extra: &[&str]) {
        let mut args = vec![
            "license",
            "publish",
            model,
            "--price-per-call",
            PRICE,
            "--upfront-fee",
            FEE,
            "--commercial",
            "--derivatives",
            "--derivative-royalty-bps",
            "1000",
            "--terms-uri",
            "https://terms.example/v1",
            "--terms-hash",
            HASH,
        ];
        args.extend_from_slice(extra);
        self.json(&args);
    }

    /// Buys licence v1 of `model` (fee 1000, price 10 base units); returns the grant.
    pub fn acquire(&self, model: &str, extra: &[&str]) -> String {
        let mut args = extra.to_vec();
        args.extend_from_slice(&[
            "grant",
            "acquire",
            model,
            "1",
            "--max-fee",
            FEE,
            "--max-price",
            PRICE,
        ]);
        self.json(&args)["grant"].as_str().unwrap().to_string()
    }

    /// A fresh model with contribution 0 accepted and licence v1, and the
    /// session wallet's grant on it.
    pub fn grant_on_one_contribution(&self) -> String {
        self.model_with_grant().1
    }

    /// Like [`Session::grant_on_one_contribution`], with the model too.
    pub fn model_with_grant(&self) -> (String, String) {
        let mint = self.bootstrap();
        let model = self.model(&mint, "base-7b", &[]);
        self.json(&proposal(&model, "dataset", "ar://d"));
        self.json(&["contribution", "accept", &model, "0", "--shares", "1"]);
        self.licence(&model, &[]);
        let grant = self.acquire(&model, &[]);
        (model, grant)
    }

    /// A model with a grant and two accepted datasets (contributions 0
    /// and 1, one text each, as `data-0/text.txt` and `data-1/text.txt`),
    /// and their attribution index, built: (model, grant, index, what
    /// `attribute index` printed).
    pub fn model_with_two_datasets(&self, datasets: [&str; 2]) -> (String, String, PathBuf, Value) {
        let (model, grant) = self.model_with_grant();
        self.json(&proposal(&model, "dataset", "ar://second"));
        self.json(&["contribution", "accept", &model, "1", "--shares", "1"]);
        for (n, text) in datasets.iter().enumerate() {
            std::fs::create_dir_all(self.path(&format!("data-{n}"))).unwrap();
            std::fs::write(self.path(&format!("data-{n}/text.txt")), text).unwrap();
        }
        let index = self.path("index");
        let built = self.json(&[
            "attribute",
            "index",
            "--contribution",
            &format!("0={}", text(&self.path("data-0"))),
            "--contribution",
            &format!("1={}", text(&self.path("data-1"))),
            "--out",
            text(&index),
        ]);
        (model, grant, index, built)
    }

    pub fn write_calls(&self, name: &str, count: usize) -> PathBuf {
        let lines: Vec<String> = (0..count)
            .map(|n| {
                format!(
                    r#"{{"request_id":"req-{n}","output":"out-{n}","attribution":[[0,{}]]}}"#,
                    1 + n % 7
                )
            })
            .collect();
        let path = self.path(name);
        std::fs::write(&path, lines.join("\n")).unwrap();
        path
    }
}

/// The arguments of `contribution propose` for `model` (any content hash).
pub fn proposal<'a>(model: &'a str, kind: &'a str, uri: &'a str) -> Vec<&'a str> {
    vec![
        "contribution",
        "propose",
        model,
        "--kind",
        kind,
        "--content-hash",
        HASH,
        "--uri",
        uri,
    ]
}

pub fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

pub fn text_of(path: &Path) -> String {
    path.display().to_string()
}

/// Reads one line of the explorer's start-up output (`serve --output json`)
/// and the address it listens on.
pub fn explorer_url(child: &mut std::process::Child) -> String {
    started(child)["url"].as_str().unwrap().to_string()
}

/// The JSON line a background command (`serve`, `gateway`) prints once it
/// listens.
pub fn started(child: &mut std::process::Child) -> Value {
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("piped");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    serde_json::from_str(&line).unwrap_or_else(|error| panic!("it printed {line:?}: {error}"))
}

/// A GET over loopback, with no HTTP client but the standard library's.
pub fn http_get(url: &str) -> (u16, String) {
    http(url, "GET", "")
}

pub fn http(url: &str, method: &str, body: &str) -> (u16, String) {
    let (status, _, body) = http_response(url, method, body, &[]);
    (status, body)
}

/// Status, headers (names lower-cased) and body of one request, sent with
/// `headers` besides the usual ones.
pub fn http_response(
    url: &str,
    method: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> (u16, Vec<(String, String)>, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_string()))
        .collect();
    (status, headers, body.to_string())
}

impl Session {
    /// The binary started in the background with the session's options.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.spawn_with_stderr(args, std::process::Stdio::null())
    }

    /// Like [`Session::spawn`], its standard error going to `stderr`.
    pub fn spawn_with_stderr(
        &self,
        args: &[&str],
        stderr: impl Into<std::process::Stdio>,
    ) -> std::process::Child {
        let command = self.command(args);
        let mut child = std::process::Command::new(command.get_program());
        child
            .args(command.get_args())
            .env("HOME", self.home.path())
            .current_dir(self.home.path())
            .stdout(std::process::Stdio::piped())
            .stderr(stderr);
        child.spawn().unwrap()
    }
}

/// Stops a background command by its process id, whatever the test does.
pub struct Stopped(pub std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `count` words from a fixed generator seeded by `seed` (a 64-bit LCG over
/// 48 words): text whose runs of a few words are all but unique.
pub fn prose(seed: u64, count: usize) -> String {
    const WORDS: [&str; 48] = [
        "river", "stone", "lantern", "orbit", "velvet", "harbor", "cinder", "meadow", "quartz",
        "ember", "falcon", "glacier", "hollow", "ivory", "juniper", "kettle", "lilac", "marble",
        "nectar", "onyx", "pepper", "quiver", "raven", "saffron", "thistle", "umber", "violet",
        "willow", "yarrow", "zephyr", "anchor", "bramble", "copper", "dune", "fjord", "garnet",
        "heron", "indigo", "jasper", "kelp", "lumen", "moss", "nimbus", "opal", "prairie", "quill",
        "reed", "sable",
    ];
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    (0..count)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            WORDS[(state >> 33) as usize % WORDS.len()]
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Words `from..from + count` of a text of words joined by spaces.
pub fn excerpt(text: &str, from: usize, count: usize) -> String {
    text.split(' ')
        .skip(from)
        .take(count)
        .collect::<Vec<_>>()
        .join(" ")
}
