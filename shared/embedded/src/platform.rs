//! `ballast flow`: the platform's rebalance flow in process, as the Lambda suite runs it
//! in AWS — a `POST /rebalances` request becomes a job of batches; the orchestrator takes
//! each batch through rebalance, check and submit; simulated market centers execute the
//! orders and send execution reports; the read side answers `GET /rebalances/{id}` — over
//! the in-memory adapters, on a generated book.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Instant;

use ballast_core::{Account, RebalanceOptions};
use ballast_flow::memory::MemoryPlatform;
use ballast_flow::ports::{AccountStore, OrderStore};
use ballast_flow::{job_status, JobView, OrderState};
use ballast_refcache::{MemorySource, ReferenceCache, Ttls};

/// What to run.
#[derive(Debug, Clone)]
pub struct FlowConfig {
    pub accounts: u64,
    pub seed: u64,
    pub options: RebalanceOptions,
    pub batch_size: u32,
}

/// What happened, for the report.
#[derive(Debug, Clone)]
pub struct FlowReport {
    pub job_id: String,
    pub accepted_status: u16,
    pub replay_same_job: bool,
    pub view: JobView,
    pub orders: usize,
    pub distinct_keys: usize,
    pub queue_sends: u64,
    pub by_venue: BTreeMap<String, usize>,
    pub by_state: BTreeMap<&'static str, usize>,
    pub reports_applied: usize,
    pub seconds: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error("the request was refused: {0}")]
    Refused(ballast_flow::ApiError),
    #[error("the workflow failed: {0}")]
    Workflow(ballast_flow::StepError),
    #[error("an execution report was not applied: {0}")]
    Report(ballast_flow::ReportFailure),
    #[error("the generated book has no models: {0}")]
    Book(String),
}

fn state_name(s: OrderState) -> &'static str {
    match s {
        OrderState::Held => "held",
        OrderState::New => "new",
        OrderState::Sent => "sent",
        OrderState::Acknowledged => "acknowledged",
        OrderState::PartiallyFilled => "partially filled",
        OrderState::Filled => "filled",
        OrderState::Rejected => "rejected",
        OrderState::Cancelled => "cancelled",
    }
}

/// Runs the flow end to end and reports on it.
pub fn run_flow(config: &FlowConfig) -> Result<FlowReport, FlowError> {
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a current-thread runtime starts");
    runtime.block_on(async {
        let file = ballast_synth::reference(config.seed);
        let universe = ballast_synth::Universe::new(&file).map_err(|e| FlowError::Book(e.to_string()))?;
        let trade_date = file.trade_date;
        let accounts: Vec<Account> =
            (0..config.accounts).map(|i| ballast_synth::account(config.seed, i, &universe)).collect();
        let platform = MemoryPlatform::new(ReferenceCache::new(MemorySource::new(file), Ttls::default()));
        // Loading a book into an in-memory store cannot fail.
        let _ = platform.store.put_accounts(&accounts).await;

        let ids: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
        let body = serde_json::json!({
            "account_ids": ids,
            "mode": config.options.mode.as_str(),
            "batch_size": config.batch_size,
        })
        .to_string();
        let now = chrono::Utc::now();
        let key = format!("embedded-{}-{}", config.seed, config.accounts);
        let accepted =
            platform.accept(body.as_bytes(), Some(&key), now, trade_date).await.map_err(FlowError::Refused)?;
        // A client that did not hear the answer sends the request again: same job.
        let replay = platform.accept(body.as_bytes(), Some(&key), now, trade_date).await.map_err(FlowError::Refused)?;
        let job_id = accepted.job.id.clone();
        platform.run(&job_id).await.map_err(FlowError::Workflow)?;
        let reports_applied = platform.execute_queued().await.map_err(FlowError::Report)?;
        let view = job_status(&platform.store, &job_id).await.map_err(FlowError::Refused)?;
        let orders = platform.store.job_orders(&job_id).await.unwrap_or_default();
        let distinct_keys =
            orders.iter().map(|o| (&o.account, &o.security, o.side)).collect::<std::collections::HashSet<_>>().len();
        let mut by_venue = BTreeMap::new();
        let mut by_state = BTreeMap::new();
        for o in &orders {
            *by_venue.entry(o.venue.clone()).or_insert(0) += 1;
            *by_state.entry(state_name(o.state)).or_insert(0) += 1;
        }
        Ok(FlowReport {
            job_id,
            accepted_status: 202,
            replay_same_job: replay.job.id == accepted.job.id && !replay.created,
            view,
            orders: orders.len(),
            distinct_keys,
            queue_sends: platform.queues.sends(),
            by_venue,
            by_state,
            reports_applied,
            seconds: started.elapsed().as_secs_f64(),
        })
    })
}

impl fmt::Display for FlowReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = crate::summary::grouped;
        let v = &self.view;
        writeln!(
            f,
            "Ballast platform flow: API -> batches -> rebalance -> check -> submit -> market centers -> reports"
        )?;
        writeln!(f, "(in process, in-memory adapters; the Lambda suite runs the same steps on DynamoDB, SQS and Step Functions)")?;
        writeln!(f)?;
        writeln!(
            f,
            "{:<30}{} {}  {} accounts in {} batches, mode {}",
            "POST /rebalances",
            self.accepted_status,
            self.job_id,
            n(v.accounts as u64),
            n(v.batches.total as u64),
            v.mode
        )?;
        writeln!(
            f,
            "{:<30}{}",
            "  same Idempotency-Key again",
            if self.replay_same_job {
                "202, the same job (nothing started twice)"
            } else {
                "a DIFFERENT job: idempotency is broken"
            }
        )?;
        writeln!(f, "{:<30}{} submitted, {} failed", "Batches", n(v.batches.done as u64), n(v.batches.failed as u64))?;
        let total: u64 = v.trades.values().sum();
        writeln!(f, "{:<30}{}", "Trades proposed and checked", n(total))?;
        for (state, count) in &v.trades {
            writeln!(f, "  {:<28}{}", state.as_str(), n(*count))?;
        }
        if !v.accounts_not_traded.is_empty() {
            writeln!(f, "Accounts not traded")?;
            for (outcome, count) in &v.accounts_not_traded {
                writeln!(f, "  {:<28}{}", outcome, n(*count))?;
            }
        }
        writeln!(f, "{:<30}{}", "Orders", n(self.orders as u64))?;
        for (venue, count) in &self.by_venue {
            writeln!(f, "  {:<28}{}", venue, n(*count as u64))?;
        }
        writeln!(f, "{:<30}{}", "Execution reports applied", n(self.reports_applied as u64))?;
        for (state, count) in &self.by_state {
            writeln!(f, "  {:<28}{}", state, n(*count as u64))?;
        }
        writeln!(
            f,
            "{:<30}{} orders for {} (account, security, side) keys; {} queue sends",
            "Exactly once",
            n(self.orders as u64),
            n(self.distinct_keys as u64),
            n(self.queue_sends)
        )?;
        writeln!(f, "{:<30}{}", "GET /rebalances/{id} status", v.status.as_str())?;
        write!(f, "{:<30}{:.2} s", "Wall time", self.seconds)
    }
}
