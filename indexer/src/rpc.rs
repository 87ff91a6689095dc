//! An RPC cluster as a source: the program's signatures (newest first, in
//! pages, down to the last one indexed), then each transaction at the
//! commitment asked for, its events decoded strictly.

use std::str::FromStr;

use model_ledger_sdk::{client::RpcConnection, events::LedgerEvent, PROGRAM_ID};
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
use solana_sdk::{pubkey::Pubkey, signature::Signature};

use crate::{
    follow::{self, Source},
    ChainAccounts, ChainIdentity, ChainTransaction, IndexError,
};

/// Signatures asked for per request (the RPC's maximum).
const PAGE: usize = 1_000;
/// Accounts per `getMultipleAccounts` (the RPC's maximum).
const ACCOUNTS_PER_REQUEST: usize = 100;

/// One signature of the program, as listed by the cluster.
#[derive(Clone, Debug)]
pub struct Listed {
    pub signature: String,
    pub slot: u64,
    pub failed: bool,
}

/// A cluster read synchronously: the indexer runs on a thread of its own
/// (its database drivers block), with a runtime for the RPC client.
pub struct RpcSource {
    runtime: tokio::runtime::Runtime,
    connection: RpcConnection,
    commitment: CommitmentConfig,
    url: String,
}

fn rpc(url: &str, error: impl std::fmt::Display) -> IndexError {
    IndexError::Source(format!("{url}: {error}"))
}

impl RpcSource {
    /// `commitment`: confirmed (seconds behind, may in rare forks be rolled
    /// back) or finalized (final, about 13 s behind).
    pub fn new(url: &str, commitment: CommitmentConfig) -> Result<Self, IndexError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| IndexError::Source(error.to_string()))?;
        Ok(Self {
            runtime,
            connection: RpcConnection(
                solana_rpc_client::nonblocking::rpc_client::RpcClient::new_with_commitment(
                    url.to_string(),
                    commitment,
                ),
            ),
            commitment,
            url: url.to_string(),
        })
    }

    /// The cluster's genesis hash names it.
    pub fn identity(&self) -> Result<ChainIdentity, IndexError> {
        let genesis = self
            .runtime
            .block_on(self.connection.0.get_genesis_hash())
            .map_err(|error| rpc(&self.url, error))?;
        Ok(ChainIdentity {
            program_id: PROGRAM_ID,
            cluster: format!("genesis:{genesis}"),
        })
    }

    /// The newest slot the cluster has finalized (rooted): everything at or
    /// below it is final and fully listed.
    pub fn finalized_slot(&self) -> Result<u64, IndexError> {
        self.runtime
            .block_on(
                self.connection
                    .0
                    .get_slot_with_commitment(CommitmentConfig::finalized()),
            )
            .map_err(|error| rpc(&self.url, error))
    }

    /// The signatures of block `slot`, in the order it executed them.
    pub fn block_order(&self, slot: u64) -> Result<Vec<String>, IndexError> {
        let block = self
            .runtime
            .block_on(self.connection.0.get_block_with_config(
                slot,
                solana_rpc_client_api::config::RpcBlockConfig {
                    encoding: None,
                    transaction_details: Some(
                        solana_transaction_status_client_types::TransactionDetails::Signatures,
                    ),
                    rewards: Some(false),
                    commitment: Some(self.commitment),
                    max_supported_transaction_version: Some(0),
                },
            ))
            .map_err(|error| rpc(&self.url, error))?;
        Ok(block.signatures.unwrap_or_default())
    }

    /// The program's signatures after `until` (all when `None`), oldest
    /// first, in execution order: by slot, and within a slot by the block's
    /// own order (the listing does not promise it).
    pub fn signatures_after(&self, until: Option<&str>) -> Result<Vec<Listed>, IndexError> {
        let until = until
            .map(|text| {
                Signature::from_str(text)
                    .map_err(|_| IndexError::Source(format!("{text} is not a signature")))
            })
            .transpose()?;
        let mut listed = Vec::new();
        let mut before = None;
        loop {
            let page = self
                .runtime
                .block_on(self.connection.0.get_signatures_for_address_with_config(
                    &PROGRAM_ID,
                    GetConfirmedSignaturesForAddress2Config {
                        before,
                        until,
                        limit: Some(PAGE),
                        commitment: Some(self.commitment),
                    },
                ))
                .map_err(|error| rpc(&self.url, error))?;
            let full = page.len() == PAGE;
            for status in &page {
                listed.push(Listed {
                    signature: status.signature.clone(),
                    slot: status.slot,
                    failed: status.err.is_some(),
                });
            }
            match (full, page.last()) {
                (true, Some(last)) => {
                    before = Some(Signature::from_str(&last.signature).map_err(|_| {
                        IndexError::Source(format!("{} is not a signature", last.signature))
                    })?)
                }
                _ => break,
            }
        }
        listed.reverse();
        listed.sort_by_key(|entry| entry.slot);
        let mut ordered = Vec::with_capacity(listed.len());
        for slot_group in listed.chunk_by(|a, b| a.slot == b.slot) {
            if slot_group.len() == 1 {
                ordered.extend_from_slice(slot_group);
                continue;
            }
            let order = self.block_order(slot_group[0].slot)?;
            let mut group = slot_group.to_vec();
            group.sort_by_key(|entry| {
                order
                    .iter()
                    .position(|signature| *signature == entry.signature)
                    .unwrap_or(usize::MAX)
            });
            ordered.extend(group);
        }
        Ok(ordered)
    }

    /// The transaction `signature`, its events decoded: an event cut short
    /// or unknown, or a transaction of the program whose inner instructions
    /// the node did not keep, is refused by name rather than read as empty.
    /// With `require_program`, a transaction that does not invoke the
    /// program is refused too.
    pub fn transaction(
        &self,
        signature: &str,
        require_program: bool,
    ) -> Result<ChainTransaction, IndexError> {
        let parsed = Signature::from_str(signature)
            .map_err(|_| IndexError::Source(format!("{signature} is not a signature")))?;
        let fetched = self
            .runtime
            .block_on(self.connection.fetch_transaction(&parsed, self.commitment))
            .map_err(|error| rpc(&self.url, error))?;
        let bad = |reason: String| IndexError::BadTransaction {
            signature: signature.to_string(),
            reason,
        };
        if require_program && !fetched.invokes_program {
            return Err(bad(format!("it does not invoke the program {PROGRAM_ID}")));
        }
        let mut events = Vec::new();
        if !fetched.failed && fetched.invokes_program {
            let data = fetched.program_inner_data.ok_or_else(|| {
                bad(
                    "the node returned it without inner instructions, so its events cannot be read"
                        .into(),
                )
            })?;
            for (number, data) in data.iter().enumerate() {
                match LedgerEvent::decode_strict(data) {
                    Ok(Some(event)) => events.push(event),
                    Ok(None) => {}
                    Err(error) => return Err(bad(format!("inner instruction {number}: {error}"))),
                }
            }
        }
        Ok(ChainTransaction {
            signature: signature.to_string(),
            slot: fetched.slot,
            block_time: fetched.block_time,
            failed: fetched.failed,
            events,
        })
    }
}

impl RpcSource {
    /// The runtime the source's requests (and a live follower's
    /// subscription) run on.
    pub(crate) fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }

    pub fn commitment(&self) -> CommitmentConfig {
        self.commitment
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

/// Listing resumes at the last transaction of a finalized slot, not at the
/// newest one indexed: a confirmed slot can still be abandoned in a fork, and
/// a resume point the cluster no longer has would send the listing back to
/// the program's first transaction. What is listed again is recognised and
/// skipped.
impl Source for RpcSource {
    fn identity(&self) -> Result<ChainIdentity, IndexError> {
        RpcSource::identity(self)
    }

    fn accounts(&self, addresses: &[Pubkey]) -> Result<ChainAccounts, IndexError> {
        RpcSource::accounts(self, addresses)
    }

    fn list_after(&self, resume: Option<&str>) -> Result<Vec<follow::Listed>, IndexError> {
        let finalized = self.finalized_slot()?;
        Ok(self
            .signatures_after(resume)?
            .into_iter()
            .map(|listed| follow::Listed {
                resume: (listed.slot <= finalized).then(|| listed.signature.clone()),
                signature: listed.signature,
                slot: listed.slot,
                transaction: None,
            })
            .collect())
    }

    fn transaction(&self, signature: &str) -> Result<ChainTransaction, IndexError> {
        RpcSource::transaction(self, signature, false)
    }
}

impl RpcSource {
    /// The accounts at `addresses` (what [`crate::verify`] compares with).
    pub fn accounts(&self, addresses: &[Pubkey]) -> Result<ChainAccounts, IndexError> {
        let mut accounts = ChainAccounts::with_capacity(addresses.len());
        for chunk in addresses.chunks(ACCOUNTS_PER_REQUEST) {
            let found = self
                .runtime
                .block_on(
                    self.connection
                        .0
                        .get_multiple_accounts_with_commitment(chunk, self.commitment),
                )
                .map_err(|error| rpc(&self.url, error))?
                .value;
            for (address, account) in chunk.iter().zip(found) {
                if let Some(account) = account {
                    accounts.insert(*address, account);
                }
            }
        }
        Ok(accounts)
    }
}
