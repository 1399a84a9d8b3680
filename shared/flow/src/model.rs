//! What the flow stores: jobs, batch manifests, checked trades, orders, execution reports,
//! and the read side's views of them.

use std::collections::BTreeMap;

use ballast_core::checks::{CheckOutcome, Severity};
use ballast_core::{AccountOutcome, Decimal, EngineException, ProposedTrade, Side, TradeReason};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::request::RebalanceRequest;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Written with its batches; the workflow is starting or queued.
    Accepted,
    /// At least one batch has started.
    Running,
    /// Every batch ran; orders may still be working at the market centers.
    Submitted,
    /// Every batch ran and every order reached a final state (or the job was a dry run).
    Completed,
    /// Finished, but some batches failed (their accounts were not traded).
    CompletedWithFailures,
    /// No batch succeeded.
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Accepted => "accepted",
            JobStatus::Running => "running",
            JobStatus::Submitted => "submitted",
            JobStatus::Completed => "completed",
            JobStatus::CompletedWithFailures => "completed_with_failures",
            JobStatus::Failed => "failed",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, JobStatus::Completed | JobStatus::CompletedWithFailures | JobStatus::Failed)
    }

    pub const ALL: [JobStatus; 6] = [
        JobStatus::Accepted,
        JobStatus::Running,
        JobStatus::Submitted,
        JobStatus::Completed,
        JobStatus::CompletedWithFailures,
        JobStatus::Failed,
    ];

    pub fn parse(s: &str) -> Option<JobStatus> {
        JobStatus::ALL.into_iter().find(|j| j.as_str() == s)
    }
}

/// A rebalance request accepted by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub status: JobStatus,
    pub request: RebalanceRequest,
    /// SHA-256 of the canonical request: the same idempotency key with another body is refused.
    pub request_hash: String,
    #[serde(default)]
    pub idempotency_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub trade_date: NaiveDate,
    pub batch_count: u32,
    pub account_count: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    Pending,
    Rebalanced,
    Checked,
    Submitted,
    Failed,
}

impl BatchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Pending => "pending",
            BatchStatus::Rebalanced => "rebalanced",
            BatchStatus::Checked => "checked",
            BatchStatus::Submitted => "submitted",
            BatchStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<BatchStatus> {
        [
            BatchStatus::Pending,
            BatchStatus::Rebalanced,
            BatchStatus::Checked,
            BatchStatus::Submitted,
            BatchStatus::Failed,
        ]
        .into_iter()
        .find(|b| b.as_str() == s)
    }
}

/// A slice of a job's accounts that one state-machine branch carries through
/// rebalance → check → submit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchManifest {
    pub job_id: String,
    pub seq: u32,
    pub accounts: Vec<String>,
    pub status: BatchStatus,
    #[serde(default)]
    pub error: Option<String>,
}

/// A check outcome as stored and served (owned strings, so it reads back).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub id: String,
    pub severity: Severity,
    pub reason: String,
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

impl From<CheckOutcome> for Outcome {
    fn from(o: CheckOutcome) -> Self {
        Outcome {
            id: o.id.to_string(),
            severity: o.severity,
            reason: o.reason,
            values: o.values.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        }
    }
}

/// A proposed trade and, once checked, what the pre-trade checks said about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckedTrade {
    pub trade: ProposedTrade,
    #[serde(default)]
    pub outcomes: Vec<Outcome>,
}

impl CheckedTrade {
    pub fn blocked(&self) -> bool {
        self.outcomes.iter().any(|o| o.severity == Severity::Block)
    }
}

/// One account's result within a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountTrades {
    pub account: String,
    pub outcome: AccountOutcome,
    #[serde(default)]
    pub exceptions: Vec<EngineException>,
    pub trades: Vec<CheckedTrade>,
    /// The checks have run on `trades`.
    #[serde(default)]
    pub checked: bool,
    /// The account lets its orders go to an alternative venue (not client-directed).
    #[serde(default = "yes")]
    pub may_reroute: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Recorded; waiting for its halted market center to recover (never sent yet).
    Held,
    /// Recorded; not yet handed to the market center's queue.
    New,
    Sent,
    Acknowledged,
    PartiallyFilled,
    Filled,
    Rejected,
    Cancelled,
}

impl OrderState {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Held => "held",
            OrderState::New => "new",
            OrderState::Sent => "sent",
            OrderState::Acknowledged => "acknowledged",
            OrderState::PartiallyFilled => "partially_filled",
            OrderState::Filled => "filled",
            OrderState::Rejected => "rejected",
            OrderState::Cancelled => "cancelled",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, OrderState::Filled | OrderState::Rejected | OrderState::Cancelled)
    }
}

/// An order: one per (job, account, security, side), whatever is retried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub job_id: String,
    pub batch: u32,
    pub account: String,
    pub security: String,
    pub side: Side,
    pub quantity: Decimal,
    /// Reference price the trade was sized at.
    pub price: Decimal,
    pub venue: String,
    pub state: OrderState,
    #[serde(default)]
    pub filled: Decimal,
    #[serde(default)]
    pub average_price: Option<Decimal>,
    /// Sequence number of the last execution report applied (0: none).
    #[serde(default)]
    pub last_report: u64,
    #[serde(default)]
    pub reason: Option<String>,
    /// The venue it was meant for, when routing sent it to that venue's alternative.
    #[serde(default)]
    pub rerouted_from: Option<String>,
    /// The halted venue whose recovery releases it, while it is held or being released.
    #[serde(default)]
    pub held_for: Option<String>,
    /// The account lets its orders go to an alternative venue.
    #[serde(default = "yes")]
    pub may_reroute: bool,
}

fn yes() -> bool {
    true
}

/// What goes on a market center's order queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderMessage {
    pub order_id: String,
    pub job_id: String,
    pub account: String,
    pub security: String,
    pub side: Side,
    pub quantity: Decimal,
    pub price: Decimal,
    pub venue: String,
}

impl From<&Order> for OrderMessage {
    fn from(o: &Order) -> Self {
        OrderMessage {
            order_id: o.id.clone(),
            job_id: o.job_id.clone(),
            account: o.account.clone(),
            security: o.security.clone(),
            side: o.side,
            quantity: o.quantity,
            price: o.price,
            venue: o.venue.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Ack,
    PartialFill,
    Fill,
    Reject,
    Cancel,
}

/// An execution report from a market center. `seq` increases per order; a report at or
/// below the order's last applied sequence is a redelivery and changes nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionReport {
    pub order_id: String,
    pub venue: String,
    pub seq: u64,
    pub kind: ReportKind,
    /// Quantity of this fill (fills only).
    #[serde(default)]
    pub quantity: Option<Decimal>,
    #[serde(default)]
    pub price: Option<Decimal>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

/// Where a trade stands, as the read side shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TradeState {
    /// Stopped by a blocking check: never sent.
    Blocked,
    /// Passed the checks in a dry run: not sent.
    Passed,
    /// Waiting for its halted market center to recover.
    Held,
    Submitted,
    Acknowledged,
    PartiallyFilled,
    Filled,
    Rejected,
    Cancelled,
}

impl TradeState {
    pub fn as_str(self) -> &'static str {
        match self {
            TradeState::Blocked => "blocked",
            TradeState::Passed => "passed",
            TradeState::Held => "held",
            TradeState::Submitted => "submitted",
            TradeState::Acknowledged => "acknowledged",
            TradeState::PartiallyFilled => "partially_filled",
            TradeState::Filled => "filled",
            TradeState::Rejected => "rejected",
            TradeState::Cancelled => "cancelled",
        }
    }

    pub const ALL: [TradeState; 9] = [
        TradeState::Blocked,
        TradeState::Passed,
        TradeState::Held,
        TradeState::Submitted,
        TradeState::Acknowledged,
        TradeState::PartiallyFilled,
        TradeState::Filled,
        TradeState::Rejected,
        TradeState::Cancelled,
    ];

    pub fn parse(s: &str) -> Option<TradeState> {
        TradeState::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// No further change is expected.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            TradeState::Blocked
                | TradeState::Passed
                | TradeState::Filled
                | TradeState::Rejected
                | TradeState::Cancelled
        )
    }

    pub fn of_order(s: OrderState) -> TradeState {
        match s {
            OrderState::Held => TradeState::Held,
            OrderState::New | OrderState::Sent => TradeState::Submitted,
            OrderState::Acknowledged => TradeState::Acknowledged,
            OrderState::PartiallyFilled => TradeState::PartiallyFilled,
            OrderState::Filled => TradeState::Filled,
            OrderState::Rejected => TradeState::Rejected,
            OrderState::Cancelled => TradeState::Cancelled,
        }
    }
}

/// One trade of a job on the read side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TradeView {
    pub job_id: String,
    pub batch: u32,
    pub account: String,
    pub security: String,
    pub side: Side,
    pub quantity: Decimal,
    pub price: Decimal,
    pub amount: Decimal,
    pub reason: TradeReason,
    pub state: TradeState,
    #[serde(default)]
    pub order_id: Option<String>,
    #[serde(default)]
    pub filled: Decimal,
    #[serde(default)]
    pub average_price: Option<Decimal>,
    #[serde(default)]
    pub outcomes: Vec<Outcome>,
}

impl TradeView {
    /// The view's key within its job: account, security and side (unique per job).
    pub fn key(&self) -> String {
        trade_key(&self.account, &self.security, self.side)
    }
}

pub fn trade_key(account: &str, security: &str, side: Side) -> String {
    format!("{account}#{security}#{}", side.as_str())
}

/// A batch on the read side: its status and what its trades are doing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchSummary {
    pub batch: u32,
    pub accounts: u32,
    pub status: BatchStatus,
    #[serde(default)]
    pub error: Option<String>,
    /// Trades per state.
    #[serde(default)]
    pub trades: BTreeMap<TradeState, u64>,
    /// Accounts the engine did not rebalance, by outcome (skipped, invalid, no trades needed).
    #[serde(default)]
    pub not_traded: BTreeMap<String, u64>,
}

/// A batch that failed, as the job view lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchFailure {
    pub batch: u32,
    pub accounts: u32,
    pub error: String,
}

/// The job as `GET /rebalances/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    pub job_id: String,
    pub status: JobStatus,
    pub mode: String,
    pub dry_run: bool,
    pub created_at: DateTime<Utc>,
    pub trade_date: NaiveDate,
    pub accounts: u32,
    pub batches: BatchCounts,
    /// Trades per state.
    pub trades: BTreeMap<TradeState, u64>,
    /// Accounts the engine did not rebalance, by outcome (skipped, invalid, ...).
    pub accounts_not_traded: BTreeMap<String, u64>,
    pub failures: Vec<BatchFailure>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCounts {
    pub total: u32,
    pub done: u32,
    pub failed: u32,
}

/// A page of trades and the cursor to the next one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TradePage {
    pub trades: Vec<TradeView>,
    #[serde(default)]
    pub next: Option<String>,
}

/// Which trades of a job to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TradeFilter {
    pub account: Option<String>,
    pub state: Option<TradeState>,
}
