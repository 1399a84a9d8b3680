//! In-memory adapters: the embedded default's state and the unit tests' stand-in, with
//! the same conditional semantics as the DynamoDB, SQS and Step Functions adapters.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};

use ballast_core::Account;
use chrono::{DateTime, Utc};

use crate::anomaly::{AnomalyDecision, DecisionLog, TelemetryStore, VenueTelemetry, VerdictLog};
use crate::health::{OperatorVerdict, VenueHealth};
use crate::model::{
    AccountTrades, BatchCounts, BatchFailure, BatchManifest, BatchStatus, BatchSummary, ExecutionReport, Job,
    JobStatus, JobView, Order, OrderMessage, OrderState, TradeFilter, TradePage, TradeState, TradeView,
};
use crate::ports::{
    AccountStore, JobStore, KeyClaim, OrderGateway, OrderInsert, OrderStore, PortResult, ReadModel, ReportEffect,
    VenueHealthStore, Workflow,
};
use crate::report::apply_to_order;

#[derive(Default)]
struct State {
    keys: HashMap<String, (String, String)>,
    jobs: HashMap<String, Job>,
    batches: BTreeMap<(String, u32), BatchManifest>,
    trades: BTreeMap<(String, u32), BTreeMap<String, AccountTrades>>,
    accounts: BTreeMap<String, Account>,
    orders: BTreeMap<String, Order>,
    // Read side.
    headers: HashMap<String, Job>,
    summaries: BTreeMap<(String, u32), BatchSummary>,
    views: BTreeMap<(String, String), TradeView>,
    venues: BTreeMap<String, VenueHealth>,
    telemetry: BTreeMap<String, VenueTelemetry>,
    decisions: Vec<AnomalyDecision>,
    verdicts: Vec<OperatorVerdict>,
}

/// Every store port over one in-process state.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent maps (each write is one insert).
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every order, for tests and the embedded report.
    pub fn all_orders(&self) -> Vec<Order> {
        self.lock().orders.values().cloned().collect()
    }

    /// Every anomaly decision recorded, oldest first.
    pub fn decisions(&self) -> Vec<AnomalyDecision> {
        self.lock().decisions.clone()
    }

    /// Operators' verdicts recorded so far, in order.
    pub fn verdicts(&self) -> Vec<OperatorVerdict> {
        self.lock().verdicts.clone()
    }
}

impl JobStore for MemoryStore {
    async fn claim_key(
        &self,
        key: &str,
        request_hash: &str,
        job_id: &str,
        _now: DateTime<Utc>,
    ) -> PortResult<KeyClaim> {
        let mut s = self.lock();
        if let Some((job_id, request_hash)) = s.keys.get(key) {
            return Ok(KeyClaim::Existing { job_id: job_id.clone(), request_hash: request_hash.clone() });
        }
        s.keys.insert(key.to_string(), (job_id.to_string(), request_hash.to_string()));
        Ok(KeyClaim::Claimed)
    }

    async fn create_job(&self, job: &Job, batches: &[BatchManifest]) -> PortResult<()> {
        let mut s = self.lock();
        if s.jobs.contains_key(&job.id) {
            return Ok(());
        }
        s.jobs.insert(job.id.clone(), job.clone());
        for b in batches {
            s.batches.insert((job.id.clone(), b.seq), b.clone());
        }
        Ok(())
    }

    async fn job(&self, job_id: &str) -> PortResult<Option<Job>> {
        Ok(self.lock().jobs.get(job_id).cloned())
    }

    async fn set_job_status(&self, job_id: &str, to: JobStatus) -> PortResult<()> {
        if let Some(j) = self.lock().jobs.get_mut(job_id) {
            if !j.status.is_final() {
                j.status = to;
            }
        }
        Ok(())
    }

    async fn batches(&self, job_id: &str) -> PortResult<Vec<BatchManifest>> {
        let s = self.lock();
        Ok(s.batches.range((job_id.to_string(), 0)..=(job_id.to_string(), u32::MAX)).map(|(_, b)| b.clone()).collect())
    }

    async fn batch(&self, job_id: &str, seq: u32) -> PortResult<Option<BatchManifest>> {
        Ok(self.lock().batches.get(&(job_id.to_string(), seq)).cloned())
    }

    async fn move_batch(
        &self,
        job_id: &str,
        seq: u32,
        from: BatchStatus,
        to: BatchStatus,
        error: Option<&str>,
    ) -> PortResult<bool> {
        let mut s = self.lock();
        match s.batches.get_mut(&(job_id.to_string(), seq)) {
            Some(b) if b.status == from => {
                b.status = to;
                b.error = error.map(str::to_string);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn put_trades(&self, job_id: &str, seq: u32, trades: &[AccountTrades]) -> PortResult<()> {
        let mut s = self.lock();
        let batch = s.trades.entry((job_id.to_string(), seq)).or_default();
        for t in trades {
            batch.insert(t.account.clone(), t.clone());
        }
        Ok(())
    }

    async fn trades(&self, job_id: &str, seq: u32) -> PortResult<Vec<AccountTrades>> {
        let s = self.lock();
        Ok(s.trades.get(&(job_id.to_string(), seq)).map(|m| m.values().cloned().collect()).unwrap_or_default())
    }
}

impl AccountStore for MemoryStore {
    async fn accounts(&self, ids: &[String]) -> PortResult<Vec<Account>> {
        let s = self.lock();
        Ok(ids.iter().filter_map(|id| s.accounts.get(id).cloned()).collect())
    }

    async fn known_accounts(&self, ids: &[String]) -> PortResult<Vec<String>> {
        let s = self.lock();
        Ok(ids.iter().filter(|id| s.accounts.contains_key(*id)).cloned().collect())
    }

    async fn household_accounts(&self, household: &str) -> PortResult<Vec<String>> {
        let s = self.lock();
        Ok(s.accounts
            .values()
            .filter(|a| !household.is_empty() && a.household == household)
            .map(|a| a.id.clone())
            .collect())
    }

    async fn model_accounts(&self, model: &str) -> PortResult<Vec<String>> {
        let s = self.lock();
        Ok(s.accounts.values().filter(|a| a.model == model).map(|a| a.id.clone()).collect())
    }

    async fn put_accounts(&self, accounts: &[Account]) -> PortResult<()> {
        let mut s = self.lock();
        for a in accounts {
            s.accounts.insert(a.id.clone(), a.clone());
        }
        Ok(())
    }
}

impl OrderStore for MemoryStore {
    async fn insert_order(&self, order: &Order) -> PortResult<OrderInsert> {
        let mut s = self.lock();
        if let Some(existing) = s.orders.get(&order.id) {
            return Ok(OrderInsert::Exists(Box::new(existing.clone())));
        }
        s.orders.insert(order.id.clone(), order.clone());
        Ok(OrderInsert::Inserted)
    }

    async fn order(&self, id: &str) -> PortResult<Option<Order>> {
        Ok(self.lock().orders.get(id).cloned())
    }

    async fn mark_sent(&self, id: &str) -> PortResult<bool> {
        match self.lock().orders.get_mut(id) {
            Some(o) if o.state == OrderState::New => {
                o.state = OrderState::Sent;
                o.held_for = None;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn apply_report(&self, report: &ExecutionReport) -> PortResult<Option<ReportEffect>> {
        let mut s = self.lock();
        let Some(order) = s.orders.get_mut(&report.order_id) else { return Ok(None) };
        match apply_to_order(order, report) {
            Some(next) => {
                *order = next.clone();
                Ok(Some(ReportEffect::Applied(Box::new(next))))
            }
            None => Ok(Some(ReportEffect::Duplicate)),
        }
    }

    async fn job_orders(&self, job_id: &str) -> PortResult<Vec<Order>> {
        Ok(self.lock().orders.values().filter(|o| o.job_id == job_id).cloned().collect())
    }

    async fn held_orders(&self, venue: &str) -> PortResult<Vec<Order>> {
        let s = self.lock();
        Ok(s.orders
            .values()
            .filter(|o| o.held_for.as_deref() == Some(venue) && matches!(o.state, OrderState::Held | OrderState::New))
            .cloned()
            .collect())
    }

    async fn release_order(&self, id: &str, venue: &str, rerouted_from: Option<&str>) -> PortResult<bool> {
        match self.lock().orders.get_mut(id) {
            Some(o) if o.state == OrderState::Held => {
                o.state = OrderState::New;
                o.venue = venue.to_string();
                o.rerouted_from = rerouted_from.map(str::to_string);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

impl TelemetryStore for MemoryStore {
    async fn telemetry_venues(&self) -> PortResult<Vec<String>> {
        Ok(self.lock().telemetry.keys().cloned().collect())
    }

    async fn venue_telemetry(&self, venue: &str) -> PortResult<Option<VenueTelemetry>> {
        Ok(self.lock().telemetry.get(venue).cloned())
    }

    async fn put_venue_telemetry(&self, t: &VenueTelemetry) -> PortResult<bool> {
        let mut s = self.lock();
        if s.telemetry.get(&t.venue).map_or(0, |x| x.version) + 1 != t.version {
            return Ok(false);
        }
        s.telemetry.insert(t.venue.clone(), t.clone());
        Ok(true)
    }
}

impl DecisionLog for MemoryStore {
    async fn record(&self, decisions: &[AnomalyDecision]) -> PortResult<()> {
        self.lock().decisions.extend_from_slice(decisions);
        Ok(())
    }
}

impl VerdictLog for MemoryStore {
    async fn record_verdict(&self, verdict: &OperatorVerdict) -> PortResult<()> {
        self.lock().verdicts.push(verdict.clone());
        Ok(())
    }
}

impl VenueHealthStore for MemoryStore {
    async fn venue_health(&self) -> PortResult<Vec<VenueHealth>> {
        Ok(self.lock().venues.values().cloned().collect())
    }

    async fn put_venue_health(&self, health: &VenueHealth) -> PortResult<bool> {
        let mut s = self.lock();
        let stored = s.venues.get(&health.venue).map_or(0, |h| h.version);
        if stored + 1 != health.version {
            return Ok(false);
        }
        s.venues.insert(health.venue.clone(), health.clone());
        Ok(true)
    }
}

impl ReadModel for MemoryStore {
    async fn put_job(&self, job: &Job) -> PortResult<()> {
        self.lock().headers.insert(job.id.clone(), job.clone());
        Ok(())
    }

    async fn record_batch(&self, job_id: &str, batch: &BatchSummary, views: &[TradeView]) -> PortResult<()> {
        let mut s = self.lock();
        for v in views {
            s.views.entry((job_id.to_string(), v.key())).or_insert_with(|| v.clone());
        }
        s.summaries.insert((job_id.to_string(), batch.batch), batch.clone());
        Ok(())
    }

    async fn set_batch_status(
        &self,
        job_id: &str,
        batch: u32,
        accounts: u32,
        status: BatchStatus,
        error: Option<&str>,
    ) -> PortResult<()> {
        let mut s = self.lock();
        let summary = s.summaries.entry((job_id.to_string(), batch)).or_insert_with(|| BatchSummary {
            batch,
            accounts,
            status,
            error: None,
            trades: BTreeMap::new(),
            not_traded: BTreeMap::new(),
        });
        summary.status = status;
        summary.error = error.map(str::to_string);
        Ok(())
    }

    async fn advance_trade(&self, job_id: &str, key: &str, order: &Order) -> PortResult<()> {
        let mut s = self.lock();
        let to = TradeState::of_order(order.state);
        let Some(view) = s.views.get_mut(&(job_id.to_string(), key.to_string())) else { return Ok(()) };
        let from = view.state;
        view.order_id = Some(order.id.clone());
        view.filled = order.filled;
        view.average_price = order.average_price;
        if from == to {
            return Ok(());
        }
        view.state = to;
        let batch = view.batch;
        if let Some(summary) = s.summaries.get_mut(&(job_id.to_string(), batch)) {
            if let Some(n) = summary.trades.get_mut(&from) {
                *n = n.saturating_sub(1);
            }
            *summary.trades.entry(to).or_insert(0) += 1;
        }
        Ok(())
    }

    async fn job_view(&self, job_id: &str) -> PortResult<Option<JobView>> {
        let s = self.lock();
        let Some(job) = s.headers.get(job_id) else { return Ok(None) };
        let summaries: Vec<BatchSummary> = s
            .summaries
            .range((job_id.to_string(), 0)..=(job_id.to_string(), u32::MAX))
            .map(|(_, b)| b.clone())
            .collect();
        Ok(Some(JobView::assemble(job, &summaries)))
    }

    async fn trade_views(
        &self,
        job_id: &str,
        filter: &TradeFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> PortResult<TradePage> {
        let s = self.lock();
        let start = (job_id.to_string(), cursor.map(|c| format!("{c}\u{0}")).unwrap_or_default());
        let mut out = Vec::new();
        let mut next = None;
        for ((job, _), v) in s.views.range(start..) {
            if job != job_id {
                break;
            }
            if filter.account.as_ref().is_some_and(|a| *a != v.account) || filter.state.is_some_and(|st| st != v.state)
            {
                continue;
            }
            if out.len() == limit {
                next = out.last().map(TradeView::key);
                break;
            }
            out.push(v.clone());
        }
        Ok(TradePage { trades: out, next })
    }
}

impl JobView {
    /// The job view from its header and its batches' summaries.
    pub fn assemble(job: &Job, summaries: &[BatchSummary]) -> JobView {
        let mut trades = BTreeMap::new();
        let mut not_traded = BTreeMap::new();
        let mut batches = BatchCounts { total: job.batch_count, done: 0, failed: 0 };
        let mut failures = Vec::new();
        for b in summaries {
            for (&state, &n) in &b.trades {
                if n > 0 {
                    *trades.entry(state).or_insert(0) += n;
                }
            }
            for (outcome, &n) in &b.not_traded {
                *not_traded.entry(outcome.clone()).or_insert(0) += n;
            }
            match b.status {
                BatchStatus::Submitted => batches.done += 1,
                BatchStatus::Failed => {
                    batches.failed += 1;
                    failures.push(BatchFailure {
                        batch: b.batch,
                        accounts: b.accounts,
                        error: b.error.clone().unwrap_or_default(),
                    });
                }
                _ => {}
            }
        }
        JobView {
            job_id: job.id.clone(),
            status: job.status,
            mode: job.request.options.mode.as_str().to_string(),
            dry_run: job.request.dry_run,
            created_at: job.created_at,
            trade_date: job.trade_date,
            accounts: job.account_count,
            batches,
            trades,
            accounts_not_traded: not_traded,
            failures,
        }
    }
}

/// Market-center queues in memory, with SQS FIFO's deduplication by id.
#[derive(Default)]
pub struct MemoryQueues {
    inner: Mutex<Queues>,
}

#[derive(Default)]
struct Queues {
    seen: HashSet<String>,
    by_venue: BTreeMap<String, VecDeque<OrderMessage>>,
    sends: u64,
}

impl MemoryQueues {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes up to `max` queued orders of a venue, oldest first.
    pub fn receive(&self, venue: &str, max: usize) -> Vec<OrderMessage> {
        let mut q = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let Some(queue) = q.by_venue.get_mut(venue) else { return Vec::new() };
        let n = max.min(queue.len());
        queue.drain(..n).collect()
    }

    pub fn venues(&self) -> Vec<String> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).by_venue.keys().cloned().collect()
    }

    /// Send calls accepted, duplicates included (the queue keeps one of each).
    pub fn sends(&self) -> u64 {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).sends
    }
}

impl OrderGateway for MemoryQueues {
    async fn send(&self, orders: &[OrderMessage]) -> PortResult<()> {
        let mut q = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        for o in orders {
            q.sends += 1;
            // FIFO deduplication: the same id is accepted and dropped.
            if q.seen.insert(o.order_id.clone()) {
                q.by_venue.entry(o.venue.clone()).or_default().push_back(o.clone());
            }
        }
        Ok(())
    }
}

/// Workflow executions recorded in memory; the embedded orchestrator runs them.
#[derive(Default)]
pub struct MemoryWorkflow {
    started: Mutex<BTreeMap<String, Vec<u32>>>,
}

impl MemoryWorkflow {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn executions(&self) -> BTreeMap<String, Vec<u32>> {
        self.started.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Workflow for MemoryWorkflow {
    async fn start(&self, job: &Job, batches: &[u32]) -> PortResult<String> {
        self.started
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(job.id.clone())
            .or_insert_with(|| batches.to_vec());
        Ok(format!("memory:execution:{}", job.id))
    }
}

/// The whole flow in process: the embedded default's platform.
pub struct MemoryPlatform<S: ballast_refcache::ReferenceSource> {
    pub store: MemoryStore,
    pub queues: MemoryQueues,
    pub workflow: MemoryWorkflow,
    pub reference: ballast_refcache::ReferenceCache<S>,
}

impl<S: ballast_refcache::ReferenceSource> MemoryPlatform<S> {
    pub fn new(reference: ballast_refcache::ReferenceCache<S>) -> Self {
        MemoryPlatform {
            store: MemoryStore::new(),
            queues: MemoryQueues::new(),
            workflow: MemoryWorkflow::new(),
            reference,
        }
    }

    /// `POST /rebalances`.
    pub async fn accept(
        &self,
        body: &[u8],
        key: Option<&str>,
        now: DateTime<Utc>,
        trade_date: chrono::NaiveDate,
    ) -> Result<crate::service::Accepted, crate::ApiError> {
        crate::service::accept_rebalance(
            &self.store,
            &self.store,
            &self.workflow,
            &self.store,
            body,
            key,
            now,
            trade_date,
        )
        .await
    }

    /// Runs a job's workflow to its end.
    pub async fn run(&self, job_id: &str) -> Result<JobStatus, crate::service::StepError> {
        let s = &self.store;
        crate::orchestrator::run_job(s, s, s, &self.queues, s, &self.reference, job_id).await
    }

    /// The market centers execute every queued order; their reports are applied.
    /// Returns how many reports were applied.
    pub async fn execute_queued(&self) -> Result<usize, crate::service::ReportFailure> {
        let mut applied = 0;
        for venue in self.queues.venues() {
            loop {
                let batch = self.queues.receive(&venue, 100);
                if batch.is_empty() {
                    break;
                }
                for order in &batch {
                    for report in crate::orchestrator::execute(order) {
                        let s = &self.store;
                        crate::service::apply_execution_report(s, s, s, &report).await?;
                        applied += 1;
                    }
                }
            }
        }
        Ok(applied)
    }
}

/// The ETF ports in process: the feed, approvals, reviews and runs, the workflow's
/// resumptions and the training log, with the conditional semantics of the AWS adapters.
#[derive(Default)]
pub struct MemoryEtf {
    inner: Mutex<EtfState>,
}

#[derive(Default)]
struct EtfState {
    feed: crate::etf::FeedRead,
    approvals: BTreeMap<String, crate::etf::Approved>,
    reviews: BTreeMap<String, crate::etf::ReviewItem>,
    runs: BTreeMap<String, crate::etf::EtfRun>,
    resumed: Vec<(String, serde_json::Value)>,
    classified: Vec<crate::etf::Classified>,
    /// Where each (run, symbol) sits in `classified`.
    classified_at: BTreeMap<(String, String), usize>,
    decided: Vec<crate::etf::ReviewItem>,
}

impl MemoryEtf {
    pub fn new(feed: crate::etf::FeedRead) -> Self {
        MemoryEtf { inner: Mutex::new(EtfState { feed, ..Default::default() }) }
    }

    fn lock(&self) -> MutexGuard<'_, EtfState> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the feed (the next night's reference data).
    pub fn set_feed(&self, feed: crate::etf::FeedRead) {
        self.lock().feed = feed;
    }

    /// The nightly classification step over these adapters, with the deterministic rationale.
    pub fn nightly<'a, C: crate::etf::EtfClassifier>(
        &'a self,
        classifier: &'a C,
        config: crate::etf::NightlyConfig,
    ) -> crate::etf::Nightly<'a, Self, C, crate::etf::TemplateRationale, Self, Self> {
        crate::etf::Nightly {
            feed: self,
            classifier,
            rationale: &crate::etf::TemplateRationale,
            store: self,
            log: self,
            config,
        }
    }

    /// Task tokens resumed, with their output, in order.
    pub fn resumed(&self) -> Vec<(String, serde_json::Value)> {
        self.lock().resumed.clone()
    }

    /// The training log: classifications and decided reviews, in order.
    pub fn training_log(&self) -> (Vec<crate::etf::Classified>, Vec<crate::etf::ReviewItem>) {
        let s = self.lock();
        (s.classified.clone(), s.decided.clone())
    }
}

impl crate::etf::EtfFeed for MemoryEtf {
    async fn etfs(&self) -> PortResult<crate::etf::FeedRead> {
        Ok(self.lock().feed.clone())
    }
}

impl crate::etf::EtfStore for MemoryEtf {
    async fn approvals(&self) -> PortResult<Vec<crate::etf::Approved>> {
        Ok(self.lock().approvals.values().cloned().collect())
    }

    async fn put_approvals(&self, approvals: &[crate::etf::Approved]) -> PortResult<()> {
        let mut s = self.lock();
        for a in approvals {
            s.approvals.insert(a.symbol.clone(), a.clone());
        }
        Ok(())
    }

    async fn put_reviews(&self, items: &[crate::etf::ReviewItem]) -> PortResult<()> {
        let mut s = self.lock();
        for item in items {
            let same_run_pending = s
                .reviews
                .get(&item.symbol)
                .is_some_and(|r| r.run_id == item.run_id && r.status == crate::etf::ReviewStatus::Pending);
            if !same_run_pending {
                s.reviews.insert(item.symbol.clone(), item.clone());
            }
        }
        Ok(())
    }

    async fn reviews(&self, status: Option<crate::etf::ReviewStatus>) -> PortResult<Vec<crate::etf::ReviewItem>> {
        Ok(self.lock().reviews.values().filter(|r| status.is_none_or(|s| r.status == s)).cloned().collect())
    }

    async fn review(&self, symbol: &str) -> PortResult<Option<crate::etf::ReviewItem>> {
        Ok(self.lock().reviews.get(symbol).cloned())
    }

    async fn decide(
        &self,
        symbol: &str,
        run_id: Option<&str>,
        decision: &crate::etf::ReviewDecision,
    ) -> PortResult<Option<crate::etf::ReviewItem>> {
        let mut s = self.lock();
        let Some(r) = s.reviews.get_mut(symbol) else { return Ok(None) };
        if r.status != crate::etf::ReviewStatus::Pending || run_id.is_some_and(|id| id != r.run_id) {
            return Ok(None);
        }
        r.status = match decision.verdict {
            crate::etf::Verdict::Approve => crate::etf::ReviewStatus::Approved,
            crate::etf::Verdict::Override { .. } => crate::etf::ReviewStatus::Overridden,
        };
        r.decision = Some(decision.clone());
        Ok(Some(r.clone()))
    }

    async fn put_run(&self, run: &crate::etf::EtfRun) -> PortResult<()> {
        self.lock().runs.insert(run.run_id.clone(), run.clone());
        Ok(())
    }

    async fn run(&self, run_id: &str) -> PortResult<Option<crate::etf::EtfRun>> {
        Ok(self.lock().runs.get(run_id).cloned())
    }
}

impl crate::etf::ReviewWorkflow for MemoryEtf {
    async fn resume(&self, task_token: &str, output: &serde_json::Value) -> PortResult<()> {
        self.lock().resumed.push((task_token.to_string(), output.clone()));
        Ok(())
    }
}

impl crate::etf::TrainingLog for MemoryEtf {
    async fn record_classifications(&self, rows: &[crate::etf::Classified]) -> PortResult<()> {
        // Keyed by run and symbol, like the table: a retried step replaces its own rows.
        let mut s = self.lock();
        for row in rows {
            let key = (row.run_id.clone(), row.etf.symbol.clone());
            match s.classified_at.get(&key).copied() {
                Some(i) => s.classified[i] = row.clone(),
                None => {
                    let i = s.classified.len();
                    s.classified.push(row.clone());
                    s.classified_at.insert(key, i);
                }
            }
        }
        Ok(())
    }

    async fn record_review(&self, item: &crate::etf::ReviewItem) -> PortResult<()> {
        self.lock().decided.push(item.clone());
        Ok(())
    }
}
