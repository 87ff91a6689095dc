//! Database reads off the async executor: a few threads, each with its own
//! connection (SQLite in WAL mode lets them read while the indexer writes),
//! take queries from one queue.

use model_ledger_indexer::{db::Sql, Database, DatabaseUrl, IndexError};

type Job = Box<dyn FnOnce(&mut Database) + Send>;

/// A pool of reading connections.
#[derive(Clone)]
pub struct ReadPool {
    jobs: crossbeam_channel::Sender<Job>,
}

impl ReadPool {
    /// Opens `workers` connections to `url`, each on its own thread (the
    /// drivers block, so they connect there too).
    pub fn open(url: &DatabaseUrl, workers: usize) -> Result<Self, IndexError> {
        let (jobs, queue) = crossbeam_channel::unbounded::<Job>();
        let workers = workers.max(1);
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
                        job(&mut database);
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
    ) -> Result<T, IndexError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |database: &mut Database| {
                let _ = answer.send(query(database));
            }))
            .map_err(|_| IndexError::Database("the database threads stopped".into()))?;
        answered
            .await
            .map_err(|_| IndexError::Database("a database thread stopped mid-query".into()))?
    }
}
