//! Database reads off the async executor: a few threads, each with its own
//! connection (SQLite in WAL mode lets them read while the indexer writes),
//! take queries from one bounded queue.
//!
//! What reaches the queue is bounded work (pages are paged), but pages are
//! requested by anyone: the queue holds a few jobs per worker and a request
//! that finds it full is answered at once ([`PoolError::Busy`], a 503)
//! rather than waiting behind the others; a query that panics answers
//! with an error and its worker carries on.

use std::panic::AssertUnwindSafe;

use model_ledger_indexer::{db::Sql, Database, DatabaseUrl, IndexError};

type Job = Box<dyn FnOnce(&mut Database) + Send>;

/// Jobs waiting per worker before the pool answers busy.
const QUEUE_PER_WORKER: usize = 64;

/// A pool of reading connections.
#[derive(Clone)]
pub struct ReadPool {
    jobs: crossbeam_channel::Sender<Job>,
}

/// Why a query was not answered by the database.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error(transparent)]
    Index(#[from] IndexError),
    /// Every worker is busy and the queue is full.
    #[error("the explorer is busy: try again in a moment")]
    Busy,
}

impl ReadPool {
    /// Opens `workers` connections to `url`, each on its own thread (the
    /// drivers block, so they connect there too).
    pub fn open(url: &DatabaseUrl, workers: usize) -> Result<Self, IndexError> {
        let workers = workers.max(1);
        let (jobs, queue) = crossbeam_channel::bounded::<Job>(workers * QUEUE_PER_WORKER);
        let (opened, results) = std::sync::mpsc::channel();
        for _ in 0..workers {
            let (url, queue, opened) = (url.clone(), queue.clone(), opened.clone());
            std::thread::Builder::new()
                .name("explorer-db".into())
                .spawn(move || {
                    let mut database = match Database::open(&url) {
                        Ok(database) => {
                            let _ = opened.send(Ok(()));
                            database
                        }
                        Err(error) => {
                            let _ = opened.send(Err(error));
                            return;
                        }
                    };
                    for job in queue {
                        // A query that panics drops its answer (the caller
                        // hears "stopped mid-query"); the worker goes on.
                        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut database)));
                    }
                })
                .map_err(|error| IndexError::Database(error.to_string()))?;
        }
        for _ in 0..workers {
            results.recv().map_err(|_| {
                IndexError::Database("a database thread stopped while connecting".into())
            })??;
        }
        Ok(Self { jobs })
    }

    /// Runs `query` on a pooled connection and waits for its answer.
    pub async fn run<T: Send + 'static>(
        &self,
        query: impl FnOnce(&mut dyn Sql) -> Result<T, IndexError> + Send + 'static,
    ) -> Result<T, PoolError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.jobs
            .try_send(Box::new(move |database: &mut Database| {
                let _ = answer.send(query(database));
            }))
            .map_err(|error| match error {
                crossbeam_channel::TrySendError::Full(_) => PoolError::Busy,
                crossbeam_channel::TrySendError::Disconnected(_) => {
                    IndexError::Database("the database threads stopped".into()).into()
                }
            })?;
        Ok(answered
            .await
            .map_err(|_| IndexError::Database("a database thread stopped mid-query".into()))??)
    }
}
