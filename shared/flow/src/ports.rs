//! The flow's view of the outside world. Each port has an in-memory adapter
//! ([`crate::memory`]) for the embedded default and unit tests, and an AWS adapter
//! (DynamoDB, SQS, Step Functions) in `ballast-aws`. Every write that a retry may repeat
//! is conditional, so replaying any step changes nothing the second time.

use std::future::Future;

use ballast_core::Account;
use chrono::{DateTime, Utc};

use crate::health::VenueHealth;
use crate::model::{
    AccountTrades, BatchManifest, BatchStatus, BatchSummary, ExecutionReport, Job, JobStatus, JobView, Order,
    OrderMessage, TradeFilter, TradePage, TradeView,
};

/// A failure of a store or queue: the step may be retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {detail}")]
pub struct PortError {
    pub what: &'static str,
    pub detail: String,
}

impl PortError {
    pub fn new(what: &'static str, detail: impl ToString) -> Self {
        PortError { what, detail: detail.to_string() }
    }
}

pub type PortResult<T> = Result<T, PortError>;

/// What claiming an idempotency key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyClaim {
    /// The key is new and now belongs to this job.
    Claimed,
    /// The key was used before, for `job_id`, with a body of hash `request_hash`.
    Existing { job_id: String, request_hash: String },
}

/// Jobs, their batch manifests and the trades each batch produced (the write side).
pub trait JobStore: Send + Sync {
    /// Claims `key` for `job_id` unless it is already claimed (conditional put; expires
    /// after the store's retention).
    fn claim_key(
        &self,
        key: &str,
        request_hash: &str,
        job_id: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = PortResult<KeyClaim>> + Send;
    /// Writes the job and its manifests; writing the same job again changes nothing.
    fn create_job(&self, job: &Job, batches: &[BatchManifest]) -> impl Future<Output = PortResult<()>> + Send;
    fn job(&self, job_id: &str) -> impl Future<Output = PortResult<Option<Job>>> + Send;
    /// Moves the job to `to` unless it is already final.
    fn set_job_status(&self, job_id: &str, to: JobStatus) -> impl Future<Output = PortResult<()>> + Send;
    fn batches(&self, job_id: &str) -> impl Future<Output = PortResult<Vec<BatchManifest>>> + Send;
    fn batch(&self, job_id: &str, seq: u32) -> impl Future<Output = PortResult<Option<BatchManifest>>> + Send;
    /// Moves a batch from `from` to `to` (conditional); false when it was not in `from`.
    fn move_batch(
        &self,
        job_id: &str,
        seq: u32,
        from: BatchStatus,
        to: BatchStatus,
        error: Option<&str>,
    ) -> impl Future<Output = PortResult<bool>> + Send;
    /// Stores (or replaces) one account's trades in a batch.
    fn put_trades(
        &self,
        job_id: &str,
        seq: u32,
        trades: &[AccountTrades],
    ) -> impl Future<Output = PortResult<()>> + Send;
    fn trades(&self, job_id: &str, seq: u32) -> impl Future<Output = PortResult<Vec<AccountTrades>>> + Send;
}

/// Accounts with their positions, lots and profiles, and the indexes the API resolves
/// scopes with.
pub trait AccountStore: Send + Sync {
    /// The accounts found, in the order asked; unknown ids are left out.
    fn accounts(&self, ids: &[String]) -> impl Future<Output = PortResult<Vec<Account>>> + Send;
    /// Which of `ids` exist (without loading positions).
    fn known_accounts(&self, ids: &[String]) -> impl Future<Output = PortResult<Vec<String>>> + Send;
    /// Ids of every account of a household.
    fn household_accounts(&self, household: &str) -> impl Future<Output = PortResult<Vec<String>>> + Send;
    /// Ids of every account managed to a model.
    fn model_accounts(&self, model: &str) -> impl Future<Output = PortResult<Vec<String>>> + Send;
    fn put_accounts(&self, accounts: &[Account]) -> impl Future<Output = PortResult<()>> + Send;
}

/// What inserting an order found.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderInsert {
    Inserted,
    /// The order was written before (a retry): as it stands now.
    Exists(Box<Order>),
}

/// What applying an execution report did.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportEffect {
    /// The order moved; here it is after the report.
    Applied(Box<Order>),
    /// A redelivery or an older report: nothing changed.
    Duplicate,
}

/// Orders, one per (job, account, security, side).
pub trait OrderStore: Send + Sync {
    /// Writes the order unless one with its id exists (conditional put).
    fn insert_order(&self, order: &Order) -> impl Future<Output = PortResult<OrderInsert>> + Send;
    fn order(&self, id: &str) -> impl Future<Output = PortResult<Option<Order>>> + Send;
    /// New → Sent (conditional); false when the order had already moved on.
    fn mark_sent(&self, id: &str) -> impl Future<Output = PortResult<bool>> + Send;
    /// Applies a report whose sequence is above the order's last one (conditional).
    /// `Ok(None)` when no order has the report's id.
    fn apply_report(&self, report: &ExecutionReport) -> impl Future<Output = PortResult<Option<ReportEffect>>> + Send;
    fn job_orders(&self, job_id: &str) -> impl Future<Output = PortResult<Vec<Order>>> + Send;
    /// Orders waiting for `venue` to recover: held ones, and released ones not yet marked
    /// sent (a release that stopped half-way is finished by the next one).
    fn held_orders(&self, venue: &str) -> impl Future<Output = PortResult<Vec<Order>>> + Send;
    /// Held → New, to `venue` (its own, or the alternative it is rerouted to), conditional;
    /// false when the order was no longer held.
    fn release_order(
        &self,
        id: &str,
        venue: &str,
        rerouted_from: Option<&str>,
    ) -> impl Future<Output = PortResult<bool>> + Send;
}

/// Each market center's health, as the anomaly detector and operators set it.
pub trait VenueHealthStore: Send + Sync {
    /// Every venue with a health record (a venue without one is healthy).
    fn venue_health(&self) -> impl Future<Output = PortResult<Vec<VenueHealth>>> + Send;
    /// Writes `health` if the stored version is still `health.version - 1` (or there is none
    /// and it is 1); false when another writer moved it first.
    fn put_venue_health(&self, health: &VenueHealth) -> impl Future<Output = PortResult<bool>> + Send;
}

/// The market centers' order queues (SQS FIFO: group = account, deduplication id = order id).
pub trait OrderGateway: Send + Sync {
    fn send(&self, orders: &[OrderMessage]) -> impl Future<Output = PortResult<()>> + Send;
}

/// Starts the rebalance workflow of a job (Step Functions: execution name = job id, so
/// starting it twice starts it once).
pub trait Workflow: Send + Sync {
    fn start(&self, job: &Job, batches: &[u32]) -> impl Future<Output = PortResult<String>> + Send;
}

/// The read side: one view per trade of a job, one summary per batch (its status and
/// trades per state) and the job's header, updated as trades move and queried by the API
/// without touching the write side.
pub trait ReadModel: Send + Sync {
    /// Writes the job's header (status, mode, sizes).
    fn put_job(&self, job: &Job) -> impl Future<Output = PortResult<()>> + Send;
    /// Records a checked batch: each trade's view unless it exists, and the batch's
    /// summary (trades per state, accounts not traded by outcome). Recording the same
    /// batch again leaves it as it was.
    fn record_batch(
        &self,
        job_id: &str,
        batch: &BatchSummary,
        views: &[TradeView],
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// Sets a batch's status (and error) in its summary, creating the summary if the
    /// batch failed before it was recorded.
    fn set_batch_status(
        &self,
        job_id: &str,
        batch: u32,
        accounts: u32,
        status: BatchStatus,
        error: Option<&str>,
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// Moves a trade's view to the state of its order (with its fill), and the batch's
    /// counters with it, in one write; a move to the state it is in changes nothing.
    fn advance_trade(&self, job_id: &str, key: &str, order: &Order) -> impl Future<Output = PortResult<()>> + Send;
    /// The job with its batches and trades per state; `None` for an unknown job.
    fn job_view(&self, job_id: &str) -> impl Future<Output = PortResult<Option<JobView>>> + Send;
    /// A page of the job's trades in key order (account, security, side).
    fn trade_views(
        &self,
        job_id: &str,
        filter: &TradeFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = PortResult<TradePage>> + Send;
}
