//! Fault injection for tests: wraps any adapter and makes its n-th write fail, either
//! before the write happens or after it (the write is done, then the caller sees an error,
//! as when a Lambda dies right after a DynamoDB put). The exactly-once tests run a job once
//! per write with a crash there, over the in-memory adapters and over the AWS ones.

use std::sync::atomic::{AtomicU64, Ordering};

use ballast_core::Account;
use chrono::{DateTime, Utc};

use crate::anomaly::{AnomalyDecision, DecisionLog, VerdictLog};
use crate::health::{OperatorVerdict, VenueHealth};
use crate::model::{
    AccountTrades, BatchManifest, BatchStatus, BatchSummary, ExecutionReport, Job, JobStatus, JobView, Order,
    OrderMessage, TradeFilter, TradePage, TradeView,
};
use crate::ports::{
    AccountStore, JobStore, KeyClaim, OrderGateway, OrderInsert, OrderStore, PortError, PortResult, ReadModel,
    ReportEffect, VenueHealthStore, Workflow,
};

/// When the injected failure strikes relative to the write it hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crash {
    /// The write does not happen.
    Before,
    /// The write happens; the caller is told it failed.
    After,
}

/// An adapter whose `fail_at`-th write (1-based, counted across every port it wraps) fails.
pub struct Faulty<P> {
    pub inner: P,
    writes: AtomicU64,
    fail_at: AtomicU64,
    after: std::sync::atomic::AtomicBool,
    log: std::sync::Mutex<Vec<&'static str>>,
}

impl<P> Faulty<P> {
    /// No failure until [`Faulty::fail_write`] is called.
    pub fn new(inner: P) -> Self {
        Faulty {
            inner,
            writes: AtomicU64::new(0),
            fail_at: AtomicU64::new(0),
            after: Default::default(),
            log: Default::default(),
        }
    }

    /// Makes write number `n` (counted from now) fail.
    pub fn fail_write(&self, n: u64, crash: Crash) {
        self.fail_at.store(self.writes.load(Ordering::SeqCst).saturating_add(n), Ordering::SeqCst);
        self.after.store(crash == Crash::After, Ordering::SeqCst);
    }

    /// Writes seen so far.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    /// The kind of every write seen so far, in order (write n is `log()[n - 1]`).
    pub fn log(&self) -> Vec<&'static str> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Write numbers (1-based) of the first and the last write of each kind seen so far:
    /// a small set of crash points that still covers every kind of write.
    pub fn first_and_last_of_each_kind(&self) -> Vec<u64> {
        let log = self.log();
        let mut points = std::collections::BTreeSet::new();
        for (i, kind) in log.iter().enumerate() {
            if log.iter().position(|k| k == kind) == Some(i) || log.iter().rposition(|k| k == kind) == Some(i) {
                points.insert(i as u64 + 1);
            }
        }
        points.into_iter().collect()
    }

    /// Counts a write; the error, if this is the one to fail, and whether it strikes after.
    fn gate(&self, what: &'static str) -> Option<(PortError, bool)> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).push(what);
        let n = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        (n == self.fail_at.load(Ordering::SeqCst)).then(|| {
            (PortError::new(what, format!("injected failure at write {n}")), self.after.load(Ordering::SeqCst))
        })
    }
}

/// Runs one write through the gate.
macro_rules! write {
    ($self:ident, $what:literal, $call:expr) => {{
        match $self.gate($what) {
            Some((e, false)) => Err(e),
            Some((e, true)) => {
                $call.await?;
                Err(e)
            }
            None => $call.await,
        }
    }};
}

impl<P: JobStore> JobStore for Faulty<P> {
    async fn claim_key(&self, key: &str, hash: &str, job_id: &str, now: DateTime<Utc>) -> PortResult<KeyClaim> {
        write!(self, "claim_key", self.inner.claim_key(key, hash, job_id, now))
    }
    async fn create_job(&self, job: &Job, batches: &[BatchManifest]) -> PortResult<()> {
        write!(self, "create_job", self.inner.create_job(job, batches))
    }
    async fn job(&self, job_id: &str) -> PortResult<Option<Job>> {
        self.inner.job(job_id).await
    }
    async fn set_job_status(&self, job_id: &str, to: JobStatus) -> PortResult<()> {
        write!(self, "set_job_status", self.inner.set_job_status(job_id, to))
    }
    async fn batches(&self, job_id: &str) -> PortResult<Vec<BatchManifest>> {
        self.inner.batches(job_id).await
    }
    async fn batch(&self, job_id: &str, seq: u32) -> PortResult<Option<BatchManifest>> {
        self.inner.batch(job_id, seq).await
    }
    async fn move_batch(
        &self,
        job_id: &str,
        seq: u32,
        from: BatchStatus,
        to: BatchStatus,
        error: Option<&str>,
    ) -> PortResult<bool> {
        write!(self, "move_batch", self.inner.move_batch(job_id, seq, from, to, error))
    }
    async fn put_trades(&self, job_id: &str, seq: u32, trades: &[AccountTrades]) -> PortResult<()> {
        write!(self, "put_trades", self.inner.put_trades(job_id, seq, trades))
    }
    async fn trades(&self, job_id: &str, seq: u32) -> PortResult<Vec<AccountTrades>> {
        self.inner.trades(job_id, seq).await
    }
}

impl<P: AccountStore> AccountStore for Faulty<P> {
    async fn accounts(&self, ids: &[String]) -> PortResult<Vec<Account>> {
        self.inner.accounts(ids).await
    }
    async fn known_accounts(&self, ids: &[String]) -> PortResult<Vec<String>> {
        self.inner.known_accounts(ids).await
    }
    async fn household_accounts(&self, household: &str) -> PortResult<Vec<String>> {
        self.inner.household_accounts(household).await
    }
    async fn model_accounts(&self, model: &str) -> PortResult<Vec<String>> {
        self.inner.model_accounts(model).await
    }
    async fn put_accounts(&self, accounts: &[Account]) -> PortResult<()> {
        self.inner.put_accounts(accounts).await
    }
}

impl<P: OrderStore> OrderStore for Faulty<P> {
    async fn insert_order(&self, order: &Order) -> PortResult<OrderInsert> {
        write!(self, "insert_order", self.inner.insert_order(order))
    }
    async fn order(&self, id: &str) -> PortResult<Option<Order>> {
        self.inner.order(id).await
    }
    async fn mark_sent(&self, id: &str) -> PortResult<bool> {
        write!(self, "mark_sent", self.inner.mark_sent(id))
    }
    async fn apply_report(&self, report: &ExecutionReport) -> PortResult<Option<ReportEffect>> {
        write!(self, "apply_report", self.inner.apply_report(report))
    }
    async fn job_orders(&self, job_id: &str) -> PortResult<Vec<Order>> {
        self.inner.job_orders(job_id).await
    }
    async fn held_orders(&self, venue: &str) -> PortResult<Vec<Order>> {
        self.inner.held_orders(venue).await
    }
    async fn release_order(&self, id: &str, venue: &str, rerouted_from: Option<&str>) -> PortResult<bool> {
        write!(self, "release_order", self.inner.release_order(id, venue, rerouted_from))
    }
}

impl<P: VenueHealthStore> VenueHealthStore for Faulty<P> {
    async fn venue_health(&self) -> PortResult<Vec<VenueHealth>> {
        self.inner.venue_health().await
    }
    async fn put_venue_health(&self, health: &VenueHealth) -> PortResult<bool> {
        write!(self, "put_venue_health", self.inner.put_venue_health(health))
    }
}

impl<P: DecisionLog> DecisionLog for Faulty<P> {
    async fn record(&self, decisions: &[AnomalyDecision]) -> PortResult<()> {
        write!(self, "record_decisions", self.inner.record(decisions))
    }
}

impl<P: VerdictLog> VerdictLog for Faulty<P> {
    async fn record_verdict(&self, verdict: &OperatorVerdict) -> PortResult<()> {
        write!(self, "record_verdict", self.inner.record_verdict(verdict))
    }
}

impl<P: OrderGateway> OrderGateway for Faulty<P> {
    async fn send(&self, orders: &[OrderMessage]) -> PortResult<()> {
        write!(self, "send", self.inner.send(orders))
    }
}

impl<P: Workflow> Workflow for Faulty<P> {
    async fn start(&self, job: &Job, batches: &[u32]) -> PortResult<String> {
        write!(self, "start", self.inner.start(job, batches))
    }
}

impl<P: ReadModel> ReadModel for Faulty<P> {
    async fn put_job(&self, job: &Job) -> PortResult<()> {
        write!(self, "put_job", self.inner.put_job(job))
    }
    async fn record_batch(&self, job_id: &str, batch: &BatchSummary, views: &[TradeView]) -> PortResult<()> {
        write!(self, "record_batch", self.inner.record_batch(job_id, batch, views))
    }
    async fn set_batch_status(
        &self,
        job_id: &str,
        batch: u32,
        accounts: u32,
        status: BatchStatus,
        error: Option<&str>,
    ) -> PortResult<()> {
        write!(self, "set_batch_status", self.inner.set_batch_status(job_id, batch, accounts, status, error))
    }
    async fn advance_trade(&self, job_id: &str, key: &str, order: &Order) -> PortResult<()> {
        write!(self, "advance_trade", self.inner.advance_trade(job_id, key, order))
    }
    async fn job_view(&self, job_id: &str) -> PortResult<Option<JobView>> {
        self.inner.job_view(job_id).await
    }
    async fn trade_views(
        &self,
        job_id: &str,
        filter: &TradeFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> PortResult<TradePage> {
        self.inner.trade_views(job_id, filter, cursor, limit).await
    }
}
