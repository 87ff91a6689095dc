//! Event bytes into the indexer: the data of an inner instruction (what a
//! cluster hands an indexer) decoded and applied after a real market's
//! history. Seeds are every event that history holds, encoded. Invariants:
//! decoding and applying never panic; an event the index refuses is named
//! (a gap, a bad transaction, a database refusal) and leaves nothing of its
//! transaction written.

use model_ledger_indexer::{query, ChainIdentity, ChainTransaction, DatabaseUrl, Indexer};
use model_ledger_sdk::events::LedgerEvent;
use model_ledger_tests::{attribution, commercial_terms, TestLedger};
use solana_sdk::signer::Signer;

use crate::Target;

/// A fresh index of the history after this many inputs (applied events
/// change it).
const FRESH_AFTER: u64 = 500;

pub struct Events {
    history: Vec<ChainTransaction>,
    index: Option<Indexer>,
    runs: u64,
}

fn identity() -> ChainIdentity {
    ChainIdentity {
        program_id: model_ledger::ID,
        cluster: "fuzz".into(),
    }
}

impl Events {
    pub fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let history = runtime.block_on(async {
            let ledger = TestLedger::start().await;
            let market = ledger.market(1, &[100, 200], commercial_terms()).await;
            let authority = ledger.wallet().await;
            ledger.derive(&authority, 2, &[market.model]).await;
            ledger
                .record(&market, 0, 5, attribution(&[(0, 1), (1, 3)]))
                .await
                .expect("a batch");
            let (contributor, index, _) = &market.contributors[0];
            let destination = ledger
                .token_account(&contributor.pubkey(), &ledger.mint)
                .await;
            ledger
                .client
                .claim(contributor, &market.model, *index, &destination)
                .await
                .expect("a claim");
            let (_, pending) = ledger.propose(&market.model).await;
            ledger
                .client
                .reject_contribution(&market.authority, &market.model, pending)
                .await
                .expect("a rejection");
            ledger.landed()
        });
        Self {
            history,
            index: None,
            runs: 0,
        }
    }

    fn index(&mut self) -> &mut Indexer {
        if self.index.is_none() || self.runs.is_multiple_of(FRESH_AFTER) {
            let mut index =
                Indexer::open(&DatabaseUrl::in_memory(), &identity()).expect("an index");
            for transaction in &self.history {
                index.apply(transaction, None).expect("the history indexes");
            }
            self.index = Some(index);
        }
        self.index.as_mut().expect("set above")
    }
}

impl Default for Events {
    fn default() -> Self {
        Self::new()
    }
}

impl Target for Events {
    fn name(&self) -> &'static str {
        "events"
    }

    fn seeds(&mut self) -> Vec<Vec<u8>> {
        self.history
            .iter()
            .flat_map(|transaction| transaction.events.iter().map(LedgerEvent::encode))
            .collect()
    }

    fn run(&mut self, input: &[u8]) -> Result<String, String> {
        self.runs += 1;
        let event = match LedgerEvent::decode_strict(input) {
            Ok(Some(event)) => event,
            Ok(None) => return Ok("not an event".into()),
            Err(error) => {
                return Ok(format!(
                    "undecodable: {}",
                    error.to_string().chars().take(30).collect::<String>()
                ))
            }
        };
        let name = event.name();
        let signature = format!("fuzz-{}", self.runs);
        let transaction = ChainTransaction {
            signature: signature.clone(),
            slot: 1_000_000 + self.runs,
            block_time: None,
            failed: false,
            events: vec![event],
        };
        let index = self.index();
        let before = query::status(index.sql()).map_err(|error| error.to_string())?;
        match index.apply(&transaction, None) {
            Ok(_) => {
                // What the explorer reads still reads.
                query::status(index.sql())
                    .map_err(|error| format!("{name} applied, then: {error}"))?;
                query::models(index.sql())
                    .map_err(|error| format!("{name} applied, then: {error}"))?;
                Ok(format!("{name}: applied"))
            }
            Err(error) => {
                let after = query::status(index.sql()).map_err(|error| error.to_string())?;
                if index
                    .contains(&signature)
                    .map_err(|error| error.to_string())?
                    || after.transactions != before.transactions
                    || after.events != before.events
                {
                    return Err(format!("{name} refused ({error}) yet written"));
                }
                let kind = match error {
                    model_ledger_indexer::IndexError::Gap { .. } => "gap",
                    model_ledger_indexer::IndexError::BadTransaction { .. } => "bad transaction",
                    model_ledger_indexer::IndexError::Database(_) => "database",
                    _ => "other",
                };
                Ok(format!("{name}: {kind}"))
            }
        }
    }
}
