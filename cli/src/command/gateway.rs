//! `model-ledger gateway`: the metering gateway (crate `gateway/`) in front
//! of an OpenAI-compatible server, with its calls recorded on chain in the
//! background by `meter`'s journal. The caller's latency never waits for the
//! chain: a call is done once its log line is on disk; batches are cut by
//! size and by age and sent while the gateway serves.

use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use model_ledger_gateway::{journal::Journal, Gateway, LedgerView, Upstream, WhenChainDown};

use model_ledger_sdk::{merkle::CallRecord, meter::MeteredGrant};
use solana_sdk::pubkey::Pubkey;

use super::{attribute::engine, meter::Run};
use crate::{
    output::{self, OutputFormat},
    session::Session,
};

#[derive(Args, Debug)]
pub struct GatewayArgs {
    /// The inference server: http://host:port of an OpenAI-compatible API
    #[arg(long)]
    pub upstream: String,
    /// The grant the calls are recorded on (the wallet is its licensee or meter key)
    #[arg(long)]
    pub grant: Pubkey,
    /// The attribution index of the model's contributed data (`attribute index`)
    #[arg(long)]
    pub index: PathBuf,
    /// The tokenizer.json the index was built with [default: GPT-2's, built in]
    #[arg(long, value_name = "PATH")]
    pub tokenizer: Option<PathBuf>,
    /// The paraphrase stage's model (see `attribute --paraphrase-model`)
    #[arg(long, value_name = "DIR")]
    pub paraphrase_model: Option<PathBuf>,
    /// Address to listen on (port 0: any free port; the address taken is printed)
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub listen: SocketAddr,
    /// Where the call log, batch files and progress are kept [default: model-ledger-gateway/<grant>]
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Most calls per batch; a batch is cut as soon as this many wait
    #[arg(long, default_value_t = 1_000)]
    pub batch_calls: usize,
    /// A call waits at most this long before its batch is cut
    #[arg(long, default_value_t = 10)]
    pub batch_seconds: u64,
    /// Calls journaled but not yet recorded beyond which --when-chain-down applies
    #[arg(long, default_value_t = 100_000)]
    pub max_pending_calls: usize,
    /// Past --max-pending-calls: keep serving (calls are recorded when the chain
    /// returns) or refuse metered calls with 503
    #[arg(long, value_enum, default_value = "serve")]
    pub when_chain_down: ChainDown,
    /// Paying token account [default: the licensee's associated account]
    #[arg(long)]
    pub from: Option<Pubkey>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ChainDown {
    Serve,
    Refuse,
}

pub async fn execute(session: &Session, args: GatewayArgs) -> Result<()> {
    anyhow::ensure!(
        session.is_online(),
        "the gateway sends transactions as it runs: it cannot run with --sign-only, --nonce or --blockhash"
    );
    anyhow::ensure!(args.batch_calls > 0, "--batch-calls must be at least 1");
    let upstream_uri = args
        .upstream
        .parse()
        .with_context(|| format!("--upstream {} is not a URL", args.upstream))?;
    let upstream = Upstream::new(upstream_uri)?;
    let engine = Arc::new(engine(
        &args.index,
        &args.tokenizer,
        &args.paraphrase_model,
    )?);
    let state_dir = args
        .state
        .clone()
        .unwrap_or_else(|| PathBuf::from("model-ledger-gateway").join(args.grant.to_string()));
    std::fs::create_dir_all(&state_dir)
        .with_context(|| format!("cannot create {}", state_dir.display()))?;
    let journal = Journal::open(&state_dir)?;

    let metered = MeteredGrant::resolve(&session.client, &args.grant, args.from).await?;
    let grant = session.client.grant(&args.grant).await?;
    let decimals = session
        .client
        .mint_decimals(&metered.accounts.payment_mint)
        .await?;
    let records = journal.calls.lock().expect("not poisoned").records.clone();
    let mut run = Run::open(session, metered, state_dir.join("batches"), &records, None).await?;
    let ledger = Arc::new(LedgerView::default());
    {
        let mut state = ledger.state.lock().expect("not poisoned");
        state.grant = args.grant.to_string();
        state.price_per_call = grant.price_per_call;
        state.mint = run.metered.accounts.payment_mint.to_string();
        state.decimals = decimals;
        state.attribution_required = grant.attribution_required;
    }
    refresh_landed(&run, &ledger)?;
    let gateway = Arc::new(Gateway {
        upstream,
        journal,
        engine,
        ledger: ledger.clone(),
        when_chain_down: match args.when_chain_down {
            ChainDown::Serve => WhenChainDown::Serve,
            ChainDown::Refuse => WhenChainDown::Refuse,
        },
        max_pending: args.max_pending_calls,
        earning: Default::default(),
        attribution_timing: Default::default(),
    });
    refresh_earning(session, &gateway, &run).await;

    let mut shutdown = crate::shutdown::Shutdown::listen()?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut server_stop = stopped.clone();
    let server = tokio::spawn(gateway.clone().serve(listener, async move {
        let _ = server_stop.wait_for(|stop| *stop).await;
    }));
    // One line, flushed at once: a supervisor (or a test) reads the address.
    match session.output {
        OutputFormat::Json => output::emit(
            &serde_json::json!({ "listening": address.to_string(), "upstream": args.upstream, "grant": args.grant.to_string(), "state": state_dir.display().to_string() })
                .to_string(),
        ),
        OutputFormat::Human => output::emit(&format!(
            "Gateway on http://{address} in front of {} for grant {} (call log and batches: {}); Ctrl-C stops it",
            args.upstream,
            args.grant,
            state_dir.display()
        )),
    }

    let mut recorder = Recorder {
        session,
        gateway: &gateway,
        batch_calls: args.batch_calls,
        batch_age: Duration::from_secs(args.batch_seconds),
        oldest_waiting: None,
        backoff_until: None,
        failures: 0,
    };
    loop {
        tokio::select! {
            _ = shutdown.requested() => break,
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
        recorder.tick(&mut run, false).await;
    }
    // Stop taking calls, let those in flight finish (and be journaled),
    // then record everything journaled before exiting.
    let _ = stop.send(true);
    let _ = server.await;
    recorder.backoff_until = None;
    recorder.tick(&mut run, true).await;
    let state = ledger.state.lock().expect("not poisoned");
    let journaled = gateway.journal.journaled();
    eprintln!(
        "model-ledger gateway: stopped; {journaled} calls journaled, {} recorded{}",
        state.calls_done,
        state
            .last_error
            .as_deref()
            .map(|error| format!(" (last error: {error})"))
            .unwrap_or_default()
    );
    Ok(())
}

/// Cuts and sends batches from the call log in the background of serving.
struct Recorder<'a> {
    session: &'a Session,
    gateway: &'a Gateway,
    batch_calls: usize,
    batch_age: Duration,
    /// When the oldest call not yet recorded was first seen.
    oldest_waiting: Option<Instant>,
    /// After a failure, the next attempt waits (doubling, at most a minute).
    backoff_until: Option<Instant>,
    failures: u32,
}

impl Recorder<'_> {
    async fn tick(&mut self, run: &mut Run<'_>, everything: bool) {
        let now = Instant::now();
        if self.backoff_until.is_some_and(|until| now < until) {
            return;
        }
        let done = run.calls_done();
        let waiting = self.gateway.journal.journaled() - done;
        if waiting == 0 {
            self.oldest_waiting = None;
            return;
        }
        let oldest = *self.oldest_waiting.get_or_insert(now);
        let due = everything || waiting >= self.batch_calls || now - oldest >= self.batch_age;
        if !due {
            return;
        }
        // The calls not yet recorded, copied only when a batch is due.
        let pending: Vec<CallRecord> = {
            let calls = self.gateway.journal.calls.lock().expect("not poisoned");
            calls.records[done..].to_vec()
        };
        let (recordable, batch_calls) = self.recordable(&pending);
        self.gateway
            .ledger
            .state
            .lock()
            .expect("not poisoned")
            .held_for_attribution = pending.len() - recordable;
        if recordable == 0 {
            return;
        }
        let result = run
            .record(&pending[..recordable], batch_calls, &mut |_| {})
            .await;
        match result.and_then(|()| refresh_landed(run, &self.gateway.ledger)) {
            Ok(()) => {
                // Contributions accepted or revoked since: the next calls'
                // attribution follows them.
                refresh_earning(self.session, self.gateway, run).await;
                self.failures = 0;
                self.gateway
                    .ledger
                    .state
                    .lock()
                    .expect("not poisoned")
                    .last_error = None;
                self.oldest_waiting = (pending.len() > recordable).then_some(now);
            }
            Err(error) => {
                self.failures += 1;
                let wait =
                    Duration::from_millis(500 << self.failures.min(7)).min(Duration::from_secs(60));
                self.backoff_until = Some(now + wait);
                eprintln!(
                    "model-ledger gateway: recording failed (retrying in {wait:?}): {error:#}"
                );
                let _ = refresh_landed(run, &self.gateway.ledger);
                self.gateway
                    .ledger
                    .state
                    .lock()
                    .expect("not poisoned")
                    .last_error = Some(format!("{error:#}"));
            }
        }
    }

    /// How many of the `pending` calls may be recorded now, and the batch
    /// cap to use. Under `attribution_required` a batch must name a
    /// contribution, so the calls after the last attributed one wait for the
    /// next, and a batch may hold more than --batch-calls calls to reach an
    /// attributed one.
    fn recordable(&self, pending: &[CallRecord]) -> (usize, usize) {
        let required = self
            .gateway
            .ledger
            .state
            .lock()
            .expect("not poisoned")
            .attribution_required;
        if !required {
            return (pending.len(), self.batch_calls);
        }
        let recordable = pending
            .iter()
            .rposition(|call| !call.attribution.is_empty())
            .map_or(0, |last| last + 1);
        (recordable, recordable.max(self.batch_calls))
    }
}

/// Publishes the batches that landed since the last call to the receipts
/// (the batch files before them are not read again).
fn refresh_landed(run: &Run, ledger: &LedgerView) -> Result<()> {
    let known = {
        let state = ledger.state.lock().expect("not poisoned");
        state.batches.last().map_or(0, |batch| batch.seq + 1)
    };
    let landed = run.landed_from(known)?;
    let mut state = ledger.state.lock().expect("not poisoned");
    state.calls_done = run.calls_done();
    state.batches.extend(landed);
    Ok(())
}

/// Reads which contributions earn, so that no call names one the program
/// would refuse the batch for. A failure leaves the last answer in place.
async fn refresh_earning(session: &Session, gateway: &Gateway, run: &Run<'_>) {
    let model = run.metered.accounts.model;
    if let Ok(earning) = session.client.earning_contributions(&model).await {
        *gateway.earning.lock().expect("not poisoned") = Some(earning);
    }
}
