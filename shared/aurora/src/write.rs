//! The write-back: model decisions, reviewer decisions and outcomes, written so that a
//! retried Lambda never duplicates or rewrites a row.
//!
//! Batches go in as one `INSERT … SELECT FROM UNNEST(arrays)` per [`CHUNK`] rows: one
//! parameter per column whatever the row count, so 2,000 classifications take two round
//! trips. Every insert is keyed (docs/DATA-MODEL.md) and either does nothing on a
//! conflict or replaces a row only with a better-founded one (a reviewer's outcome over an
//! automatic one, a later operator verdict over an earlier one).
//!
//! Outcomes follow from decisions in the same statement: an `auto_approved`
//! classification writes its `auto` outcome, a review writes its `reviewer` outcome and
//! marks the classification `approved` or `overridden`.

use std::collections::BTreeMap;

use ballast_flow::anomaly::{AnomalyDecision, DecisionLog, VerdictLog};
pub use ballast_flow::health::AnomalyLabel;
use ballast_flow::health::OperatorVerdict;
use ballast_flow::ports::{PortError, PortResult};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::Client;

use crate::connection::{ConnectError, Database};

/// Rows per statement.
pub const CHUNK: usize = 1000;

/// Where a classification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassificationStatus {
    /// Confident enough: published without review.
    AutoApproved,
    PendingReview,
    /// A reviewer accepted the proposal.
    Approved,
    /// A reviewer chose another category or flags.
    Overridden,
}

impl ClassificationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClassificationStatus::AutoApproved => "auto_approved",
            ClassificationStatus::PendingReview => "pending_review",
            ClassificationStatus::Approved => "approved",
            ClassificationStatus::Overridden => "overridden",
        }
    }
}

/// One fund as the classifier proposed it in one run. Plain data: the caller converts
/// from the classifier's own types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationRow {
    pub run_id: String,
    pub symbol: String,
    /// Hash of the classifier's input for this fund.
    pub input_hash: String,
    pub name: String,
    pub summary: String,
    pub family: Option<String>,
    pub category_group: String,
    pub category: String,
    /// 0 to 1.
    pub confidence: f64,
    pub cluster: Option<String>,
    /// A JSON object: leveraged, inverse, volatility, etn, commodity_futures, leverage_factor.
    pub flags: Value,
    pub evidence: Value,
    pub issues: Value,
    pub model_version: String,
    pub status: ClassificationStatus,
    pub classified_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewVerdict {
    Approve,
    Override,
}

impl ReviewVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewVerdict::Approve => "approve",
            ReviewVerdict::Override => "override",
        }
    }
}

/// A reviewer's decision on one proposal: the category and flags the fund ends with (the
/// proposal's own when approving). A reason is required to override.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewDecisionRow {
    pub run_id: String,
    pub symbol: String,
    pub reviewer_id: String,
    pub decision: ReviewVerdict,
    pub category_group: String,
    pub category: String,
    pub flags: Value,
    pub reason: Option<String>,
    pub decided_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeSource {
    Auto,
    Reviewer,
}

impl OutcomeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeSource::Auto => "auto",
            OutcomeSource::Reviewer => "reviewer",
        }
    }
}

/// The category a fund finally carries after one run: the ETF model's label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EtfOutcome {
    pub run_id: String,
    pub symbol: String,
    pub category_group: String,
    pub category: String,
    pub flags: Value,
    pub source: OutcomeSource,
    pub effective_at: DateTime<Utc>,
}

impl EtfOutcome {
    /// The outcome of a proposal accepted as it stands.
    pub fn auto(row: &ClassificationRow) -> EtfOutcome {
        EtfOutcome {
            run_id: row.run_id.clone(),
            symbol: row.symbol.clone(),
            category_group: row.category_group.clone(),
            category: row.category.clone(),
            flags: row.flags.clone(),
            source: OutcomeSource::Auto,
            effective_at: row.classified_at,
        }
    }
}

/// A verdict on one recorded decision (venue, window, model).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnomalyOutcome {
    pub venue: String,
    pub window_start: DateTime<Utc>,
    pub model: String,
    pub label: AnomalyLabel,
    pub operator_id: String,
    pub reason: Option<String>,
    pub decided_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A second, different decision on a reviewed proposal (the API answers 409).
    #[error("{symbol} of run {run_id} was already decided ({decision} by {reviewer_id})")]
    AlreadyDecided { run_id: String, symbol: String, reviewer_id: String, decision: String },
    /// The row refers to a classification or decision that was never recorded (404).
    #[error("{what} refers to nothing recorded: {detail}")]
    UnknownSubject { what: &'static str, detail: String },
    /// A value the table's checks refuse (400).
    #[error("{what}: {detail}")]
    Invalid { what: &'static str, detail: String },
    #[error("cannot reach the database: {0}")]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
}

impl WriteError {
    /// Names foreign-key and check violations; anything else stays a database error.
    fn from_db(what: &'static str, e: tokio_postgres::Error) -> WriteError {
        let detail = || e.as_db_error().map(|d| d.message().to_string()).unwrap_or_default();
        match e.code() {
            Some(c) if *c == SqlState::FOREIGN_KEY_VIOLATION => WriteError::UnknownSubject { what, detail: detail() },
            Some(c) if *c == SqlState::CHECK_VIOLATION || *c == SqlState::NOT_NULL_VIOLATION => {
                WriteError::Invalid { what, detail: detail() }
            }
            _ => WriteError::Postgres(e),
        }
    }
}

/// The write-back over one client (whose search path names the schema).
pub struct WriteBack<'a> {
    client: &'a Client,
}

const INSERT_ANOMALY_DECISIONS: &str = "
WITH written AS (
    INSERT INTO anomaly_decisions
        (venue, window_start, model, features, score, threshold, grade, from_status, to_status, action)
    SELECT * FROM UNNEST($1::text[], $2::timestamptz[], $3::text[], $4::jsonb[], $5::float8[], $6::float8[],
                         $7::float8[], $8::text[], $9::text[], $10::text[])
    ON CONFLICT (venue, window_start, model) DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM written";

const INSERT_CLASSIFICATIONS: &str = "
WITH inserted AS (
    INSERT INTO etf_classifications
        (run_id, symbol, input_hash, name, summary, family, category_group, category, confidence, cluster,
         flags, evidence, issues, model_version, status, classified_at)
    SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                         $8::text[], $9::float8[], $10::text[], $11::jsonb[], $12::jsonb[], $13::jsonb[],
                         $14::text[], $15::text[], $16::timestamptz[])
    ON CONFLICT (run_id, symbol) DO NOTHING
    RETURNING run_id, symbol, category_group, category, flags, status, classified_at
), auto AS (
    INSERT INTO etf_outcomes (run_id, symbol, category_group, category, flags, source, effective_at)
    SELECT run_id, symbol, category_group, category, flags, 'auto', classified_at
    FROM inserted WHERE status = 'auto_approved'
    ON CONFLICT (run_id, symbol) DO NOTHING
)
SELECT count(*) FROM inserted";

/// The review, the classification's new status and the reviewer's outcome, together; all
/// three only when the review is new.
const INSERT_REVIEW: &str = "
WITH inserted AS (
    INSERT INTO review_decisions
        (run_id, symbol, reviewer_id, decision, category_group, category, flags, reason, decided_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (run_id, symbol) DO NOTHING
    RETURNING run_id, symbol, decision, category_group, category, flags, decided_at
), marked AS (
    UPDATE etf_classifications c
    SET status = CASE i.decision WHEN 'approve' THEN 'approved' ELSE 'overridden' END
    FROM inserted i WHERE c.run_id = i.run_id AND c.symbol = i.symbol
), outcome AS (
    INSERT INTO etf_outcomes (run_id, symbol, category_group, category, flags, source, effective_at)
    SELECT run_id, symbol, category_group, category, flags, 'reviewer', decided_at FROM inserted
    ON CONFLICT (run_id, symbol) DO UPDATE
    SET category_group = excluded.category_group, category = excluded.category, flags = excluded.flags,
        source = excluded.source, effective_at = excluded.effective_at, recorded_at = now()
    WHERE etf_outcomes.source = 'auto'
)
SELECT count(*) FROM inserted";

/// A reviewer's outcome replaces an automatic one of the same run; nothing else replaces.
const INSERT_ETF_OUTCOMES: &str = "
WITH written AS (
    INSERT INTO etf_outcomes (run_id, symbol, category_group, category, flags, source, effective_at)
    SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::timestamptz[])
    ON CONFLICT (run_id, symbol) DO UPDATE
    SET category_group = excluded.category_group, category = excluded.category, flags = excluded.flags,
        source = excluded.source, effective_at = excluded.effective_at, recorded_at = now()
    WHERE etf_outcomes.source = 'auto' AND excluded.source = 'reviewer'
    RETURNING 1
)
SELECT count(*) FROM written";

/// A later verdict on the same decision replaces an earlier one.
const INSERT_ANOMALY_OUTCOMES: &str = "
WITH written AS (
    INSERT INTO anomaly_outcomes (venue, window_start, model, label, operator_id, reason, decided_at)
    SELECT * FROM UNNEST($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::timestamptz[])
    ON CONFLICT (venue, window_start, model) DO UPDATE
    SET label = excluded.label, operator_id = excluded.operator_id, reason = excluded.reason,
        decided_at = excluded.decided_at, recorded_at = now()
    WHERE excluded.decided_at > anomaly_outcomes.decided_at
    RETURNING 1
)
SELECT count(*) FROM written";

/// The verdict lands on the venue's latest decision at or before the operator's action:
/// for a positive label the latest that degraded or halted it, for a false negative the
/// latest of any kind.
const INSERT_OPERATOR_VERDICT: &str = "
INSERT INTO anomaly_outcomes (venue, window_start, model, label, operator_id, reason, decided_at)
SELECT venue, window_start, model, $3, $4, $5, $2
FROM anomaly_decisions
WHERE venue = $1 AND window_start <= $2
  AND ($3 = 'false_negative' OR action IN ('degrade', 'halt'))
ORDER BY window_start DESC, recorded_at DESC
LIMIT 1
ON CONFLICT (venue, window_start, model) DO UPDATE
SET label = excluded.label, operator_id = excluded.operator_id, reason = excluded.reason,
    decided_at = excluded.decided_at, recorded_at = now()
WHERE excluded.decided_at > anomaly_outcomes.decided_at
RETURNING window_start, model";

impl<'a> WriteBack<'a> {
    pub fn new(client: &'a Client) -> WriteBack<'a> {
        WriteBack { client }
    }

    /// Runs `sql` (which answers the count it wrote) once per [`CHUNK`] rows, each chunk
    /// passed as one array per column.
    async fn write_chunks<T>(
        &self,
        sql: &str,
        what: &'static str,
        rows: &[T],
        columns: impl Fn(&[T]) -> Columns,
    ) -> Result<u64, WriteError> {
        let mut written = 0;
        for chunk in rows.chunks(CHUNK) {
            let columns = columns(chunk);
            let params: Vec<&(dyn ToSql + Sync)> = columns.iter().map(|c| c.as_ref() as &(dyn ToSql + Sync)).collect();
            let row = self.client.query_one(sql, &params).await.map_err(|e| WriteError::from_db(what, e))?;
            written += row.get::<_, i64>(0) as u64;
        }
        Ok(written)
    }

    /// Records the detector's decisions; returns how many were new (a redelivered batch
    /// writes none).
    pub async fn record_anomaly_decisions(&self, decisions: &[AnomalyDecision]) -> Result<u64, WriteError> {
        self.write_chunks(INSERT_ANOMALY_DECISIONS, "anomaly decision", decisions, |chunk| {
            vec![
                column(chunk, |d| d.venue.clone()),
                column(chunk, |d| d.window_start),
                column(chunk, |d| d.model.clone()),
                column(chunk, |d| features_json(&d.features)),
                column(chunk, |d| d.score),
                column(chunk, |d| d.threshold),
                column(chunk, |d| d.grade),
                column(chunk, |d| serde_name(&d.from)),
                column(chunk, |d| serde_name(&d.to)),
                column(chunk, |d| d.action.as_str().to_string()),
            ]
        })
        .await
    }

    /// Records a run's proposals (and the `auto` outcome of each auto-approved one);
    /// returns how many were new. A proposal recorded before is left as it is, status
    /// included, so a retry never undoes a review.
    pub async fn record_classifications(&self, rows: &[ClassificationRow]) -> Result<u64, WriteError> {
        self.write_chunks(INSERT_CLASSIFICATIONS, "ETF classification", rows, |chunk| {
            vec![
                column(chunk, |r| r.run_id.clone()),
                column(chunk, |r| r.symbol.clone()),
                column(chunk, |r| r.input_hash.clone()),
                column(chunk, |r| r.name.clone()),
                column(chunk, |r| r.summary.clone()),
                column(chunk, |r| r.family.clone()),
                column(chunk, |r| r.category_group.clone()),
                column(chunk, |r| r.category.clone()),
                column(chunk, |r| r.confidence),
                column(chunk, |r| r.cluster.clone()),
                column(chunk, |r| r.flags.clone()),
                column(chunk, |r| r.evidence.clone()),
                column(chunk, |r| r.issues.clone()),
                column(chunk, |r| r.model_version.clone()),
                column(chunk, |r| r.status.as_str().to_string()),
                column(chunk, |r| r.classified_at),
            ]
        })
        .await
    }

    /// Records a reviewer's decision, marks the proposal approved or overridden and
    /// writes the reviewer's outcome. `Ok(true)`: recorded now; `Ok(false)`: the same
    /// decision (reviewer, verdict, category, flags, reason) was recorded before, as a
    /// retry does. A different decision on a decided proposal is
    /// [`WriteError::AlreadyDecided`], and the first one stands.
    pub async fn record_review(&self, review: &ReviewDecisionRow) -> Result<bool, WriteError> {
        let r = review;
        let row = self
            .client
            .query_one(
                INSERT_REVIEW,
                &[
                    &r.run_id,
                    &r.symbol,
                    &r.reviewer_id,
                    &r.decision.as_str(),
                    &r.category_group,
                    &r.category,
                    &r.flags,
                    &r.reason,
                    &r.decided_at,
                ],
            )
            .await
            .map_err(|e| WriteError::from_db("review decision", e))?;
        if row.get::<_, i64>(0) == 1 {
            return Ok(true);
        }
        let existing = self
            .client
            .query_one(
                "SELECT reviewer_id, decision, category_group, category, flags, reason
                 FROM review_decisions WHERE run_id = $1 AND symbol = $2",
                &[&r.run_id, &r.symbol],
            )
            .await?;
        let (reviewer_id, decision): (String, String) = (existing.get(0), existing.get(1));
        let same = reviewer_id == r.reviewer_id
            && decision == r.decision.as_str()
            && existing.get::<_, String>(2) == r.category_group
            && existing.get::<_, String>(3) == r.category
            && existing.get::<_, Value>(4) == r.flags
            && existing.get::<_, Option<String>>(5) == r.reason;
        if same {
            return Ok(false);
        }
        Err(WriteError::AlreadyDecided { run_id: r.run_id.clone(), symbol: r.symbol.clone(), reviewer_id, decision })
    }

    /// Records ETF outcomes directly (backfills, corrections). A reviewer's outcome
    /// replaces an automatic one of the same run; any other repeat changes nothing.
    /// Returns how many rows were written or replaced.
    pub async fn record_etf_outcomes(&self, outcomes: &[EtfOutcome]) -> Result<u64, WriteError> {
        // One row per key and statement (ON CONFLICT DO UPDATE refuses to touch a row
        // twice): the reviewer's, else the first.
        let mut by_key: BTreeMap<(&str, &str), &EtfOutcome> = BTreeMap::new();
        for o in outcomes {
            let slot = by_key.entry((&o.run_id, &o.symbol)).or_insert(o);
            if o.source == OutcomeSource::Reviewer && slot.source == OutcomeSource::Auto {
                *slot = o;
            }
        }
        let unique: Vec<&EtfOutcome> = by_key.into_values().collect();
        self.write_chunks(INSERT_ETF_OUTCOMES, "ETF outcome", &unique, |chunk| {
            vec![
                column(chunk, |o| o.run_id.clone()),
                column(chunk, |o| o.symbol.clone()),
                column(chunk, |o| o.category_group.clone()),
                column(chunk, |o| o.category.clone()),
                column(chunk, |o| o.flags.clone()),
                column(chunk, |o| o.source.as_str().to_string()),
                column(chunk, |o| o.effective_at),
            ]
        })
        .await
    }

    /// Records operators' verdicts on given decisions; a later verdict on the same
    /// decision replaces an earlier one. Returns how many rows were written or replaced.
    pub async fn record_anomaly_outcomes(&self, outcomes: &[AnomalyOutcome]) -> Result<u64, WriteError> {
        let mut by_key: BTreeMap<(&str, DateTime<Utc>, &str), &AnomalyOutcome> = BTreeMap::new();
        for o in outcomes {
            let slot = by_key.entry((&o.venue, o.window_start, &o.model)).or_insert(o);
            if o.decided_at > slot.decided_at {
                *slot = o;
            }
        }
        let unique: Vec<&AnomalyOutcome> = by_key.into_values().collect();
        self.write_chunks(INSERT_ANOMALY_OUTCOMES, "anomaly outcome", &unique, |chunk| {
            vec![
                column(chunk, |o| o.venue.clone()),
                column(chunk, |o| o.window_start),
                column(chunk, |o| o.model.clone()),
                column(chunk, |o| o.label.as_str().to_string()),
                column(chunk, |o| o.operator_id.clone()),
                column(chunk, |o| o.reason.clone()),
                column(chunk, |o| o.decided_at),
            ]
        })
        .await
    }

    /// An operator's action on a venue at `at`, as a label on the decision behind it
    /// (lifting a halt: [`AnomalyLabel::FalsePositive`] on the venue's latest halt or
    /// degradation). Returns the labelled decision's (window start, model), or `None` when
    /// there is no such decision or a later verdict already stands.
    pub async fn record_operator_verdict(
        &self,
        venue: &str,
        at: DateTime<Utc>,
        label: AnomalyLabel,
        operator_id: &str,
        reason: Option<&str>,
    ) -> Result<Option<(DateTime<Utc>, String)>, WriteError> {
        let row = self
            .client
            .query_opt(INSERT_OPERATOR_VERDICT, &[&venue, &at, &label.as_str(), &operator_id, &reason])
            .await
            .map_err(|e| WriteError::from_db("operator verdict", e))?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }
}

/// The detector's decision log over Aurora: the anomaly function hands its decisions here
/// (or drains the DynamoDB outbox into it).
impl DecisionLog for Database {
    async fn record(&self, decisions: &[AnomalyDecision]) -> PortResult<()> {
        self.with_client(|c| async move { WriteBack::new(&c).record_anomaly_decisions(decisions).await })
            .await
            .map(|_| ())
            .map_err(|e| PortError::new("aurora anomaly_decisions", e))
    }
}

/// Operators' verdicts over Aurora: the venues function hands them here (or drains the
/// DynamoDB outbox into it). A verdict with no decision to label (none recorded at or
/// before it, or a later verdict stands) is logged and dropped: it has nothing to teach.
impl VerdictLog for Database {
    async fn record_verdict(&self, v: &OperatorVerdict) -> PortResult<()> {
        let labelled = self
            .with_client(|c| async move {
                WriteBack::new(&c)
                    .record_operator_verdict(&v.venue, v.at, v.label, &v.operator_id, v.reason.as_deref())
                    .await
            })
            .await
            .map_err(|e| PortError::new("aurora anomaly_outcomes", e))?;
        match labelled {
            Some((window_start, model)) => {
                tracing::info!(venue = %v.venue, label = v.label.as_str(), %window_start, model, "operator verdict recorded")
            }
            None => tracing::info!(venue = %v.venue, label = v.label.as_str(), at = %v.at,
                "operator verdict labels no recorded decision (none at or before it, or a later verdict stands)"),
        }
        Ok(())
    }
}

/// The columns of one chunk, as statement parameters.
type Columns = Vec<Box<dyn ToSql + Sync + Send>>;

/// One column of a chunk.
fn column<T, U: ToSql + Sync + Send + 'static>(rows: &[T], f: impl Fn(&T) -> U) -> Box<dyn ToSql + Sync + Send> {
    Box::new(rows.iter().map(f).collect::<Vec<U>>())
}

/// A unit enum's serde name (`healthy`, `halted`…), as the tables store them (and the
/// tables' checks refuse anything else).
fn serde_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(e) => e.to_string(),
    }
}

/// A feature map as a JSON object; a non-finite value (never produced by the telemetry)
/// becomes null rather than failing the batch.
fn features_json(features: &BTreeMap<String, f64>) -> Value {
    Value::Object(
        features
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Number::from_f64(*v).map_or(Value::Null, Value::Number)))
            .collect(),
    )
}
