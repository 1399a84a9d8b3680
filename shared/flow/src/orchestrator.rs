//! The in-process orchestrator: what the state machine does (every batch through
//! rebalance → check → submit, transient errors retried, a failed batch marked failed,
//! then finalize), run directly over any adapters. The embedded default uses it over the
//! in-memory ones; the end-to-end tests run it over DynamoDB, SQS and Step Functions.
//! Also a simple market center that answers each order with execution reports.

use ballast_refcache::{ReferenceCache, ReferenceSource};

use crate::model::{ExecutionReport, JobStatus, OrderMessage, ReportKind};
use crate::ports::{AccountStore, JobStore, OrderGateway, OrderStore, ReadModel, VenueHealthStore};
use crate::request::digest;
use crate::service::{check_batch, fail_batch, finalize_job, rebalance_batch, submit_batch, StepError, StepReport};

/// Attempts per step before the batch is marked failed (the state machine's Retry).
pub const ATTEMPTS: u32 = 3;

/// Runs `step` until it succeeds, fails permanently, or has failed transiently
/// [`ATTEMPTS`] times.
pub async fn with_retries<T, F, Fut>(mut step: F) -> Result<T, StepError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StepError>>,
{
    let mut attempt = 1;
    loop {
        match step().await {
            Err(StepError::Transient(e)) if attempt < ATTEMPTS => {
                tracing::warn!(attempt, error = %e, "step failed; retrying");
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// One batch through the three steps.
#[allow(clippy::too_many_arguments)]
pub async fn run_batch<S: ReferenceSource>(
    jobs: &impl JobStore,
    accounts: &impl AccountStore,
    orders: &(impl OrderStore + VenueHealthStore),
    gateway: &impl OrderGateway,
    views: &impl ReadModel,
    reference: &ReferenceCache<S>,
    job_id: &str,
    seq: u32,
) -> Result<StepReport, StepError> {
    with_retries(|| rebalance_batch(jobs, accounts, reference, job_id, seq)).await?;
    let checked = with_retries(|| check_batch(jobs, accounts, reference, views, job_id, seq)).await?;
    let mut submitted = with_retries(|| submit_batch(jobs, orders, gateway, views, reference, job_id, seq)).await?;
    submitted.trades = checked.trades;
    submitted.blocked = checked.blocked;
    Ok(submitted)
}

/// Every batch of a job, then finalize: what one state-machine execution does.
#[allow(clippy::too_many_arguments)]
pub async fn run_job<S: ReferenceSource>(
    jobs: &impl JobStore,
    accounts: &impl AccountStore,
    orders: &(impl OrderStore + VenueHealthStore),
    gateway: &impl OrderGateway,
    views: &impl ReadModel,
    reference: &ReferenceCache<S>,
    job_id: &str,
) -> Result<JobStatus, StepError> {
    let batches = jobs.batches(job_id).await?;
    for b in &batches {
        if let Err(e) = run_batch(jobs, accounts, orders, gateway, views, reference, job_id, b.seq).await {
            let error = e.to_string();
            with_retries(|| fail_batch(jobs, views, job_id, b.seq, &error)).await?;
        }
    }
    with_retries(|| finalize_job(jobs, views, job_id)).await
}

/// A market center that executes what it receives: most orders are acknowledged then
/// filled at their reference price, about one in ten fills in two parts, and about one
/// in fifty is rejected. Deterministic per order id, so tests can count on it.
pub fn execute(order: &OrderMessage) -> Vec<ExecutionReport> {
    let roll = u32::from_str_radix(&digest(&[&order.order_id, "venue"], 8), 16).unwrap_or(0) % 100;
    let report = |seq: u64, kind: ReportKind, quantity: Option<ballast_core::Decimal>| ExecutionReport {
        order_id: order.order_id.clone(),
        venue: order.venue.clone(),
        seq,
        kind,
        quantity,
        price: quantity.map(|_| order.price),
        reason: (kind == ReportKind::Reject).then(|| "price outside the venue's collar".to_string()),
        at: None,
    };
    if roll < 2 {
        return vec![report(1, ReportKind::Reject, None)];
    }
    let mut out = vec![report(1, ReportKind::Ack, None)];
    let part = (order.quantity / ballast_core::Decimal::from(2)).floor();
    if roll < 12 && part > ballast_core::Decimal::ZERO {
        out.push(report(2, ReportKind::PartialFill, Some(part)));
        out.push(report(3, ReportKind::Fill, Some(order.quantity - part)));
    } else {
        out.push(report(2, ReportKind::Fill, Some(order.quantity)));
    }
    out
}
